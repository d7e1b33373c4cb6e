"""Aster (Binance-style perpetual DEX), through ccxt's ``aster`` class (its v3 API).

Aster's API follows Binance futures before the algo-order move: stop and take-profit orders
are ordinary orders in the same book, so no trigger params and no child orders. Private v3 requests
are signed with EIP-712 by a wallet private key (ccxt's ``privateKey`` credential,
``SP_VENUES__<NAME>__PRIVATE_KEY``), not with an HMAC key and secret: the request names the account
(``user``: ``SP_VENUES__<NAME>__WALLET``, else the key's own address) and the signer (the key's
address: an API wallet the account approved). ccxt's builder fee (a 0.1 % surcharge on every order,
approved for ccxt on first sign-in) is switched off. Tested against the fake Binance answering as Aster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue
from engine.brokers.errors import BrokerError


class Aster(Venue):
    name: ClassVar[str] = "aster"
    ccxt_id: ClassVar[str] = "aster"
    ccxt_options: ClassVar[Mapping[str, Any]] = {"defaultType": "swap", "builderFee": False,
                                                 "fetchOpenOrders": {"warnIfNoSymbol": False}}
    leverage_tiers: ClassVar[bool] = False  # ccxt: fetchLeverageTiers not supported
    websocket: ClassVar[bool] = True
    tested: ClassVar[bool] = True

    def use_wallet(self, exchange: Any, wallet: str | None) -> None:
        try:
            signer = exchange.eth_get_address_from_private_key(exchange.privateKey)
        except Exception:  # never show the key: only say what is wrong with it
            raise BrokerError("the aster private key must be 32 bytes in hex (0x + 64 hex digits)") from None
        exchange.options["signerAddress"] = signer
        if wallet:
            # ccxt names the account by the key's own address; an API wallet signs for another account
            exchange.options["cachedWalletAddress"] = wallet
            exchange.options["privateKeyHashForCachedWalletAddress"] = exchange.hash(
                exchange.encode(exchange.privateKey), "keccak", "hex")
