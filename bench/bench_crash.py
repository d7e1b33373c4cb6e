"""Benchmark: the live bot killed with SIGKILL at random moments, then restarted — many runs.

Each run (tests/engine/live/crash_run.py): a fresh FakeBinance USDⓈ-M in this process and a
SQLite file the bot has started once (every fifth run: no file, the first child migrates it); ``--kills`` child processes (tests/engine/live/crash_child.py: the live engine with
the real ccxt clients, trading BTC and ETH again and again while the fake's prices move to the
targets and stops resting there) are killed one after the other at seeded random delays in
[0, --max-delay] s counted from their start (so a kill can land in the previous child's recovery);
then a fresh engine in this process starts on the same database and the database is compared
with the exchange: client ids used for two orders, venue positions without a resting stop (or
with two), fills of ours missing from the database (or unknown to the venue), positions that
differ. The restarted engine then plays the open positions out and is compared again.

Measured here (2 cores, 100 runs x 2 kills, seed 7): 0 duplicate client ids, 0 positions without a
stop, 0 with two stops, 0 missing fills, 0 differing positions; about 100 s. The same benchmark on
the engine before the crash fixes of tests/engine/live (commit 99e743d): 31 failed runs of 100 —
14 positions without a stop after restart, 2 with two stops, 12 fills missing, 20 positions
differing.

With ``--phases`` each child instead kills itself at a named lifecycle commit point (engine/crashpoints.py):
run i dies at PHASES[i % len(PHASES)] (tests/engine/live/crash_run.py), and with ``--kills 2`` the next child
dies at its first commit (inside its start-up recovery when there is something to repair).

Run: .venv/bin/python bench/bench_crash.py [--runs 100] [--kills 2] [--parallel 2] [--seed 7] [--phases] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.live.crash_run import PHASES, CrashLab, KillResult, kill_run, tally  # noqa: E402


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        gate = asyncio.Semaphore(args.parallel)
        done = [0]
        async with CrashLab(workdir) as lab:

            async def one(run: int) -> KillResult:
                crash_at = None
                if args.phases:
                    crash_at = [PHASES[run % len(PHASES)]] + ["commit#1"] * (args.kills - 1)
                async with gate:
                    result = await kill_run(run, lab, random.Random(args.seed * 100_003 + run), kills=args.kills,
                                            max_delay=args.max_delay, first_start=run % 5 == 0, crash_at=crash_at)
                done[0] += 1
                mark = "ok" if result.ok else "FAILED"
                where = (f"died at {result.crashed_at}" if crash_at else
                         f"kills at {[round(d, 2) for d in result.delays]} s")
                print(f"run {run:3d} ({done[0]}/{args.runs}) {where} "
                      f"phases {result.phases}: {mark}; repaired: {result.reconciled or '-'}", flush=True)
                if not result.ok:
                    print(f"    after restart: {result.after_restart}\n    at end: {result.at_end}\n"
                          f"    {result.notes}", flush=True)
                return result

            results = await asyncio.gather(*(one(run) for run in range(args.runs)))
    wall = time.perf_counter() - started
    figures = tally(results)
    seconds = [r.seconds for r in results]
    print()
    print(f"runs: {figures['runs']}, kills: {figures['kills']} ({figures['kills_in_startup']} during a child's "
          f"start-up/recovery), client ids placed: {figures['orders']}")
    print(f"duplicate client ids: {figures['duplicate_client_ids']}")
    print(f"positions without a stop after restart: {figures['unprotected_positions']}")
    print(f"positions with two stops after restart: {figures['extra_stops']}")
    print(f"fills missing from the database: {figures['missing_fills']}; unknown to the venue: "
          f"{figures['unknown_fills']}")
    print(f"positions differing (database vs venue): {figures['position_mismatches']}")
    print(f"runs failing once played out: {figures['failed_at_end']}; failed runs in all: {figures['failed_runs']}")
    if args.phases:
        print("commit points reached: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["crashed_at"].items())))
    print("state at the (last) kill: " + ", ".join(f"{k} {v}" for k, v in figures["phases"].most_common()))
    print("repairs at restart: " + (", ".join(f"{k} {v}" for k, v in figures["repairs"].most_common()) or "none"))
    print(f"wall time {wall:.1f} s ({args.parallel} in parallel); per run mean {statistics.mean(seconds):.2f} s, "
          f"max {max(seconds):.2f} s")
    return 1 if figures["failed_runs"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--kills", type=int, default=2, help="children killed in turn per run")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-delay", type=float, default=1.5, help="longest random delay before a kill (s)")
    parser.add_argument("--phases", action="store_true",
                        help="kill at lifecycle commit points (engine/crashpoints.py) instead of random moments")
    parser.add_argument("--keep", help="directory where databases and child logs are kept (default: a temp dir)")
    logging.basicConfig(level=logging.ERROR)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
