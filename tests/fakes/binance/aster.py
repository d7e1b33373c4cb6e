"""The fake Binance answering as Aster: the ``/fapi/v3/...`` paths ccxt's ``aster`` class calls, served by
the Binance handlers, with private requests authenticated the way Aster's v3 API does it.

A private v3 request carries ``user`` (the account's wallet), ``signer`` (the wallet that signs: the
account's own or an API wallet it approved), ``nonce`` (microseconds) and ``signature``: an EIP-712
signature (domain ``AsterSignTransaction`` v1, chain 1666, message ``{msg: <the query or body without
the signature>}``) by the signer's secp256k1 key. The fake recovers the address from the signature
(ccxt ships the crypto: its typed-data encoder and coincurve) and answers with Binance's codes:
-1102 a parameter missing, -1022 a signature that is not the signer's, -2015 a signer the user never
approved, -1021 a nonce outside the window.
"""

from __future__ import annotations

from ccxt.base.exchange import Exchange
from ccxt.static_dependencies import keccak

from . import aster_orders, errors
from .auth import _strip_signature

CHAIN_ID = 1666
DOMAIN = {"name": "AsterSignTransaction", "version": "1", "chainId": CHAIN_ID,
          "verifyingContract": "0x0000000000000000000000000000000000000000"}
TYPES = {"Message": [{"name": "msg", "type": "string"}]}
NONCE_WINDOW_MS = 60_000

# a test account: its wallet, and the API wallet (key and address) it approved to sign for it
TEST_USER = "0x" + "a5" * 20
TEST_SIGNER_KEY = "0x" + "4d" * 32

# Aster v3 path -> the Binance path whose handler answers it
PUBLIC = {
    "/fapi/v3/ping": "/fapi/v1/ping", "/fapi/v3/time": "/fapi/v1/time",
    "/fapi/v3/exchangeInfo": "/fapi/v1/exchangeInfo", "/fapi/v3/klines": "/fapi/v1/klines",
    "/fapi/v3/ticker/price": "/fapi/v1/ticker/price", "/fapi/v3/ticker/24hr": "/fapi/v1/ticker/24hr",
    "/fapi/v3/premiumIndex": "/fapi/v1/premiumIndex", "/fapi/v3/ticker/bookTicker": "/fapi/v1/ticker/bookTicker",
    "/fapi/v3/depth": "/fapi/v1/depth",
}
PRIVATE = {
    ("GET", "/fapi/v3/positionSide/dual"): "/fapi/v1/positionSide/dual",
    ("POST", "/fapi/v3/positionSide/dual"): "/fapi/v1/positionSide/dual",
    ("POST", "/fapi/v3/order"): "/fapi/v1/order", ("GET", "/fapi/v3/order"): "/fapi/v1/order",
    ("DELETE", "/fapi/v3/order"): "/fapi/v1/order", ("GET", "/fapi/v3/openOrder"): "/fapi/v1/openOrder",
    ("GET", "/fapi/v3/openOrders"): "/fapi/v1/openOrders", ("GET", "/fapi/v3/allOrders"): "/fapi/v1/allOrders",
    ("DELETE", "/fapi/v3/allOpenOrders"): "/fapi/v1/allOpenOrders",
    ("GET", "/fapi/v3/balance"): "/fapi/v2/balance", ("GET", "/fapi/v3/account"): "/fapi/v2/account",
    ("GET", "/fapi/v4/account"): "/fapi/v2/account", ("GET", "/fapi/v3/positionRisk"): "/fapi/v2/positionRisk",
    ("GET", "/fapi/v3/userTrades"): "/fapi/v1/userTrades", ("GET", "/fapi/v3/income"): "/fapi/v1/income",
    ("GET", "/fapi/v3/leverageBracket"): "/fapi/v1/leverageBracket",
    ("GET", "/fapi/v3/commissionRate"): "/fapi/v1/commissionRate",
    ("POST", "/fapi/v3/leverage"): "/fapi/v1/leverage", ("POST", "/fapi/v3/marginType"): "/fapi/v1/marginType",
}


def address_of(private_key: str) -> str:
    """The (lower-case) address of a secp256k1 private key, as ccxt derives it."""
    return Exchange.eth_get_address_from_private_key(private_key).lower()


def spot_info(fake, params: dict) -> dict:
    """``/api/v3/exchangeInfo`` of Aster's spot API (ccxt loads it with the futures markets): no spot
    market here, the settlement asset only."""
    return {"timezone": "UTC", "serverTime": fake.now_ms(), "symbols": [],
            "assets": [{"asset": "USDT", "marginAvailable": True}]}


def routes(binance: dict) -> tuple[dict, dict]:
    """(public, private) route tables: Aster's paths mapped onto ``binance``'s handlers."""
    public = {("GET", path): binance[("GET", v1)][0] for path, v1 in PUBLIC.items()}
    public[("GET", "/api/v3/exchangeInfo")] = spot_info
    private = {(method, path): binance[(method, v1)][0] for (method, path), v1 in PRIVATE.items()}
    private.update(aster_orders.ROUTES)
    return public, private


def recover(message: str, signature: str) -> str:
    """The address whose key made ``signature`` over the typed message ``{msg: message}``."""
    import coincurve

    raw = bytes.fromhex(signature.removeprefix("0x"))
    if len(raw) != 65 or raw[64] not in (27, 28):
        raise ValueError("not a 65-byte signature with v 27/28")
    digest = bytes(keccak.SHA3(Exchange.eth_encode_structured_data(DOMAIN, TYPES, {"msg": message})))
    public = coincurve.PublicKey.from_signature_and_message(raw[:64] + bytes([raw[64] - 27]), digest, hasher=None)
    return "0x" + bytes(keccak.SHA3(public.format(compressed=False)[1:])[-20:]).hex()


def check_signed(raw_query: str, raw_body: str, params: dict, wallets: dict[str, set[str]],
                 server_ms: int) -> None:
    """Refuse a private v3 request unless the approved signer of ``user`` signed exactly what was sent."""
    query, sig_q = _strip_signature(raw_query)
    body, sig_b = _strip_signature(raw_body)
    for name in ("user", "signer", "nonce"):
        if not params.get(name):
            raise errors.mandatory(name)
    signature = sig_q or sig_b
    if not signature:
        raise errors.mandatory("signature")
    try:
        signed_by = recover(query if sig_q else body, signature)
    except ValueError:
        raise errors.bad_signature() from None
    user, signer = params["user"].lower(), params["signer"].lower()
    if signed_by != signer:
        raise errors.bad_signature()
    if signer not in wallets.get(user, set()):
        raise errors.bad_api_key()
    try:
        nonce_ms = int(params["nonce"]) // 1000
    except ValueError:
        raise errors.bad_param("nonce") from None
    if abs(server_ms - nonce_ms) > NONCE_WINDOW_MS:
        raise errors.bad_timestamp()
