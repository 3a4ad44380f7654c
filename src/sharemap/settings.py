"""Paths and environment variables, with their documented defaults (see docs/configuration.md).

- SHAREMAP_HOME: working directory for the database, exports and caches (default ~/.sharemap).
- SHAREMAP_DB: the DuckDB file (default $SHAREMAP_HOME/sharemap.duckdb).
- SHAREMAP_REFERENCE: the raw reference data (ICE list snapshots, MOA PDFs), used only when
  rebuilding the shipped data from scratch (default ../shared/reference beside the checkout).
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
