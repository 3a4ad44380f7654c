"""Rebuild src/sharemap/data/ledger/published_counts.csv from ../shared/reference/ice-287g/published-counts/.

Usage (from the checkout, with the project's venv):

    .venv/bin/python scripts/build_published_counts.py

The reference table holds, for six of ICE's lists published after the newest workbook the ledger
holds, the number of agreements per state and model that a public tracker counted from each sheet.
This script keeps those numbers as they are and adds what sharemap needs: the date of ICE's list
(from the sheet's file name; the file names drift, so the few that the ledger's reader cannot date
are listed below by hand with the date the name spells), and the state's USPS code (ICE's misspelt
"New Hamsphire" is New Hampshire, kept under its listed spelling in `state_as_listed`).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sharemap import settings  # noqa: E402
from sharemap.ledger.geo import state_code  # noqa: E402
from sharemap.ledger.lists import date_from_name  # noqa: E402

SOURCE = "ice-287g/published-counts/state_model_counts_2026-06_to_2026-10.csv"
TARGET = ROOT / "src" / "sharemap" / "data" / "ledger" / "published_counts.csv"
NAMED_DATES = {"participatingAgencies060920263pm.xlsx": dt.date(2026, 6, 9)}  # "06092026 3pm"


def main() -> None:
    rows = list(csv.DictReader((settings.reference_dir() / SOURCE).open(encoding="utf-8")))
    out = []
    for r in rows:
        sheet = r["source_sheet"]
        day = NAMED_DATES.get(sheet) or (date_from_name(sheet)[0] or dt.datetime.min).date()
        if day == dt.date.min:
            raise SystemExit(f"{SOURCE}: cannot date sheet {sheet!r}; add it to NAMED_DATES")
        out.append(
            {
                "list_date": day.isoformat(),
                "reported_on": r["readme_date"],
                "source_sheet": sheet,
                "state": state_code(r["state"]),
                "state_as_listed": r["state"],
                "TFM": r["task_force_model"],
                "WSO": r["warrant_service_officer"],
                "JEM": r["jail_enforcement_model"],
                "total": r["total"],
            }
        )
    with TARGET.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {len(out)} rows to {TARGET}")


if __name__ == "__main__":
    main()
