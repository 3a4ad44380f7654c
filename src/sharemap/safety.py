"""Defences shared by every layer against careless or hostile input: limits, safe YAML, safe files,
safe URLs and spreadsheet-safe cells. Imports no layer (like errors and settings).

Every limit is in `LIMITS` with its environment variable, default and unit; `limits()` reads the
current values, and docs/security.md lists them all (a test checks the two agree).
"""

from __future__ import annotations

import csv
import ipaddress
import math
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from sharemap.errors import InputError


@dataclass(frozen=True)
class Limit:
    name: str
    env: str
    default: float
    unit: str
    what: str


LIMITS: tuple[Limit, ...] = (
    Limit("upload_mb", "SHAREMAP_MAX_UPLOAD_MB", 50, "MB", "largest audit log a web upload may be"),
    Limit("unzipped_mb", "SHAREMAP_MAX_UNZIPPED_MB", 500, "MB", "largest a workbook may be once unzipped"),
    Limit(
        "zip_ratio", "SHAREMAP_MAX_ZIP_RATIO", 200, "x", "highest unzipped/zipped size ratio of a workbook"
    ),
    Limit("pdf_pages", "SHAREMAP_MAX_PDF_PAGES", 200, "pages", "most pages read from one MOA PDF"),
    Limit("yaml_kb", "SHAREMAP_MAX_YAML_KB", 256, "kB", "largest user YAML file (scenario, mapping)"),
    Limit("file_mb", "SHAREMAP_MAX_FILE_MB", 1024, "MB", "largest input file read from disk (list, log)"),
    Limit("download_mb", "SHAREMAP_MAX_DOWNLOAD_MB", 100, "MB", "largest file `update --from URL` downloads"),
    Limit(
        "download_stall_s", "SHAREMAP_DOWNLOAD_STALL_S", 30, "s", "a download stalled this long is dropped"
    ),
    Limit(
        "sim_jobs_per_client",
        "SHAREMAP_SIM_JOBS_PER_CLIENT",
        2,
        "jobs",
        "simulation jobs one client may queue",
    ),
    Limit(
        "sim_jobs_total", "SHAREMAP_SIM_JOBS_TOTAL", 16, "jobs", "simulation jobs queued or running in all"
    ),
    Limit("sim_workers", "SHAREMAP_SIM_WORKERS", 2, "threads", "simulation jobs run at the same time"),
    Limit("pdf_workers", "SHAREMAP_PDF_WORKERS", 2, "threads", "PDF reports rendered at the same time"),
    Limit(
        "header_timeout_s", "SHAREMAP_HEADER_TIMEOUT_S", 10, "s", "time a client has to send request headers"
    ),
    Limit("body_timeout_s", "SHAREMAP_BODY_TIMEOUT_S", 60, "s", "time a client has to send a request body"),
    Limit(
        "header_kb", "SHAREMAP_MAX_HEADER_KB", 64, "kB", "largest request line and headers a client may send"
    ),
    Limit(
        "max_connections",
        "SHAREMAP_MAX_CONNECTIONS",
        1000,
        "connections",
        "requests past their headers the server answers at once",
    ),
    Limit(
        "pending_connections",
        "SHAREMAP_MAX_PENDING_CONNECTIONS",
        1000,
        "connections",
        "open connections still sending request headers (or idle); the oldest is closed beyond",
    ),
    Limit("audit_workers", "SHAREMAP_AUDIT_WORKERS", 2, "audits", "web uploads audited at the same time"),
    Limit("audit_queue", "SHAREMAP_AUDIT_QUEUE", 16, "audits", "web uploads waiting for an audit slot"),
    Limit("audit_memory_mb", "SHAREMAP_AUDIT_MEMORY_MB", 256, "MB", "DuckDB memory limit of one web audit"),
    Limit("csv_field_kb", "SHAREMAP_MAX_CSV_FIELD_KB", 1024, "kB", "largest single CSV cell"),
    Limit(
        "sheet_cells", "SHAREMAP_MAX_SHEET_CELLS", 20_000_000, "cells", "largest rows x columns a sheet spans"
    ),
    Limit("db_lock_wait_s", "SHAREMAP_DB_LOCK_WAIT_S", 120, "s", "time a write waits for another update"),
    Limit(
        "kept_upload_days", "SHAREMAP_KEPT_UPLOAD_DAYS", 30, "days", "how long a kept audit upload is kept"
    ),
    Limit("sim_years", "SHAREMAP_MAX_SIM_YEARS", 100, "years", "longest simulated period per replicate"),
    Limit("sim_replicates", "SHAREMAP_MAX_SIM_REPLICATES", 1000, "replicates", "most replicates in one run"),
)
_BY_NAME = {lim.name: lim for lim in LIMITS}


def limit(name: str) -> float:
    """The current value of one limit (its environment variable, else the default)."""
    lim = _BY_NAME[name]
    raw = os.environ.get(lim.env)
    if raw is None or raw == "":
        return lim.default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{lim.env} must be a number ({lim.unit}), not {raw!r}", field=lim.env) from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{lim.env} must be a positive number ({lim.unit}), not {raw!r}", field=lim.env)
    return value


def limit_bytes(name: str) -> int:
    """A size limit in bytes (for limits counted in kB or MB)."""
    lim = _BY_NAME[name]
    scale = {"kB": 1024, "MB": 1024 * 1024}[lim.unit]
    return int(limit(name) * scale)


# --- YAML ------------------------------------------------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses anchors and aliases, so a small file cannot expand into a huge one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in this file", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_lenient_timestamp(self, node: Any) -> Any:
        """A timestamp that is no real date (2025-02-30) stays text, so the reader can name its field."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp", _NoAliasLoader.construct_lenient_timestamp)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line: the problem and where (its own text spans several lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        context = f"{exc.context}: " if exc.context else ""
        return f"{context}{exc.problem}{where}"
    return " ".join(str(exc).split())


def load_user_yaml(text: str, source: str | Path) -> Any:
    """Parse YAML a user gave: safe types only, no aliases, at most the yaml_kb limit."""
    cap = limit_bytes("yaml_kb")
    if len(text.encode("utf-8", "surrogatepass")) > cap:
        raise InputError(f"larger than the {cap // 1024} kB limit for YAML files", file=source)
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {_yaml_problem(exc)}", file=source) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", file=source) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # explicit tags PyYAML's constructors fail on with plain exceptions (`!!int abc`, `!!bool maybe`)
        raise InputError(f"not valid YAML: a tagged value cannot be read ({exc})", file=source) from None


def read_user_yaml(path: str | Path) -> Any:
    """Read and parse a user's YAML file (a regular UTF-8 file within the limit)."""
    raw = read_regular_file(path, limit_bytes("yaml_kb"), "YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    return load_user_yaml(text, path)


# --- files -----------------------------------------------------------------------------------------


def check_regular_file(path: str | Path, max_bytes: int | None = None, what: str = "file") -> Path:
    """Refuse what is not a regular file (a folder, a FIFO, a device such as /dev/zero) or is too large."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"no such {what}", file=p) from None
    except ValueError:  # a NUL byte in the name (API or web callers; argv cannot carry one)
        raise InputError(f"not a valid {what} name", file=repr(str(p))) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=p) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a folder, not a {what}", file=p, expected=f"a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file (a pipe or a device?)", file=p, expected=f"a {what}")
    cap = limit_bytes("file_mb") if max_bytes is None else max_bytes
    if st.st_size > cap:
        raise InputError(
            f"is {st.st_size / 1024 / 1024:.1f} MB, over the {cap / 1024 / 1024:g} MB limit", file=p
        )
    return p


def read_regular_file(path: str | Path, max_bytes: int | None = None, what: str = "file") -> bytes:
    p = check_regular_file(path, max_bytes, what)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=p) from None


def csv_field_cap() -> int:
    """The csv_field_kb limit in bytes, for a reader to refuse longer cells itself with a clear message.

    The csv module's own limit is process-wide, so it is raised to the file-size limit (the text is
    already in memory, so no cell can be larger): whichever reader ran first, the cap decides."""
    cap = limit_bytes("csv_field_kb")
    whole = max(cap, limit_bytes("file_mb"))
    if csv.field_size_limit() < whole:
        csv.field_size_limit(whole)
    return cap


# --- URLs ------------------------------------------------------------------------------------------


def private_urls_allowed() -> bool:
    return os.environ.get("SHAREMAP_ALLOW_PRIVATE_URLS", "") in ("1", "true", "yes")


def check_public_url(url: str) -> str:
    """Refuse a URL that is not http(s) or whose host resolves to a loopback, private, link-local or
    reserved address (SHAREMAP_ALLOW_PRIVATE_URLS=1 allows private hosts, for tests and mirrors)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}", field="url", expected="http:// or https://")
    if private_urls_allowed():
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"cannot resolve host {parts.hostname!r}: {exc}", field="url") from None
    for info in infos:
        check_public_address(url, str(info[4][0]))
    return url


def check_public_address(url: str, address: str) -> None:
    """Refuse an address that is not public for `url`: the check of the name's addresses before
    connecting, and of the address actually connected to after (a name that resolves to a public
    address for the check and to a private one for the connection, DNS rebinding, is caught there)."""
    if private_urls_allowed():
        return
    addr = ipaddress.ip_address(address.split("%", 1)[0])
    if not addr.is_global or addr.is_multicast:
        host = urlsplit(url).hostname
        raise InputError(
            f"refusing {url!r}: {host} is a loopback, private or link-local address ({addr})",
            field="url",
            expected="a public host (set SHAREMAP_ALLOW_PRIVATE_URLS=1 for a local mirror)",
        )


# --- spreadsheet-safe cells --------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe; others pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
