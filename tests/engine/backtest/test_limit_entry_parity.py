"""A limit entry has the same outcome in a backtest and in paper trading on the same prices: filled
at once, filled after resting, or not filled at its timeout (the position ends FAILED/not_filled and
no trade exists). Both runs use the paper broker, which fills a limit order WHOLE once a price
crosses it (no partial fills in paper: a tick carries no volume to share).

The bundled sample replay, with a coarser price step for ETH/BTC and LTC/BTC (markets.json): a
planned entry is rounded up to the step, so a short's limit sells above the close it was planned
on and rests until the price comes back to it — or times out after one 5-minute bar.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from config.settings import SAMPLE_DATA_DIR
from engine.backtest.runner import run_backtest
from engine.domain.models import CloseReason, PositionState
from engine.storage.tables import PositionRow
from tests.conftest import engine_settings

SYMBOLS = ["ETH/BTC", "LTC/BTC"]
START, END = datetime(2018, 1, 17, 12, tzinfo=UTC), datetime(2018, 1, 18, tzinfo=UTC)


def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for symbol in SYMBOLS:
        name = symbol.replace("/", "_") + "-5m.csv"
        shutil.copy(SAMPLE_DATA_DIR / name, data / name)
    (data / "markets.json").write_text(json.dumps({s: {"price_step": "0.0005"} for s in SYMBOLS}))
    return data


async def test_backtest_and_paper_agree_on_limit_entries_filled_and_not_filled(tmp_path: Path,
                                                                               engine_factory) -> None:  # type: ignore[no-untyped-def]
    data = data_dir(tmp_path)
    settings = engine_settings(f"sqlite+aiosqlite:///{tmp_path / 'paper.db'}",
                               risk={"entry_order": "limit", "entry_timeout_min": 5, "execution_mode": "auto"},
                               scan={"min_score": 60, "symbols": SYMBOLS},
                               market={"replay_dir": str(data), "replay_warmup": 300, "replay_from": START,
                                       "replay_to": END})
    backtest = await run_backtest(settings, data, SYMBOLS, "5m", start=START, end=END)

    paper = await engine_factory(settings.database.url, risk={"entry_order": "limit", "entry_timeout_min": 5,
                                                              "execution_mode": "auto"},
                                 scan={"min_score": 60, "symbols": SYMBOLS},
                                 market={"replay_dir": str(data), "replay_warmup": 300, "replay_from": START,
                                         "replay_to": END})
    while True:
        before = paper.clock.now()
        await paper.step_market(1)
        if paper.clock.now() == before:
            break  # the replay's data is finished
    await paper.finish_replay()
    async with paper.database.session() as session:
        rows = (await session.exec(select(PositionRow))).all()

    not_filled = [r for r in rows if r.close_reason == CloseReason.NOT_FILLED.value]
    assert not_filled and all(r.state == PositionState.FAILED.value and r.opened_at is None for r in not_filled)
    rested = [r for r in rows if r.opened_at is not None and r.opened_at.replace(tzinfo=UTC) > r.created_at.replace(
        tzinfo=UTC)]
    assert rested, "some limit entry should rest before it fills"
    traded = sorted((r for r in rows if r.state == PositionState.CLOSED.value),
                    key=lambda r: (r.opened_at, r.symbol))
    # the same trades, at the same limit prices, sizes and exits: the not-filled ones are in neither
    ours = [(r.symbol, r.opened_at.replace(tzinfo=UTC), r.entry_price, r.qty) for r in traded]
    theirs = [(t.symbol, t.entry_time, t.entry_price, t.qty) for t in
              sorted(backtest.trades, key=lambda t: (t.entry_time, t.symbol))]
    assert ours == theirs
    assert [str(r.realized_pnl) for r in traded] == [str(t.pnl) for t in
                                                      sorted(backtest.trades, key=lambda t: (t.entry_time, t.symbol))]
