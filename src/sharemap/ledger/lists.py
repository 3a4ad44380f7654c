"""Read one ICE 287(g) list file (participating or pending) in any of the formats ICE has used.

Formats seen 2021-2026: tables parsed from web captures (STATE, LAW ENFORCEMENT AGENCY, SUPPORT
TYPE, SIGNED, MOA with the URL as text), ICE's 2025 workbooks (adding TYPE, later COUNTY and
ADDENDUM, with the MOA only as a cell hyperlink), pending lists (no SIGNED), and CSV exports of any
of these. The reader finds columns by header name, so column order does not matter.

The snapshot date comes from the file name and is checked against the content (latest signed
date, the workbook's own save time); disagreements are corrected only when the content proves the
name wrong, and are always reported as anomalies.

Hostile or damaged files are refused before they can cost much: only regular files within the
file_mb limit are read, a workbook's zip directory is checked against the unzipped_mb and zip_ratio
limits before anything is unzipped, hidden sheets are ignored unless asked for, vertically merged
cells are read as the value a reader sees in every row of the merge, and a formula cell without a
saved value is reported as a problem (never read as an empty cell).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

from rapidfuzz import fuzz, process

from sharemap.errors import InputError
from sharemap.kb.jurisdictions import jurisdictions
from sharemap.kb.model import ListKind, Model287g
from sharemap.ledger.columns import HEADERS, LABELS, REQUIRED, TEXT_COLUMNS, ListRow
from sharemap.ledger.geo import state_code
from sharemap.safety import check_regular_file, csv_field_cap, limit, limit_bytes

PARSER_VERSION = 8
"""Bump when parsing changes, so cached parses are not reused."""

_MODEL_WORDS: dict[str, Model287g] = {
    "jail enforcement model": Model287g.JEM,
    "jail enforcement": Model287g.JEM,
    "jem": Model287g.JEM,
    "task force model": Model287g.TFM,
    "task force": Model287g.TFM,
    "task force officer": Model287g.TFM,
    "tfm": Model287g.TFM,
    "warrant service officer": Model287g.WSO,
    "warrant service officer model": Model287g.WSO,
    "warrant service": Model287g.WSO,
    "wso": Model287g.WSO,
}

_STATE_SPELLINGS = frozenset(
    name
    for j in jurisdictions()
    for name in (j.name.upper(), j.code, j.name.upper().replace("COMMONWEALTH OF THE ", ""))
) | {"DISTRICT OF COLUMBIA", "DC", "WASHINGTON DC", "WASHINGTON, DC"}
"""Exact state spellings; anything else that still resolves is reported as a repaired misspelling."""

_TIME_OF_DAY = {"am": dt.time(9, 0), "mid": dt.time(12, 0), "pm": dt.time(17, 0), "": dt.time(12, 0)}

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y-%m-%d %H:%M:%S",
    "%B %d, %Y",
    "%b %d, %Y",
    "%m-%d-%Y",
)

_STAMP = re.compile(r"-(\d{14})$")
_DAY = re.compile(r"(?<![0-9])(?P<digits>\d{6}|\d{8,9})(?![0-9])(?P<tod>am|pm|mid)?(?P<suffix>.*)$", re.I)


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read completely: reported, never silently dropped."""

    row: int
    field: str
    value: str
    problem: str


@dataclass
class ParsedList:
    """One snapshot file, parsed."""

    kind: ListKind
    file_name: str
    sha256: str
    captured: dt.datetime
    date_source: str
    name_date: dt.date | None
    saved_at: dt.datetime | None
    rows: list[ListRow]
    problems: list[RowProblem] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    blank_rows: int = 0
    columns: list[str] = field(default_factory=list)
    source_format: str = ""
    formula_cells: int = 0
    """Formula cells saved without a value in the columns read (each also a row problem)."""

    @property
    def snapshot_id(self) -> str:
        return f"{self.kind.value}:{self.captured:%Y-%m-%dT%H%M%S}:{self.sha256[:8]}"


NOT_SNAPSHOTS = re.compile(r"^(combined_result|final_combined|leftover_)", re.IGNORECASE)


def list_kind(path: Path) -> ListKind:
    """Participating or pending, from the file name or its folder ('287gParticipatingAgencies091526pm',
    'ParticipatingAgency091826am', 'pendingAgencies...')."""
    name = path.name.lower()
    if "pending" in name or path.parent.name.lower() == "pending":
        return ListKind.PENDING
    if "participat" in name or path.parent.name.lower() == "participating":
        return ListKind.PARTICIPATING
    raise InputError(
        "cannot tell whether this is a participating or a pending list",
        file=path,
        expected="a file name starting with 'participating' or 'pending'",
    )


def is_snapshot_file(path: Path) -> bool:
    """True for ICE list files; False for the collector's merged files and scripts."""
    return path.suffix.lower() in {".xlsx", ".csv"} and not NOT_SNAPSHOTS.match(path.name)


def date_from_name(name: str) -> tuple[dt.datetime | None, list[str]]:
    """Capture time from a file name, with anomalies (typos, copies, no date)."""
    stem = Path(name).stem
    notes: list[str] = []
    if m := _STAMP.search(stem):
        return dt.datetime.strptime(m.group(1), "%Y%m%d%H%M%S"), notes
    m = _DAY.search(stem)
    if not m:
        return None, [f"file name {name!r} carries no date"]
    digits, tod, suffix = m.group("digits"), (m.group("tod") or "").lower(), m.group("suffix").strip()
    day = _mmddyyyy(digits)
    hour: int | None = None
    if day is None and len(digits) == 6:  # MMDDYY, as in '287gParticipatingAgencies091526pm'
        day = _mmddyyyy(digits[:4] + "20" + digits[4:])
    if day is None and len(digits) == 9 and tod and digits[8] != "0" and _mmddyyyy(digits[:8]):
        day, hour = _mmddyyyy(digits[:8]), int(digits[8])  # '060920263pm': 06-09-2026, 3 pm
    if day is None and len(digits) == 9:
        fixes = {d for i in range(9) if (d := _mmddyyyy(digits[:i] + digits[i + 1 :])) is not None}
        if len(fixes) == 1:
            day = fixes.pop()
            notes.append(f"file name date {digits!r} has a typo; read as {day.isoformat()}")
    if day is None:
        return None, [f"file name {name!r} has an unreadable date {digits!r}"]
    captured = dt.datetime.combine(day, _TIME_OF_DAY[tod])
    if hour is not None:
        captured = dt.datetime.combine(day, dt.time(hour + (12 if tod == "pm" and hour < 12 else 0)))
    if suffix:
        # "pm2", "pm_b", "pmB", "pm copy": a later or duplicate save the same day; keep it ordered after.
        captured += dt.timedelta(minutes=1 + len(suffix))
        notes.append(f"file name has the extra suffix {suffix!r}")
    return captured, notes


def _mmddyyyy(digits: str) -> dt.date | None:
    if len(digits) != 8:
        return None
    try:
        return dt.datetime.strptime(digits, "%m%d%Y").date()
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)
def unwrap_url(url: str | None) -> str | None:
    """The original address behind web-archive and mail-safety redirects, tidied."""
    if not url:
        return None
    url = url.strip()
    for _ in range(3):
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if host.endswith("safelinks.protection.outlook.com") or host.startswith("urldefense"):
            target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("u")
            if target:
                url = unquote(target[0])
                continue
            if m := re.search(r"__(https?://.+?)__", url):
                url = m.group(1)
                continue
        if host == "web.archive.org" and (m := re.search(r"/web/\d+[a-z_]*/(https?://.+)$", url)):
            url = m.group(1)
            continue
        break
    url = url.replace(" ", "%20")
    return url if url.lower().startswith(("http://", "https://")) else None


@functools.lru_cache(maxsize=4096)
def model_from_text(text: str | None) -> Model287g | None:
    """The model a SUPPORT TYPE cell names, tolerating ICE's misspellings ("Warrant Services Officer")."""
    if not text:
        return None
    key = re.sub(r"\s+", " ", text.replace("(", " ").replace(")", " ")).strip().lower()
    if key in _MODEL_WORDS:
        return _MODEL_WORDS[key]
    best = process.extractOne(key, list(_MODEL_WORDS), scorer=fuzz.ratio, score_cutoff=90)
    return _MODEL_WORDS[best[0]] if best else None


_GLUED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(\d{4})$")


def repair_date(text: str) -> dt.date | None:
    """Dates with a missing separator ("05/082025", "7/72025") as ICE typed them."""
    if m := _GLUED_DATE.match(text.strip()):
        try:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
    return None


def parse_date(value: Any) -> dt.date | None:
    """A signed date from a cell: a date, a datetime, or text in the forms ICE has used."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_list(path: str | Path, kind: ListKind | None = None, include_hidden: bool = False) -> ParsedList:
    """Parse one ICE list file (.xlsx or .csv). Raises InputError naming the file when it is not one.

    Hidden sheets of a workbook are skipped (and noted as anomalies) unless `include_hidden`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    path = check_regular_file(path, what="list file (.xlsx or .csv)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None
    if not data:
        raise InputError("file is empty", file=path, expected="an ICE 287(g) list (.xlsx or .csv)")
    kind = kind or list_kind(path)
    notes: list[str] = []
    if path.suffix.lower() == ".csv":
        table, saved_at = _csv_cells(path, data), None
    elif zipfile.is_zipfile(io.BytesIO(data)):
        table, saved_at = _xlsx_cells(path, data, include_hidden, notes)
    else:
        raise InputError(
            "not a readable Excel workbook (not a zip container)",
            file=path,
            expected="an .xlsx workbook or a UTF-8 .csv of ICE's 287(g) list",
        )
    try:
        parsed = _parse_table(path, kind, table)
    except InputError as exc:
        hidden = [n for n in notes if n.startswith("hidden sheet")]
        if not hidden:
            raise
        exc.message += f"; {len(hidden)} hidden sheets were not read (include hidden sheets to read them)"
        raise InputError(
            exc.message, file=exc.file, row=exc.row, field=exc.field, expected=exc.expected
        ) from None
    parsed.anomalies.extend(notes)
    parsed.sha256 = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".csv":
        parsed.source_format = "csv"
    elif path.name.startswith("ParticipatingEntities"):
        # Tables rebuilt from web captures of ICE's page: the workbook's save time is the collector's.
        parsed.source_format = "web capture table"
    else:
        parsed.source_format = "ICE workbook"
        parsed.saved_at = saved_at
    _settle_date(parsed)
    return parsed


@dataclass(frozen=True)
class Unvalued:
    """A formula cell saved without its computed value: its value is unknown, not empty."""

    formula: str
    ref: str
    sheet: str

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "=(shared formula)"


Cell = tuple[Any, str | None]
"""A cell's value (or Unvalued) and its hyperlink target, if any."""

Sheet = tuple[str, list[list[Cell]]]
"""A sheet's name and its rows of cells."""


def check_zip_sizes(path: Path, archive: zipfile.ZipFile, zipped_size: int) -> None:
    """Refuse a zip bomb from its directory, before anything is unzipped (limits unzipped_mb, zip_ratio).

    The sizes a directory declares are also what Python's zipfile reads at most, and a member that
    holds more than it declares fails its CRC check, so a lying directory cannot get past this either.
    """
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    cap = limit_bytes("unzipped_mb")
    if total > cap:
        raise InputError(
            f"unzips to {total / 2**20:,.0f} MB, over the {cap / 2**20:g} MB limit "
            "(SHAREMAP_MAX_UNZIPPED_MB)",
            file=path,
            expected="an ICE workbook (a few MB unzipped)",
        )
    ratio = total / max(zipped_size, 1)
    if total > 2**20 and ratio > limit("zip_ratio"):
        raise InputError(
            f"unzips to {ratio:,.0f} times its size, over the {limit('zip_ratio'):g}x limit "
            "(SHAREMAP_MAX_ZIP_RATIO): a zip bomb?",
            file=path,
            expected="an ICE workbook (about 10 times its size unzipped)",
        )


def _verify_members(archive: zipfile.ZipFile) -> None:
    """Unzip every member in bounded chunks: its CRC proves it holds exactly the size declared."""
    for info in archive.infolist():
        with archive.open(info) as member:
            while member.read(1 << 20):
                pass


def _xlsx_cells(
    path: Path, data: bytes, include_hidden: bool, notes: list[str]
) -> tuple[list[Sheet], dt.datetime | None]:
    """Cell values (read with calamine) joined with each sheet's hyperlink targets, and the save time.

    Hidden sheets are skipped unless `include_hidden` (each skip noted); vertical merges are filled
    from their first cell; formula cells without a saved value become Unvalued.
    """
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip_sizes(path, archive, len(data))
            _verify_members(archive)
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            hidden = {m.name for m in workbook.sheets_metadata if not str(m.visible).endswith(".Visible")}
            sheets: list[Sheet] = []
            for name, sheet_path in _sheet_paths(archive):
                if name in hidden and not include_hidden:
                    notes.append(f"hidden sheet {name!r} ignored (ask to include hidden sheets to read it)")
                    continue
                xml = archive.read(sheet_path).decode("utf-8", "replace")
                _check_span(path, name, xml)
                links = _hyperlinks(archive, sheet_path, xml)
                formulas = _unvalued_formulas(xml, name)
                sheet = workbook.get_sheet_by_name(name)
                values = sheet.to_python(skip_empty_area=False)
                filled = _fill_merges(values, sheet.merged_cell_ranges or [])
                if filled:
                    notes.append(f"sheet {name!r}: {filled} cells of merged ranges read as their first cell")
                sheets.append(
                    (
                        name,
                        [
                            [
                                (formulas.get((r, c), value), links.get((r, c)))
                                for c, value in enumerate(row, start=1)
                            ]
                            for r, row in enumerate(values, start=1)
                        ],
                    )
                )
            saved = _saved_at(archive)
    except InputError:
        raise
    except Exception as exc:  # calamine and zipfile raise many types for damaged files
        raise InputError(
            f"corrupt or unreadable workbook ({type(exc).__name__}: {exc})",
            file=path,
            expected="an .xlsx workbook of ICE's 287(g) list",
        ) from exc
    return sheets, saved


_CELL_REF = re.compile(r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')


def _check_span(path: Path, sheet: str, xml: str) -> None:
    """Refuse a sheet whose cells span more than the sheet_cells limit: calamine lays a sheet out as a
    full grid from A1, so two cells at A1 and XFD1048576 would take gigabytes."""
    from openpyxl.utils import column_index_from_string

    rows = cols = 0
    letters = ""
    for match in _CELL_REF.finditer(xml):
        rows = max(rows, int(match.group(2)))
        if len(match.group(1)) > len(letters) or (
            len(match.group(1)) == len(letters) and match.group(1) > letters
        ):
            letters = match.group(1)
    cols = column_index_from_string(letters) if letters else 0
    cap = limit("sheet_cells")
    if rows * cols > cap:
        raise InputError(
            f"sheet {sheet!r} spans {rows:,} rows by {cols:,} columns, over the {cap:,.0f} cell limit "
            "(SHAREMAP_MAX_SHEET_CELLS)",
            file=path,
            expected="an ICE list (a few thousand rows of about ten columns)",
        )


def _fill_merges(values: list[list[Any]], merges: list[Any]) -> int:
    """Give every cell of a one-column merged range its first cell's value (what a reader sees in each
    row); returns how many cells were filled. Merges across columns (titles) are left alone."""
    filled = 0
    for (r0, c0), (r1, c1) in merges:
        if c0 != c1 or r0 >= len(values) or c0 >= len(values[r0]):
            continue
        first = values[r0][c0]
        for r in range(r0 + 1, min(r1, len(values) - 1) + 1):
            if c0 < len(values[r]) and values[r][c0] in ("", None):
                values[r][c0] = first
                filled += 1
    return filled


_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE = re.compile(r"<(?:\w+:)?v\b[^>]*>\s*\S")
_REF = re.compile(r'\br="([A-Z]{1,3})(\d+)"')


def _unvalued_formulas(xml: str, sheet: str) -> dict[tuple[int, int], Unvalued]:
    """(row, column) -> Unvalued for every formula cell saved without a value (calamine reads those
    as empty cells, which would silently blank a signed date)."""
    from openpyxl.utils import column_index_from_string

    if "<f" not in xml and ":f" not in xml:
        return {}
    found: dict[tuple[int, int], Unvalued] = {}
    for match in _CELL.finditer(xml):
        body = match.group(2) or ""
        formula = _FORMULA.search(body)
        if formula is None or _VALUE.search(body):
            continue
        ref = _REF.search(match.group(1))
        if ref is None:
            continue
        cell = (int(ref.group(2)), column_index_from_string(ref.group(1)))
        text = (formula.group(1) or "").strip()
        found[cell] = Unvalued(text[:200], f"{ref.group(1)}{ref.group(2)}", sheet)
    return found


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _sheet_paths(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, XML part) for every worksheet, in workbook order."""
    rels = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    }
    out = []
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_NS_MAIN}sheet"):
        target = rels.get(sheet.get(f"{_NS_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out.append((sheet.get("name", ""), part))
    return out


def _saved_at(archive: zipfile.ZipFile) -> dt.datetime | None:
    """The workbook's own last-saved time (docProps/core.xml), as naive UTC."""
    try:
        core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except KeyError:
        return None
    m = re.search(r"<dcterms:modified[^>]*>([^<]+)<", core)
    if not m:
        return None
    try:
        stamp = dt.datetime.fromisoformat(m.group(1).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


_HYPERLINK = re.compile(r"<(?:\w+:)?hyperlink\b([^>]*)/?>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def _hyperlinks(archive: zipfile.ZipFile, sheet_path: str, text: str) -> dict[tuple[int, int], str]:
    """(row, column) -> target for every external hyperlink on one sheet (read-only mode skips them)."""
    from openpyxl.utils import range_boundaries

    folder, name = sheet_path.rsplit("/", 1)
    try:
        rels_xml = archive.read(f"{folder}/_rels/{name}.rels")
    except KeyError:
        return {}
    rels = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(rels_xml)
        if rel.get("TargetMode") == "External"
    }
    start = text.find("hyperlinks>")
    links: dict[tuple[int, int], str] = {}
    for match in _HYPERLINK.finditer(text, max(start, 0)):
        attrs = dict(_ATTR.findall(match.group(1)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), None)
        if rid not in rels or "ref" not in attrs:
            continue
        min_col, min_row, max_col, max_row = range_boundaries(attrs["ref"])
        for r in range(min_row or 1, (max_row or min_row or 1) + 1):
            for c in range(min_col or 1, (max_col or min_col or 1) + 1):
                links[(r, c)] = rels[rid]
    return links


def _csv_cells(path: Path, data: bytes) -> list[Sheet]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} cannot be decoded",
            file=path,
            row=line,
            expected="a UTF-8 encoded CSV (re-save it as UTF-8; Latin-1/Windows-1252 is not accepted)",
        ) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel()  # type: ignore[assignment]
    cap = csv_field_cap()
    reader = csv.reader(io.StringIO(text, newline=""), dialect)  # newline="": CR-only files too
    rows: list[list[Cell]] = []
    try:
        for r in reader:
            if any(len(v) > cap for v in r):
                raise InputError(
                    f"a cell is over the {cap // 1024} kB limit (SHAREMAP_MAX_CSV_FIELD_KB)",
                    file=path,
                    row=reader.line_num,
                    expected="an ICE 287(g) list",
                )
            rows.append([(v, None) for v in r])
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", file=path, row=reader.line_num) from None
    return [("csv", rows)]


def _norm_header(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().upper()


def _find_header(sheet: list[list[Cell]]) -> int | None:
    for i, row in enumerate(sheet[:15]):
        names = {_norm_header(v) for v, _ in row}
        if "LAW ENFORCEMENT AGENCY" in names or ("AGENCY" in names and "STATE" in names):
            return i
    return None


def _parse_table(path: Path, kind: ListKind, sheets: list[Sheet]) -> ParsedList:
    chosen = next(((s, h) for _, s in sheets if (h := _find_header(s)) is not None), None)
    if chosen is None:
        raise InputError(
            "no sheet has a header row naming the agency column",
            file=path,
            field="LAW ENFORCEMENT AGENCY",
            expected="a header with STATE, LAW ENFORCEMENT AGENCY and SUPPORT TYPE",
        )
    sheet, header_at = chosen
    header = [_norm_header(v) for v, _ in sheet[header_at]]
    columns = _map_columns(path, kind, header, sheet[header_at + 1 :])
    if "state" not in columns:
        raise InputError(
            "no STATE column in the header",
            file=path,
            row=header_at + 1,
            field="STATE",
            expected=f"a STATE column beside {', '.join(h for h in header if h)}",
        )
    parsed = ParsedList(
        kind=kind,
        file_name=path.name,
        sha256="",
        captured=dt.datetime.min,
        date_source="",
        name_date=None,
        saved_at=None,
        rows=[],
        columns=[h for h in header if h],
    )
    for offset, raw in enumerate(sheet[header_at + 1 :]):
        rownum = header_at + 2 + offset
        cells = {name: raw[i] if i < len(raw) else (None, None) for name, i in columns.items()}
        if all(_text(v) is None for v, _ in raw):
            parsed.blank_rows += 1
            continue
        row = _parse_row(parsed, rownum, cells, kind)
        if row is not None:
            parsed.rows.append(row)
    if not parsed.rows and kind is ListKind.PENDING:
        parsed.anomalies.append("the pending list has a header but no rows (ICE listed no pending agencies)")
    elif not parsed.rows:
        why = ""
        if parsed.problems:
            first = parsed.problems[0]
            why = (
                f" ({len(parsed.problems)} row problems, the first at row {first.row}, "
                f"{first.field} {first.value!r}: {first.problem})"
            )
        raise InputError(
            f"the list has a header but no agency rows{why}",
            file=path,
            expected="at least one row naming a law-enforcement agency",
        )
    return parsed


def _map_columns(path: Path, kind: ListKind, header: list[str], body: list[list[Cell]]) -> dict[str, int]:
    columns: dict[str, int] = {}
    types: list[int] = []
    for i, name in enumerate(header):
        key = HEADERS.get(name)
        if key == "type":
            types.append(i)
        elif key and key not in columns:
            columns[key] = i
    # One pending list has two TYPE columns and no SUPPORT TYPE: the one holding model names is it.
    for i in types:
        values = [_text(r[i][0]) for r in body[:50] if i < len(r)]
        looks_like_model = sum(model_from_text(v) is not None for v in values if v) > len(values) / 2
        if looks_like_model and "support_type" not in columns:
            columns["support_type"] = i
        elif "type" not in columns:
            columns["type"] = i
    if "agency" not in columns:
        raise InputError("no agency column", file=path, field="LAW ENFORCEMENT AGENCY")
    if "support_type" not in columns:
        raise InputError(
            "no SUPPORT TYPE column in the header",
            file=path,
            field="SUPPORT TYPE",
            expected="a column naming the 287(g) model of each agreement",
        )
    return columns


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()) or None


_state_code = functools.lru_cache(maxsize=4096)(state_code)


def _parse_row(parsed: ParsedList, rownum: int, cells: dict[str, Cell], kind: ListKind) -> ListRow | None:
    def problem(fieldname: str, value: Any, why: str) -> None:
        parsed.problems.append(RowProblem(rownum, fieldname, "" if value is None else str(value), why))

    unknown = {name: v for name, (v, _) in cells.items() if isinstance(v, Unvalued)}
    for name, v in unknown.items():
        skip = "row skipped" if name in REQUIRED else "read as unknown"
        problem(
            LABELS.get(name, name.upper()),
            v,
            f"formula without a saved value on sheet {v.sheet!r}, cell {v.ref} (re-save the workbook "
            f"with its values calculated); {skip}",
        )
        cells[name] = (None, cells[name][1])
    parsed.formula_cells += len(unknown)
    if unknown.keys() & REQUIRED:
        return None

    agency = _text(cells["agency"][0])
    state_raw = _text(cells["state"][0])
    if agency is None:
        problem("LAW ENFORCEMENT AGENCY", None, "row has values but no agency name; row skipped")
        return None
    if state_raw is None:
        problem("STATE", None, "no state; row skipped")
        return None
    try:
        state = _state_code(state_raw)
    except InputError:
        problem("STATE", state_raw, "not a US state or territory; row skipped")
        return None
    if state_raw.upper() not in _STATE_SPELLINGS:
        problem("STATE", state_raw, f"misspelt state; read as {state}")
    support = _text(cells["support_type"][0])
    model = model_from_text(support)
    if model is None and kind is ListKind.PARTICIPATING:
        problem("SUPPORT TYPE", support, "not a 287(g) model name; row skipped")
        return None
    if model is None and support is not None:
        problem("SUPPORT TYPE", support, "not a 287(g) model name; kept without a model")
    signed = None
    if "signed" in cells:
        raw_signed = cells["signed"][0]
        try:
            signed = parse_date(raw_signed)
        except ValueError:
            signed = repair_date(str(raw_signed))
            if signed is None:
                problem("SIGNED", raw_signed, "not a date; kept without a signed date")
            else:
                problem("SIGNED", raw_signed, f"date typed without a separator; read as {signed}")
        if signed is not None and signed.year > 2100:
            fixed = signed.replace(year=2000 + signed.year % 100)
            problem("SIGNED", raw_signed, f"year {signed.year} is a typo; read as {fixed}")
            signed = fixed
    moa_value, moa_link = cells.get("moa", (None, None))
    moa_text = _text(moa_value)
    moa_url = unwrap_url(moa_link) or unwrap_url(moa_text)
    add_value, add_link = cells.get("addendum", (None, None))
    addendum = unwrap_url(add_link) or unwrap_url(_text(add_value))
    text = {c.field: _text(cells[c.key][0]) if c.key in cells else None for c in TEXT_COLUMNS}
    return ListRow(
        row=rownum,
        state=state,
        state_raw=state_raw,
        agency=agency,
        **text,  # type: ignore[arg-type]
        model=model,
        signed=signed,
        moa_url=moa_url,
        moa_text=None if moa_url else moa_text,
        addendum_url=addendum,
    )


def _settle_date(parsed: ParsedList) -> None:
    """Set `captured` from the file name, checked against the latest signed date and save time."""
    captured, notes = date_from_name(parsed.file_name)
    parsed.anomalies.extend(notes)
    parsed.name_date = captured.date() if captured else None
    latest_signed = max((r.signed for r in parsed.rows if r.signed), default=None)
    saved = parsed.saved_at
    if captured is None:
        if saved is None:
            raise InputError(
                "no date in the file name and no save time in the workbook",
                file=parsed.file_name,
                expected="a file name like participatingAgencies05182026am.xlsx",
            )
        parsed.captured, parsed.date_source = saved, "workbook save time (no date in file name)"
        return
    parsed.captured, parsed.date_source = captured, "file name"
    evidence = []
    if latest_signed and latest_signed > captured.date():
        evidence.append(f"agreements signed up to {latest_signed}")
    if saved is not None and (saved.date() - captured.date()).days > 1:
        evidence.append(f"workbook saved {saved:%Y-%m-%d}")
    if not evidence:
        return
    said = f"file name says {captured.date()} but the content is later ({', '.join(evidence)})"
    fixed = _year_fix(captured, latest_signed, saved)
    if fixed is None:
        parsed.anomalies.append(f"{said}; the file name's date is kept")
        return
    parsed.anomalies.append(f"{said}; dated {fixed.date()} instead")
    parsed.captured, parsed.date_source = fixed, "file name, year corrected from content"


def _year_fix(
    captured: dt.datetime, latest_signed: dt.date | None, saved: dt.datetime | None
) -> dt.datetime | None:
    """A name dated a year early (January lists named for the previous year) is moved a year on."""
    later = captured.replace(year=captured.year + 1)
    signed_fits = latest_signed is None or latest_signed <= later.date()
    if signed_fits and (saved is None or abs((saved - later).days) <= 3):
        return later
    return None
