"""Paths and environment variables, with their documented defaults (see docs/configuration.md).

- SHAREMAP_HOME: working directory for the database, exports and caches (default ~/.sharemap).
- SHAREMAP_DB: the DuckDB file (default $SHAREMAP_HOME/sharemap.duckdb).
- SHAREMAP_REFERENCE: the raw reference data (ICE list snapshots, MOA PDFs), used only when
  rebuilding the shipped data from scratch (default ../shared/reference beside the checkout).
- SHAREMAP_ICE_PAGE: the ICE 287(g) page `sharemap update --from ice` reads for its workbook links
  (default ICE_PAGE); point it at a local copy to test.
- SHAREMAP_HTTP_TIMEOUT: seconds a download may wait for the server before it is retried (default 30).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
"""Data shipped inside the package: derived ledger tables, geography, provenance."""


def home() -> Path:
    return Path(os.environ.get("SHAREMAP_HOME", Path.home() / ".sharemap")).expanduser()


def db_path() -> Path:
    return Path(os.environ.get("SHAREMAP_DB", home() / "sharemap.duckdb")).expanduser()


def cache_dir() -> Path:
    return home() / "cache"


def reference_dir() -> Path:
    """Raw reference data; only needed to rebuild shipped data from ICE's original files."""
    default = PACKAGE_DIR.parents[2] / "shared" / "reference"  # <checkout>/../shared/reference
    return Path(os.environ.get("SHAREMAP_REFERENCE", default)).expanduser().resolve()


ICE_PAGE = "https://www.ice.gov/identify-and-arrest/287g"
"""ICE's page of the 287(g) program, with links to the participating and pending workbooks."""


def ice_page() -> str:
    return os.environ.get("SHAREMAP_ICE_PAGE", ICE_PAGE)


def ice_dir() -> Path:
    """Raw files downloaded from ICE (kept as fetched) and what is known of them (feed.json)."""
    return home() / "ice"


def http_timeout() -> float:
    raw = os.environ.get("SHAREMAP_HTTP_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"SHAREMAP_HTTP_TIMEOUT must be a number of seconds, not {raw!r}") from exc
    if value <= 0:
        raise ValueError("SHAREMAP_HTTP_TIMEOUT must be positive")
    return value
