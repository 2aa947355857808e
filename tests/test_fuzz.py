"""Property-based fuzzing of every root query and mutation (hypothesis-graphql, built from
schema.graphql), signed in as each demo role: whatever the arguments, the answer is never a 5xx,
never an INTERNAL error, and every error carries an extensions.code.

The fuzzer runs against an app of its own, on a database of its own: random mutations (logout,
createUnit, submitFeedback, many failed logins) must not change what the other test files see. It
runs in the SQLite run; tests/test_schemathesis.py fuzzes the same operations against a started
server on both backends (with NUL bytes and unpaired surrogates, which showed PostgreSQL-only bugs),
so running this one twice bought minutes of CI and no finding.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest

from models.migrate import migrate
from server import create_app
from settings import Settings
from tests.conftest import (
    DEMO_PASSWORD,
    Api,
    _backend,
    _create_pg_database,
    _drop_pg_database,
)

pytestmark = pytest.mark.skipif(
    _backend() != "sqlite", reason="in-process fuzzing runs once (SQLite); schemathesis covers both"
)

hypothesis = pytest.importorskip("hypothesis", reason="needs hypothesis-graphql (scripts/ci-deps)")
hypothesis_graphql = pytest.importorskip(
    "hypothesis_graphql", reason="needs hypothesis-graphql (scripts/ci-deps)"
)

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_graphql import nodes  # noqa: E402
from hypothesis_graphql import strategies as gql  # noqa: E402

SDL = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text(encoding="utf-8")
SCHEMA = graphql.build_schema(SDL)
ROLES = [None, "0113099841", "officer.hanoi", "analyst", "partner.hospital", "partner.employer", "admin"]
QUERIES = sorted(SCHEMA.query_type.fields) if SCHEMA.query_type else []
MUTATIONS = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []
EXAMPLES = 4
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure is reproducible, CI is not flaky
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing document is printed whole
    suppress_health_check=list(HealthCheck),
)

# Values that look like the real thing half of the time, so that checks past the first are reached.
_codes = st.sampled_from(["01", "79", "0113099841", "001", "01001", "00001", "TS0101", "HN", ""])
_text = st.text(alphabet=string.printable + "ạăâđêôơưÁÀẢ", max_size=40)
_YEAR_MONTH_ANY_SOURCE = st.one_of(
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)), _text
)


def _string(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    return strategy.map(nodes.String)


CUSTOM_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "Date": _string(
        st.one_of(
            st.dates().map(lambda d: d.isoformat()), st.sampled_from(["2026-02-30", "0000-00-00"]), _text
        )
    ),
    "DateTime": _string(
        st.one_of(
            st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
            st.sampled_from(["2026-01-01T00:00:00", "2026-01-01T25:00:00+07:00"]),
            _text,
        )
    ),
    "Decimal": _string(
        st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
            st.sampled_from(["1e400", "-0", "NaN", "Infinity", "1.005", "99999999999999999999.99"]),
            _text,
        )
    ),
    # Any month, valid or not, and uploads given as plain values: all must be BAD_USER_INPUT at
    # worst (the regression tests at the end pin the two cases that once were INTERNAL).
    "YearMonth": _string(_YEAR_MONTH_ANY_SOURCE),
    "Upload": st.one_of(st.just(nodes.Null), _string(_text)),
}


@pytest.fixture(scope="module")
async def fuzz_api() -> AsyncIterator[Api]:
    """The demo data on a database of its own, served by an app of its own."""
    with tempfile.TemporaryDirectory() as folder:
        name = None
        if _backend() == "postgresql":
            name = f"ansinh_fuzz_{secrets.token_hex(4)}"
            url = await _create_pg_database(name)
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'fuzz.db'}"
        own = Settings(
            database_url=url,
            env="development",
            captcha="off",
            demo_password=DEMO_PASSWORD,
            message_log=str(Path(folder) / "messages.jsonl"),
            upload_dir=str(Path(folder) / "uploads"),
        )
        from seed.cli import run_seed

        await migrate(own)
        await run_seed(own, demo=True, persons=40, seed=11, progress=False)
        app = create_app(own)
        try:
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield Api(client, app)
        finally:
            await app.state.runtime.engine.dispose()
            if name is not None:
                await _drop_pg_database(name)


def _problems(status: int, body: Any, text: str) -> list[str]:
    """What breaks the contract in one answer."""
    if status >= 500:
        return [f"HTTP {status}: {text[:500]}"]
    if not isinstance(body, dict):
        return [f"HTTP {status} without a GraphQL JSON body: {text[:500]}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None:
            found.append(f"error without extensions.code: {error}")
        elif code == "INTERNAL":
            found.append(f"INTERNAL error: {error}")
    return found


async def _check(api: Api, document: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", json={"query": document}, headers=headers)
    try:
        body = response.json()
    except ValueError:
        body = None
    problems = _problems(response.status_code, body, response.text)
    assert not problems, f"\n{document}\n" + "\n".join(problems)


async def _token(api: Api, role: str | None) -> str | None:
    """A session of its own for each test: a fuzzed `logout` revokes only that one."""
    if role is None:
        return None
    api._tokens.pop(role, None)
    return await api.token(role)


async def _fuzz(api: Api, documents: st.SearchStrategy[str], role: str | None) -> None:
    """Hypothesis drives the examples from a thread; each request runs on the test's event loop,
    where the app and its database connections live."""
    token = await _token(api, role)
    loop = asyncio.get_running_loop()

    @FUZZ
    @given(document=documents)
    def run(document: str) -> None:
        asyncio.run_coroutine_threadsafe(_check(api, document, token), loop).result(timeout=60)

    await asyncio.to_thread(run)


def _role_id(role: str | None) -> str:
    return role or "anonymous"


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
@pytest.mark.parametrize("field", QUERIES)
async def test_fuzz_query(fuzz_api: Api, field: str, role: str | None) -> None:
    await _fuzz(
        fuzz_api, gql.queries(SCHEMA, fields=[field], custom_scalars=CUSTOM_SCALARS, allow_x00=False), role
    )


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
@pytest.mark.parametrize("field", MUTATIONS)
async def test_fuzz_mutation(fuzz_api: Api, field: str, role: str | None) -> None:
    await _fuzz(
        fuzz_api, gql.mutations(SCHEMA, fields=[field], custom_scalars=CUSTOM_SCALARS, allow_x00=False), role
    )


# The collection agent, a partner of a third kind, on what it may do (households); the other
# fields treat it as they treat any partner without a binding they know (no rows).
AGENT_FIELDS = [
    "household",
    "quoteHouseholdContribution",
    "createHousehold",
    "addHouseholdMember",
    "recordHouseholdPayment",
]


@pytest.mark.parametrize("field", AGENT_FIELDS)
async def test_fuzz_agent(fuzz_api: Api, field: str) -> None:
    strategy = gql.mutations if field in MUTATIONS else gql.queries
    await _fuzz(
        fuzz_api,
        strategy(SCHEMA, fields=[field], custom_scalars=CUSTOM_SCALARS, allow_x00=False),
        "agent.hanoi",
    )


def test_every_root_field_is_fuzzed() -> None:
    assert len(QUERIES) >= 17 and len(MUTATIONS) >= 17
    assert "login" in MUTATIONS and "persons" in QUERIES


RECORD_PERIOD = "mutation($input: RecordContributionPeriodInput!) { recordContributionPeriod(input: $input) { __typename } }"
SUBMIT = (
    "mutation($input: SubmitRegistrationInput!) { submitRegistration(input: $input) { __typename "
    "... on InvalidInput { errors { field code } } } }"
)


def _literal(value: Any) -> str:
    """A JSON value as a GraphQL literal (enum values written as `ENUM:NAME`)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and value.startswith("ENUM:"):
        return value[5:]
    return "null" if value is None else json.dumps(value)


async def _codes_for(api: Api, query: str, values: dict[str, Any], inline: bool, role: str | None) -> Any:
    """The error codes of one mutation, its input given as a literal or as a variable."""
    variables = {
        "input": {k: v[5:] if isinstance(v, str) and v.startswith("ENUM:") else v for k, v in values.items()}
    }
    if inline:
        query = query.split("(", 1)[0].rstrip("(") + query[query.index(")") + 1 :].replace(
            "$input", _literal(values)
        )
        variables = {}
    headers = {"Authorization": f"Bearer {await api.token(role)}"} if role else {}
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code < 500, response.text
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    result = next(iter((body.get("data") or {}).values()), None) or {}
    return codes + [e["code"] for e in result.get("errors", []) if e["field"][-1] in ("idBack", "fromMonth")]


@pytest.mark.parametrize("month", ["0015-05", "2026-13", ""])
@pytest.mark.parametrize("inline", [pytest.param(True, id="literal"), pytest.param(False, id="variable")])
async def test_invalid_year_month_is_bad_user_input(fuzz_api: Api, month: str, inline: bool) -> None:
    values = {
        "socialInsuranceCode": "0113099841",
        "unitCode": "TS0101",
        "insuranceType": "ENUM:HEALTH",
        "fromMonth": month,
        "salary": "5000000",
    }
    found = await _codes_for(fuzz_api, RECORD_PERIOD, values, inline, "officer.hanoi")
    assert found and set(found) == {"BAD_USER_INPUT"}, found


@pytest.mark.parametrize("inline", [True, False], ids=["literal", "variable"])
async def test_upload_that_is_not_a_file_is_bad_user_input(fuzz_api: Api, inline: bool) -> None:
    values = {
        "applicantName": "Phạm Thị Ngọc Ánh",
        "channel": "ENUM:PORTAL",
        "contactAddress": {"provinceCode": "01", "districtCode": "", "wardCode": "", "street": "Số 1"},
        "idDocumentNumber": "001089000123",
        "idDocumentType": "ENUM:CCCD",
        "phone": "0983847986",
        "receivingOfficeCode": "01",
        "socialInsuranceCode": "0113099841",
        "startDate": "2026-01-01",
        "submissionMethod": "ENUM:AT_OFFICE",
        "idBack": "not a file",
    }
    found = await _codes_for(fuzz_api, SUBMIT, values, inline, None)
    # A request error, or the mutation's own InvalidInput naming the field: never INTERNAL.
    assert found == ["NOT_A_FILE"] or (found and set(found) == {"BAD_USER_INPUT"}), found
