"""Compile the provisions to DuckDB SQL, so a whole table of questions is ruled in one query.

How: every (jurisdiction, actor, action) that has candidate provisions becomes one row of a small
"slots" table. Slot k holds the k-th candidate provision (same order as the engine), compiled to
numbers: its date range, and bit masks for its scope, exceptions and conditions. Facts in the input
rows are turned into one bit each. The query joins the input to the slots table and applies the same
predicates to every slot — a fixed, vectorised expression whatever the number of provisions:

  live      = date in range AND purpose/recipient/data bits within the scope masks
  excepted  = any exception mask matches a fact bit (or a required flag is true)
  saved     = a live savings clause exists and the provision is a state or local prohibition
  class     = 4 prohibited (live, unsaved, not excepted), 3 required (live, not excepted),
              2 permitted with conditions (excepted prohibition, or conditional permission whose
              conditions hold), 1 permitted (live permission), 0 none
  effect    = the highest class; provisions = ids of the slots in that class, in slot order.

This mirrors `Law.rule` step by step (see engine.py); tests/law checks with hypothesis that both agree.

Input columns (facts may be NULL and then take the engine's defaults):
  jurisdiction VARCHAR, actor VARCHAR, action VARCHAR, date DATE,
  legal_process VARCHAR, purpose VARCHAR, recipient VARCHAR, data VARCHAR,
  listed_conviction BOOLEAN, consent BOOLEAN, written_assurance BOOLEAN
Jurisdiction, actor and action are not validated in SQL: unknown values rule as no_provision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sharemap.law.engine import ACTION_DATA, Law, _Rule
from sharemap.law.vocab import (
    JURISDICTIONS,
    Action,
    Actor,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
)

FACT_COLUMNS = (
    "legal_process",
    "purpose",
    "recipient",
    "data",
    "listed_conviction",
    "consent",
    "written_assurance",
)
INPUT_COLUMNS = ("jurisdiction", "actor", "action", "date", *FACT_COLUMNS)
SLOTS_TABLE = "sharemap_law_slots"

_FAR_FUTURE = dt.date(2299, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
_VALUE_ENUMS: dict[str, type[StrEnum]] = {
    "legal_process": LegalProcess,
    "purpose": Purpose,
    "recipient": Recipient,
    "data": DataKind,
}
_FLAGS = ("listed_conviction", "consent", "written_assurance")
_EFFECT_CLASS = {
    Effect.PROHIBITED: 4,
    Effect.REQUIRED: 3,
    Effect.PERMITTED_WITH_CONDITIONS: 2,
    Effect.PERMITTED: 1,
}


def _layout() -> dict[str, tuple[int, int]]:
    """Bit offset and width of each fact in the one-integer fact word."""
    out: dict[str, tuple[int, int]] = {}
    offset = 0
    for kind, enum in _VALUE_ENUMS.items():
        width = len(enum) + (1 if kind == "data" else 0)  # data: bit 0 means 'no data kind'
        out[kind] = (offset, width)
        offset += width
    for flag in _FLAGS:
        out[flag] = (offset, 1)
        offset += 1
    return out


LAYOUT = _layout()


def _group(kind: str) -> int:
    offset, width = LAYOUT[kind]
    return ((1 << width) - 1) << offset


def _bit(kind: str, value: str | None) -> int:
    offset, _ = LAYOUT[kind]
    members = [m.value for m in _VALUE_ENUMS[kind]]
    if kind == "data":
        return 1 << offset if value is None else 1 << (offset + members.index(value) + 1)
    return 1 << (offset + members.index(value)) if value is not None else 0


def _mask(kind: str, values: Sequence[Any]) -> int:
    out = 0
    for v in values:
        out |= _bit(kind, str(getattr(v, "value", v)))
    return out


def _slot(r: _Rule, index: int) -> dict[str, Any]:
    """One provision as numbers. A fact word has exactly one bit per value kind, so:
    in scope  <=> fact & outside == 0   (outside = the bits of scoped kinds not in the scope)
    excepted  <=> fact & exc <> 0        (exc = every exception's bits, flags included)
    conditions hold <=> fact & cond_out == 0 and (~fact) & cond_flags == 0
    """
    p = r.p
    outside = 0
    for kind, values in (("purpose", r.purposes), ("recipient", r.recipients), ("data", r.data)):
        if values:
            outside |= _group(kind) & ~_mask(kind, tuple(values))
    exc = 0
    for c in p.exceptions:
        exc |= _mask(c.kind.value, c.values) if c.kind.value in _VALUE_ENUMS else _group(c.kind.value)
    cond_out = 0
    cond_flags = 0
    allowed: dict[str, int] = {}
    for c in p.conditions:
        if c.kind.value in _VALUE_ENUMS:
            allowed[c.kind.value] = allowed.get(c.kind.value, _group(c.kind.value)) & _mask(
                c.kind.value, c.values
            )
        else:
            cond_flags |= _group(c.kind.value)
    for kind, mask in allowed.items():
        cond_out |= _group(kind) & ~mask
    cls = _EFFECT_CLASS[p.effect]
    # class when no exception is met, and the change when one is (prohibited 4 -> 2, required 3 -> 0)
    delta = {4: -2, 3: -3}.get(cls, 0)
    meta = index | cls << 10 | (delta + 4) << 13 | int(cls == 4 and not r.federal) << 16 | int(p.saves) << 17
    start = (r.start - _EPOCH).days
    end = ((r.end or _FAR_FUTURE) - _EPOCH).days
    if index >= 1 << 10 or end >= 1 << 17:
        raise ValueError("too many provisions or a date after 2328 for the compiled form")
    return {
        "meta": meta << 34 | start << 17 | end,
        "m1": outside | exc << 32,
        "m2": cond_out | cond_flags << 32,
    }


# Each slot is three integers:
#   meta = (provision index | class << 10 | (delta + 4) << 13 | saveable << 16 | saves << 17) << 34
#          | first day in force << 17 | first day no longer in force   (days since 1970-01-01)
#   m1   = outside-scope bits | exception bits << 32
#   m2   = condition-excluded bits | required-flag bits << 32
_SLOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("meta", "BIGINT"),
    ("m1", "BIGINT"),
    ("m2", "BIGINT"),
)


def slots(law: Law) -> tuple[int, list[str], list[dict[str, Any]]]:
    """The compiled rules: (K slots, provision ids by index, one row per (jurisdiction, actor, action))."""
    ids: list[str] = []
    index: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    width = 0
    for j in JURISDICTIONS:
        for actor in Actor:
            for action in Action:
                rules = [r for r in law.candidates(j, actor, action) if not r.unconfirmed]
                if not rules:
                    continue
                width = max(width, len(rules))
                row: dict[str, Any] = {"key": _key(j, actor, action)}
                for k, r in enumerate(rules, 1):
                    if r.p.id not in index:
                        index[r.p.id] = len(ids) + 1
                        ids.append(r.p.id)
                    row.update({f"{name}_{k}": v for name, v in _slot(r, index[r.p.id]).items()})
                rows.append(row)
    return width, ids, rows


def _key(jurisdiction: str, actor: Actor, action: Action) -> int:
    """Join key: 1-based positions of jurisdiction, actor and action in the vocabularies."""
    jp = JURISDICTIONS.index(jurisdiction) + 1
    ap = list(Actor).index(actor) + 1
    xp = list(Action).index(action) + 1
    return jp << 10 | ap << 5 | xp


def slot_columns(width: int) -> list[tuple[str, str]]:
    cols = [("key", "INTEGER")]
    for k in range(1, width + 1):
        cols.extend((f"{name}_{k}", typ) for name, typ in _SLOT_FIELDS)
    return cols


@dataclass(frozen=True)
class Compiled:
    """What `load_slots` put in the connection: the table name, K and the provision ids by index."""

    table: str
    width: int
    ids: tuple[str, ...]
    saving_slots: tuple[int, ...]


def load_slots(con: Any, law: Law, table: str = SLOTS_TABLE) -> Compiled:
    """Create (or replace) the compiled-rules table in a DuckDB connection."""
    import pyarrow as pa

    width, ids, rows = slots(law)
    cols = slot_columns(width)
    saving = tuple(k for k in range(1, width + 1) if any((r.get(f"meta_{k}") or 0) >> 51 & 1 for r in rows))
    arrow_types = {"INTEGER": pa.int32(), "BIGINT": pa.int64()}  # the key is INTEGER, slots BIGINT
    arrays = [pa.array([r.get(name) for r in rows], type=arrow_types[typ]) for name, typ in cols]
    data = pa.Table.from_arrays(arrays, names=[name for name, _ in cols])
    con.register(f"{table}_arrow", data)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    return Compiled(table, width, tuple(ids), saving)


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(enum: type[StrEnum]) -> str:
    return _list_str([m.value for m in enum])


def _list_str(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _fact_sql(source: str) -> str:
    """Normalise the facts (engine defaults) and pack them into one integer per row."""
    data_case = " ".join(f"WHEN {_q(a.value)} THEN {_q(d.value)}" for a, d in ACTION_DATA.items())
    lp_off, _ = LAYOUT["legal_process"]
    pu_off, _ = LAYOUT["purpose"]
    rc_off, _ = LAYOUT["recipient"]
    da_off, _ = LAYOUT["data"]
    flags = " | ".join(
        f"CASE WHEN coalesce(src.{f}, false) THEN {1 << LAYOUT[f][0]} ELSE 0 END" for f in _FLAGS
    )
    return f"""
SELECT src.*,
  ((coalesce(list_position({_list_str(JURISDICTIONS)}, CAST(src.jurisdiction AS VARCHAR)), 0) << 10)
   | (coalesce(list_position({_list(Actor)}, CAST(src.actor AS VARCHAR)), 0) << 5)
   | coalesce(list_position({_list(Action)}, CAST(src.action AS VARCHAR)), 0)) AS f_key,
  CAST(CAST(src.date AS DATE) - DATE '1970-01-01' AS BIGINT) AS f_day,
  coalesce(CAST(1 AS BIGINT) << (list_position({_list(LegalProcess)},
      coalesce(CAST(src.legal_process AS VARCHAR), 'none')) - 1 + {lp_off}), 0)
  | coalesce(CAST(1 AS BIGINT) << (list_position({_list(Purpose)},
      CASE WHEN CAST(src.action AS VARCHAR) = 'share_alpr_immigration' THEN 'civil_immigration_enforcement'
           ELSE coalesce(CAST(src.purpose AS VARCHAR), 'civil_immigration_enforcement') END)
      - 1 + {pu_off}), 0)
  | coalesce(CAST(1 AS BIGINT) << (list_position({_list(Recipient)},
      CASE CAST(src.action AS VARCHAR) WHEN 'share_alpr_federal' THEN 'federal'
           WHEN 'share_alpr_out_of_state' THEN 'out_of_state'
           ELSE coalesce(CAST(src.recipient AS VARCHAR), 'federal') END) - 1 + {rc_off}), 0)
  | coalesce(CAST(1 AS BIGINT) << (coalesce(list_position({_list(DataKind)},
      coalesce(CAST(src.data AS VARCHAR), CASE CAST(src.action AS VARCHAR) {data_case} ELSE NULL END)), 0)
      + {da_off}), 0)
  | {flags} AS f_fact
FROM {source} AS src"""


def _live(k: int) -> str:
    return f"(f_day >= ((meta_{k} >> 17) & 131071) AND f_day < (meta_{k} & 131071) AND (f_fact & m1_{k}) = 0)"


ENUM_TYPES: dict[str, tuple[str, ...]] = {
    "sharemap_jurisdiction": JURISDICTIONS,
    "sharemap_actor": tuple(m.value for m in Actor),
    "sharemap_action": tuple(m.value for m in Action),
    "sharemap_legal_process": tuple(m.value for m in LegalProcess),
    "sharemap_purpose": tuple(m.value for m in Purpose),
    "sharemap_recipient": tuple(m.value for m in Recipient),
    "sharemap_data": tuple(m.value for m in DataKind),
}
ENUM_COLUMNS = {
    "jurisdiction": "sharemap_jurisdiction",
    "actor": "sharemap_actor",
    "action": "sharemap_action",
    "legal_process": "sharemap_legal_process",
    "purpose": "sharemap_purpose",
    "recipient": "sharemap_recipient",
    "data": "sharemap_data",
}


def create_enum_types(con: Any) -> None:
    """Create the DuckDB ENUM types a typed question or log table can use (idempotent)."""
    existing = {
        r[0]
        for r in con.execute("SELECT type_name FROM duckdb_types() WHERE logical_type = 'ENUM'").fetchall()
    }
    for name, values in ENUM_TYPES.items():
        if name not in existing:
            con.execute(f"CREATE TYPE {name} AS ENUM ({', '.join(_q(v) for v in values)})")


def _code(column: str) -> str:
    return f"CAST(enum_code(src.{column}) AS INTEGER)"


def _typed_fact_sql(source: str) -> str:
    """Like _fact_sql for inputs whose vocabulary columns use the sharemap ENUM types (no string work)."""
    lp_off, _ = LAYOUT["legal_process"]
    pu_off, _ = LAYOUT["purpose"]
    rc_off, _ = LAYOUT["recipient"]
    da_off, _ = LAYOUT["data"]
    actions = list(Action)
    code = {a: actions.index(a) for a in actions}
    data_default = " ".join(f"WHEN {code[a]} THEN {_bit('data', d.value)}" for a, d in ACTION_DATA.items())
    flags = " | ".join(
        f"CASE WHEN coalesce(src.{f}, false) THEN {1 << LAYOUT[f][0]} ELSE 0 END" for f in _FLAGS
    )
    j, actor, action = _code("jurisdiction"), _code("actor"), _code("action")
    none_bit, civil_bit = _bit("legal_process", "none"), _bit("purpose", Purpose.CIVIL_IMMIGRATION.value)
    fed_bit, oos_bit = _bit("recipient", "federal"), _bit("recipient", "out_of_state")
    one = "CAST(1 AS BIGINT)"
    return f"""
SELECT src.*,
  ((({j} + 1) << 10) | (({actor} + 1) << 5) | ({action} + 1)) AS f_key,
  CAST(CAST(src.date AS DATE) - DATE '1970-01-01' AS BIGINT) AS f_day,
  coalesce({one} << ({_code("legal_process")} + {lp_off}), {none_bit})
  | CASE WHEN {action} = {code[Action.SHARE_ALPR_IMMIGRATION]} THEN {civil_bit}
         ELSE coalesce({one} << ({_code("purpose")} + {pu_off}), {civil_bit}) END
  | CASE {action} WHEN {code[Action.SHARE_ALPR_FEDERAL]} THEN {fed_bit}
         WHEN {code[Action.SHARE_ALPR_OUT_OF_STATE]} THEN {oos_bit}
         ELSE coalesce({one} << ({_code("recipient")} + {rc_off}), {fed_bit}) END
  | coalesce({one} << ({_code("data")} + 1 + {da_off}),
             CASE {action} {data_default} ELSE {_bit("data", None)} END)
  | {flags} AS f_fact
FROM {source} AS src"""


def _class(k: int) -> str:
    """Branch-free: live * (class + excepted * delta) * conditions_hold * not_saved (0 for empty slots)."""
    return (
        f"coalesce({_live(k)}::INTEGER * (((meta_{k} >> 44) & 7)"
        f" + ((f_fact << 32) & m1_{k} <> 0)::INTEGER * (((meta_{k} >> 47) & 7) - 4))"
        f" * ((f_fact & m2_{k}) = 0 AND ((134217727 - f_fact) << 32) & m2_{k} = 0)::INTEGER"
        f" * (1 - (saving AND (meta_{k} >> 50) & 1 = 1)::INTEGER), 0)"
    )


def _saving(k: int) -> str:
    return f"coalesce((meta_{k} >> 51) & 1 = 1 AND {_live(k)}, false)"


def compile_query(
    compiled: Compiled, source: str, keep: Sequence[str] | None = None, typed: bool = False
) -> str:
    """The query that rules every row of `source` (a table name or parenthesised subquery).

    `compiled` comes from `load_slots`. `typed=True` when the vocabulary columns use the ENUM
    types of `create_enum_types` (faster: no string comparisons). Returns the kept columns
    (default: every column of the source) plus `effect` and `provisions` (comma-separated
    deciding ids, in the engine's order).
    """
    width = compiled.width
    ks = range(1, width + 1)
    kept = ", ".join(f"t.{c}" for c in keep) if keep else "t.* EXCLUDE (" + ", ".join(_internal(width)) + ")"
    saving = " OR ".join(_saving(k) for k in compiled.saving_slots) or "false"
    classes = ", ".join(f"{_class(k)} AS class_{k}" for k in ks)
    best = f"greatest({', '.join(f'class_{k}' for k in ks)})" if width > 1 else "class_1"
    names = "[" + ", ".join(_q(i) for i in compiled.ids) + "]"
    ids = ", ".join(
        f"CASE WHEN class_{k} = best AND best > 0 THEN {names}[(meta_{k} >> 34) & 1023] END" for k in ks
    )
    slot_cols = ", ".join(f"s.{name}_{k}" for k in ks for name, _ in _SLOT_FIELDS)
    return f"""
SELECT {kept},
  CASE best WHEN 4 THEN 'prohibited' WHEN 3 THEN 'required' WHEN 2 THEN 'permitted_with_conditions'
            WHEN 1 THEN 'permitted' ELSE 'no_provision' END AS effect,
  concat_ws(',', {ids}) AS provisions
FROM (
  SELECT *, {best} AS best FROM (
    SELECT *, {classes} FROM (
      SELECT *, ({saving}) AS saving FROM (
        SELECT f.*, {slot_cols}
        FROM ({_typed_fact_sql(source) if typed else _fact_sql(source)}) AS f
        LEFT JOIN {compiled.table} AS s ON s.key = f.f_key
      )
    )
  )
) AS t"""


def _internal(width: int) -> list[str]:
    names = ["f_key", "f_day", "f_fact", "saving", "best"]
    for k in range(1, width + 1):
        names.extend(f"{name}_{k}" for name, _ in _SLOT_FIELDS)
        names.append(f"class_{k}")
    return names


def rule_table(con: Any, source: str, law: Law | None = None, keep: Sequence[str] | None = None) -> Any:
    """Rule every row of `source` in connection `con`; returns a DuckDB relation."""
    from sharemap.law.engine import default_law

    compiled = load_slots(con, law or default_law())
    types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    typed = all(types.get(col) == enum for col, enum in ENUM_COLUMNS.items())
    return con.sql(compile_query(compiled, source, keep, typed=typed))
