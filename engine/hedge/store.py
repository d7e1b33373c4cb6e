"""Persisting hedge rounds: one JSON document per round (key ``hedge:<id>``), written with the
alerts its change causes in the same commit (the outbox), before and after every order.

``KvHedgeStore`` uses the database's key/value table through the repository; ``MemoryHedgeStore``
keeps rounds in memory (the replay command). Decimals are strings, times ISO-8601.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from engine.domain.events import Event
from engine.domain.hedge import HedgeLeg, HedgeRound, LegExit, LegState, RoundState
from engine.domain.values import Side

PREFIX = "hedge:"


class HedgeStore(Protocol):
    async def save(self, rnd: HedgeRound, events: Iterable[Event] = ()) -> None: ...

    async def active(self) -> list[HedgeRound]: ...

    async def get(self, round_id: str) -> HedgeRound | None: ...


def _value(v: object) -> object:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    return v.value if hasattr(v, "value") else v


def leg_to_dict(leg: HedgeLeg) -> dict[str, Any]:
    return {f.name: _value(getattr(leg, f.name)) for f in fields(leg)}


def round_to_dict(rnd: HedgeRound) -> dict[str, Any]:
    out: dict[str, Any] = {f.name: _value(getattr(rnd, f.name)) for f in fields(rnd) if f.name != "legs"}
    out["legs"] = [leg_to_dict(leg) for leg in rnd.legs]
    return out


_DEC = {"qty", "entry", "exit", "fees", "stop_price", "tp_price", "size"}
_TIME = {"opened_at", "closed_at", "started_at", "deadline", "ended_at"}


def _parse(name: str, v: Any) -> Any:
    if v is None:
        return None
    if name in _DEC:
        return Decimal(v)
    if name in _TIME:
        return datetime.fromisoformat(v)
    return v


def leg_from_dict(d: dict[str, Any]) -> HedgeLeg:
    leg = HedgeLeg(role=d["role"], venue=d["venue"], side=Side(d["side"]), qty=Decimal(d["qty"]))
    kw = {k: _parse(k, v) for k, v in d.items() if k not in ("role", "venue", "side", "qty")}
    kw["state"] = LegState(kw["state"])
    for key in ("reason", "closing"):
        kw[key] = LegExit(kw[key]) if kw.get(key) else None
    return replace(leg, **kw)


def round_from_dict(d: dict[str, Any]) -> HedgeRound:
    legs = tuple(leg_from_dict(x) for x in d["legs"])
    kw = {k: _parse(k, v) for k, v in d.items() if k != "legs"}
    kw["state"] = RoundState(kw["state"])
    return HedgeRound(legs=(legs[0], legs[1]), **kw)


class KvHedgeStore:
    """Rounds in the ``kv`` table, alerts in the outbox, one commit per step."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo

    async def save(self, rnd: HedgeRound, events: Iterable[Event] = ()) -> None:
        await self._repo.kv_put(PREFIX + rnd.id, json.dumps(round_to_dict(rnd)), events)

    async def active(self) -> list[HedgeRound]:
        rounds = [round_from_dict(json.loads(v)) for v in (await self._repo.kv_prefix(PREFIX)).values()]
        return sorted((r for r in rounds if r.is_active), key=lambda r: r.started_at)

    async def get(self, round_id: str) -> HedgeRound | None:
        text = await self._repo.kv_get(PREFIX + round_id)
        return None if text is None else round_from_dict(json.loads(text))

    async def recent(self, limit: int = 20) -> list[HedgeRound]:
        rounds = [round_from_dict(json.loads(v)) for v in (await self._repo.kv_prefix(PREFIX)).values()]
        return sorted(rounds, key=lambda r: r.started_at)[-limit:]


class MemoryHedgeStore:
    """Rounds in memory (replays): the same documents, kept as text so the round-trip is exercised."""

    def __init__(self) -> None:
        self.docs: dict[str, str] = {}
        self.events: list[Event] = []

    async def save(self, rnd: HedgeRound, events: Iterable[Event] = ()) -> None:
        self.docs[rnd.id] = json.dumps(round_to_dict(rnd))
        self.events.extend(events)

    async def active(self) -> list[HedgeRound]:
        rounds = [round_from_dict(json.loads(v)) for v in self.docs.values()]
        return [r for r in rounds if r.is_active]

    async def get(self, round_id: str) -> HedgeRound | None:
        text = self.docs.get(round_id)
        return None if text is None else round_from_dict(json.loads(text))
