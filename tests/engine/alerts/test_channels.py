"""Alerts beyond Telegram over real HTTP and SMTP on 127.0.0.1: a signed JSON webhook (retried with
backoff, kinds routed, a refusal not retried, what a stopped run could not deliver sent after the
restart, never twice) and e-mail through a local aiosmtpd server; Telegram's own kinds filter."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from engine.domain.events import Event
from engine.market.base import PriceTick
from engine.storage.outbox import is_alert

SECRET = "hook-secret-42"


class Receiver:
    """A local webhook receiver: answers ``statuses`` in turn (then 200) and records every request."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        self.got = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.pop(0) if self.statuses else 200
        self.requests.append((status, dict(request.headers), body))
        async with self.got:
            self.got.notify_all()
        return web.Response(status=status)

    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(body) for status, _, body in self.requests if status == 200]

    async def wait_delivered(self, n: int, timeout: float = 60) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout), self.got:
            await self.got.wait_for(lambda: len(self.delivered()) >= n)
        return self.delivered()


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/alerts", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/alerts"
    finally:
        await runner.cleanup()


async def trade(engine) -> None:  # type: ignore[no-untyped-def]
    """One signal confirmed and run through both targets: entry, TP1 (+ breakeven), TP2 (closed)."""
    await engine.step_market(1)
    sig = await engine.analyse("ETH/BTC")
    assert (await engine.confirm(sig.id, by="t")).position is not None
    for target in sig.targets:
        await engine.on_tick(PriceTick(sig.symbol, target.price, engine.clock.now()))


async def until(check, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait for a state of the router (its marks are written after the receiver answered)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def fast(engine):  # type: ignore[no-untyped-def]
    engine.alert_router.backoff_base = 0.01
    return engine


async def test_webhook_gets_signed_alerts_of_its_kinds_after_retries(engine_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([503, 503])
    async with receiving(receiver) as url:
        engine = fast(await engine_factory(alerts={"webhook_url": url, "webhook_secret": SECRET,
                                                   "webhook_kinds": "entry,closed"}))
        await trade(engine)
        got = await receiver.wait_delivered(2)
    assert [a["type"] for a in got] == ["PositionOpened", "PositionClosed"]
    assert got[1]["kind"] == "closed" and got[1]["event"]["reason"] == "target" and "PnL" in got[1]["text"]
    assert [s for s, _, _ in receiver.requests] == [503, 503, 200, 200]  # retried, then in order
    for _, headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-SignalPilot-Signature"], expected)
        assert headers["X-SignalPilot-Event"] == json.loads(body)["id"]
    await until(lambda: engine.alert_router.sent["webhook"] == 2)
    assert engine.alert_router.retries["webhook"] == 2


async def test_a_refused_alert_is_not_retried_and_does_not_hold_the_others(engine_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([400])
    async with receiving(receiver) as url:
        engine = fast(await engine_factory(alerts={"webhook_url": url, "webhook_kinds": "entry,closed"}))
        await trade(engine)
        got = await receiver.wait_delivered(1)
    assert [s for s, _, _ in receiver.requests] == [400, 200]
    assert got[0]["type"] == "PositionClosed" and "X-SignalPilot-Signature" not in receiver.requests[0][1]


async def test_alerts_not_delivered_before_a_stop_go_out_after_the_restart_once(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url_db = db_url_factory()
    receiver = Receiver([503] * 1000)  # the receiver is down for the whole first run
    async with receiving(receiver) as url:
        engine = fast(await engine_factory(url_db, alerts={"webhook_url": url, "webhook_kinds": "all"}))
        events: list[Any] = []
        engine.bus.subscribe(Event, lambda e: events.append(e) if is_alert(e) else None)
        await trade(engine)
        await until(lambda: engine.alert_router.retries["webhook"] >= 2)
        await engine.stop()
        receiver.statuses.clear()  # back up
        again = fast(await engine_factory(url_db, alerts={"webhook_url": url, "webhook_kinds": "all"}))
        await receiver.wait_delivered(len(events))
        await until(lambda: again.alert_router.sent["webhook"] == len(events))
        assert await again.alert_router.flush(again.alert_router.channels[0])  # nothing left to send
    got = receiver.delivered()
    assert [a["id"] for a in got] == [e.id for e in events]  # each once, in order
    assert {"PositionOpened", "TargetHit", "StopMovedToBreakeven", "PositionClosed"} <= {a["type"] for a in got}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


async def test_email_alerts_through_a_local_smtp_server(engine_factory) -> None:  # type: ignore[no-untyped-def]
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        engine = fast(await engine_factory(alerts={
            "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": "none", "email_from": "bot@example.org",
            "email_to": "me@example.org,ops@example.org"}))
        await trade(engine)
        await until(lambda: engine.alert_router.sent["email"] == 1)
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1  # the default kinds: closed, stop, error, paused — not the entry
    sender, rcpts, raw = mailbox.messages[0]
    assert sender == "bot@example.org" and rcpts == ["me@example.org", "ops@example.org"]
    mail = message_from_bytes(raw)
    assert mail["Subject"].startswith("[SignalPilot] Position closed (target) (paper): LONG ETH/BTC") or \
        mail["Subject"].startswith("[SignalPilot] Position closed (target) (paper): SHORT ETH/BTC")
    assert "PnL" in mail.get_payload()


async def test_telegram_gets_only_its_kinds(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(alerts={"telegram_kinds": "closed"})
    await trade(engine)
    pending = await engine.pending_alerts()
    assert [type(a.event).__name__ for a in pending] == ["PositionClosed"]
    assert [type(a.event).__name__ for a in await engine.pending_alerts()] == ["PositionClosed"]


async def test_apprise_reaches_a_local_json_service(engine_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([500])  # the service fails once: retried
    async with receiving(receiver) as url:
        target = url.replace("http://", "json://")
        engine = fast(await engine_factory(alerts={"apprise_urls": target, "apprise_kinds": "closed"}))
        await trade(engine)
        got = await receiver.wait_delivered(1)
        await until(lambda: engine.alert_router.sent["apprise"] == 1)
    assert got[0]["message"].startswith("Position closed (target) (paper):")
    assert [s for s, _, _ in receiver.requests] == [500, 200]


async def test_a_malformed_apprise_url_stops_the_start_naming_the_setting(engine_factory) -> None:  # type: ignore[no-untyped-def]
    from engine.errors import StartupError

    with pytest.raises(StartupError, match="SP_ALERTS__APPRISE_URLS"):
        await engine_factory(alerts={"apprise_urls": "nonsense://token@"})
