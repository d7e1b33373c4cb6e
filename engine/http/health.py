"""``GET /healthz`` (the process and its event loop answer: always 200 while they do), ``GET /readyz``
(database reachable, venue connected, market data fresh: 200 when all are, else 503; JSON details
either way) and ``GET /metrics`` (Prometheus text format)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from engine.http.server import json_body
from engine.metrics import CONTENT_TYPE, Metrics


def health_routes(alive: Callable[[], dict[str, Any]],
                  ready: Callable[[], Awaitable[tuple[bool, dict[str, Any]]]],
                  metrics: Metrics) -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.StreamResponse:
        return json_body({"status": "ok", **alive()})

    async def readyz(_request: web.Request) -> web.StreamResponse:
        ok, checks = await ready()
        return json_body({"ready": ok, "checks": checks}, 200 if ok else 503)

    async def scrape(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=await metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", scrape)]
