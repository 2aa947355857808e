"""Sibling fields run to the end, even when one of them fails (schema/execution.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry

from schema.execution import Executor
from tests.conftest import codes
from tests.transports import TRANSPORTS

# The first root field reads the database (the province) while the second is refused at once: a
# cancelled sibling used to stop in the middle of its read.
REFUSED_BESIDE_A_READ = """query Refused { contributionStatistics(groupBy: [UNIT], provinceCode: "01") { unitCode }
  visitStatistics(groupBy: [ICD_CHAPTER]) { patients } }"""
PLAIN = "{ offices(first: 1) { nodes { name } } }"
# Refused at once (a citizen asks for statistics) beside a list whose every item is refused a field.
REFUSED_BESIDE_ERRORS = """{ contributionStatistics(groupBy: [PROVINCE]) { headcount }
  units(first: 3) { nodes { code employees(first: 1) { totalCount } } } }"""


@pytest.fixture
def ordinary(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ordinary executor alone (no plan tried first, as for any query the compiler does not take)."""
    runtime = app.state.runtime
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, compiler="off"))
    yield


@pytest.mark.parametrize("who", [None, "0113099841", "partner.hospital"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_refused_beside_a_read_leaves_the_next_request_its_connection(
    ways: Any, app: Any, transport: str, who: str | None, ordinary: None
) -> None:
    """A query of two root fields, one refused while the other reads, twenty times, as anyone refused
    the statistics (anonymous, a citizen, a hospital): each
    next request (anyone's) is answered, and no connection of the pool was given up. Cancelled
    mid-read on PostgreSQL, the read's connection was invalidated and went back to the pool closed,
    and the next request given it failed with UNAVAILABLE."""
    from sqlalchemy import event

    pool = app.state.runtime.engine.sync_engine.pool
    invalidated: list[str] = []

    def seen(_dbapi: Any, _record: Any, exception: BaseException | None) -> None:
        invalidated.append(repr(exception))

    event.listen(pool, "invalidate", seen)
    failed = []
    try:
        for attempt in range(20):
            refused = await ways.post(transport, REFUSED_BESIDE_A_READ, as_=who)
            assert refused["data"] is None, refused
            assert {"UNAUTHENTICATED", "FORBIDDEN"} & set(codes(refused)), refused
            # A text of its own each time: read from the database, not from the answer cache.
            plain = await ways.post(transport, f"# {attempt}\n{PLAIN}")
            if plain.get("errors") or not plain.get("data"):
                failed.append(plain)
    finally:
        event.remove(pool, "invalidate", seen)
    assert failed == [] and invalidated == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_refused_at_once_beside_a_list_answers_every_error_of_the_list(
    ways: Any, transport: str, ordinary: None
) -> None:
    """A root field refused before it awaits anything no longer cancels its siblings: the answer
    holds the errors of every unit of the list beside it, the same ones every time (they depended
    on what had finished before the refusal)."""
    listed = await ways.post(transport, "{ units(first: 3) { nodes { code } } }", as_="0113099841")
    units = len(listed["data"]["units"]["nodes"])
    answers = [await ways.post(transport, REFUSED_BESIDE_ERRORS, as_="0113099841") for _ in range(3)]
    paths = [sorted(str(e["path"]) for e in answer["errors"]) for answer in answers]
    assert units >= 2 and all(answer["data"] is None for answer in answers)
    assert paths[0] == paths[1] == paths[2]
    assert len(paths[0]) == 1 + units, paths[0]  # statistics, and each unit's employees
    assert codes(answers[0]) == ["FORBIDDEN"] * (1 + units)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_errors_in_document_order_not_in_the_order_they_happened(
    ways: Any, transport: str
) -> None:
    """The list comes first in the document and its errors happen after its read; the malformed
    code comes second and is refused at once. Errors are listed in the document's order, then the
    list's: the same order whatever finished first (on PostgreSQL the read let the refusal in first)."""
    query = """{ units(first: 3) { nodes { code employees(first: 1) { totalCount } } }
      person(socialInsuranceCode: "12") { fullName } }"""
    body = await ways.post(transport, query, as_="0113099841")
    paths = [e["path"] for e in body["errors"]]
    assert paths[-1] == ["person"] and len(paths) >= 3, paths
    assert paths[:-1] == [["units", "nodes", i, "employees"] for i in range(len(paths) - 1)]


# A schema of its own for the executor's background work: one field that awaits (a read), one that
# fails at once.
FINISHED: list[str] = []


@strawberry.type
class _Item:
    @strawberry.field
    async def slow(self) -> str:
        await asyncio.sleep(0.01)  # the read a sibling is in the middle of
        FINISHED.append("slow")
        return "done"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("fails at once, in a non-null field")


@strawberry.type
class _Query:
    @strawberry.field
    def item(self) -> _Item | None:
        return _Item()


@dataclasses.dataclass
class _Unit:
    background: list[Any] = dataclasses.field(default_factory=list)


_SCHEMA = strawberry.Schema(query=_Query, execution_context_class=Executor)


async def test_field_failing_before_its_siblings_start_leaves_their_work_to_be_awaited() -> None:
    """A field that fails synchronously (before the siblings after it are started) makes
    graphql-core settle the started ones in the background: the executor hands them to the
    context, and `settle_background` (which the pipeline calls before the unit of work ends) sees
    them through; without it they would still be reading when the session is closed."""
    from schema.execution import settle_background

    FINISHED.clear()
    unit = _Unit()
    result = await _SCHEMA.execute("{ item { slow broken } }", context_value=unit)
    assert result.data == {"item": None} and result.errors
    assert unit.background and FINISHED == []
    await settle_background(unit.background)
    assert FINISHED == ["slow"]
