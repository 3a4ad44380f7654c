"""Geography: states, counties, and placing every agency on ICE's 287(g) lists."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from sharemap.errors import InputError, NotFoundError
from sharemap.kb.model import AgencyKind
from sharemap.ledger import geo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "geo" / "ice_agencies.csv"

# The number of distinct agencies (state + normalised name) that cannot be placed; docs/geography.md
# lists each with its reason. Raise it only with a reason written there.
MAX_UNMAPPED_AGENCIES = 40


# --------------------------------------------------------------------------- states


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ALABAMA", "AL"),
        ("Alabama ", "AL"),
        ("AL", "AL"),
        ("al", "AL"),
        ("Guam", "GU"),
        ("NORTHERN MARIANA ISLANDS", "MP"),
        ("CNMI", "MP"),
        ("District of Columbia", "DC"),
        ("WEST VIRGINIA", "WV"),
        ("VIRGINIA", "VA"),
        ("66", "GU"),
        ("01", "AL"),
        # ICE's own misspellings
        ("PENNSLYVANIA", "PA"),
        ("WEST VIRIGINIA", "WV"),
        ("WEST VIRIGINA", "WV"),
        ("MCHIGAN", "MI"),
        ("UTAHJ", "UT"),
    ],
)
def test_state_code(raw: str, code: str) -> None:
    assert geo.state_code(raw) == code


@pytest.mark.parametrize("raw", ["", "   ", "Atlantis", "XX", "Dakota Territory", "99"])
def test_state_code_unknown(raw: str) -> None:
    with pytest.raises(InputError, match="state"):
        geo.state_code(raw)


# --------------------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("name", "ice_type", "kind"),
    [
        ("Autauga County Sheriff's Office ", "County ", AgencyKind.SHERIFF),
        ("Jacksonville Sheriff's Office", None, AgencyKind.SHERIFF),
        ("Kodiak Police Department", None, AgencyKind.POLICE),
        ("New Berlin Marshal's Office", "Muncipality", AgencyKind.POLICE),
        ("Center Line Division of Public Safety and Security", "State", AgencyKind.POLICE),
        ("University of Florida Police Department", "State Agency", AgencyKind.POLICE),
        ("Sanford Airport Police Department", "Municipality", AgencyKind.POLICE),
        ("Department of Corrections", None, AgencyKind.CORRECTIONS),
        ("Nebraska Department of Correctional Services", "State", AgencyKind.CORRECTIONS),
        ("Wicomico County Corrections Center", "State", AgencyKind.CORRECTIONS),
        ("Albemarle District Jail", "County", AgencyKind.CORRECTIONS),
        ("Florida Highway Patrol", "State Agency", AgencyKind.STATE_AGENCY),
        ("Arkansas State Police", None, AgencyKind.STATE_AGENCY),
        ("Kansas Bureau of Investigation", None, AgencyKind.STATE_AGENCY),
        ("Florida Department of Law Enforcement", "State Agency", AgencyKind.STATE_AGENCY),
        ("Texas National Guard", "State Agency", AgencyKind.STATE_AGENCY),
        ("Florida Fish and Wildlife Conservation Commission", "#N/A", AgencyKind.STATE_AGENCY),
        ("Liberty County Constable Precinct 2", "Municipality", AgencyKind.OTHER),
        ("Somerset County District Attorney'S Office", "County", AgencyKind.OTHER),
        ("Office of the State Attorney Sixth Judicial Circuit", "State", AgencyKind.OTHER),
        ("16th Judicial Distric Drug Task Force", "State Agency", AgencyKind.OTHER),
    ],
)
def test_classify_kind(name: str, ice_type: str | None, kind: AgencyKind) -> None:
    assert geo.classify_kind(name, ice_type) == kind


# --------------------------------------------------------------------------- counties


def test_counties_table() -> None:
    rows = geo.counties()
    assert len(rows) == 3144  # 3,143 counties and equivalents + DC; retired codes skipped
    assert len({c.fips for c in rows}) == len(rows)
    assert all(len(c.fips) == 5 and c.fips.isdigit() and len(c.state) == 2 for c in rows)
    harris = geo.county_by_name("48201")
    assert harris.population and harris.population > 4_000_000
    assert harris.hispanic and harris.foreign_born and harris.foreign_born_pct
    ct = [c for c in rows if c.state == "CT"]
    assert len(ct) == 9 and all(c.unit_type == "CT planning region" for c in ct)


@pytest.mark.parametrize(
    ("text", "fips"),
    [
        ("Harris County, TX", "48201"),
        ("Harris, TX", "48201"),
        ("Harris County, Texas", "48201"),
        ("48201", "48201"),
        ("Baltimore city, MD", "24510"),
        ("Baltimore County, MD", "24005"),
        ("Baltimore, MD", "24005"),
        ("Saint Marys, MD", "24037"),
        ("St. Mary's County, MD", "24037"),
        ("Doña Ana County, NM", "35013"),
        ("Dona Ana, NM", "35013"),
        ("St. Landry Parish, LA", "22097"),
        ("Saint Landry County, LA", "22097"),
        ("Capitol Planning Region, CT", "09110"),
        ("Kodiak Island Borough, AK", "02150"),
        ("Juneau, AK", "02110"),
        ("Hopewell city, VA", "51670"),
        ("St. Louis city, MO", "29510"),
        ("Los Angeles County", "06037"),
        ("  harris   county , tx ", "48201"),
    ],
)
def test_county_by_name(text: str, fips: str) -> None:
    assert geo.county_by_name(text).fips == fips


def test_county_by_name_suggests_close_matches() -> None:
    with pytest.raises(NotFoundError, match="did you mean Harris County, TX"):
        geo.county_by_name("Hariss County, TX")
    with pytest.raises(NotFoundError, match="add the state"):
        geo.county_by_name("Washington County")
    with pytest.raises(NotFoundError, match="planning regions"):
        geo.county_by_name("Fairfield County, CT")
    with pytest.raises(NotFoundError, match="99999"):
        geo.county_by_name("99999")
    with pytest.raises(InputError):
        geo.county_by_name("Harris County, Atlantis")


# --------------------------------------------------------------------------- hard cases


@pytest.mark.parametrize(
    ("name", "state", "ice_type", "county", "fips", "method"),
    [
        # county agencies: name first, spelling and unit words normalised
        (
            "Autauga County Sheriff's Office ",
            "ALABAMA",
            "County ",
            "Autauga County",
            "01001",
            "county in agency name",
        ),
        ("St. Lucie County Sheriff's Office", "FL", None, None, "12111", "county in agency name"),
        ("Ste. Genevieve County Sheriff's Office", "MO", None, None, "29186", "county in agency name"),
        ("Office of the Sheriff Prince George's County", "MD", None, None, "24033", "county in agency name"),
        ("Prince Georges County Sheriff", "MD", None, None, "24033", "county in agency name"),
        ("Doña Ana County Sheriff's Office", "NM", None, None, "35013", "county in agency name"),
        ("City and County of Denver Sheriff Department", "CO", None, None, "08031", "county in agency name"),
        ("Athens-Clarke County Police Department", "GA", None, None, "13059", "county in agency name"),
        ("Miami Dade Sheriff's Office", "FL", "County", None, "12086", "county in agency name"),
        (
            "Bradford County Sheriff's Office",
            "PA",
            "County",
            "Bedford County",
            "42015",
            "county in agency name",
        ),
        # parishes and boroughs
        ("St. Mary Parish Sheriff's Office", "LA", None, None, "22101", "county in agency name"),
        ("Lafourche Parish Sheriff's Office", "LOUISIANA", "County", None, "22057", "county in agency name"),
        (
            "Arnaudville Police Department",
            "LOUISIANA",
            "Municipal",
            "Saint Landry County",
            "22097",
            "county column",
        ),
        ("Kenner Police Department", "LA", "Municipality", "N/A", "22051", "place table"),
        ("Fairbanks North Star Borough Police", "AK", None, None, "02090", "county in agency name"),
        ("Kodiak Police Department", "ALASKA", None, None, "02150", "place table"),
        ("Anchorage Police Department", "AK", None, None, "02020", "county in agency name"),
        ("Juneau Police Department", "AK", None, None, "02110", "county in agency name"),
        # independent cities
        (
            "Hopewell Sheriff's Office",
            "VIRGINIA",
            "Municipality",
            "Hopewell County",
            "51670",
            "county column",
        ),
        ("Hopewell Sheriff's Office", "VIRGINIA", None, None, "51670", "county in agency name"),
        ("City of Virginia Beach Sheriff's Office", "VA", None, None, "51810", "county in agency name"),
        ("Fairfax Police Department", "VA", None, None, "51600", "county in agency name"),
        ("Fairfax County Police Department", "VA", None, None, "51059", "county in agency name"),
        ("Baltimore City Sheriff's Office", "MD", None, None, "24510", "county in agency name"),
        ("Baltimore County Sheriff's Office", "MD", None, None, "24005", "county in agency name"),
        # Connecticut: towns and cities land in planning regions
        ("Danbury Police Department", "CT", "Municipality", None, "09190", "place table"),
        ("Hartford Police Department", "CT", None, None, "09110", "place table"),
        ("Milford Police Department", "CT", None, None, "09170", "place table"),
        # COUNTY column with ICE's spelling slips
        ("Angola Police Department", "INDIANA", "Muncipality", "Stueben County", "18151", "county column"),
        ("New Berlin Marshal's Office", "TEXAS", "Muncipality", "Guadalupe Conty", "48187", "county column"),
        (
            "Butler Township Police Department",
            "PENNSYLVANIA",
            "Municipality",
            "Luzerne County",
            "42079",
            "county column",
        ),
        # place table: "St." names, completions and misspellings, townships, boroughs
        ("St. Petersburg Police Department", "FL", None, None, "12103", "place table"),
        ("Panama City Beach Police Dept.", "FLORIDA", "Municipality", None, "12005", "place table"),
        ("Sunny Isles Police Department", "FL", "Municipality", "#N/A", "12086", "place table"),
        ("Pittsburgh Police Department", "NEW HAMPSHIRE", "Municipality", None, "33007", "place table"),
        ("New Port Richey Polce Department", "FL", None, None, "12101", "place table"),
        ("Catawissa Borough Police Department", "PA", None, None, "42037", "place table"),
        ("Rochester Borough Police Department", "PA", None, None, "42007", "place table"),
        ("Lower Burrell Fourth Ward Constable", "PA", "Municipality", None, "42129", "place table"),
        ("Boston Police Department", "MA", None, None, "25025", "place table"),
        ("Winston-Salem Police Department", "NC", None, None, "37067", "place table"),
        ("Nashville Police", "TN", None, None, "47037", "place table"),
        ("Louisville Metro Police Department", "KY", None, None, "21111", "place table"),
        ("Indianapolis Metropolitan Police Department", "IN", None, None, "18097", "place table"),
        # multi-county body with one county named
        (
            "16th Judicial Distric Drug Task Force",
            "ARKANSAS",
            "State Agency",
            "Independence County",
            "05063",
            "county column",
        ),
    ],
)
def test_locate_hard_cases(
    name: str, state: str, ice_type: str | None, county: str | None, fips: str, method: str
) -> None:
    p = geo.locate(name, state, ice_type, county)
    assert (p.county_fips, p.method) == (fips, method), p
    assert not p.statewide and p.reason is None and p.mapped
    assert p.county_name == geo.county_by_name(fips).name


def test_multi_county_city_records_every_county() -> None:
    p = geo.locate("Houston Police Department", "TX", "Municipality", None)
    assert p.county_fips == "48201" and p.place_name == "Houston city"
    assert set(p.spans_counties) == {"48201", "48157", "48339", "48473"}
    assert p.note and "spans 4 counties" in p.note and "Fort Bend County" in p.note
    # ICE's COUNTY, when it names one of the place's counties, decides
    assert (
        geo.locate("Stamford Police Department", "TX", "Municipality", "Jones County").county_fips == "48253"
    )
    assert geo.locate("Stamford Police Department", "TX", "Municipality", None).spans_counties == (
        "48207",
        "48253",
    )


def test_territories_are_territory_wide() -> None:
    for name, state in [
        ("Office Of The Attorney General", "GUAM"),
        ("CNMI Department of Public Safety", "NORTHERN MARIANA ISLANDS"),
        ("CNMI Department of Corrections", "NORTHERN MARIANA ISLANDS"),
    ]:
        p = geo.locate(name, state, "State", "Kattan District")
        assert p.statewide and p.county_fips is None and p.method == "territory-wide agency"
    assert geo.locate("CNMI Department of Corrections", "MP", "State", None).kind == AgencyKind.CORRECTIONS


def test_state_agencies_are_statewide() -> None:
    p = geo.locate("Arkansas Department of Corrections", "ARKANSAS", "State", "Pulaksi County")
    assert p.statewide and p.county_fips is None and p.method == "statewide agency"
    assert p.kind == AgencyKind.CORRECTIONS and p.note and "headquarters" in p.note
    for name in ["Florida Highway Patrol", "Iowa Dept. of Public Safety", "MT Dept of Justice"]:
        assert geo.locate(
            name, "FL" if "Florida" in name else name.split()[0], "State Agency", None
        ).statewide
    # a municipal body typed "State" by ICE is not statewide
    assert geo.locate("City of Miami Police Department", "FL", "State", "#NA").county_fips == "12086"


@pytest.mark.parametrize(
    ("name", "state", "ice_type", "county", "why"),
    [
        ("Derry Township Constable's Office", "PA", "Municipality", "#N/A", "matches 4 places"),
        ("Office of the State Attorney Sixth Judicial Circuit", "FL", "State", "#NA", "multi-county"),
        ("Rappahannock, Shenandoah, Warren Regional Jail Authority", "VA", "County", "#NA", "multi-county"),
        (
            "Crow Wing County Sheriff's Office",
            "MASSACHUSETTS",
            "County",
            "Crow Wing County",
            "Crow Wing County, MN",
        ),
        ("Spaulding County Sheriff's Office", "GA", "County", None, "Spalding County, GA"),
        ("University of Florida Police Department", "FL", "State Agency", "#N/A", "campus"),
        ("St. Louis Sheriff's Office", "MO", None, None, "fits both"),
        ("Pembroke Police Department", "FL", "Municipality", None, "Pembroke Pines city"),
    ],
)
def test_unmapped_carry_a_reason(
    name: str, state: str, ice_type: str | None, county: str | None, why: str
) -> None:
    p = geo.locate(name, state, ice_type, county)
    assert not p.mapped and p.county_fips is None and p.method is None
    assert p.reason and why in p.reason


def test_conflicting_county_column_is_flagged() -> None:
    p = geo.locate("Cherokee Police Department", "ALABAMA", "Municipality", "Cherokee County")
    assert p.county_fips == "01019" and p.method == "county column"
    assert p.note and "Colbert County" in p.note


def test_locate_rejects_bad_input() -> None:
    with pytest.raises(InputError):
        geo.locate("Kodiak Police Department", "Atlantis")
    with pytest.raises(InputError):
        geo.locate("  ", "AK")


# --------------------------------------------------------------------------- coverage of every list


def _fixture_rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_agency_on_every_list_is_placed_or_explained() -> None:
    rows = _fixture_rows()
    assert len(rows) == 2474
    unmapped: dict[tuple[str, str], str] = {}
    methods: Counter[str] = Counter()
    agencies: set[tuple[str, str]] = set()
    placed: set[tuple[str, str]] = set()
    for r in rows:
        p = geo.locate(r["agency"], r["state"], r["ice_type"] or None, r["county"] or None)
        key = (p.state, geo.name_key(r["agency"]))
        agencies.add(key)
        methods[p.method or "unmapped"] += 1
        if p.mapped:
            placed.add(key)
        if p.statewide:
            assert p.county_fips is None and p.method in {"statewide agency", "territory-wide agency"}
        elif p.county_fips:
            county = geo.county_by_name(p.county_fips)
            assert county.state == p.state, (r, p)
            assert p.method is not None and p.reason is None
        else:
            assert p.reason, r
            unmapped[key] = p.reason
    assert len(agencies) >= 1700  # 1,748 at the time of writing
    assert methods["county in agency name"] > 1200 and methods["place table"] > 300
    # an agency counts as unmapped when none of its rows (TYPE and COUNTY vary across lists) is placed
    never = {k: v for k, v in unmapped.items() if k not in placed}
    assert len(never) <= MAX_UNMAPPED_AGENCIES, sorted(never.items())


def test_place_table_agrees_with_ices_county_column() -> None:
    """Where ICE gives a county for a municipal agency, the place table alone finds the same county."""
    agree = disagree = 0
    for r in _fixture_rows():
        county = r["county"].strip()
        if r["ice_type"].lower().startswith("mun") is False or county.upper() in geo.MISSING_VALUES:
            continue
        with_column = geo.locate(r["agency"], r["state"], r["ice_type"], county)
        if with_column.method != "county column":
            continue
        alone = geo.locate(r["agency"], r["state"], r["ice_type"], None)
        if alone.method != "place table":
            continue
        if with_column.county_fips in (alone.spans_counties or (alone.county_fips,)):
            agree += 1
        else:
            disagree += 1
    assert agree > 450
    assert disagree / (agree + disagree) < 0.03  # 5 of 496 at the time of writing: slips in ICE's COUNTY


def test_shipped_tables_have_provenance() -> None:
    text = (geo.GEO_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "bdurand/us_geo" in text and "31592c0909eede782c00e1181011320a2a7ab2e1" in text
    assert "public domain" in text and "MIT" in text
    with geo.PLACES_FILE.open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header == [
        "state",
        "geoid",
        "name",
        "entity",
        "funcstat",
        "county_fips",
        "counties",
        "county_source",
    ]


def test_locate_is_an_ordered_list_of_named_strategies() -> None:
    names = [name for name, _ in geo.STRATEGIES]
    assert names == [
        "territory-wide agency",
        "state-level agency",
        "county in the agency name",
        "ICE's county column",
        "multi-county body",
        "sheriff named after its county",
        "independent city",
        "Census place",
        "campus city",
        "typed a state agency by ICE",
    ]
    # the first strategy that decides wins: a state agency is statewide before ICE's county is read
    placed = geo.locate("Florida Highway Patrol", "FL", "State Agency", "Leon County")
    assert (
        placed.statewide
        and placed.method == "statewide agency"
        and placed.note == "ICE lists Leon County (headquarters)"
    )
