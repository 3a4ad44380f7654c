"""`sharemap kb check | list | show ID`: the knowledge base of systems, channels and data elements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from sharemap.cli.common import JsonOption, command, console, print_json, table
from sharemap.errors import DataError, NotFoundError
from sharemap.kb.facts import Channel, KnowledgeBase, System
from sharemap.kb.load import check_kb, iter_entries, load_kb

kb_app = typer.Typer(help="The knowledge base: systems, channels, data elements, forms, programs, figures.")

KINDS = ("system", "channel", "data_element", "form", "program", "authority", "figure", "source")


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")


@kb_app.command("check")
@command
def check(
    directory: Path | None = typer.Option(
        None, "--dir", help="A KB folder to check (default: the shipped one)."
    ),
    json: bool = JsonOption,
) -> None:
    """Validate the KB: every entry sourced, every id known, every law hook in the law vocabulary."""
    problems = check_kb(directory)
    if not problems:
        from sharemap.flows.graph import check_law_hooks

        problems = check_law_hooks(load_kb(directory))
    if json:
        print_json(
            {
                "ok": not problems,
                "problems": [
                    {"file": p.file, "id": p.entry_id, "field": p.field, "message": p.message}
                    for p in problems
                ],
            }
        )
    elif problems:
        for p in problems:
            console.print(f"[red]✗[/] {p.describe()}", highlight=False, soft_wrap=True)
    if problems:
        if not json:
            console.print(f"{len(problems)} problems.")
        raise DataError(f"{len(problems)} problems in the knowledge base", file=directory or "kb/data")
    if not json:
        kb = load_kb(directory)
        console.print(
            f"[green]✓[/] knowledge base is sound: {len(kb.systems)} systems, {len(kb.channels)} channels, "
            f"{len(kb.data_elements)} data elements, {len(kb.forms)} forms, {len(kb.programs)} programs, "
            f"{len(kb.authorities)} authorities, {len(kb.figures)} figures, {len(kb.sources)} sources; "
            f"{len(kb.not_found)} topics recorded as not found."
        )


def _summary(kind: str, obj: BaseModel) -> str:
    if isinstance(obj, Channel):
        return f"{obj.from_system} → {obj.to_system} ({obj.mode.value})"
    if isinstance(obj, System):
        return f"{obj.side.value}: {obj.operator}"
    desc = getattr(obj, "description", "") or getattr(obj, "meaning", "") or getattr(obj, "url", "") or ""
    text = str(desc)
    return text if len(text) <= 90 else text[:89] + "…"


@kb_app.command("list")
@command
def list_(
    kind: str | None = typer.Option(None, help="Only this kind: " + ", ".join(KINDS) + "."),
    json: bool = JsonOption,
) -> None:
    """List the entries of the knowledge base."""
    kb = load_kb()
    if kind is not None and kind not in KINDS:
        raise NotFoundError(f"unknown kind {kind!r}", field="kind", expected=", ".join(KINDS))
    rows = [(k, o) for k, o in iter_entries(kb) if kind is None or k == kind]
    if json:
        print_json([{"kind": k, "id": getattr(o, "id", None), "name": _name(o)} for k, o in rows])
        return
    console.print(
        table(
            f"Knowledge base: {len(rows)} entries",
            ["kind", "id", "name", "summary"],
            [[k, getattr(o, "id", ""), _name(o), _summary(k, o)] for k, o in rows],
        )
    )


def _name(o: BaseModel) -> str:
    return str(getattr(o, "name", None) or getattr(o, "title", ""))


def _cite(kb: KnowledgeBase, ids: Any) -> list[str]:
    out = []
    for s in kb.cite(list(ids)):
        when = s.date.isoformat() if s.date else (str(s.year) if s.year else "undated")
        out.append(f"[{s.id}] {s.title} — {s.url} ({when})")
    return out


@kb_app.command("show")
@command
def show(
    entry_id: str = typer.Argument(..., help="An id, e.g. chan.ngi_to_ident or de.a_number."),
    json: bool = JsonOption,
) -> None:
    """Show one entry with its sources (title, URL, date)."""
    kb = load_kb()
    obj = kb.entry(entry_id)
    if obj is None:
        close = [
            i for _, o in iter_entries(kb) if entry_id.split(".")[-1] in (i := str(getattr(o, "id", "")))
        ]
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        raise NotFoundError(
            f"no entry {entry_id!r}{hint}", field="id", expected="an id from `sharemap kb list`"
        )
    data = obj.model_dump(mode="json", exclude_defaults=True)
    if json:
        data["cited_sources"] = [
            s.model_dump(mode="json", exclude_none=True) for s in kb.cite(getattr(obj, "sources", ()))
        ]
        print_json(data)
        return
    console.print(f"[bold]{_name(obj)}[/]  ({entry_id})")
    for key, value in data.items():
        if key in ("id", "name", "sources", "title"):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            console.print(f"[bold]{key}[/]:")
            for item in value:
                console.print("  - " + ", ".join(f"{k}: {v}" for k, v in item.items()), highlight=False)
        else:
            console.print(f"[bold]{key}[/]: {value}", highlight=False)
    cited = _cite(kb, getattr(obj, "sources", ()))
    if cited:
        console.print("[bold]sources[/]:")
        for line in cited:
            console.print("  " + line, highlight=False, soft_wrap=True)


@kb_app.command("matrix")
@command
def matrix_cmd(
    event: str | None = typer.Option(None, "--event", help="Only channels this encounter can set off."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV (element × channel)."),
    json: bool = JsonOption,
) -> None:
    """The data-element × channel matrix: → carried forward, ← carried back, ↔ both."""
    from sharemap.flows.render import matrix
    from sharemap.kb.facts import Encounter

    kb = load_kb()
    try:
        enc = Encounter(event) if event else None
    except ValueError:
        raise NotFoundError(
            f"unknown encounter {event!r}", field="--event", expected=", ".join(e.value for e in Encounter)
        ) from None
    m = matrix(kb, encounter=enc)
    if json:
        print_json(m.to_dict(kb))
    elif csv:
        typer.echo(m.to_csv(), nl=False)
    else:
        cols = ["data element", *[c.removeprefix("chan.") for c in m.channels]]
        rows = [
            [el.removeprefix("de."), *[m.cells.get((el, c), "") for c in m.channels]] for el in m.elements
        ]
        console.print(table(f"{len(m.elements)} data elements × {len(m.channels)} channels", cols, rows))
