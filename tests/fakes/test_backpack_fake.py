"""The fake Backpack answers ccxt's ``backpack`` class as the venue does: ED25519-signed private requests
(a wrong key is refused), perpetual markets, ticker, balance, orders with numeric client ids, net
positions, fills under ``/wapi/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ccxt.async_support as ccxt
import pytest

from engine.brokers.ccxt.client import rewrite_urls
from tests.fakes.backpack import FakeBackpack, new_keys

SOL = "SOL/USDC:USDC"


def client(fake: FakeBackpack, key: str | None = None, secret: str | None = None) -> Any:
    ex = ccxt.backpack({"apiKey": key or fake.api_key, "secret": secret or fake.secret, "enableRateLimit": False,
                        "options": {"defaultType": "swap"}})
    ex.urls["api"] = rewrite_urls(ex.urls["api"], fake.http_base)
    return ex


@pytest.fixture
async def fake() -> AsyncIterator[FakeBackpack]:
    async with FakeBackpack() as venue:
        yield venue


async def test_a_round_trip_of_orders_positions_and_fills(fake: FakeBackpack) -> None:
    ex = client(fake)
    try:
        await ex.load_markets()
        assert SOL in ex.markets and ex.markets[SOL]["id"] == "SOL_USDC_PERP"
        assert (await ex.fetch_ticker(SOL))["last"] == 150.0
        assert (await ex.fetch_balance())["USDC"]["free"] == 10000.0
        order = await ex.create_order(SOL, "market", "buy", 0.2, None, {"clientOrderId": 12345})
        assert (order["clientOrderId"], order["status"], order["filled"], order["average"]) == ("12345", "closed", 0.2, 150.0)
        [pos] = await ex.fetch_positions()
        assert (pos["side"], float(pos["contracts"])) == ("long", 0.2)
        [trade] = await ex.fetch_my_trades(SOL, None, None, {"orderId": order["id"]})
        assert trade["fee"]["cost"] == 0.012 and trade["fee"]["currency"] == "USDC"
        limit = await ex.create_order(SOL, "limit", "sell", 0.2, 160, {"clientOrderId": 7, "reduceOnly": True})
        assert limit["status"] == "open"
        fake.set_price("SOL_USDC_PERP", "160.5")  # crosses the resting limit: it fills at its price
        [done] = [o for o in await ex.fetch_orders(SOL) if o["id"] == limit["id"]] if ex.has.get("fetchOrders") \
            else [await ex.fetch_order(limit["id"], SOL)]
        assert done["status"] == "closed" and await ex.fetch_positions() == []
        with pytest.raises(ccxt.InvalidOrder):  # reduce-only never opens a position
            await ex.create_order(SOL, "market", "sell", 0.2, None, {"reduceOnly": True})
        assert "POST api/v1/order" in fake.signed_paths() and "GET wapi/v1/history/fills" in fake.signed_paths()
    finally:
        await ex.close()


async def test_a_request_signed_with_another_key_is_refused(fake: FakeBackpack) -> None:
    _, other_secret = new_keys(b"\x01" * 32)
    ex = client(fake, secret=other_secret)  # right public key, wrong private key: the signature fails
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await ex.fetch_balance()
    finally:
        await ex.close()
