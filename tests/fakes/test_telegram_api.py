"""The fake Telegram server, driven by the real aiogram Bot and Dispatcher over HTTP."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)

from tests.fakes.telegram_api import FakeTelegram, WaitTimeout

USER = 1001


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in labels_and_data]]
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


@asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)


# ---------------------------------------------------------------- plain calls


async def test_get_me_returns_the_bot_user(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 == bot.id
    assert me.is_bot and me.username == "signalpilot_test_bot"
    assert tg.calls[-1].method == "getMe"


async def test_send_message_with_keyboard_and_reply_round_trips(tg: FakeTelegram, bot: Bot) -> None:
    asked = tg.user_message(USER, "show BTC", first_name="Ann")
    message = await bot.send_message(
        USER, "<b>BTCUSDT</b> long 🟢 <i>score 82</i>", parse_mode="HTML",
        reply_markup=keyboard(("Open", "open:7"), ("Skip", "skip:7")),
        reply_parameters=ReplyParameters(message_id=asked["message_id"]),
    )
    assert message.message_id == asked["message_id"] + 1  # ids are shared by both sides of a chat
    assert message.chat.type == "private" and message.chat.first_name == "Ann"
    assert message.from_user.id == bot.id
    assert message.text == "BTCUSDT long 🟢 score 82"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 7), ("italic", 16, 8)]
    assert message.reply_to_message.text == "show BTC"
    assert message.reply_markup.inline_keyboard[0][1].callback_data == "skip:7"

    [sent] = tg.sent(USER)
    assert sent.text == message.text and sent.source.startswith("<b>BTCUSDT</b>")
    assert sent.reply_to_message_id == asked["message_id"]
    assert [b["callback_data"] for b in sent.buttons] == ["open:7", "skip:7"]
    method, params, _ = tg.calls[-1]
    assert method == "sendMessage" and params["chat_id"] == USER
    assert params["reply_parameters"] == {"message_id": asked["message_id"]}


async def test_reply_to_a_missing_message_is_refused_unless_allowed(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "hi", reply_parameters=ReplyParameters(message_id=99))
    message = await bot.send_message(
        USER, "hi", reply_parameters=ReplyParameters(message_id=99, allow_sending_without_reply=True)
    )
    assert message.reply_to_message is None


async def test_sending_to_new_chats_creates_private_chats_and_groups(bot: Bot) -> None:
    private = await bot.send_message(555, "a")
    group = await bot.send_message(-4242, "b")
    supergroup = await bot.send_message(-1001234567890, "c")
    assert (private.chat.type, group.chat.type, supergroup.chat.type) == ("private", "group", "supergroup")
    second = await bot.send_message(555, "d")
    assert second.message_id == private.message_id + 1


async def test_bad_markup_and_oversized_callback_data_are_refused(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "price < 5 <b>ok</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Character '.' is reserved"):
        await bot.send_message(USER, "Profit 1.5%", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("Long", "x" * 65)))
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)


# ---------------------------------------------------------------- edits and deletes


async def test_edit_message_text_updates_the_message_and_refuses_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Entry 100", reply_markup=keyboard(("Close", "close:1")))
    edited = await bot.edit_message_text("Entry 101", chat_id=USER, message_id=sent.message_id,
                                         reply_markup=keyboard(("Close", "close:1")))
    assert edited.text == "Entry 101" and edited.edit_date is not None
    assert tg.messages[(USER, sent.message_id)]["text"] == "Entry 101"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Entry 101", chat_id=USER, message_id=sent.message_id,
                                    reply_markup=keyboard(("Close", "close:1")))
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id + 50)

    # an edit without reply_markup removes the keyboard, as on Telegram
    await bot.edit_message_text("Closed", chat_id=USER, message_id=sent.message_id)
    assert "reply_markup" not in tg.messages[(USER, sent.message_id)]
    assert tg.sent(USER)[0].text == "Entry 100"  # the send record keeps what was sent


async def test_edit_reply_markup_caption_and_foreign_messages(tg: FakeTelegram, bot: Bot) -> None:
    text = await bot.send_message(USER, "card")
    changed = await bot.edit_message_reply_markup(chat_id=USER, message_id=text.message_id,
                                                  reply_markup=keyboard(("Refresh", "refresh")))
    assert changed.reply_markup.inline_keyboard[0][0].text == "Refresh"
    with pytest.raises(TelegramBadRequest, match="no caption in the message"):
        await bot.edit_message_caption(chat_id=USER, message_id=text.message_id, caption="x")

    photo = await bot.send_photo(USER, BufferedInputFile(png(4, 3), "c.png"), caption="old")
    recaptioned = await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id,
                                                 caption="<b>new</b>", parse_mode="HTML")
    assert recaptioned.caption == "new" and recaptioned.caption_entities[0].type == "bold"
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text("x", chat_id=USER, message_id=photo.message_id)

    theirs = tg.user_message(USER, "hello")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=theirs["message_id"])


async def test_delete_message_and_pressing_a_button_on_it(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "card", reply_markup=keyboard(("Go", "go")))
    assert await bot.delete_message(USER, sent.message_id) is True
    assert (USER, sent.message_id) not in tg.messages and (USER, sent.message_id) in tg.deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id)
    tg.press(USER, sent.message_id, USER, "go")
    [update] = await bot.get_updates()
    assert isinstance(update.callback_query.message, InaccessibleMessage)
    with pytest.raises(ValueError, match="no message 999"):
        tg.press(USER, 999, USER, "go")


# ---------------------------------------------------------------- files


async def test_send_photo_arrives_as_bytes_and_downloads_back(tg: FakeTelegram, bot: Bot) -> None:
    picture = png(640, 480)
    message = await bot.send_photo(USER, BufferedInputFile(picture, "chart.png"), caption="BTC 4h",
                                   reply_markup=keyboard(("Zoom", "zoom")))
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (640, 480) and largest.file_unique_id
    assert message.photo[0].width == 90 and message.caption == "BTC 4h"

    sent = tg.sent(USER)[-1]
    assert sent.photo == picture and sent.text == "BTC 4h" and sent.buttons[0]["text"] == "Zoom"
    assert tg.calls[-1].params["photo"].data == picture

    downloaded = await bot.download(largest.file_id)
    assert downloaded.read() == picture
    again = await bot.send_photo(555, largest.file_id)  # re-sending by file_id needs no upload
    assert again.photo[-1].width == 640 and tg.sent(555)[0].photo == picture
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "no-such-file")


async def test_send_document_keeps_name_and_bytes(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(USER, BufferedInputFile(b"a,b\n1,2\n", "trades.csv"), caption="export")
    assert message.document.file_name == "trades.csv" and message.document.mime_type == "text/csv"
    sent = tg.sent(USER)[-1]
    assert sent.document == b"a,b\n1,2\n" and sent.filename == "trades.csv"


# ---------------------------------------------------------------- commands, callbacks, chat actions


async def test_set_my_commands_is_kept_per_language_and_scope(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="start", description="开始"),
                               BotCommand(command="pnl", description="盈亏")], language_code="zh")
    await bot.set_my_commands([BotCommand(command="admin", description="Admin")],
                              scope=BotCommandScopeChat(chat_id=USER))
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始", "盈亏"]
    assert await bot.get_my_commands(language_code="de") == []
    assert tg.commands[("chat:1001", "")] == [{"command": "admin", "description": "Admin"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_callback_answers_are_recorded_once(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "card", reply_markup=keyboard(("Go", "go")))
    first = tg.press_button(USER, tg.sent(USER)[-1], "Go")
    second = tg.press(USER, sent.message_id, USER, "go")
    assert first != second
    await bot.answer_callback_query(first, text="Opened", show_alert=True)
    assert tg.callback_answers[first] == {"text": "Opened", "show_alert": True, "url": None, "cache_time": None}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(first)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("unknown")
    assert await bot.send_chat_action(USER, "upload_photo") is True


# ---------------------------------------------------------------- faults


async def test_flood_surfaces_as_retry_after_then_recovers(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood("sendMessage", count=1, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "alert")
    assert caught.value.retry_after == 7
    assert (await bot.send_message(USER, "alert")).text == "alert"
    assert [c.status for c in tg.calls_to("sendMessage")] == [429, 200]
    assert len(tg.sent(USER)) == 1


async def test_fail_and_block_give_server_and_forbidden_errors(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("sendMessage", 2, status=500, chat_id=USER)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    await bot.send_message(555, "other chats are unaffected")
    await bot.send_message(USER, "third call works")
    tg.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")


async def test_unknown_method_wrong_token_and_method_case(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot{tg.token}/sendTeleport", data={"chat_id": "1"}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        async with http.post(f"{tg.base_url}/bot{tg.token}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == "signalpilot_test_bot"
        async with http.post(f"{tg.base_url}/bot999:wrong/getMe") as resp:
            assert resp.status == 401
        async with http.post(f"{tg.base_url}/bot{tg.token}/sendMessage",
                             json={"chat_id": USER, "text": "[1] json body"}) as resp:
            assert (await resp.json())["result"]["text"] == "[1] json body"
    assert [c.method for c in tg.calls] == ["sendTeleport", "getMe", "sendMessage"]


# ---------------------------------------------------------------- updates


def start_and_press_router(seen: list[str]) -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        seen.append(f"start:{message.from_user.id}")
        await message.answer("Welcome", reply_markup=keyboard(("Open", "open:1")))

    @router.message(Command("ping"))
    async def ping(message: Message) -> None:
        seen.append("ping")
        await message.reply("pong")

    @router.callback_query(F.data.startswith("open:"))
    async def opened(query: CallbackQuery) -> None:
        seen.append(f"press:{query.data}")
        await query.message.edit_text("Opened")
        await query.answer("ok")

    return router


async def test_polling_delivers_injected_updates_in_order_once(tg: FakeTelegram, bot: Bot) -> None:
    seen: list[str] = []
    dp = Dispatcher()
    dp.include_router(start_and_press_router(seen))
    tg.user_message(USER, "/start")
    tg.user_message(USER, "/ping")
    async with polling(dp, bot):
        welcome = await tg.wait_sent(USER, contains="Welcome")
        await tg.wait_sent(USER, contains="pong")
        query_id = tg.press_button(USER, welcome, "Open")
        await tg.wait_for(lambda c: c.method == "answerCallbackQuery" and c.ok)
        tg.user_message(2002, "/start", language_code="zh")
        await tg.wait_sent(2002, contains="Welcome")
        await asyncio.sleep(0.3)  # let further polls run: nothing may come twice
    assert seen == ["start:1001", "ping", "press:open:1", "start:2002"]
    assert tg.callback_answers[query_id]["text"] == "ok"
    assert tg.messages[(USER, welcome.message_id)]["text"] == "Opened"
    assert tg.pending_updates == []
    offsets = [c.params.get("offset") for c in tg.calls_to("getUpdates")]
    assert offsets[0] is None and all(o is not None for o in offsets[-2:])


async def test_stop_polling_ends_promptly_and_close_wakes_long_polls(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()
    dp.include_router(start_and_press_router([]))
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30))
    await tg.wait_for("getMe")
    await asyncio.sleep(0.1)  # a 30 s long poll is now pending on the server
    began = time.monotonic()
    await dp.stop_polling()
    await task
    assert time.monotonic() - began < 1.0
    began = time.monotonic()
    await tg.close()  # the abandoned 30 s poll is still open server-side; closing must not wait for it
    assert time.monotonic() - began < 1.5


async def test_long_poll_wakes_on_new_update(tg: FakeTelegram, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.2, tg.user_message, USER, "late")
    began = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    assert [u.message.text for u in updates] == ["late"]
    assert 0.15 < time.monotonic() - began < 2.0
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []


async def test_offset_and_limit_follow_telegram(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.user_message(USER, f"m{i}")["message_id"] for i in range(3)]
    first = await bot.get_updates(limit=2)
    assert [u.message.message_id for u in first] == ids[:2]
    assert [u.message.message_id for u in await bot.get_updates()] == ids  # not confirmed yet
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.message_id for u in rest] == ids[2:]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == []


async def test_delete_webhook_drop_pending_updates_drops_the_queue(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(USER, "/start")
    tg.press(USER, tg.user_message(USER, "x")["message_id"], USER, "stale")
    assert (await bot.get_webhook_info()).pending_update_count == 3
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.get_updates() == []
    seen: list[str] = []
    dp = Dispatcher()
    dp.include_router(start_and_press_router(seen))
    async with polling(dp, bot):
        tg.user_message(USER, "/ping")
        await tg.wait_sent(USER, contains="pong")
    assert seen == ["ping"]


async def test_wait_for_times_out_with_the_recent_calls(tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_me()
    with pytest.raises(WaitTimeout, match="getMe→200"):
        await tg.wait_for("sendMessage", timeout=0.2)
    mark = tg.mark()
    await bot.send_message(USER, "a")
    assert (await tg.wait_for("sendMessage", since=mark)).params["text"] == "a"
