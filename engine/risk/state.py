"""Trading state (active / paused / halted) and the day's and peak's figures, persisted in kv."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from engine.domain.reasons import PauseReason, TradingState
from engine.domain.values import ZERO


@dataclass(frozen=True)
class RiskState:
    state: TradingState = TradingState.ACTIVE
    reason: PauseReason | None = None
    until: datetime | None = None  # automatic resume time (daily loss: next UTC midnight)
    day: date | None = None
    day_start_equity: Decimal = ZERO
    day_pnl: Decimal = ZERO  # realized today, net of fees
    equity_peak: Decimal = ZERO
    loss_streak: int = 0  # losing trades in a row (engine.risk.reduction)
    win_streak: int = 0
    streak_reduced: bool = False  # a loss streak reduced size and leverage; lifted by a win streak

    def to_json(self) -> str:
        d = asdict(self)
        d["state"] = self.state.value
        d["reason"] = self.reason.value if self.reason else None
        d["until"] = self.until.isoformat() if self.until else None
        d["day"] = self.day.isoformat() if self.day else None
        for k in ("day_start_equity", "day_pnl", "equity_peak"):
            d[k] = str(d[k])
        return json.dumps(d)

    @staticmethod
    def from_json(text: str) -> RiskState:
        d = json.loads(text)
        return RiskState(
            state=TradingState(d["state"]), reason=PauseReason(d["reason"]) if d["reason"] else None,
            until=datetime.fromisoformat(d["until"]) if d["until"] else None,
            day=date.fromisoformat(d["day"]) if d["day"] else None,
            day_start_equity=Decimal(d["day_start_equity"]), day_pnl=Decimal(d["day_pnl"]),
            equity_peak=Decimal(d["equity_peak"]), loss_streak=int(d.get("loss_streak", 0)),
            win_streak=int(d.get("win_streak", 0)), streak_reduced=bool(d.get("streak_reduced", False)),
        )

    def roll(self, now: datetime, equity: Decimal) -> RiskState:
        """Start a new UTC day when needed and lift a pause whose time has come."""
        s = self
        if s.day != now.date():
            s = replace(s, day=now.date(), day_start_equity=equity, day_pnl=ZERO)
        if s.state is TradingState.PAUSED and s.until is not None and now >= s.until:
            s = replace(s, state=TradingState.ACTIVE, reason=None, until=None)
        if equity > s.equity_peak:
            s = replace(s, equity_peak=equity)
        return s

    def paused(self, reason: PauseReason, until: datetime | None = None) -> RiskState:
        return replace(self, state=TradingState.PAUSED, reason=reason, until=until)

    def resumed(self) -> RiskState:
        return replace(self, state=TradingState.ACTIVE, reason=None, until=None)


def next_utc_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
