"""A task's file opened in its own DuckDB connection (memory limit, temp dir, rows in file order)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from sharemap.audit.formats.spec import FormatSpec, load_mapping
from sharemap.audit.model import AuditOptions, FileTask
from sharemap.audit.source import Opened, one_line, open_log
from sharemap.errors import InputError


def connect(options: AuditOptions, tmp: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the run's memory limit, its own temp dir, and rows in file order."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{options.memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if options.threads:
        con.execute(f"SET threads = {int(options.threads)}")
    return con


@contextlib.contextmanager
def opened(task: FileTask) -> Iterator[tuple[duckdb.DuckDBPyConnection, Opened]]:
    """The task's file (or piece of it) opened in a fresh DuckDB connection with its own temp dir."""
    opts = task.options
    mapping: FormatSpec | None = load_mapping(opts.mapping) if opts.mapping else None
    tmp = tempfile.mkdtemp(prefix="sharemap-audit-")
    try:
        con = connect(opts, tmp)
        piece = task.piece
        source = piece.write(task.path, Path(tmp) / f"piece{Path(task.path).suffix}") if piece else task.path
        log = open_log(
            con,
            source,
            forced_format=opts.format,
            mapping=mapping,
            encoding=piece.encoding if piece else opts.encoding,
            org_name=opts.org,
            tag=str(task.index),
            row_range=task.rows,
            name=task.path,
            time_formats=piece.time_formats if piece else None,
            sheet=opts.sheet,
            hidden_sheets=opts.hidden_sheets,
        )
        try:
            yield con, log
        except duckdb.Error as exc:  # a malformed file the readers could not route around
            raise InputError(f"cannot read as {log.spec.name}: {one_line(exc)}", file=task.path) from exc
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
