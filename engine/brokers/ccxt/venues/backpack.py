"""Backpack perpetuals (``SOL/USDC:USDC``): ED25519-signed REST under ``/api/v1`` and ``/wapi/v1``.

Tested against tests/fakes/backpack. Backpack's client ids are unsigned 32-bit numbers: ours are
mapped to one by CRC-32 (deterministic, so a restart finds the same order), and an order is looked up
among the open orders, then the order history, by that number. ccxt's backpack class has no leverage,
margin-mode or position-mode calls (leverage is account-wide on Backpack) and no stop-loss order type
in the unified API, so the hedge closes a Backpack leg at market from the engine (``resting_stops``
False); take-profits are reduce-only limits. Its settle currency is USDC.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue


def numeric_client_id(client_id: str) -> int:
    """Our client order id as the 32-bit number Backpack keeps (never 0)."""
    return zlib.crc32(client_id.encode()) or 1


class Backpack(Venue):
    name: ClassVar[str] = "backpack"
    ccxt_id: ClassVar[str] = "backpack"
    ccxt_options: ClassVar[Mapping[str, Any]] = {"defaultType": "swap"}
    settle: ClassVar[str] = "USDC"
    tested: ClassVar[bool] = True
    position_mode: ClassVar[bool] = False
    margin_mode: ClassVar[bool] = False
    leverage_tiers: ClassVar[bool] = False
    leverage_per_symbol: ClassVar[bool] = False
    take_profit_style: ClassVar[str] = "limit"
    resting_stops: ClassVar[bool] = False
    max_leverage: ClassVar[int] = 50

    def client_param(self, client_id: str) -> dict[str, Any]:
        return {"clientOrderId": numeric_client_id(client_id)}

    async def fetch_by_client_id(self, exchange: Any, client_id: str, symbol: str,
                                 params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        wanted = str(numeric_client_id(client_id))
        for raw in await exchange.fetch_open_orders(symbol):
            if str(raw.get("clientOrderId")) == wanted:
                return raw
        market = exchange.market(symbol)
        history = await exchange.privateGetWapiV1HistoryOrders({"symbol": market["id"], "limit": 1000})
        for row in history or []:
            if str(row.get("clientId")) == wanted:
                return exchange.parse_order(row, market)
        return None

    async def cancel_by_client_id(self, exchange: Any, client_id: str, symbol: str,
                                  params: Mapping[str, Any]) -> Mapping[str, Any]:
        from ccxt.base.errors import ExchangeNotAvailable
        from ccxt.base.errors import OrderNotFound as CcxtOrderNotFound

        try:
            return await exchange.cancel_order("", symbol, {"clientId": numeric_client_id(client_id)})
        except ExchangeNotAvailable as exc:  # Backpack's RESOURCE_NOT_FOUND: not open (filled, cancelled, unknown)
            if "RESOURCE_NOT_FOUND" in str(exc):
                raise CcxtOrderNotFound(str(exc)) from None
            raise
