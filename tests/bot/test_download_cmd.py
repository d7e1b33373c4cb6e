"""``signalpilot download`` as a user runs it, against the fake Binance over HTTP: files, resume, exit codes."""

from __future__ import annotations

import asyncio
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import CANDLES_DIR
from tests.fakes.binance import FakeBinance

pytestmark = pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason="../shared/data/candles not present")


def _count(name: str, step_ms: int, since: str, end: str) -> int:
    lo = int(datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp() * 1000)
    hi = int(datetime.fromisoformat(end).replace(tzinfo=UTC).timestamp() * 1000)
    stamps = [int(line.split(",")[0]) for line in (CANDLES_DIR / name).read_text().splitlines()[1:]]
    return sum(1 for ts in stamps if lo <= ts and ts + step_ms <= hi)


async def _download(cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "download", *args, cwd=cwd, env={"PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_download_then_resume_then_errors(tmp_path: Path) -> None:
    out = tmp_path / "data"
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", CANDLES_DIR / "XRP_USDT-5m.csv")
        fake.load_klines_csv("XRPUSDT", "1h", CANDLES_DIR / "XRP_USDT-1h.csv")
        common = ["--exchange", "binanceusdm", "--symbols", "XRP/USDT", "--timeframes", "5m,1h",
                  "--base-url", fake.http_base, "--out", str(out)]
        code, stdout, stderr = await _download(tmp_path, *common, "--days", "2", "--to", "2021-11-19")
        assert code == 0, stderr
        assert f"XRP_USDT-5m.csv: {_count('XRP_USDT-5m.csv', 300_000, '2021-11-17', '2021-11-19')} candles " \
               "written" in stdout
        assert f"XRP_USDT-1h.csv: {_count('XRP_USDT-1h.csv', 3_600_000, '2021-11-17', '2021-11-19')} candles " \
               "written" in stdout
        assert "candle" in stderr  # the progress bar

        code, stdout, stderr = await _download(tmp_path, *common, "--days", "2", "--to", "2021-11-20", "--quiet")
        assert code == 0, stderr
        assert f"XRP_USDT-5m.csv: {_count('XRP_USDT-5m.csv', 300_000, '2021-11-19', '2021-11-20')} candles " \
               "appended" in stdout
        assert f"XRP_USDT-1h.csv: {_count('XRP_USDT-1h.csv', 3_600_000, '2021-11-19', '2021-11-20')} candles " \
               "appended" in stdout
        assert stderr == ""
        lines = (out / "XRP_USDT-5m.csv").read_text().splitlines()
        stamps = [int(line.split(",")[0]) for line in lines[1:]]
        assert stamps == sorted(set(stamps))
        assert len(stamps) == _count("XRP_USDT-5m.csv", 300_000, "2021-11-17", "2021-11-20")

        code, _, stderr = await _download(tmp_path, *common[:3], "DOGE/USDT", *common[4:], "--quiet")
        assert code == 2 and "unknown symbol 'DOGE/USDT'" in stderr
        assert "Traceback" not in stderr

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    code, _, stderr = await _download(tmp_path, "--symbols", "XRP/USDT", "--base-url", dead, "--out", str(out),
                                      "--quiet")
    assert code == 1 and "cannot load the exchange's markets" in stderr and "Traceback" not in stderr


def test_download_rejects_bad_input(tmp_path: Path) -> None:
    async def go() -> None:
        code, _, stderr = await _download(tmp_path, "--symbols", "XRP/USDT", "--days", "0")
        assert code == 2 and "--days must be more than 0" in stderr
        code, _, stderr = await _download(tmp_path, "--symbols", "XRP/USDT", "--timeframes", "7x",
                                          "--base-url", "http://127.0.0.1:9")
        assert code == 2 and "unknown timeframe '7x'" in stderr

    asyncio.run(go())
