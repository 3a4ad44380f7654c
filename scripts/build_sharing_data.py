"""Rebuild src/sharemap/data/sharing/*.parquet from ../shared/reference/alpr/ (plate-reader sharing).

Usage (from the checkout, with the project's venv):

    .venv/bin/python scripts/build_sharing_data.py

Reads the archived transparency-portal snapshots (flock-portals/sm-alpr/<slug>/<date>.json), the
national scrape of 2025-06-11 (flock-portals/national-2025-06-11/*.xlsx, one snapshot per portal),
the archive's agency registry (geography only), the Santa Clara network-audit aggregates and the California
portals' own-search audits (aggregated per portal: no reason text, no user) with the package's own
readers, and writes them in five compact tables (see PROVENANCE.md there).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sharemap import settings  # noqa: E402
from sharemap.sharing import store  # noqa: E402
from sharemap.sharing.portals import read_network_audit, read_registry, read_snapshots  # noqa: E402
from sharemap.sharing.search_audits import read_search_audits  # noqa: E402
from sharemap.sharing.workbook import read_workbook  # noqa: E402

NATIONAL = "flock-portals/national-2025-06-11/flock_all_public_6-11-2025.xlsx"
SEARCHES = "ca-portal-search-audits/ca_portal_search_audits_2026-02_to_04.csv"


def main() -> None:
    ref = settings.reference_dir() / "alpr"
    portals = ref / "flock-portals" / "sm-alpr"
    registry = read_registry(portals / "agency_registry.json")
    national = read_workbook(ref / NATIONAL, registry)
    snapshots = read_snapshots(portals, registry) + national
    audit = read_network_audit(
        ref / "santa-clara-network-audit" / "agencies_top_extract.csv", "Santa Clara CA PD", "CA"
    )
    store.write_shipped(snapshots, registry, audit, relative_to=settings.reference_dir())
    searches = read_search_audits(ref / SEARCHES)
    for s in searches:  # cite the reference file relative to the reference folder, like the others
        s.source = str(Path(s.source).relative_to(settings.reference_dir()))
    store.write_search_audits(searches)
    portals_n = len({s.slug for s in snapshots})
    print(
        f"{len(snapshots)} snapshots of {portals_n} portals ({len(national)} from the national scrape); "
        f"{len(registry)} registry keys; own-search audits of {len(searches)} portals"
    )


if __name__ == "__main__":
    main()
