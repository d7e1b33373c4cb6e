"""Size and leverage reduction after a streak of losses or a drawdown step, until recovery.

- Loss streak: ``loss_streak`` losing trades in a row switch a reduction on; it stays until
  ``recovery_wins`` winning trades in a row.
- Drawdown steps: every full ``drawdown_step_pct`` of drawdown from the equity peak is one more
  reduction; it lifts by itself as equity climbs back above the step.

Each reduction multiplies size and leverage by ``reduce_factor`` (leverage floored, at least 1×).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from config.settings import RiskSettings
from engine.domain.values import HUNDRED, ONE
from engine.risk.state import RiskState


@dataclass(frozen=True)
class Reduction:
    steps: int  # how many reductions apply now
    factor: Decimal  # reduce_factor ** steps

    def leverage(self, leverage: int) -> int:
        if self.steps == 0:
            return leverage
        return max(1, int((Decimal(leverage) * self.factor).to_integral_value(rounding=ROUND_FLOOR)))


NONE = Reduction(0, ONE)


def drawdown_steps(settings: RiskSettings, state: RiskState, equity: Decimal) -> int:
    if settings.drawdown_step_pct <= 0 or state.equity_peak <= 0 or equity >= state.equity_peak:
        return 0
    drawdown = (state.equity_peak - equity) / state.equity_peak * HUNDRED
    return int((drawdown / settings.drawdown_step_pct).to_integral_value(rounding=ROUND_FLOOR))


def reduction(settings: RiskSettings, state: RiskState, equity: Decimal) -> Reduction:
    steps = (1 if state.streak_reduced else 0) + drawdown_steps(settings, state, equity)
    if steps == 0:
        return NONE
    return Reduction(steps, settings.reduce_factor ** steps)


def after_trade(settings: RiskSettings, state: RiskState, pnl: Decimal) -> RiskState:
    """Count a finished trade (net PnL) into the streaks; switch the streak reduction on or off."""
    if pnl < 0:
        losses = state.loss_streak + 1
        reduced = state.streak_reduced or (settings.loss_streak > 0 and losses >= settings.loss_streak)
        return replace(state, loss_streak=losses, win_streak=0, streak_reduced=reduced)
    if pnl > 0:
        wins = state.win_streak + 1
        if state.streak_reduced and wins >= settings.recovery_wins:
            return replace(state, loss_streak=0, win_streak=0, streak_reduced=False)
        return replace(state, loss_streak=0, win_streak=wins)
    return state
