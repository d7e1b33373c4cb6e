"""A fake Telegram Bot API server for end-to-end bot tests: the real aiogram Bot talks to it over HTTP.

The server (aiohttp.web on 127.0.0.1, a free port) answers like Telegram: form/multipart requests,
complete Bot API objects, Telegram's error codes and descriptions (400 "message to edit not found",
"message is not modified…", "can't parse entities…", 403 blocked, 429 with retry_after), getUpdates
with offset/timeout long polling, or webhook delivery. Tests inject what users do and inspect what
the bot did. The implementation lives in tests/fakes/telegram/.

Usage::

    import asyncio

    from aiogram import Dispatcher, F, Router
    from aiogram.filters import CommandStart
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
    from tests.fakes.telegram_api import FakeTelegram

    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Close", callback_data="close:7")]])
        await message.answer("<b>Welcome</b>", parse_mode="HTML", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("close:"))
    async def close(query: CallbackQuery) -> None:
        await query.message.edit_text("Closed")
        await query.answer("Done")

    async def test_start_then_close() -> None:
        async with FakeTelegram() as tg:
            bot = tg.make_bot()            # = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
            dp = Dispatcher()
            dp.include_router(router)
            polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
            try:
                tg.user_message(1001, "/start")                   # queue an update (bot_command entity included)
                card = await tg.wait_sent(chat_id=1001, contains="Welcome")
                assert card.text == "Welcome" and card.button("Close")["callback_data"] == "close:7"
                query_id = tg.press_button(1001, card, "Close")     # or tg.press(1001, card.message_id, 1001, "close:7")
                await tg.wait_for(lambda c: c.method == "answerCallbackQuery")
                assert tg.callback_answers[query_id]["text"] == "Done"
                assert tg.messages[(1001, card.message_id)]["text"] == "Closed"   # state after edits
                assert "reply_markup" not in tg.messages[(1001, card.message_id)]  # edit without markup drops it
            finally:
                await dp.stop_polling()
                await polling

Users: `tg.user_message(user_id, text, chat_id=None, language_code="en", first_name=None)` (returns the
Message; a negative chat_id is a group), `tg.press(user_id, message_id, chat_id, data)` (returns the callback
query id), `tg.press_button(user_id, sent_or_message, "label")`, `tg.inject(raw_update)`, `tg.block(user_id)`
(sending to them answers 403 "bot was blocked by the user").

Faults: `tg.flood("sendMessage", count=1, retry_after=3)` (429 → aiogram TelegramRetryAfter),
`tg.fail("sendPhoto", 2, status=500)` (TelegramServerError), `tg.delay("sendMessage", 30)` (slow answer →
client timeout), `chat_id=` limits any of them to one chat; `tg.rate_limit()` turns on Telegram-like flood
control (1 msg/s per chat, 20/min per group, 30/s overall; sends and edits count).

Reading back: `tg.calls` (Call: method, params with decoded values, at=time.monotonic(), status, result;
unpacks as (method, params, at)), `tg.calls_to("sendMessage")`, `tg.sent(chat_id)` (SentMessage: text as
the user sees it, source as sent, entities, reply_to_message_id, reply_markup, buttons, photo/document
bytes), `tg.messages[(chat_id, message_id)]`, `tg.deleted`, `tg.callback_answers[query_id]`,
`tg.commands[(scope_key, language_code)]` (scope "default", "all_private_chats", "chat:<id>"…; language ""
for all), `tg.pins`, `tg.profile`, `tg.pending_updates`. Waiting instead of sleeping:
`await tg.wait_for(predicate_or_method, timeout=30, since=tg.mark())`, `await tg.wait_sent(chat_id,
contains=…)`; both raise WaitTimeout (an AssertionError) listing the last calls.

Also served: getUpdates, set/delete/getWebhookInfo (with a webhook set, updates are POSTed to it and a
method in its JSON reply is executed), sendMediaGroup, deleteMessages, getFile + file download,
set/get/deleteMyCommands, set/getMyName/Description/ShortDescription, set/getChatMenuButton, getChat,
pin/unpinChatMessage, logOut, close. Anything else answers 404 "Not Found: method not found".
Constructor: `FakeTelegram(token=…, bot_name=…, bot_username=…, now=time.time)` (`now` dates messages).
"""

from tests.fakes.telegram import (
    DEFAULT_TOKEN,
    ApiError,
    Call,
    FakeTelegram,
    SentMessage,
    StoredFile,
    UploadedFile,
    WaitTimeout,
)

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeTelegram", "SentMessage", "StoredFile", "UploadedFile",
           "WaitTimeout"]
