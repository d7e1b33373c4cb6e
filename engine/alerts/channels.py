"""The channels beyond Telegram. ``send`` delivers one alert, raises ``Retry`` when trying again later
may work (network, 5xx, 429, a busy mail server) and ``Refused`` when it never will (a 4xx answer, a
recipient the mail server rejects).

* ``WebhookChannel``: ``POST`` of the alert as JSON (``engine.alerts.kinds.payload``) with
  ``X-SignalPilot-Event: <event id>`` (receivers de-duplicate on it: after a crash between the
  receiver's answer and our mark the same alert is posted again) and, with a secret,
  ``X-SignalPilot-Signature: sha256=<hex HMAC-SHA256 of the body>``.
* ``EmailChannel``: a plain-text message through SMTP (aiosmtplib; STARTTLS, implicit TLS or none).
* ``AppriseChannel``: the long tail of services (Discord, Slack, ntfy, Pushover, …) through Apprise URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from config.outside import AlertSettings
from engine.alerts.kinds import payload, routed, summary
from engine.brokers.errors import register_secret
from engine.domain.events import Event

if TYPE_CHECKING:
    import aiohttp

# aiohttp and aiosmtplib are imported by the channels that use them: a run without these channels
# (a backtest, most paper runs) does not pay for their import at start-up

SIGNATURE_HEADER = "X-SignalPilot-Signature"
EVENT_HEADER = "X-SignalPilot-Event"


class Retry(Exception):
    """Not delivered now; trying again later may work."""


class Refused(Exception):
    """The receiver refused this alert for good."""


class Channel(Protocol):
    name: str

    def wants(self, event: Event) -> bool: ...

    async def send(self, event: Event) -> None: ...

    async def close(self) -> None: ...


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str | None, kinds: Collection[str], timeout: float = 10.0) -> None:
        import aiohttp

        self.url, self.secret, self.kinds = url, secret, tuple(kinds)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def wants(self, event: Event) -> bool:
        return routed(event, self.kinds)

    async def send(self, event: Event) -> None:
        import aiohttp

        body = json.dumps(payload(event), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", EVENT_HEADER: event.id, "User-Agent": "SignalPilot"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as resp:
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Retry(type(exc).__name__) from None
        if status >= 500 or status in (408, 429):
            raise Retry(f"HTTP {status}")
        if status >= 400:
            raise Refused(f"HTTP {status}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class EmailChannel:
    name = "email"

    def __init__(self, settings: AlertSettings, timeout: float = 20.0) -> None:
        self.s = settings
        self.kinds = tuple(settings.email_kinds)
        self.timeout = timeout

    def wants(self, event: Event) -> bool:
        return routed(event, self.kinds)

    def message(self, event: Event) -> EmailMessage:
        msg = EmailMessage()
        text = summary(event)
        msg["Subject"] = f"[SignalPilot] {text}"[:200]
        msg["From"] = self.s.email_from
        msg["To"] = ", ".join(self.s.email_to)
        msg["X-SignalPilot-Event"] = event.id
        msg.set_content(f"{text}\n\nTime: {event.ts.isoformat()}\nAlert id: {event.id}\n")
        return msg

    async def send(self, event: Event) -> None:
        import aiosmtplib

        s = self.s
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        try:
            await aiosmtplib.send(
                self.message(event), hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_user or None,
                password=password if s.smtp_user else None, use_tls=s.smtp_tls == "tls",
                start_tls=True if s.smtp_tls == "starttls" else False, timeout=self.timeout)
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise Refused(f"SMTP {exc.code}") from None
            raise Retry(f"SMTP {exc.code}") from None
        except aiosmtplib.SMTPRecipientsRefused:
            raise Refused("recipients refused") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise Retry(type(exc).__name__) from None

    async def close(self) -> None:
        return None


class AppriseChannel:
    name = "apprise"

    def __init__(self, urls: list[str], kinds: Collection[str]) -> None:
        import apprise

        self.kinds = tuple(kinds)
        self.apprise = apprise.Apprise()
        for url in urls:
            register_secret(url)  # tokens live in the URLs
            if not self.apprise.add(url):
                raise ValueError(f"SP_ALERTS__APPRISE_URLS: not an Apprise URL ({url.split('://')[0]}://…)")

    def wants(self, event: Event) -> bool:
        return routed(event, self.kinds)

    async def send(self, event: Event) -> None:
        text = summary(event)
        if not await self.apprise.async_notify(body=text, title=f"SignalPilot: {text}"[:120]):
            raise Retry("a service did not take the notification")

    async def close(self) -> None:
        return None


def build_channels(settings: AlertSettings) -> list[Channel]:
    channels: list[Channel] = []
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        channels.append(WebhookChannel(settings.webhook_url, secret, settings.webhook_kinds))
    if settings.smtp_host and settings.email_to:
        channels.append(EmailChannel(settings))
    if settings.apprise_urls is not None and settings.apprise_urls.get_secret_value().strip():
        urls = [u.strip() for u in settings.apprise_urls.get_secret_value().split(",") if u.strip()]
        channels.append(AppriseChannel(urls, settings.apprise_kinds))
    return channels
