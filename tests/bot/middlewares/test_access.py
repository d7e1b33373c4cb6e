"""Auth, language and throttling middlewares: who gets answers, in which language, how often."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from aiogram.methods import AnswerCallbackQuery

from tests.bot.conftest import ADMIN, FAST, READER, STRANGER, UNPACED
from tests.bot.mocked import callback_update, message_update
from tests.bot.stepclock import StepClock


async def test_a_stranger_gets_one_short_refusal_no_data_and_is_logged(unit_bot,  # type: ignore[no-untyped-def]
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    h = await unit_bot()
    with caplog.at_level(logging.WARNING, logger="bot.auth"):
        await h.feed(message_update(STRANGER, "/status", username="mallory"))
        await h.feed(message_update(STRANGER, "/positions"))
        await h.feed(message_update(STRANGER, "/panic"))
        await h.feed(callback_update(STRANGER, "sg:ok:abc"))
    # one refusal (with the stranger's own id, which an owner setting the bot up needs), then silence
    assert h.session.texts(STRANGER) == ["⛔ Sorry, this bot is private.\nYour Telegram user id is 999."]
    answer = h.session.of(AnswerCallbackQuery)[-1]
    assert answer.text == "⛔ Sorry, this bot is private." and answer.show_alert
    assert len(h.session.requests) == 2  # nothing else was sent anywhere
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 4 and "id=999" in refused[0].getMessage() and "mallory" in refused[0].getMessage()


async def test_a_stranger_is_refused_in_their_own_language(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(STRANGER, "/start", lang="zh-hans"))
    assert h.session.texts(STRANGER) == ["⛔ 抱歉，这是私人机器人。\n你的 Telegram 用户 ID 是 999。"]


async def test_readers_read_but_do_not_act(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    for command in ("/status", "/panic", "/pause", "/settings", "/close ETH"):
        await h.feed(message_update(READER, command))
    texts = h.session.texts(READER)
    assert texts[0].startswith("<b>Status</b>")
    assert texts[1:] == ["⛔ Only admins can do that."] * 4
    assert (await h.engine.status()).trading_state == "active"


async def test_language_follows_telegram_then_lang_overrides_and_is_remembered(unit_bot,  # type: ignore[no-untyped-def]
                                                                               db_url_factory) -> None:
    url = db_url_factory()
    h = await unit_bot(db_url=url)
    await h.feed(message_update(ADMIN, "/help", lang="zh-hans"))
    assert "命令" in h.session.texts(ADMIN)[-1]
    await h.feed(message_update(ADMIN, "/lang en", lang="zh-hans"))
    await h.feed(message_update(ADMIN, "/help", lang="zh-hans"))
    assert h.session.texts(ADMIN)[-2:] == ["Language: English.", h.session.texts(ADMIN)[-1]]
    assert h.session.texts(ADMIN)[-1].startswith("<b>Commands</b>")
    await h.feed(message_update(ADMIN, "/lang zh"))
    assert h.session.texts(ADMIN)[-1] == "语言：简体中文。"
    await h.engine.stop()
    again = await unit_bot(db_url=url)  # a restart: the choice is kept by the engine
    await again.feed(message_update(ADMIN, "/help", lang="en"))
    assert "命令" in again.session.texts(ADMIN)[-1]


async def test_lang_without_a_valid_choice_offers_buttons(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/lang klingon"))
    sent = h.session.requests[-1]
    assert sent.text == "Choose a language: /lang en or /lang zh"
    assert [b.callback_data for b in sent.reply_markup.inline_keyboard[0]] == ["lg:en", "lg:zh"]
    await h.feed(callback_update(ADMIN, "lg:zh"))
    assert h.session.of(AnswerCallbackQuery)[-1].text == "语言：简体中文。"


async def test_throttling_answers_once_then_ignores_a_flood(unit_bot) -> None:  # type: ignore[no-untyped-def]
    clock = StepClock()
    h = await unit_bot(options=replace(FAST, throttle_limit=3, throttle_period=60, clock=clock, limits=UNPACED))
    for _ in range(6):
        await h.feed(message_update(ADMIN, "/balance"))
    texts = h.session.texts(ADMIN)
    assert len(texts) == 4 and texts[-1] == "Too many requests: please wait a few seconds."
    await h.feed(callback_update(ADMIN, "sg:ok:x"))
    assert h.session.of(AnswerCallbackQuery)[-1].text == "Too many requests: please wait a few seconds."
    clock.advance(59)
    await h.feed(message_update(ADMIN, "/balance"))
    assert len(h.session.texts(ADMIN)) == 4  # the window has not moved on yet
    clock.advance(1)
    await h.feed(message_update(ADMIN, "/balance"))
    assert len(h.session.texts(ADMIN)) == 5 and "Too many" not in h.session.texts(ADMIN)[-1]  # served again
