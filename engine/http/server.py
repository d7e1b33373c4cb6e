"""One aiohttp server: request size limit (413), a time limit per request (408), JSON errors with a
reason for every bad request (4xx), no access log (a webhook's path holds its secret)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from config.outside import HttpSettings

log = logging.getLogger("engine.http")

MAX_BODY = web.AppKey("max_body", int)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, reason: str, **extra: object) -> web.Response:
    """A JSON error body: ``{"error": reason, ...}``."""
    return web.json_response({"error": reason, **extra}, status=status)


def _middlewares(timeout_s: float) -> list[object]:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with asyncio.timeout(timeout_s):
                return await handler(request)
        except TimeoutError:
            return error(408, f"the request took longer than {timeout_s:g} s")
        except web.HTTPRequestEntityTooLarge:
            limit = request.app[MAX_BODY]
            return error(413, f"the body is larger than {limit} bytes", limit=limit)
        except web.HTTPNotFound:
            return error(404, "not found")
        except web.HTTPMethodNotAllowed as exc:
            return error(405, f"method {request.method} not allowed", allowed=sorted(exc.allowed_methods))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error(exc.status, exc.reason)
        except Exception:
            log.exception("HTTP handler failed on %s %s", request.method, request.rel_url.path.split("/")[1])
            return error(500, "internal error")

    return [guard]


def json_body(data: object, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, default=str), status=status, content_type="application/json")


class HttpServer:
    """``await server.start()`` then ``server.port``; ``await server.stop()``."""

    def __init__(self, settings: HttpSettings, routes: list[web.RouteDef]) -> None:
        self.settings = settings
        self.app = web.Application(client_max_size=settings.max_body_kb * 1024,
                                   middlewares=_middlewares(settings.timeout_s))  # type: ignore[arg-type]
        self.app[MAX_BODY] = settings.max_body_kb * 1024
        self.app.add_routes(routes)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1] if runner.addresses else self.settings.port
        log.info("HTTP server listening on %s:%s", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
