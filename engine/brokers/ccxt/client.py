"""Building ccxt clients: REST (``ccxt.async_support``) or websocket (``ccxt.pro``) per venue.

The one place where ``SP_EXCHANGE__BASE_URL`` is applied: the host of every REST url in
``exchange.urls['api']`` is replaced (paths kept), and every websocket url gets the same host
with ``ws``/``wss`` for ``http``/``https``. Testnet (``SP_EXCHANGE__TESTNET``) uses ccxt's
sandbox urls. Keys are registered with ``engine.brokers.errors.register_secret`` here, so any
message that later carries them is redacted — including ccxt's own DEBUG log of request headers.
A wallet-signed venue (Aster) gets ``SP_..._PRIVATE_KEY`` as ccxt's ``privateKey`` credential.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from config.settings import ExchangeSettings
from engine.brokers.ccxt.counters import count_requests
from engine.brokers.ccxt.venues import Venue, venue_for
from engine.brokers.errors import BrokerError, register_secret
from engine.redaction import RedactingFilter

CCXT_LOGGER = "ccxt.base.exchange"  # ccxt logs request headers (the API key) at DEBUG here


def install_log_redaction() -> None:
    logger = logging.getLogger(CCXT_LOGGER)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def _swap_host(url: str, base: str) -> str:
    """``url`` with the scheme and host of ``base``; the path and query are kept."""
    src = urlsplit(url)
    dst = urlsplit(base)
    scheme = dst.scheme
    if src.scheme in ("ws", "wss"):
        scheme = {"http": "ws", "https": "wss"}.get(dst.scheme, dst.scheme)
    base_path = dst.path.rstrip("/")
    return urlunsplit((scheme, dst.netloc, base_path + src.path, src.query, src.fragment))


def rewrite_urls(urls: Any, base: str) -> Any:
    """Every url string inside ``urls`` (nested dicts) moved to ``base``'s host."""
    if isinstance(urls, str):
        return _swap_host(urls, base) if "://" in urls else urls
    if isinstance(urls, dict):
        return {key: rewrite_urls(value, base) for key, value in urls.items()}
    if isinstance(urls, list):
        return [rewrite_urls(value, base) for value in urls]
    return urls


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BrokerError("SP_EXCHANGE__BASE_URL must look like https://host[:port]")
    return base_url


def make_exchange(settings: ExchangeSettings, *, pro: bool = False, venue: Venue | None = None,
                  rate_limit: bool = True, timeout_ms: int | None = None) -> Any:
    """A ccxt client for ``settings.name`` (REST, or websocket+REST when ``pro``)."""
    venue = venue or venue_for(settings.name)
    install_log_redaction()
    module = ccxt_pro if pro else ccxt_async
    cls = getattr(module, venue.ccxt_id, None)
    if cls is None:
        raise BrokerError(f"ccxt{'.pro' if pro else ''} has no exchange {venue.ccxt_id!r}")
    config: dict[str, Any] = {
        "enableRateLimit": rate_limit,
        "options": dict(venue.ccxt_options),
        "timeout": timeout_ms or venue.timeout_ms,
    }
    if settings.api_key is not None and settings.api_secret is not None:
        key = settings.api_key.get_secret_value()
        secret = settings.api_secret.get_secret_value()
        register_secret(key)
        register_secret(secret)
        config["apiKey"] = key
        config["secret"] = secret
    if settings.private_key is not None:
        private_key = settings.private_key.get_secret_value()
        register_secret(private_key)
        register_secret(private_key.removeprefix("0x"))
        config["privateKey"] = private_key
    exchange = cls(config)
    if settings.private_key is not None:
        venue.use_wallet(exchange, settings.wallet)
    if settings.testnet:
        try:
            exchange.set_sandbox_mode(True)
        except Exception as exc:  # ccxt.NotSupported
            raise BrokerError(f"{venue.ccxt_id} has no testnet in ccxt ({type(exc).__name__})") from None
    if settings.base_url:
        base = _check_base_url(settings.base_url)
        exchange.urls["api"] = rewrite_urls(exchange.urls["api"], base)
        venue.after_base_url(exchange, base)
    count_requests(exchange, venue.ccxt_id)
    return exchange
