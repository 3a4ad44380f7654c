"""Who asked: a requesting organisation's state and kind, read from its name as logged.

Vendor exports name organisations like "Houston TX PD", "Harris County TX SO", "Oregon State Police"
or "Homeland Security Investigations". The state is a two-letter code or a state name in the name;
federal agencies are recognised by name. Anything not recognised stays `unknown`, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sharemap.audit.schema import OrgKind

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
_NAME_TO_CODE = {v.lower(): k for k, v in STATES.items()}
_STATE_NAME = re.compile(
    r"\b(" + "|".join(sorted((re.escape(n) for n in _NAME_TO_CODE), key=len, reverse=True)) + r")\b", re.I
)
_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{2})(?![A-Za-z])")
_FEDERAL = re.compile(
    r"(?<![a-z])(ice|hsi|ero|cbp|usbp|dhs|fbi|dea|atf|usms|u\.?s\.? marshals?( service)?|homeland security"
    r"|border patrol|customs and border|immigration and customs|federal bureau|drug enforcement"
    r"|department of justice|secret service|u\.?s\.? (?:department|dept)|united states)(?![a-z])",
    re.I,
)
_STATE_AGENCY = re.compile(
    r"\b(state police|highway patrol|state patrol|department of public safety|dept\.? of public safety"
    r"|bureau of investigation|state bureau|attorney general|department of corrections|dmv"
    r"|department of motor vehicles)\b",
    re.I,
)
# "OR" and "IN" are also English words: accept them only as a separate upper-case token near the end.
_WORDLIKE = {"OR", "IN", "ME", "OK", "HI", "DE", "PA", "CO", "LA", "MA", "MO", "ID", "AL", "OH"}


@dataclass(frozen=True)
class OrgInfo:
    state: str | None
    kind: OrgKind


def org_state(name: str) -> str | None:
    tokens = _CODE.findall(name)
    for tok in reversed(tokens):
        if tok in STATES and (tok not in _WORDLIKE or _is_code_position(name, tok)):
            return tok
    m = _STATE_NAME.search(name)
    if m:
        return _NAME_TO_CODE[m.group(1).lower()]
    return None


def _is_code_position(name: str, tok: str) -> bool:
    words = re.findall(r"[A-Za-z.]+", name)
    # "Eugene OR PD", "Eugene PD (OR)", "Salem, OR": the code follows a place name, not a sentence
    return tok in words[1:] and sum(w.isupper() for w in words) >= 1


def classify_org(name: str | None, data_state: str | None, fixed_kind: str | None = None) -> OrgInfo:
    """State and kind of a requesting organisation relative to the state whose data was searched."""
    if not name:
        return OrgInfo(
            data_state if fixed_kind else None, OrgKind(fixed_kind) if fixed_kind else OrgKind.UNKNOWN
        )
    if _FEDERAL.search(name):
        return OrgInfo(None, OrgKind.FEDERAL)
    state = org_state(name)
    if data_state and state and state != data_state:
        return OrgInfo(state, OrgKind.OUT_OF_STATE)
    if _STATE_AGENCY.search(name):
        return OrgInfo(state, OrgKind.STATE)
    if fixed_kind:
        return OrgInfo(state or data_state, OrgKind(fixed_kind))
    return OrgInfo(state, OrgKind.LOCAL if state else OrgKind.UNKNOWN)
