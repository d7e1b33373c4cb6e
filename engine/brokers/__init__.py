"""Brokers: the Broker protocol, the paper venue and the ccxt adapter; errors mapped in errors.py."""
