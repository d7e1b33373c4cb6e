"""Size and leverage reduction after a loss streak (lifted by a win streak) and per drawdown step
(lifted as equity climbs back), through the gate and the risk service's trade count."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from config.settings import RiskSettings
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.models import PositionState
from engine.risk.reduction import after_trade, reduction
from engine.risk.service import RiskService
from engine.risk.state import RiskState
from engine.storage.db import Database
from engine.storage.repository import Repository, Unit
from tests.engine.risk.test_exposure import held
from tests.engine.risk.test_gate import T0, check, sig

STREAK = RiskSettings(loss_streak=3, recovery_wins=2, reduce_factor=Decimal("0.5"))


def run(settings: RiskSettings, pnls: list[int]) -> RiskState:
    state = RiskState()
    for pnl in pnls:
        state = after_trade(settings, state, Decimal(pnl))
    return state


def test_loss_streak_switches_the_reduction_on_until_a_win_streak() -> None:
    assert not run(STREAK, [-1, -1]).streak_reduced
    assert not run(STREAK, [-1, -1, 5, -1, -1]).streak_reduced  # a win breaks the streak
    on = run(STREAK, [-1, -1, -1])
    assert on.streak_reduced
    assert run(STREAK, [-1, -1, -1, 4]).streak_reduced  # one win is not yet a recovery
    assert run(STREAK, [-1, -1, -1, 4, -1, 4]).streak_reduced  # wins must be in a row
    assert not run(STREAK, [-1, -1, -1, 4, 4]).streak_reduced
    assert not run(RiskSettings(), [-1] * 10).streak_reduced  # off by default


def test_gate_halves_size_and_leverage_while_reduced() -> None:
    state = RiskState(day=T0.date(), day_start_equity=Decimal("10000"), equity_peak=Decimal("10000"),
                      streak_reduced=True)
    full = check(STREAK, signal=sig(leverage=5))
    cut = check(STREAK, signal=sig(leverage=5), state=state)
    assert full.ok and full.qty == Decimal("2.500") and full.leverage == 5
    assert cut.ok and cut.qty == Decimal("1.250") and cut.leverage == 2 and cut.detail["reduced"] == "0.5"
    one_x = check(STREAK, signal=sig(leverage=1), state=state)
    assert one_x.leverage == 1  # never below 1×


def test_drawdown_steps_reduce_more_and_lift_as_equity_recovers() -> None:
    settings = RiskSettings(drawdown_step_pct=Decimal("5"), max_drawdown_pct=Decimal("50"))
    state = RiskState(day=T0.date(), day_start_equity=Decimal("10000"), equity_peak=Decimal("10000"))
    assert reduction(settings, state, Decimal("9600")).steps == 0
    assert reduction(settings, state, Decimal("9500")).steps == 1
    two = reduction(settings, state, Decimal("8900"))
    assert two.steps == 2 and two.factor == Decimal("0.25")
    d = check(settings, state=state, equity=Decimal("8900"), signal=sig(leverage=8))
    # risk sizing on 8900 equity: 89 / 40 = 2.225, quartered → 0.556
    assert d.ok and d.qty == Decimal("0.556") and d.leverage == 2
    both = reduction(RiskSettings(drawdown_step_pct=Decimal("5"), loss_streak=2),
                     RiskState(equity_peak=Decimal("10000"), streak_reduced=True), Decimal("9400"))
    assert both.steps == 2


def test_reduced_entry_still_respects_the_exposure_cap() -> None:
    state = RiskState(day=T0.date(), day_start_equity=Decimal("10000"), equity_peak=Decimal("10000"),
                      streak_reduced=True)
    settings = RiskSettings(loss_streak=1, max_exposure_pct=Decimal("61"))
    d = check(settings, state=state, open_positions=[held("BTC/USDT", "0.1", "60000")])
    assert d.ok and d.qty == Decimal("0.050")  # 100 left of the cap → 0.05, below the reduced 1.25


async def test_service_counts_trades_and_keeps_the_streak_across_a_restart(database: Database) -> None:
    clock = ManualClock(T0)
    repo = Repository(database)
    risk = RiskService(STREAK, repo, EventBus(), clock, paper=True)
    await risk.load(Decimal("10000"))
    pos = held("ETH/USDT", "1", "2000")
    for _ in range(3):
        closed = replace(pos, state=PositionState.CLOSED, remaining=Decimal(0), realized_pnl=Decimal("-10"))
        kv, events = risk.book(pos, closed)  # what the closing step commits with the position
        await repo.commit(Unit(closed, kv=kv, events=events))
    assert risk.state.streak_reduced and risk.state.loss_streak == 3
    assert risk.state.day_pnl == Decimal("-30")
    assert risk.book(closed, closed) == ({}, ())  # the same close seen again: nothing more
    again = RiskService(STREAK, repo, EventBus(), clock, paper=True)
    await again.load(Decimal("9970"))
    assert again.state.streak_reduced
    assert again.equity == Decimal("9970")
