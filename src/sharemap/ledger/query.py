"""Questions to the ledger database, answered as domain objects and plain rows.

"In force on a date" means: listed in ICE's latest complete participating list published on or
before that date (partial and duplicate files are skipped). This is what ICE itself said was in
force that day; it is also how the quarter-end totals are counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
from rapidfuzz import fuzz, process

from sharemap.errors import InputError, NotFoundError
from sharemap.kb.model import Agency, Agreement, AgreementStatus, Frozen, Model287g, Place
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
    statewide_only: bool = False,
) -> list[Agreement]:
    """Agreements in force on `as_of` (default: now, i.e. status active), filtered.

    `county_fips` selects agencies placed in that county; with `include_statewide`, state-level
    agencies of the county's state are included too, whatever their model (for "the agreements
    that cover a county" use `covering`, which keeps only the models that reach a county).
    `statewide_only` keeps state-level agencies. `include_inactive` (without `as_of`) returns every
    agreement ever listed.
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
    if statewide_only:
        where.append("statewide")
    if agency_id:
        where.append("agency_id = ?")
        params.append(agency_id)
    sql = f"SELECT {_AGREEMENT_COLUMNS} FROM agreements_full"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY state, agency_name, model, signed"
    return _records(Agreement, con.execute(sql, params))


STATEWIDE_MODELS: frozenset[Model287g] = frozenset({Model287g.TFM})
"""The models under which a statewide agency's agreement covers every county of its state. Jail
Enforcement and Warrant Service agreements work inside the signing agency's own facilities (a state
prison, say), not in a county jail, so a county is not covered by them."""


def in_force_on(a: Agreement, day: dt.date) -> bool:
    """True if the agreement is in force on `day` by its own dates (for days before the first list):
    signed (or first listed) on or before it and not ended before it. An agreement that dropped off
    ICE's list without an end date counts as ended the day after it was last seen."""
    if day < (a.signed or a.first_seen):
        return False
    end = a.ended_on
    if end is None and a.status is not AgreementStatus.ACTIVE:
        end = a.last_seen + dt.timedelta(days=1)
    return end is None or day < end


@dataclass(frozen=True)
class Coverage:
    """The agreements that cover a place on a day, and the ICE list that says so.

    For a county: `local` are the agreements of agencies placed in it, `statewide` the Task Force
    agreements of its state's statewide agencies (see STATEWIDE_MODELS). For a state, an agency or
    the nation every agreement is `local`. `snapshot` is None before the first list: the agreements
    are then read back from their signing dates."""

    place: Place
    day: dt.date
    local: tuple[Agreement, ...]
    statewide: tuple[Agreement, ...]
    snapshot: tuple[str, dt.date] | None

    @property
    def agreements(self) -> tuple[Agreement, ...]:
        return (*self.local, *self.statewide)

    def words(self) -> str:
        """'5 287(g) agreement(s) in force for Harris County, TX (1 of agencies placed there, 4 Task
        Force agreement(s) of statewide agencies, which may act anywhere in the state)': how the CLI,
        the web and the reports state a place's count."""
        t = self.place
        if not self.agreements:
            return f"no 287(g) agreement in force for {t.label}"
        text = f"{len(self.agreements)} 287(g) agreement(s) in force for {t.label}"
        if t.kind == "county":
            text += (
                f" ({len(self.local)} of agencies placed there, {len(self.statewide)} Task Force "
                "agreement(s) of statewide agencies, which may act anywhere in the state)"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.words(),
            "place": self.place.to_dict(),
            "date": self.day.isoformat(),
            "list_date": self.snapshot[1].isoformat() if self.snapshot else None,
            "count": len(self.agreements),
            "local": len(self.local),
            "statewide": len(self.statewide),
        }


def covering(
    con: duckdb.DuckDBPyConnection,
    place: Place,
    day: dt.date | None = None,
    *,
    model: Model287g | None = None,
    local_only: bool = False,
) -> Coverage:
    """The agreements that cover `place` on `day` (default today): the one query behind every count of
    the CLI, the Python API, the web and the reports. `local_only` leaves out statewide agencies."""
    day = day or dt.date.today()
    snap = snapshot_as_of(con, day)
    when, inactive = (day, False) if snap else (None, True)
    local, statewide = _place_agreements(con, place, model, when, inactive, local_only)
    if inactive:
        local = [a for a in local if in_force_on(a, day)]
        statewide = [a for a in statewide if in_force_on(a, day)]
    return Coverage(place, day, tuple(local), tuple(statewide), snap)


def ever_covering(
    con: duckdb.DuckDBPyConnection, place: Place, *, model: Model287g | None = None, local_only: bool = False
) -> list[Agreement]:
    """Every agreement ever listed that covers `place` (the same rule as `covering`), with its status."""
    local, statewide = _place_agreements(con, place, model, None, True, local_only)
    return [*local, *statewide]


def _place_agreements(
    con: duckdb.DuckDBPyConnection,
    place: Place,
    model: Model287g | None,
    as_of: dt.date | None,
    inactive: bool,
    local_only: bool,
) -> tuple[list[Agreement], list[Agreement]]:
    common: dict[str, Any] = {"model": model, "as_of": as_of, "include_inactive": inactive}
    if place.kind == "nation":
        return agreements(con, **common), []
    if place.kind == "state":
        return agreements(con, state=place.state, **common), []
    if place.kind == "agency":
        return agreements(con, agency_id=place.key, **common), []
    local = agreements(con, county_fips=place.key, **common)
    if local_only:
        return local, []
    wide = agreements(con, state=place.state, statewide_only=True, **common)
    return local, [a for a in wide if a.model in STATEWIDE_MODELS]


def _place_clause(place: Place, alias: str = "a") -> tuple[str, list[Any]]:
    """SQL condition (on table `agreements` as `alias`) for the agreements `covering` counts."""
    if place.kind == "state":
        return f"{alias}.state = ?", [place.state]
    if place.kind == "agency":
        return f"{alias}.agency_id = ?", [place.key]
    if place.kind == "county":
        shorts = [m.short for m in STATEWIDE_MODELS]
        return (
            f"({alias}.county_fips = ? OR ({alias}.state = ? AND list_contains(?, {alias}.model_short) AND "
            f"{alias}.agency_id IN (SELECT agency_id FROM agencies WHERE statewide)))",
            [place.key, place.state, shorts],
        )
    return "TRUE", []


def quarterly(
    con: duckdb.DuckDBPyConnection, place: Place, until: dt.date | None = None
) -> tuple[list[str], dict[str, list[int]], list[dt.date]]:
    """Agreements covering `place` at each quarter end (ICE's latest complete list on or before it), by
    model, to the newest list (or `until`): labels, counts per model, and the list date of each."""
    span = con.execute("SELECT min(captured)::DATE, max(captured)::DATE FROM complete_snapshots").fetchone()
    if not span or span[0] is None:
        return [], {}, []
    last = min(span[1], until) if until else span[1]
    clause, params = _place_clause(place)
    ends = quarter_ends(span[0], last)
    if last not in ends:
        ends.append(last)
    sql = (
        "WITH q AS (SELECT unnest(?::DATE[]) AS qend), "
        "s AS (SELECT qend, (SELECT snapshot_id FROM complete_snapshots c WHERE c.captured::DATE <= qend "
        "ORDER BY c.captured DESC LIMIT 1) AS sid, (SELECT max(c.captured)::DATE FROM complete_snapshots c "
        "WHERE c.captured::DATE <= qend) AS listed FROM q) "
        "SELECT s.qend, s.listed, a.model_short, count(a.agreement_id) FROM s "
        "LEFT JOIN agreement_snapshots x ON x.snapshot_id = s.sid "
        f"LEFT JOIN agreements a ON a.agreement_id = x.agreement_id AND {clause} "
        "GROUP BY ALL ORDER BY 1"
    )
    return _quarter_series(con.execute(sql, [ends, *params]).fetchall(), last)


def _quarter_series(rows: list[Any], last: dt.date) -> tuple[list[str], dict[str, list[int]], list[dt.date]]:
    labels: list[str] = []
    listed: list[dt.date] = []
    series: dict[str, list[int]] = {m.short: [] for m in Model287g}
    index: dict[dt.date, int] = {}
    for qend, list_date, model, n in rows:
        if list_date is None:
            continue
        if qend not in index:
            index[qend] = len(labels)
            labels.append(f"{qend.year}Q{(qend.month - 1) // 3 + 1}" if qend != last else qend.isoformat())
            listed.append(list_date)
            for s in series.values():
                s.append(0)
        if model in series:
            series[model][index[qend]] += int(n)
    return labels, series, listed


def ledger_source(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Title, address, publisher and note of ICE's lists as the ledger records them (for citations)."""
    row = con.execute(
        "SELECT title, url, publisher, note FROM sources WHERE source_id = 'ice-287g-lists'"
    ).fetchone()
    if row is None:
        return {}
    return {"title": row[0], "url": row[1], "publisher": row[2], "note": row[3]}


# --- what the web app reads once, or per map date ---------------------------------------------


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ledger's tables (the downloads the web app offers)."""
    sql = "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
    return [str(r[0]) for r in con.execute(sql).fetchall()]


def list_dates(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """The capture dates of ICE's complete lists, oldest first."""
    rows = con.execute("SELECT DISTINCT captured::DATE FROM complete_snapshots ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def county_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """'Harris County, TX' by county FIPS."""
    return {r[0]: f"{r[1]}, {r[2]}" for r in con.execute("SELECT fips, name, state FROM counties").fetchall()}


def county_population(con: duckdb.DuckDBPyConnection, fips: str) -> int | None:
    row = con.execute("SELECT population FROM counties WHERE fips = ?", [fips]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def models_by_county(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict[str, list[str]], int]:
    """The 287(g) models (short names) each county's own agencies hold on one list, and the list's size
    (the map colours counties by their agencies; statewide agencies are counted in the size only)."""
    rows = con.execute(
        "SELECT county_fips, list(model_short) FROM agreements JOIN agreement_snapshots USING (agreement_id) "
        "WHERE snapshot_id = ? AND county_fips IS NOT NULL GROUP BY 1 ORDER BY 1",
        [snapshot_id],
    ).fetchall()
    total = con.execute("SELECT count(*) FROM agreement_snapshots WHERE snapshot_id = ?", [snapshot_id])
    return {r[0]: list(r[1]) for r in rows}, int((total.fetchone() or (0,))[0])


def agencies_per_county(con: duckdb.DuckDBPyConnection, agency_ids: list[str]) -> list[tuple[str, int]]:
    """(county FIPS, how many of these agencies are placed in it), by FIPS."""
    if not agency_ids:
        return []
    rows = con.execute(
        "SELECT county_fips, count(*) FROM agencies WHERE county_fips IS NOT NULL "
        "AND list_contains(?, agency_id) GROUP BY 1 ORDER BY 1",
        [agency_ids],
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


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
    """Counts of agreements in force on `as_of`, grouped by model or state; or quarter-end totals by
    quarter (up to `as_of`)."""
    if by == "quarter":
        span = con.execute(
            "SELECT min(captured)::DATE, max(captured)::DATE FROM complete_snapshots"
        ).fetchone()
        if not span or span[0] is None:
            return []
        rows = []
        for end in quarter_ends(span[0], min(span[1], as_of) if as_of else span[1]):
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


_HISTORY_SQL = """WITH day AS (SELECT $1::DATE AS d),
pend AS (SELECT max(captured)::DATE AS l FROM snapshots, day
         WHERE kind='pending' AND NOT partial AND captured::DATE <= d)
SELECT
    (SELECT count(*) FROM snapshots, day WHERE kind='participating' AND captured::DATE <= d)
        AS participating_snapshots,
    (SELECT count(*) FROM snapshots, day WHERE kind='pending' AND captured::DATE <= d) AS pending_snapshots,
    (SELECT min(captured)::DATE FROM snapshots) AS history_from,
    (SELECT count(*) FROM agreements, day WHERE first_seen <= d) AS agreements_ever_listed,
    (SELECT count(*) FROM agreements, day WHERE status='ended' AND ended_on <= d) AS ended,
    (SELECT count(*) FROM agreements a, day WHERE status='superseded'
        AND (SELECT first_seen FROM agreements b WHERE b.agreement_id = a.superseded_by) <= d) AS superseded,
    (SELECT count(DISTINCT older_listing_id) FROM agency_links, day
        WHERE same_agreement AND newer_first_seen <= d) AS renamed,
    (SELECT count(*) FROM agencies WHERE unmapped_reason IS NOT NULL) AS unmapped_agencies,
    (SELECT count(*) FROM pending, day, pend WHERE CASE WHEN $2 THEN status='pending'
        ELSE first_seen <= l AND last_seen >= l AND status <> 'already signed'
             AND (signed_first_seen IS NULL OR signed_first_seen > d) END) AS pending_now,
    (SELECT l FROM pend) AS pending_list_date"""
"""History totals up to a day ($1; $2 true when the day is today): lists held, agreements listed,
ended, superseded and renamed by then, and the requests still pending on the last pending list by
then (today: not signed since; on an earlier day: not signed by that day)."""


def national_summary(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> dict[str, Any]:
    """The headline figures on `as_of` (default today): agreements in force by model, agencies,
    states, the ICE list they come from and its age; history totals over the lists held by then."""
    fresh = freshness(con, as_of)
    active = agreements(con, as_of=fresh.list_date) if fresh.list_date else []
    by_model = {m.short: sum(a.model is m for a in active) for m in Model287g}
    agencies = {a.agency_id for a in active}
    states = sorted({a.state for a in active})
    (counts,) = _dicts(con, _HISTORY_SQL, [as_of or dt.date.max, as_of is None])
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
