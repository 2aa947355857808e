"""Schemathesis against a running server: `ansinh serve` in a process of its own, on a fresh database
(SQLite or PostgreSQL, as the test run) with the demo data; every root query and mutation fuzzed
anonymously and signed in as each demo role, a bounded number of examples each, the same examples
every run.

Whatever the arguments, the answer is never a 5xx, never an INTERNAL or UNAVAILABLE error, every
error carries an extensions.code (`graphql_error_contract`), no non-null field comes back null and
the body is a GraphQL response (`response_schema_conformance`), and a document that breaks the
schema is refused (`negative_data_rejection`). Schemathesis's other GraphQL checks (`not_a_server_error`,
`positive_data_acceptance`) count any error in a response as a failure, whereas UNAUTHENTICATED,
FORBIDDEN or BAD_USER_INPUT is the right answer to most fuzzed requests: they are not run.

The schema fuzzed is schema.graphql, loaded when the module is (schemathesis's loading from a fixture
does not work with pytest 9.2); the last test checks that it is what the running server publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, Response, checks
from schemathesis.config import SchemathesisConfig
from schemathesis.graphql import nodes
from sqlalchemy import select

from auth import tokens
from auth.viewer import Role
from models import rules
from models.engine import make_engine, make_sessionmaker
from models.migrate import migrate
from models.tables import account_t
from schema.node import global_id
from seed import golden
from seed.demo import ACCOUNTS
from settings import Settings
from tests.conftest import DEMO_PASSWORD, _backend, _create_pg_database, _drop_pg_database
from tests.test_fuzz import CUSTOM_SCALARS, MUTATIONS, QUERIES
from tests.test_scale_out import free_port

ROOT = Path(__file__).resolve().parent.parent
SDL = ROOT / "schema.graphql"
# Examples per operation and role (positive and negative documents): about a minute in all.
EXAMPLES = 5
SEED = 20260101

# The custom scalars as tests/test_fuzz.py makes them: valid values and near misses. A file cannot
# travel in a JSON body, so an Upload (an optional field of submitRegistration, never a whole
# operation) is sent as null or a string, which must be BAD_USER_INPUT.
for _name, _strategy in CUSTOM_SCALARS.items():
    schemathesis.graphql.scalar(_name, _strategy)
# Strings as Hypothesis makes them, and half of the time one of those that break code written for
# friendlier ones: NUL (which PostgreSQL refuses), an unpaired surrogate, LIKE's and SQL's special
# characters, combining and right-to-left marks, an emoji, a long one.
TRICKY = ["", " ", "\x00", "a\x00b", "\ud800", "a\udfffb", "%", "_", "\\", "'", "' OR '1'='1", "--"]
TRICKY += ["\u0301", "\u202e", "😀", "ạăâđêôơư", "x" * 1000]
schemathesis.graphql.scalar("String", st.one_of(st.text(), st.sampled_from(TRICKY)).map(nodes.String))

# Values that exist in the demo data, put in place of the generated ones half of the time, so that
# the fuzzer gets past "not found" into the code behind it.
CARD = rules.card_number("HC", "01", golden.CODE)
NODE_TYPES = ["Benefit", "ContributionPeriod", "HealthInsuranceCard", "MedicalVisit", "Person"]
NODE_TYPES += ["Registration", "Unit", "Office", "HealthFacility", "CollectionAgent", "Faq", "Claim"]
DICTIONARIES: dict[str, list[Any]] = {
    "codes": [golden.CODE, "01T0001", "01B0001", golden.HOSPITAL_CODE, golden.LOCAL_FACILITY_CODE, CARD],
    "places": ["01", "79", "272", "09763", "00001"],
    "ids": [global_id(t, pk) for t in NODE_TYPES for pk in (1, 2)],
    "pages": [1, 5, 50],
    "words": ["Hà Nội", "Bạch Mai", "Nguyễn", "bảo hiểm", "0100112437", "officer.hanoi"],
}
ARGUMENTS = {
    "codes": [
        *("socialInsuranceCode", "unitCode", "cardNumber", "number", "facilityCode", "code", "taxCode"),
        *("primaryCareFacilityCode", "payingOfficeCode", "receivingOfficeCode", "username"),
    ],
    "places": ["provinceCode", "districtCode", "wardCode"],
    "ids": ["id", "registrationId", "claimId"],
    "pages": ["first"],
    "words": ["search", "fullName", "name"],
}


def _config(seed: int) -> SchemathesisConfig:
    parameters = {}
    for dictionary, names in ARGUMENTS.items():
        for name in names:
            binding = {"dictionary": dictionary, "probability": 0.5}
            for path in (name, f"input.{name}", f"input.address.{name}", f"input.contactAddress.{name}"):
                parameters[f"*.*.{path}"] = binding
    return SchemathesisConfig.from_dict(
        {
            "seed": seed,
            # no example database: every run sends the same documents, and nothing is written
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
            "parameters": parameters,
        }
    )


class _DropCursor(graphql.Visitor):
    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> Any:
        if node.name.value == "after" and isinstance(node.value, graphql.StringValueNode):
            return graphql.REMOVE
        return None


def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    """Half of the documents without their `after` strings: a made-up cursor is refused before
    anything else is looked at. (A string is a valid `after`, so negative documents stay invalid.)"""
    return st.sampled_from([graphql.visit(body, _DropCursor()), body])


@dataclass
class Served:
    url: str
    # A token per account and root field: a fuzzed `logout` revokes only its own.
    tokens: dict[tuple[str, str], str]


# The log of the running server, for the tracebacks behind INTERNAL errors.
SERVER_LOG: list[Path] = []


def _logged(marker: str) -> str:
    """The last entry of the server log that starts with `marker`: the traceback behind an
    INTERNAL error (its reference) or a 5xx (uvicorn's "Exception in ASGI application")."""
    text = ""
    for _ in range(20):  # uvicorn logs an unhandled exception after the 500 has gone out
        text = SERVER_LOG[-1].read_text(encoding="utf-8", errors="replace") if SERVER_LOG else ""
        if marker in text:
            break
        time.sleep(0.1)
    start = text.rfind(marker)
    if start < 0:
        return f"({marker!r} is not in the server log)"
    end = re.search(r"\n(\d{4}-\d\d-\d\d |[A-Z]+: )", text[start:])  # the next log line
    entry = text[start : start + end.start() if end else len(text)]
    return entry if len(entry) <= 8000 else f"{entry[:200]}\n[…]\n{entry[-7000:]}"


ROLES = {
    "anonymous": None,
    "citizen": golden.CODE,
    "officer": "officer.hanoi",
    "analyst": "analyst",
    "hospital": "partner.hospital",
    "employer": "partner.employer",
    "agent": "agent.hanoi",
    "admin": "admin",
}


async def _seed(settings: Settings) -> dict[tuple[str, str], str]:
    from seed.cli import run_seed

    await migrate(settings)
    await run_seed(settings, demo=True, persons=40, seed=11, progress=False)
    engine = make_engine(settings.database_url)
    issued = {}
    try:
        async with make_sessionmaker(engine)() as session:
            for username in filter(None, ROLES.values()):
                account = select(account_t.c.id).where(account_t.c.username == username)
                account_id = (await session.execute(account)).scalar_one()
                for field in QUERIES + MUTATIONS:
                    issued[(username, field)], _ = await tokens.issue(session, account_id, f"fuzz-{field}")
            await session.commit()
    finally:
        await engine.dispose()
    return issued


@contextlib.contextmanager
def _database(folder: Path) -> Iterator[str]:
    """A database of its own, of the backend of the test run (PostgreSQL refuses text that SQLite
    takes)."""
    if _backend() != "postgresql":
        yield f"sqlite+aiosqlite:///{folder / 'fuzz.db'}"
        return
    name = f"ansinh_schemathesis_{secrets.token_hex(4)}"
    url = asyncio.run(_create_pg_database(name))
    try:
        yield url
    finally:
        asyncio.run(_drop_pg_database(name))


@contextlib.contextmanager
def _serve(settings: Settings, log: Path) -> Iterator[str]:
    """`ansinh serve` on a free port, its output in `log`; yields the GraphQL URL."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSINH_")}
    env |= {
        "ANSINH_DATABASE_URL": settings.database_url,
        "ANSINH_ENV": "development",
        # Mutations get past the captcha into the code behind it (refused in production).
        "ANSINH_CAPTCHA": "off",
        "ANSINH_MESSAGE_LOG": str(settings.message_log),
        "ANSINH_UPLOAD_DIR": settings.upload_dir,
    }
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            time.sleep(0.05)
        else:
            pytest.fail("the server did not start within 30 s")
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The server on a fresh database with the demo data, and tokens for the demo accounts."""
    with tempfile.TemporaryDirectory() as name, _database(Path(name)) as url:
        folder = Path(name)
        settings = Settings(
            database_url=url,
            captcha="off",
            demo_password=DEMO_PASSWORD,
            message_log=str(folder / "messages.jsonl"),
            upload_dir=str(folder / "uploads"),
        )
        issued = asyncio.run(_seed(settings))
        log = folder / "server.log"
        with _serve(settings, log) as graphql_url:
            SERVER_LOG.append(log)
            try:
                yield Served(graphql_url, issued)
            finally:
                SERVER_LOG.remove(log)


@schemathesis.check
def graphql_error_contract(ctx: Any, response: Response, case: Case) -> None:
    """No 5xx; a JSON object; every error carries an extensions.code, none INTERNAL, and none
    UNAVAILABLE (the database is up)."""
    if response.status_code >= 500:
        logged = _logged("Exception in ASGI application")
        raise AssertionError(
            f"HTTP {response.status_code}: {response.text[:1000]}\n\nThe server logged: {logged}"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"HTTP {response.status_code} without a JSON body: {response.text[:1000]}"
        ) from None
    if not isinstance(body, dict):
        raise AssertionError(f"HTTP {response.status_code}, not a GraphQL response: {response.text[:1000]}")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if code is None:
            raise AssertionError(f"An error without extensions.code: {error}")
        if code == "UNAVAILABLE":  # the database is up: this is a failure reported as an outage
            raise AssertionError(f"An UNAVAILABLE error with the database up: {error}")
        if code in ("INTERNAL", "INTERNAL_SERVER_ERROR"):
            logged = _logged(f"internal error {error['extensions'].get('reference')}")
            raise AssertionError(f"An INTERNAL error: {error}\n\nThe server logged: {logged}")


CHECKS = [graphql_error_contract, checks.response_schema_conformance, checks.negative_data_rejection]


def _fuzz_as(role: str) -> Callable[..., None]:
    """One test per root field for one role; each role has a seed of its own, so that the seven
    roles see different documents. (The account as a parameter puts the operation in the test id:
    schemathesis's own ids lose it under pytest 9.2.)"""
    schema = schemathesis.graphql.from_path(SDL, config=_config(SEED + list(ROLES).index(role)))
    schema.hook(flatmap_body)

    @pytest.mark.parametrize("username", [ROLES[role]], ids=[ROLES[role] or role])
    @schema.parametrize()
    def fuzz(case: Case, username: str | None, served: Served) -> None:
        field = case.operation.definition.field_name
        headers = {"Authorization": f"Bearer {served.tokens[(username, field)]}"} if username else {}
        case.call_and_validate(base_url=served.url, headers=headers, checks=CHECKS)

    return fuzz


test_schemathesis_anonymous = _fuzz_as("anonymous")
test_schemathesis_citizen = _fuzz_as("citizen")
test_schemathesis_officer = _fuzz_as("officer")
test_schemathesis_analyst = _fuzz_as("analyst")
test_schemathesis_hospital = _fuzz_as("hospital")
test_schemathesis_employer = _fuzz_as("employer")
test_schemathesis_agent = _fuzz_as("agent")
test_schemathesis_admin = _fuzz_as("admin")


def test_schemathesis_fuzzes_the_served_schema_whole(served: Served) -> None:
    """What is fuzzed is what the running server publishes (by introspection), every root query
    and mutation of it, as every demo role and anonymously."""
    introspection = httpx.post(served.url, json={"query": graphql.get_introspection_query()}).json()
    live = graphql.build_client_schema(introspection["data"])
    written = graphql.build_schema(SDL.read_text(encoding="utf-8"))
    assert graphql.print_schema(graphql.lexicographic_sort_schema(live)) == graphql.print_schema(
        graphql.lexicographic_sort_schema(written)
    )
    assert len(QUERIES) >= 17 and len(MUTATIONS) >= 17
    accounts = {ROLES[role] for role in ROLES}
    assert {account for account, _ in served.tokens} | {None} == accounts
    assert {role for name, role, _ in ACCOUNTS if name in accounts} == {role.value for role in Role}
