"""``make_client``: a real ccxt binanceusdm client pointed at a ``FakeBinance``.

Every URL string in ``exchange.urls['api']`` (REST and websocket, nested ones included) keeps
its path and gets the fake's scheme, host and port. ``fetchCurrencies`` is off (no spot wallet
calls) and the rate limiter is off.

``linear_errors=True`` merges ccxt's USDⓈ-M error table into the generic one. ccxt selects that
table by URL prefix (``https://fapi.binance.com/``), so against a local host codes such as
-2019/-2021/-2022/-4164 otherwise arrive as plain ``ExchangeError``; with the flag they arrive
as the classes production raises (InsufficientFunds, OrderImmediatelyFillable, InvalidOrder).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from .server import FakeBinance


def _rewrite(value, http_host: str, ws_host: str):
    if isinstance(value, dict):
        return {key: _rewrite(item, http_host, ws_host) for key, item in value.items()}
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        secure_ws = parts.scheme in ("ws", "wss")
        scheme, host = ("ws", ws_host) if secure_ws else ("http", http_host)
        return urlunsplit((scheme, host, parts.path, parts.query, parts.fragment))
    return value


def point_at(exchange, fake: FakeBinance):
    """Rewrite an existing ccxt exchange's API URLs to the fake (returns the exchange)."""
    host = f"127.0.0.1:{fake.port}"
    exchange.urls["api"] = _rewrite(exchange.urls["api"], host, host)
    return exchange


def make_client(fake: FakeBinance, api_key: str | None = None, secret: str | None = None, pro: bool = False,
                *, linear_errors: bool = False, **config):
    """A ``ccxt.async_support.binanceusdm`` (or ``ccxt.pro.binanceusdm`` with ``pro=True``)."""
    module = ccxt_pro if pro else ccxt_async
    options = {"fetchCurrencies": False, **config.pop("options", {})}
    settings = {
        "apiKey": fake.api_key if api_key is None else api_key,
        "secret": fake.secret if secret is None else secret,
        "enableRateLimit": False,
        "options": options,
        **config,
    }
    exchange = module.binanceusdm(settings)
    point_at(exchange, fake)
    if linear_errors:
        for kind in ("exact", "broad"):
            merged = dict(exchange.exceptions[kind])
            merged.update(exchange.exceptions["linear"].get(kind, {}))
            exchange.exceptions[kind] = merged
    return exchange
