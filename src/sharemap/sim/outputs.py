"""Write a run's outputs: Parquet tables, a JSON summary, Altair charts (PNG and Vega-Lite JSON), a README.

Every table carries the label SYNTHETIC in its schema metadata and every chart in its title.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sharemap.sim.ledger import aggregate_table, event_counts
from sharemap.sim.pipeline import STAGES
from sharemap.sim.run import RunResult, ci

FUNNEL = (
    "bookings",
    "ident_match",
    "flagged",
    "ero_decided",
    "detainers",
    "holds",
    "notify_only",
    "declined",
    "pickups",
    "released_after_detainer",
)


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    t = pa.Table.from_pylist(
        [{k: (json.dumps(v) if isinstance(v, list) else v) for k, v in r.items()} for r in rows]
    )
    return t.replace_schema_metadata({"synthetic": "true", "note": "SYNTHETIC simulation output"})


def _save(chart: alt.Chart, path: Path) -> list[Path]:
    spec = path.with_suffix(".vl.json")
    spec.write_text(chart.to_json(), encoding="utf-8")
    out = [spec]
    try:
        import vl_convert as vlc

        path.with_suffix(".png").write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.5))
        out.append(path.with_suffix(".png"))
    except Exception:
        pass
    return out


def charts(summary: dict[str, Any], outdir: Path) -> list[Path]:
    where = f"{summary['selection']}, scenario {summary['scenario']}"
    files: list[Path] = []
    stages = [s for s in summary["stages"] if s["stage"] in FUNNEL]
    base = alt.Chart(alt.Data(values=stages)).encode(y=alt.Y("stage:N", sort=list(FUNNEL), title=None))
    funnel = (
        base.mark_bar().encode(
            x=alt.X("mean:Q", title="people per year (mean of replicates)", scale=alt.Scale(type="symlog"))
        )
        + base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q")
    ).properties(title=f"SYNTHETIC pipeline counts - {where}", width=480, height=260)
    files += _save(funnel, outdir / "funnel")
    flagged = [r for r in summary["by_status"] if r["stage"] in ("flagged", "detainers", "holds")]
    st = (
        alt.Chart(alt.Data(values=flagged))
        .mark_bar()
        .encode(
            x=alt.X("mean:Q", title="people per year"),
            y=alt.Y("status:N", title=None),
            color="stage:N",
            yOffset="stage:N",
        )
        .properties(
            title=f"SYNTHETIC people flagged, detained and held by status - {where}", width=480, height=300
        )
    )
    files += _save(st, outdir / "by_status")
    files += _save(_birthplace_chart(summary, where), outdir / "by_birthplace")
    hr = (
        alt.Chart(alt.Data(values=summary["hold_rates"]))
        .mark_bar()
        .encode(
            x=alt.X("holds_per_1000_bookings:Q", title="holds per 1,000 bookings"),
            y=alt.Y("ethnicity:N", title=None),
        )
        .properties(title=f"SYNTHETIC hold rate by ethnicity - {where}", width=480, height=120)
    )
    files += _save(hr, outdir / "hold_rates")
    disc = [
        {"channel": d["channel"], "event": d["event"], "events": d["events"]}
        for d in summary["disclosures"]
        if d["events"] > 0
    ]
    dc = (
        alt.Chart(alt.Data(values=disc))
        .mark_bar()
        .encode(
            x=alt.X("events:Q", title="disclosure events per year", scale=alt.Scale(type="symlog")),
            y=alt.Y("event:N", title=None),
            color="channel:N",
        )
        .properties(title=f"SYNTHETIC disclosures by channel - {where}", width=480, height=260)
    )
    files += _save(dc, outdir / "disclosures")
    return files


def _birthplace_chart(summary: dict[str, Any], where: str) -> alt.Chart:
    """Flagged, detained and held by birthplace group (the expected split of the simulated counts)."""
    rows = [r for r in summary.get("by_birthplace", []) if r["stage"] in ("flagged", "detainers", "holds")]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("mean:Q", title="people per year"),
            y=alt.Y("birthplace:N", title=None, sort=list(dict.fromkeys(r["birthplace"] for r in rows))),
            color="stage:N",
            yOffset="stage:N",
        )
        .properties(
            title=f"SYNTHETIC people flagged, detained and held by birthplace - {where}",
            width=480,
            height=320,
        )
    )


def _birthplace_lines(s: dict[str, Any]) -> list[str]:
    """The README's by-birthplace table and the sources of each state's split."""
    if not s.get("by_birthplace"):
        return []
    keys = ("bookings", "flagged", "detainers", "holds", "transfers")
    by = {(r["stage"], r["birthplace"]): r for r in s["by_birthplace"]}
    lines = [
        "",
        "## By birthplace",
        "",
        "Each simulated count split by P(birthplace | status, ethnicity) in the county's state",
        "(`params/birthplace.yaml`); intervals include the counts' noise, not the noise of the split.",
        "",
        "| birthplace | " + " | ".join(keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for g in dict.fromkeys(r["birthplace"] for r in s["by_birthplace"]):
        lines.append(
            f"| {g} | "
            + " | ".join(
                f"{_fmt(by[(k, g)]['mean'])} ({_fmt(by[(k, g)]['ci_low'])} - {_fmt(by[(k, g)]['ci_high'])})"
                for k in keys
            )
            + " |"
        )
    lines += ["", "Birthplace shares per state:", ""]
    lines += [f"- {b['source']}" for b in s.get("birthplace_sources", [])]
    return lines


def write_outputs(res: RunResult, summary: dict[str, Any], outdir: Path) -> list[Path]:
    """Write Parquet tables, summary.json, charts and README.md for one run into `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = []
    for name in (
        "stages",
        "by_status",
        "by_ethnicity",
        "by_birthplace",
        "hold_rates",
        "latencies",
        "disclosures",
    ):
        p = outdir / f"{name}.parquet"
        pq.write_table(_table(summary[name]), p)
        files.append(p)
    m, lo, hi = ci(res.county)
    counties_rows = [
        {
            "county_fips": str(f),
            "stage": s,
            "mean": float(m[i, j]),
            "ci_low": float(lo[i, j]),
            "ci_high": float(hi[i, j]),
        }
        for i, f in enumerate(res.fips)
        for j, s in enumerate(STAGES)
        if m[i, j] > 0
    ]
    pq.write_table(_table(counties_rows), outdir / "counties.parquet")
    files.append(outdir / "counties.parquet")
    ev = np.stack([event_counts(res.county[r], STAGES) for r in range(res.replicates)])
    em, elo, ehi = ci(ev)
    pq.write_table(aggregate_table(res.fips, em, elo, ehi), outdir / "disclosure_ledger.parquet")
    files.append(outdir / "disclosure_ledger.parquet")
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    files.append(outdir / "summary.json")
    files += charts(summary, outdir)
    (outdir / "README.md").write_text(markdown(summary), encoding="utf-8")
    files.append(outdir / "README.md")
    return files


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _agreements_line(s: dict[str, Any]) -> str:
    """Where the 287(g) agreements came from (the ledger's list and its date), in one sentence."""
    ag = s.get("agreements") or {}
    date = f" on {s['scenario_date']}" if s.get("scenario_date") else ""
    if ag.get("source") != "ledger":
        return f"287(g) agreements: none from the ledger (scenario levers only); state law{date}."
    if not ag.get("ice_list_date"):
        return (
            f"287(g) agreements: no ICE list in the ledger on or before the scenario date; state law{date}."
        )
    counts = ", ".join(f"{m} {n}" for m, n in (ag.get("counties_with") or {}).items())
    return (
        f"287(g) agreements: the ledger's copy of ICE's list of {ag['ice_list_date']} "
        f"(`{ag.get('snapshot_id')}`, {ag.get('agreements_on_list')} agreements; counties here with "
        f"{counts}; before scenario levers); statewide agencies' Task Force agreements count in every "
        f"county of their state, their JEM and WSO agreements do not. State law{date}."
    )


def _header(s: dict[str, Any]) -> list[str]:
    """Title, run, what the intervals include, the scenario, the regime and the 287(g) agreements."""
    includes = "; ".join(s.get("interval_includes") or [])
    return [
        f"# SYNTHETIC simulation: {s['selection']} - scenario `{s['scenario']}`",
        "",
        f"{s['label']}. {s['counties']} counties, {s['years']} year(s), "
        f"{s['replicates']} replicates, seed {s['seed']}. "
        f"Intervals: {s['interval']}" + (f"; they include {includes}" if includes else "") + ".",
        "",
        f"Scenario: {s['scenario_description']}"
        + (f" Enforcement regime: `{s['regime']}` (params/regimes.yaml)." if s.get("regime") else ""),
        "",
        _agreements_line(s),
        "",
    ]


def markdown(summary: dict[str, Any]) -> str:
    s = summary
    lines = [
        *_header(s),
        "## Counts at every stage (per run)",
        "",
        "| stage | mean | 95% interval |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['stage']} | {_fmt(r['mean'])} | {_fmt(r['ci_low'])} - {_fmt(r['ci_high'])} |"
        for r in s["stages"]
    ]
    lines += [
        "",
        "## People flagged, detained and held, by status",
        "",
        "`flagged`: IDENT match or name-check match. `name_false_match`: a name-only check matched",
        "the record of someone else.",
        "",
        "| status | flagged | name_false_match | detainers | holds | transfers |",
        "|---|---|---|---|---|---|",
    ]
    by = {(r["stage"], r["status"]): r for r in s["by_status"]}
    keys = ("flagged", "name_false_match", "detainers", "holds", "transfers")
    for st in dict.fromkeys(r["status"] for r in s["by_status"]):
        lines.append(f"| {st} | " + " | ".join(_fmt(by[(k, st)]["mean"]) for k in keys) + " |")
    lines += [
        "",
        "## By ethnicity",
        "",
        "| ethnicity | flagged | detainers | holds | holds per 1,000 bookings |",
        "|---|---|---|---|---|",
    ]
    be = {(r["stage"], r["ethnicity"]): r for r in s["by_ethnicity"]}
    hr = {r["ethnicity"]: r for r in s["hold_rates"]}
    for e in dict.fromkeys(r["ethnicity"] for r in s["by_ethnicity"]):
        h = hr[e]
        lines.append(
            f"| {e} | {_fmt(be[('flagged', e)]['mean'])} | {_fmt(be[('detainers', e)]['mean'])} "
            f"| {_fmt(be[('holds', e)]['mean'])} "
            f"| {h['holds_per_1000_bookings']:.2f} ({h['ci_low']:.2f} - {h['ci_high']:.2f}) |"
        )
    lines += _birthplace_lines(s)
    lines += ["", "## Latencies (hours)", "", "| latency | median | 90th percentile |", "|---|---|---|"]
    for r in s["latencies"]:
        lines.append(f"| {r['latency']} | {_fmt(r.get('median'))} | {_fmt(r.get('p90'))} |")
    lines += [
        "",
        "## Disclosures per channel",
        "",
        "| event | channel | sender -> recipient | events | data elements |",
        "|---|---|---|---|---|",
    ]
    for d in s["disclosures"]:
        lines.append(
            f"| {d['event']} | `{d['channel']}` | {d['sender']} -> {d['recipient']} | {_fmt(d['events'])} "
            f"| {', '.join(d['data_elements'])} |"
        )
    if s.get("law"):
        lines += ["", "## Jail response to detainers: the law applied", ""]
        for r in s["law"]:
            lines.append(
                f"- {r['state']}: hold {r['hold']}, notify {r['notify']} - "
                f"{r['provision'] or 'no state provision'} "
                f"({r['citation'] or 'federal 8 CFR 287.7 only'}; from the {r['source']})"
            )
    lines += [
        "",
        "Charts: funnel.png, by_status.png, by_birthplace.png, hold_rates.png, disclosures.png. "
        "Tables: *.parquet.",
        "",
    ]
    return "\n".join(lines)
