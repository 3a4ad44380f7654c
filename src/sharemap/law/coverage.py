"""Which jurisdictions' law was researched for which topics, and when: "no law" apart from "not researched".

`coverage.yaml` holds one dated note per jurisdiction (50 states, DC, Puerto Rico and the federal
layer) and, per topic, whether it was researched. A ruling for a state on a topic not researched,
where no state provision decides, is `not_researched`: the engine never falls back to "permitted".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError

from sharemap.errors import DataError, InputError
from sharemap.law.model import LawModel
from sharemap.law.vocab import ACTION_TOPIC, JURISDICTIONS, Action, Topic

COVERAGE_FILE = Path(__file__).parent / "coverage.yaml"


class Coverage(LawModel):
    """One jurisdiction's research: when, a short note of what was searched and found, and per topic."""

    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    researched_on: dt.date
    note: str = Field(min_length=20)
    topics: dict[Topic, bool]

    def researched(self, action: Action) -> bool:
        return self.topics.get(ACTION_TOPIC[action], False)

    @property
    def line(self) -> str:
        done = [t.value.replace("_", " ") for t, ok in self.topics.items() if ok]
        todo = [t.value.replace("_", " ") for t, ok in self.topics.items() if not ok]
        text = f"researched on {self.researched_on}: {', '.join(done) or 'nothing'}"
        return text + (f"; not researched: {', '.join(todo)}" if todo else "")


def load_coverage(path: Path = COVERAGE_FILE) -> dict[str, Coverage]:
    """The coverage file, validated; a clear error names the jurisdiction and the field."""
    import yaml  # here, not at the top: a ruling served from law/cache.py never parses YAML

    # libyaml's parser when present (ten times faster; the same safe constructors)
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"coverage file unreadable: {exc}", file=path) from exc
    out: dict[str, Coverage] = {}
    for code, entry in (raw.get("jurisdictions") or {}).items():
        if code not in JURISDICTIONS:
            raise DataError(
                f"unknown jurisdiction {code!r}", file=path, field=code, expected="a code in JURISDICTIONS"
            )
        try:
            topics = {Topic(k): v == "researched" for k, v in (entry.get("topics") or {}).items()}
            bad = [
                v for v in (entry.get("topics") or {}).values() if v not in ("researched", "not_researched")
            ]
            if bad:
                raise ValueError(f"topic values must be researched or not_researched, not {bad[0]!r}")
            out[code] = Coverage(
                jurisdiction=code,
                researched_on=entry["researched_on"],
                note=" ".join(str(entry["note"]).split()),
                topics=topics,
            )
        except (KeyError, ValueError, ValidationError) as exc:
            raise DataError(f"coverage of {code} is malformed: {exc}", file=path, field=code) from exc
    return out


@lru_cache(maxsize=1)
def shipped_coverage() -> dict[str, Coverage]:
    return load_coverage()
