"""`signalpilot run` without a token: paper mode on the bundled replay, prints cards and events in
plain text, stops cleanly on SIGTERM with state saved, and a second start resumes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "SP_MARKET__REPLAY_SPEED": "200", "SP_RISK__EXECUTION_MODE": "auto",
            "SP_SCAN__MIN_SCORE": "60", "SP_TELEGRAM__TOKEN": "", **env}
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _read_until(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed in {timeout}s; got:\n{''.join(lines)}")


def test_run_without_token_prints_events_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    try:
        lines = _read_until(proc, "Telegram is not connected", 60)
        lines += _read_until(proc, "ENTRY FILLED (paper)", 90)
        assert any("SIGNAL (paper)" in line for line in lines)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SignalPilot stopped; state saved." in out
    assert (tmp_path / "data" / "paper.db").exists()

    second = _start(tmp_path)
    try:
        _read_until(second, "Telegram is not connected", 60)
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0


def test_bad_replay_dir_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "SP_MARKET__REPLAY_DIR": str(tmp_path / "nope")}, timeout=60)
    assert proc.returncode == 2 and "SP_MARKET__REPLAY_DIR: folder not found" in proc.stderr


async def test_run_with_the_exchange_down_answers_telegram_and_resumes_when_it_is_up(tmp_path: Path) -> None:
    """Paper on live data, the exchange refusing connections: the bot starts, tells the admins once,
    answers /status with "unreachable since", and loads markets and scans once the exchange is up."""
    from tests.bot.conftest import ADMIN, ADMIN2
    from tests.fakes.binance import FakeBinance
    from tests.fakes.telegram_api import FakeTelegram

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    fake = FakeBinance()
    async with FakeTelegram() as tg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        env.update({"PYTHONPATH": str(ROOT), "SP_TELEGRAM__TOKEN": tg.token, "SP_TELEGRAM__API_BASE": tg.base_url,
                    "SP_TELEGRAM__ADMINS": f"{ADMIN},{ADMIN2}", "SP_EXCHANGE__BASE_URL": f"http://127.0.0.1:{port}",
                    "SP_SCAN__SYMBOLS": "BTC/USDT:USDT", "SP_SCAN__TIMEFRAMES": "5m", "SP_SCAN__CANDLES": "60"})
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            alert = await tg.wait_sent(ADMIN, contains="Exchange unreachable", timeout=60)
            assert "binanceusdm" in (alert.text or "")
            tg.user_message(ADMIN, "/status")
            status = await tg.wait_sent(ADMIN, contains="Status", timeout=20)
            assert "Exchange unreachable since" in (status.text or "")
            mark = tg.mark()
            await fake.start(port)
            back = await tg.wait_sent(ADMIN2, contains="Exchange reachable again", timeout=60, since=mark)
            assert "scanning and trading resumed" in (back.text or "")
            for _ in range(200):  # the scan runs right after the markets are loaded
                if fake.count("/fapi/v1/klines"):
                    break
                await asyncio.sleep(0.1)
            assert fake.count("/fapi/v1/klines") > 0
            for admin in (ADMIN, ADMIN2):
                assert sum((m.text or "").startswith("📡 Exchange unreachable") for m in tg.sent(admin)) == 1
            proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await fake.close()
    text = out.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text, text[-4000:]
