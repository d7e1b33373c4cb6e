"""The outgoing queue: every message the bot sends goes through here.

* Telegram's limits: about one message per second per chat, 20 per minute per group, 30 per
  second overall (``Limits``; tests pass faster ones).
* Order within a chat is kept: one worker per chat sends its items one by one.
* 429: the worker waits ``retry_after`` and sends the same item again (never dropped).
* Network and server errors: retried with exponential backoff (capped at ``backoff_max``),
  logged; after ``max_attempts`` the item is given up and logged — except ``persistent`` items
  (alerts from the engine's outbox), which are retried for as long as Telegram stays away.
  Nothing here raises into the engine.
* Every wait (pacing, backoff, 429) is taken on the injected clock (``engine.clock.Clock``), so
  tests move time instead of sleeping.
* Text over 4096 characters is split at line breaks (``send_text``).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, ReplyParameters

from bot.format import split_text
from engine.facade import Clock, LiveClock

log = logging.getLogger("bot.delivery")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Limits:
    per_chat_interval: float = 1.0  # seconds between two sends to one chat
    group_per_minute: int = 20
    global_per_second: int = 30
    max_attempts: int = 8  # for network and server errors (429 is always waited out)
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    group_period: float = 60.0
    global_period: float = 1.0


class _Window:
    """At most ``size`` events per ``period`` seconds (sliding window)."""

    def __init__(self, size: int, period: float) -> None:
        self.size, self.period = size, period
        self.stamps: deque[float] = deque()

    def delay(self, now: float) -> float:
        while self.stamps and self.stamps[0] <= now - self.period:
            self.stamps.popleft()
        if len(self.stamps) < self.size:
            return 0.0
        return self.stamps[0] + self.period - now

    def take(self, now: float) -> None:
        self.stamps.append(now)


@dataclass
class _Item:
    method: TelegramMethod[Any]
    future: asyncio.Future[Any]
    attempts: int = 0
    persistent: bool = False  # never given up on network or server errors


@dataclass
class _Chat:
    items: deque[_Item] = field(default_factory=deque)
    next_at: float = 0.0
    window: _Window | None = None
    worker: asyncio.Task[None] | None = None


def _swallow(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # mark retrieved: fire-and-forget callers never see a warning


_TAG = re.compile(r"<[^>]+>")


class Delivery:
    """``submit(chat_id, method)`` queues a Telegram call and returns a future of its result."""

    def __init__(self, bot: Bot, limits: Limits | None = None, clock: Clock | None = None) -> None:
        self.bot = bot
        self.limits = limits or Limits()
        self.clock: Clock = clock or LiveClock()
        self._epoch = self.clock.now()
        self._chats: dict[int, _Chat] = {}
        self._global = _Window(self.limits.global_per_second, self.limits.global_period)
        self._closed = False
        self.sent = 0
        self.failed = 0
        self.retried = 0

    def _now(self) -> float:
        """Seconds on the injected clock since this queue was made (small numbers: exact to 1 µs)."""
        return (self.clock.now() - self._epoch).total_seconds()

    # --- public API ----------------------------------------------------------------------------
    def submit(self, chat_id: int, method: TelegramMethod[Any], *, persistent: bool = False) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_swallow)
        if self._closed:
            future.set_exception(RuntimeError("delivery is stopped"))
            return future
        chat = self._chats.get(chat_id)
        if chat is None:
            window = _Window(self.limits.group_per_minute, self.limits.group_period) if chat_id < 0 else None
            chat = self._chats[chat_id] = _Chat(window=window)
        chat.items.append(_Item(method, future, persistent=persistent))
        if chat.worker is None or chat.worker.done():
            chat.worker = asyncio.get_running_loop().create_task(self._work(chat_id, chat),
                                                                 name=f"delivery-{chat_id}")
        return future

    async def call(self, chat_id: int, method: TelegramMethod[Any]) -> Any:
        return await self.submit(chat_id, method)

    def send_text(self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None,
                  reply_to: int | None = None, *, persistent: bool = False) -> list[asyncio.Future[Any]]:
        """Queue a message (split at line breaks when too long); the keyboard goes on the last part.
        ``persistent``: retried through outages of any length (network and server errors)."""
        parts = split_text(text, TEXT_LIMIT)
        futures = []
        for n, part in enumerate(parts):
            method = SendMessage(
                chat_id=chat_id, text=part, parse_mode="HTML",
                reply_markup=reply_markup if n == len(parts) - 1 else None,
                reply_parameters=(ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                                  if reply_to is not None and n == 0 else None),
                link_preview_options=None,
            )
            futures.append(self.submit(chat_id, method, persistent=persistent))
        return futures

    async def text(self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None,
                   reply_to: int | None = None) -> Message | None:
        """Send and wait; the first part's Message (None when it could not be sent)."""
        results = await asyncio.gather(*self.send_text(chat_id, text, reply_markup, reply_to),
                                       return_exceptions=True)
        first = results[0]
        return first if isinstance(first, Message) else None

    def send_photo(self, chat_id: int, png: bytes, caption: str, reply_to: int | None = None,
                   filename: str = "chart.png") -> asyncio.Future[Any]:
        method = SendPhoto(
            chat_id=chat_id, photo=BufferedInputFile(png, filename=filename),
            caption=caption[:CAPTION_LIMIT], parse_mode="HTML",
            reply_parameters=(ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                              if reply_to is not None else None),
        )
        return self.submit(chat_id, method)

    def send_document(self, chat_id: int, data: bytes, filename: str, caption: str = "") -> asyncio.Future[Any]:
        method = SendDocument(chat_id=chat_id, document=BufferedInputFile(data, filename=filename),
                              caption=caption[:CAPTION_LIMIT] or None, parse_mode="HTML")
        return self.submit(chat_id, method)

    def edit_text(self, chat_id: int, message_id: int, text: str,
                  reply_markup: InlineKeyboardMarkup | None = None) -> asyncio.Future[Any]:
        """Edit a message in place; without ``reply_markup`` its buttons are removed."""
        method = EditMessageText(chat_id=chat_id, message_id=message_id, text=text[:TEXT_LIMIT],
                                 parse_mode="HTML", reply_markup=reply_markup)
        return self.submit(chat_id, method)

    def edit_markup(self, chat_id: int, message_id: int,
                    reply_markup: InlineKeyboardMarkup | None = None) -> asyncio.Future[Any]:
        return self.submit(chat_id, EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id,
                                                           reply_markup=reply_markup))

    @property
    def pending(self) -> int:
        return sum(len(c.items) for c in self._chats.values())

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued item is done; False on timeout."""
        workers = [c.worker for c in self._chats.values() if c.worker is not None and not c.worker.done()]
        if not workers:
            return True
        done, pending = await asyncio.wait(workers, timeout=timeout)
        return not pending and self.pending == 0

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop taking new items, send what is queued (up to ``timeout``), then give up the rest."""
        self._closed = True
        if not await self.drain(timeout):
            lost = self.pending
            log.error("delivery stopped with %d unsent item(s)", lost)
        for chat in self._chats.values():
            if chat.worker is not None and not chat.worker.done():
                chat.worker.cancel()
            while chat.items:
                item = chat.items.popleft()
                if not item.future.done():
                    item.future.set_exception(RuntimeError("delivery stopped before sending"))
        workers = [c.worker for c in self._chats.values() if c.worker is not None]
        await asyncio.gather(*workers, return_exceptions=True)

    # --- the per-chat worker -------------------------------------------------------------------
    async def _acquire(self, chat: _Chat) -> None:
        while True:
            now = self._now()
            wait = max(chat.next_at - now, self._global.delay(now),
                       chat.window.delay(now) if chat.window else 0.0)
            if wait <= 0:
                self._global.take(now)
                if chat.window:
                    chat.window.take(now)
                chat.next_at = now + self.limits.per_chat_interval
                return
            await self.clock.sleep(wait)

    async def _work(self, chat_id: int, chat: _Chat) -> None:
        while chat.items:
            item = chat.items[0]
            if item.future.done():  # cancelled by its caller
                chat.items.popleft()
                continue
            await self._acquire(chat)
            try:
                result = await self.bot(item.method)
            except TelegramRetryAfter as exc:
                self.retried += 1
                log.warning("429 from Telegram for chat %s: waiting %s s", chat_id, exc.retry_after)
                chat.next_at = self._now() + float(exc.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError) as exc:
                item.attempts += 1
                if item.attempts >= self.limits.max_attempts and not item.persistent:
                    self._fail(chat, item, exc, f"giving up after {item.attempts} attempts")
                    continue
                delay = min(self.limits.backoff_max, self.limits.backoff_base * 2 ** min(item.attempts - 1, 30))
                self.retried += 1
                if item.attempts <= self.limits.max_attempts or item.attempts % 20 == 0:  # a long outage: quieter
                    log.warning("send to chat %s failed (%s); retry %d in %.1f s", chat_id,
                                type(exc).__name__, item.attempts, delay)
                chat.next_at = max(chat.next_at, self._now() + delay)
                continue
            except TelegramBadRequest as exc:
                retry = self._repair(item, str(exc))
                if retry == "done":
                    chat.items.popleft()
                    if not item.future.done():
                        item.future.set_result(None)
                    continue
                if retry == "again":
                    continue
                self._fail(chat, item, exc, "rejected")
                continue
            except TelegramForbiddenError as exc:
                self._fail(chat, item, exc, "forbidden (blocked or removed)")
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one item kill the worker
                self._fail(chat, item, exc, "unexpected error")
                continue
            chat.items.popleft()
            self.sent += 1
            if not item.future.done():
                item.future.set_result(result)

    def _repair(self, item: _Item, message: str) -> str:
        """What to do after a 400: ``done`` (harmless), ``again`` (fixed, resend) or ``fail``."""
        lowered = message.lower()
        if "message is not modified" in lowered:
            return "done"
        if "can't parse entities" in lowered and item.attempts == 0:
            item.attempts += 1
            method = item.method
            if isinstance(method, (SendMessage, EditMessageText)) and method.text is not None:
                item.method = method.model_copy(update={"text": html.unescape(_TAG.sub("", method.text)),
                                                        "parse_mode": None})
                return "again"
            if isinstance(method, SendPhoto) and method.caption:
                item.method = method.model_copy(update={"caption": html.unescape(_TAG.sub("", method.caption)),
                                                        "parse_mode": None})
                return "again"
        return "fail"

    def _fail(self, chat: _Chat, item: _Item, exc: BaseException, why: str) -> None:
        chat.items.popleft()
        self.failed += 1
        log.error("dropped %s: %s (%s)", type(item.method).__name__, why, exc)
        if not item.future.done():
            item.future.set_exception(exc)
