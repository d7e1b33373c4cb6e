"""Card buttons and signal commands through the dispatcher (mocked session, real paper engine)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import User

from engine.domain.models import SignalStatus
from tests.bot.conftest import ADMIN, ADMIN2, READER
from tests.bot.flows import button_data, tick
from tests.bot.mocked import callback_update, message_update


async def card_for(h, symbol: str = "ETH/BTC", min_score: str = "0"):  # type: ignore[no-untyped-def]
    """Ask for a card with /signal as the first admin (the minimum score at ``min_score``, so Confirm
    takes one tap); (SendMessage, signal id)."""
    await h.engine.step_market(1)
    before = h.engine.runtime_settings()["min_score"]
    await h.engine.update_setting("min_score", min_score)
    await h.feed(message_update(ADMIN, f"/signal {symbol}"))
    await h.engine.update_setting("min_score", before)  # the scans keep their own minimum
    card = h.session.of(SendMessage)[-1]
    data = button_data(card, "Confirm")
    return card, data.split(":")[-1]


def answers(h) -> list[AnswerCallbackQuery]:  # type: ignore[no-untyped-def]
    return h.session.of(AnswerCallbackQuery)


async def test_signal_command_pushes_a_card_with_buttons(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h)
    assert "ETH/BTC" in card.text and "Score:" in card.text and "TP2:" in card.text
    assert button_data(card, "Cancel") == f"sg:no:{signal_id}"
    assert (await h.engine.cards(signal_id)) == [(ADMIN, 1000)]  # remembered for replies


async def test_confirm_opens_once_and_edits_the_card(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h)
    data = button_data(card, "Confirm")
    await h.feed(callback_update(ADMIN, data, message_id=1000))
    await h.feed(callback_update(ADMIN2, data, message_id=1000))  # a second admin, same card
    assert len(await h.engine.positions()) == 1
    assert [a.text for a in answers(h)] == ["Position opened.", "Already confirmed: nothing new was done."]
    edits = [e for e in h.session.of(EditMessageText) if e.message_id == 1000]
    assert edits and all(e.reply_markup is None for e in edits)  # buttons removed
    assert "✅ Confirmed by User111 (111)." in edits[-1].text


async def test_cancel_then_confirm_does_nothing(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h)
    await h.feed(callback_update(ADMIN, button_data(card, "Cancel"), message_id=1000))
    await h.feed(callback_update(ADMIN, button_data(card, "Confirm"), message_id=1000))
    assert await h.engine.positions() == []
    assert (await h.engine.get_signal(signal_id)).status is SignalStatus.CANCELLED  # type: ignore[union-attr]
    assert answers(h)[0].text == "Cancelled." and answers(h)[1].text == "Not opened."
    assert "❌ Cancelled by User111 (111)." in h.session.of(EditMessageText)[-1].text


async def test_an_expired_signal_cannot_be_confirmed(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h)
    signal = await h.engine.get_signal(signal_id)
    assert signal is not None
    await h.engine.step_market(int((signal.expires_at - h.engine.clock.now()) / timedelta(minutes=5)) + 1)
    await h.feed(callback_update(ADMIN, button_data(card, "Confirm"), message_id=1000))
    assert await h.engine.positions() == []
    assert answers(h)[-1].text == "This signal has expired." and answers(h)[-1].show_alert
    edit = h.session.of(EditMessageText)[-1]
    assert "Expired: this signal can no longer be confirmed." in edit.text and edit.reply_markup is None


async def test_drift_shows_the_new_price_and_asks_again(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h)
    signal = await h.engine.get_signal(signal_id)
    assert signal is not None
    moved = (signal.entry * Decimal("1.01")).quantize(Decimal("0.000001"))  # 1 % > the 0.5 % allowed
    await tick(h.engine, "ETH/BTC", moved)
    await h.feed(callback_update(ADMIN, button_data(card, "Confirm"), message_id=1000))
    assert await h.engine.positions() == []
    edit = h.session.of(EditMessageText)[-1]
    assert "The price moved from" in edit.text and "confirm again?" in edit.text
    assert "+1.00%" in edit.text
    again = button_data(edit, "Confirm")
    await h.feed(callback_update(ADMIN, again, message_id=1000))
    assert len(await h.engine.positions()) == 1


async def test_readers_cannot_confirm(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, _ = await card_for(h)
    await h.feed(callback_update(READER, button_data(card, "Confirm"), message_id=1000))
    assert await h.engine.positions() == []
    assert answers(h)[-1].text == "⛔ Only admins can do that." and answers(h)[-1].show_alert


async def test_garbage_callback_data_gets_a_clear_answer(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    for data in ("garbage", "sg:ok", "sg:ok:nope:extra", "ps:yes:" + "x" * 20, "st:set:min_score:notanint"):
        await h.feed(callback_update(ADMIN, data, message_id=5))
    texts = [a.text for a in answers(h)]
    assert texts[:3] == ["This button is no longer valid."] * 3
    assert texts[3] == "⚠️ Could not close: no such position."  # a position id that does not exist
    assert texts[4] == "This button is no longer valid."


async def test_signal_command_input_errors(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/signal"))
    await h.feed(message_update(ADMIN, "/signal DOGE/XYZ"))
    assert h.session.texts(ADMIN) == ["Which symbol? Usage: /signal SYMBOL",
                                      "Unknown symbol: DOGE/XYZ. Try for example ETH/BTC."]


async def test_scan_reports_how_many_signals_and_cards_reach_each_admin(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"scan": {"min_score": 0}})
    await h.engine.step_market(1)  # the scheduled scan runs at the first replayed bar
    await h.settle()
    assert len([t for t in h.session.texts(ADMIN2) if "Score:" in t]) == 4
    await h.engine.step_market(4)  # 20 minutes: those signals expire, their cards are edited
    await h.settle()
    expired = [e for e in h.session.of(EditMessageText) if "Expired" in e.text]
    assert len(expired) == 8 and all(e.reply_markup is None for e in expired)
    await h.feed(message_update(ADMIN, "/scan"))
    texts = h.session.texts(ADMIN)
    assert "🔎 Scanning…" in texts and texts[-1] == "Scanned 4 symbols: 4 signal(s)."
    assert len([t for t in h.session.texts(ADMIN2) if "Score:" in t]) == 8
    await h.feed(message_update(READER, "/scan"))
    assert h.session.texts(READER) == ["⛔ Only admins can do that."]


async def test_commands_for_other_bots_in_a_group_are_left_alone(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    h.session.add_result(User(id=42, is_bot=True, first_name="Bot", username="sp_bot"))  # getMe
    await h.feed(message_update(ADMIN, "/weather@OtherBot", chat_id=-500))
    await h.feed(message_update(ADMIN, "/weather@sp_bot", chat_id=-500))
    await h.feed(message_update(ADMIN, "hello all", chat_id=-500))
    assert h.session.texts(-500) == ["Unknown command. Send /help for the list."]


async def test_a_card_below_the_minimum_score_says_so_and_confirm_takes_a_second_tap(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    card, signal_id = await card_for(h, min_score="99")
    assert "Below your minimum score (99)" in card.text
    assert "At risk if the stop hits:" in card.text and "Reward:risk TP1" in card.text
    first = button_data(card, "Confirm")
    assert first == f"sg:low:{signal_id}"
    await h.feed(callback_update(ADMIN, first, message_id=1000))
    assert h.engine.manager.open_positions() == []  # the first tap opened nothing
    assert "Tap Confirm again" in (answers(h)[-1].text or "")
    markup = h.session.of(EditMessageReplyMarkup)[-1]
    second = button_data(markup, "Confirm")
    assert second == f"sg:ok:{signal_id}"
    await h.feed(callback_update(ADMIN, second, message_id=1000))
    assert len(await h.engine.positions()) == 1
