"""Random valid queries through both executors, as every role: byte-identical answers and access logs.

A hypothesis strategy walks the schema (schema.graphql) from the roots the compiler knows and draws
selections the way a frontend team writes them: a few fields per object, aliases, inline fragments,
`__typename`, `@include`/`@skip` on variables, lists with small `first`, arguments from the demo
data (codes that exist, codes that do not, codes out of the viewer's scope). Each document is sent
to two apps on one database, one with ANSINH_COMPILER=off (graphql-core's executor for every
operation) and one with ANSINH_COMPILER=on, over HTTP with `Cache-Control: no-cache`, and:

* the two response bodies must be the same bytes once the debug timings are taken out (data,
  errors with their paths and extensions, in order);
* the access-log rows each request wrote must be the same (who, whose record, which fields, the
  operation's name and the reason);
* across the run, the compiled executor must have answered a good share of the documents.

The suite's own queries are compared too: tests/conftest.py runs every app in verify mode
(compiler/hook.py), where both executors answer each query the compiler takes.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import httpx
import orjson
import pytest
from sqlalchemy import func, select

from models.migrate import migrate
from models.tables import access_log_t, account_t
from server import create_app
from settings import Settings
from tests.conftest import DEMO_PASSWORD, _backend, _create_pg_database, _drop_pg_database

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given  # noqa: E402
from hypothesis import settings as run_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SDL = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text(encoding="utf-8")
SCHEMA = graphql.build_schema(SDL)
GOLDEN = "0113099841"
# Who asks: each role, both kinds of partner, and ADMIN with a reason (health data, logged).
ROLES: list[tuple[str | None, str | None]] = [
    (None, None),
    (GOLDEN, None),
    ("officer.hanoi", None),
    ("officer.hcm", None),
    ("analyst", None),
    ("partner.hospital", None),
    ("partner.employer", None),
    ("admin", None),
    ("admin", "Ho so khieu nai 12/2026"),
]
ROOTS = (
    "persons",
    "person",
    "units",
    "unit",
    "healthInsuranceCard",
    "viewer",
    "contributionStatistics",
    "visitStatistics",
    "node",
)
EXAMPLES = 40 if _backend() == "sqlite" else 20
MAX_DEPTH = 4
# Fields whose answer each request changes: "who looked at my data" grows with every read, so the
# second executor to answer would see one row more than the first; the e-card's QR code is signed
# with the second it is issued in, so two answers a second apart differ.
MOVING = frozenset({"dataAccessLog", "qr"})
# Of all the documents sent, the compiled executor must answer at least this share.
MIN_COMPILED_SHARE = 0.3


@dataclass(slots=True)
class Demo:
    """Values that exist in the demo data (drawn beside values that do not)."""

    person_codes: list[str] = field(default_factory=list)
    unit_codes: list[str] = field(default_factory=list)
    card_numbers: list[str] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)  # of every kind the compiler takes, and others


DEMO = Demo()


def _argument(name: str, kind: graphql.GraphQLInputType) -> st.SearchStrategy[str] | None:
    """A literal for one argument, or None when the generator does not know what to give."""
    named = graphql.get_named_type(kind)
    pools: dict[str, st.SearchStrategy[str]] = {
        "first": st.integers(0, 4).map(str),
        "last": st.integers(0, 3).map(str),
        "socialInsuranceCode": st.sampled_from([*DEMO.person_codes, "7999999999"])
        .map(orjson.dumps)
        .map(bytes.decode),
        "code": st.sampled_from([*DEMO.unit_codes, "ZZ9999999"]).map(orjson.dumps).map(bytes.decode),
        "number": st.sampled_from([*DEMO.card_numbers, "GD4019999999999"])
        .map(orjson.dumps)
        .map(bytes.decode),
        "id": st.sampled_from([*DEMO.node_ids, "not an id"]).map(orjson.dumps).map(bytes.decode),
        "provinceCode": st.sampled_from(['"01"', '"79"', '"48"']),
        "search": st.sampled_from(['"nguyen"', '"Công ty"', '"thi hoa"', '"0113"']),
        "year": st.integers(2018, 2026).map(str),
    }
    if name in pools:
        return pools[name]
    if isinstance(named, graphql.GraphQLEnumType):
        return st.sampled_from(sorted(named.values))
    if named is graphql.GraphQLBoolean:
        return st.sampled_from(["true", "false"])
    return None


def _known(type_name: str) -> frozenset[str]:
    """The fields of a type the compiler has a plan for (compiler/specs.py); empty: not its type."""
    from compiler.specs import specs

    spec = specs().get(type_name)
    return frozenset({*spec.leaves, *spec.links}) if spec is not None else frozenset()


@st.composite
def _arguments(draw: st.DrawFn, definition: graphql.GraphQLField) -> str | None:
    """The argument list of a field (None: a required argument the generator cannot give)."""
    given_args = []
    for name, argument in definition.args.items():
        required = (
            isinstance(argument.type, graphql.GraphQLNonNull) and argument.default_value is graphql.Undefined
        )
        strategy = _argument(name, argument.type)
        if strategy is None:
            if required:
                return None
            continue
        if required or draw(st.booleans()):
            given_args.append(f"{name}: {draw(strategy)}")
    return f"({', '.join(given_args)})" if given_args else ""


@st.composite
def _selection(draw: st.DrawFn, kind: graphql.GraphQLNamedType, depth: int, flags: set[str]) -> str:
    """A selection set on an object, interface or union type."""
    if isinstance(kind, graphql.GraphQLUnionType | graphql.GraphQLInterfaceType):
        possible = SCHEMA.get_possible_types(kind)
        chosen = draw(st.lists(st.sampled_from(possible), min_size=1, max_size=2, unique_by=lambda t: t.name))
        parts = ["__typename"] + [f"... on {t.name} {draw(_selection(t, depth, flags))}" for t in chosen]
        return "{ " + " ".join(parts) + " }"
    assert isinstance(kind, graphql.GraphQLObjectType)
    fields = sorted((n, f) for n, f in kind.fields.items() if n not in MOVING)
    known = _known(kind.name)
    if known and draw(st.integers(0, 4)) > 0:
        # Mostly what the compiler takes, so that its plans are compared, not only its fallback.
        fields = [(n, f) for n, f in fields if n in known] or fields
    if depth <= 0:
        fields = [(n, f) for n, f in fields if graphql.is_leaf_type(graphql.get_named_type(f.type))]
    picked = (
        draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique_by=lambda f: f[0]))
        if fields
        else []
    )
    parts = []
    for number, (name, definition) in enumerate(picked):
        arguments = draw(_arguments(definition))
        if arguments is None:
            continue
        target = graphql.get_named_type(definition.type)
        text = f"{name}{arguments}"
        if draw(st.integers(0, 4)) == 0:
            text = f"a{number}_{name}: {text}"
        if not graphql.is_leaf_type(target):
            text += " " + draw(_selection(target, depth - 1, flags))
        roll = draw(st.integers(0, 9))
        if roll == 0:
            flag = f"f{len(flags)}"
            flags.add(flag)
            text += f" @{draw(st.sampled_from(['include', 'skip']))}(if: ${flag})"
        elif roll == 1:
            text = f"... on {kind.name} {{ {text} }}"
        parts.append(text)
    if not parts or draw(st.integers(0, 5)) == 0:
        parts.append("__typename")
    return "{ " + " ".join(parts) + " }"


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, bool]]:
    """One query operation over the compiler's roots, and the values of its flags."""
    assert SCHEMA.query_type is not None
    roots = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=2, unique=True))
    flags: set[str] = set()
    parts = []
    for root in roots:
        definition = SCHEMA.query_type.fields[root]
        arguments = draw(_arguments(definition))
        if arguments is None:
            continue
        target = graphql.get_named_type(definition.type)
        parts.append(f"{root}{arguments} {draw(_selection(target, MAX_DEPTH - 1, flags))}")
    if not parts:
        parts = ["__typename"]
    declared = ", ".join(f"${flag}: Boolean!" for flag in sorted(flags))
    header = f"query Random({declared})" if declared else "query Random"
    values = {flag: draw(st.booleans()) for flag in sorted(flags)}
    return f"{header} {{ {' '.join(parts)} }}", values


@dataclass(slots=True)
class Pair:
    """Two apps on one database, one per executor, and the tokens of the demo accounts."""

    ordinary: httpx.AsyncClient
    compiled: httpx.AsyncClient
    apps: tuple[Any, Any]
    tokens: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    answered_compiled: int = 0

    async def token(self, username: str) -> str:
        from auth import tokens

        if username not in self.tokens:
            async with self.apps[0].state.runtime.sessionmaker() as session:
                account_id = (
                    await session.execute(select(account_t.c.id).where(account_t.c.username == username))
                ).scalar_one()
                self.tokens[username], _ = await tokens.issue(session, account_id, f"random-{username}")
                await session.commit()
        return self.tokens[username]

    async def logged_since(self, after: int) -> tuple[int, list[tuple[Any, ...]]]:
        async with self.apps[0].state.runtime.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(
                        access_log_t.c.id,
                        access_log_t.c.actor_username,
                        access_log_t.c.actor_role,
                        access_log_t.c.person_id,
                        access_log_t.c.fields,
                        access_log_t.c.operation_name,
                        access_log_t.c.reason,
                    )
                    .where(access_log_t.c.id > after)
                    .order_by(access_log_t.c.id)
                )
            ).all()
            last = await session.scalar(select(func.coalesce(func.max(access_log_t.c.id), 0)))
        return int(last or 0), sorted(tuple(r[1:]) for r in rows)


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Pair]:
    with tempfile.TemporaryDirectory() as folder:
        name = None
        if _backend() == "postgresql":
            name = f"ansinh_random_{secrets.token_hex(4)}"
            url = await _create_pg_database(name)
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'random.db'}"

        def settings(executor: str) -> Settings:
            return Settings(
                database_url=url,
                env="development",
                captcha="off",
                demo_password=DEMO_PASSWORD,
                compiler=executor,
                # No answer is served from a cache: each request is executed.
                cache="off",
                message_log=str(Path(folder) / f"messages-{executor}.jsonl"),
                upload_dir=str(Path(folder) / "uploads"),
            )

        from seed.cli import run_seed

        await migrate(settings("off"))
        await run_seed(settings("off"), demo=True, persons=60, seed=5, progress=False)
        apps = (create_app(settings("off")), create_app(settings("on")))
        try:
            async with (
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=apps[0]), base_url="http://ordinary"
                ) as a,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=apps[1]), base_url="http://compiled"
                ) as b,
            ):
                found = Pair(a, b, apps)
                await _demo_values(found)
                yield found
        finally:
            for app in apps:
                await app.state.runtime.engine.dispose()
            if name is not None:
                await _drop_pg_database(name)


async def _demo_values(pair: Pair) -> None:
    from models.tables import benefit_t, card_t, office_t, period_t, person_t, unit_t, visit_t
    from schema.node import global_id

    async with pair.apps[0].state.runtime.sessionmaker() as session:
        DEMO.person_codes = [
            GOLDEN,
            *(
                await session.scalars(
                    select(person_t.c.social_insurance_code).order_by(person_t.c.id).limit(6)
                )
            ),
        ]
        DEMO.unit_codes = list(await session.scalars(select(unit_t.c.code).order_by(unit_t.c.id).limit(5)))
        DEMO.card_numbers = list(
            await session.scalars(select(card_t.c.number).order_by(card_t.c.id).limit(5))
        )
        DEMO.node_ids = []
        for type_name, table, count in (
            ("Person", person_t, 4),
            ("Unit", unit_t, 2),
            ("ContributionPeriod", period_t, 2),
            ("HealthInsuranceCard", card_t, 2),
            ("MedicalVisit", visit_t, 2),
            ("Benefit", benefit_t, 1),
            ("Office", office_t, 1),  # not compiled: falls back at run time
        ):
            ids = await session.scalars(select(table.c.id).order_by(table.c.id).limit(count))
            DEMO.node_ids += [global_id(type_name, pk) for pk in ids]


def _comparable(response: httpx.Response) -> bytes:
    """The body without the timings of the debug extension (the executor's name is kept apart)."""
    body = response.json()
    debug = (body.get("extensions") or {}).pop("debug", None)
    if not body.get("extensions"):
        body.pop("extensions", None)
    assert debug is None or isinstance(debug, dict)
    return orjson.dumps({"status": response.status_code, **body})


async def _compare(
    pair: Pair, document: str, variables: dict[str, bool], who: tuple[str | None, str | None]
) -> None:
    username, reason = who
    headers = {"Cache-Control": "no-cache", "X-Ansinh-Debug": "1"}
    if username is not None:
        headers["Authorization"] = f"Bearer {await pair.token(username)}"
    if reason is not None:
        headers["X-Ansinh-Access-Reason"] = reason
    payload = {"query": document, "variables": variables}
    start, _ = await pair.logged_since(2**31 - 1)  # no row: only the last id
    ordinary = await pair.ordinary.post("/graphql", json=payload, headers=headers)
    middle, ordinary_log = await pair.logged_since(start)
    compiled = await pair.compiled.post("/graphql", json=payload, headers=headers)
    _, compiled_log = await pair.logged_since(middle)
    pair.sent += 1
    executor = ((compiled.json().get("extensions") or {}).get("debug") or {}).get("executor")
    if executor == "compiled":
        pair.answered_compiled += 1
    context = (
        f"\nas {username or 'anonymous'} (reason {reason!r}), executor {executor}:\n{document}\n{variables}"
    )
    assert _comparable(compiled) == _comparable(ordinary), (
        f"{context}\ncompiled: {compiled.text[:3000]}\nordinary: {ordinary.text[:3000]}"
    )
    assert compiled_log == ordinary_log, (
        f"{context}\ncompiled log: {compiled_log}\nordinary log: {ordinary_log}"
    )


RANDOM = run_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same documents every run: a difference is reproducible, CI is not flaky
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _examples(pair: Pair, who: tuple[str | None, str | None], loop: asyncio.AbstractEventLoop) -> Any:
    """Hypothesis drives the examples from a thread; each request runs on the test's event loop."""

    @RANDOM
    @given(drawn=documents())
    def run(drawn: tuple[str, dict[str, bool]]) -> None:
        document, variables = drawn
        asyncio.run_coroutine_threadsafe(_compare(pair, document, variables, who), loop).result(timeout=120)

    return run


async def test_random_query_both_executors_identical(pair: Pair) -> None:
    loop = asyncio.get_running_loop()
    for who in ROLES:
        await asyncio.to_thread(_examples(pair, who, loop))
    # A generator whose every document falls back would compare the ordinary executor with itself.
    assert pair.sent >= EXAMPLES * len(ROLES)
    share = pair.answered_compiled / pair.sent
    assert share >= MIN_COMPILED_SHARE, (
        f"only {pair.answered_compiled} of {pair.sent} documents were compiled"
    )
