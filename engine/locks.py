"""Whether an asyncio lock is free for the taking right now.

A hot path (a replayed tick) may skip taking a lock when it is free and what it does under it
never awaits: nothing else can run meanwhile, so the outcome is the one of taking it. A lock
just released to a waiter that has not run yet is not free (its owner goes first).
"""

from __future__ import annotations

import asyncio


def free(lock: asyncio.Lock) -> bool:
    """Not held and nobody waiting for it (asyncio's own test before it hands the lock over)."""
    if lock.locked():
        return False
    waiters = lock._waiters  # (None until someone waited)
    return not waiters or all(w.cancelled() for w in waiters)
