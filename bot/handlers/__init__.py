"""One router per feature file; ``routers()`` builds them in order: the admin refusals after the
feature routers, the fallback router last.

Each module's ``build_router()`` returns a fresh ``Router(name=__name__)`` so several
dispatchers (tests, restarts) can each have their own."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from bot.handlers import (
        adjust,
        admin,
        charts,
        fallback,
        files,
        hedge,
        intake,
        pnl,
        positions,
        refusals,
        results,
        settings,
        signals,
        start,
    )

    return [m.build_router() for m in (start, signals, positions, adjust, pnl, results, charts, settings, admin,
                                       files, hedge, refusals, intake, fallback)]
