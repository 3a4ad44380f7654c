"""`sharemap serve`: the web app on http://127.0.0.1:8000 (builds the database first if it is missing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sharemap.cli.common import command, console
from sharemap.errors import InputError


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

    check_port(host, port)  # before building anything or saying it serves
    path = db or db_path()
    if not path.exists() and build:
        from sharemap.ledger import store

        console.print(f"building the ledger database at {path} ...", highlight=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        store.build_database(store.load_shipped(), path)
        from sharemap.sharing.store import write_database

        write_database(path)
    os.environ["SHAREMAP_DB"] = str(path)
    from sharemap.web.server import raise_open_files_limit, server_options

    options = server_options()  # header/body timeouts, header size and connection caps (safety.LIMITS)
    raise_open_files_limit()  # room for pending_connections + max_connections sockets
    console.print(f"sharemap is serving on http://{host}:{port}/  (Ctrl-C to stop)", highlight=False)
    if workers > 1:
        uvicorn.run("sharemap.web.asgi:app", host=host, port=port, workers=workers, **options)
    else:
        from sharemap.web import create_app

        uvicorn.run(create_app(path), host=host, port=port, **options)


def check_port(host: str, port: int) -> None:
    """Fail in one line naming host:port when the server could not listen there (a port in use, an
    address not on this machine), instead of announcing it serves and then failing in uvicorn. Every
    address the host resolves to is tried, as asyncio's server binds them all."""
    import socket

    if not 0 <= port <= 65535:
        raise InputError(f"port {port} is out of range", field="--port", expected="0-65535")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}:{port}: unknown address", field="--host") from exc
    for family, kind, proto, _, address in dict.fromkeys(found):
        _try_bind(host, port, family, kind, proto, address)


def _try_bind(host: str, port: int, family: int, kind: int, proto: int, address: Any) -> None:
    import errno
    import socket

    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"cannot listen on {host}:{port}: the port is in use by another program",
                    field="--port",
                    expected="a free port, e.g. --port 8001",
                ) from exc
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", field="--host") from exc
