"""Scenario files (policy levers) and compiling them, with the parameters, into a `Model`.

A scenario is YAML:

    name: il-cook-jem
    description: What if Cook County signed a Jail Enforcement Model agreement?
    date: 2025-12-31              # ICE's list in force on this date (ledger) and state law on it;
                                   # without a date: the ledger's latest list and the law on its date
    levers:
      agreements:                  # 287(g) models; default: ICE's list from the ledger database
        source: ledger             # ledger | none
        states: {TX: [JEM]}        # every county of the state gets these models (added)
        counties: {"17031": [JEM]} # a county's models replaced
      state_law: {IL: required}    # detainer-hold rule override: prohibited | required | permitted
      ero_priorities: all          # all | prior_arrest_only
      ero_intensity: 1.0           # multiplier on detainer decisions
      pickup_capacity: 1.0         # multiplier on ICE pickup probability (and DES capacity)
      checks: biometric_and_name   # biometric_and_name | biometric_only | name_only
      dmv_access: {WA: false}      # ICE DMV queries allowed per state
    parameters:                    # parameter overrides: each needs a source or an assumption
      jail.default_honour: {value: 0.8, assumption: "what-if"}

Bad input (unknown lever, county or state, negative rates, probabilities above 1, an override without
a source) is refused with the file, the key and the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sharemap.errors import InputError, SharemapError
from sharemap.law import Action, Actor, Context, Effect, rule
from sharemap.law.vocab import JURISDICTIONS
from sharemap.safety import read_user_yaml
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.birthplace import load_birthplace
from sharemap.sim.counties import MODELS, Counties, model_flags
from sharemap.sim.model import (
    CELL_PRIOR,
    CELL_STATUS,
    CHECKS,
    CITIZEN,
    N_CELLS,
    STATUSES,
    Model,
    composition,
    lognormal_sigma,
)
from sharemap.sim.params import PARAMS_DIR, ParamSet, check_value

LEVERS = {
    "agreements",
    "state_law",
    "ero_priorities",
    "ero_intensity",
    "pickup_capacity",
    "checks",
    "dmv_access",
}
TOP_KEYS = {"name", "description", "date", "from", "to", "regime", "levers", "parameters"}
EFFECTS = ("prohibited", "required", "permitted")


@dataclass(frozen=True)
class Scenario:
    """A what-if for the simulator: agreements, state law, enforcement levers and parameters; the
    defaults are the baseline (the ledger's latest list, the law on its date, shipped parameters)."""

    name: str = "baseline"
    description: str = "ICE's latest 287(g) list in the ledger, state law on its date, shipped parameters."
    date: dt.date | None = None  # None: the ledger's latest list, and the law on that list's date
    agreements_source: str = "ledger"
    agreements_states: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    agreements_counties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    state_law: Mapping[str, str] = field(default_factory=dict)
    ero_priorities: str = "all"
    ero_intensity: float = 1.0
    pickup_capacity: float = 1.0
    checks: str = "biometric_and_name"
    dmv_access: Mapping[str, bool] = field(default_factory=dict)
    parameters: Mapping[str, float] = field(default_factory=dict)
    file: str = "<default>"
    start: dt.date | None = None  # a simulated period (`from` / `to`), reported per year
    end: dt.date | None = None
    regime: str | None = None  # one enforcement regime throughout (params/regimes.yaml), else by date


def _kind(value: Any) -> str:
    """A plain-language name for what a YAML value turned out to be (for refusals)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _mapping(value: Any, file: str, key: str, expected: str) -> Mapping[Any, Any]:
    """A lever that must be a mapping (`state_law: {IL: required}`); empty means not set."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"is {_kind(value)}, not a mapping", file=file, field=key, expected=expected)
    return value


def _text(value: Any, file: str, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"is {_kind(value)}, not text", file=file, field=key, expected="a line of text")
    return str(value)


def _date(value: Any, file: str, key: str) -> dt.date:
    """A calendar date; a YAML timestamp that is no real day (2025-02-30) arrives as text and is refused."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise InputError(
                f"not a calendar date: {value[:40]!r} ({exc})", file=file, field=key, expected="YYYY-MM-DD"
            ) from None
    raise InputError(f"is {_kind(value)}, not a date", file=file, field=key, expected="YYYY-MM-DD")


def _models_list(value: Any, file: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or any(not isinstance(v, str) or v not in MODELS for v in value):
        raise InputError(
            f"bad 287(g) model list {_short(value)}", file=file, field=key, expected="a list of JEM, TFM, WSO"
        )
    return tuple(value)


def _short(value: Any) -> str:
    """repr of a user's value, cut short: a refusal names the value, it does not echo a whole file."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_of(value: Any, allowed: tuple[str, ...], file: str, key: str, what: str = "value") -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"unknown {what} {_short(value)}", file=file, field=key, expected=", ".join(allowed))
    return value


def _state(code: Any, file: str, key: str) -> str:
    """A two-letter code of a state, DC or territory (the geography layer's one list) that has counties in
    the simulator's county table: a lever for a territory without counties (Puerto Rico, Guam, ...) would
    change nothing, so it is refused with that reason rather than accepted silently."""
    from sharemap.ledger.geo import state_code

    text = code.strip().upper() if isinstance(code, str) else ""
    try:
        known = len(text) == 2 and state_code(text) == text
    except SharemapError:
        known = False
    if not known:
        raise InputError(
            f"unknown state {_short(code)}", file=file, field=key, expected="a two-letter state code"
        )
    if text not in _states_with_counties():
        raise InputError(
            f"{text} has no counties in the simulator's county table (ACS and USDA ERS cover the 50 states "
            "and DC), so a lever for it would do nothing",
            file=file,
            field=key,
            expected="a state or DC",
        )
    return text


@lru_cache(maxsize=1)
def _states_with_counties() -> frozenset[str]:
    from sharemap.sim.counties import counties

    return frozenset(str(s) for s in counties().state)


def _dates(data: Mapping[Any, Any], file: str) -> dict[str, Any]:
    """`date`, the period `from` / `to` (both or neither) and `regime`, checked against the dated regimes."""
    from sharemap.sim.regimes import check_period, load_regimes

    kw: dict[str, Any] = {}
    if data.get("date") is not None:
        kw["date"] = _date(data["date"], file, "date")
        first = load_regimes().first_day
        if kw["date"] < first:
            raise InputError(
                f"{kw['date']} is before {first}: the dated regimes begin with Secure Communities in 2008",
                file=file,
                field="date",
                expected=f"a date from {first}",
            )
    if ("from" in data) != ("to" in data):
        raise InputError("a period needs both from and to", file=file, field="from", expected="from and to")
    if "from" in data:
        kw["start"], kw["end"] = _date(data["from"], file, "from"), _date(data["to"], file, "to")
    if data.get("regime") is not None:
        kw["regime"] = _text(data["regime"], file, "regime")
    if "start" in kw:
        check_period(kw["start"], kw["end"], kw.get("regime"), file)
    elif "regime" in kw:
        load_regimes().get(kw["regime"], file)
    return kw


def parse_scenario(data: Any, file: str, known_fips: set[str] | None = None) -> Scenario:
    """Validate a scenario mapping; every problem names the file and key, and says what was expected."""
    levers = _top_level(data, file)
    kw: dict[str, Any] = {"file": file}
    if "name" in data:
        kw["name"] = _text(data["name"], file, "name")
    if "description" in data:
        kw["description"] = _text(data["description"], file, "description")
    kw.update(_dates(data, file))
    kw.update(_agreements_lever(levers, file, known_fips))
    kw["state_law"] = _law_lever(levers, file)
    if "ero_priorities" in levers:
        kw["ero_priorities"] = _one_of(
            levers["ero_priorities"], ("all", "prior_arrest_only"), file, "levers.ero_priorities"
        )
    for key in ("ero_intensity", "pickup_capacity"):
        if key in levers:
            kw[key] = check_value(f"levers.{key}", levers[key], "multiplier", file)
    if "checks" in levers:
        kw["checks"] = _one_of(levers["checks"], CHECKS, file, "levers.checks")
    kw["dmv_access"] = _dmv_lever(levers, file)
    kw["parameters"] = _overrides(data, file)
    return Scenario(**kw)


def _top_level(data: Any, file: str) -> Mapping[Any, Any]:
    """The file is a mapping of known keys; its `levers` (returned) a mapping of known levers."""
    if not isinstance(data, Mapping):
        raise InputError(
            f"the file is {_kind(data)}, not a mapping",
            file=file,
            expected="a mapping with keys " + ", ".join(sorted(TOP_KEYS)),
        )
    for key in data:
        if key not in TOP_KEYS:
            raise InputError(
                f"unknown key {_short(key)}", file=file, field=str(key), expected=", ".join(sorted(TOP_KEYS))
            )
    levers = _mapping(data.get("levers"), file, "levers", "a mapping of levers: " + ", ".join(sorted(LEVERS)))
    for key in levers:
        if key not in LEVERS:
            raise InputError(
                f"unknown lever {_short(key)}",
                file=file,
                field=f"levers.{key}",
                expected=", ".join(sorted(LEVERS)),
            )
    return levers


def _agreements_lever(levers: Mapping[Any, Any], file: str, known_fips: set[str] | None) -> dict[str, Any]:
    """`agreements: {source, states, counties}` as the fields agreements_source, _states and _counties."""
    ag = _mapping(
        levers.get("agreements"), file, "levers.agreements", "a mapping with source, states, counties"
    )
    if not ag:
        return {}
    for key in ag:
        if key not in ("source", "states", "counties"):
            raise InputError(
                f"unknown key {_short(key)}",
                file=file,
                field=f"levers.agreements.{key}",
                expected="source, states, counties",
            )
    states = _mapping(
        ag.get("states"), file, "levers.agreements.states", "a mapping of state code to models, {TX: [JEM]}"
    )
    raw_counties = _mapping(
        ag.get("counties"),
        file,
        "levers.agreements.counties",
        'a mapping of county FIPS code to models, {"17031": [JEM]}',
    )
    counties: dict[str, tuple[str, ...]] = {}
    for k, v in raw_counties.items():
        fips = str(k).zfill(5)
        if not fips.isdigit() or len(fips) != 5 or (known_fips is not None and fips not in known_fips):
            raise InputError(
                f"unknown county {_short(k)}",
                file=file,
                field=f"levers.agreements.counties.{k}",
                expected="a county FIPS code",
            )
        counties[fips] = _models_list(v, file, f"levers.agreements.counties.{k}")
    return {
        "agreements_source": _one_of(
            ag.get("source", "ledger"), ("ledger", "none"), file, "levers.agreements.source", "source"
        ),
        "agreements_states": {
            _state(k, file, f"levers.agreements.states.{k}"): _models_list(
                v, file, f"levers.agreements.states.{k}"
            )
            for k, v in states.items()
        },
        "agreements_counties": counties,
    }


def _law_lever(levers: Mapping[Any, Any], file: str) -> dict[str, str]:
    raw_law = _mapping(
        levers.get("state_law"),
        file,
        "levers.state_law",
        "a mapping of state code to " + " | ".join(EFFECTS) + ", {IL: required}",
    )
    law = {}
    for k, v in raw_law.items():
        st = _state(k, file, f"levers.state_law.{k}")
        law[st] = _one_of(v, EFFECTS, file, f"levers.state_law.{k}", "effect")
    return law


def _dmv_lever(levers: Mapping[Any, Any], file: str) -> dict[str, bool]:
    raw_dmv = _mapping(
        levers.get("dmv_access"),
        file,
        "levers.dmv_access",
        "a mapping of state code to true/false, {WA: false}",
    )
    dmv = {}
    for k, v in raw_dmv.items():
        if not isinstance(v, bool):
            raise InputError(
                f"not true/false: {_short(v)}",
                file=file,
                field=f"levers.dmv_access.{k}",
                expected="true or false",
            )
        dmv[_state(k, file, f"levers.dmv_access.{k}")] = v
    return dmv


def _overrides(data: Mapping[Any, Any], file: str) -> dict[str, float]:
    """`parameters: {key: {value, reference | assumption}}`: every override needs a source."""
    raw_params = _mapping(
        data.get("parameters"),
        file,
        "parameters",
        "a mapping of parameter key to {value, reference | assumption}",
    )
    overrides: dict[str, float] = {}
    for k, v in raw_params.items():
        if not isinstance(v, Mapping) or "value" not in v:
            raise InputError(
                "override needs a value and a source",
                file=file,
                field=f"parameters.{k}",
                expected="{value, reference | assumption}",
            )
        if not v.get("reference") and not (isinstance(v.get("assumption"), str) and v["assumption"].strip()):
            raise InputError(
                "override has no source",
                file=file,
                field=f"parameters.{k}",
                expected="a 'reference' or an explicit 'assumption'",
            )
        # the unit is known only against the parameter set; here: a finite number (NaN, inf, text refused)
        overrides[str(k)] = check_value(f"parameters.{k}.value", v["value"], "number", file)
    return overrides


SCENARIOS_DIR = PARAMS_DIR.parent / "scenarios"
_SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package (`sharemap sim run --scenario NAME`)."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


def load_scenario(path: str | Path, known_fips: set[str] | None = None) -> Scenario:
    """Read a scenario file, or a shipped scenario by name. The file is read as a user's YAML (a regular
    UTF-8 file within the yaml_kb limit, no aliases), so a folder, a device, a "billion laughs" file or
    bad bytes give one InputError naming the file, never a traceback."""
    p = Path(path)
    try:
        exists = p.exists()
    except (OSError, ValueError):
        exists = False  # a name too long or with a NUL byte: read_user_yaml below names the problem
    if not exists and _SCENARIO_NAME.fullmatch(str(path)):
        builtin = SCENARIOS_DIR / f"{path}.yaml"
        if not builtin.is_file():
            raise InputError(
                "no such scenario file or shipped scenario",
                file=str(path),
                expected="a YAML file or one of " + ", ".join(shipped_scenarios()),
            )
        p = builtin
    return parse_scenario(read_user_yaml(p), str(p), known_fips)


# --- the jail's response to a detainer, decided by the law -------------------------------------------


@dataclass(frozen=True)
class LawRuling:
    """What the law engine says about a sheriff's jail and ICE detainers in a state on a date.

    hold / notify are normalised for the jail model (prohibited | required | permitted |
    permitted_with_conditions for notify); effect is the engine's own answer on holds
    (not_researched and uncertain are kept, so a README can say the jail follows the default).
    """

    state: str
    hold: str  # prohibited | required | permitted
    notify: str
    provision: str | None
    citation: str | None
    source: str  # "law engine" or "scenario"
    effect: str = ""


def _norm_effect(effect: Effect | str) -> str:
    """prohibited | required | permitted: anything else (permitted with conditions, no provision, not
    researched, uncertain) leaves the jail to its default behaviour."""
    value = str(getattr(effect, "value", effect))
    return value if value in ("prohibited", "required") else "permitted"


def rule_state(state: str, date: dt.date, scenario: Scenario) -> LawRuling:
    """Ask the law engine whether a sheriff's jail may hold on a detainer and notify release (the one
    copy of state law: sharemap.law); a scenario's override wins."""
    if state in scenario.state_law:
        eff = scenario.state_law[state]
        return LawRuling(state, eff, eff, None, None, "scenario", eff)
    if state not in JURISDICTIONS:  # a territory the law layer does not cover: nothing is known
        unknown = Effect.NOT_RESEARCHED.value
        return LawRuling(state, "permitted", "permitted", None, None, "law engine", unknown)
    hold = rule(state, Actor.SHERIFF, Action.HOLD_ON_DETAINER, date)
    notify = rule(state, Actor.SHERIFF, Action.NOTIFY_RELEASE, date)
    notify_effect = _norm_effect(notify.effect)
    if notify_effect == "prohibited":
        listed = rule(state, Actor.SHERIFF, Action.NOTIFY_RELEASE, date, Context(listed_conviction=True))
        if _norm_effect(listed.effect) != "prohibited":
            notify_effect = "permitted_with_conditions"
    first = hold.provisions[0] if hold.provisions else None
    return LawRuling(
        state,
        _norm_effect(hold.effect),
        notify_effect,
        first.id if first is not None else None,
        str(first.citation) if first is not None else None,
        "law engine",
        hold.effect.value,
    )


def jail_response(ruling: LawRuling, has_agreement: bool, params: ParamSet) -> tuple[float, float]:
    """(P(hold), P(notify only)) for a jail given the state ruling and a JEM/WSO agreement."""
    if ruling.hold == "prohibited":
        notify = 0.0 if ruling.notify == "prohibited" else params["jail.restricted_notify"]
        return 0.0, notify
    if ruling.hold == "required" or has_agreement:
        return 1.0, 0.0
    return params["jail.default_honour"], params["jail.default_notify"]


# --- compile ----------------------------------------------------------------------------------------


def on_date(scenario: Scenario, agreements: CountyAgreements | None) -> Scenario:
    """The scenario with its date filled in: a scenario without a date takes the date of the ledger list
    its agreements come from. Refused when neither is known."""
    if scenario.date is not None:
        return scenario
    if agreements is not None and agreements.list_date is not None:
        return replace(scenario, date=agreements.list_date)
    raise InputError(
        "the scenario has no date and no ledger list gives one",
        file=scenario.file,
        field="date",
        expected="a date in the scenario file, or agreements read from the ledger",
    )


def county_models(
    counties: Counties, scenario: Scenario, agreements: CountyAgreements | None = None
) -> np.ndarray:
    """(county, 3) flags for JEM, TFM, WSO: the ledger's models (source: ledger) with the scenario's
    state and county levers applied."""
    if scenario.agreements_source == "ledger":
        if agreements is None:
            raise InputError(
                "287(g) agreements come from the ledger but none were given",
                file=scenario.file,
                field="levers.agreements.source",
                expected="CountyAgreements from sharemap.sim.agreements.ledger_agreements (needs "
                "`sharemap build`), or source: none",
            )
        base: Mapping[str, frozenset[str]] = agreements.models
    else:
        base = {}
    models = {k: set(v) for k, v in base.items()}
    for i, f in enumerate(counties.fips):
        st = str(counties.state[i])
        if st in scenario.agreements_states:
            models.setdefault(str(f), set()).update(scenario.agreements_states[st])
    for f, ms in scenario.agreements_counties.items():
        models[f] = set(ms)
    return model_flags(counties, models)


def compile_model(
    params: ParamSet,
    counties: Counties,
    scenario: Scenario | None = None,
    bookings: Mapping[str, float] | None = None,
    agreements: CountyAgreements | None = None,
) -> Model:
    """Compile parameters + scenario + counties (+ the ledger's 287(g) models per county, when the
    scenario takes them from the ledger) into the arrays both implementations use. Pure: no I/O."""
    sc = on_date(scenario or Scenario(), agreements)
    assert sc.date is not None
    if sc.parameters:
        params = params.with_values(sc.parameters, file=sc.file)
    cell, resident, h_fb = composition(params, counties)
    regime, coverage, factor = regime_effects(params, sc)
    pop = counties.population.astype(np.float64)
    per_capita = _admissions(params, sc.date) / float(_national_population())
    bpy = _bookings_per_year(counties, pop * per_capita, bookings)
    flags = county_models(counties, sc, agreements)
    jem, tfm, wso = flags[:, 0], flags[:, 1], flags[:, 2]
    honour, notify = _jail_responses(counties, sc, params, jem | wso)
    dmv_open = np.array([sc.dmv_access.get(str(st), True) for st in counties.state])
    enrol = np.array([params[f"ident.enrolled.{s}"] for s in STATUSES])  # the cells' status order
    appear = np.where(CITIZEN, params["lesc.stale_citizen_record"], 1.0)
    p_ero_cell, p_ero_false = _ero_probabilities(params, sc, sc.ero_intensity * factor)
    hisp_fpr = params["identity.name.fpr.hispanic"]
    other_fpr = params["identity.name.fpr.not_hispanic"]
    contacts = pop * params["tfm.field_contacts_per_1000_per_year"] / 1000 * tfm
    share = pop / float(_national_population())
    bp_index, bp_table = load_birthplace().county_shares(counties.state)
    return Model(
        fips=counties.fips,
        state=counties.state,
        population=pop,
        bookings_per_year=bpy,
        cell_p=cell,
        resident_status_p=resident,
        resident_hisp_p=h_fb,
        jem=jem,
        wso=wso,
        tfm=tfm,
        honour=honour,
        notify=notify,
        dmv_open=dmv_open,
        enrol=enrol,
        appear_removable=appear,
        p_ero_cell=p_ero_cell,
        p_ero_false=p_ero_false,
        wrong_record_removable=params["lesc.wrong_record_removable"],
        fnir=params["identity.biometric.fnir"],
        fpir=params["identity.biometric.fpir"],
        biometric=sc.checks != "name_only",
        name_checks=sc.checks != "biometric_only",
        p_name_check=params["name_check.foreign_born_unmatched"],
        jem_screen=params["jem.screen_foreign_born"],
        interview_detect=params["name_check.interview_detect"],
        name_fnr=np.array([params["identity.name.fnr.hispanic"], params["identity.name.fnr.not_hispanic"]]),
        name_fpr=np.array([hisp_fpr, other_fpr]),
        **_timing(params),
        pickup_after_hold=min(1.0, params["pickup.after_hold"] * sc.pickup_capacity),
        pickup_after_notify=min(
            1.0, params["pickup.after_hold"] * sc.pickup_capacity * params["pickup.after_notify_ratio"]
        ),
        tfm_contacts_per_year=contacts,
        tfm_check_share=params["tfm.check_share_foreign_born"],
        dmv_queries_per_year=params["dmv.ice_queries_per_year"] * share * dmv_open,
        alpr_lookups_per_year=params["alpr.immigration_lookups_per_year"] * share,
        pickup_capacity_per_day=pop
        / 1e5
        * params["des.pickup_capacity_per_day_per_100k"]
        * sc.pickup_capacity,
        jem_hours_per_day=bpy / 365 / 100 * params["des.jem_officer_hours_per_day"],
        jem_interview_hours=params["des.jem_interview_hours"],
        ident_coverage=coverage,
        regime=regime,
        bp_index=bp_index,
        bp_table=bp_table,
    )


def _timing(params: ParamSet) -> dict[str, float]:
    """Log-normal parameters (hours) of the jail release clock and the latencies, and the hold window."""
    med_stay_h = params["jail.median_stay_hours"]
    return {
        "mu_release": math.log(med_stay_h),
        "s_release": lognormal_sigma(med_stay_h, params["jail.mean_stay_days"] * 24),
        "mu_response": math.log(params["latency.booking_to_response.median_hours"]),
        "s_response": params["latency.booking_to_response.sigma"],
        "mu_det_ero": math.log(params["latency.booking_to_detainer.median_hours"]),
        "s_det_ero": params["latency.booking_to_detainer.sigma"],
        "mu_det_jem": math.log(params["latency.jem_detainer.median_hours"]),
        "mu_pickup": math.log(params["latency.detainer_to_pickup.median_hours"]),
        "s_pickup": params["latency.detainer_to_pickup.sigma"],
        "hold_window": params["jail.hold_window_hours"],
    }


def _bookings_per_year(
    counties: Counties, by_population: np.ndarray, bookings: Mapping[str, float] | None
) -> np.ndarray:
    """Bookings per county: national admissions spread by population, or the user's own county figures."""
    bpy = by_population.copy()
    for i, f in enumerate(counties.fips):
        if bookings and str(f) in bookings:
            bpy[i] = bookings[str(f)]
    return bpy


def _jail_responses(
    counties: Counties, sc: Scenario, params: ParamSet, agreement: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(hold), P(notify only)) per county: the law engine's ruling for its state (one per state) and a
    JEM or WSO agreement."""
    assert sc.date is not None
    honour = np.zeros(len(counties))
    notify = np.zeros(len(counties))
    rulings: dict[str, LawRuling] = {}
    for i, st in enumerate(map(str, counties.state)):
        if st not in rulings:
            rulings[st] = rule_state(st, sc.date, sc)
        honour[i], notify[i] = jail_response(rulings[st], bool(agreement[i]), params)
    return honour, notify


def _ero_probabilities(params: ParamSet, sc: Scenario, intensity: float) -> tuple[np.ndarray, np.ndarray]:
    """ERO's detainer probability per cell on a true record and on a wrong (false-match) record, with the
    scenario's priorities and the regime's intensity."""
    base = params["ero.detainer.no_status"]
    p_status = np.array(
        [
            base,
            base,
            base,
            params["ero.detainer.lpr"],
            base * params["ero.detainer.visa_ratio"],
            base * params["ero.detainer.humanitarian_ratio"],
            base,
        ]
    )
    no_prior = 0.0 if sc.ero_priorities == "prior_arrest_only" else params["ero.priority.no_prior_ratio"]
    prio = np.array([1.0, no_prior])
    p_ero_cell = np.clip(p_status[CELL_STATUS] * prio[CELL_PRIOR] * intensity, 0, 1)
    p_ero_false = np.clip(np.full(N_CELLS, base) * prio[CELL_PRIOR] * intensity, 0, 1)
    return p_ero_cell, p_ero_false


def regime_effects(params: ParamSet, sc: Scenario) -> tuple[str, float, float]:
    """(regime, IDENT coverage, ERO factor) on the scenario's date, or for the regime it names. A date
    after the last dated regime keeps the last one; a date before 2008 is refused."""
    from sharemap.sim.regimes import load_regimes

    assert sc.date is not None
    regs = load_regimes()
    if sc.date < regs.first_day:
        raise InputError(
            f"{sc.date} is before {regs.first_day}: the dated regimes begin with Secure Communities in 2008",
            file=sc.file,
            field="date",
            expected=f"a date from {regs.first_day}",
        )
    day = min(sc.date, regs.last_day)
    reg = regs.get(sc.regime, sc.file) if sc.regime else regs.on(day)
    return (
        reg.key,
        regs.coverage(day),
        _factors(params["bookings.national_per_year_2013"], params["bookings.national_per_year"])[reg.key],
    )


@lru_cache(maxsize=8)
def _factors(a13: float, a23: float) -> dict[str, float]:
    from sharemap.sim.params import load_params
    from sharemap.sim.regimes import ero_factors

    base = load_params()
    return ero_factors(
        base.with_values({"bookings.national_per_year_2013": a13, "bookings.national_per_year": a23})
    )


def _admissions(params: ParamSet, day: dt.date) -> float:
    """National admissions per year: an explicit override (calibration, a scenario) wins, else the BJS
    figures interpolated to the date (sharemap.sim.regimes.national_admissions)."""
    from sharemap.sim.regimes import national_admissions

    if "bookings.national_per_year" in params.overrides:
        return params["bookings.national_per_year"]
    return national_admissions(params, day)


def rulings_for(counties: Counties, scenario: Scenario) -> list[LawRuling]:
    """The law's ruling per state in the selection (which provision decided the jail response)."""
    sc = on_date(scenario, None)
    assert sc.date is not None
    return [rule_state(st, sc.date, sc) for st in sorted(set(map(str, counties.state)))]


_NATIONAL_POP: list[int] = []


def _national_population() -> int:
    if not _NATIONAL_POP:
        from sharemap.sim.counties import counties as all_counties

        _NATIONAL_POP.append(int(all_counties().population.sum()))
    return _NATIONAL_POP[0]
