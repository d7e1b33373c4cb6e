"""The QMT bridge's server side: an aiohttp server that wraps ``XtQuantTrader`` (or the built-in
simulated trader) behind the QKA-compatible HTTP protocol.

Modules: ``protocol`` (methods, fields and ``xtconstant`` values both sides share), ``simulated``
(a trader with cash, T+1 positions and orders filling against a price you set), ``server`` (the
aiohttp application), ``xt`` (the real ``xtquant`` trader, imported only when running for real).
"""
