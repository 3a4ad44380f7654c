"""Run every benchmark in one go (`make bench`); each script prints its own figures and baseline.

The audit benchmark generates a 20-million-row log (about 4 GB in /tmp) and the identity benchmark a
one-million-template gallery: both take minutes. `--quick` runs the small versions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small inputs: a smoke run, not the goals")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.duckdb"
        sharemap = Path(sys.executable).parent / "sharemap"
        subprocess.run([str(sharemap), "build", "--db", str(db)], check=True)
        runs = [
            ["bench_ledger.py"],
            ["bench_linkage.py", *(["--repeats", "1"] if args.quick else [])],
            ["bench_law.py", *(["--rows", "100000", "--calls", "10000"] if args.quick else [])],
            ["bench_trace.py", "--db", str(db), *(["--repeat", "20"] if args.quick else [])],
            ["bench_sim.py", *(["--quick"] if args.quick else [])],
            ["bench_identity.py", *(["--gallery", "100000", "--probes", "1000"] if args.quick else [])],
            ["bench_audit.py", *(["--rows", "1000000", "--ray-rows", "100000"] if args.quick else [])],
        ]
        for script, *rest in runs:
            print(f"== {script}", flush=True)
            subprocess.run([sys.executable, str(HERE / script), *rest], check=True)


if __name__ == "__main__":
    main()
