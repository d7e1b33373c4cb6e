"""``signalpilot init``: a guided set-up that checks what it can and writes ``.env``.

Steps: the Telegram token (``getMe`` through aiogram's Bot, so ``--telegram-api`` / SP_TELEGRAM__API_BASE
work), the admin's user id (from ``--admin``, or by waiting for the admin to send ``/start`` to the
bot), paper or live (live: the exchange keys are checked with one authenticated balance request),
then a few risk limits. Every answer can come from a flag; ``--yes`` takes the defaults for the
rest and never asks. Secrets are read without echo and never printed back. An existing file is
kept unless ``--force`` (or the user agrees when asked).
Exit codes: 0 written, 2 bad input or a check failed (nothing written), 1 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

EXIT_OK, EXIT_ABORT, EXIT_INPUT = 0, 1, 2
DEFAULT_API = "https://api.telegram.org"


class SetupError(Exception):
    """A step that failed; the message says what to do (and holds no secret)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="guided set-up: check the Telegram token and exchange keys, write .env")
    p.add_argument("--token", help="Telegram bot token from @BotFather (asked without echo when omitted)")
    p.add_argument("--admin", type=int, help="your Telegram user id (default: send /start to the bot)")
    p.add_argument("--mode", choices=("paper", "live"), help="paper (default) or live")
    p.add_argument("--exchange", help="ccxt exchange id for live trading (default binanceusdm)")
    p.add_argument("--api-key", help="exchange API key (live)")
    p.add_argument("--api-secret", help="exchange API secret (live)")
    p.add_argument("--exchange-base-url", help="another host for the exchange API (gateways, tests)")
    p.add_argument("--telegram-api", help=f"Bot API base URL (default SP_TELEGRAM__API_BASE or {DEFAULT_API})")
    p.add_argument("--risk-per-trade", help="equity %% lost if a stop is hit (default 1)")
    p.add_argument("--max-positions", help="concurrent open positions (default 5)")
    p.add_argument("--max-leverage", help="leverage cap (default 10)")
    p.add_argument("--execution-mode", choices=("signal-only", "confirm", "auto"), help="default confirm")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for /start (default 120)")
    p.add_argument("--out", type=Path, default=Path(".env"), help="file to write (default .env)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--yes", "-y", action="store_true", help="never ask: flags, then defaults")


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except (KeyboardInterrupt, EOFError):
        print("\nsignalpilot init: stopped; nothing written", file=sys.stderr)
        return EXIT_ABORT
    except SetupError as exc:
        print(f"signalpilot init: {exc}", file=sys.stderr)
        return EXIT_INPUT


class _Ask:
    """Questions on the terminal; with ``--yes`` the default answers without asking."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes

    def text(self, question: str, default: str) -> str:
        if self.yes:
            return default
        answer = input(f"{question} [{default}]: ").strip()
        return answer or default

    def secret(self, question: str, flag: str) -> str:
        if self.yes:
            raise SetupError(f"{flag} is needed with --yes ({question})")
        if sys.stdin.isatty():
            return getpass.getpass(f"{question} (hidden): ").strip()
        print(f"{question}: ", end="", flush=True)
        return sys.stdin.readline().strip()

    def confirm(self, question: str) -> bool:
        if self.yes:
            return True
        return input(f"{question} [y/N]: ").strip().lower() in ("y", "yes")


async def _run(args: argparse.Namespace) -> int:
    ask = _Ask(args.yes)
    out: Path = args.out
    if out.exists() and not args.force:
        if args.yes or not ask.confirm(f"{out} exists. Overwrite it?"):
            raise SetupError(f"{out} exists; nothing written (use --force to overwrite it)")
    env: dict[str, str] = {}
    api = (args.telegram_api or os.environ.get("SP_TELEGRAM__API_BASE") or DEFAULT_API).rstrip("/")
    if args.telegram_api:
        env["SP_TELEGRAM__API_BASE"] = api

    token = args.token or ask.secret("Telegram bot token from @BotFather", "--token")
    username = await _check_token(token, api)
    print(f"Telegram: the token works (bot @{username})")
    env["SP_TELEGRAM__TOKEN"] = token
    admin = args.admin
    if admin is None:
        print(f"Now open Telegram and send /start to @{username} (waiting up to {args.wait:.0f} s)…", flush=True)
        admin = await _wait_for_start(token, api, args.wait)
        print(f"Telegram: admin user id {admin}")
    env["SP_TELEGRAM__ADMINS"] = str(admin)

    mode = args.mode or ask.text("Mode: paper (simulated) or live (real orders)", "paper").lower()
    if mode not in ("paper", "live"):
        raise SetupError(f"mode must be paper or live, not {mode!r}")
    env["SP_MODE"] = mode
    if mode == "live" or args.api_key:
        await _exchange(args, ask, env)

    env.update(_risk(args, ask))
    _write(out, env)
    shown = ", ".join(k for k in env)
    print(f"wrote {out} ({shown}); secrets are not shown. Start with: signalpilot run")
    return EXIT_OK


async def _check_token(token: str, api: str) -> str:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    try:
        bot = Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    except TokenValidationError:
        raise SetupError("that does not look like a bot token (123456:ABC…, from @BotFather)") from None
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise SetupError("Telegram refused the token (401): copy it again from @BotFather") from None
    except Exception as exc:  # network, bad URL
        raise SetupError(f"cannot reach the Telegram Bot API at {api} ({type(exc).__name__})") from None
    finally:
        await bot.session.close()
    return me.username or str(me.id)


async def _wait_for_start(token: str, api: str, wait: float) -> int:
    """The id of the first user who sends /start within ``wait`` seconds; the update is acknowledged."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    bot = Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    deadline = time.monotonic() + wait
    offset: int | None = None
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                updates = await bot.get_updates(offset=offset, timeout=max(1, min(10, int(left))),
                                                allowed_updates=["message"])
            except Exception as exc:
                raise SetupError(f"cannot read the bot's updates ({type(exc).__name__}); is another copy of "
                                 "the bot running? Stop it, or pass --admin YOUR_ID") from None
            for update in updates:
                offset = update.update_id + 1
                msg = update.message
                if msg and msg.text and msg.text.split()[0].split("@")[0] == "/start" and msg.from_user:
                    await bot.get_updates(offset=offset, timeout=0)  # acknowledge: the bot will not see it again
                    return msg.from_user.id
    finally:
        await bot.session.close()
    raise SetupError(f"no /start arrived within {wait:.0f} s. Send /start to the bot and run init again, "
                     "or pass --admin YOUR_ID (Telegram's @userinfobot tells you your id)")


async def _exchange(args: argparse.Namespace, ask: _Ask, env: dict[str, str]) -> None:
    from pydantic import SecretStr

    from config.settings import ExchangeSettings
    from engine.errors import AuthError, BrokerError
    from engine.facade import verify_keys

    name = args.exchange or ask.text("Exchange (ccxt id)", "binanceusdm")
    key = args.api_key or ask.secret("Exchange API key", "--api-key")
    secret = args.api_secret or ask.secret("Exchange API secret", "--api-secret")
    if not key or not secret:
        raise SetupError("live trading needs an API key and secret")
    update: dict[str, object] = {"name": name, "api_key": SecretStr(key), "api_secret": SecretStr(secret)}
    if args.exchange_base_url:
        update["base_url"] = args.exchange_base_url
    settings = ExchangeSettings().model_copy(update=update)
    try:
        described = await verify_keys(settings)
    except AuthError:
        raise SetupError(f"{name} refused the API keys: check them, their permissions (futures trading) and "
                         "the IP allow-list") from None
    except BrokerError as exc:
        raise SetupError(f"cannot check the keys on {name}: {exc}") from None
    print(f"Exchange {name}: {described}")
    env.update({"SP_EXCHANGE__NAME": name, "SP_EXCHANGE__API_KEY": key, "SP_EXCHANGE__API_SECRET": secret})
    if args.exchange_base_url:
        env["SP_EXCHANGE__BASE_URL"] = args.exchange_base_url


def _risk(args: argparse.Namespace, ask: _Ask) -> dict[str, str]:
    def number(flag: str | None, question: str, default: str, lo: Decimal, hi: Decimal, integer: bool) -> str:
        text = flag if flag is not None else ask.text(question, default)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise SetupError(f"{question}: {text!r} is not a number") from None
        if not lo <= value <= hi or (integer and value != value.to_integral_value()):
            kind = "a whole number" if integer else "a number"
            raise SetupError(f"{question}: must be {kind} from {lo} to {hi}, not {text}")
        return str(int(value)) if integer else text

    execution = args.execution_mode or ask.text("When a signal comes: signal-only, confirm or auto", "confirm")
    if execution not in ("signal-only", "confirm", "auto"):
        raise SetupError(f"execution mode must be signal-only, confirm or auto, not {execution!r}")
    return {
        "SP_RISK__RISK_PER_TRADE_PCT": number(args.risk_per_trade, "Risk per trade (% of equity lost at the stop)",
                                              "1", Decimal("0.01"), Decimal(100), False),
        "SP_RISK__MAX_POSITIONS": number(args.max_positions, "Most open positions at once", "5", Decimal(1),
                                         Decimal(100), True),
        "SP_RISK__MAX_LEVERAGE": number(args.max_leverage, "Leverage cap", "10", Decimal(1), Decimal(125), True),
        "SP_RISK__EXECUTION_MODE": execution,
    }


def _write(out: Path, env: dict[str, str]) -> None:
    lines = ["# Written by `signalpilot init`. Keep this file private: it holds the bot token and keys."]
    lines += [f"{key}={value}" for key, value in env.items()]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, out)
