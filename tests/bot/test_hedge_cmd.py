"""``signalpilot hedge``: rounds on two venues' replayed candles, printed and written as JSON."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from bot.cli import main
from tests.engine.hedge.data import flat, rising, write_venue


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in __import__("os").environ if n.startswith("SP_")]:
        monkeypatch.delenv(name)


def test_rounds_are_printed_and_written_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_HEDGE__COOLDOWN_S", "0")
    data = tmp_path / "data"
    write_venue(data, "aster", rising(120))
    write_venue(data, "backpack", [p + 0.05 for p in rising(120)])
    out = tmp_path / "rounds.json"
    code = main(["hedge", "--symbol", "SOL/USDT", "--size", "25", "--rounds", "2", "--data", str(data),
                 "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.count("round ") >= 2 and "2 round(s), total PnL" in printed
    doc = json.loads(out.read_text())
    assert len(doc["rounds"]) == 2
    first = doc["rounds"][0]
    assert [(leg["venue"], leg["side"], leg["reason"]) for leg in first["legs"]] == [
        ("aster", "short", "stop"), ("backpack", "long", "take_profit")]
    for leg in first["legs"]:
        assert {"venue", "side", "qty", "entry", "exit", "reason", "pnl", "fees"} <= set(leg)
        assert D(leg["qty"]) == D("0.24") and isinstance(leg["entry"], str)
    assert D(first["pnl"]) == sum(D(leg["pnl"]) for leg in first["legs"])
    assert D(doc["pnl"]) == sum(D(r["pnl"]) for r in doc["rounds"])


def test_bad_input_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    write_venue(data, "aster", flat())
    code = main(["hedge", "--symbol", "SOL/USDT", "--data", str(data)])  # no backpack folder
    assert code == 2 and "backpack" in capsys.readouterr().err
    write_venue(data, "backpack", flat())
    code = main(["hedge", "--symbol", "SOL/USDT", "--size", "0.5", "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 2 and "minimum quantity" in err and "Traceback" not in err
