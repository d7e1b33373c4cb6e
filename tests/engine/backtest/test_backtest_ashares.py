"""A backtest of A-shares (tests/data/ashare, replay format): CNY, long only, no leverage, lots of 100,
the per-stock cap, A-share costs on every fill and T+1 — no stop or target the day of the entry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from config.settings import Settings
from engine.backtest.runner import run_backtest
from engine.domain.markets import SHANGHAI
from engine.domain.values import OrderAction
from engine.market_rules.ashare import AShareRules, fill_costs

DATA = Path(__file__).resolve().parents[2] / "data" / "ashare"


async def test_a_backtest_of_ashares_follows_the_market_rules() -> None:
    settings = Settings(_env_file=None, market={"replay_warmup": 100}, telegram={"token": None})  # type: ignore[call-arg]
    result = await run_backtest(settings, DATA, [], "5m")
    assert result.currency == "CNY" and result.initial_equity == Decimal(1_000_000)
    assert len(result.trades) >= 2
    rules = AShareRules()
    for t in result.trades:
        assert t.side == "long" and t.leverage == 1
        assert t.qty % 100 == 0 and t.qty * t.entry_price <= Decimal(100_000)  # lots, ≤ 10 % of assets
        assert rules.is_open(t.entry_time)  # entries only in sessions
        expected = fill_costs(OrderAction.BUY, t.qty, t.entry_price)
        expected += sum((fill_costs(OrderAction.SELL, e.qty, e.price) for e in t.exits), Decimal(0))
        assert t.fees == expected  # commission (min 5), stamp duty on sells, transfer fee
        entry_day = t.entry_time.astimezone(SHANGHAI).date()
        for e in t.exits:
            if e.reason != "end":
                assert e.time.astimezone(SHANGHAI).date() > entry_day, (t.symbol, e)  # T+1
    # the sample has a stop the price opened through the next morning: it executes at that open
    gapped = [t for t in result.trades if any(e.reason == "stop" and e.price < t.stop for e in t.exits)]
    assert gapped
