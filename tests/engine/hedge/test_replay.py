"""Hedge rounds on two venues' replayed candles (paper): the same runner as live, on real paper brokers."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from config.settings import Settings
from engine.domain.hedge import HedgeAlert, LegExit, RoundState
from engine.hedge.replay import round_json, run_hedge_replay
from tests.engine.hedge.data import flat, rising, write_venue


def settings(**hedge: object) -> Settings:
    return Settings(_env_file=None, hedge=hedge, telegram={"token": None})  # type: ignore[call-arg]


async def test_rising_price_stops_the_short_and_takes_profit_on_the_long(tmp_path: Path) -> None:
    write_venue(tmp_path, "aster", rising())
    write_venue(tmp_path, "backpack", [p + 0.05 for p in rising()])
    out = await run_hedge_replay(settings(), tmp_path, "SOL/USDT", D("25"), 1, "1m")
    [rnd] = out.rounds
    short, long = rnd.legs
    assert rnd.state is RoundState.DONE and short.qty == long.qty == D("0.24")
    assert (short.venue, short.side.value, short.reason) == ("aster", "short", LegExit.STOP)
    assert (long.venue, long.side.value, long.reason) == ("backpack", "long", LegExit.TAKE_PROFIT)
    assert short.exit is not None and short.entry is not None and short.exit >= short.entry * D("1.008")
    assert long.exit is not None and long.entry is not None and long.exit >= long.entry * D("1.012")
    assert rnd.pnl == short.pnl + long.pnl and short.fees > 0 and long.fees > 0
    kinds = [e.kind for e in out.store.events]  # type: ignore[union-attr]
    assert kinds == [HedgeAlert.OPENED, HedgeAlert.LEG_STOPPED, HedgeAlert.LIMIT_PLACED, HedgeAlert.LIMIT_FILLED,
                     HedgeAlert.ENDED]


async def test_a_quiet_market_is_force_closed_after_the_maximum_holding_time(tmp_path: Path) -> None:
    write_venue(tmp_path, "aster", flat())
    write_venue(tmp_path, "backpack", flat())
    out = await run_hedge_replay(settings(max_hold_min=10), tmp_path, "SOL/USDT", D("25"), 1, "1m")
    [rnd] = out.rounds
    assert [leg.reason for leg in rnd.legs] == [LegExit.FORCE, LegExit.FORCE]
    assert rnd.ended_at is not None and (rnd.ended_at - rnd.started_at).total_seconds() >= 600
    assert HedgeAlert.FORCED in [e.kind for e in out.store.events]  # type: ignore[union-attr]


async def test_continuous_rounds_wait_the_cooldown_and_json_has_decimals_as_strings(tmp_path: Path) -> None:
    write_venue(tmp_path, "aster", flat(200))
    write_venue(tmp_path, "backpack", flat(200))
    out = await run_hedge_replay(settings(max_hold_min=10, cooldown_s=300, mode="continuous"), tmp_path,
                                 "SOL/USDT", D("25"), 3, "1m")
    assert len(out.rounds) == 3
    for before, after in zip(out.rounds, out.rounds[1:], strict=False):
        assert before.ended_at is not None and (after.started_at - before.ended_at).total_seconds() >= 300
    doc = round_json(out.rounds[0])
    assert [leg["venue"] for leg in doc["legs"]] == ["aster", "backpack"]
    assert all(isinstance(leg[k], str) for leg in doc["legs"] for k in ("qty", "entry", "exit", "pnl", "fees"))
    assert isinstance(doc["pnl"], str) and D(doc["pnl"]) == out.rounds[0].pnl


async def test_rounds_stop_at_the_daily_loss_limit(tmp_path: Path) -> None:
    write_venue(tmp_path, "aster", flat(400))
    write_venue(tmp_path, "backpack", flat(400))
    tiny = Settings(_env_file=None, hedge={"max_hold_min": 5, "cooldown_s": 0},  # type: ignore[call-arg]
                    risk={"daily_loss_limit_pct": D("0.000001")}, telegram={"token": None})
    out = await run_hedge_replay(tiny, tmp_path, "SOL/USDT", D("25"), 10, "1m")
    assert out.stopped_by == "daily_loss" and len(out.rounds) == 1 and out.rounds[0].pnl < 0
