"""End to end over HTTP (the real bot polling the fake Bot API, the paper engine on replayed candles):
a card with "Execute as TWAP" (SP_RISK__TWAP_BUTTON); pressing it opens the position on the first
slice and the card shows the run's progress as the slices fill (``TWAP 2/4, avg …``), then done."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.conftest import ADMIN
from tests.bot.flows import tick
from tests.bot.test_e2e_trade import answer, edited, first_card, signal_id

TWAP = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]},
        "risk": {"twap_button": True, "twap_minutes": 4, "twap_slices": 4}}


async def test_execute_as_twap_button_then_progress_on_the_card(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=TWAP)
    tg, engine = live.tg, live.engine
    card = await first_card(live)
    assert card.button("Execute as TWAP") and card.button("Confirm")  # both offered
    query = tg.press_button(ADMIN, card, "Execute as TWAP")
    assert (await answer(tg, query))["text"] == "Position opened."  # on the first slice
    entry = await tg.wait_sent(ADMIN, contains="Entry filled")
    assert entry.reply_to_message_id == card.message_id
    signal = await engine.get_signal(signal_id(card))
    assert signal is not None
    for n in range(1, 4):
        engine.clock.set(engine.clock.now() + timedelta(minutes=1))  # type: ignore[attr-defined]
        await tick(engine, signal.symbol, signal.entry)
        current = await edited(tg, ADMIN, card.message_id, f"TWAP {n + 1}/4, avg " if n < 3 else "TWAP done: 4/4")
        assert "Confirmed by" in current["text"] and "reply_markup" not in current
    (view,) = await engine.positions()
    assert view.position.qty == view.position.remaining and view.position.remaining > 0
    slices = [o for o in engine.manager.orders_of(view.position.id) if o.leg == "te"]
    assert len(slices) == 4 and len({o.client_id for o in slices}) == 4
    await live.stop()
