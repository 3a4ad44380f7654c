"""Benchmark start-up: `sharemap --help` and `sharemap law rule ...` against bare `python -c pass`.

Goals (issue 15, item 6): `sharemap --help` at most 8 times and a `law rule` query at most 15 times a
bare interpreter, both measured in the same run so machine load cancels out. Optionally times one
`sharemap moa PDF` and one county PDF report (`--moa`, `--county-pdf`, which needs `--db`).

    .venv/bin/python benchmarks/bench_startup.py                    # median of 9 runs each
    .venv/bin/python benchmarks/bench_startup.py --runs 11 --json
    .venv/bin/python benchmarks/bench_startup.py --moa ../shared/reference/moa-pdfs/X.pdf \\
        --county-pdf "Harris County, TX" --db /tmp/ledger.duckdb
    git archive HEAD src | tar -x -C /tmp/before        # then, before and after in the same rounds:
    .venv/bin/python benchmarks/bench_startup.py --before-src /tmp/before/src

The commands run round-robin (one run of each, then the next round) so a burst of load from other
jobs falls on every command alike. Each run is a fresh process with its output discarded; every
sharemap command runs as `python -c "from sharemap.cli.app import main; main()" ARGS` (what the
console script does), so a source tree given by --before-src runs the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# the example of docs/law.md, section CLI
LAW_RULE = shlex.split(
    "law rule --state IL --actor sheriff --action hold_on_detainer --process detainer --date 2024-06-01"
)
GOALS = {"help": 8.0, "law_rule": 15.0}


ENTRY = "import sys; from sharemap.cli.app import main; sys.argv[0] = 'sharemap'; sys.exit(main())"

Command = tuple[list[str], dict[str, str]]  # argv and the environment variables it adds


def sharemap_args(args: argparse.Namespace, out_dir: Path) -> dict[str, list[str]]:
    """Name -> the `sharemap` arguments of every command timed in this run."""
    out = {"help": ["--help"], "law_rule": LAW_RULE}
    if args.moa:
        out["moa"] = ["moa", str(args.moa)]
    if args.county_pdf:
        db = ["--db", str(args.db)] if args.db else []
        pdf = str(out_dir / "county.pdf")
        out["county_pdf"] = ["report", "--county", args.county_pdf, "--format", "pdf", "-o", pdf, *db]
    return out


def commands(args: argparse.Namespace, out_dir: Path) -> dict[str, Command]:
    """Name -> command of every run; `baseline` is the bare interpreter. With --before-src, each
    sharemap command also runs from that source tree (`NAME@before`), in the same rounds, with its
    own SHAREMAP_HOME: sharing one, the two trees' compiled-law caches (keyed by their code) would
    overwrite each other and every run would rebuild the law."""
    trees: dict[str, dict[str, str]] = {"": {"SHAREMAP_HOME": str(out_dir / "home")}}
    if args.before_src:
        before = {"SHAREMAP_HOME": str(out_dir / "home-before")}
        trees["@before"] = {"PYTHONPATH": str(args.before_src), **before}
    out: dict[str, Command] = {"baseline": ([sys.executable, "-c", "pass"], {})}
    for suffix, env in trees.items():
        out["import_sharemap" + suffix] = ([sys.executable, "-c", "import sharemap"], env)
        for name, argv in sharemap_args(args, out_dir).items():
            out[name + suffix] = ([sys.executable, "-c", ENTRY, *argv], env)
    return out


def time_once(cmd: Command, env: dict[str, str]) -> float:
    """Wall-clock seconds of one fresh process; a failing command stops the benchmark."""
    argv, extra = cmd
    start = time.perf_counter()
    subprocess.run(
        argv, env={**env, **extra}, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def measure(cmds: dict[str, Command], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """`runs` rounds, each command once per round, after one untimed warm-up round (file cache)."""
    for cmd in cmds.values():
        time_once(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(time_once(cmd, env))
    return times


def summarise(times: dict[str, list[float]]) -> dict[str, Any]:
    """Median seconds per command and its ratio to the bare interpreter, with the goals met or not."""
    base = statistics.median(times["baseline"])
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    ratios = {name: m / base for name, m in medians.items() if name != "baseline"}
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": len(times["baseline"]),
        "median_s": {k: round(v, 4) for k, v in medians.items()},
        "ratio_to_python_pass": {k: round(v, 1) for k, v in ratios.items()},
        "goals": {k: {"max_ratio": g, "met": ratios[k] <= g} for k, g in GOALS.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="timed runs of each command (median)")
    ap.add_argument("--moa", type=Path, help="also time `sharemap moa` on this agreement PDF")
    ap.add_argument("--county-pdf", help='also time a county PDF report, e.g. "Harris County, TX"')
    ap.add_argument("--db", type=Path, help="ledger DuckDB file for --county-pdf")
    ap.add_argument(
        "--before-src",
        type=Path,
        help="an older src/ folder (e.g. from `git archive HEAD src`) to time in the same rounds",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SHAREMAP_HOME": tmp, "COLUMNS": "100"}
        if args.db:
            env["SHAREMAP_DB"] = str(args.db)
        result = summarise(measure(commands(args, Path(tmp)), args.runs, env))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
