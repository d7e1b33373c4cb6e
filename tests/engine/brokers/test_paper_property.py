"""Paper broker property: over random price paths and random entries/exits the books always balance.

The reference below re-derives every position and the realized PnL from the fills alone (the
average-entry rule and 8-decimal rounding documented in ``engine.brokers.paper_ledger``), then
checks: wallet = initial + Σ realized − Σ fees exactly, the venue's positions equal the
reference, quantities are never negative, and nothing goes below zero.
"""

from __future__ import annotations

import asyncio
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.brokers.errors import BrokerError
from engine.domain.models import Fill
from engine.domain.values import OrderAction, Side
from tests.engine.brokers.test_paper_helpers import BUY, SELL, D, market, stop, take_profit, venue

MONEY = Decimal("0.00000001")
INITIAL = D("10000")

rounds = st.lists(st.fixed_dictionaries({
    "side": st.sampled_from([BUY, SELL]),
    "units": st.integers(1, 40),  # entry quantity in 0.003 BTC
    "leverage": st.integers(1, 60),
    "stop": st.integers(0, 120),  # stop distance in 10-USDT units (0 = none)
    "tp": st.integers(0, 120),
    "moves": st.lists(st.integers(-400, 400), min_size=1, max_size=8),  # price moves in 10-USDT units
    "extra": st.sampled_from(["none", "close", "add", "flip", "cancel"]),
    "extra_units": st.integers(1, 40),
}), min_size=1, max_size=6)


class Reference:
    """Net position and realized PnL rebuilt from fills, in Decimal (documented rule) and Fraction."""

    def __init__(self) -> None:
        self.qty = D(0)  # signed
        self.entry = D(0)
        self.realized = D(0)
        self.fees = D(0)
        self.f_qty = Fraction(0)
        self.f_entry = Fraction(0)
        self.f_net = Fraction(0)  # exact realized − fees
        self.closes = 0

    def apply(self, fill: Fill) -> None:
        sign = 1 if fill.action is OrderAction.BUY else -1
        self.fees += fill.fee
        self.f_net -= Fraction(fill.fee)
        qty, price = fill.qty, fill.price
        if self.qty != 0 and (self.qty > 0) != (sign > 0):
            closing = min(qty, abs(self.qty))
            pos_sign = 1 if self.qty > 0 else -1
            self.realized += ((price - self.entry) * closing * pos_sign).quantize(MONEY, ROUND_HALF_EVEN)
            self.f_net += (Fraction(price) - self.f_entry) * Fraction(closing) * pos_sign
            self.closes += 1
            self.qty += sign * closing
            self.f_qty += sign * Fraction(closing)
            qty -= closing
        if qty > 0:
            if self.qty == 0:
                self.entry, self.f_entry = price, Fraction(price)
            else:
                size = abs(self.qty)
                self.entry = (self.entry * size + price * qty) / (size + qty)
                self.f_entry = (self.f_entry * Fraction(size) + Fraction(price) * Fraction(qty)) / Fraction(size + qty)
            self.qty += sign * qty
            self.f_qty += sign * Fraction(qty)


class Scenario:
    def __init__(self, v) -> None:
        self.v = v
        self.ref = Reference()
        self.price = D("50000.0")
        self.n = 0

    async def do(self, make, *args, **kwargs) -> None:
        """Place one order; rejections (funds, would-trigger, reduce-only, …) are part of the game."""
        self.n += 1
        try:
            await self.v.broker.place_order(make(f"o{self.n}", *args, **kwargs))
        except BrokerError:
            pass
        await self.check()

    async def position(self):
        return (await self.v.broker.positions() or [None])[0]

    async def move(self, units: int) -> None:
        self.price = max(D("1000.0"), self.price + units * 10)
        await self.v.tick(self.price)
        await self.check()

    async def check(self) -> None:
        ref, broker = self.ref, self.v.broker
        for fill in broker.take_fills():  # the venue queues its fills: the reference takes them in order
            ref.apply(fill)
        bal = await broker.balance()
        assert bal.wallet == INITIAL + ref.realized - ref.fees
        assert abs(Fraction(bal.wallet) - (Fraction(INITIAL) + ref.f_net)) <= Fraction(1, 10**8) * (ref.closes + 1)
        assert bal.wallet >= 0 and bal.free >= 0
        positions = await broker.positions()
        assert all(p.qty > 0 for p in positions)
        if ref.qty == 0:
            assert positions == []
        else:
            [p] = positions
            side = Side.LONG if ref.qty > 0 else Side.SHORT
            assert (p.side, p.qty, p.entry_price) == (side, abs(ref.qty), ref.entry)


def qty(units: int) -> str:
    return str(D("0.003") * units)


async def run(plan: list[dict]) -> list[Fill]:
    s = Scenario(await venue())
    broker = s.v.broker
    await s.v.tick(s.price)
    for r in plan:
        try:
            await broker.prepare("BTCUSDT", r["leverage"])
        except BrokerError:
            pass
        await s.do(market, r["side"], qty(r["units"]))
        pos = await s.position()
        if pos is not None:
            exit_, sign = pos.side.exit_action, pos.side.sign
            if r["stop"]:
                await s.do(stop, exit_, str(pos.qty), str(s.price - sign * r["stop"] * 10))
            if r["tp"]:
                await s.do(take_profit, exit_, str(pos.qty / 2), str(s.price + sign * r["tp"] * 10))
        for i, units in enumerate(r["moves"]):
            await s.move(units)
            if i != len(r["moves"]) // 2:
                continue
            pos = await s.position()
            extra = r["extra"]
            if extra == "cancel":
                for order in (await broker.open_orders())[:1]:
                    await broker.cancel_order(order.client_id, "BTCUSDT")
            elif extra != "none" and pos is not None:
                action = pos.side.entry_action if extra == "add" else pos.side.exit_action
                extra_qty = qty(r["extra_units"]) if extra != "flip" else str(pos.qty * 2)
                await s.do(market, action, extra_qty, reduce_only=extra == "close")
    fills = s.v.fills
    assert [f.trade_id for f in fills] == [f"p{i}" for i in range(1, len(fills) + 1)]
    for kind in sorted({"liquidation" if f.client_id.startswith("liq") else "maker" if f.is_maker else "taker"
                        for f in fills}):
        event(f"has {kind} fills")
    return fills


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds)
def test_wallet_is_initial_plus_realized_minus_fees_and_positions_never_go_negative(plan):
    asyncio.run(run(plan))
