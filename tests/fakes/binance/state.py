"""The fake exchange's records: orders, algo (conditional) orders, positions and trades.

Each record renders itself in the JSON shape Binance USDⓈ-M answers with (``to_json``), so the
REST handlers and the websocket events stay small. Amounts are ``Decimal``; JSON carries them
as strings, as Binance does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")

OPEN_ORDER_STATUSES = {"NEW", "PARTIALLY_FILLED"}
OPEN_ALGO_STATUSES = {"NEW", "TRIGGERING"}


def s(value: Decimal | None) -> str:
    """A Decimal as Binance prints it: plain notation, no exponent."""
    if value is None:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Order:
    order_id: int
    client_id: str
    symbol: str
    side: str                      # BUY / SELL
    type: str                      # MARKET / LIMIT
    position_side: str             # BOTH / LONG / SHORT
    qty: Decimal
    price: Decimal
    time: int
    tif: str = "GTC"
    reduce_only: bool = False
    close_position: bool = False
    orig_type: str | None = None
    stop_price: Decimal = ZERO
    working_type: str = "CONTRACT_PRICE"
    status: str = "NEW"
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_time: int = 0
    algo_id: int | None = None     # set on the child order of a triggered algo order

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else ZERO

    def to_json(self, with_time: bool = True) -> dict:
        data = {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": s(self.price),
            "avgPrice": s(self.avg_price),
            "origQty": s(self.qty),
            "executedQty": s(self.executed),
            "cumQty": s(self.executed),
            "cumQuote": s(self.cum_quote),
            "timeInForce": self.tif,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": s(self.stop_price),
            "workingType": self.working_type,
            "priceProtect": False,
            "origType": self.orig_type or self.type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0,
            "updateTime": self.update_time or self.time,
        }
        if with_time:
            data["time"] = self.time
        return data


@dataclass
class AlgoOrder:
    algo_id: int
    client_algo_id: str
    symbol: str
    side: str
    position_side: str
    order_type: str                # STOP_MARKET / TAKE_PROFIT_MARKET / STOP / TAKE_PROFIT
    qty: Decimal                   # 0 with closePosition
    trigger_price: Decimal
    price: Decimal
    create_time: int
    tif: str = "GTC"
    working_type: str = "CONTRACT_PRICE"
    reduce_only: bool = False
    close_position: bool = False
    price_protect: bool = False
    status: str = "NEW"
    actual_order_id: int | None = None
    actual_price: Decimal = ZERO
    executed: Decimal = ZERO
    update_time: int = 0
    trigger_time: int = 0
    reject_reason: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ALGO_STATUSES

    @property
    def is_stop(self) -> bool:
        return self.order_type in ("STOP", "STOP_MARKET")

    @property
    def is_market(self) -> bool:
        return self.order_type.endswith("_MARKET")

    def triggered_by(self, price: Decimal) -> bool:
        """Whether ``price`` meets the trigger condition (Binance's rule for each type and side)."""
        rising = (self.side == "BUY") == self.is_stop  # buy stops and sell take-profits fire on the way up
        return price >= self.trigger_price if rising else price <= self.trigger_price

    def to_json(self) -> dict:
        return {
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": self.position_side,
            "timeInForce": self.tif,
            "quantity": s(self.qty),
            "algoStatus": self.status,
            "actualOrderId": "" if self.actual_order_id is None else str(self.actual_order_id),
            "actualPrice": s(self.actual_price),
            "triggerPrice": s(self.trigger_price),
            "price": s(self.price),
            "icebergQuantity": None,
            "tpTriggerPrice": "0.000",
            "tpPrice": "0.000",
            "slTriggerPrice": "0.000",
            "slPrice": "0.000",
            "tpOrderType": "",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": self.price_protect,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": 0,
        }


@dataclass
class Position:
    symbol: str
    position_side: str             # BOTH / LONG / SHORT
    amt: Decimal = ZERO            # signed: negative is short
    entry_price: Decimal = ZERO
    update_time: int = 0

    def unrealized(self, mark: Decimal) -> Decimal:
        return (mark - self.entry_price) * self.amt if self.amt else ZERO


@dataclass
class Trade:
    trade_id: int
    order_id: int
    symbol: str
    side: str
    position_side: str
    price: Decimal
    qty: Decimal
    realized_pnl: Decimal
    commission: Decimal
    maker: bool
    time: int

    def to_json(self) -> dict:
        return {
            "buyer": self.side == "BUY",
            "commission": s(self.commission),
            "commissionAsset": "USDT",
            "id": self.trade_id,
            "maker": self.maker,
            "orderId": self.order_id,
            "price": s(self.price),
            "qty": s(self.qty),
            "quoteQty": s(self.price * self.qty),
            "realizedPnl": s(self.realized_pnl),
            "side": self.side,
            "positionSide": self.position_side,
            "symbol": self.symbol,
            "time": self.time,
        }


@dataclass
class Income:
    tran_id: int
    symbol: str
    income_type: str               # REALIZED_PNL / COMMISSION / TRANSFER
    amount: Decimal
    time: int
    trade_id: str = ""

    def to_json(self) -> dict:
        return {"symbol": self.symbol, "incomeType": self.income_type, "income": s(self.amount),
                "asset": "USDT", "info": self.income_type, "time": self.time,
                "tranId": self.tran_id, "tradeId": self.trade_id}


@dataclass
class SymbolSettings:
    leverage: int = 20
    margin_type: str = "CROSSED"   # CROSSED / ISOLATED


@dataclass
class Ticker:
    last: Decimal
    mark: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal = ZERO
    quote_volume: Decimal = ZERO
    count: int = 0
    funding_rate: Decimal = Decimal("0.0001")
    history: list[tuple[int, Decimal]] = field(default_factory=list)
