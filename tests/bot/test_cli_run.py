"""`signalpilot run` without a token: paper mode on the bundled replay, prints cards and events in
plain text, stops cleanly on SIGTERM with state saved, and a second start resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _start(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "SP_MARKET__REPLAY_SPEED": "200", "SP_RISK__EXECUTION_MODE": "auto",
            "SP_SCAN__MIN_SCORE": "60", "SP_TELEGRAM__TOKEN": "", **env}
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _read_until(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed in {timeout}s; got:\n{''.join(lines)}")


def test_run_without_token_prints_events_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    try:
        lines = _read_until(proc, "Telegram is not connected", 60)
        lines += _read_until(proc, "ENTRY FILLED (paper)", 90)
        assert any("SIGNAL (paper)" in line for line in lines)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SignalPilot stopped; state saved." in out
    assert (tmp_path / "data" / "paper.db").exists()

    second = _start(tmp_path)
    try:
        _read_until(second, "Telegram is not connected", 60)
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0


def test_bad_replay_dir_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "SP_MARKET__REPLAY_DIR": str(tmp_path / "nope")}, timeout=60)
    assert proc.returncode == 2 and "replay directory not found" in proc.stderr
