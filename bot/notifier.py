"""Engine events → cards and alerts on the outgoing queue.

Bus handlers only append to an ordered in-memory list (the engine is never slowed down or
broken by Telegram). One consumer task renders each event in each recipient chat's language
and hands it to ``Delivery``:

* ``SignalRaised`` → a card per recipient chat, remembered with ``engine.save_card`` (cards asked
  for with /signal are sent by that handler);
* ``SignalConfirmed/Cancelled/Expired``, ``RiskRejected`` → every card of the signal is edited
  in place (buttons removed, outcome shown);
* trade events → one alert per chat, as a reply to that chat's card. ``TargetHit`` and the
  ``StopMovedToBreakeven`` of the same position become one alert, and so do the last
  ``TargetHit`` and the ``PositionClosed`` it caused.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot import keyboards
from bot.delivery import Delivery
from bot.i18n import LanguageBook, use
from bot.presenters import alerts, cards
from engine.domain.events import (
    EngineError,
    Event,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    SignalCancelled,
    SignalConfirmed,
    SignalExpired,
    SignalRaised,
    StopMovedToBreakeven,
    StorageFailed,
    TargetHit,
    TradingPaused,
)
from engine.domain.models import CloseReason, Signal
from engine.domain.reasons import ExecutionMode, PauseReason
from engine.tasks import quiet, spawn

if TYPE_CHECKING:
    from engine.facade import Engine

log = logging.getLogger("bot.notifier")

SUBSCRIBED: tuple[type[Event], ...] = (
    SignalRaised, SignalConfirmed, SignalCancelled, SignalExpired, RiskRejected, PositionOpened,
    TargetHit, StopMovedToBreakeven, PositionClosed, TradingPaused, EngineError, StorageFailed,
)
# Pauses the person who asked already hears about from their command's answer.
_QUIET_PAUSES = (PauseReason.MANUAL, PauseReason.PANIC)
# Closes the person who asked already hears about (or that end a backtest).
_QUIET_CLOSES = (CloseReason.PANIC, CloseReason.END)


def recipients(engine_admins: list[int], chat_id: int | None) -> list[int]:
    """Where cards and alerts go: SP_TELEGRAM__CHAT_ID, else each admin's private chat."""
    return [chat_id] if chat_id is not None else list(dict.fromkeys(engine_admins))


class Notifier:
    def __init__(self, engine: Engine, delivery: Delivery, i18n: I18n, book: LanguageBook, *,
                 admins: list[int], chat_id: int | None, merge_window: float = 1.0) -> None:
        self.engine = engine
        self.delivery = delivery
        self.i18n = i18n
        self.book = book
        self.chats = recipients(admins, chat_id)
        self.admins = list(dict.fromkeys(admins))
        self.merge_window = merge_window
        self._events: deque[Event] = deque()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        for event_type in SUBSCRIBED:
            self.engine.bus.subscribe(event_type, self._on_event)
        self._task = spawn(self._run(), name="bot-notifier")

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop listening; events already received get ``timeout`` seconds to reach the queue."""
        self.engine.bus.unsubscribe(self._on_event)
        if self._task is not None and not self._idle.is_set():
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                log.warning("%d event(s) not notified at shutdown", len(self._events))
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every event received so far has been handed to the delivery queue."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, StorageFailed):
            self._storage_failed(event)
            return
        self._events.append(event)
        self._idle.clear()
        self._arrived.set()

    # --- consumer ------------------------------------------------------------------------------
    async def _next(self) -> Event:
        while not self._events:
            self._idle.set()
            self._arrived.clear()
            await self._arrived.wait()
        return self._events.popleft()

    async def _partner(self, match: Callable[[Event], bool]) -> Event | None:
        """Take the first queued event that matches, waiting up to the merge window for it."""
        deadline = asyncio.get_running_loop().time() + self.merge_window
        while True:
            for event in self._events:
                if match(event):
                    self._events.remove(event)
                    return event
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return None
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return None

    async def _run(self) -> None:
        while True:
            event = await self._next()
            try:
                await self._handle(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a quiet one (the database is gone) was already told: one line
                log.error("could not notify %s: %s", type(event).__name__, exc, exc_info=None if quiet(exc) else exc)
            if not self._events:
                self._idle.set()

    async def _handle(self, event: Event) -> None:
        if isinstance(event, SignalRaised):
            if not event.on_demand:  # /signal: the asking handler shows that card
                await self._card(event)
        elif isinstance(event, SignalConfirmed):
            await self._finish_cards(event.signal, lambda: cards.confirmed_line(event.by), event.paper)
        elif isinstance(event, SignalCancelled):
            await self._finish_cards(event.signal, lambda: cards.cancelled_line(event.by), event.paper)
        elif isinstance(event, SignalExpired):
            await self._finish_cards(event.signal, cards.expired_line, event.paper)
        elif isinstance(event, RiskRejected):
            await self._finish_cards(event.signal, lambda: cards.rejected_line(event.reason, event.detail), event.paper)
            await self._alert(event.signal.id, lambda: alerts.risk_rejected(event))
        elif isinstance(event, PositionOpened):
            await self._alert(event.position.signal_id, lambda: alerts.entry_filled(event))
        elif isinstance(event, TargetHit):
            await self._target(event)
        elif isinstance(event, StopMovedToBreakeven):
            pid = event.position.id
            hit = await self._partner(lambda e: isinstance(e, TargetHit) and e.position.id == pid)
            if isinstance(hit, TargetHit):
                await self._target(hit, breakeven=event)
            else:
                await self._alert(event.position.signal_id, lambda: alerts.breakeven_moved(event))
        elif isinstance(event, PositionClosed):
            await self._closed(event)
        elif isinstance(event, TradingPaused):
            if event.reason not in _QUIET_PAUSES:
                await self._alert(None, lambda: alerts.trading_paused(event))
        elif isinstance(event, EngineError):
            await self._error(event)

    async def _target(self, hit: TargetHit, breakeven: StopMovedToBreakeven | None = None,
                      closed: PositionClosed | None = None) -> None:
        pid = hit.position.id
        last = hit.target >= len(hit.position.targets)
        if last and closed is None:
            found = await self._partner(lambda e: isinstance(e, PositionClosed) and e.position.id == pid)
            closed = found if isinstance(found, PositionClosed) else None
        elif not last and breakeven is None:
            found = await self._partner(lambda e: isinstance(e, StopMovedToBreakeven) and e.position.id == pid)
            breakeven = found if isinstance(found, StopMovedToBreakeven) else None
        await self._alert(hit.position.signal_id, lambda: alerts.target_hit(hit, breakeven, closed))

    async def _closed(self, event: PositionClosed) -> None:
        if event.reason in _QUIET_CLOSES:
            return
        if event.reason is CloseReason.TARGET:
            pid = event.position.id
            hit = await self._partner(lambda e: isinstance(e, TargetHit) and e.position.id == pid)
            if isinstance(hit, TargetHit):
                await self._target(hit, closed=event)
                return
        await self._alert(event.position.signal_id, lambda: alerts.position_closed(event))

    async def _error(self, event: EngineError) -> None:
        signal_id, symbol = event.signal_id, None
        if event.position_id:
            position = await self.engine.get_position(event.position_id)
            if position is not None:
                signal_id, symbol = position.signal_id, position.symbol
        await self._alert(signal_id, lambda: alerts.engine_error(event, symbol))

    def _storage_failed(self, event: StorageFailed) -> None:
        """The database is what failed: straight to the delivery queue, ahead of the consumer (which may
        be waiting on the database), with no card look-up, no stored language, no outbox."""
        for chat in dict.fromkeys([*self.chats, *self.admins]):
            with use(self.i18n, self.book.known(chat)):
                text = alerts.storage_failed(event)
            self.delivery.send_text(chat, text)

    # --- sending -------------------------------------------------------------------------------
    async def _card(self, event: SignalRaised) -> None:
        signal = event.signal
        mode = self.engine.runtime_settings().get("execution_mode", ExecutionMode.CONFIRM.value)
        now = self.engine.clock.now()
        already = {chat for chat, _ in await self.engine.cards(signal.id)}
        for chat in self.chats:
            if chat in already:
                continue
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.card(signal, paper=event.paper, mode=mode, auto=event.auto, now=now)
                markup = card_markup(signal, mode, event.auto)
            message = await self._await_first(self.delivery.send_text(chat, text, markup))
            if message is not None:
                await self.engine.save_card(signal.id, chat, message.message_id)

    async def _finish_cards(self, signal: Signal, line: Callable[[], str], paper: bool) -> None:
        now = self.engine.clock.now()
        for chat, message_id in await self.engine.cards(signal.id):
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.final(signal, line(), paper=paper, now=now)
            self.delivery.edit_text(chat, message_id, text)

    async def _alert(self, signal_id: str | None, render: Callable[[], str]) -> None:
        card_ids: dict[int, int] = {}
        if signal_id:
            for chat, message_id in await self.engine.cards(signal_id):
                card_ids.setdefault(chat, message_id)
        for chat in list(dict.fromkeys([*self.chats, *card_ids])):
            with use(self.i18n, await self.book.for_chat(chat)):
                text = render()
            self.delivery.send_text(chat, text, reply_to=card_ids.get(chat))

    @staticmethod
    async def _await_first(futures: list[asyncio.Future[Any]]) -> Message | None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        return results[0] if results and isinstance(results[0], Message) else None


def card_markup(signal: Signal, mode: str, auto: bool) -> InlineKeyboardMarkup | None:
    """Confirm/Cancel buttons, except in auto and signal-only modes."""
    if auto or mode == ExecutionMode.SIGNAL_ONLY:
        return None
    return keyboards.signal_card(signal.id)
