"""SignalPilot's Telegram front end (aiogram 3): handlers, presenters, notifier and delivery queue.

The public face is ``bot.app``: ``build_bot``, ``build_dispatcher`` and ``run_bot``.
The bot talks to the engine only through ``engine.facade.Engine`` and its events.
"""
