"""What front ends need beyond the running engine: a backtest and its report, PNG charts, the
start-up checks, log redaction, candle download and an API-key check.

Re-exported by the façade: the bot imports only ``engine.facade``, ``engine.domain`` and
``engine.errors``. The heavy parts (matplotlib for the charts, ccxt for the download and the key
check) are imported on first use, so a command that does not need them starts without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.settings import ExchangeSettings
from engine.backtest.report import format_text, to_json_dict, trade_marks
from engine.backtest.runner import BacktestResult, run_backtest
from engine.preflight import Check, offline_checks, online_checks
from engine.redaction import RedactingFilter, redact, register_secret, setup_logging

if TYPE_CHECKING:
    from engine.market.download import FileResult
    from engine.views import ChartData

__all__ = [
    "BacktestResult", "Check", "RedactingFilter", "candles_png", "daily_pnl_png", "download_candles",
    "equity_png", "format_text", "load_charts", "make_exchange", "offline_checks", "online_checks", "redact",
    "register_secret", "run_backtest", "setup_logging", "to_json_dict", "trade_marks", "verify_keys",
]


# --- charts (matplotlib) -----------------------------------------------------------------------------
def load_charts() -> None:
    """Import the chart renderer now (about half a second), not inside the first request."""
    import engine.charts  # noqa: F401


def candles_png(data: ChartData, theme: str = "dark") -> bytes:
    from engine.charts import candles_png as render

    return render(data, theme)


def equity_png(curve: Sequence[tuple[datetime, Decimal]], theme: str = "dark", title: str = "Equity", *,
               currency: str = "", marks: Sequence[tuple[datetime, str]] = ()) -> bytes:
    from engine.charts import equity_png as render

    return render(curve, theme, title, currency=currency, marks=marks)


def daily_pnl_png(daily: Sequence[tuple[date, Decimal]], theme: str = "dark") -> bytes:
    from engine.charts import daily_pnl_png as render

    return render(daily, theme)


# --- the exchange (ccxt) -----------------------------------------------------------------------------
def make_exchange(settings: ExchangeSettings, *, rate_limit: bool = True) -> Any:
    """A ccxt REST client for ``settings`` (raises ``BrokerError`` for an unknown exchange or base URL)."""
    from engine.brokers.ccxt.client import make_exchange as make

    return make(settings, rate_limit=rate_limit)


async def download_candles(exchange: Any, symbols: Sequence[str], timeframes: Sequence[str], since: datetime,
                           end: datetime, out_dir: Path, *, progress: Callable[[int], None] | None = None,
                           on_total: Callable[[int], None] | None = None) -> list[FileResult]:
    """Candle files for ``[since, end)`` (see engine/market/download.py); the caller closes ``exchange``.
    Raises ``DownloadError`` or ``CsvFormatError`` (engine.errors)."""
    from engine.market.download import download

    return await download(exchange, symbols, timeframes, since, end, out_dir, progress=progress,
                          on_total=on_total)


async def verify_keys(settings: ExchangeSettings) -> str:
    """Checks the API keys with one private request; a description of the account, or ``AuthError``."""
    from engine.brokers.ccxt.key_check import verify_keys as verify

    return await verify(settings)
