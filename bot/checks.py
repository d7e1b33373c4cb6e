"""``signalpilot check [--online]``: one line per check with ✓ or ✗; exit 0 when all pass, else 2.

The settings, database and exchange checks are the engine's (``engine.preflight``, through the façade); this module
adds the Telegram ones: the admins (offline) and ``getMe`` with the token (online; aiogram is
imported only then, so the offline check starts fast).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from config.settings import Settings, TelegramSettings
from engine.facade import Check, offline_checks, online_checks

EXIT_FAILED = 2


def telegram_offline(tg: TelegramSettings) -> list[Check]:
    if tg.token is None:
        return [Check("telegram", True, "no SP_TELEGRAM__TOKEN: console mode")]
    if not tg.admins and tg.chat_id is None:
        return [Check("telegram", False, "SP_TELEGRAM__ADMINS is empty: nobody may use the bot and alerts go "
                                         "nowhere; set your Telegram user id", blocking=False)]
    return [Check("telegram", True, f"{len(tg.admins)} admin(s), {len(tg.users)} reader(s)")]


async def telegram_online(tg: TelegramSettings, timeout: float = 15.0) -> Check:
    """``getMe`` with the token: proves the token and the route to SP_TELEGRAM__API_BASE."""
    from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError

    from bot.app import build_bot

    bot = build_bot(tg)
    try:
        me = await asyncio.wait_for(bot.get_me(), timeout)
    except TelegramUnauthorizedError:
        return Check("telegram bot", False, "Telegram refused SP_TELEGRAM__TOKEN (401): copy the token from "
                                            "@BotFather again")
    except (TelegramNetworkError, TelegramServerError, TimeoutError, OSError) as exc:
        return Check("telegram bot", False, f"cannot reach the Bot API at SP_TELEGRAM__API_BASE={tg.api_base} "
                                            f"({type(exc).__name__}); check the network")
    finally:
        await bot.session.close()
    return Check("telegram bot", True, f"@{me.username} answers")


async def run_checks(settings: Settings, *, online: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    checks = offline_checks(settings) + telegram_offline(settings.telegram)
    if online:
        checks += await online_checks(settings)
        if settings.telegram.token is not None:
            checks.append(await telegram_online(settings.telegram))
    for check in checks:
        print(f"{'✓' if check.ok else '✗'} {check.name}: {check.detail}", file=out)
    failed = sum(1 for c in checks if not c.ok)
    scope = "" if online else " (offline; add --online to connect to the database, exchange and Telegram)"
    print(f"{len(checks) - failed} passed, {failed} failed{scope}", file=out, flush=True)
    return EXIT_FAILED if failed else 0
