"""Law commands: rule, state, matrix, retention, check."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from sharemap.cli import common
from sharemap.cli.common import JsonOption, command, echo, print_json, table
from sharemap.errors import InputError

law_app = typer.Typer(
    help="Law as dated rules: rule on a question, a state's stance, the state x action matrix.",
    no_args_is_help=True,
)


def _date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"not a date: {value!r}", field="--date", expected="YYYY-MM-DD") from None


def _enum(enum: Any, value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {name} {value!r}", field=name, expected=f"one of: {allowed}") from None


def _jurisdiction(text: str) -> str:
    """'US' (federal only), or the state a code or name gives ('TX', 'Texas', 'texas'), as
    `agreements --state` reads it. A two-letter code is taken as given, so a plain `law rule --state
    TX` does not load the geography tables."""
    upper = " ".join(text.split()).upper()
    if upper == "US" or (len(upper) == 2 and upper.isalpha()):
        return upper
    from sharemap.ledger.geo import state_code

    return state_code(text)


@law_app.command("rule")
@command
def rule_cmd(
    state: str = typer.Option(
        ..., "--state", help="US (federal only), or a state's code or name (TX, Texas)."
    ),
    actor: str = typer.Option(..., "--actor", help="sheriff, local_police, dmv, plate_reader_operator, ..."),
    action: str = typer.Option(
        ..., "--action", help="hold_on_detainer, notify_release, share_alpr_federal, ..."
    ),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    process: str = typer.Option(
        "none", "--process", help="judicial_warrant, detainer, administrative_warrant, ..."
    ),
    purpose: str = typer.Option("civil_immigration_enforcement", "--purpose"),
    recipient: str | None = typer.Option(None, "--recipient", help="federal, out_of_state, in_state."),
    data: str | None = typer.Option(None, "--data", help="immigration_status, release_date, address, ..."),
    listed_conviction: bool = typer.Option(
        False, "--listed-conviction", help="Person has a listed conviction."
    ),
    consent: bool = typer.Option(False, "--consent", help="Person consented in writing."),
    written_assurance: bool = typer.Option(
        False, "--written-assurance", help="Recipient gave the declaration."
    ),
    lang: str = typer.Option("en", "--lang", help="Language of the question and answer: en or es."),
    as_json: bool = JsonOption,
) -> None:
    """Rule whether an act of cooperation or disclosure is prohibited, required or permitted, and why."""
    from sharemap.law import Context, DataKind, LegalProcess, Purpose, Recipient, rule

    ctx = Context(
        legal_process=_enum(LegalProcess, process, "--process"),
        purpose=_enum(Purpose, purpose, "--purpose"),
        recipient=_enum(Recipient, recipient, "--recipient"),
        data=_enum(DataKind, data, "--data"),
        listed_conviction=listed_conviction,
        consent=consent,
        written_assurance=written_assurance,
    )
    from sharemap.law.labels import answer, lang_of, question, ruling_json

    words = lang_of(lang)
    ruling = rule(_jurisdiction(state), actor, action, _date(date), ctx)
    if as_json:
        print_json(ruling_json(ruling, words))
        return
    # plain lines (echo), not Rich: the commonest query starts without importing it
    echo(ruling.effect.value.upper(), bold=True)
    echo(question(ruling, words))
    echo(answer(ruling, words), bold=True)
    echo("How it was decided:")
    echo(ruling.explain())
    if ruling.provisions:
        echo("Sources:")
        for p in ruling.provisions:
            for src in p.sources:
                when = src.date.isoformat() if src.date else "date not recorded"
                echo(f"- {p.citation}: {src.title} <{src.url}> ({when})")


@law_app.command("state")
@command
def state_cmd(
    state: str = typer.Argument(..., help="A state's code or name (TX, Texas), or DC."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOption,
) -> None:
    """A state's stance and its rulings per action, derived from its provisions."""
    from sharemap.law.engine import default_law
    from sharemap.law.overview import STATES, overview

    code = _jurisdiction(state)
    if code not in STATES:
        raise InputError(f"unknown state {state!r}", field="state", expected="a state, DC or Puerto Rico")
    from sharemap.law.engine import cite_ids
    from sharemap.law.labels import answer

    ov = overview(code, _date(date))
    provs = default_law().for_jurisdiction(code)
    if as_json:
        out = ov.to_dict()
        out["provisions"] = [
            {
                "id": p.id,
                "citation": p.citation,
                "title": p.title,
                "effective_from": p.effective_from.isoformat(),
                "effective_to": p.effective_to.isoformat() if p.effective_to else None,
                "status": p.status.value,
                "effect": p.effect.value,
                "verification": p.verification.value,
            }
            for p in provs
        ]
        print_json(out)
        return
    cites = {p.id: p.citation for p in provs}
    common.console.print(ov.line, highlight=False, soft_wrap=True)
    cov = ov.coverage
    common.console.print(
        f"Coverage: {cov.line}. {cite_ids(cov.note, cites)}"
        if cov
        else "Coverage: this jurisdiction's law has not been researched.",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    common.console.print(f"[bold]{code} rulings on {ov.date.isoformat()}[/]", highlight=False)
    for c in ov.cells:
        common.console.print(f"- {answer(c.ruling)}", highlight=False, soft_wrap=True, markup=False)
    prow = [
        [
            p.citation,
            f"{p.effective_from.isoformat()} to {p.effective_to.isoformat() if p.effective_to else 'now'}",
            p.status.value.replace("_", " "),
            p.verification.value.replace("_", " "),
        ]
        for p in provs
    ]
    common.console.print(
        table(f"{code} provisions", ["citation", "in force", "status", "verification"], prow)
    )


@law_app.command("matrix")
@command
def matrix_cmd(
    action: list[str] = typer.Option(None, "--action", help="Repeatable; default: every action."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    actor: str | None = typer.Option(None, "--actor", help="Default: the action's usual actor."),
    as_json: bool = JsonOption,
) -> None:
    """The state x action matrix of effects on a date (P prohibited, R required, C conditional,
    A permitted, . no provision)."""
    from sharemap.law import Action, Actor
    from sharemap.law.overview import matrix

    actions = [_enum(Action, a, "--action") for a in action] if action else list(Action)
    who = _enum(Actor, actor, "--actor")
    day = _date(date)
    cells = matrix(actions, day, actor=who)
    if as_json:
        print_json(
            [
                {
                    "jurisdiction": c.jurisdiction,
                    "action": c.action.value,
                    "actor": c.actor.value,
                    "effect": c.ruling.effect.value,
                    "provisions": list(c.ruling.provision_ids),
                    "verification": c.ruling.verification.value if c.ruling.verification else None,
                }
                for c in cells
            ]
        )
        return
    short = {
        "prohibited": "P",
        "required": "R",
        "permitted_with_conditions": "C",
        "permitted": "A",
        "no_provision": ".",
        "not_researched": "?",
    }
    by_state: dict[str, dict[Any, str]] = {}
    for c in cells:
        by_state.setdefault(c.jurisdiction, {})[c.action] = short[c.ruling.effect.value]
    cols = ["state", *[a.value for a in actions]]
    rows = [[j, *[v[a] for a in actions]] for j, v in by_state.items()]
    common.console.print(table(f"Effects on {day.isoformat()}", cols, rows))
    common.console.print(
        "P prohibited  R required  C permitted with conditions  A permitted  . no provision found  "
        "? state law not researched"
    )


@law_app.command("retention")
@command
def retention_cmd(
    state: str | None = typer.Option(
        None, "--state", help="A state's code or name, or DC (default: every jurisdiction that sets a limit)."
    ),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    data_kind: str = typer.Option("alpr", "--data", help="Kind of data (alpr)."),
    as_json: bool = JsonOption,
) -> None:
    """The retention limit in force for plate-reader data, with its provision and sources."""
    from sharemap.law.engine import default_law
    from sharemap.law.retention import retention_days, retention_provisions
    from sharemap.law.vocab import RetainedData

    day = _date(date)
    kind = _enum(RetainedData, data_kind, "--data")
    if state is not None:
        code = _jurisdiction(state)
        found = retention_days(code, day, kind)
        if as_json:
            print_json(
                found.to_dict()
                if found
                else {
                    "jurisdiction": code,
                    "data_kind": kind.value,
                    "date": day.isoformat(),
                    "days": None,
                    "provision": None,
                }
            )
            return
        if found is None:
            common.console.print(
                f"{code} on {day.isoformat()}: no coded provision sets a retention limit "
                f"for {kind.value} data",
                highlight=False,
            )
            return
        common.console.print(found.explain(), highlight=False)
        return
    codes = sorted({p.jurisdiction for p in retention_provisions(kind, law=default_law())})
    limits = [r for r in (retention_days(c, day, kind) for c in codes) if r is not None]
    if as_json:
        print_json(
            {"date": day.isoformat(), "data_kind": kind.value, "limits": [r.to_dict() for r in limits]}
        )
        return
    rows = [[r.jurisdiction, r.period, r.provision_id, r.verification.value] for r in limits]
    common.console.print(
        table(
            f"{kind.value} retention limits in force on {day.isoformat()}",
            ["state", "limit", "provision", "verification"],
            rows,
        )
    )


@law_app.command("check")
@command
def check_cmd(
    directory: Path | None = typer.Option(None, "--dir", help="Provision files to check (default: shipped)."),
    as_json: bool = JsonOption,
) -> None:
    """Validate provision files: schema, vocabularies, dates, sources, unique ids."""
    from sharemap.law.load import load_provisions, provision_files

    files = provision_files(directory)
    if not files:
        raise InputError("no provision files (*.yaml) found", file=directory, expected="at least one file")
    provs = load_provisions(files)
    sources = [s for p in provs for s in p.sources]
    summary: dict[str, Any] = {
        "files": len(files),
        "provisions": len(provs),
        "jurisdictions": len({p.jurisdiction for p in provs}),
        "by_verification": dict(Counter(p.verification.value for p in provs)),
        "by_status": dict(Counter(p.status.value for p in provs)),
        "sources": len(sources),
        "sources_without_date": sum(1 for s in sources if s.date is None),
        "ok": True,
    }
    if as_json:
        print_json(summary)
        return
    common.console.print(
        f"OK: {summary['provisions']} provisions in {summary['files']} files, "
        f"{summary['jurisdictions']} jurisdictions, {summary['sources']} sources "
        f"({summary['sources_without_date']} without a date)",
        highlight=False,
    )
    rows = [[k, v] for k, v in sorted(summary["by_verification"].items())]
    common.console.print(table("Verification", ["level", "provisions"], rows))
    rows = [[k, v] for k, v in sorted(summary["by_status"].items())]
    common.console.print(table("Status", ["status", "provisions"], rows))


@law_app.command("changes")
@command
def changes_cmd(
    start: str = typer.Option(..., "--from", help="First date (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--to", help="Last date (default: today)."),
    state: str | None = typer.Option(None, "--state", help="A state, DC, PR or US (default: all)."),
    as_json: bool = JsonOption,
) -> None:
    """What changed in the law: provisions that took effect, ended, were enjoined or freed, with citations."""
    from sharemap.law.timeline import law_changes

    code = _jurisdiction(state) if state else None
    found = law_changes(_date(start), _date(end), code)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    common.console.print(
        table(
            f"Changes in the law {start} to {end or dt.date.today().isoformat()}: {len(found)}",
            ["date", "where", "change", "provision", "citation", "detail"],
            [_change_row(c) for c in found],
        )
    )


def _change_row(c: Any) -> list[Any]:
    p = c.provision
    return [c.date, p.jurisdiction, c.kind.replace("_", " "), p.id, p.citation, c.detail]


def register(app: typer.Typer) -> None:
    """Attach the law command group to the top-level app."""
    app.add_typer(law_app, name="law")
