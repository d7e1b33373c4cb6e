"""``signalpilot qmt-server``: the QMT bridge server (on the Windows machine beside QMT), or with
``--simulate`` a simulated trader anyone can try the bridge with. The server is
``engine.qmt``; this module only parses the flags."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

_ASHARE = re.compile(r"^[0-9]{6}\.(SH|SZ)$")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("qmt-server", help="serve XtQuantTrader (or a simulated trader) over the QMT bridge protocol")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--token", default=None, help="the X-Token clients must send (default: a random one, "
                                                 "printed once)")
    p.add_argument("--simulate", action="store_true", help="a built-in simulated trader instead of QMT")
    p.add_argument("--cash", type=float, default=1_000_000.0, help="--simulate: starting cash in CNY")
    p.add_argument("--st", default="", metavar="CODES", help="--simulate: ST stocks, comma-separated "
                                                             "(e.g. 600001.SH,000004.SZ): daily limit ±5 %%")
    p.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM): serve https")
    p.add_argument("--key", type=Path, default=None, help="TLS private key (PEM), when not in --cert")
    p.add_argument("--qmt-path", default=None, help="QMT's userdata_mini folder (real trading)")
    p.add_argument("--account", default=None, help="the stock account id (real trading)")


def st_codes(text: str) -> frozenset[str] | str:
    """The ``--st`` codes, or the message naming those that are not A-share codes."""
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    bad = [c for c in codes if not _ASHARE.match(c)]
    if bad:
        return f"--st: {', '.join(bad)}: not an A-share code (use e.g. 600001.SH, 000004.SZ)"
    return frozenset(codes)


def run(args: argparse.Namespace) -> int:
    from engine.qmt.run import run_server

    st = st_codes(args.st)
    if isinstance(st, str):
        print(f"signalpilot: {st}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_server(host=args.host, port=args.port, token=args.token, simulate=args.simulate,
                                      cash=args.cash, certfile=args.cert, keyfile=args.key,
                                      qmt_path=args.qmt_path, account=args.account, st_symbols=st))
    except KeyboardInterrupt:
        return 0
