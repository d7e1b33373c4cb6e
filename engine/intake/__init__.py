"""Signals from outside the scanner: TradingView webhooks and free-text messages (an admin's paste or
forward, a listed channel's post). Parsers are pure (``text``, ``tradingview``); ``service`` plans the
missing levels and raises the signal on the same path as the scanner's."""
