"""The ``signalpilot`` command: ``run`` (engine + Telegram bot or console), ``backtest``, ``check``,
``init``, ``download`` and ``hedge``.

A start-up problem the user can fix (a setting, the database, refused keys) is one or two lines
naming the variable, exit code 2, never a traceback. An exchange that cannot be reached is not
such a problem: the engine starts without it and keeps retrying.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, SettingsError, load_settings
from engine.errors import AuthError, BrokerError, StartupError

if TYPE_CHECKING:
    from engine.facade import Engine

log = logging.getLogger("signalpilot")

EXIT_CONFIG = 2
EXIT_STORAGE = 3  # the database stopped taking writes mid-run
KEYS = "SP_EXCHANGE__API_KEY / SP_EXCHANGE__API_SECRET"
QMT_TOKEN = "SP_QMT__TOKEN"


def _refused(settings: Settings) -> str:
    """What refused us, naming the variable to fix."""
    if settings.exchange.name == "qmt":
        return f"the QMT bridge refused the token ({QMT_TOKEN})"
    return f"the exchange refused the API keys ({KEYS})"


def _date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or ISO-8601)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="signalpilot", description="Telegram-first futures trading bot.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the engine, and the Telegram bot when SP_TELEGRAM__TOKEN is set")
    check = sub.add_parser("check", help="validate the settings (and with --online the connections) and exit")
    check.add_argument("--online", action="store_true",
                       help="also connect: database, exchange (clock, balance, position mode, key), Telegram")
    bt = sub.add_parser("backtest", help="replay candles through the engine and report")
    bt.add_argument("--data", type=Path, required=True, help="directory of {BASE}_{QUOTE}-{tf}.csv files")
    bt.add_argument("--symbols", default="", help="comma-separated, e.g. ETH/BTC,LTC/BTC (default: all files)")
    bt.add_argument("--timeframe", default="5m", help="base timeframe of the files (default 5m)")
    bt.add_argument("--from", dest="start", type=_date, help="first day, e.g. 2018-01-12")
    bt.add_argument("--to", dest="end", type=_date, help="last day")
    bt.add_argument("--json", type=Path, help="write the report as JSON")
    bt.add_argument("--chart", type=Path, help="write the equity curve as PNG")
    bt.add_argument("--quiet", action="store_true", help="no progress bar")
    from bot import download_cmd, hedge_cmd, ops_cmd, qmt_cmd, setup_wizard

    download_cmd.register(sub)
    setup_wizard.register(sub)
    ops_cmd.register(sub)
    hedge_cmd.register(sub)
    qmt_cmd.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "qmt-server":  # the bridge server: no SignalPilot settings of its own
        from bot import qmt_cmd

        return qmt_cmd.run(args)
    if args.command in ("download", "init"):  # before the settings: they may not exist yet
        from bot import download_cmd, setup_wizard

        return download_cmd.run(args) if args.command == "download" else setup_wizard.run(args)
    # the engine only now: download and init need none of it
    from engine.facade import offline_checks, setup_logging

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "run":
        from bot.demo import demo_settings

        settings = demo_settings(settings)  # no token on a replay: the console demo's defaults
    setup_logging(settings.log_level)
    if args.command == "check":
        from bot.checks import run_checks

        return asyncio.run(run_checks(settings, online=args.online))
    if args.command == "backtest":
        return asyncio.run(_backtest(settings, args))
    if args.command in ("backup", "restore", "export"):
        from bot import ops_cmd

        return ops_cmd.run(args, settings)
    if args.command == "hedge":
        from bot import hedge_cmd

        return hedge_cmd.run(settings, args)
    problems = [c for c in offline_checks(settings) if not c.ok]
    for check in problems:
        if not check.blocking:
            print(f"signalpilot: warning: {check.detail}", file=sys.stderr)
    blocking = [c.detail for c in problems if c.blocking]
    if blocking:
        print("signalpilot: cannot start:\n  " + "\n  ".join(blocking), file=sys.stderr)
        return EXIT_CONFIG
    from engine.errors import BackupError
    from engine.facade import RunLock, sqlite_path

    try:
        with RunLock(sqlite_path(settings.database_url)) if settings.database_url.startswith("sqlite") \
                else contextlib.nullcontext():  # a restore must not replace the file under a running bot
            return asyncio.run(_run(settings))
    except BackupError as exc:
        print(f"signalpilot: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0


async def _run(settings: Settings) -> int:
    from bot.console import storage_line
    from engine.domain.events import StorageFailed
    from engine.facade import Engine, redact

    try:
        engine = await Engine.create(settings)
    except (FileNotFoundError, ValueError, BrokerError, StartupError) as exc:
        print(f"signalpilot: {redact(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:  # e.g. the database's folder cannot be created
        print(f"signalpilot: {exc.strerror or exc}: {exc.filename or ''} (SP_DATABASE__URL)", file=sys.stderr)
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await engine.start()
    except StartupError as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        await engine.stop()
        return EXIT_CONFIG
    except AuthError as exc:
        print(f"signalpilot: {_refused(settings)}: {exc}", file=sys.stderr)
        await engine.stop()
        return EXIT_CONFIG
    except BrokerError as exc:
        print(f"signalpilot: cannot start trading: {exc}", file=sys.stderr)
        await engine.stop()
        return EXIT_CONFIG
    # what start built lives as long as the process: out of the collector's way, so a collection
    # that lands during a tick walks only what the run has allocated since (a shorter pause)
    gc.collect()
    gc.freeze()
    engine.bus.subscribe(StorageFailed, lambda _event: stop.set())
    stopper = loop.create_task(_stop_on_failure(engine, stop), name="stop-on-engine-failure")
    try:
        if settings.telegram.token is not None:
            from bot.app import TelegramTokenRejected, run_bot

            try:
                await run_bot(engine, settings, stop)
            except TelegramTokenRejected as exc:
                print(f"signalpilot: {exc}", file=sys.stderr)
                return EXIT_CONFIG
        else:
            from bot.console import run_console

            await run_console(engine, settings, stop)
    except Exception:
        if engine.failure is None:
            raise  # after a storage failure the one line below says it all
    finally:
        stopper.cancel()
        await engine.stop()
        if engine.failure is None:
            print("SignalPilot stopped; state saved.", flush=True)
    if engine.failure is not None:
        print(f"signalpilot: stopped: {storage_line(engine.failure)}", file=sys.stderr, flush=True)
        return EXIT_STORAGE
    if engine.venue_failure is not None:
        refused = isinstance(engine.venue_failure, AuthError)
        what = _refused(settings) if refused else "cannot start trading"
        print(f"signalpilot: {what}: {redact(str(engine.venue_failure))}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


async def _stop_on_failure(engine: Engine, stop: asyncio.Event) -> None:
    """The engine gave up (keys refused once the exchange answered, the database failed): stop the
    front end too."""
    await engine.failed.wait()
    stop.set()


async def _backtest(settings: Settings, args: argparse.Namespace) -> int:
    from engine.facade import format_text, run_backtest, to_json_dict

    if not args.data.is_dir():
        print(f"signalpilot: --data {args.data} is not a directory", file=sys.stderr)
        return EXIT_CONFIG
    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    bar: tqdm | None = None  # made at the first candle, when the total is known: no empty bar first

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=total, unit="candle", file=sys.stderr, mininterval=0.5, dynamic_ncols=True)
        bar.update(done - bar.n)

    started = datetime.now(UTC)
    try:
        with logging_redirect_tqdm():  # log lines are printed above the bar, never through it
            result = await run_backtest(settings, args.data, symbols, args.timeframe, args.start, args.end,
                                        progress)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        if bar is not None:
            bar.close()
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(format_text(result.summary, result.currency))
    print(f"{result.candles} candles replayed in {seconds:.1f} s ({result.candles / max(seconds, 1e-9):,.0f} candles/s); "
          f"account currency {result.currency}, start equity {result.initial_equity}")
    if args.json:
        args.json.write_text(json.dumps(to_json_dict(result.summary, result.trades), indent=2))
    if args.chart:
        from engine.facade import equity_png, trade_marks

        args.chart.write_bytes(equity_png(result.equity_curve, title="Backtest equity", currency=result.currency,
                                          marks=trade_marks(result.trades)))
    return 0
