"""Format specifications, detection from a header, and YAML column mappings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharemap.audit import hints
from sharemap.audit.schema import EVENT_COLUMN_NAMES, System
from sharemap.errors import InputError

# Date forms tried, in order, after the one detected from a sample (strptime codes; "ISO" = SQL cast).
DEFAULT_TIME_FORMATS = (
    "ISO",
    "%m/%d/%Y, %I:%M:%S %p UTC",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
)


def key(name: str) -> str:
    """How header names are compared: case, spaces, BOM and punctuation ignored."""
    return "".join(ch for ch in name.lower().lstrip("\ufeff") if ch.isalnum() or ch == "#")


@dataclass(frozen=True)
class FormatSpec:
    """One log format. `columns` maps schema fields to source column names (alternatives allowed)."""

    name: str
    label: str
    system: System
    columns: dict[str, tuple[str, ...]]
    signature: tuple[str, ...]
    required: tuple[str, ...] = ("time", "reason")
    window_combined: tuple[str, ...] = ()  # one cell holding "start <newline or ' - '> end"
    time_formats: tuple[str, ...] = DEFAULT_TIME_FORMATS
    org_kind: str | None = None  # fixed kind for formats whose requester is the file's own agency
    constants: dict[str, str] = field(default_factory=dict)

    def resolve(self, header: list[str]) -> dict[str, str]:
        """schema field -> the actual header name present in this file."""
        present = {key(h): h for h in header}
        out: dict[str, str] = {}
        for fld, names in self.columns.items():
            for n in names:
                if key(n) in present:
                    out[fld] = present[key(n)]
                    break
        for n in self.window_combined:
            if key(n) in present and "window_start" not in out:
                out["window_combined"] = present[key(n)]
                break
        return out

    def matches(self, header: list[str]) -> tuple[int, int]:
        present = {key(h) for h in header}
        return sum(key(s) in present for s in self.signature), len(self.signature)


_NETWORK_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id": ("ID",),
    "user": ("Name", "User", "User Name", "userId"),
    "org_name": ("Org Name", "Organization", "Organization Name", "Agency"),
    "networks": ("Total Networks Searched", "networkCount", "Networks Searched"),
    "devices": ("Total Devices Searched", "Devices Searched", "cameraCount"),
    "window_start": ("Time Frame Start", "Start Date", "Search Start"),
    "window_end": ("Time Frame End", "End Date", "Search End"),
    "subject": ("License Plate", "Plate", "LPR"),
    "reason": ("Reason", "Search Reason"),
    "case_number": ("Case #", "Case Number", "Case"),
    "time": ("Search Time", "Search Date", "Date/Time", "Search Date/Time"),
}

BUILTIN_FORMATS: dict[str, FormatSpec] = {
    "alpr-network-audit": FormatSpec(
        name="alpr-network-audit",
        label="plate-reader vendor network audit (searches of this network by any organisation)",
        system=System.PLATE_READER,
        columns=_NETWORK_COLUMNS,
        signature=("Org Name", "Search Time", "Total Networks Searched"),
        window_combined=("Time Frame",),
    ),
    "alpr-org-audit": FormatSpec(
        name="alpr-org-audit",
        label="plate-reader vendor organisation audit (searches by this organisation's users)",
        system=System.PLATE_READER,
        columns={k: v for k, v in _NETWORK_COLUMNS.items() if k != "org_name"},
        signature=("Name", "Search Time", "Total Networks Searched"),
        window_combined=("Time Frame",),
        org_kind="local",
    ),
    "alpr-portal-search-log": FormatSpec(
        name="alpr-portal-search-log",
        label="plate-reader vendor transparency-portal search log "
        "(id, userId, searchDate, cameraCount, reason)",
        system=System.PLATE_READER,
        columns={
            "event_id": ("id",),
            "user": ("userId",),
            "time": ("searchDate",),
            "devices": ("cameraCount",),
            "reason": ("reason",),
        },
        signature=("id", "userId", "searchDate", "cameraCount"),
        org_kind="local",
    ),
}


def detect_format(header: list[str], file: str, forced: str | None = None) -> FormatSpec:
    """The built-in format whose signature the header carries; a clear error when none does."""
    if forced:
        if forced not in BUILTIN_FORMATS:
            raise InputError(
                f"unknown format {forced!r}",
                field="format",
                expected=", ".join(BUILTIN_FORMATS) + f" or {hints.MAPPING}",
            )
        spec = BUILTIN_FORMATS[forced]
    else:
        scored = sorted(
            ((spec.matches(header), spec) for spec in BUILTIN_FORMATS.values()),
            key=lambda x: (x[0][0] / x[0][1], x[0][0]),
            reverse=True,
        )
        (hit, total), spec = scored[0]
        if hit < total:
            # the network audit also carries "Name": prefer it when "Org Name" is there
            shown = ", ".join(repr(h) for h in header[:8]) + (" ..." if len(header) > 8 else "")
            if hit == 0 or hit < total - 1:
                raise InputError(
                    f"not a recognised log: header has {len(header)} column(s): {shown}",
                    file=file,
                    row=1,
                    expected="a plate-reader audit export ("
                    + "; ".join(f"{s.name}: {', '.join(s.signature)}" for s in BUILTIN_FORMATS.values())
                    + f"), or {hints.MAPPING}"
                    + (" (only one column: is the delimiter right?)" if len(header) == 1 else ""),
                )
    check_required(spec, header, file)
    return spec


def check_required(spec: FormatSpec, header: list[str], file: str) -> None:
    resolved = spec.resolve(header)
    for fld in spec.required:
        if fld not in resolved:
            wanted = " or ".join(repr(c) for c in spec.columns.get(fld, (fld,)))
            what = "reason" if fld == "reason" else fld
            raise InputError(
                f"looks like a {spec.name} log but has no {what} column",
                file=file,
                row=1,
                field=fld,
                expected=f"a column named {wanted}",
            )


_MAPPING_KEYS = ("name", "system", "columns", "time_formats", "org_kind", "required")


def _names(value: Any) -> list[str] | None:
    """A list of non-empty strings as given (one string is a list of one), else None."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        return None
    if not all(isinstance(v, str) and v.strip() for v in items):
        return None
    return list(items)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_mapping(path: str | Path) -> FormatSpec:
    """A format from a YAML mapping file. Layout (see docs/audit.md):

    name: county-jail-notifications
    system: jail_release_notification      # plate_reader_network, dmv, nlets, jail_release_notification
    columns: {time: Notified At, org_name: Recipient, reason: Purpose, user: Clerk, subject: Booking No}
    time_formats: ["%m/%d/%Y %H:%M"]        # optional; ISO and common US forms are always tried
    org_kind: federal                       # optional: fixed kind of the requesting organisation

    Read with the safe loader of sharemap.safety (size cap, no aliases); every field is checked, so a
    wrong one is a one-line error naming it and what was expected, never a traceback or a silent
    default.
    """
    from sharemap.safety import read_user_yaml

    cfg = read_user_yaml(path)
    if not isinstance(cfg, dict) or not isinstance(cfg.get("columns"), dict) or not cfg["columns"]:
        raise InputError(
            "mapping has no 'columns' table",
            file=path,
            field="columns",
            expected="columns: {schema field: source column}",
        )
    unknown_keys = sorted(str(k) for k in cfg if k not in _MAPPING_KEYS)
    if unknown_keys:
        raise InputError(
            f"unknown key(s) {unknown_keys}",
            file=path,
            field=unknown_keys[0],
            expected=", ".join(_MAPPING_KEYS),
        )
    columns = _mapping_columns(cfg["columns"], path)  # checked in this order: the first error is reported
    system = _mapping_system(cfg.get("system", "other"), path)
    formats = _mapping_time_formats(cfg.get("time_formats", []), path)
    org_kind = _mapping_org_kind(cfg.get("org_kind"), path)
    required = _mapping_required(cfg.get("required", ["time", "reason"]), path)
    name = cfg.get("name", Path(path).stem)
    if not isinstance(name, str | int) or not str(name).strip():
        raise InputError(f"name is {_shown(name)}", file=path, field="name", expected="a short text")
    window = columns.pop("window_combined", ())
    return FormatSpec(
        name=f"mapped:{name}",
        label=f"column mapping {Path(path).name}",
        system=system,
        columns=columns,
        signature=tuple(c[0] for c in columns.values()),
        required=required,
        window_combined=window,
        time_formats=formats + DEFAULT_TIME_FORMATS,
        org_kind=org_kind,
    )


_FIELDS = ", ".join(n for n in EVENT_COLUMN_NAMES if n not in ("file", "row"))


def _mapping_columns(cols: dict[Any, Any], path: str | Path) -> dict[str, tuple[str, ...]]:
    """`columns`: schema field -> the log's column name(s)."""
    unknown = sorted(str(k) for k in cols if k not in EVENT_COLUMN_NAMES or k in ("file", "row"))
    unknown = [k for k in unknown if k != "window_combined"]
    if unknown:
        raise InputError(
            f"unknown schema field(s) {unknown}",
            file=path,
            field="columns",
            expected=_FIELDS + " or window_combined",
        )
    columns: dict[str, tuple[str, ...]] = {}
    for k, v in cols.items():
        names = _names(v)
        if names is None:
            raise InputError(
                f"column for {k!r} is {_shown(v)}",
                file=path,
                field=f"columns.{k}",
                expected="the name of a column in the log (text), or a list of alternative names",
            )
        columns[str(k)] = tuple(names)
    return columns


def _mapping_system(raw: Any, path: str | Path) -> System:
    try:
        return System(raw)
    except (ValueError, TypeError):
        raise InputError(
            f"unknown system {_shown(raw)}",
            file=path,
            field="system",
            expected=", ".join(s.value for s in System),
        ) from None


def _mapping_time_formats(raw: Any, path: str | Path) -> tuple[str, ...]:
    raw = [] if raw is None else raw
    if not isinstance(raw, list) or not all(isinstance(f, str) and f.strip() for f in raw):
        raise InputError(
            f"time_formats is {_shown(raw)}",
            file=path,
            field="time_formats",
            expected='a list of date forms, for example ["%m/%d/%Y %H:%M"]',
        )
    return tuple(raw)


def _mapping_org_kind(kind: Any, path: str | Path) -> Any:
    from sharemap.audit.schema import OrgKind

    if kind is not None and kind not in {k.value for k in OrgKind}:
        raise InputError(
            f"unknown org_kind {_shown(kind)}",
            file=path,
            field="org_kind",
            expected=", ".join(k.value for k in OrgKind),
        )
    return kind


def _mapping_required(raw: Any, path: str | Path) -> tuple[str, ...]:
    required = _names(raw)
    if required is None or any(r not in EVENT_COLUMN_NAMES for r in required):
        raise InputError(
            f"required is {_shown(raw)}",
            file=path,
            field="required",
            expected=f"a list of schema fields ({_FIELDS})",
        )
    return tuple(required)
