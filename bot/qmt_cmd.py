"""``signalpilot qmt-server``: the QMT bridge server (on the Windows machine beside QMT), or with
``--simulate`` a simulated trader anyone can try the bridge with. The server is
``engine.qmt``; this module only parses the flags."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("qmt-server", help="serve XtQuantTrader (or a simulated trader) over the QMT bridge protocol")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--token", default=None, help="the X-Token clients must send (default: a random one, "
                                                 "printed once)")
    p.add_argument("--simulate", action="store_true", help="a built-in simulated trader instead of QMT")
    p.add_argument("--cash", type=float, default=1_000_000.0, help="--simulate: starting cash in CNY")
    p.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM): serve https")
    p.add_argument("--key", type=Path, default=None, help="TLS private key (PEM), when not in --cert")
    p.add_argument("--qmt-path", default=None, help="QMT's userdata_mini folder (real trading)")
    p.add_argument("--account", default=None, help="the stock account id (real trading)")


def run(args: argparse.Namespace) -> int:
    from engine.qmt.run import run_server

    try:
        return asyncio.run(run_server(host=args.host, port=args.port, token=args.token, simulate=args.simulate,
                                      cash=args.cash, certfile=args.cert, keyfile=args.key,
                                      qmt_path=args.qmt_path, account=args.account))
    except KeyboardInterrupt:
        return 0
