"""Benchmark of the first run: `signalpilot run` exactly as `make run` starts it on a fresh clone (console,
bundled replay, no token, no settings, a fresh working directory), timed line by line.

The issue's target: the signal card, the entry, TP1 with the stop moved to breakeven and the close come
within 60 s of the first line; the replay ends with a summary and exit code 0.

Run: ``.venv/bin/python bench/bench_first_run.py [--repeat 1]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIGNALPILOT = Path(sys.executable).with_name("signalpilot")
MARKS = (("signal card", "SIGNAL (paper)"), ("entry", "ENTRY FILLED"), ("TP1", "TP1 HIT"),
         ("stop to breakeven", "STOP → breakeven"), ("close", "CLOSED (paper)"), ("summary", "Replay finished"))


def once() -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    with tempfile.TemporaryDirectory(prefix="sp-first-run-") as tmp:
        started = time.monotonic()
        proc = subprocess.Popen([str(SIGNALPILOT), "run"], cwd=tmp, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        first: float | None = None
        seen: dict[str, float] = {}
        for line in proc.stdout:
            now = time.monotonic()
            first = first if first is not None else now
            for name, needle in MARKS:
                if name not in seen and needle in line:
                    seen[name] = now - first
        code = proc.wait()
        end = time.monotonic()
    assert first is not None, "no output"
    return {"process start → first line": first - started, **seen, "exit (after first line)": end - first,
            "exit code": float(code)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for i in range(args.repeat):
        figures = once()
        print(f"run {i + 1}:")
        for name, value in figures.items():
            print(f"  {name:<28} {value:7.1f}" + ("" if name == "exit code" else " s"))
        target = figures.get("close", float("inf"))
        print(f"  first full trade within 60 s of the first line: {'yes' if target < 60 else 'NO'}")


if __name__ == "__main__":
    main()
