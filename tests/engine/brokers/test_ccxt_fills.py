"""Fills reach the engine's handler under OUR client ids: over the user-data stream, through
the REST fallback while the stream is down, once each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from engine.brokers.ccxt import StreamConfig
from tests.engine.brokers.test_ccxt_helpers import BTC, BUY, FAST, SELL, D, open_bracket, running, wait_for
from tests.fakes.binance import FakeBinance


@contextmanager
def user_stream_kept_down(fake: FakeBinance) -> Iterator[None]:
    """The venue forgets the listen keys: a dropped user-data socket cannot reconnect until the block ends
    (so what happens meanwhile does not race a reconnection timer)."""
    keys = set(fake.listen_keys)
    fake.listen_keys.clear()
    try:
        yield
    finally:
        fake.listen_keys |= keys


@pytest.mark.parametrize("child_ids", ["generated", "same"])
async def test_tp1_fill_reaches_the_handler_over_the_stream_with_the_tp1_client_id(child_ids: str):
    async with FakeBinance(child_client_id=child_ids) as fake, running(fake) as (broker, fills):
        await open_bracket(broker)
        assert await wait_for(lambda: len(fills) == 1)
        assert (fills[0].client_id, fills[0].action, fills[0].qty) == ("sp-p1-en-0", BUY, D("0.010"))
        polls = broker.stream.polls
        fake.set_price("BTCUSDT", "61000")
        assert await wait_for(lambda: len(fills) == 2, timeout=10.0)
        tp1 = fills[1]
        assert (tp1.client_id, tp1.action, tp1.qty, tp1.price) == ("sp-p1-tp1-0", SELL, D("0.005"), D("61000"))
        assert broker.stream.polls == polls  # pushed: no REST poll ran (the next one is 30 s away)


async def test_stop_fill_after_both_targets_is_reported_once_per_trade():
    async with FakeBinance() as fake, running(fake) as (broker, fills):
        await open_bracket(broker, tps=("61000", "61500"))
        fake.set_price("BTCUSDT", "61600")  # both targets fire
        assert await wait_for(lambda: {f.client_id for f in fills} >= {"sp-p1-tp1-0", "sp-p1-tp2-0"})
        await broker.stream.poll()  # a REST pass over the same trades adds nothing
        assert sorted(f.client_id for f in fills) == ["sp-p1-en-0", "sp-p1-tp1-0", "sp-p1-tp2-0"]
        assert len({f.trade_id for f in fills}) == 3


async def test_while_the_stream_is_down_polling_delivers_the_fill_and_nothing_twice_after_reconnect():
    config = StreamConfig(poll_interval=0.3, safety_interval=30.0, backoff_start=1.0, backoff_max=1.0, tick=0.05,
                          pending_lookup_after=0.3, pending_force_after=2.0, connect_timeout=3.0)
    async with FakeBinance() as fake, running(fake, config=config) as (broker, fills):
        stream_up_at_delivery: list[bool] = []
        broker.on_fill(lambda fill: (fills.append(fill), stream_up_at_delivery.append(broker.stream.up)))
        await open_bracket(broker)
        assert await wait_for(lambda: len(fills) == 1)
        with user_stream_kept_down(fake):  # the socket cannot come back until the block ends
            await fake.drop_ws()
            assert await wait_for(lambda: not broker.stream.up, timeout=10.0)
            fake.set_price("BTCUSDT", "58900")  # the stop fires while nobody listens
            assert await wait_for(lambda: len(fills) == 2, timeout=10.0)
        assert stream_up_at_delivery == [True, False]  # the second came from the REST fallback
        stop_fill = fills[1]
        assert (stop_fill.client_id, stop_fill.action, stop_fill.qty, stop_fill.price) == (
            "sp-p1-sl-0", SELL, D("0.010"), D("58900"))
        assert await wait_for(lambda: broker.stream.up and broker.stream.reconnects >= 1, timeout=15.0)
        await broker.stream.poll()
        assert len(fills) == 2


async def test_fills_while_disconnected_are_caught_up_right_after_reconnecting():
    config = StreamConfig(poll_interval=30.0, safety_interval=30.0, backoff_start=0.3, backoff_max=0.3, tick=0.05,
                          connect_timeout=3.0)
    async with FakeBinance() as fake, running(fake, config=config) as (broker, fills):
        await open_bracket(broker)
        assert await wait_for(lambda: len(fills) == 1)
        with user_stream_kept_down(fake):
            await fake.drop_ws()
            fake.set_price("BTCUSDT", "61000")  # before the socket is back; no poll due for 30 s
            assert await wait_for(lambda: not broker.stream.up, timeout=10.0)
            assert len(fills) == 1
        assert await wait_for(lambda: [f.client_id for f in fills][1:] == ["sp-p1-tp1-0"], timeout=15.0)
        assert broker.stream.reconnects >= 1


async def test_the_reconciliation_listing_serves_as_the_poll_and_finds_a_fill_while_the_stream_is_down():
    # no poll due for 30 s and no reconnect either: only the order listing can find the stop's fill
    config = StreamConfig(poll_interval=30.0, safety_interval=30.0, backoff_start=30.0, backoff_max=30.0, tick=0.05,
                          connect_timeout=3.0)
    async with FakeBinance() as fake, running(fake, config=config) as (broker, fills):
        await open_bracket(broker)
        assert await wait_for(lambda: len(fills) == 1)
        await fake.drop_ws()
        assert await wait_for(lambda: not broker.stream.up, timeout=1.0)
        fake.set_price("BTCUSDT", "58900")  # the stop fires while nobody listens
        before, polls = len(fake.requests), broker.stream.polls
        await broker.open_orders()  # what the reconciliation asks
        assert await wait_for(lambda: [f.client_id for f in fills] == ["sp-p1-en-0", "sp-p1-sl-0"], timeout=2.0)
        assert broker.stream.polls == polls + 1
        listings = [r.path for r in fake.requests[before:] if r.path.endswith(("openOrders", "openAlgoOrders"))]
        assert listings == ["/fapi/v1/openOrders", "/fapi/v1/openAlgoOrders"]  # each book listed once


async def test_a_fill_arriving_before_the_handler_is_set_is_kept_for_it():
    async with FakeBinance() as fake:
        from tests.engine.brokers.test_ccxt_helpers import make_broker
        broker = make_broker(fake, config=FAST)
        try:
            await broker.start()
            await open_bracket(broker)
            await broker.stream.poll()
            got = []
            broker.on_fill(got.append)
            assert [f.client_id for f in got] == ["sp-p1-en-0"]
        finally:
            await broker.close()


async def test_without_streams_the_poll_alone_finds_fills():
    async with FakeBinance() as fake, running(fake, streams=False) as (broker, fills):
        assert broker.stream is None
        await open_bracket(broker)
        fake.set_price("BTCUSDT", "61000")
        from engine.brokers.ccxt.streams import poll_once
        assert await poll_once(broker.lookup, broker.clock) == 2
        assert [f.client_id for f in fills] == ["sp-p1-en-0", "sp-p1-tp1-0"]
        assert await poll_once(broker.lookup, broker.clock) == 0
        _ = BTC


def _trade(trade_id: int, order_id: int, client_id: str, qty: str = "0.005") -> dict:
    # a trade as ccxt.pro's watch_my_trades gives it for an ORDER_TRADE_UPDATE
    return {"id": str(trade_id), "order": str(order_id), "symbol": BTC, "side": "sell", "amount": float(qty),
            "price": 61000.0, "timestamp": 1_700_000_000_000, "fee": {"cost": 0.1, "currency": "USDT"},
            "takerOrMaker": "taker", "info": {"c": client_id, "i": order_id}}


def test_router_maps_a_child_trade_that_came_before_its_algo_update_and_tags_liquidations():
    from engine.brokers.ccxt.fills import FillRouter
    from engine.brokers.ccxt.venues import venue_for

    router = FillRouter(venue_for("binanceusdm"))
    got = []
    router.set_handler(got.append)
    router.track("sp-p1-tp1-0", BTC, conditional=True, exchange_id="1000000002")
    assert router.offer(_trade(7, 4000000009, "algo1000000002"), now=0.0) is False  # child id not known yet
    router.offer(_trade(8, 4000000010, "autoclose-20240101"), now=0.0)  # the venue's forced close: at once
    assert [f.client_id for f in got] == ["liq-autoclose-20240101"]
    algo_update = {"id": "1000000002", "clientOrderId": "sp-p1-tp1-0", "symbol": BTC, "status": "closed",
                   "amount": 0.005, "filled": 0.0, "info": {"aid": 1000000002, "caid": "sp-p1-tp1-0",
                                                             "ai": "4000000009", "aq": "0.005"}}
    router.learn(algo_update)
    router.retry_pending(now=0.1)
    assert [f.client_id for f in got] == ["liq-autoclose-20240101", "sp-p1-tp1-0"]
    assert router.offer(_trade(7, 4000000009, "algo1000000002"), now=0.2) is True and len(got) == 2  # once
    assert router.watching() == []  # triggered, filled and reported: settled


def test_a_child_trade_forced_out_before_its_algo_update_reaches_our_order_when_found_again():
    """The stream forced a child's trade out under the venue's id (its algo update came too late);
    the REST look-up finds it again once the child is known: it goes to our take-profit, once."""
    from engine.brokers.ccxt.fills import FillRouter
    from engine.brokers.ccxt.venues import venue_for

    router = FillRouter(venue_for("binanceusdm"))
    got = []
    router.set_handler(got.append)
    router.track("sp-p1-tp1-0", BTC, conditional=True, exchange_id="1000000002")
    router.offer(_trade(7, 4000000009, "algo1000000002"), now=0.0, force=True)
    assert [f.client_id for f in got] == ["algo1000000002"]  # the engine knows no such order
    router.learn({"id": "1000000002", "clientOrderId": "sp-p1-tp1-0", "symbol": BTC, "status": "closed",
                  "amount": 0.005, "filled": 0.0, "info": {"aid": 1000000002, "caid": "sp-p1-tp1-0",
                                                            "ai": "4000000009", "aq": "0.005"}})
    assert router.offer(_trade(7, 4000000009, "algo1000000002"), now=5.0, force=True) is True
    assert [f.client_id for f in got] == ["algo1000000002", "sp-p1-tp1-0"]
    router.offer(_trade(7, 4000000009, "algo1000000002"), now=10.0, force=True)
    assert len(got) == 2 and router.watching() == []  # once, and settled
