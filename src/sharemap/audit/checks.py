"""What a rule hit becomes: cited, explained findings, and the flagged rows written to Parquet.

The rules themselves (what matches, the law asked, the explanation) are objects in
`sharemap.audit.rules`; this module applies them to the merged hits and writes `--out` files.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from sharemap.audit import rules
from sharemap.audit.model import UNKNOWN_ORG, AuditOptions, FilePartial, HitKey, OrgClass, RuleHit
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import SEVERITY_RANK, Finding, LawBasis, Summary


def hit_predicates(active: Sequence[rules.Rule]) -> dict[str, str]:
    """SQL predicate over the `hits` view for each rule that can hit in the file (`rules.active`)."""
    return {r.id: r.match.sql() for r in active}


_HITS_COLUMNS = (
    "rule_id VARCHAR, file VARCHAR, file_index INTEGER, row BIGINT, event_id VARCHAR, time TIMESTAMP, "
    "org_name VARCHAR, user VARCHAR, subject VARCHAR, reason VARCHAR, category VARCHAR, level VARCHAR, "
    "terms VARCHAR[], networks BIGINT, devices BIGINT, lookback_days DOUBLE"
)


def write_empty_hits(path: str) -> None:
    cols = ", ".join(
        f"NULL::{typ} AS {name}" for name, typ in (c.split(" ", 1) for c in _HITS_COLUMNS.split(", "))
    )
    con = duckdb.connect()
    con.execute(f"COPY (SELECT {cols} WHERE false) TO '{path}' (FORMAT parquet)")
    con.close()


def write_hits(
    con: duckdb.DuckDBPyConnection,
    path: str,
    pseudo: Pseudonymiser,
    active: Sequence[rules.Rule],
    reject_lines: list[int],
    file_index: int = 0,
) -> None:
    """Every flagged row, one row per rule it breaks, pseudonymised, to Parquet."""
    import pyarrow as pa
    import pyarrow.compute as pc

    con.execute(pseudo.sql_macro())

    def text(arr: Any) -> Any:
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        enc = pc.dictionary_encode(arr)
        values = pa.array([pseudo.text(v) for v in enc.dictionary.to_pylist()], pa.string())
        return pc.take(values, enc.indices)

    from duckdb.sqltypes import VARCHAR

    with contextlib.suppress(duckdb.Error):
        con.remove_function("pseudo_text")
    udf: Any = con.create_function
    udf("pseudo_text", text, [VARCHAR], VARCHAR, type="arrow", side_effects=False)
    adj = [r - j for j, r in enumerate(reject_lines)]
    con.register("reject_adj", pa.table({"a": pa.array(adj, pa.int64())}))
    row = "rn + (SELECT count(*) FROM reject_adj WHERE a <= rn)" if adj else "rn"
    index = int(file_index)
    # one output row per rule a row breaks, rules in name order; rows stay in file order as read
    # (insertion order is preserved), so the file streams out without a sort
    rules = ", ".join(
        f"CASE WHEN {pred} THEN '{rule}' END" for rule, pred in sorted(hit_predicates(active).items())
    )
    con.execute(f"""
        COPY (
          SELECT rule_id, file, {index} AS file_index, {row} AS row, event_id, time, org_name,
                 pseudo('user', user) AS user, pseudo('plate', subject) AS subject,
                 pseudo_text(reason) AS reason, category, level, terms, networks, devices, lookback_days
          FROM (SELECT *, unnest(list_filter([{rules}], lambda r: r IS NOT NULL)) AS rule_id FROM hits)
          WHERE bad & 1 = 0
        ) TO '{path}' (FORMAT parquet)
    """)  # fmt: skip


def combine_hits(parts_dir: str, out: Path, row_offsets: dict[int, int] | None = None) -> None:
    """The tasks' hit files, in task order (so in file and row order), as one Parquet file.

    Streamed batch by batch; `row_offsets` (task index -> rows before the task's piece of its file)
    renumbers the rows of CSV pieces as rows of the whole file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted(glob.glob(os.path.join(parts_dir, "part-*.parquet")))
    out.parent.mkdir(parents=True, exist_ok=True)
    if not files:
        return
    offsets = row_offsets or {}
    writer: pq.ParquetWriter | None = None
    try:
        for f in files:
            offset = offsets.get(int(Path(f).stem.split("-")[1]), 0)
            source = pq.ParquetFile(f)
            writer = writer or pq.ParquetWriter(str(out), source.schema_arrow)
            for batch in source.iter_batches():
                if offset:
                    i = batch.schema.get_field_index("row")
                    batch = batch.set_column(i, "row", pc.add(batch.column(i), pa.scalar(offset, pa.int64())))
                writer.write_batch(batch if batch.schema == writer.schema else batch.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()


def build_findings(parts: Sequence[FilePartial], options: AuditOptions, summary: Summary) -> list[Finding]:
    """Merge rule hits from every file and turn them into cited, explained findings."""
    merged: dict[HitKey, RuleHit] = {}
    systems = {p.system for p in parts}
    system = systems.pop() if len(systems) == 1 else "other"
    orgs: dict[str, OrgClass] = {}
    for p in sorted(parts, key=lambda x: x.index):
        orgs.update(p.orgs)
        for key, h in p.hits.items():
            merged.setdefault(key, RuleHit()).absorb(h)
    on = summary.last.date() if summary.last else None
    findings: list[Finding] = []
    for (rule_id, org), hit in merged.items():
        rule = rules.BY_ID[rule_id]
        f = _finding(
            rule, org, orgs.get(org or "", UNKNOWN_ORG), hit, rule.law(rule_id, options, on, system), options
        )
        if f is not None:
            findings.append(f)
    findings.sort(
        key=lambda f: (
            SEVERITY_RANK[f.severity],
            rules.RULE_ORDER.index(f.rule_id),
            -f.count,
            f.org_name or "",
        )
    )
    return findings


def _finding(
    rule: rules.Rule,
    org: str | None,
    org_class: OrgClass,
    hit: RuleHit,
    basis: LawBasis | None,
    options: AuditOptions,
) -> Finding | None:
    said = rule.explain(rules.Context(hit, org, basis, options, org_class if org else None))
    if said is None:
        return None
    return Finding(
        rule_id=rule.id,
        severity=said.severity,
        title=rule.title,
        explanation=said.text,
        org_name=org,
        org_state=org_class.state,
        org_kind=org_class.kind,
        org_type=org_class.org_type if org else None,
        org_basis=org_class.basis,
        count=hit.count,
        evidence=hit.evidence[: options.evidence_limit],
        evidence_total=hit.count,
        law=basis,
        details=said.details,
    )
