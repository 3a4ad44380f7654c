"""Rebuild the geography tables shipped in src/sharemap/data/geo/ and the geo test fixture.

Usage (from the checkout, with the project's venv):

    .venv/bin/python scripts/build_geo_data.py counties   # copy ../shared/reference/county/counties.csv
    .venv/bin/python scripts/build_geo_data.py places DIR  # place->county table from the files in DIR
    .venv/bin/python scripts/build_geo_data.py agencies   # distinct agencies on all ICE lists (fixture)

DIR holds the six files named in US_GEO_FILES, by base name, taken from a clone of the public
repository bdurand/us_geo at US_GEO_COMMIT (for example `git show COMMIT:PATH > DIR/NAME`).

Every table written here is described, with its provenance, in src/sharemap/data/geo/PROVENANCE.md
and docs/geography.md. Nothing in this script types a FIPS code by hand: codes come only from the
Census files read.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEO_DIR = ROOT / "src" / "sharemap" / "data" / "geo"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "geo"
REFERENCE = ROOT.parent / "shared" / "reference"


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def build_agencies() -> Path:
    """Distinct (list, state, agency, type, county) over every participating and pending workbook."""
    import openpyxl

    seen: dict[tuple[str, str, str, str], list[str]] = {}
    for kind in ("participating", "pending"):
        files = sorted((REFERENCE / "ice-287g" / kind).glob("*.xlsx"))
        for path in files:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            header: dict[str, int] | None = None
            for row in ws.iter_rows(values_only=True):
                cells = [_clean(c) for c in row]
                if header is None:
                    upper = [c.upper() for c in cells]
                    if "STATE" in upper and any("AGENCY" in c for c in upper):
                        header = {c: i for i, c in enumerate(upper) if c}
                    continue
                agency_col = next(i for c, i in header.items() if "AGENCY" in c)
                state = cells[header["STATE"]] if header["STATE"] < len(cells) else ""
                agency = cells[agency_col] if agency_col < len(cells) else ""
                if not state or not agency or state.upper() == "STATE":
                    continue
                ice_type = cells[header["TYPE"]] if "TYPE" in header and header["TYPE"] < len(cells) else ""
                county = (
                    cells[header["COUNTY"]] if "COUNTY" in header and header["COUNTY"] < len(cells) else ""
                )
                key = (state.upper(), agency, ice_type, county)
                entry = seen.setdefault(key, [kind, path.name, path.name])
                if kind not in entry[0]:
                    entry[0] = "participating+pending"
                entry[2] = path.name
            wb.close()
            print(kind, path.name, len(seen), file=sys.stderr)
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    out = FIXTURE_DIR / "ice_agencies.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["state", "agency", "ice_type", "county", "lists", "first_file", "last_file"])
        for key in sorted(seen):
            writer.writerow([*key, *seen[key]])
    return out


def _zcta_county_estimate(zcta_places: Path, zcta_counties: Path) -> dict[str, list[str]]:
    """Place -> counties ranked by estimated land area, through 2020 ZCTA relationships.

    Land of place p in county c is estimated as the sum over ZCTAs z of land(z & p) * land(z & c) /
    land(z). Used only for places GNIS gives no county (consolidated-city balances and a few CDPs).
    """
    zcta_land: dict[str, float] = {}
    zcta_county: dict[str, list[tuple[str, float]]] = {}
    with zcta_counties.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            land = float(row["Land Area"] or 0)
            zcta_county.setdefault(row["ZCTA5"], []).append((row["County GEOID"], land))
            zcta_land[row["ZCTA5"]] = zcta_land.get(row["ZCTA5"], 0.0) + land
    weights: dict[str, dict[str, float]] = {}
    with zcta_places.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            part = float(row["Land Area"] or 0)
            total = zcta_land.get(row["ZCTA5"], 0.0)
            if part <= 0 or total <= 0:
                continue
            for county, land in zcta_county.get(row["ZCTA5"], []):
                w = weights.setdefault(row["Place GEOID"], {})
                w[county] = w.get(county, 0.0) + part * land / total
    out: dict[str, list[str]] = {}
    for place, w in weights.items():
        total = sum(w.values())
        # keep counties with at least 5% of the estimated land: ZCTAs spill over county lines
        ranked = [c for c, v in sorted(w.items(), key=lambda kv: -kv[1]) if total > 0 and v >= 0.05 * total]
        if ranked:
            out[place] = ranked
    return out


def build_counties() -> Path:
    GEO_DIR.mkdir(parents=True, exist_ok=True)
    out = GEO_DIR / "counties.csv"
    shutil.copyfile(REFERENCE / "county" / "counties.csv", out)
    return out


US_GEO_REPO = "bdurand/us_geo"
US_GEO_COMMIT = "31592c0909eede782c00e1181011320a2a7ab2e1"
US_GEO_FILES = {
    "place_gazetteer": "data/raw/gazetteer/2025_Gaz_place_national.txt",
    "cousub_gazetteer": "data/raw/gazetteer/2025_Gaz_cousubs_national.txt",
    "gnis_places": "data/processed/gnis_places.csv",
    "gnis_place_counties": "data/processed/gnis_place_counties.csv",
    "zcta_places": "data/2020_dist/zcta_places.csv",
    "zcta_counties": "data/2020_dist/zcta_counties.csv",
}
# Functional status codes (Census): A active government, B/C partly active, S statistical (CDP),
# F fictitious (consolidated-city balance), I inactive, N non-functioning. Inactive and non-functioning
# entities have no police; keep the rest.
PLACE_FUNCSTAT = {"A", "B", "C", "S", "F"}
COUSUB_FUNCSTAT = {"A", "B", "C"}  # townships/towns that are governments (may have police)


def build_places(source: Path) -> Path:
    """Place->county table from the us_geo repository's copies of Census and USGS GNIS files.

    `source` is a folder holding the four files named in US_GEO_FILES (by their base names), taken
    from github.com/bdurand/us_geo at US_GEO_COMMIT. Each incorporated place and CDP of the 2025
    Census Gazetteer gets its primary county (the county of the GNIS record's first county sequence,
    i.e. the county holding the place's GNIS primary point) and every county it reaches (GNIS). Each
    active county subdivision (township, New England town) gets the county its 10-digit Census GEOID
    nests in.
    """
    files = {key: source / Path(rel).name for key, rel in US_GEO_FILES.items()}
    for key, path in files.items():
        if not path.exists():
            raise SystemExit(f"missing {key}: {path} (from {US_GEO_REPO}@{US_GEO_COMMIT})")
    by_gnis: dict[str, str] = {}
    by_geoid: dict[str, set[str]] = {}
    with files["gnis_places"].open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_gnis[row["GNIS ID"]] = row["County GEOID"]
            by_geoid.setdefault(row["GEOID"], set()).add(row["County GEOID"])
    all_counties: dict[str, list[str]] = {}
    with files["gnis_place_counties"].open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            all_counties.setdefault(row["Place GEOID"], []).append(row["County GEOID"])
    estimate = _zcta_county_estimate(files["zcta_places"], files["zcta_counties"])
    out_rows: list[list[str]] = []
    with files["place_gazetteer"].open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="|"):
            if row["FUNCSTAT"] not in PLACE_FUNCSTAT:
                continue
            geoid = row["GEOID"]
            gnis_id = str(int(row["ANSICODE"]))
            counties = list(dict.fromkeys(all_counties.get(geoid, [])))
            primary = by_gnis.get(gnis_id)
            how = "gnis primary county"
            if not primary:
                candidates = sorted(by_geoid.get(geoid, set()))
                if len(candidates) == 1:
                    primary, how = candidates[0], "gnis county by census code"
                elif len(counties) == 1:
                    primary, how = counties[0], "gnis only county"
                elif geoid in estimate:
                    ranked = estimate[geoid]
                    primary, how = ranked[0], "zcta land-area estimate"
                    counties = counties or ranked
                else:
                    primary, how = "", "no county in gnis"
            if primary and primary not in counties:
                counties.insert(0, primary)
            out_rows.append(
                [row["USPS"], geoid, row["NAME"], "place", row["FUNCSTAT"], primary, ";".join(counties), how]
            )
    with files["cousub_gazetteer"].open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="|"):
            if row["FUNCSTAT"] not in COUSUB_FUNCSTAT:
                continue
            geoid = row["GEOID"]
            out_rows.append(
                [
                    row["USPS"],
                    geoid,
                    row["NAME"],
                    "county subdivision",
                    row["FUNCSTAT"],
                    geoid[:5],
                    geoid[:5],
                    "census geoid",
                ]
            )
    GEO_DIR.mkdir(parents=True, exist_ok=True)
    out = GEO_DIR / "places.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["state", "geoid", "name", "entity", "funcstat", "county_fips", "counties", "county_source"]
        )
        writer.writerows(sorted(out_rows))
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command = argv[0]
    if command == "agencies":
        print(build_agencies())
    elif command == "places" and len(argv) == 2:
        print(build_places(Path(argv[1])))
    elif command == "counties":
        print(build_counties())
    else:
        print(f"unknown command {command!r}\n{__doc__}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
