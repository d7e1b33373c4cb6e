"""The ``qmt`` broker: A-shares through a QMT bridge server (``signalpilot qmt-server``, or QKA's).

Modules: ``client`` (the HTTP protocol and the one error mapping), ``convert`` (protocol dicts →
domain), ``triggers`` (stops and targets the engine watches, since A-share venues hold none),
``broker`` (``QmtBroker`` behind the Broker protocol), ``factory`` (built from the settings),
``market`` (live quotes and candles through ``get_full_tick``).
"""

from engine.brokers.qmt.broker import QmtBroker
from engine.brokers.qmt.factory import build_qmt_broker

__all__ = ["QmtBroker", "build_qmt_broker"]
