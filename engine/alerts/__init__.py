"""Alerts beyond Telegram: each alert kind routed (SP_ALERTS__*_KINDS) to an outgoing webhook (signed
JSON) and e-mail (SMTP through aiosmtplib), read from the same outbox as Telegram's alerts."""
