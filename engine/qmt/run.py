"""Running the bridge server until SIGINT/SIGTERM (``signalpilot qmt-server``)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import TextIO

from engine.qmt.server import Bridge, new_token, serve, simulated_bridge, tls_context


async def run_server(*, host: str, port: int, token: str | None, simulate: bool, cash: float = 1_000_000.0,
                     certfile: Path | None = None, keyfile: Path | None = None, qmt_path: str | None = None,
                     account: str | None = None, st_symbols: frozenset[str] = frozenset(),
                     out: TextIO = sys.stdout) -> int:
    generated = token is None
    token = token or new_token()
    if simulate:
        bridge: Bridge = simulated_bridge(token, cash, st_symbols)
    else:
        if not qmt_path or not account:
            print("signalpilot: qmt-server needs --qmt-path and --account (or --simulate)", file=sys.stderr)
            return 2
        from engine.qmt.xt import real_bridge

        try:
            bridge = real_bridge(token, qmt_path, account)
        except RuntimeError as exc:
            print(f"signalpilot: {exc}", file=sys.stderr)
            return 2
    ssl_context = tls_context(certfile, keyfile)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def ready(bound: int) -> None:
        scheme = "https" if ssl_context else "http"
        what = "simulated trader" if simulate else f"QMT account {account}"
        print(f"QMT bridge ({what}) listening on {scheme}://{host}:{bound}", file=out, flush=True)
        if generated:  # printed once; set it as SP_QMT__TOKEN on the engine's side
            print(f"token: {token}", file=out, flush=True)

    try:
        await serve(bridge, host, port, stop, ssl_context, ready)
    except OSError as exc:
        print(f"signalpilot: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
