"""Simulation outputs in reports: a small real run written by `sharemap sim run --out`, shown and cited."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.report import Report, build_report, load_run, resolve, to_html, to_markdown
from sharemap.report.build import SECTION_TITLES, iter_cites
from sharemap.report.sim import from_summary
from sharemap.sim.params import load_params, load_targets

DAY = dt.date(2026, 11, 24)
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(ledger_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Collier County, FL: 3 replicates of the shipped baseline scenario, written as a user would."""
    out = tmp_path_factory.mktemp("sim") / "collier"
    result = runner.invoke(
        app,
        ["sim", "run", "--county", "12021", "--scenario", "baseline", "--replicates", "3", "--seed", "7",
         "--engine", "serial", "--out", str(out), "--db", str(ledger_db), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def report(ledger_db: Path, run_dir: Path) -> Report:
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        return build_report(con, resolve(con, county="Collier County, FL"), DAY, sims=[load_run(run_dir)])
    finally:
        con.close()


def _section(r: Report) -> object:
    return next(s for s in r.sections if s.id == "simulation")


def test_section_states_synthetic_and_the_run(report: Report, run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["replicates"] == 3 and summary["seed"] == 7
    ids = [s.id for s in report.sections]
    assert ids == [k for k in SECTION_TITLES if k in ids] and "simulation" in ids
    md = to_markdown(report)
    part = md[md.index("## Simulation outputs (SYNTHETIC people)") :]
    part = part[: part.index("\n## ")]
    assert "SYNTHETIC people made up by sharemap's simulator, not real individuals" in part
    ice_list = summary["agreements"]["ice_list_date"]
    assert ice_list and f"ICE's list of {ice_list}" in part
    assert "scenario baseline" in part and "seed 7, 3 replicates" in part
    # key outputs with the run's own numbers and intervals
    stages = {s["stage"]: s for s in summary["stages"]}
    d = stages["detainers"]
    assert f"{d['mean']:,.0f} detainers (95% interval {d['ci_low']:,.0f}–{d['ci_high']:,.0f})" in part
    for label in ("detainers lodged", "people held on a detainer", "detainers declined",
                  "transfers to ICE custody", "released before a detainer was lodged"):  # fmt: skip
        assert f"| {label} |" in part
    t = stages["transfers"]
    assert f"| transfers to ICE custody | {t['mean']:,.0f} | {t['ci_low']:,.0f}–{t['ci_high']:,.0f} |" in part
    assert "| naturalised citizens |" in part and "| no status |" in part  # flagged by status
    hr = {r["ethnicity"]: r for r in summary["hold_rates"]}
    assert f"| Hispanic | {hr['hispanic']['holds_per_1000_bookings']:,.1f} |" in part
    assert "| booking to detainer |" in part  # latencies
    assert "FL: holds required" in part  # Florida's detainer law, from the law engine
    # the charts: inline SVG in HTML, the run's PNG linked from the Markdown
    assert f"]({'<'}{run_dir / 'funnel.png'}>)" in part
    html = to_html(report)
    sim_html = html[html.index('<section id="sec-simulation">') :]
    sim_html = sim_html[: sim_html.index("</section>")]
    assert sim_html.count("<svg") == 2 and "SYNTHETIC: per year, mean and 95% interval" in sim_html


def test_every_sentence_and_row_of_the_section_resolves(report: Report) -> None:
    refs = {r.n: r for r in report.references}
    assert set(refs) == set(range(1, len(refs) + 1))
    assert set(iter_cites(report)) <= set(refs)
    sec = _section(report)
    sim_report = dataclasses.replace(report, sections=[sec])
    sentences = sim_report.sentences()
    assert len(sentences) >= 8 and all(s.cites for s in sentences)
    used = set(iter_cites(sim_report))
    kinds = {refs[n].kind for n in used}
    assert {"simrun", "sim", "kb", "law", "ledger", "register"} <= kinds
    for n in used:
        ref = refs[n]
        assert ref.title.strip() and (ref.url or ref.location), ref
        if ref.kind == "sim":  # a calibration or parameter source of sim/params/*.yaml
            assert ref.url and ref.url.startswith("http") and ref.location
            assert ref.location.startswith("sharemap/sim/params/")
        if ref.kind == "simrun":
            assert ref.location and ref.location.endswith("summary.json") and "SYNTHETIC" in ref.title
    # the published figures cited are exactly those the parameter files give
    published = {r.url for t in load_targets() for r in t.references}
    published |= {r.url for p in load_params().params.values() for r in p.references}
    # issue 17: the birthplace split's sources (sim/params/birthplace.yaml) are parameter sources too
    from sharemap.sim.birthplace import load_birthplace

    published |= {s["url"] for s in load_birthplace().sources.values()}
    assert {refs[n].url for n in used if refs[n].kind == "sim"} <= published
    # every row of every table in the section cites the run itself
    run_ref = next(n for n in used if refs[n].kind == "simrun")
    for blk in sec.blocks:  # type: ignore[attr-defined]
        if hasattr(blk, "cites") and hasattr(blk, "rows"):
            assert all(run_ref in cs for cs in blk.cites)
    md = to_markdown(report)
    links = {int(n) for n in re.findall(r"\]\(#ref-(\d+)\)", md)}
    anchors = {int(n) for n in re.findall(r'<a id="ref-(\d+)"></a>', md)}
    assert links <= anchors


def test_no_run_no_section(ledger: duckdb.DuckDBPyConnection) -> None:
    r = build_report(ledger, resolve(ledger, county="12021"), DAY)
    assert "simulation" not in [s.id for s in r.sections]


def test_mismatched_place_is_refused(ledger: duckdb.DuckDBPyConnection, run_dir: Path) -> None:
    run = load_run(run_dir)
    summary = str(run_dir / "summary.json")
    with pytest.raises(InputError) as err:
        build_report(ledger, resolve(ledger, county="Harris County, TX"), DAY, sims=[run])
    text = str(err.value)
    assert summary in text and "simulated county 12021, not Harris County, TX" in text
    assert "--county 48201" in text
    for target in (resolve(ledger, state="FL"), resolve(ledger, nation=True)):
        with pytest.raises(InputError, match="simulated county 12021"):
            build_report(ledger, target, DAY, sims=[run])
    agency = resolve(ledger, agency="Canadian County Sheriff's Office", state="OK")
    with pytest.raises(InputError, match="not an agency"):
        build_report(ledger, agency, DAY, sims=[run])
    state_run = from_summary({**run.summary, "selection": "FL", "counties": 67}, "state-run/summary.json")
    with pytest.raises(InputError, match="simulated state FL, not Collier County"):
        build_report(ledger, resolve(ledger, county="12021"), DAY, sims=[state_run])


def test_malformed_folders(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder not found"):
        load_run(tmp_path / "missing")
    with pytest.raises(InputError) as err:
        load_run(tmp_path)
    assert str(tmp_path / "summary.json") in str(err.value) and "no summary.json" in str(err.value)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_run(bad)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    cases = {
        "label": ({**summary, "label": "simulation output"}, "does not say SYNTHETIC"),
        "stages": ({**summary, "stages": [s for s in summary["stages"] if s["stage"] != "holds"]}, "holds"),
        "hold_rates": ({k: v for k, v in summary.items() if k != "hold_rates"}, "hold_rates"),
        "replicates": ({**summary, "replicates": "three"}, "non-integer 'replicates'"),
    }
    for name, (data, msg) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(msg)) as err:
            load_run(folder)
        assert str(folder / "summary.json") in str(err.value) and "expected" in str(err.value)


def test_cli_report_with_sim(ledger_db: Path, run_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "again"
    shutil.copytree(run_dir, other)  # the same run twice: two subsections, two run references
    result = runner.invoke(
        app,
        ["report", "--county", "12021", "--date", "2026-11-24", "--db", str(ledger_db),
         "--sim", str(run_dir), "--sim", str(other)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "## Simulation outputs (SYNTHETIC people)" in result.output
    assert "_Run 1 of 2: scenario baseline_" in result.output and "_Run 2 of 2" in result.output
    bad = runner.invoke(
        app, ["report", "--county", "Harris County, TX", "--db", str(ledger_db), "--sim", str(run_dir)]
    )
    assert bad.exit_code == 2
    assert "summary.json" in bad.output and "not Harris County, TX" in bad.output
    missing = runner.invoke(app, ["report", "--nation", "--db", str(ledger_db), "--sim", str(tmp_path)])
    assert missing.exit_code == 2 and "no summary.json" in missing.output


def test_pdf_shows_the_section(report: Report) -> None:
    from sharemap.report.pdf import pdf_available

    ok, why = pdf_available()
    if not ok:
        pytest.skip(why)
    import weasyprint

    only = dataclasses.replace(report, sections=[_section(report)])  # the section alone: a quick PDF
    doc = weasyprint.HTML(string=to_html(only)).render()  # what to_pdf does: the same HTML, printed
    assert doc.write_pdf()[:5] == b"%PDF-"

    def walk(box: object) -> list[object]:
        out = [box]
        for child in getattr(box, "children", None) or []:
            out += walk(child)
        return out

    boxes = [b for page in doc.pages for b in walk(page._page_box)]
    text = " ".join(str(b.text) for b in boxes if hasattr(b, "text"))
    assert "Simulation outputs (SYNTHETIC people)" in text and "SYNTHETIC run of sharemap" in text
    assert sum(type(b).__name__.endswith("ReplacedBox") for b in boxes) == 2  # the two charts
