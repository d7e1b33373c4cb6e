"""Factories: the live broker and the live market source, built from ``ExchangeSettings``.

Both use ``client.make_exchange``, where ``SP_EXCHANGE__BASE_URL`` and ``SP_EXCHANGE__TESTNET``
are applied. The broker gets a ccxt.pro client (REST and websocket in one object, sharing the
markets and the clock offset) when the venue has websockets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.settings import ExchangeSettings
from engine.brokers.ccxt.broker import CcxtBroker
from engine.brokers.ccxt.client import make_exchange
from engine.brokers.ccxt.streams import StreamConfig
from engine.brokers.ccxt.venues import venue_for
from engine.clock import Clock

if TYPE_CHECKING:
    from engine.market.live import LiveMarketData


def build_broker(settings: ExchangeSettings, clock: Clock, *, testnet: bool | None = None,
                 streams: bool = True, stream_config: StreamConfig | None = None,
                 rate_limit: bool = True, timeout_ms: int | None = None) -> CcxtBroker:
    """The live broker for ``settings.name``. Nothing touches the network until ``start()``."""
    if testnet is not None and testnet != settings.testnet:
        settings = settings.model_copy(update={"testnet": testnet})
    venue = venue_for(settings.name)
    pro = streams and venue.websocket
    exchange = make_exchange(settings, pro=pro, venue=venue, rate_limit=rate_limit, timeout_ms=timeout_ms)
    has_keys = bool(settings.api_key and settings.api_key.get_secret_value()
                    and settings.api_secret and settings.api_secret.get_secret_value()) \
        or bool(settings.private_key and settings.private_key.get_secret_value())
    return CcxtBroker(exchange, venue, clock, has_keys=has_keys, streams=pro, stream_config=stream_config)


def build_live_market(settings: ExchangeSettings, clock: Clock, *, poll_seconds: float = 5.0,
                      rate_limit: bool = True, **options: Any) -> LiveMarketData:
    """Live candles and prices from the same venue (public data: keys are not needed).

    ``options`` go to ``LiveMarketData`` (tickers_ttl, funding_ttl, backoff_start, backoff_max).
    """
    from engine.market.live import LiveMarketData

    venue = venue_for(settings.name)
    public = settings.model_copy(update={"api_key": None, "api_secret": None, "private_key": None})
    exchange = make_exchange(public, pro=venue.websocket, venue=venue, rate_limit=rate_limit)
    return LiveMarketData(exchange, venue, clock, poll_seconds=poll_seconds, **options)
