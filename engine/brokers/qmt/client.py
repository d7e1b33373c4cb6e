"""The bridge's HTTP client, and the one place where its failures become ``BrokerError``s.

A refused token is an ``AuthError`` naming ``SP_QMT__TOKEN``; a server that cannot be reached is a
``NetworkError`` (the engine's venue-unreachable handling takes over); an order request whose
answer is lost is an ``UnknownOutcome`` (look it up by ``order_remark``, never resend). The token
never appears in messages.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    UnknownOutcome,
)
from engine.qmt.protocol import TOKEN_HEADER

TOKEN_VARIABLE = "SP_QMT__TOKEN"
URL_VARIABLE = "SP_QMT__URL"
ORDER_METHODS = ("order_stock", "cancel_order_stock")


def map_status(method: str, status: int, detail: str) -> BrokerError:
    """An HTTP error answer of the bridge as a broker error."""
    if status == 401:
        return AuthError(f"the QMT server refused the token ({TOKEN_VARIABLE}): {detail}")
    text = detail.lower()
    if method in ORDER_METHODS:
        if "insufficient" in text or "资金不足" in detail or "可用资金" in detail:
            return InsufficientFunds(f"QMT refused {method}: {detail}")
        return InvalidOrder(f"QMT refused {method}: {detail}", venue_code=str(status))
    return BrokerError(f"QMT server error on {method} (HTTP {status}): {detail}", venue_code=str(status))


def map_transport(method: str, url: str, exc: BaseException, *, creating: bool) -> BrokerError:
    """A connection failure: unreachable before sending, unknown outcome once an order was sent."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return NetworkError(f"the QMT server at {url} cannot be reached ({URL_VARIABLE}): {exc.os_error}")
    what = "timed out" if isinstance(exc, TimeoutError) else f"lost the connection ({type(exc).__name__})"
    if creating:
        return UnknownOutcome(f"{method} {what}: the order may or may not have reached QMT")
    return NetworkError(f"the QMT server at {url} {what} on {method}")


class QmtClient:
    """``await client.call("query_stock_asset")`` → the answer's ``data``."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def call(self, method: str, **params: Any) -> Any:
        creating = method == "order_stock"
        try:
            async with self._http().post(f"{self.url}/api/{method}", json=params,
                                         headers={TOKEN_HEADER: self._token}) as resp:
                try:
                    body = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise map_transport(method, self.url, exc, creating=creating) from None
        if status != 200:
            detail = body.get("detail") if isinstance(body, dict) else None
            raise map_status(method, status, str(detail or f"HTTP {status}"))
        if not isinstance(body, dict) or not body.get("success"):
            raise BrokerError(f"QMT server gave an unexpected answer to {method}")
        return body.get("data")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
