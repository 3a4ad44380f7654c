"""The compiled cache of the law (law/cache.py): a cached run rules exactly as a fresh load does, and
any change, corruption or unwritable folder falls back to building."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from sharemap.law import Actor, Law, load_provisions
from sharemap.law.cache import cache_file, compiled
from sharemap.law.labels import answer, place_name
from sharemap.law.vocab import ACTIONS, JURISDICTIONS


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    return tmp_path


def _counting(value: object, calls: list[int]):  # type: ignore[no-untyped-def]
    def build() -> object:
        calls.append(1)
        return value

    return build


def test_second_call_reads_the_cache_and_a_changed_input_rebuilds(home: Path) -> None:
    src = home / "in.yaml"
    src.write_text("a: 1\n", encoding="utf-8")
    calls: list[int] = []
    assert compiled("t", [src], _counting({"v": 1}, calls)) == {"v": 1}
    assert compiled("t", [src], _counting({"v": 2}, calls)) == {"v": 1}  # from the file
    assert len(calls) == 1 and cache_file("t").is_file()
    src.write_text("a: 2\n", encoding="utf-8")
    assert compiled("t", [src], _counting({"v": 3}, calls)) == {"v": 3}
    assert len(calls) == 2


def test_the_setting_turns_the_cache_off(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = home / "in.yaml"
    src.write_text("a: 1\n", encoding="utf-8")
    calls: list[int] = []
    compiled("off", [src], _counting({"v": 1}, calls))  # cached
    monkeypatch.setenv("SHAREMAP_LAW_CACHE", "0")
    assert compiled("off", [src], _counting({"v": 2}, calls)) == {"v": 2}  # built, not read
    assert len(calls) == 2


def test_corrupt_or_foreign_cache_files_are_rebuilt_not_trusted(home: Path) -> None:
    src = home / "in.yaml"
    src.write_text("a: 1\n", encoding="utf-8")
    path = cache_file("t")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    calls: list[int] = []
    assert compiled("t", [src], _counting("fresh", calls)) == "fresh"
    path.write_bytes(path.read_bytes()[:40])  # cut short: right header, broken pickle
    assert compiled("t", [src], _counting("again", calls)) == "again"
    # a pickle without our header is never unpickled
    path.write_bytes(pickle.dumps("planted"))
    assert compiled("t", [src], _counting("safe", calls)) == "safe"
    assert len(calls) == 3


def test_unwritable_cache_folder_still_answers(home: Path) -> None:
    (home / "cache").write_text("a file where the folder should be", encoding="utf-8")
    calls: list[int] = []
    assert compiled("t", [], _counting(7, calls)) == 7
    assert compiled("t", [], _counting(8, calls)) == 8
    assert len(calls) == 2


def test_cached_law_rules_exactly_as_a_fresh_load(home: Path) -> None:
    """Every jurisdiction and action, for the sheriff and the DMV, on dates either side of the 2025-26
    changes: the ruling and its sentence are the same from the cache as from the YAML."""
    fresh = Law(load_provisions())
    path = cache_file("check")
    compiled("check", [], lambda: Law(load_provisions()))
    cached = compiled("check", [], lambda: pytest.fail("should come from the cache"))
    assert path.is_file() and cached is not fresh
    for day in (dt.date(2019, 1, 1), dt.date(2026, 7, 1)):
        for juris in JURISDICTIONS:
            for actor in (Actor.SHERIFF, Actor.DMV):
                for action in ACTIONS:
                    a = fresh.rule(juris, actor, action, day)
                    b = cached.rule(juris, actor, action, day)
                    assert a.to_dict() == b.to_dict(), (juris, actor, action, day)
                    assert answer(a, "es") == answer(b, "es")


def test_state_names_match_the_us_package() -> None:
    import us

    assert place_name("IL") == "Illinois" and place_name("DC") == us.states.lookup("DC").name
    assert place_name("US") == "the United States (federal law only)"


def test_a_cached_law_rule_run_parses_no_yaml_and_says_the_same(tmp_path: Path) -> None:
    """The second `sharemap law rule` in a home imports no yaml (the start-up cost the cache removes),
    and neither run imports the `us` package, and prints exactly what the first, uncached run printed."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from sharemap.cli.app import main\n"
        "sys.argv = ['sharemap', 'law', 'rule', '--state', 'IL', '--actor', 'sheriff', '--action',\n"
        "            'hold_on_detainer', '--process', 'detainer', '--date', '2024-06-01', '--lang', 'es']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)), file=sys.stderr)\n"
    )
    env = {"SHAREMAP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        for _ in range(2)
    ]
    first, second = (set(json_modules(r.stderr)) for r in runs)
    assert "yaml" in first and not {"yaml", "us"} & second
    assert "us" not in first  # state names come from the shipped jurisdiction table (kb.jurisdictions)
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.startswith("PROHIBITED")
    assert "No. El 2024-06-01" in runs[1].stdout and "Illinois" in runs[1].stdout


def json_modules(stderr: str) -> list[str]:
    import json

    modules: list[str] = json.loads(stderr.strip().splitlines()[-1])
    return modules
