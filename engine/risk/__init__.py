"""Risk: the entry gate (rules → reason codes), position sizing and the trading state."""
