"""`sharemap serve`: the web app on http://127.0.0.1:8000 (builds the database first if it is missing)."""

from __future__ import annotations

from pathlib import Path

import typer

from sharemap.cli.common import command, console


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)


@command
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port."),
    db: Path | None = typer.Option(None, "--db", help="Ledger DuckDB file (default: $SHAREMAP_DB)."),
    workers: int = typer.Option(1, "--workers", help="Uvicorn worker processes."),
    build: bool = typer.Option(True, "--build/--no-build", help="Build the database first if it is missing."),
) -> None:
    """Serve the web app: map, state, county and agency pages, reports, audit upload, simulation, JSON API."""
    import os

    import uvicorn

    from sharemap.settings import db_path

    path = db or db_path()
    if not path.exists() and build:
        from sharemap.ledger import store

        console.print(f"building the ledger database at {path} ...", highlight=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        store.build_database(store.load_shipped(), path)
        from sharemap.sharing.store import write_database

        write_database(path)
    os.environ["SHAREMAP_DB"] = str(path)
    from sharemap.web.server import server_options

    options = server_options()  # header/body timeouts, header size and connection caps (safety.LIMITS)
    console.print(f"sharemap is serving on http://{host}:{port}/  (Ctrl-C to stop)", highlight=False)
    if workers > 1:
        uvicorn.run("sharemap.web.asgi:app", host=host, port=port, workers=workers, **options)
    else:
        from sharemap.web import create_app

        uvicorn.run(create_app(path), host=host, port=port, **options)
