"""Protocol dicts (``query_stock_*`` answers) → domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.domain.models import Balance, Fill, OrderStatus, OrderType, VenueOrder, VenuePosition
from engine.domain.values import OrderAction, Side
from engine.qmt import protocol as p

CURRENCY = "CNY"


def dec(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def action_of(order_type: int) -> OrderAction:
    return OrderAction.BUY if int(order_type) == p.STOCK_BUY else OrderAction.SELL


def status_of(raw: dict[str, Any]) -> OrderStatus:
    code = int(raw.get("order_status") or p.ORDER_UNKNOWN)
    if code == p.ORDER_SUCCEEDED:
        return OrderStatus.FILLED
    if code == p.ORDER_JUNK:
        return OrderStatus.REJECTED
    if code in (p.ORDER_CANCELED, p.ORDER_PART_CANCEL):
        return OrderStatus.CANCELLED
    return OrderStatus.OPEN


def venue_order(raw: dict[str, Any], client_id: str | None = None) -> VenueOrder:
    traded = dec(raw.get("traded_volume"))
    return VenueOrder(client_id=client_id or str(raw.get("order_remark") or f"venue-{raw.get('order_id')}"),
                      symbol=str(raw.get("stock_code")), status=status_of(raw),
                      exchange_id=str(raw.get("order_id")), action=action_of(raw.get("order_type") or 0),
                      type=OrderType.LIMIT if int(raw.get("price_type") or 0) == p.FIX_PRICE else OrderType.MARKET,
                      qty=dec(raw.get("order_volume")), price=dec(raw.get("price")) or None, filled_qty=traded,
                      avg_price=dec(raw.get("traded_price")) if traded > 0 else None)


def trade_time(raw: dict[str, Any], now: datetime) -> datetime:
    value = raw.get("traded_time")
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    return now


def fill(raw: dict[str, Any], client_id: str, fee: Decimal, now: datetime) -> Fill:
    return Fill(trade_id=str(raw.get("traded_id")), client_id=client_id, symbol=str(raw.get("stock_code")),
                action=action_of(raw.get("order_type") or 0), qty=dec(raw.get("traded_volume")),
                price=dec(raw.get("traded_price")), fee=fee, ts=trade_time(raw, now))


def position(raw: dict[str, Any]) -> VenuePosition | None:
    qty = dec(raw.get("volume"))
    if qty <= 0:
        return None
    price = dec(raw.get("avg_price")) or dec(raw.get("open_price"))
    value = dec(raw.get("market_value"))
    return VenuePosition(symbol=str(raw.get("stock_code")), side=Side.LONG, qty=qty, entry_price=price,
                         leverage=1, unrealized_pnl=value - qty * price if value else Decimal(0))


def balance(raw: dict[str, Any]) -> Balance:
    cash = dec(raw.get("cash"))
    total = dec(raw.get("total_asset"))
    return Balance(currency=CURRENCY, wallet=cash + dec(raw.get("frozen_cash")), equity=total, free=cash)
