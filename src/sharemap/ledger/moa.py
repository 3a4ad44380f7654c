"""Read 287(g) Memoranda of Agreement (MOA) PDFs into structured, cited terms.

`read_moa(path)` returns a `MoaTerms`: the model (JEM, TFM, WSO), the parties, the signature dates
per signatory, the authorised immigration functions and the clauses on custody, personnel and
training, supervision, reporting to ICE, records and data, duration and termination, costs and
oversight. Every term carries the PDF page number(s) it was read from (1-based page index of the
PDF, not the printed page number) and a short quoted snippet. What is not found is listed in
`not_found`, never guessed.

PDFs without a text layer (scans) get status `no_text_layer` (or `partial_text_layer` when only
some pages have text): whatever the pages with text say is still read, nothing else. A readable PDF
that is not a 287(g) MOA, and a file that is not a PDF at all, raise `InputError`.

See docs/moa.md for the templates, the method and its limits.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharemap.errors import InputError
from sharemap.kb.model import MoaCategory, MoaStatus, MoaTerm, MoaTerms, Model287g
from sharemap.ledger.moa_vocab import (
    CLAUSES,
    FIELD_ARREST_FUNCTIONS,
    FUNCTIONS,
    FUNCTIONS_END,
    FUNCTIONS_START,
    SYSTEMS,
    Clause,
)
from sharemap.safety import check_regular_file, limit
from sharemap.settings import DATA_DIR

__all__ = [
    "ICE_MOA_URL",
    "build_moa_terms",
    "documents_to_rows",
    "load_shipped_moa_terms",
    "read_moa",
    "shipped_moa_terms_path",
    "terms_to_rows",
    "write_shipped_moa_terms",
]

ICE_MOA_URL = "https://www.ice.gov/doclib/287gMOA/{file}"
"""Where ICE publishes each signed MOA (the original location of the reference PDFs)."""

EXPECTED = "a 287(g) memorandum of agreement"
MIN_TEXT_CHARS = 200
"""A page "has a text layer" when its text holds at least this many letters and digits."""
SNIPPET_WORDS = 12
FLAGS = re.IGNORECASE

_CID = re.compile(r"^\(cid:(\d+)\)$")
_WS = re.compile(r"\s+")
_REVISION = re.compile(r"\bRev(?:ised|\.)?\s+(?P<v>\d{1,2}\s?/\s?\d{1,2}\s?/\s?\d{2,4})", FLAGS)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DATE_PATTERNS = (
    re.compile(
        r"\b(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})\b"
    ),
    re.compile(
        r"\b(?P<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\s*-?\s*(?P<d>\d\s?\d?)\s*,?\s+(?P<y>\d{4})\b"
    ),
    re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b"),
    re.compile(r"\b(?P<y>20\d\d)\.(?P<m>\d\d)\.(?P<d>\d\d)\b"),
)
_LEA_WORDS = re.compile(r"Sheriff|Police|County|City|Department\s+of\s+Corrections|Chief", FLAGS)
_ICE_WORDS = re.compile(
    r"Immigration|Enforcement\s+and\s+Removal|Acting\s+Director|Associate\s+Dire|Assistant\s+Director", FLAGS
)
_DIGITAL_STAMP = re.compile(
    r"Digitally\s+signed\s+by\s*:?\s*(?P<who>[^\n]{2,80}?(?:\n[^\n]{2,40}?)?)\s*Date\s*:\s*"
    r"(?P<y>20\d\d)\.(?P<m>\d\d)\.(?P<d>\d\d)(?:\s+\d\d:\d\d(?::\d\d)?)?(?:\s*[-+]\d\d'?\d\d'?)?",
    FLAGS,
)
"""The stamp a PDF signature leaves: 'Digitally signed by NAME Date: 2020.06.01 11:45:32 -04'00''."""
_BLOCK_HEADER = re.compile(r"^\s*For\s*(?:the\s+)?(?P<who>[A-Za-z]+)\s*:", re.MULTILINE)


# ------------------------------------------------------------------------------------------------
# Reading the PDF


@dataclass
class _FormField:
    page: int
    name: str
    value: str
    x0: float
    top: float
    page_width: float


@dataclass
class _Doc:
    path: Path
    page_count: int
    pages: list[str]
    sig_blocks: list[tuple[int, str, str]] = field(default_factory=list)  # (page, side, text)
    form_fields: list[_FormField] = field(default_factory=list)
    title: str | None = None
    text: str = ""
    starts: list[int] = field(default_factory=list)
    total_pages: int = 0
    """Pages the PDF has; only the first pdf_pages (the limit) of them are read."""

    def __post_init__(self) -> None:
        parts, pos = [], 0
        for page_text in self.pages:
            self.starts.append(pos)
            parts.append(page_text + "\n\f\n")
            pos += len(page_text) + 3
        self.text = "".join(parts)

    def page_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def pages_of(self, start: int, end: int) -> tuple[int, ...]:
        return tuple(range(self.page_of(start), self.page_of(max(start, end - 1)) + 1))

    def quote(self, start: int, end: int) -> dict[str, Any]:
        """Where a term was found: its pages and a short quote (MoaTerm's pages and snippet)."""
        return {"pages": self.pages_of(start, end), "snippet": _snippet(self.text, start, end)}


def _decode_cid(chars: list[dict[str, Any]]) -> None:
    """Glyphs without a Unicode map come out as "(cid:N)". In the Word-made 2025 PDFs the glyph ids
    follow the standard TrueType order, where N + 29 is the ASCII code (3 = space, 36 = "A")."""
    for c in chars:
        m = _CID.match(c.get("text", ""))
        if m:
            n = int(m.group(1))
            c["text"] = chr(n + 29) if 3 <= n <= 97 else ""


def _keep(obj: dict[str, Any]) -> bool:
    # Filled-in form lines interleave underscores with the typed text; drop them.
    return obj.get("object_type") != "char" or obj.get("text") not in ("_", "")


def _check_pdf_file(path: Path) -> None:
    """A regular file within the file_mb limit that starts like a PDF (never a folder, FIFO or device)."""
    if not path.exists():
        raise InputError("file not found", file=path, expected="a PDF file")
    check_regular_file(path, what="PDF file")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if not head:
        raise InputError("file is empty", file=path, expected="a PDF file")
    if b"%PDF-" not in head:
        raise InputError("not a PDF (no %PDF- header)", file=path, expected="a PDF file")


def _open(path: Path) -> _Doc:
    import pdfplumber  # local import: pdfplumber is only needed when reading PDFs

    _check_pdf_file(path)
    most = max(1, int(limit("pdf_pages")))
    try:
        with pdfplumber.open(path, pages=list(range(1, most + 1))) as pdf:
            title = pdf.metadata.get("Title") if isinstance(pdf.metadata, dict) else None
            texts: list[str] = []
            doc_pages = list(pdf.pages)  # at most `most`: pdfplumber builds only the pages asked for
            prepared = []
            for page in doc_pages:
                _decode_cid(page.chars)
                clean = page.filter(_keep)
                prepared.append(clean)
                texts.append(clean.extract_text(x_tolerance=3) or "")
            doc = _Doc(path=path, page_count=len(doc_pages), pages=texts, title=_as_str(title))
            doc.total_pages = max(_declared_pages(pdf), len(doc_pages))
            for number, (page, clean) in enumerate(zip(doc_pages, prepared, strict=True), start=1):
                doc.form_fields.extend(_form_fields(page, number))
                if _is_signature_page(texts[number - 1]):
                    doc.sig_blocks.extend(_signature_columns(clean, number))
    except InputError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise InputError(
            f"cannot read PDF: {type(exc).__name__}: {exc}", file=path, expected="a PDF file"
        ) from exc
    if doc.page_count == 0:
        raise InputError("PDF has no pages", file=path, expected="a PDF file")
    return doc


def _declared_pages(pdf: Any) -> int:
    """The page count the PDF's page tree declares (read without building the pages)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        return int(count) if isinstance(count, int) and count >= 0 else 0
    except Exception:  # a damaged page tree: the pages read are all that is known
        return 0


def _as_str(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.strip():
        return _WS.sub(" ", value).strip()
    return None


def _form_fields(page: Any, number: int) -> Iterator[_FormField]:
    for annot in page.annots or []:
        data = annot.get("data") or {}
        value = _as_str(data.get("V"))
        name = _as_str(annot.get("title")) or ""
        if value and name:
            yield _FormField(number, name, value, float(annot["x0"]), float(annot["top"]), float(page.width))


def _is_signature_page(text: str) -> bool:
    if re.search(r"By\s+signing\s+this\s+MOA", text, FLAGS):
        return True
    # Pages with only a stamped or typed signature block (the rest scanned without text).
    letters = sum(ch.isalnum() for ch in text)
    return letters < MIN_TEXT_CHARS and bool(re.search(r"Director", text)) and _first_date(text) is not None


def _signature_columns(page: Any, number: int) -> list[tuple[int, str, str]]:
    top = 0.0
    found = page.search(r"extent\s+allowed\s+by\s+law", regex=True, case=False)
    if found:
        top = float(found[-1]["bottom"])
    width, height = float(page.width), float(page.height)
    out = []
    for side, (x0, x1) in (("left", (0.0, width / 2)), ("right", (width / 2, width))):
        text = page.crop((x0, top, x1, height)).extract_text(x_tolerance=3) or ""
        out.append((number, side, text))
    return out


# ------------------------------------------------------------------------------------------------
# Finding terms


def _snippet(text: str, start: int, end: int) -> str:
    """The matched words plus a few following ones: a short quote, never a passage."""
    matched = len(_WS.sub(" ", text[start:end]).split())
    words = _WS.sub(" ", text[start : end + 120].replace("\f", " ")).strip().split(" ")
    return " ".join(words[: max(matched, SNIPPET_WORDS)])[:160].strip()


def _clause_term(doc: _Doc, clause: Clause, m: re.Match[str]) -> MoaTerm:
    snippet = _snippet(doc.text, m.start(), m.end())
    v = m.groupdict().get("v")
    value = clause.value.replace("{snippet}", snippet)
    if v is not None:
        value = value.replace("{v}", _WS.sub(" ", v).strip())
    return MoaTerm(
        category=clause.category,
        term=clause.term,
        label=clause.label,
        value=value,
        pages=doc.pages_of(m.start(), m.end()),
        snippet=snippet,
    )


def _compile(pattern: str) -> re.Pattern[str]:
    """OCR text layers drop or add spaces between words ("warrants ofremoval"): let any run of
    whitespace in a pattern also match nothing."""
    return re.compile(pattern.replace(r"\s+", r"\s*"), FLAGS)


def _functions(doc: _Doc) -> tuple[list[MoaTerm], bool]:
    start = re.search(FUNCTIONS_START, doc.text, FLAGS)
    if not start:
        return [], False
    end = re.compile(FUNCTIONS_END, FLAGS).search(doc.text, start.end())
    stop = end.start() if end else len(doc.text)
    terms = []
    for clause in FUNCTIONS:
        m = _compile(clause.pattern).search(doc.text, start.end(), stop)
        if m:
            terms.append(_clause_term(doc, clause, m))
    return terms, True


def _clauses(doc: _Doc) -> tuple[list[MoaTerm], list[str]]:
    terms: list[MoaTerm] = []
    found: set[str] = set()
    for clause in CLAUSES:
        if clause.term in found:
            continue  # another wording of the same term already matched
        m = _compile(clause.pattern).search(doc.text)
        if m:
            terms.append(_clause_term(doc, clause, m))
            found.add(clause.term)
    missing = list(dict.fromkeys(c.term for c in CLAUSES if c.term not in found))
    return terms, missing


def _systems(doc: _Doc) -> list[MoaTerm]:
    terms = []
    for name, pattern in SYSTEMS:
        m = re.search(pattern, doc.text)
        if m:
            terms.append(
                MoaTerm(
                    category=MoaCategory.RECORDS_DATA,
                    term="system_named",
                    label="System named in the MOA",
                    value=name,
                    **doc.quote(m.start(), m.end()),
                )
            )
    return terms


_TITLE_MODELS = (
    (r"287\s*\(g\)\s*Jail\s+Enforcement\s+Model", Model287g.JEM),
    (r"287\s*\(g\)\s*Task\s+Force\s+Model", Model287g.TFM),
    (r"Warrant\s+Service\s+Officer\s+Program", Model287g.WSO),
)
_BODY_MODELS = (
    (r"under\s+the\s+Jail\s+Enforcement\s+Model", Model287g.JEM),
    (r"under\s+the\s+Task\s+Force\s+Model", Model287g.TFM),
    (r"under\s+the\s+Warrant\s+Service\s+Officer", Model287g.WSO),
)


def _model(doc: _Doc, functions: list[MoaTerm], listed: bool) -> MoaTerm | None:
    head = doc.text[:600]
    for pattern, model in _TITLE_MODELS:
        m = re.search(pattern, head, FLAGS)
        if m:
            return _model_term(doc, model, m, "title of the MOA")
    for pattern, model in _BODY_MODELS:
        m = re.search(pattern, doc.text, FLAGS)
        if m:
            return _model_term(doc, model, m, "model named in the text")
    if not listed:
        return None
    keys = {t.term for t in functions}
    if keys & set(FIELD_ARREST_FUNCTIONS):
        model, why = Model287g.TFM, "inferred: authorises arrests without a warrant in the field"
    elif keys == {"serve_arrest_warrant", "serve_removal_warrant"}:
        model, why = Model287g.WSO, "inferred: authorises only serving warrants of arrest and removal"
    elif "interrogate_status" in keys and "issue_detainers" in keys:
        model, why = (
            Model287g.JEM,
            "inferred: jail functions (interrogation, detainers) without field arrests",
        )
    else:
        return None
    m = re.search(FUNCTIONS_START, doc.text, FLAGS)
    assert m is not None
    return _model_term(doc, model, m, why)


def _model_term(doc: _Doc, model: Model287g, m: re.Match[str], basis: str) -> MoaTerm:
    return MoaTerm(
        category=MoaCategory.MODEL,
        term="model",
        label=f"287(g) model ({basis})",
        value=model.value,
        **doc.quote(m.start(), m.end()),
    )


_PARTY_SENTENCE = re.compile(
    r"Homeland\s+Security\s+\((?:DHS|OHS|[^)]{1,5})\),?\s+and\s+(?:the\s*)?(?P<v>.{0,120}?)"
    r"\s*(?:,\s*(?:hereinafter|herein\s*after|under\s+the\s+jurisdiction|pursuant)|\s*\((?!LEA\b)[A-Za-z]{2,8}\)|,?\s*pursuant)",
    FLAGS | re.DOTALL,
)
_ICE_PARTY = re.compile(r"(?:U\.?\s?S\.?|United\s+States)\s+Immigration\s+and\s+Customs\s+Enforcement", FLAGS)


def _footer_name(doc: _Doc) -> tuple[str, int] | None:
    """A line that repeats at the foot of most pages is, in these MOAs, the LEA's name."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for number, page in enumerate(doc.pages, start=1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()][-3:]
        for line in lines:
            line = _REVISION.sub("", line)
            line = re.sub(r"^\d+\s+|\s+\d+$", "", line).strip()
            if len(line) > 8 and re.search(
                r"(Sheriff|Office|Department|Police|Center|County|Bureau)", line, FLAGS
            ):
                counts[line] += 1
                first.setdefault(line, number)
    if not counts:
        return None
    line, n = counts.most_common(1)[0]
    return (line, first[line]) if n >= 3 else None


def _tokens(s: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", s.lower()) if len(t) > 2}


def _parties(doc: _Doc) -> tuple[list[MoaTerm], str | None]:
    """The parties: ICE, the law-enforcement agency (and its name, read from the best place the
    document offers), the jurisdiction it represents and ICE's field office."""
    lea_term = _lea_from_clause(doc) or _lea_from_form(doc)
    found = [_ice_party(doc), lea_term, _lea_represents(doc), _field_office(doc)]
    return [t for t in found if t is not None], lea_term.value if lea_term is not None else None


def _party(term: str, label: str, value: str, party: str | None = None, **where: object) -> MoaTerm:
    return MoaTerm(category=MoaCategory.PARTY, term=term, label=label, value=value, party=party, **where)


def _ice_party(doc: _Doc) -> MoaTerm | None:
    m = _ICE_PARTY.search(doc.text)
    if not m:
        return None
    ice = "U.S. Immigration and Customs Enforcement (ICE), Department of Homeland Security"
    return _party("ice", "Federal party", ice, party="ice", **doc.quote(m.start(), m.end()))


def _lea_from_clause(doc: _Doc) -> MoaTerm | None:
    """The agency named in the parties clause, or the page footer's cleaner spelling of the same name
    (the clause is often OCR-damaged), or, when that is one unreadable word, the points of contact."""
    p = _PARTY_SENTENCE.search(doc.text[:3000])
    raw = _WS.sub(" ", p.group("v")).strip(" ,._") if p else ""
    raw = re.sub(r"^(?:the\s+)?Law\s+Enforcement\s+Agency\s*,?\s*(?:the\s+)?", "", raw, flags=FLAGS)
    raw = re.sub(r"\s*\([A-Za-z]{2,12}\)$", "", raw)  # "(Department)", "(FCSO)"
    candidate = raw if re.search(r"[A-Za-z]{3}", raw) else ""
    footer = _footer_name(doc)
    if p and candidate and (footer is None or len(_tokens(footer[0]) & _tokens(candidate)) < 2):
        label = "Law-enforcement agency (parties clause)"
        term = _party("lea", label, candidate, party="lea", **doc.quote(p.start("v"), p.end("v")))
    elif footer and (candidate or p):
        label = "Law-enforcement agency (page footer, matching the parties clause)"
        term = _party("lea", label, footer[0], party="lea", pages=(footer[1],), snippet=footer[0][:160])
    else:
        return None
    return term if re.search(r"\s", term.value) else _lea_from_contacts(doc, term)


def _lea_from_contacts(doc: _Doc, term: MoaTerm) -> MoaTerm:
    """A one-word agency name replaced by the LEA's point of contact line, when that names a place."""
    poc = next(
        (
            m
            for m in re.finditer(r"For\s+the\s+LEA:[^\n]*\n(?P<v>[^\n]+)", doc.text)
            if re.search(r"\b(County|City|State|Town)\b", m.group("v")) and " " in m.group("v")
        ),
        None,
    )
    if poc is None:
        return term
    return term.model_copy(
        update={
            "value": poc.group("v").strip(),
            "label": "Law-enforcement agency (points of contact; parties clause unreadable)",
            "pages": doc.pages_of(poc.start("v"), poc.end("v")),
            "snippet": _snippet(doc.text, poc.start(), poc.end()),
        }
    )


def _lea_from_form(doc: _Doc) -> MoaTerm | None:
    """2025 fillable forms: the agency's name is a form field on page 1."""
    fields = [f for f in doc.form_fields if f.page == 1 and "lea" in f.name.lower()]
    if not fields:
        return None
    best = max(fields, key=lambda f: len(f.value))
    label = "Law-enforcement agency (form field in the parties clause)"
    return _party(
        "lea", label, best.value, party="lea", pages=(best.page,), snippet=f"{best.name}: {best.value}"[:160]
    )


def _lea_represents(doc: _Doc) -> MoaTerm | None:
    r = re.search(
        r"LEA\s+represents\s+(?P<v>(?:the\s+)?[A-Z][^\n]{2,60}?)\s+in\s+the\s+implementation", doc.text
    )
    if not r:
        return None
    value = _WS.sub(" ", r.group("v")).strip()
    return _party("lea_represents", "Jurisdiction the LEA represents", value, **doc.quote(r.start(), r.end()))


def _field_office(doc: _Doc) -> MoaTerm | None:
    f = re.search(
        r"(?:For\s+DHS:\s*(?P<a>[A-Z][A-Za-z .]{2,30}?),?\s+Field\s+Office)"
        r"|(?:FOD\s+in\s+the\s+(?P<b>[A-Z][a-z]+)\s+Field\s+Office)",
        doc.text,
    )
    if not f:
        return None
    office = re.sub(r"^ERO\s+", "", (f.group("a") or f.group("b") or "").strip(" ,"))
    return _party(
        "ice_field_office", "ICE ERO field office", f"{office} Field Office", **doc.quote(f.start(), f.end())
    )


def _parse_date(m: re.Match[str]) -> dt.date | None:
    g = m.groupdict()
    try:
        year = int(g["y"])
        if year < 100:
            year += 2000
        month = _MONTHS[g["mon"][:3].lower()] if g.get("mon") else int(g["m"])
        day = int(re.sub(r"\s", "", g["d"]))
        date = dt.date(year, month, day)
    except (KeyError, ValueError):
        return None
    return date if 2000 <= date.year <= 2035 else None


def _first_date(text: str) -> tuple[dt.date, re.Match[str]] | None:
    best: tuple[dt.date, re.Match[str]] | None = None
    text = _REVISION.sub(" ", text)
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            date = _parse_date(m)
            if date and (best is None or m.start() < best[1].start()):
                best = (date, m)
                break
    return best


def _blocks(text: str) -> list[tuple[str | None, str]]:
    """Split a signature column at "For the LEA:" / "For ICE:" / "For OAG:" headers."""
    heads = list(_BLOCK_HEADER.finditer(text))
    if not heads:
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    if text[: heads[0].start()].strip():
        out.append((None, text[: heads[0].start()]))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out.append((h.group("who"), text[h.start() : end]))
    return out


def _party_of(who: str | None, block: str) -> str:
    if who:
        w = who.lower()
        return "ice" if w in ("ice", "dhs") else "lea" if w == "lea" else w
    return "ice" if _ICE_WORDS.search(block) else "lea"


def _signatures(doc: _Doc) -> list[MoaTerm]:
    found: dict[str, MoaTerm] = {}
    for page, _side, column in doc.sig_blocks:
        # A header-less block before the first header (e.g. a date typed above "Date:") belongs to
        # the first headed block in the same column.
        blocks = _blocks(column)
        merged: list[tuple[str | None, str]] = []
        for who, text in blocks:
            if merged and merged[-1][0] is None and who is not None:
                merged[-1] = (who, merged[-1][1] + "\n" + text)
            else:
                merged.append((who, text))
        for who, text in merged:
            party = _party_of(who, text)
            stamp = _DIGITAL_STAMP.search(text)
            stamped = _parse_date(stamp) if stamp else None
            hit: tuple[dt.date, re.Match[str]] | None = (
                (stamped, stamp) if stamp is not None and stamped is not None else _first_date(text)
            )
            if not hit or party in found:
                continue
            date, m = hit
            how = " (digital signature stamp)" if m is stamp else ""
            found[party] = MoaTerm(
                category=MoaCategory.SIGNATURE,
                term="signature_date",
                label=f"Date signed by {party.upper() if len(party) <= 4 else party}{how}",
                value=date.isoformat(),
                pages=(page,),
                snippet=_WS.sub(" ", m.group(0)).strip()[:160],
                party=party,
                date=date,
            )
    # Digital signature stamps outside a recognised signature block: the party from the words around.
    for m in _DIGITAL_STAMP.finditer(doc.text):
        stamp_date = _parse_date(m)
        if stamp_date is None:
            continue
        around = doc.text[max(0, m.start() - 200) : m.end() + 200]
        party = "ice" if _ICE_WORDS.search(around) and not _LEA_WORDS.search(m.group("who")) else "lea"
        if party not in found:
            found[party] = MoaTerm(
                category=MoaCategory.SIGNATURE,
                term="signature_date",
                label=f"Date signed by {party.upper()} (digital signature stamp)",
                value=stamp_date.isoformat(),
                pages=doc.pages_of(m.start(), m.end()),
                snippet=_WS.sub(" ", m.group(0)).strip()[:160],
                party=party,
                date=stamp_date,
            )
    # 2025 fillable forms: date fields beside the signature lines (left column LEA, right ICE).
    for f in doc.form_fields:
        if not f.name.lower().startswith("date"):
            continue
        hit = _first_date(f.value)
        if not hit:
            continue
        party = "lea" if f.x0 < f.page_width / 2 else "ice"
        if party not in found:
            found[party] = MoaTerm(
                category=MoaCategory.SIGNATURE,
                term="signature_date",
                label=f"Date signed by {party.upper()} (form field)",
                value=hit[0].isoformat(),
                pages=(f.page,),
                snippet=f"{f.name}: {f.value}"[:160],
                party=party,
                date=hit[0],
            )
    order = {"lea": 0, "ice": 1}
    return sorted(found.values(), key=lambda t: (order.get(t.party or "", 2), t.party or ""))


def _revision(doc: _Doc) -> MoaTerm | None:
    m = _REVISION.search(doc.text)
    if not m:
        return None
    return MoaTerm(
        category=MoaCategory.DOCUMENT,
        term="template_revision",
        label="Template revision printed in the footer",
        value=_revision_date(m.group("v")),
        pages=doc.pages_of(m.start(), m.end()),
        snippet=_WS.sub(" ", m.group(0)),
    )


def _revision_date(text: str) -> str:
    """ "02/14/2025" or "2/14/25" -> "2025-02-14" (the text as printed when it is not a date)."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", re.sub(r"\s", "", text))
    if m:
        year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        try:
            return dt.date(year, int(m.group(1)), int(m.group(2))).isoformat()
        except ValueError:
            pass
    return re.sub(r"\s", "", text)


def _is_agreement(text: str) -> bool:
    return bool(
        re.search(r"MEMORANDUM\s+OF\s+AGREEMENT", text, FLAGS)
        and re.search(r"287\s*\(g\)|1357\s*\(\s*[g8]\s*\)", text, FLAGS)
        and re.search(r"Immigration", text, FLAGS)
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _text_layer(doc: _Doc) -> tuple[MoaStatus, tuple[int, ...]]:
    """Which pages carry text, and so whether the PDF reads whole, in part or not at all."""
    text_pages = tuple(
        i for i, page in enumerate(doc.pages, start=1) if sum(ch.isalnum() for ch in page) >= MIN_TEXT_CHARS
    )
    if not text_pages:
        return MoaStatus.NO_TEXT_LAYER, text_pages
    if len(text_pages) * 2 < doc.page_count:
        return MoaStatus.PARTIAL_TEXT_LAYER, text_pages
    return MoaStatus.OK, text_pages


def _check_is_agreement(doc: _Doc, status: MoaStatus, path: Path) -> None:
    letters = sum(ch.isalnum() for ch in doc.text)
    unrelated_scrap = letters >= 100 and not re.search(r"Immigration|287\s*\(g\)|\bICE\b|Director", doc.text)
    if (status is not MoaStatus.NO_TEXT_LAYER and not _is_agreement(doc.text)) or unrelated_scrap:
        raise InputError(
            "the PDF's text does not read as a 287(g) agreement between ICE and a law-enforcement agency",
            file=path,
            expected=EXPECTED,
        )


def _reading_notes(
    doc: _Doc,
    status: MoaStatus,
    text_pages: tuple[int, ...],
    listed: bool,
    has_model: bool,
    lea: str | None,
    terms: list[MoaTerm],
) -> list[str]:
    """What the reader could not read, and why, in the words a user sees."""
    notes: list[str] = []
    if doc.total_pages > doc.page_count:
        notes.append(
            f"only the first {doc.page_count} of {doc.total_pages} pages were read "
            "(limit pdf_pages, SHAREMAP_MAX_PDF_PAGES)"
        )
    if status is not MoaStatus.OK:
        without = [i for i in range(1, doc.page_count + 1) if i not in text_pages]
        notes.append(
            f"{len(without)} of {doc.page_count} pages have no text layer (scanned images; not OCRed here): "
            f"terms on those pages are not read"
        )
    if not listed:
        notes.append("list of authorised functions not found in document: functions unknown")
    if not has_model:
        notes.append("287(g) model not found in document")
    lea_terms = [t for t in terms if t.term == "lea"]
    if lea and not re.search(r"\s", lea):
        notes.append("the agency's name in the text layer looks garbled (OCR)")
    elif lea_terms and "points of contact" in lea_terms[0].label:
        notes.append("parties clause unreadable (OCR): agency name taken from the points of contact")
    return notes


def read_moa(path: str | Path) -> MoaTerms:
    """Read one 287(g) MOA PDF into cited terms.

    Raises InputError (naming the file) when the file is missing, empty, not a PDF or damaged, and
    when a PDF with a text layer is not a 287(g) memorandum of agreement.
    """
    path = Path(path)
    doc = _open(path)
    status, text_pages = _text_layer(doc)
    _check_is_agreement(doc, status, path)
    functions, listed = _functions(doc)
    parties, lea = _parties(doc)
    clauses, missing = _clauses(doc)
    model = _model(doc, functions, listed)
    revision = _revision(doc)
    terms = [
        *([model] if model else []),
        *parties,
        *_signatures(doc),
        *functions,
        *clauses,
        *_systems(doc),
        *([revision] if revision else []),
    ]
    if lea is None:
        missing.insert(0, "lea")
    if model is None:
        missing.insert(0, "model")
    if not any(t.term == "signature_date" for t in terms):
        missing.append("signature_date")
    notes = _reading_notes(doc, status, text_pages, listed, model is not None, lea, terms)
    return MoaTerms(
        file_name=path.name,
        sha256=_sha256(path),
        page_count=doc.page_count,
        status=status,
        text_pages=text_pages,
        model=Model287g(model.value) if model else None,
        lea_name=lea,
        functions_listed=listed,
        terms=tuple(terms),
        not_found=tuple(missing),
        notes=tuple(notes),
        pdf_title=doc.title,
    )


# ------------------------------------------------------------------------------------------------
# Shipped data


def shipped_moa_terms_path() -> Path:
    return DATA_DIR / "moa" / "moa_terms.json"


def _read_provenance(pdf_dir: Path) -> dict[str, dict[str, str]]:
    tsv = pdf_dir / "PROVENANCE.tsv"
    if not tsv.exists():
        return {}
    out: dict[str, dict[str, str]] = {}
    with tsv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = row.get("source_path") or ""
            if "\\" in path:  # git's octal escapes, e.g. \342\200\231 for a curly apostrophe
                try:
                    path = path.encode("latin-1", "backslashreplace").decode("unicode_escape")
                    path = path.encode("latin-1").decode("utf-8")
                except (UnicodeDecodeError, UnicodeEncodeError):
                    pass
            out[row["file"]] = {
                "source_repo": row.get("source_repo") or "",
                "source_path": path,
                "source_commit": row.get("source_commit") or "",
            }
    return out


def build_moa_terms(pdf_dir: str | Path) -> list[MoaTerms]:
    """Read every PDF in `pdf_dir` (sorted by name), adding the source from its PROVENANCE.tsv."""
    pdf_dir = Path(pdf_dir)
    if not pdf_dir.is_dir():
        raise InputError("not a directory", file=pdf_dir, expected="a directory of 287(g) MOA PDFs")
    provenance = _read_provenance(pdf_dir)
    out = []
    for pdf in sorted(pdf_dir.glob("*.pdf"), key=lambda p: p.name.lower()):
        terms = read_moa(pdf)
        src = provenance.get(pdf.name, {})
        out.append(
            terms.model_copy(
                update={
                    "source_repo": src.get("source_repo") or None,
                    "source_path": src.get("source_path") or None,
                    "source_commit": src.get("source_commit") or None,
                    "original_url": ICE_MOA_URL.format(file=pdf.name),
                }
            )
        )
    return out


def write_shipped_moa_terms(pdf_dir: str | Path, out: str | Path | None = None) -> Path:
    """Regenerate the shipped moa_terms.json from the reference PDFs (written aside, then replaced)."""
    target = Path(out) if out else shipped_moa_terms_path()
    records = [t.model_dump(mode="json") for t in build_moa_terms(pdf_dir)]
    payload = {
        "description": "Terms read from signed 287(g) MOA PDFs by sharemap.ledger.moa.read_moa",
        "generated_by": "sharemap.ledger.moa.write_shipped_moa_terms",
        "documents": records,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def load_shipped_moa_terms(path: str | Path | None = None) -> list[MoaTerms]:
    """Load the MOA terms shipped with the package (or another file written the same way)."""
    source = Path(path) if path else shipped_moa_terms_path()
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
        return [MoaTerms.model_validate(rec) for rec in payload["documents"]]
    except FileNotFoundError as exc:
        raise InputError("file not found", file=source, expected="the shipped moa_terms.json") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read MOA terms: {exc}", file=source, expected="moa_terms.json") from exc


def terms_to_rows(terms: MoaTerms | Iterable[MoaTerms]) -> list[dict[str, Any]]:
    """One row per term, for the store's `moa_terms` table.

    Columns: file, model (Model287g value or None), status, category, term, label, value, party,
    date (ISO or None), pages (comma-separated PDF page numbers), page (first page), snippet.
    """
    docs = [terms] if isinstance(terms, MoaTerms) else list(terms)
    rows = []
    for doc in docs:
        for t in doc.terms:
            rows.append(
                {
                    "file": doc.file_name,
                    "model": doc.model.value if doc.model else None,
                    "status": doc.status.value,
                    "category": t.category.value,
                    "term": t.term,
                    "label": t.label,
                    "value": t.value,
                    "party": t.party,
                    "date": t.date.isoformat() if t.date else None,
                    "pages": ",".join(str(p) for p in t.pages),
                    "page": t.pages[0],
                    "snippet": t.snippet,
                }
            )
    return rows


def documents_to_rows(terms: Iterable[MoaTerms]) -> list[dict[str, Any]]:
    """One row per PDF (file, sha256, status, model, agency, counts, source), e.g. a `moa_documents` table."""
    rows = []
    for doc in terms:
        dates = doc.signature_dates()
        rows.append(
            {
                "file": doc.file_name,
                "sha256": doc.sha256,
                "status": doc.status.value,
                "page_count": doc.page_count,
                "text_pages": len(doc.text_pages),
                "model": doc.model.value if doc.model else None,
                "lea_name": doc.lea_name,
                "lea_signed": dates["lea"].isoformat() if "lea" in dates else None,
                "ice_signed": dates["ice"].isoformat() if "ice" in dates else None,
                "functions_listed": doc.functions_listed,
                "terms": len(doc.terms),
                "not_found": ",".join(doc.not_found),
                "notes": "; ".join(doc.notes),
                "original_url": doc.original_url,
                "source_repo": doc.source_repo,
                "source_path": doc.source_path,
                "source_commit": doc.source_commit,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """`python -m sharemap.ledger.moa [PDF_DIR]`: regenerate the shipped moa_terms.json."""
    import sys

    from sharemap.settings import reference_dir

    args = sys.argv[1:] if argv is None else argv
    pdf_dir = Path(args[0]) if args else reference_dir() / "moa-pdfs"
    target = write_shipped_moa_terms(pdf_dir)
    docs = load_shipped_moa_terms(target)
    print(f"{target}: {len(docs)} agreements, {sum(len(d.terms) for d in docs)} terms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
