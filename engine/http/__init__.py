"""The HTTP server for the outside world (aiohttp, inside ``signalpilot run`` when SP_HTTP__ENABLED):
TradingView webhooks, ``/metrics``, ``/healthz`` and ``/readyz``."""
