"""A fake Binance USDⓈ-M futures exchange for tests: the real ccxt client talks to it over HTTP.

Usage (adapter tests)::

    from decimal import Decimal
    from tests.fakes.binance import FakeBinance, make_client

    async def test_stop_fires():
        async with FakeBinance() as fake:                  # 127.0.0.1, free port; BTCUSDT/ETHUSDT/XRPUSDT
            ex = make_client(fake)                         # ccxt.async_support.binanceusdm, default key/secret
            try:
                await ex.load_markets()
                await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01, params={"clientOrderId": "e1"})
                stop = await ex.create_order("BTC/USDT:USDT", "market", "sell", 0.01,
                                             params={"stopLossPrice": 59000, "reduceOnly": True})
                fake.set_price("BTCUSDT", "58900")         # fires the algo order -> child market fill
                algo = await ex.fetch_order(stop["id"], "BTC/USDT:USDT", params={"trigger": True})
                assert algo["info"]["algoStatus"] == "FINISHED"
                child = await ex.fetch_order(algo["info"]["actualOrderId"], "BTC/USDT:USDT")
                assert child["filled"] == 0.01 and fake.positions == {}
                fills = await ex.fetch_my_trades("BTC/USDT:USDT", params={"orderId": child["id"]})
            finally:
                await ex.close()

Controls: ``fake.set_price(symbol, price, mark=None)``; ``fake.inject(target, kind, count=1,
apply=None)`` with kinds ``timeout`` (applied, then held past the client timeout), ``error500``,
``error503``, ``rate_limit`` (429 + Retry-After, -1003), ``drop_ws``; ``fake.fault_rate`` (seeded
random faults); ``fake.fault_retry_after`` (seconds in an injected 429, default 30);
``fake.clock_offset_ms`` (provokes -1021); ``FakeBinance(request_budget_per_minute=N)``;
``fake.load_klines_csv(symbol, "5m", path)``; ``fake.fill_order(client_id, qty)`` (a counterparty takes part
of a resting LIMIT order at its price); ``fake.fill_before_cancel(client_id, qty)`` (that much fills as
the order's cancel arrives: a fill racing the cancel); ``fake.key_permissions`` (what
``/sapi/v1/account/apiRestrictions`` says the key may do); ``await fake.start(port)`` listens on a
given port (an exchange that comes up where a client was already pointed); ``FakeBinance(child_client_id="same")`` gives a
triggered algo order's child the algo's client id (default: a generated one, ``algo<algoId>``).

Inspection: ``fake.requests`` (method, path, params, time), ``fake.counts`` / ``fake.count(...)``,
``fake.requests_last_minute()``, ``fake.peak_requests_per_minute()``, ``fake.orders``, ``fake.algo_orders``, ``fake.positions`` (non-flat),
``fake.trades``, ``fake.balance`` (wallet, Decimal), ``fake.exchange`` (the matching engine).

Errors: ccxt picks its USDⓈ-M error table by URL prefix, so against the fake -2019/-2021/-2022/-4164/
-4116/-4120 arrive as plain ``ccxt.ExchangeError`` with the code in the message (map by code);
``make_client(fake, linear_errors=True)`` restores the production classes. An unknown endpoint
answers 404 with code -5000 and shows up in ``fake.counts``.

Websockets: ``make_client(fake, pro=True)`` gives ``ccxt.pro.binanceusdm``; watch_ticker,
watch_mark_price, watch_ohlcv, watch_orders (ORDER_TRADE_UPDATE and ALGO_UPDATE), watch_positions and
watch_balance (ACCOUNT_UPDATE) work against the fake.
"""

from .client import make_client, point_at
from .errors import BinanceError
from .markets import DEFAULT_SYMBOLS, Bracket, SymbolSpec
from .server import FakeBinance

__all__ = ["FakeBinance", "make_client", "point_at", "BinanceError", "SymbolSpec", "Bracket", "DEFAULT_SYMBOLS"]
