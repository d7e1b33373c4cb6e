"""SIGKILL runs: child engines trade on a FakeBinance of this process and are killed at chosen
lifecycle commit points (or, for the benchmark, at random moments); a fresh engine started here on
the same SQLite file must then find everything in order.

One run (``kill_run``): a fresh fake and a database the bot has started once before (or, with
``first_start``, none: the first child migrates it); children in turn get the job while
``VenueDriver`` moves the prices. With ``crash_at`` (the test), child i is told to SIGKILL itself
at the commit point ``crash_at[i]`` (engine/crashpoints.py: ``"tp1-fill-recorded"``,
``"commit#1"`` — the first commit of the next child, i.e. inside its start-up recovery when there
is something to repair, ...): where the kill lands does not depend on timing. Without it (the
benchmark), ``kills`` children are killed by this process after a random delay counted from the
job. Then an engine in this process starts on the same database (reconciliation) and ``audit``
checks: no client id used for two orders, every venue position with a resting stop (and only
one), every fill of ours recorded, the same positions in the database and on the venue. The
restarted engine then plays the open positions out and is audited again.

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

from engine import crashpoints
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

# Every commit point of a lifecycle the test kills at (engine/crashpoints.py names them), in lifecycle order.
PHASES = (
    "entry-persisted",  # the position and its entry order saved, the entry not sent
    "entry-acknowledged",  # the venue took the entry; its fill not seen yet
    "entry-fill-recorded",  # the entry's fill recorded, not applied
    "stop-persisted",  # the fill applied: stop and targets saved, none sent
    "stop-acknowledged",  # the stop rests; targets not sent
    "tp1-acknowledged",
    "tp2-acknowledged",
    "tp1-fill-recorded",  # TP1's fill recorded, not applied
    "moved-stop-persisted",  # TP1 applied: the breakeven stop saved, not sent
    "moved-stop-acknowledged",  # the breakeven stop rests next to the old one
    "stop-cancelled",  # the old stop cancelled
    "tp2-fill-recorded",
    "moved-stop-fill-recorded",  # the breakeven stop filled
    "position-closed",  # the position saved closed; its other orders still resting
)
# the way the prices end each position for a phase that needs one ending (else a seeded choice)
ENDING = {"tp2-fill-recorded": "tp2", "moved-stop-fill-recorded": "stop"}
HANG_GUARD = 120.0  # seconds: only a child that never reaches its commit point waits this long


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
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_") and k != crashpoints.ENV}
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
            pid = await asyncio.wait_for(self._forked.get(), 60)  # a hang guard
        return ForkedChild(self, pid, log)

    async def wait_exit(self, pid: int, timeout: float = 60.0) -> None:
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
            await asyncio.wait_for(self.proc.wait(), 60)
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

    @property
    def ended(self) -> bool:
        return self.pid in self.zygote.exited

    def crashed_at(self) -> str | None:
        """The commit point where the child SIGKILLed itself (engine/crashpoints.py), if it did."""
        status = self.zygote.exited.get(self.pid)
        if status is None or not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL:
            return None
        said = [line.split()[1] for line in self.log.read_text(errors="replace").splitlines()
                if line.startswith("crashpoint ") and line.endswith(": SIGKILL")]
        return said[-1].removesuffix(":") if said else None

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
    delays: list[float]  # random kills (benchmark): the delays; commit-point kills: none
    phases: list[str]  # each symbol on the venue at the last kill
    killed_in_startup: int  # kills that landed before the child said "ready" (start-up recovery)
    after_restart: Audit
    at_end: Audit | None
    reconciled: str
    orders: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    crash_at: list[str] = field(default_factory=list)  # the commit points asked for ...
    crashed_at: list[str | None] = field(default_factory=list)  # ... and where each child died by itself

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


def _spec(crash_at: str) -> str:
    return crash_at if "#" in crash_at else f"{crash_at}#1"


async def kill_run(run: int, lab: CrashLab, rng: random.Random, *, kills: int = 1,
                   max_delay: float = 1.5, finish: bool = True, first_start: bool = False,
                   crash_at: list[str] | None = None) -> KillResult:
    """One run; ``crash_at``: one commit point per child (then ``kills`` and ``max_delay`` are unused)."""
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    notes: list[str] = []
    delays: list[float] = []
    crashed: list[str | None] = []
    in_startup = 0
    async with FakeBinance(seed=run) as fake:
        path = lab.workdir / f"crash{run}.db"
        if not first_start:
            await lab.migrated_copy(path)
        db = f"sqlite+aiosqlite:///{path}"
        ending = next((ENDING[p.split("#")[0]] for p in crash_at or () if p.split("#")[0] in ENDING), None)
        # patience: steps with no change before the driver gives up on a position (through its stop); under
        # commit-point kills it must not cut lifecycles short on a slow machine, so it is long
        driver = VenueDriver(fake, [VENUE_ID[s] for s in SYMBOLS], rng, patience=40 if crash_at is None else 1000,
                             ending=ending)
        phases: list[str] = []
        for n in range(len(crash_at) if crash_at is not None else kills):
            job: dict[str, Any] = {"url": fake.http_base, "db": db, "symbols": SYMBOLS}
            if crash_at is not None:
                job["crash_at"] = _spec(crash_at[n])
            child = await lab.zygote.fork(job)
            if crash_at is not None:  # the child kills itself at its commit point; the guard is for a hang
                deadline = loop.time() + HANG_GUARD
                while not child.ended and loop.time() < deadline:
                    driver.step()
                    await asyncio.sleep(0.01)
                in_startup += not child.ready
                if not child.ended:
                    notes.append(f"child {n} never reached {job['crash_at']} ({HANG_GUARD:.0f} s):\n{child.tail()}")
                    await child.kill()
                crashed.append(child.crashed_at())
                if crashed[-1] != job["crash_at"]:
                    notes.append(f"child {n} asked to die at {job['crash_at']} ended at {crashed[-1]} "
                                 f"(status {lab.zygote.exited.get(child.pid)}):\n{child.tail()}")
            else:
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
                deadline = loop.time() + HANG_GUARD
                while (fake.positions or engine.manager.open_positions()) and loop.time() < deadline:
                    driver.step()
                    await asyncio.sleep(0.01)
                await engine.reconcile_now()
                end = await audit(fake, engine)
                if fake.positions or engine.manager.open_positions():
                    notes.append(f"positions still open {HANG_GUARD:.0f} s after the restart")
        finally:
            await engine.stop()
        orders = after.orders
    return KillResult(run, len(crash_at) if crash_at is not None else kills, delays, phases, in_startup, after, end,
                      reconciled, orders, time.perf_counter() - started, notes, list(crash_at or ()), crashed)


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
        "crashed_at": Counter(p for r in results for p in r.crashed_at),
        "repairs": Counter(part.split("=")[0] for r in results for part in r.reconciled.replace(";", ",").split(", ")
                           if part),
    }
