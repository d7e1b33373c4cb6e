"""The routes of the engine's HTTP server, bound to a running engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.http.health import health_routes
from engine.http.hooks import tradingview_routes
from engine.http.server import HttpServer
from engine.metrics import Metrics

if TYPE_CHECKING:
    from engine.facade import Engine


def build_server(engine: Engine, metrics: Metrics) -> HttpServer:
    settings = engine.settings
    secret = settings.hooks.tradingview_secret
    intake = engine.intake
    assert intake is not None
    routes = tradingview_routes(intake, secret.get_secret_value() if secret else None,
                                halted=lambda: engine.failure is not None, on_bad_secret=metrics.bad_secret)
    routes += health_routes(engine.liveness, engine.readiness, metrics)
    return HttpServer(settings.http, routes)
