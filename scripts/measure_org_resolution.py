"""Measure organisation resolution (sharemap.sharing.orgs) on the hand-labelled sample.

Usage: .venv/bin/python scripts/measure_org_resolution.py  (prints Markdown for docs/sharing.md)
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sharemap.sharing.orgs import OrgKind, resolve  # noqa: E402
from sharemap.sharing.store import shipped_registry  # noqa: E402

SAMPLE = ROOT / "tests" / "fixtures" / "sharing" / "labelled_orgs.csv"


def main() -> None:
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))
    registry = shipped_registry()
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
    print(
        f"{n} names; state right {state_ok} ({state_ok / n:.1%}), of the rest {wrong} given a wrong state and"
    )
    print(f"{n - state_ok - wrong} left unknown; kind right {kind_ok} ({kind_ok / n:.1%}).\n")
    print("| name | labelled state | resolved | basis |\n|---|---|---|---|")
    print("\n".join(misses))
    kinds = [k.value for k in OrgKind]
    print("\nKind confusion (rows: label, columns: resolved):\n")
    print("| label \\ resolved | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for a in kinds:
        print(f"| {a} | " + " | ".join(str(confusion[(a, b)] or "") for b in kinds) + " |")


if __name__ == "__main__":
    main()
