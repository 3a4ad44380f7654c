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
    Ruling,
    Status,
    Verification,
    default_law,
)
from sharemap.law.compile import (
    ENUM_COLUMNS,
    INPUT_COLUMNS,
    compile_query,
    create_enum_types,
    load_slots,
    rule_table,
)
from sharemap.law.model import Condition, Injunction, Scope
from sharemap.law.vocab import JURISDICTIONS, Authority, ConditionKind

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


_VALUE_VOCABS: dict[ConditionKind, Any] = {
    ConditionKind.LEGAL_PROCESS: LegalProcess,
    ConditionKind.PURPOSE: Purpose,
    ConditionKind.RECIPIENT: Recipient,
    ConditionKind.DATA: DataKind,
}


@st.composite
def conditions(draw: Any) -> Condition:
    """Any exception or condition: a value kind with 1-3 values, or a flag."""
    kind = draw(st.sampled_from(list(ConditionKind)))
    if kind in _VALUE_VOCABS:
        values = draw(
            st.lists(
                st.sampled_from([m.value for m in _VALUE_VOCABS[kind]]), min_size=1, max_size=3, unique=True
            )
        )
        return Condition(kind=kind, values=tuple(values), text="t")
    return Condition(kind=kind, text="t")


@st.composite
def provisions(draw: Any, n: int = 0) -> Provision:
    """A made-up provision of any effect, status, scope, exceptions and conditions (a federal
    savings clause now and then), to check the compiled form beyond the shipped provisions."""
    effect = draw(st.sampled_from([e for e in Effect if e not in RULING_ONLY]))
    saves = effect is Effect.PERMITTED and draw(st.booleans())
    j = "US" if saves else draw(st.sampled_from(JURISDICTIONS))
    start = draw(dates)
    end = draw(st.none() | st.integers(1, 2000).map(lambda d: start + dt.timedelta(days=d)))
    status = (
        Status.SUPERSEDED if end is not None else draw(st.sampled_from([Status.IN_FORCE, Status.ENJOINED]))
    )
    since = start + dt.timedelta(days=draw(st.integers(0, 2000))) if status is Status.ENJOINED else None
    # now and then only bounds of the start or the end are known
    start_latest = draw(
        st.none() | st.none() | st.integers(1, 400).map(lambda d: start + dt.timedelta(days=d))
    )
    end_latest = None
    if end is not None:
        end_latest = draw(
            st.none() | st.none() | st.integers(1, 400).map(lambda d: end + dt.timedelta(days=d))
        )
        if start_latest is not None and start_latest >= end:
            start_latest = None

    def subset(vocab: Any) -> tuple[Any, ...]:  # unscoped two times in three
        return tuple(
            draw(st.just([]) | st.just([]) | st.lists(st.sampled_from(list(vocab)), max_size=3, unique=True))
        )

    scope = Scope(purpose=subset(Purpose), recipient=subset(Recipient), data=subset(DataKind))
    if saves:
        scope = Scope(data=(DataKind.IMMIGRATION_STATUS,))
    injunctions = tuple(draw(st.lists(injunctions_from(start), max_size=2)))
    authority = draw(st.sampled_from([Authority.STATUTE] * 4 + [Authority.AG_OPINION]))
    return Provision(
        id=f"{j}-hypothesis-{n}",
        jurisdiction=j,
        citation="test",
        title="test",
        summary="test",
        effective_from=start,
        effective_to=end,
        effective_from_latest=start_latest,
        effective_to_latest=end_latest,
        status=status,
        status_since=since,
        actors=tuple(draw(st.lists(st.sampled_from(list(Actor)), min_size=1, max_size=4, unique=True))),
        actions=tuple(draw(st.lists(st.sampled_from(list(Action)), min_size=1, max_size=4, unique=True))),
        effect=effect,
        scope=scope,
        exceptions=tuple(draw(st.lists(conditions(), max_size=3))),
        conditions=tuple(draw(st.lists(conditions(), max_size=3)))
        if effect is Effect.PERMITTED_WITH_CONDITIONS
        else (),
        saves=saves,
        authority=authority,
        injunctions=injunctions,
        verification=Verification.UNVERIFIED,
        sources=(SRC,),
    )


@st.composite
def injunctions_from(draw: Any, start: dt.date) -> Injunction:
    """A court order over some dates after `start`, lifted later or still in effect."""
    begin = start + dt.timedelta(days=draw(st.integers(-30, 1500)))
    end = draw(st.none() | st.integers(1, 900).map(lambda d: begin + dt.timedelta(days=d)))
    return Injunction(
        court="Test Court", case="No. 0", enjoined_from=begin, enjoined_to=end, scope="whole", sources=(SRC,)
    )


# how permissive an effect is: a prohibition can only move a ruling down this order
PERMISSIVENESS = {
    Effect.PROHIBITED: 0,
    Effect.PERMITTED_WITH_CONDITIONS: 1,
    Effect.REQUIRED: 2,
    Effect.PERMITTED: 2,
    Effect.NO_PROVISION: 3,
    Effect.NOT_RESEARCHED: 3,
}
RULING_ONLY = (Effect.NO_PROVISION, Effect.NOT_RESEARCHED, Effect.UNCERTAIN)


def permissiveness(r: Ruling) -> int:
    """How permissive a ruling is; an uncertain one counts as its most permissive reading."""
    if r.readings:
        return max(PERMISSIVENESS[x.effect] for x in r.readings)
    return PERMISSIVENESS[r.effect]


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
    assert after.effect in (
        before.effect,
        Effect.PROHIBITED,
        Effect.PERMITTED_WITH_CONDITIONS,
        Effect.UNCERTAIN,
    )
    if after.effect is not before.effect:
        assert extra.id in after.provision_ids
    assert permissiveness(after) <= permissiveness(before)


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


@settings(max_examples=300, deadline=None)
@given(q=questions, extra=prohibitions(), data=st.data())
def test_an_injunction_over_a_date_never_makes_a_ruling_stricter(
    q: tuple[Any, ...], extra: Provision, data: Any
) -> None:
    """On a date inside an injunction, a ruling is the ruling without the enjoined provision."""
    j, actor, action, day, ctx = q
    order = data.draw(injunctions_from(day - dt.timedelta(days=400)))
    if not order.covers(day):
        order = order.model_copy(update={"enjoined_from": day, "enjoined_to": None})
    enjoined = extra.model_copy(update={"injunctions": (order,)})
    without = LAW.rule(j, actor, action, day, ctx)
    inside = LAW.with_provisions([enjoined]).rule(j, actor, action, day, ctx)
    assert (inside.effect, inside.provision_ids) == (without.effect, without.provision_ids)
    assert permissiveness(inside) >= permissiveness(LAW.with_provisions([extra]).rule(*q))


@settings(max_examples=200, deadline=None)
@given(q=questions)
def test_shipped_provisions_never_decide_before_their_date(q: tuple[Any, ...]) -> None:
    ruling = LAW.rule(*q)
    for p in ruling.provisions:
        assert p.in_force_on(ruling.date)


# --- compiled SQL agrees with the engine --------------------------------------------------------

ROW_COLUMNS = (*INPUT_COLUMNS, "rid")


def _row(q: tuple[Any, ...], raw_nulls: tuple[bool, bool]) -> tuple[Any, ...]:
    """The question as a table row; raw_nulls: write default facts as NULL (legal process and flags,
    purpose)."""
    j, actor, action, day, ctx = q
    lp = None if raw_nulls[0] and ctx.legal_process is LegalProcess.NONE else ctx.legal_process.value
    pu = None if raw_nulls[1] and ctx.purpose is Purpose.CIVIL_IMMIGRATION else ctx.purpose.value

    def flag(v: bool) -> bool | None:
        return None if raw_nulls[0] and not v else v

    return (
        j,
        actor.value,
        action.value,
        day,
        lp,
        pu,
        ctx.recipient.value if ctx.recipient else None,
        ctx.data.value if ctx.data else None,
        flag(ctx.listed_conviction),
        flag(ctx.consent),
        flag(ctx.written_assurance),
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
    # the ruling codes, joined with the rulings table afterwards, say the same
    for is_typed, src in ((False, "q"), (True, typed_src)):
        sql = compile_query(compiled, src, typed=is_typed, codes=True)
        coded = con.execute(
            f"SELECT t.rid, r.effect, r.provisions FROM ({sql}) t "
            f"JOIN {compiled.rulings} r USING (ruling) ORDER BY t.rid"
        ).fetchall()
        assert coded == plain
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


@st.composite
def questions_near(draw: Any, ps: tuple[Provision, ...]) -> tuple[Any, ...]:
    """A question a provision reaches: its jurisdiction (any, for a federal one), one of its
    actors and actions, a date around its start or end."""
    p = draw(st.sampled_from(ps))
    j = draw(st.sampled_from(JURISDICTIONS)) if p.jurisdiction == "US" else p.jurisdiction
    edges = [p.effective_from, *(d for d in (p.effective_to, p.status_since) if d is not None)]
    edges += [d for i in p.injunctions for d in (i.enjoined_from, i.enjoined_to) if d is not None]
    day = draw(st.sampled_from(edges)) + dt.timedelta(days=draw(st.integers(-2, 2)))
    return (j, draw(st.sampled_from(p.actors)), draw(st.sampled_from(p.actions)), day, draw(contexts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    extra=st.lists(st.integers(0, 99), min_size=1, max_size=3, unique=True).flatmap(
        lambda ns: st.tuples(*(provisions(n) for n in ns))
    ),
    nulls=st.tuples(st.booleans(), st.booleans()),
)
def test_compiled_sql_agrees_on_provisions_of_every_kind(
    con: Any, data: Any, extra: tuple[Provision, ...], nulls: tuple[bool, bool]
) -> None:
    """Random required, conditional and permitting provisions, savings clauses, injunctions and
    end dates, scopes on every fact, exceptions and conditions of every kind, NULL facts; asked
    questions they reach, and random ones."""
    qs = data.draw(st.lists(questions_near(extra), min_size=1, max_size=40))
    qs += data.draw(st.lists(questions, max_size=10))
    law = LAW.with_provisions(list(extra))
    _agree(con, law, [_row(q, nulls) for q in qs], qs)


def test_rule_table_returns_the_source_columns_and_the_ruling() -> None:
    """Unknown jurisdictions, actors or actions and NULL dates rule as no_provision."""
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE log AS SELECT * FROM (VALUES "
        "(1, 'IL', 'sheriff', 'hold_on_detainer', DATE '2024-06-01', 'detainer'), "
        "(2, 'XX', 'sheriff', 'hold_on_detainer', DATE '2024-06-01', NULL), "
        "(3, 'IL', 'sheriff', 'no_such_action', DATE '2024-06-01', NULL), "
        "(4, 'IL', 'sheriff', 'hold_on_detainer', NULL, NULL)"
        ") t(id, jurisdiction, actor, action, date, legal_process)"
    )
    source = (
        "(SELECT *, NULL purpose, NULL recipient, NULL data, NULL listed_conviction, NULL consent,"
        " NULL written_assurance FROM log)"
    )
    rel = rule_table(c, source)
    assert rel.columns[-2:] == ["effect", "provisions"]
    assert rel.columns[:6] == ["id", "jurisdiction", "actor", "action", "date", "legal_process"]
    rows = sorted(rel.fetchall())
    assert [(r[0], r[-2], r[-1]) for r in rows] == [
        (1, "prohibited", "IL-5ILCS805-15a-detainer"),
        (2, "no_provision", ""),
        (3, "no_provision", ""),
        (4, "no_provision", ""),
    ]
    kept = rule_table(c, source, keep=("id",)).fetchall()
    assert sorted(kept) == [(r[0], r[-2], r[-1]) for r in rows]
