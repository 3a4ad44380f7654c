"""Real places for trace tests. Agreements are built from ICE's participating-agencies workbook of
18 May 2026 (../shared/reference/ice-287g/participating/participatingAgencies05182026am.xlsx)."""

from __future__ import annotations

import datetime as dt

from sharemap.kb.model import Agreement, AgreementStatus, Model287g
from sharemap.ledger import geo
from sharemap.ledger.place import county_place

LISTED = dt.date(2026, 5, 18)
DAY = dt.date(2026, 5, 20)


def agreement(agency: str, state: str, model: Model287g, signed: dt.date) -> Agreement:
    return Agreement(
        agreement_id=f"{state}-{agency}-{model.short}",
        agency_id=f"{state}-{agency}",
        agency_name=agency,
        state=state,
        model=model,
        signed=signed,
        status=AgreementStatus.ACTIVE,
        first_seen=signed,
        last_seen=LISTED,
    )


# Collier County, FL: Collier County Sheriff's Office, JEM signed 2020-06-09, TFM signed 2025-02-24.
COLLIER = county_place(geo.county_by_name("12021"))
COLLIER_AGREEMENTS = (
    agreement("Collier County Sheriff's Office", "FL", Model287g.JEM, dt.date(2020, 6, 9)),
    agreement("Collier County Sheriff's Office", "FL", Model287g.TFM, dt.date(2025, 2, 24)),
)
# Cook County, IL: no agency on ICE's list.
COOK = county_place(geo.county_by_name("17031"))
# Yuma County, AZ: only Yuma County Sheriff's Office, WSO signed 2025-06-03.
YUMA = county_place(geo.county_by_name("04027"))
YUMA_AGREEMENTS = (agreement("Yuma County Sheriff's Office", "AZ", Model287g.WSO, dt.date(2025, 6, 3)),)
