"""A small key → text store over the ``kv`` table, for a venue's own bookkeeping that is not the paper
account (the QMT broker's held triggers, the A-share T+1 wrapper's buys of the day)."""

from __future__ import annotations

from engine.storage.repository import Repository


class KvStateStore:
    """The ``StateStore`` protocol (engine/brokers/base.py) over the kv table, keys under ``prefix``."""

    def __init__(self, repo: Repository, prefix: str = "venue:") -> None:
        self._repo = repo
        self._prefix = prefix

    async def load(self, key: str) -> str | None:
        return await self._repo.kv_get(self._prefix + key)

    async def save(self, key: str, value: str) -> None:
        await self._repo.kv_put(self._prefix + key, value)
