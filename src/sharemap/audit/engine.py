"""Run an audit: plan the tasks, scan each (the same DuckDB queries on every engine), read the
evidence rows, merge. The steps live in their own modules, over the types of `sharemap.audit.model`:

- `sharemap.audit.plan`: one task per file, or per Parquet row-group range or CSV piece of a file;
- `sharemap.audit.scan`: one streaming pass per task with bounded memory (`audit_file`);
- `sharemap.audit.evidence`: each rule's first rows over all tasks, read by number (`pick_rows`);
- `sharemap.audit.summary`: partial results merged in file and row order, findings built by the
  rules of `sharemap.audit.rules`.

Every engine, and every way of cutting a file, gives identical results.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sharemap.audit import aggregates, checks, hints
from sharemap.audit.classify import Classifier, default_classifier
from sharemap.audit.connection import opened
from sharemap.audit.evidence import Runner, attach_evidence, pick_rows
from sharemap.audit.lawlink import retention_periods
from sharemap.audit.model import AuditOptions, FilePartial, FileTask
from sharemap.audit.plan import make_tasks, plan_files
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.scan import scan_file
from sharemap.audit.schema import AuditResult
from sharemap.audit.summary import merge, piece_offsets
from sharemap.errors import InputError
from sharemap.runner import Engine, run_tasks

__all__ = ["AuditOptions", "audit_file", "expand_inputs", "pick_rows", "run_audit"]


def audit_file(task: FileTask) -> FilePartial:
    """The per-file task: read, aggregate, classify, find the rule hits. Picklable for Ray."""
    opts = task.options
    if opts.format is None and opts.mapping is None and aggregates.is_aggregates(task.path):
        return aggregates.audit_aggregates(task)  # totals per organisation, not a log of searches
    classifier = Classifier.from_file(opts.terms) if opts.terms else default_classifier()
    pseudo = Pseudonymiser(key=task.key, reveal=opts.reveal)
    with opened(task) as (con, log):
        return scan_file(con, log, task, classifier, pseudo)


def _read_whole_if_rejected(
    tasks: list[FileTask],
    parts: list[FilePartial],
    run: Runner,
) -> tuple[list[FileTask], list[FilePartial]]:
    """Audit again, in one piece, every CSV file of which a piece had rows the parser rejected.

    A rejected record may be a cut inside a quoted field, and rejected rows are located by line,
    which only the whole file gives; so such files are read whole, as a small file would be.
    """
    redo = {p.file_index for p in parts if p.piece and p.rejected}
    if not redo:
        return tasks, parts
    again: list[FileTask] = []
    for t in tasks:
        if t.file_index in redo and t.piece is not None:
            if t.out_part and os.path.exists(t.out_part):
                os.remove(t.out_part)
            if not again or again[-1].file_index != t.file_index:
                again.append(replace(t, piece=None))
    kept = [t for t in tasks if t.file_index not in redo] + again
    return kept, [p for p in parts if p.file_index not in redo] + run(audit_file, again)


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Files given, with directories expanded to the log files inside them (sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith("."))
            if not found:
                raise InputError("directory holds no files", file=p)
            out.extend(found)
        else:
            out.append(p)
    return out


def run_audit(
    paths: Sequence[str | Path],
    options: AuditOptions | None = None,
    *,
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    key: bytes | None = None,
    on_done: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit the logs at `paths` and return findings, summary and read issues.

    engine "local" runs files in a process pool, "serial" in this process, "ray" on Ray (see
    sharemap.runner); the local and Ray engines split large CSV and Parquet files into pieces run
    side by side. `out` writes every flagged row (one row per rule hit) to Parquet. `on_plan(n)`
    is told the number of tasks, `on_done(k)` each time k of them finish (progress bars).
    """
    options = options or AuditOptions()
    notices: list[str] = []
    if options.retention_days is None and options.state:
        periods, why = retention_periods(options.state)
        notices.append(why)
        options = replace(options, retention_periods=tuple(periods))
    files = expand_inputs(paths)
    if not files:
        raise InputError("no input files given", expected="one or more log files")
    pseudo = Pseudonymiser(key=key, reveal=options.reveal)
    parts_dir = tempfile.mkdtemp(prefix="sharemap-audit-out-") if out else None
    cpus = os.cpu_count() or 1
    plan = plan_files(files, options, split=engine != "serial", chunks=workers or cpus)
    tasks = make_tasks(plan, options, pseudo.key, parts_dir)
    if on_plan:
        on_plan(len(tasks))
    if options.retention_days is None and not options.retention_periods:
        notices.append(f"look-back check not run: no retention limit known for the state; {hints.RETENTION}")
    try:
        if engine in ("local", "ray") and len(tasks) > 1 and options.threads is None and not address:
            # several tasks at once: share the CPUs between the processes instead of oversubscribing
            workers = workers or min(len(tasks), cpus)
            per_task = replace(options, threads=max(1, cpus // workers))
            tasks = [replace(t, options=per_task) for t in tasks]

        def run(fn: Callable[[FileTask], Any], todo: list[FileTask]) -> list[Any]:
            return run_tasks(fn, todo, engine=engine, address=address, workers=workers)

        parts = run_tasks(audit_file, tasks, engine=engine, address=address, workers=workers, on_done=on_done)
        tasks, parts = _read_whole_if_rejected(tasks, parts, run)
        offsets = piece_offsets(parts)
        attach_evidence(tasks, parts, options, pseudo, run, offsets)
        result = merge(parts, options, engine, pseudo, notices, offsets)
        if out and parts_dir:
            checks.combine_hits(parts_dir, Path(out), offsets)
        return result
    finally:
        if parts_dir:
            shutil.rmtree(parts_dir, ignore_errors=True)
