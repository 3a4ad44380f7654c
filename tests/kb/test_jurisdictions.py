"""The one jurisdiction list agrees with the shipped Census county table and is the list every layer uses."""

from __future__ import annotations

import csv

from sharemap.kb.jurisdictions import codes, jurisdiction, jurisdictions, law_jurisdictions, name_of
from sharemap.ledger import geo
from sharemap.settings import DATA_DIR


def test_fifty_states_dc_and_five_territories() -> None:
    kinds = [j.kind for j in jurisdictions()]
    assert (kinds.count("state"), kinds.count("district"), kinds.count("territory")) == (50, 1, 5)
    assert {j.code for j in jurisdictions() if j.kind == "territory"} == {"AS", "GU", "MP", "PR", "VI"}
    assert len(codes()) == 56


def test_fips_codes_agree_with_the_census_county_table() -> None:
    with (DATA_DIR / "geo" / "counties.csv").open(encoding="utf-8", newline="") as f:
        seen = {(r["state"], r["fips"][:2]) for r in csv.DictReader(f) if r["state"]}
    assert len(seen) == 51  # every state and DC (the county table holds no territory)
    for state, fips in seen:
        found = jurisdiction(state)
        assert found is not None and found.fips == fips, (state, fips)


def test_the_law_rules_for_the_federal_layer_states_dc_and_puerto_rico() -> None:
    law = law_jurisdictions()
    assert law[0] == "US" and law[-1] == "PR" and len(law) == 53
    assert "GU" not in law and "DC" in law
    assert law.index("DE") < law.index("DC") < law.index("FL")  # by name: Delaware, District of Columbia


def test_every_layer_reads_the_same_list() -> None:
    from sharemap.law.vocab import JURISDICTIONS
    from sharemap.sharing.orgs import STATE_CODES

    assert geo.state_codes() == codes() == STATE_CODES
    assert tuple(JURISDICTIONS) == law_jurisdictions()
    assert geo.state_code("District of Columbia") == "DC" and geo.state_code("72") == "PR"
    assert name_of("TX") == "Texas" and name_of("ZZ") == "ZZ"


def test_the_table_agrees_with_the_us_package() -> None:
    """The shipped table was transcribed through the `us` package; it must still agree with it."""
    import us

    theirs = {(s.abbr, s.name, s.fips) for s in us.states.STATES_AND_TERRITORIES}
    assert {(j.code, j.name, j.fips) for j in jurisdictions()} == theirs
