"""Bybit linear perpetuals: capability flags only (declared, NOT tested against any fake).

Bybit's conditional orders are listed with ``{'trigger': True}`` in ccxt and fill under their
own order id (no child order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue


class Bybit(Venue):
    name: ClassVar[str] = "bybit"
    ccxt_id: ClassVar[str] = "bybit"
    ccxt_options: ClassVar[Mapping[str, Any]] = {"defaultType": "swap"}
    conditional_params: ClassVar[Mapping[str, Any]] = {"trigger": True}
    separate_conditional_book: ClassVar[bool] = True
    position_mode: ClassVar[bool] = False  # ccxt has no fetch_position_mode for bybit
    max_leverage: ClassVar[int] = 100
