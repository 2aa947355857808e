"""A fresh database per test run (SQLite by default, PostgreSQL with ANSINH_TEST_BACKEND=postgresql),
seeded once with the demo data; tests talk to the real app over HTTP (httpx's ASGI transport)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from auth import tokens
from models.migrate import migrate
from models.tables import account_t
from server import create_app
from settings import Settings

DEMO_PERSONS = 300
DEMO_PASSWORD = "Demo-Password-2026"
# The authenticator of every demo staff account (ANSINH_DEMO_TOTP_SECRET).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
POSTGRES_ADMIN_URL = os.environ.get(
    "ANSINH_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _backend() -> str:
    return os.environ.get("ANSINH_TEST_BACKEND", "sqlite")


async def _create_pg_database(name: str) -> str:
    import asyncpg

    base = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if _backend() == "postgresql":
        name = f"ansinh_test_{secrets.token_hex(4)}"
        url = asyncio.run(_create_pg_database(name))
        yield url
        asyncio.run(_drop_pg_database(name))
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'test.db'}"


@pytest.fixture(scope="session")
def message_log() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "messages.jsonl"


@pytest.fixture(scope="session")
def settings(database_url: str, message_log: Path) -> Settings:
    return Settings(
        database_url=database_url,
        env="development",
        captcha="off",
        demo_password=DEMO_PASSWORD,
        demo_totp_secret=DEMO_TOTP_SECRET,
        message_log=str(message_log),
        # One process writes the database (the app under test): the caches are right on either
        # backend, and the PostgreSQL run must exercise them too (auto would turn them off there).
        cache="on",
        # Every query the suite sends runs through both executors, compared (compiler/hook.py);
        # `_executors_agree` fails the test that sent one whose answers differ.
        compiler="verify",
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from compiler.hook import MISMATCHES, REASONS, STATS

    terminalreporter.write_line(
        f"compiler verify mode: {STATS['compared']} operations answered by both executors and compared, "
        f"{STATS['fallbacks']} left to the ordinary executor, {len(MISMATCHES)} differences"
    )
    for reason, times in REASONS.most_common(12):
        terminalreporter.write_line(f"  falls back {times:5d}x: {reason}")


@pytest.fixture(autouse=True)
def _executors_agree() -> Iterator[None]:
    from compiler.hook import MISMATCHES

    start = len(MISMATCHES)
    yield
    found = MISMATCHES[start:]
    if found:
        first = found[0]
        pytest.fail(
            f"{len(found)} operation(s) answered differently by the compiled and the ordinary executor; "
            f"first ({first.what}, role {first.role}): {first.query}\nvariables: {first.variables}\n"
            f"compiled: {first.compiled}\nordinary: {first.ordinary}"
        )


@pytest.fixture(scope="session")
async def seeded(settings: Settings) -> Settings:
    from seed.cli import run_seed

    await migrate(settings)
    await run_seed(settings, demo=True, persons=DEMO_PERSONS, seed=7, progress=False)
    return settings


@pytest.fixture(scope="session")
async def app(seeded: Settings) -> AsyncIterator[Any]:
    application = create_app(seeded)
    yield application
    await application.state.runtime.engine.dispose()


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


class Api:
    """GraphQL over HTTP against the app, signed in as anyone."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app
        self._tokens: dict[str, str] = {}

    async def token(self, username: str) -> str:
        if username not in self._tokens:
            runtime = self.app.state.runtime
            async with runtime.sessionmaker() as session:
                account_id = (
                    await session.execute(select(account_t.c.id).where(account_t.c.username == username))
                ).scalar_one()
                token, _ = await tokens.issue(session, account_id, f"test-device-{username}")
                await session.commit()
            self._tokens[username] = token
        return self._tokens[username]

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        debug: bool = False,
        fresh: bool = False,
    ) -> dict[str, Any]:
        headers = {}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {await self.token(as_)}"
        if debug:
            headers["X-Ansinh-Debug"] = "1"
        if fresh:
            headers["Cache-Control"] = "no-cache"
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None
    ) -> Any:
        body = await self.post(query, variables, as_=as_)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def statements(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None
    ) -> int:
        # What executing the query costs: a cached answer would cost none (tests/test_cache.py).
        body = await self.post(query, variables, as_=as_, debug=True, fresh=True)
        assert "errors" not in body, body.get("errors")
        return int(body["extensions"]["debug"]["sqlStatements"])


@pytest.fixture(scope="session")
async def api(client: httpx.AsyncClient, app: Any) -> Api:
    return Api(client, app)


def totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The authenticator's code now (RFC 6238). A code is accepted once per account: tests that
    sign in with one each use an account of their own."""
    import pyotp

    return str(pyotp.TOTP(secret).now())


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


class Factory:
    """Rows the tests need beyond the demo data, made directly in the database."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def citizen(
        self, password: str = "Citizen-Pass-2026", *, must_change: bool = False, person: Any = None
    ) -> str:
        """A new citizen account for `person` (a row with id and social_insurance_code), or for a
        generated person without one; returns the username."""
        from sqlalchemy import insert

        from auth.passwords import hash_password
        from models.tables import person_t
        from models.types import utcnow

        async with self.app.state.runtime.sessionmaker() as session:
            taken = select(account_t.c.person_id).where(account_t.c.person_id.is_not(None))
            person = (
                person
                or (
                    await session.execute(
                        select(person_t.c.id, person_t.c.social_insurance_code)
                        .where(person_t.c.id.not_in(taken), person_t.c.phone.is_not(None))
                        .order_by(person_t.c.id)
                        .limit(1)
                    )
                ).one()
            )
            now = utcnow()
            await session.execute(
                insert(account_t).values(
                    username=person.social_insurance_code,
                    password_hash=hash_password(password),
                    role="CITIZEN",
                    person_id=person.id,
                    must_change_password=must_change,
                    password_changed_at=now,
                    created_at=now,
                    disabled=False,
                )
            )
            await session.commit()
        return str(person.social_insurance_code)

    async def staff(
        self, password: str = "Staff-Pass-2026", *, totp_secret: str | None = None, role: str = "ANALYST"
    ) -> str:
        """A new staff account (an analyst: bound to nothing), enrolled with `totp_secret` if
        given, else without a second factor yet; returns the username."""
        from sqlalchemy import insert

        from auth.passwords import hash_password
        from models.tables import totp_t
        from models.types import utcnow

        username = f"staff.{secrets.token_hex(4)}"
        async with self.app.state.runtime.sessionmaker() as session:
            now = utcnow()
            inserted = await session.execute(
                insert(account_t)
                .values(
                    username=username,
                    password_hash=hash_password(password),
                    role=role,
                    must_change_password=False,
                    password_changed_at=now,
                    created_at=now,
                    disabled=False,
                )
                .returning(account_t.c.id)
            )
            account_id = inserted.scalar_one()
            if totp_secret is not None:
                await session.execute(
                    insert(totp_t).values(
                        account_id=account_id, secret=totp_secret, created_at=now, confirmed_at=now
                    )
                )
            await session.commit()
        return username

    async def partner(self, password: str, **binding: int | None) -> str:
        """A new partner account bound by `binding` (facility_id, unit_id or agent_id: a hospital,
        an employer or a collection agent), signed in without a second factor; returns the
        username."""
        from sqlalchemy import insert

        from auth.passwords import hash_password
        from models.types import utcnow

        username = f"partner.{secrets.token_hex(4)}"
        async with self.app.state.runtime.sessionmaker() as session:
            now = utcnow()
            await session.execute(
                insert(account_t).values(
                    username=username,
                    password_hash=hash_password(password),
                    role="PARTNER",
                    must_change_password=False,
                    password_changed_at=now,
                    created_at=now,
                    disabled=False,
                    **binding,
                )
            )
            await session.commit()
        return username


@pytest.fixture(scope="session")
def factory(app: Any) -> Factory:
    return Factory(app)


def messages(path: Path, template: str | None = None) -> list[dict[str, Any]]:
    import json

    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [m for m in lines if template is None or m["template"] == template]


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 5.0) -> None:
    """Waits for a condition that nothing announces (a row another task writes, uvicorn started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        await asyncio.sleep(0.005)


@asynccontextmanager
async def serving(app: Any, lifespan: str = "off") -> AsyncIterator[str]:
    """An app on a real TCP port (uvicorn), for WebSocket clients: yields the ws:// URL."""
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)  # type: ignore[arg-type]
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: bool(server.started), within=10)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def live_server(app: Any) -> AsyncIterator[str]:
    """The app on a real TCP port (uvicorn), for WebSocket clients: yields the ws:// URL."""
    async with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
async def production_app(seeded: Settings) -> AsyncIterator[Any]:
    """The app as production runs it (masking, allow-list, introspection for staff only)."""
    import dataclasses

    application = create_app(
        dataclasses.replace(seeded, env="production", secret_key="p" * 64, captcha="adaptive")
    )
    yield application
    await application.state.runtime.engine.dispose()


@pytest.fixture(scope="session")
async def production_server(production_app: Any) -> AsyncIterator[str]:
    async with serving(production_app) as url:
        yield url


@pytest.fixture(scope="session")
async def production_client(production_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production_app), base_url="http://testserver"
    ) as c:
        yield c


async def emit_event(app: Any, type_: str, subject_type: str, subject_id: int, **facts: Any) -> int:
    """An event row as a committed change writes it (the hub is woken by the commit)."""
    from sqlalchemy import insert

    from models.tables import event_t
    from models.types import utcnow

    async with app.state.runtime.sessionmaker() as session:
        result = await session.execute(
            insert(event_t)
            .values(
                type=type_, occurred_at=utcnow(), subject_type=subject_type, subject_id=subject_id, **facts
            )
            .returning(event_t.c.id)
        )
        event_id = int(result.scalar_one())
        await session.commit()
    return event_id


@pytest.fixture(scope="session")
async def ways(api: Api, live_server: str) -> Any:
    """The same operation over HTTP, graphql-transport-ws and graphql-ws (tests/transports.py)."""
    from tests.transports import Ways

    return Ways(api, live_server)
