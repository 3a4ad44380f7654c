"""Add new ICE lists to an existing ledger: from files, a URL, or ICE's own page (`source="ice"`).

Everything is fetched and read first; the database is rebuilt (atomically) only when every new file
has been read, and the feed state is saved only after that. So a missing page, a 404, a timeout or a
corrupt workbook leaves the database byte for byte as it was. MOA PDFs linked from new rows are
fetched and read too; one that cannot be fetched or read is reported and retried on the next run,
without holding back the lists.

The whole run holds the ledger's write lock, so two updates run one after the other and neither
loses the other's lists. A new list that reads as partial (far fewer rows than the lists before it,
by the rule history.partial_reasons applies to every snapshot) or that has formula cells without
saved values is refused unless the caller accepts it (`accept_partial`): a list cut short would
otherwise end every agreement missing from it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from sharemap import settings
from sharemap.errors import InputError
from sharemap.kb.model import ListKind
from sharemap.ledger import ice_feed, store
from sharemap.ledger.history import SnapshotMeta, partial_reasons
from sharemap.ledger.lists import ParsedList, read_list
from sharemap.ledger.snapshots import snapshot_files, to_tables

MAX_MOA_PER_RUN = 100
"""New MOA PDFs fetched in one run at most (the rest on the next run)."""


@dataclass
class UpdateResult:
    added: list[dict[str, Any]] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    """Addresses ICE answered 'not modified' (nothing downloaded)."""
    page: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    moa_added: list[str] = field(default_factory=list)
    moa_failed: list[dict[str, str]] = field(default_factory=list)
    partial: list[dict[str, str]] = field(default_factory=list)
    """New lists added although they read as partial (accepted by the caller), with why."""
    report: store.BuildReport | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "report"}
        if self.report is not None:
            out["agreements"], out["active"] = self.report.agreements, self.report.active
        return out


def update(
    source: str,
    kind: ListKind | None = None,
    db: Path | None = None,
    fetcher: ice_feed.Fetcher | None = None,
    accept_partial: bool = False,
    include_hidden: bool = False,
) -> UpdateResult:
    """Add the lists in `source` ('ice', a file, a folder or an http(s) URL) that the ledger lacks.

    Lists that read as partial are refused (InputError, nothing changed) unless `accept_partial`;
    hidden workbook sheets are read only with `include_hidden`.
    """
    if "://" in source:
        ice_feed.check_url(source)  # http(s) only, a public host, a file name: refused before anything
    db = db or settings.db_path()
    with store.write_lock(db):
        return _update_locked(source, kind, db, fetcher, accept_partial, include_hidden)


def _update_locked(
    source: str,
    kind: ListKind | None,
    db: Path,
    fetcher: ice_feed.Fetcher | None,
    accept_partial: bool,
    include_hidden: bool,
) -> UpdateResult:
    base = store.read_base(db)
    known = set(zip(base.snapshots["kind"].to_pylist(), base.snapshots["sha256"].to_pylist(), strict=True))
    result = UpdateResult()
    fetcher = fetcher or ice_feed.Fetcher()
    run: ice_feed.FeedRun | None = None
    items: list[tuple[Path, ListKind | None]]
    with tempfile.TemporaryDirectory() as tmp:
        if source == "ice":
            run = ice_feed.fetch_lists({sha for _, sha in known}, fetcher=fetcher)
            result.page = run.page
            result.links = [{"url": x.url, "kind": x.kind.value, "text": x.text} for x in run.links]
            kinds = {x.url: x.kind for x in run.links}
            items = [(f.path, kind or kinds[f.url]) for f in run.fetched if f.status == "new" and f.path]
            result.unchanged = [f.url for f in run.fetched if f.status == "unchanged"]
            result.already_present = [f.path.name for f in run.fetched if f.status == "same" and f.path]
        elif "://" in source:
            state = ice_feed.FeedState(Path(tmp) / "feed.json")
            got = ice_feed.fetch_file(source, Path(tmp), state, set(), fetcher)
            items = [(got.path, kind)] if got.path else []
        elif Path(source).is_dir():
            found, skipped = snapshot_files(Path(source))
            if not found:
                others = f" ({len(skipped)} other files skipped)" if skipped else " (the folder is empty)"
                raise InputError(
                    f"no ICE list found in {source}{others}",
                    file=source,
                    expected=".xlsx or .csv files named like participatingAgencies05182026am.xlsx",
                )
            items = [(p, kind) for p in found]
        else:
            items = [(Path(source), kind)]
        parsed = [read_list(p, k, include_hidden=include_hidden) for p, k in items]
    fresh = [p for p in parsed if (p.kind.value, p.sha256) not in known]
    result.partial = _check_partial(base, fresh, accept_partial)
    result.added = [{"file": p.file_name, "captured": p.captured, "rows": len(p.rows)} for p in fresh]
    result.already_present += [p.file_name for p in parsed if p not in fresh]
    fetched_moa = list(base.fetched_moa)
    if run is not None and fresh:
        fetched_moa += _fetch_moas(fresh, base, run, fetcher, result)
    if fresh or len(fetched_moa) > len(base.fetched_moa):
        if fresh:
            snaps, rows, problems = to_tables(fresh)
            base = store.BaseData(
                pa.concat_tables([base.snapshots, snaps]),
                pa.concat_tables([base.rows, rows]),
                pa.concat_tables([base.problems, problems]),
                fetched_moa,
            )
        else:
            base.fetched_moa = fetched_moa
        result.report = store.build_database(base, db, origin="update", placements=store.read_placements(db))
    if run is not None:
        run.state.save()
    return result


def _check_partial(base: store.BaseData, fresh: list[ParsedList], accept: bool) -> list[dict[str, str]]:
    """The new lists that read as partial or hold formulas without values, with why; an InputError
    naming them (nothing changed) unless `accept`."""
    metas = [
        SnapshotMeta(r["snapshot_id"], ListKind(r["kind"]), r["captured"], r["rows"], r["sha256"])
        for r in base.snapshots.select(["snapshot_id", "kind", "captured", "rows", "sha256"]).to_pylist()
    ]
    metas += [SnapshotMeta(p.snapshot_id, p.kind, p.captured, len(p.rows), p.sha256) for p in fresh]
    reasons = partial_reasons(metas)
    found = []
    for p in fresh:
        why = []
        if p.snapshot_id in reasons:
            why.append(f"it reads as partial ({reasons[p.snapshot_id]})")
        if p.formula_cells:
            first = next(q for q in p.problems if "formula without a saved value" in q.problem)
            why.append(
                f"{p.formula_cells} formula cells have no saved value (first: row {first.row}, "
                f"{first.field} {first.value}) and those rows or cells were not read"
            )
        if why:
            found.append({"file": p.file_name, "reason": "; ".join(why)})
    if found and not accept:
        listed = "; ".join(f"{f['file']}: {f['reason']}" for f in found)
        resave = (
            " (or re-save the workbook with its formulas calculated)"
            if any(p.formula_cells for p in fresh)
            else ""
        )
        raise InputError(
            f"refused, nothing changed: {listed}. Pass --accept-partial to add it anyway{resave}; "
            "a partial list adds sightings but ends no agreement",
            expected="a complete ICE list",
        )
    return found


def _fetch_moas(
    fresh: list[ParsedList],
    base: store.BaseData,
    run: ice_feed.FeedRun,
    fetcher: ice_feed.Fetcher,
    result: UpdateResult,
) -> list[dict[str, Any]]:
    """Fetch and read the MOA PDFs that new rows are the first to link; failures are reported, not fatal.

    After three downloads in a row fail, the rest wait for the next run (the host is likely down).
    """
    from sharemap.ledger import moa

    have = {d.file_name for d in moa.load_shipped_moa_terms()} | {d["file_name"] for d in base.fetched_moa}
    have |= {ice_feed.moa_file_name(u) for u in base.rows["moa_url"].to_pylist() if u}
    urls = ice_feed.new_moa_urls((r.moa_url for p in fresh for r in p.rows), have)
    docs, failures_in_a_row = [], 0
    for i, url in enumerate(urls):
        if i >= MAX_MOA_PER_RUN or failures_in_a_row >= 3:
            why = "left for the next run" + (" (3 failed in a row)" if failures_in_a_row >= 3 else "")
            result.moa_failed.append({"url": url, "reason": why})
            continue
        try:
            got = ice_feed.fetch_file(url, settings.ice_dir() / "moa", run.state, set(), fetcher)
            failures_in_a_row = 0
            if got.path is not None:
                docs.append(moa.read_moa(got.path).model_dump(mode="json"))
                result.moa_added.append(got.path.name)
        except ice_feed.FeedError as exc:
            failures_in_a_row += 1
            result.moa_failed.append({"url": url, "reason": str(exc)})
        except InputError as exc:  # fetched, but not a readable 287(g) agreement
            result.moa_failed.append({"url": url, "reason": str(exc)})
    return docs
