"""Law as dated rules: provisions with citations and an engine that rules on them."""

from sharemap.law.engine import (
    ConditionCheck,
    Context,
    Law,
    Ruling,
    TraceStep,
    default_law,
    rule,
)
from sharemap.law.load import load_provisions
from sharemap.law.model import Condition, Provision, Scope
from sharemap.law.vocab import (
    Action,
    Actor,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    Status,
    Verification,
    action_for_287g,
)

__all__ = [
    "Action",
    "Actor",
    "Condition",
    "ConditionCheck",
    "Context",
    "DataKind",
    "Effect",
    "Law",
    "LegalProcess",
    "Provision",
    "Purpose",
    "Recipient",
    "Ruling",
    "Scope",
    "Status",
    "TraceStep",
    "Verification",
    "action_for_287g",
    "default_law",
    "load_provisions",
    "rule",
]
