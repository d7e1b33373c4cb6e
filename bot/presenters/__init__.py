"""Presenters: pure functions from engine events and views to message text (HTML, translated
with ``_()`` in the current language). Keyboards live in ``bot.keyboards``.

``cards`` — signal cards; ``alerts`` — key trade events; ``reports`` — reading commands;
``actions`` — admin actions, refusals and errors; ``words`` — engine codes to words.
"""

from bot.presenters import actions, alerts, cards, reports, words

__all__ = ["actions", "alerts", "cards", "reports", "words"]
