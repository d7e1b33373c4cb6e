"""Paper venue order validation: lot and tick precision, minimums and leverage, as Binance rejects them."""

from __future__ import annotations

from decimal import Decimal

from engine.brokers.errors import InvalidOrder
from engine.domain.models import MarketSpec, OrderRequest, OrderType
from engine.domain.values import ONE, ZERO


def on_step(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or value % step == 0


def validate(req: OrderRequest, spec: MarketSpec, *, reduces: bool, leverage: int, mark: Decimal | None,
             mm: Decimal) -> Decimal:
    """Every placement check in the venue's order; returns the price the order is judged at."""
    check_shape(req, spec)
    if req.reduce_only and not reduces:
        raise InvalidOrder(f"reduce-only {req.action.value} would not reduce a {req.symbol} position",
                           venue_code="reduce_only")
    if not req.reduce_only:  # an exit is never refused over leverage
        check_leverage(req.symbol, leverage, spec, mm)
    reference = reference_price(req, mark)
    check_notional(req, spec, reference)
    return reference


def check_shape(req: OrderRequest, spec: MarketSpec) -> None:
    """Everything that can be judged from the request and the market alone."""
    if req.qty <= 0:
        raise InvalidOrder(f"quantity {req.qty} must be positive", venue_code="min_qty")
    if not on_step(req.qty, spec.qty_step):
        raise InvalidOrder(f"quantity {req.qty} is not a multiple of the lot size {spec.qty_step} "
                           f"for {req.symbol}", venue_code="precision")
    if req.qty < spec.min_qty:
        raise InvalidOrder(f"quantity {req.qty} is below the minimum {spec.min_qty} for {req.symbol}",
                           venue_code="min_qty")
    for label, value in (("price", req.price), ("trigger price", req.trigger_price)):
        if value is None:
            continue
        if value <= 0:
            raise InvalidOrder(f"{label} {value} must be positive", venue_code="precision")
        if not on_step(value, spec.price_step):
            raise InvalidOrder(f"{label} {value} is not on the tick size {spec.price_step} for {req.symbol}",
                               venue_code="precision")
    if req.type is OrderType.LIMIT and req.price is None:
        raise InvalidOrder("a limit order needs a price", venue_code="missing_price")
    if req.type is OrderType.TAKE_PROFIT and req.price is None and req.trigger_price is None:
        raise InvalidOrder("a take-profit order needs a price", venue_code="missing_price")
    if req.type is OrderType.STOP_MARKET and req.trigger_price is None:
        raise InvalidOrder("a stop-market order needs a trigger price", venue_code="missing_price")
    if req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT) and not req.reduce_only:
        raise InvalidOrder(f"the paper venue takes {req.type.value} orders only as reduce-only exits",
                           venue_code="reduce_only_required")


def reference_price(req: OrderRequest, mark: Decimal | None) -> Decimal:
    """The price an order is judged at: the mark for a market order, else its trigger or limit."""
    if req.type is OrderType.MARKET:
        if mark is None:
            raise InvalidOrder(f"no price for {req.symbol} yet", venue_code="no_price")
        return mark
    level = req.trigger_price if req.type is OrderType.STOP_MARKET else req.price
    level = level if level is not None else req.trigger_price
    assert level is not None  # check_shape made sure
    return level


def check_notional(req: OrderRequest, spec: MarketSpec, price: Decimal) -> None:
    """Minimum notional at the order's reference price; reduce-only orders are exempt (as on Binance)."""
    if req.reduce_only or spec.min_notional <= 0:
        return
    notional = req.qty * price
    if notional < spec.min_notional:
        raise InvalidOrder(f"order value {notional} is below the minimum {spec.min_notional} for {req.symbol}",
                           venue_code="min_notional")


def check_leverage(symbol: str, leverage: int, spec: MarketSpec, mm: Decimal) -> None:
    """1..max leverage, and low enough that the liquidation price is not past the entry."""
    if not 1 <= leverage <= spec.max_leverage:
        raise InvalidOrder(f"leverage {leverage} is outside 1..{spec.max_leverage} for {symbol}",
                           venue_code="leverage")
    if mm > ZERO and ONE / Decimal(leverage) <= mm:
        raise InvalidOrder(f"leverage {leverage} leaves less margin than the maintenance margin for {symbol}",
                           venue_code="leverage")
