"""Flood control, slow answers and allowed_updates of the fake Telegram server, seen from real aiogram."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.types import Message

from tests.fakes.telegram_api import FakeTelegram

USER = 1001


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


async def test_rate_limit_answers_429_per_chat_and_overall(tg: FakeTelegram, bot: Bot) -> None:
    tg.rate_limit(per_chat=(2, 5.0), overall=(3, 5.0))
    await bot.send_message(USER, "1")
    await bot.edit_message_text("1b", chat_id=USER, message_id=1)  # edits count too
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "3")
    assert caught.value.retry_after == 5
    await bot.send_chat_action(USER, "typing")  # chat actions do not count
    await bot.send_message(555, "another chat")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(777, "over the overall limit")
    assert [c.status for c in tg.calls_to("sendMessage")] == [200, 429, 200, 429]


async def test_rate_limit_window_slides(tg: FakeTelegram, bot: Bot) -> None:
    tg.rate_limit(per_chat=(1, 0.3), overall=None)
    await bot.send_message(USER, "a")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "b")
    await asyncio.sleep(0.35)
    assert (await bot.send_message(USER, "c")).text == "c"


async def test_delay_makes_a_client_timeout_and_close_does_not_wait_for_it(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay("getMe", 0.3)
    began = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - began >= 0.3

    tg.delay("sendMessage", 30)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(USER, "slow", request_timeout=1)
    began = time.monotonic()
    await tg.close()
    assert time.monotonic() - began < 10  # far below the 30 s the held request would take


async def test_updates_of_types_the_dispatcher_does_not_use_are_dropped(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()
    texts: list[str] = []

    @router.message()
    async def echo(message: Message) -> None:
        texts.append(message.text)
        await message.answer(message.text)

    dp = Dispatcher()
    dp.include_router(router)
    card = await bot.send_message(USER, "card")
    tg.press(USER, card.message_id, USER, "ignored")  # callback_query: not in allowed_updates
    tg.user_message(USER, "hello")
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await tg.wait_sent(USER, contains="hello")
    finally:
        await dp.stop_polling()
        await task
    assert texts == ["hello"]
    assert tg.calls_to("getUpdates")[0].params["allowed_updates"] == ["message"]
    assert tg.pending_updates == []
    delivered = [u for c in tg.calls_to("getUpdates") for u in (c.result or [])]
    assert [list(u)[1] for u in delivered] == ["message"]
