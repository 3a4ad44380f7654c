"""Shared CLI plumbing: one console, JSON output, and turning SharemapError into an exit code.

Rich is imported on the first use of `console`, `err_console` or `table`, not with this module: a
command that prints plain lines (`law rule`, through `echo`) starts without it (about 25 ms).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import BaseModel

from sharemap.errors import SharemapError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.cache
def get_console(stderr: bool = False) -> Console:
    """The process's Rich console for stdout (or stderr), made on first use."""
    from rich.console import Console

    return Console(stderr=stderr)


def __getattr__(name: str) -> Console:
    """`console` and `err_console` as module attributes, made on first use (PEP 562)."""
    if name in ("console", "err_console"):
        return get_console(stderr=name == "err_console")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def echo(text: str, *, bold: bool = False) -> None:
    """One line on stdout, as `console.print(text, highlight=False, soft_wrap=True, markup=False)`
    prints it (bold when `bold` and stdout is a terminal), without importing Rich."""
    if bold and _styled(sys.stdout):
        text = f"\x1b[1m{text}\x1b[0m"
    sys.stdout.write(text + "\n")


def _styled(stream: Any) -> bool:
    """Whether Rich would style output to this stream: FORCE_COLOR set, or a terminal not 'dumb'."""
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")


def to_jsonable(value: Any) -> Any:
    """Convert models, dates, enums and paths into plain JSON values."""
    if isinstance(value, BaseModel):
        return to_jsonable(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def to_json_text(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n"


def print_json(value: Any) -> None:
    sys.stdout.write(to_json_text(value))


def atomic_write_text(path: Path, text: str) -> None:
    """Write a whole file or nothing: to a temporary name beside it, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def parse_date(text: str, field: str = "date") -> dt.date:
    """A YYYY-MM-DD command-line date, or a clear error naming the option."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise SharemapError(f"not a date: {text!r}", field=field, expected="YYYY-MM-DD") from exc


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table whose cells wrap (long words fold) and whose date columns are never cut."""
    from rich.table import Table

    out = Table(title=title, show_lines=False, header_style="bold")
    for i, col in enumerate(columns):
        values = [str(r[i]) for r in rows if i < len(r) and r[i] not in (None, "", "—")]
        dated = bool(values) and all(_ISO_DATE.match(v) for v in values)
        out.add_column(col, overflow="fold", no_wrap=dated, min_width=10 if dated else None)
    for row in rows:
        out.add_row(*["" if v is None else str(v) for v in row])
    return out


@contextmanager
def handle_errors() -> Iterator[None]:
    """Print a SharemapError as one clear line on stderr and exit with its code."""
    try:
        yield
    except SharemapError as exc:
        get_console(stderr=True).print(
            f"[bold red]error:[/] {exc.describe()}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(exc.exit_code) from exc


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run a command body under handle_errors and with SIGTERM as SystemExit(143)
    (`runner.exit_on_sigterm`), so a `kill` runs the same clean-ups as Ctrl-C: `finally` blocks
    remove temporary files and worker pools are stopped (keeps typer's signature)."""
    from sharemap.runner import exit_on_sigterm

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with exit_on_sigterm(), handle_errors():
            return fn(*args, **kwargs)

    return wrapper
