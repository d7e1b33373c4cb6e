"""What front ends keep through the engine: each user's language, where each signal's card was sent,
and the alert outbox (alerts kept in the database until every chat has them). A part of the façade
(``engine.facade.Engine``), kept apart because it only stores and reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from engine.alerts.kinds import routed
from engine.domain.events import Event
from engine.storage.outbox import ALERTS, PendingAlert, is_alert

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.wiring import Components


class FrontEndMemory:
    _c: Components
    clock: Clock

    # --- front-end memory ---------------------------------------------------------------------------
    async def user_language(self, user_id: int) -> str | None:
        return await self._c.repo.user_lang(user_id)

    async def set_user_language(self, user_id: int, lang: str) -> None:
        await self._c.repo.set_user_lang(user_id, lang)

    async def save_card(self, signal_id: str, chat_id: int, message_id: int) -> None:
        """Remember where a signal's card was sent, so alerts reply to it (survives restarts)."""
        await self._c.repo.save_card(signal_id, chat_id, message_id)

    async def cards(self, signal_id: str) -> list[tuple[int, int]]:
        return await self._c.repo.cards(signal_id)

    # --- the alert outbox ---------------------------------------------------------------------------
    ALERTS = ALERTS  # the event types that are alerts: kept in the outbox until delivered

    async def _record_alert(self, event: Event) -> None:
        if is_alert(event):
            await self._c.repo.add_alerts([event])

    async def pending_alerts(self, limit: int = 500) -> list[PendingAlert]:
        """Alerts not yet delivered everywhere, oldest first (they survive restarts). Kinds not routed
        to Telegram (SP_ALERTS__TELEGRAM_KINDS) are settled here and never returned."""
        pending = await self._c.repo.pending_alerts(limit)
        kinds = self._c.settings.alerts.telegram_kinds
        elsewhere = [a.event.id for a in pending if not routed(a.event, kinds)]
        if elsewhere:
            await self._c.repo.settle_alerts(elsewhere, self.clock.now())
        return [a for a in pending if routed(a.event, kinds)]

    async def alert_delivered(self, event_ids: Iterable[str], chat_id: int) -> None:
        """Telegram confirmed these alerts in this chat: never send them there again."""
        await self._c.repo.mark_delivered(event_ids, chat_id, self.clock.now())

    async def alerts_settled(self, event_ids: Iterable[str]) -> None:
        """Every recipient has these alerts (or never will): no longer pending."""
        await self._c.repo.settle_alerts(event_ids, self.clock.now())

    async def prune_alerts(self, older_than: timedelta = timedelta(days=7)) -> int:
        return await self._c.repo.prune_alerts(self.clock.now() - older_than)

