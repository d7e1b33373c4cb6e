"""The fake Telegram server's webhook delivery, polling conflicts and bot-profile methods, via real aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import aiohttp.web
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, MenuButtonCommands, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

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


async def test_polling_is_refused_while_a_webhook_is_set(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_webhook_receives_updates_and_its_reply_is_executed(tg: FakeTelegram) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        update = await request.json()
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
        chat = update["message"]["chat"]["id"]
        return aiohttp.web.json_response({"method": "sendMessage", "chat_id": chat, "text": "got it"})

    app = aiohttp.web.Application()
    app.router.add_post("/hook", hook)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        bot = tg.make_bot()
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook", secret_token="s3cret")
        await bot.session.close()
        tg.user_message(USER, "/start")
        reply = await tg.wait_sent(USER, contains="got it")
    finally:
        await runner.cleanup()
    assert reply.text == "got it"
    assert [(secret, u["message"]["text"]) for secret, u in received] == [("s3cret", "/start")]
    assert tg.pending_updates == []


async def test_a_newer_get_updates_ends_the_older_one_with_conflict(tg: FakeTelegram, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)  # the first poll is now waiting on the server
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 2)


async def test_webhook_failures_are_reported_and_retried(tg: FakeTelegram, bot: Bot) -> None:
    attempts: list[int] = []

    async def flaky(request: aiohttp.web.Request) -> aiohttp.web.Response:
        attempts.append(1)
        return aiohttp.web.Response(status=500 if len(attempts) == 1 else 200)

    app = aiohttp.web.Application()
    app.router.add_post("/hook", flaky)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        tg.user_message(USER, "hello")
        for _ in range(100):
            if len(attempts) >= 2 and not tg.pending_updates:
                break
            await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
    info = await bot.get_webhook_info()
    assert len(attempts) == 2 and info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_profile_texts_menu_button_chat_and_pins(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_description("Signals and trades", language_code="en")
    await bot.set_my_short_description("Futures signals")
    assert (await bot.get_my_description(language_code="en")).description == "Signals and trades"
    assert (await bot.get_my_description(language_code="zh")).description == ""
    assert (await bot.get_my_short_description(language_code="zh")).short_description == "Futures signals"
    assert (await bot.get_my_name()).name == "SignalPilot Test"
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)

    card = await bot.send_message(USER, "BTC long")
    assert await bot.pin_chat_message(USER, card.message_id) is True
    chat = await bot.get_chat(USER)
    assert chat.type == "private" and chat.pinned_message.text == "BTC long"
    assert tg.pins[USER] == [card.message_id]
    await bot.unpin_chat_message(USER)
    with pytest.raises(TelegramBadRequest, match="message to unpin not found"):
        await bot.unpin_chat_message(USER)


async def test_aiogram_webhook_handler_reply_with_a_photo_is_executed(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(Command("chart"))
    async def chart(message: Message) -> object:
        return message.answer_photo(BufferedInputFile(b"png-bytes", "chart.png"), caption="BTC")  # webhook reply

    dp = Dispatcher()
    dp.include_router(router)
    app = aiohttp.web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="s3cret").register(app, path="/hook")
    setup_application(app, dp, bot=bot)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook", secret_token="s3cret")
        tg.user_message(USER, "/chart")
        sent = await tg.wait_sent(USER, contains="BTC")
    finally:
        await runner.cleanup()
    assert sent.photo == b"png-bytes" and sent.method == "sendPhoto"
    assert (await bot.get_webhook_info()).pending_update_count == 0
