"""Trade plan: base distances, factor adjustments, ATR stops, leverage by score, liquidation safety."""

from __future__ import annotations

from decimal import Decimal

from config.settings import PlanSettings
from engine.domain.models import MarketSpec
from engine.domain.values import Side
from engine.plan import PlanInput, Planner

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", price_step=Decimal("0.01"), qty_step=Decimal("0.001"))


def plan(score: float = 76, side: Side = Side.LONG, **kw) -> object:  # type: ignore[no-untyped-def]
    settings = PlanSettings(**kw.pop("settings", {}))
    return Planner(settings).plan(PlanInput(side=side, entry=Decimal("2000"), score=score, **kw), MKT,
                                  max_leverage=10, min_score=75)


def test_base_plan_long_and_short() -> None:
    p = plan()
    assert p.stop == Decimal("1960.00")
    assert [(t.price, t.share) for t in p.targets] == [(Decimal("2080.00"), Decimal("0.5")),
                                                      (Decimal("2160.00"), Decimal("0.5"))]
    s = plan(side=Side.SHORT)
    assert s.stop == Decimal("2040.00") and s.targets[0].price == Decimal("1920.00")


def test_adjustments() -> None:
    strong = plan(score=90)
    assert strong.stop == Decimal("1968.00")  # 2 % × 0.8
    assert strong.targets[0].price == Decimal("2104.00")  # 4 % × 1.3
    trend = plan(adx=35.0)
    assert trend.targets[1].price == Decimal("2192.00")  # 8 % × 1.2
    liquid = plan(quote_volume=1e9)
    assert liquid.stop == Decimal("1964.00")  # 2 % × 0.9
    volatile = plan(atr_pct=5.0)
    assert volatile.stop == Decimal("1940.00")  # 2 % × 1.5
    assert set(volatile.adjustments) == {"high_volatility"}


def test_atr_stop_and_n_targets() -> None:
    p = plan(atr=Decimal("10"), settings={"stop_method": "atr", "atr_mult": "3", "targets": ["2:0.3", "4:0.3", "6:0.4"]})
    assert p.stop == Decimal("1970.00")
    assert [t.share for t in p.targets] == [Decimal("0.3"), Decimal("0.3"), Decimal("0.4")]


def test_leverage_rises_with_score_and_stays_inside_liquidation() -> None:
    assert plan(score=75).leverage == 1
    assert plan(score=87.5).leverage == 5
    assert plan(score=100).leverage == 10
    planner = Planner(PlanSettings(stop_pct=Decimal("15")))
    wide = planner.plan(PlanInput(Side.LONG, Decimal("2000"), 100), MKT, max_leverage=10, min_score=75)
    liq = planner.liquidation_price(Side.LONG, Decimal("2000"), wide.leverage)
    assert wide.leverage < 10 and "leverage_capped" in wide.adjustments
    assert wide.stop > liq  # the stop fills before liquidation
    for lev in range(1, 126):
        stop_pct = Decimal(lev) / 10
        fit = planner.max_leverage_for_stop(stop_pct)
        if fit >= 1:
            liq = planner.liquidation_price(Side.LONG, Decimal("100"), fit)
            assert Decimal("100") * (1 - stop_pct / 100) > liq


def test_replan_keeps_distances() -> None:
    p = plan()
    r = Planner(PlanSettings()).replan(Side.LONG, p.entry, p.stop, p.targets, Decimal("2100"), p.leverage, MKT)
    assert r.stop == Decimal("2058.00") and r.targets[0].price == Decimal("2184.00")
