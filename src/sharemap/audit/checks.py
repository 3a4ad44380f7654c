"""The checks: which rows break which rule, how serious it is, and the law each finding rests on.

Rules (ids are stable):
- immigration_purpose: the stated reason is an immigration-enforcement purpose (explicit or likely).
  Severity high where the law engine rules the act prohibited in the state, else medium (low for
  "likely" only) and reported for review.
- immigration_review: a reason that may mean immigration enforcement (ambiguous), for a human to read.
- out_of_state_access / federal_access: an out-of-state or federal organisation searched the data of a
  state whose law restricts sharing it with them (only reported where the law engine says so).
- no_stated_purpose: blank, or vendor boilerplate such as "daytime search for best result".
- placeholder_purpose: a generic word ("investigation", "inv") with no case number or detail.
- lookback_beyond_retention: the searched window starts more than N days before the search.
- wide_sweep: more networks or devices searched than the thresholds, with reach statistics.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from sharemap.audit.lawlink import law_basis, retention_basis
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import SEVERITY_RANK, Evidence, Finding, LawBasis, Severity, Summary, ranked

if TYPE_CHECKING:
    from sharemap.audit.engine import AuditOptions, FilePartial

REASON_RULES = {"immigration", "immigration_ambiguous", "no_stated_purpose", "placeholder"}
ORG_RULES = {"out_of_state", "federal"}

RULE_TITLES = {
    "immigration_purpose": "Immigration-enforcement purpose",
    "immigration_review": "Reason that may mean immigration enforcement (review)",
    "out_of_state_access": "Search by an out-of-state organisation",
    "federal_access": "Search by a federal organisation",
    "no_stated_purpose": "No stated purpose",
    "placeholder_purpose": "Placeholder purpose",
    "lookback_beyond_retention": "Look-back beyond the retention limit",
    "wide_sweep": "Very wide sweep",
}
RULE_ORDER = list(RULE_TITLES)


def restricted_org_kinds(state: str | None, system: str, last: dt.datetime | None) -> set[str]:
    """Organisation kinds whose searches of `state` data the law engine restricts (so rows are collected)."""
    if not state:
        return set()
    on = last.date() if last else None
    out = set()
    for rule, kind in (("out_of_state_access", "out_of_state"), ("federal_access", "federal")):
        basis = law_basis(rule, state, on, system)
        if basis is not None and basis.effect in ("prohibited", "permitted_with_conditions"):
            out.add(kind)
    return out


def rule_matchers(any_lb: bool, any_sweep: bool) -> dict[str, Callable[[dict[str, Any]], bool]]:
    """The same rules as `hit_predicates`, over one group's flags in Python."""
    m: dict[str, Callable[[dict[str, Any]], bool]] = {
        "immigration_purpose": lambda f: f["category"] == "immigration",
        "immigration_review": lambda f: f["category"] == "immigration_ambiguous",
        "out_of_state_access": lambda f: f["org_flag"] == "out_of_state",
        "federal_access": lambda f: f["org_flag"] == "federal",
        "no_stated_purpose": lambda f: f["category"] == "no_stated_purpose",
        "placeholder_purpose": lambda f: f["category"] == "placeholder",
    }
    if any_lb:
        m["lookback_beyond_retention"] = lambda f: bool(f["lb_hit"])
    if any_sweep:
        m["wide_sweep"] = lambda f: bool(f["sweep_hit"])
    return m


def hit_predicates(any_lb: bool, any_sweep: bool) -> dict[str, str]:
    """SQL predicate over the `hits` table for each rule."""
    preds = {
        "immigration_purpose": "category = 'immigration'",
        "immigration_review": "category = 'immigration_ambiguous'",
        "out_of_state_access": "org_flag = 'out_of_state'",
        "federal_access": "org_flag = 'federal'",
        "no_stated_purpose": "category = 'no_stated_purpose'",
        "placeholder_purpose": "category = 'placeholder'",
    }
    if any_lb:
        preds["lookback_beyond_retention"] = "lb_hit"
    if any_sweep:
        preds["wide_sweep"] = "sweep_hit"
    return preds


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
    any_lb: bool,
    any_sweep: bool,
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
        f"CASE WHEN {pred} THEN '{rule}' END"
        for rule, pred in sorted(hit_predicates(any_lb, any_sweep).items())
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
    merged: dict[tuple[str, str | None], dict[str, Any]] = {}
    systems = {p.system for p in parts}
    system = systems.pop() if len(systems) == 1 else "other"
    orgs: dict[str, tuple[str | None, str]] = {}
    for p in sorted(parts, key=lambda x: x.index):
        orgs.update(p.orgs)
        for (rule, org), h in p.hits.items():
            m = merged.setdefault(
                (rule, org),
                {
                    "count": 0,
                    "levels": Counter(),
                    "terms": Counter(),
                    "evidence": [],
                    "max_networks": None,
                    "max_devices": None,
                    "max_lookback": None,
                },
            )
            m["count"] += h["count"]
            m["levels"].update(h["levels"])
            m["terms"].update(h["terms"])
            m["evidence"].extend(h["evidence"])
            for k in ("max_networks", "max_devices", "max_lookback"):
                if h[k] is not None and (m[k] is None or h[k] > m[k]):
                    m[k] = h[k]
    on = summary.last.date() if summary.last else None
    findings: list[Finding] = []
    for (rule, org), m in merged.items():
        state, kind = orgs.get(org or "", (None, "unknown"))
        basis = law_basis(rule, options.state, on, system)
        if rule == "lookback_beyond_retention":
            basis = (
                None
                if options.retention_days is not None
                else retention_basis(options.state, options.retention_periods)
            )
        f = _finding(rule, org, state, kind, m, basis, options)
        if f is not None:
            findings.append(f)
    findings.sort(
        key=lambda f: (SEVERITY_RANK[f.severity], RULE_ORDER.index(f.rule_id), -f.count, f.org_name or "")
    )
    return findings


def _finding(
    rule: str,
    org: str | None,
    state: str | None,
    kind: str,
    m: dict[str, Any],
    basis: LawBasis | None,
    options: AuditOptions,
) -> Finding | None:
    n = m["count"]
    term_list = ", ".join(t for t, _ in ranked(m["terms"])) or "-"  # most frequent first
    who = org or "the logging agency"
    st = options.state or "the state"
    evidence: list[Evidence] = m["evidence"][: options.evidence_limit]
    details: dict[str, Any] = {}
    effect = basis.effect if basis else None
    cites = ", ".join(c.citation for c in basis.provisions) if basis and basis.provisions else ""
    if rule == "immigration_purpose":
        levels = dict(m["levels"])
        details = {"levels": levels, "matched_terms": dict(ranked(m["terms"]))}
        explicit = levels.get("explicit", 0)
        if effect == "prohibited":
            sev = Severity.HIGH if explicit else Severity.MEDIUM
            law_txt = f"The law engine rules this prohibited in {st}: {cites}."
        else:
            sev = Severity.MEDIUM if explicit else Severity.LOW
            law_txt = (
                f"The law engine found no provision forbidding it in {st} "
                f"({effect or 'not asked'}); reported for review."
            )
        text = (
            f"{n:,} search(es) by {who} gave an immigration-enforcement reason ({explicit:,} explicit, "
            f"{levels.get('likely', 0):,} likely; terms: {term_list}). {law_txt}"
        )
    elif rule == "immigration_review":
        sev = Severity.INFO
        details = {"matched_terms": dict(ranked(m["terms"]))}
        text = (
            f"{n:,} search(es) by {who} have a reason that may or may not mean immigration enforcement "
            f"(terms: {term_list}); read them before counting them either way."
        )
    elif rule in ("out_of_state_access", "federal_access"):
        if effect not in ("prohibited", "permitted_with_conditions"):
            return None  # not a restricted state for this recipient: counted in the summary only
        sev = Severity.HIGH if effect == "prohibited" else Severity.MEDIUM
        whom = (
            "an organisation of another state" if rule == "out_of_state_access" else "a federal organisation"
        )
        cond = "" if effect == "prohibited" else " unless the conditions the law sets were met (check them)"
        text = (
            f"{n:,} search(es) of {st} data by {who}, {whom}. The law engine rules sharing this data with "
            f"{whom.split(' ', 1)[1]} {effect.replace('_', ' ')} in {st}{cond}: {cites}."
        )
    elif rule == "no_stated_purpose":
        sev = Severity.MEDIUM
        text = (
            f"{n:,} search(es) by {who} state no purpose: the reason is blank or vendor boilerplate "
            f'("daytime search for best result" is an image-filter setting, not a purpose). Without a '
            f"purpose the search cannot be checked against the law."
        )
    elif rule == "placeholder_purpose":
        sev = Severity.LOW
        text = (
            f'{n:,} search(es) by {who} give only a generic word ("investigation", "inv") with no '
            f"case number or detail, so the purpose cannot be checked."
        )
    elif rule == "lookback_beyond_retention":
        sev = Severity.MEDIUM
        if options.retention_days is not None:
            limit = f"{options.retention_days:g} days"
        else:
            limit = " or ".join(
                f"{p.days} days (searches from {p.start}" + (f" to {p.end})" if p.end else ")")
                for p in options.retention_periods
            )
        details = {
            "retention_days": options.retention_days
            if options.retention_days is not None
            else [p.days for p in options.retention_periods],
            "max_lookback_days": m["max_lookback"],
        }
        text = (
            f"{n:,} search(es) by {who} looked back more than {limit} (longest "
            f"{(m['max_lookback'] or 0):,.1f} days); data older than the retention limit should not exist."
        )
    elif rule == "wide_sweep":
        sev = Severity.LOW
        details = {
            "threshold_networks": options.sweep_networks,
            "threshold_devices": options.sweep_devices,
            "max_networks": m["max_networks"],
            "max_devices": m["max_devices"],
        }
        text = (
            f"{n:,} search(es) by {who} reached more than {options.sweep_networks:,} networks or "
            f"{options.sweep_devices:,} devices (largest: {m['max_networks'] or 0:,} networks, "
            f"{m['max_devices'] or 0:,} devices)."
        )
    else:  # pragma: no cover - every rule id is handled above
        return None
    return Finding(
        rule_id=rule,
        severity=sev,
        title=RULE_TITLES[rule],
        explanation=text,
        org_name=org,
        org_state=state,
        org_kind=kind,
        count=n,
        evidence=evidence,
        evidence_total=n,
        law=basis,
        details=details,
    )
