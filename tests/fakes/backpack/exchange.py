"""The fake Backpack's account: perpetual markets, one USDC collateral balance, orders, net positions and
fills, in Backpack's own JSON shapes. Market orders fill at the last price; limit orders fill at once when
marketable, else rest until ``set_price`` crosses them; reduce-only orders never grow a position."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


class VenueError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Market:
    symbol: str  # SOL_USDC_PERP
    base: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    price: Decimal

    def json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "baseSymbol": self.base, "quoteSymbol": "USDC", "marketType": "PERP",
                "orderBookState": "Open", "createdAt": "2024-01-01T00:00:00",
                "filters": {"price": {"tickSize": str(self.tick), "minPrice": str(self.tick), "maxPrice": "1000000"},
                            "quantity": {"stepSize": str(self.step), "minQuantity": str(self.min_qty),
                                         "maxQuantity": "1000000"}}}


@dataclass
class Order:
    id: str
    client_id: int | None
    symbol: str
    side: str  # Bid / Ask
    kind: str  # Market / Limit
    qty: Decimal
    price: Decimal | None
    reduce_only: bool
    created: int
    status: str = "New"
    filled: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "clientId": self.client_id, "symbol": self.symbol, "side": self.side,
                "orderType": self.kind, "quantity": str(self.qty), "executedQuantity": str(self.filled),
                "executedQuoteQuantity": str(self.quote), "price": None if self.price is None else str(self.price),
                "status": self.status, "reduceOnly": self.reduce_only, "timeInForce": "GTC",
                "createdAt": self.created, "selfTradePrevention": "RejectTaker", "postOnly": False}


@dataclass
class Book:
    markets: dict[str, Market]
    collateral: Decimal
    taker_fee: Decimal = Decimal("0.0004")
    maker_fee: Decimal = Decimal("0.0002")
    orders: dict[str, Order] = field(default_factory=dict)
    positions: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # symbol → (signed qty, entry)
    fills: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    refuse: str | None = None  # every new order is refused with this code (e.g. INSUFFICIENT_MARGIN)

    def now(self) -> int:
        return int(datetime.now(UTC).timestamp() * 1000)

    def market(self, symbol: str) -> Market:
        if symbol not in self.markets:
            raise VenueError("INVALID_SYMBOL", f"unknown symbol {symbol}")
        return self.markets[symbol]

    # --- orders ----------------------------------------------------------------------------------
    def execute(self, body: dict[str, Any]) -> Order:
        m = self.market(str(body.get("symbol")))
        if self.refuse:
            raise VenueError(self.refuse, "order refused")
        side, kind = str(body.get("side")), str(body.get("orderType"))
        if side not in ("Bid", "Ask") or kind not in ("Market", "Limit"):
            raise VenueError("INVALID_ORDER", f"unsupported order {side} {kind}")
        if "triggerPrice" in body or "triggerQuantity" in body:
            raise VenueError("INVALID_ORDER", "trigger orders are not served by this fake")
        qty = Decimal(str(body.get("quantity")))
        if qty < m.min_qty or (qty / m.step) != (qty / m.step).to_integral_value():
            raise VenueError("INVALID_QUANTITY", f"quantity {qty} (step {m.step}, min {m.min_qty})")
        client = body.get("clientId")
        if client is not None:
            client = int(client)
            if any(o.client_id == client and o.status == "New" for o in self.orders.values()):
                raise VenueError("INVALID_CLIENT_REQUEST", "duplicate client id of an open order")
        price = Decimal(str(body["price"])) if body.get("price") is not None else None
        reduce = str(body.get("reduceOnly")).lower() == "true"
        if reduce:
            pos = self.positions.get(m.symbol, (Decimal(0), Decimal(0)))[0]
            if pos == 0 or (pos > 0) == (side == "Bid") or qty > abs(pos):
                raise VenueError("INVALID_ORDER", "reduce-only order would increase the position")
        self.seq += 1
        order = Order(str(110_000_000 + self.seq), client, m.symbol, side, kind, qty, price, reduce, self.now())
        self.orders[order.id] = order
        if kind == "Market" or self._crosses(order, m.price):
            self._fill(order, m.price if kind == "Market" else min(m.price, price) if side == "Bid"  # type: ignore[type-var]
                       else max(m.price, price), maker=False)  # type: ignore[type-var]
        return order

    @staticmethod
    def _crosses(order: Order, price: Decimal) -> bool:
        assert order.price is not None
        return price <= order.price if order.side == "Bid" else price >= order.price

    def _fill(self, order: Order, price: Decimal, maker: bool) -> None:
        qty = order.qty - order.filled
        sign = 1 if order.side == "Bid" else -1
        held, entry = self.positions.get(order.symbol, (Decimal(0), Decimal(0)))
        new = held + sign * qty
        if held == 0 or (held > 0) == (sign > 0):
            entry = (abs(held) * entry + qty * price) / abs(new)
        else:
            self.collateral += (price - entry) * min(qty, abs(held)) * (1 if held > 0 else -1)
            if new != 0 and (new > 0) != (held > 0):
                entry = price
        if new == 0:
            self.positions.pop(order.symbol, None)
        else:
            self.positions[order.symbol] = (new, entry)
        fee = (price * qty * (self.maker_fee if maker else self.taker_fee)).quantize(Decimal("0.00000001"))
        self.collateral -= fee
        order.filled, order.quote, order.status = order.qty, order.quote + price * qty, "Filled"
        self.fills.append({"tradeId": len(self.fills) + 1, "orderId": order.id, "clientId": order.client_id,
                           "symbol": order.symbol, "side": order.side, "price": str(price), "quantity": str(qty),
                           "fee": str(fee), "feeSymbol": "USDC", "isMaker": maker,
                           "timestamp": datetime.fromtimestamp(self.now() / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")})
        if order.reduce_only or new == 0:  # a flat position takes its resting reduce-only orders with it
            for other in self.orders.values():
                if other.symbol == order.symbol and other.status == "New" and other.reduce_only and new == 0:
                    other.status = "Cancelled"

    def set_price(self, symbol: str, price: Decimal) -> None:
        m = self.market(symbol)
        m.price = price
        for order in [o for o in self.orders.values() if o.symbol == symbol and o.status == "New"]:
            if order.status == "New" and self._crosses(order, price):
                self._fill(order, order.price, maker=True)  # type: ignore[arg-type]

    def find(self, symbol: str, order_id: str | None, client_id: str | None) -> Order | None:
        for order in self.orders.values():
            if order.symbol != symbol:
                continue
            if (order_id and order.id == order_id) or (client_id and str(order.client_id) == client_id):
                return order
        return None

    def cancel(self, symbol: str, order_id: str | None, client_id: str | None) -> Order:
        order = self.find(symbol, order_id, client_id)
        if order is None or order.status != "New":
            raise VenueError("RESOURCE_NOT_FOUND", "Order not found", 404)
        order.status = "Cancelled"
        return order

    # --- account ---------------------------------------------------------------------------------
    def position_json(self) -> list[dict[str, Any]]:
        out = []
        for symbol, (qty, entry) in self.positions.items():
            mark = self.markets[symbol].price
            out.append({"symbol": symbol, "positionId": f"pos-{symbol}", "entryPrice": str(entry),
                        "markPrice": str(mark), "netCost": str(qty * entry), "netQuantity": str(qty),
                        "netExposureQuantity": str(abs(qty)), "netExposureNotional": str(abs(qty) * mark),
                        "pnlUnrealized": str((mark - entry) * qty), "pnlRealized": "0",
                        "estLiquidationPrice": "0", "imf": "0.02", "mmf": "0.0125"})
        return out
