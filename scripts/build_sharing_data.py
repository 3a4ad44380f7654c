"""Rebuild src/sharemap/data/sharing/*.parquet from ../shared/reference/alpr/ (plate-reader sharing).

Usage (from the checkout, with the project's venv):

    .venv/bin/python scripts/build_sharing_data.py

Reads the archived transparency-portal snapshots (flock-portals/sm-alpr/<slug>/<date>.json), the
archive's agency registry (geography only) and the Santa Clara network-audit aggregates with the
package's own readers, and writes them unchanged in four compact tables (see PROVENANCE.md there).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sharemap import settings  # noqa: E402
from sharemap.sharing import store  # noqa: E402
from sharemap.sharing.portals import read_network_audit, read_registry, read_snapshots  # noqa: E402


def main() -> None:
    ref = settings.reference_dir() / "alpr"
    portals = ref / "flock-portals" / "sm-alpr"
    registry = read_registry(portals / "agency_registry.json")
    snapshots = read_snapshots(portals, registry)
    audit = read_network_audit(
        ref / "santa-clara-network-audit" / "agencies_top_extract.csv", "Santa Clara CA PD", "CA"
    )
    store.write_shipped(snapshots, registry, audit, relative_to=settings.reference_dir())
    portals_n = len({s.slug for s in snapshots})
    print(f"{len(snapshots)} snapshots of {portals_n} portals; {len(registry)} registry keys")


if __name__ == "__main__":
    main()
