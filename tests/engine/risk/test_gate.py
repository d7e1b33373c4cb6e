"""The risk gate refuses with a reason code for every rule, and sizes what it accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config.settings import RiskSettings
from engine.domain.models import MarketSpec, Position, PositionState, Signal, Target
from engine.domain.reasons import PauseReason, RejectReason, TradingState
from engine.domain.values import Side
from engine.risk.gate import GateInput, Limits, RiskGate
from engine.risk.sizing import size_qty
from engine.risk.state import RiskState

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"), 50)


def sig(symbol: str = "ETH/USDT", leverage: int = 3, stop: str = "1960", **kw) -> Signal:  # type: ignore[no-untyped-def]
    return Signal(id="s", symbol=symbol, side=Side.LONG, score=80, factors=(), entry=Decimal("2000"),
                  stop=Decimal(stop), targets=(Target(Decimal("2080"), Decimal("0.5")), Target(Decimal("2160"), Decimal("0.5"))),
                  leverage=leverage, created_at=T0, expires_at=T0 + timedelta(minutes=15), **kw)


def pos(symbol: str) -> Position:
    return Position(id=symbol, signal_id="x", symbol=symbol, side=Side.LONG, state=PositionState.OPEN,
                    qty=Decimal(1), remaining=Decimal(1), entry_price=Decimal(1), stop_price=Decimal(1),
                    initial_stop=Decimal(1), targets=(), leverage=1, created_at=T0)


def check(settings: RiskSettings | None = None, market: MarketSpec = MKT, **kw):  # type: ignore[no-untyped-def]
    data = dict(signal=sig(), market=market, equity=Decimal("10000"), free=Decimal("10000"), open_positions=[],
                state=RiskState(day=T0.date(), day_start_equity=Decimal("10000"), equity_peak=Decimal("10000")),
                orders_last_minute=0, limits=Limits(5, 10, Decimal("1")))
    data.update(kw)
    return RiskGate(settings or RiskSettings()).check(GateInput(**data))


def test_accepts_and_sizes_by_risk() -> None:
    d = check()
    assert d.ok and d.qty == Decimal("2.500")  # 1 % of 10000 over a 40 stop distance
    assert not d.single_target


@pytest.mark.parametrize("case, reason", [
    (dict(state=RiskState(state=TradingState.PAUSED, reason=PauseReason.MANUAL)), RejectReason.PAUSED),
    (dict(state=RiskState(state=TradingState.HALTED)), RejectReason.HALTED),
    (dict(open_positions=[pos(f"S{i}/USDT") for i in range(5)]), RejectReason.MAX_POSITIONS),
    (dict(open_positions=[pos("ETH/USDT")]), RejectReason.SYMBOL_BUSY),
    (dict(signal=sig(leverage=11)), RejectReason.MAX_LEVERAGE),
    (dict(state=RiskState(day=T0.date(), day_start_equity=Decimal("10000"), day_pnl=Decimal("-500"))),
     RejectReason.DAILY_LOSS),
    (dict(equity=Decimal("7900"), state=RiskState(equity_peak=Decimal("10000"))), RejectReason.MAX_DRAWDOWN),
    (dict(orders_last_minute=30), RejectReason.ORDER_RATE),
    (dict(signal=sig(stop="2010")), RejectReason.INVALID_PLAN),
    (dict(market=MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("100"))),
     RejectReason.MIN_QTY),
    (dict(market=MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"),
                            Decimal("100000"))), RejectReason.MIN_NOTIONAL),
    (dict(free=Decimal("100")), RejectReason.INSUFFICIENT_MARGIN),
])
def test_every_rule_has_its_reason(case: dict, reason: RejectReason) -> None:
    d = check(**case)
    assert not d.ok and d.reason is reason


def test_max_notional_caps_size_and_refuses_when_minimum_is_above_it() -> None:
    d = check(RiskSettings(max_notional=Decimal("1000")))
    assert d.ok and d.qty * Decimal("2000") <= Decimal("1000")
    big_lot = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("1"), Decimal("1"))
    d = check(RiskSettings(max_notional=Decimal("1000")), market=big_lot)
    assert not d.ok and d.reason is RejectReason.MAX_NOTIONAL


def test_too_small_to_split_means_one_target() -> None:
    mkt = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("30"))
    d = check(RiskSettings(sizing="fixed", fixed_notional=Decimal("50")), market=mkt)
    assert d.ok and d.single_target  # 25 of notional per half is below the 30 minimum


def test_sizing_methods() -> None:
    s = RiskSettings()
    eq, entry, stop = Decimal("10000"), Decimal("2000"), Decimal("1960")
    assert size_qty("fixed", s, eq, entry, stop, 3, None) == Decimal("0.05")
    assert size_qty("percent", s, eq, entry, stop, 3, None) == Decimal("1.5")
    assert size_qty("risk", s, eq, entry, stop, 3, None) == Decimal("2.5")
    assert size_qty("volatility", s, eq, entry, stop, 3, 2.0) == Decimal("2.5")
    assert size_qty("volatility", s, eq, entry, stop, 3, None) == 0
    # Kelly: f* = 0.5 − 0.5/2 = 0.25; a quarter of it = 6.25 % of equity at risk
    assert size_qty("kelly", s, eq, entry, stop, 3, None) == Decimal("15.625")
