"""Workbooks for the XLSX hardening tests, built with openpyxl and then edited as zip parts."""

from __future__ import annotations

import csv
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
from audit_paths import AUDIT

SMALL = AUDIT / "network_audit_small.csv"


def small_rows() -> list[list[str]]:
    with SMALL.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def workbook(path: Path, rows: list[list[object]], decoy: list[list[object]] | None = None) -> Path:
    """`rows` on a visible sheet "log"; `decoy`, if given, on a hidden sheet placed first."""
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    if decoy is not None:
        first.title = "decoy"
        for r in decoy:
            first.append(r)
        first.sheet_state = "hidden"
        ws = wb.create_sheet("log")
    else:
        ws = first
        ws.title = "log"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def rewrite_part(path: Path, part: str, edit: object) -> None:
    """Replace one part of the zip by `edit(old bytes)` (the others copied as they are)."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info.filename, edit(data) if info.filename == part else data)  # type: ignore[operator]


def lie_dimension(path: Path, ref: str) -> None:
    """Make the first sheet's <dimension ref> say `ref` whatever it holds."""
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda data: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data),
    )


def add_part(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)


def understate_sizes(path: Path, name: str, size: int) -> None:
    """Make the zip's local and central headers of `name` declare `size` bytes unzipped (a lie)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local header: uncompressed size
    raw = name.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == raw:
            struct.pack_into("<I", data, pos + 24, size)  # central directory: uncompressed size
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
