"""Readers are refused every admin command and button (``IsAdmin`` on the admin routers and
handlers, the answer from bot.handlers.refusals), and nothing happens; admins are not refused."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendMessage

from engine.domain.models import SignalStatus
from tests.bot.conftest import ADMIN, READER
from tests.bot.mocked import callback_update, message_update

REFUSED = "⛔ Only admins can do that."
ADMIN_COMMANDS = ("/pause", "/resume", "/panic", "/settings", "/settings min_score 1", "/scan",
                  "/close ETH/BTC", "/close", "/close NOPE/BTC")


async def test_a_reader_is_refused_each_admin_command_and_nothing_changes(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    signal = await h.engine.analyse("ETH/BTC")
    await h.engine.confirm(signal.id, "test")
    await h.settle()
    sent_before = len(h.session.of(SendMessage))
    for command in ADMIN_COMMANDS:
        await h.feed(message_update(READER, command))
    assert h.session.texts(READER) == [REFUSED] * len(ADMIN_COMMANDS)
    assert len(h.session.of(SendMessage)) == sent_before + len(ADMIN_COMMANDS)  # no card, prompt or menu
    assert (await h.engine.status()).trading_state == "active"
    assert h.engine.runtime_settings()["min_score"] == "75.0"
    assert len(await h.engine.positions()) == 1
    await h.feed(message_update(ADMIN, "/pause"))  # the same command from an admin goes through
    assert h.session.texts(ADMIN)[-1].startswith("⏸ New entries paused.")


async def test_a_reader_is_refused_each_admin_button_and_nothing_changes(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    pending = await h.engine.analyse("LTC/BTC")
    opened = await h.engine.analyse("ETH/BTC")
    position = (await h.engine.confirm(opened.id, "test")).position
    assert position is not None
    await h.settle()
    await h.feed(message_update(ADMIN, "/panic"))  # a live panic request a reader might tap
    panic_id = h.session.of(SendMessage)[-1].reply_markup.inline_keyboard[0][0].callback_data.split(":")[-1]
    presses = (f"sg:ok:{pending.id}", f"sg:no:{pending.id}", f"ps:close:{position.id}", f"ps:yes:{position.id}",
               f"pn:go:{panic_id}", "st:menu:-:-1", "st:key:min_score:-1", "st:set:min_score:0")
    for data in presses:
        await h.feed(callback_update(READER, data, message_id=50))
    answers = h.session.of(AnswerCallbackQuery)
    assert [(a.text, a.show_alert) for a in answers] == [(REFUSED, True)] * len(presses)
    assert (await h.engine.get_signal(pending.id)).status is SignalStatus.RAISED
    assert [v.position.id for v in await h.engine.positions()] == [position.id]
    assert (await h.engine.status()).trading_state == "active"
    assert h.engine.runtime_settings()["min_score"] == "75.0"
    await h.feed(callback_update(READER, f"ps:keep:{position.id}", message_id=50))  # backing out is not admin-only
    assert h.session.of(AnswerCallbackQuery)[-1].text == "Kept open."
