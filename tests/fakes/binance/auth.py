"""Request authentication as Binance does it: API key header, HMAC-SHA256 signature, timestamp.

The signed payload is the raw query string followed by the raw body, without the
``signature`` parameter. The timestamp must lie within ``recvWindow`` (default 5000 ms) before
the server's clock and at most 1000 ms after it, or the reply is -1021.
"""

from __future__ import annotations

import hashlib
import hmac

from . import errors


def _strip_signature(raw: str) -> tuple[str, str | None]:
    if not raw:
        return "", None
    kept, signature = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature="):]
        else:
            kept.append(part)
    return "&".join(kept), signature


def check_key(headers, keys: dict[str, str]) -> str:
    """Return the secret of the request's API key, or raise -2015."""
    api_key = headers.get("X-MBX-APIKEY")
    if not api_key or api_key not in keys:
        raise errors.bad_api_key()
    return keys[api_key]


def check_signed(raw_query: str, raw_body: str, params: dict, secret: str, server_ms: int) -> None:
    query, sig_q = _strip_signature(raw_query)
    body, sig_b = _strip_signature(raw_body)
    signature = sig_q or sig_b
    if not signature:
        raise errors.mandatory("signature")
    expected = hmac.new(secret.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise errors.bad_signature()
    raw_ts = params.get("timestamp")
    if raw_ts is None:
        raise errors.mandatory("timestamp")
    try:
        timestamp = int(raw_ts)
        recv_window = int(params.get("recvWindow", 5000))
    except ValueError as exc:
        raise errors.bad_param("timestamp") from exc
    if recv_window > 60000:
        raise errors.BinanceError(-1131, "recvWindow must be less than 60000")
    if timestamp > server_ms + 1000 or server_ms - timestamp > recv_window:
        raise errors.bad_timestamp()
