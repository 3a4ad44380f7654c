"""`sharemap settings`: every environment variable sharemap reads, its default and its value now."""

from __future__ import annotations

import typer

from sharemap.cli.common import console, print_json


def register(app: typer.Typer) -> None:
    app.command("settings")(settings_cmd)


def settings_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every environment variable sharemap reads (paths, downloads, limits), its default and its value
    now; a secret (the audit key) shows only whether it is set."""
    from rich.table import Table

    from sharemap.settings import all_settings, current

    rows = [(s.env, s.default, current(s), s.what) for s in all_settings()]
    if as_json:
        print_json([dict(zip(("variable", "default", "now", "what"), r, strict=True)) for r in rows])
        return
    table = Table("variable", "default", "now", "what", title="Settings (docs/configuration.md)")
    for row in rows:
        table.add_row(*row)
    console.print(table)
