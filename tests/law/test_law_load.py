"""Provision files: the shipped ones load; bad ones are refused naming file, provision id and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.errors import DataError, InputError
from sharemap.law.load import load_file, load_provisions, provision_files
from sharemap.law.vocab import JURISDICTIONS, Status

BAD = Path(__file__).parent / "fixtures" / "bad"


def test_shipped_provisions_load_with_sources_and_unique_ids() -> None:
    provs = load_provisions()
    assert len(provs) >= 80
    assert len({p.id for p in provs}) == len(provs)
    for p in provs:
        assert p.sources, p.id
        assert all(s.title and s.url for s in p.sources), p.id
        assert p.jurisdiction in JURISDICTIONS
        assert p.id.startswith(p.jurisdiction + "-")
        if p.status is Status.SUPERSEDED:
            assert p.effective_to is not None
    # one file per jurisdiction, named after it
    for f in provision_files():
        assert f.stem in JURISDICTIONS


@pytest.mark.parametrize(
    ("name", "pid", "field"),
    [
        ("unknown_action.yaml", "IL-test-unknown-action", "actions"),
        ("malformed_date.yaml", "CA-test-bad-date", "effective_from"),
        ("no_source.yaml", "TX-test-no-source", "sources"),
    ],
)
def test_bad_files_are_refused_with_file_id_and_field(name: str, pid: str, field: str) -> None:
    with pytest.raises(DataError) as err:
        load_file(BAD / name)
    exc = err.value
    assert exc.file is not None and exc.file.endswith(name)
    assert exc.field is not None and exc.field.startswith(f"{pid}.{field}")
    text = exc.describe()
    assert name in text and pid in text and field in text


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


PROVISION = """
  - id: {pid}
    citation: "c"
    title: "t"
    summary: "s"
    effective_from: 2020-01-01
    status: in_force
    actors: [sheriff]
    actions: [hold_on_detainer]
    effect: prohibited
    verification: unverified
    sources: [{{title: "src", url: "https://example.org/x"}}]
"""


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    a = _write(tmp_path, "IL.yaml", "jurisdiction: IL\nprovisions:" + PROVISION.format(pid="IL-dup"))
    b = _write(tmp_path, "IL2.yaml", "jurisdiction: IL\nprovisions:" + PROVISION.format(pid="IL-dup"))
    with pytest.raises(DataError, match="duplicate id"):
        load_provisions([a, b])


def test_id_must_carry_the_jurisdiction(tmp_path: Path) -> None:
    a = _write(tmp_path, "IL.yaml", "jurisdiction: IL\nprovisions:" + PROVISION.format(pid="CA-wrong"))
    with pytest.raises(DataError) as err:
        load_file(a)
    assert err.value.field == "CA-wrong.id"


def test_unknown_jurisdiction_and_bad_yaml(tmp_path: Path) -> None:
    a = _write(tmp_path, "XX.yaml", "jurisdiction: XX\nprovisions: []\n")
    with pytest.raises(DataError) as err:
        load_file(a)
    assert err.value.field == "jurisdiction"
    b = _write(tmp_path, "IL.yaml", "jurisdiction: IL\nprovisions: [\n")
    with pytest.raises(InputError):
        load_file(b)


def test_enjoined_needs_a_date_and_savings_refs_must_exist(tmp_path: Path) -> None:
    body = PROVISION.format(pid="IL-enj").replace("status: in_force", "status: enjoined")
    a = _write(tmp_path, "IL.yaml", "jurisdiction: IL\nprovisions:" + body)
    with pytest.raises(DataError, match="status_since"):
        load_file(a)
    body = PROVISION.format(pid="IL-ref") + "    savings_clauses: [US-nothing]\n"
    b = _write(tmp_path, "IL3.yaml", "jurisdiction: IL\nprovisions:" + body)
    with pytest.raises(DataError) as err:
        load_provisions([b])
    assert err.value.field == "IL-ref.savings_clauses"


def test_condition_values_are_checked_against_the_vocabulary(tmp_path: Path) -> None:
    body = PROVISION.format(pid="IL-cond") + (
        "    exceptions: [{kind: legal_process, values: [pinky_promise], text: t}]\n"
    )
    a = _write(tmp_path, "IL.yaml", "jurisdiction: IL\nprovisions:" + body)
    with pytest.raises(DataError) as err:
        load_file(a)
    assert err.value.field is not None and err.value.field.startswith("IL-cond.exceptions")
    assert "pinky_promise" in err.value.describe()


def test_official_text_must_be_read_on_an_official_site() -> None:
    import pydantic

    from sharemap.law import default_law
    from sharemap.law.model import Provision
    from sharemap.law.vocab import Verification

    official = [p for p in default_law().provisions if p.verification is Verification.OFFICIAL_TEXT]
    assert len(official) >= 20
    base = official[0].model_dump()
    assert base["checked"]["url"].split("/")[2].endswith((".gov", ".us"))
    base["checked"]["url"] = "https://law.justia.com/codes/some-state/section-1/"
    with pytest.raises(pydantic.ValidationError, match=r"'law\.justia\.com' is not one"):
        Provision.model_validate(base)
    base["verification"] = "secondary_source"  # a mirror is fine as a secondary source
    assert Provision.model_validate(base).checked is not None
