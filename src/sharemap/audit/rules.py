"""The audit rules, each one object: what it matches (as SQL and in Python, from one declaration), the
law it asks about, and how a finding is explained. Adding a rule is adding a `Rule` to `RULES` (and,
when it asks the law engine a question, the question in `sharemap.audit.lawlink._QUESTIONS`).

Rules (ids are stable):
- immigration_purpose: the stated reason is an immigration-enforcement purpose (explicit or likely).
  Severity high where the law engine rules the act prohibited in the state, else medium (low for
  "likely" only) and reported for review.
- immigration_review: a reason that may mean immigration enforcement (ambiguous), for a human to read.
- out_of_state_access / federal_access: an out-of-state or federal organisation (federal immigration
  agencies included) searched the data of a state whose law restricts sharing it with them (only
  reported where the law engine says so).
- federal_immigration_access: a federal immigration agency (ICE, HSI, ERO, CBP, Border Patrol) searched
  the data of a state whose law restricts sharing plate-reader data for immigration enforcement.
- no_stated_purpose: blank, or vendor boilerplate such as "daytime search for best result".
- placeholder_purpose: a generic word ("investigation", "inv") with no case number or detail.
- lookback_beyond_retention: the searched window starts more than N days before the search.
- wide_sweep: more networks or devices searched than the thresholds, with reach statistics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sharemap.audit.lawlink import law_basis, retention_basis
from sharemap.audit.model import AuditOptions, GroupFlags, OrgClass, RuleHit
from sharemap.audit.schema import LawBasis, Severity, ranked

RESTRICTED = ("prohibited", "permitted_with_conditions")  # effects under which an org's access is flagged


@dataclass(frozen=True)
class Match:
    """A rule's condition on one column of the `hits` view / one field of `GroupFlags`: equal to
    `value` (or one of the values, for a tuple), or true when `value` is None. Both the SQL and the
    Python test come from it."""

    column: Literal["category", "org_flag", "lb_hit", "sweep_hit"]
    value: str | tuple[str, ...] | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return () if self.value is None else (self.value,) if isinstance(self.value, str) else self.value

    def sql(self) -> str:
        if self.value is None:
            return self.column
        return f"{self.column} IN ({', '.join(repr(v) for v in self.values)})"

    def test(self, flags: GroupFlags) -> bool:
        got = getattr(flags, self.column)
        return bool(got) if self.value is None else got in self.values


@dataclass(frozen=True)
class Context:
    """What an explanation may use: the merged hit, the law's answer and the run's settings."""

    hit: RuleHit
    org: str | None
    basis: LawBasis | None
    options: AuditOptions
    org_class: OrgClass | None = None

    @property
    def n(self) -> int:
        return self.hit.count

    @property
    def who(self) -> str:
        return self.org or "the logging agency"

    @property
    def placed(self) -> str:
        """The organisation with the kind and state the resolver read from its name."""
        c = self.org_class
        if c is None or not self.org:
            return self.who
        state = c.state or "state not stated in the name"
        return f"{self.org} ({c.org_type.replace('_', ' ')}, {state})"

    @property
    def when(self) -> str:
        """ ", from FIRST to LAST" where the file states the organisation's first and last search."""
        span = self.hit.span
        return f", from {span[0].isoformat()} to {span[1].isoformat()}" if span else ""

    @property
    def state(self) -> str:
        return self.options.state or "the state"

    @property
    def effect(self) -> str | None:
        return self.basis.effect if self.basis else None

    @property
    def cites(self) -> str:
        b = self.basis
        return ", ".join(c.citation for c in b.provisions) if b and b.provisions else ""

    @property
    def term_list(self) -> str:
        return ", ".join(t for t, _ in ranked(self.hit.terms)) or "-"  # most frequent first


@dataclass(frozen=True)
class Explained:
    severity: Severity
    text: str
    details: dict[str, Any]


Explain = Callable[[Context], Explained | None]
LawFor = Callable[[str, AuditOptions, dt.date | None, str], LawBasis | None]


def _ask_law(rule_id: str, options: AuditOptions, on: dt.date | None, system: str) -> LawBasis | None:
    return law_basis(rule_id, options.state, on, system)


def _retention_law(rule_id: str, options: AuditOptions, on: dt.date | None, system: str) -> LawBasis | None:
    if options.retention_days is not None:
        return None  # a limit the user gave: no law to cite
    return retention_basis(options.state, options.retention_periods)


@dataclass(frozen=True)
class Rule:
    """One audit rule. `needs` gates rules that only apply when some row in the file could hit them
    (a look-back or a sweep over the threshold); `terms` rules collect the matched terms and levels
    of their reasons."""

    id: str
    title: str
    match: Match
    explain: Explain
    law: LawFor = _ask_law
    needs: Literal["lookback", "sweep"] | None = None
    terms: bool = False


# ------------------------------------------------------------------------------ explanations


def _immigration_purpose(c: Context) -> Explained:
    levels = dict(c.hit.levels)
    explicit = levels.get("explicit", 0)
    if c.effect == "prohibited":
        sev = Severity.HIGH if explicit else Severity.MEDIUM
        law_txt = f"The law engine rules this prohibited in {c.state}: {c.cites}."
    else:
        sev = Severity.MEDIUM if explicit else Severity.LOW
        law_txt = (
            f"The law engine found no provision forbidding it in {c.state} "
            f"({c.effect or 'not asked'}); reported for review."
        )
    text = (
        f"{c.n:,} search(es) by {c.who} gave an immigration-enforcement reason ({explicit:,} explicit, "
        f"{levels.get('likely', 0):,} likely; terms: {c.term_list}). {law_txt}"
    )
    return Explained(sev, text, {"levels": levels, "matched_terms": dict(ranked(c.hit.terms))})


def _immigration_review(c: Context) -> Explained:
    text = (
        f"{c.n:,} search(es) by {c.who} have a reason that may or may not mean immigration enforcement "
        f"(terms: {c.term_list}); read them before counting them either way."
    )
    return Explained(Severity.INFO, text, {"matched_terms": dict(ranked(c.hit.terms))})


def _restricted_access(whom: str, act: str) -> Explain:
    """`whom`: what the organisation is; `act`: the sharing the law restricts ("sharing this data
    with ...")."""

    def explain(c: Context) -> Explained | None:
        if c.effect not in RESTRICTED:
            return None  # not a restricted state for this recipient: counted in the summary only
        effect = str(c.effect)
        cond = "" if effect == "prohibited" else " unless the conditions the law sets were met (check them)"
        text = (
            f"{c.n:,} search(es) of {c.state} data by {c.placed}, {whom}{c.when}. The law engine rules "
            f"{act} {effect.replace('_', ' ')} in {c.state}{cond}: {c.cites}."
        )
        details: dict[str, Any] = {}
        if c.org_class is not None:
            details = {"org_type": c.org_class.org_type, "org_state": c.org_class.state,
                       "org_basis": c.org_class.basis}  # fmt: skip
        if c.hit.span:
            details |= {"first_search": c.hit.span[0].isoformat(), "last_search": c.hit.span[1].isoformat()}
        return Explained(Severity.HIGH if effect == "prohibited" else Severity.MEDIUM, text, details)

    return explain


def _no_stated_purpose(c: Context) -> Explained:
    text = (
        f"{c.n:,} search(es) by {c.who} state no purpose: the reason is blank or vendor boilerplate "
        f'("daytime search for best result" is an image-filter setting, not a purpose). Without a '
        f"purpose the search cannot be checked against the law."
    )
    return Explained(Severity.MEDIUM, text, {})


def _placeholder_purpose(c: Context) -> Explained:
    text = (
        f'{c.n:,} search(es) by {c.who} give only a generic word ("investigation", "inv") with no '
        f"case number or detail, so the purpose cannot be checked."
    )
    return Explained(Severity.LOW, text, {})


def _lookback(c: Context) -> Explained:
    o = c.options
    if o.retention_days is not None:
        limit = f"{o.retention_days:g} days"
    else:
        limit = " or ".join(
            f"{p.days} days (searches from {p.start}" + (f" to {p.end})" if p.end else ")")
            for p in o.retention_periods
        )
    details = {
        "retention_days": o.retention_days
        if o.retention_days is not None
        else [p.days for p in o.retention_periods],
        "max_lookback_days": c.hit.max_lookback,
    }
    text = (
        f"{c.n:,} search(es) by {c.who} looked back more than {limit} (longest "
        f"{(c.hit.max_lookback or 0):,.1f} days); data older than the retention limit should not exist."
    )
    return Explained(Severity.MEDIUM, text, details)


def _wide_sweep(c: Context) -> Explained:
    o, h = c.options, c.hit
    details = {
        "threshold_networks": o.sweep_networks,
        "threshold_devices": o.sweep_devices,
        "max_networks": h.max_networks,
        "max_devices": h.max_devices,
    }
    text = (
        f"{c.n:,} search(es) by {c.who} reached more than {o.sweep_networks:,} networks or "
        f"{o.sweep_devices:,} devices (largest: {h.max_networks or 0:,} networks, "
        f"{h.max_devices or 0:,} devices)."
    )
    return Explained(Severity.LOW, text, details)


# ------------------------------------------------------------------------------ the registry

RULES: tuple[Rule, ...] = (
    Rule("immigration_purpose", "Immigration-enforcement purpose", Match("category", "immigration"),
         _immigration_purpose, terms=True),
    Rule("immigration_review", "Reason that may mean immigration enforcement (review)",
         Match("category", "immigration_ambiguous"), _immigration_review, terms=True),
    Rule("out_of_state_access", "Search by an out-of-state organisation", Match("org_flag", "out_of_state"),
         _restricted_access("an organisation of another state", "sharing this data with other states")),
    Rule("federal_access", "Search by a federal organisation",
         Match("org_flag", ("federal", "federal_immigration")),
         _restricted_access("a federal organisation", "sharing this data with federal organisations")),
    Rule("federal_immigration_access", "Search by a federal immigration agency",
         Match("org_flag", "federal_immigration"),
         _restricted_access("a federal immigration agency",
                            "sharing this data for immigration enforcement")),
    Rule("no_stated_purpose", "No stated purpose", Match("category", "no_stated_purpose"),
         _no_stated_purpose),
    Rule("placeholder_purpose", "Placeholder purpose", Match("category", "placeholder"),
         _placeholder_purpose),
    Rule("lookback_beyond_retention", "Look-back beyond the retention limit", Match("lb_hit"), _lookback,
         law=_retention_law, needs="lookback"),
    Rule("wide_sweep", "Very wide sweep", Match("sweep_hit"), _wide_sweep, needs="sweep"),
)  # fmt: skip
"""Every rule, in the order findings of equal severity are listed."""

BY_ID = {r.id: r for r in RULES}
RULE_ORDER = [r.id for r in RULES]
RULE_TITLES = {r.id: r.title for r in RULES}


def _values(column: str) -> dict[str, str]:
    """Value -> rule id, for the rules matching a value of `column` (the first rule, for a value that
    several match)."""
    out: dict[str, str] = {}
    for r in RULES:
        if r.match.column == column:
            for v in r.match.values:
                out.setdefault(v, r.id)
    return out


REASON_RULES = set(_values("category"))  # reason categories a rule flags
ORG_RULES = set(_values("org_flag"))  # organisation kinds a rule may flag
TERM_RULES = {v: i for v, i in _values("category").items() if BY_ID[i].terms}  # category -> its terms rule


def active(any_lb: bool, any_sweep: bool, org_rules: set[str] | None = None) -> list[Rule]:
    """The rules that can hit in a file: the look-back and sweep rules only when some row could, and
    of the organisation rules only those in `org_rules` (the ones the law restricts), when given."""
    on = {None, *(["lookback"] if any_lb else []), *(["sweep"] if any_sweep else [])}
    return [
        r
        for r in RULES
        if r.needs in on and (org_rules is None or r.match.column != "org_flag" or r.id in org_rules)
    ]


def restricted_org_rules(state: str | None, system: str, last: dt.datetime | None) -> set[str]:
    """The organisation rules whose searchers the law engine restricts for `state` data (so their
    rows are collected)."""
    if not state:
        return set()
    on = last.date() if last else None
    out = set()
    for r in RULES:
        if r.match.column == "org_flag":
            basis = law_basis(r.id, state, on, system)
            if basis is not None and basis.effect in RESTRICTED:
                out.add(r.id)
    return out


def flagged_kinds(org_rules: set[str]) -> set[str]:
    """The organisation flags (`OrgClass.flag`) that the restricted rules `org_rules` match."""
    return {v for r in RULES if r.id in org_rules for v in r.match.values}
