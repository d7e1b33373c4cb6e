"""The real trader: ``xtquant``'s ``XtQuantTrader`` beside a logged-in QMT (Windows only).

``xtquant`` is imported here, and this module only when the server runs for real.
"""

from __future__ import annotations

import time

from engine.qmt.server import Bridge


def real_bridge(token: str, qmt_path: str, account_id: str, session_id: int | None = None) -> Bridge:
    """Start and connect an ``XtQuantTrader`` on the QMT ``userdata_mini`` folder ``qmt_path``."""
    try:
        from xtquant import xtdata  # type: ignore[import-not-found]
        from xtquant.xttrader import XtQuantTrader  # type: ignore[import-not-found]
        from xtquant.xttype import StockAccount  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RuntimeError("xtquant is not installed: it runs on Windows beside QMT (or use --simulate)") from exc
    trader = XtQuantTrader(qmt_path, session_id or int(time.time()))
    trader.start()
    if trader.connect() != 0:
        raise RuntimeError(f"cannot connect to QMT at {qmt_path} (is it running and logged in?)")
    account = StockAccount(account_id)
    if trader.subscribe(account) != 0:
        raise RuntimeError(f"cannot subscribe to account {account_id}")
    return Bridge(trader=trader, token=token, account=account, quotes=xtdata.get_full_tick, blocking=True)
