"""Live A-share prices and candles through the bridge's ``get_full_tick`` (``xtdata`` on the QMT side).

``SP_SCAN__SYMBOLS`` is the universe. During sessions the quotes are polled every
``SP_MARKET__POLL_SECONDS`` and folded into base-timeframe candles; history comes from replay-format
CSV files in ``SP_MARKET__REPLAY_DIR`` when there are some for the symbol (``600000_SH-5m.csv``),
so the scanner need not wait for a day of bars. Outside sessions nothing is polled and no tick is
sent, so nothing is scanned or traded.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import numpy as np

from config.settings import Settings
from engine.brokers.errors import BrokerError
from engine.brokers.qmt.client import QmtClient
from engine.clock import Clock
from engine.domain.models import MarketSpec
from engine.domain.values import timeframe_seconds
from engine.market.base import Candles, PriceTick, TickHandler
from engine.market.csv_io import load_candle_file, symbol_file_stem
from engine.market.resample import resample
from engine.market_rules.ashare import AShareRules, ashare_spec

log = logging.getLogger("engine.brokers.qmt.market")


class QmtMarketData:
    def __init__(self, client: QmtClient, clock: Clock, symbols: list[str], *, base_timeframe: str = "5m",
                 poll_seconds: float = 5.0, history_dir: Path | None = None, rules: AShareRules | None = None):
        self.client, self.clock = client, clock
        self._symbols = [s.upper() for s in symbols]
        self.base_timeframe = base_timeframe
        self._base_ms = timeframe_seconds(base_timeframe) * 1000
        self.poll_seconds = poll_seconds
        self.rules = rules or AShareRules()
        self._bars: dict[str, list[list[float]]] = {s: self._history(s, history_dir) for s in self._symbols}
        self._last: dict[str, Decimal] = {}
        self._amount: dict[str, float] = {}

    def _history(self, symbol: str, folder: Path | None) -> list[list[float]]:
        path = None if folder is None else folder / f"{symbol_file_stem(symbol)}-{self.base_timeframe}.csv"
        if path is None or not path.is_file():
            return []
        f = load_candle_file(path)
        return [[float(t), o, h, lo, c, v] for t, o, h, lo, c, v in
                zip(f.ts, f.open, f.high, f.low, f.close, f.volume, strict=True)]

    async def symbols(self) -> list[str]:
        return list(self._symbols)

    async def market(self, symbol: str) -> MarketSpec:
        return ashare_spec(symbol)

    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        now_ms = self.clock.now().timestamp() * 1000
        rows = [b for b in self._bars.get(symbol.upper(), []) if b[0] + self._base_ms <= now_ms]  # closed only
        if not rows:
            return Candles.empty()
        a = np.array(rows, dtype=np.float64)
        base = Candles(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])
        tf_ms = timeframe_seconds(timeframe) * 1000
        frame = base if tf_ms == self._base_ms else resample(base, self._base_ms, tf_ms)
        return frame.tail(limit) if limit > 0 else Candles.empty()

    async def price(self, symbol: str) -> Decimal | None:
        return self._last.get(symbol.upper())

    async def quote_volume(self, symbol: str) -> float:
        return self._amount.get(symbol.upper(), 0.0)

    async def funding_rate(self, symbol: str) -> float | None:
        return None

    async def poll(self, on_tick: TickHandler) -> int:
        """One quote poll: every symbol with a price gets a tick (and its candle updated)."""
        data = await self.client.call("get_full_tick", code_list=self._symbols) or {}
        now = self.clock.now()
        sent = 0
        for symbol in self._symbols:
            entry = data.get(symbol)
            if not entry or not entry.get("lastPrice"):
                continue
            price = Decimal(str(entry["lastPrice"])).quantize(Decimal("0.01"))
            self._last[symbol] = price
            self._amount[symbol] = float(entry.get("amount") or 0.0)
            self._fold(symbol, float(price), int(now.timestamp() * 1000))
            await on_tick(PriceTick(symbol, price, now))
            sent += 1
        return sent

    def _fold(self, symbol: str, price: float, now_ms: int) -> None:
        start = now_ms - now_ms % self._base_ms
        bars = self._bars.setdefault(symbol, [])
        if bars and int(bars[-1][0]) == start:
            bar = bars[-1]
            bar[2], bar[3], bar[4] = max(bar[2], price), min(bar[3], price), price
        else:
            bars.append([float(start), price, price, price, price, 0.0])
            del bars[:-5000]

    async def run(self, on_tick: TickHandler) -> None:
        while True:
            if self.rules.is_open(self.clock.now()):
                try:
                    await self.poll(on_tick)
                except BrokerError as exc:
                    log.warning("quote poll failed: %s", exc)
            await self.clock.sleep(self.poll_seconds)

    async def close(self) -> None:
        await self.client.close()


def build_qmt_market(settings: Settings, clock: Clock, rules: AShareRules) -> QmtMarketData:
    qmt = settings.qmt
    assert qmt.url and qmt.token is not None
    folder = settings.market.replay_dir if settings.market.replay_dir.is_dir() else None
    return QmtMarketData(QmtClient(qmt.url, qmt.token.get_secret_value(), timeout=qmt.timeout_seconds), clock,
                         list(settings.scan.symbols), base_timeframe=settings.market.base_timeframe,
                         poll_seconds=settings.market.poll_seconds, history_dir=folder, rules=rules)
