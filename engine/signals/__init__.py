"""Signals: indicators (numpy), factors, the scorer and the scanner."""
