"""``Venue``: what one exchange can do through ccxt's unified API, and its small quirks.

The generic ``CcxtBroker`` asks its venue instead of testing exchange names. A new exchange is
a file in this folder with a ``Venue`` subclass that sets a few flags and overrides a method or
two (freqtrade's per-exchange classes, without their size).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from engine.domain.models import Balance, OrderRequest, OrderType
from engine.domain.values import ZERO, dec


class Venue:
    """Generic ccxt venue: unified params only. Subclasses override flags and hooks."""

    name: ClassVar[str] = "generic"
    ccxt_id: ClassVar[str] = ""
    ccxt_options: ClassVar[Mapping[str, Any]] = {}
    timeout_ms: ClassVar[int] = 10_000
    settle: ClassVar[str] = "USDT"
    tested: ClassVar[bool] = False  # exercised by our tests against a fake of the venue

    # --- capabilities --------------------------------------------------------------------
    position_mode: ClassVar[bool] = True  # fetch/set one-way vs hedge mode
    margin_mode: ClassVar[bool] = True  # set isolated margin per symbol
    leverage_per_symbol: ClassVar[bool] = True  # set_leverage per symbol (else the account's leverage)
    leverage_tiers: ClassVar[bool] = True  # fetch_leverage_tiers for every symbol in one call
    conditional_params: ClassVar[Mapping[str, Any]] = {}  # params that list/fetch/cancel trigger orders
    separate_conditional_book: ClassVar[bool] = False  # trigger orders need conditional_params to be seen
    take_profit_style: ClassVar[str] = "market"  # "market": take-profit-market; "limit": reduce-only limit
    websocket: ClassVar[bool] = True  # ccxt.pro watch_* available
    liquidation_ids: ClassVar[tuple[str, ...]] = ()  # client-id prefixes of the venue's forced closes
    max_leverage: ClassVar[int] = 125
    resting_stops: ClassVar[bool] = True  # a reduce-only stop can rest on the venue (else the engine closes)

    # --- orders ----------------------------------------------------------------------------
    def is_conditional(self, order_type: OrderType | None) -> bool:
        if order_type is OrderType.STOP_MARKET:
            return True
        return order_type is OrderType.TAKE_PROFIT and self.take_profit_style == "market"

    def order_args(self, req: OrderRequest, qty: Decimal, price: Decimal | None,
                   trigger: Decimal | None) -> tuple[str, float | None, dict[str, Any]]:
        """(ccxt type, price, params) for ``create_order``; the amount is ``qty``."""
        params: dict[str, Any] = self.client_param(req.client_id)
        if req.reduce_only or req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT):
            params["reduceOnly"] = True
        if req.type is OrderType.MARKET:
            return "market", None, params
        if req.type is OrderType.LIMIT:
            params["timeInForce"] = "GTC"
            return "limit", _f(price), params
        if req.type is OrderType.STOP_MARKET:
            params["stopLossPrice"] = _f(trigger)
            return "market", None, params
        if self.take_profit_style == "market":
            params["takeProfitPrice"] = _f(trigger)
            return "market", None, params
        params["timeInForce"] = "GTC"
        return "limit", _f(price), params

    def client_param(self, client_id: str) -> dict[str, Any]:
        """How the venue takes our client order id (a string here; a number on some venues)."""
        return {"clientOrderId": client_id}

    async def fetch_by_client_id(self, exchange: Any, client_id: str, symbol: str,
                                 params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The ccxt order with our client id, None when the venue does not know it (raises on errors)."""
        from ccxt.base.errors import OrderNotFound as CcxtOrderNotFound

        try:
            return await exchange.fetch_order("", symbol, {**self.client_param(client_id), **params})
        except CcxtOrderNotFound:
            return None

    async def cancel_by_client_id(self, exchange: Any, client_id: str, symbol: str,
                                  params: Mapping[str, Any]) -> Mapping[str, Any]:
        """Cancel by our client id; raises ccxt's ``OrderNotFound`` when it is not open."""
        return await exchange.cancel_order("", symbol, {**self.client_param(client_id), **params})

    def child_order_id(self, raw: Mapping[str, Any]) -> str | None:
        """Exchange id of the order a triggered conditional order became (None if the same)."""
        return None

    def conditional_filled(self, raw: Mapping[str, Any]) -> Decimal | None:
        """How much a triggered conditional order has filled, when the venue says so."""
        filled = raw.get("filled")
        return dec(filled) if filled else None

    def is_conditional_raw(self, raw: Mapping[str, Any]) -> bool:
        """Whether a ccxt order dict describes a conditional (trigger) order."""
        return raw.get("triggerPrice") is not None

    # --- account ---------------------------------------------------------------------------
    def balance_from(self, raw: Mapping[str, Any]) -> Balance:
        cur = raw.get(self.settle) or {}
        total = dec(cur.get("total") or 0)
        free = dec(cur.get("free") or 0)
        return Balance(currency=self.settle, wallet=total, equity=total, free=free)

    def use_wallet(self, exchange: Any, wallet: str | None) -> None:
        """Set up a client signing with a wallet private key (``SP_..._PRIVATE_KEY``)."""
        from engine.brokers.errors import BrokerError

        raise BrokerError(f"{self.name} signs with an API key and secret, not a wallet private key")

    def after_base_url(self, exchange: Any, base: str) -> None:
        """Adjust a client whose hosts were replaced (``SP_EXCHANGE__BASE_URL``)."""

    async def key_permissions(self, exchange: Any) -> Mapping[str, bool] | None:
        """What the API key may do (``reading``, ``futures``, ``withdrawals``); None when the venue
        does not say. Used by ``signalpilot check --online`` only."""
        return None


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


__all__ = ["Venue", "ZERO"]
