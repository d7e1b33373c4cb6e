"""Sizing a round: one quantity for both venues, the coarser step, both minimums."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from engine.domain.models import MarketSpec
from engine.hedge.plan import PlanRefused, coarser_step, size_round


def spec(step: str, min_qty: str = "0", min_notional: str = "0") -> MarketSpec:
    return MarketSpec("SOL/USDT", "SOL", "USDT", D("0.01"), D(step), D(min_qty), D(min_notional))


def test_one_quantity_on_the_coarser_step_from_the_higher_price() -> None:
    sizing = size_round(D("25"), {"aster": D("150.00"), "backpack": D("151.00")},
                        {"aster": spec("0.01"), "backpack": spec("0.1")})
    assert sizing.qty == D("0.1")  # 25 / 151 = 0.1655… floored to 0.1, never larger than the size
    assert sizing.qty * D("151") <= D("25")


def test_coarser_step_of_steps_that_do_not_divide() -> None:
    assert coarser_step(D("0.01"), D("0.1")) == D("0.1")
    assert coarser_step(D("0.04"), D("0.06")) == D("0.12")


def test_refused_below_either_venues_minimum_naming_it() -> None:
    with pytest.raises(PlanRefused) as err:
        size_round(D("25"), {"aster": D("150"), "backpack": D("150")},
                   {"aster": spec("0.01"), "backpack": spec("0.01", min_qty="1")})
    assert err.value.code == "below_min_qty" and err.value.detail["venue"] == "backpack"
    assert "backpack" in str(err.value)
    with pytest.raises(PlanRefused) as err:
        size_round(D("25"), {"aster": D("150"), "backpack": D("150")},
                   {"aster": spec("0.01", min_notional="50"), "backpack": spec("0.01")})
    assert err.value.code == "below_min_notional" and err.value.detail["venue"] == "aster"


def test_no_price_is_refused() -> None:
    with pytest.raises(PlanRefused) as err:
        size_round(D("25"), {"aster": D("0"), "backpack": D("150")}, {"aster": spec("0.01"), "backpack": spec("0.01")})
    assert err.value.code == "no_price"
