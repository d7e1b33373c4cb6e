"""`signalpilot run` when the database stops taking writes mid-run: the process may not grow its
files past a limit (RLIMIT_FSIZE: writes past it fail in the kernel, as on a full disk), trades on
the bundled replay until the database file reaches it, then prints why in one line and exits 3:
no traceback, no entry after the failure, and no alembic chatter at start either."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

LIMIT = 600_000  # bytes: the migrated database and a few trades fit, the rest of the replay does not


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def test_run_exits_3_with_one_line_when_the_database_stops_taking_writes(tmp_path: Path) -> None:
    env = {**os.environ, "SP_MARKET__REPLAY_SPEED": "0", "SP_RISK__EXECUTION_MODE": "auto",
           "SP_SCAN__MIN_SCORE": "55", "SP_TELEGRAM__TOKEN": "", "SP_LOG_LEVEL": "INFO"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=180, preexec_fn=_limit_file_size)
    out, err = proc.stdout.splitlines(), proc.stderr.splitlines()
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "CancelledError" not in proc.stderr
    assert not [line for line in err if "alembic" in line], err[:10]
    assert err[-1].startswith("signalpilot: stopped: the database stopped taking writes ("), err[-1]
    assert "stop and take-profit orders stay on the exchange" in err[-1]
    failed = next(i for i, line in enumerate(out) if "DATABASE FAILED (paper)" in line)
    assert any("ENTRY FILLED" in line for line in out[:failed])  # it was trading
    assert not any("ENTRY FILLED" in line or "SIGNAL" in line for line in out[failed + 1:])
    assert "SignalPilot stopped; state saved." not in proc.stdout  # it was not
