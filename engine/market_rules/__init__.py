"""Market rules: what a market allows beyond a venue's own specs (lots, price limits, sessions,
T+1, statutory costs). ``rules_for(exchange_name)`` picks them; crypto futures get ``AnyTimeRules``,
under which nothing changes. The A-share rules live in ``ashare``, the trading calendar in
``calendar``."""

from engine.market_rules.base import AnyTimeRules, MarketRules, rules_for

__all__ = ["AnyTimeRules", "MarketRules", "rules_for"]
