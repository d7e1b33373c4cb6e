"""SIGKILL runs: child engines trade on a FakeBinance of this process and are killed at random
moments; a fresh engine started here on the same SQLite file must then find everything in order.

One run (``kill_run``): a fresh fake and database; ``kills`` children in turn get the job, each
killed with SIGKILL after a random delay counted from the job (so a kill can land in the start-up
recovery of the child before it, as well as anywhere in a lifecycle) while ``VenueDriver`` moves
the prices; then an engine in this process starts on the same database (reconciliation) and
``audit`` checks: no client id used for two orders, every venue position with a resting stop
(and only one), every fill of ours recorded, the same positions in the database and on the
venue. The restarted engine then plays the open positions out and is audited again.

``ChildPool`` keeps children imported and waiting, so their start-up cost overlaps the runs.
Used by test_crash.py (CI) and bench/bench_crash.py (more runs, figures).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from engine.domain.events import EngineError
from engine.domain.reasons import ErrorCode
from engine.storage.db import Database
from tests.engine.live.harness import (
    BTC,
    CHURN,
    ETH,
    VENUE_ID,
    Audit,
    EventLog,
    audit,
    build_live_engine,
    live_settings,
)
from tests.engine.live.venue_driver import VenueDriver
from tests.fakes.binance import FakeBinance

CHILD = Path(__file__).with_name("crash_child.py")
SYMBOLS = [BTC, ETH]


class Child:
    """A crash_child.py process, imports done, waiting for its job on stdin."""

    def __init__(self, proc: asyncio.subprocess.Process, log: IO[bytes], log_path: Path) -> None:
        self.proc, self.log, self.log_path = proc, log, log_path
        self.ready = False

    @classmethod
    async def spawn(cls, log_path: Path) -> Child:
        log = open(log_path, "wb")  # noqa: SIM115 - closed in kill()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=log, env=env)
        return cls(proc, log, log_path)

    async def _line(self) -> str:
        assert self.proc.stdout is not None
        return (await self.proc.stdout.readline()).decode().strip()

    async def go(self, job: dict[str, Any], timeout: float = 30.0) -> None:
        """Hand the job over once the child has imported everything (does not wait for ``ready``)."""
        assert self.proc.stdin is not None
        said = await asyncio.wait_for(self._line(), timeout)
        if said != "imported":
            raise RuntimeError(f"child said {said!r} instead of 'imported'; log:\n{self.tail()}")
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        await self.proc.stdin.drain()

    async def watch_ready(self) -> None:
        if await self._line() == "ready":
            self.ready = True

    async def kill(self) -> int | None:
        """SIGKILL; returns the exit code if the child had ended on its own before (a failure)."""
        ended = self.proc.returncode
        if ended is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()
        self.log.close()
        return ended

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class ChildPool:
    """Children spawned ahead of time; ``take`` hands one over and spawns its replacement."""

    def __init__(self, workdir: Path, size: int = 2) -> None:
        self.workdir, self.size = workdir, size
        # alembic keeps its migration context in module globals: two runs in this process must not
        # migrate (Engine.start does) at the same time. One bot process has one database: no bot issue.
        self.migrations = asyncio.Lock()
        self._waiting: list[Child] = []
        self._count = 0

    async def _spawn(self) -> None:
        self._count += 1
        self._waiting.append(await Child.spawn(self.workdir / f"child{self._count}.log"))

    async def take(self) -> Child:
        while len(self._waiting) < self.size:
            await self._spawn()
        child = self._waiting.pop(0)
        await self._spawn()
        return child

    async def close(self) -> None:
        for child in self._waiting:
            await child.kill()
        self._waiting.clear()


@dataclass
class KillResult:
    run: int
    kills: int
    delays: list[float]
    phases: list[str]  # each symbol at the last kill
    killed_in_startup: int  # kills that landed before the child said "ready" (start-up recovery)
    after_restart: Audit
    at_end: Audit | None
    reconciled: str
    orders: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.after_restart.ok and (self.at_end is None or self.at_end.ok) and not self.notes


def phase(fake: FakeBinance, vid: str) -> str:
    """What one symbol looked like on the venue at the kill."""
    position = fake.positions.get((vid, "BOTH"))
    ours = [a for a in fake.algo_orders.values() if a.symbol == vid and a.is_open and a.client_algo_id.startswith("sp-")]
    stops = [a for a in ours if a.is_stop]
    if position is None:
        return "flat" if not ours else "flat, orders resting"
    if not stops:
        return "open, no stop yet"
    if len(stops) > 1:
        return "two stops (moving)"
    if any("-tp1-" in a.client_algo_id for a in ours):
        return "stop+targets resting"
    if stops[0].client_algo_id.endswith("-0"):
        return "tp1 done, stop not moved"
    return "stop moved"


async def kill_run(run: int, pool: ChildPool, workdir: Path, rng: random.Random, *, kills: int = 1,
                   max_delay: float = 1.5, finish: bool = True) -> KillResult:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    notes: list[str] = []
    delays: list[float] = []
    in_startup = 0
    async with FakeBinance(seed=run) as fake:
        db = f"sqlite+aiosqlite:///{workdir / f'crash{run}.db'}"
        await _migrated(db, pool.migrations)  # a kill inside the very first migration is a known, separate defect
        driver = VenueDriver(fake, [VENUE_ID[s] for s in SYMBOLS], rng, patience=40)
        phases: list[str] = []
        for _ in range(kills):
            child = await pool.take()
            await child.go({"url": fake.http_base, "db": db, "symbols": SYMBOLS})
            watcher = asyncio.ensure_future(child.watch_ready())
            delays.append(rng.uniform(0.0, max_delay))
            kill_at = loop.time() + delays[-1]
            while loop.time() < kill_at:
                driver.step()
                await asyncio.sleep(min(0.01, max(0.0, kill_at - loop.time())))
            ended = await child.kill()
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            in_startup += not child.ready
            if ended is not None:
                notes.append(f"child ended by itself with {ended}:\n{child.tail()}")
            phases = [phase(fake, VENUE_ID[s]) for s in SYMBOLS]

        engine = await build_live_engine(live_settings(fake.http_base, db, risk=CHURN))
        log = EventLog(engine)
        try:
            async with pool.migrations:
                await engine.start(run_feed=False, run_jobs=False)
            after = await audit(fake, engine)
            reconciled = "; ".join(e.detail for e in log.of(EngineError) if e.code is ErrorCode.RECONCILED)
            end = None
            if finish:
                deadline = loop.time() + 10
                while (fake.positions or engine.c.manager.open_positions()) and loop.time() < deadline:
                    driver.step()
                    await asyncio.sleep(0.01)
                await engine._reconcile_job()
                end = await audit(fake, engine)
                if fake.positions or engine.c.manager.open_positions():
                    notes.append("positions still open 10 s after the restart")
        finally:
            await engine.stop()
        orders = after.orders
    return KillResult(run, kills, delays, phases, in_startup, after, end, reconciled, orders,
                      time.perf_counter() - started, notes)


async def _migrated(url: str, lock: asyncio.Lock) -> None:
    """The bot's first start, before any kill: SQLite applies the schema's DDL outside a
    transaction, so a kill inside the first migration leaves half a schema (see
    test_crash_windows.py::test_a_kill_inside_the_first_migration_leaves_a_database_that_starts)."""
    database = Database(url)
    try:
        async with lock:
            await database.migrate()
    finally:
        await database.close()


def tally(results: list[KillResult]) -> dict[str, Any]:
    """Figures over many runs (for the test's message and the benchmark's print-out)."""
    return {
        "runs": len(results),
        "kills": sum(r.kills for r in results),
        "kills_in_startup": sum(r.killed_in_startup for r in results),
        "orders": sum(r.orders for r in results),
        "duplicate_client_ids": sum(len(r.after_restart.duplicate_client_ids) for r in results),
        "unprotected_positions": sum(len(r.after_restart.unprotected) for r in results),
        "extra_stops": sum(len(r.after_restart.extra_stops) for r in results),
        "missing_fills": sum(len(r.after_restart.missing_fills) for r in results),
        "unknown_fills": sum(len(r.after_restart.unknown_fills) for r in results),
        "position_mismatches": sum(len(r.after_restart.position_mismatch) for r in results),
        "failed_at_end": sum(1 for r in results if r.at_end is not None and not r.at_end.ok),
        "failed_runs": sum(1 for r in results if not r.ok),
        "phases": Counter(p for r in results for p in r.phases),
        "repairs": Counter(part.split("=")[0] for r in results for part in r.reconciled.replace(";", ",").split(", ")
                           if part),
    }
