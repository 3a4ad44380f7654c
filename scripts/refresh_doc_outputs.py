"""Re-take the output a doc shows under its `$ sharemap ...` examples, the way
tests/test_docs_examples.py checks it (the ledger the tests build, the fixed date DOCS_DATE,
120 columns).

    python scripts/refresh_doc_outputs.py docs/law.md 203 [more block lines]

Each given block (by the line of its opening fence) is rewritten: every command keeps its line and
gets the output printed now, cut to as many lines as the doc showed before (plus "..." when cut),
or to --lines N. Read the result before committing: the docs should show what matters, not all.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import time_machine
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import test_docs_examples as harness  # noqa: E402  (the checks this script's output must pass)


def _ledger(home: Path) -> Path:
    from sharemap.ledger import store
    from sharemap.sharing.store import write_database

    db = home / "sharemap.duckdb"
    store.build_database(store.load_shipped(), db)
    write_database(db)
    return db


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    from sharemap.cli.app import app

    old = Path.cwd()
    os.chdir(cwd)
    try:
        with time_machine.travel(harness.DOCS_DATE, tick=True):
            res = CliRunner().invoke(app, argv[1:], env={"COLUMNS": harness.WIDTH, "NO_COLOR": "1"})
    finally:
        os.chdir(old)
    return res.exit_code, res.output


def refresh(doc: Path, starts: list[int], lines: int | None) -> None:
    text = doc.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ.update(SHAREMAP_HOME=str(home), SHAREMAP_DB=str(_ledger(home)))
        for name in ("tests", "docs"):
            (home / name).symlink_to(ROOT / name)
        for start in sorted(starts, reverse=True):
            end = next(i for i in range(start, len(text)) if text[i].strip().startswith("```"))
            body, out = text[start:end], []
            harness.stage_files("\n".join(body), home)
            cmds = [i for i, line in enumerate(body) if line.startswith("$ ")]
            for k, i in enumerate(cmds):
                shown = (cmds[k + 1] if k + 1 < len(cmds) else len(body)) - i - 1
                argv = shlex.split(body[i][2:], comments=True)
                if harness.not_run_reason(argv):  # a server, the network: the doc keeps what it shows
                    out += body[i : i + shown + 1]
                    continue
                code, printed = _run(argv, home)
                got = printed.rstrip("\n").splitlines()
                keep = lines if lines is not None else max(shown, 1)
                out += [body[i], *got[:keep], *(["..."] if len(got) > keep else [])]
                if code:
                    print(f"{doc}:{start}: {body[i]} exited {code}")
                if k + 1 < len(cmds):
                    out.append("")
            text[start:end] = out
    doc.write_text("\n".join(text) + "\n", encoding="utf-8")
    shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("doc", type=Path)
    ap.add_argument("blocks", type=int, nargs="+", help="line number of each block's opening fence")
    ap.add_argument("--lines", type=int, default=None, help="output lines to keep per command")
    args = ap.parse_args()
    refresh(args.doc, args.blocks, args.lines)


if __name__ == "__main__":
    main()
