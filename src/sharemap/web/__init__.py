"""The web app (FastAPI): pages, JSON API with OpenAPI, map, audit upload, simulation runs."""

from sharemap.web.app import create_app

__all__ = ["create_app"]
