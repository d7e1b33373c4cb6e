"""`signalpilot run` when the database stops taking writes mid-run: the process may not grow its
files past a limit (RLIMIT_FSIZE: writes past it fail in the kernel, as on a full disk), trades on
the bundled replay until the database file reaches it, then prints why in one line and exits 3:
no traceback, no entry after the failure, and no alembic chatter at start either."""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.bot.conftest import ADMIN
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

LIMIT = 600_000  # bytes: the migrated database and a few trades fit, the rest of the replay does not


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def test_run_exits_3_with_one_line_when_the_database_stops_taking_writes(tmp_path: Path) -> None:
    env = {**os.environ, "SP_MARKET__REPLAY_SPEED": "0", "SP_RISK__EXECUTION_MODE": "auto",
           "SP_SCAN__MIN_SCORE": "55", "SP_TELEGRAM__TOKEN": "", "SP_LOG_LEVEL": "INFO"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600, preexec_fn=_limit_file_size)
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


async def test_with_telegram_the_admin_is_told_before_the_process_exits(tmp_path: Path) -> None:
    """The same failure with a bot token: the admin gets the alert from the real bot (over HTTP to
    the fake Bot API) before `signalpilot run` exits 3."""
    async with FakeTelegram() as tg:
        env = {**os.environ, "SP_MARKET__SOURCE": "replay", "SP_MARKET__REPLAY_SPEED": "0",
               "SP_RISK__EXECUTION_MODE": "auto", "SP_SCAN__MIN_SCORE": "55", "SP_TELEGRAM__TOKEN": DEFAULT_TOKEN,
               "SP_TELEGRAM__ADMINS": str(ADMIN), "SP_TELEGRAM__API_BASE": tg.base_url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, preexec_fn=_limit_file_size)
        _out, err = await asyncio.wait_for(proc.communicate(), 180)
        stderr = err.decode()
        assert proc.returncode == 3, stderr[-3000:]
        assert "Traceback" not in stderr
        assert stderr.splitlines()[-1].startswith("signalpilot: stopped: the database stopped taking writes")
        alerts = [m for m in tg.sent(ADMIN) if "The database stopped taking writes" in (m.text or "")]
        assert len(alerts) == 1
        assert "No new entries. Stop and take-profit orders stay on the exchange." in (alerts[0].text or "")
