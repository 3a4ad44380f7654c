"""docs/security.md lists every limit of `sharemap.safety.LIMITS` with its environment variable, default
and unit, and names no limit that does not exist: the document cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sharemap.safety import LIMITS, Limit

DOC = Path(__file__).parents[1] / "docs" / "security.md"


def _default_text(value: float) -> str:
    """How the table writes a default: whole numbers without a decimal point, others as they are."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _limit_rows() -> dict[str, list[str]]:
    """The rows of the limits table, by the limit name in their first cell (`name`)."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(r"`[a-z0-9_]+`", cells[0]) and cells[1].startswith("`SHAREMAP_"):
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("lim", LIMITS, ids=[lim.name for lim in LIMITS])
def test_every_limit_is_documented_with_its_variable_and_default(lim: Limit) -> None:
    rows = _limit_rows()
    assert lim.name in rows, f"docs/security.md has no row for the limit {lim.name!r} ({lim.env})"
    cells = rows[lim.name]
    assert cells[1] == f"`{lim.env}`", cells
    assert cells[2] == _default_text(lim.default), f"{lim.name}: default {cells[2]!r} != {lim.default}"
    assert cells[3] == lim.unit, f"{lim.name}: unit {cells[3]!r} != {lim.unit!r}"
    assert cells[4], f"{lim.name}: say what it bounds"


def test_the_table_names_no_limit_that_does_not_exist() -> None:
    names = {lim.name for lim in LIMITS}
    extra = set(_limit_rows()) - names
    assert not extra, f"docs/security.md documents limits that safety.LIMITS does not have: {sorted(extra)}"


def test_every_sharemap_max_variable_in_the_doc_is_a_limit() -> None:
    envs = {lim.env for lim in LIMITS}
    named = set(re.findall(r"SHAREMAP_MAX_[A-Z_]+", DOC.read_text(encoding="utf-8")))
    assert named <= envs, sorted(named - envs)


def test_the_private_url_setting_and_the_test_sections_are_there() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "`SHAREMAP_ALLOW_PRIVATE_URLS`" in text
    for heading in ("## Threat model", "## Limits", "## How each was tested"):
        assert heading in text
    # the test files the doc names exist (a renamed test must be renamed here too)
    root = DOC.parents[1]
    for name in re.findall(r"`(tests/[\w/]+\.py)`", text):
        assert (root / name).exists(), name
