"""``signalpilot check --online``, exchange part: reachability and clock drift, markets, and with
keys the balance, the position mode and what the key may do. Read-only: nothing is placed or
changed on the account. Each result is ``(name, ok, one line)``.
"""

from __future__ import annotations

from typing import Any

from config.settings import ExchangeSettings
from engine.brokers.ccxt.client import make_exchange
from engine.brokers.ccxt.errors import map_errors
from engine.brokers.ccxt.venues import venue_for
from engine.brokers.errors import AuthError, BrokerError, NetworkError
from engine.clock import Clock
from engine.domain.values import to_millis

MAX_DRIFT_MS = 1000  # beyond this, signed requests risk -1021 (the broker then signs with the venue's time)
KEYS = "SP_EXCHANGE__API_KEY / SP_EXCHANGE__API_SECRET"

Result = tuple[str, bool, str]


async def probe_exchange(settings: ExchangeSettings, clock: Clock, *, keys: bool) -> list[Result]:
    venue = venue_for(settings.name)
    if not keys:
        settings = settings.model_copy(update={"api_key": None, "api_secret": None})
    exchange = make_exchange(settings, venue=venue, rate_limit=False)
    try:
        return await _probe(exchange, venue, clock, keys)
    finally:
        try:
            await exchange.close()
        except Exception:
            pass


async def _call(action: str, fn: Any, *args: Any) -> Any:
    with map_errors(action):
        return await fn(*args)


async def _probe(exchange: Any, venue: Any, clock: Clock, keys: bool) -> list[Result]:
    name = venue.name
    out: list[Result] = []
    try:
        before = to_millis(clock.now())
        server = await _call("server time", exchange.fetch_time)
        after = to_millis(clock.now())
    except BrokerError as exc:
        where = "SP_EXCHANGE__BASE_URL" if exchange.urls.get("api") else "the network"
        return [("exchange", False, f"{name} cannot be reached ({exc}); check the network, a region block "
                                    f"or {where}")]
    drift = int(server) - (before + after) // 2
    ok = abs(drift) <= MAX_DRIFT_MS
    out.append(("exchange clock", ok, f"{name} answers; this machine's clock is off by {drift:+d} ms"
                + ("" if ok else ": synchronise it (NTP)")))
    try:
        await _call("load markets", exchange.load_markets)
        count = sum(1 for m in exchange.markets.values()
                    if m.get("swap") and m.get("linear") and m.get("settle") == venue.settle)
        out.append(("exchange markets", count > 0, f"{count} {venue.settle} perpetual markets"))
    except BrokerError as exc:
        out.append(("exchange markets", False, str(exc)))
        return out
    if not keys:
        return out
    try:
        raw = await _call("balance", exchange.fetch_balance)
        bal = venue.balance_from(raw)
        out.append(("exchange keys", True, f"accepted; balance {bal.wallet.normalize():f} {bal.currency} "
                                           f"(free {bal.free.normalize():f})"))
    except AuthError as exc:
        out.append(("exchange keys", False, f"{name} refused {KEYS} ({exc}); check key, secret, IP "
                                            "whitelist and futures permission"))
        return out
    except BrokerError as exc:
        out.append(("exchange keys", False, str(exc)))
        return out
    if venue.position_mode:
        try:
            mode = await _call("position mode", exchange.fetch_position_mode)
            hedged = bool(mode.get("hedged"))
            out.append(("position mode", not hedged, "one-way" if not hedged else
                        "hedge (dual-side): SignalPilot trades one-way; it switches a flat account at start, "
                        "otherwise switch it in the exchange's preferences"))
        except BrokerError as exc:
            out.append(("position mode", False, str(exc)))
    out.append(await _permissions(exchange, venue))
    return out


async def _permissions(exchange: Any, venue: Any) -> Result:
    try:
        with map_errors("key permissions"):
            perms = await venue.key_permissions(exchange)
    except NetworkError as exc:
        return ("key permissions", False, str(exc))
    except BrokerError as exc:
        return ("key permissions", True, f"not reported by {venue.name} ({exc.code})")
    if perms is None:
        return ("key permissions", True, f"not reported by {venue.name}")
    if not perms.get("futures"):
        return ("key permissions", False, "this key may not trade futures: enable futures for it in the "
                                          "exchange's API management")
    note = "; withdrawals are enabled (not needed: safer off)" if perms.get("withdrawals") else ""
    return ("key permissions", True, "reading and futures trading" + note)
