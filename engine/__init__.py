"""SignalPilot engine: market data, signals, risk, positions, brokers, storage and scheduling.

The engine never imports the Telegram bot; it publishes domain events on a bus and offers one
façade (`engine.facade.Engine`) to every front end.
"""
