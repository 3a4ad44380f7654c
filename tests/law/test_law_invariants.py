"""Invariants of the engine (hypothesis) and agreement of the compiled SQL with the Python engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharemap.kb.model import Source
from sharemap.law import (
    Action,
    Actor,
    Context,
    DataKind,
    Effect,
    Law,
    LegalProcess,
    Provision,
    Purpose,
    Recipient,
    Status,
    Verification,
    default_law,
)
from sharemap.law.compile import ENUM_COLUMNS, INPUT_COLUMNS, compile_query, create_enum_types, load_slots
from sharemap.law.model import Condition, Scope
from sharemap.law.vocab import JURISDICTIONS, ConditionKind

LAW = default_law()
DAY0 = dt.date(2017, 1, 1)
DAYS = (dt.date(2026, 12, 31) - DAY0).days

dates = st.integers(0, DAYS).map(lambda n: DAY0 + dt.timedelta(days=n))
contexts = st.builds(
    Context,
    legal_process=st.sampled_from(list(LegalProcess)),
    purpose=st.sampled_from(list(Purpose)),
    recipient=st.none() | st.sampled_from(list(Recipient)),
    data=st.none() | st.sampled_from(list(DataKind)),
    listed_conviction=st.booleans(),
    consent=st.booleans(),
    written_assurance=st.booleans(),
)
questions = st.tuples(
    st.sampled_from(JURISDICTIONS),
    st.sampled_from(list(Actor)),
    st.sampled_from(list(Action)),
    dates,
    contexts,
)
SRC = Source(title="hypothesis test source", url="https://example.org/test")  # type: ignore[arg-type]


@st.composite
def prohibitions(draw: Any) -> Provision:
    """A made-up prohibiting provision with random reach, dates, scope and exceptions."""
    j = draw(st.sampled_from(JURISDICTIONS))
    start = draw(dates)
    exceptions = draw(
        st.lists(
            st.one_of(
                st.builds(
                    lambda vs: Condition(kind=ConditionKind.LEGAL_PROCESS, values=tuple(vs), text="t"),
                    st.lists(
                        st.sampled_from([m.value for m in LegalProcess]), min_size=1, max_size=3, unique=True
                    ),
                ),
                st.sampled_from(
                    [
                        Condition(kind=ConditionKind.CONSENT, text="t"),
                        Condition(kind=ConditionKind.LISTED_CONVICTION, text="t"),
                    ]
                ),
            ),
            max_size=2,
        )
    )
    scope = draw(
        st.sampled_from(
            [
                Scope(),
                Scope(purpose=(Purpose.CIVIL_IMMIGRATION,)),
                Scope(data=(DataKind.ADDRESS, DataKind.PERSONAL_INFO)),
            ]
        )
    )
    return Provision(
        id=f"{j}-hypothesis-added",
        jurisdiction=j,
        citation="test",
        title="test",
        summary="test",
        effective_from=start,
        status=Status.IN_FORCE,
        actors=tuple(draw(st.lists(st.sampled_from(list(Actor)), min_size=1, max_size=4, unique=True))),
        actions=tuple(draw(st.lists(st.sampled_from(list(Action)), min_size=1, max_size=4, unique=True))),
        effect=Effect.PROHIBITED,
        scope=scope,
        exceptions=tuple(exceptions),
        verification=Verification.UNVERIFIED,
        sources=(SRC,),
    )


# how permissive an effect is: a prohibition can only move a ruling down this order
PERMISSIVENESS = {
    Effect.PROHIBITED: 0,
    Effect.PERMITTED_WITH_CONDITIONS: 1,
    Effect.REQUIRED: 2,
    Effect.PERMITTED: 2,
    Effect.NO_PROVISION: 3,
}


@settings(max_examples=300, deadline=None)
@given(q=questions)
def test_rulings_are_deterministic(q: tuple[Any, ...]) -> None:
    a = LAW.rule(*q)
    b = LAW.rule(*q)
    c = Law(LAW.provisions).rule(*q)
    assert a == b == c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=questions, extra=prohibitions())
def test_adding_a_prohibition_never_makes_a_ruling_more_permissive(
    q: tuple[Any, ...], extra: Provision
) -> None:
    before = LAW.rule(*q)
    after = LAW.with_provisions([extra]).rule(*q)
    # the new provision either decides (prohibited, or permitted with conditions when its exception is
    # met) or leaves the ruling unchanged (out of scope, not yet in force, outranked, or set aside by a
    # federal savings clause)
    assert after.effect in (before.effect, Effect.PROHIBITED, Effect.PERMITTED_WITH_CONDITIONS)
    if after.effect is not before.effect:
        assert extra.id in after.provision_ids
    assert PERMISSIVENESS[after.effect] <= PERMISSIVENESS[before.effect]


@settings(max_examples=300, deadline=None)
@given(q=questions, extra=prohibitions())
def test_a_provision_never_affects_dates_before_it_took_effect(q: tuple[Any, ...], extra: Provision) -> None:
    j, actor, action, day, ctx = q
    if day >= extra.effective_from:
        day = extra.effective_from - dt.timedelta(days=1)
    before = LAW.rule(j, actor, action, day, ctx)
    after = LAW.with_provisions([extra]).rule(j, actor, action, day, ctx)
    assert after.effect is before.effect
    assert after.provision_ids == before.provision_ids


@settings(max_examples=200, deadline=None)
@given(q=questions)
def test_shipped_provisions_never_decide_before_their_date(q: tuple[Any, ...]) -> None:
    ruling = LAW.rule(*q)
    for p in ruling.provisions:
        assert p.in_force_on(ruling.date)


# --- compiled SQL agrees with the engine --------------------------------------------------------

ROW_COLUMNS = (*INPUT_COLUMNS, "rid")


def _row(q: tuple[Any, ...], raw_nulls: tuple[bool, bool]) -> tuple[Any, ...]:
    j, actor, action, day, ctx = q
    lp = None if raw_nulls[0] and ctx.legal_process is LegalProcess.NONE else ctx.legal_process.value
    pu = None if raw_nulls[1] and ctx.purpose is Purpose.CIVIL_IMMIGRATION else ctx.purpose.value
    return (
        j,
        actor.value,
        action.value,
        day,
        lp,
        pu,
        ctx.recipient.value if ctx.recipient else None,
        ctx.data.value if ctx.data else None,
        ctx.listed_conviction,
        ctx.consent,
        ctx.written_assurance,
    )


@pytest.fixture(scope="module")
def con() -> Any:
    c = duckdb.connect()
    create_enum_types(c)
    c.execute(
        "CREATE TABLE q (jurisdiction VARCHAR, actor VARCHAR, action VARCHAR, date DATE, "
        "legal_process VARCHAR, purpose VARCHAR, recipient VARCHAR, data VARCHAR, "
        "listed_conviction BOOLEAN, consent BOOLEAN, "
        "written_assurance BOOLEAN, rid INTEGER)"
    )
    return c


def _agree(con: Any, law: Law, rows: list[tuple[Any, ...]], qs: list[tuple[Any, ...]]) -> None:
    con.execute("DELETE FROM q")
    columns = list(zip(*[(*r, i) for i, r in enumerate(rows)], strict=True))
    batch = pa.table({name: list(col) for name, col in zip(ROW_COLUMNS, columns, strict=True)})
    con.register("batch", batch)
    con.execute(f"INSERT INTO q SELECT {', '.join(ROW_COLUMNS)} FROM batch")
    con.unregister("batch")
    compiled = load_slots(con, law)
    plain = con.execute(
        f"SELECT rid, effect, provisions FROM ({compile_query(compiled, 'q')}) ORDER BY rid"
    ).fetchall()
    cols = ", ".join(
        f"CAST({c} AS {ENUM_COLUMNS[c]}) AS {c}" if c in ENUM_COLUMNS else c for c in ROW_COLUMNS
    )
    typed_src = f"(SELECT {cols} FROM q)"
    typed = con.execute(
        f"SELECT rid, effect, provisions FROM ({compile_query(compiled, typed_src, typed=True)}) ORDER BY rid"
    ).fetchall()
    assert plain == typed
    for (rid, effect, ids), q in zip(plain, qs, strict=True):
        ruling = law.rule(*q)
        assert (effect, ids) == (ruling.effect.value, ",".join(ruling.provision_ids)), (rid, q)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=st.lists(questions, min_size=1, max_size=60), nulls=st.tuples(st.booleans(), st.booleans()))
def test_compiled_sql_agrees_with_engine(
    con: Any, qs: list[tuple[Any, ...]], nulls: tuple[bool, bool]
) -> None:
    _agree(con, LAW, [_row(q, nulls) for q in qs], qs)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=st.lists(questions, min_size=1, max_size=30), extra=prohibitions())
def test_compiled_sql_agrees_on_other_provision_sets(
    con: Any, qs: list[tuple[Any, ...]], extra: Provision
) -> None:
    law = LAW.with_provisions([extra])
    _agree(con, law, [_row(q, (False, False)) for q in qs], qs)


def test_compiled_sql_agrees_on_every_cell_of_the_matrix(con: Any) -> None:
    """Exhaustive over jurisdiction x actor x action on three dates, default context."""
    qs = [
        (j, a, x, d, Context())
        for j in JURISDICTIONS
        for a in Actor
        for x in Action
        for d in (dt.date(2018, 6, 1), dt.date(2024, 6, 1), dt.date(2026, 11, 24))
    ]
    _agree(con, LAW, [_row(q, (True, True)) for q in qs], qs)
