"""The shared defences in sharemap.safety, on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.errors import InputError
from sharemap.safety import (
    check_public_url,
    check_regular_file,
    limit,
    load_user_yaml,
    spreadsheet_safe,
)


@pytest.mark.parametrize(
    "text", ["!!int ", "!!float ", "!!bool ", "!!timestamp ", "a: &x [1]\nb: *x", "a: ["]
)
def test_bad_yaml_is_one_input_error(text: str) -> None:
    with pytest.raises(InputError, match="not valid YAML") as err:
        load_user_yaml(text, "s.yaml")
    assert "\n" not in str(err.value) and str(err.value).startswith("s.yaml: ")


def test_yaml_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_YAML_KB", "1")
    with pytest.raises(InputError, match="1 kB limit"):
        load_user_yaml("a: " + "x" * 2000, "big.yaml")


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+1", "-2", "@SUM(1)", "\t=1", "\r=1", "＝1"])
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(value: str) -> None:
    assert spreadsheet_safe(value) == "'" + value
    assert spreadsheet_safe("Harris County") == "Harris County" and spreadsheet_safe(-5) == -5


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x", "http://localhost:8000/", "http://10.0.0.1/", "ftp://ice.gov/"]
)
def test_urls_to_local_hosts_or_other_schemes_are_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAREMAP_ALLOW_PRIVATE_URLS", raising=False)
    with pytest.raises(InputError):
        check_public_url(url)
    if url.startswith("http"):
        monkeypatch.setenv("SHAREMAP_ALLOW_PRIVATE_URLS", "1")
        assert check_public_url(url) == url


def test_folders_and_devices_are_not_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        check_regular_file(tmp_path)
    with pytest.raises(InputError, match="not a regular file"):
        check_regular_file("/dev/zero")
    with pytest.raises(InputError, match="no such"):
        check_regular_file(tmp_path / "missing.csv")


def test_a_limit_from_the_environment_must_be_a_positive_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_UPLOAD_MB", "nan")
    with pytest.raises(InputError, match="SHAREMAP_MAX_UPLOAD_MB"):
        limit("upload_mb")
    monkeypatch.setenv("SHAREMAP_MAX_UPLOAD_MB", "5")
    assert limit("upload_mb") == 5
