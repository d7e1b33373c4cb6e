"""Backtest report statistics on hand-computed cases, and the JSON shape other tools read."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from engine.backtest.report import ExitRecord, TradeRecord, format_text, summarize, to_json_dict

T0 = datetime(2018, 1, 10, tzinfo=UTC)


def trade(pnl: str, reason: str = "tp2", fees: str = "0.001") -> TradeRecord:
    return TradeRecord("ETH/BTC", "long", T0, Decimal("0.0984"), Decimal("1.5"), 3, Decimal("0.0964"),
                       [(Decimal("0.1023"), Decimal("0.5")), (Decimal("0.1063"), Decimal("0.5"))],
                       [ExitRecord(T0 + timedelta(hours=1), Decimal("0.1023"), Decimal("0.75"), "tp1"),
                        ExitRecord(T0 + timedelta(hours=2), Decimal("0.1063"), Decimal("0.75"), reason)],
                       Decimal(fees), Decimal(pnl))


def test_two_wins_one_loss() -> None:
    trades = [trade("3"), trade("1"), trade("-2", "breakeven")]
    curve = [(T0 + timedelta(days=i), Decimal(v)) for i, v in enumerate(["100", "103", "104", "102"])]
    s = summarize(trades, curve, Decimal("100"), 365)
    assert s.trades == 3 and s.win_rate == pytest.approx(2 / 3)
    assert s.profit_factor == pytest.approx(2.0) and s.expectancy == pytest.approx(2 / 3)
    assert s.net_pnl == pytest.approx(2.0) and s.fees == pytest.approx(0.003)
    assert s.max_drawdown == pytest.approx(2 / 104)
    assert s.exits["tp1"] == 3 and s.exits["tp2"] == 2 and s.exits["breakeven"] == 1 and s.exits["stop"] == 0
    r = [0.03, 1 / 103, -2 / 104]
    mean = sum(r) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)
    assert s.sharpe == pytest.approx(mean / sd * math.sqrt(365))
    down = math.sqrt((2 / 104) ** 2 / 3)
    assert s.sortino == pytest.approx(mean / down * math.sqrt(365))
    assert s.calmar > 0


def test_no_trades_and_no_losses() -> None:
    s = summarize([], [(T0, Decimal("1"))], Decimal("1"), 365)
    assert (s.trades, s.win_rate, s.profit_factor, s.sharpe, s.calmar) == (0, 0.0, 0.0, 0.0, 0.0)
    assert summarize([trade("1")], [], Decimal("1"), 365).profit_factor == 999.0


def test_json_shape() -> None:
    trades = [trade("0.0012")]
    d = to_json_dict(summarize(trades, [(T0, Decimal("1")), (T0 + timedelta(days=1), Decimal("1.0012"))],
                               Decimal("1"), 365), trades)
    json.dumps(d)
    assert list(d["summary"]) == ["trades", "win_rate", "profit_factor", "expectancy", "net_pnl", "fees",
                                  "max_drawdown", "sharpe", "sortino", "calmar", "exits"]
    assert list(d["summary"]["exits"])[:7] == ["tp1", "tp2", "stop", "breakeven", "trailing", "time", "end"]
    t = d["trades"][0]
    assert t["entry_price"] == "0.0984" and t["qty"] == "1.5" and t["leverage"] == 3 and t["pnl"] == "0.0012"
    assert t["targets"][0] == {"price": "0.1023", "share": "0.5"}
    assert t["exits"][0]["reason"] == "tp1" and t["entry_time"].endswith("Z")
    assert "profit factor" in format_text(summarize(trades, [], Decimal("1"), 365))
