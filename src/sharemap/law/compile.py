"""Compile the provisions to DuckDB SQL, so a whole table of questions is ruled in one query.

How: every (jurisdiction, actor, action) becomes one row of a small "slots" table, keyed by one
dense integer. Slot k of a row holds the k-th candidate provision (same order as the engine),
compiled to numbers: its date range and three bit masks over the row's fact word. Each input row's
facts are packed into one integer (one bit per fact value, NULL being its own value). Per row and
slot the query computes one of three states, with a fixed, branch-free expression:

  0  not live     (the date is outside the provision's range, or the facts outside its scope)
  1  live, test false
  2  live, test true   (test: no exception met, for a prohibition or requirement; every condition
                        holds, for a conditional permission; always true for a permission)

The states of a row's slots, read as a base-3 number and added to the row's offset, are a small
integer `ruling` code. Everything else the engine does — savings clauses, excepted prohibitions
becoming permitted with conditions, the order of classes, the deciding provisions — is a pure
function of (candidate provisions, states) and is computed once, in Python, for every reachable
code: the "rulings" table (ruling, effect, provisions). The query looks the code up there (or
returns the code alone: `codes=True`). This mirrors `Law.rule` step by step (see engine.py and
`_decide`); tests/law checks with hypothesis that both agree.

The engine's action-dependent defaults (a NULL data kind means the action's own; plate-reader
actions fix the recipient or purpose) are folded into the masks of each row of the slots table, so
packing the facts needs no per-row CASE: a fact word does not depend on the action.

Input columns (facts may be NULL and then take the engine's defaults):
  jurisdiction VARCHAR, actor VARCHAR, action VARCHAR, date DATE,
  legal_process VARCHAR, purpose VARCHAR, recipient VARCHAR, data VARCHAR,
  listed_conviction BOOLEAN, consent BOOLEAN, written_assurance BOOLEAN
or the same with the ENUM types of `create_enum_types` for the vocabulary columns (`typed=True`).
Jurisdiction, actor and action are not validated in SQL: unknown values rule as no_provision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sharemap.law.engine import SATISFIES, Law, _Rule
from sharemap.law.vocab import (
    ACTION_DATA,
    ACTIONS,
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

_EPOCH = dt.date(1970, 1, 1)
_NEVER = -(1 << 31)  # the day number of a NULL date: before every provision
_VALUE_ENUMS: dict[str, type[StrEnum]] = {
    "legal_process": LegalProcess,
    "purpose": Purpose,
    "recipient": Recipient,
    "data": DataKind,
}
_FLAGS = ("listed_conviction", "consent", "written_assurance")
_ACTORS = tuple(Actor)
_ACTIONS = tuple(Action)
_JUNK_BIT = 62  # a VARCHAR fact outside its vocabulary: in no mask (in scope, meets nothing)


def _layout() -> dict[str, tuple[int, int]]:
    """Bit offset and width of each fact in the one-integer fact word.

    A value kind takes one bit for NULL (code 0) and one per vocabulary value (code = position + 1);
    a flag takes one bit (NULL is false).
    """
    out: dict[str, tuple[int, int]] = {}
    offset = 0
    for kind, enum in _VALUE_ENUMS.items():
        out[kind] = (offset, len(enum) + 1)
        offset += len(enum) + 1
    for flag in _FLAGS:
        out[flag] = (offset, 1)
        offset += 1
    return out


LAYOUT = _layout()


def _group(kind: str) -> int:
    offset, width = LAYOUT[kind]
    return ((1 << width) - 1) << offset


def _effective(kind: str, action: Action) -> list[str | None]:
    """The value the engine sees for each code of a value kind (code 0 is NULL), given the action."""
    members: list[str | None] = [m.value for m in _VALUE_ENUMS[kind]]
    codes: list[str | None] = [None, *members]
    if kind == "legal_process":
        return [LegalProcess.NONE.value, *members]
    spec = ACTIONS[action]
    if kind == "purpose":
        if spec.purpose is not None:
            return [spec.purpose.value] * len(codes)
        return [Purpose.CIVIL_IMMIGRATION.value, *members]
    if kind == "recipient":
        if spec.recipient is not None:
            return [spec.recipient.value] * len(codes)
        return [Recipient.FEDERAL.value, *members]
    default = ACTION_DATA.get(action)
    return [default.value if default is not None else None, *members]


def _mask(kind: str, action: Action, values: Sequence[Any]) -> int:
    """The bits of the codes whose effective value (for this action) is one of `values`."""
    wanted = {str(getattr(v, "value", v)) for v in values}
    offset, _ = LAYOUT[kind]
    out = 0
    for code, value in enumerate(_effective(kind, action)):
        if value is not None and value in wanted:
            out |= 1 << (offset + code)
    return out


# One slot = five numbers; an empty slot is never live (lo = hi = 0 and no day is both >= 0 and < 0).
#   lo, hi   first day in force, first day no longer in force (days since 1970-01-01)
#   out      fact bits outside the provision's scope (live needs fact & out = 0)
#   x, m     test = (fact & m) = x   (x is a subset of m)
_SLOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("lo", "INTEGER"),
    ("hi", "INTEGER"),
    ("out", "BIGINT"),
    ("x", "BIGINT"),
    ("m", "BIGINT"),
)
_MAX_DAY = (1 << 31) - 1


def _slot(r: _Rule, action: Action) -> dict[str, int]:
    """One provision as numbers, for a row of the given action.

    A fact word has exactly one bit per value kind, so:
      in scope        <=> fact & out = 0   (out = the bits of scoped kinds whose value is not in scope)
      no exception    <=> fact & m = 0     (m = every exception's bits, flags included; x = 0)
      conditions hold <=> fact & m = x     (m = excluded value bits | required flag bits,
                                            x = required flag bits)
    """
    p = r.p
    out = 0
    for kind, values in (("purpose", r.purposes), ("recipient", r.recipients), ("data", r.data)):
        if values:
            out |= _group(kind) & ~_mask(kind, action, tuple(values))
    x = 0
    m = 0
    if r.effect in (Effect.PROHIBITED, Effect.REQUIRED):
        for c in p.exceptions:
            kind = c.kind.value
            m |= _mask(kind, action, c.values) if kind in _VALUE_ENUMS else _group(kind)
    elif r.effect is Effect.PERMITTED_WITH_CONDITIONS:
        allowed: dict[str, int] = {}
        for c in p.conditions:
            kind = c.kind.value
            if kind in _VALUE_ENUMS:
                allowed[kind] = allowed.get(kind, _group(kind)) & _mask(kind, action, c.values)
            else:
                x |= _group(kind)
        m = x
        for kind, mask in allowed.items():
            m |= _group(kind) & ~mask
    lo = (r.start - _EPOCH).days
    hi = (r.end - _EPOCH).days if r.end is not None else _MAX_DAY
    return {"lo": lo, "hi": hi, "out": out, "x": x, "m": m}


@dataclass(frozen=True)
class Compiled:
    """What `load_slots` put in the connection.

    table: the slots table; rulings: the table of ruling codes (ruling, effect, provisions);
    width: K, the most candidate slots of any row; ids: the provision ids by index (1-based).
    """

    table: str
    width: int
    ids: tuple[str, ...]
    rulings: str = SLOTS_TABLE + "_rulings"


def _key_count() -> int:
    return len(JURISDICTIONS) * len(_ACTORS) * len(_ACTIONS)


def _key(jurisdiction: str, actor: Actor, action: Action) -> int:
    """Join key: 1 + the dense position of (jurisdiction, actor, action); 0 is 'unknown'."""
    jp = JURISDICTIONS.index(jurisdiction)
    return 1 + (jp * len(_ACTORS) + _ACTORS.index(actor)) * len(_ACTIONS) + _ACTIONS.index(action)


_CLASS = {
    Effect.PROHIBITED: 0,
    Effect.REQUIRED: 1,
    Effect.PERMITTED_WITH_CONDITIONS: 2,
    Effect.PERMITTED: 3,
}
_ORDER = (Effect.PROHIBITED, Effect.REQUIRED, Effect.PERMITTED_WITH_CONDITIONS, Effect.PERMITTED)


def _decide(
    rules: Sequence[_Rule], states: Sequence[int], unresearched: str | None = None
) -> tuple[Effect, tuple[str, ...]]:
    """`Law.rule` given each candidate's state (0 not live, 1 test false, 2 true): a live stretch of
    doubtful date makes the ruling `uncertain` when the effect differs without it."""
    result = _decide_live(rules, states, unresearched)
    if any(s and r.doubtful for r, s in zip(rules, states, strict=True)):
        certain = [0 if r.doubtful else s for r, s in zip(rules, states, strict=True)]
        other = _decide_live(rules, certain, unresearched)
        if other[0] is not result[0]:
            return Effect.UNCERTAIN, tuple(dict.fromkeys((*result[1], *other[1])))
    return result


def _decide_live(
    rules: Sequence[_Rule], states: Sequence[int], unresearched: str | None
) -> tuple[Effect, tuple[str, ...]]:
    """Steps 3 to 6 of `Law.rule` for one set of live candidates."""
    live = [(r, s) for r, s in zip(rules, states, strict=True) if s]
    saving = any(r.p.saves for r, _ in live)
    decided: list[list[str]] = [[], [], [], []]
    satisfying: list[str] = []
    for r, s in live:
        effect = r.effect
        if effect is Effect.PROHIBITED or effect is Effect.REQUIRED:
            if saving and effect is Effect.PROHIBITED and not r.federal:
                continue  # set aside by a savings clause
            if s == 1:  # an exception is met
                if effect is Effect.PROHIBITED:
                    decided[_CLASS[Effect.PERMITTED_WITH_CONDITIONS]].append(r.p.id)
                continue
            decided[_CLASS[effect]].append(r.p.id)
        elif effect is Effect.PERMITTED_WITH_CONDITIONS:
            if s == 2:
                decided[_CLASS[effect]].append(r.p.id)
        else:
            decided[_CLASS[Effect.PERMITTED]].append(r.p.id)
            if r.note == SATISFIES:
                satisfying.append(r.p.id)
    if decided[_CLASS[Effect.PERMITTED_WITH_CONDITIONS]]:
        decided[_CLASS[Effect.PERMITTED_WITH_CONDITIONS]] += satisfying
    result: tuple[Effect, tuple[str, ...]] = (Effect.NO_PROVISION, ())
    for effect, ids in zip(_ORDER, decided, strict=True):
        if ids:
            result = (effect, tuple(ids))
            break
    if unresearched is not None:  # the state's law on the topic was not researched (engine step 6)
        own = {r.p.id for r in rules if r.p.jurisdiction == unresearched}
        saved = {r.p.id for r in rules if r.p.saves}
        federal_settles = result[0] in (Effect.PROHIBITED, Effect.REQUIRED) or bool(saved & set(result[1]))
        if not own & set(result[1]) and not federal_settles:
            return Effect.NOT_RESEARCHED, result[1]
    return result


def slots(law: Law) -> tuple[int, list[str], list[dict[str, Any]], list[tuple[int, str, str]]]:
    """The compiled rules.

    Returns (K, provision ids by index, one slots row per (jurisdiction, actor, action) plus the
    'unknown' row 0, the rulings rows (ruling, effect, comma-separated deciding ids)).
    """
    ids: list[str] = []
    index: dict[str, int] = {}
    candidates: dict[int, tuple[Action, tuple[_Rule, ...]]] = {}
    width = 1
    for j in JURISDICTIONS:
        for actor in _ACTORS:
            for action in _ACTIONS:
                rules = tuple(
                    r for r in law.candidates(j, actor, action) if not (r.unconfirmed or r.persuasive)
                )
                if rules:
                    candidates[_key(j, actor, action)] = (action, rules)
                    width = max(width, len(rules))
                    for r in rules:
                        if r.p.id not in index:
                            index[r.p.id] = len(ids) + 1
                            ids.append(r.p.id)
    # one block of 3**len(rules) ruling codes per distinct candidate tuple; code 0 is no_provision
    offsets: dict[tuple[str | None, tuple[tuple[str, str, bool], ...]], int] = {}
    rulings: list[tuple[int, str, str]] = [(0, Effect.NO_PROVISION.value, "")]
    empty = {"lo": 0, "hi": 0, "out": 0, "x": 0, "m": 0}
    rows: list[dict[str, Any]] = [{"key": 0, "jurisdiction": None, "actor": None, "action": None}]
    for j in JURISDICTIONS:
        for actor in _ACTORS:
            for action in _ACTIONS:
                rows.append(
                    {
                        "key": _key(j, actor, action),
                        "jurisdiction": j,
                        "actor": actor.value,
                        "action": action.value,
                    }
                )
    for row in rows:
        key = row["key"]
        row["base"] = 0
        action, rules = candidates.get(key, (Action.USE_RESOURCES, ()))
        j = row["jurisdiction"]
        asked = Action(row["action"]) if row["action"] else action
        unresearched = j if j is not None and not law.researched(j, asked) else None
        if rules or unresearched:
            # one provision may rule differently per action; coverage depends on the state and action
            tid = (unresearched, tuple((r.p.id, r.effect.value, r.doubtful) for r in rules))
            if tid not in offsets:
                offsets[tid] = len(rulings)
                for code in range(3 ** len(rules)):
                    states = [code // 3**k % 3 for k in range(len(rules))]
                    effect, deciding = _decide(rules, states, unresearched)
                    rulings.append((len(rulings), effect.value, ",".join(deciding)))
            row["base"] = offsets[tid]
        for k in range(1, width + 1):
            slot = _slot(rules[k - 1], action) if k <= len(rules) else empty
            row.update({f"{name}_{k}": v for name, v in slot.items()})
    return width, ids, rows, rulings


def slot_columns(width: int) -> list[tuple[str, str]]:
    cols = [("key", "INTEGER"), ("jurisdiction", "VARCHAR"), ("actor", "VARCHAR"), ("action", "VARCHAR")]
    cols.append(("base", "INTEGER"))
    for k in range(1, width + 1):
        cols.extend((f"{name}_{k}", typ) for name, typ in _SLOT_FIELDS)
    return cols


def load_slots(con: Any, law: Law, table: str = SLOTS_TABLE) -> Compiled:
    """Create (or replace) the compiled-rules tables (slots and rulings) in a DuckDB connection.

    Also creates the sharemap ENUM types (`create_enum_types`) the compiled query casts to.
    """
    import pyarrow as pa

    create_enum_types(con)
    width, ids, rows, rulings = slots(law)
    cols = slot_columns(width)
    arrow_types = {"INTEGER": pa.int32(), "BIGINT": pa.int64(), "VARCHAR": pa.string()}
    data = pa.Table.from_arrays(
        [pa.array([r[name] for r in rows], type=arrow_types[typ]) for name, typ in cols],
        names=[name for name, _ in cols],
    )
    codes = pa.table(
        {
            "ruling": pa.array([r[0] for r in rulings], type=pa.int32()),
            "effect": pa.array([r[1] for r in rulings], type=pa.string()),
            "provisions": pa.array([r[2] for r in rulings], type=pa.string()),
        }
    )
    compiled = Compiled(table, width, tuple(ids), f"{table}_rulings")
    for name, arrow in ((table, data), (compiled.rulings, codes)):
        con.register(f"{name}_arrow", arrow)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    return compiled


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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


def _code(column: str, typed: bool) -> str:
    """0-based vocabulary position of a column's value as INTEGER (NULL when NULL or not in it)."""
    value = f"src.{column}" if typed else f"TRY_CAST(src.{column} AS {ENUM_COLUMNS[column]})"
    return f"CAST(enum_code({value}) AS INTEGER)"


def _fact_sql(source: str, typed: bool) -> str:
    """Key, day number and fact word of every row (no string work when `typed`)."""
    n_actors, n_actions = len(_ACTORS), len(_ACTIONS)
    if typed:
        key = (
            f"coalesce(1 + ({_code('jurisdiction', True)} * {n_actors} + {_code('actor', True)})"
            f" * {n_actions} + {_code('action', True)}, 0) AS f_key"
        )
    else:  # joined on the strings themselves: cheaper than casting them
        key = ", ".join(f"CAST(src.{c} AS VARCHAR) AS f_{c}" for c in ("jurisdiction", "actor", "action"))
    parts = []
    for kind in _VALUE_ENUMS:
        offset, _ = LAYOUT[kind]
        shift = f"{_code(kind, typed)} + {offset + 1}"
        # NULL -> the NULL code; a VARCHAR value outside the vocabulary -> a bit in no mask
        junk = f"CASE WHEN src.{kind} IS NULL THEN {offset} ELSE {_JUNK_BIT} END"
        missing = str(offset) if typed else junk
        parts.append(f"(CAST(1 AS BIGINT) << coalesce({shift}, {missing}))")
    for flag in _FLAGS:
        parts.append(f"(CAST(coalesce(src.{flag}, false) AS BIGINT) << {LAYOUT[flag][0]})")
    return f"""
SELECT src.*,
  {key},
  coalesce(CAST(CAST(src.date AS DATE) - DATE '1970-01-01' AS INTEGER), {_NEVER}) AS f_day,
  {" | ".join(parts)} AS f_fact
FROM {source} AS src"""


def _state(k: int) -> str:
    """0 not live, 1 live and test false, 2 live and test true; times 3**(k-1)."""
    live = f"(f_day >= lo_{k} AND f_day < hi_{k} AND (f_fact & out_{k}) = 0)"
    test = f"(f_fact & m_{k}) = x_{k}"
    return f"CAST({live} AS INTEGER) * (1 + CAST({test} AS INTEGER)) * {3 ** (k - 1)}"


def compile_query(
    compiled: Compiled,
    source: str,
    keep: Sequence[str] | None = None,
    typed: bool = False,
    codes: bool = False,
) -> str:
    """The query that rules every row of `source` (a table name or parenthesised subquery).

    `compiled` comes from `load_slots`. `typed=True` when the vocabulary columns use the ENUM
    types of `create_enum_types` (faster: no string work). Returns the kept columns (default:
    every column of the source) plus `effect` and `provisions` (comma-separated deciding ids, in
    the engine's order); with `codes=True`, the kept columns plus `ruling`, an INTEGER code to join
    with `compiled.rulings` (ruling, effect, provisions) when the text is wanted.
    """
    width = compiled.width
    kept = ", ".join(f"t.{c}" for c in keep) if keep else "t.* EXCLUDE (ruling)"
    states = " + ".join(_state(k) for k in range(1, width + 1))
    slot_cols = ", ".join(f"s.{name}_{k}" for k in range(1, width + 1) for name, _ in _SLOT_FIELDS)
    keys = ["f_key"] if typed else ["f_jurisdiction", "f_actor", "f_action"]
    internal = ", ".join(
        [*keys, "f_day", "f_fact", "base"]
        + [f"{name}_{k}" for k in range(1, width + 1) for name, _ in _SLOT_FIELDS]
    )
    if typed:  # every key, 0 included, has a row: an inner join on one dense integer
        join = f"JOIN {compiled.table} AS s ON s.key = f.f_key"
        ruling = f"base + {states}"
    else:  # unknown strings find no row: no_provision
        join = (
            f"LEFT JOIN {compiled.table} AS s ON s.jurisdiction = f.f_jurisdiction"
            " AND s.actor = f.f_actor AND s.action = f.f_action"
        )
        ruling = f"coalesce(base + {states}, 0)"
    inner = f"""
  SELECT * EXCLUDE ({internal}), {ruling} AS ruling FROM (
    SELECT f.*, s.base, {slot_cols}
    FROM ({_fact_sql(source, typed)}) AS f
    {join}
  )"""
    if codes:
        cols = ", ".join(f"t.{c}" for c in keep) + ", t.ruling" if keep else "t.*"
        return f"SELECT {cols} FROM ({inner}) AS t"
    return f"""
SELECT {kept}, r.effect, r.provisions
FROM ({inner}) AS t
JOIN {compiled.rulings} AS r ON r.ruling = t.ruling"""


def rule_table(con: Any, source: str, law: Law | None = None, keep: Sequence[str] | None = None) -> Any:
    """Rule every row of `source` in connection `con`; returns a DuckDB relation."""
    from sharemap.law.engine import default_law

    compiled = load_slots(con, law or default_law())
    types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    typed = all(types.get(col) == enum for col, enum in ENUM_COLUMNS.items())
    return con.sql(compile_query(compiled, source, keep, typed=typed))
