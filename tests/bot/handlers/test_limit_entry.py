"""A limit entry through the whole bot: confirmed, resting; nothing filled at the timeout → the card
says "Not filled" and an alert tells why; a filled one opens as usual."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from aiogram.methods import EditMessageText

from engine.domain.models import CloseReason, PositionState
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome
from tests.bot.conftest import ADMIN
from tests.bot.flows import button_data
from tests.bot.handlers.test_signals import card_for
from tests.bot.mocked import callback_update

LIMIT = {"risk": {"entry_order": "limit", "entry_timeout_min": 10}}


async def test_limit_entry_not_filled_ends_the_card(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=LIMIT)
    card, signal_id = await card_for(h)
    sig = await h.engine.get_signal(signal_id)
    away = sig.entry * (1 + sig.side.sign * Decimal("0.003"))  # the market moved away (within the drift)
    clock = h.engine.clock
    await h.engine.on_tick(PriceTick(sig.symbol, away, clock.now()))
    await h.feed(callback_update(ADMIN, button_data(card, "Confirm"), message_id=1000))
    [pos] = [v.position for v in await h.engine.positions()]
    assert pos.state is PositionState.PENDING  # the limit rests at the planned entry
    clock.set(clock.now() + timedelta(minutes=5))
    await h.engine.on_tick(PriceTick(sig.symbol, away, clock.now()))
    assert (await h.engine.get_position(pos.id)).state is PositionState.PENDING
    clock.set(clock.now() + timedelta(minutes=6))
    await h.engine.on_tick(PriceTick(sig.symbol, away, clock.now()))
    await h.settle()
    final = await h.engine.get_position(pos.id)
    assert final.state is PositionState.FAILED and final.close_reason is CloseReason.NOT_FILLED
    assert any("Entry not filled" in t for t in h.session.texts(ADMIN))
    edits = [e for e in h.session.of(EditMessageText) if e.message_id == 1000]
    assert edits and "Not filled: the limit entry expired" in edits[-1].text
    assert await h.engine.broker.open_orders() == []


async def test_limit_entry_that_fills_opens(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(**LIMIT)
    await engine.step_market(1)
    sig = await engine.analyse("eth/btc")
    await engine.on_tick(PriceTick(sig.symbol, sig.entry * (1 + sig.side.sign * Decimal("0.003")), engine.clock.now()))
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.SUBMITTED  # resting
    await engine.on_tick(PriceTick(sig.symbol, sig.entry * (1 - sig.side.sign * Decimal("0.001")), engine.clock.now()))
    pos = (await engine.positions())[0].position
    assert pos.state is PositionState.OPEN and pos.entry_price == sig.entry
