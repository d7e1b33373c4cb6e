"""``FakeBackpack``: a local Backpack perpetuals venue over aiohttp (REST only).

A request passes through: record → (private) ``X-API-Key`` known, ``X-Timestamp`` within ``X-Window``,
ED25519 ``X-Signature`` over the instruction string → handler → JSON. Errors are Backpack's
``{"code": ..., "message": ...}`` with its HTTP status.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.fakes.backpack.auth import INSTRUCTIONS, new_keys, signed_text, verify
from tests.fakes.backpack.exchange import Book, Market, VenueError


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    signed: bool


class FakeBackpack:
    def __init__(self, *, collateral: str = "10000", seed: bytes = b"\x07" * 32,
                 markets: list[Market] | None = None) -> None:
        self.api_key, self.secret = new_keys(seed)
        markets = markets or [Market("SOL_USDC_PERP", "SOL", Decimal("0.01"), Decimal("0.01"), Decimal("0.01"),
                                     Decimal("150")),
                              Market("ETH_USDC_PERP", "ETH", Decimal("0.01"), Decimal("0.01"), Decimal("0.01"),
                                     Decimal("3000"))]
        self.book = Book({m.symbol: m for m in markets}, Decimal(collateral))
        self.klines: dict[str, list[dict[str, str]]] = {}
        self.requests: list[Recorded] = []
        self.down = False  # every request answers 503 while set
        self.port = 0
        self._runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeBackpack:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBackpack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test surface ----------------------------------------------------------------------------
    def set_price(self, symbol: str, price: str | Decimal) -> None:
        self.book.set_price(symbol, Decimal(str(price)))

    def load_klines(self, symbol: str, rows: list[tuple[int, str, str, str, str, str]]) -> None:
        """(open time ms, open, high, low, close, volume) rows of 1m candles."""
        self.klines[symbol] = [{"start": datetime.fromtimestamp(t / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                                "open": o, "high": h, "low": lo, "close": c, "volume": v, "_t": str(t)}
                               for t, o, h, lo, c, v in rows]

    def signed_paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests if r.signed]

    # --- dispatch --------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        params: dict[str, Any] = dict(request.query)
        if request.method != "GET" and request.can_read_body:
            params.update(json.loads(await request.text() or "{}"))
        private = (request.method, path) in INSTRUCTIONS
        self.requests.append(Recorded(request.method, path, params, private))
        if self.down:
            return web.json_response({"code": "SERVER_ERROR", "message": "unavailable"}, status=503)
        try:
            if private:
                self._authenticate(request, path, params)
            return web.json_response(self._route(request.method, path, params))
        except VenueError as exc:
            return web.json_response({"code": exc.code, "message": exc.message}, status=exc.status)

    def _authenticate(self, request: web.Request, path: str, params: dict[str, Any]) -> None:
        h = request.headers
        key, sig, ts, window = h.get("X-API-Key"), h.get("X-Signature"), h.get("X-Timestamp"), h.get("X-Window")
        if key != self.api_key or not sig or not ts or not window:
            raise VenueError("INVALID_CLIENT_REQUEST", "missing or unknown API key", 401)
        if abs(time.time() * 1000 - int(ts)) > int(window):
            raise VenueError("INVALID_CLIENT_REQUEST", "request outside the receive window", 400)
        text = signed_text(INSTRUCTIONS[(request.method, path)], params, ts, window)
        if not verify(key, sig, text):
            raise VenueError("INVALID_SIGNATURE", "signature does not match", 401)

    def _route(self, method: str, path: str, p: dict[str, Any]) -> Any:
        book = self.book
        if method == "GET":
            if path == "api/v1/markets":
                return [m.json() for m in book.markets.values()]
            if path in ("api/v1/securities", "api/v1/assets"):
                return []
            if path == "api/v1/time":
                return int(time.time() * 1000)
            if path == "api/v1/ticker":
                return self._ticker(book.market(str(p.get("symbol"))))
            if path == "api/v1/tickers":
                return [self._ticker(m) for m in book.markets.values()]
            if path == "api/v1/klines":
                start, end = int(p.get("startTime", 0)) * 1000, int(p.get("endTime", 1 << 62)) * 1000
                rows = self.klines.get(str(p.get("symbol")), [])
                return [{k: v for k, v in r.items() if k != "_t"} for r in rows if start <= int(r["_t"]) < end]
            if path == "api/v1/capital":
                return {"USDC": {"available": str(book.collateral), "locked": "0", "staked": "0"}}
            if path == "api/v1/position":
                return book.position_json()
            if path == "api/v1/orders":
                return [o.json() for o in book.orders.values() if o.status == "New"
                        and (not p.get("symbol") or o.symbol == p["symbol"])]
            if path == "api/v1/order":
                order = book.find(str(p.get("symbol")), p.get("orderId") or None, p.get("clientId") or None)
                if order is None or order.status != "New":
                    raise VenueError("RESOURCE_NOT_FOUND", "Order not found", 404)
                return order.json()
            if path == "wapi/v1/history/orders":
                return [o.json() for o in reversed(book.orders.values())
                        if (not p.get("symbol") or o.symbol == p["symbol"])
                        and (not p.get("orderId") or o.id == p["orderId"])]
            if path == "wapi/v1/history/fills":
                return [f for f in reversed(book.fills) if (not p.get("symbol") or f["symbol"] == p["symbol"])
                        and (not p.get("orderId") or f["orderId"] == p["orderId"])]
        if method == "POST" and path == "api/v1/order":
            return book.execute(p).json()
        if method == "DELETE" and path == "api/v1/order":
            return book.cancel(str(p.get("symbol")), p.get("orderId") or None,
                               None if p.get("clientId") is None else str(p["clientId"])).json()
        raise VenueError("NOT_FOUND", f"{method} /{path} is not served by this fake", 404)

    @staticmethod
    def _ticker(m: Market) -> dict[str, str]:
        return {"symbol": m.symbol, "firstPrice": str(m.price), "lastPrice": str(m.price), "high": str(m.price),
                "low": str(m.price), "volume": "1000", "quoteVolume": str(m.price * 1000), "priceChange": "0",
                "priceChangePercent": "0", "trades": "10"}
