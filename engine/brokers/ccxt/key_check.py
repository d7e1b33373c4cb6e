"""Checking exchange API keys before they are saved: one authenticated ``fetch_balance``.

Used by ``signalpilot init``. Answers a short, secret-free description of the account
("USDT balance 1234.5") or raises ``AuthError`` (keys refused) / ``BrokerError`` (anything else).
"""

from __future__ import annotations

from config.settings import ExchangeSettings
from engine.brokers.ccxt.client import make_exchange
from engine.brokers.ccxt.errors import map_errors
from engine.brokers.errors import BrokerError


async def verify_keys(settings: ExchangeSettings, *, timeout_ms: int = 15_000) -> str:
    if settings.api_key is None or settings.api_secret is None:
        raise BrokerError("an API key and secret are both needed")
    exchange = make_exchange(settings, rate_limit=True, timeout_ms=timeout_ms)
    try:
        with map_errors("checking the API keys"):
            balance = await exchange.fetch_balance()
    finally:
        await exchange.close()
    totals = {code: amount for code, amount in (balance.get("total") or {}).items() if amount}
    if not totals:
        return "keys accepted (empty account)"
    code, amount = max(totals.items(), key=lambda kv: kv[1])
    return f"keys accepted ({code} balance {amount:g})"
