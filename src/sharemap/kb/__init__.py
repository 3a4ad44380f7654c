"""Domain model and curated facts."""

from sharemap.kb.model import (
    Agency,
    AgencyKind,
    Agreement,
    AgreementStatus,
    ListKind,
    Model287g,
    PendingRequest,
    Snapshot,
    Source,
)

__all__ = [
    "Agency",
    "AgencyKind",
    "Agreement",
    "AgreementStatus",
    "ListKind",
    "Model287g",
    "PendingRequest",
    "Snapshot",
    "Source",
]
