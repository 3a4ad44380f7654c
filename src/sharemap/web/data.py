"""What the pages and the JSON API read: the ledger (read-only DuckDB), knowledge base and law, cached.

One read-only connection is opened per app; each request thread works on its own cursor. Answers
that depend only on (place, date) are memoised (the ledger does not change while the app runs).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from sharemap.errors import InputError, NotFoundError, StoreError
from sharemap.flows.graph import CachedRules, instantiate
from sharemap.flows.trace import Trace, trace
from sharemap.kb.facts import Encounter, KnowledgeBase
from sharemap.kb.load import load_kb
from sharemap.kb.model import Model287g
from sharemap.law.engine import Law, default_law
from sharemap.law.labels import LANGS as LAW_LANGS
from sharemap.law.labels import answer, question
from sharemap.law.overview import overview
from sharemap.law.timeline import law_changes
from sharemap.ledger import query, store
from sharemap.ledger.changes import Change, changes
from sharemap.ledger.freshness import freshness
from sharemap.ledger.place import Candidate, Place, Resolution, Resolver, place_of
from sharemap.report.build import build_report
from sharemap.report.model import Report
from sharemap.report.sim import SimRun
from sharemap.sharing import evidence as sharing_evidence
from sharemap.sharing.orgs import STATE_CODES

MODEL_ORDER = ("JEM", "TFM", "WSO")


def map_category(models: list[str]) -> str:
    got = sorted(set(models))
    return got[0] if len(got) == 1 else "several"


class Site:
    def __init__(self, db: Path) -> None:
        if not db.exists():
            raise StoreError("no ledger database", file=db, expected="run `sharemap build` first")
        self.db = db
        self.con = duckdb.connect(str(db), read_only=True)
        self.kb: KnowledgeBase = load_kb()
        self.law: Law = default_law()
        self.rules = CachedRules()
        self._lock = threading.Lock()
        with self.cursor() as cur:
            self.source = query.ledger_source(cur)
            self.tables = query.table_names(cur)
            self.list_dates: list[dt.date] = query.list_dates(cur)
            self.county_names = query.county_labels(cur)
            self.resolver = Resolver.from_ledger(cur)
        self.resolver.suggest("warm")  # builds the type-ahead index once, not on the first keystroke
        # memo tables
        self.map_for_date = lru_cache(maxsize=512)(self._map_for_date)
        self.report = lru_cache(maxsize=256)(self._report)
        self.county = lru_cache(maxsize=512)(self._county)
        self.state = lru_cache(maxsize=128)(self._state)
        self.agency = lru_cache(maxsize=512)(self._agency)
        self.traces = lru_cache(maxsize=512)(self._traces)
        self.freshness = lru_cache(maxsize=1024)(self._freshness)
        self.changes = lru_cache(maxsize=256)(self._changes)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        self.con.close()

    # --- dates -----------------------------------------------------------------------------------
    @property
    def latest(self) -> dt.date:
        return self.list_dates[-1] if self.list_dates else dt.date.today()

    def parse_date(self, text: str | None) -> dt.date:
        if not text:
            return dt.date.today()
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError as exc:
            raise InputError(f"not a date: {text!r}", field="date", expected="YYYY-MM-DD") from exc

    def _freshness(self, day: dt.date, state: str | None = None) -> dict[str, Any]:
        """Which ICE list answers for `day`, its age, and ICE's later published count (JSON shape)."""
        with self.cursor() as cur:
            f = freshness(cur, day, state)
        return _plain_dict(f.to_dict())

    def _changes(self, since: dt.date, until: dt.date, state: str | None) -> list[Change]:
        with self.cursor() as cur:
            return changes(cur, since, until, state)

    # --- map -------------------------------------------------------------------------------------
    def _map_for_date(self, day: dt.date) -> dict[str, Any]:
        fresh = self.freshness(day)
        with self.cursor() as cur:
            snap = query.snapshot_as_of(cur, day)
            if snap is None:
                return {
                    "date": day.isoformat(),
                    "list_date": None,
                    "counties": {},
                    "agreements": None,
                    "freshness": fresh,
                }
            models, total = query.models_by_county(cur, snap[0])
        counties = {fips: map_category(shorts) for fips, shorts in models.items()}
        by_cat: dict[str, int] = {}
        for v in counties.values():
            by_cat[v] = by_cat.get(v, 0) + 1
        return {
            "date": day.isoformat(),
            "list_date": snap[1].isoformat(),
            "counties": counties,
            "counties_coloured": len(counties),
            "by_category": by_cat,
            "agreements": total,
            "freshness": fresh,
        }

    # --- search ----------------------------------------------------------------------------------
    def find(self, q: str, limit: int = 10) -> Resolution:
        """The ranked places a query may mean and the one it decides on (ledger.place.Resolver)."""
        return self.resolver.search(q, limit)

    def search(self, q: str, limit: int = 10) -> list[dict[str, Any]]:
        """The ranked places a query may mean, each with its page address (the JSON API's shape)."""
        return [hit_of(c) for c in self.find(q, limit).candidates]

    def suggest(self, q: str, limit: int = 8) -> list[dict[str, Any]]:
        """Type-ahead: places whose names begin with what was typed, most populous first."""
        return [hit_of(c) for c in self.resolver.suggest(q, limit)]

    # --- places ----------------------------------------------------------------------------------
    def target(self, kind: str, key: str) -> Place:
        with self.cursor() as cur:
            return place_of(cur, kind, key)

    def _report(self, kind: str, key: str, day: dt.date) -> Report:
        t = self.target(kind, key)
        with self.cursor() as cur:
            return build_report(cur, t, day, self.kb, self.law, self.rules)

    def report_with_runs(self, kind: str, key: str, day: dt.date, runs: Sequence[SimRun]) -> Report:
        """The report with SYNTHETIC simulation runs of the same place (not memoised: runs are per user)."""
        if not runs:
            return self.report(kind, key, day)
        t = self.target(kind, key)
        with self.cursor() as cur:
            return build_report(cur, t, day, self.kb, self.law, self.rules, sims=runs)

    def _traces(self, kind: str, key: str, day: dt.date) -> dict[Encounter, Trace]:
        t = self.target(kind, key)
        with self.cursor() as cur:
            ags = query.covering(cur, t, day).agreements
        g = instantiate(t, day, ags if t.kind != "nation" else (), self.rules, self.kb)
        return {e: trace(g, e) for e in Encounter}

    def _county(self, fips: str, day: dt.date) -> dict[str, Any]:
        t = self.target("county", fips)
        with self.cursor() as cur:
            cov = query.covering(cur, t, day)
            ags, snap = cov.agreements, cov.snapshot
            ever = query.ever_covering(cur, t)
            population = query.county_population(cur, t.key)
        return {
            "fips": t.key,
            "name": t.label,
            "state": t.state,
            "date": day.isoformat(),
            "list_date": snap[1].isoformat() if snap else None,
            "freshness": self.freshness(day, t.state),
            "population": population,
            "coverage": cov.to_dict(),
            "agreements_in_force": [a.model_dump(mode="json") for a in ags],
            "agreements_ever_listed": [a.model_dump(mode="json") for a in ever],
        }

    def _state(self, st: str, day: dt.date) -> dict[str, Any]:
        t = self.target("state", st)
        with self.cursor() as cur:
            cov = query.covering(cur, t, day)
            ags, snap = cov.agreements, cov.snapshot
            labels, series, _ = query.quarterly(cur, t)
            placed = query.agencies_per_county(cur, [a.agency_id for a in ags])
        ov = overview(t.state, day, self.law)
        provs = []
        for p in self.law.for_jurisdiction(t.state):
            provs.append(
                {
                    "id": p.id,
                    "citation": p.citation,
                    "title": p.title,
                    "summary": p.summary,
                    "effect": p.effect.value,
                    "effective_from": p.effective_from.isoformat(),
                    "effective_to": p.effective_to.isoformat() if p.effective_to else None,
                    "status": p.status.value,
                    "in_force": p.in_force_on(day),
                    "verification": p.verification.value,
                    "sources": [s.model_dump(mode="json", exclude_none=True) for s in p.sources],
                }
            )
        timeline = [c.to_dict() for c in law_changes(dt.date(2017, 1, 1), max(day, dt.date.today()), t.state)]
        return {
            "state": t.state,
            "name": t.label,
            "law_timeline": timeline,
            "date": day.isoformat(),
            "list_date": snap[1].isoformat() if snap else None,
            "freshness": self.freshness(day, t.state),
            "stance": ov.to_dict(),
            "rulings": [
                {
                    "action": c.action.value,
                    "actor": c.actor.value,
                    "effect": c.ruling.effect.value,
                    "state_decided": c.state_decided,
                    **{f"question_{lg}": question(c.ruling, lg) for lg in LAW_LANGS},
                    **{f"answer_{lg}": answer(c.ruling, lg) for lg in LAW_LANGS},
                }
                for c in ov.cells
            ],
            "provisions": provs,
            "sharing": list(sharing_evidence(t.state, day)) if t.state in STATE_CODES else [],
            "agreements_in_force": [a.model_dump(mode="json") for a in ags],
            "by_model": {m.short: sum(a.model is m for a in ags) for m in Model287g},
            "counties": [{"fips": f, "name": self.county_names.get(f, f), "agencies": n} for f, n in placed],
            "growth": {"labels": labels, "series": series},
        }

    def _agency(self, agency_id: str) -> dict[str, Any]:
        with self.cursor() as cur:
            h = query.agency_history(cur, agency_id)
        ag = h["agency"]
        return {
            "agency": ag.model_dump(mode="json"),
            "county": self.county_names.get(ag.county_fips or ""),
            "freshness": self.freshness(dt.date.today(), ag.state),
            "agreements": [a.model_dump(mode="json") for a in h["agreements"]],
            "renames": [{k: _plain(v) for k, v in r.items()} for r in h["renames"]],
            "pending": [{k: _plain(v) for k, v in r.items()} for r in h["pending"]],
            "moa_terms": [{k: _plain(v) for k, v in r.items()} for r in h["moa_terms"]],
        }

    def table_bytes(self, table: str, fmt: str) -> bytes:
        """A whole table as CSV or Parquet, written as `sharemap export` writes it (CSV text cells
        spreadsheet-safe: the ledger holds text from imported lists, and `=HYPERLINK(...)` must not run)."""
        import tempfile

        if table not in self.tables or fmt not in store.EXPORT_FORMATS:
            raise NotFoundError(f"no table {table!r} in {fmt}")
        with tempfile.TemporaryDirectory(prefix="sharemap-dl-") as d, self.cursor() as cur:
            out = Path(d) / f"{table}.{fmt}"
            store.write_table(cur, table, out, fmt)
            return out.read_bytes()


def _plain(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def _plain_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain_dict(v) if isinstance(v, dict) else _plain(v) for k, v in d.items()}


PAGE = {"state": "/state/{}", "county": "/county/{}", "agency": "/agency/{}", "nation": "/"}


def hit_of(c: Candidate) -> dict[str, Any]:
    """A resolver candidate as the pages and the JSON API show it: kind, key, label, page address."""
    return {**c.to_dict(), "url": PAGE[c.place.kind].format(c.place.key)}
