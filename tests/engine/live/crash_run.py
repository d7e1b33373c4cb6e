"""SIGKILL runs: child engines trade on a FakeBinance of this process and are killed at random
moments; a fresh engine started here on the same SQLite file must then find everything in order.

One run (``kill_run``): a fresh fake and a database the bot has started once before (or, with
``first_start``, none: the first child migrates it); ``kills`` children in turn get the job, each
killed with SIGKILL after a random delay counted from the job (so a kill can land in the start-up
recovery of the child before it, as well as anywhere in a lifecycle) while ``VenueDriver`` moves
the prices; then an engine in this process starts on the same database (reconciliation) and
``audit`` checks: no client id used for two orders, every venue position with a resting stop
(and only one), every fill of ours recorded, the same positions in the database and on the
venue. The restarted engine then plays the open positions out and is audited again.

The children are forked by one fork server (``Zygote``, crash_child.py) that imported everything
once: a child starts in milliseconds instead of the 1.5 s of CPU its imports would cost.
Used by test_crash.py (CI) and bench/bench_crash.py (more runs, figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class Zygote:
    """The fork server (crash_child.py): everything imported once, then one child process per job."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: asyncio.subprocess.Process | None = None
        self.ready: set[int] = set()
        self.exited: dict[int, int] = {}
        self._forked: asyncio.Queue[int] = asyncio.Queue()
        self._fork_lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._reader: asyncio.Future[None] | None = None
        self._count = 0

    async def start(self) -> Zygote:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # no threads in a process that forks
        log = open(self.workdir / "zygote.log", "wb")  # noqa: SIM115 - the process owns it
        self.proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), stdin=asyncio.subprocess.PIPE,
                                                         stdout=asyncio.subprocess.PIPE, stderr=log, env=env)
        log.close()
        assert self.proc.stdout is not None
        first = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if first != b"zygote\n":
            raise RuntimeError(f"fork server said {first!r}: {(self.workdir / 'zygote.log').read_text()}")
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            kind, pid, *rest = line.decode().split()
            if kind == "forked":
                self._forked.put_nowait(int(pid))
            elif kind == "ready":
                self.ready.add(int(pid))
            elif kind == "exited":
                self.exited[int(pid)] = int(rest[0])
            self._changed.set()

    async def fork(self, job: dict[str, Any]) -> ForkedChild:
        assert self.proc is not None and self.proc.stdin is not None
        self._count += 1
        log = self.workdir / f"child{self._count}.log"
        async with self._fork_lock:
            self.proc.stdin.write((json.dumps({**job, "log": str(log)}) + "\n").encode())
            await self.proc.stdin.drain()
            pid = await asyncio.wait_for(self._forked.get(), 10)
        return ForkedChild(self, pid, log)

    async def wait_exit(self, pid: int, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pid not in self.exited:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), max(0.01, deadline - loop.time()))

    async def close(self) -> None:
        if self.proc is None:
            return
        for pid in [p for p in self.ready if p not in self.exited]:  # a test that failed half-way
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


class ForkedChild:
    def __init__(self, zygote: Zygote, pid: int, log: Path) -> None:
        self.zygote, self.pid, self.log = zygote, pid, log

    @property
    def ready(self) -> bool:
        return self.pid in self.zygote.ready

    async def kill(self) -> int | None:
        """SIGKILL; returns the wait status if the child had ended on its own before (a failure)."""
        ended = self.zygote.exited.get(self.pid)
        if ended is None:
            os.kill(self.pid, signal.SIGKILL)
        await self.zygote.wait_exit(self.pid)
        return ended

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class CrashLab:
    """What the runs share: a work directory, the fork server, a migrated database to copy."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.zygote = Zygote(workdir)
        # alembic keeps its migration context in module globals: two runs in this process must not
        # migrate (Engine.start does) at the same time. One bot process has one database: no bot issue.
        self.migrations = asyncio.Lock()

    async def __aenter__(self) -> CrashLab:
        await self.zygote.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.zygote.close()

    async def migrated_copy(self, path: Path) -> None:
        """``path``: a database the bot has already started once (a copy of one migrated here)."""
        template = self.workdir / "migrated-template.db"
        async with self.migrations:
            if not template.exists():
                database = Database(f"sqlite+aiosqlite:///{template}")
                await database.migrate()
                await database.close()
        shutil.copyfile(template, path)


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


async def kill_run(run: int, lab: CrashLab, rng: random.Random, *, kills: int = 1,
                   max_delay: float = 1.5, finish: bool = True, first_start: bool = False) -> KillResult:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    notes: list[str] = []
    delays: list[float] = []
    in_startup = 0
    async with FakeBinance(seed=run) as fake:
        path = lab.workdir / f"crash{run}.db"
        if not first_start:
            await lab.migrated_copy(path)
        db = f"sqlite+aiosqlite:///{path}"
        driver = VenueDriver(fake, [VENUE_ID[s] for s in SYMBOLS], rng, patience=40)
        phases: list[str] = []
        for _ in range(kills):
            child = await lab.zygote.fork({"url": fake.http_base, "db": db, "symbols": SYMBOLS})
            delays.append(rng.uniform(0.0, max_delay))
            kill_at = loop.time() + delays[-1]
            while loop.time() < kill_at:
                driver.step()
                await asyncio.sleep(min(0.01, max(0.0, kill_at - loop.time())))
            in_startup += not child.ready
            ended = await child.kill()
            if ended is not None:
                notes.append(f"child ended by itself with {ended}:\n{child.tail()}")
            phases = [phase(fake, VENUE_ID[s]) for s in SYMBOLS]

        engine = await build_live_engine(live_settings(fake.http_base, db, risk=CHURN))
        log = EventLog(engine)
        try:
            async with lab.migrations:
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
