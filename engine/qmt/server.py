"""The QMT bridge server: ``XtQuantTrader`` (or the simulated trader) behind the QKA protocol.

``POST /api/{method}`` with ``X-Token`` (compared in constant time); JSON body = the method's
parameters without ``account``; ``{"success": true, "data": ...}``; 401 for a wrong token, 500
``{"detail": "<message>"}`` when the trader raises. ``POST /api/get_full_tick`` ``{code_list}`` gives
live quotes when a quote source is given. With the simulated trader, ``POST /sim/{price,new_day,
day, lose_next_answer}`` steer it (same token). Binds 127.0.0.1 unless told otherwise; TLS with a
certificate.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from engine.market_rules.ashare import AShareRules
from engine.qmt import protocol as p
from engine.qmt.simulated import SimulatedTrader

log = logging.getLogger("engine.qmt.server")

@dataclass
class Bridge:
    trader: Any
    token: str
    account: Any = None
    quotes: Callable[[list[str]], Any] | None = None
    blocking: bool = False  # the real xtquant calls block: run them in a thread
    simulator: SimulatedTrader | None = None
    lose_answers: int = 0  # simulator only: answers of the next order_stock calls to drop
    calls: list[str] = field(default_factory=list)


BRIDGE = web.AppKey("bridge", Bridge)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _error(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def _authorised(request: web.Request, bridge: Bridge) -> bool:
    given = request.headers.get(p.TOKEN_HEADER, "")
    return hmac.compare_digest(given.encode(), bridge.token.encode())


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


async def _call(bridge: Bridge, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if bridge.blocking:
        return await asyncio.to_thread(fn, *args, **kwargs)
    return fn(*args, **kwargs)


async def handle_api(request: web.Request) -> web.StreamResponse:
    bridge: Bridge = request.app[BRIDGE]
    if not _authorised(request, bridge):
        return _error(401, "invalid token")
    method = request.match_info["method"]
    try:
        params = await _body(request)
    except ValueError as exc:
        return _error(400, f"bad JSON body: {exc}")
    if method == "get_full_tick" and bridge.quotes is not None:
        codes = params.get("code_list") or []
        try:
            data = await _call(bridge, bridge.quotes, list(codes))
        except Exception as exc:
            return _error(500, str(exc))
        return web.json_response({"success": True, "data": data})
    if method not in p.METHODS:
        return _error(404, f"unknown method {method!r}")
    unknown = set(params) - set(p.METHODS[method])
    if unknown:
        return _error(400, f"{method} takes no parameter {', '.join(sorted(unknown))}")
    bridge.calls.append(method)
    try:
        result = await _call(bridge, getattr(bridge.trader, method), bridge.account, **params)
    except Exception as exc:
        log.warning("%s failed: %s", method, exc)
        return _error(500, str(exc))
    if method == "order_stock" and bridge.lose_answers > 0:
        bridge.lose_answers -= 1
        if request.transport is not None:
            request.transport.close()  # the order is placed, its answer never arrives
        raise asyncio.CancelledError
    return web.json_response({"success": True, "data": p.to_json(method, result)})


async def handle_sim(request: web.Request) -> web.Response:
    bridge: Bridge = request.app[BRIDGE]
    if not _authorised(request, bridge):
        return _error(401, "invalid token")
    sim = bridge.simulator
    assert sim is not None
    try:
        params = await _body(request)
        action = request.match_info["action"]
        if action == "price":
            sim.set_price(params["stock_code"], float(params["price"]), last_close=params.get("last_close"),
                          liquidity=params.get("liquidity"))
        elif action == "new_day":
            sim.new_day()
        elif action == "day":
            sim.set_day(str(params["day"]))
        elif action == "lose_next_answer":
            bridge.lose_answers += int(params.get("count", 1))
        else:
            return _error(404, f"unknown simulator action {action!r}")
    except (KeyError, TypeError, ValueError) as exc:
        return _error(400, f"bad simulator request: {exc}")
    return web.json_response({"success": True, "data": None})


def make_app(bridge: Bridge) -> web.Application:
    app = web.Application()
    app[BRIDGE] = bridge
    app.router.add_post("/api/{method}", handle_api)
    if bridge.simulator is not None:
        app.router.add_post("/sim/{action}", handle_sim)
    return app


def simulated_bridge(token: str, cash: float = 1_000_000.0, st_symbols: frozenset[str] = frozenset()) -> Bridge:
    """The simulated trader behind the bridge; ``st_symbols`` trade within ±5 % of the last close."""
    sim = SimulatedTrader(cash=cash, rules=AShareRules(st_symbols=st_symbols))
    return Bridge(trader=sim, token=token, account="SIM0001", quotes=sim.get_full_tick, simulator=sim)


def tls_context(certfile: Path | None, keyfile: Path | None) -> ssl.SSLContext | None:
    if certfile is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return ctx


async def serve(bridge: Bridge, host: str, port: int, stop: asyncio.Event,
                ssl_context: ssl.SSLContext | None = None, ready: Callable[[int], None] | None = None) -> None:
    """Serve until ``stop`` is set; ``ready(port)`` once listening (port 0 picks a free one)."""
    runner = web.AppRunner(make_app(bridge), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    if ready is not None:
        ready(bound)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
