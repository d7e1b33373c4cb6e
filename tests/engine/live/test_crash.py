"""The bot killed with SIGKILL at every commit point of a lifecycle, then restarted on the same database.

Each run: a child process (crash_child.py) trades BTC and ETH on a FakeBinance of this process
while VenueDriver moves the prices (entries, TP1, stop to breakeven, TP2 or the stop, again and
again), and kills itself with SIGKILL right after the commit named for it (engine/crashpoints.py):
the entry persisted but not sent, acknowledged, its fill recorded but not applied, the stop and
targets saved but not sent, each acknowledged, TP1's fill recorded, the breakeven stop saved, resting
next to the old one, the old one cancelled, TP2's or the stop's fill recorded, the position closed
with its orders still resting. Some runs kill twice: the second child dies at its first commit, in
the middle of repairing what the first one left (start-up recovery); the first run starts on no
database. Where a kill lands does not depend on timing: the commit point is reached or the run
fails (a hang guard of minutes, never reached on a healthy run).

A fresh engine here on the same SQLite file must then leave: no client id used for two orders, no
venue position without a resting stop (nor with two), every fill of ours recorded, the same
positions in the database and on the venue — and then play the open positions out cleanly.
bench/bench_crash.py runs many more (random moments or these phases) and prints the figures.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from tests.engine.live.crash_run import PHASES, CrashLab, KillResult, kill_run, tally

SEED = 2026
PARALLEL = 2
# the second child dies at its first commit: recovery applying / repairing what the first one left
IN_RECOVERY = (
    ("entry-fill-recorded", "commit#1"),  # the recorded entry fill applied at start
    ("tp1-fill-recorded", "commit#1"),  # the recorded TP1 fill applied at start
    ("moved-stop-acknowledged", "commit#1"),  # the superseded stop cancelled at start
    ("position-closed", "commit#1"),  # the closed position's resting orders cancelled at start
)
RUNS: tuple[tuple[str, ...], ...] = tuple((p,) for p in PHASES) + IN_RECOVERY


async def test_sigkill_at_every_lifecycle_commit_point_then_restart_leaves_database_and_exchange_consistent(
        tmp_path: Path) -> None:
    gate = asyncio.Semaphore(PARALLEL)
    async with CrashLab(tmp_path) as lab:

        async def one(run: int) -> KillResult:
            async with gate:
                return await kill_run(run, lab, random.Random(SEED + run), crash_at=list(RUNS[run]),
                                      first_start=run == 0)

        results = await asyncio.gather(*(one(run) for run in range(len(RUNS))))
    figures = tally(results)
    print(f"SIGKILL runs: {figures}")
    failed = [r for r in results if not r.ok]
    detail = "\n".join(f"run {r.run} (asked {r.crash_at}, died at {r.crashed_at}, venue {r.phases}): "
                       f"restart {r.after_restart}; end {r.at_end}; {r.notes}" for r in failed)
    assert not failed, f"{figures}\n{detail}"
    # every chosen commit point was reached, and the child died there
    assert [r.crashed_at for r in results] == [[p if "#" in p else f"{p}#1" for p in run] for run in RUNS]
    assert figures["duplicate_client_ids"] == figures["unprotected_positions"] == figures["missing_fills"] == 0
    assert figures["extra_stops"] == figures["unknown_fills"] == figures["position_mismatches"] == 0
    # the second kills of IN_RECOVERY landed in the start-up recovery, before the child was ready
    assert [r.killed_in_startup for r in results[len(PHASES):]] == [1] * len(IN_RECOVERY)
    # the repairs at restart really ran: the kills left work behind
    assert figures["repairs"], figures
