"""Audit an uploaded log: stream it to a private temporary folder, audit it, delete it.

The upload is written straight to disk in a folder only this server's user can enter (0700), as a
file only it can read (0600); it is never held whole in memory. The folder is removed when the
request ends, whatever the outcome, and any left over are removed when the server shuts down (app
lifespan and atexit) or, after a crash, by the next server that starts (folders whose process is
gone). If the user ticks "keep", a copy (0600, in $SHAREMAP_HOME/uploads, 0700) is kept under a
random name (removed after the kept_upload_days limit); the answer gives that name, never a server
path. Downloads of the findings (CSV and
Parquet, pseudonymised) are embedded in the answer as data URLs, so no server-side copy is needed.

Audits run in one bounded pool (`AuditPool`): at most `audit_workers` scan at once, each DuckDB
connection capped at `audit_memory_mb` and one thread, at most `audit_queue` more wait their turn, and
any upload beyond that gets 503 with Retry-After. After each audit the C heap is trimmed
(glibc malloc_trim), so memory the scan freed goes back to the system instead of staying with the
server. Sixteen concurrent 47 MB uploads once took the server to 2 GB (issue 13).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import csv
import ctypes
import io
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from sharemap.errors import InputError, SharemapError
from sharemap.safety import limit, limit_bytes, spreadsheet_safe

LEGACY_ENV = "SHAREMAP_UPLOAD_LIMIT_MB"  # the variable before safety.LIMITS; still honoured
PREFIX = "sharemap-upload-"
CHUNK = 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LIVE: set[Path] = set()
_LIVE_LOCK = threading.Lock()


def upload_limit_bytes(override: int | None = None) -> int:
    """The upload limit: `override`, else SHAREMAP_UPLOAD_LIMIT_MB if set (the older name), else the
    upload_mb limit (SHAREMAP_MAX_UPLOAD_MB)."""
    if override is not None:
        return override
    raw = os.environ.get(LEGACY_ENV, "")
    if raw:
        try:
            mb = float(raw)
        except ValueError:
            mb = float("nan")
        if not 0 < mb < float("inf"):
            raise InputError(f"{LEGACY_ENV} must be a positive number (MB), not {raw!r}", field=LEGACY_ENV)
        return int(mb * 1024 * 1024)
    return limit_bytes("upload_mb")


def audit_available() -> tuple[bool, str]:
    try:
        from sharemap.audit.engine import run_audit  # noqa: F401
    except Exception as exc:
        return False, f"the auditor could not be loaded: {exc}"
    return True, ""


@dataclass
class AuditAnswer:
    result: Any  # sharemap.audit.schema.AuditResult
    csv_url: str
    parquet_url: str | None
    kept: str | None  # the kept copy's file name (in the server's uploads folder), not its path


def safe_name(name: str | None) -> str:
    base = os.path.basename((name or "upload").replace("\\", "/"))
    base = _SAFE.sub("_", base).strip("._") or "upload"
    return base[:80]


def _create_private(path: Path) -> IO[bytes]:
    """A new file only this user can read and write (0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


class PrivateUpload:
    """One uploaded file in its own private temporary folder, removed by `remove()` (or at exit)."""

    def __init__(self, filename: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))  # 0700
        with _LIVE_LOCK:
            _LIVE.add(self.folder)
        self.name = safe_name(filename)
        self.path = self.folder / self.name
        self.size = 0

    def write_from(self, src: IO[bytes], max_bytes: int) -> None:
        """Copy `src` here in chunks; TooLarge as soon as it passes `max_bytes`."""
        from sharemap.web.limits import TooLarge

        with _create_private(self.path) as out:
            while chunk := src.read(CHUNK):
                self.size += len(chunk)
                if self.size > max_bytes:
                    raise TooLarge(max_bytes)
                out.write(chunk)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self.folder)

    def __enter__(self) -> PrivateUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def remove_all() -> None:
    """Remove every upload folder this process still holds (server shutdown, interpreter exit)."""
    with _LIVE_LOCK:
        folders = list(_LIVE)
        _LIVE.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(remove_all)


def remove_orphans() -> int:
    """Remove upload folders left by server processes that died (kill -9, power loss): the folder
    name holds the owner's pid; folders of live processes are left alone. Returns how many."""
    removed = 0
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{PREFIX}*"):
        pid_text = folder.name[len(PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
            continue  # its process is alive
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _no_server_paths(result: Any, folder: Path) -> Any:
    """The audit result with the temporary folder removed from every text in it (file names stay)."""
    data = result.model_dump(mode="json")
    prefix = str(folder) + os.sep

    def clean(v: Any) -> Any:
        if isinstance(v, str):
            return v.replace(prefix, "").replace(str(folder), "")
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        return v

    return type(result).model_validate(clean(data))


def kept_folder() -> Path:
    from sharemap.settings import home

    return home() / "uploads"


def remove_expired_kept(now: float | None = None) -> int:
    """Remove kept uploads older than the kept_upload_days limit (at server start and whenever a copy
    is kept): a kept log is evidence for a while, not forever. Returns how many were removed."""
    folder = kept_folder()
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - limit("kept_upload_days") * 86400
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _keep_copy(path: Path) -> str:
    """A private copy in $SHAREMAP_HOME/uploads under a random name; returns that name."""
    remove_expired_kept()
    dest_dir = kept_folder()
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(dest_dir, 0o700)
    dest = dest_dir / f"{uuid.uuid4().hex}-{path.name}"
    with path.open("rb") as src, _create_private(dest) as out:
        shutil.copyfileobj(src, out, CHUNK)
    return dest.name


WEB_WORDS = {
    "encoding": "save the file as UTF-8 text and upload it again",
    "retention_days": "enter a number in Retention days",
    "state": "choose the state whose data was searched",
    "sheet": "move the log to the workbook's first visible sheet",
    "hidden_sheets": "make the sheet visible in a spreadsheet program",
    "max_issues": "audit the file with the command-line tool to list every problem row",
    "mapping": "a column mapping for other logs (in the command-line tool)",
}
"""The audit's option phrases (`sharemap.audit.hints`) in the web's words: what to do on this form,
or instead, since the form has no field for most options."""


def web_words(text: str | None) -> str | None:
    """An audit message as the web page and /api/audit show it: no command-line flags."""
    from sharemap.audit.hints import reword

    return reword(text, WEB_WORDS)


def audit_upload(
    upload: PrivateUpload,
    state: str | None,
    keep: bool = False,
    retention_days: float | None = None,
) -> AuditAnswer:
    """Audit a saved upload (the caller removes it); errors and results name the file, not its path."""
    from sharemap.audit.engine import AuditOptions, run_audit

    if upload.size == 0 and (not upload.path.exists() or upload.path.stat().st_size == 0):
        raise InputError("the uploaded file is empty", file=upload.name)
    tmp = str(upload.folder)
    options = AuditOptions(
        state=state or None,
        retention_days=retention_days,
        memory_limit=f"{int(limit('audit_memory_mb'))}MB",
        threads=1,
    )
    try:
        result = run_audit([upload.path], options, engine="serial")
    except SharemapError as exc:  # name the user's file, not the temporary path; the web's words
        raise type(exc)(
            web_words(exc.message.replace(tmp + os.sep, "").replace(tmp, "")) or "",
            file=upload.name,
            row=exc.row,
            field=exc.field,
            expected=web_words(exc.expected),
        ) from exc
    from sharemap.audit.hints import reword_result

    result = reword_result(_no_server_paths(result, upload.folder), WEB_WORDS)
    kept = _keep_copy(upload.path) if keep else None
    rows = evidence_rows(result)
    return AuditAnswer(result, _data_url(_csv(rows), "text/csv"), _parquet_url(rows), kept)


T = TypeVar("T")
IDLE_TRIM_S = 2.0  # after the pool empties, when the heap is trimmed once more


def trim_heap() -> bool:
    """Give freed C-heap memory back to the system (glibc `malloc_trim`, every arena); False where
    there is no glibc. DuckDB and pyarrow free their buffers, but glibc keeps them for reuse."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


class AuditPool:
    """At most `workers` audits at once, at most `queue` more waiting (in arrival order); beyond
    that `Busy` (503 + Retry-After) at once, so a burst of uploads cannot hold the memory of all."""

    def __init__(self, workers: int | None = None, queue: int | None = None) -> None:
        self.workers = int(workers if workers is not None else limit("audit_workers"))
        self.queue = int(queue if queue is not None else limit("audit_queue"))
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sharemap-audit")
        self._lock = threading.Lock()
        self.admitted = 0  # running or waiting
        self.peak = 0
        self._durations: deque[float] = deque(maxlen=20)

    def retry_after(self) -> float:
        mean = sum(self._durations) / len(self._durations) if self._durations else 10.0
        return mean * max(1, self.admitted) / max(1, self.workers)

    def _admit(self) -> None:
        from sharemap.web.limits import Busy

        with self._lock:
            if self.admitted >= self.workers + self.queue:
                raise Busy(
                    f"{self.admitted} uploads are being audited or waiting, the most at once",
                    self.retry_after(),
                    status=503,
                )
            self.admitted += 1
            self.peak = max(self.peak, self.admitted)

    def _timed(self, fn: Callable[..., T], *args: Any) -> T:
        began = time.monotonic()
        try:
            return fn(*args)
        finally:
            self._durations.append(time.monotonic() - began)
            trim_heap()

    def _release(self) -> None:
        with self._lock:
            self.admitted -= 1
            idle = self.admitted == 0
        if idle:  # once the last answers are out, trim again: their buffers were freed after the audit
            timer = threading.Timer(IDLE_TRIM_S, trim_heap)
            timer.daemon = True
            timer.start()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the pool, once a slot is free; Busy when the queue is full."""
        self._admit()
        try:
            future = self._executor.submit(self._timed, fn, *args)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _f: self._release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_POOL: AuditPool | None = None
_POOL_LOCK = threading.Lock()


def audit_pool() -> AuditPool:
    """The process's one audit pool (made on first use, with the limits then in force)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = AuditPool()
        return _POOL


def run_upload(
    data: bytes,
    filename: str | None,
    state: str | None,
    keep: bool = False,
    retention_days: float | None = None,
) -> AuditAnswer:
    """Audit uploaded bytes (saved privately first, removed after)."""
    if not data:
        raise InputError("the uploaded file is empty", file=safe_name(filename))
    with PrivateUpload(filename) as up:
        up.write_from(io.BytesIO(data), max(len(data), 1))
        return audit_upload(up, state, keep, retention_days)


COLUMNS = (
    "rule_id",
    "severity",
    "org_name",
    "file",
    "row",
    "time",
    "user",
    "subject",
    "reason",
    "matched_terms",
)


def evidence_rows(result: Any) -> list[dict[str, Any]]:
    out = []
    for f in result.findings:
        for e in f.evidence:
            out.append(
                {
                    "rule_id": f.rule_id,
                    "severity": str(f.severity.value if hasattr(f.severity, "value") else f.severity),
                    "org_name": f.org_name,
                    "file": os.path.basename(e.file),
                    "row": e.row,
                    "time": e.time.isoformat() if e.time else None,
                    "user": e.user,
                    "subject": e.subject,
                    "reason": e.reason,
                    "matched_terms": ";".join(e.matched_terms),
                }
            )
    return out


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    w.writeheader()
    for r in rows:
        w.writerow({k: spreadsheet_safe(v) for k, v in r.items()})  # no cell runs as a formula
    return buf.getvalue().encode("utf-8")


def _parquet_url(rows: list[dict[str, Any]]) -> str | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return None
    table = pa.table({c: [r.get(c) for r in rows] for c in COLUMNS})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return _data_url(buf.getvalue(), "application/vnd.apache.parquet")


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
