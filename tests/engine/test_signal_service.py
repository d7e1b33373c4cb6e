"""Scans (engine/signal_service.py): a symbol whose signal is still raised is not raised again,
also after a restart; a scan with no signal raised reads nothing from the signals table."""

from __future__ import annotations

from engine.domain.models import SignalStatus
from tests.engine.test_signal_expiry import _count_signal_queries

SECTIONS = {"scan": {"min_score": 0, "signal_ttl_min": 600, "interval_min": 240}}


async def test_a_raised_signal_is_not_raised_again_also_after_a_restart(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    engine = await engine_factory(url, **SECTIONS)
    await engine.step_market(1)  # the first scan: every symbol scores at least 0
    raised = await engine.repository.signals_with_status(SignalStatus.RAISED)
    assert len(raised) == 4
    assert (await engine.scan_now()).raised == ()  # their signals are still raised
    await engine.stop()

    restarted = await engine_factory(url, **SECTIONS)
    assert (await restarted.scan_now()).raised == ()
    for sig in raised:
        await restarted.cancel(sig.id, by="1")
    assert {s.symbol for s in (await restarted.scan_now()).raised} == {s.symbol for s in raised}


async def test_a_scan_with_nothing_raised_reads_no_signal(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(scan={"min_score": 100, "interval_min": 240})  # nothing reaches 100
    await engine.step_market(1)
    queries = _count_signal_queries(engine)
    assert (await engine.scan_now()).raised == ()
    assert queries == []
