"""Cut one large CSV log into pieces that start on record boundaries, to audit them side by side.

Evidence cites rows by number, and DuckDB numbers the records of one file on a single thread; so
a large CSV is cut into byte ranges, each audited as a file of its own (the header line followed by
the range) and renumbered when the pieces are merged (`summary.merge`). A cut is placed at a line
end only when the lines after it parse as whole records with the header's number of fields. A cut
that still lands inside a quoted field makes the parser reject rows in the pieces on either side;
the engine then audits that file whole, so a bad cut costs time, never a wrong row number.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

PIECE_MIN_BYTES = 64 * 2**20  # smaller files are audited whole
PIECE_BYTES = 256 * 2**20  # target size of a piece
_PROBE_BYTES = 64 * 1024  # text after a candidate cut that is parsed to check it
_PROBE_RECORDS = 8
_SEARCH_BYTES = 2**20  # how far past the target a cut is looked for


@dataclass(frozen=True)
class CsvPiece:
    """Bytes [start, end) of a CSV file whose header line ends at `header_end`."""

    start: int
    end: int
    header_end: int
    encoding: str
    time_formats: tuple[str, ...]

    def write(self, path: str, dest: Path) -> Path:
        """Write the header line and the piece's bytes to `dest` (in the kernel where it can)."""
        with open(path, "rb") as src, dest.open("wb") as out:
            out.write(src.read(self.header_end))
            out.flush()
            offset, left = self.start, self.end - self.start
            try:
                while left > 0:
                    sent = os.sendfile(out.fileno(), src.fileno(), offset, left)
                    if sent == 0:
                        break
                    offset, left = offset + sent, left - sent
            except (AttributeError, OSError):  # no sendfile for these files: copy through memory
                src.seek(offset)
                while left > 0:
                    block = src.read(min(left, 2**24))
                    if not block:
                        break
                    out.write(block)
                    left -= len(block)
        return dest


def may_cut(path: Path) -> bool:
    """Could `path` be a plain CSV large enough to cut? (Not compressed, a workbook, Parquet or JSON.)"""
    if path.stat().st_size < PIECE_MIN_BYTES or path.name.lower().endswith(_NOT_CSV):
        return False
    with path.open("rb") as fh:
        return not fh.read(4).startswith((b"\x1f\x8b", b"PK\x03\x04", b"PAR1"))


_NOT_CSV = (".parquet", ".xlsx", ".json", ".jsonl", ".ndjson", ".gz")


def cut_points(path: Path, pieces: int, delimiter: str, columns: int, encoding: str) -> list[int]:
    """Byte offsets where records start, splitting the records after the header into about `pieces`
    parts of similar size (first = the end of the header line, last = the file size)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.readline()
        points = [len(header)]
        step = (size - points[0]) / max(1, pieces)
        for k in range(1, max(1, pieces)):
            cut = _record_start(fh, int(points[0] + k * step), delimiter, columns, encoding)
            if cut is not None and points[-1] < cut < size:
                points.append(cut)
    points.append(size)
    return points


def _record_start(
    fh: io.BufferedReader, target: int, delimiter: str, columns: int, encoding: str
) -> int | None:
    """The first line start at or after `target` that is followed by whole records, or None."""
    fh.seek(target)
    window = fh.read(_SEARCH_BYTES + _PROBE_BYTES)
    pos = window.find(b"\n")
    while 0 <= pos < _SEARCH_BYTES:
        if _whole_records(window[pos + 1 : pos + 1 + _PROBE_BYTES], delimiter, columns, encoding):
            return target + pos + 1
        pos = window.find(b"\n", pos + 1)
    return None


def _whole_records(data: bytes, delimiter: str, columns: int, encoding: str) -> bool:
    """Do the complete lines of `data` parse as records of `columns` fields?"""
    last = data.rfind(b"\n")
    if last <= 0:
        return False
    text = data[:last].decode(encoding, errors="replace")
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), _PROBE_RECORDS))
    except csv.Error:
        return False
    return bool(rows) and all(len(r) == columns for r in rows)
