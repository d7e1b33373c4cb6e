"""The size reduction after a loss streak survives a crash right after the losing close: the streak
is booked in the close's own commit (RiskService.book through the position manager's unit of work),
so a bot SIGKILLed at that commit (engine/crashpoints.py ``position-closed``) and started again
still trades reduced — smaller leverage on the next entry."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from engine import crashpoints
from engine.domain.models import PositionState
from engine.views import ConfirmOutcome
from tests.engine.risk.crash_close import SECTIONS

CHILD = Path(__file__).with_name("crash_close.py")


async def test_a_losing_close_then_sigkill_keeps_the_reduction_after_restart(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    db_url = db_url_factory()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    env[crashpoints.ENV] = "position-closed"
    proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), db_url, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    assert b"crashpoint position-closed#1: SIGKILL" in err
    _, pid, leverage = out.decode().split()
    assert int(leverage) >= 4  # the first entry at full leverage

    engine = await engine_factory(db_url, **SECTIONS)  # started again on the same database
    closed = await engine.get_position(pid)
    assert closed.state is PositionState.CLOSED and closed.realized_pnl < 0
    assert engine.risk.state.streak_reduced and engine.risk.state.loss_streak == 1
    await engine.step_market(1)
    sig = await engine.analyse("eth/btc")
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result
    assert result.position.leverage == max(1, sig.leverage // 2) < sig.leverage  # halved: still reduced
