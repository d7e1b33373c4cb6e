"""Engine codes (reasons, modes, states, close reasons, factor names) turned into words.

Each table maps a code to a lazy translation; ``word(table, code)`` renders it in the
current language and falls back to the code itself for anything new.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot import format as fmt
from engine.domain.ids import ClientOrderId
from engine.domain.models import CloseReason
from engine.domain.reasons import ErrorCode, ExecutionMode, PauseReason, RejectReason, TradingState
from engine.domain.values import Side

REJECT = {
    RejectReason.MAX_POSITIONS: __("the maximum number of open positions is reached"),
    RejectReason.SYMBOL_BUSY: __("a position on this symbol is already open"),
    RejectReason.MAX_NOTIONAL: __("the position would exceed the notional cap"),
    RejectReason.MAX_LEVERAGE: __("the leverage is above the cap"),
    RejectReason.DAILY_LOSS: __("the daily loss limit is reached"),
    RejectReason.MAX_DRAWDOWN: __("the maximum drawdown is reached"),
    RejectReason.ORDER_RATE: __("too many orders in the last minute"),
    RejectReason.MIN_QTY: __("the quantity is below the market minimum"),
    RejectReason.MIN_NOTIONAL: __("the order value is below the market minimum"),
    RejectReason.INSUFFICIENT_MARGIN: __("not enough free margin"),
    RejectReason.PAUSED: __("trading is paused"),
    RejectReason.HALTED: __("trading is halted"),
    RejectReason.SIGNAL_EXPIRED: __("the signal has expired"),
    RejectReason.SIGNAL_NOT_FOUND: __("the signal was not found"),
    RejectReason.SIGNAL_CLOSED: __("the signal was already handled"),
    RejectReason.PRICE_DRIFT: __("the price moved too far since the signal"),
    RejectReason.INVALID_PLAN: __("the trade plan is invalid"),
    RejectReason.NO_PRICE: __("there is no current price"),
    RejectReason.LONG_ONLY: __("this market is long only: no short entries"),
}

PAUSE = {
    PauseReason.MANUAL: __("paused by hand"),
    PauseReason.DAILY_LOSS: __("daily loss limit reached"),
    PauseReason.MAX_DRAWDOWN: __("maximum drawdown reached"),
    PauseReason.PANIC: __("panic"),
    PauseReason.AUTH_ERROR: __("the exchange refused the API keys"),
}

STATE = {
    TradingState.ACTIVE: __("active"),
    TradingState.PAUSED: __("paused"),
    TradingState.HALTED: __("halted"),
}

MODE = {
    ExecutionMode.SIGNAL_ONLY: __("signal-only"),
    ExecutionMode.CONFIRM: __("confirm"),
    ExecutionMode.AUTO: __("auto"),
}

ERROR = {
    ErrorCode.EXCHANGE_REJECTED: __("the exchange rejected an order"),
    ErrorCode.STOP_NOT_PLACED: __("the stop order could not be placed"),
    ErrorCode.RECONCILED: __("the exchange state differed and was reconciled"),
    ErrorCode.AUTH: __("the exchange refused the API keys"),
    ErrorCode.INSUFFICIENT_FUNDS: __("insufficient funds on the exchange"),
    ErrorCode.NETWORK: __("the exchange cannot be reached"),
    ErrorCode.INTERNAL: __("internal error"),
    ErrorCode.MARKET_RULE: __("the market's rules hold an exit back"),
}

CLOSE = {
    CloseReason.TARGET: __("target"),
    CloseReason.STOP: __("stop"),
    CloseReason.BREAKEVEN: __("breakeven stop"),
    CloseReason.TRAILING: __("trailing stop"),
    CloseReason.TIME: __("time exit"),
    CloseReason.MANUAL: __("closed by hand"),
    CloseReason.PANIC: __("panic"),
    CloseReason.LIQUIDATION: __("liquidation"),
    CloseReason.END: __("end of data"),
    CloseReason.EXTERNAL: __("closed outside the bot"),
}

CLOSE_FAIL = {
    "not_found": __("no such position"),
    "not_open": __("the position is not open"),
}

FACTOR = {
    "ema_trend": __("trend"),
    "adx": __("trend strength"),
    "rsi": __("RSI"),
    "macd": __("MACD"),
    "obv_slope": __("OBV"),
    "funding": __("funding"),
    "atr_pct": __("volatility"),
    "bb_width": __("Bollinger width"),
    "volume_z": __("volume"),
    "liquidity": __("liquidity"),
}

# Extra facts for a refusal, from RiskRejected.detail / ConfirmResult.detail (values, never prose).
REJECT_DETAIL = {
    RejectReason.MAX_POSITIONS: __("limit {limit}"),
    RejectReason.SYMBOL_BUSY: __("{symbol}"),
    RejectReason.MAX_LEVERAGE: __("{leverage}× against a cap of {limit}×"),
    RejectReason.DAILY_LOSS: __("limit {limit_pct}%"),
    RejectReason.MAX_DRAWDOWN: __("drawdown {drawdown_pct}%, limit {limit_pct}%"),
    RejectReason.ORDER_RATE: __("limit {limit} per minute"),
    RejectReason.MAX_NOTIONAL: __("cap {limit}"),
    RejectReason.MIN_QTY: __("{qty} below the minimum {min_qty}"),
    RejectReason.MIN_NOTIONAL: __("{notional} below the minimum {min_notional}"),
    RejectReason.INSUFFICIENT_MARGIN: __("needs {margin}, free {free}"),
}

ORDER_LEG = {
    "en": __("entry"),
    "sl": __("stop"),
    "tp1": "TP1",
    "tp2": "TP2",
    "tp3": "TP3",
    "cl": __("close"),
}


def order_leg(client_id: str) -> str:
    """The leg of one of our orders from its client id (``sp-<position>-<leg>-<attempt>``), in words."""
    parsed = ClientOrderId.parse(client_id)
    return word(ORDER_LEG, parsed.leg) if parsed else ""


SETTING = {
    "execution_mode": __("Mode"),
    "min_score": __("Minimum score"),
    "max_leverage": __("Leverage cap"),
    "risk_per_trade_pct": __("Risk per trade, %"),
    "max_positions": __("Max positions"),
    "scan_interval_min": __("Scan interval, min"),
    "chart_theme": __("Chart theme"),
}


def word(table: Mapping[Any, object], code: object) -> str:
    """The translated word for ``code``, or the code itself when the table has none."""
    if code is None:
        return ""
    found = table.get(code)
    if found is None and isinstance(code, str):
        found = table.get(code.lower())
    return str(found) if found is not None else str(code)


MONEY_DETAIL = frozenset({"margin", "free", "notional", "min_notional"})  # amounts of the quote currency


def _detail_values(reason: object, detail: Mapping[str, str], currency: str) -> dict[str, str]:
    """Amounts in a refusal's detail read like every other amount: with their currency, rounded for it."""
    values = dict(detail)
    if not currency:
        return values
    money = MONEY_DETAIL | ({"limit"} if reason == RejectReason.MAX_NOTIONAL else set())
    for key in money & values.keys():
        try:
            values[key] = fmt.money(Decimal(values[key]), currency)
        except (InvalidOperation, ValueError):
            pass
    return values


def reject_text(reason: object, detail: Mapping[str, str] | None = None, currency: str = "") -> str:
    """Why an entry was refused, with its numbers when the engine gave them (amounts in ``currency``)."""
    text = word(REJECT, reason)
    template = REJECT_DETAIL.get(reason) if reason is not None else None  # type: ignore[call-overload]
    if template is not None and detail:
        try:
            text += " (" + str(template).format(**_detail_values(reason, detail, currency)) + ")"
        except (KeyError, IndexError, ValueError):
            pass
    return text


def side_word(side: Side | str) -> str:
    return _("LONG") if str(side) == Side.LONG.value else _("SHORT")


def side_icon(side: Side | str) -> str:
    return "🟢" if str(side) == Side.LONG.value else "🔴"


def paper_tag(paper: bool) -> str:
    return " " + _("(paper)") if paper else ""


SOURCE = {
    "tradingview": "TradingView",
    "text": __("your message"),
    "channel": __("channel post"),
}


def source_word(source: str) -> str:
    """Where an outside signal came from: TradingView, an admin's message, a channel post."""
    return word(SOURCE, source)


def duration(seconds: float | None) -> str:
    """A duration in days, hours and minutes: ``2d 3h``, ``2h 15m``, ``15m``."""
    if seconds is None:
        return "—"
    days, hours, minutes = fmt.duration(seconds)
    if days:
        return _("{d}d {h}h").format(d=days, h=hours)
    if hours:
        return _("{h}h {m}m").format(h=hours, m=minutes)
    return _("{m}m").format(m=minutes)


def result_icon(pnl: object) -> str:
    """Colour by result: green for a gain, red for a loss, white for nothing."""
    value = float(pnl)  # type: ignore[arg-type]
    return "🟢" if value > 0 else "🔴" if value < 0 else "⚪"
