"""`signalpilot run` as `make run` runs it on a fresh clone — console, bundled replay, no token, no
settings — is a demo: auto mode said on screen, a signal card, the entry, TP1 with the stop moved to
breakeven and the close follow within 60 s of the first line; at the end of the replay a summary is
printed and the command exits 0. The replay is cut short (SP_MARKET__REPLAY_TO) right after the first
trade of the real data (ADA/BTC, 2018-01-12 22:55 → 23:47) to keep the test quick; speed and mode are
the demo's own defaults."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

FIRST_TRADE_ENDS = "2018-01-12T23:50"  # after the first close, before the next signal (23:55)
HANG = 180.0  # only a real hang takes this long; the run takes a few seconds


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    env["HOME"] = str(tmp_path)
    return {**env, **extra}


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[tuple[float, str | None]]:
    """Stdout lines with the monotonic time each arrived; None at the end of the output."""
    out: queue.Queue[tuple[float, str | None]] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.put((time.monotonic(), line.rstrip("\n")))
        out.put((time.monotonic(), None))

    threading.Thread(target=pump, daemon=True).start()
    return out


def test_first_run_shows_a_full_trade_then_a_summary(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, text=True,
                            env=_clean_env(tmp_path, SP_MARKET__REPLAY_TO=FIRST_TRADE_ENDS),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stream = _lines(proc)
        seen: list[tuple[float, str]] = []
        deadline = time.monotonic() + HANG
        while True:
            at, line = stream.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            seen.append((at, line))
        proc.wait(timeout=HANG)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "\n".join(line for _, line in seen)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{text}\n{err}"
    assert "Traceback" not in err and "ERROR" not in err and " INFO " not in err, err  # the demo's logs are quiet
    first_at = seen[0][0]
    assert seen[0][1].startswith("Demo: no Telegram token — auto mode"), text
    assert "at 200 candles/s" in seen[0][1] and "Telegram is not connected" in text

    def when(needle: str) -> tuple[int, float]:
        for i, (at, line) in enumerate(seen):
            if needle in line:
                return i, at - first_at
        raise AssertionError(f"{needle!r} not printed:\n{text}")

    steps = ["SIGNAL (paper) ADA/BTC LONG", "ENTRY FILLED (paper) ADA/BTC long", "TP1 HIT (paper) ADA/BTC",
             "STOP → breakeven (paper) ADA/BTC", "CLOSED (paper) ADA/BTC (breakeven) PnL +0.0098779 BTC ("]
    found = [when(step) for step in steps]
    assert [i for i, _ in found] == sorted(i for i, _ in found), text  # in this order
    assert found[-1][1] < 60, f"the close came {found[-1][1]:.1f} s after the first line"
    summary = text[text.index("Replay finished"):]
    assert "trades        1" in summary and "win rate      100.0%" in summary, summary
    assert "return        +0.99% (1.00 BTC → 1.00988 BTC)" in summary and "max drawdown" in summary, summary
    assert text.rstrip().endswith("SignalPilot stopped; state saved.")

    again = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, text=True, capture_output=True,
                           env=_clean_env(tmp_path, SP_MARKET__REPLAY_TO=FIRST_TRADE_ENDS), timeout=HANG)
    assert again.returncode == 0, again.stderr
    assert "Nothing left to replay: data/paper.db has played it to the end" in again.stdout
    assert "trades        1" in again.stdout  # the same account, summed up again


def test_explicit_settings_win_over_the_demo(tmp_path: Path) -> None:
    """Speed and mode set by the user are kept; the console says how to get the demo's auto mode."""
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, text=True, capture_output=True,
                          env=_clean_env(tmp_path, SP_MARKET__REPLAY_TO="2018-01-11T07:00",
                                         SP_MARKET__REPLAY_SPEED="0", SP_RISK__EXECUTION_MODE="confirm"),
                          timeout=HANG)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Console: no Telegram token — confirm mode") and "as fast as it can" in first
    assert "SP_RISK__EXECUTION_MODE=auto" in first
    assert "Replay finished" in proc.stdout and "trades        0" in proc.stdout
