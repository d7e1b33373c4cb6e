"""Paper broker: the account survives a restart through its PaperStore (positions, resting orders, fills)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.brokers.errors import BrokerError, UnknownOutcome
from engine.brokers.paper_state import PaperChanges
from engine.clock import ManualClock
from engine.domain.models import OrderStatus
from engine.domain.values import Side
from tests.engine.brokers.test_paper_helpers import (
    BUY,
    SELL,
    T0,
    D,
    MemoryStore,
    limit,
    market,
    stop,
    take_profit,
    venue,
)


async def test_a_fresh_broker_over_the_same_store_resumes_positions_and_resting_orders():
    store = MemoryStore()
    first = await venue(store)
    await first.broker.prepare("BTCUSDT", 5)
    await first.tick("50000")
    await first.broker.place_order(market("en", BUY, "0.010"))
    await first.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await first.broker.place_order(take_profit("tp", SELL, "0.010", "52000.0"))
    await first.tick("2000.00", symbol="ETHUSDT")
    await first.broker.place_order(limit("eth", BUY, "0.50", "1900.00", symbol="ETHUSDT"))
    before_orders = await first.broker.open_orders()
    before_positions = await first.broker.positions()
    before_balance = await first.broker.balance()
    await first.broker.close()

    second = await venue(store, clock=ManualClock(T0 + timedelta(hours=1)))
    assert await second.broker.open_orders() == before_orders
    [pos] = await second.broker.positions()
    assert (pos.side, pos.qty, pos.entry_price, pos.leverage) == (Side.LONG, D("0.010"), D("50010.0"), 5)
    assert pos.liquidation_price == before_positions[0].liquidation_price
    assert second.broker.mark_price("BTCUSDT") is None  # a mark is market data, never restored
    bal = await second.broker.balance()
    assert bal.wallet == before_balance.wallet
    assert bal.free == before_balance.free + D("0.1")  # no mark yet: no unrealized loss counted
    assert await second.broker.fetch_fills("en", "BTCUSDT") == first.fills
    assert (await second.broker.place_order(market("en", BUY, "0.010"))).status is OrderStatus.FILLED
    assert second.fills == []  # the re-send after a restart did nothing

    await second.tick("48000.0")  # the restored stop protects the restored position
    [fill] = second.fills
    assert (fill.client_id, fill.price, fill.trade_id) == ("sl", D("48990.2"), "p2")  # ids continue
    assert fill.ts == T0 + timedelta(hours=1, seconds=1)
    assert await second.broker.positions() == []
    assert (await second.broker.fetch_order("tp", "BTCUSDT")).status is OrderStatus.CANCELLED
    assert [o.client_id for o in await second.broker.open_orders()] == ["eth"]


async def test_a_restored_broker_keeps_leverage_and_liquidation_counters():
    store = MemoryStore()
    first = await venue(store, slippage_pct=0, taker_fee=0)
    await first.broker.prepare("BTCUSDT", 10)
    await first.tick("50000")
    await first.broker.place_order(market("a", SELL, "0.100"))
    await first.tick("60000")
    assert first.fills[-1].client_id == "liq-BTCUSDT-1"

    second = await venue(store, clock=ManualClock(T0 + timedelta(hours=1)), slippage_pct=0, taker_fee=0)
    await second.tick("50000")
    await second.broker.place_order(market("b", SELL, "0.100", leverage=1))  # prepared 10× still applies
    [pos] = await second.broker.positions()
    assert pos.leverage == 10
    await second.tick("60000")
    assert second.fills[-1].client_id == "liq-BTCUSDT-2"
    assert (await second.broker.balance()).wallet == D("9000")


async def test_the_initial_balance_applies_only_to_a_new_account():
    store = MemoryStore()
    first = await venue(store, paper_balance=D("500"))
    await first.tick("50000")
    await first.broker.place_order(market("a", BUY, "0.002"))
    second = await venue(store, paper_balance=D("99999"))
    assert (await second.broker.balance()).wallet == (await first.broker.balance()).wallet < D("500")


async def test_an_unreadable_saved_account_stops_the_start_instead_of_resetting_it():
    store = MemoryStore()
    store.account = (D("12"), 0, 0, 0)
    store.unreadable = True
    with pytest.raises(BrokerError, match="unreadable"):
        await venue(store)
    assert store.saves == 0 and store.account == (D("12"), 0, 0, 0)


async def test_without_a_store_the_account_lives_in_memory():
    v = await venue()
    await v.tick("50000")
    await v.broker.place_order(market("a", BUY, "0.002"))
    await v.broker.close()
    assert len(await v.broker.positions()) == 1


class FlakyStore(MemoryStore):
    """Saves fail while ``down`` is set (a locked or unreachable database)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def save(self, changes: PaperChanges) -> None:
        if self.down:
            raise OSError("database is locked")
        await super().save(changes)


async def test_a_fill_that_could_not_be_saved_is_an_unknown_outcome_and_is_delivered_after_the_next_save():
    store = FlakyStore()
    v = await venue(store)
    await v.tick("50000")
    store.down = True
    with pytest.raises(UnknownOutcome, match="fetch it by client id"):
        await v.broker.place_order(market("en", BUY, "0.010"))
    assert v.fills == []  # never delivered before it is saved
    assert (await v.broker.fetch_order("en", "BTCUSDT")).status is OrderStatus.FILLED
    store.down = False
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    assert [f.client_id for f in v.fills] == ["en"]
    assert "en" in store.orders and [f.client_id for f in store.fills.values()] == ["en"]
