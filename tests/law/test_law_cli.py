"""The `sharemap law` commands, run through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"


def test_rule_json_names_the_deciding_provision() -> None:
    res = runner.invoke(
        app,
        [
            "law",
            "rule",
            "--state",
            "IL",
            "--actor",
            "sheriff",
            "--action",
            "hold_on_detainer",
            "--process",
            "detainer",
            "--date",
            "2025-06-01",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["effect"] == "prohibited"
    assert [p["id"] for p in out["provisions"]] == ["IL-5ILCS805-15a-detainer"]


def test_rule_text_prints_the_trace() -> None:
    res = runner.invoke(
        app,
        [
            "law",
            "rule",
            "--state",
            "TX",
            "--actor",
            "sheriff",
            "--action",
            "hold_on_detainer",
            "--process",
            "detainer",
            "--date",
            "2024-06-01",
        ],
    )
    assert res.exit_code == 0, res.output
    # issue 15: the human trace names each provision by its citation; the ids stay in --json
    assert "REQUIRED" in res.stdout and "Tex. Code Crim. Proc. art. 2.251" in res.stdout
    assert "TX-CCP2.251-detainers" not in res.stdout


def test_rule_refuses_unknown_action_with_nonzero_exit() -> None:
    res = runner.invoke(app, ["law", "rule", "--state", "IL", "--actor", "sheriff", "--action", "nope"])
    assert res.exit_code != 0


def test_state_overview_is_derived_from_provisions() -> None:
    res = runner.invoke(app, ["law", "state", "CA", "--date", "2024-06-01", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stance"] == "limits"
    assert "hold_on_detainer" in out["prohibited"]
    assert any(p["id"] == "CA-CIV1798.90.55-ALPR" for p in out["provisions"])
    res = runner.invoke(app, ["law", "state", "TX", "--date", "2026-06-01", "--json"])
    out = json.loads(res.stdout)
    # SB 8 requires one agreement of the sheriff's choosing: not each model
    assert out["stance"] == "requires" and "enter_287g_any" in out["required"]
    assert "enter_287g_jem" not in out["required"]
    res = runner.invoke(app, ["law", "state", "KY", "--date", "2026-06-01"])
    assert res.exit_code == 0 and "no state provision" in res.stdout


def test_matrix_json_and_table() -> None:
    res = runner.invoke(
        app, ["law", "matrix", "--action", "enter_287g_jem", "--date", "2026-03-01", "--json"]
    )
    assert res.exit_code == 0, res.output
    cells = {c["jurisdiction"]: c["effect"] for c in json.loads(res.stdout)}
    assert (
        cells["MD"] == "prohibited"
        and cells["FL"] == "permitted_with_conditions"  # one model of the sheriff's choice is required
        and cells["KY"] == "permitted_with_conditions"
    )
    res = runner.invoke(
        app, ["law", "matrix", "--action", "enter_287g_any", "--date", "2026-03-01", "--json"]
    )
    cells = {c["jurisdiction"]: c["effect"] for c in json.loads(res.stdout)}
    assert cells["FL"] == "required" and cells["TX"] == "required" and cells["MD"] == "prohibited"
    assert len(cells) == 52  # 50 states, DC and Puerto Rico
    res = runner.invoke(app, ["law", "matrix", "--action", "hold_on_detainer", "--date", "2024-06-01"])
    assert res.exit_code == 0 and "IL" in res.stdout


def test_check_shipped_and_fixture_dirs() -> None:
    res = runner.invoke(app, ["law", "check", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ok"] and out["provisions"] >= 80
    res = runner.invoke(app, ["law", "check", "--dir", str(FIXTURES / "good")])
    assert res.exit_code == 0 and "OK: 1 provisions" in res.stdout
    res = runner.invoke(app, ["law", "check", "--dir", str(FIXTURES / "bad")])
    assert res.exit_code != 0


def test_every_state_dc_and_puerto_rico_has_a_dated_coverage_note() -> None:
    from sharemap.law.overview import STATES

    assert len(STATES) == 52 and "PR" in STATES
    for code in STATES:
        res = runner.invoke(app, ["law", "state", code, "--date", "2026-06-01", "--json"])
        assert res.exit_code == 0, (code, res.output)
        cov = json.loads(res.stdout)["coverage"]
        assert cov["researched_on"] == "2026-12-03" and len(cov["note"]) > 40, code
    res = runner.invoke(app, ["law", "state", "Texas"])  # a state's name is accepted too
    assert res.exit_code == 0 and "Coverage: researched on 2026-12-03" in res.stdout


def test_law_changes_lists_effect_dates_and_injunctions() -> None:
    res = runner.invoke(
        app, ["law", "changes", "--from", "2021-01-01", "--to", "2023-12-31", "--state", "FL", "--json"]
    )
    assert res.exit_code == 0, res.output
    got = [(c["date"], c["kind"], c["provision"]) for c in json.loads(res.stdout)]
    assert ("2021-09-21", "enjoined", "FL-908.104-cooperation") in got
    assert ("2023-01-01", "took_effect", "FL-908.11-287g-2023") in got
    assert ("2023-04-13", "injunction_lifted", "FL-908.104-cooperation") in got
    res = runner.invoke(
        app, ["law", "changes", "--from", "2024-01-01", "--to", "2024-12-31", "--state", "LA", "--json"]
    )
    assert ("2024-05-28", "took_effect", "LA-RS33-84A-detainers") in [
        (c["date"], c["kind"], c["provision"]) for c in json.loads(res.stdout)
    ]


def test_rule_answers_in_plain_words_in_english_and_spanish() -> None:
    args = ["law", "rule", "--state", "LA", "--actor", "sheriff", "--action", "hold_on_detainer"]
    args += ["--process", "detainer", "--date", "2024-07-01"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "On 2024-07-01, may the sheriff or county jail in Louisiana hold a person for ICE" in res.stdout
    assert "Yes, it must." in res.stdout and "La. R.S. 33:84" in res.stdout
    es = runner.invoke(app, [*args, "--lang", "es", "--json"])
    assert es.exit_code == 0, es.output
    out = json.loads(es.stdout)
    assert out["effect"] == "required"
    assert out["question"].startswith("El 2024-07-01, ¿puede el sheriff")
    assert out["answer"].startswith("Sí, es obligatorio.")
    bad = runner.invoke(app, [*args, "--lang", "fr"])
    assert bad.exit_code != 0 and "unknown language" in bad.output
