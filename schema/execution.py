"""How the fields of one selection run: every sibling to its end, even when one of them fails.

graphql-core 3.3 cancels the other fields of a selection set (and the other items of a list) as
soon as one of them fails in a way that nulls their parent (`gather_with_cancel`). A national
platform can have neither of the two consequences:

* a sibling cancelled in the middle of a database read leaves the read half done on its
  connection. On PostgreSQL, SQLAlchemy then invalidates the connection, and the request the pool
  gave it to next failed with UNAVAILABLE: an anonymous query of two root fields (one refused, one
  reading) broke someone else's request, as often as it was sent;
* which errors an answer holds depended on timing (which siblings had finished when the failing
  one failed): the same query answered one error or five, by backend and by what was cached.

Here siblings are awaited to the end, then the first failure in the order of the selection is
raised (`settled`). They are the reads of one request, bounded by the operation limits and the
statement timeout; waiting for them costs only time already spent. A field that fails before its
siblings are even started (graphql-core then settles the started ones in the background) has them
awaited by the pipeline before its unit of work ends (`Executor.settle_in_background` records
them in the context, `settle_background` awaits them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

from graphql.execution import executor as graphql_executor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


async def settled(*awaitables: Awaitable[Any]) -> list[Any]:
    """The results of all the awaitables, run concurrently and each to its end; if any failed, the
    first failure in their order, raised once all are done."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


# graphql-core calls this name for every selection set, list and resolver group it awaits
# together; the subclass below could not replace those calls without copying the methods that
# make them. Checked at import: a graphql-core without it would cancel again, silently.
if not callable(getattr(graphql_executor, "gather_with_cancel", None)):  # pragma: no cover
    raise ImportError("graphql-core no longer has executor.gather_with_cancel: see schema/execution.py")
graphql_executor.gather_with_cancel = settled  # type: ignore[assignment]


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, whose background work the pipeline awaits (see the module)."""

    def settle_in_background(self, awaitables: list[Awaitable[Any]]) -> None:
        before = set(self.background_futures)
        super().settle_in_background(awaitables)
        pending = getattr(self.context_value, "background", None)
        if pending is not None:
            pending.extend(self.background_futures - before)


async def settle_background(pending: Iterable[Awaitable[Any]]) -> None:
    """Awaits what an operation left running in the background (whatever it raises: its errors
    belong to an answer already made)."""
    waiting = list(pending)
    if waiting:
        await asyncio.gather(*waiting, return_exceptions=True)
