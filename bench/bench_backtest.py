"""Benchmark: the ten *_BTC-5m markets of ../shared/data/candles over their full 20 days (57,546 candles),
whole process: ``signalpilot backtest ... --quiet`` as a user runs it (start-up included).

Target (issue 9): under 5.5 s on the 2-core reference machine, with the report pinned in
tests/engine/backtest/golden_btc5m.json (checked here too). The machine may be shared: the
load average is printed, the command runs ``--runs`` times and the best and the median are
reported (with the CPU time of the process, which load inflates less). Then one in-process run
under cProfile prints the top 10 functions by own time.

Run: .venv/bin/python bench/bench_backtest.py [--runs 5] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from engine.backtest.runner import run_backtest  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "candles"
SYMBOLS = [f"{b}/BTC" for b in ("ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "TRX", "XLM", "XMR", "ZEC")]
GOLDEN = ROOT / "tests" / "engine" / "backtest" / "golden_btc5m.json"
TARGET_S = 5.5


def candle_rows() -> int:
    return sum(len((DATA / f"{s.replace('/', '_')}-5m.csv").read_text().splitlines()) - 1 for s in SYMBOLS)


def same_report(report: dict, golden: dict) -> bool:
    """The golden keys only (the report may have grown fields)."""
    def project(value, shape):  # type: ignore[no-untyped-def]
        if isinstance(shape, dict) and isinstance(value, dict):
            return {k: project(value.get(k), v) for k, v in shape.items()}
        if isinstance(shape, list) and isinstance(value, list) and shape:
            return [project(v, shape[0]) for v in value]
        return value
    pinned = {"summary": golden["summary"], "trades": golden["trades"]}  # (the bars and scans are pinned by the test)
    return project(report, pinned) == pinned


def run_once(out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole ``signalpilot backtest`` process."""
    cmd = [sys.executable, "-m", "bot", "backtest", "--data", str(DATA), "--symbols", ",".join(SYMBOLS),
           "--timeframe", "5m", "--quiet", "--json", str(out)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=out.parent, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"backtest failed:\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def profile_top(n: int = 10) -> str:
    logging.disable(logging.WARNING)
    prof = cProfile.Profile()
    prof.enable()
    asyncio.run(run_backtest(Settings(_env_file=None), DATA, SYMBOLS, "5m"))
    prof.disable()
    logging.disable(logging.NOTSET)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(n)
    return text.getvalue()


def _loadavg() -> str:
    """The 1, 5 and 15-minute load averages (the machine may be shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"no candles at {DATA}")
    rows = candle_rows()
    golden = json.loads(GOLDEN.read_text())
    walls, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as tmp:
        for i in range(max(1, args.runs)):
            out = Path(tmp) / f"report{i}.json"
            load = os.getloadavg()[0]
            wall, cpu = run_once(out)
            walls.append(wall)
            cpus.append(cpu)
            same = same_report(json.loads(out.read_text()), golden)
            print(f"run {i + 1}: wall {wall:.2f} s, cpu {cpu:.2f} s, {rows / wall:,.0f} candles/s "
                  f"(load average {load:.1f} on {os.cpu_count()} cores); report identical to the pinned one: "
                  f"{'yes' if same else 'NO'}", flush=True)
    best, median = min(walls), statistics.median(walls)
    print(f"\n{rows} candles, {len(SYMBOLS)} markets, whole process (/proc/loadavg now: {_loadavg()}):")
    print(f"  best   {best:.2f} s  ({rows / best:,.0f} candles/s), cpu {min(cpus):.2f} s")
    print(f"  median {median:.2f} s  ({rows / median:,.0f} candles/s), cpu {statistics.median(cpus):.2f} s")
    print(f"  target < {TARGET_S} s: {'met' if best < TARGET_S else 'NOT met'} (best run)")
    if not args.no_profile:
        print("\ncProfile of one in-process run, top 10 by own time:")
        print(profile_top())


if __name__ == "__main__":
    main()
