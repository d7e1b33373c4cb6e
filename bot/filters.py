"""aiogram filters shared by the handlers: ``IsAdmin`` gates the admin routers and handlers,
``SymbolArg`` resolves a ``SYMBOL [timeframe]`` argument once and injects it as ``arg``.

A filter that returns a dict passes and hands its values to the handler as keyword arguments.
``SymbolArg`` always passes: a handler checks ``arg.problem`` first and answers with
``actions.bad_arg(arg)``, so the usage, unknown-symbol and bad-timeframe answers stay distinct.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.handlers.common import args
from bot.presenters import actions
from engine.domain.values import timeframe_seconds
from engine.facade import Engine


class IsAdmin(Filter):
    """Passes for admins only (``is_admin`` comes from the auth middleware). Refused admin
    commands and buttons fall through to ``bot.handlers.refusals``, which says so."""

    async def __call__(self, event: TelegramObject, is_admin: bool = False) -> bool:
        return is_admin


class ArgProblem(enum.StrEnum):
    MISSING = "missing"
    UNKNOWN_SYMBOL = "unknown_symbol"
    BAD_TIMEFRAME = "bad_timeframe"


@dataclass(frozen=True, slots=True)
class SymbolArgument:
    """What ``SymbolArg`` made of the words: the venue symbol and timeframe, or one problem."""

    usage: str
    symbol: str = ""
    timeframe: str = ""
    problem: ArgProblem | None = None
    word: str = ""  # the word the problem is about


class SymbolArg(Filter):
    """``/cmd SYMBOL`` or, with ``default_timeframe`` set, ``/cmd SYMBOL [timeframe]``.

    The symbol is resolved through the engine once (``ethbtc``, ``eth`` → ``ETH/BTC``); the
    timeframe is checked by its shape. Injects ``arg: SymbolArgument``."""

    def __init__(self, usage: str, default_timeframe: str | None = None) -> None:
        self.usage = usage
        self.default_timeframe = default_timeframe

    async def __call__(self, message: Message, engine: Engine) -> dict[str, Any]:
        words = args(message)
        if not words:
            return {"arg": SymbolArgument(self.usage, problem=ArgProblem.MISSING)}
        symbol = await engine.known_symbol(words[0])
        if symbol is None:
            return {"arg": SymbolArgument(self.usage, problem=ArgProblem.UNKNOWN_SYMBOL, word=words[0])}
        timeframe = ""
        if self.default_timeframe is not None:
            timeframe = words[1].lower() if len(words) > 1 else self.default_timeframe
            try:
                timeframe_seconds(timeframe)
            except ValueError:
                return {"arg": SymbolArgument(self.usage, symbol=symbol, problem=ArgProblem.BAD_TIMEFRAME,
                                              word=words[1])}
        return {"arg": SymbolArgument(self.usage, symbol=symbol, timeframe=timeframe)}


def bad_arg(arg: SymbolArgument) -> str:
    """The answer to a ``SymbolArg`` problem, in the asking user's language."""
    if arg.problem is ArgProblem.MISSING:
        return actions.symbol_needed(arg.usage)
    if arg.problem is ArgProblem.UNKNOWN_SYMBOL:
        return actions.unknown_symbol(arg.word)
    return actions.unknown_timeframe(arg.word)
