"""The end of the application's life, bounded: background tasks are cancelled and the resources
closed within a deadline, whatever hangs (a database that does not answer, a task that does not
stop). What does not finish in time is logged and left behind: the process still exits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger("ansinh")

# uvicorn gives requests their own grace period first; `ansinh serve` ends the process at 10 s.
SHUTDOWN_SECONDS = 4.0


async def stop_all(
    tasks: Sequence[asyncio.Task[object]],
    closers: Sequence[Callable[[], Awaitable[object]]],
    seconds: float = SHUTDOWN_SECONDS,
) -> None:
    """Cancels `tasks`, then awaits each of `closers` in order, all within `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    for task in tasks:
        task.cancel()
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=seconds / 2)
        for task in pending:
            log.error("shutdown: the task %s did not stop when cancelled; left behind", task.get_name())
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.warning("shutdown: the task %s failed: %r", task.get_name(), task.exception())
    for close in closers:
        name = getattr(close, "__qualname__", repr(close))
        try:
            async with asyncio.timeout(max(0.1, deadline - loop.time())):
                await close()
        except TimeoutError:
            log.error("shutdown: %s did not finish in time; left behind", name)
        except Exception as exc:  # closing what is already broken must not stop closing the rest
            log.warning("shutdown: %s failed: %r", name, exc)
