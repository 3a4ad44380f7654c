"""The `sharemap` command: one sub-command (or group) per capability, each loaded only when it runs.

`sharemap --help` lists the commands from the table below without importing them, and `sharemap law
rule ...` imports the law commands alone: start-up stays near a bare interpreter's instead of paying
for DuckDB, pyarrow, networkx and the audit engine on every call. Help is plain text (no Rich
panels), which keeps Rich's help renderer out of start-up as well.

To add a command: give its module a `register(app)` as the others have, and add one row to
`COMMANDS` (tests/cli/test_startup.py checks the row's help against the command's own).
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Iterator, MutableMapping

import typer
from typer import _click
from typer.core import TyperGroup

# command name -> (module under sharemap.cli that registers it, the one line `sharemap --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "build": (
        "ledger",
        "Build the ledger database (atomically) from the shipped data or from ICE's raw lists.",
    ),
    "update": (
        "ledger",
        "Add new ICE list snapshots (and the MOA PDFs they link) to the ledger; recompute the history.",
    ),
    "agreements": (
        "ledger",
        "List 287(g) agreements, filtered by place, model and date (default: in force today).",
    ),
    "agency": ("ledger", "One agency: its agreements over time, pending requests, MOA terms and sources."),
    "stats": ("ledger", "National summary of agreements, or counts by state, model or quarter."),
    "changes": (
        "ledger",
        "What changed on ICE's lists: agreements added, ended, renewed, renamed, model changes, pending "
        "requests made and signed, each with the list date and its evidence.",
    ),
    "export": ("ledger", "Export every table to Parquet and CSV."),
    "snapshot": (
        "ledger",
        "Inspect one ICE list file without touching the database: date, rows, counts, anomalies.",
    ),
    "moa": (
        "ledger",
        "Inspect one MOA PDF without touching the database: the terms read from it, with pages.",
    ),
    "law": ("law", "Law as dated rules: rule on a question, a state's stance, the state x action matrix."),
    "answer": (
        "answer",
        "What reaches ICE from each encounter here, how fast, by which route and what the law allows, in "
        "sentences to read aloud, each with its sources.",
    ),
    "trace": (
        "trace",
        "Trace every path by which data from an encounter reaches ICE, with the law's ruling on each hop.",
    ),
    "sharing": (
        "sharing",
        "Plate-reader data sharing in practice, from agencies' own portals, held against the law.",
    ),
    "portal": (
        "sharing",
        "Inspect one portal snapshot: agency, state, date, outbound by class and findings.",
    ),
    "kb": ("kb", "The knowledge base: systems, channels, data elements, forms, programs, figures."),
    "sim": ("sim", "Digital twin of the identity-check pipeline (SYNTHETIC people)."),
    "audit": ("audit", "Audit data-access logs: findings with rows and the law, summaries, read issues."),
    "report": ("report", "Write the cited report: every factual sentence carries numbered references."),
    "settings": (
        "settings",
        "Every environment variable sharemap reads (paths, downloads, limits), its default and its value "
        "now; a secret (the audit key) shows only whether it is set.",
    ),
    "serve": (
        "serve",
        "Serve the web app: map, state, county and agency pages, reports, audit upload, simulation, "
        "JSON API.",
    ),
}

_loaded: dict[str, dict[str, _click.Command]] = {}


def load_commands(module: str) -> dict[str, _click.Command]:
    """Import one command module and build its click commands (once per process)."""
    if module not in _loaded:
        sub = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)
        importlib.import_module(f"sharemap.cli.{module}").register(sub)
        _loaded[module] = dict(typer.main.get_group(sub).commands)
        for cmd in _loaded[module].values():
            _full_short_help(cmd)
    return _loaded[module]


def short_help(cmd: _click.Command) -> str:
    """The first paragraph of a command's help on one line: what a list of commands shows."""
    if cmd.short_help:
        return cmd.short_help
    return " ".join(inspect.cleandoc(cmd.help or "").split("\n\n")[0].split())


def _full_short_help(cmd: _click.Command) -> None:
    """Give every sub-command its whole first paragraph in a group's help (plain click cuts it at the
    first full stop or 45 characters); the help formatter wraps it instead."""
    for sub in getattr(cmd, "commands", {}).values():
        sub.short_help = short_help(sub)
        _full_short_help(sub)


class _LazyCommands(MutableMapping[str, _click.Command]):
    """The root group's commands: names known up front, each module imported on first lookup."""

    def __getitem__(self, name: str) -> _click.Command:
        if name not in COMMANDS:
            raise KeyError(name)
        return load_commands(COMMANDS[name][0])[name]

    def __setitem__(self, name: str, cmd: _click.Command) -> None:
        raise TypeError("add a command through COMMANDS in sharemap.cli.app")

    def __delitem__(self, name: str) -> None:
        raise TypeError("commands of the root group are fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """A typer group whose help lists COMMANDS without importing them; a command loads when it runs."""

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.commands = _LazyCommands()

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMANDS)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


app = typer.Typer(
    name="sharemap",
    cls=LazyGroup,
    help="How local law enforcement and ICE share identity data: ledger, law, trace, simulation, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Nothing to do before a command; typer needs a callback to build a group with no commands."""


def main() -> None:
    """The `sharemap` console script."""
    # sharemap ships no pydantic plugin; looking for one scans every installed package's entry points
    # on the first model built (about 0.1 s). A user who relies on a plugin can set the variable to 0.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()
