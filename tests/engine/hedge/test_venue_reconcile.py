"""The named venues are reconciled like the default venue, through the real ccxt clients against the fake
Binance answering as Aster and the fake Backpack: an orphan order of ours is cancelled, a stranger's
order and a position the engine does not know are reported (``RECONCILED`` names the venue), and the
round under way is left alone."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from config.settings import Settings
from engine.bus import EventBus
from engine.clock import LiveClock
from engine.domain.events import EngineError
from engine.domain.models import OrderRequest, OrderType
from engine.domain.reasons import ErrorCode
from engine.domain.values import OrderAction
from engine.hedge.controls import HedgeControls
from engine.hedge.service import HedgeService
from engine.storage.db import Database
from engine.storage.repository import Repository
from tests.engine.hedge.test_aster_venue import venues  # noqa: F401  (the fixture)


class Rig(HedgeControls):
    """The façade's hedge part on its own: the service and the bus."""

    def __init__(self, hedge: HedgeService, bus: EventBus) -> None:
        self.hedge, self.bus = hedge, bus


async def test_named_venues_are_reconciled_like_the_default(venues, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    aster, backpack, handles = venues
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.migrate()
    try:
        settings = Settings(_env_file=None, mode="live", telegram={"token": None},  # type: ignore[call-arg]
                            exchange={"api_key": "k", "api_secret": "s"},
                            venues={"aster": {"exchange": "aster"}, "backpack": {"exchange": "backpack"}},
                            hedge={"size_usdt": "100"})
        bus = EventBus()
        raised: list[EngineError] = []

        async def on_error(event: EngineError) -> None:
            raised.append(event)
        bus.subscribe(EngineError, on_error)
        service = HedgeService(settings, Repository(db), LiveClock(), bus, None)
        service.venues, service.run_tasks = handles, False
        started = await service.start_round("ETH/USDT")
        assert started.code == "started" and started.round is not None
        rnd = started.round

        # left over on Aster: a stop of an earlier round (ours), and an order placed by hand
        short_broker, long_broker = handles["s"].broker, handles["l"].broker
        await short_broker.place_order(OrderRequest("hg-0ld0ld0ld-ssl-1", "ETH/USDT:USDT", OrderAction.BUY,
                                         OrderType.STOP_MARKET, D("0.01"), trigger_price=D("3500"), reduce_only=True))
        await short_broker.place_order(OrderRequest("manual-1", "ETH/USDT:USDT", OrderAction.BUY, OrderType.LIMIT, D("0.01"),
                                         price=D("2000")))
        # on Backpack: a SOL position opened outside the engine
        backpack.set_price("SOL_USDC_PERP", "150")
        await long_broker.place_order(OrderRequest("manual-2", "SOL/USDC:USDC", OrderAction.BUY, OrderType.MARKET, D("0.10")))

        await Rig(service, bus)._reconcile_venues()
        reports = {r.venue: r for r in await service.reconcile()}  # a second pass: nothing of ours left
        assert reports["aster"].orphans_cancelled == [] and reports["aster"].unknown_orders == [
            "ETH/USDT:USDT manual-1"]
        assert reports["backpack"].unknown_positions == ["SOL/USDC:USDC"]
        assert reports["aster"].unknown_positions == []  # the round's short is known

        statuses = {a.client_algo_id: a.status for a in aster.algo_orders.values()}
        assert statuses == {"hg-0ld0ld0ld-ssl-1": "CANCELED", f"hg-{rnd.id}-ssl-1": "NEW"}  # the round's stop stays
        assert [e.code for e in raised] == [ErrorCode.RECONCILED, ErrorCode.RECONCILED]
        assert raised[0].detail == "venue aster: orphans_cancelled=1, unknown_orders=1"
        assert raised[1].detail == "venue backpack: unknown_positions=1"
    finally:
        await db.close()


async def test_paper_mode_has_no_named_venue_to_reconcile(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    await db.migrate()
    try:
        settings = Settings(_env_file=None, telegram={"token": None},  # type: ignore[call-arg]
                            venues={"aster": {"exchange": "aster"}, "backpack": {"exchange": "backpack"}})
        service = HedgeService(settings, Repository(db), LiveClock(), EventBus(), None)
        assert await service.reconcile() == [] and service.venues is None  # nothing built, nothing asked
    finally:
        await db.close()
