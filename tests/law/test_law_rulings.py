"""Question -> expected ruling, each naming the provision that decides it.

Together the cases cover every jurisdiction that has a provision file and every action.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sharemap.errors import InputError
from sharemap.law import Action, Context, Effect, default_law, rule
from sharemap.law.vocab import Verification

P, R, C, A, N, U = (
    Effect.PROHIBITED,
    Effect.REQUIRED,
    Effect.PERMITTED_WITH_CONDITIONS,
    Effect.PERMITTED,
    Effect.NO_PROVISION,
    Effect.NOT_RESEARCHED,
)
DET = {"legal_process": "detainer"}

# (jurisdiction, actor, action, date, context, expected effect, provision that must decide it or None)
CASES: list[tuple[str, str, str, str, dict[str, Any], Effect, str | None]] = [
    # Illinois
    ("IL", "sheriff", "hold_on_detainer", "2024-06-01", DET, P, "IL-5ILCS805-15a-detainer"),
    (
        "IL",
        "sheriff",
        "hold_on_detainer",
        "2024-06-01",
        {"legal_process": "federal_criminal_warrant"},
        C,
        "IL-5ILCS805-15a-detainer",
    ),
    ("IL", "sheriff", "hold_on_detainer", "2017-08-27", DET, C, "US-8CFR287.7-detainers"),
    ("IL", "sheriff", "hold_on_detainer", "2017-08-28", DET, P, "IL-5ILCS805-15a-detainer"),
    ("IL", "local_police", "notify_release", "2023-01-01", {}, P, "IL-5ILCS805-15-wayforward"),
    # re-verified 2026-12-03: since 2017 5 ILCS 805/15(a) with the 805/10 definition of "immigration
    # detainer" ("provide notice of release or maintain custody") bars answering a notice request made by
    # detainer or civil immigration warrant; a request with no document is outside it, hence "with conditions"
    ("IL", "sheriff", "notify_release", "2021-06-01", {}, C, "IL-5ILCS805-15a-notice-requests"),
    ("IL", "sheriff", "notify_release", "2021-06-01", DET, P, "IL-5ILCS805-15a-notice-requests"),
    (
        "IL",
        "plate_reader_operator",
        "share_alpr_immigration",
        "2024-06-01",
        {},
        P,
        "IL-625ILCS5-2-130-ALPR-immigration",
    ),
    (
        "IL",
        "plate_reader_operator",
        "share_alpr_out_of_state",
        "2024-06-01",
        {"purpose": "criminal_investigation"},
        P,
        "IL-625ILCS5-2-130-ALPR-out-of-state",
    ),
    (
        "IL",
        "plate_reader_operator",
        "share_alpr_out_of_state",
        "2024-06-01",
        {"purpose": "criminal_investigation", "written_assurance": True},
        C,
        "IL-625ILCS5-2-130-ALPR-out-of-state",
    ),
    ("IL", "plate_reader_operator", "share_alpr_federal", "2023-12-31", {}, N, None),
    ("IL", "local_police", "share_immigration_status", "2024-06-01", {}, A, "US-8USC1373-status-info"),
    (
        "IL",
        "local_police",
        "share_personal_info",
        "2024-06-01",
        {"data": "immigration_status"},
        A,
        "US-8USC1373-status-info",
    ),
    (
        "IL",
        "local_police",
        "share_personal_info",
        "2024-06-01",
        {"data": "address"},
        P,
        "IL-5ILCS805-15-wayforward",
    ),
    ("IL", "sheriff", "ask_immigration_status", "2024-06-01", {}, P, "IL-5ILCS805-15-status"),
    ("IL", "local_government", "detention_contract", "2024-06-01", {}, P, "IL-5ILCS805-15-wayforward"),
    # Texas
    ("TX", "sheriff", "hold_on_detainer", "2024-06-01", DET, R, "TX-CCP2.251-detainers"),
    ("TX", "sheriff", "hold_on_detainer", "2017-08-31", DET, C, "US-8CFR287.7-detainers"),
    ("TX", "sheriff", "enter_287g_tfm", "2025-12-31", {}, C, "US-8USC1357g-agreements"),
    # SB 8: the sheriff must hold one agreement and chooses the model; no single model is required
    ("TX", "sheriff", "enter_287g_any", "2026-01-01", {}, R, "TX-GOV753-SB8-287g"),
    ("TX", "sheriff", "enter_287g_jem", "2026-01-01", {}, C, "TX-GOV753-SB8-287g"),
    ("TX", "local_government", "adopt_limiting_policy", "2024-06-01", {}, P, "TX-GOV752.053-no-limits"),
    # California
    ("CA", "local_police", "share_alpr_federal", "2024-06-01", {}, P, "CA-CIV1798.90.55-ALPR"),
    ("CA", "plate_reader_operator", "share_alpr_out_of_state", "2024-06-01", {}, P, "CA-CIV1798.90.55-ALPR"),
    (
        "CA",
        "plate_reader_operator",
        "share_alpr_immigration",
        "2024-06-01",
        {"recipient": "in_state"},
        N,
        None,
    ),
    ("CA", "sheriff", "hold_on_detainer", "2018-01-01", DET, P, "CA-GOV7284.6-a1B-hold"),
    ("CA", "sheriff", "hold_on_detainer", "2017-12-31", DET, C, "US-8CFR287.7-detainers"),
    ("CA", "sheriff", "notify_release", "2024-06-01", {}, P, "CA-GOV7284.6-a1C-release"),
    (
        "CA",
        "sheriff",
        "notify_release",
        "2024-06-01",
        {"listed_conviction": True},
        C,
        "CA-GOV7284.6-a1C-release",
    ),
    # re-verified 2026-12-03: Gov. Code 7284.4(h)-(i) define the "judicial warrant" of 7284.6(a)(4) as one
    # issued by a federal judge or federal magistrate judge; a state judge's warrant does not authorise it
    (
        "CA",
        "sheriff",
        "transfer_custody",
        "2024-06-01",
        {"legal_process": "judicial_warrant"},
        P,
        "CA-GOV7284.6-a4-transfer",
    ),
    (
        "CA",
        "sheriff",
        "transfer_custody",
        "2024-06-01",
        {"legal_process": "federal_judicial_warrant"},
        C,
        "CA-GOV7284.6-a4-transfer",
    ),
    ("CA", "sheriff", "transfer_custody", "2024-06-01", DET, P, "CA-GOV7284.6-a4-transfer"),
    ("CA", "sheriff", "give_jail_access", "2017-06-01", {}, P, "CA-GOV7283.1-TRUTH-interviews"),
    (
        "CA",
        "sheriff",
        "give_jail_access",
        "2017-06-01",
        {"consent": True},
        C,
        "CA-GOV7283.1-TRUTH-interviews",
    ),
    (
        "CA",
        "local_police",
        "ask_immigration_status",
        "2024-06-01",
        {"purpose": "criminal_investigation"},
        A,
        "US-8USC1357g10-cooperation",
    ),
    ("CA", "local_police", "ask_immigration_status", "2024-06-01", {}, P, "CA-GOV7284.6-a1A-status"),
    ("CA", "local_police", "give_database_access", "2020-01-01", {}, P, "CA-GOV-CLETS-AB1747-immigration"),
    (
        "CA",
        "local_police",
        "share_personal_info",
        "2024-06-01",
        {"data": "address"},
        P,
        "CA-GOV7284.6-a1D-personal",
    ),
    ("CA", "sheriff", "enter_287g_wso", "2024-06-01", {}, P, "CA-GOV7284.6-a1G-287g"),
    # New York
    ("NY", "dmv", "disclose_dmv_record", "2024-06-01", {}, P, "NY-VTL201-12-greenlight"),
    (
        "NY",
        "dmv",
        "disclose_dmv_record",
        "2024-06-01",
        {"legal_process": "federal_judicial_warrant"},
        C,
        "NY-VTL201-12-greenlight",
    ),
    (
        "NY",
        "dmv",
        "disclose_dmv_record",
        "2024-06-01",
        {"legal_process": "judicial_warrant"},
        P,
        "NY-VTL201-12-greenlight",
    ),
    ("NY", "dmv", "disclose_dmv_record", "2019-12-13", {}, C, "US-18USC2721-DPPA"),
    ("NY", "dmv", "disclose_dmv_record", "2024-06-01", {"recipient": "in_state"}, C, "US-18USC2721-DPPA"),
    # Kentucky's DMV law was not researched: the federal DPPA is listed, the state's answer unknown
    ("KY", "dmv", "disclose_dmv_photo", "2024-06-01", {}, U, "US-18USC2721-DPPA"),
    # Maryland
    ("MD", "sheriff", "enter_287g_jem", "2025-06-01", {}, C, "US-8USC1357g-agreements"),
    ("MD", "sheriff", "enter_287g_jem", "2026-03-01", {}, P, "MD-SB245-HB444-2026-287g"),
    ("MD", "sheriff", "enter_287g_jem", "2026-02-17", {}, P, "MD-SB245-HB444-2026-287g"),
    ("MD", "dmv", "disclose_dmv_record", "2024-06-01", {}, C, "US-18USC2721-DPPA"),
    # Washington
    ("WA", "sheriff", "hold_on_detainer", "2020-06-01", DET, P, "WA-RCW10.93.160-holds"),
    (
        "WA",
        "sheriff",
        "hold_on_detainer",
        "2020-06-01",
        {"legal_process": "judicial_warrant"},
        C,
        "WA-RCW10.93.160-holds",
    ),
    ("WA", "dmv", "disclose_dmv_record", "2024-06-01", {}, P, "WA-RCW43.17.425-state-agencies"),
    ("WA", "plate_reader_operator", "share_alpr_federal", "2026-04-01", {}, P, "WA-SB6002-ALPR"),
    ("WA", "plate_reader_operator", "share_alpr_federal", "2026-03-29", {}, N, None),
    (
        "WA",
        "local_police",
        "ask_immigration_status",
        "2024-06-01",
        {"purpose": "criminal_investigation"},
        C,
        "WA-RCW10.93.160-status",
    ),
    ("WA", "sheriff", "enter_287g_jem", "2024-06-01", {}, P, "WA-RCW10.93.160-287g"),
    # Oregon
    ("OR", "local_police", "use_resources", "2024-06-01", {}, P, "OR-ORS181A.820-resources"),
    ("OR", "sheriff", "notify_release", "2021-07-19", {}, P, "OR-ORS181A.826-no-support"),
    ("OR", "sheriff", "notify_release", "2021-07-18", {}, A, "US-8USC1357g10-cooperation"),
    ("OR", "sheriff", "enter_287g_wso", "2022-01-01", {}, P, "OR-ORS181A.829-agreements"),
    ("OR", "dmv", "disclose_dmv_record", "2018-01-01", {}, P, "OR-ORS180.805-addresses"),
    ("OR", "local_police", "ask_immigration_status", "2022-01-01", {}, P, "OR-ORS181A.823-status"),
    # Colorado
    ("CO", "sheriff", "hold_on_detainer", "2020-01-01", DET, P, "CO-CRS24-76.6-102-detainers"),
    (
        "CO",
        "sheriff",
        "hold_on_detainer",
        "2020-01-01",
        {"legal_process": "federal_judicial_warrant"},
        C,
        "CO-CRS24-76.6-102-detainers",
    ),
    ("CO", "dmv", "disclose_dmv_photo", "2022-01-01", {}, P, "CO-CRS24-74-PII"),
    ("CO", "local_government", "detention_contract", "2024-01-01", {}, P, "CO-HB23-1100-detention"),
    ("CO", "local_government", "detention_contract", "2023-12-31", {}, U, None),
    ("CO", "sheriff", "give_jail_access", "2025-09-01", {}, P, "CO-SB25-276-jails"),
    # Massachusetts, Connecticut, Vermont, Minnesota
    ("MA", "sheriff", "hold_on_detainer", "2017-07-24", DET, P, "MA-Lunn-2017"),
    ("MA", "sheriff", "hold_on_detainer", "2017-07-23", DET, C, "US-8CFR287.7-detainers"),
    ("CT", "local_police", "hold_on_detainer", "2018-06-01", DET, P, "CT-CGS54-192h-2013"),
    ("CT", "local_police", "hold_on_detainer", "2020-06-01", DET, P, "CT-CGS54-192h-2019"),
    (
        "CT",
        "local_police",
        "hold_on_detainer",
        "2020-06-01",
        {"listed_conviction": True},
        C,
        "CT-CGS54-192h-2019",
    ),
    ("CT", "sheriff", "notify_release", "2019-09-30", {}, A, "US-8USC1357g10-cooperation"),
    ("CT", "sheriff", "notify_release", "2019-10-01", {}, P, "CT-CGS54-192h-2019"),
    ("VT", "local_police", "enter_287g_tfm", "2018-01-01", {}, P, "VT-20VSA4652-287g"),
    # Attorney-general opinions are persuasive: shown in the trace, never deciding
    ("MN", "sheriff", "hold_on_detainer", "2025-02-06", DET, C, "US-8CFR287.7-detainers"),
    ("MN", "sheriff", "hold_on_detainer", "2025-02-05", DET, C, "US-8CFR287.7-detainers"),
    ("MN", "sheriff", "enter_287g_jem", "2026-01-01", {}, C, "US-8USC1357g-agreements"),
    ("MN", "local_government", "enter_287g_jem", "2026-01-01", {}, C, "US-8USC1357g-agreements"),
    # Virginia, Delaware, New Mexico, Maine, New Jersey
    ("VA", "plate_reader_operator", "share_alpr_out_of_state", "2025-07-01", {}, P, "VA-Code2.2-5517-ALPR"),
    ("VA", "plate_reader_operator", "share_alpr_out_of_state", "2025-06-30", {}, N, None),
    ("VA", "sheriff", "enter_287g_jem", "2026-07-01", {}, C, "VA-SB783-2026-287g"),
    ("DE", "local_police", "enter_287g_jem", "2025-07-14", {}, P, "DE-HB182-2025-287g"),
    ("NM", "local_government", "detention_contract", "2026-05-20", {}, P, "NM-HB9-2026-agreements"),
    # re-verified 2026-12-03: LD 1971 takes effect 90 days after adjournment, between 2026-07-15 and
    # 2026-10-01 (sine die not found): inside that window both readings are shown
    ("ME", "sheriff", "hold_on_detainer", "2026-08-01", DET, Effect.UNCERTAIN, "ME-LD1971-5MRS-337E"),
    ("ME", "sheriff", "hold_on_detainer", "2026-10-01", DET, P, "ME-LD1971-5MRS-337E"),
    ("ME", "sheriff", "hold_on_detainer", "2026-06-01", DET, C, "US-8CFR287.7-detainers"),
    ("NJ", "sheriff", "hold_on_detainer", "2020-06-01", DET, P, "NJ-AGDir2018-6-detainers"),
    (
        "NJ",
        "sheriff",
        "hold_on_detainer",
        "2020-06-01",
        {"listed_conviction": True},
        C,
        "NJ-AGDir2018-6-detainers",
    ),
    ("NJ", "local_police", "give_database_access", "2020-06-01", {}, P, "NJ-AGDir2018-6-assistance"),
    ("NJ", "sheriff", "give_jail_access", "2020-06-01", {"consent": True}, C, "NJ-AGDir2018-6-interviews"),
    # Requiring states
    # 908.11(1): one agreement, any model: "required" only for the disjunction
    ("FL", "sheriff", "enter_287g_any", "2024-06-01", {}, R, "FL-908.11-287g-2023"),
    ("FL", "sheriff", "enter_287g_wso", "2024-06-01", {}, C, "FL-908.11-287g-2023"),
    ("FL", "sheriff", "enter_287g_tfm", "2024-06-01", {}, C, "FL-908.11-287g-2023"),
    ("FL", "sheriff", "enter_287g_wso", "2022-06-01", {}, C, "US-8USC1357g-agreements"),
    ("FL", "sheriff", "hold_on_detainer", "2024-06-01", DET, R, "FL-908.105-detainers"),
    ("FL", "local_government", "adopt_limiting_policy", "2020-01-01", {}, P, "FL-908.104-cooperation"),
    ("GA", "sheriff", "verify_status_at_booking", "2024-06-01", {}, R, "GA-HB1105-2024-jails"),
    # re-verified 2026-12-03: G.S. 162-62(b1) (HB 10, 2024) and HB 318 (2025) apply only when ICE sends a
    # detainer together with an administrative warrant (recorded as administrative_warrant); a bare
    # request or a bare I-247A creates no state duty and the federal layer decides
    (
        "NC",
        "sheriff",
        "notify_release",
        "2025-10-01",
        {"legal_process": "administrative_warrant"},
        R,
        "NC-HB318-2025-release",
    ),
    ("NC", "sheriff", "notify_release", "2025-10-01", {}, A, "US-8USC1357g10-cooperation"),
    ("NC", "sheriff", "notify_release", "2025-09-30", {}, A, "US-8USC1357g10-cooperation"),
    (
        "NC",
        "sheriff",
        "hold_on_detainer",
        "2025-01-15",
        {"legal_process": "administrative_warrant"},
        R,
        "NC-HB10-2024-jails",
    ),
    ("NC", "sheriff", "hold_on_detainer", "2025-01-15", DET, C, "US-8CFR287.7-detainers"),
    ("TN", "local_government", "adopt_limiting_policy", "2019-01-01", {}, P, "TN-PubCh973-2018-sanctuary"),
    ("TN", "sheriff", "enter_287g_jem", "2026-06-01", {}, C, "US-8USC1357g-agreements"),
    ("AL", "sheriff", "verify_status_at_booking", "2025-10-01", {}, R, "AL-SB53-2025-booking"),
    ("LA", "local_government", "adopt_limiting_policy", "2024-08-01", {}, P, "LA-RS33-83-sanctuary"),
    # R.S. 33:84 (Acts 2024, No. 314): comply with detainers from 2024-05-28
    ("LA", "sheriff", "hold_on_detainer", "2024-07-01", DET, R, "LA-RS33-84A-detainers"),
    ("LA", "sheriff", "hold_on_detainer", "2025-09-01", DET, R, "LA-SB15-2025-detainers"),
    ("LA", "sheriff", "notify_release", "2025-09-01", {}, R, "LA-RS14-134-A5-release-notice"),
    # Fla. Stat. 908.103 enjoined 2021-09-21, the injunction vacated 2023-04-13
    ("FL", "local_government", "adopt_limiting_policy", "2022-06-01", {}, N, None),
    ("FL", "local_government", "adopt_limiting_policy", "2023-06-01", {}, P, "FL-908.104-cooperation"),
    ("ID", "sheriff", "hold_on_detainer", "2025-03-27", DET, R, "ID-HB83-2025-cooperation"),
    ("IN", "sheriff", "hold_on_detainer", "2026-08-01", DET, C, "US-8CFR287.7-detainers"),
    ("IA", "sheriff", "hold_on_detainer", "2018-07-01", DET, R, "IA-Code27A-detainers"),
    ("IA", "local_government", "adopt_limiting_policy", "2018-07-01", {}, P, "IA-Code27A-policies"),
    ("MO", "local_government", "adopt_limiting_policy", "2020-01-01", {}, P, "MO-RSMo67.307-sanctuary"),
    ("WY", "local_government", "adopt_limiting_policy", "2025-03-18", {}, P, "WY-9-25-101-sanctuary"),
    # re-verified 2026-12-03: the detainer duty comes from HB 511 (N.H. Laws 2025 ch. 39), not SB 62;
    # id renamed from NH-HB511-SB62-detainers
    ("NH", "sheriff", "hold_on_detainer", "2026-01-01", DET, R, "NH-HB511-2025-detainers"),
    ("NH", "local_government", "adopt_limiting_policy", "2026-01-01", {}, P, "NH-SB62-policies"),
    # re-verified 2026-12-03: W. Va. Code 15-16-3(a)(3) (2023) is in force (was a placeholder)
    ("WV", "sheriff", "hold_on_detainer", "2024-06-01", DET, R, "WV-Code15-16-detainers"),
    ("OK", "sheriff", "hold_on_detainer", "2022-01-01", DET, R, "OK-22OS171.3-detainers"),
    ("OR", "sheriff", "hold_on_detainer", "2022-01-01", DET, P, "OR-ORS181A.826-no-holds-access"),
    ("NY", "sheriff", "hold_on_detainer", "2019-06-01", DET, P, "NY-Wells-2018-detainers"),
    # re-verified 2026-12-03: SB 2710 (Miss. Code Ann. 25-1-119) was signed and took effect 2017-03-27
    # (it was recorded as unconfirmed before)
    ("MS", "local_government", "adopt_limiting_policy", "2024-06-01", {}, P, "MS-Code25-1-119-sanctuary"),
    ("MS", "local_government", "adopt_limiting_policy", "2017-03-26", {}, N, None),
    ("AZ", "local_government", "adopt_limiting_policy", "2024-06-01", {}, P, "AZ-ARS11-1051-sanctuary"),
    ("SC", "state_police", "enter_287g_any", "2024-01-01", {}, R, "SC-S20-2011-287g"),
    ("SC", "state_police", "enter_287g_jem", "2024-01-01", {}, C, "SC-S20-2011-287g"),
    # re-verified 2026-12-03: the Sanctuary Values Amendment Act (D.C. Law 23-282) is in force
    ("DC", "corrections", "hold_on_detainer", "2024-06-01", DET, P, "DC-Law23-282-detainers"),
    # Jurisdictions with a first applied provision after the re-verification of 2026-12-03
    # NRS 228.206 (AB 376, 2021): adopt the AG's model policies or notify the AG; start known within bounds
    ("NV", "sheriff", "adopt_limiting_policy", "2024-01-01", {}, A, "NV-NRS228.206-model-policies"),
    # Hawaii's SB 2057 (2026) is recorded as unconfirmed, never applied: the federal layer decides
    ("HI", "sheriff", "enter_287g_any", "2026-08-01", {}, C, "US-8USC1357g-agreements"),
    ("OH", "local_government", "adopt_limiting_policy", "2024-06-01", {}, P, "OH-RC9.63-municipal-policies"),
    # R.I. Gen. Laws 31-10.4-3: privilege-card applications and proof documents (coded as personal_info)
    (
        "RI",
        "dmv",
        "disclose_dmv_record",
        "2024-06-01",
        {"data": "personal_info"},
        P,
        "RI-31-10.4-3-privilege-card-records",
    ),
    # HB 226 (2025): notice to ICE before releasing a person convicted of a listed class A offence
    (
        "UT",
        "sheriff",
        "notify_release",
        "2025-06-01",
        {"listed_conviction": True},
        R,
        "UT-HB226-2025-release-notice",
    ),
    ("MT", "sheriff", "hold_on_detainer", "2024-01-01", DET, P, "MT-Ramon-v-Short-2020"),
    ("NE", "corrections", "notify_release", "2025-06-01", {}, R, "NE-EO25-01-state-agencies"),
    ("ND", "local_government", "adopt_limiting_policy", "2025-09-01", {}, P, "ND-NDCC44-08-25-sanctuary"),
    ("SD", "local_government", "adopt_limiting_policy", "2025-07-01", {}, P, "SD-SB7-2025-sanctuary-ban"),
    (
        "KS",
        "local_government",
        "adopt_limiting_policy",
        "2023-01-01",
        {},
        P,
        "KS-KSA12-16141-no-restriction-enforcement",
    ),
    # A.C.A. 12-12-1804(d): plate data shared only as evidence of an offence
    (
        "AR",
        "plate_reader_operator",
        "share_alpr_federal",
        "2025-01-01",
        {},
        P,
        "AR-ACA12-12-1804d-ALPR-sharing",
    ),
    # Federal layer
    (
        "US",
        "federal_agency",
        "share_personal_info",
        "2025-06-01",
        {"data": "tax_return"},
        P,
        "US-26USC6103-tax-info",
    ),
    (
        "US",
        "federal_agency",
        "share_personal_info",
        "2025-06-01",
        {"data": "tax_return", "purpose": "criminal_investigation"},
        C,
        "US-26USC6103-tax-info",
    ),
    (
        "US",
        "federal_agency",
        "share_personal_info",
        "2026-02-01",
        {"data": "medicaid_record"},
        C,
        "US-42USC1396a-a7-medicaid",
    ),
    # the preliminary injunction of 2025-08-12, in force until 2026-01-06
    (
        "US",
        "federal_agency",
        "share_personal_info",
        "2025-12-01",
        {"data": "medicaid_record"},
        P,
        "US-CAvHHS-2025-08-12-PI",
    ),
    ("US", "federal_agency", "share_personal_info", "2025-07-01", {"data": "medicaid_record"}, N, None),
    (
        "US",
        "federal_agency",
        "share_personal_info",
        "2024-06-01",
        {"data": "address"},
        C,
        "US-5USC552a-b7-privacy-act",
    ),
    (
        "US",
        "local_police",
        "share_personal_info",
        "2024-06-01",
        {"data": "criminal_history"},
        C,
        "US-28CFR20.33-CHRI",
    ),
    ("US", "local_police", "use_resources", "2024-06-01", {}, C, "US-8USC1252c-arrest"),
    ("KY", "local_police", "transfer_custody", "2024-06-01", {}, A, "US-8USC1357g10-cooperation"),
    ("KY", "sheriff", "give_jail_access", "2024-06-01", {}, U, "US-8USC1357g10-cooperation"),
    ("TX", "sheriff", "enter_287g_tfm", "2017-06-01", {}, C, "US-8USC1357g-agreements"),  # researched
    ("KY", "sheriff", "enter_287g_jem", "2024-06-01", {}, C, "US-8USC1357g-agreements"),
]


def _ids(case: tuple[Any, ...]) -> str:
    j, actor, action, day, ctx, effect, _ = case
    extra = ",".join(f"{k}={v}" for k, v in ctx.items())
    return f"{j}-{actor}-{action}-{day}-{effect.value}" + (f"[{extra}]" if extra else "")


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_ruling(case: tuple[Any, ...]) -> None:
    j, actor, action, day, ctx, effect, deciding = case
    ruling = rule(j, actor, action, dt.date.fromisoformat(day), Context(**ctx))
    assert ruling.effect is effect, ruling.explain()
    if deciding is None:
        assert ruling.provisions == ()
    else:
        assert deciding in ruling.provision_ids, ruling.explain()
        assert ruling.verification is not None
        for p in ruling.provisions:
            assert p.sources, p.id


def test_cases_cover_every_jurisdiction_with_provisions_and_every_action() -> None:
    assert len(CASES) >= 60
    # retention-only provisions (no actions) never enter a ruling; test_law_retention.py covers them
    jurisdictions = {p.jurisdiction for p in default_law().provisions if p.actions}
    assert jurisdictions <= {c[0] for c in CASES}
    assert {a.value for a in Action} <= {c[2] for c in CASES}


def test_unconfirmed_provision_is_shown_but_not_applied() -> None:
    ruling = rule("MD", "dmv", "disclose_dmv_record", dt.date(2024, 6, 1))
    verdicts = {s.provision_id: s.verdict for s in ruling.steps}
    assert verdicts["MD-HB23-2021-driver-privacy"] == "unconfirmed"
    assert "enactment not confirmed" in ruling.explain()


def test_savings_clause_sets_aside_state_prohibition_only_for_status() -> None:
    status = rule(
        "IL", "local_police", "share_personal_info", dt.date(2024, 6, 1), Context(data="immigration_status")
    )  # type: ignore[arg-type]
    assert {s.provision_id: s.verdict for s in status.steps}["IL-5ILCS805-15-wayforward"] == "saved"
    release = rule("IL", "sheriff", "notify_release", dt.date(2024, 6, 1))
    assert release.effect is P  # 1373 covers status only, not release dates


def test_no_provision_is_kept_apart_from_permitted() -> None:
    # Louisiana's plate-reader law was searched and none found: no provision, not "permitted"
    ruling = rule("LA", "plate_reader_operator", "share_alpr_federal", dt.date(2024, 6, 1))
    assert ruling.effect is N
    assert "No federal or state provision" in ruling.explain()
    assert "LA's law on alpr researched" in (ruling.coverage or "")


def test_not_researched_is_kept_apart_from_no_provision() -> None:
    # Kentucky's plate-reader law was not researched: unknown, never "permitted" nor "no provision"
    ruling = rule("KY", "plate_reader_operator", "share_alpr_federal", dt.date(2024, 6, 1))
    assert ruling.effect is Effect.NOT_RESEARCHED
    assert "not researched" in ruling.explain() and "coverage of 2026-12-03" in ruling.explain()
    # a federal rule a state cannot change still decides (8 U.S.C. 1373 sets state limits aside)
    status = rule("KY", "local_police", "share_immigration_status", dt.date(2024, 6, 1))
    assert status.effect is not Effect.NOT_RESEARCHED


def test_ruling_json_and_explanation() -> None:
    ruling = rule("IL", "sheriff", "hold_on_detainer", dt.date(2024, 6, 1), Context(legal_process="detainer"))  # type: ignore[arg-type]
    out = ruling.to_dict()
    assert out["effect"] == "prohibited"
    assert out["provisions"][0]["citation"].startswith("5 ILCS 805/15(a)")
    assert out["provisions"][0]["sources"][0]["url"].startswith("https://ilga.gov/")
    assert any(c["role"] == "exception" and c["met"] is False for c in out["conditions"])
    assert "Result: prohibited" in out["explanation"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("XX", "sheriff", "hold_on_detainer"), "jurisdiction"),
        (("IL", "mayor", "hold_on_detainer"), "actor"),
        (("IL", "sheriff", "deport"), "action"),
    ],
)
def test_bad_questions_are_refused(args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(InputError) as err:
        rule(*args, dt.date(2024, 1, 1))  # type: ignore[arg-type]
    assert err.value.field == field


def test_dates_accept_iso_strings_and_datetimes() -> None:
    a = rule("IL", "sheriff", "hold_on_detainer", "2024-06-01")  # type: ignore[arg-type]
    b = rule("IL", "sheriff", "hold_on_detainer", dt.datetime(2024, 6, 1, 12, 0))
    assert a.effect is b.effect is P


def test_persuasive_and_enjoined_provisions_show_in_the_trace_and_do_not_decide() -> None:
    mn = rule("MN", "sheriff", "hold_on_detainer", dt.date(2025, 6, 1), Context(**DET))
    step = next(s for s in mn.steps if s.provision_id == "MN-AGOp-2025-02-06-detainers")
    assert step.verdict == "persuasive" and "MN-AGOp-2025-02-06-detainers" not in mn.provision_ids
    assert "it informs, it does not decide" in mn.explain()
    fl = rule("FL", "local_government", "adopt_limiting_policy", dt.date(2022, 6, 1))
    (step,) = [s for s in fl.steps if s.provision_id == "FL-908.104-cooperation"]
    assert step.verdict == "enjoined" and "City of South Miami v. DeSantis" in step.note
    assert "2021-09-21 to 2023-04-13" in step.note


def test_the_irs_address_sharing_order() -> None:
    # for a criminal investigation, 6103(i)(2) excepts return information; the 2025-11-21 stay does not
    ctx = Context(data="tax_return", purpose="criminal_investigation")
    stayed = rule("US", "federal_agency", "share_personal_info", dt.date(2025, 12, 1), ctx)
    assert stayed.effect is P and stayed.provision_ids == ("US-CTRvIRS-2025-11-21-address",)
    before = rule("US", "federal_agency", "share_personal_info", dt.date(2025, 8, 1), ctx)
    assert before.effect is C and "US-CTRvIRS-2025-11-21-address" not in before.provision_ids


def test_official_text_rests_on_a_recorded_quote() -> None:
    import pydantic

    from sharemap.law.model import Provision

    official = [p for p in default_law().provisions if p.verification is Verification.OFFICIAL_TEXT]
    assert official and all(
        p.checked and p.checked.quote and p.checked.url.startswith("http") for p in official
    )
    base = official[0].model_dump()
    base["checked"] = None
    with pytest.raises(pydantic.ValidationError, match="official_text needs `checked`"):
        Provision.model_validate(base)
