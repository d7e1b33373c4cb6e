"""Market data: the MarketData protocol, the CSV replay source and the live ccxt source."""
