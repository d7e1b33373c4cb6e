"""Backpack's request signing, checked the way the venue checks it.

The client signs ``instruction=<name>&<params sorted by key, url-encoded>&timestamp=<ms>&window=<ms>``
with its ED25519 private key (the API secret is the base64 32-byte seed) and sends ``X-API-Key`` (the
base64 public key), ``X-Signature`` (base64), ``X-Timestamp`` and ``X-Window``. Booleans are signed as
``true``/``false``.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# the instruction each private endpoint is signed with (ccxt's ``options['instructions']``)
INSTRUCTIONS = {
    ("GET", "api/v1/capital"): "balanceQuery",
    ("GET", "api/v1/position"): "positionQuery",
    ("GET", "api/v1/order"): "orderQuery",
    ("POST", "api/v1/order"): "orderExecute",
    ("DELETE", "api/v1/order"): "orderCancel",
    ("GET", "api/v1/orders"): "orderQueryAll",
    ("DELETE", "api/v1/orders"): "orderCancelAll",
    ("GET", "wapi/v1/history/orders"): "orderHistoryQueryAll",
    ("GET", "wapi/v1/history/fills"): "fillHistoryQueryAll",
}


def new_keys(seed: bytes | None = None) -> tuple[str, str]:
    """(api key, api secret): the base64 public key and the base64 private seed."""
    private = Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate()
    raw_seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(public).decode(), base64.b64encode(raw_seed).decode()


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signed_text(instruction: str, params: Mapping[str, object], timestamp: str, window: str) -> str:
    query = urllib.parse.urlencode({k: _text(params[k]) for k in sorted(params)}, quote_via=urllib.parse.quote)
    return f"instruction={instruction}&" + (query + "&" if query else "") + f"timestamp={timestamp}&window={window}"


def verify(api_key: str, signature: str, text: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(api_key))
        key.verify(base64.b64decode(signature), text.encode())
    except (InvalidSignature, ValueError):
        return False
    return True
