"""The façade's face to the outside world: free-text signals (an admin's message, a channel post),
the HTTP server (webhooks, metrics, health). A part of ``engine.facade.Engine``, kept apart to keep
the façade small."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.alerts.channels import build_channels
from engine.alerts.router import AlertRouter
from engine.clock import LiveClock
from engine.exports import closed_trades
from engine.intake.model import ParseFailure
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.text import parse_text
from engine.storage import backup as backups
from engine.storage.channel_outbox import ChannelOutbox

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.domain.events import StorageFailed, VenueUnreachable
    from engine.http.server import HttpServer
    from engine.metrics import Metrics
    from engine.wiring import Components

log = logging.getLogger("engine.outside")


FRESH_REPLAY_S = 120.0  # market data older than this (replay clock) is stale
FRESH_LIVE_POLLS = 3  # live data: this many polling intervals, at least FRESH_REPLAY_S


class OutsideWorld:
    _c: Components
    clock: Clock
    started: bool
    failure: StorageFailed | None
    venue_down: VenueUnreachable | None
    venue_failure: BaseException | None
    http: HttpServer | None = None
    metrics: Metrics | None = None
    last_tick_at: datetime | None = None
    _born = time.monotonic()

    # --- health ------------------------------------------------------------------------------------------
    def liveness(self) -> dict[str, Any]:
        lag = self.metrics.lag if self.metrics is not None else 0.0
        return {"uptime_s": round(time.monotonic() - self._born, 1), "loop_lag_s": round(lag, 4)}

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Database reachable, venue connected, market data fresh: each with its details."""
        checks: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(3):
                await self._c.repo.kv_get("readyz")
            checks["database"] = {"ok": self.failure is None, "ms": round((time.perf_counter() - started) * 1000, 1)}
            if self.failure is not None:
                checks["database"]["error"] = self.failure.fault.value
        except Exception as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        venue = self._c.settings.exchange.name if self._c.replay is None else "replay"
        down = self.venue_down
        checks["venue"] = {"ok": self.started and down is None and self.venue_failure is None, "venue": venue}
        if down is not None:
            checks["venue"]["down_since"] = down.since.isoformat()
        if self.venue_failure is not None:
            checks["venue"]["error"] = type(self.venue_failure).__name__
        limit = FRESH_REPLAY_S
        if self._c.replay is None:
            limit = max(FRESH_REPLAY_S, FRESH_LIVE_POLLS * self._c.settings.market.poll_seconds)
        if self.last_tick_at is None:
            checks["market_data"] = {"ok": False, "error": "no price yet"}
        else:
            age = (self.clock.now() - self.last_tick_at).total_seconds()
            checks["market_data"] = {"ok": age <= limit, "age_s": round(age, 1), "max_age_s": limit}
        return all(check["ok"] for check in checks.values()), checks

    def watch_queue(self, name: str, pending: Any, retried: Any) -> None:
        """A front end's outgoing queue in /metrics: ``pending()`` messages waiting, ``retried()`` retries."""
        if self.metrics is not None:
            self.metrics.watch_queue(name, pending, retried)

    async def signal_from_text(self, text: str, *, source: str = "text", key: str | None = None) -> IntakeResult:
        """A free-text signal → a raised signal (always a card, never executed on its own: a human
        confirms), or why not (``INVALID`` names the missing ``field``). ``source`` is ``text`` (an
        admin's paste or forward: the caller shows the card) or ``channel`` (a listed channel's post:
        cards go to the usual chats). ``key`` makes it idempotent (a post's id); default: the text and
        the minute."""
        intake = self._c.intake
        assert intake is not None
        parsed = parse_text(text)
        if isinstance(parsed, ParseFailure):
            return await intake.refuse(source, IntakeResult(IntakeOutcome.INVALID, field=parsed.field,
                                                            detail=parsed.detail))
        if self.failure is not None:
            return await intake.refuse(source, IntakeResult(IntakeOutcome.HALTED))
        return await intake.submit(parsed, source, key or intake.minute_key(text), may_execute=False,
                                   on_demand=source == "text")

    # --- backups and exports ---------------------------------------------------------------------------
    async def backup_now(self) -> Path:
        """A consistent copy of the SQLite database in SP_BACKUP__DIR (older ones pruned);
        ``BackupError`` for PostgreSQL (its message is the pg_dump recipe)."""
        settings = self._c.settings
        db = backups.sqlite_path(settings.database_url)
        path = await asyncio.to_thread(backups.backup, db, Path(settings.backup.dir), LiveClock().now(),
                                       settings.backup.keep)
        log.info("database backed up to %s", path)
        return path

    async def latest_backup(self) -> Path | None:
        """The newest backup file of this database (None: none yet; BackupError for PostgreSQL)."""
        settings = self._c.settings
        found = backups.backups(Path(settings.backup.dir), backups.sqlite_path(settings.database_url))
        return found[-1] if found else None

    async def _backup_job(self) -> None:
        try:
            await self.backup_now()
        except backups.BackupError as exc:
            log.warning("scheduled backup not taken: %s", exc)

    def _schedule_backups(self) -> None:
        """Every SP_BACKUP__INTERVAL_H hours on a SQLite database (not during replays: their clock
        runs through history)."""
        settings = self._c.settings
        if settings.backup.interval_h <= 0 or self._c.replay is not None:
            return
        if not settings.database_url.startswith("sqlite"):
            return
        self._c.jobs.add("backup", self._backup_job, settings.backup.interval_h * 60)

    async def trades_csv(self) -> bytes:
        """Every closed trade as CSV (UTF-8)."""
        return (await closed_trades(self._c.repo)).encode("utf-8")

    def listens_to_channel(self, chat_id: int) -> bool:
        """Whether posts of this channel are read as signals (SP_HOOKS__CHANNELS)."""
        return chat_id in self._c.settings.hooks.channels

    alert_router: AlertRouter | None = None
    serve_outside = True  # False for backtests

    async def _start_outside(self) -> None:
        settings = self._c.settings
        if not self.serve_outside:
            return
        if settings.http.enabled:
            await self._start_http()
        self._schedule_backups()
        try:
            channels = build_channels(settings.alerts)
        except ValueError as exc:
            from engine.preflight import StartupError

            raise StartupError(str(exc)) from None
        if channels:
            self.alert_router = AlertRouter(ChannelOutbox(self._c.db), channels, self._c.bus, self.clock,
                                            timedelta(hours=settings.telegram.alert_max_age_h))
            self.alert_router.start()

    async def _stop_outside(self) -> None:
        if self.alert_router is not None:
            await self.alert_router.stop()
            self.alert_router = None
        await self._stop_http()

    async def _start_http(self) -> None:
        from engine.http.site import build_server
        from engine.metrics import Metrics
        from engine.preflight import StartupError

        self.metrics = metrics = Metrics(self._c)
        assert self._c.intake is not None
        self._c.intake.on_outcome = metrics.signal_outcome
        server = build_server(self, metrics)  # type: ignore[arg-type]
        try:
            await server.start()
        except OSError as exc:
            http = self._c.settings.http
            raise StartupError(f"SP_HTTP__HOST/SP_HTTP__PORT: cannot listen on {http.host}:{http.port} "
                               f"({exc.strerror or exc})") from None
        self.http = server
        metrics.start()

    async def _stop_http(self) -> None:
        if self.http is not None:
            await self.http.stop()
            self.http = None
        if self.metrics is not None:
            await self.metrics.stop()
