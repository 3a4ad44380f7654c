"""Simulation outputs in a report: a SYNTHETIC run of `sharemap sim run` for the report's place, cited.

A run comes from a folder written by `sharemap sim run ... --out DIR` (`load_run(DIR)` reads and checks
its `summary.json`; the PNG charts beside it are linked from the Markdown) or from a finished
background run of the web app (`from_summary(summary, source=...)`). `check_place` refuses a run made
for another place. `simulation_blocks` turns a run into report blocks: every sentence and table row
cites the run itself and the published figures behind the model - the calibration targets and sourced
parameters of `sharemap/sim/params/*.yaml`, the knowledge base's channels, ICE's list in the ledger,
the law provisions applied and the register of what the research did not find.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharemap.errors import InputError, NotFoundError
from sharemap.report.charts import hbars, interval_bars
from sharemap.report.model import Block, Bullets, Chart, Note, Para, Sentence, Table

if TYPE_CHECKING:
    from sharemap.kb.facts import KnowledgeBase
    from sharemap.kb.model import Place as Target
    from sharemap.law.engine import Law
    from sharemap.report.cite import Citations

SUMMARY = "summary.json"
CHART_FILES = ("funnel.png", "by_status.png", "by_birthplace.png", "hold_rates.png", "disclosures.png")
REQUIRED_STAGES = (
    "bookings",
    "ident_match",
    "flagged",
    "detainers",
    "holds",
    "notify_only",
    "declined",
    "transfers",
)
# key outputs: stage -> (label, parameter keys and calibration targets whose sources stand behind it,
# knowledge-base channels it travels through)
KEY_OUTPUTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "bookings": ("jail bookings", ("bookings.national_per_year",), (), ()),
    "ident_match": (
        "biometric matches in DHS IDENT",
        (),
        ("sc_match_rate",),
        ("chan.ngi_to_ident", "chan.ident_to_lesc"),
    ),
    "flagged": (
        "people flagged to ICE (IDENT or name check)",
        (),
        ("sc_match_rate",),
        ("chan.ident_to_lesc",),
    ),
    "detainers": (
        "detainers lodged",
        (),
        ("trac_fy2012_detainers", "detainers_2025_per_year"),
        ("chan.detainer_to_jail",),
    ),
    "holds": ("people held on a detainer", ("jail.hold_window_hours", "jail.default_honour"), (), ()),
    "notify_only": ("release notification only, no hold", ("jail.default_honour",), (), ()),
    "declined": ("detainers declined", ("jail.default_honour",), (), ()),
    "transfers": (
        "transfers to ICE custody",
        ("jail.hold_window_hours",),
        ("ice_pickup_share",),
        ("chan.detainer_hold_transfer",),
    ),
    "released_before_detainer": ("released before a detainer was lodged", ("jail.mean_stay_days",), (), ()),
    "jem_screened": ("287(g) jail screenings (JEM)", (), (), ("chan.jem_jail_screening",)),
    "field_checks": ("287(g) field status checks (TFM)", (), (), ("chan.tfm_field_arrest",)),
    "dmv_queries": ("ICE queries of driver records", ("dmv.ice_queries_per_year",), (), ()),
    "alpr_lookups": ("plate-reader lookups for ICE", ("alpr.immigration_lookups_per_year",), (), ()),
}
ALWAYS = frozenset(REQUIRED_STAGES) | {"released_before_detainer"}
STATUS_LABELS = {
    "us_born": "US-born citizens",
    "naturalised": "naturalised citizens",
    "derived": "derived citizens",
    "lpr": "permanent residents",
    "visa": "visa holders",
    "humanitarian": "humanitarian status (TPS, DACA, asylum pending)",
    "no_status": "no status",
}
STATUS_PARAMS = ("status.fb.naturalised", "status.fb.lpr", "status.fb.visa", "status.fb.unauthorized")
STATUS_TARGETS = {
    "us_born": ("trac_usc_share",),
    "naturalised": ("trac_usc_share",),
    "derived": ("trac_usc_share",),
    "lpr": ("trac_lpr_share",),
}
LATENCY_LABELS = {
    "booking_to_response": ("booking to IDENT/LESC response", ("chan.ident_to_lesc", "chan.lesc_to_ero")),
    "booking_to_detainer": ("booking to detainer", ("chan.detainer_to_jail",)),
    "detainer_to_pickup": ("hold to ICE pickup", ("chan.detainer_hold_transfer",)),
}


@dataclass(frozen=True)
class SimRun:
    """One SYNTHETIC run: its summary (as `sharemap.sim.run.summarise` writes it) and where it came from."""

    summary: Mapping[str, Any]
    source: str  # the summary.json path, or "web simulation run <id>"
    folder: Path | None = None
    charts: tuple[str, ...] = ()  # PNG charts found in the folder
    made: str | None = None  # when the run was written (summary.json's time) or held (web)

    @property
    def scenario(self) -> str:
        return str(self.summary["scenario"])

    def stage(self, name: str) -> Mapping[str, Any] | None:
        for r in self.summary["stages"]:
            if r["stage"] == name:
                return r
        return None


# --- reading and checking ---------------------------------------------------------------------------


def _fail(source: str, what: str, field: str | None, expected: str) -> InputError:
    return InputError(what, file=source, field=field, expected=expected)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _rows(s: Mapping[str, Any], key: str, need: Sequence[str], source: str) -> list[Mapping[str, Any]]:
    rows = s.get(key)
    if not isinstance(rows, list) or not rows:
        raise _fail(source, f"missing or empty '{key}'", key, f"a list of rows with {', '.join(need)}")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping) or any(k not in r for k in need):
            raise _fail(source, f"row {i} of '{key}' is incomplete", key, f"each row with {', '.join(need)}")
    return rows


def check_summary(summary: Any, source: str) -> dict[str, Any]:
    """Check a run summary has what the report needs; InputError naming the file and field otherwise."""
    if not isinstance(summary, Mapping):
        raise _fail(source, "not a JSON object", None, "the summary.json written by `sharemap sim run --out`")
    s = dict(summary)
    label = s.get("label")
    if not isinstance(label, str) or "SYNTHETIC" not in label:
        raise _fail(
            source, f"label {label!r} does not say SYNTHETIC", "label", "a SYNTHETIC simulation label"
        )
    for key in ("scenario", "selection"):
        if not isinstance(s.get(key), str) or not s[key]:
            raise _fail(source, f"missing '{key}'", key, "a non-empty string")
    for key in ("replicates", "seed", "counties"):
        if not isinstance(s.get(key), int) or isinstance(s.get(key), bool):
            raise _fail(source, f"missing or non-integer '{key}'", key, "an integer")
    if s["replicates"] < 1:
        raise _fail(source, f"replicates {s['replicates']}", "replicates", "at least 1")
    if not _number(s.get("years")):
        raise _fail(source, "missing 'years'", "years", "a number of simulated years")
    if not isinstance(s.get("agreements"), Mapping):
        raise _fail(source, "missing 'agreements'", "agreements", "where the 287(g) agreements came from")
    stages = _rows(s, "stages", ("stage", "mean", "ci_low", "ci_high"), source)
    have = {r["stage"] for r in stages}
    missing = [x for x in REQUIRED_STAGES if x not in have]
    if missing:
        raise _fail(
            source,
            f"stages missing: {', '.join(missing)}",
            "stages",
            "rows for " + ", ".join(REQUIRED_STAGES),
        )
    for r in stages:
        if not all(_number(r[k]) for k in ("mean", "ci_low", "ci_high")):
            raise _fail(source, f"stage {r['stage']!r} has a non-numeric value", "stages", "numbers")
    _rows(s, "by_status", ("stage", "status", "mean", "ci_low", "ci_high"), source)
    if "by_birthplace" in s:  # runs written before issue 17's birthplace split have none
        _rows(s, "by_birthplace", ("stage", "birthplace", "mean", "ci_low", "ci_high"), source)
    _rows(s, "hold_rates", ("ethnicity", "holds_per_1000_bookings", "ci_low", "ci_high"), source)
    _rows(s, "latencies", ("latency", "median", "p90"), source)
    _rows(s, "disclosures", ("event", "channel", "events", "ci_low", "ci_high", "data_elements"), source)
    if not isinstance(s.get("law", []), list):
        raise _fail(source, "'law' is not a list", "law", "the rulings applied per state")
    return s


def load_run(folder: str | Path) -> SimRun:
    """A run folder written by `sharemap sim run ... --out DIR`, checked."""
    p = Path(folder)
    if not p.is_dir():
        raise InputError(
            "simulation run folder not found",
            file=p,
            expected="a folder written by `sharemap sim run --out DIR`",
        )
    f = p / SUMMARY
    if not f.is_file():
        raise InputError(
            f"no {SUMMARY} in the simulation run folder",
            file=f,
            expected="a folder written by `sharemap sim run --out DIR` (summary.json, charts, README.md)",
        )
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=f, expected="the summary.json of a run") from exc
    summary = check_summary(data, str(f))
    charts = tuple(str(p / c) for c in CHART_FILES if (p / c).is_file())
    made = dt.datetime.fromtimestamp(f.stat().st_mtime, dt.UTC).date().isoformat()
    return SimRun(summary, str(f), p, charts, made)


def from_summary(summary: Mapping[str, Any], source: str, made: str | None = None) -> SimRun:
    """A run held in memory (the web app's background runs), checked."""
    return SimRun(check_summary(summary, source), source, made=made)


def run_place(run: SimRun) -> tuple[str, str]:
    """What the run simulated: ("county", FIPS), ("state", code) or ("nation", "US")."""
    sel = str(run.summary["selection"]).strip()
    if sel.lower() == "nation":
        return "nation", "US"
    if sel.isdigit():
        return "county", sel.zfill(5)
    if re.fullmatch(r"[A-Za-z]{2}", sel):
        return "state", sel.upper()
    from sharemap.ledger import geo

    try:
        return "county", geo.county_by_name(sel).fips
    except NotFoundError as exc:
        raise _fail(
            run.source, f"selection {sel!r} is not a place", "selection", "a county FIPS, a state or 'nation'"
        ) from exc


def check_place(run: SimRun, target: Target) -> None:
    """Refuse a run made for another place than the report's (the error names the run's file)."""
    if target.kind == "agency":
        raise _fail(
            run.source,
            f"simulation runs cover a county, a state or the nation, not an agency ({target.label})",
            "selection",
            "a county, state or nation report",
        )
    kind, key = run_place(run)
    if (kind, key) != (target.kind, target.key):
        want = {"county": f"county {target.key}", "state": f"state {target.key}", "nation": "'nation'"}[
            target.kind
        ]
        raise _fail(
            run.source,
            f"this run simulated {kind} {key}, not {target.label}",
            "selection",
            f"a run for {want} ({target.label}), made with `sharemap sim run "
            + {"county": f"--county {target.key}", "state": f"--state {target.key}", "nation": "--nation"}[
                target.kind
            ]
            + " --out DIR`",
        )
    if kind == "county" and run.summary["counties"] != 1:
        raise _fail(run.source, f"{run.summary['counties']} counties in a county run", "counties", "1")


# --- citing the model's sources ---------------------------------------------------------------------


class _Sources:
    """Numbers for the sources behind the simulator: sourced parameters and calibration targets."""

    def __init__(self, c: Citations) -> None:
        from sharemap.sim.params import load_params, load_targets

        self.c = c
        self.params = load_params()
        self.targets = {t.key: t for t in load_targets()}

    def param(self, key: str) -> tuple[int, ...]:
        p = self.params.params.get(key)
        if p is None:
            return ()
        return tuple(
            self.c.sim_source(r.title, r.url, f"sharemap/sim/params/{p.file}: {key}") for r in p.references
        )

    def target(self, key: str) -> tuple[int, ...]:
        t = self.targets.get(key)
        if t is None:
            return ()
        return tuple(
            self.c.sim_source(r.title, r.url, f"sharemap/sim/params/calibration.yaml: {key} ({t.period})")
            for r in t.references
        )

    def of(self, params: Iterable[str] = (), targets: Iterable[str] = ()) -> tuple[int, ...]:
        out: list[int] = []
        for k in params:
            out.extend(self.param(k))
        for k in targets:
            out.extend(self.target(k))
        return tuple(dict.fromkeys(out))


def _fmt(x: float | None) -> str:
    if x is None:
        return "not drawn"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"


def _ci(r: Mapping[str, Any], lo: str = "ci_low", hi: str = "ci_high") -> str:
    return f"{_fmt(r.get(lo))}–{_fmt(r.get(hi))}"


def _law_cites(c: Citations, law: Law, pid: str | None) -> tuple[int, ...]:
    if not pid:
        return ()
    prov = law.get(pid)
    return c.provision(prov) if prov is not None else ()


def simulation_blocks(
    c: Citations,
    kb: KnowledgeBase,
    law: Law,
    runs: Sequence[SimRun],
    target: Target,
    report_list: dt.date | None,
) -> list[Block]:
    """The report blocks for the given runs (all already checked against the target)."""
    if not runs:
        return []
    src = _Sources(c)
    blocks: list[Block] = [
        Note(
            "Everything in this section describes SYNTHETIC people made up by sharemap's simulator, "
            "not real individuals; the numbers are a model's numbers."
        )
    ]
    for i, run in enumerate(runs, start=1):
        blocks.extend(_run_blocks(c, kb, law, src, run, target, report_list, i, len(runs)))
    return blocks


def _channel_cites(c: Citations, kb: KnowledgeBase, ids: Iterable[str]) -> tuple[int, ...]:
    out: list[int] = []
    for cid in ids:
        ch = kb.channels.get(cid)
        if ch is not None:
            out.extend(c.kb_sources(ch.sources))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class _Run:
    """What every block of one run's part of the section needs."""

    c: Citations
    kb: KnowledgeBase
    law: Law
    src: _Sources
    run: SimRun
    target: Target
    report_list: dt.date | None
    run_ref: int
    law_cites: tuple[int, ...]

    def stage_cites(self, name: str) -> tuple[int, ...]:
        _, params, targets, chans = KEY_OUTPUTS[name]
        extra: tuple[int, ...] = self.law_cites if name in ("holds", "notify_only", "declined") else ()
        return (self.run_ref, *self.src.of(params, targets), *_channel_cites(self.c, self.kb, chans), *extra)


def _run_blocks(
    c: Citations,
    kb: KnowledgeBase,
    law: Law,
    src: _Sources,
    run: SimRun,
    target: Target,
    report_list: dt.date | None,
    i: int,
    n: int,
) -> list[Block]:
    """One run's blocks, in named steps: the run and its inputs, key outputs, by status, by birthplace,
    hold rates by ethnicity, latencies, disclosures and the law applied."""
    x = _Run(c, kb, law, src, run, target, report_list, c.sim_run(run), ())
    out, law_cites = _intro_blocks(x, i, n)
    x = dataclasses.replace(x, law_cites=tuple(law_cites))
    steps = (
        _key_output_blocks,
        _status_blocks,
        _birthplace_blocks,
        _hold_rate_blocks,
        _latency_blocks,
        _disclosure_blocks,
    )
    for step in steps:
        out.extend(step(x))
    return out


def _intro_blocks(x: _Run, i: int, n: int) -> tuple[list[Block], list[int]]:
    """The run: scenario, ICE's list, the population and calibration sources it rests on."""
    c, law, src, run, target, report_list = x.c, x.law, x.src, x.run, x.target, x.report_list
    s, run_ref = run.summary, x.run_ref
    out: list[Block] = []
    out.append(Note(f"Run {i} of {n}: scenario {s['scenario']}" if n > 1 else f"Scenario {s['scenario']}:"))
    ag = s.get("agreements") or {}
    list_date = ag.get("ice_list_date")
    ld = dt.date.fromisoformat(list_date) if isinstance(list_date, str) else None
    law_rows = [r for r in s.get("law") or [] if isinstance(r, Mapping)]
    law_cites: list[int] = []
    for r in law_rows:
        law_cites.extend(_law_cites(c, law, r.get("provision")))
    sentences: list[Sentence] = [
        c.sentence(
            f"SYNTHETIC run of sharemap's simulator for {target.label}: scenario {s['scenario']} "
            f"({str(s.get('scenario_description') or '').strip().rstrip('.')}), {s['years']:g} simulated "
            f"year(s), seed {s['seed']}, {s['replicates']} replicates; intervals are the "
            f"{s.get('interval') or 'replicate spread'}.",
            run_ref,
        )
    ]
    if ag.get("source") == "ledger" and ld is not None:
        sentences.append(
            c.sentence(
                f"Its 287(g) agreements come from ICE's list of {ld.isoformat()} as held in the ledger "
                f"({ag.get('agreements_on_list') or 0:,} agreements on the list), and the jail's response to "
                f"detainers from state law on {s.get('scenario_date') or ld.isoformat()}.",
                run_ref,
                c.ice_list(ld),
                law_cites,
            )
        )
        if report_list is not None and report_list != ld:
            sentences.append(
                c.sentence(
                    f"This report's date uses ICE's list of {report_list.isoformat()}, so the agreements in "
                    "force above can differ from those the run used.",
                    c.ice_list(report_list),
                    c.ice_list(ld),
                )
            )
    else:
        sentences.append(
            c.sentence(
                "The run took no 287(g) agreements from an ICE list in the ledger (scenario levers only).",
                run_ref,
            )
        )
    bookings_p = src.params.params.get("bookings.national_per_year")
    pop_cites = src.of(("bookings.national_per_year", *STATUS_PARAMS))
    if bookings_p is not None and pop_cites:
        sentences.append(
            c.sentence(
                f"The model spreads the national figure of {src.params['bookings.national_per_year']:,.0f} "
                "jail admissions a year over counties by population and splits the foreign-born by "
                "Pew's national 2022 status shares.",
                pop_cites,
            )
        )
    fitted = [t for t in src.targets.values() if t.fit]
    sentences.append(
        c.sentence(
            f"Its free parameters are fitted to {len(fitted)} published figures (the calibration targets "
            "cited here); many other inputs are named placeholders, listed by `sharemap sim params`.",
            src.of(targets=[t.key for t in fitted]),
        )
    )
    out.append(Para(tuple(sentences)))
    return out, law_cites


def _key_output_blocks(x: _Run) -> list[Block]:
    """Key outputs of the run: detainers, holds, declined, transfers (sentence, table, chart)."""
    c, run, s, run_ref, target = x.c, x.run, x.run.summary, x.run_ref, x.target
    out: list[Block] = []

    d, h, dec, tr = (run.stage(x) for x in ("detainers", "holds", "declined", "transfers"))
    assert d and h and dec and tr
    out.append(
        Para(
            (
                c.sentence(
                    f"Per simulated year the run gives {_fmt(d['mean'])} detainers (95% interval {_ci(d)}), "
                    f"{_fmt(h['mean'])} people held on them ({_ci(h)}), {_fmt(dec['mean'])} declined "
                    f"({_ci(dec)}) and {_fmt(tr['mean'])} transfers to ICE custody ({_ci(tr)}).",
                    *(x.stage_cites(k) for k in ("detainers", "holds", "declined", "transfers")),
                ),
            )
        )
    )
    rows: list[tuple[str, ...]] = []
    cites: list[tuple[int, ...]] = []
    for name, (label, *_rest) in KEY_OUTPUTS.items():
        got = run.stage(name)
        if got is None or (name not in ALWAYS and not got["mean"]):
            continue
        rows.append((label, _fmt(got["mean"]), _ci(got)))
        cites.append(tuple(dict.fromkeys(x.stage_cites(name))))
    out.append(
        Table(
            ("SYNTHETIC output, per year", "mean", "95% interval"),
            tuple(rows),
            tuple(cites),
            caption=f"Key outputs of the SYNTHETIC run (scenario {s['scenario']}, seed {s['seed']}, "
            f"{s['replicates']} replicates)",
        )
    )
    chart_rows = [(label, run.stage(name)) for name, (label, *_r) in KEY_OUTPUTS.items() if name in ALWAYS]
    out.append(
        Chart(
            interval_bars(
                [
                    (lab, float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]))
                    for lab, r in chart_rows
                    if r
                ],
                f"SYNTHETIC: per year, mean and 95% interval - {target.label}, scenario {s['scenario']}",
            ),
            c.sentence(
                f"Mean per simulated year and 95% interval over {s['replicates']} replicates at each stage "
                "of the SYNTHETIC run.",
                run_ref,
            ),
            "bar chart of SYNTHETIC counts by stage with intervals",
            images=run.charts[:1],
        )
    )
    return out


def _status_blocks(x: _Run) -> list[Block]:
    """People flagged, detained and held, by status."""
    c, src, run, s, run_ref, target = x.c, x.src, x.run, x.run.summary, x.run_ref, x.target
    out: list[Block] = []
    by = {(r["stage"], r["status"]): r for r in s["by_status"]}
    statuses = list(dict.fromkeys(r["status"] for r in s["by_status"]))
    rows, cites = [], []
    for st in statuses:
        f, dt_, hd = by.get(("flagged", st)), by.get(("detainers", st)), by.get(("holds", st))
        if f is None or dt_ is None:
            continue
        rows.append(
            (
                STATUS_LABELS.get(st, st),
                f"{_fmt(f['mean'])} ({_ci(f)})",
                f"{_fmt(dt_['mean'])} ({_ci(dt_)})",
                f"{_fmt(hd['mean'])} ({_ci(hd)})" if hd else "not given",
            )
        )
        cites.append(tuple(dict.fromkeys((run_ref, *src.of(STATUS_PARAMS, STATUS_TARGETS.get(st, ()))))))
    citizens = [by.get(("flagged", x)) for x in ("us_born", "naturalised", "derived")]
    cit_det = [by.get(("detainers", x)) for x in ("us_born", "naturalised", "derived")]
    if rows and all(citizens) and all(cit_det):
        out.append(
            Para(
                (
                    c.sentence(
                        f"The run flags {_fmt(sum(float(x['mean']) for x in citizens if x))} citizens a year "
                        "(US-born, naturalised or derived; most through biometric records kept in IDENT) "
                        f"and lodges {_fmt(sum(float(x['mean']) for x in cit_det if x))} detainers on "
                        "citizens.",
                        run_ref,
                        src.of(("status.fb.naturalised",), ("trac_usc_share", "sc_match_rate")),
                    ),
                )
            )
        )
    if rows:
        out.append(
            Table(
                ("status", "flagged (95% interval)", "detainers", "holds"),
                tuple(rows),
                tuple(cites),
                caption="SYNTHETIC people flagged, detained and held per year, by status",
            )
        )
        items = [
            (STATUS_LABELS.get(st, st), float(by[("flagged", st)]["mean"]))
            for st in statuses
            if ("flagged", st) in by
        ]
        out.append(
            Chart(
                hbars(
                    items,
                    f"SYNTHETIC: people flagged (blue) and detainers (orange) per year, by status - "
                    f"{target.label}",
                    second=[
                        float(by[("detainers", st)]["mean"]) if ("detainers", st) in by else 0.0
                        for st in statuses
                        if ("flagged", st) in by
                    ],
                    legend=("flagged", "detainers"),
                ),
                c.sentence(
                    "SYNTHETIC people flagged and detainers lodged per year, by immigration or "
                    "citizenship status.",
                    run_ref,
                    src.of(STATUS_PARAMS),
                ),
                "bar chart of SYNTHETIC people flagged and detained by status",
                images=tuple(x for x in run.charts if x.endswith("by_status.png")),
            )
        )
    return out


BIRTHPLACE_LABELS = {
    "us": "United States",
    "mexico": "Mexico",
    "guatemala": "Guatemala",
    "honduras": "Honduras",
    "el_salvador": "El Salvador",
    "other_lac": "other Latin America and Caribbean",
    "asia": "Asia",
    "europe": "Europe",
    "africa": "Africa",
    "other": "other",
}


def _birthplace_cites(c: Citations, states: Iterable[str]) -> tuple[int, ...]:
    """The published figures behind the birthplace split: the national shares and each state's own."""
    from sharemap.sim.birthplace import BIRTHPLACE_FILE, NATIONAL_SOURCES, load_birthplace

    table = load_birthplace()
    keys = list(NATIONAL_SOURCES)
    keys += [f.source for st, f in table.mexico_by_state.items() if st in set(states) and f.source]
    out = []
    for k in dict.fromkeys(keys):
        src = table.sources[k]
        out.append(c.sim_source(src["title"], src["url"], f"sharemap/sim/params/{BIRTHPLACE_FILE.name}: {k}"))
    return tuple(out)


def _birthplace_blocks(x: _Run) -> list[Block]:
    """People flagged, detained and held, by birthplace group, and which states use the national shares."""
    c, s, run_ref = x.c, x.run.summary, x.run_ref
    rows_in = [r for r in s.get("by_birthplace") or [] if isinstance(r, Mapping)]
    if not rows_in:
        return []
    srcs = [b for b in s.get("birthplace_sources") or [] if isinstance(b, Mapping)]
    cites = (run_ref, *_birthplace_cites(c, [str(b.get("state")) for b in srcs]))
    by = {(r["stage"], r["birthplace"]): r for r in rows_in}
    rows = []
    for g in dict.fromkeys(r["birthplace"] for r in rows_in):
        cells = [by.get((k, g)) for k in ("flagged", "detainers", "holds")]
        rows.append(
            (
                BIRTHPLACE_LABELS.get(g, g),
                *(f"{_fmt(r['mean'])} ({_ci(r)})" if r else "not given" for r in cells),
            )
        )
    fallback = [str(b.get("state")) for b in srcs if b.get("fallback")]
    sourced = [str(b.get("state")) for b in srcs if not b.get("fallback")]
    text = (
        "The run splits each simulated count by birthplace with the shares of its status and ethnicity in "
        "the county's state: published national shares of unauthorized immigrants by country of birth and "
        "of all foreign-born residents by region of birth"
        + (
            f", with a state share of Mexicans among unauthorized immigrants for {', '.join(sourced)}"
            if sourced
            else ""
        )
        + (f"; {len(fallback)} state(s) here use the national shares (a fallback)" if fallback else "")
        + ". The intervals include the noise of the simulated counts, not of the split."
    )
    return [
        Para((c.sentence(text, cites),)),
        Table(
            ("birthplace", "flagged (95% interval)", "detainers", "holds"),
            tuple(rows),
            tuple(cites for _ in rows),
            caption="SYNTHETIC people flagged, detained and held per year, by birthplace",
        ),
    ]


def _hold_rate_blocks(x: _Run) -> list[Block]:
    """Holds per 1,000 bookings by ethnicity."""
    src, s, run_ref = x.src, x.run.summary, x.run_ref
    out: list[Block] = []
    rows, cites = [], []
    for r in s["hold_rates"]:
        rows.append(
            (
                str(r["ethnicity"]).replace("_", " ").replace("hispanic", "Hispanic"),
                f"{float(r['holds_per_1000_bookings']):,.1f}",
                f"{float(r['ci_low']):,.1f}–{float(r['ci_high']):,.1f}",
            )
        )
        cites.append(tuple(dict.fromkeys((run_ref, *src.of(targets=("pierce_hold_rate",))))))
    out.append(
        Table(
            ("ethnicity", "holds per 1,000 bookings", "95% interval"),
            tuple(rows),
            tuple(cites),
            caption="SYNTHETIC hold rates by ethnicity",
        )
    )
    out.append(
        Note(
            "The gap between the hold rates follows from the model's assumptions (who is booked, who has "
            "status); it is not an observed difference."
        )
    )
    return out


def _latency_blocks(x: _Run) -> list[Block]:
    """Latencies (medians and 90th percentiles) and the timings not found in the research."""
    c, kb, src, s, run_ref = x.c, x.kb, x.src, x.run.summary, x.run_ref
    out: list[Block] = []
    reg = c.not_found_register()
    rows, cites = [], []
    for r in s["latencies"]:
        name = str(r["latency"])
        label, chans = LATENCY_LABELS.get(name, (name.replace("_", " "), ()))
        rows.append(
            (
                label,
                f"{_fmt(r.get('median'))} ({_ci(r, 'median_ci_low', 'median_ci_high')})"
                if r.get("median") is not None
                else "not drawn",
                f"{_fmt(r.get('p90'))} ({_ci(r, 'p90_ci_low', 'p90_ci_high')})"
                if r.get("p90") is not None
                else "not drawn",
            )
        )
        extra = src.of(("jail.hold_window_hours",)) if name == "detainer_to_pickup" else ()
        cites.append(tuple(dict.fromkeys((run_ref, reg, *_channel_cites(c, kb, chans), *extra))))
    out.append(
        Para(
            (
                c.sentence(
                    "The sources give no distribution of the time from booking to detainer and no end-to-end "
                    "IDENT-to-ICE latency, so the simulated latencies rest on placeholders.",
                    reg,
                    _channel_cites(c, kb, ("chan.ident_to_lesc", "chan.detainer_to_jail")),
                ),
            )
        )
    )
    out.append(
        Table(
            ("SYNTHETIC latency", "median hours (95% interval)", "90th percentile hours"),
            tuple(rows),
            tuple(cites),
            caption="SYNTHETIC latencies",
        )
    )
    return out


def _disclosure_blocks(x: _Run) -> list[Block]:
    """Disclosures per channel, and the law applied per state."""
    law_rows = [r for r in x.run.summary.get("law") or [] if isinstance(r, Mapping)]
    c, kb, law, src, s, run_ref = x.c, x.kb, x.law, x.src, x.run.summary, x.run_ref
    out: list[Block] = []
    rows, cites = [], []
    for r in s["disclosures"]:
        if not r["events"]:
            continue
        ids = [x.strip() for x in str(r["channel"]).split(">")]
        names = " → ".join(kb.channels[x].name if x in kb.channels else x for x in ids)
        rows.append((names, f"{_fmt(r['events'])} ({_ci(r)})", str(len(r["data_elements"]))))
        cites.append(tuple(dict.fromkeys((run_ref, *_channel_cites(c, kb, ids)))))
    if rows:
        out.append(
            Table(
                ("channel", "SYNTHETIC disclosures per year (95% interval)", "data elements"),
                tuple(rows),
                tuple(cites),
                caption="SYNTHETIC disclosures per channel (channels and data elements: knowledge base)",
            )
        )

    # the law applied
    law_items: list[Sentence] = []
    for r in law_rows:
        pc = _law_cites(c, law, r.get("provision"))
        if not pc:
            pc = src.of(("jail.hold_window_hours",))
        what = r.get("citation") or "federal 8 CFR 287.7 only"
        law_items.append(
            c.sentence(
                f"{r.get('state')}: holds {r.get('hold')}, release notification {r.get('notify')} in the run "
                f"({what}).",
                run_ref,
                pc,
            )
        )
    if law_items:
        if len(law_items) > 12:
            out.append(Note(f"Jail response to detainers applied in the run, {len(law_items)} states:"))
        out.append(Bullets(tuple(law_items)))
    return out
