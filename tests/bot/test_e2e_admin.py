"""End to end over HTTP: /panic with open positions, /settings persisted across a restart,
malformed input, and the webhook mode with its secret token."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from engine.domain import amounts
from tests.bot.conftest import ADMIN, ADMIN2
from tests.fakes.telegram_api import FakeTelegram

THREE = {"risk": {"risk_per_trade_pct": "0.25"}}


async def test_panic_with_three_open_positions(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=THREE)
    tg, engine = live.tg, live.engine
    await engine.step_market(1)
    for symbol in ("ETH/BTC", "LTC/BTC", "XMR/BTC"):
        signal = await engine.analyse(symbol)
        assert signal is not None
        assert (await engine.confirm(signal.id, "test")).position is not None, symbol
    assert len(await engine.positions()) == 3
    tg.user_message(ADMIN, "/panic")
    prompt = await tg.wait_sent(ADMIN, contains="Tap the red button")
    assert prompt.button("close everything")["style"] == "danger"
    mark = tg.mark()
    tg.press_button(ADMIN2, prompt, "close everything")  # any admin may give the second tap
    call = await tg.wait_for(lambda c: c.method == "editMessageText" and "Panic done" in c.params["text"],
                             since=mark, timeout=10)
    lines = tg.messages[(ADMIN, prompt.message_id)]["text"].split("\n")
    positions = [line for line in lines if line.startswith("✅ position ")]
    orders = [line for line in lines if "order " in line]
    assert sorted(line.split(":")[0] for line in positions) == [
        "✅ position ETH/BTC", "✅ position LTC/BTC", "✅ position XMR/BTC"]
    closed = {p.symbol: p for p in await engine.repository.closed_positions()}
    for line in positions:  # the PnL and, beside it, the return on the position's margin
        pos = closed[line.split(":")[0].removeprefix("✅ position ")]
        margin = pos.entry_price * pos.qty / pos.leverage
        expected = f"PnL {amounts.amount(pos.realized_pnl, 'BTC', signed=True)} " \
                   f"({amounts.pct(pos.realized_pnl / margin * 100)})"
        assert line.endswith(expected) and line.endswith("%)"), (line, expected)
    assert orders and all(line.startswith("✅ order ") and line.endswith("cancelled") for line in orders)
    assert "reply_markup" not in tg.messages[(ADMIN, prompt.message_id)] and call.ok
    assert await engine.positions() == []
    assert (await engine.status()).trading_state == "paused"
    tg.user_message(ADMIN, "/status")
    status = await tg.wait_sent(ADMIN, contains="Status")
    assert "Trading: paused (panic)" in (status.text or "")
    await live.stop()


async def test_settings_change_survives_a_restart(live_bot, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    live = await live_bot(db_url=url)
    tg = live.tg
    tg.user_message(ADMIN, "/settings")
    menu = await tg.wait_sent(ADMIN, contains="Settings")
    tg.press_button(ADMIN, menu, "Max positions")
    await tg.wait_for(lambda c: c.method == "editMessageText" and "Choose a new value" in c.params["text"])
    mark = tg.mark()
    tg.press_button(ADMIN, menu, "8")
    await tg.wait_for(lambda c: c.method == "editMessageText" and "Max positions: <b>8</b>" in c.params["text"],
                      since=mark)
    await live.stop()
    await live.engine.stop()

    again = await live_bot(db_url=url)  # a new engine and a new bot on the same database
    assert again.engine.runtime_settings()["max_positions"] == "8"
    mark = tg.mark()
    tg.user_message(ADMIN, "/settings")
    menu = await tg.wait_sent(ADMIN, contains="Settings", since=mark)
    assert "Max positions: 8" in (menu.text or "")
    await again.stop()


async def test_malformed_input_gets_clear_answers(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg = live.tg
    for text in ("/frobnicate", "/chart", "/chart NOPE/BTC", "/chart eth 7x", "/pnl forever", "/history lots",
                 "just words"):
        mark = tg.mark()
        tg.user_message(ADMIN, text)
        await tg.wait_sent(ADMIN, since=mark)
    answers = [m.text for m in tg.sent(ADMIN)]
    assert answers == [
        "Unknown command. Send /help for the list.",
        "Which symbol? Usage: /chart SYMBOL [timeframe]",
        "Unknown symbol: NOPE/BTC. Try for example ETH/BTC.",
        "Unknown timeframe: 7x. Use for example 5m, 15m, 1h, 4h or 1d.",
        "Usage: /pnl [today|7d|30d|all]",
        "Usage: /history [n], n from 1 to 50",
        "I only understand commands. Send /help for the list.",
    ]
    message_id = tg.sent(ADMIN)[0].message_id  # buttons nobody made, pressed under a bot message
    for data in ("garbage", "sg:ok", "ps:close:nope", "x" * 64):
        query = tg.press(ADMIN, message_id, ADMIN, data)
        await tg.wait_for(lambda c, q=query: c.method == "answerCallbackQuery"
                          and c.params.get("callback_query_id") == q)
        assert tg.callback_answers[query]["text"] in ("This button is no longer valid.",
                                                      "This position is no longer open.")
    await live.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_with_a_secret_token(live_bot, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    live = await live_bot(webhook_url=url, webhook_secret="s3cret-token", webhook_host="127.0.0.1",
                          webhook_port=port, wait_ready=False)
    tg = fake_telegram
    hook = await tg.wait_for("setWebhook", timeout=10)
    assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret-token"
    assert hook.params["drop_pending_updates"] is True
    await tg.wait_for("setMyCommands")
    await asyncio.sleep(0.2)  # the web server starts listening
    tg.user_message(ADMIN, "/balance")  # delivered by the fake as a POST with the secret header
    reply = await tg.wait_sent(ADMIN, contains="Balance", timeout=10)
    assert "Wallet: 1.00 BTC" in (reply.text or "")
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": ADMIN, "type": "private"},
                                          "from": {"id": ADMIN, "is_bot": False, "first_name": "x"},
                                          "text": "/status"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update) as resp:
            assert resp.status == 401  # no secret: refused, nothing answered
        async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as resp:
            assert resp.status == 401
    await asyncio.sleep(0.2)
    assert not [m for m in tg.sent(ADMIN) if "Status" in (m.text or "")]
    await live.stop()


async def test_language_buttons_switch_the_language_and_go_away(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg = live.tg
    tg.user_message(ADMIN, "/lang")
    menu = await tg.wait_sent(ADMIN, contains="/lang zh")
    tg.press_button(ADMIN, menu, "简体中文")
    await tg.wait_sent(ADMIN, contains="语言：简体中文。")
    call = await tg.wait_for("editMessageReplyMarkup")
    assert call.ok and "reply_markup" not in tg.messages[(ADMIN, menu.message_id)]
    mark = tg.mark()
    tg.user_message(ADMIN, "/balance", language_code="en")  # the choice beats Telegram's language
    assert "钱包" in ((await tg.wait_sent(ADMIN, since=mark)).text or "")
    offsets = [c.params.get("offset") for c in tg.calls_to("getUpdates") if c.params.get("offset")]
    assert offsets == sorted(offsets) and len(set(offsets)) >= 2  # long polling confirms what it got
    await live.stop()
