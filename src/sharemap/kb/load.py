"""Load and check the knowledge base (`kb/data/*.yaml`).

`check_kb(directory)` returns every problem it finds (file, entry id, field, message) without
stopping at the first; `load_kb(directory)` returns a validated `KnowledgeBase` or raises `DataError`
naming the first problem's file and id. The shipped KB is loaded once and cached.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sharemap.errors import DataError
from sharemap.kb.facts import (
    Authority,
    Channel,
    DataElement,
    Encounter,
    EncounterSpec,
    Figure,
    Form,
    KBSource,
    KnowledgeBase,
    NotFound,
    Program,
    System,
)

DATA_DIR = Path(__file__).parent / "data"

# file name -> (section, model). Order matters only for messages.
FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "sources.yaml": ("sources", KBSource),
    "data_elements.yaml": ("data_elements", DataElement),
    "systems.yaml": ("systems", System),
    "channels.yaml": ("channels", Channel),
    "forms.yaml": ("forms", Form),
    "programs.yaml": ("programs", Program),
    "authorities.yaml": ("authorities", Authority),
    "figures.yaml": ("figures", Figure),
    "encounters.yaml": ("encounters", EncounterSpec),
    "not_found.yaml": ("not_found", NotFound),
}
REQUIRED_FILES = ("sources.yaml", "data_elements.yaml", "systems.yaml", "channels.yaml")

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the KB: where (file, entry id, field) and what."""

    file: str
    entry_id: str | None
    field: str | None
    message: str

    def describe(self) -> str:
        where = self.file
        if self.entry_id:
            where += f": {self.entry_id}"
        if self.field:
            where += f": field {self.field!r}"
        return f"{where}: {self.message}"


@dataclass
class _Parsed:
    """Entries parsed so far, by section, with the file each id came from."""

    entries: dict[str, dict[str, Any]]
    origin: dict[str, str]


def _read(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(Problem(path.name, None, None, f"cannot read YAML: {exc}"))
        return []
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        problems.append(Problem(path.name, None, None, "expected a list of mappings"))
        return []
    return raw


def _parse(directory: Path, problems: list[Problem]) -> _Parsed:
    parsed = _Parsed(entries={section: {} for section, _ in FILES.values()}, origin={})
    for fname, (section, model) in FILES.items():
        path = directory / fname
        if not path.exists():
            if fname in REQUIRED_FILES:
                problems.append(Problem(fname, None, None, "file is missing"))
            continue
        for i, raw in enumerate(_read(path, problems)):
            key = str(raw.get("id") or raw.get("topic") or f"#{i + 1}")
            try:
                obj = model.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(p) for p in err["loc"])
                    problems.append(Problem(fname, key, loc or None, err["msg"]))
                continue
            if key in parsed.origin and section != "not_found":
                problems.append(Problem(fname, key, "id", f"duplicate id (also in {parsed.origin[key]})"))
                continue
            parsed.origin[key] = fname
            parsed.entries[section][key] = obj
    return parsed


def _cross_check(p: _Parsed, problems: list[Problem], check_encounters: bool) -> None:
    e = p.entries
    sources, systems, elements = e["sources"], e["systems"], e["data_elements"]
    figures, programs, authorities = e["figures"], e["programs"], e["authorities"]

    def src_ids(file: str, eid: str, where: str, ids: Iterable[str]) -> None:
        for sid in ids:
            if sid not in sources:
                problems.append(Problem(file, eid, where, f"unknown source {sid!r}"))

    for section in ("data_elements", "systems", "channels", "forms", "programs", "authorities", "figures"):
        for eid, obj in e[section].items():
            file = p.origin[eid]
            if not obj.sources:
                problems.append(
                    Problem(file, eid, "sources", "missing source: every entry needs at least one")
                )
            src_ids(file, eid, "sources", obj.sources)
            for i, note in enumerate(getattr(obj, "notes", ())):
                src_ids(file, eid, f"notes.{i}.sources", note.sources)
            for i, fn in enumerate(getattr(obj, "functions", ())):
                src_ids(file, eid, f"functions.{i}.sources", fn.sources)

    for eid, sysm in systems.items():
        file = p.origin[eid]
        for el in sysm.holds:
            if el not in elements:
                problems.append(Problem(file, eid, "holds", f"unknown data element {el!r}"))
        for fig in sysm.figures:
            if fig not in figures:
                problems.append(Problem(file, eid, "figures", f"unknown figure {fig!r}"))

    for eid, ch in e["channels"].items():
        file = p.origin[eid]
        for end in ("from_system", "to_system"):
            name = getattr(ch, end)
            if name not in systems:
                problems.append(Problem(file, eid, end, f"unknown system {name!r}"))
        if not ch.carries:
            problems.append(Problem(file, eid, "carries", "a channel must carry at least one data element"))
        for i, carry in enumerate(ch.carries):
            if carry.element not in elements:
                problems.append(
                    Problem(file, eid, f"carries.{i}.element", f"unknown data element {carry.element!r}")
                )
            src_ids(file, eid, f"carries.{i}.sources", carry.sources)
        src_ids(file, eid, "latency.sources", ch.latency.sources)
        if ch.latency.disclosed and (ch.latency.seconds is None or not ch.latency.sources):
            problems.append(
                Problem(file, eid, "latency", "a disclosed latency needs seconds and at least one source")
            )
        if ch.latency.figure and ch.latency.figure not in figures:
            problems.append(Problem(file, eid, "latency.figure", f"unknown figure {ch.latency.figure!r}"))
        for i, period in enumerate(ch.periods):
            if not period.sources:
                problems.append(
                    Problem(file, eid, f"periods.{i}.sources", "missing source for a dated change")
                )
            src_ids(file, eid, f"periods.{i}.sources", period.sources)
        for a in ch.authority:
            if a not in programs and a not in authorities:
                problems.append(Problem(file, eid, "authority", f"unknown authority or program {a!r}"))

    for eid, spec in e["encounters"].items():
        file = p.origin[eid]
        for s in spec.starts_at:
            if s not in systems:
                problems.append(Problem(file, eid, "starts_at", f"unknown system {s!r}"))
        src_ids(file, eid, "sources", spec.sources)
    if check_encounters:
        have = {spec.encounter for spec in e["encounters"].values()}
        for enc in Encounter:
            if enc not in have:
                problems.append(
                    Problem("encounters.yaml", None, None, f"encounter {enc.value!r} is not described")
                )


def check_kb(directory: Path | str | None = None) -> list[Problem]:
    """Every problem in the KB at `directory` (default: the shipped one); empty when it is sound."""
    problems: list[Problem] = []
    d = Path(directory) if directory is not None else DATA_DIR
    if not d.is_dir():
        return [Problem(str(d), None, None, "not a directory")]
    parsed = _parse(d, problems)
    _cross_check(parsed, problems, check_encounters=(d / "encounters.yaml").exists())
    return problems


def _build(directory: Path) -> KnowledgeBase:
    problems: list[Problem] = []
    parsed = _parse(directory, problems)
    _cross_check(parsed, problems, check_encounters=(directory / "encounters.yaml").exists())
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more; run `sharemap kb check`)" if len(problems) > 1 else ""
        raise DataError(
            (f"{first.entry_id}: " if first.entry_id else "") + first.message + more,
            file=directory / first.file,
            field=first.field,
        )
    e = parsed.entries
    return KnowledgeBase(
        sources=e["sources"],
        systems=e["systems"],
        channels=e["channels"],
        data_elements=e["data_elements"],
        forms=e["forms"],
        programs=e["programs"],
        authorities=e["authorities"],
        figures=e["figures"],
        encounters={spec.encounter: spec for spec in e["encounters"].values()},
        not_found=tuple(e["not_found"].values()),
    )


@functools.lru_cache(maxsize=8)
def _cached(directory: str) -> KnowledgeBase:
    return _build(Path(directory))


def load_kb(directory: Path | str | None = None) -> KnowledgeBase:
    """The validated knowledge base; raises DataError naming the file and entry id of a problem."""
    d = Path(directory) if directory is not None else DATA_DIR
    return _cached(str(d.resolve()))


def iter_entries(kb: KnowledgeBase) -> Iterator[tuple[str, BaseModel]]:
    """(kind, entry) for every entry, in a stable order (for `kb list`)."""
    for kind, table in (
        ("system", kb.systems),
        ("channel", kb.channels),
        ("data_element", kb.data_elements),
        ("form", kb.forms),
        ("program", kb.programs),
        ("authority", kb.authorities),
        ("figure", kb.figures),
        ("source", kb.sources),
    ):
        for obj in table.values():
            yield kind, obj
