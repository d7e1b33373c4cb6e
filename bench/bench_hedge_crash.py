"""Benchmark: hedge rounds killed with SIGKILL at random moments, then restarted — many runs.

Each run: a fresh SQLite file; ``--kills`` child processes (bench/hedge_crash_lab.py: two paper venues
whose accounts and hedge rounds share that file, prices moving so stops and take-profits fill, a new
round whenever none is under way) are killed one after the other at seeded random delays in
[0, --max-delay] s counted from the child's start (after its imports; a kill can land in its
recovery of the previous child's round); then the audit restarts in-process on the same file and checks: no position on
a venue that is not an open leg of the round under way (no naked leg), no client id filled twice (no
duplicate order), and after a forced close both venues flat with no resting order.

Run: .venv/bin/python bench/bench_hedge_crash.py [--runs 30] [--kills 2] [--max-delay 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hedge_crash_lab import audit, write_data  # noqa: E402

LAB = Path(__file__).resolve().parent / "hedge_crash_lab.py"
ROOT = Path(__file__).resolve().parents[1]


def kill_after(url: str, data: Path, delay: float, offset: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SP_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, str(LAB), "child", url, str(data), str(offset)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # "started": imports and the database are ready; recovery comes next
    try:
        proc.wait(timeout=delay)
        return proc.returncode  # finished (or failed) before the kill
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return -9


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    totals = {"naked": 0, "duplicates": 0, "not_flat": 0, "runs_failed": 0, "active_at_restart": 0, "rounds": 0,
              "child_errors": 0, "still_open": 0}
    with tempfile.TemporaryDirectory(prefix="bench-hedge-crash-") as tmp:
        data = Path(tmp) / "data"
        write_data(data)
        for run in range(args.runs):
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'run{run}.db'}"
            for _ in range(args.kills):
                code = kill_after(url, data, rng.uniform(0, args.max_delay), rng.randrange(0, 200))
                if code not in (-9, 0):
                    totals["child_errors"] += 1
            result = await audit(url, data)
            totals["naked"] += len(result.naked)
            totals["duplicates"] += len(result.duplicates)
            totals["not_flat"] += len(result.not_flat)
            totals["rounds"] += result.rounds
            totals["active_at_restart"] += int(result.found_active)
            totals["still_open"] += int(result.recovered_active)
            bad = result.naked or result.duplicates or result.not_flat
            totals["runs_failed"] += int(bool(bad))
            if bad:
                print(f"run {run}: {result}", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(f"{args.runs} runs x {args.kills} kills in {seconds:.0f} s: {totals['rounds']} rounds, "
          f"{totals['active_at_restart']} runs with a round under way when killed "
          f"({totals['still_open']} still open after recovery); naked legs {totals['naked']}, "
          f"duplicate fills {totals['duplicates']}, not flat after close {totals['not_flat']}, "
          f"failed runs {totals['runs_failed']}, child errors {totals['child_errors']}")
    return 1 if totals["runs_failed"] or totals["child_errors"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--max-delay", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    sys.exit(asyncio.run(main(parser.parse_args())))
