"""Engine events → cards and alerts on the outgoing queue.

The notifier hears the bus by publication (``subscribe_batches``): one event alone, or the events
of one lifecycle transition together, in order. The handler only appends the publication to an
ordered in-memory list (the engine is never slowed down or broken by Telegram). One consumer task
takes them in order:

* ``SignalRaised`` → a card per recipient chat, remembered with ``engine.save_card`` (cards asked
  for with /signal are sent by that handler);
* ``SignalConfirmed/Cancelled/Expired`` → every card of the signal is edited in place (buttons
  removed, outcome shown); ``AlgoProgressed`` (a TWAP's or an iceberg's slices) → the confirmed
  card shows the progress under its outcome (``TWAP 4/10, avg 64,210``), edited as it goes;
* alert-type events (``engine.ALERTS``: entry, targets, stops, closes, refusals, pauses, errors)
  are not sent from the bus: the engine keeps them in its outbox until they are delivered, and
  the bus event only says "there is something new". ``bot.outbox.AlertSender`` sends them in
  order, once per chat, through outages of any length and across restarts (what an earlier run
  could not deliver goes first). The alerts of one publication are released together, so a
  TP1 and its move to breakeven (or the last target and the close) are merged from the batch —
  no wall-clock window is waited on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot import keyboards
from bot.delivery import Delivery
from bot.i18n import LanguageBook, use
from bot.outbox import AlertSender
from bot.presenters import alerts, cards
from engine.domain.events import (
    AlgoProgressed,
    Event,
    SignalCancelled,
    SignalConfirmed,
    SignalExpired,
    SignalRaised,
    StorageFailed,
    VenueConnected,
    VenueUnreachable,
)
from engine.domain.models import Signal
from engine.domain.reasons import ExecutionMode
from engine.errors import quiet
from engine.facade import Clock, spawn

if TYPE_CHECKING:
    from engine.facade import Engine

log = logging.getLogger("bot.notifier")

CARD_EVENTS: tuple[type[Event], ...] = (SignalRaised, SignalConfirmed, SignalCancelled, SignalExpired,
                                        AlgoProgressed)
VENUE_EVENTS: tuple[type[Event], ...] = (VenueUnreachable, VenueConnected)  # about this run: not in the outbox


def recipients(engine_admins: list[int], chat_id: int | None) -> list[int]:
    """Where cards and alerts go: SP_TELEGRAM__CHAT_ID, else each admin's private chat."""
    return [chat_id] if chat_id is not None else list(dict.fromkeys(engine_admins))


class Notifier:
    def __init__(self, engine: Engine, delivery: Delivery, i18n: I18n, book: LanguageBook, *,
                 admins: list[int], chat_id: int | None,
                 clock: Clock | None = None, max_age: timedelta = timedelta(hours=24)) -> None:
        self.engine = engine
        self.delivery = delivery
        self.i18n = i18n
        self.book = book
        self.chats = recipients(admins, chat_id)
        self.admins = list(dict.fromkeys(admins))
        self.clock: Clock = clock or delivery.clock
        self.outbox = AlertSender(engine, delivery, i18n, book, chats=self.chats, max_age=max_age)
        self._alert_types: tuple[type[Event], ...] = tuple(engine.ALERTS)
        self._wanted: tuple[type[Event], ...] = (*CARD_EVENTS, *self._alert_types, *VENUE_EVENTS)
        self._events: deque[tuple[Event, ...]] = deque()  # publications, in order
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self.engine.bus.subscribe_batches(self._on_batch)
        self._idle.clear()  # until what earlier runs left in the outbox is out
        if self.engine.venue_down is not None:  # published at start, before the bot listened
            self._on_batch((self.engine.venue_down,))
        self._task = spawn(self._run(), name="bot-notifier")

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop listening; events already received get ``timeout`` seconds to reach the queue."""
        self.engine.bus.unsubscribe(self._on_batch)
        if self._task is not None and not self._idle.is_set():
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                log.warning("%d event(s) not notified at shutdown (alerts stay in the outbox for the next start)",
                            len(self._events))
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

    def _on_batch(self, events: tuple[Event, ...]) -> None:
        for event in events:
            if isinstance(event, StorageFailed):
                self._storage_failed(event)
        mine = tuple(e for e in events if isinstance(e, self._wanted))
        if not mine:
            return
        self._events.append(mine)
        self._idle.clear()
        self._arrived.set()

    # --- consumer ------------------------------------------------------------------------------
    async def _next(self) -> tuple[Event, ...]:
        while not self._events:
            self._idle.set()
            self._arrived.clear()
            await self._arrived.wait()
        return self._events.popleft()

    async def _run(self) -> None:
        try:
            await self.engine.prune_alerts()  # delivered long ago: forgotten
            await self.outbox.flush()  # what earlier runs could not deliver goes first
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not send the alerts left from earlier runs")
        while True:
            batch = await self._next()
            try:
                await self._handle_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a quiet one (the database is gone) was already told: one line
                log.error("could not notify %s: %s", ", ".join(type(e).__name__ for e in batch), exc,
                          exc_info=None if quiet(exc) else exc)
            if not self._events:
                self._idle.set()

    async def _handle_batch(self, batch: tuple[Event, ...]) -> None:
        """One publication: its alerts are released together (partners merge), the rest in order."""
        released: set[str] = set()
        for event in batch:
            if isinstance(event, self._alert_types):
                released.add(event.id)
                continue
            if released:
                await self.outbox.flush(only=released)
                released = set()
            await self._handle(event)
        if released:
            await self.outbox.flush(only=released)

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
        elif isinstance(event, AlgoProgressed):
            signal = await self.engine.get_signal(event.position.signal_id)
            if signal is not None:
                await self._finish_cards(signal, lambda: cards.confirmed_line(signal.status_by) + "\n"
                                         + cards.algo_line(event), event.paper)
        elif isinstance(event, VenueUnreachable | VenueConnected):
            render = alerts.venue_unreachable if isinstance(event, VenueUnreachable) else alerts.venue_connected
            for chat in self.chats:
                with use(self.i18n, await self.book.for_chat(chat)):
                    text = render(event)  # type: ignore[arg-type]
                self.delivery.send_text(chat, text)

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
        stake = await self.engine.stake(signal)
        for chat in self.chats:
            if chat in already:
                continue
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.card(signal, paper=event.paper, mode=mode, auto=event.auto, now=now, stake=stake)
                markup = card_markup(signal, mode, event.auto, self.engine.settings.risk.twap_button)
            message = await self._await_first(self.delivery.send_text(chat, text, markup))
            if message is not None:
                await self.engine.save_card(signal.id, chat, message.message_id)

    async def _finish_cards(self, signal: Signal, line: Callable[[], str], paper: bool) -> None:
        now = self.engine.clock.now()
        for chat, message_id in await self.engine.cards(signal.id):
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.final(signal, line(), paper=paper, now=now)
            self.delivery.edit_text(chat, message_id, text)

    @staticmethod
    async def _await_first(futures: list[asyncio.Future[Any]]) -> Message | None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        return results[0] if results and isinstance(results[0], Message) else None


def card_markup(signal: Signal, mode: str, auto: bool, twap: bool = False) -> InlineKeyboardMarkup | None:
    """Confirm/Cancel buttons (and "Execute as TWAP" with ``twap``), except in auto and signal-only modes."""
    if auto or mode == ExecutionMode.SIGNAL_ONLY:
        return None
    return keyboards.signal_card(signal.id, twap)
