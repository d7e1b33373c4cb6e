"""Checks before start-up: what ``signalpilot check`` reports and what stops ``signalpilot run``.

``offline_checks`` needs no network: unknown ``SP_`` variables, the exchange name, the replay
folder, the database URL and (SQLite) its file or folder. ``online_checks`` also connects: the
database server and the exchange (clock drift, markets, and with keys the balance, position
mode and key permissions). Each ``Check`` is one line; a failed one names the variable to fix.
``StartupError`` is what the engine raises when start-up cannot go on (exit code 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import Settings
from config.variables import unknown_variable_lines, unknown_variables
from engine.clock import Clock, LiveClock


class StartupError(Exception):
    """Start-up cannot go on because of a setting or the machine; the message names what to fix."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    blocking: bool = True  # a failed non-blocking check is a warning for ``run`` (and still fails ``check``)


def offline_checks(settings: Settings, *, environ: Mapping[str, str | None] | None = None,
                   env_file: str | os.PathLike[str] | None = ".env") -> list[Check]:
    from engine.storage import probe

    checks = [Check("settings", True, f"{settings.mode} mode, {settings.market.source} market data")]
    unknown = unknown_variables(environ, env_file)
    checks += [Check("variables", False, line, blocking=False) for line in unknown_variable_lines(unknown)]
    if not unknown:
        checks.append(Check("variables", True, "every SP_ variable is a known setting"))
    checks.append(_exchange_name(settings))
    checks += _venues(settings)
    if settings.market.source == "replay":
        checks.append(_replay(settings))
    url = settings.database_url
    problem = probe.url_problem(url) or probe.file_problem(url)
    checks.append(Check("database", problem is None, problem or f"{probe.shown(url)}"))
    return checks


def startup_problems(settings: Settings) -> list[str]:
    """The failed blocking offline checks: ``run`` stops (exit 2) when there is any."""
    return [c.detail for c in offline_checks(settings) if not c.ok and c.blocking]


def _exchange_name(settings: Settings) -> Check:
    from engine.brokers.ccxt.venues import venue_for
    from engine.brokers.errors import BrokerError

    if settings.exchange.name == "qmt":
        return Check("exchange", True, f"qmt (A-shares through the QMT bridge at {settings.qmt.url or '?'})")
    try:
        venue = venue_for(settings.exchange.name)
    except BrokerError as exc:
        return Check("exchange", False, str(exc))
    return Check("exchange", True, venue.name)


def _venues(settings: Settings) -> list[Check]:
    """Named venues (``SP_VENUES__<NAME>__EXCHANGE``): each must be an exchange ccxt ships; live, each
    venue (the default one too) must have the credentials its exchange signs with."""
    from engine.venues import credential_problems, venue_problems

    keys = [Check("keys", False, line) for line in credential_problems(settings)]
    if not settings.venues:
        return keys
    problems = venue_problems(settings)
    if problems:
        return [Check("venues", False, line) for line in problems] + keys
    return [Check("venues", True, ", ".join(sorted(settings.venues)))] + keys


def _replay(settings: Settings) -> Check:
    from engine.market.csv_io import parse_file_name, symbol_file_stem

    folder, tf = settings.market.replay_dir, settings.market.base_timeframe
    if not folder.is_dir():
        return Check("replay data", False, f"SP_MARKET__REPLAY_DIR: folder not found: {folder}; point it at a "
                                           "folder of {BASE}_{QUOTE}-{tf}.csv files or leave it empty for the sample")
    found = {parsed[0] for p in folder.glob(f"*-{tf}.csv") if (parsed := parse_file_name(p.name)) and parsed[1] == tf}
    if not found:
        return Check("replay data", False, f"SP_MARKET__REPLAY_DIR: no *-{tf}.csv candle files in {folder} "
                                           f"(SP_MARKET__BASE_TIMEFRAME={tf})")
    wanted = {(parse_file_name(f"{symbol_file_stem(s.upper())}-{tf}.csv") or (s.upper(), tf))[0]
              for s in settings.scan.symbols}
    missing = sorted(wanted - found)
    if missing:
        return Check("replay data", False, f"SP_SCAN__SYMBOLS: no {tf} candle file in {folder} for "
                                           f"{', '.join(missing)} (have {', '.join(sorted(found))})")
    return Check("replay data", True, f"{len(found)} symbols of {tf} candles in {folder}")


async def online_checks(settings: Settings, clock: Clock | None = None) -> list[Check]:
    """Connect to the database and the exchange (read-only)."""
    from engine.storage import probe

    clock = clock or LiveClock()
    checks = []
    url = settings.database_url
    problem = await probe.connect_problem(url)
    checks.append(Check("database connection", problem is None, problem or f"{probe.shown(url)} answers"))
    keys = settings.exchange.api_key is not None and settings.exchange.api_secret is not None
    if settings.market.source == "live" or not settings.paper or keys:
        checks += await _exchange_online(settings, clock, keys)
    return checks


async def _exchange_online(settings: Settings, clock: Clock, keys: bool) -> list[Check]:
    from engine.brokers.ccxt.probe import probe_exchange
    from engine.brokers.errors import BrokerError

    if settings.exchange.name == "qmt":
        return await _qmt_online(settings, clock)
    try:
        results = await probe_exchange(settings.exchange, clock, keys=keys)
    except BrokerError as exc:
        return [Check("exchange", False, str(exc))]
    return [Check(name, ok, detail) for name, ok, detail in results]


async def _qmt_online(settings: Settings, clock: Clock) -> list[Check]:
    """The QMT bridge answers and takes the token (one ``query_stock_asset``)."""
    from engine.brokers.errors import BrokerError
    from engine.brokers.qmt.client import QmtClient

    if not settings.qmt.url or settings.qmt.token is None:
        return [Check("qmt bridge", False, "SP_QMT__URL and SP_QMT__TOKEN are needed")]
    client = QmtClient(settings.qmt.url, settings.qmt.token.get_secret_value(),
                       timeout=settings.qmt.timeout_seconds)
    try:
        asset = await client.call("query_stock_asset") or {}
    except BrokerError as exc:
        return [Check("qmt bridge", False, str(exc))]
    finally:
        await client.close()
    return [Check("qmt bridge", True, f"account {asset.get('account_id')}: total assets "
                                      f"{asset.get('total_asset')} CNY")]
