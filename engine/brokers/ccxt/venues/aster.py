"""Aster (Binance-style perpetual DEX): capability flags only (declared, NOT tested).

Aster's API follows Binance futures before the algo-order move: stop and take-profit orders
are ordinary orders in the same book, so no trigger params and no child orders. Note: ccxt 4.5.90's
``aster`` class calls the v3 API (``/fapi/v3``), whose private requests are signed with EIP-712 by a
wallet private key (ccxt's ``privateKey`` credential), not with an HMAC key and secret: live orders
need that credential, and the fake Binance (HMAC, ``/fapi/v1``) cannot stand in for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue


class Aster(Venue):
    name: ClassVar[str] = "aster"
    ccxt_id: ClassVar[str] = "aster"
    ccxt_options: ClassVar[Mapping[str, Any]] = {"defaultType": "swap"}
    leverage_tiers: ClassVar[bool] = False  # ccxt: fetchLeverageTiers not supported
    websocket: ClassVar[bool] = True
