"""End to end over HTTP: /chart and /pnl upload PNG photos (multipart, attach://) to the fake Bot API."""

from __future__ import annotations

from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import tick
from tests.fakes.telegram_api import UploadedFile

PNG = b"\x89PNG\r\n\x1a\n"


async def test_chart_returns_a_png_photo(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg, engine = live.tg, live.engine
    await engine.step_market(1)
    signal = await engine.analyse("ETH/BTC")
    await engine.confirm(signal.id, "test")
    await tick(engine, signal.symbol, signal.targets[0].price)
    mark = tg.mark()
    tg.user_message(READER, "/chart eth/btc 1h")
    photo = await tg.wait_sent(READER, contains="ETH/BTC", since=mark, timeout=10)
    assert photo.method == "sendPhoto" and photo.photo is not None and photo.photo.startswith(PNG)
    assert photo.text == "ETH/BTC · 1h"
    upload = tg.calls_to("sendPhoto")[-1].params["photo"]  # the multipart part that attach:// named
    assert isinstance(upload, UploadedFile) and upload.filename == "chart.png" and upload.data == photo.photo
    await live.stop()


async def test_pnl_sends_its_chart(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg, engine = live.tg, live.engine
    await engine.step_market(1)
    signal = await engine.analyse("ETH/BTC")
    await engine.confirm(signal.id, "test")
    await tick(engine, signal.symbol, signal.stop)
    await engine.step_market(3)
    mark = tg.mark()
    tg.user_message(ADMIN, "/pnl 7d")
    photo = await tg.wait_sent(ADMIN, contains="PnL, 7 days", since=mark, timeout=10)
    assert photo.photo is not None and photo.photo.startswith(PNG)
    assert "Trades: 1 · won 0 · lost 1" in (photo.text or "")
    await live.stop()
