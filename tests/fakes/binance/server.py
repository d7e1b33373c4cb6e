"""``FakeBinance``: a local Binance USDⓈ-M futures venue over aiohttp (REST and websockets).

One request passes through: record → armed/random fault → request budget (429) → API key and
signature/timestamp check → handler → JSON. Handlers raise ``BinanceError`` for venue errors.
The test-facing surface (set_price, inject, inspection properties) lives on this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from . import aster, auth, errors, routes_account, routes_orders, routes_public
from .faults import Budget, Faults, weight_of
from .markets import DEFAULT_SYMBOLS, SymbolSpec
from .matching import Exchange
from .ws import WsHub

PUBLIC, KEY, SIGNED, ASTER = "public", "key", "signed", "aster"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict
    time_ms: int


def _route_table() -> dict:
    table = {key: (handler, PUBLIC) for key, handler in routes_public.ROUTES.items()}
    table.update({key: (handler, SIGNED) for key, handler in routes_orders.ROUTES.items()})
    table.update({key: (handler, SIGNED) for key, handler in routes_account.SIGNED_ROUTES.items()})
    table.update({key: (handler, KEY) for key, handler in routes_account.KEY_ROUTES.items()})
    return table


def _aster_table(binance: dict) -> dict:
    public, private = aster.routes(binance)
    table = {key: (handler, PUBLIC) for key, handler in public.items()}
    table.update({key: (handler, ASTER) for key, handler in private.items()})
    return table


class FakeBinance:
    def __init__(self, symbols: list[SymbolSpec] | None = None, *, api_key: str = "fake-api-key",
                 secret: str = "fake-secret", balance: Decimal | str = "10000",
                 request_budget_per_minute: int | None = None, seed: int = 0, timeout_hold: float = 3.0,
                 child_client_id: str = "generated"):
        self.keys = {api_key: secret}
        self.api_key, self.secret = api_key, secret
        self.clock_offset_ms = 0
        self.timeout_hold = timeout_hold
        self.fault_retry_after = 30  # seconds in the Retry-After of an injected rate_limit fault
        self.exchange = Exchange(list(symbols or DEFAULT_SYMBOLS), self.now_ms, Decimal(balance),
                                 child_client_id=child_client_id)
        self.faults = Faults(seed)
        self.budget = Budget(request_budget_per_minute)
        self.requests: list[RecordedRequest] = []
        self.counts: Counter[str] = Counter()
        self.listen_keys: set[str] = set()
        self.klines: dict[tuple[str, str], list[list]] = {}
        self.ws = WsHub(self)
        self.exchange.listeners.append(self.ws.publish_user)
        self._routes = _route_table()
        self._aster_routes = _aster_table(self._routes)
        # Aster accounts: user wallet -> the signer wallets it approved (``add_aster_wallet``)
        self.aster_wallets: dict[str, set[str]] = {aster.TEST_USER: {aster.address_of(aster.TEST_SIGNER_KEY)}}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.key_permissions = {"enableReading": True, "enableFutures": True, "enableWithdrawals": False}
        # client id -> quantity of that resting order filled as its cancel arrives (``fill_before_cancel``)
        self.fills_on_cancel: dict[str, Decimal] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> FakeBinance:
        """Listen on 127.0.0.1 (a free port, or ``port``: e.g. one a client was given before)."""
        app = web.Application()
        app.router.add_routes(self.ws.routes())
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(Exception):
            await self.ws.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBinance:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    # ------------------------------------------------------------------ test controls
    def set_price(self, symbol: str, price, mark=None) -> None:
        """Move last (and mark) price: fills crossed LIMIT orders, fires algo orders, pushes ws ticks."""
        self.exchange.set_price(symbol, Decimal(str(price)), None if mark is None else Decimal(str(mark)))
        self.ws.publish_market(symbol)

    def fill_order(self, client_id: str, qty) -> None:
        """A counterparty takes ``qty`` of our resting LIMIT order ``client_id`` at its price (the
        price does not move): a partial fill, or the whole rest."""
        order = self._resting(client_id)
        self.exchange.fill_resting(order, Decimal(str(qty)))

    def fill_before_cancel(self, client_id: str, qty) -> None:
        """When the cancel of resting order ``client_id`` arrives, ``qty`` of it fills first (a fill that
        raced the cancel on the venue: the client learns of it only after sending the cancel); the
        rest is then cancelled (nothing left: the cancel fails with -2011, as on Binance)."""
        self.fills_on_cancel[client_id] = Decimal(str(qty))

    def _resting(self, client_id: str):
        found = [o for o in self.exchange.orders.values() if o.client_id == client_id and o.is_open]
        if not found:
            raise KeyError(f"no resting order {client_id}")
        return found[-1]

    def inject(self, target: str, kind: str, count: int = 1, apply: bool | None = None) -> None:
        """Arm faults (see faults.py). ``drop_ws`` closes every websocket at once."""
        if kind == "drop_ws":
            asyncio.get_running_loop().create_task(self.ws.drop_all())
            return
        self.faults.inject(target, kind, count, apply)

    async def drop_ws(self) -> int:
        return await self.ws.drop_all()

    @property
    def fault_rate(self) -> float:
        return self.faults.fault_rate

    @fault_rate.setter
    def fault_rate(self, value: float) -> None:
        self.faults.fault_rate = value

    def add_key(self, api_key: str, secret: str) -> None:
        self.keys[api_key] = secret

    def add_aster_wallet(self, user: str, signer: str) -> None:
        """Let ``signer`` (an address) sign Aster v3 requests for the account ``user``."""
        self.aster_wallets.setdefault(user.lower(), set()).add(signer.lower())

    def load_klines(self, symbol: str, interval: str, rows: list[list]) -> None:
        """Rows are [open time ms, open, high, low, close, volume]; prices become Decimal."""
        self.klines[(symbol, interval)] = [[int(r[0])] + [Decimal(str(v)) for v in r[1:6]] for r in rows]

    def load_klines_csv(self, symbol: str, interval: str, path: str | Path) -> int:
        """Load a ``timestamp,open,high,low,close,volume`` CSV (the format of /work/shared/data)."""
        with open(path, newline="") as handle:
            rows = [[r["timestamp"], r["open"], r["high"], r["low"], r["close"], r["volume"]]
                    for r in csv.DictReader(handle)]
        self.load_klines(symbol, interval, rows)
        return len(rows)

    # ------------------------------------------------------------------ inspection
    @property
    def orders(self):
        return self.exchange.orders

    @property
    def algo_orders(self):
        return self.exchange.algo_orders

    @property
    def positions(self):
        return {key: p for key, p in self.exchange.positions.items() if p.amt}

    @property
    def trades(self):
        return self.exchange.trades

    @property
    def balance(self) -> Decimal:
        return self.exchange.wallet

    def count(self, target: str) -> int:
        """Requests seen for ``"METHOD /path"`` or ``"/path"`` (any method)."""
        if " " in target:
            return self.counts[target]
        return sum(n for key, n in self.counts.items() if key.split(" ", 1)[1] == target)

    def requests_last_minute(self) -> int:
        """Requests accepted in the last 60 s (the ones the budget counts)."""
        return self.budget.used_requests(self.now_ms())

    def peak_requests_per_minute(self) -> int:
        """Most requests seen (refused ones included) in any 60-second window so far."""
        times = [r.time_ms for r in self.requests]
        peak, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - 60_000:
                start += 1
            peak = max(peak, end - start + 1)
        return peak

    # ------------------------------------------------------------------ request pipeline
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, request.path
        raw_query = request.rel_url.raw_query_string
        raw_body = await request.text() if request.can_read_body else ""
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        params.update(parse_qsl(raw_body, keep_blank_values=True))
        visible = {k: v for k, v in params.items() if k != "signature"}
        now = self.now_ms()
        self.requests.append(RecordedRequest(method, path, visible, now))
        self.counts[f"{method} {path}"] += 1
        if "X-MBX-APIKEY" not in request.headers and "signer" in params:  # Aster's v3 signing
            route = self._aster_routes.get((method, path))
        else:
            route = self._routes.get((method, path)) or self._aster_routes.get((method, path))
        if route is None:
            return self._json({"code": -5000, "msg": f"Path {path}, Method {method} is invalid"}, 404)
        fault = self.faults.take(method, path)
        try:
            if fault is not None and fault.kind == "rate_limit":
                raise errors.too_many_requests(self.budget.requests_per_minute or 2400, self.fault_retry_after)
            retry_after = self.budget.retry_after(now)
            if retry_after is not None:
                raise errors.too_many_requests(self.budget.requests_per_minute, retry_after)
            self.budget.spend(now, weight_of(path, params))
            if fault is not None and not fault.apply:
                return await self._fail_without_applying(fault)
            body, status = self._dispatch(route, request, raw_query, raw_body, params), 200
        except errors.BinanceError as exc:
            body, status = exc.body(), exc.status
            if exc.headers:
                return self._json(body, status, exc.headers)
        if fault is not None:
            return await self._fail_after_applying(fault, body, status)
        return self._json(body, status)

    def _dispatch(self, route, request: web.Request, raw_query: str, raw_body: str, params: dict):
        handler, security = route
        if security == ASTER:
            aster.check_signed(raw_query, raw_body, params, self.aster_wallets, self.now_ms())
        elif security in (KEY, SIGNED):
            secret = auth.check_key(request.headers, self.keys)
            if security == SIGNED:
                auth.check_signed(raw_query, raw_body, params, secret, self.now_ms())
        return handler(self, params)

    async def _hold(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=self.timeout_hold)

    async def _fail_without_applying(self, fault) -> web.Response:
        if fault.kind == "timeout":
            await self._hold()
            return self._json(errors.unknown_error().body(), 504)
        return self._server_error(fault.kind)

    async def _fail_after_applying(self, fault, body, status) -> web.Response:
        if fault.kind == "timeout":
            await self._hold()
            return self._json(body, status)
        return self._server_error(fault.kind)

    def _server_error(self, kind: str) -> web.Response:
        if kind == "error503":
            return web.Response(status=503, text="Service Unavailable")
        return self._json(errors.unknown_error().body(), 500)

    def _json(self, body, status: int = 200, headers: dict | None = None) -> web.Response:
        hdrs = {"X-MBX-USED-WEIGHT-1M": str(self.budget.used_weight(self.now_ms()))}
        hdrs.update(headers or {})
        return web.json_response(body, status=status, headers=hdrs)
