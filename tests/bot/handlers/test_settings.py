"""/settings: an inline menu (admins only), validated by the engine and persisted."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import button_data, buttons
from tests.bot.mocked import callback_update, message_update


async def test_menu_then_a_choice_changes_the_setting(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/settings"))
    menu = h.session.of(SendMessage)[-1]
    assert "Minimum score: <b>75.0</b>" in menu.text and "Mode: <b>confirm</b>" in menu.text
    assert [b.text for b in buttons(menu)] == ["Mode", "Minimum score", "Leverage cap", "Risk per trade, %",
                                              "Max positions", "Scan interval, min", "Chart theme"]
    await h.feed(callback_update(ADMIN, button_data(menu, "Minimum score"), message_id=1000))
    choices = h.session.of(EditMessageText)[-1]
    assert choices.text == "Minimum score: now 75.0. Choose a new value:"
    await h.feed(callback_update(ADMIN, button_data(choices, "80"), message_id=1000))
    assert h.session.of(AnswerCallbackQuery)[-1].text == "✅ Minimum score set to 80.0."
    assert h.engine.runtime_settings()["min_score"] == "80.0"
    assert "Minimum score: <b>80.0</b>" in h.session.of(EditMessageText)[-1].text  # back to the menu


async def test_mode_menu_switches_to_auto_after_a_second_tap(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(callback_update(ADMIN, "st:key:execution_mode:-1", message_id=7))
    choices = h.session.of(EditMessageText)[-1]
    assert [b.text for b in buttons(choices)] == ["signal-only", "• confirm", "auto", "↩️ Back"]
    await h.feed(callback_update(ADMIN, button_data(choices, "auto"), message_id=7))
    assert h.engine.runtime_settings()["execution_mode"] == "confirm"  # asked first
    prompt = h.session.of(EditMessageText)[-1]
    assert prompt.text.startswith("⚠️ Switch to auto mode?")
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes, switch to auto"), message_id=7))
    assert h.engine.runtime_settings()["execution_mode"] == "auto"
    assert "Mode: <b>auto</b> · set in chat" in h.session.of(EditMessageText)[-1].text


async def test_typed_auto_asks_too_and_the_menu_says_where_values_come_from(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"risk": {"max_positions": 4}})
    await h.feed(message_update(ADMIN, "/settings execution_mode auto"))
    assert h.engine.runtime_settings()["execution_mode"] == "confirm"
    prompt = h.session.of(SendMessage)[-1]
    assert prompt.text.startswith("⚠️ Switch to auto mode?") and button_data(prompt, "Yes, switch to auto")
    await h.feed(message_update(ADMIN, "/settings min_score 60"))
    await h.feed(message_update(ADMIN, "/settings"))
    menu = h.session.of(SendMessage)[-1].text
    assert "Minimum score: <b>60.0</b> · set in chat" in menu
    assert "Max positions: <b>4</b> · from the environment" in menu
    assert "Leverage cap: <b>10</b> · default" in menu


async def test_typed_values_are_validated(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/settings max_leverage 500"))
    await h.feed(message_update(ADMIN, "/settings bogus 1"))
    await h.feed(message_update(ADMIN, "/settings max_positions 3"))
    await h.feed(message_update(ADMIN, "/settings max_positions"))
    texts = h.session.texts(ADMIN)
    assert texts[0] == "⚠️ Invalid value for Leverage cap. Allowed: 1–125."
    assert texts[1].startswith("⚠️ Unknown setting: bogus. Allowed: execution_mode, min_score")
    assert texts[2] == "✅ Max positions set to 3."
    assert texts[3].startswith("Usage: /settings KEY VALUE. Keys: execution_mode")
    assert h.engine.runtime_settings()["max_leverage"] == "10"


async def test_readers_cannot_change_settings(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(READER, "/settings min_score 1"))
    await h.feed(callback_update(READER, "st:set:min_score:0", message_id=3))
    assert h.session.texts(READER) == ["⛔ Only admins can do that."]
    assert h.session.of(AnswerCallbackQuery)[-1].text == "⛔ Only admins can do that."
    assert h.engine.runtime_settings()["min_score"] == "75.0"
