"""The ``qmt`` broker built from ``SP_QMT__URL`` / ``SP_QMT__TOKEN`` (see engine.wiring)."""

from __future__ import annotations

from engine.brokers.base import StateStore
from engine.brokers.qmt.broker import QmtBroker
from engine.brokers.qmt.client import QmtClient
from engine.clock import Clock
from engine.market_rules.ashare import AShareRules


def build_qmt_broker(url: str, token: str, clock: Clock, *, rules: AShareRules | None = None,
                     store: StateStore | None = None,
                     max_orders_per_min: int = 5, poll_seconds: float = 2.0, timeout: float = 10.0) -> QmtBroker:
    """The ``qmt`` broker. Nothing touches the network until ``start()``."""
    return QmtBroker(QmtClient(url, token, timeout=timeout), clock, store=store, rules=rules,
                     max_orders_per_min=max_orders_per_min, poll_seconds=poll_seconds)
