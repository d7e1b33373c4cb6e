"""The outbox as the channels beyond Telegram read it: alerts a channel has not handled yet (settled
or not for Telegram: each channel keeps its own marks in ``outbox_channel_deliveries``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select

from engine.domain.events import Event
from engine.storage import outbox
from engine.storage.db import Database
from engine.storage.tables import OutboxChannelRow, OutboxRow


class ChannelOutbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def pending(self, channel: str, since: datetime, limit: int = 100) -> list[Event]:
        """Alerts written at or after ``since`` that ``channel`` has not handled, oldest first."""
        handled = select(OutboxChannelRow.event_id).where(OutboxChannelRow.channel == channel)
        async with self.db.session() as s:
            q = (select(OutboxRow).where(col(OutboxRow.created_at) >= since)
                 .where(col(OutboxRow.event_id).not_in(handled)).order_by(col(OutboxRow.seq)).limit(limit))
            return [outbox.from_row(r) for r in (await s.exec(q)).all()]

    async def mark(self, event_ids: Iterable[str], channel: str, outcome: str, now: datetime) -> None:
        async with self.db.session() as s:
            for event_id in dict.fromkeys(event_ids):
                await s.merge(OutboxChannelRow(event_id=event_id, channel=channel, outcome=outcome, delivered_at=now))
            await s.commit()

    async def outcomes(self, channel: str) -> dict[str, str]:
        """event id → outcome, for this channel (tests, diagnostics)."""
        async with self.db.session() as s:
            rows = (await s.exec(select(OutboxChannelRow).where(OutboxChannelRow.channel == channel))).all()
            return {r.event_id: r.outcome for r in rows}
