"""`sharemap sim ...`: run, compare, calibrate, fit-errors, des (one county at event level), params.

Every run simulates SYNTHETIC people; every output says so. The 287(g) agreements come from the ledger
database (`--db`, as for the ledger commands; `sharemap build` makes it) on the scenario's date, or on
ICE's latest list when the scenario names no date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from sharemap.cli.common import JsonOption, command, console, print_json, table
from sharemap.cli.ledger import DbOption
from sharemap.errors import InputError

sim_app = typer.Typer(
    help="Digital twin of the identity-check pipeline (SYNTHETIC people).", no_args_is_help=True
)

CountyOpt = typer.Option(None, "--county", help="County FIPS code or 'Name County, ST'.")
StateOpt = typer.Option(None, "--state", help="Two-letter state code.")
NationOpt = typer.Option(False, "--nation", help="Every county.")
ScenarioOpt = typer.Option(
    None, "--scenario", help="Scenario YAML file or a shipped scenario name (default: baseline)."
)
YearsOpt = typer.Option(1.0, "--years", help="Simulated years per replicate.")
RepsOpt = typer.Option(10, "--replicates", help="Replicates (for confidence intervals).")
SeedOpt = typer.Option(0, "--seed", help="Seed of the SeedSequence all task streams come from.")
EngineOpt = typer.Option("local", "--engine", help="local (processes), serial or ray.")
AddressOpt = typer.Option(None, "--address", help="Ray cluster address (with --engine ray).")
WorkersOpt = typer.Option(None, "--workers", help="Processes or Ray CPUs (default: all cores).")
BookingsOpt = typer.Option(None, "--bookings", help="Your own county bookings CSV (fips, bookings_per_year).")


def register(app: typer.Typer) -> None:
    """Attach the `sim` command group to the top-level app."""
    app.add_typer(sim_app, name="sim")


def _where(county: str | None, state: str | None, nation: bool) -> tuple[str | None, str | None]:
    if sum(bool(x) for x in (county, state, nation)) != 1:
        raise InputError("choose exactly one of --county, --state or --nation", field="selection")
    return county, state


def _scenario(path: str | None) -> Any:
    from sharemap.sim.counties import counties
    from sharemap.sim.scenarios import Scenario, load_scenario

    if not path:
        return Scenario()
    return load_scenario(path, known_fips=set(map(str, counties().fips)))


def _agreements(scenario: Any, db: Path | None) -> Any:
    """The ledger's 287(g) models per county on the scenario's date (None if the scenario takes none)."""
    from sharemap.sim.agreements import ledger_agreements

    return ledger_agreements(db, scenario.date) if scenario.agreements_source == "ledger" else None


def _simulate(
    scenario: Any,
    county: str | None,
    state: str | None,
    years: float,
    replicates: int,
    seed: int,
    engine: str,
    address: str | None,
    workers: int | None,
    bookings: Path | None,
    quiet: bool,
    db: Path | None,
    uncertainty: bool = False,
) -> Any:
    from sharemap.sim.counties import counties, select
    from sharemap.sim.params import check_replicates, check_seed, check_years
    from sharemap.sim.run import COUNTY_BATCH, read_bookings_file, simulate

    # the user's own input (--years nan / inf / 1e9, --replicates, --seed, --engine, the bookings file)
    # is checked before the ledger database is opened, so its error is the one reported
    years, replicates, seed = check_years(years), check_replicates(replicates), check_seed(seed)
    if engine not in ("local", "serial", "ray"):
        raise InputError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")
    book = read_bookings_file(bookings, set(map(str, counties().fips))) if bookings else None
    agreements = _agreements(scenario, db)
    n_counties = len(select(counties(), county=county, state=state))
    n_tasks = -(-n_counties // COUNTY_BATCH) * -(-replicates // 10)
    with Progress(console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task(
            f"Simulating {scenario.name}: {n_counties} counties x {replicates} replicates", total=n_tasks
        )
        return simulate(
            scenario,
            county=county,
            state=state,
            years=years,
            replicates=replicates,
            seed=seed,
            engine=engine,  # type: ignore[arg-type]
            address=address,
            workers=workers,
            bookings=book,
            on_done=lambda n: progress.advance(task, n),
            agreements=agreements,
            parameter_uncertainty=uncertainty,
        )


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"not a calendar date: {text[:40]!r}", field=option, expected="YYYY-MM-DD") from None


def _with_period(sc: Any, start: str | None, end: str | None, regime: str | None) -> Any:
    """The scenario with the command line's period and regime (they win over the file's), checked."""
    from dataclasses import replace

    from sharemap.sim.regimes import check_period, load_regimes

    if (start is None) != (end is None):
        raise InputError(
            "a period needs both --from and --to", field="--from", expected="--from DATE --to DATE"
        )
    if start is not None and end is not None:
        sc = replace(sc, start=_day(start, "--from"), end=_day(end, "--to"))
    if regime is not None:
        load_regimes().get(regime, "<command line>", "--regime")
        sc = replace(sc, regime=regime)
    if sc.start is not None:
        check_period(sc.start, sc.end, sc.regime, "<command line>" if start else sc.file)
    return sc


def _run_period(
    sc: Any,
    county: str | None,
    state: str | None,
    replicates: int,
    seed: int,
    engine: str,
    address: str | None,
    workers: int | None,
    uncertainty: bool,
    out: Path | None,
    db: Path | None,
    json_out: bool,
) -> None:
    """`sim run --from --to`: one run per year and regime slice, a table per year."""
    from sharemap.sim.params import check_replicates, check_seed
    from sharemap.sim.period import simulate_period, summarise_period

    replicates, seed = check_replicates(replicates), check_seed(seed)
    if engine not in ("local", "serial", "ray"):
        raise InputError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")
    with console.status("Simulating the period", spinner="dots") if not json_out else _null():
        where = {"county": county, "state": state, "address": address, "workers": workers, "db": db}
        res = simulate_period(
            sc, sc.start, sc.end, replicates=replicates, seed=seed, engine=engine,  # type: ignore[arg-type]
            parameter_uncertainty=uncertainty, **where,  # type: ignore[arg-type]
        )  # fmt: skip
    summary = summarise_period(res)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    if json_out:
        print_json(summary)
        return
    keys = ("bookings", "ident_match", "detainers", "holds", "pickups")
    rows = []
    for y in summary["by_year"]:
        st = {r["stage"]: r for r in y["stages"]}
        regimes = ", ".join(r["regime"] for r in y["regimes"])
        rows.append(
            [str(y["year"]), regimes]
            + [f"{st[k]['mean']:,.0f} ({st[k]['ci_low']:,.0f}-{st[k]['ci_high']:,.0f})" for k in keys]
        )
    title = f"SYNTHETIC period: {summary['selection']} / {sc.name}, {sc.start} to {sc.end}"
    console.print(table(title, ["year", "regime", *keys], rows))
    console.print("intervals include: " + "; ".join(summary["interval_includes"]))


@sim_app.command("run")
@command
def run_cmd(
    county: str | None = CountyOpt,
    state: str | None = StateOpt,
    nation: bool = NationOpt,
    scenario: str | None = ScenarioOpt,
    years: float = YearsOpt,
    replicates: int = RepsOpt,
    seed: int = SeedOpt,
    engine: str = EngineOpt,
    address: str | None = AddressOpt,
    workers: int | None = WorkersOpt,
    bookings: Path | None = BookingsOpt,
    out: Path | None = typer.Option(None, "--out", help="Write Parquet tables, charts and a README here."),
    start: str | None = typer.Option(None, "--from", help="Simulate a period from this date (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--to", help="... to this date; reported per year."),
    regime: str | None = typer.Option(None, "--regime", help="One enforcement regime throughout."),
    uncertainty: bool = typer.Option(
        False, "--parameter-uncertainty", help="Each replicate draws the ranged parameters (wider intervals)."
    ),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Simulate a county, a state or the nation under a scenario; counts with 95% intervals."""
    from sharemap.sim.outputs import write_outputs
    from sharemap.sim.run import summarise

    county, state = _where(county, state, nation)
    sc = _with_period(_scenario(scenario), start, end, regime)
    if sc.start is not None:
        _run_period(
            sc, county, state, replicates, seed, engine, address, workers, uncertainty, out, db, json_out
        )
        return
    res = _simulate(
        sc,
        county,
        state,
        years,
        replicates,
        seed,
        engine,
        address,
        workers,
        bookings,
        json_out,
        db,
        uncertainty,
    )
    summary = summarise(res)
    if out:
        summary["files"] = [str(p) for p in write_outputs(res, summary, out)]
    if json_out:
        print_json(summary)
        return
    rows = [
        [r["stage"], f"{r['mean']:,.1f}", f"{r['ci_low']:,.0f} - {r['ci_high']:,.0f}"]
        for r in summary["stages"]
    ]
    console.print(
        table(
            f"SYNTHETIC run: {summary['selection']} / {sc.name} ({replicates} replicates, seed {seed})",
            ["stage", "mean", "95% interval"],
            rows,
        )
    )
    _print_birthplace(summary)
    if out:
        console.print(f"Outputs written to {out}")


BIRTHPLACE_STAGES = ("bookings", "flagged", "detainers", "holds", "transfers")


def _print_birthplace(summary: dict[str, Any]) -> None:
    """The by-birthplace table (mean and interval per stage) and how many states use the fallback."""
    by = {(r["stage"], r["birthplace"]): r for r in summary.get("by_birthplace", [])}
    if not by:
        return
    groups = list(dict.fromkeys(g for _, g in by))
    rows = [
        [g]
        + [
            f"{by[(k, g)]['mean']:,.1f} ({by[(k, g)]['ci_low']:,.0f}-{by[(k, g)]['ci_high']:,.0f})"
            for k in BIRTHPLACE_STAGES
        ]
        for g in groups
    ]
    console.print(
        table("SYNTHETIC counts by birthplace (mean, 95% interval)", ["birthplace", *BIRTHPLACE_STAGES], rows)
    )
    src = summary.get("birthplace_sources", [])
    fallback = [b["state"] for b in src if b["fallback"]]
    sourced = [b["state"] for b in src if not b["fallback"]]
    console.print(
        f"birthplace shares: state-sourced for {', '.join(sourced) or 'no state here'}; "
        f"national fallback for {len(fallback)} state(s)"
        + (f" ({', '.join(fallback)})" if len(fallback) <= 8 and fallback else "")
    )


@sim_app.command("compare")
@command
def compare_cmd(
    a: str = typer.Argument(..., help="Scenario A (file or shipped name, e.g. 'baseline')."),
    b: str = typer.Argument(..., help="Scenario B."),
    county: str | None = CountyOpt,
    state: str | None = StateOpt,
    nation: bool = NationOpt,
    years: float = YearsOpt,
    replicates: int = RepsOpt,
    seed: int = SeedOpt,
    engine: str = EngineOpt,
    address: str | None = AddressOpt,
    workers: int | None = WorkersOpt,
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Differences B - A at every stage, with intervals over paired replicates (same seeds)."""
    from sharemap.sim.run import compare

    if not (county or state or nation):
        nation = True
    county, state = _where(county, state, nation)
    sa = _scenario(a)  # shipped names ('baseline', 'cook-jem', ...) or files
    sb = _scenario(b)
    ra = _simulate(sa, county, state, years, replicates, seed, engine, address, workers, None, json_out, db)
    rb = _simulate(sb, county, state, years, replicates, seed, engine, address, workers, None, json_out, db)
    rows = compare(ra, rb)
    da = ra.agreements.list_date if ra.agreements else None
    db_ = rb.agreements.list_date if rb.agreements else None
    if da and db_ and da != db_ and not json_out:
        console.print(f"[yellow]note: A uses ICE's list of {da}, B the list of {db_}[/yellow]")
    if json_out:
        print_json(
            {
                "label": "SYNTHETIC simulation output",
                "a": sa.name,
                "b": sb.name,
                "a_agreements": ra.agreements.describe() if ra.agreements else {"source": "none"},
                "b_agreements": rb.agreements.describe() if rb.agreements else {"source": "none"},
                "replicates": replicates,
                "seed": seed,
                "stages": rows,
            }
        )
        return
    out = [
        [
            r["stage"],
            f"{r['a']:,.1f}",
            f"{r['b']:,.1f}",
            f"{r['difference']:+,.1f}",
            f"{r['mean_diff_ci_low']:+,.1f} .. {r['mean_diff_ci_high']:+,.1f}",
        ]
        for r in rows
    ]
    console.print(
        table(
            f"SYNTHETIC comparison: {sb.name} - {sa.name}",
            ["stage", "A", "B", "B - A", "95% CI of mean difference"],
            out,
        )
    )


@sim_app.command("calibrate")
@command
def calibrate_cmd(
    write: bool = typer.Option(False, "--write", help="Write the fitted values to sim/params/fitted.yaml."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Also write the table as Markdown to this file."
    ),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Fit the free parameters to the published targets; print target, model value and error for each."""
    from sharemap.sim.agreements import ledger_agreements
    from sharemap.sim.calibrate import BASELINE_SCENARIO, calibrate, markdown_table, write_fitted

    agreements = ledger_agreements(db, BASELINE_SCENARIO.date)
    with (
        console.status("Calibrating (expectation-mode kernel, nation + Pierce County)", spinner="dots")
        if not json_out
        else _null()
    ):
        cal = calibrate(agreements=agreements)
    path = write_fitted(cal) if write else None
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(markdown_table(cal.rows) + "\n", encoding="utf-8")
    if json_out:
        print_json(
            {
                "converged": cal.converged,
                "iterations": cal.iterations,
                "rows": [{**r.__dict__, "verdict": r.verdict} for r in cal.rows],
                "written": path,
            }
        )
        return
    rows = [
        [
            r.target,
            f"{r.value:.4g}",
            f"{r.model:.4g}",
            f"{r.rel_error:+.1%}",
            r.verdict,
            f"{r.parameter or '-'} = {r.parameter_value:.4g}" if r.parameter_value is not None else "-",
            f"[{r.bounds[0]:g}, {r.bounds[1]:g}]" if r.bounds else "-",
        ]
        for r in cal.rows
    ]
    head = ["target", "published", "model", "error", "verdict", "parameter", "bounds"]
    console.print(table("Calibration", head, rows))
    for r in cal.rows:
        if r.bounds_source:
            console.print(f"bounds of {r.parameter}: {r.bounds_source}")
    console.print(
        f"converged: {cal.converged} after {cal.iterations} iterations"
        + (f"; written to {path}" if path else "")
    )


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@sim_app.command("fit-errors")
@command
def fit_errors_cmd(
    gallery: int = typer.Option(20_000, "--gallery", help="SYNTHETIC gallery size for both engines."),
    probes: int = typer.Option(4_000, "--probes", help="Mated and non-mated probes (biometric)."),
    queries: int = typer.Option(2_000, "--queries", help="Mated and non-mated name checks (biographic)."),
    seed: int = SeedOpt,
    write: bool = typer.Option(False, "--write", help="Write sim/params/identity.yaml."),
    json_out: bool = JsonOption,
) -> None:
    """Run the identity engines on SYNTHETIC data and fit the error models the national run uses."""
    from sharemap.identity.errors import fit_biographic, fit_biometric
    from sharemap.sim.identity_params import write_identity_params

    bio = fit_biometric(gallery, probes, seed=seed)
    bg = fit_biographic(gallery, queries, seed=seed)
    path = write_identity_params(bio, bg) if write else None
    if json_out:
        print_json({"biometric": bio.as_dict(), "biographic": bg.as_dict(), "written": path})
        return
    console.print(
        table(
            "Biometric (faiss IVF)",
            ["threshold", "FNIR", "FPIR", "gallery"],
            [[bio.threshold, f"{bio.fnir:.4f}", f"{bio.fpir:.4f}", bio.gallery_size]],
        )
    )
    console.print(
        table(
            "Biographic (name + DOB)",
            ["origin", "FNR", "FPR", "queries"],
            [[o, f"{bg.fnr[o]:.4f}", f"{bg.fpr[o]:.4f}", bg.n_queries[o]] for o in bg.fpr],
        )
    )
    if path:
        console.print(f"written to {path}")


@sim_app.command("des")
@command
def des_cmd(
    county: str = typer.Option(..., "--county", help="County FIPS code or 'Name County, ST'."),
    scenario: str | None = ScenarioOpt,
    years: float = YearsOpt,
    seed: int = SeedOpt,
    ledger: Path | None = typer.Option(
        None, "--ledger", help="Write the event-level disclosure ledger (Parquet)."
    ),
    no_capacity: bool = typer.Option(
        False, "--no-capacity", help="Ignore the pickup and officer-hour queues."
    ),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Run the SimPy reference model of one county at event level."""
    import time

    from sharemap.sim.counties import counties, select
    from sharemap.sim.des import run_des
    from sharemap.sim.ledger import event_table, write
    from sharemap.sim.params import check_seed, check_years, load_params
    from sharemap.sim.scenarios import compile_model

    years, seed = check_years(years), check_seed(seed)
    sc = _scenario(scenario)
    table_ = select(counties(), county=county)
    model = compile_model(load_params(), table_, sc, agreements=_agreements(sc, db))
    t0 = time.perf_counter()
    with console.status("Running the SimPy model", spinner="dots") if not json_out else _null():
        res = run_des(model, years, seed, write_ledger=ledger is not None, capacity=not no_capacity)
    secs = time.perf_counter() - t0
    if ledger:
        write(event_table(res.ledger, res.fips), ledger)
    out = {
        "label": "SYNTHETIC simulation output",
        "county": res.fips,
        "scenario": sc.name,
        "years": years,
        "seed": seed,
        "counts": dict(res.counts),
        "events": res.events,
        "seconds": secs,
        "events_per_second": res.events / secs if secs else None,
        "pickups_missed_for_capacity": res.pickups_missed_capacity,
        "ledger": str(ledger) if ledger else None,
    }
    if json_out:
        print_json(out)
        return
    console.print(
        table(
            f"SYNTHETIC event-level run: {res.fips} / {sc.name}",
            ["stage", "count"],
            [[k, v] for k, v in sorted(res.counts.items())],
        )
    )
    console.print(f"{res.events:,} events in {secs:.2f} s ({out['events_per_second']:,.0f} events/s)")


@sim_app.command("validate")
@command
def validate_cmd(
    draws: int = typer.Option(40, "--draws", help="Parameter draws (each one kernel run per figure)."),
    seed: int = typer.Option(2026, "--seed", help="Seed of the draws and of the kernel streams."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Write the table here (the repository's copy: docs/sim-validation.md)."
    ),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Run the model against every published figure kept for validation (never fitted): published value,
    model value with interval, verdict; a miss stays a miss, with its reason."""
    from functools import lru_cache

    from sharemap.ledger import store
    from sharemap.sim.agreements import from_connection
    from sharemap.sim.params import check_replicates, check_seed
    from sharemap.sim.validate import markdown as to_markdown
    from sharemap.sim.validate import validate

    draws, seed = check_replicates(draws, "draws"), check_seed(seed)
    with store.connect(db) as con:
        on_day = lru_cache(maxsize=None)(lambda day: from_connection(con, day))
        with (
            console.status(f"Validating ({draws} parameter draws)", spinner="dots")
            if not json_out
            else _null()
        ):
            v = validate(on_day, n_draws=draws, seed=seed)
    text = to_markdown(v, f"sharemap sim validate --draws {draws} --seed {seed}")
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(text, encoding="utf-8")
    if json_out:
        print_json(
            {
                "draws": v.draws,
                "seed": v.seed,
                "interval_includes": v.interval_includes,
                "figures": [
                    {
                        **r.figure.__dict__,
                        "model": r.mean,
                        "model_low": r.low,
                        "model_high": r.high,
                        "reproduced": r.reproduced,
                        "verdict": r.verdict,
                    }
                    for r in v.results
                ],
                "not_comparable": v.not_comparable,
                "written": str(markdown) if markdown else None,
            }
        )
        return
    rows = [
        [r.figure.key, f"{r.figure.value:.4g}", f"{r.mean:.4g} ({r.low:.4g}-{r.high:.4g})", r.verdict[:60]]
        for r in v.results
    ]
    console.print(
        table("Validation (never fitted)", ["figure", "published", "model (interval)", "verdict"], rows)
    )
    console.print(f"{sum(r.reproduced for r in v.results)} of {len(v.results)} reproduced")


@sim_app.command("params")
@command
def params_cmd(json_out: bool = JsonOption) -> None:
    """Every parameter with its value, date and source (or the assumption it rests on)."""
    from sharemap.sim.params import load_params

    rows = load_params().table()
    if json_out:
        print_json(rows)
        return
    console.print(
        table(
            f"Simulation parameters ({dt.date.today().isoformat()})",
            ["key", "value", "unit", "date", "source or assumption", "free"],
            [
                [
                    r["key"],
                    f"{r['value']:.4g}",
                    r["unit"],
                    r["date"],
                    (r["source"] or f"ASSUMPTION: {r['assumption']}")[:90],
                    "yes" if r["free"] else "",
                ]
                for r in rows
            ],
        )
    )


# `sim population` builds every person in memory (names, variants, a Parquet table): 200,000 people took
# 16 s and a 26 MB table on the shared 2-core machine (2026-12-03); larger samples belong to `sim run`,
# which counts by cell.
MAX_POPULATION = 200_000


@sim_app.command("population")
@command
def population_cmd(
    county: str = typer.Option(..., "--county", help="County FIPS code or 'Name County, ST'."),
    n: int = typer.Option(1000, "--n", help=f"Number of SYNTHETIC booked people (1 to {MAX_POPULATION:,})."),
    seed: int = SeedOpt,
    out: Path | None = typer.Option(None, "--out", help="Write the SYNTHETIC people as Parquet."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Draw SYNTHETIC booked people for a county (status, ethnicity, enrolment, names with variants)."""
    import pyarrow.parquet as pq

    from sharemap.sim.counties import counties, select
    from sharemap.sim.params import load_params
    from sharemap.sim.population import synthetic_bookings
    from sharemap.sim.scenarios import compile_model

    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_POPULATION:
        raise InputError(
            f"must be a whole number from 1 to {MAX_POPULATION:,}, got {n}",
            field="--n",
            expected=f"1 to {MAX_POPULATION:,} SYNTHETIC people",
        )
    sc = _scenario(None)
    model = compile_model(
        load_params(), select(counties(), county=county), sc, agreements=_agreements(sc, db)
    )
    people = synthetic_bookings(model, n, seed)
    if out:
        pq.write_table(people, out)
    rows = people.slice(0, 10).to_pylist()
    if json_out:
        print_json(
            {"label": "SYNTHETIC", "county": str(model.fips[0]), "n": n, "written": out, "first_rows": rows}
        )
        return
    cols = [
        "synthetic_id",
        "status",
        "ethnicity",
        "birthplace",
        "in_ident",
        "name_as_booked",
        "name_in_federal_record",
    ]
    console.print(
        table(
            f"SYNTHETIC booked people, {model.fips[0]} (first 10 of {n})",
            cols,
            [[r[c] for c in cols] for r in rows],
        )
    )
