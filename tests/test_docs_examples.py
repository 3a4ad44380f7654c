"""Every example in docs/ and the README runs, and shows what the tool prints (issue 14).

A fenced block is an example when it holds `$ sharemap ...` lines (console), or is `python`, `sql`,
`yaml` or `json`. Console commands run in this process against the ledger the tests build, on the
fixed date DOCS_DATE, and each output line the docs show must appear in what the command printed:
whitespace is free (output may wrap differently), "..." or "…" stand for elided text, and a table row
is checked cell by cell. Commands that need the network or never end (`serve`) are listed in
NOT_RUN with the reason. A block under `<!-- docs-test: skip REASON -->` is not run; the reason is
required, and counted below.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import time_machine
import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS_DATE = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
"""The day the docs' outputs were taken: commands that answer "today" answer for this day."""

NOT_RUN = {
    "sharemap serve": "starts a server that runs until stopped (tests/web covers it)",
    "sharemap update --from ice": "reads ICE's web page (tests/ledger/test_ice_feed.py uses a local copy)",
    "sharemap update --from https://": "downloads from the internet",
    "sharemap sim validate": "runs the model on every validation figure, for minutes (tests/sim covers it)",
}
WIDTH = "120"  # the terminal width the docs' outputs were taken at
SKIP_MARK = re.compile(r"<!--\s*docs-test:\s*skip\s+(?P<why>[^>]+?)\s*-->")
TABLE_ART = re.compile(r"^[\s┏┓┗┛┡┩└┘├┤┼┬┴┳┻╇╋━─═╞╡╪+|-]+$")
ELISION = re.compile(r"\.\.\.|…")
TOKEN = re.compile(r"[^\s│┃]+")
SEARCH_ROOTS = (ROOT / "tests" / "fixtures", REFERENCE)


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    text: str
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


@dataclass
class Command:
    argv: list[str]
    exit_code: int = 0  # a `# exit N` comment on the line: the example shows a refusal
    shown: list[str] = field(default_factory=list)


def blocks(doc: Path) -> Iterator[Block]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, lang, body = i, m.group(2).lower(), []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        mark = SKIP_MARK.search(before)
        yield Block(doc, start + 1, lang, "\n".join(body), mark.group("why") if mark else None)


def examples() -> list[Block]:
    found = []
    for doc in DOCS:
        for b in blocks(doc):
            if b.lang in ("python", "sql", "yaml", "json") or re.search(r"^\$ ", b.text, re.M):
                found.append(b)
    return found


def commands(text: str) -> list[Command]:
    """`$ ` lines and the output lines shown under each (up to the next `$ ` line)."""
    out: list[Command] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            code = re.search(r"#.*\bexit (\d+)", line)
            out.append(Command(shlex.split(line[2:], comments=True), int(code.group(1)) if code else 0))
        elif out:
            out[-1].shown.append(line)
    return out


def not_run_reason(argv: list[str]) -> str | None:
    said = " ".join(argv)
    if argv[:1] != ["sharemap"]:
        return f"not a sharemap command ({argv[0] if argv else 'empty'})"
    return next((why for cmd, why in NOT_RUN.items() if said.startswith(cmd)), None)


FILE_NAME = re.compile(r"(?<![\w/.-])([\w.-]+\.(?:xlsx|pdf|csv|json|yaml|psv))\b", re.I)


def stage_files(text: str, cwd: Path) -> None:
    """Files the docs name by their bare name (an ICE workbook, an MOA PDF) linked into the scratch
    folder from the fixtures or the reference data, so the example runs as written."""
    for name in set(FILE_NAME.findall(text)):
        if (cwd / name).exists():
            continue
        for base in SEARCH_ROOTS:
            hit = next(iter(sorted(base.rglob(name))), None) if base.is_dir() else None
            if hit is not None:
                (cwd / name).symlink_to(hit)
                break


def fragments(line: str) -> list[str]:
    """The pieces of one shown output line that must appear in the output."""
    if TABLE_ART.match(line) or not line.strip():
        return []
    cells = [c for c in re.split(r"[│┃]", line)] if re.search(r"[│┃]", line) else [line]
    pieces = [p for c in cells for p in ELISION.split(c)]
    return [" ".join(p.split()) for p in pieces if len(p.strip()) >= 3 and p.strip() not in ("→", "-", "—")]


def flat(text: str) -> str:
    return " ".join(text.split())


@contextlib.contextmanager
def in_dir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def docs_env(ledger_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What `sharemap build` leaves: the ledger and the plate-reader sharing tables beside it."""
    from sharemap.sharing.store import write_database

    home = tmp_path_factory.mktemp("docs-home")
    db = home / "built.duckdb"
    shutil.copyfile(ledger_db, db)
    write_database(db)
    return {"SHAREMAP_HOME": str(home), "COLUMNS": WIDTH, "NO_COLOR": "1", "SHAREMAP_DB": str(db)}


@pytest.fixture()
def workdir(tmp_path: Path, docs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder that sees the repository's tests/ and docs/, with its own copy of the ledger."""
    for name in ("tests", "docs", "src", "benchmarks", "scripts"):
        (tmp_path / name).symlink_to(ROOT / name)
    db = tmp_path / "sharemap.duckdb"
    shutil.copyfile(docs_env["SHAREMAP_DB"], db)
    for key, value in {**docs_env, "SHAREMAP_DB": str(db)}.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def run_console(block: Block, cwd: Path) -> list[str]:
    from sharemap.cli.app import app

    problems: list[str] = []
    runner = CliRunner()
    _set_width(int(WIDTH))
    for cmd in commands(block.text):
        if not_run_reason(cmd.argv):
            continue
        args = cmd.argv[1:]
        with in_dir(cwd), time_machine.travel(DOCS_DATE, tick=True):
            res = runner.invoke(app, args, catch_exceptions=True, env={"COLUMNS": WIDTH})
        said = "$ " + " ".join(cmd.argv)
        if res.exit_code != cmd.exit_code:
            problems.append(
                f"{said}: exit {res.exit_code} (expected {cmd.exit_code}): "
                f"{(res.output or repr(res.exception))[-600:]}"
            )
            continue
        seen, words = flat(res.output), set(TOKEN.findall(res.output))
        for line in cmd.shown:
            cell = bool(re.search(r"[│┃]", line))  # a table cell may wrap: its words, in any lines
            missing = [
                f for f in fragments(line) if not (set(TOKEN.findall(f)) <= words if cell else f in seen)
            ]
            if missing:
                problems.append(f"{said}: shown {line.strip()!r} but printed no {missing[0]!r}")
    return problems


def _set_width(width: int) -> None:
    """Rich fixes a console's width from COLUMNS when the console is made, and the CLI's consoles are
    made by whichever command is imported first (another test may have run it at 80 columns): set
    them to the docs' width."""
    import sys

    from rich.console import Console

    for name, module in list(sys.modules.items()):
        if name.startswith("sharemap.cli"):
            for value in vars(module).values():
                if isinstance(value, Console):
                    value.width = width


def run_python(block: Block, cwd: Path) -> list[str]:
    with in_dir(cwd), time_machine.travel(DOCS_DATE, tick=True), contextlib.redirect_stdout(io.StringIO()):
        exec(compile(block.text, block.id, "exec"), {"__name__": "__docs__"})
    return []


def run_sql(block: Block, cwd: Path) -> list[str]:
    with duckdb.connect(os.environ["SHAREMAP_DB"], read_only=True) as con:
        for statement in filter(str.strip, block.text.split(";")):
            con.execute(statement).fetchall()
    return []


def run_data(block: Block, cwd: Path) -> list[str]:
    (json.loads if block.lang == "json" else yaml.safe_load)(block.text)
    return []


RUNNERS = {"python": run_python, "sql": run_sql, "yaml": run_data, "json": run_data}
EXAMPLES = examples()


@pytest.mark.parametrize("block", EXAMPLES, ids=[b.id for b in EXAMPLES])
def test_docs_example(block: Block, workdir: Path) -> None:
    if block.skip:
        pytest.skip(block.skip)
    stage_files(block.text, workdir)
    problems = RUNNERS.get(block.lang, run_console)(block, workdir)
    assert not problems, f"{block.id}:\n" + "\n".join(problems)


def test_the_harness_finds_the_examples() -> None:
    # the README and the trace guide are the two most example-heavy pages: losing them means the
    # fence parser broke, not that the docs changed
    ids = {b.id.split(":")[0] for b in EXAMPLES}
    assert {"README.md", "docs/trace.md", "docs/law.md"} <= ids
    assert len(EXAMPLES) >= 30
    assert all(b.skip is None or len(b.skip) > 10 for b in EXAMPLES), "a skipped example needs its reason"


def test_fragments_and_elision() -> None:
    assert fragments("4,294 searches, 2025-06-18 ... to 2025-12-02 ..., 147 users") == [
        "4,294 searches, 2025-06-18",
        "to 2025-12-02",
        ", 147 users",
    ]
    row = "│ MD │ Cecil County Sheriff's Office    │ JEM │"
    assert fragments(row) == ["Cecil County Sheriff's Office", "JEM"]
    assert fragments("┏━━━━┳━━━━┓") == []
    assert not_run_reason(["sharemap", "serve"]) is not None
    assert not_run_reason(["sharemap", "stats"]) is None
