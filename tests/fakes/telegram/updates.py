"""Delivery of updates to the bot: getUpdates long polling, or POSTs to a webhook once one is set.

getUpdates follows Telegram: `offset` confirms (forgets) every update with a smaller id, `timeout`
holds the request open until an update arrives, a newer getUpdates ends an older pending one with
409 Conflict, and a webhook forbids polling. Pending polls return at once when the server closes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .params import decode_fields, json_fields
from .records import ApiError, UploadedFile
from .registry import method
from .state import TelegramState

POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")


@method("getUpdates")
async def get_updates(state: TelegramState, params: dict[str, Any]) -> list[dict]:
    if state.webhook["url"]:
        raise ApiError(409, WEBHOOK_CONFLICT)
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    timeout = max(float(params.get("timeout") or 0), 0.0)
    state.set_allowed_updates(params.get("allowed_updates"))
    state.confirm(params.get("offset"))
    ticket = object()
    state.poller = ticket
    state.changed.fire()  # an older pending poll sees it was superseded
    deadline = time.monotonic() + timeout
    while True:
        if state.poller is not ticket:
            raise ApiError(409, POLL_CONFLICT)
        batch = state.pending(limit)
        remaining = deadline - time.monotonic()
        if batch or state.closing or remaining <= 0:
            return batch
        await state.changed.wait(remaining)


class WebhookDelivery:
    """Posts queued updates, in order, to the webhook URL while one is set (like Telegram, one at a time).

    A 2xx answer confirms the update; a reply carrying a "method" (JSON, or multipart form as aiogram's
    SimpleRequestHandler sends it) is executed as a Bot API call, as Telegram does. Failures are kept
    in getWebhookInfo and retried.
    """

    def __init__(self, state: TelegramState, execute: Callable[[str, dict], Awaitable[Any]],
                 retry_delay: float) -> None:
        self._state = state
        self._execute = execute
        self._retry_delay = retry_delay

    async def run(self) -> None:
        state = self._state
        async with aiohttp.ClientSession() as session:
            while not state.closing:
                url = state.webhook["url"]
                batch = state.pending(1) if url else []
                if not batch:
                    await state.changed.wait(1.0)
                    continue
                if await self._post(session, url, batch[0]):
                    state.confirm(batch[0]["update_id"] + 1)
                else:
                    await asyncio.sleep(self._retry_delay)

    async def _post(self, session: aiohttp.ClientSession, url: str, update: dict) -> bool:
        headers = {}
        if self._state.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._state.webhook["secret_token"]
        try:
            async with session.post(url, json=update, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=10)) as resp:
                if not 200 <= resp.status < 300:
                    return self._failed(f"Wrong response from the webhook: {resp.status} {resp.reason}")
                reply = await _reply_fields(resp)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return self._failed(f"Connection failed: {type(exc).__name__}")
        name = reply.pop("method", None)
        if isinstance(name, str) and name:
            try:
                params = decode_fields(reply)
            except ApiError:
                return True  # Telegram silently drops a malformed webhook reply
            await self._execute(name, params)
        return True

    def _failed(self, message: str) -> bool:
        self._state.webhook["last_error_date"] = int(self._state.now())
        self._state.webhook["last_error_message"] = message
        return False


async def _reply_fields(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """The raw fields of a webhook reply (form parts or a JSON object); {} for anything else."""
    if resp.content_type == "multipart/form-data":
        fields: dict[str, Any] = {}
        reader = aiohttp.MultipartReader.from_response(resp)
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            if part.filename:
                content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                fields[part.name] = UploadedFile(part.name, part.filename, content_type, bytes(await part.read()))
            else:
                fields[part.name] = await part.text()
        return fields
    try:
        body = json.loads(await resp.read() or b"null")
    except ValueError:
        return {}
    return json_fields(body) if isinstance(body, dict) else {}
