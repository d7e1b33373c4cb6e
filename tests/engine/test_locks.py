"""engine/locks.py: a lock is free only when nobody holds it and nobody waits for it (a hot path
that skips taking a free lock must never overtake a waiter)."""

from __future__ import annotations

import asyncio

from engine.locks import free


async def test_a_lock_is_free_until_taken_and_again_once_its_waiters_had_it() -> None:
    lock = asyncio.Lock()
    assert free(lock)
    await lock.acquire()
    assert not free(lock)
    waiter = asyncio.ensure_future(lock.acquire())
    await asyncio.sleep(0)  # the waiter queues up
    lock.release()
    assert not lock.locked() and not free(lock)  # released to the waiter, which has not run yet
    await waiter
    assert not free(lock)
    lock.release()
    assert free(lock)
