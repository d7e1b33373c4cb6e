"""The façade's face to the outside world: free-text signals (an admin's message, a channel post),
the HTTP server (webhooks, metrics, health). A part of ``engine.facade.Engine``, kept apart to keep
the façade small."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.intake.model import ParseFailure
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.text import parse_text

if TYPE_CHECKING:
    from engine.domain.events import StorageFailed
    from engine.http.server import HttpServer
    from engine.wiring import Components

log = logging.getLogger("engine.outside")


class OutsideWorld:
    c: Components
    failure: StorageFailed | None
    http: HttpServer | None = None

    async def signal_from_text(self, text: str, *, source: str = "text", key: str | None = None) -> IntakeResult:
        """A free-text signal → a raised signal (always a card, never executed on its own: a human
        confirms), or why not (``INVALID`` names the missing ``field``). ``source`` is ``text`` (an
        admin's paste or forward: the caller shows the card) or ``channel`` (a listed channel's post:
        cards go to the usual chats). ``key`` makes it idempotent (a post's id); default: the text and
        the minute."""
        intake = self.c.intake
        assert intake is not None
        parsed = parse_text(text)
        if isinstance(parsed, ParseFailure):
            return await intake.refuse(source, IntakeResult(IntakeOutcome.INVALID, field=parsed.field,
                                                            detail=parsed.detail))
        if self.failure is not None:
            return await intake.refuse(source, IntakeResult(IntakeOutcome.HALTED))
        return await intake.submit(parsed, source, key or intake.minute_key(text), may_execute=False,
                                   on_demand=source == "text")

    def listens_to_channel(self, chat_id: int) -> bool:
        """Whether posts of this channel are read as signals (SP_HOOKS__CHANNELS)."""
        return chat_id in self.c.settings.hooks.channels

    async def _start_http(self) -> None:
        from engine.http.site import build_server
        from engine.preflight import StartupError

        server = build_server(self)  # type: ignore[arg-type]
        try:
            await server.start()
        except OSError as exc:
            http = self.c.settings.http
            raise StartupError(f"SP_HTTP__HOST/SP_HTTP__PORT: cannot listen on {http.host}:{http.port} "
                               f"({exc.strerror or exc})") from None
        self.http = server

    async def _stop_http(self) -> None:
        if self.http is not None:
            await self.http.stop()
            self.http = None
