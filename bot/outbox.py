"""Alerts from the engine's outbox → Telegram, in order per chat, exactly once per chat.

The engine writes every alert-type event to its outbox in the same transaction as the change that
caused it. ``AlertSender.flush`` reads what is not settled yet (oldest first), renders each alert in
each recipient chat's language, sends it as a persistent item (retried through outages of any
length), waits for Telegram's confirmation and marks (event, chat) delivered; when every recipient
has it, the alert is settled. A restart loads what was not settled and goes on from there; a chat
that already confirmed an alert never gets it again.

* A ``TargetHit`` and the ``StopMovedToBreakeven`` of the same position are one alert, and so are
  the last ``TargetHit`` and the ``PositionClosed`` it caused: they are written in one commit and
  published in one batch, so the partner is always pending with it — nothing is waited for.
* Alerts older than ``max_age`` when they can finally go out (Telegram was away, the bot was down)
  are folded into one summary per chat instead of a flood.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot import format as fmt
from bot import keyboards
from bot.delivery import Delivery
from bot.i18n import LanguageBook, use
from bot.presenters import alerts, cards, hedge
from bot.presenters.missed import missed_summary
from engine.domain.events import (
    EngineError,
    EntryNotFilled,
    Event,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    StopMovedToBreakeven,
    TargetHit,
    TradingPaused,
)
from engine.domain.hedge import HedgeEvent
from engine.domain.models import CloseReason
from engine.domain.reasons import PauseReason

if TYPE_CHECKING:
    from engine.facade import Engine, PendingAlert

log = logging.getLogger("bot.outbox")

# Pauses the person who asked already hears about from their command's answer.
QUIET_PAUSES = (PauseReason.MANUAL, PauseReason.PANIC)
# Closes the person who asked already hears about (or that end a backtest).
QUIET_CLOSES = (CloseReason.PANIC, CloseReason.END)


def quiet(event: Event) -> bool:
    """Alerts nobody needs: the person who asked already has the answer of their command."""
    return ((isinstance(event, TradingPaused) and event.reason in QUIET_PAUSES)
            or (isinstance(event, PositionClosed) and event.reason in QUIET_CLOSES))


def _same_position(a: Event, b: Event) -> bool:
    pa, pb = getattr(a, "position", None), getattr(b, "position", None)
    return pa is not None and pb is not None and pa.id == pb.id


def _partner_of(event: Event) -> Callable[[Event], bool] | None:
    """What ``event`` is merged with, if anything."""
    if isinstance(event, TargetHit):
        if event.target >= len(event.position.targets):
            return lambda e: isinstance(e, PositionClosed) and _same_position(e, event)
        return lambda e: isinstance(e, StopMovedToBreakeven) and _same_position(e, event)
    if isinstance(event, StopMovedToBreakeven):
        return lambda e: isinstance(e, TargetHit) and _same_position(e, event)
    if isinstance(event, PositionClosed) and event.reason is CloseReason.TARGET:
        return lambda e: isinstance(e, TargetHit) and _same_position(e, event)
    return None


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, (TelegramNetworkError, TelegramServerError, TelegramRetryAfter, RuntimeError))


class AlertSender:
    def __init__(self, engine: Engine, delivery: Delivery, i18n: I18n, book: LanguageBook, *,
                 chats: list[int], max_age: timedelta) -> None:
        self.engine = engine
        self.delivery = delivery
        self.i18n = i18n
        self.book = book
        self.chats = chats
        self.max_age = max_age
        self.handled: set[str] = set()  # alert ids this process has sent (or settled)
        self.delivered = 0  # (alert, chat) pairs confirmed by Telegram in this process
        self.summaries = 0

    async def flush(self, only: Collection[str] | None = None) -> None:
        """Deliver pending alerts, oldest first (``only``: just these ids, when given)."""
        while True:
            everything = [p for p in await self.engine.pending_alerts() if p.event.id not in self.handled]
            pending = [p for p in everything if only is None or p.event.id in only]
            if not pending:
                return
            now = self.engine.clock.now()
            old = [p for p in pending if now - p.event.ts > self.max_age]
            if old:
                await self._fold(old)
            fresh = [p for p in pending if p not in old]
            while fresh:
                group = [fresh.pop(0)]
                match = _partner_of(group[0].event)
                if match is not None:
                    # partners are written in one commit: look at everything pending, not just ``only``
                    partner = next((p for p in everything if p not in group and p.event.id not in self.handled
                                    and match(p.event)), None)
                    if partner is not None:
                        if partner in fresh:
                            fresh.remove(partner)
                        group.append(partner)
                await self._deliver(group)

    # --- one alert (or a merged pair) to every chat --------------------------------------------------
    async def _deliver(self, group: list[PendingAlert]) -> None:
        ids = [p.event.id for p in group]
        events = [p.event for p in group]
        self.handled.update(ids)  # this process tries once; an unfinished one waits for the next start
        if all(quiet(e) for e in events):
            await self._settle(ids)
            return
        signal_id = await self._signal_id(events[0])
        card_ids: dict[int, int] = {}
        if signal_id:
            for chat, message_id in await self.engine.cards(signal_id):
                card_ids.setdefault(chat, message_id)
        done = set.intersection(*(set(p.delivered_to) for p in group))
        targets = [c for c in dict.fromkeys([*self.chats, *card_ids]) if c not in done]
        if isinstance(events[0], RiskRejected):
            await self._finish_cards(events[0])
        if isinstance(events[0], EntryNotFilled):
            await self._not_filled_cards(events[0])
        symbol = await self._symbol(events[0])
        sends: dict[int, list[asyncio.Future[Any]]] = {}
        for chat in targets:
            with use(self.i18n, await self.book.for_chat(chat)):
                text = self._render(events, symbol)
                markup = self._controls(events)
            sends[chat] = self.delivery.send_text(chat, text, markup, reply_to=card_ids.get(chat), persistent=True)
        if await self._confirmed(sends, ids):
            await self._settle(ids)

    async def _fold(self, old: list[PendingAlert]) -> None:
        """One summary per chat for alerts that waited longer than ``max_age``."""
        audible = [p for p in old if not quiet(p.event)]
        sends: dict[int, list[asyncio.Future[Any]]] = {}
        for chat in self.chats:
            mine = [p.event for p in audible if chat not in p.delivered_to]
            if not mine:
                continue
            with use(self.i18n, await self.book.for_chat(chat)):
                text = missed_summary(mine)
            sends[chat] = self.delivery.send_text(chat, text, persistent=True)
        ids = [p.event.id for p in old]
        self.handled.update(ids)
        if await self._confirmed(sends, ids):
            self.summaries += len(sends)
            await self._settle(ids)

    async def _confirmed(self, sends: dict[int, list[asyncio.Future[Any]]], ids: list[str]) -> bool:
        """Wait for Telegram; mark each chat that has the message. True when every chat is done
        (delivered, or refused for good: blocked, chat gone)."""
        complete = True
        for chat, futures in sends.items():
            results = await asyncio.gather(*futures, return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            if any(_transient(e) for e in errors):  # the delivery queue was stopped: next run
                complete = False
                continue
            await self.engine.alert_delivered(ids, chat)
            if not errors:
                self.delivered += len(ids)
        return complete

    async def _settle(self, ids: list[str]) -> None:
        await self.engine.alerts_settled(ids)

    # --- rendering -----------------------------------------------------------------------------------
    @staticmethod
    def _controls(events: list[Event]) -> InlineKeyboardMarkup | None:
        """Close 50 % · Move stop to BE · Close all under an entry alert (admins only: the buttons ask first)."""
        if len(events) == 1 and isinstance(events[0], PositionOpened) and events[0].position.is_open:
            return keyboards.position_controls(events[0].position.id)
        return None

    @staticmethod
    def _render(events: list[Event], symbol: str | None) -> str:
        hit = next((e for e in events if isinstance(e, TargetHit)), None)
        if hit is not None:
            breakeven = next((e for e in events if isinstance(e, StopMovedToBreakeven)), None)
            closed = next((e for e in events if isinstance(e, PositionClosed)), None)
            return alerts.target_hit(hit, breakeven, closed)
        event = events[0]
        if isinstance(event, PositionOpened):
            return alerts.entry_filled(event)
        if isinstance(event, StopMovedToBreakeven):
            return alerts.breakeven_moved(event)
        if isinstance(event, PositionClosed):
            return alerts.position_closed(event)
        if isinstance(event, RiskRejected):
            return alerts.risk_rejected(event)
        if isinstance(event, TradingPaused):
            return alerts.trading_paused(event)
        if isinstance(event, EngineError):
            return alerts.engine_error(event, symbol)
        if isinstance(event, EntryNotFilled):
            return alerts.entry_not_filled(event)
        if isinstance(event, HedgeEvent):
            return hedge.alert(event)
        raise TypeError(f"no alert for {type(event).__name__}")

    async def _signal_id(self, event: Event) -> str | None:
        position = getattr(event, "position", None)
        if position is not None:
            return position.signal_id
        if isinstance(event, RiskRejected):
            return event.signal.id
        if isinstance(event, EngineError):
            if event.position_id:
                found = await self.engine.get_position(event.position_id)
                if found is not None:
                    return found.signal_id
            return event.signal_id
        return None

    async def _symbol(self, event: Event) -> str | None:
        if isinstance(event, EngineError) and event.position_id:
            found = await self.engine.get_position(event.position_id)
            return found.symbol if found is not None else None
        return None

    async def _not_filled_cards(self, event: EntryNotFilled) -> None:
        """The signal's cards say the limit entry expired unfilled."""
        signal = await self.engine.get_signal(event.position.signal_id)
        if signal is None:
            return
        now = self.engine.clock.now()
        for chat, message_id in await self.engine.cards(signal.id):
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.final(signal, cards.not_filled_line(event.by), paper=event.paper, now=now)
            self.delivery.edit_text(chat, message_id, text)

    async def _finish_cards(self, event: RiskRejected) -> None:
        """The refused signal's cards lose their buttons and say why."""
        now = self.engine.clock.now()
        for chat, message_id in await self.engine.cards(event.signal.id):
            with use(self.i18n, await self.book.for_chat(chat)):
                text = cards.final(event.signal, cards.rejected_line(event.reason, event.detail,
                                                                         fmt.quote_of(event.signal.symbol)),
                                   paper=event.paper, now=now)
            self.delivery.edit_text(chat, message_id, text)
