"""Statements built once per shape (models/statements.py): the shape is shared by every viewer of
a role, the values of each viewer's row scope are bound per request."""

from __future__ import annotations

from typing import Any

import pytest

from models import statements
from tests.conftest import Api
from tests.conftest import codes as codes_of

PERIODS = """{ persons(first: 30) { nodes { socialInsuranceCode
  contributionPeriods(first: 3) { nodes { id } } } } }"""


def _shapes(name: str) -> set[object]:
    # A shape's key: (the statement's key, whose first item is the list's name; the parts' structure).
    return {key for key in statements.SHAPES._built if isinstance(key, tuple) and key[0][0] == name}


async def _periods(api: Api, viewer: str) -> set[str]:
    data = await api.data(PERIODS, as_=viewer)
    return {p["id"] for n in data["persons"]["nodes"] for p in n["contributionPeriods"]["nodes"]}


async def test_persons_periods_bound_per_officer(api: Api) -> None:
    hanoi = await _periods(api, "officer.hanoi")
    built = _shapes("periods_by_person")
    hcm = await _periods(api, "officer.hcm")
    assert hanoi and hcm and not hanoi & hcm
    # The statement built for Hanoi's officer answered HCM's (no new shape), with HCM's province.
    assert _shapes("periods_by_person") == built
    assert await _periods(api, "officer.hanoi") == hanoi


async def test_units_employees_pages_filled_under_scope(api: Api) -> None:
    """Each unit's page holds the first people of the roster in the viewer's scope: filled under
    the scope (an officer's province), not cut before it."""

    def rosters(data: dict[str, Any]) -> dict[str, list[str]]:
        return {
            u["code"]: [e["socialInsuranceCode"] for e in u["employees"]["nodes"]]
            for u in data["units"]["nodes"]
        }

    query = """query($n: Int) { units(first: 20) { nodes { code
      employees(first: $n) { nodes { socialInsuranceCode } } } } }"""
    everyone = rosters(await api.data(query, {"n": 100}, as_="admin"))
    whole = rosters(await api.data(query, {"n": 100}, as_="officer.hanoi"))
    pages = rosters(await api.data(query, {"n": 2}, as_="officer.hanoi"))
    assert any(whole.values())
    for code, people in whole.items():
        assert pages[code] == people[:2]
        assert people == sorted(people)
        if code in everyone:
            assert set(people) <= set(everyone[code])


def test_part_of_a_kept_expression_walked_once_of_a_new_one_again() -> None:
    from models.statements import part
    from models.tables import person_t

    kept = person_t.c.province_scope == "01"
    first = part(kept)
    assert first is not None and part(kept) is first
    other = part(person_t.c.province_scope == "79")  # a new expression of the same structure
    assert other is not None and other is not first
    assert other.structure == first.structure and other.values != first.values


async def test_units_employees_rows_arriving_out_of_order_paged_in_roster_order(
    api: Api, monkeypatch: Any
) -> None:
    """SQLite's UNION ALL of the rosters carries no ORDER BY (resolvers/children.py): each unit's
    page is ordered after the rows are grouped. Rows the database hands back in reverse must give
    the same pages, through both executors."""
    import resolvers.children as children

    if api.app.state.runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's LATERAL pages are ordered by the statement")

    query = """{ units(first: 20) { nodes { code
      employees(first: 4) { nodes { socialInsuranceCode } } } } }"""
    expected = await api.data(query, as_="admin")
    real = children.run

    async def reversed_run(*args: Any, **kwargs: Any) -> list[Any]:
        return list(reversed(await real(*args, **kwargs)))

    monkeypatch.setattr(children, "run", reversed_run)
    assert any(len(u["employees"]["nodes"]) > 1 for u in expected["units"]["nodes"])
    again = await api.post(query, as_="admin", fresh=True)  # executed again, not the cached answer
    assert again == {"data": expected}


def test_child_list_of_many_rows_ordered_by_a_nullable_column_refused() -> None:
    from sqlalchemy import select

    from models.tables import person_t
    from resolvers.children import ChildList
    from resolvers.pagination import Ordering

    with pytest.raises(ValueError, match="NOT NULL"):
        ChildList(
            "by_phone",
            lambda: select(person_t),
            person_t.c.province_scope,
            "province_scope",
            Ordering("phone", (person_t.c.phone, person_t.c.id)),
            person_t.c.id > 0,
            many=True,
        )


async def _people(session: Any, ids: list[int]) -> list[Any]:
    from sqlalchemy import select

    from models.statements import ids_in, run
    from models.tables import person_t

    return await run(
        session,
        "test_people_by_id",
        [person_t.c.id > 0],
        lambda parts: select(person_t.c.id, person_t.c.full_name).where(ids_in(person_t.c.id), *parts),
        {"ids": ids},
    )


async def test_statement_run_again_read_straight_from_the_driver_same_rows_counted_and_seen(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a statement's rows are known and the transaction has its connection, reads skip
    SQLAlchemy's execution context (models/statements._direct): the same rows, the same statement
    count and read tables, the same cursor events, on both backends."""
    from sqlalchemy import event

    from models.engine import count_statements

    runtime = api.app.state.runtime
    through_sqlalchemy: list[object] = []
    real = statements._run

    def counted(*args: Any) -> Any:
        through_sqlalchemy.append(args[1])
        return real(*args)

    monkeypatch.setattr(statements, "_run", counted)
    seen: list[str] = []

    def before(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        async with runtime.sessionmaker() as session:
            with count_statements() as counter:
                first = await _people(session, [1, 2, 3])
                again = await _people(session, [1, 2, 3])
                other = await _people(session, [2])
            async with runtime.sessionmaker() as fresh:  # its first statement: checked out, then short
                with count_statements() as fresh_counter:
                    assert await _people(fresh, [1, 2, 3]) == first
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert first and again == first and [tuple(r) for r in other] == [tuple(r) for r in first if r.id == 2]
    assert again[0].full_name == first[0].full_name
    assert len(through_sqlalchemy) == 1  # the first one only
    assert counter.count == 3 and "person" in counter.read and not counter.wrote
    assert fresh_counter.count == 1 and "person" in fresh_counter.read
    # The app's own background readers (the event hub) may run meanwhile: only ours are counted.
    assert len([s for s in seen if "person.full_name" in s]) == 4


async def test_statement_read_failing_at_the_driver_run_again_through_sqlalchemy(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from models import sqlite

    if api.app.state.runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's reads run through SQLAlchemy's execution")

    tried: list[str] = []

    async def failing(_connection: Any, statement: str, _parameters: Any) -> Any:
        tried.append(statement)
        raise sqlite3.OperationalError("disk I/O error")

    async with api.app.state.runtime.sessionmaker() as session:
        first = await _people(session, [1, 2])
        monkeypatch.setattr(sqlite, "read", failing)
        assert await _people(session, [1, 2]) == first  # SQLAlchemy's execution answered it
    assert len(tried) == 1 and "FROM person" in tried[0]


async def test_statement_read_failing_on_postgresql_raised_as_sqlalchemy_raises_it(api: Api) -> None:
    """PostgreSQL aborts the transaction of a failed statement: the direct read may not run it
    again. A statement timeout must reach the caller as SQLAlchemy's error with the server's
    message (what resolvers/statistics.py turns into QUERY_TOO_COMPLEX)."""
    from sqlalchemy import bindparam, func, select, text
    from sqlalchemy.exc import DBAPIError

    from models.statements import run
    from models.tables import person_t

    if api.app.state.runtime.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's failed reads run again through SQLAlchemy")

    async def slow(session: Any, seconds: float) -> list[Any]:
        return await run(
            session,
            "test_slow_read",
            [person_t.c.id > 0],
            lambda parts: select(func.count(), func.pg_sleep(bindparam("seconds"))).where(*parts),
            {"seconds": seconds},
        )

    async with api.app.state.runtime.sessionmaker() as session:
        await slow(session, 0)  # built, run through SQLAlchemy: its rows known
        await session.execute(text("SET LOCAL statement_timeout = 50"))
        with pytest.raises(DBAPIError, match="statement timeout"):
            await slow(session, 2)
        with pytest.raises(DBAPIError, match="current transaction is aborted"):
            await session.execute(text("SELECT 1"))
        await session.rollback()


async def test_statement_read_after_a_write_sees_the_write_of_its_transaction(api: Api) -> None:
    """A direct read after a write of the same unit of work is inside its transaction: it sees the
    write before the commit, and nothing of it after a rollback (both backends)."""
    from sqlalchemy import update

    from models.tables import person_t

    async with api.app.state.runtime.sessionmaker() as session:
        first = await _people(session, [1])  # run through SQLAlchemy once: the next ones are direct
        assert (await _people(session, [1])) == first
        await session.execute(update(person_t).where(person_t.c.id == 1).values(full_name="Tạm Thời"))
        assert [r.full_name for r in await _people(session, [1])] == ["Tạm Thời"]
        await session.rollback()
        assert await _people(session, [1]) == first


async def test_persons_page_built_once_bound_per_officer_and_cursor(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root list of persons is one shape per (scope, filters, cursor) structure: another
    officer and another cursor bind their own values into it, and a cursor stays its scope's."""
    monkeypatch.setattr(statements, "SHAPES", statements.Shapes())  # none built by earlier tests
    query = """query($after: String) { persons(first: 3, after: $after) {
      nodes { socialInsuranceCode } pageInfo { endCursor } } }"""

    async def codes(viewer: str, **variables: Any) -> tuple[list[str], Any]:
        body = await api.post(query, variables, as_=viewer, fresh=True)
        assert "errors" not in body, body["errors"]
        persons = body["data"]["persons"]
        return [n["socialInsuranceCode"] for n in persons["nodes"]], persons["pageInfo"]["endCursor"]

    hanoi, cursor = await codes("officer.hanoi")
    built = _shapes("persons")
    hcm, _ = await codes("officer.hcm")
    assert hanoi and hcm and not set(hanoi) & set(hcm)
    assert _shapes("persons") == built  # HCM's officer bound HCM into Hanoi's statement
    following, _ = await codes("officer.hanoi", after=cursor)
    assert following and following[0] > hanoi[-1]
    with_cursor = _shapes("persons")
    assert len(with_cursor) == len(built) + 1  # the cursor's comparison: a part of its own
    assert (await codes("officer.hanoi", after=cursor))[0] == following
    assert _shapes("persons") == with_cursor
    refused = await api.post(query, {"after": cursor}, as_="officer.hcm", fresh=True)
    assert codes_of(refused) == ["BAD_USER_INPUT"]  # Hanoi's cursor in HCM's scope


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_bound_parameters_same_as_sqlalchemy_works_them_out(dialect_name: str) -> None:
    """`_bound` keeps the text and the plan of the positions per statement and list lengths: for
    every call it must give what SQLAlchemy's own expansion gives for those values, whoever's part
    values they are (anonymous binds), whatever the lists' lengths, constants included."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from models.statements import Built, _bound, _worked_out, ids_in, parameters, part
    from models.tables import person_t
    from models.text import contains

    dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.dialect()
    if dialect_name == "postgresql":
        dialect.paramstyle = "numeric_dollar"  # asyncpg's
        dialect.positional = True

    def scope(province: str) -> Any:
        return person_t.c.province_scope == province

    def names(made: Any) -> tuple[str, ...]:
        return tuple(b.key for b in made.expression._generate_cache_key().bindparams)

    first, search = part(scope("01")), part(contains(person_t.c.search_name, "nguyen"))
    assert first is not None and search is not None
    statement = select(person_t.c.id).where(
        ids_in(person_t.c.id),
        first.expression,
        person_t.c.gender == "F",  # "F": the statement's own
    )
    searching = statement.where(search.expression)  # a pattern rendered into the text
    calls = [("01", [1], "an"), ("79", [2], "binh"), ("48", [3, 4, 5], "an"), ("01", [6, 7, 8], "chi")]
    for shape in (statement, searching):
        built = Built(shape, (names(first),) if shape is statement else (names(first), names(search)))
        compiled = built.compiled_for(dialect)
        for province, ids, text in [*calls, ("79", [], "")]:
            made = [part(scope(province))]
            if shape is searching:
                made.append(part(contains(person_t.c.search_name, text)))
            values = parameters(built, made, {"ids": ids})  # type: ignore[arg-type]
            assert _bound(built, compiled, values) == _worked_out(compiled, values), (province, ids, text)


def test_bound_parameters_of_a_list_not_given_refused_as_sqlalchemy_refuses_them() -> None:
    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.exc import InvalidRequestError

    from models.statements import Built, _bound, ids_in
    from models.tables import person_t

    built = Built(select(person_t.c.id).where(ids_in(person_t.c.id)), ())
    compiled = built.compiled_for(sqlite.dialect())
    with pytest.raises(InvalidRequestError, match="ids"):
        _bound(built, compiled, {})
