"""Questions to the ledger database, answered as domain objects and plain rows.

"In force on a date" means: listed in ICE's latest complete participating list published on or
before that date (partial and duplicate files are skipped). This is what ICE itself said was in
force that day; it is also how the quarter-end totals are counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import duckdb
from rapidfuzz import fuzz, process

from sharemap.errors import InputError, NotFoundError
from sharemap.kb.model import Agency, Agreement, Frozen, Model287g
from sharemap.ledger.freshness import freshness
from sharemap.ledger.linkage import agency_key

_M = TypeVar("_M", bound=Frozen)

_AGREEMENT_COLUMNS = (
    "agreement_id, agency_id, agency_name, state, program, model, signed, moa_url, addendum_url, "
    "status, first_seen, last_seen, ended_on, superseded_by, snapshot_count, "
    "coalesce(listed_as, []) AS listed_as"
)


def parse_model(text: str) -> Model287g:
    """'JEM', 'tfm', 'Warrant Service Officer' or 'warrant_service_officer' to a model."""
    t = text.strip().lower().replace("-", "_")
    for m in Model287g:
        if t in {m.value, m.short.lower(), m.label.lower()}:
            return m
    raise InputError(f"unknown 287(g) model {text!r}", field="model", expected="JEM, TFM or WSO")


def snapshot_as_of(con: duckdb.DuckDBPyConnection, day: dt.date) -> tuple[str, dt.date] | None:
    """The latest complete participating list on or before `day`."""
    row = con.execute(
        "SELECT snapshot_id, CAST(captured AS DATE) FROM complete_snapshots "
        "WHERE CAST(captured AS DATE) <= ? ORDER BY captured DESC LIMIT 1",
        [day],
    ).fetchone()
    return (row[0], row[1]) if row else None


def agreements(
    con: duckdb.DuckDBPyConnection,
    *,
    state: str | None = None,
    county_fips: str | None = None,
    model: Model287g | None = None,
    as_of: dt.date | None = None,
    agency_id: str | None = None,
    include_statewide: bool = False,
    include_inactive: bool = False,
) -> list[Agreement]:
    """Agreements in force on `as_of` (default: now, i.e. status active), filtered.

    `county_fips` selects agencies placed in that county; with `include_statewide`, state-level
    agencies of the county's state are included too (they may act anywhere in the state).
    `include_inactive` (without `as_of`) returns every agreement ever listed.
    """
    where: list[str] = []
    params: list[Any] = []
    if as_of is not None:
        snap = snapshot_as_of(con, as_of)
        if snap is None:
            return []
        where.append("agreement_id IN (SELECT agreement_id FROM agreement_snapshots WHERE snapshot_id = ?)")
        params.append(snap[0])
    elif not include_inactive:
        where.append("status = 'active'")
    if state:
        where.append("state = ?")
        params.append(state.upper())
    if county_fips:
        clause = "county_fips = ?"
        params.append(county_fips)
        if include_statewide:
            clause = f"({clause} OR (statewide AND state = ?))"
            params.append(county_fips_state(con, county_fips))
        where.append(clause)
    if model:
        where.append("model = ?")
        params.append(model.value)
    if agency_id:
        where.append("agency_id = ?")
        params.append(agency_id)
    sql = f"SELECT {_AGREEMENT_COLUMNS} FROM agreements_full"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY state, agency_name, model, signed"
    return _records(Agreement, con.execute(sql, params))


def _records(model: type[_M], cur: duckdb.DuckDBPyConnection) -> list[_M]:
    """The rows of a query as domain models (the query names its columns as the model's fields)."""
    names = [d[0] for d in cur.description or ()]
    return [model(**dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def county_fips_state(con: duckdb.DuckDBPyConnection, fips: str) -> str:
    row = con.execute("SELECT state FROM counties WHERE fips = ?", [fips]).fetchone()
    if row is None:
        raise NotFoundError(f"no county with FIPS {fips}", field="county", expected="a 5-digit county FIPS")
    return str(row[0])


def agency(con: duckdb.DuckDBPyConnection, agency_id: str) -> Agency:
    found = _records(
        Agency,
        con.execute(
            "SELECT agency_id, name, kind, state, county_fips, county_name, statewide, ice_type, "
            "unmapped_reason, coalesce(name_variants, []) AS name_variants FROM agencies WHERE agency_id = ?",
            [agency_id],
        ),
    )
    if not found:
        raise NotFoundError(f"no agency with id {agency_id!r}")
    return found[0]


def find_agency(con: duckdb.DuckDBPyConnection, name: str, state: str | None = None) -> Agency:
    """An agency by name (spelling-insensitive), optionally within a state; suggests close names."""
    rows = con.execute(
        "SELECT agency_id, name, state FROM agencies" + (" WHERE state = ?" if state else ""),
        [state.upper()] if state else [],
    ).fetchall()
    if state:
        key = _resolve(con, agency_key(state, name))
        if any(r[0] == key for r in rows):
            return agency(con, key)
    exact = [r for r in rows if _resolve(con, agency_key(r[2], name)) == r[0]]
    if len(exact) == 1:
        return agency(con, exact[0][0])
    if len(exact) > 1:
        options = ", ".join(f"{r[1]} ({r[2]})" for r in exact)
        raise NotFoundError(f"{name!r} names several agencies: {options}", expected="--state to choose one")
    labels = {f"{r[1]} ({r[2]})": r[0] for r in rows}
    close = process.extract(name, list(labels), scorer=fuzz.WRatio, limit=5, score_cutoff=70)
    hint = "; close names: " + ", ".join(c[0] for c in close) if close else ""
    raise NotFoundError(f"no agency named {name!r}{' in ' + state.upper() if state else ''}{hint}")


def _resolve(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """An agency key as spelt in an older list -> the agency it was merged into (else itself)."""
    if not _has_table(con, "agency_aliases"):
        return key
    row = con.execute("SELECT agency_id FROM agency_aliases WHERE alias_key = ?", [key]).fetchone()
    return str(row[0]) if row else key


def agency_links(
    con: duckdb.DuckDBPyConnection, *, agency_id: str | None = None, same: bool | None = True
) -> list[dict[str, Any]]:
    """Names ICE listed one agreement under, with the evidence (same=None: every pair considered)."""
    where: list[str] = []
    params: list[Any] = []
    if agency_id:
        where.append("agency_id = ?")
        params.append(agency_id)
    if same is not None:
        where.append("same_agreement = ?")
        params.append(same)
    sql = "SELECT * FROM agency_links" + (" WHERE " + " AND ".join(where) if where else "")
    return _dicts(con, sql + " ORDER BY newer_first_seen, newer_name", params)


def agency_history(con: duckdb.DuckDBPyConnection, agency_id: str) -> dict[str, Any]:
    """Everything the ledger knows about one agency: agreements over time, pending, MOA terms."""
    ag = agency(con, agency_id)
    history = agreements(con, agency_id=agency_id, include_inactive=True)
    pending = _dicts(con, "SELECT * FROM pending WHERE agency_id = ? ORDER BY first_seen", [agency_id])
    terms = moa_terms_for(con, [a.moa_url for a in history if a.moa_url])
    sources = _dicts(con, "SELECT * FROM sources WHERE source_id = 'ice-287g-lists'", [])
    renames = agency_links(con, agency_id=agency_id) if _has_table(con, "agency_links") else []
    return {
        "agency": ag,
        "agreements": history,
        "renames": renames,
        "pending": pending,
        "moa_terms": terms,
        "sources": sources,
    }


def moa_terms_for(con: duckdb.DuckDBPyConnection, urls: list[str]) -> list[dict[str, Any]]:
    """Terms read from the agreement PDFs whose file names match these MOA links."""
    if not urls or not _has_table(con, "moa_terms"):
        return []
    names = sorted({u.rsplit("/", 1)[-1].replace("%20", " ").strip() for u in urls})
    marks = ", ".join("?" for _ in names)
    return _dicts(con, f"SELECT * FROM moa_terms WHERE file IN ({marks}) ORDER BY file, category", names)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    row = con.execute(sql, [name]).fetchone()
    return bool(row and row[0])


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    year, quarter = first.year, (first.month - 1) // 3 + 1
    while True:
        month = quarter * 3
        end = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1) - dt.timedelta(days=1)
        if end > last:
            break
        out.append(end)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def stats(
    con: duckdb.DuckDBPyConnection, by: str = "model", as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """Counts of agreements in force, grouped by model, state or quarter (quarter-end totals)."""
    if by == "quarter":
        span = con.execute(
            "SELECT min(captured)::DATE, max(captured)::DATE FROM complete_snapshots"
        ).fetchone()
        if not span or span[0] is None:
            return []
        rows = []
        for end in quarter_ends(span[0], span[1]):
            snap = snapshot_as_of(con, end)
            if snap is None:
                continue
            counts = dict(
                con.execute(
                    "SELECT model_short, count(*) FROM agreements "
                    "JOIN agreement_snapshots USING (agreement_id) WHERE snapshot_id = ? GROUP BY 1",
                    [snap[0]],
                ).fetchall()
            )
            label = f"{end.year}Q{(end.month - 1) // 3 + 1}"
            by_model = {m.short: counts.get(m.short, 0) for m in Model287g}
            rows.append({"quarter": label, "list_date": snap[1], **by_model, "total": sum(counts.values())})
        return rows
    group = {"model": "model_short", "state": "state"}.get(by)
    if group is None:
        raise InputError(f"cannot group by {by!r}", field="by", expected="model, state or quarter")
    chosen = agreements(con, as_of=as_of) if as_of else agreements(con)
    ids = [a.agreement_id for a in chosen]
    if not ids:
        return []
    con.register("chosen", _id_table(ids))
    try:
        if group == "state":
            sql = (
                "SELECT state, count(*) FILTER (model_short='JEM') AS JEM, "
                "count(*) FILTER (model_short='TFM') AS TFM, "
                "count(*) FILTER (model_short='WSO') AS WSO, count(*) AS total, "
                "count(DISTINCT agency_id) AS agencies FROM agreements JOIN chosen USING (agreement_id) "
                "GROUP BY state ORDER BY total DESC, state"
            )
        else:
            sql = (
                "SELECT model_short AS model, count(*) AS total, count(DISTINCT agency_id) AS agencies "
                "FROM agreements JOIN chosen USING (agreement_id) GROUP BY 1 ORDER BY 1"
            )
        return _dicts(con, sql, [])
    finally:
        con.unregister("chosen")


def _id_table(ids: list[str]) -> Any:
    import pyarrow as pa

    return pa.table({"agreement_id": ids})


def national_summary(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> dict[str, Any]:
    """The headline figures on `as_of` (default today): agreements in force by model, agencies,
    states, the ICE list they come from and its age; history totals over every list held."""
    fresh = freshness(con, as_of)
    active = agreements(con, as_of=fresh.list_date) if fresh.list_date else []
    by_model = {m.short: sum(a.model is m for a in active) for m in Model287g}
    agencies = {a.agency_id for a in active}
    states = sorted({a.state for a in active})
    (counts,) = _dicts(
        con,
        """SELECT
            (SELECT count(*) FROM snapshots WHERE kind='participating') AS participating_snapshots,
            (SELECT count(*) FROM snapshots WHERE kind='pending') AS pending_snapshots,
            (SELECT min(captured)::DATE FROM snapshots) AS history_from,
            (SELECT count(*) FROM agreements) AS agreements_ever_listed,
            (SELECT count(*) FROM agreements WHERE status='ended') AS ended,
            (SELECT count(*) FROM agreements WHERE status='superseded') AS superseded,
            (SELECT count(DISTINCT older_listing_id) FROM agency_links WHERE same_agreement) AS renamed,
            (SELECT count(*) FROM agencies WHERE unmapped_reason IS NOT NULL) AS unmapped_agencies,
            (SELECT count(*) FROM pending WHERE status='pending') AS pending_now,
            (SELECT max(captured)::DATE FROM snapshots WHERE kind='pending' AND NOT partial)
                AS pending_list_date""",
        [],
    )
    return {
        "list_date": fresh.list_date,
        "list_age_days": fresh.age_days,
        "latest_published": fresh.published.model_dump() if fresh.published else None,
        "freshness": fresh.to_dict(),
        "agreements_in_force": len(active) if fresh.list_date else None,
        "by_model": by_model,
        "agencies": len(agencies),
        "states": states,
        **counts,
    }
