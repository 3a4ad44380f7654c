"""Who asked: a requesting organisation's kind and state, read from its name as logged.

The name is resolved by the sharing layer's resolver (`sharemap.sharing.resolver`), the one that
`sharemap sharing` and `sharemap portal` use, so "Las Vegas Metro NV PD" or "[Federal] US Postal
Inspection Service" gets the same kind (police, sheriff, state agency, federal, federal immigration,
...), state and basis in an audit as on a sharing list. The audit then places the organisation
relative to the state whose data was searched (local, state, federal, out of state, unknown); what
the name does not say stays unknown, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharemap.audit.schema import OrgKind
from sharemap.sharing.orgs import FEDERAL
from sharemap.sharing.orgs import OrgKind as Kind


@dataclass(frozen=True)
class OrgInfo:
    """An organisation relative to the audited state (`kind`), and as the resolver reads it."""

    state: str | None  # two-letter code, "US" for federal agencies, None when the name does not say
    kind: OrgKind
    org_type: str = Kind.UNKNOWN.value  # the resolver's kind: police, sheriff, federal_immigration, ...
    basis: str | None = None  # how the state was read ("name code", "registry", ...), or why unknown


def classify_org(name: str | None, data_state: str | None, fixed_kind: str | None = None) -> OrgInfo:
    """Kind and state of a requesting organisation relative to the state whose data was searched.

    `fixed_kind` is a format's or mapping's own kind for a requester the log does not name (the file's
    own agency); a named organisation of another state or a federal one is still placed by its name.
    """
    if not name:
        return OrgInfo(
            data_state if fixed_kind else None, OrgKind(fixed_kind) if fixed_kind else OrgKind.UNKNOWN
        )
    from sharemap.sharing import resolver  # the sharing tables load only when a name is to be read

    org = resolver()(name)
    kind, state = org.kind, org.state

    def placed(where: str | None, relative: OrgKind) -> OrgInfo:
        return OrgInfo(where, relative, kind.value, org.basis)

    if kind in (Kind.FEDERAL, Kind.FEDERAL_IMMIGRATION) or state == FEDERAL:
        return placed(FEDERAL, OrgKind.FEDERAL)
    if data_state and state and state != data_state:
        return placed(state, OrgKind.OUT_OF_STATE)
    if kind is Kind.STATE_AGENCY:
        return placed(state, OrgKind.STATE)
    if fixed_kind:
        return placed(state or data_state, OrgKind(fixed_kind))
    return placed(state, OrgKind.LOCAL if state else OrgKind.UNKNOWN)
