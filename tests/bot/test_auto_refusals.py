"""Auto mode: a refusal is said once per hour for the same symbol and reason (on the engine's clock),
and a card that was not opened never reads "Executed automatically"."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import EditMessageText, SendMessage

from tests.bot.conftest import ADMIN

AUTO_ONE_SYMBOL = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]}, "risk": {"execution_mode": "auto"}}


def refusals(h) -> list[SendMessage]:  # type: ignore[no-untyped-def]
    return [m for m in h.session.of(SendMessage) if int(m.chat_id) == ADMIN and "Entry refused" in m.text]


def cards(h) -> list[SendMessage]:  # type: ignore[no-untyped-def]
    return [m for m in h.session.of(SendMessage) if int(m.chat_id) == ADMIN and "Score:" in m.text]


async def test_the_same_refusal_is_said_once_per_hour(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=AUTO_ONE_SYMBOL)
    await h.engine.pause("test")
    await h.engine.step_market(1)  # the first bar runs the scheduled scan
    await h.settle()
    assert len(cards(h)) == 1 and len(refusals(h)) == 1
    assert "Why: trading is paused." in refusals(h)[0].text
    edits = [e.text for e in h.session.of(EditMessageText) if int(e.chat_id) == ADMIN]
    assert edits and "Not opened: trading is paused." in edits[-1]
    assert not any("Executed automatically" in t for t in edits)

    start = h.engine.clock.now()
    for _ in range(3):  # scans within the hour: nothing new is said
        await h.engine.step_market(1)
        await h.engine.scan_now()
        await h.settle()
    assert h.engine.clock.now() - start < timedelta(hours=1)
    assert len(cards(h)) == 1 and len(refusals(h)) == 1

    while h.engine.clock.now() - start < timedelta(hours=1):
        await h.engine.step_market(1)
    await h.engine.scan_now()
    await h.settle()
    assert len(cards(h)) == 2 and len(refusals(h)) == 2  # an hour later: said again, once


async def test_an_executed_auto_card_says_so_only_once_the_entry_goes_ahead(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=AUTO_ONE_SYMBOL)
    await h.engine.step_market(1)
    await h.settle()
    edits = [e.text for e in h.session.of(EditMessageText) if int(e.chat_id) == ADMIN]
    assert edits and "Executed automatically." in edits[-1]
    assert not any("Not opened" in t for t in edits)
    assert len(await h.engine.positions()) == 1
