"""Measure organisation resolution (sharemap.sharing.orgs) on the two hand-labelled samples.

The tuning sample (labelled_orgs.csv) is the one the rules were refined on; the held-out sample
(heldout_labelled.csv, drawn by `scripts/draw_org_sample.py --held-out`) never is, so its figures
are the honest ones. Prints Markdown for docs/sharing.md.

Usage: .venv/bin/python scripts/measure_org_resolution.py
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sharemap.sharing.orgs import OrgKind, Placed, resolve  # noqa: E402
from sharemap.sharing.store import shipped_registry  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "sharing"
SAMPLES = (("Tuning sample", "labelled_orgs.csv"), ("Held-out sample", "heldout_labelled.csv"))


def measure(title: str, path: Path, registry: dict[str, Placed]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    state_ok = kind_ok = wrong = 0
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for r in rows:
        org = resolve(r["name"], registry)
        got = org.state or "unknown"
        state_ok += got == r["state"]
        if got != r["state"]:
            wrong += got != "unknown"
            misses.append(f"| {r['name']} | {r['state']} | {got} | {org.basis} |")
        kind_ok += org.kind.value == r["kind"]
        confusion[(r["kind"], org.kind.value)] += 1
    n = len(rows)
    print(f"### {title} (`{path.name}`)\n")
    print(f"{n} names; state right {state_ok} ({state_ok / n:.1%}), of the rest {wrong} given a wrong state")
    print(f"and {n - state_ok - wrong} left unknown; kind right {kind_ok} ({kind_ok / n:.1%}).\n")
    if misses:
        print("| name | labelled state | resolved | basis |\n|---|---|---|---|")
        print("\n".join(misses) + "\n")
    kinds = [k.value for k in OrgKind if any(k.value in pair for pair in confusion)]
    print("Kind confusion (rows: label, columns: resolved):\n")
    print("| label \\ resolved | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for a in kinds:
        print(f"| {a} | " + " | ".join(str(confusion[(a, b)] or "") for b in kinds) + " |")
    print()


def main() -> None:
    registry = shipped_registry()
    for title, name in SAMPLES:
        measure(title, FIXTURES / name, registry)


if __name__ == "__main__":
    main()
