"""The routes of the engine's HTTP server, bound to a running engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.http.hooks import tradingview_routes
from engine.http.server import HttpServer

if TYPE_CHECKING:
    from engine.facade import Engine


def build_server(engine: Engine) -> HttpServer:
    settings = engine.settings
    secret = settings.hooks.tradingview_secret
    intake = engine.c.intake
    assert intake is not None
    routes = tradingview_routes(intake, secret.get_secret_value() if secret else None,
                                halted=lambda: engine.failure is not None, on_bad_secret=lambda: None)
    return HttpServer(settings.http, routes)
