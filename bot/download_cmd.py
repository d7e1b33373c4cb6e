"""``signalpilot download``: candles from an exchange into replay CSV files, with a progress bar.

The work is in ``engine.market.download``; this module parses the flags, builds the ccxt client
(``SP_EXCHANGE__BASE_URL`` or ``--base-url`` points it at another host) and reports per file.
Exit codes: 0 done, 2 bad input or an exchange refusal, 1 a network failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import ExchangeSettings

EXIT_OK, EXIT_NETWORK, EXIT_INPUT = 0, 1, 2


def _date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or ISO-8601)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("download", help="download candles from an exchange into replay CSV files")
    p.add_argument("--exchange", default=None, help="ccxt exchange id (default: SP_EXCHANGE__NAME, binanceusdm)")
    p.add_argument("--symbols", required=True, help="comma-separated, e.g. BTC/USDT,ETH/USDT")
    p.add_argument("--timeframes", default="5m", help="comma-separated, e.g. 5m,1h (default 5m)")
    p.add_argument("--days", type=float, default=30.0, help="how many days back from the end (default 30)")
    p.add_argument("--to", dest="end", type=_date, help="end of the window (default: now)")
    p.add_argument("--out", type=Path, default=Path("data"), help="directory for the CSV files (default ./data)")
    p.add_argument("--base-url", default=None, help="another host for the exchange API, e.g. http://127.0.0.1:8080")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("signalpilot: download interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_NETWORK


def _exchange_settings(args: argparse.Namespace) -> ExchangeSettings:
    from config.settings import ExchangeSettings, SettingsError, load_settings

    try:
        base = load_settings().exchange
    except SettingsError:
        base = ExchangeSettings()
    update = {"api_key": None, "api_secret": None}  # public data: keys are never sent
    if args.exchange:
        update["name"] = args.exchange
    if args.base_url:
        update["base_url"] = args.base_url
    return base.model_copy(update=update)


async def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.errors import BrokerError, CsvFormatError, DownloadError
    from engine.facade import LiveClock, download_candles, make_exchange

    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    timeframes = [t.strip() for t in args.timeframes.split(",") if t.strip()]
    if not symbols or not timeframes:
        print("signalpilot: --symbols and --timeframes must name at least one each", file=sys.stderr)
        return EXIT_INPUT
    if args.days <= 0:
        print("signalpilot: --days must be more than 0", file=sys.stderr)
        return EXIT_INPUT
    end = args.end or LiveClock().now()
    since = end - timedelta(days=args.days)
    settings = _exchange_settings(args)
    try:
        exchange = make_exchange(settings, rate_limit=True)
    except BrokerError as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_INPUT
    bar = None
    if not args.quiet:
        bar = tqdm(total=0, unit="candle", file=sys.stderr, mininterval=0.5, delay=0.2)

    def on_total(total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.refresh()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        results = await download_candles(exchange, symbols, timeframes, since, end, args.out, progress=progress,
                                 on_total=on_total)
    except DownloadError as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_NETWORK if exc.network else EXIT_INPUT
    except CsvFormatError as exc:
        print(f"signalpilot: {exc} (not a candle file: move it or choose another --out)", file=sys.stderr)
        return EXIT_INPUT
    finally:
        if bar is not None:
            bar.close()
        await exchange.close()
    for r in results:
        how = "appended" if r.resumed else "written"
        print(f"{r.path}: {r.added} candles {how}" + (" (already up to date)" if r.resumed and not r.added else ""))
    return EXIT_OK
