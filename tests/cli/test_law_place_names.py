"""The law commands read a state the way `agreements --state` does: a code or a name."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 2, 3), (result.output, repr(result.exception))
    return result.exit_code, result.output


def test_law_state_takes_a_state_name() -> None:
    code, by_name = _run("law", "state", "Texas", "--date", "2026-05-18", "--json")
    code2, by_code = _run("law", "state", "TX", "--date", "2026-05-18", "--json")
    assert code == code2 == 0 and json.loads(by_name) == json.loads(by_code)


def test_law_rule_and_retention_take_a_state_name() -> None:
    args = ["--actor", "sheriff", "--action", "hold_on_detainer", "--date", "2026-05-18", "--json"]
    code, by_name = _run("law", "rule", "--state", "Texas", *args)
    code2, by_code = _run("law", "rule", "--state", "tx", *args)
    assert code == code2 == 0
    assert json.loads(by_name)["effect"] == json.loads(by_code)["effect"] == "required"
    code, out = _run("law", "retention", "--state", "New Hampshire", "--date", "2026-05-18", "--json")
    code2, out2 = _run("law", "retention", "--state", "NH", "--date", "2026-05-18", "--json")
    assert code == code2 == 0 and json.loads(out) == json.loads(out2)
    code, out = _run("law", "rule", "--state", "Atlantis", *args)
    assert code != 0 and "unknown state 'Atlantis'" in out
