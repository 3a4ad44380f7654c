"""`sharemap kb check | list | show`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()
BROKEN = Path(__file__).parents[1] / "fixtures" / "kb" / "broken"


def test_kb_check_passes_on_shipped_kb() -> None:
    result = runner.invoke(app, ["kb", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def test_kb_check_fails_on_broken_fixture_naming_file_and_id() -> None:
    result = runner.invoke(app, ["kb", "check", "--dir", str(BROKEN)])
    assert result.exit_code != 0
    out = result.output
    assert "data_elements.yaml: de.no_source" in out and "missing source" in out
    assert "channels.yaml: chan.to_nowhere" in out and "unknown system 'sys.nowhere'" in out
    assert "channels.yaml: chan.bad_element" in out and "unknown data element 'de.not_an_element'" in out


def test_kb_check_json_on_broken_fixture() -> None:
    result = runner.invoke(app, ["kb", "check", "--dir", str(BROKEN), "--json"])
    assert result.exit_code != 0
    data = json.loads(result.stdout)
    ids = {(p["file"], p["id"]) for p in data["problems"]}
    assert ("channels.yaml", "chan.to_nowhere") in ids
    assert ("data_elements.yaml", "de.no_source") in ids


def test_kb_list_and_show() -> None:
    listed = runner.invoke(app, ["kb", "list", "--kind", "channel", "--json"])
    assert listed.exit_code == 0
    ids = {row["id"] for row in json.loads(listed.output)}
    assert "chan.ngi_to_ident" in ids
    shown = runner.invoke(app, ["kb", "show", "chan.ngi_to_ident", "--json"])
    assert shown.exit_code == 0
    data = json.loads(shown.output)
    assert data["from_system"] == "sys.ngi"
    assert all(s["title"] and s["url"] for s in data["cited_sources"])
    missing = runner.invoke(app, ["kb", "show", "chan.nope"])
    assert missing.exit_code != 0
