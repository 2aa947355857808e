"""Group commit (infra/group_commit.py): concurrent writes share a transaction, each caller returns
only once its own item is committed, a failing item fails its caller alone, and no caller is left
waiting when another is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from infra.group_commit import GroupCommit


class Writer:
    """Records each group; `gate` (when set) holds a write until the test opens it."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.groups: list[list[str]] = []
        self.committed: list[str] = []
        self.failing = failing
        self.gate: asyncio.Event | None = None
        self.writing = asyncio.Event()

    async def write(self, items: list[str]) -> None:
        self.groups.append(list(items))
        self.writing.set()
        if self.gate is not None:
            await self.gate.wait()
        bad = [i for i in items if i in self.failing]
        if bad:
            raise RuntimeError(f"cannot write {bad[0]}")
        self.committed.extend(items)


async def started(*tasks: asyncio.Task[None]) -> None:
    """Until every task waits in `submit` (each has appended its entry and is suspended)."""
    for _ in range(10):
        await asyncio.sleep(0)
    assert not any(t.done() for t in tasks)


async def test_submit_alone_written_at_once_as_a_group_of_one() -> None:
    writer = Writer()
    group = GroupCommit(writer.write)
    await group.submit("a")
    await group.submit("b")
    assert writer.groups == [["a"], ["b"]]
    assert writer.committed == ["a", "b"]


async def test_submit_during_a_write_waits_and_shares_the_next_group() -> None:
    writer = Writer()
    writer.gate = asyncio.Event()
    group = GroupCommit(writer.write)
    first = asyncio.create_task(group.submit("first"))
    await writer.writing.wait()
    others = [asyncio.create_task(group.submit(f"r{n}")) for n in range(9)]
    await started(*others)
    assert writer.committed == []  # nobody is answered before the commit
    writer.gate.set()
    await asyncio.gather(first, *others)
    assert writer.groups == [["first"], [f"r{n}" for n in range(9)]]
    assert sorted(writer.committed) == sorted(["first", *(f"r{n}" for n in range(9))])
    assert group.groups == 2


async def test_submit_failing_item_fails_its_caller_only() -> None:
    writer = Writer(failing=frozenset({"bad"}))
    writer.gate = asyncio.Event()
    group = GroupCommit(writer.write)
    first = asyncio.create_task(group.submit("first"))
    await writer.writing.wait()
    tasks = {name: asyncio.create_task(group.submit(name)) for name in ("x", "bad", "y")}
    await started(*tasks.values())
    writer.gate.set()
    await first
    await tasks["x"]
    await tasks["y"]
    with pytest.raises(RuntimeError, match="cannot write bad"):
        await tasks["bad"]
    assert sorted(writer.committed) == ["first", "x", "y"]
    # The group of three failed as a whole, then was written one by one.
    assert writer.groups[1:] == [["x", "bad", "y"], ["x"], ["bad"], ["y"]]


async def test_submit_leader_cancelled_during_its_write_still_answers_its_group() -> None:
    writer = Writer()
    writer.gate = asyncio.Event()
    group = GroupCommit(writer.write)
    first = asyncio.create_task(group.submit("first"))
    await writer.writing.wait()
    writer.writing.clear()
    second = asyncio.create_task(group.submit("second"))
    await started(second)
    first.cancel()  # the leader's client went away while its group was being written
    with pytest.raises(asyncio.CancelledError):
        await first
    writer.gate.set()
    await asyncio.wait_for(second, 5)
    assert writer.committed == ["first", "second"]


async def test_submit_cancelled_while_waiting_still_written_and_lead_passed_on() -> None:
    writer = Writer()
    writer.gate = asyncio.Event()
    group = GroupCommit(writer.write)
    first = asyncio.create_task(group.submit("first"))
    await writer.writing.wait()
    waiting = asyncio.create_task(group.submit("waiting"))
    last = asyncio.create_task(group.submit("last"))
    await started(waiting, last)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    writer.gate.set()
    await first
    await asyncio.wait_for(last, 5)
    assert writer.committed == ["first", "waiting", "last"]


async def test_submit_cancelled_once_told_to_lead_passes_the_lead_on() -> None:
    writer = Writer()
    writer.gate = asyncio.Event()
    loop = asyncio.get_running_loop()
    tasks: dict[str, asyncio.Task[None]] = {}

    async def write_then_cancel_the_next_leader(items: list[str]) -> None:
        await writer.write(items)
        if items == ["first"]:
            # Runs after the lead is passed to `chosen` and before `chosen` resumes.
            loop.call_soon(tasks["chosen"].cancel)

    group = GroupCommit(write_then_cancel_the_next_leader)
    first = asyncio.create_task(group.submit("first"))
    await writer.writing.wait()
    tasks["chosen"] = asyncio.create_task(group.submit("chosen"))
    last = asyncio.create_task(group.submit("last"))
    await started(tasks["chosen"], last)
    writer.gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await tasks["chosen"]
    await asyncio.wait_for(last, 5)  # `last` leads in its place: nobody hangs
    assert writer.committed == ["first", "chosen", "last"]
