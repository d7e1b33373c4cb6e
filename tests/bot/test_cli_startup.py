"""Start-up failures are messages, not tracebacks: every case exits 2 with one or two lines naming the
variable and what to do; ``signalpilot check`` (no network) finds the same problems with a ✗ line,
and unknown ``SP_`` variables are named with the closest valid one.

All ``run``/``check`` processes of this module start at once (module fixture) so the matrix costs
about one process start-up; each parametrized test then reads its own result.
"""

from __future__ import annotations

import io
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.checks import run_checks
from config.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
ROOT_USER = os.geteuid() == 0  # root ignores file modes: there, a read-only bind mount makes the case
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
PG = "127.0.0.1", 5432
PARALLEL = 4


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Case:
    name: str
    env: dict[str, str]
    expect: tuple[str, ...]  # in the message
    prepare: str = ""  # what to put in the working directory first
    online_only: bool = False  # needs a server: `check` (offline) cannot see it
    skip: str = ""


CASES = [
    Case("garbage url", {"SP_DATABASE__URL": "garbage"}, ("SP_DATABASE__URL", "not a database URL")),
    Case("driver missing", {"SP_DATABASE__URL": "mysql://x"}, ("SP_DATABASE__URL", "not installed")),
    Case("sync driver", {"SP_DATABASE__URL": "sqlite:///x.db"}, ("SP_DATABASE__URL", "async driver")),
    Case("postgres down", {"SP_DATABASE__URL": f"postgresql+asyncpg://postgres:pw@127.0.0.1:{_dead_port()}/x"},
         ("SP_DATABASE__URL", "not answering", "start it"), online_only=True),
    Case("no such database", {"SP_DATABASE__URL": "postgresql+asyncpg://postgres:pw@127.0.0.1:5432/sp_no_such_db"},
         ("SP_DATABASE__URL", "does not exist", "create it"), online_only=True,
         skip="" if _port_open(*PG) else "no PostgreSQL on 127.0.0.1:5432"),
    Case("corrupted sqlite", {"SP_DATABASE__URL": "sqlite+aiosqlite:///state.db"}, ("SP_DATABASE__URL", "corrupted"),
         prepare="corrupted"),
    Case("not a database", {"SP_DATABASE__URL": "sqlite+aiosqlite:///state.db"},
         ("SP_DATABASE__URL", "not a SQLite database"), prepare="text"),
    Case("opened read-only", {"SP_DATABASE__URL": "sqlite+aiosqlite:///file:state.db?mode=ro&uri=true"},
         ("SP_DATABASE__URL", "read-only"), prepare="database"),
    Case("read-only file", {"SP_DATABASE__URL": "sqlite+aiosqlite:///state.db"}, ("SP_DATABASE__URL", "read-only"),
         prepare="readonly-file"),
    Case("read-only folder", {"SP_DATABASE__URL": "sqlite+aiosqlite:///db/state.db"}, ("SP_DATABASE__URL", "read-only"),
         prepare="readonly-folder"),
    Case("unwritable working directory", {}, ("SP_DATABASE__URL", "not writable", "writable folder"),
         prepare="readonly-cwd"),
    Case("data folder is a file", {}, ("SP_DATABASE__URL", "is a file"), prepare="data-file"),
    Case("malformed json", {"SP_MARKET": "{bad"}, ("SP_MARKET", "not valid JSON")),
    Case("unknown exchange", {"SP_EXCHANGE__NAME": "notanexchange"}, ("SP_EXCHANGE__NAME", "binanceusdm")),
    Case("venue exchange ccxt lacks", {"SP_VENUES__MOON__EXCHANGE": "moonex"},
         ("SP_VENUES__MOON__EXCHANGE", "ccxt has no such exchange")),
    Case("bad scan timeframe", {"SP_SCAN__TIMEFRAMES": "15m,7x"}, ("SP_SCAN__TIMEFRAMES", "'7x' is not a timeframe")),
    Case("bad base timeframe", {"SP_MARKET__BASE_TIMEFRAME": "5min"}, ("SP_MARKET__BASE_TIMEFRAME", "not a timeframe")),
    Case("missing replay dir", {"SP_MARKET__REPLAY_DIR": "/nonexistent/candles"},
         ("SP_MARKET__REPLAY_DIR", "folder not found")),
    Case("replay files of another timeframe", {"SP_MARKET__BASE_TIMEFRAME": "1h"},
         ("SP_MARKET__REPLAY_DIR", "no *-1h.csv")),
]


_MOUNTS: list[Path] = []


def _read_only(path: Path) -> None:
    """Make ``path`` read-only: by its mode, or for root (who ignores modes) by a read-only bind mount of
    it on itself, undone by ``_unmount_all``."""
    if not ROOT_USER:
        path.chmod(0o444 if path.is_file() else 0o555)
        return
    for args in (["mount", "--bind", str(path), str(path)], ["mount", "-o", "remount,ro,bind", str(path)]):
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"root ignores file modes and a read-only bind mount failed: {done.stderr.strip()}")
        if args[1] == "--bind":
            _MOUNTS.append(path)


@pytest.fixture(autouse=True, scope="module")
def _unmount_all() -> Iterator[None]:
    yield
    while _MOUNTS:
        subprocess.run(["umount", str(_MOUNTS.pop())], capture_output=True)


def _prepare(kind: str, cwd: Path) -> None:
    if kind in ("corrupted", "database", "readonly-file", "readonly-folder"):
        folder = cwd / "db" if kind == "readonly-folder" else cwd
        folder.mkdir(exist_ok=True)
        conn = sqlite3.connect(folder / "state.db")
        conn.execute("create table t(x)")
        conn.executemany("insert into t values (randomblob(1000))", [()] * 50)
        conn.commit()
        conn.close()
        if kind == "corrupted":
            with open(cwd / "state.db", "r+b") as f:
                f.seek(100)
                f.write(b"\xff" * 3000)
        elif kind == "readonly-file":
            _read_only(cwd / "state.db")
        elif kind == "readonly-folder":
            _read_only(folder)
    elif kind == "text":
        (cwd / "state.db").write_text("these are my notes, not a database\n" * 200)
    elif kind == "readonly-cwd":
        _read_only(cwd)
    elif kind == "data-file":
        (cwd / "data").write_text("not a folder")


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    env.update({"PYTHONPATH": str(ROOT), **extra})
    return env


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def message_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip() and not LOG_LINE.match(line)]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """``signalpilot run`` for every case, a few processes at a time."""
    waiting = [c for c in CASES if not c.skip]
    running: dict[str, subprocess.Popen[str]] = {}
    done: dict[str, Result] = {}
    try:
        while waiting or running:
            while waiting and len(running) < PARALLEL:
                case = waiting.pop(0)
                cwd = tmp_path_factory.mktemp(re.sub(r"\W+", "-", case.name))
                _prepare(case.prepare, cwd)
                running[case.name] = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=cwd,
                                                      env=_env(case.env), text=True, stdout=subprocess.PIPE,
                                                      stderr=subprocess.PIPE)
            name, proc = next(iter(running.items()))
            out, err = proc.communicate(timeout=300)
            done[name] = Result(proc.returncode, out, err)
            del running[name]
    finally:
        for proc in running.values():
            proc.kill()
            proc.wait()
    return done


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_exits_2_with_a_message_naming_the_variable(case: Case, results: dict[str, Result]) -> None:
    if case.skip:
        pytest.skip(case.skip)
    result = results[case.name]
    assert result.code == 2, result.err
    assert "Traceback" not in result.err + result.out
    text = "\n".join(result.message_lines)
    for needle in case.expect:
        assert needle in text, text
    assert 1 <= len(result.message_lines) <= 2, text
    assert "pw@" not in text  # a database password is never shown


OFFLINE = [c for c in CASES if not c.online_only]


@pytest.mark.parametrize("case", OFFLINE, ids=[c.name for c in OFFLINE])
async def test_check_finds_it_without_a_network(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``signalpilot check`` runs (``run_checks`` after ``load_settings``), in this process."""
    if case.skip:
        pytest.skip(case.skip)
    _prepare(case.prepare, tmp_path)
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("SP_")]:
        monkeypatch.delenv(key)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    try:
        settings = load_settings()
    except SettingsError as exc:  # `check` prints it and exits 2, as `run` does
        failed = str(exc).splitlines()
    else:
        out = io.StringIO()
        assert await run_checks(settings, online=False, out=out) == 2
        failed = [line for line in out.getvalue().splitlines() if line.startswith("✗")]
    for needle in case.expect:
        assert any(needle in line for line in failed), failed


def _run(command: list[str], cwd: Path, **env: str) -> Result:
    proc = subprocess.run([sys.executable, "-m", "bot", *command], cwd=cwd, env=_env(env), capture_output=True,
                          text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_check_passes_on_defaults_and_fails_on_an_unknown_variable(tmp_path: Path) -> None:
    clean = _run(["check"], tmp_path)
    assert clean.code == 0, clean.out + clean.err
    lines = clean.out.splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]) and "0 failed" in lines[-1]
    assert not (tmp_path / "data").exists()  # check creates nothing

    (tmp_path / ".env").write_text("SP_TELEGRAM_TOKEN=123456:ABC\n")
    typo = _run(["check"], tmp_path, SP_DATABASE_URL="sqlite+aiosqlite:///elsewhere.db")
    assert typo.code == 2
    assert "✗ variables: SP_DATABASE_URL is not a SignalPilot setting and is ignored: did you mean " \
           "SP_DATABASE__URL?" in typo.out
    assert "✗ variables: SP_TELEGRAM_TOKEN is not a SignalPilot setting and is ignored: did you mean " \
           "SP_TELEGRAM__TOKEN?" in typo.out  # from .env too
    assert "123456:ABC" not in typo.out + typo.err  # values are never shown

    (tmp_path / ".env").write_text("SP_TELEGRAM__TOKN=123456:ABC\n")  # a typo inside a section is an error
    nested = _run(["check"], tmp_path)
    assert nested.code == 2 and "SP_TELEGRAM__TOKN is not a SignalPilot setting: did you mean " \
                               "SP_TELEGRAM__TOKEN?" in nested.err


def test_run_warns_about_an_unknown_variable(tmp_path: Path) -> None:
    result = _run(["run"], tmp_path, SP_DATABASE_URL="sqlite+aiosqlite:///elsewhere.db", SP_MARKET__REPLAY_DIR="/nope")
    assert "warning: SP_DATABASE_URL is not a SignalPilot setting and is ignored: did you mean SP_DATABASE__URL?" \
        in result.err
    assert result.code == 2 and "SP_MARKET__REPLAY_DIR" in result.err  # the real error still stops it
