"""Managing an open trade from the chat through the dispatcher: /close SYMBOL 50%, /stop (tighter;
looser only through the warned second tap), /be, /tp, /add, the buttons under the entry alert,
each confirmed; bad input gets the usage and changes nothing; readers are refused."""

from __future__ import annotations

from decimal import Decimal

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from engine.domain.models import PositionState
from engine.market.base import PriceTick
from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import button_data
from tests.bot.handlers.test_positions import open_position
from tests.bot.mocked import callback_update, message_update


def last(h) -> SendMessage:  # type: ignore[no-untyped-def]
    return h.session.of(SendMessage)[-1]


async def test_partial_close_asks_then_resizes(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    await h.feed(message_update(ADMIN, "/close eth 50%"))
    prompt = last(h)
    assert prompt.text.startswith("❓ Close ") and "re-sized" in prompt.text
    assert (await h.engine.get_position(pos.id)).remaining == pos.qty  # asked, nothing sent
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes"), message_id=2000))
    after = await h.engine.get_position(pos.id)
    assert after.state is PositionState.OPEN and after.remaining < pos.qty
    edit = h.session.of(EditMessageText)[-1]
    assert edit.message_id == 2000 and edit.text.startswith("✅ ETH/BTC: ") and " held at " in edit.text
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes"), message_id=2000))  # the same tap again
    assert h.session.of(AnswerCallbackQuery)[-1].text == "This request has expired or was already used."
    assert (await h.engine.get_position(pos.id)).remaining == after.remaining


async def test_bad_input_gets_the_usage(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    for text in ("/close eth 150%", "/close eth half", "/stop eth", "/stop eth -5", "/tp eth 1", "/tp eth x 5",
                 "/add eth nan", "/stop", "/be nope"):
        await h.feed(message_update(ADMIN, text))
    assert h.session.texts(ADMIN)[-9:] == [
        "Usage: /close SYMBOL [50% | QTY] [twap | iceberg]", "Usage: /close SYMBOL [50% | QTY] [twap | iceberg]", "Usage: /stop SYMBOL PRICE",
        "Usage: /stop SYMBOL PRICE", "Usage: /tp SYMBOL N PRICE", "Usage: /tp SYMBOL N PRICE",
        "Usage: /add SYMBOL QTY", "Which symbol? Usage: /stop SYMBOL PRICE",
        "Unknown symbol: nope. Try for example ETH/BTC."]
    assert (await h.engine.get_position(pos.id)) == pos


async def test_looser_stop_takes_the_warned_second_tap(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    s = pos.side.sign
    looser = pos.stop_price - s * pos.entry_price * Decimal("0.01")
    await h.feed(message_update(ADMIN, f"/stop eth {looser}"))
    prompt = last(h)
    assert prompt.text.startswith("⚠️ This LOOSENS the stop")
    await h.feed(callback_update(ADMIN, button_data(prompt, "Keep"), message_id=2100))
    assert (await h.engine.get_position(pos.id)).stop_price == pos.stop_price
    assert h.session.of(EditMessageText)[-1].text == "Nothing changed."
    await h.feed(message_update(ADMIN, f"/stop eth {looser}"))
    prompt = last(h)
    await h.feed(callback_update(READER, button_data(prompt, "Yes, loosen"), message_id=2101))  # a reader's tap
    assert (await h.engine.get_position(pos.id)).stop_price == pos.stop_price
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes, loosen"), message_id=2101))
    moved = await h.engine.get_position(pos.id)
    assert (moved.stop_price - pos.stop_price) * s < 0
    tighter = pos.stop_price + s * pos.entry_price * Decimal("0.005")
    await h.feed(message_update(ADMIN, f"/stop eth {tighter}"))
    prompt = last(h)
    assert prompt.text.startswith("❓ Move the stop of ")
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes"), message_id=2102))
    assert ((await h.engine.get_position(pos.id)).stop_price - pos.stop_price) * s > 0


async def test_tp_add_and_breakeven(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    s = pos.side.sign
    new_tp = pos.targets[1].price + s * pos.entry_price * Decimal("0.01")
    await h.feed(message_update(ADMIN, f"/tp eth 2 {new_tp}"))
    await h.feed(callback_update(ADMIN, button_data(last(h), "Yes"), message_id=2200))
    assert (await h.engine.get_position(pos.id)).targets[1].price != pos.targets[1].price
    await h.feed(message_update(ADMIN, f"/add eth {pos.qty / 2}"))
    assert last(h).text.startswith("❓ Add ")
    await h.feed(callback_update(ADMIN, button_data(last(h), "Yes"), message_id=2201))
    added = await h.engine.get_position(pos.id)
    assert added.qty > pos.qty
    await h.feed(message_update(ADMIN, "/be eth"))
    assert last(h).text == "⚠️ Not done: the market is already past that price."
    await h.engine.on_tick(PriceTick(pos.symbol, added.entry_price * (1 + s * Decimal("0.01")), h.engine.clock.now()))
    await h.feed(message_update(ADMIN, "/be eth"))
    await h.feed(callback_update(ADMIN, button_data(last(h), "Yes"), message_id=2202))
    assert (await h.engine.get_position(pos.id)).breakeven


async def test_buttons_under_the_entry_alert(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    pos = await open_position(h)
    alert = next(m for m in h.session.of(SendMessage) if m.reply_markup is not None and "Close 50 %" in str(m.reply_markup))
    await h.feed(callback_update(READER, button_data(alert, "Close 50 %"), message_id=2300))
    assert h.session.of(AnswerCallbackQuery)[-1].text == "⛔ Only admins can do that."
    await h.feed(callback_update(ADMIN, button_data(alert, "Close 50 %"), message_id=2300))
    prompt = last(h)
    assert prompt.text.startswith("❓ Close ") and prompt.reply_parameters.message_id == 2300
    await h.feed(callback_update(ADMIN, button_data(prompt, "Yes"), message_id=2301))
    assert (await h.engine.get_position(pos.id)).remaining < pos.qty
    await h.feed(callback_update(ADMIN, button_data(alert, "Close all"), message_id=2300))
    await h.feed(callback_update(ADMIN, button_data(last(h), "Yes, close"), message_id=2302))
    assert await h.engine.positions() == []
