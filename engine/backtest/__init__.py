"""Backtests: replay candles through the engine's own services, then report."""
