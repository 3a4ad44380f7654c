"""Issue 16's speed goal: a county's sharing answer reads the per-snapshot index and the lists of its
own portals only, and gives what the full path (every snapshot read and reviewed) gives."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from sharemap.sharing import Reach, evidence, review_snapshot, reviews_for
from sharemap.sharing.index import county_of, organisations, summarise
from sharemap.sharing.orgs import Resolver
from sharemap.sharing.portals import latest
from sharemap.sharing.store import SHIPPED, shipped_registry, shipped_snapshots, write_database

DAY = dt.date(2026, 4, 30)
SAN_DIEGO = "06073"


def _full(state: str, county: str | None) -> list[dict[str, object]]:
    """The answer the long way: every snapshot, the newest per portal, each reviewed."""
    registry = shipped_registry()
    resolve = Resolver(registry)
    return [
        review_snapshot(s, resolve).to_dict()
        for s in latest(shipped_snapshots(), DAY)
        if s.state == state and (county is None or county_of(s.slug, registry) == county)
    ]


def _sentences(reviews: list[dict[str, object]]) -> list[str]:
    out = []
    for d in reviews:
        by = d["outbound_by_class"]
        assert isinstance(by, dict)
        if by["out_of_state"] or by["federal"]:
            out.append(
                f"{d['agency']}'s portal of {d['date']} lists {by['out_of_state']} out-of-state and "
                f"{by['federal']} federal organisations among the {d['outbound']} it shares its cameras "
                f"with (source: {d['source']})"
            )
    return out


def test_the_shipped_index_is_what_the_resolver_gives_today() -> None:
    """summaries.parquet and organisations.parquet were written by the same code from the shipped
    snapshots: a change to the resolver's rules that is not shipped fails here (rebuild with
    scripts/build_sharing_data.py)."""
    snaps = sorted(shipped_snapshots(), key=lambda s: (s.slug, s.date))
    registry = shipped_registry()
    resolve = Resolver(registry)  # afresh, without the shipped resolutions
    assert pq.read_table(SHIPPED / "summaries.parquet").equals(summarise(snaps, resolve, registry))
    names = (o for s in snaps for o in (*s.outbound, *s.inbound))
    assert pq.read_table(SHIPPED / "organisations.parquet").equals(organisations(resolve, names))


def test_a_county_answer_equals_the_full_path() -> None:
    full = _full("CA", SAN_DIEGO)
    fast = [r.to_dict() for r in reviews_for("CA", DAY, SAN_DIEGO)]
    assert fast == full and len(fast) >= 5
    assert any(d["agency"] == "El Cajon PD (CA)" and d["findings"] for d in fast)
    assert list(evidence("CA", DAY, SAN_DIEGO)) == _sentences(full)
    state = _full("CA", None)
    assert list(evidence("CA", DAY)) == _sentences(state)
    assert [r.to_dict() for r in reviews_for("CA", DAY)] == state
    assert evidence("WY", DAY) == ("no public sharing data for WY on or before 2026-04-30",)


def test_a_fresh_process_answers_a_county_without_the_lists_of_other_portals() -> None:
    """The first question of a process reads the index and its portals' row groups, not every list
    (the full load took 0.9-3.7 s; see docs/sharing.md, Speed)."""
    code = (
        "import datetime as dt, json, sys\n"
        "from sharemap.sharing import evidence, reviews_for, store\n"
        "e = evidence('CA', dt.date(2026, 4, 30), '06073')\n"
        "r = reviews_for('CA', dt.date(2026, 4, 30), '06073')\n"
        "print(json.dumps({'full_load': store.shipped_snapshots.cache_info().currsize,\n"
        "  'dataset': 'pyarrow.dataset' in sys.modules, 'evidence': len(e), 'reviews': len(r)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"full_load": 0, "dataset": False, "evidence": 1, "reviews": len(_full("CA", SAN_DIEGO))}


def test_the_database_index_gives_the_same_answers(tmp_path: Path) -> None:
    db = tmp_path / "sharemap.duckdb"
    counts = write_database(db)
    assert counts["portal_summaries"] == counts["portal_snapshots"] == 691 + 516
    assert [r.to_dict() for r in reviews_for("CA", DAY, SAN_DIEGO, db=db)] == _full("CA", SAN_DIEGO)
    assert evidence("CA", DAY, SAN_DIEGO, db=db) == evidence("CA", DAY, SAN_DIEGO)
    far = sum(len(r.outbound[Reach.OUT_OF_STATE]) for r in reviews_for("CA", DAY, db=db))
    assert far == sum(len(r.outbound[Reach.OUT_OF_STATE]) for r in reviews_for("CA", DAY))
