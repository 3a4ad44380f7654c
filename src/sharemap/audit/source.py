"""Open one log file in DuckDB as rows of the access-event schema.

The container (CSV, TSV, XLSX, Parquet, JSON lines; gzip or not) is chosen by the first of `READERS`
that accepts the file (its name and first bytes); files that are certainly not logs (a PDF, an image,
a zip archive that is not a workbook) are refused saying what they are. The format comes from the
header. CSV and Parquet are read by DuckDB directly and streamed; XLSX is read whole
(`sharemap.audit.xlsx`) and its records keep their sheet row numbers, blank rows included. Other
records are numbered in order (header = row 1). Rows the CSV parser rejects (wrong number of fields,
bytes that are not UTF-8, an unterminated quote) are kept in a rejects table and reported by line;
rows whose time or counts cannot be parsed are flagged by the `bad` bit mask and reported by row.
"""

from __future__ import annotations

import csv
import gzip
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sharemap.audit import hints
from sharemap.audit.formats.spec import FormatSpec, check_required, detect_format, key
from sharemap.errors import InputError
from sharemap.safety import csv_field_cap

BAD_TIME, BAD_NUMBER, BAD_WINDOW = 1, 2, 4
_SAMPLE_BYTES = 256 * 1024
INLINE_PICK = 20_000  # see Opened.pick


@dataclass
class Opened:
    """A file opened as the DuckDB view `ev` (access-event columns + rn, lookback_days, bad)."""

    file: str
    container: str
    spec: FormatSpec
    detected: bool
    header: list[str]
    delimiter: str | None
    encoding: str
    time_formats: list[str]
    notes: list[str] = field(default_factory=list)
    rejects_table: str | None = None
    pick_sql: str = ""  # the rows picked by number (see `pick`)
    rn_offset: int = 1
    rows_exact: bool = False  # rn is the record's true row (sheet rows): rejected rows shift nothing

    def pick(self, want: str, last_rn: int, rows: list[int] | None = None) -> str:
        """SQL for the event rows whose row number is in table `want` (none after `last_rn`).

        Up to `INLINE_PICK` row numbers given as `rows` are written into the query as a list of
        constants instead: measured faster than the join with the table (0.58-0.67 s against
        0.80-0.83 s for 7,600 rows of a 1,000,000-row file).
        """
        limit = max(0, int(last_rn) - self.rn_offset)  # row_number() k is row k + rn_offset
        sql = self.pick_sql.replace("@@LIMIT@@", str(limit))
        if rows is not None and 0 < len(rows) <= INLINE_PICK:
            return sql.replace("SELECT rn FROM @@WANT@@", ", ".join(str(int(r)) for r in rows))
        return sql.replace("@@WANT@@", want)


def _read_head(path: Path) -> tuple[bytes, bool]:
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        gz = magic[:2] == b"\x1f\x8b"
        opener: Any = gzip.open if gz else open
        with opener(path, "rb") as fh:
            return fh.read(_SAMPLE_BYTES), gz
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read file: {one_line(exc)}", file=path) from exc


def _decode(data: bytes, file: str, encoding: str | None) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    if encoding:
        return data.decode(encoding, errors="replace"), encoding, notes
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # a multi-byte character cut by the sample boundary
            return data[: exc.start].decode("utf-8"), "utf-8", notes
        row = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"file is not UTF-8: byte 0x{data[exc.start]:02x} at line {row} cannot be decoded",
            file=file,
            row=row,
            expected=f"UTF-8 text, or {hints.ENCODING}",
        ) from exc


def _fields(line: str, delimiter: str, file: str) -> list[str]:
    """The fields of one CSV line (the header), cells up to the csv_field_kb limit.

    Python's csv module stops at 131,072 characters a field with a bare csv.Error; the limit is
    raised to ours (process-wide, it only ever grows) and anything longer is a one-line error."""
    cap = csv_field_cap()
    expected = f"header cells of at most {cap // 1024:,} kB (SHAREMAP_MAX_CSV_FIELD_KB)"
    try:
        fields = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise InputError(f"cannot read the header line: {exc}", file=file, row=1, expected=expected) from None
    longest = max((len(f) for f in fields), default=0)
    if longest > cap:  # the csv module's limit may be higher (set by another caller)
        raise InputError(f"a header cell is {longest:,} characters long", file=file, row=1, expected=expected)
    return fields


def _sniff_delimiter(first_line: str, file: str = "") -> str:
    best, best_n = ",", -1
    for cand in (",", ";", "\t", "|"):
        n = len(_fields(first_line, cand, file))
        if n > best_n:
            best, best_n = cand, n
    return best


def one_line(exc: BaseException, n: int = 200) -> str:
    """A library's error as one short line, without any quoted input: DuckDB and calamine errors can
    span lines and quote the offending line ("Original Line: ..."), which may hold plates and names."""
    text = str(exc)
    for marker in ("Original Line", "\n\n"):
        text = text.split(marker, 1)[0]
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class ReadRequest:
    """One file to open, as the readers see it: its first bytes, whether it is gzipped, and options."""

    path: Path
    file: str  # the name used in messages (the whole file when `path` is a piece of it)
    head: bytes  # the first _SAMPLE_BYTES, decompressed
    gz: bool
    encoding: str | None
    tag: str
    row_range: tuple[int, int] | None
    sheet: str | None
    hidden_sheets: bool


@dataclass
class RawLog:
    """A reader's answer: the file as DuckDB SQL over its source columns (`src_cols`, in header
    order), with what the reader found out. When `rows_exact`, the SQL also has a column `rn`: each
    record's true row number (sheet rows); else rows are numbered in order, header = row 1."""

    container: str
    header: list[str]
    src_cols: list[str]
    raw_sql: str
    encoding: str = "utf-8"
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    rejects_table: str | None = None
    rows_exact: bool = False


@dataclass(frozen=True)
class Reader:
    """One way of reading a log: `accepts` looks at the request (name, first bytes), `read` opens it."""

    name: str
    accepts: Callable[[ReadRequest], bool]
    read: Callable[[duckdb.DuckDBPyConnection, ReadRequest], RawLog]


_EXPECTED = "a search-log export: CSV, TSV, XLSX, Parquet or JSON lines"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-format Office file (such as .xls or .doc)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)


def _zip_kind(path: Path) -> str | None:
    """What a zip file is when it is not an XLSX workbook (None: a workbook, or not readable as a zip,
    which the workbook reader reports)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if any(n.startswith("xl/") for n in names):
        return None
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx)"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint file (.pptx)"
    if "mimetype" in names and "content.xml" in names:
        return "an OpenDocument file (such as .ods or .odt)"
    return "a zip archive that is not an XLSX workbook"


def non_log_kind(req: ReadRequest) -> str | None:
    """What a file that is certainly not a log is (a PDF, an image, a zip that is not a workbook…)."""
    head = req.head
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith(b"PK\x03\x04") and not req.gz:
        return _zip_kind(req.path)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)"
    return None


def _refuse(con: duckdb.DuckDBPyConnection, req: ReadRequest) -> RawLog:
    raise InputError(f"this is {non_log_kind(req)}, not a log", file=req.file, expected=_EXPECTED)


def _read_parquet(con: duckdb.DuckDBPyConnection, req: ReadRequest) -> RawLog:
    path = _q(str(req.path))
    try:
        header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()]
    except duckdb.Error as exc:
        raise InputError(f"cannot read Parquet file: {one_line(exc)}", file=req.file) from exc
    raw_sql = f"SELECT * FROM read_parquet({path})"
    if req.row_range is not None:
        start, end = (int(x) for x in req.row_range)
        raw_sql = (
            f"SELECT * EXCLUDE (file_row_number) FROM read_parquet({path}, file_row_number=true) "
            f"WHERE file_row_number >= {start} AND file_row_number < {end}"
        )
    return RawLog("parquet", header, header, raw_sql)


def _read_jsonl(con: duckdb.DuckDBPyConnection, req: ReadRequest) -> RawLog:
    decoded, enc, notes = _decode(req.head, req.file, req.encoding)
    first = next((ln for ln in decoded.splitlines() if ln.strip()), "")
    try:
        obj = json.loads(first)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON lines: {exc.msg}", file=req.file, row=1, expected="one JSON object per line"
        ) from exc
    if not isinstance(obj, dict):
        raise InputError("not JSON lines: the first line is not an object", file=req.file, row=1)
    header = list(obj)
    cols = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in header) + "}"
    raw_sql = f"SELECT * FROM read_json({_q(str(req.path))}, format='newline_delimited', columns={cols})"
    return RawLog("jsonl", header, header, raw_sql, enc, notes=notes)


def _read_xlsx(con: duckdb.DuckDBPyConnection, req: ReadRequest) -> RawLog:
    header, src_cols, notes, rejects = _load_xlsx(
        con, req.path, req.tag, req.file, sheet=req.sheet, hidden_sheets=req.hidden_sheets
    )
    raw_sql = f"SELECT __row AS rn, * EXCLUDE (__row) FROM xlsx_{req.tag} ORDER BY __row"
    return RawLog("xlsx", header, src_cols, raw_sql, notes=notes, rejects_table=rejects, rows_exact=True)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _read_csv(con: duckdb.DuckDBPyConnection, req: ReadRequest) -> RawLog:
    file = req.file
    text_16 = req.head.startswith(_UTF16_BOMS) or (req.encoding or "").lower().replace("-", "") == "utf16"
    if "\x00" in req.head[:4096].decode("latin-1") and not text_16:
        raise InputError("not a text log: the file holds binary data", file=file, row=1, expected=_EXPECTED)
    decoded, enc, notes = _decode(req.head, file, req.encoding)
    if "\x00" in decoded[:4096]:
        raise InputError("not a text log: the file holds binary data", file=file, row=1, expected=_EXPECTED)
    first_line = decoded.lstrip("\ufeff").splitlines()[0] if decoded.strip() else ""
    delimiter = _sniff_delimiter(first_line, file)
    header = _fields(first_line, delimiter, file)
    if not header:
        raise InputError("the first line is empty: no header row", file=file, row=1)
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r} detected from the header")
    src_cols = [f"c{i}" for i in range(len(header))]
    colspec = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in src_cols) + "}"
    rejects = f"rejects_{req.tag}"
    opts = [
        "auto_detect=false", "header=false", "skip=1", f"columns={colspec}", f"delim={_q(delimiter)}",
        "quote='\"'", "escape='\"'", "ignore_errors=true", "store_rejects=true",
        f"rejects_table={_q(rejects)}", f"rejects_scan={_q(rejects + '_scan')}", "max_line_size=10000000",
        f"compression={_q('gzip' if req.gz else 'none')}",
    ]  # fmt: skip
    if enc.lower().replace("_", "-") not in ("utf-8", "utf8"):
        opts.append(f"encoding={_q(_duck_encoding(enc, file))}")
    raw_sql = f"SELECT * FROM read_csv({_q(str(req.path))}, {', '.join(opts)})"
    return RawLog("csv", header, src_cols, raw_sql, enc, delimiter, notes, rejects)


_JSON_NAMES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".json", ".json.gz")

READERS: tuple[Reader, ...] = (
    Reader("not a log", lambda r: non_log_kind(r) is not None, _refuse),
    Reader("parquet", lambda r: r.head.startswith(b"PAR1"), _read_parquet),
    Reader("xlsx", lambda r: r.head.startswith(b"PK\x03\x04"), _read_xlsx),
    Reader("jsonl", lambda r: r.path.name.lower().endswith(_JSON_NAMES), _read_jsonl),
    Reader("csv", lambda r: True, _read_csv),
)
"""The readers, first match wins. A new container is a new `Reader` placed before "csv"."""


def open_log(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    forced_format: str | None = None,
    mapping: FormatSpec | None = None,
    encoding: str | None = None,
    org_name: str | None = None,
    tag: str = "0",
    row_range: tuple[int, int] | None = None,
    name: str | None = None,
    time_formats: Sequence[str] | None = None,
    sheet: str | None = None,
    hidden_sheets: bool = False,
) -> Opened:
    """Create the views `ev` and `ev_rn` over `path` in `con` and return how the file was read.

    `row_range` (Parquet only) reads records [start, end) of the file, for fanning one file out over
    row groups; row numbers stay those of the whole file. `name` is the file named in messages and
    evidence when `path` is a piece of it; `time_formats` skips the detection (pieces of one file
    share the forms found in the whole file). `sheet` names the worksheet of a workbook to read
    (default: the first visible one); `hidden_sheets` lets hidden sheets be chosen too.
    """
    path = Path(path)
    file = name or str(path)
    if not path.exists():
        raise InputError("no such file", file=file)
    if path.stat().st_size == 0:
        raise InputError("file is empty: no header row and no records", file=file, row=1)
    head, gz = _read_head(path)
    if not head.strip():
        raise InputError("file is empty: no header row and no records", file=file, row=1)
    req = ReadRequest(path, file, head, gz, encoding, tag, row_range, sheet, hidden_sheets)
    reader = next(r for r in READERS if r.accepts(req))
    raw = reader.read(con, req)
    header = [h.strip().lstrip("\ufeff") for h in raw.header]
    if mapping is not None:
        spec, detected = mapping, False
        check_required(spec, header, file)
    else:
        spec, detected = detect_format(header, file, forced_format), forced_format is None
    resolved = spec.resolve(header)
    by_name = dict(zip(header, raw.src_cols, strict=True))
    cols = {fld: _ident(by_name[src]) for fld, src in resolved.items() if src}
    if not time_formats:
        time_formats = _detect_time_formats(con, raw.raw_sql, cols.get("time"), spec)
    conv = _event_sql(cols, list(time_formats), org_name, file)
    offset = 1 + (int(row_range[0]) if row_range is not None and raw.container == "parquet" else 0)
    pick_sql = _create_views(con, conv, raw, offset, spec.name, file)
    return Opened(
        file=file,
        container=raw.container + (".gz" if gz else ""),
        spec=spec,
        detected=detected,
        header=header,
        delimiter=raw.delimiter,
        encoding=raw.encoding,
        time_formats=list(time_formats),
        notes=raw.notes,
        rejects_table=raw.rejects_table,
        pick_sql=pick_sql,
        rn_offset=0 if raw.rows_exact else offset,
        rows_exact=raw.rows_exact,
    )


def _create_views(
    con: duckdb.DuckDBPyConnection, conv: str, raw: RawLog, offset: int, spec_name: str, file: str
) -> str:
    """The views `ev` and `ev_rn` (the same rows numbered in file order, header = row 1); returns the
    SQL of the rows picked by number: numbered on the raw records, converted only once picked, and
    read no further than the last row wanted (the evidence rows of the findings)."""
    if raw.rows_exact:
        ev = conv.replace("@@RN@@", "rn, ").replace("@@SRC@@", raw.raw_sql)
        ev_rn = "SELECT * FROM ev"
        src = f"SELECT * FROM ({raw.raw_sql}) WHERE rn <= @@LIMIT@@ AND rn IN (SELECT rn FROM @@WANT@@)"
    else:
        ev = conv.replace("@@RN@@", "").replace("@@SRC@@", raw.raw_sql)
        ev_rn = f"SELECT row_number() OVER () + {offset} AS rn, * FROM ev"
        src = (
            f"SELECT * FROM (SELECT row_number() OVER () + {offset} AS rn, * FROM ({raw.raw_sql}) "
            "LIMIT @@LIMIT@@) WHERE rn IN (SELECT rn FROM @@WANT@@)"
        )
    try:
        con.execute("CREATE OR REPLACE TEMP VIEW ev AS " + ev)
        con.execute("CREATE OR REPLACE TEMP VIEW ev_rn AS " + ev_rn)
    except duckdb.Error as exc:
        raise InputError(f"cannot read as {spec_name}: {one_line(exc)}", file=file) from exc
    return conv.replace("@@RN@@", "rn, ").replace("@@SRC@@", src)


def _window_sources(cols: dict[str, str]) -> tuple[str | None, str | None]:
    """The raw window start and end: their columns, or the two halves of one combined column."""
    wc, ws = cols.get("window_combined"), cols.get("window_start")
    if wc and not ws:
        return (
            f"nullif(trim(regexp_extract({wc}, '^(.*?)(?:\\n| - | to )', 1)), '')",
            f"nullif(trim(regexp_extract({wc}, '(?:\\n| - | to )(.*)$', 1)), '')",
        )
    return ws, cols.get("window_end")


def _event_sql(cols: dict[str, str], time_formats: list[str], org_name: str | None, file: str) -> str:
    """The conversion of raw records to access events, with `@@SRC@@` for the raw rows and `@@RN@@`
    where the row number column goes when the rows carry one.

    Each value is parsed once (inner query); flags are computed from the parsed values (outer query).
    Values are parsed as they are first and trimmed only when that fails (trim costs as much as the
    parse itself on a large file); blank-after-trim counts as missing.
    """

    def text_col(fld: str) -> str:
        c = cols.get(fld)
        return f"nullif({c}, '')" if c else "NULL::VARCHAR"

    ts = lambda c: _ts_expr(c, time_formats)  # noqa: E731
    ws_src, we_src = _window_sources(cols)
    fallback = time_formats[1:]
    t_main = _ts_one("t_raw", time_formats[0])
    t_rest = _ts_expr("t_raw", fallback) if fallback else "NULL::TIMESTAMP"
    org = _q(org_name) if org_name and not cols.get("org_name") else text_col("org_name")
    t_col = cols.get("time")
    return f"""
    SELECT @@RN@@event_id, file, time, org_name, user, subject, window_start, window_end, networks, devices,
           reason, case_number, date_diff('second', window_start, time) / 86400.0 AS lookback_days,
           (CASE WHEN time IS NULL THEN {BAD_TIME} ELSE 0 END
            + CASE WHEN (networks IS NULL AND n_raw IS NOT NULL AND trim(n_raw) <> '')
                     OR (devices IS NULL AND d_raw IS NOT NULL AND trim(d_raw) <> '')
                   THEN {BAD_NUMBER} ELSE 0 END
            + CASE WHEN window_start IS NULL AND ws_raw IS NOT NULL AND trim(ws_raw) <> ''
                   THEN {BAD_WINDOW} ELSE 0 END) AS bad,
           main_form
    FROM (
      SELECT @@RN@@event_id, file, org_name, user, subject, reason, case_number, n_raw, d_raw, ws_raw,
             coalesce(t_main, {t_rest}) AS time, t_main IS NOT NULL AS main_form,
             {ts("ws_raw") if ws_src else "NULL::TIMESTAMP"} AS window_start,
             {ts("we_raw") if we_src else "NULL::TIMESTAMP"} AS window_end,
             {_int_expr("n_raw")} AS networks,
             {_int_expr("d_raw")} AS devices
      FROM (
        SELECT *, {t_main} AS t_main FROM (
          SELECT @@RN@@{text_col("event_id")} AS event_id, {_q(file)} AS file,
                 {t_col + " AS t_raw" if t_col else "NULL::VARCHAR AS t_raw"},
                 {org} AS org_name, {text_col("user")} AS user, {text_col("subject")} AS subject,
                 {f"nullif({ws_src}, '')" if ws_src else "NULL::VARCHAR"} AS ws_raw,
                 {f"nullif({we_src}, '')" if we_src else "NULL::VARCHAR"} AS we_raw,
                 {text_col("networks")} AS n_raw, {text_col("devices")} AS d_raw,
                 {cols.get("reason") or "NULL::VARCHAR"} AS reason,
                 {text_col("case_number")} AS case_number
          FROM (@@SRC@@)
        )
      )
    )
    """  # fmt: skip


def _duck_encoding(enc: str, file: str) -> str:
    e = enc.lower().replace("_", "-")
    if e in ("latin-1", "latin1", "iso-8859-1", "cp1252", "windows-1252"):
        return "latin-1"
    if e in ("utf-16", "utf16"):
        return "utf-16"
    raise InputError(
        f"encoding {enc!r} is not supported for CSV",
        file=file,
        field="encoding",
        expected="utf-8, latin-1, cp1252 or utf-16",
    )


def _ts_one(c: str, fmt: str) -> str:
    if fmt == "ISO":
        return f"try_cast(regexp_replace(trim({c}), '(Z| UTC)$', '') AS TIMESTAMP)"
    # the value as it is first; trimmed only when that fails (a parse that succeeds is unchanged by trim)
    return f"coalesce(try_strptime({c}, {_q(fmt)}), try_strptime(trim({c}), {_q(fmt)}))"


def _int_expr(c: str) -> str:
    """Whole number from text: as it is first, then with thousands commas and spaces removed."""
    return f"coalesce(try_cast({c} AS BIGINT), try_cast(replace(trim({c}), ',', '') AS BIGINT))"


def _ts_expr(c: str, formats: list[str]) -> str:
    parts = [_ts_one(c, f) for f in formats]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _detect_time_formats(
    con: duckdb.DuckDBPyConnection, raw_sql: str, tcol: str | None, spec: FormatSpec
) -> list[str]:
    """The date forms of this file, most frequent in a sample first; the rest kept as fallbacks."""
    formats = list(dict.fromkeys(spec.time_formats))
    if not tcol:
        return formats
    try:
        sample = [r[0] for r in con.execute(f"SELECT {tcol} FROM ({raw_sql}) LIMIT 2000").fetchall() if r[0]]
    except duckdb.Error:
        return formats
    if not sample:
        return formats
    counts = {}
    for f in formats:
        expr = _ts_one("v", f)
        n = con.execute(f"SELECT count({expr}) FROM (SELECT unnest(?::VARCHAR[]) v)", [sample]).fetchone()
        counts[f] = n[0] if n else 0
    ordered = sorted(formats, key=lambda f: -counts[f])
    seen = [f for f in ordered if counts[f] > 0]
    return seen + [f for f in ordered if counts[f] == 0]


_BATCH_ROWS = 50_000  # rows turned into Arrow arrays at a time (bounds the Python objects held)


_FORMULA_MESSAGE = (
    "formula cell without a cached value (the workbook was saved without calculating it): row not "
    "audited; recalculate and save it in a spreadsheet"
)


@dataclass
class _SheetRows:
    """A sheet's records gathered into Arrow batches, numbered by their sheet row."""

    header: list[str]
    header_row: int
    src_cols: list[str]
    batches: list[Any] = field(default_factory=list)
    cols: list[list[str | None]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    rejected: list[tuple[int, int]] = field(default_factory=list)  # (sheet row, 0-based column)

    def add(self, row: int, values: list[Any]) -> None:
        self.numbers.append(row)
        for j, col in enumerate(self.cols):
            col.append(values[j] if j < len(values) else None)
        if len(self.numbers) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.numbers:
            arrays = [pa.array(v, pa.string()) for v in self.cols] + [pa.array(self.numbers, pa.int64())]
            self.batches.append(pa.RecordBatch.from_arrays(arrays, names=[*self.src_cols, "__row"]))
            for v in self.cols:
                v.clear()
            self.numbers.clear()


def _sheet_rows(read: Any, file: str) -> _SheetRows:
    """The header (first non-blank row) and the records after it; blank rows are skipped (their
    numbers are not reused) and rows with a formula cell without a cached value are set aside."""
    out: _SheetRows | None = None
    for i, values in read.rows:
        if out is None:
            if all(v is None for v in values):
                continue
            header = ["" if v is None else v for v in values]
            while header and header[-1] == "":
                header.pop()
            out = _SheetRows(header, i, [f"c{j}" for j in range(len(header))])
            out.cols = [[] for _ in header]
            continue
        bad = [j for j in read.formula_rows.get(i, ()) if j < len(out.header)]
        if bad:
            out.rejected.append((i, bad[0]))
        elif not all(v is None for v in values):
            out.add(i, values)
    if out is None:
        raise InputError(f"spreadsheet is empty: no header row (sheet {read.name!r})", file=file, row=1)
    out.flush()
    return out


def _load_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    tag: str,
    file: str,
    sheet: str | None = None,
    hidden_sheets: bool = False,
) -> tuple[list[str], list[str], list[str], str | None]:
    """Register the first visible sheet (read whole, see sharemap.audit.xlsx) as table `xlsx_<tag>`.

    Returns the header, the source column names, notes, and the name of a rejects table (same
    columns as DuckDB's CSV rejects) listing the rows with formula cells that have no cached value:
    such a cell would read as empty, so its row is reported as unreadable instead of audited.
    """
    import pyarrow as pa

    from sharemap.audit.xlsx import read_sheet

    read = read_sheet(path, sheet=sheet, hidden=hidden_sheets)
    got = _sheet_rows(read, file)
    schema = pa.schema([*((c, pa.string()) for c in got.src_cols), ("__row", pa.int64())])
    con.register(f"xlsx_{tag}", pa.Table.from_batches(got.batches, schema=schema))
    notes = list(read.notes)
    if got.header_row != 1:
        notes.append(f"header found on sheet row {got.header_row} of sheet {read.name!r}")
    rejects: str | None = None
    if got.rejected:
        rejects = f"rejects_{tag}"
        n = len(got.rejected)
        con.register(
            rejects,
            pa.table(
                {
                    "line": pa.array([r for r, _ in got.rejected], pa.int64()),
                    "column_name": pa.array([f"c{c}" for _, c in got.rejected], pa.string()),
                    "error_type": pa.array(["FORMULA WITHOUT VALUE"] * n, pa.string()),
                    "csv_line": pa.array([None] * n, pa.string()),
                    "error_message": pa.array([_FORMULA_MESSAGE] * n, pa.string()),
                }
            ),
        )
    return got.header, got.src_cols, notes, rejects


@dataclass(frozen=True)
class Reject:
    """A record the parser could not read: its line (sheet row for workbooks), column, kind, the raw
    text (never shown: it holds plates and names; used only to guess a wrong delimiter) and message."""

    line: int
    column: str | None
    kind: str
    text: str | None
    message: str | None


def read_rejects(con: duckdb.DuckDBPyConnection, opened: Opened, limit: int | None = None) -> list[Reject]:
    """Rows the CSV parser could not read, one per line (all of them unless limit)."""
    if not opened.rejects_table:
        return []
    try:
        lim = f" LIMIT {int(limit)}" if limit else ""
        rows = con.execute(
            f"SELECT DISTINCT ON (line) line, column_name, error_type, csv_line, error_message "
            f"FROM {opened.rejects_table} ORDER BY line{lim}"
        ).fetchall()
    except duckdb.Error:
        return []
    return [Reject(int(r[0]), r[1], str(r[2]).lower().replace(" ", "_"), r[3], r[4]) for r in rows]


def count_rejects(con: duckdb.DuckDBPyConnection, opened: Opened) -> int:
    if not opened.rejects_table:
        return 0
    try:
        row = con.execute(f"SELECT count(DISTINCT line) FROM {opened.rejects_table}").fetchone()
    except duckdb.Error:
        return 0
    return int(row[0]) if row else 0


def header_keys(header: list[str]) -> set[str]:
    return {key(h) for h in header}
