"""The card's progress line of a TWAP or an iceberg run, in English and Chinese: slices filled of
planned and the average price, grouped (``TWAP 4/10, avg 64,210``); done, stopped, ended."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.i18n import make_i18n, use
from bot.presenters import cards
from engine.domain.events import AlgoProgressed
from tests.bot.test_presenters import NOW, position

I18N = make_i18n()


def progressed(**changes: object) -> AlgoProgressed:
    ev = AlgoProgressed(ts=NOW, paper=True, position=position(), kind="twap", entry=True, done=4, slices=10,
                        filled=Decimal("0.4"), total=Decimal("1"), avg_price=Decimal("64210"), status="running")
    return replace(ev, **changes)  # type: ignore[arg-type]


def test_progress_lines_in_english() -> None:
    with use(I18N, "en"):
        assert cards.algo_line(progressed()) == "⏱ TWAP 4/10, avg 64,210"
        assert cards.algo_line(progressed(done=10, status="done")) == "✅ TWAP done: 10/10, avg 64,210"
        assert cards.algo_line(progressed(status="stopped")) == "🛑 TWAP stopped at the stop price: 4/10, avg 64,210"
        assert cards.algo_line(progressed(kind="iceberg", entry=False, status="cancelled")) == \
            "⏹ Iceberg exit ended: 4/10, avg 64,210"


def test_progress_lines_in_chinese() -> None:
    with use(I18N, "zh"):
        assert cards.algo_line(progressed()) == "⏱ TWAP 4/10，均价 64,210"
        assert cards.algo_line(progressed(kind="iceberg", done=10, status="done")) == "✅ 冰山 完成：10/10，均价 64,210"
        assert cards.algo_line(progressed(status="stopped")) == "🛑 TWAP 触及止损价已停止：4/10，均价 64,210"


def test_the_console_prints_the_progress_too() -> None:
    from bot.console import render

    assert render(progressed()) == "TWAP (paper) ETH/BTC 4/10, avg 64210 (running)"
    assert render(progressed(entry=False, status="done")) == "TWAP exit (paper) ETH/BTC 4/10, avg 64210 (done)"


def test_an_algorithm_entry_that_filled_nothing_says_so_not_a_limit_order() -> None:
    from bot.presenters import alerts
    from engine.domain.events import EntryNotFilled

    with use(I18N, "en"):
        twap = alerts.entry_not_filled(EntryNotFilled(ts=NOW, paper=True, position=position(), by="twap"))
        assert "The TWAP entry ended before any slice filled: nothing is held." in twap
        assert "limit order" not in twap
        assert "limit order at" in alerts.entry_not_filled(EntryNotFilled(ts=NOW, paper=True, position=position()))
        assert cards.not_filled_line("iceberg") == "⌛ Not filled: the iceberg entry ended before any slice filled."
    with use(I18N, "zh"):
        assert cards.not_filled_line("twap") == "⌛ 未成交：TWAP开仓在任何分片成交前已结束。"


def test_positions_list_a_run_still_going_under_its_position() -> None:
    from bot.presenters import reports
    from engine.facade import PositionView
    from engine.views import AlgoRunView

    view = PositionView(position(), Decimal("0.05"), Decimal("0"),
                        running=(AlgoRunView("twap", True, 4, 10, Decimal("64210")),
                                 AlgoRunView("iceberg", False, 1, 3, None)))
    with use(I18N, "en"):
        text = reports.position_line(view, paper=True)
    assert "⏱ TWAP 4/10, avg 64,210" in text
    assert "⏱ Iceberg exit 1/3, avg" in text
