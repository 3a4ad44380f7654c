"""Parse many ICE list files at once: in parallel, cached by content hash, as Arrow tables.

The parsed rows of every snapshot are the base data of the ledger: the package ships them as
Parquet, and the history is always recomputed from them, so a build is reproducible from the files
in the repository alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from sharemap.errors import InputError
from sharemap.kb.model import ListKind
from sharemap.ledger.columns import ListRow, row_fields
from sharemap.ledger.lists import PARSER_VERSION, ParsedList, is_snapshot_file, read_list
from sharemap.runner import run_tasks

SNAPSHOT_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("kind", pa.string()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("captured", pa.timestamp("s")),
        ("date_source", pa.string()),
        ("name_date", pa.date32()),
        ("saved_at", pa.timestamp("s")),
        ("source_format", pa.string()),
        ("rows", pa.int32()),
        ("blank_rows", pa.int32()),
        ("columns", pa.list_(pa.string())),
        ("anomalies", pa.list_(pa.string())),
    ]
)

ROW_SCHEMA = pa.schema([("snapshot_id", pa.string()), *row_fields()])
"""One list row per snapshot: ListRow's fields (sharemap.ledger.columns) after the snapshot's id."""

PROBLEM_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("file_name", pa.string()),
        ("row", pa.int32()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("problem", pa.string()),
    ]
)


@dataclasses.dataclass
class Skipped:
    """A file in a snapshot folder that is not an ICE list, or could not be read."""

    file_name: str
    reason: str


def snapshot_files(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """ICE list files under `folder` (recursively), and the other files with why they are skipped."""
    if not folder.exists():
        raise InputError("folder not found", file=folder, expected="a folder of ICE 287(g) list files")
    files, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if is_snapshot_file(path):
            files.append(path)
        else:
            skipped.append(
                Skipped(path.name, "not an ICE list snapshot (a merged file, script or other type)")
            )
    return files, skipped


def _cache_key(data: bytes, kind: ListKind) -> str:
    return f"v{PARSER_VERSION}-{kind.value}-{hashlib.sha256(data).hexdigest()}"


def _cache_entry(path: Path, cache: Path) -> Path:
    from sharemap.ledger.lists import list_kind

    return cache / f"{_cache_key(path.read_bytes(), list_kind(path))}-{path.name}.pkl"


def _parse_task(task: tuple[str, str | None]) -> ParsedList | Skipped:
    """Parse one file (in a worker) and, with a cache folder, store the result under its content hash."""
    path, cache = Path(task[0]), Path(task[1]) if task[1] else None
    try:
        parsed = read_list(path)
    except InputError as exc:
        return Skipped(path.name, exc.describe())
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        entry = _cache_entry(path, cache)
        tmp = entry.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(parsed))
        tmp.replace(entry)
    return parsed


def parse_many(
    paths: Sequence[Path],
    cache: Path | None,
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> tuple[list[ParsedList], list[Skipped]]:
    """Parse files in parallel, reusing cached parses (read here, not in workers, to avoid a round trip).

    Unreadable files are returned as Skipped, never dropped silently. Results keep the input order.
    """
    results: list[ParsedList | Skipped | None] = [None] * len(paths)
    missing = []
    for i, path in enumerate(paths):
        entry = _cache_entry(path, cache) if cache is not None else None
        if entry is not None and entry.exists():
            results[i] = pickle.loads(entry.read_bytes())
            if on_done:
                on_done(1)
        else:
            missing.append(i)
    tasks = [(str(paths[i]), str(cache) if cache else None) for i in missing]
    for i, result in zip(
        missing, run_tasks(_parse_task, tasks, workers=workers, on_done=on_done), strict=True
    ):
        results[i] = result
    parsed = [r for r in results if isinstance(r, ParsedList)]
    skipped = [r for r in results if isinstance(r, Skipped)]
    return parsed, skipped


def to_tables(parsed: Sequence[ParsedList]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Snapshots, rows and row problems as Arrow tables (the shipped base data)."""
    snaps, problems = [], []
    ordered = sorted(parsed, key=lambda p: (p.kind.value, p.captured, p.file_name))
    for p in ordered:
        sid = p.snapshot_id
        snaps.append(
            {
                "snapshot_id": sid,
                "kind": p.kind.value,
                "file_name": p.file_name,
                "sha256": p.sha256,
                "captured": p.captured,
                "date_source": p.date_source,
                "name_date": p.name_date,
                "saved_at": p.saved_at,
                "source_format": p.source_format,
                "rows": len(p.rows),
                "blank_rows": p.blank_rows,
                "columns": p.columns,
                "anomalies": p.anomalies,
            }
        )
        for q in p.problems:
            problems.append({"snapshot_id": sid, "file_name": p.file_name, **dataclasses.asdict(q)})
    return (
        pa.Table.from_pylist(snaps, SNAPSHOT_SCHEMA),
        rows_table((p.snapshot_id, p.rows) for p in ordered),
        pa.Table.from_pylist(problems, PROBLEM_SCHEMA),
    )


def rows_table(rows: Iterable[tuple[str, Sequence[ListRow]]]) -> pa.Table:
    """Rows of many snapshots, as (snapshot id, rows) pairs, in one Arrow table with ROW_SCHEMA."""
    records = []
    for sid, snapshot_rows in rows:
        for r in snapshot_rows:
            row = dataclasses.asdict(r)
            row["model"] = r.model.value if r.model else None
            records.append({"snapshot_id": sid, **row})
    return pa.Table.from_pylist(records, ROW_SCHEMA)
