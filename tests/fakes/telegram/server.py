"""FakeTelegram: a local Bot API server (aiohttp.web) that a real aiogram Bot talks to over HTTP.

It serves /bot<TOKEN>/<method> (method names case-insensitive) and /file/bot<TOKEN>/<path>, answers
like Telegram (JSON {"ok": …}, error codes and descriptions), records every call, and lets tests
inject user updates and faults. See tests/fakes/telegram_api.py for a usage example.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import editing, misc, profile, sending, updates  # noqa: F401  (importing registers the methods)
from .injection import Fault, InjectionMixin
from .inspection import InspectionMixin
from .objects import user_object
from .params import read_params
from .ratelimit import RateLimiter
from .records import ApiError, Call
from .registry import lookup
from .state import TelegramState

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession

log = logging.getLogger(__name__)
DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class FakeTelegram(InjectionMixin, InspectionMixin):
    """A fake Telegram Bot API on 127.0.0.1 (a free port); use as `async with FakeTelegram() as tg:`."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_name: str = "SignalPilot Test",
                 bot_username: str = "signalpilot_test_bot", now: Callable[[], float] = time.time,
                 webhook_retry_delay: float = 0.05) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '123456:ABC…'")
        self.token = token
        self.bot_user = user_object(int(bot_id), bot_name, username=bot_username, is_bot=True)
        self.state = TelegramState(self.bot_user, now)
        self.faults: list[Fault] = []
        self.rate_limiter: RateLimiter | None = None
        self.port = 0
        self._webhook_retry_delay = webhook_retry_delay
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What `TelegramAPIServer.from_base` takes: http://127.0.0.1:<port>."""
        if not self.port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)  # the URL holds the token: never log it
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        delivery = updates.WebhookDelivery(self.state, self.execute, self._webhook_retry_delay)
        self._webhook_task = asyncio.create_task(delivery.run(), name="fake-telegram-webhook")
        return self

    async def close(self) -> None:
        """Wake pending long polls (they answer with no updates), stop webhook delivery, stop serving."""
        self.state.closing = True
        self.state.changed.fire()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------ aiogram helpers

    def session(self, **kwargs: Any) -> AiohttpSession:
        """An aiogram AiohttpSession pointed at this server."""
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        return AiohttpSession(api=TelegramAPIServer.from_base(self.base_url), **kwargs)

    def make_bot(self, **kwargs: Any) -> Bot:
        """A real aiogram Bot talking to this server; close it with `await bot.session.close()`
        (start_polling closes it for you)."""
        from aiogram import Bot

        return Bot(self.token, session=self.session(), **kwargs)

    # ------------------------------------------------------------ HTTP

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(UNAUTHORIZED, status=401)
        name = request.match_info["method"]
        try:
            params = await read_params(request)
        except ApiError as exc:
            params, error = {}, exc
        else:
            error = None
        status, body = await self.execute(name, params, error)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(UNAUTHORIZED, status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.state.files.values() if f.file_path == path), None)
        if stored is None or stored.data is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def execute(self, name: str, params: dict[str, Any], error: ApiError | None = None) -> tuple[int, dict]:
        """Answer one Bot API call as the HTTP endpoint would, and record it. Returns (status, body)."""
        entry = lookup(name)
        if entry is None:
            self._record(name, params, 404, None, NOT_FOUND["description"])
            return 404, dict(NOT_FOUND)
        canonical, handler = entry
        result: Any = None
        try:
            if error is not None:
                raise error
            fault = self._take_fault(canonical, params)
            if fault is not None and fault.delay:
                await self._pause(fault.delay)
            if fault is not None and fault.error is not None:
                raise fault.error
            if self.rate_limiter is not None:
                limited = self.rate_limiter.check(canonical, params.get("chat_id"))
                if limited is not None:
                    raise limited
            result = handler(self.state, params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            self._record(canonical, params, exc.status, None, exc.description)
            return exc.status, exc.body()
        except Exception as exc:  # a bug in the fake: answer 500 and say so in the record
            log.exception("fake Telegram failed on %s", canonical)
            description = f"Internal Server Error: fake failed with {type(exc).__name__}: {exc}"
            self._record(canonical, params, 500, None, description)
            return 500, {"ok": False, "error_code": 500, "description": description}
        self._record(canonical, params, 200, result, None)
        return 200, {"ok": True, "result": result}

    async def _pause(self, seconds: float) -> None:
        """Sleep, but return at once when the server closes (so teardown never waits for a delay)."""
        deadline = time.monotonic() + seconds
        while not self.state.closing and (remaining := deadline - time.monotonic()) > 0:
            await self.state.changed.wait(remaining)

    def _record(self, method: str, params: dict, status: int, result: Any, description: str | None) -> None:
        self.state.calls.append(Call(method, params, time.monotonic(), status, result, description))
        self.state.changed.fire()
