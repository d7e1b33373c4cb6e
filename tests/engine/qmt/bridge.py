"""A bridge server with the simulated trader, on a real 127.0.0.1 port, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from engine.qmt.server import Bridge, serve, simulated_bridge
from engine.qmt.simulated import SimulatedTrader

TOKEN = "test-token-5f1d"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(day: str, hm: str) -> datetime:
    """A moment in Shanghai time, e.g. shanghai("2026-12-02", "10:00") (a Wednesday session)."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@dataclass
class Running:
    bridge: Bridge
    url: str

    @property
    def sim(self) -> SimulatedTrader:
        assert self.bridge.simulator is not None
        return self.bridge.simulator


@asynccontextmanager
async def running_bridge(cash: float = 1_000_000.0, st_symbols: frozenset[str] = frozenset()) -> AsyncIterator[Running]:
    bridge = simulated_bridge(TOKEN, cash, st_symbols)
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(bridge, "127.0.0.1", 0, stop, ready=port.set_result))
    done, _ = await asyncio.wait({task, port}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()
    try:
        yield Running(bridge, f"http://127.0.0.1:{port.result()}")
    finally:
        stop.set()
        await task
