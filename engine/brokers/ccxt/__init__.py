"""The live exchange adapter: a generic ccxt broker plus tiny per-venue declarations.

Public face: ``build_broker``, ``build_live_market``, ``CcxtBroker``, ``StreamConfig``.
Modules: ``broker`` (orders), ``account`` (position mode, margin, leverage), ``fills`` (fills
under our client ids), ``lookups`` (orders and trades by client id over REST), ``streams`` (websocket + REST fallback), ``errors`` (the one ccxt error
mapping), ``retry`` (backoff, clock resync), ``client`` (ccxt clients, base-url rewrite),
``convert`` (ccxt dicts → domain), ``venues/`` (one file per exchange).
"""

from engine.brokers.ccxt.broker import CcxtBroker
from engine.brokers.ccxt.factory import build_broker, build_live_market
from engine.brokers.ccxt.streams import StreamConfig

__all__ = ["CcxtBroker", "StreamConfig", "build_broker", "build_live_market"]
