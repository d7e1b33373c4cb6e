"""Background tasks are created here: named, referenced until done, failures logged.

An exception that says it is ``quiet`` (``exc.quiet = True``: an expected condition that is
reported elsewhere, e.g. the database that stopped taking writes) is logged as one line, without
a traceback; every other failure is logged with its traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("engine.tasks")

_tasks: set[asyncio.Task[Any]] = set()


def quiet(exc: BaseException) -> bool:
    """True for an expected failure that needs one log line, not a traceback."""
    return bool(getattr(exc, "quiet", False))


def spawn(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
    """Start ``coro`` as a named task, keep a reference, and log it if it fails."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %s failed: %s", task.get_name(), exc, exc_info=None if quiet(exc) else exc)


async def cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    current = asyncio.current_task()
    tasks = [t for t in tasks if t is not current]
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
