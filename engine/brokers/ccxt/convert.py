"""ccxt's unified dicts (markets, orders, trades, positions) turned into engine domain values.

Numbers go through ``dec`` (floats by their repr), so prices and quantities stay exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.domain.models import Fill, MarketSpec, OrderStatus, OrderType, VenueOrder, VenuePosition
from engine.domain.values import ZERO, OrderAction, Side, dec, from_millis

DECIMAL_PLACES = 2  # ccxt precision modes
SIGNIFICANT_DIGITS = 3
TICK_SIZE = 4

_STATUS = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def _d(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return dec(value)


def step_of(value: Any, precision_mode: int) -> Decimal:
    """A tick or lot size from ccxt's market precision, whatever the exchange's precision mode."""
    if value is None:
        return ZERO
    if precision_mode == TICK_SIZE:
        return dec(value)
    return Decimal(1).scaleb(-int(value))  # decimal places (significant digits treated alike)


def market_spec(market: Mapping[str, Any], precision_mode: int, max_leverage: int | None = None) -> MarketSpec:
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    amount = limits.get("amount") or {}
    cost = limits.get("cost") or {}
    leverage = (limits.get("leverage") or {}).get("max")
    lev = max_leverage or (int(leverage) if leverage else 125)
    return MarketSpec(
        symbol=market["symbol"],
        base=market.get("base") or "",
        quote=market.get("quote") or "",
        price_step=step_of(precision.get("price"), precision_mode),
        qty_step=step_of(precision.get("amount"), precision_mode),
        min_qty=_d(amount.get("min")) or ZERO,
        min_notional=_d(cost.get("min")) or ZERO,
        max_leverage=lev,
    )


def find_market(markets: Mapping[str, Any], markets_by_id: Mapping[str, Any] | None, symbol: str,
                settle: str) -> Mapping[str, Any] | None:
    """The market for ``BTC/USDT:USDT``, ``BTC/USDT`` (settled in ``settle``) or the venue id ``BTCUSDT``."""
    for candidate in (symbol, f"{symbol}:{settle}"):
        if candidate in markets:
            return markets[candidate]
    found = (markets_by_id or {}).get(symbol.replace("/", ""))
    if isinstance(found, list) and found:
        return found[0]
    return None


def order_type(raw: Mapping[str, Any]) -> OrderType | None:
    kind = (raw.get("type") or "").lower()
    info = raw.get("info") or {}
    native = str(info.get("orderType") or info.get("origType") or info.get("type") or info.get("o") or "").upper()
    if "TAKE_PROFIT" in native or kind.startswith("take_profit"):
        return OrderType.TAKE_PROFIT
    if "STOP" in native or kind.startswith("stop"):
        return OrderType.STOP_MARKET
    if kind == "market":
        return OrderType.MARKET
    if kind == "limit":
        return OrderType.LIMIT
    return None


def venue_order(raw: Mapping[str, Any], client_id: str | None = None) -> VenueOrder:
    """A ccxt order dict as a ``VenueOrder`` (``client_id`` overrides the one in ``raw``)."""
    status = _STATUS.get(str(raw.get("status") or "open"), OrderStatus.OPEN)
    filled = _d(raw.get("filled")) or ZERO
    amount = _d(raw.get("amount")) or ZERO
    if status is OrderStatus.CANCELLED and filled > 0 and filled >= amount > 0:
        status = OrderStatus.FILLED
    side = raw.get("side")
    average = _d(raw.get("average"))
    return VenueOrder(
        client_id=client_id or str(raw.get("clientOrderId") or ""),
        symbol=str(raw.get("symbol") or ""),
        status=status,
        exchange_id=None if raw.get("id") is None else str(raw["id"]),
        action=OrderAction(side) if side in ("buy", "sell") else None,
        type=order_type(raw),
        qty=amount,
        price=_d(raw.get("price")) or None,
        trigger_price=_d(raw.get("triggerPrice")) or _d(raw.get("stopPrice")) or None,
        reduce_only=bool(raw.get("reduceOnly")),
        filled_qty=filled,
        avg_price=average if average else None,
    )


def trade_key(raw: Mapping[str, Any]) -> str:
    """A trade id unique across symbols (Binance numbers trades per symbol)."""
    return f"{raw.get('symbol')}#{raw.get('id')}"


def fill(raw: Mapping[str, Any], client_id: str) -> Fill:
    fee = raw.get("fee") or {}
    fees = raw.get("fees") or []
    fee_cost = _d(fee.get("cost")) if fee else None
    if fee_cost is None and fees:
        fee_cost = sum((_d(f.get("cost")) or ZERO for f in fees), ZERO)
    ts = raw.get("timestamp")
    return Fill(
        trade_id=trade_key(raw),
        client_id=client_id,
        symbol=str(raw.get("symbol")),
        action=OrderAction(str(raw.get("side"))),
        qty=_d(raw.get("amount")) or ZERO,
        price=_d(raw.get("price")) or ZERO,
        fee=fee_cost or ZERO,
        ts=from_millis(int(ts or 0)),
        is_maker=raw.get("takerOrMaker") == "maker",
    )


def venue_position(raw: Mapping[str, Any]) -> VenuePosition | None:
    """None for a flat position (ccxt lists every symbol on some venues)."""
    contracts = _d(raw.get("contracts")) or ZERO
    size = contracts * (_d(raw.get("contractSize")) or Decimal(1))
    if size == 0:
        return None
    side_text = raw.get("side")
    if side_text not in ("long", "short"):
        side_text = "long" if size > 0 else "short"
    leverage = raw.get("leverage")
    return VenuePosition(
        symbol=str(raw.get("symbol")),
        side=Side(side_text),
        qty=abs(size),
        entry_price=_d(raw.get("entryPrice")) or ZERO,
        leverage=int(float(leverage)) if leverage else 1,
        liquidation_price=_d(raw.get("liquidationPrice")) or None,
        unrealized_pnl=_d(raw.get("unrealizedPnl")) or ZERO,
    )
