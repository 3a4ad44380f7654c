"""ASGI entry point for servers: `uvicorn sharemap.web.asgi:app` (ledger at $SHAREMAP_DB)."""

from sharemap.web.app import create_app

app = create_app()
