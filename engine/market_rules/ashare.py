"""The A-share rules: long only, no leverage, lots of 100 shares (a sell may include the odd
remainder), price step 0.01 CNY, T+1, daily price limits, sessions, statutory costs."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from engine.domain.markets import is_ashare_symbol
from engine.domain.models import MarketSpec
from engine.domain.values import OrderAction
from engine.market_rules.calendar import TradingCalendar

LOT = Decimal(100)
TICK = Decimal("0.01")
COMMISSION = Decimal("0.00025")
COMMISSION_MIN = Decimal(5)
STAMP_DUTY = Decimal("0.0005")  # sells only
TRANSFER_FEE = Decimal("0.00001")

__all__ = ["AShareRules", "ashare_costs", "ashare_spec", "fill_costs", "is_ashare_symbol", "limit_pct"]


def limit_pct(symbol: str, *, st: bool = False) -> Decimal:
    """±20 % for ChiNext (300xxx, 301xxx) and STAR (688xxx), ±5 % for ST stocks, else ±10 %."""
    code = symbol.split(".")[0]
    if code.startswith(("300", "301", "688")):
        return Decimal("0.20")
    return Decimal("0.05") if st else Decimal("0.10")


def ashare_spec(symbol: str) -> MarketSpec:
    """An A-share's spec: 0.01 CNY steps, lots of 100 shares, no leverage."""
    code, _, board = symbol.upper().partition(".")
    return MarketSpec(symbol=f"{code}.{board}", base=code, quote="CNY", price_step=TICK, qty_step=LOT,
                      min_qty=LOT, max_leverage=1, long_only=True)


def to_tick(price: Decimal) -> Decimal:
    return price.quantize(TICK, rounding=ROUND_HALF_UP)


def ashare_costs(symbol: str, action: OrderAction, qty: Decimal, price: Decimal) -> Decimal | None:
    """The A-share costs of a fill (paper and backtests), None for any other symbol."""
    return fill_costs(action, qty, price) if is_ashare_symbol(symbol) else None


def fill_costs(action: OrderAction, qty: Decimal, price: Decimal) -> Decimal:
    """Commission 0.025 % (at least 5 CNY), transfer fee 0.001 %, stamp duty 0.05 % on sells."""
    value = qty * price
    if value <= 0:
        return Decimal(0)
    fee = max(value * COMMISSION, COMMISSION_MIN) + value * TRANSFER_FEE
    if action is OrderAction.SELL:
        fee += value * STAMP_DUTY
    return to_tick(fee)


class AShareRules:
    name = "ashare"
    currency = "CNY"
    long_only = True
    max_leverage = 1
    t_plus = 1
    exchange_stops = False
    lot = LOT
    tick = TICK

    def __init__(self, calendar: TradingCalendar | None = None, st_symbols: frozenset[str] = frozenset()) -> None:
        self.calendar = calendar or TradingCalendar()
        self.st_symbols = st_symbols

    def buy_qty(self, qty: Decimal) -> Decimal:
        return (qty // LOT) * LOT if qty > 0 else Decimal(0)

    def sell_qty(self, qty: Decimal, held: Decimal) -> Decimal:
        """Whole lots, or everything held (the odd remainder goes with the last sell)."""
        if qty >= held:
            return held
        return (qty // LOT) * LOT if qty > 0 else Decimal(0)

    def price_band(self, symbol: str, prev_close: Decimal | None) -> tuple[Decimal, Decimal] | None:
        if prev_close is None or prev_close <= 0:
            return None
        pct = limit_pct(symbol, st=symbol in self.st_symbols)
        return to_tick(prev_close * (1 - pct)), to_tick(prev_close * (1 + pct))

    def is_open(self, ts: datetime) -> bool:
        return self.calendar.is_open(ts)

    def next_open(self, ts: datetime) -> datetime:
        return self.calendar.next_open(ts)

    def costs(self, action: OrderAction, qty: Decimal, price: Decimal) -> Decimal:
        return fill_costs(action, qty, price)

    def marketable_price(self, action: OrderAction, last: Decimal, band: tuple[Decimal, Decimal] | None,
                         slip: Decimal = Decimal("0.005")) -> Decimal:
        """A limit price that crosses at once (``slip`` beyond the last price), kept inside the band."""
        price = to_tick(last * (1 + slip) if action is OrderAction.BUY else last * (1 - slip))
        if band is not None:
            price = min(max(price, band[0]), band[1])
        return price
