"""Request checks Binance applies before an order reaches matching: filters, precision, ids.

Pure functions over a ``SymbolSpec`` that raise ``BinanceError`` with the venue's code.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from . import errors
from .markets import SymbolSpec

_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


def decimal_param(params: dict, name: str, required: bool = True) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise errors.mandatory(name)
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise errors.bad_param(name) from exc
    if not value.is_finite():
        raise errors.bad_param(name)
    return value


def bool_param(params: dict, name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    text = str(raw).lower()
    if text not in ("true", "false"):
        raise errors.bad_param(name)
    return text == "true"


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def check_quantity(spec: SymbolSpec, qty: Decimal, market: bool) -> None:
    if qty <= 0:
        raise errors.qty_below_zero()
    if _places(qty) > spec.quantity_precision:
        raise errors.precision()
    if qty % spec.step_size != 0:
        raise errors.qty_step()
    if qty < spec.min_qty:
        raise errors.lot_size()
    if qty > (spec.market_max_qty if market else spec.max_qty):
        raise errors.qty_above_max()


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    if price <= 0:
        raise errors.bad_param("price")
    if _places(price) > spec.price_precision:
        raise errors.precision()
    if price % spec.tick_size != 0:
        raise errors.price_tick()
    if price < spec.min_price or price > spec.max_price:
        raise errors.BinanceError(-4016, "Price higher than max price." if price > spec.max_price
                                  else "Price less than min price.")


def check_notional(spec: SymbolSpec, qty: Decimal, price: Decimal, reduce_only: bool) -> None:
    if reduce_only:
        return
    if qty * price < spec.min_notional:
        raise errors.notional_too_small(format(spec.min_notional.normalize(), "f"))


def check_client_id(client_id: str | None) -> None:
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise errors.bad_client_id()


def check_position_side(hedge: bool, position_side: str) -> None:
    if position_side not in ("BOTH", "LONG", "SHORT"):
        raise errors.bad_param("positionSide")
    if hedge != (position_side != "BOTH"):
        raise errors.position_side_mismatch()


def check_side(side: str | None) -> str:
    if side not in ("BUY", "SELL"):
        raise errors.bad_param("side") if side else errors.mandatory("side")
    return side
