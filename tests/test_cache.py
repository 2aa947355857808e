"""The caches of sessions and read-only answers: what is cached, and that a write kills it at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from auth import tokens
from infra.broker import InProcessBroker, RedisBroker
from infra.cache import Caches
from models.tables import access_log_t, person_t
from models.types import utcnow
from settings import Settings
from tests.conftest import Api, Factory, codes
from tests.test_entry import SUSPEND, issued, person_of

HOME = """{ viewer { person { fullName socialInsuranceCode
  healthInsuranceCard { number status } } } }"""


async def signed_in(api: Api, person: Any) -> str:
    """A session for the person (who gets an account first): the bearer token."""
    return await api.token(await Factory(api.app).citizen(person=person))


async def renamed(api: Api, person: Any, name: str, *, commit: bool) -> None:
    """The person's name changed directly in the database, committed or rolled back."""
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(update(person_t).where(person_t.c.id == person.id).values(full_name=name))
        await (session.commit() if commit else session.rollback())


async def home(api: Api, token: str) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql", json={"query": HOME}, headers={"Authorization": f"Bearer {token}", "X-Ansinh-Debug": "1"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_home_repeated_is_answered_from_the_cache_with_one_session_check(api: Api) -> None:
    """The answer comes from the cache; the one statement is the check that the session still
    stands (test_session_ended_directly_in_the_database_refused_at_once)."""
    person = await person_of(api)
    token = await signed_in(api, person)
    first = await home(api, token)
    second = await home(api, token)
    assert first["extensions"]["debug"]["cache"] == "miss"
    assert second["extensions"]["debug"] == {
        **second["extensions"]["debug"],
        "cache": "hit",
        "sqlStatements": 1,
    }
    assert second["data"] == first["data"]
    assert first["data"]["viewer"]["person"]["socialInsuranceCode"] == person.social_insurance_code


async def test_suspend_card_home_shows_the_new_status_at_once(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person, validFrom="2025-01-01", validTo="2035-12-31")
    token = await signed_in(api, person)
    assert (await home(api, token))["data"]["viewer"]["person"]["healthInsuranceCard"]["status"] == "ACTIVE"
    assert (await home(api, token))["extensions"]["debug"]["cache"] == "hit"
    suspended = (
        await api.data(
            SUSPEND, {"input": {"cardNumber": card["number"], "reason": "Mất thẻ"}}, as_="officer.hanoi"
        )
    )["suspendCard"]
    assert suspended["__typename"] == "SuspendCardSuccess", suspended
    after = await home(api, token)
    assert after["extensions"]["debug"]["cache"] == "miss"
    assert after["data"]["viewer"]["person"]["healthInsuranceCard"]["status"] == "SUSPENDED"


async def test_any_committed_write_of_a_table_read_invalidates(api: Api) -> None:
    """Not only mutations: a write through any session of the application (here a direct update)."""
    person = await person_of(api)
    token = await signed_in(api, person)
    await home(api, token)
    await renamed(api, person, "Đỗ Văn Mới", commit=True)
    assert (await home(api, token))["data"]["viewer"]["person"]["fullName"] == "Đỗ Văn Mới"


async def test_rolled_back_write_keeps_the_cache(api: Api) -> None:
    person = await person_of(api)
    token = await signed_in(api, person)
    await home(api, token)
    await renamed(api, person, "Không Lưu", commit=False)
    again = await home(api, token)
    assert again["extensions"]["debug"]["cache"] == "hit"
    assert again["data"]["viewer"]["person"]["fullName"] != "Không Lưu"


async def test_revoked_session_is_refused_at_once(api: Api) -> None:
    person = await person_of(api)
    token = await signed_in(api, person)
    assert "errors" not in await home(api, token)
    async with api.app.state.runtime.sessionmaker() as session:
        from models.tables import auth_session_t

        await session.execute(
            update(auth_session_t)
            .where(auth_session_t.c.token_hash == tokens.hash_token(token))
            .values(revoked_at=utcnow())
        )
        await session.commit()
    assert (await home(api, token))["data"] == {"viewer": None}
    response = await api.client.post(
        "/graphql",
        json={"query": "{ persons(first: 1) { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    refused = response.json()
    assert codes(refused) == ["UNAUTHENTICATED"] and "signed out" in refused["errors"][0]["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"revoked_at": "now"},
        {"expires_at": "past"},
        {"disabled": True},
    ],
    ids=["revoked", "expired", "account-disabled"],
)
async def test_session_ended_directly_in_the_database_refused_at_once(
    api: Api, change: dict[str, Any]
) -> None:
    """Issue 13, finding 9: a session ended by hand in the database (another program, a DBA's
    UPDATE: no commit of this app announces it) went on working from the session cache for up to
    ANSINH_CACHE_TTL seconds. Now the very next request is refused."""
    from models.engine import make_engine
    from models.tables import account_t, auth_session_t

    person = await person_of(api)
    token = await signed_in(api, person)
    assert (await home(api, token))["data"]["viewer"] is not None
    assert (await home(api, token))["extensions"]["debug"]["cache"] == "hit"
    # Another engine: none of the app's commit hooks hear it.
    engine = make_engine(api.app.state.runtime.settings.database_url)
    try:
        async with engine.begin() as connection:
            session_of = auth_session_t.c.token_hash == tokens.hash_token(token)
            if "disabled" in change:
                owner = select(auth_session_t.c.account_id).where(session_of).scalar_subquery()
                await connection.execute(
                    update(account_t).where(account_t.c.id == owner).values(disabled=True)
                )
            else:
                moment = utcnow() - timedelta(seconds=1)
                column = next(iter(change))
                await connection.execute(update(auth_session_t).where(session_of).values({column: moment}))
    finally:
        await engine.dispose()
    assert (await home(api, token))["data"] == {"viewer": None}


async def test_officer_reads_of_health_data_are_logged_every_time(api: Api) -> None:
    person = await person_of(api)
    query = "query($code: String!) { person(socialInsuranceCode: $code) { medicalVisits(first: 5) { totalCount } } }"

    async def logged() -> int:
        async with api.app.state.runtime.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(access_log_t).where(access_log_t.c.person_id == person.id)
            )
        return int(count or 0)

    before = await logged()
    variables = {"code": person.social_insurance_code}
    for _ in range(2):
        body = await api.post(query, variables, as_="officer.hanoi", debug=True)
        assert "errors" not in body, body["errors"]
        assert body["extensions"]["debug"]["cache"] == "miss"
    assert await logged() == before + 2


async def test_errors_and_mutations_are_never_cached(api: Api) -> None:
    for _ in range(2):
        body = await api.post("{ persons(first: 1) { totalCount } }", debug=True)
        assert codes(body) == ["UNAUTHENTICATED"]
        assert body["extensions"]["debug"]["cache"] == "miss"
        mutation = await api.post("mutation { logout }", debug=True)
        assert mutation["extensions"]["debug"]["cache"] == "miss"


async def test_no_cache_header_executes_again(api: Api) -> None:
    query = "{ offices(first: 2) { nodes { code } } }"
    await api.post(query)
    fresh = await api.post(query, debug=True, fresh=True)
    assert (
        fresh["extensions"]["debug"]["cache"] == "miss" and fresh["extensions"]["debug"]["sqlStatements"] >= 1
    )


def test_settings_cache_only_where_every_write_is_heard() -> None:
    sqlite = "sqlite+aiosqlite:///./x.db"
    postgres = "postgresql+asyncpg://postgres@127.0.0.1/x"
    assert Settings(database_url=sqlite).cache_enabled(broker_shared=False)
    assert not Settings(database_url=sqlite, workers=2).cache_enabled(broker_shared=False)
    assert not Settings(database_url=postgres).cache_enabled(broker_shared=False)
    assert Settings(database_url=postgres).cache_enabled(broker_shared=True)
    assert not Settings(database_url=postgres, cache="off").cache_enabled(broker_shared=True)
    assert Settings(database_url=postgres, cache="on").cache_enabled(broker_shared=False)


async def test_cache_unused_while_the_broker_is_unreachable() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0")  # nothing listens there
    caches = Caches(broker, enabled=True)
    follower = asyncio.create_task(caches.follow())
    try:
        await asyncio.sleep(0.5)
        assert caches.live is False and caches.usable is False
        caches.keep_answer(("k",), caches.versions.now(), frozenset({"person"}), object(), None, 10)
        assert caches.answer(("k",)) is None
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await broker.close()


async def test_cache_entry_dies_when_a_table_it_read_is_written() -> None:
    caches = Caches(InProcessBroker(), enabled=True)
    filled = caches.versions.now()
    caches.keep_answer(("a",), filled, frozenset({"person", "card"}), "A", None, 10)
    caches.keep_answer(("b",), filled, frozenset({"office"}), "B", None, 10)
    caches.committed(frozenset({"card"}))
    assert caches.answer(("a",)) is None
    entry = caches.answer(("b",))
    assert entry is not None and entry.result == "B"
    # Filled before a write that committed while it was being read: never kept.
    caches.committed(frozenset({"office"}))
    caches.keep_answer(("c",), filled, frozenset({"office"}), "C", None, 10)
    assert caches.answer(("c",)) is None


def test_cache_bounded_in_bytes_and_big_answers_not_kept() -> None:
    caches = Caches(InProcessBroker(), enabled=True, answer_bytes=100, total_bytes=250)
    now = caches.versions.now()
    caches.keep_answer(("big",), now, frozenset(), "X", None, 101)
    assert caches.answer(("big",)) is None
    for name in "abc":
        caches.keep_answer((name,), now, frozenset(), name, None, 100)
    assert caches.answer(("a",)) is None  # the oldest made room
    assert caches.answer(("b",)) is not None and caches.answer(("c",)) is not None
    assert caches.bytes == 200


def test_statement_tables_reads_and_writes_named() -> None:
    from models.engine import statement_tables

    comma = "SELECT person.id FROM person, health_insurance_card WHERE person.id = health_insurance_card.person_id"
    assert statement_tables(comma) == (frozenset({"person", "health_insurance_card"}), frozenset())
    nested = "SELECT anon_1.id FROM (SELECT unit.id AS id FROM unit JOIN office ON office.id = unit.office_id) AS anon_1"
    assert statement_tables(nested)[0] == {"unit", "office"}
    assert statement_tables('UPDATE "account" SET disabled=? WHERE account.id = ?')[1] == {"account"}
    assert statement_tables("CREATE INDEX ix ON person (full_name)")[1] == {"*"}  # unknown: everything


def test_cache_volatile_and_session_tables_are_real_tables() -> None:
    from infra.cache import SESSION_TABLES, VOLATILE
    from models.engine import _table_names

    assert _table_names() >= VOLATILE | SESSION_TABLES
    assert {"access_log", "audit_entry", "outbox_message", "event"} <= VOLATILE
