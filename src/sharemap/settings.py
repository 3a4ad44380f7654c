"""Paths and environment variables: one table, SETTINGS, that the CLI (`sharemap settings`), the
docs (docs/configuration.md, checked by tests/test_settings_doc.py) and the code read.

The limits on input sizes, run sizes and the server (safety.LIMITS) are settings too; `all_settings()`
lists both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    env: str
    default: str  # as the docs state it
    what: str
    secret: bool = False  # its value is never printed, only whether it is set


SETTINGS: tuple[Setting, ...] = (
    Setting("SHAREMAP_HOME", "~/.sharemap", "working folder: the database, exports, caches, downloads"),
    Setting("SHAREMAP_DB", "$SHAREMAP_HOME/sharemap.duckdb", "the ledger database (every command: --db)"),
    Setting(
        "SHAREMAP_REFERENCE",
        "../shared/reference beside the checkout",
        "raw reference data, needed only to rebuild the shipped data (make shipped)",
    ),
    Setting(
        "SHAREMAP_ICE_PAGE",
        "https://www.ice.gov/identify-and-arrest/287g",
        "the page `update --from ice` reads for ICE's workbook links (a local copy, to test)",
    ),
    Setting("SHAREMAP_HTTP_TIMEOUT", "30", "seconds a download waits on the server before a retry"),
    Setting(
        "SHAREMAP_AUDIT_KEY",
        "a random key in $SHAREMAP_HOME/audit.key",
        "the key of the audit's pseudonyms (share it to get the same pseudonyms elsewhere)",
        secret=True,
    ),
    Setting(
        "SHAREMAP_ALLOW_PRIVATE_URLS",
        "unset",
        "1 lets `update --from URL` reach loopback and private hosts (tests, a local mirror)",
    ),
    Setting(
        "SHAREMAP_LAW_CACHE",
        "unset (on)",
        "0 turns off the compiled-law cache in $SHAREMAP_HOME/cache (always build)",
    ),
    Setting(
        "SHAREMAP_UPLOAD_LIMIT_MB",
        "unset",
        "older name of SHAREMAP_MAX_UPLOAD_MB, still honoured when set",
    ),
)


def all_settings() -> list[Setting]:
    """Every environment variable sharemap reads: the settings above, then each limit."""
    from sharemap.safety import LIMITS

    limits = [Setting(lim.env, f"{lim.default:g}", f"{lim.what} ({lim.unit})") for lim in LIMITS]
    return [*SETTINGS, *limits]


def current(setting: Setting) -> str:
    """What a setting is now: its value, "(default)" when unset, "(set)" for a secret."""
    raw = os.environ.get(setting.env)
    if raw is None:
        return "(default)"
    return "(set)" if setting.secret else raw


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
