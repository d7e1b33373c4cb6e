"""Wiring: ``build_bot`` (a Bot on SP_TELEGRAM__API_BASE), ``build_dispatcher`` (routers,
middlewares, services in the workflow data) and ``run_bot`` (drop pending updates, set the
command menus, start the notifier, poll — or serve a webhook — until ``stop_event``)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import ErrorEvent

from bot.access import Access
from bot.announce import announce
from bot.commands import set_commands
from bot.delivery import Delivery, Limits
from bot.handlers import routers
from bot.i18n import LanguageBook, from_telegram, make_i18n, use
from bot.middlewares import AuthMiddleware, LanguageMiddleware, ThrottlingMiddleware
from bot.notifier import Notifier
from bot.panic import PanicDesk
from bot.presenters import actions, results
from bot.redact import protect_token
from bot.timer import wait_event
from config.settings import Settings, TelegramSettings
from engine.facade import Clock, Engine, LiveClock

log = logging.getLogger("bot.app")

ALLOWED_UPDATES = ["message", "callback_query", "channel_post"]


@dataclass(frozen=True)
class Options:
    """Knobs tests turn (the defaults are the production values)."""

    limits: Limits = Limits()
    panic_ttl: float = 30.0
    throttle_limit: int = 10
    throttle_period: float = 10.0
    refusal_cooldown: float = 60.0
    polling_timeout: int = 25
    drain_timeout: float = 5.0
    clock: Clock | None = None  # the bot's timers; None: the engine's clock when it is the wall clock
    announce: bool = True  # a line to the admins on start and on stop (tests of other flows turn it off)


def bot_clock(engine: Engine, opts: Options) -> Clock:
    """Pacing, backoff, panic expiry and throttling run on the injected clock.
    A replayed engine clock jumps through history, so Telegram's limits keep real time then."""
    if opts.clock is not None:
        return opts.clock
    return engine.clock if isinstance(engine.clock, LiveClock) else LiveClock()


def build_bot(tg: TelegramSettings) -> Bot:
    """A Bot that talks to ``api_base`` (Telegram, a self-hosted Bot API server, or a test fake)."""
    if tg.token is None:
        raise ValueError("SP_TELEGRAM__TOKEN is not set")
    token = tg.token.get_secret_value()
    protect_token(token)
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.api_base.rstrip("/")))
    return Bot(token=token, session=session)


def build_dispatcher(engine: Engine, settings: Settings, *, bot: Bot | None = None,
                     options: Options | None = None) -> Dispatcher:
    """The dispatcher with every router; services are in its workflow data (``engine``, ``tg``,
    ``delivery``, ``notifier``, ``book``, ``panic_desk``). Without ``bot``, the delivery queue is
    bound to the polling bot at start-up."""
    tg = settings.telegram
    opts = options or Options()
    i18n = make_i18n(tg.default_lang)
    access = Access(tg.admins, tg.users)
    book = LanguageBook(engine, tg.default_lang)
    clock = bot_clock(engine, opts)
    delivery = Delivery(bot, opts.limits, clock)  # type: ignore[arg-type]
    notifier = Notifier(engine, delivery, i18n, book, admins=list(tg.admins), chat_id=tg.chat_id,
                        clock=clock,
                        max_age=timedelta(hours=tg.alert_max_age_h))
    dp = Dispatcher(engine=engine, settings=settings, tg=tg, delivery=delivery, notifier=notifier, book=book,
                    access=access, panic_desk=PanicDesk(opts.panic_ttl, clock), i18n_core=i18n, options=opts)
    chain = (LanguageMiddleware(i18n, book, access), AuthMiddleware(access, opts.refusal_cooldown),
             ThrottlingMiddleware(opts.throttle_limit, opts.throttle_period, clock))
    for observer in (dp.message, dp.callback_query):  # one chain: messages and presses share the limits
        for middleware in chain:
            observer.outer_middleware(middleware)
    dp.include_routers(*routers())

    @dp.startup()
    async def _bind(bot: Bot) -> None:
        if delivery.bot is None:
            delivery.bot = bot

    @dp.errors()
    async def _on_error(event: ErrorEvent) -> bool:
        log.error("handler failed on update %s: %s", event.update.update_id, event.exception,
                  exc_info=event.exception)
        await _apologise(event, delivery, i18n, book, access)
        return True

    return dp


async def _apologise(event: ErrorEvent, delivery: Delivery, i18n: Any, book: LanguageBook, access: Access) -> None:
    update = event.update
    user = (update.message.from_user if update.message else
            update.callback_query.from_user if update.callback_query else None)
    if user is None or access.role(user.id) is None:
        return
    lang = await book.for_user(user.id, user.language_code) if access.role(user.id) else from_telegram(None)
    with use(i18n, lang or book.default):
        text = actions.internal_error()
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            delivery.send_text(update.message.chat.id, text)
    except Exception:  # the apology itself must never raise
        log.warning("could not tell the user about the error")


async def run_bot(engine: Engine, settings: Settings, stop_event: asyncio.Event, *,
                  options: Options | None = None) -> None:
    """Run the Telegram front end until ``stop_event`` is set; then stop cleanly."""
    tg = settings.telegram
    opts = options or Options()
    bot = build_bot(tg)
    dp = build_dispatcher(engine, settings, bot=bot, options=opts)
    delivery: Delivery = dp["delivery"]
    notifier: Notifier = dp["notifier"]
    panic_desk: PanicDesk = dp["panic_desk"]
    engine.watch_queue("telegram", delivery.pending, lambda: delivery.retried)  # in /metrics
    webhook = bool(tg.webhook_url)
    secret = (tg.webhook_secret.get_secret_value() if tg.webhook_secret else secrets.token_urlsafe(32))
    clock = delivery.clock
    announced = False
    try:
        if webhook:
            ready = await _until_done(lambda: bot.set_webhook(
                tg.webhook_url, secret_token=secret, drop_pending_updates=True,  # type: ignore[arg-type]
                allowed_updates=ALLOWED_UPDATES), stop_event, "setWebhook", clock)
        else:
            ready = await _until_done(lambda: bot.delete_webhook(drop_pending_updates=True), stop_event,
                                      "deleteWebhook", clock)
        if not ready or not await _until_done(lambda: set_commands(bot, dp["i18n_core"], tg.default_lang),
                                              stop_event, "setMyCommands", clock):
            return
        notifier.start()
        announced = opts.announce
        if announced:
            await announce(engine, delivery, dp["i18n_core"], dp["book"], tg.admins, results.started)
        if webhook:
            await _serve_webhook(dp, bot, tg, secret, stop_event)
        else:
            await _poll(dp, bot, opts, stop_event)
    finally:
        await notifier.stop()
        if announced:
            await announce(engine, delivery, dp["i18n_core"], dp["book"], tg.admins, results.stopped)
        await delivery.stop(opts.drain_timeout)
        await panic_desk.close()
        await bot.session.close()
        log.info("telegram bot stopped")


class TelegramTokenRejected(RuntimeError):
    """Telegram answered 401 to SP_TELEGRAM__TOKEN (the token itself is never shown)."""


async def _until_done(call: Callable[[], Awaitable[object]], stop_event: asyncio.Event, what: str,
                      clock: Clock) -> bool:
    """Run a start-up call, retrying while Telegram cannot be reached; False if stopped meanwhile."""
    delay = 1.0
    while not stop_event.is_set():
        try:
            await call()
            return True
        except TelegramUnauthorizedError:
            raise TelegramTokenRejected("Telegram refused SP_TELEGRAM__TOKEN (401 Unauthorized)") from None
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            wait = float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else delay
            log.warning("%s failed (%s); retrying in %.0f s", what, type(exc).__name__, wait)
            delay = min(delay * 2, 30.0)
            await wait_event(clock, stop_event, wait)
    return False


async def _poll(dp: Dispatcher, bot: Bot, opts: Options, stop_event: asyncio.Event) -> None:
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                   polling_timeout=opts.polling_timeout,
                                                   allowed_updates=ALLOWED_UPDATES), name="bot-polling")
    stopper = asyncio.create_task(stop_event.wait(), name="bot-stop-wait")
    done, _ = await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if polling not in done:
        try:
            await dp.stop_polling()
        except RuntimeError:  # polling had not started yet
            polling.cancel()
    else:
        stopper.cancel()
    try:
        await polling
    except asyncio.CancelledError:
        pass


async def _serve_webhook(dp: Dispatcher, bot: Bot, tg: TelegramSettings, secret: str,
                         stop_event: asyncio.Event) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    app = web.Application()
    path = urlparse(tg.webhook_url or "").path or "/"
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=path)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, tg.webhook_host, tg.webhook_port)
    await site.start()
    log.info("webhook listening on %s:%s%s", tg.webhook_host, tg.webhook_port, path)
    try:
        await stop_event.wait()
    finally:
        await runner.cleanup()
