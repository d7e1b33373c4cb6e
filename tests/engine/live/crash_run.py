"""One SIGKILL run: a child engine trades on a FakeBinance of this process, is killed at a random
moment, and a fresh engine started here on the same SQLite file must find everything in order.

``Child`` is a pre-started ``crash_child.py`` (imports done, waiting for its job on stdin), so the
next run's import time overlaps the current run. ``kill_run`` does one run and returns a
``KillResult``: the phase each symbol was in at the kill, the audit right after the restart
(duplicates, unprotected positions, missing fills, disagreeing positions) and the audit once the
restarted engine has played the positions out. Used by test_crash.py and bench/bench_crash.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from engine.domain.events import EngineError
from engine.domain.reasons import ErrorCode
from tests.engine.live.harness import (
    BTC,
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
    """A crash_child.py process, imports done, waiting for its job."""

    def __init__(self, proc: asyncio.subprocess.Process, log: IO[bytes], log_path: Path) -> None:
        self.proc, self.log, self.log_path = proc, log, log_path

    @classmethod
    async def spawn(cls, log_path: Path) -> Child:
        log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=log, env=env)
        return cls(proc, log, log_path)

    async def _line(self, expected: str, timeout: float) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if line.decode().strip() != expected:
            raise RuntimeError(f"child said {line!r}, expected {expected!r}; log:\n{self.tail()}")

    async def go(self, job: dict[str, Any], timeout: float = 30.0) -> None:
        assert self.proc.stdin is not None
        await self._line("imported", timeout)
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        await self.proc.stdin.drain()
        await self._line("ready", timeout)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()
        self.log.close()

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class KillResult:
    run: int
    delay: float
    phases: list[str]
    after_restart: Audit
    at_end: Audit | None
    reconciled: str
    moves: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.after_restart.ok and (self.at_end is None or self.at_end.ok)


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


async def kill_run(run: int, child: Child, workdir: Path, rng: random.Random, *, max_delay: float = 1.5,
                   finish: bool = True) -> KillResult:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    async with FakeBinance(seed=run) as fake:
        db = f"sqlite+aiosqlite:///{workdir / f'crash{run}.db'}"
        await child.go({"url": fake.http_base, "db": db, "symbols": SYMBOLS})
        driver = VenueDriver(fake, [VENUE_ID[s] for s in SYMBOLS], rng, patience=40)
        delay = rng.uniform(0.0, max_delay)
        kill_at = loop.time() + delay
        while loop.time() < kill_at:
            driver.step()
            await asyncio.sleep(min(0.01, max(0.0, kill_at - loop.time())))
        await child.kill()
        phases = [phase(fake, VENUE_ID[s]) for s in SYMBOLS]

        engine = await build_live_engine(live_settings(fake.http_base, db))
        log = EventLog(engine)
        try:
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
                    end.position_mismatch.append("positions still open after 10 s")
        finally:
            await engine.stop()
    return KillResult(run, delay, phases, after, end, reconciled, len(driver.moves), time.perf_counter() - started)
