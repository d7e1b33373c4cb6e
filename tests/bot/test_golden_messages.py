"""Message formats pinned in English and Chinese: the real aiogram Bot against the fake Bot API, the
paper engine on the bundled replay (a stepped clock: the same figures every run). A card, each alert of
a trade (entry, TP1 with breakeven, TP2 with the close), /positions, /history, /profit, /daily,
/performance, /status and /settings are compared with tests/bot/golden/<lang>/<name>.html.

``SP_UPDATE_GOLDEN=1`` rewrites the files instead (see tests/bot/golden/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bot.conftest import ADMIN
from tests.bot.flows import tick
from tests.fakes.telegram_api import FakeTelegram, SentMessage

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SP_UPDATE_GOLDEN") == "1"
ONE_SYMBOL = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]}}
CONFIRM = {"en": "Confirm", "zh": "确认"}


def check(lang: str, name: str, message: SentMessage) -> None:
    text = (message.source or "") + "\n"
    path = GOLDEN / lang / f"{name}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: regenerate with SP_UPDATE_GOLDEN=1 (tests/bot/golden/README.md)"
    assert text == path.read_text(encoding="utf-8"), f"{lang}/{name} differs from its golden file"


async def command(tg: FakeTelegram, lang: str, text: str, contains: str | None = None) -> SentMessage:
    mark = tg.mark()
    tg.user_message(ADMIN, text, language_code=lang)
    return await tg.wait_sent(ADMIN, contains, since=mark)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_messages_read_as_pinned(live_bot, lang: str) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL, default_lang=lang)
    tg, engine = live.tg, live.engine

    mark = tg.mark()
    await engine.step_market(1)  # the scheduled scan raises the card
    card = await tg.wait_sent(ADMIN, "/100", since=mark)
    check(lang, "card", card)

    mark = tg.mark()
    tg.press_button(ADMIN, card, CONFIRM[lang])
    check(lang, "alert_entry", await tg.wait_sent(ADMIN, "📥", since=mark))
    signal = await engine.get_signal(card.button(CONFIRM[lang])["callback_data"].split(":")[-1])
    assert signal is not None

    await engine.step_market(6)  # half an hour later
    check(lang, "positions", await command(tg, lang, "/positions", "ETH/BTC"))

    mark = tg.mark()
    await tick(engine, signal.symbol, signal.targets[0].price)
    check(lang, "alert_tp1", await tg.wait_sent(ADMIN, "TP1", since=mark))
    mark = tg.mark()
    await tick(engine, signal.symbol, signal.targets[1].price)
    check(lang, "alert_tp2_close", await tg.wait_sent(ADMIN, "TP2", since=mark))

    check(lang, "history", await command(tg, lang, "/history", "ETH/BTC"))
    check(lang, "profit", await command(tg, lang, "/profit", "💰"))
    check(lang, "daily", await command(tg, lang, "/daily 3", "📅"))
    check(lang, "performance", await command(tg, lang, "/performance", "🏆"))
    check(lang, "status", await command(tg, lang, "/status", "🔎"))
    check(lang, "settings", await command(tg, lang, "/settings", "⚙️"))
    await live.stop()


def test_every_golden_file_has_both_languages() -> None:
    english = {p.name for p in (GOLDEN / "en").glob("*.html")}
    chinese = {p.name for p in (GOLDEN / "zh").glob("*.html")}
    assert english and english == chinese
