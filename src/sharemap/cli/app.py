"""The `sharemap` command: one sub-command (or group) per capability."""

from __future__ import annotations

import typer

from sharemap.cli import audit, kb, law, ledger, sharing, sim, trace
from sharemap.cli import report as report_cli
from sharemap.cli import serve as serve_cli

app = typer.Typer(
    name="sharemap",
    help="How local law enforcement and ICE share identity data: ledger, law, trace, simulation, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ledger.register(app)
sim.register(app)
kb.register(app)
trace.register(app)
law.register(app)
sharing.register(app)
audit.register(app)
report_cli.register(app)
serve_cli.register(app)


def main() -> None:
    app()
