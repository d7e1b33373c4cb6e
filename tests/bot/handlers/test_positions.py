"""/positions, /close (with its confirm step) and /balance through the dispatcher."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import button_data
from tests.bot.mocked import callback_update, message_update


async def open_position(h, symbol: str = "ETH/BTC"):  # type: ignore[no-untyped-def]
    await h.engine.step_market(1)
    signal = await h.engine.analyse(symbol)
    result = await h.engine.confirm(signal.id, "test")
    assert result.position is not None
    await h.settle()  # the entry alert has gone out
    return result.position


async def test_positions_show_the_trade_and_admins_get_a_close_button(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/positions"))
    assert h.session.texts(ADMIN) == ["No open positions."]
    pos = await open_position(h)
    await h.feed(message_update(ADMIN, "/positions"))
    listing = h.session.of(SendMessage)[-1]
    assert "ETH/BTC" in listing.text and "Entry " in listing.text and "mark " in listing.text
    assert "Stop " in listing.text and "targets hit: — (0/2)" in listing.text and "(paper)" in listing.text
    assert button_data(listing, "Close ETH/BTC") == f"ps:close:{pos.id}"
    await h.feed(message_update(READER, "/positions"))
    assert h.session.of(SendMessage)[-1].reply_markup is None  # readers see no button


async def test_close_button_asks_first_then_closes(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    await h.feed(message_update(ADMIN, "/positions"))
    listing = h.session.of(SendMessage)[-1]
    await h.feed(callback_update(ADMIN, button_data(listing, "Close"), message_id=1000))
    prompt = h.session.of(SendMessage)[-1]
    assert prompt.text.startswith("❓ Close ") and "ETH/BTC at market?" in prompt.text
    assert len(await h.engine.positions()) == 1  # nothing closed yet
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes, close"), message_id=1001))
    assert await h.engine.positions() == []
    edit = h.session.of(EditMessageText)[-1]
    assert edit.message_id == 1001 and edit.text.startswith("✅ Closed ETH/BTC: PnL ")
    await h.feed(callback_update(ADMIN, f"ps:yes:{pos.id}", message_id=1001))  # a second tap
    assert h.session.of(AnswerCallbackQuery)[-1].text == "⚠️ Could not close: the position is not open."


async def test_close_command_keep_backs_out(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/close"))
    await h.feed(message_update(ADMIN, "/close NOPE/BTC"))
    await h.feed(message_update(ADMIN, "/close eth"))
    assert h.session.texts(ADMIN) == ["Which symbol? Usage: /close SYMBOL [50% | QTY]",
                                      "Unknown symbol: NOPE/BTC. Try for example ETH/BTC.",
                                      "No open position on ETH/BTC."]
    await open_position(h)
    await h.feed(message_update(ADMIN, "/close eth/btc"))
    prompt = h.session.of(SendMessage)[-1]
    await h.feed(callback_update(ADMIN, button_data(prompt, "Keep"), message_id=1003))
    assert len(await h.engine.positions()) == 1
    assert h.session.of(EditMessageText)[-1].text == "Kept open."


async def test_balance(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(READER, "/balance"))
    assert h.session.texts(READER) == ["<b>Balance</b> (paper)\nWallet: 1.00 BTC\nEquity: 1.00 BTC\nFree: 1.00 BTC"]
