"""Law as dated rules: provisions with citations and an engine that rules on them."""

from sharemap.law.engine import (
    ConditionCheck,
    Context,
    Law,
    Reading,
    Ruling,
    TraceStep,
    default_law,
    rule,
)
from sharemap.law.load import load_provisions
from sharemap.law.model import Condition, Provision, RetentionLimit, Scope
from sharemap.law.retention import Retention, retention_days, retention_provisions
from sharemap.law.vocab import (
    Action,
    Actor,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    RetainedData,
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
    "Reading",
    "Recipient",
    "RetainedData",
    "Retention",
    "RetentionLimit",
    "Ruling",
    "Scope",
    "Status",
    "TraceStep",
    "Verification",
    "action_for_287g",
    "default_law",
    "load_provisions",
    "retention_days",
    "retention_provisions",
    "rule",
]
