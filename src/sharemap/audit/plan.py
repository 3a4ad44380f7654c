"""Planning: which tasks an audit runs, one per file or piece of a file.

Large Parquet files are split by row groups and large CSV files into pieces (`sharemap.audit.pieces`)
on the local and Ray engines; each piece is a task run side by side with the others. Results are
merged in file and row order (`sharemap.audit.summary`), so every way of cutting a file gives
identical results.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from sharemap.audit.aggregates import is_aggregates
from sharemap.audit.connection import connect
from sharemap.audit.formats.spec import load_mapping
from sharemap.audit.model import AuditOptions, FileTask
from sharemap.audit.pieces import PIECE_BYTES, CsvPiece, cut_points, may_cut
from sharemap.audit.source import open_log

Plan = list[tuple[int, Path, tuple[int, int] | None, CsvPiece | None]]


def plan_files(files: Sequence[Path], options: AuditOptions, split: bool, chunks: int) -> Plan:
    """(file index, file, Parquet record range, CSV piece) per task.

    When `split`, Parquet files with several row groups are split into up to `chunks` contiguous
    ranges of row groups, and plain CSV files of at least PIECE_MIN_BYTES into pieces of at most
    about PIECE_BYTES, and into at least `chunks` pieces over all files (sharemap.audit.pieces).
    """
    plan: Plan = []
    for fi, f in enumerate(files):
        if split and f.suffix.lower() == ".parquet":
            ranges = _row_group_ranges(f, chunks)
            if len(ranges) > 1:
                plan.extend((fi, f, r, None) for r in ranges)
                continue
        elif split and f.is_file() and may_cut(f) and not is_aggregates(f):
            # enough pieces to keep every worker busy, counting the other files, and none over PIECE_BYTES
            per_file = max(-(-chunks // len(files)), -(-f.stat().st_size // PIECE_BYTES))
            pieces = _csv_pieces(f, options, per_file) if per_file > 1 else []
            if len(pieces) > 1:
                plan.extend((fi, f, None, piece) for piece in pieces)
                continue
        plan.append((fi, f, None, None))
    return plan


def _row_group_ranges(f: Path, chunks: int) -> list[tuple[int, int]]:
    try:
        rows = (
            duckdb.connect()
            .execute(
                "SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(?) "
                "GROUP BY 1 ORDER BY 1",
                [str(f)],
            )
            .fetchall()
        )
    except duckdb.Error:
        return []
    groups = [int(n) for _, n in rows]
    if len(groups) < 2:
        return []
    k = min(len(groups), max(2, chunks))
    total = sum(groups)
    start, acc = 0, 0
    bounds: list[int] = []
    for n in groups:
        acc += n
        if len(bounds) < k - 1 and (acc + n / 2) * k >= total * (len(bounds) + 1):
            bounds.append(acc)
    ranges = []
    for end in [*bounds, total]:
        if end > start:
            ranges.append((start, end))
        start = end
    return ranges


def _csv_pieces(f: Path, options: AuditOptions, pieces: int) -> list[CsvPiece]:
    """Pieces of a plain (not compressed) CSV file, sharing the date forms found in the whole file."""
    tmp = tempfile.mkdtemp(prefix="sharemap-plan-")
    try:
        con = connect(options, tmp)
        opened = open_log(
            con,
            f,
            forced_format=options.format,
            mapping=load_mapping(options.mapping) if options.mapping else None,
            encoding=options.encoding,
            org_name=options.org,
        )
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if opened.container != "csv" or not opened.delimiter:
        return []
    points = cut_points(f, pieces, opened.delimiter, len(opened.header), opened.encoding)
    return [
        CsvPiece(start, end, points[0], opened.encoding, tuple(opened.time_formats))
        for start, end in itertools.pairwise(points)
    ]


def make_tasks(plan: Plan, options: AuditOptions, key: bytes, parts_dir: str | None) -> list[FileTask]:
    """One task per entry of the plan, in plan order; `parts_dir` holds their `--out` parts."""
    return [
        FileTask(
            index=i,
            path=str(f),
            options=options,
            key=key,
            out_part=os.path.join(parts_dir, f"part-{i:05d}.parquet") if parts_dir else None,
            file_index=fi,
            rows=rows,
            piece=piece,
        )
        for i, (fi, f, rows, piece) in enumerate(plan)
    ]
