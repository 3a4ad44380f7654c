"""One settings table (sharemap.settings) for the code, the CLI and the docs; every CLI command
documented (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from sharemap.settings import SETTINGS, all_settings

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "sharemap"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _variables_in_code() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found |= set(re.findall(r"SHAREMAP_[A-Z][A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    return found


def test_every_variable_the_code_reads_is_a_setting() -> None:
    known = {s.env for s in all_settings()}
    assert _variables_in_code() - known == set()
    assert len(known) == len(all_settings()), "a variable is listed twice"


def test_the_configuration_page_is_the_table() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(SHAREMAP_[A-Z_]+)` \| ([^|]+) \|", page, re.M))
    assert set(rows) == {s.env for s in SETTINGS}
    for s in SETTINGS:
        assert rows[s.env].strip() == s.default, s.env


def test_settings_command_lists_every_setting_and_hides_secrets(monkeypatch: object) -> None:
    from sharemap.cli.app import app

    res = CliRunner().invoke(app, ["settings", "--json"], env={"SHAREMAP_AUDIT_KEY": "do-not-print"})
    assert res.exit_code == 0, res.output
    assert "do-not-print" not in res.output
    assert {"SHAREMAP_AUDIT_KEY", "SHAREMAP_MAX_UPLOAD_MB", "SHAREMAP_HOME"} <= set(
        re.findall(r"SHAREMAP_\w+", res.output)
    )
    assert '"now": "(set)"' in res.output


def _commands(group: Any, prefix: str) -> list[str]:
    if hasattr(group, "commands"):  # a group (typer ships its own click, so no isinstance check)
        return [
            c
            for name, sub in group.commands.items()
            if not sub.hidden
            for c in _commands(sub, f"{prefix} {name}")
        ]
    return [prefix]


def test_every_cli_command_is_documented() -> None:
    from sharemap.cli.app import app

    commands = _commands(typer.main.get_command(app), "sharemap")
    assert len(commands) > 20
    docs = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    missing = [c for c in commands if c not in docs]
    assert not missing, f"commands named nowhere in README.md or docs/: {missing}"
