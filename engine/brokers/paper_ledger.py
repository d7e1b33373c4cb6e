"""Paper venue arithmetic: fees, slippage, triggers, isolated margin and liquidation (pure functions).

Rounding, applied the same way everywhere (amounts in the margin currency keep 8 decimals, as
Binance's wallet does):
- fees: ``notional × rate`` rounded half-up to 8 dp;
- realized and unrealized PnL: ``(price − entry) × qty × sign`` rounded half-even to 8 dp;
- isolated margin: ``notional / leverage`` rounded up to 8 dp; a partial close releases
  ``margin × closed / qty`` (half-even, 8 dp), a full close releases the rest;
- fill prices land on the tick, rounded against the trader; average entries and liquidation
  prices stay exact (not rounded), like the venue's own figures.
The wallet therefore always equals ``initial + Σ realized − Σ fees`` to the last 8th decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

from engine.brokers.paper_state import PaperOrder, PaperPosition, PaperState
from engine.domain.models import Balance, OrderType, VenuePosition
from engine.domain.values import ONE, ZERO, OrderAction, Side, price_toward

MONEY = Decimal("0.00000001")


def fee_for(notional: Decimal, rate: Decimal) -> Decimal:
    return (notional * rate).quantize(MONEY, rounding=ROUND_HALF_UP)


def margin_for(notional: Decimal, leverage: int) -> Decimal:
    return (notional / Decimal(leverage)).quantize(MONEY, rounding=ROUND_UP)


def pnl(pos: PaperPosition, price: Decimal, qty: Decimal) -> Decimal:
    return ((price - pos.entry) * qty * pos.side.sign).quantize(MONEY, rounding=ROUND_HALF_EVEN)


def unrealized(pos: PaperPosition, mark: Decimal | None) -> Decimal:
    return ZERO if mark is None else pnl(pos, mark, pos.qty)


def released_margin(pos: PaperPosition, closed: Decimal) -> Decimal:
    if closed >= pos.qty:
        return pos.margin
    return (pos.margin * closed / pos.qty).quantize(MONEY, rounding=ROUND_HALF_EVEN)


def side_of(action: OrderAction) -> Side:
    return Side.LONG if action is OrderAction.BUY else Side.SHORT


def reduces(pos: PaperPosition | None, action: OrderAction) -> bool:
    return pos is not None and pos.side.exit_action is action


# --- prices ------------------------------------------------------------------------------------
def slipped(price: Decimal, action: OrderAction, slip: Decimal, tick: Decimal) -> Decimal:
    """A taker price: ``price`` moved by the slippage fraction against us, on the tick (never ≤ 0)."""
    if action is OrderAction.BUY:
        return price_toward(price * (ONE + slip), tick, up=True)
    return max(price_toward(price * (ONE - slip), tick, up=False), tick)


def stop_triggered(action: OrderAction, trigger: Decimal, price: Decimal) -> bool:
    """A sell stop (long exit) fires at or below its trigger; a buy stop at or above."""
    return price <= trigger if action is OrderAction.SELL else price >= trigger


def limit_crossed(action: OrderAction, level: Decimal, price: Decimal) -> bool:
    """A buy limit fills at or below its price; a sell limit (or a long's take-profit) at or above."""
    return price <= level if action is OrderAction.BUY else price >= level


def marketable_price(action: OrderAction, level: Decimal, mark: Decimal, tick: Decimal) -> Decimal:
    """Where a limit that is already crossed fills: the current price on the tick, never past its limit."""
    if action is OrderAction.BUY:
        return min(price_toward(mark, tick, up=True), level)
    return max(price_toward(mark, tick, up=False), level)


def stop_fill_price(order: PaperOrder, price: Decimal, slip: Decimal, tick: Decimal) -> Decimal:
    """A triggered stop fills at its trigger less slippage, but never worse than the tick's price.

    Prices move continuously between ticks (the replay visits open → extremes → close), so the
    trigger was crossed on the way; the tick that revealed it is the worst price that traded, and a
    fill cannot be worse than any traded price (it stays inside the candle's range).
    """
    trigger = order.trigger_price
    assert trigger is not None
    worst = slipped(trigger, order.action, slip, tick)
    return max(worst, price) if order.action is OrderAction.SELL else min(worst, price)


def match_rank(order: PaperOrder) -> tuple[int, int]:
    """Order in which one tick's triggered orders execute: stops, then take-profits, then limits."""
    if order.type is OrderType.STOP_MARKET:
        rank = 0
    elif order.type is OrderType.TAKE_PROFIT or order.reduce_only:
        rank = 1
    else:
        rank = 2
    return rank, order.seq


def liquidation_price(pos: PaperPosition, mm: Decimal) -> Decimal:
    """Isolated margin: long ``entry × (1 − 1/lev + mm)``, short ``entry × (1 + 1/lev − mm)``."""
    inv = ONE / Decimal(pos.leverage)
    if pos.side is Side.LONG:
        return pos.entry * (ONE - inv + mm)
    return pos.entry * (ONE + inv - mm)


def liquidated(pos: PaperPosition, mm: Decimal, price: Decimal) -> bool:
    liq = liquidation_price(pos, mm)
    return price <= liq if pos.side is Side.LONG else price >= liq


# --- the account -------------------------------------------------------------------------------
def raw_free(state: PaperState, marks: Mapping[str, Decimal], skip_order: str | None = None) -> Decimal:
    """Wallet − position margins − margin held by resting orders + unrealized losses (may be < 0).

    From the running totals the state keeps (``refresh`` after every change of a position or a mark)."""
    return state.wallet - state.margin_total + state.loss_total - state.reserved(skip_order)


def refresh(state: PaperState, symbol: str, mark: Decimal | None) -> None:
    """Bring the state's running totals up to date for one symbol."""
    pos = state.positions.get(symbol)
    state.set_exposure(symbol, pos.margin if pos else ZERO, unrealized(pos, mark) if pos else ZERO)


def split_fill(pos: PaperPosition | None, action: OrderAction, qty: Decimal) -> tuple[Decimal, Decimal]:
    """(closing, opening) parts of a fill against the symbol's net position."""
    if pos is not None and reduces(pos, action):
        closing = min(qty, pos.qty)
        return closing, qty - closing
    return ZERO, qty


def opening_leverage(pos: PaperPosition | None, action: OrderAction, leverage: int) -> int:
    """An increase keeps the position's leverage; a new (or flipped) position takes the order's."""
    if pos is not None and pos.side is side_of(action):
        return pos.leverage
    return leverage


def shortfall(state: PaperState, marks: Mapping[str, Decimal], symbol: str, action: OrderAction,
              qty: Decimal, price: Decimal, fee: Decimal, leverage: int,
              skip_order: str | None = None) -> tuple[Decimal, Decimal]:
    """(needed, available) for a fill's opening part: margin + fee against free balance after its close."""
    pos = state.positions.get(symbol)
    closing, opening = split_fill(pos, action, qty)
    available = raw_free(state, marks, skip_order)
    if pos is not None and closing > 0:
        available += pnl(pos, price, closing) + released_margin(pos, closing)
        if closing == pos.qty:
            available -= min(ZERO, unrealized(pos, marks.get(symbol)))
    needed = fee + margin_for(price * opening, opening_leverage(pos, action, leverage))
    return needed, available


def apply_fill(state: PaperState, symbol: str, action: OrderAction, qty: Decimal, price: Decimal,
               fee: Decimal, leverage: int) -> Decimal:
    """Move the wallet and the symbol's position for one fill; returns the realized PnL (gross of fee)."""
    state.wallet -= fee
    pos = state.positions.get(symbol)
    closing, opening = split_fill(pos, action, qty)
    realized = ZERO
    if pos is not None and closing > 0:
        realized = pnl(pos, price, closing)
        release = released_margin(pos, closing)
        state.wallet += realized
        if closing == pos.qty:
            del state.positions[symbol]
            pos = None
        else:
            pos.qty -= closing
            pos.margin -= release
    if opening > 0:
        if pos is None:
            state.positions[symbol] = PaperPosition(symbol=symbol, side=side_of(action), qty=opening,
                                                    entry=price, margin=margin_for(price * opening, leverage),
                                                    leverage=leverage)
        else:  # increase on the same side
            total = pos.qty + opening
            pos.entry = (pos.entry * pos.qty + price * opening) / total
            pos.qty = total
            pos.margin += margin_for(price * opening, pos.leverage)
    state.changed_position(symbol)
    return realized


# --- views -------------------------------------------------------------------------------------
def position_view(pos: PaperPosition, mark: Decimal | None, mm: Decimal) -> VenuePosition:
    return VenuePosition(symbol=pos.symbol, side=pos.side, qty=pos.qty, entry_price=pos.entry,
                         leverage=pos.leverage, liquidation_price=liquidation_price(pos, mm),
                         unrealized_pnl=unrealized(pos, mark))


def balance_view(state: PaperState, marks: Mapping[str, Decimal], currency: str) -> Balance:
    """Wallet (cash incl. realized PnL and posted margin), equity = wallet + unrealized, free ≥ 0."""
    return Balance(currency=currency, wallet=state.wallet, equity=state.wallet + state.upnl_total,
                   free=max(ZERO, raw_free(state, marks)))
