"""Trade statistics (/profit, /daily, /weekly, /performance) and a card's stake, from plain positions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engine import stats
from engine.domain.models import Position, PositionState, Signal, Target
from engine.domain.values import Side

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday


def closed(symbol: str, pnl: str, opened: datetime, hours: float) -> Position:
    return Position(id=symbol + str(opened), signal_id="s", symbol=symbol, side=Side.LONG, state=PositionState.CLOSED,
                    qty=Decimal(1), remaining=Decimal(0), entry_price=Decimal(100), stop_price=Decimal(95),
                    initial_stop=Decimal(95), targets=(), leverage=2, created_at=opened, realized_pnl=Decimal(pnl),
                    opened_at=opened, closed_at=opened + timedelta(hours=hours))


TRADES = [closed("ETH/USDT", "30", T0, 2), closed("BTC/USDT", "-10", T0 + timedelta(days=1), 4),
          closed("ETH/USDT", "-5", T0 + timedelta(days=8), 6)]


def test_profit_reads_return_win_rate_profit_factor_pairs_and_duration() -> None:
    view = stats.profit(TRADES, Decimal(1015), "USDT")
    assert view.start_equity == Decimal(1000) and view.return_pct == Decimal("1.5")
    assert (view.trades, view.wins, view.losses) == (3, 1, 2)
    assert view.profit_factor == Decimal(2)  # 30 won against 15 lost
    assert view.avg_duration_s == 4 * 3600
    assert view.best is not None and view.best.symbol == "ETH/USDT" and view.best.net_pnl == Decimal(25)
    assert view.worst is not None and view.worst.symbol == "BTC/USDT"
    assert stats.profit(TRADES[:1], Decimal(1030), "USDT").profit_factor is None  # no losing trade


def test_daily_and_weekly_rows_include_empty_periods() -> None:
    daily = stats.periods(TRADES, Decimal(1015), "USDT", "daily", 3, date(2026, 3, 4))
    assert [(r.start.day, r.trades, r.net_pnl) for r in daily.rows] == [(2, 1, 30), (3, 1, -10), (4, 0, 0)]
    weekly = stats.periods(TRADES, Decimal(1015), "USDT", "weekly", 2, date(2026, 3, 11))
    assert [(r.start, r.trades, r.net_pnl) for r in weekly.rows] == [(date(2026, 3, 2), 2, 20), (date(2026, 3, 9), 1, -5)]
    assert weekly.rows[1].return_pct == Decimal(-5) / Decimal(1020) * 100  # of the equity before that week


def test_the_stake_of_a_card() -> None:
    sig = Signal(id="x", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=Decimal(100), stop=Decimal(98),
                 targets=(Target(Decimal(104), Decimal("0.5")), Target(Decimal(106), Decimal("0.5"))), leverage=5,
                 created_at=T0, expires_at=T0)
    stake = stats.stake(sig, Decimal(5), Decimal(1000), "USDT", Decimal("0.001"))
    assert (stake.notional, stake.margin) == (Decimal(500), Decimal(100))
    assert stake.risk == Decimal(10) + Decimal("0.5") + Decimal("0.49")  # the stop distance plus both fees
    assert stake.reward_risk == (Decimal(2), Decimal(3))
    assert stake.risk_pct == stake.risk / 10
    assert stake.fees == Decimal("0.5") + Decimal("0.26") + Decimal("0.265")  # entry, TP1 half, TP2 half
