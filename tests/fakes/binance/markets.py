"""The fake exchange's instruments: filters, precision and leverage brackets per symbol.

``SymbolSpec`` describes one USDⓈ-M perpetual; ``DEFAULT_SYMBOLS`` are BTCUSDT, ETHUSDT and
XRPUSDT with filters close to Binance's. ``exchange_info`` renders them the way
``GET /fapi/v1/exchangeInfo`` does, which is what ccxt's ``load_markets`` parses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
               "TRAILING_STOP_MARKET"]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]


@dataclass(frozen=True)
class Bracket:
    initial_leverage: int
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal = Decimal("0")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base: str
    price: Decimal                 # initial last / mark price
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_leverage: int = 125
    quote: str = "USDT"
    min_price: Decimal = Decimal("0.0001")
    max_price: Decimal = Decimal("10000000")
    brackets: tuple[Bracket, ...] = field(default=())

    @property
    def price_precision(self) -> int:
        return _decimals(self.tick_size)

    @property
    def quantity_precision(self) -> int:
        return _decimals(self.step_size)

    def leverage_brackets(self) -> tuple[Bracket, ...]:
        if self.brackets:
            return self.brackets
        top = self.max_leverage
        return (
            Bracket(top, Decimal("0"), Decimal("50000"), Decimal("0.004")),
            Bracket(max(1, top // 2), Decimal("50000"), Decimal("500000"), Decimal("0.01"), Decimal("300")),
            Bracket(max(1, top // 5), Decimal("500000"), Decimal("10000000"), Decimal("0.025"),
                    Decimal("7800")),
        )


def _decimals(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("BTCUSDT", "BTC", Decimal("60000"), Decimal("0.10"), Decimal("0.001"), Decimal("0.001"),
               Decimal("1000"), Decimal("120"), Decimal("100"), max_leverage=125,
               min_price=Decimal("261.10"), max_price=Decimal("809484")),
    SymbolSpec("ETHUSDT", "ETH", Decimal("3000"), Decimal("0.01"), Decimal("0.001"), Decimal("0.001"),
               Decimal("10000"), Decimal("2000"), Decimal("20"), max_leverage=100,
               min_price=Decimal("39.86"), max_price=Decimal("306177")),
    SymbolSpec("XRPUSDT", "XRP", Decimal("0.6000"), Decimal("0.0001"), Decimal("0.1"), Decimal("0.1"),
               Decimal("10000000"), Decimal("2000000"), Decimal("5"), max_leverage=75,
               min_price=Decimal("0.0143"), max_price=Decimal("100000")),
)


def symbol_info(spec: SymbolSpec) -> dict:
    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": spec.quote,
        "pricePrecision": spec.price_precision,
        "quantityPrecision": spec.quantity_precision,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": _plain(spec.min_price),
             "maxPrice": _plain(spec.max_price), "tickSize": _plain(spec.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": _plain(spec.min_qty), "maxQty": _plain(spec.max_qty),
             "stepSize": _plain(spec.step_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": _plain(spec.min_qty),
             "maxQty": _plain(spec.market_max_qty), "stepSize": _plain(spec.step_size)},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": _plain(spec.min_notional)},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
             "multiplierDecimal": "4"},
        ],
        "orderTypes": list(ORDER_TYPES),
        "timeInForce": list(TIME_IN_FORCE),
        "permissionSets": ["GRID", "COPY"],
    }


def exchange_info(specs: list[SymbolSpec], server_time: int, requests_per_minute: int) -> dict:
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": requests_per_minute},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [symbol_info(spec) for spec in specs],
    }


def bracket_info(spec: SymbolSpec) -> dict:
    return {
        "symbol": spec.symbol,
        "brackets": [
            {"bracket": i + 1, "initialLeverage": b.initial_leverage, "notionalCap": int(b.notional_cap),
             "notionalFloor": int(b.notional_floor), "maintMarginRatio": float(b.maint_margin_ratio),
             "cum": float(b.cum)}
            for i, b in enumerate(spec.leverage_brackets())
        ],
    }
