"""Websocket streams as ccxt.pro binanceusdm uses them.

- Market streams: ccxt.pro connects to ``/market/ws/<n>`` (or ``/public/ws/<n>``, ``/ws``) and sends
  ``{"method": "SUBSCRIBE", "params": ["btcusdt@ticker"], "id": 1}``. Supported streams:
  ``<sym>@ticker`` (24hrTicker), ``<sym>@miniTicker``, ``<sym>@markPrice[@1s]``
  (markPriceUpdate), ``!markPrice@arr[@1s]``, ``<sym>@bookTicker``, ``<sym>@kline_<interval>``.
  A snapshot is pushed right after subscribing and again on every ``set_price``.
- User data stream: ``/private/ws?listenKey=<key>`` (or ``/ws/<key>``) receives
  ORDER_TRADE_UPDATE, ALGO_UPDATE and ACCOUNT_UPDATE as the matching engine publishes them.

Every connection has its own queue and writer task, so events arrive in the order they happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .routes_public import INTERVAL_MS
from .state import s

if TYPE_CHECKING:
    from .server import FakeBinance


class Connection:
    def __init__(self, ws: web.WebSocketResponse, private: bool):
        self.ws = ws
        self.private = private
        self.streams: set[str] = set()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while True:
            payload = await self.queue.get()
            if self.ws.closed:
                return
            await self.ws.send_str(json.dumps(payload))

    def send(self, payload) -> None:
        self.queue.put_nowait(payload)


class WsHub:
    def __init__(self, fake: FakeBinance):
        self.fake = fake
        self.connections: set[Connection] = set()
        self.messages_sent = 0
        self._candles: dict[tuple[str, str], list] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get(path, self.handle) for path in
                ("/ws", "/ws/{tail}", "/stream", "/market/ws", "/market/ws/{n}", "/public/ws",
                 "/public/ws/{n}", "/private/ws", "/private/ws/{n}")]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail")
        key = request.query.get("listenKey") or (tail if tail in self.fake.listen_keys else None)
        private = request.path.startswith("/private") or key is not None
        if private and key not in self.fake.listen_keys:
            raise web.HTTPBadRequest(text='{"code":-1125,"msg":"This listenKey does not exist."}')
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, private)
        self.connections.add(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and not private:
                    self._command(conn, msg.data)
        finally:
            self.connections.discard(conn)
            conn.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.writer
        return ws

    def _command(self, conn: Connection, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            conn.send({"error": {"code": 3, "msg": "Invalid JSON"}})
            return
        method, params, req_id = request.get("method"), request.get("params") or [], request.get("id")
        if method == "SUBSCRIBE":
            conn.streams.update(params)
            conn.send({"result": None, "id": req_id})
            for stream in params:
                event = self._event_for(stream)
                if event is not None:
                    conn.send(event)
        elif method == "UNSUBSCRIBE":
            conn.streams.difference_update(params)
            conn.send({"result": None, "id": req_id})
        elif method == "LIST_SUBSCRIPTIONS":
            conn.send({"result": sorted(conn.streams), "id": req_id})
        else:
            conn.send({"error": {"code": 2, "msg": f"Invalid request: unknown method {method}"}, "id": req_id})

    # ------------------------------------------------------------------ publishing
    def publish_user(self, event: dict) -> None:
        for conn in list(self.connections):
            if conn.private:
                conn.send(event)
                self.messages_sent += 1

    def publish_market(self, symbol: str) -> None:
        lower = symbol.lower()
        for conn in list(self.connections):
            if conn.private:
                continue
            for stream in conn.streams:
                if stream.startswith(lower + "@") or stream.startswith("!markPrice@arr"):
                    event = self._event_for(stream, symbol)
                    if event is not None:
                        conn.send(event)
                        self.messages_sent += 1

    async def drop_all(self) -> int:
        """Close every stream (ccxt.pro sees the connection lost); returns how many were open."""
        conns = list(self.connections)
        for conn in conns:
            await conn.ws.close(code=1001, message=b"dropped by fake")
        return len(conns)

    # ------------------------------------------------------------------ event payloads
    def _event_for(self, stream: str, only_symbol: str | None = None):
        ex = self.fake.exchange
        now = self.fake.now_ms()
        if stream.startswith("!markPrice@arr"):
            symbols = [only_symbol] if only_symbol else list(ex.specs)
            return [self._mark(sym, now) for sym in symbols]
        sym_lower, _, channel = stream.partition("@")
        symbol = sym_lower.upper()
        if symbol not in ex.specs:
            return None
        t = ex.tickers[symbol]
        if channel.startswith("markPrice"):
            return self._mark(symbol, now)
        if channel in ("ticker", "miniTicker"):
            event = {"e": "24hrTicker" if channel == "ticker" else "24hrMiniTicker", "E": now, "s": symbol,
                     "c": s(t.last), "o": s(t.open), "h": s(t.high), "l": s(t.low), "v": s(t.volume),
                     "q": s(t.quote_volume)}
            if channel == "ticker":
                event.update({"p": s(t.last - t.open), "P": s((t.last - t.open) / t.open * 100 if t.open else 0),
                              "w": s(t.last), "Q": "0", "O": now - 86_400_000, "C": now, "F": 1,
                              "L": t.count, "n": t.count})
            return event
        if channel == "bookTicker":
            tick = ex.specs[symbol].tick_size
            return {"e": "bookTicker", "u": now, "E": now, "T": now, "s": symbol, "b": s(t.last - tick),
                    "B": "10", "a": s(t.last + tick), "A": "10"}
        if channel.startswith("kline_"):
            return self._kline(symbol, channel[len("kline_"):], now)
        return None

    def _mark(self, symbol: str, now: int) -> dict:
        t = self.fake.exchange.tickers[symbol]
        return {"e": "markPriceUpdate", "E": now, "s": symbol, "p": s(t.mark), "i": s(t.mark),
                "P": s(t.mark), "r": s(t.funding_rate), "T": (now // 28_800_000 + 1) * 28_800_000}

    def _kline(self, symbol: str, interval: str, now: int) -> dict | None:
        step = INTERVAL_MS.get(interval)
        if step is None:
            return None
        last = self.fake.exchange.tickers[symbol].last
        start = now // step * step
        candle = self._candles.get((symbol, interval))
        if candle is None or candle[0] != start:
            candle = [start, last, last, last, last]
            self._candles[(symbol, interval)] = candle
        candle[2], candle[3], candle[4] = max(candle[2], last), min(candle[3], last), last
        return {"e": "kline", "E": now, "s": symbol,
                "k": {"t": start, "T": start + step - 1, "s": symbol, "i": interval, "f": 0, "L": 0,
                      "o": s(candle[1]), "c": s(candle[4]), "h": s(candle[2]), "l": s(candle[3]),
                      "v": "0", "n": 0, "x": False, "q": "0", "V": "0", "Q": "0", "B": "0"}}
