"""Read one worksheet of an XLSX log whole, with calamine, inside the workbook safety limits.

Why not openpyxl's read-only mode: it trusts the sheet's `<dimension ref>` and silently stops there
(a sheet declaring A1:E11 that holds 100 records read as 10). calamine reads every cell. But calamine
builds a dense rows x columns grid from the cells it finds, so two cells at A1 and XFD1048576 in a
1.5 kB file ask for 512 GB and abort the process; and a small zip can unpack to gigabytes. So before
calamine reads anything:

1. the zip directory's declared sizes are checked against `unzipped_mb` and `zip_ratio`;
2. the chosen sheet's XML is streamed once (decompressed here, counting the bytes actually produced,
   so a directory that lies about sizes is caught too) to bound the grid calamine will build
   (`sheet_cells`) and to find formula cells without a cached value.

Hidden sheets are skipped unless asked for (a hidden decoy sheet first in the workbook is not the
log). Formula cells without a cached value would read as empty; their rows are reported as
unreadable instead (`Sheet.formula_rows`).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sharemap.audit import hints
from sharemap.errors import InputError
from sharemap.safety import check_regular_file, limit, limit_bytes

_CHUNK = 4 << 20
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,  # an unknown zip version or method
    OSError,
    EOFError,
    ValueError,  # includes UnicodeDecodeError (member names)
    KeyError,
    IndexError,
    struct.error,
    zlib.error,
)
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MAX_COLUMNS, _MAX_ROWS = 16_384, 1_048_576  # Excel's own grid

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF_ATTR = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]*)(\d*)""")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])([^>]*?)(/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>)", re.S)
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^>]*)>")
_HAS_F = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?v>)", re.S)
_STR_TYPE = re.compile(rb"""\st\s*=\s*["']str["']""")


@dataclass
class Sheet:
    """The rows of one worksheet (sheet row numbers, header first) and how it was read."""

    name: str
    rows: Iterator[tuple[int, list[Any]]]
    formula_rows: dict[int, list[int]] = field(default_factory=dict)  # row -> 0-based columns
    notes: list[str] = field(default_factory=list)


def _line(exc: BaseException, n: int = 200) -> str:
    """A library's error on one short line (calamine's can span lines)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def column_index(letters: bytes) -> int:
    """1-based column number of column letters ("A" = 1, "XFD" = 16384)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


# --- the zip -----------------------------------------------------------------------------------------


def check_zip(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose zip directory declares more than the unzipped_mb / zip_ratio limits."""
    cap = limit_bytes("unzipped_mb")
    ratio = limit("zip_ratio")
    size = max(1, path.stat().st_size)
    declared = sum(max(0, i.file_size) for i in archive.infolist())
    if declared > cap:
        raise InputError(
            f"workbook unzips to {declared / 2**20:,.0f} MB, over the {cap / 2**20:g} MB limit "
            "(SHAREMAP_MAX_UNZIPPED_MB)",
            file=path,
            expected="a smaller workbook, or export the log as CSV",
        )
    if declared / size > ratio:
        raise InputError(
            f"workbook unzips to {declared / size:,.0f} times its size, over the {ratio:g}x limit "
            "(SHAREMAP_MAX_ZIP_RATIO): refused as a possible zip bomb",
            file=path,
            expected="an ordinary workbook, or export the log as CSV",
        )


class _Budget:
    """Bytes actually unzipped so far, against the same two limits (a directory can lie)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cap = min(limit_bytes("unzipped_mb"), int(limit("zip_ratio") * max(1, path.stat().st_size)))
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.cap:
            raise InputError(
                f"workbook unzips to more than {self.cap / 2**20:,.1f} MB (limits SHAREMAP_MAX_UNZIPPED_MB "
                "and SHAREMAP_MAX_ZIP_RATIO): refused as a possible zip bomb",
                file=self.path,
                expected="an ordinary workbook, or export the log as CSV",
            )


def _member_chunks(fh: Any, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The decompressed bytes of one member, read from its local header on, counted as they come."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise InputError(f"damaged workbook: bad local header for {info.filename!r}", file=budget.path)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            block = fh.read(min(left, _CHUNK))
            if not block:
                break
            left -= len(block)
            budget.take(len(block))
            yield block
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise InputError(
            f"workbook part {info.filename!r} uses zip method {info.compress_type}",
            file=budget.path,
            expected="an .xlsx workbook (deflate-compressed)",
        )
    inflate = zlib.decompressobj(-15)
    while left > 0 or inflate.unconsumed_tail:
        data = inflate.unconsumed_tail
        if not data:
            data = fh.read(min(left, 1 << 20))
            if not data:
                break
            left -= len(data)
        try:
            out = inflate.decompress(data, _CHUNK)
        except zlib.error as exc:
            raise InputError(
                f"damaged workbook part {info.filename!r}: {_line(exc)}", file=budget.path
            ) from None
        budget.take(len(out))
        if out:
            yield out
        if inflate.eof:
            return


# --- the sheet XML -----------------------------------------------------------------------------------


@dataclass
class _Scan:
    max_row: int = 0  # largest row number a cell or row names, or the count of rows
    max_col: int = 0
    rows_seen: int = 0
    formula_rows: dict[int, list[int]] = field(default_factory=dict)


def _records(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The sheet XML in pieces that end just before a `<row` (so no row is cut in two)."""
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        cut = buf.rfind(b"<row")
        if cut <= 0:
            cut = buf.rfind(b":row")  # prefixed tags: cut before the "<x"
            cut = buf.rfind(b"<", 0, cut) if cut > 0 else -1
        if cut <= 0:
            tail = buf
            continue
        yield buf[:cut]
        tail = buf[cut:]
    if tail:
        yield tail


_REF_HEAD = rb'^(?P<c>[A-Z]{0,3})(?P<r>[0-9]{1,7})["\']'


def _vector_refs(piece: bytes) -> tuple[int, int] | None:
    """The largest row and column that any ` r="..."` reference in `piece` names, found with Arrow's
    vectorised kernels (about 1 s per 100 MB; Python's re takes several times that), or None when a
    reference is unusual (small letters, 4+ letters, 8+ digits) and the piece needs the full scan."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.list_flatten(pc.split_pattern(pa.array([piece], pa.binary()), b' r="'))[1:]
    if len(parts) == 0:
        return 0, 0
    found = pc.extract_regex(pc.binary_slice(parts, 0, 12), _REF_HEAD)
    if found.null_count:
        return None
    letters = found.field("c")
    width = pc.max(pc.binary_length(letters)).as_py() or 0
    col = 0
    if width:
        widest = pc.filter(letters, pc.equal(pc.binary_length(letters), width))
        col = column_index(pc.max(widest).as_py() or b"")
    row = pc.max(pc.cast(pc.cast(found.field("r"), pa.string()), pa.int64())).as_py() or 0
    return row, col


def _regular(piece: bytes) -> bool:
    """Does every cell and row tag of `piece` start with its `r=` reference (as Excel, openpyxl and
    most writers write them)? Then the references alone bound the grid (no counted positions)."""
    return piece.count(b"<c") == piece.count(b'<c r="') and piece.count(b"<row") == piece.count(b'<row r="')


def _full_scan(piece: bytes, scan: _Scan) -> None:
    """Every row and cell tag of `piece`: their references, or their positions when they have none."""
    col = 0
    for m in _TAG.finditer(piece):
        attrs = m.group(2)
        ref = _REF_ATTR.search(attrs)
        if m.group(1) == b"row":
            scan.rows_seen += 1
            number = int(ref.group(2)) if ref and ref.group(2) else scan.rows_seen
            scan.rows_seen = max(scan.rows_seen, number)
            scan.max_row = max(scan.max_row, number)
            col = 0
            continue
        col += 1
        if ref and ref.group(1):
            col = column_index(ref.group(1))
        if ref and ref.group(2):
            scan.max_row = max(scan.max_row, int(ref.group(2)))
        scan.max_col = max(scan.max_col, col)
    scan.max_row = max(scan.max_row, scan.rows_seen)


def _formula_scan(piece: bytes, scan: _Scan, rows_before: int) -> int:
    """Cells holding a formula but no cached value, as (row, column); returns the rows counted."""
    row, col = rows_before, 0
    pos = 0
    for m in _ROW_START.finditer(piece):
        _formula_cells(piece[pos : m.start()], row, col, scan)
        ref = _REF_ATTR.search(m.group(1))
        row = int(ref.group(2)) if ref and ref.group(2) else row + 1
        col, pos = 0, m.end()
    _formula_cells(piece[pos:], row, col, scan)
    return row


def _formula_cells(text: bytes, row: int, col: int, scan: _Scan) -> None:
    for m in _CELL.finditer(text):
        ref = _REF_ATTR.search(m.group(1))
        col = column_index(ref.group(1)) if ref and ref.group(1) else col + 1
        if ref and ref.group(2):
            row = int(ref.group(2))
        body = m.group(3) or b""
        if not _HAS_F.search(body):
            continue
        value = _VALUE.search(body)
        cached = value is not None and ((value.group(1) or b"").strip() or _STR_TYPE.search(m.group(1)))
        if not cached:  # no <v>, or an empty one on a cell that is not a text formula
            scan.formula_rows.setdefault(row, []).append(col - 1)


def _scan_sheet(path: Path, archive: zipfile.ZipFile, part: str, exact: bool = False) -> _Scan:
    """Stream the sheet XML once: bound the grid calamine will build, find formulas without values.

    Every part of the workbook is decompressed here too (counted against the limits), since calamine
    reads the shared strings and styles whole."""
    budget = _Budget(path)
    scan = _Scan()
    with path.open("rb") as fh:
        for info in archive.infolist():
            if info.filename == part:
                continue
            for _ in _member_chunks(fh, info, budget):
                pass
        try:
            info = archive.getinfo(part)
        except KeyError:
            raise InputError(f"damaged workbook: sheet part {part!r} is missing", file=path) from None
        rows_before = 0
        prefixed = False
        for k, piece in enumerate(_records(_member_chunks(fh, info, budget))):
            if k == 0:
                prefixed = b":sheetData" in piece  # tags with a namespace prefix: counted one by one
            bound = None if exact or prefixed or not _regular(piece) else _vector_refs(piece)
            if bound is None:
                _full_scan(piece, scan)
            else:
                scan.rows_seen = max(scan.rows_seen + piece.count(b"<row"), bound[0])
                scan.max_row = max(scan.max_row, scan.rows_seen)
                scan.max_col = max(scan.max_col, bound[1])
            if b"<f>" in piece or b"<f " in piece or (prefixed and _HAS_F.search(piece)):
                rows_before = _formula_scan(piece, scan, rows_before)
            else:
                rows_before = scan.rows_seen
    return scan


# --- the workbook ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SheetInfo:
    name: str
    part: str
    hidden: bool
    worksheet: bool  # not a chart sheet or a macro sheet


def _sheets(path: Path, archive: zipfile.ZipFile) -> list[_SheetInfo]:
    """The sheets in workbook order, from the workbook and its relationships (read before calamine
    opens anything, so the choice of sheet costs no unzipping beyond these two small parts)."""
    try:
        rel_xml = archive.read("xl/_rels/workbook.xml.rels")
        book_xml = archive.read("xl/workbook.xml")
        if len(rel_xml) + len(book_xml) > 16 * 2**20:
            raise InputError("damaged workbook: its sheet list is over 16 MB", file=path)
        rels = {rel.get("Id"): rel for rel in ElementTree.fromstring(rel_xml)}
        book = ElementTree.fromstring(book_xml)
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise InputError(f"damaged workbook: {_line(exc)}", file=path, expected="an .xlsx workbook") from None
    out: list[_SheetInfo] = []
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        rel = rels.get(sheet.get(f"{_NS_REL}id"))
        target = (rel.get("Target", "") if rel is not None else "") or ""
        kind = (rel.get("Type", "") if rel is not None else "") or ""
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out.append(
            _SheetInfo(
                name=sheet.get("name", ""),
                part=part,
                hidden=sheet.get("state", "visible") in ("hidden", "veryHidden"),
                worksheet=kind.endswith("/worksheet"),
            )
        )
    return out


def _cell(v: Any) -> str | None:
    """A cell as the text the CSV reader would have given."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_sheet(path: str | Path, *, sheet: str | None = None, hidden: bool = False) -> Sheet:
    """The first visible worksheet of the workbook at `path` (or the one named `sheet`; hidden
    sheets are candidates only when `hidden`), read whole, as text cells by sheet row number."""
    p = check_regular_file(path, what="workbook")
    cap = int(limit("sheet_cells"))
    try:
        with zipfile.ZipFile(p) as archive:
            check_zip(p, archive)
            chosen, notes = _choose(p, _sheets(p, archive), sheet, hidden)
            scan = _scan_sheet(p, archive, chosen.part)
    except _ZIP_ERRORS as exc:  # what zipfile and struct raise for a damaged archive
        raise InputError(
            f"not a readable workbook ({type(exc).__name__}: {_line(exc)})",
            file=p,
            expected="an .xlsx workbook",
        ) from None
    cells = scan.max_row * scan.max_col
    if cells > cap:
        raise InputError(
            f"sheet {chosen.name!r} spans {scan.max_row:,} rows x {scan.max_col:,} columns "
            f"({cells:,} cells), over the {cap:,}-cell limit (SHAREMAP_MAX_SHEET_CELLS)",
            file=p,
            expected="a sheet holding only the log, or export it as CSV",
        )
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(p))
        data = book.get_sheet_by_name(chosen.name)
    except Exception as exc:  # calamine raises several kinds for a damaged file
        raise InputError(
            f"cannot read sheet {chosen.name!r}: {_line(exc)}", file=p, expected="an .xlsx workbook"
        ) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # calamine (0.9.1, pinned) yields rows from the sheet's first row, the empty rows above the
        # data included (`data.start` is where the data begins): row i of the iteration is sheet row i
        try:
            for i, values in enumerate(data.iter_rows(), start=1):
                yield i, [_cell(v) for v in values]
        except Exception as exc:  # a cell calamine cannot convert
            raise InputError(f"cannot read sheet {chosen.name!r}: {_line(exc)}", file=p) from None
        finally:
            book.close()

    return Sheet(chosen.name, rows(), scan.formula_rows, notes)


def _choose(
    p: Path, sheets: list[_SheetInfo], sheet: str | None, hidden: bool
) -> tuple[_SheetInfo, list[str]]:
    """The sheet to read and the notes saying which were not read."""
    works = [s for s in sheets if s.worksheet]
    if sheet is not None:
        named = next((s for s in works if s.name == sheet), None)
        if named is None:
            raise InputError(
                f"no worksheet named {sheet!r}",
                file=p,
                field="sheet",
                expected=", ".join(repr(s.name) for s in works) or "a worksheet",
            )
        return named, []
    candidates = works if hidden else [s for s in works if not s.hidden]
    if not candidates:
        raise InputError(
            "the workbook has no visible worksheet"
            + (f" ({len(works)} hidden: {hints.HIDDEN_SHEETS} to read them)" if works else ""),
            file=p,
            expected="a workbook with the log on a visible sheet",
        )
    notes: list[str] = []
    skipped = [s.name for s in works if s.hidden]
    if skipped and not hidden:
        notes.append(
            f"hidden sheet(s) {', '.join(repr(n) for n in skipped)} not read "
            f"({hints.HIDDEN_SHEETS} or {hints.SHEET} to read one)"
        )
    others = [s.name for s in candidates[1:]]
    if others:
        notes.append(
            f"sheet {candidates[0].name!r} read; other sheet(s) {', '.join(repr(n) for n in others)} "
            f"not read ({hints.SHEET} to read one)"
        )
    return candidates[0], notes
