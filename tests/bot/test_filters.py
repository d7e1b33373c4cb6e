"""bot.filters through the dispatcher: ``SymbolArg`` tells a missing argument, an unknown symbol
and a bad timeframe apart and hands the resolved symbol to the handler."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendPhoto

from tests.bot.conftest import ADMIN, READER
from tests.bot.mocked import callback_update, message_update


async def test_chart_tells_an_unknown_symbol_from_a_bad_timeframe(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    for text in ("/chart", "/chart NOPE/BTC 1h", "/chart NOPE/BTC 7x", "/chart ETH/BTC 7x", "/chart eth 0m",
                 "/chart ethbtc 1H"):
        await h.feed(message_update(READER, text))
    assert h.session.texts(READER) == [
        "Which symbol? Usage: /chart SYMBOL [timeframe]",
        "Unknown symbol: NOPE/BTC. Try for example ETH/BTC.",
        "Unknown symbol: NOPE/BTC. Try for example ETH/BTC.",  # the symbol is judged first
        "Unknown timeframe: 7x. Use for example 5m, 15m, 1h, 4h or 1d.",
        "Unknown timeframe: 0m. Use for example 5m, 15m, 1h, 4h or 1d.",
    ]
    (photo,) = h.session.of(SendPhoto)
    assert photo.caption == "<b>ETH/BTC</b> · 1h"  # resolved and lower-cased once, handed to the handler


async def test_signal_and_close_resolve_the_symbol_the_same_way(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    for text in ("/signal", "/signal nope", "/close", "/close nope", "/close ltc"):
        await h.feed(message_update(ADMIN, text))
    assert h.session.texts(ADMIN) == [
        "Which symbol? Usage: /signal SYMBOL",
        "Unknown symbol: nope. Try for example ETH/BTC.",
        "Which symbol? Usage: /close SYMBOL [50% | QTY]",
        "Unknown symbol: nope. Try for example ETH/BTC.",
        "No open position on LTC/BTC.",
    ]
    await h.feed(message_update(ADMIN, "/signal eth"))
    assert "ETH/BTC" in h.session.texts(ADMIN)[-1]


async def test_a_button_with_an_unknown_action_is_stale_for_everyone(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    for user in (ADMIN, READER):
        for data in ("sg:zz:1", "ps:nuke:1", "pn:stop:1", "st:drop:-:-1"):
            await h.feed(callback_update(user, data, message_id=5))
    assert {a.text for a in h.session.of(AnswerCallbackQuery)} == {"This button is no longer valid."}
    assert len(h.session.of(AnswerCallbackQuery)) == 8
