"""Paper trading of A-shares: sessions and T+1 on the simulated venue (TPlusOne around PaperBroker)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.settings import BrokerSettings
from engine.brokers.errors import InvalidOrder
from engine.brokers.paper import PaperBroker
from engine.clock import ManualClock
from engine.domain.models import OrderRequest, OrderType
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.market_rules.ashare import ashare_costs, ashare_spec
from engine.market_rules.t_plus_one import TPlusOne
from tests.engine.qmt.bridge import shanghai

D = Decimal
STOCK = "600000.SH"


async def _markets(symbol: str):
    return ashare_spec(symbol)


class _Fills(list):
    """The fills the venue has made, taken as the position manager takes them."""

    def __init__(self, venue: TPlusOne) -> None:
        super().__init__()
        self._venue = venue

    def __getitem__(self, index):  # type: ignore[override]
        self.extend(self._venue.take_fills())
        return super().__getitem__(index)

    def __len__(self) -> int:
        self.extend(self._venue.take_fills())
        return super().__len__()


def _venue(clock: ManualClock) -> tuple[TPlusOne, list]:
    paper = PaperBroker(BrokerSettings(paper_balance=D(1_000_000), slippage_pct=D(0)), clock, _markets,
                        currency="CNY", costs=ashare_costs)
    venue = TPlusOne(paper, clock)
    return venue, _Fills(venue)


async def test_no_paper_orders_outside_sessions():
    clock = ManualClock(shanghai("2026-12-02", "12:00"))
    venue, _ = _venue(clock)
    await venue.start()
    await venue.on_price(PriceTick(STOCK, D("10.00"), clock.now()))
    with pytest.raises(InvalidOrder, match="market is closed.*2026-12-02 13:00"):
        await venue.place_order(OrderRequest("sp-a-en-0", STOCK, OrderAction.BUY, OrderType.MARKET, D(100)))


async def test_shares_bought_today_are_sold_from_the_next_session_on():
    clock = ManualClock(shanghai("2026-12-02", "10:00"))
    venue, fills = _venue(clock)
    await venue.start()
    await venue.on_price(PriceTick(STOCK, D("10.00"), clock.now()))
    await venue.place_order(OrderRequest("sp-b-en-0", STOCK, OrderAction.BUY, OrderType.MARKET, D(1000)))
    assert fills[-1].fee == D("5.10")  # A-share costs in paper: 5 CNY minimum commission + transfer fee
    with pytest.raises(InvalidOrder, match="cannot exit yet.*T\\+1"):
        await venue.place_order(OrderRequest("sp-b-cl-0", STOCK, OrderAction.SELL, OrderType.MARKET, D(1000),
                                             reduce_only=True))
    stop = OrderRequest("sp-b-sl-0", STOCK, OrderAction.SELL, OrderType.STOP_MARKET, D(1000),
                        trigger_price=D("9.80"), reduce_only=True)
    assert (await venue.place_order(stop)).status.value == "open"
    assert [o.client_id for o in await venue.open_orders(STOCK)] == ["sp-b-sl-0"]
    await venue.on_price(PriceTick(STOCK, D("9.70"), clock.now()))  # through the stop, the same day
    assert len(fills) == 1
    clock.set(shanghai("2026-12-03", "09:30"))
    await venue.on_price(PriceTick(STOCK, D("9.60"), clock.now()))  # the next session opens below it
    assert fills[-1].client_id == "sp-b-sl-0" and fills[-1].price == D("9.60") and fills[-1].qty == 1000
    assert fills[-1].fee == D("9.90")  # 5 + 4.80 stamp duty + 0.096 transfer fee, to the fen
