"""The engine on replayed A-share sessions (tests/data/ashare) trading through the ``qmt`` broker
against the bridge server with the simulated trader: each replayed price is first set on the
simulator, a new trading day rolls it (T+1), and fills are polled after every price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from config.settings import Settings
from engine.brokers.qmt import QmtBroker, build_qmt_broker
from engine.clock import ManualClock
from engine.facade import REPLAY_CLOCK_KEY, Engine
from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData
from engine.market_rules.calendar import SHANGHAI
from engine.storage.kv_store import KvStateStore
from engine.wiring import EPOCH, build
from tests.engine.qmt.bridge import TOKEN, Running

DATA = Path(__file__).resolve().parents[2] / "data" / "ashare"
STOCK = "600000.SH"


def ashare_settings(url: str, db_url: str, **sections: dict[str, Any]) -> Settings:
    base: dict[str, Any] = {
        "mode": "live",
        "exchange": {"name": "qmt"},
        "qmt": {"url": url, "token": TOKEN},
        "market": {"source": "replay", "replay_dir": str(DATA), "replay_warmup": 100, "replay_speed": 0},
        "database": {"url": db_url},
        "scan": {"symbols": [STOCK], "timeframes": ["5m"], "candles": 60},
        "plan": {"targets": ["3:1"]},
        "risk": {"sizing": "percent", "percent_equity": 50, "max_orders_per_min": 100},
        "telegram": {"token": None},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


class LocalSim:
    """The simulator of a bridge running in this process."""

    def __init__(self, srv: Running) -> None:
        self.srv = srv

    async def day(self, day: str) -> None:
        self.srv.sim.set_day(day)

    async def price(self, symbol: str, price: Decimal) -> None:
        self.srv.sim.set_price(symbol, float(price))


class RemoteSim:
    """The simulator of a bridge in another process, steered over HTTP (``/sim/...``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _post(self, action: str, body: dict[str, Any]) -> None:
        async with aiohttp.ClientSession() as http, http.post(f"{self.url}/sim/{action}", json=body,
                                                               headers={"X-Token": TOKEN}) as resp:
            assert resp.status == 200, await resp.text()

    async def day(self, day: str) -> None:
        await self._post("day", {"day": day})

    async def price(self, symbol: str, price: Decimal) -> None:
        await self._post("price", {"stock_code": symbol, "price": str(price)})


@dataclass
class Rig:
    engine: Engine
    broker: QmtBroker
    sim: LocalSim | RemoteSim
    replay: ReplayMarketData  # the engine's market source, built here
    day: Any = None

    async def tick(self, tick: PriceTick) -> None:
        """One replayed price: the simulator first (a new Shanghai date rolls it), then the engine."""
        self.day = tick.ts.astimezone(SHANGHAI).date()
        await self.sim.day(self.day.isoformat())
        await self.sim.price(tick.symbol, tick.price)
        await self.engine.on_tick(tick)
        await self.settle()

    async def settle(self) -> None:
        await self.broker.poll()
        await self.engine.manager.process_inbox()

    async def step(self, n: int = 1) -> bool:
        """``n`` replayed candles; the replay clock saved as the engine saves it (a restart resumes)."""
        for _ in range(n):
            if not await self.replay.step(self.tick, None):
                return False
            await self.engine.repository.kv_put(REPLAY_CLOCK_KEY, self.engine.clock.now().isoformat())
        return True

    async def close(self) -> None:
        await self.engine.stop()


async def start_rig(srv: Running | str, db_url: str, **sections: dict[str, Any]) -> Rig:
    url = srv if isinstance(srv, str) else srv.url
    sim: LocalSim | RemoteSim = RemoteSim(url) if isinstance(srv, str) else LocalSim(srv)
    settings = ashare_settings(url, db_url, **sections)
    clock = ManualClock(EPOCH)
    m = settings.market
    replay = ReplayMarketData(m.replay_dir, clock, base_timeframe=m.base_timeframe, symbols=[STOCK],
                              warmup=m.replay_warmup, speed=0)
    broker = build_qmt_broker(url, TOKEN, clock, poll_seconds=0, timeout=5.0)
    components = await build(settings, clock=clock, market=replay, broker=broker, database_url=db_url)
    broker.triggers.store = KvStateStore(components.repo)
    engine = Engine(components)
    await engine.start(run_feed=False, run_jobs=False)
    rig = Rig(engine, broker, sim, replay)
    await rig.step()
    return rig
