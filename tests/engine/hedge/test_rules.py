"""The hedge rules: stop at -0.8 %, take-profit limit at +1.2 %, fallback, forced close at the deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from engine.domain.hedge import HedgeLeg, HedgeRound, LegExit, LegState, RoundState
from engine.domain.values import Side
from engine.hedge.rules import Action, Rules, decide, stop_price, take_price

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RULES = Rules(D("0.8"), D("1.2"))


def open_round(**kw: object) -> HedgeRound:
    s = HedgeLeg("s", "aster", Side.SHORT, D("1"), state=LegState.OPEN, entry=D("100"))
    lg = HedgeLeg("l", "backpack", Side.LONG, D("1"), state=LegState.OPEN, entry=D("100"))
    return replace(HedgeRound("r1", "SOL/USDT", D("25"), D("1"), 1, (s, lg), NOW, NOW + timedelta(hours=1),
                              state=RoundState.OPEN), **kw)


def test_a_losing_leg_is_closed_by_the_engine_when_no_stop_rests_on_its_venue() -> None:
    actions = decide(open_round(), {"s": D("100.80"), "l": D("100.80")}, NOW, RULES)
    assert Action("close", "s", LegExit.STOP) in actions


def test_a_resting_stop_is_left_to_the_venue() -> None:
    rnd = open_round()
    rnd = rnd.with_leg(replace(rnd.leg("s"), stop_resting=True))
    assert decide(rnd, {"s": D("101"), "l": D("101")}, NOW, RULES) == []


def test_a_gaining_leg_gets_a_take_profit_once() -> None:
    rnd = open_round()
    assert decide(rnd, {"s": D("100"), "l": D("101.20")}, NOW, RULES) == [Action("place_tp", "l")]
    rnd = rnd.with_leg(replace(rnd.leg("l"), tp_active=True, tp_seq=1))
    assert decide(rnd, {"s": D("100"), "l": D("101.50")}, NOW, RULES) == []


def test_falling_back_keeps_or_cancels_the_limit_as_configured() -> None:
    rnd = open_round()
    rnd = rnd.with_leg(replace(rnd.leg("l"), tp_active=True, tp_seq=1))
    assert decide(rnd, {"s": D("100"), "l": D("100.50")}, NOW, RULES) == []
    assert decide(rnd, {"s": D("100"), "l": D("100.50")}, NOW, replace(RULES, take_fallback="cancel")) == \
        [Action("cancel_tp", "l")]


def test_after_the_maximum_holding_time_every_open_leg_is_forced_closed() -> None:
    rnd = open_round()
    later = NOW + timedelta(hours=1)
    assert decide(rnd, {"s": D("100"), "l": D("100")}, later, RULES) == [
        Action("close", "s", LegExit.FORCE), Action("close", "l", LegExit.FORCE)]
    rnd = rnd.with_leg(replace(rnd.leg("s"), state=LegState.CLOSED))
    assert decide(rnd, {}, later, RULES) == [Action("close", "l", LegExit.FORCE)]


def test_stop_and_take_prices_are_on_the_right_side_of_each_leg() -> None:
    rnd = open_round()
    tick = D("0.01")
    assert stop_price(rnd.leg("s"), RULES, tick) == D("100.80")
    assert stop_price(rnd.leg("l"), RULES, tick) == D("99.20")
    assert take_price(rnd.leg("s"), RULES, tick) == D("98.80")
    assert take_price(rnd.leg("l"), RULES, tick) == D("101.20")
