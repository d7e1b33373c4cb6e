"""A limit entry in live mode, resting on the (fake) exchange: partly filled below the threshold,
filled past the threshold, not filled at all, and a fill racing the cancel of the rest.

From the entry's first fill on, what filled is protected ON THE VENUE: a reduce-only stop and the
targets for exactly the filled quantity, re-sized at each further fill; at the threshold or the
timeout only the rest is cancelled there. Nothing filled: the signal ends "not filled"
(``EntryNotFilled``, what the card says) and nothing of ours rests on the venue. The clock is wall
time moved forward by the test (``ShiftedClock``) so the 15-minute timeout comes at once; prices
reach the engine as ticks the test hands it (``engine.on_tick``), fills through the user stream.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from engine.domain.events import EntryNotFilled, PositionOpened, PositionResized
from engine.domain.models import CloseReason, Leg, OrderStatus, Position, PositionState
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome
from tests.engine.live.harness import BTC, EventLog, ShiftedClock, audit, resting_stops, until

VID = "BTCUSDT"
STEP = Decimal("0.001")
LIMIT = {"entry_order": "limit", "entry_timeout_min": 15, "entry_min_fill_pct": "90"}


def share(qty: Decimal, pct: str) -> Decimal:
    return (qty * Decimal(pct) / 100).quantize(STEP, rounding=ROUND_FLOOR)


def ours(fake, pid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Our orders resting on the venue for ``pid``: client id → order (plain and algo)."""
    plain = {o.client_id: o for o in fake.orders.values() if o.is_open and o.client_id.startswith(f"sp-{pid}-")}
    algos = {a.client_algo_id: a for a in fake.algo_orders.values()
             if a.is_open and a.client_algo_id.startswith(f"sp-{pid}-")}
    return {**plain, **algos}


def venue_order(fake, client_id: str):  # type: ignore[no-untyped-def]
    return next(o for o in fake.orders.values() if o.client_id == client_id)


class Rig:
    def __init__(self, engine, fake, clock: ShiftedClock, log: EventLog) -> None:  # type: ignore[no-untyped-def]
        self.engine, self.fake, self.clock, self.log = engine, fake, clock, log
        self.price = Decimal(0)

    async def resting_entry(self) -> Position:
        """Analyse BTC, move the price a little away from the entry (the limit does not cross), confirm:
        the entry rests on the venue as a LIMIT order at the planned price."""
        sig = await self.engine.analyse(BTC)
        assert sig is not None
        self.price = (sig.entry * (1 + sig.side.sign * Decimal("0.002"))).quantize(Decimal("0.1"))
        self.fake.set_price(VID, self.price)
        result = await self.engine.confirm(sig.id, by="1")
        assert result.outcome is ConfirmOutcome.SUBMITTED, result
        pos = result.position
        entry = venue_order(self.fake, f"sp-{pos.id}-en-0")
        assert (entry.type, entry.status, entry.price, entry.qty) == ("LIMIT", "NEW", sig.entry, pos.qty)
        return pos

    async def tick(self, **shift: float) -> None:
        self.clock.shift(**shift)
        await self.engine.on_tick(PriceTick(BTC, self.price, self.clock.now()))

    async def filled(self, pid: str, qty: Decimal) -> None:
        """Wait until the engine has applied ``qty`` of the entry (fills come through the stream)."""
        await until(lambda: (p := self.engine.manager.position(pid)) is not None and p.remaining == qty,
                    what=f"{qty} of the entry applied")

    async def protected(self, pid: str, qty: Decimal, stop_seq: int = 0, *, rest: bool = False) -> None:
        """A reduce-only stop and both targets rest on the venue for exactly ``qty`` (``rest``: and the
        rest of the entry, still working)."""
        legs = {f"sp-{pid}-sl-{stop_seq}", f"sp-{pid}-tp1-{stop_seq}", f"sp-{pid}-tp2-{stop_seq}"}
        legs |= {f"sp-{pid}-en-0"} if rest else set()
        await until(lambda: set(ours(self.fake, pid)) == legs, what=f"stop and targets for {qty}")
        resting = ours(self.fake, pid)
        stop = resting[f"sp-{pid}-sl-{stop_seq}"]
        assert stop.reduce_only and stop.qty == qty  # type: ignore[attr-defined]
        assert resting[f"sp-{pid}-tp1-{stop_seq}"].qty + resting[f"sp-{pid}-tp2-{stop_seq}"].qty == qty  # type: ignore[attr-defined]
        assert [s.client_algo_id for s in resting_stops(self.fake, VID)] == [f"sp-{pid}-sl-{stop_seq}"]


async def rig(fake, live_engine) -> Rig:  # type: ignore[no-untyped-def]
    clock = ShiftedClock()
    engine = await live_engine(fake, clock=clock, start=False, risk=LIMIT)
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    return Rig(engine, fake, clock, log)


async def test_a_partial_fill_below_the_threshold_is_protected_at_once_and_re_sized_as_more_fills(
        fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    cid = f"sp-{pos.id}-en-0"
    part = share(pos.qty, "40")
    fake.fill_order(cid, part)
    await r.filled(pos.id, part)
    opened = await r.log.wait_for(PositionOpened)  # opened at the first fill: one "opened" alert
    assert opened.position.qty == opened.position.remaining == part and opened.partial
    await r.protected(pos.id, part, rest=True)  # a stop for exactly what filled rests BEFORE the timeout
    assert venue_order(fake, cid).status == "PARTIALLY_FILLED"  # the rest keeps resting
    assert fake.positions[(VID, "BOTH")].amt == part * pos.side.sign

    await r.tick(minutes=10)  # below the threshold, before the timeout: nothing changes
    assert venue_order(fake, cid).status == "PARTIALLY_FILLED"
    more = share(pos.qty, "30")
    fake.fill_order(cid, more)  # a further fill: the stop and targets re-sized for all that is held
    await r.filled(pos.id, part + more)
    await r.protected(pos.id, part + more, stop_seq=1, rest=True)
    await r.log.wait_for(PositionResized, lambda e: e.position.remaining == part + more)

    await r.tick(minutes=6)  # the timeout: the rest cancelled on the venue; no second stop
    await until(lambda: venue_order(fake, cid).status == "CANCELED", what="the rest cancelled")
    await until(lambda: not any(o.leg == Leg.ENTRY.value and not o.status.is_final
                                for o in r.engine.manager.orders_of(pos.id)), what="the entry done")
    await r.protected(pos.id, part + more, stop_seq=1)
    assert len(r.log.of(PositionOpened)) == 1
    assert venue_order(fake, cid).executed == part + more
    saved = await r.engine.get_position(pos.id)
    assert saved.state is PositionState.OPEN and saved.qty == part + more
    stored = {o.leg: o for o in await r.engine.repository.orders_for(pos.id)}
    assert stored[Leg.ENTRY.value].status is OrderStatus.CANCELLED
    assert stored[Leg.ENTRY.value].filled_qty == part + more
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_threshold_reached_cancels_the_rest_and_protects_at_once(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    part = share(pos.qty, "95")
    fake.fill_order(f"sp-{pos.id}-en-0", part)
    await r.filled(pos.id, part)
    await r.tick(seconds=1)  # long before the timeout
    opened = await r.log.wait_for(PositionOpened)
    assert opened.position.qty == part
    assert venue_order(fake, f"sp-{pos.id}-en-0").status == "CANCELED"
    await r.protected(pos.id, part)
    assert fake.positions[(VID, "BOTH")].amt == part * pos.side.sign
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_nothing_filled_at_the_timeout_ends_not_filled_and_leaves_nothing_on_the_venue(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    await r.tick(minutes=14)
    assert not r.log.of(EntryNotFilled)
    await r.tick(minutes=2)
    told = await r.log.wait_for(EntryNotFilled)
    assert told.position.id == pos.id and told.position.close_reason is CloseReason.NOT_FILLED
    assert venue_order(fake, f"sp-{pos.id}-en-0").status == "CANCELED"
    assert ours(fake, pos.id) == {} and fake.positions == {}
    await until(lambda: r.engine.manager.position(pos.id) is None, what="the position forgotten")
    final = await r.engine.get_position(pos.id)
    assert final.state is PositionState.FAILED and final.close_reason is CloseReason.NOT_FILLED
    assert not r.log.of(PositionOpened)
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_a_fill_racing_the_cancel_at_the_timeout_is_protected_too(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    cid = f"sp-{pos.id}-en-0"
    first, late = share(pos.qty, "40"), share(pos.qty, "20")
    fake.fill_order(cid, first)
    await r.filled(pos.id, first)
    fake.fill_before_cancel(cid, late)  # the venue fills more just as our cancel arrives
    opened = await r.log.wait_for(PositionOpened)  # opened, protected, at the first fill
    assert opened.position.qty == first
    await r.protected(pos.id, first, rest=True)
    await r.tick(minutes=16)
    resized = await r.log.wait_for(PositionResized)  # the late fill: protection re-sized for all
    assert resized.position.remaining == first + late
    await r.protected(pos.id, first + late, stop_seq=1)
    assert fake.positions[(VID, "BOTH")].amt == (first + late) * pos.side.sign
    entry = next(o for o in await r.engine.repository.orders_for(pos.id) if o.leg == Leg.ENTRY.value)
    assert entry.status is OrderStatus.CANCELLED and entry.filled_qty == first + late  # done, not live again
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_a_fill_racing_the_cancel_of_an_entry_with_nothing_filled_is_protected(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    cid = f"sp-{pos.id}-en-0"
    late = share(pos.qty, "30")
    fake.fill_before_cancel(cid, late)  # nothing filled as far as the engine knows; then, with the cancel, some
    await r.tick(minutes=16)
    await r.log.wait_for(EntryNotFilled)
    opened = await r.log.wait_for(PositionOpened)  # the late fill re-opens it, protected
    assert opened.position.id == pos.id and opened.position.qty == late
    await r.protected(pos.id, late)
    assert fake.positions[(VID, "BOTH")].amt == late * pos.side.sign
    saved = await r.engine.get_position(pos.id)
    assert saved.state is PositionState.OPEN and saved.close_reason is None and saved.remaining == late
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_an_entry_filled_whole_as_its_cancel_arrives_is_protected(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    r = await rig(fake, live_engine)
    pos = await r.resting_entry()
    fake.fill_before_cancel(f"sp-{pos.id}-en-0", pos.qty)  # all of it: the cancel then fails (-2011)
    await r.tick(minutes=16)
    opened = await r.log.wait_for(PositionOpened)
    assert opened.position.qty == pos.qty
    await r.protected(pos.id, pos.qty)
    saved = await r.engine.get_position(pos.id)
    assert saved.state is PositionState.OPEN and saved.close_reason is None
    report = await audit(fake, r.engine)
    assert report.ok, report


async def test_a_partial_fill_while_the_bot_is_down_is_protected_at_restart_and_the_rest_cancelled_at_the_timeout(
        fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    db_url = db_url_factory()
    clock = ShiftedClock()
    first = await live_engine(fake, db_url, clock=clock, risk=LIMIT)
    r = Rig(first, fake, clock, EventLog(first))
    pos = await r.resting_entry()
    await first.stop()
    part = share(pos.qty, "50")
    fake.fill_order(f"sp-{pos.id}-en-0", part)  # while the bot is down

    again = await live_engine(fake, db_url, clock=clock, start=False, risk=LIMIT)
    r = Rig(again, fake, clock, EventLog(again))
    r.price = fake.exchange.tickers[VID].last
    await again.start(run_feed=False, run_jobs=False)  # recovery applies the missed fill
    await r.filled(pos.id, part)
    await r.protected(pos.id, part, rest=True)  # protected at once: the position is open for what filled
    assert again.manager.position(pos.id).state is PositionState.OPEN
    assert venue_order(fake, f"sp-{pos.id}-en-0").status == "PARTIALLY_FILLED"  # the rest still rests
    await r.tick(minutes=16)
    await until(lambda: venue_order(fake, f"sp-{pos.id}-en-0").status == "CANCELED", what="the rest cancelled")
    await r.protected(pos.id, part)  # and no second stop
    report = await audit(fake, again)
    assert report.ok, report
