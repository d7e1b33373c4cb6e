"""The alert outbox: which events are alerts, and how they are stored (JSON through pydantic).

Alert-type events are written to the ``outbox`` table in the same transaction as the position
or order change that produced them (``Repository.save(..., events=...)``), or just before they are
published when no such change exists (a pause, a refusal). A front end reads what is not yet
settled, delivers it, and marks each (event, chat) delivered; nothing is lost across restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

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
from engine.storage.tables import OutboxRow

ALERTS: tuple[type[Event], ...] = (
    PositionOpened, TargetHit, StopMovedToBreakeven, PositionClosed, EngineError, TradingPaused, RiskRejected,
    EntryNotFilled,
    HedgeEvent,
)
_BY_KIND: dict[str, type[Event]] = {cls.__name__: cls for cls in ALERTS}


@dataclass(frozen=True)
class PendingAlert:
    """An alert not settled yet, with the chats that already have it."""

    seq: int
    event: Event
    delivered_to: frozenset[int]


def is_alert(event: Event) -> bool:
    return type(event) in _BY_KIND.values()


def alerts_of(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if is_alert(e)]


_ADAPTERS: dict[type[Event], TypeAdapter[Event]] = {}


def _adapter(cls: type[Event]) -> TypeAdapter[Event]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def warm_up() -> None:
    """Build every alert's encoder now (at start), not at the first step that writes one."""
    for cls in ALERTS:
        _adapter(cls)


def values(event: Event) -> dict[str, Any]:
    """Every column of the event's outbox row but its generated ``seq`` (not settled yet)."""
    cls = type(event)
    return {"event_id": event.id, "kind": cls.__name__, "payload": _adapter(cls).dump_json(event).decode(),
            "created_at": event.ts, "settled_at": None}


def to_row(event: Event) -> OutboxRow:
    return OutboxRow(**values(event))


def event_json(event: Event) -> str:
    """An alert event as JSON (Decimals as strings, times ISO-8601)."""
    return _adapter(type(event)).dump_json(event).decode()


def from_row(row: OutboxRow) -> Event:
    return _adapter(_BY_KIND[row.kind]).validate_json(row.payload)
