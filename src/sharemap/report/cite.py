"""Numbered citations: knowledge-base sources, law provisions, ICE list snapshots and MOA documents.

Every number handed out resolves to a `Reference` with a title and either a URL or a path inside
the shipped data, and a date (or year) where the source gives one. The same source gets one number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, Literal

from sharemap.kb.facts import KnowledgeBase
from sharemap.kb.model import Source
from sharemap.law.model import Provision
from sharemap.report.model import Reference, Sentence

ICE_LIST_URL = "https://www.ice.gov/identify-and-arrest/287g"
NOT_FOUND_PATH = "sharemap/kb/data/not_found.yaml"  # the register of what was looked for and not found
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


def _date_in(title: str) -> str | None:
    """The publication date a source's title gives (YYYY-MM-DD, 'June 2024', or a year), if any."""
    m = re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", title)
    if m:
        return m.group(0)
    m = re.search(rf"\b((?:{_MONTHS})[a-z]*)\.? ((?:19|20)\d\d)\b", title)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    years = re.findall(r"\b(?:19|20)\d\d\b", title)
    return years[-1] if years else None


_ARCHIVED = re.compile(r"/((?:19|20)\d\d)(\d\d)(\d\d)\d{6}/https?:/")  # a web archive's capture time


def dating(src: Source, *titles: str) -> tuple[str | None, str | None]:
    """A source's date and what that date is: its own date (published, or what its note says, e.g.
    'date: enacted'), a web archive's capture date in its address, or a year its title (or the
    citation it is listed under) gives; (None, None) when none is known."""
    if src.date:
        said = (src.note or "").removeprefix("date: ") if (src.note or "").startswith("date: ") else ""
        kind = re.split(r"[ ]?[(.;]", said, maxsplit=1)[0].strip() or "published"
        return src.date.isoformat(), kind
    m = _ARCHIVED.search(str(src.url or ""))
    if m:
        return "-".join(m.groups()), "archived"
    for label, text in (("date in title", src.title), *(("date in citation", t) for t in titles)):
        found = _date_in(text)
        if found:
            return found, label
    return None, None


class Citations:
    def __init__(self, kb: KnowledgeBase, ledger_source: dict[str, Any] | None = None) -> None:
        self.kb = kb
        self.ledger_source = ledger_source or {}
        self._by_key: dict[tuple[str, ...], int] = {}
        self._by_address: dict[str, int] = {}  # url (or title) -> the first reference to it
        self._kb_urls: dict[str, str] | None = None
        self.refs: list[Reference] = []

    def _add(
        self,
        key: tuple[str, ...],
        title: str,
        url: str | None,
        date: str | None,
        kind: Literal["kb", "law", "ledger", "moa", "register", "sim", "simrun", "portal"],
        location: str | None = None,
        date_kind: str | None = None,
    ) -> int:
        n = self._by_key.get(key)
        if n is None and location is None and url:
            n = self._by_address.get(url)  # the same document cited by another route: one reference
        if n is None:
            n = len(self.refs) + 1
            self.refs.append(Reference(n, title, url, date, kind, location, date_kind if date else None))
            if location is None:
                self._by_address.setdefault(url or title, n)
        self._by_key[key] = n
        return n

    def source(self, src: Source) -> int:
        """Any source (a kb.model.Source, as the plain-words answer carries): the reference already
        made for the same address when there is one, a new one otherwise."""
        url = str(src.url) if src.url else None
        known = self._by_address.get(url or src.title)
        if known is not None:
            return known
        sid = self._kb_by_url().get(url) if url else None
        if sid is not None:
            n = self.kb_source(sid)  # the knowledge base's own record, with its year when undated
            if n is not None:
                return n
        date, date_kind = dating(src)
        return self._add(("source", url or src.title), src.title, url, date, "kb", date_kind=date_kind)

    def kb_source(self, sid: str) -> int | None:
        s = self.kb.sources.get(sid)
        if s is None:
            return None
        date, date_kind = dating(s)
        if date is None and s.year:
            date, date_kind = str(s.year), "published"
        return self._add(("kb", sid), s.title, str(s.url) if s.url else None, date, "kb", date_kind=date_kind)

    def _kb_by_url(self) -> dict[str, str]:
        if self._kb_urls is None:
            self._kb_urls = {str(s.url): sid for sid, s in self.kb.sources.items() if s.url}
        return self._kb_urls

    def kb_sources(self, ids: Iterable[str]) -> tuple[int, ...]:
        out = [self.kb_source(i) for i in ids]
        return tuple(dict.fromkeys(n for n in out if n is not None))

    def provision(self, p: Provision) -> tuple[int, ...]:
        out = []
        for i, s in enumerate(p.sources):
            title = f"{p.citation} — {p.title}" if i == 0 else f"{p.citation} — {s.title}"
            date, date_kind = dating(s, p.citation)
            out.append(
                self._add(
                    ("law", p.id, str(i)),
                    title,
                    str(s.url) if s.url else None,
                    date,
                    "law",
                    location=s.title if i == 0 and s.title != p.title else None,
                    date_kind=date_kind,
                )
            )
        return tuple(dict.fromkeys(out))

    def ice_list(self, captured: dt.date | None, span: tuple[dt.date, dt.date] | None = None) -> int:
        """ICE's published list of participating agencies, as captured on `captured` (None: all the
        lists the ledger holds, captured over `span` when the caller knows it)."""
        src = self.ledger_source
        title = src.get("title") or "ICE, Delegation of Immigration Authority Section 287(g)"
        when = captured.isoformat() if captured else None
        suffix = f" (participating agencies list as captured {when})" if when else " (participating lists)"
        date = when or (f"{span[0].isoformat()} to {span[1].isoformat()}" if span else None)
        return self._add(
            ("ledger", when or "all"),
            title + suffix,
            src.get("url") or ICE_LIST_URL,
            date,
            "ledger",
            location=src.get("note"),
            date_kind="captured",
        )

    def published_count(self, list_date: dt.date, sheet: str) -> int:
        """ICE's later list, known by its published count only (no rows held)."""
        from sharemap.ledger.freshness import PUBLISHED_SOURCE

        return self._add(
            ("published", list_date.isoformat()),
            f"{PUBLISHED_SOURCE['title']} (sheet {sheet})",
            PUBLISHED_SOURCE["url"],
            list_date.isoformat(),
            "ledger",
            location=PUBLISHED_SOURCE["note"],
            date_kind="list of",
        )

    def moa(self, url: str, agency: str, signed: dt.date | None, page: str | None = None) -> int:
        name = url.rsplit("/", 1)[-1].replace("%20", " ")
        title = f"287(g) Memorandum of Agreement, {agency}" + (
            f" (signed {signed.isoformat()})" if signed else ""
        )
        return self._add(
            ("moa", url, page or ""),
            title,
            url,
            signed.isoformat() if signed else None,
            "moa",
            location=f"{name}, p. {page}" if page else name,
            date_kind="signed",
        )

    def not_found_register(self) -> int:
        """The project's own register of what the research looked for and did not find."""
        title = "sharemap knowledge base: register of what the research looked for and did not find"
        return self._add(("register", NOT_FOUND_PATH), title, None, None, "register", location=NOT_FOUND_PATH)

    def sim_source(self, title: str, url: str, location: str) -> int:
        """A published figure behind the simulator: a sourced parameter or calibration target of
        `sharemap/sim/params/*.yaml` (title and URL as the file gives them)."""
        return self._add(
            ("sim", url, title),
            title,
            url,
            _date_in(title),
            "sim",
            location=location,
            date_kind="date in title",
        )

    def sim_run(self, run: Any) -> int:
        """A SYNTHETIC simulation run (a `sharemap.report.sim.SimRun`): the data the section's numbers
        come from; its address is the run's summary.json (or the web app's run id)."""
        s = run.summary
        ag = s.get("agreements") or {}
        title = (
            f"sharemap SYNTHETIC simulation run: {s['selection']}, scenario {s['scenario']}, "
            f"seed {s['seed']}, {s['replicates']} replicates"
            + (f", ICE list of {ag['ice_list_date']}" if ag.get("ice_list_date") else "")
        )
        return self._add(
            ("simrun", run.source), title, None, run.made, "simrun", run.source, date_kind="run made"
        )

    def portal(self, slug: str, agency: str, day: dt.date, location: str) -> int:
        """An agency's plate-reader transparency portal as archived on one date (the sm-alpr archive,
        the commit the shipped data was built from)."""
        from sharemap.sharing.workbook import archive_url  # the national scrape has its own file

        url = archive_url(slug, day, location)
        title = f"{agency}: plate-reader transparency portal, snapshot of {day.isoformat()} (archived)"
        return self._add(
            ("portal", slug, day.isoformat()),
            title,
            url,
            day.isoformat(),
            "portal",
            location,
            date_kind="snapshot",
        )

    def sentence(self, text: str, *cites: int | Iterable[int] | None) -> Sentence:
        flat: list[int] = []
        for c in cites:
            if c is None:
                continue
            if isinstance(c, int):
                flat.append(c)
            else:
                flat.extend(c)
        return Sentence(text, tuple(dict.fromkeys(flat)))
