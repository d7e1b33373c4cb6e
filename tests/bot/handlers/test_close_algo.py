"""``/close SYMBOL 100% twap`` through the dispatcher: asked first (nothing sent), the confirm tap
starts a TWAP exit (reduce-only slices over SP_RISK__TWAP_MINUTES), which closes the position as the
replay's clock moves on; a bad algorithm name gets the usage."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendMessage

from engine.domain.models import Leg, PositionState
from engine.market.base import PriceTick
from tests.bot.conftest import ADMIN
from tests.bot.flows import button_data
from tests.bot.handlers.test_positions import open_position
from tests.bot.mocked import callback_update, message_update

TWAP = {"risk": {"twap_minutes": 3, "twap_slices": 3}}


async def test_close_in_twap_slices_asks_then_closes_over_the_minutes(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=TWAP)
    pos = await open_position(h)
    await h.feed(message_update(ADMIN, "/close eth 100% twap"))
    prompt = h.session.of(SendMessage)[-1]
    assert prompt.text.startswith("❓ Close ") and "in slices (TWAP)" in prompt.text
    assert (await h.engine.get_position(pos.id)).remaining == pos.qty  # asked, nothing sent
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes"), message_id=2300))
    first = await h.engine.get_position(pos.id)
    assert first.state is PositionState.OPEN and first.remaining < pos.qty  # the first slice at once
    clock = h.engine.clock
    for _ in range(3):
        clock.set(clock.now() + timedelta(minutes=1))
        await h.engine.on_tick(PriceTick(pos.symbol, pos.entry_price, clock.now()))
    closed = await h.engine.get_position(pos.id)
    assert closed.state is PositionState.CLOSED and sum(e.qty for e in closed.exits) == closed.qty
    slices = [o for o in await h.engine.repository.orders_for(pos.id) if o.leg == Leg.TWAP_EXIT.value]
    assert len(slices) == 3 and all(o.reduce_only for o in slices)


async def test_an_unknown_algorithm_gets_the_usage(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    await h.feed(message_update(ADMIN, "/close eth 50% vwap"))
    assert h.session.texts(ADMIN)[-1] == "Usage: /close SYMBOL [50% | QTY] [twap | iceberg]"
    assert (await h.engine.get_position(pos.id)) == pos
