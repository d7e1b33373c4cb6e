"""The cross-venue dynamic hedge: short on one venue, long on another, the same coin and size, each
leg with its own stop and take-profit.

``plan`` sizes a round, ``rules`` decides (pure), ``round`` places and follows the orders through
the ``Broker`` interface, ``store`` persists every step, ``service`` runs rounds (single or
continuous) for the façade, ``replay`` runs them on two venues' replayed candles (paper).
"""
