"""The A-share rules: lots, price limits, sessions and holidays, costs; crypto rules change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.domain.values import OrderAction
from engine.market_rules import AnyTimeRules, rules_for
from engine.market_rules.ashare import AShareRules, limit_pct
from engine.market_rules.calendar import TradingCalendar, load_holidays
from tests.engine.qmt.bridge import shanghai

D = Decimal
R = AShareRules()


def test_buys_in_lots_sells_may_include_the_odd_remainder():
    assert R.buy_qty(D(250)) == 200 and R.buy_qty(D(99)) == 0
    assert R.sell_qty(D(150), held=D(350)) == 100
    assert R.sell_qty(D(350), held=D(350)) == 350  # the last sell takes the odd 50
    assert R.sell_qty(D(500), held=D(350)) == 350


@pytest.mark.parametrize(("symbol", "st", "pct"), [
    ("600000.SH", False, "0.10"), ("000001.SZ", False, "0.10"), ("300750.SZ", False, "0.20"),
    ("301001.SZ", False, "0.20"), ("688981.SH", False, "0.20"), ("600001.SH", True, "0.05"),
])
def test_daily_limits_by_board(symbol, st, pct):
    assert limit_pct(symbol, st=st) == D(pct)


def test_bands_are_on_the_tick_and_st_symbols_get_five_percent():
    assert R.price_band("600000.SH", D("10.05")) == (D("9.05"), D("11.06"))  # 9.045 → 9.05, 11.055 → 11.06
    assert R.price_band("688981.SH", D("50")) == (D("40.00"), D("60.00"))
    st = AShareRules(st_symbols=frozenset({"600001.SH"}))
    assert st.price_band("600001.SH", D("4.00")) == (D("3.80"), D("4.20"))
    assert R.price_band("600000.SH", None) is None


def test_marketable_limits_stay_inside_the_band():
    band = (D("9.00"), D("11.00"))
    assert R.marketable_price(OrderAction.BUY, D("10.00"), band) == D("10.05")
    assert R.marketable_price(OrderAction.BUY, D("10.99"), band) == D("11.00")
    assert R.marketable_price(OrderAction.SELL, D("9.01"), band) == D("9.00")


def test_costs_commission_minimum_stamp_duty_on_sells_and_transfer_fee():
    assert R.costs(OrderAction.BUY, D(1000), D("10")) == D("5.10")  # 2.50 → 5 minimum, + 0.10
    assert R.costs(OrderAction.BUY, D(10000), D("10")) == D("26.00")  # 25 + 1
    assert R.costs(OrderAction.SELL, D(10000), D("10")) == D("76.00")  # 25 + 50 stamp duty + 1


def test_sessions_weekends_and_the_shipped_holiday_calendar():
    assert R.is_open(shanghai("2026-12-02", "09:30")) and R.is_open(shanghai("2026-12-02", "14:59"))
    for hm in ("09:29", "11:30", "12:00", "15:00"):
        assert not R.is_open(shanghai("2026-12-02", hm))
    assert not R.is_open(shanghai("2026-12-05", "10:00"))  # Saturday
    assert not R.is_open(shanghai("2026-10-05", "10:00"))  # National Day holiday (a Monday)
    assert R.next_open(shanghai("2026-12-02", "11:45")) == shanghai("2026-12-02", "13:00")
    assert R.next_open(shanghai("2026-12-04", "15:10")) == shanghai("2026-12-07", "09:30")  # over the weekend
    assert R.next_open(shanghai("2026-09-30", "16:00")) == shanghai("2026-10-08", "09:30")


def test_the_calendar_can_be_replaced_by_an_updated_file(tmp_path):
    f = tmp_path / "holidays.csv"
    f.write_text("date\n# extra closure\n2026-12-02\n")
    cal = TradingCalendar(load_holidays(f))
    assert not cal.is_open(shanghai("2026-12-02", "10:00"))
    assert cal.is_trading_day(date(2026, 12, 3))
    f.write_text("2026-13-01\n")
    with pytest.raises(ValueError, match="holidays.csv:1"):
        load_holidays(f)


def test_crypto_keeps_its_behaviour():
    rules = rules_for("binanceusdm")
    assert isinstance(rules, AnyTimeRules) and not rules.long_only and rules.exchange_stops
    assert rules.buy_qty(D("0.013")) == D("0.013") and rules.costs(OrderAction.SELL, D(1), D(1)) == 0
    assert isinstance(rules_for("qmt"), AShareRules)
