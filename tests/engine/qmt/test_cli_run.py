"""``python -m bot run`` with ``SP_EXCHANGE__NAME=qmt``: a refused or missing token is exit code 2
naming ``SP_QMT__TOKEN`` (the token never printed, nothing ordered); a bridge that is down is the
engine's venue-unreachable state, not a failure."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from config.settings import Settings
from engine.domain.events import VenueUnreachable
from engine.facade import Engine
from tests.engine.qmt.bridge import TOKEN, running_bridge

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path, url: str, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    env.update({"PYTHONPATH": str(ROOT), "SP_MODE": "live", "SP_EXCHANGE__NAME": "qmt", "SP_QMT__URL": url,
                "SP_SCAN__SYMBOLS": "600000.SH", "SP_MARKET__SOURCE": "live",
                "SP_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"})
    if token is not None:
        env["SP_QMT__TOKEN"] = token
    return env


async def _run_bot(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    return proc.returncode or 0, out.decode()


async def test_a_refused_token_exits_2_naming_the_variable_and_orders_nothing(tmp_path: Path) -> None:
    async with running_bridge() as srv:
        code, output = await _run_bot(_env(tmp_path, srv.url, "refused-token-8e1f"), tmp_path)
        assert code == 2, output
        assert "the QMT bridge refused the token (SP_QMT__TOKEN)" in output
        assert "refused-token-8e1f" not in output and "Traceback" not in output
        assert srv.bridge.calls == [] and srv.sim.orders == {}  # refused at the door


async def test_a_missing_token_exits_2_before_any_request(tmp_path: Path) -> None:
    async with running_bridge() as srv:
        code, output = await _run_bot(_env(tmp_path, srv.url, None), tmp_path)
        assert code == 2, output
        assert "SP_QMT__URL and SP_QMT__TOKEN" in output
        assert srv.bridge.calls == []


async def test_a_bridge_that_is_down_is_the_venue_unreachable_state(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(tmp_path, f"http://127.0.0.1:{port}", "some-token")
    settings = Settings(_env_file=None, mode="live", exchange={"name": "qmt"},  # type: ignore[call-arg]
                        qmt={"url": env["SP_QMT__URL"], "token": "some-token"}, scan={"symbols": ["600000.SH"]},
                        market={"source": "live"}, database={"url": env["SP_DATABASE__URL"]}, telegram={"token": None})
    engine = await Engine.create(settings)
    seen: list[VenueUnreachable] = []
    engine.bus.subscribe(VenueUnreachable, seen.append)
    try:
        await engine.start(run_feed=False, run_jobs=False)
        assert engine.venue_down is not None and engine.venue_down.venue == "qmt"
        assert seen and "cannot be reached" in seen[0].detail and "some-token" not in seen[0].detail
    finally:
        await engine.stop()


async def test_check_online_asks_the_bridge_with_the_token(tmp_path: Path) -> None:
    from engine.preflight import online_checks

    async with running_bridge() as srv:
        def settings(token: str) -> Settings:
            return Settings(_env_file=None, mode="live", exchange={"name": "qmt"},  # type: ignore[call-arg]
                            qmt={"url": srv.url, "token": token}, scan={"symbols": ["600000.SH"]},
                            market={"source": "live"}, database={"url": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"},
                            telegram={"token": None})

        checks = {c.name: c for c in await online_checks(settings(TOKEN))}
        assert checks["qmt bridge"].ok and "SIM0001" in checks["qmt bridge"].detail
        checks = {c.name: c for c in await online_checks(settings("wrong-token-77"))}
        assert not checks["qmt bridge"].ok and "SP_QMT__TOKEN" in checks["qmt bridge"].detail
        assert "wrong-token-77" not in checks["qmt bridge"].detail
