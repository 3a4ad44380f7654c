"""Evidence: which rows stand behind each rule hit, and reading them.

A task finds, per rule and organisation, the numbers of its first rows (`rule_hits`). Once every task
is back, each rule's first `evidence_limit` rows over all tasks are chosen in file and row order, read
by number in a second round of tasks (`pick_rows`), and attached, pseudonymised (`attach_evidence`):
a piece of a file read side by side with others cannot know them alone.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sharemap.audit import rules
from sharemap.audit.connection import opened
from sharemap.audit.model import (
    UNCLASSIFIED,
    AuditOptions,
    FilePartial,
    FileTask,
    Group,
    GroupFlags,
    HitKey,
    ReasonClass,
    RuleHit,
)
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import Evidence

EVIDENCE_COLUMNS = (
    "event_id", "time", "org_name", "user", "subject", "reason", "networks", "devices", "lookback_days",
)  # fmt: skip

Runner = Callable[[Callable[[FileTask], Any], list[FileTask]], list[Any]]


def rule_hits(
    part: FilePartial,
    opts: AuditOptions,
    groups: list[Group],
    flag_reasons: dict[str, ReasonClass],
    flag_orgs: dict[str, str],
    active: list[rules.Rule],
    shift: Callable[[int], int],
) -> None:
    """Rule hits per organisation from the evidence groups, with the numbers of their first rows."""
    found: dict[tuple[str, str], RuleHit] = {}
    numbers: dict[tuple[str, str], list[int]] = {}
    for g in groups:
        o = g.org or ""
        cls = flag_reasons.get(g.reason or "")
        flags = GroupFlags(cls.category if cls else None, flag_orgs.get(o), g.lb_hit, g.sweep_hit)
        for rule in active:
            if rule.match.test(flags):
                found.setdefault((rule.id, o), RuleHit()).add_group(g)
                numbers.setdefault((rule.id, o), []).extend(g.rows)
    _add_terms(part, found)
    limit = int(opts.evidence_limit)
    for (rule_id, o), hit in found.items():
        hit.rows = [
            (rn, shift(rn)) for rn in sorted(numbers[(rule_id, o)])[:limit]
        ]  # (number read, file row)
        part.hits[(rule_id, o or None)] = hit


def _add_terms(part: FilePartial, found: dict[tuple[str, str], RuleHit]) -> None:
    """Matched terms and levels per (rule, organisation) from the classified reason groups."""
    for org, reason, _, cnt in part.org_reason_month:
        c = part.classes[reason]
        rule_id = rules.TERM_RULES.get(c.category)
        hit = found.get((rule_id, org or "")) if rule_id else None
        if hit is None:
            continue
        hit.terms.update({t: cnt for t in c.terms})
        if c.level:
            hit.levels[c.level] += cnt


def row_shifter(reject_lines: list[int]) -> Callable[[int], int]:
    """Row numbers of readable records, counting the records the parser rejected before them.

    `rn` numbers readable records only (first = 2). With rejected records at rows r_1 < r_2 < ...,
    the k-th readable record is at row k + #{j: r_j - j <= k}. Rejected records are located by their
    line (exact unless a field spans lines before them).
    """
    if not reject_lines:
        return lambda rn: rn
    adj = [r - j for j, r in enumerate(reject_lines)]  # r_j - j (0-based j)
    return lambda rn: rn + bisect.bisect_right(adj, rn)


def pick_rows(task: FileTask) -> dict[int, tuple[Any, ...]]:
    """The second task: the evidence rows `task.pick` (row numbers as the first task counted them),
    read by number, converting nothing else and stopping after the last one. Picklable for Ray."""
    wanted = sorted(set(task.pick))
    if not wanted:
        return {}
    import pyarrow as pa

    with opened(task) as (con, log):
        con.register("want_rn", pa.table({"rn": pa.array(wanted, pa.int64())}))
        rows = con.execute(
            f"SELECT rn, {', '.join(EVIDENCE_COLUMNS)} FROM ({log.pick('want_rn', wanted[-1], wanted)})"
        ).fetchall()
    return {int(r[0]): tuple(r[1:]) for r in rows}


def attach_evidence(
    tasks: Sequence[FileTask],
    parts: Sequence[FilePartial],
    options: AuditOptions,
    pseudo: Pseudonymiser,
    run: Runner,
    offsets: dict[int, int],
) -> None:
    """Choose each rule's first `evidence_limit` rows over all tasks, read them (`pick_rows`, one
    task per file or piece that holds some) and attach them, pseudonymised, to the hits."""
    chosen: dict[HitKey, list[tuple[FilePartial, int, int]]] = {}
    for p in sorted(parts, key=lambda p: p.index):  # file order, then row order
        for key, hit in p.hits.items():
            rows = chosen.setdefault(key, [])
            for rn, row in hit.rows[: max(0, options.evidence_limit - len(rows))]:
                rows.append((p, rn, row + offsets.get(p.index, 0)))
    wanted: dict[int, set[int]] = {}
    for rows in chosen.values():
        for p, rn, _ in rows:
            wanted.setdefault(p.index, set()).add(rn)
    by_index = {t.index: t for t in tasks}
    pick = [replace(by_index[i], pick=tuple(sorted(rns))) for i, rns in sorted(wanted.items())]
    picked = dict(zip((t.index for t in pick), run(pick_rows, pick), strict=True))
    for key, rows in chosen.items():
        for p, rn, row in rows:
            p.hits[key].evidence.append(_evidence(p, row, picked[p.index][rn], pseudo))


def _evidence(p: FilePartial, row: int, picked: tuple[Any, ...], pseudo: Pseudonymiser) -> Evidence:
    values = dict(zip(EVIDENCE_COLUMNS, picked, strict=True))
    c = p.classes.get(values["reason"] or "", UNCLASSIFIED)
    lookback = values["lookback_days"]
    return Evidence(
        file=p.read.file,
        row=row,
        event_id=values["event_id"],
        time=values["time"],
        org_name=values["org_name"],
        user=pseudo("user", values["user"]),
        subject=pseudo("plate", values["subject"]),
        reason=pseudo.text(values["reason"]),
        networks=values["networks"],
        devices=values["devices"],
        lookback_days=None if lookback is None else round(float(lookback), 2),
        matched_terms=list(c.terms) if c.category in rules.REASON_RULES else [],
    )
