"""The bot killed with SIGKILL at random points of its lifecycles, then restarted on the same database.

Each run: a child process (crash_child.py) trades BTC and ETH on a FakeBinance of this process
while VenueDriver moves the prices (entries, TP1, stop to breakeven, TP2 or the stop, again and
again); it is killed at a seeded random moment (odd runs: killed twice, the second child during
or after the first one's recovery; every fifth run starts on no database, so a kill can land in
the very first migration). A fresh engine here on the same SQLite file must leave: no
client id used for two orders, no venue position without a resting stop (nor with two), every
fill of ours recorded, the same positions in the database and on the venue — and then play the
open positions out cleanly. SP_TEST_KILL_RUNS sets the number of runs (default 20);
bench/bench_crash.py runs more and prints the figures.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

from tests.engine.live.crash_run import CrashLab, KillResult, kill_run, tally

RUNS = int(os.environ.get("SP_TEST_KILL_RUNS", "20"))
SEED = 2026
PARALLEL = 2


async def test_sigkill_at_random_points_then_restart_leaves_database_and_exchange_consistent(tmp_path: Path) -> None:
    gate = asyncio.Semaphore(PARALLEL)
    async with CrashLab(tmp_path) as lab:

        async def one(run: int) -> KillResult:
            async with gate:
                return await kill_run(run, lab, random.Random(SEED + run), kills=1 + run % 2,
                                      first_start=run % 5 == 0)

        results = await asyncio.gather(*(one(run) for run in range(RUNS)))
    figures = tally(results)
    print(f"SIGKILL runs: {figures}")
    failed = [r for r in results if not r.ok]
    detail = "\n".join(f"run {r.run} (kills at {r.delays}, phases {r.phases}): restart {r.after_restart}; "
                       f"end {r.at_end}; {r.notes}" for r in failed)
    assert not failed, f"{figures}\n{detail}"
    assert figures["duplicate_client_ids"] == figures["unprotected_positions"] == figures["missing_fills"] == 0
    assert figures["kills"] >= RUNS
    # the kills really landed inside lifecycles, not only between them
    inside = sum(n for p, n in figures["phases"].items() if p != "flat")
    assert inside >= RUNS // 2, figures
    assert figures["orders"] >= 5 * RUNS, figures
