"""``signalpilot hedge``: cross-venue hedge rounds on replayed candles of two venues (paper).

``--data DIR`` holds one folder per venue (``DIR/<venue>/{BASE}_{QUOTE}-{tf}.csv``; the venues are
``SP_HEDGE__SHORT_VENUE`` and ``SP_HEDGE__LONG_VENUE``, aster and backpack by default). Each round
is printed as it ends; ``--json FILE`` writes every round (legs: venue, side, qty, entry, exit,
reason, PnL, fees; the round's PnL; decimals as strings). The work is in ``engine.hedge.replay``.
Exit codes: 0 done, 2 bad input (a missing folder or file, a size below a venue's minimum).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from config.settings import Settings

EXIT_OK, EXIT_INPUT = 0, 2


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hedge", help="run cross-venue hedge rounds on replayed candles of two venues (paper)")
    p.add_argument("--symbol", required=True, help="e.g. SOL/USDT")
    p.add_argument("--size", type=_decimal, default=None, help="USDT per leg (default SP_HEDGE__SIZE_USDT, 25)")
    p.add_argument("--rounds", type=int, default=1, help="how many rounds (default 1)")
    p.add_argument("--data", type=Path, required=True, help="folder with one sub-folder of candles per venue")
    p.add_argument("--timeframe", default="1m", help="timeframe of the files (default 1m)")
    p.add_argument("--json", type=Path, help="write the rounds as JSON")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from engine.hedge.plan import PlanRefused
    from engine.hedge.replay import round_json, run_hedge_replay

    if args.rounds < 1:
        print("signalpilot: --rounds must be at least 1", file=sys.stderr)
        return EXIT_INPUT
    if not args.data.is_dir():
        print(f"signalpilot: --data {args.data} is not a directory", file=sys.stderr)
        return EXIT_INPUT
    size = args.size or settings.hedge.size_usdt
    symbol = args.symbol.strip().upper()

    def show(rnd: Any) -> None:
        legs = "; ".join(f"{leg.side.value} {leg.qty} on {leg.venue} {leg.entry} → {leg.exit} "
                         f"({leg.reason.value if leg.reason else leg.state.value}, PnL {leg.pnl})" for leg in rnd.legs)
        print(f"round {rnd.id} {rnd.symbol}: {legs}; round PnL {rnd.pnl}")

    try:
        out = asyncio.run(run_hedge_replay(settings, args.data, symbol, size, args.rounds, args.timeframe, show))
    except (FileNotFoundError, KeyError, ValueError, PlanRefused) as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_INPUT
    total = sum((r.pnl for r in out.rounds), Decimal(0))
    print(f"{len(out.rounds)} round(s), total PnL {total}" +
          (" (stopped: daily loss limit reached)" if out.stopped_by == "daily_loss" else ""))
    if args.json:
        args.json.write_text(json.dumps({"symbol": symbol, "size": str(size), "rounds": [round_json(r) for r in out.rounds],
                                         "pnl": str(total), "stopped_by": out.stopped_by}, indent=2))
    return EXIT_OK
