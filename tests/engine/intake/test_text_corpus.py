"""The free-text parser on a corpus of realistic signal messages: each parses to the expected plan,
and each message that cannot be parsed names the missing field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.intake.model import ExternalSignal, ParseFailure
from engine.intake.text import parse_text
from tests.engine.intake.corpus import CORPUS


def test_the_corpus_is_large_and_bilingual() -> None:
    assert len(CORPUS) >= 30
    chinese = [m for m, _ in CORPUS if any("\u4e00" <= ch <= "\u9fff" for ch in m)]
    assert len(chinese) >= 8


@pytest.mark.parametrize(("message", "expect"), CORPUS, ids=[f"msg{i}" for i in range(len(CORPUS))])
def test_message_parses_as_expected(message: str, expect: dict[str, object] | str) -> None:
    result = parse_text(message)
    if isinstance(expect, str):
        assert isinstance(result, ParseFailure), result
        assert result.field == expect
        return
    assert isinstance(result, ExternalSignal), result
    assert result.symbol == expect["symbol"]
    assert result.side.value == expect["side"]
    want_entry = expect["entry"]
    assert result.entry == (Decimal(want_entry) if want_entry is not None else None)  # type: ignore[arg-type]
    if "range" in expect:
        assert result.entry_range == tuple(Decimal(v) for v in expect["range"])  # type: ignore[attr-defined]
    assert result.stop == Decimal(expect["stop"])  # type: ignore[arg-type]
    assert list(result.targets) == [Decimal(v) for v in expect["targets"]]  # type: ignore[attr-defined]
    assert result.leverage == expect.get("leverage")
