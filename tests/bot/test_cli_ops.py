"""`signalpilot backup`, `restore FILE` and `export --trades FILE.csv` as a user runs them; `run` and
`restore` refuse to share a database file with a running bot."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from bot.cli import main
from engine.storage import backup as backups
from tests.conftest import engine_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("SP_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paper.db'}")
    monkeypatch.setenv("SP_BACKUP__DIR", str(tmp_path / "data" / "backups"))
    return tmp_path


async def _trade_once(url: str) -> None:
    from engine.facade import Engine
    from engine.market.base import PriceTick

    engine = await Engine.create(engine_settings(url))
    await engine.start(run_feed=False, run_jobs=False)
    try:
        await engine.step_market(2)
        sig = await engine.analyse("ETH/BTC")
        assert sig is not None and (await engine.confirm(sig.id, by="t")).position is not None
        for target in sig.targets:
            await engine.on_tick(PriceTick(sig.symbol, target.price, engine.clock.now()))
    finally:
        await engine.stop()


def test_backup_restore_and_export(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = workdir / "data" / "paper.db"
    asyncio.run(_trade_once(f"sqlite+aiosqlite:///{db}"))
    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backup written: ") and "1 kept in" in out
    made = backups.backups(workdir / "data" / "backups", db)
    assert len(made) == 1

    assert main(["export", "--trades", "trades.csv"]) == 0
    assert "1 closed trades written to trades.csv" in capsys.readouterr().out
    rows = list(csv.DictReader((workdir / "trades.csv").open()))
    assert len(rows) == 1 and rows[0]["symbol"] == "ETH/BTC" and rows[0]["close_reason"] == "target"

    with backups.RunLock(db):  # a bot runs on it
        assert main(["restore", str(made[0])]) == 2
        assert "a bot is running on this database (run, pid" in capsys.readouterr().err
        assert main(["run"]) == 2
        assert "cannot start: a bot is running on this database" in capsys.readouterr().err
    assert main(["restore", str(made[0])]) == 0
    assert "the replaced database is kept as" in capsys.readouterr().out
    assert backups.check(db) == []
    assert main(["restore", "nope.db"]) == 2
    assert "nope.db does not exist" in capsys.readouterr().err


def test_backup_on_postgres_prints_the_pg_dump_recipe(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SP_DATABASE__URL", "postgresql+asyncpg://bot:hunter2@db:5432/signalpilot")
    assert main(["backup"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom" in err and "pg_restore" in err and "hunter2" not in err
