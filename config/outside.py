"""Settings sections for the world outside Telegram: the HTTP server, incoming signals (TradingView
webhooks, free text), alert channels (webhook, e-mail) and backups. Part of ``config.settings``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

ALERT_KINDS_HELP = ("alert kinds, comma-separated: entry, target, breakeven, stop, closed (stops too), risk, "
                    "paused, error; all = every alert")


ALERT_KINDS = ("all", "entry", "target", "breakeven", "stop", "closed", "risk", "paused", "error")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _kinds(value: list[str]) -> list[str]:
    wrong = [k for k in value if k.lower() not in ALERT_KINDS]
    if wrong:
        raise ValueError(f"unknown alert kind {wrong[0]!r}; known: {', '.join(ALERT_KINDS)}")
    return [k.lower() for k in value]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Section):
    enabled: bool = Field(False, description="serve the HTTP endpoints (webhooks, /metrics, /healthz, /readyz) "
                                             "inside signalpilot run")
    host: str = Field("127.0.0.1", description="HTTP listen address (0.0.0.0 to accept connections from "
                                               "other hosts, e.g. in Docker)")
    port: int = Field(8080, ge=0, le=65535, description="HTTP listen port (0 = any free port)")
    max_body_kb: int = Field(16, ge=1, le=1024, description="largest request body accepted (KiB); larger → 413")
    timeout_s: float = Field(10.0, gt=0, le=120, description="seconds a request may take to arrive and be "
                                                           "answered; slower → 408")


class HooksSettings(_Section):
    tradingview_secret: SecretStr | None = Field(
        None, description="secret part of POST /hook/tradingview/<secret>; empty = the route answers 404 "
                          "(never logged)")
    rate_per_min: int = Field(20, ge=1, description="incoming signals accepted per source and minute; more → 429")
    channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram channel ids whose posts are read as signals, comma-separated")

    _split_ids = field_validator("channels", mode="before")(_split)


class AlertSettings(_Section):
    telegram_kinds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["all"], description="alerts sent to Telegram: " + ALERT_KINDS_HELP)
    webhook_url: str | None = Field(None, description="alerts as JSON POSTs to this URL; empty = off")
    webhook_secret: SecretStr | None = Field(
        None, description="key of the X-SignalPilot-Signature header (HMAC-SHA256 of the body, hex; never logged)")
    webhook_kinds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["all"], description="alerts sent to the webhook: " + ALERT_KINDS_HELP)
    smtp_host: str | None = Field(None, description="SMTP server for e-mail alerts; empty = no e-mail")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP login; empty = no login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged)")
    smtp_tls: Literal["starttls", "tls", "none"] = Field("starttls", description="starttls, tls (implicit) "
                                                                                 "or none")
    email_from: str = Field("signalpilot@localhost", description="sender address of e-mail alerts")
    email_to: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                     description="recipients of e-mail alerts, comma-separated")
    email_kinds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["closed", "stop", "error", "paused"],
        description="alerts sent by e-mail: " + ALERT_KINDS_HELP)

    apprise_urls: SecretStr | None = Field(
        None, description="Apprise URLs for any other service (Discord, Slack, ntfy, Pushover, …), comma-separated; "
                          "empty = off (never logged)")
    apprise_kinds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["all"], description="alerts sent through Apprise: " + ALERT_KINDS_HELP)

    _split_lists = field_validator("telegram_kinds", "webhook_kinds", "email_to", "email_kinds", "apprise_kinds",
                                   mode="before")(_split)
    _known_kinds = field_validator("telegram_kinds", "webhook_kinds", "email_kinds", "apprise_kinds")(_kinds)


class BackupSettings(_Section):
    interval_h: float = Field(6.0, ge=0, description="hours between automatic SQLite backups; 0 = only on "
                                                     "request (signalpilot backup, /backup)")
    keep: int = Field(14, ge=1, description="backups kept in the folder; older ones are deleted")
    dir: str = Field("data/backups", description="folder of the backup files")
