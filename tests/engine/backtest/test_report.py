"""Backtest report: statistics on hand-computed cases, the exact JSON shape other tools read, the text table."""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from engine.backtest.report import (
    PROFIT_FACTOR_CAP,
    ExitRecord,
    TradeRecord,
    format_text,
    summarize,
    to_json_dict,
)

T0 = datetime(2018, 1, 10, tzinfo=UTC)
D = Decimal


def trade(pnl: str, last_reason: str = "tp2", fees: str = "0.001") -> TradeRecord:
    return TradeRecord("ETH/BTC", "long", T0, D("0.0984"), D("1.5"), 3, D("0.0964"),
                       [(D("0.1023"), D("0.5")), (D("0.1063"), D("0.5"))],
                       [ExitRecord(T0 + timedelta(hours=1), D("0.1023"), D("0.75"), "tp1"),
                        ExitRecord(T0 + timedelta(hours=2), D("0.1063"), D("0.75"), last_reason)],
                       D(fees), D(pnl))


def curve_of(*values: str) -> list[tuple[datetime, Decimal]]:
    return [(T0 + timedelta(days=i), D(v)) for i, v in enumerate(values)]


def test_two_wins_one_loss() -> None:
    trades = [trade("3"), trade("1"), trade("-2", "stop")]
    s = summarize(trades, curve_of("100", "103", "104", "102"), D("100"), 365)
    assert s.trades == 3
    assert s.win_rate == pytest.approx(2 / 3)
    assert s.profit_factor == pytest.approx(4 / 2)  # (3 + 1) / 2
    assert s.expectancy == pytest.approx(2 / 3)  # (3 + 1 - 2) / 3
    assert s.net_pnl == pytest.approx(2.0) and s.fees == pytest.approx(0.003)
    assert s.max_drawdown == pytest.approx(2 / 104)
    assert s.exits == {"tp1": 3, "tp2": 2, "stop": 1, "breakeven": 0, "trailing": 0, "time": 0, "end": 0}


def test_a_zero_pnl_trade_is_neither_win_nor_loss() -> None:
    s = summarize([trade("2"), trade("0", "breakeven"), trade("-1")], [], D("100"), 365)
    assert s.win_rate == pytest.approx(1 / 3) and s.profit_factor == pytest.approx(2.0)
    assert s.exits["breakeven"] == 1


def test_max_drawdown_is_the_deepest_fall_from_a_running_peak() -> None:
    # falls: 120 → 90 (25 %), 130 → 104 (20 %): the first is deeper although smaller in the last peak's terms
    s = summarize([], curve_of("100", "120", "90", "130", "104"), D("100"), 365)
    assert s.max_drawdown == pytest.approx(0.25)
    # a curve that starts below the initial equity has already drawn down from it
    assert summarize([], curve_of("80", "90"), D("100"), 365).max_drawdown == pytest.approx(0.2)
    assert summarize([], curve_of("100", "101", "102"), D("100"), 365).max_drawdown == 0.0
    # losing everything (or more) is a 100 % drawdown, never more
    assert summarize([], curve_of("100", "50", "-10"), D("100"), 365).max_drawdown == 1.0


def test_sharpe_and_sortino_on_a_known_return_series() -> None:
    values = ["1000", "1010", "1005", "1020", "1015", "1030"]
    ppy = 24 * 365.0  # hourly bars
    s = summarize([], curve_of(*values), D("1000"), ppy)
    v = [float(x) for x in values]
    r = [v[i] / v[i - 1] - 1 for i in range(1, len(v))]  # five returns, two negative
    assert s.sharpe == pytest.approx(statistics.mean(r) / statistics.stdev(r) * math.sqrt(ppy))
    downside = math.sqrt(sum(x * x for x in r if x < 0) / len(r))
    assert s.sortino == pytest.approx(statistics.mean(r) / downside * math.sqrt(ppy))
    assert s.sortino > s.sharpe > 0


def test_calmar_is_annualized_growth_over_max_drawdown() -> None:
    # 4 daily bars: 100 → 110 → 99 → 104.5 → 121; max drawdown 10 %
    s = summarize([], curve_of("100", "110", "99", "104.5", "121"), D("100"), 365)
    annual = 1.21 ** (365 / 4) - 1
    assert s.max_drawdown == pytest.approx(0.1)
    assert s.calmar == pytest.approx(annual / 0.1)
    losing = summarize([], curve_of("100", "90", "95"), D("100"), 365)
    assert losing.calmar == pytest.approx((0.95 ** (365 / 2) - 1) / 0.1)
    assert losing.calmar < 0


def test_ratios_are_zero_when_undefined() -> None:
    flat = summarize([], curve_of("100", "100", "100"), D("100"), 365)  # no variance, no drawdown
    assert (flat.sharpe, flat.sortino, flat.calmar, flat.max_drawdown) == (0.0, 0.0, 0.0, 0.0)
    rising = summarize([], curve_of("100", "101", "103"), D("100"), 365)  # no losing bar
    assert rising.sortino == 0.0 and rising.calmar == 0.0 and rising.sharpe > 0
    one_bar = summarize([], curve_of("100", "90"), D("100"), 365)  # a single return
    assert one_bar.sharpe == 0.0 and one_bar.sortino == 0.0


def test_profit_factor_edges() -> None:
    assert summarize([], [], D("1"), 365).profit_factor == 0.0
    assert summarize([trade("1"), trade("2")], [], D("1"), 365).profit_factor == PROFIT_FACTOR_CAP == 999.0
    assert summarize([trade("-1")], [], D("1"), 365).profit_factor == 0.0
    assert summarize([trade("0")], [], D("1"), 365).profit_factor == 0.0


def test_other_exit_reasons_get_their_own_keys() -> None:
    trades = [trade("1", "tp3"), trade("-1", "liquidation"), trade("1", "manual"), trade("1", "end")]
    exits = summarize(trades, [], D("1"), 365).exits
    assert list(exits)[:7] == ["tp1", "tp2", "stop", "breakeven", "trailing", "time", "end"]
    assert exits["tp1"] == 4 and exits["end"] == 1 and exits["tp2"] == 0
    assert {k: exits[k] for k in ("liquidation", "manual", "tp3")} == {"liquidation": 1, "manual": 1, "tp3": 1}


def test_empty_input_gives_the_zero_report() -> None:
    s = summarize([], [], D("1000"), 365)
    assert to_json_dict(s, []) == {
        "summary": {"trades": 0, "win_rate": 0.0, "profit_factor": 0.0, "expectancy": 0.0, "net_pnl": 0.0,
                    "fees": 0.0, "max_drawdown": 0.0, "sharpe": 0.0, "sortino": 0.0, "calmar": 0.0,
                    "exits": {"tp1": 0, "tp2": 0, "stop": 0, "breakeven": 0, "trailing": 0, "time": 0, "end": 0},
                    "period": {"start": None, "end": None, "days": 0.0}, "initial_equity": 1000.0,
                    "final_equity": 1000.0, "return_pct": 0.0, "avg_trade_duration_s": 0.0, "best_trade": None,
                    "worst_trade": None, "pairs": []},
        "trades": [],
    }
    assert "trades" in format_text(s)


def test_json_shape_and_types() -> None:
    t = TradeRecord("ETH/BTC", "long", datetime(2018, 1, 10, 13, 0, tzinfo=timezone(timedelta(hours=1))),
                    D("0.0984"), D("1.5"), 3, D("0.0964"), [(D("0.1023"), D("0.5")), (D("0.1063"), D("0.5"))],
                    [ExitRecord(datetime(2018, 1, 10, 14, 30, tzinfo=UTC), D("0.1023"), D("0.75"), "tp1")],
                    D("1E-8"), D("0.0012"))
    curve = curve_of("1", "1.0012")
    d = to_json_dict(summarize([t], curve, D("1"), 365), [t])
    text = json.dumps(d, allow_nan=False)  # valid JSON, no NaN/Infinity
    assert json.loads(text) == d
    assert list(d) == ["summary", "trades"]
    assert list(d["summary"]) == ["trades", "win_rate", "profit_factor", "expectancy", "net_pnl", "fees",
                                  "max_drawdown", "sharpe", "sortino", "calmar", "exits",  # the keys of old
                                  "period", "initial_equity", "final_equity", "return_pct", "avg_trade_duration_s",
                                  "best_trade", "worst_trade", "pairs"]
    assert isinstance(d["summary"]["trades"], int)
    for key in ("win_rate", "profit_factor", "expectancy", "net_pnl", "fees", "max_drawdown", "sharpe",
                "sortino", "calmar"):
        assert isinstance(d["summary"][key], float), key
    assert d["summary"]["profit_factor"] == 999.0 and d["summary"]["net_pnl"] == 0.0012
    assert d["trades"] == [{
        "symbol": "ETH/BTC", "side": "long", "entry_time": "2018-01-10T12:00:00Z", "entry_price": "0.0984",
        "qty": "1.5", "leverage": 3, "stop": "0.0964",
        "targets": [{"price": "0.1023", "share": "0.5"}, {"price": "0.1063", "share": "0.5"}],
        "exits": [{"time": "2018-01-10T14:30:00Z", "price": "0.1023", "qty": "0.75", "reason": "tp1"}],
        "fees": "0.00000001", "pnl": "0.0012",
    }]


def test_summary_numbers_are_rounded_and_finite() -> None:
    # a huge gain over four bars annualizes beyond any float; the report still stays valid JSON
    s = summarize([trade("0.1")], curve_of("1", "0.9", "10", "100", "1000"), D("1"), 365 * 288)
    d = to_json_dict(s, [])
    json.dumps(d, allow_nan=False)
    assert all(math.isfinite(v) for k, v in d["summary"].items() if isinstance(v, float))
    third = to_json_dict(summarize([trade("1"), trade("1"), trade("-1")], [], D("1"), 365), [])
    assert third["summary"]["win_rate"] == 0.666667


def test_text_table_lists_every_statistic_and_exit() -> None:
    s = summarize([trade("3"), trade("-1", "trailing")], curve_of("100", "103", "102"), D("100"), 365)
    text = format_text(s)
    for label in ("trades", "win rate", "profit factor", "expectancy", "net PnL", "fees", "max drawdown",
                  "Sharpe", "Sortino", "Calmar", "trailing", "tp1"):
        assert label in text
    assert "50.0%" in text  # win rate
    assert "3.00" in text  # profit factor 3 / 1


def test_period_return_durations_best_worst_and_pairs() -> None:
    def one(symbol: str, pnl: str, hours: int, entry_hour: int = 0) -> TradeRecord:
        start = T0 + timedelta(hours=entry_hour)
        return TradeRecord(symbol, "short", start, D("1"), D("1"), 2, D("1.1"), [(D("0.9"), D("1"))],
                           [ExitRecord(start + timedelta(hours=hours), D("0.9"), D("1"), "stop" if pnl[0] == "-"
                                       else "tp1")], D("0"), D(pnl))

    trades = [one("ETH/BTC", "3", 2), one("LTC/BTC", "-4", 6, 1), one("ETH/BTC", "-1", 1, 2)]
    curve = curve_of("100", "103", "99", "98")  # three days
    s = summarize(trades, curve, D("100"), 365)
    assert (s.start, s.end) == (T0, T0 + timedelta(days=3))
    assert s.return_pct == pytest.approx(-2.0) and s.final_equity == 98.0
    assert s.avg_duration_s == pytest.approx(3 * 3600)  # (2 + 6 + 1) / 3 hours
    assert s.best is not None and s.worst is not None
    assert (s.best.symbol, s.best.pnl, s.best.return_pct) == ("ETH/BTC", 3.0, 3.0)
    assert (s.worst.symbol, s.worst.pnl, s.worst.duration_s) == ("LTC/BTC", -4.0, 6 * 3600)
    assert [(p.symbol, p.trades, p.wins, p.net_pnl) for p in s.pairs] == [("ETH/BTC", 2, 1, 2.0),
                                                                          ("LTC/BTC", 1, 0, -4.0)]
    assert s.pairs[0].avg_duration_s == pytest.approx(1.5 * 3600) and s.pairs[0].exits == {"stop": 1, "tp1": 1}
    d = to_json_dict(s, trades)["summary"]
    assert d["period"] == {"start": "2018-01-10T00:00:00Z", "end": "2018-01-13T00:00:00Z", "days": 3.0}
    assert d["best_trade"]["symbol"] == "ETH/BTC" and d["worst_trade"]["return_pct"] == -4.0
    assert d["pairs"][1] == {"symbol": "LTC/BTC", "trades": 1, "wins": 0, "win_rate": 0.0, "net_pnl": -4.0,
                             "return_pct": -4.0, "avg_duration_s": 21600.0, "exits": {"stop": 1}}
    text = format_text(s, "BTC")
    assert "2018-01-10 00:00 → 2018-01-13 00:00 UTC (3.0 days)" in text
    assert "return         -2.00%" in text and "avg duration   3h 00m" in text
    assert "ETH/BTC short +3.00 BTC (+3.00%), opened 2018-01-10 00:00, 2h 00m" in text  # the one money format
    table = text.split("per pair")[1].split("exits")[0]
    assert table.index("ETH/BTC") < table.index("LTC/BTC") and "6h 00m" in table
