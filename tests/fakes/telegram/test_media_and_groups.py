"""Albums, group chats and raw updates through the fake Telegram server, with real aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, InputMediaDocument, InputMediaPhoto, Message

from tests.fakes.telegram_api import FakeTelegram

GROUP = -1001234567890


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


async def test_media_group_uploads_every_file(tg: FakeTelegram, bot: Bot) -> None:
    album = await bot.send_media_group(GROUP, [
        InputMediaPhoto(media=BufferedInputFile(b"first", "a.png"), caption="<b>4h</b>", parse_mode="HTML"),
        InputMediaPhoto(media=BufferedInputFile(b"second", "b.png")),
    ])
    assert [m.message_id for m in album] == [1, 2]
    assert album[0].media_group_id == album[1].media_group_id is not None
    assert album[0].caption == "4h" and album[0].caption_entities[0].type == "bold"
    assert [s.photo for s in tg.sent(GROUP)] == [b"first", b"second"]
    assert {s.method for s in tg.sent(GROUP)} == {"sendMediaGroup"}

    docs = await bot.send_media_group(GROUP, [InputMediaDocument(media=BufferedInputFile(b"x", "x.csv")),
                                              InputMediaDocument(media=BufferedInputFile(b"y", "y.csv"))])
    assert [d.document.file_name for d in docs] == ["x.csv", "y.csv"]


async def test_group_commands_with_mention_and_raw_updates_reach_handlers(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()
    seen: list[tuple[str, int]] = []

    @router.message(Command("pnl"))
    async def pnl(message: Message) -> None:
        seen.append(("pnl", message.chat.id))
        await message.reply("PnL +3%")

    @router.edited_message()
    async def edited(message: Message) -> None:
        seen.append(("edited", message.chat.id))

    dp = Dispatcher()
    dp.include_router(router)
    asked = tg.user_message(42, "/pnl@signalpilot_test_bot", chat_id=GROUP)
    tg.user_message(42, "/pnl@some_other_bot", chat_id=GROUP)  # not for us: Command ignores it
    tg.inject({"edited_message": {**asked, "text": "/pnl now", "edit_date": asked["date"] + 1}})
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        reply = await tg.wait_sent(GROUP, contains="PnL")
        await tg.wait_for(lambda c: c.method == "getUpdates" and not c.result and c.params.get("offset"))
    finally:
        await dp.stop_polling()
        await task
    assert sorted(seen) == [("edited", GROUP), ("pnl", GROUP)]
    assert reply.reply_to_message_id == asked["message_id"]
    assert reply.message["chat"] == {"id": GROUP, "type": "supergroup", "title": "Group 1001234567890"}
