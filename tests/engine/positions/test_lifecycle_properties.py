"""Lifecycle invariants over random price paths, through the real manager, paper broker and database:
never without a stop while open; remaining never negative; exits sum to the entry quantity; the
stop never loosens; realized PnL equals an independent recomputation from fills and fees. Also
with a random gap between the entry fill and the placement of the stop and targets (targets
already crossed are taken at market; a stop already crossed closes the position). And with changes
from the chat between the ticks (partial closes, additions, stop moves with and without the
admin's second tap, breakeven, target moves, TWAP exits), also after a scale-in or a TWAP entry: exits still sum
to the fills, the stop loosens only on a confirmed request, and what rests at the broker covers what remains."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.settings import BrokerSettings
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.algos import AlgoKind
from engine.domain.models import CloseReason, MarketSpec, OrderType, PositionState, Signal, Target
from engine.domain.values import ZERO, OrderAction, Side
from engine.execution import algos
from engine.execution.algo_watch import AlgoWatch
from engine.execution.entry import EntryPlan, parse_parts, shape_open
from engine.execution.watch import EntryWatch
from engine.market.base import PriceTick
from engine.positions import adjust
from engine.positions.manager import PositionManager
from engine.storage.db import Database
from engine.storage.repository import Repository
from tests.engine.positions.test_crossed_targets import MovingPaper

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)


async def market(symbol: str) -> MarketSpec:
    return MKT


def make_signal(side: Side) -> Signal:
    e = Decimal("100")
    sign = side.sign
    return Signal(id="sig", symbol="ETH/USDT", side=side, score=80, factors=(), entry=e,
                  stop=e - sign * Decimal("2"),
                  targets=(Target(e + sign * Decimal("4"), Decimal("0.5")), Target(e + sign * Decimal("8"), Decimal("0.5"))),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


async def scenario(side: Side, moves: list[int], trailing: bool, tmp: Path, gap: int | None = None) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp / 'p.db'}")
    await db.migrate()
    repo = Repository(db)
    clock = ManualClock(T0)
    broker = MovingPaper(BrokerSettings(paper_balance=Decimal("10000")), clock, market)
    if gap is not None:
        broker.after_entry = Decimal("100") + Decimal(gap) / 10
    mgr = PositionManager(repo, broker, EventBus(), clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    try:
        await broker.on_price(PriceTick("ETH/USDT", Decimal("100"), clock.now()))
        pos = await mgr.open(make_signal(side), Decimal("1.237"), single_target=False,
                             trailing_pct=Decimal("1.5") if trailing else ZERO, time_stop=None, liquidation_price=None)
        assert pos.state is PositionState.OPEN or gap is not None
        price = Decimal("100") if gap is None else broker.after_entry
        last_stop = pos.stop_price
        for step in moves:
            price = max(Decimal("50"), price + Decimal(step) / 10)
            clock.set(clock.now() + timedelta(minutes=5))
            await mgr.on_tick(PriceTick("ETH/USDT", price, clock.now()))
            current = await repo.get_position(pos.id)
            assert current.remaining >= 0
            assert (current.stop_price - last_stop) * side.sign >= 0, "the stop loosened"
            last_stop = current.stop_price
            if current.state is PositionState.OPEN:
                assert current.remaining > 0
                stops = [o for o in await broker.open_orders("ETH/USDT") if o.type is OrderType.STOP_MARKET]
                assert len(stops) >= 1, "open without a stop at the broker"
                assert stops[-1].trigger_price == current.stop_price
        if (await repo.get_position(pos.id)).state is PositionState.OPEN:
            await mgr.close(pos.id, CloseReason.MANUAL)
        final = await repo.get_position(pos.id)
        assert final.state is PositionState.CLOSED and final.remaining == 0
        assert sum((e.qty for e in final.exits), ZERO) == final.qty
        fills = await repo.fills_for(pos.id)
        flow = ZERO
        for f in fills:
            flow += f.price * f.qty * (1 if f.action is OrderAction.SELL else -1) - f.fee
        assert final.realized_pnl == flow
        assert final.fees == sum((f.fee for f in fills), ZERO)
        assert (await broker.balance()).wallet == Decimal("10000") + final.realized_pnl
        assert await broker.open_orders() == []
    finally:
        await db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]), trailing=st.booleans(),
       moves=st.lists(st.integers(min_value=-60, max_value=60), min_size=1, max_size=40))
def test_lifecycle_invariants_on_random_paths(side: Side, trailing: bool, moves: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(side, moves, trailing, Path(tmp)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]), gap=st.integers(min_value=-40, max_value=120),
       moves=st.lists(st.integers(min_value=-60, max_value=60), min_size=1, max_size=20))
def test_lifecycle_invariants_with_a_gap_before_the_stop_and_targets_rest(side: Side, gap: int,
                                                                           moves: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(side, moves, False, Path(tmp), gap=gap * side.sign))


Op = tuple[str, int, bool]  # (kind, amount, confirmed)


def _build(op: Op, price: Decimal, now: datetime, side: Side, runs):  # type: ignore[no-untyped-def]
    kind, amount, confirmed = op
    if kind == "reduce":
        return lambda p, o, c: adjust.reduce(p, o, adjust.qty_of_share(p, Decimal(amount), MKT.qty_step), now, c)
    if kind == "add":
        return lambda p, o, c: adjust.add(p, o, Decimal(amount) / 100, now, c)
    if kind == "stop":  # amount: tenths of a unit from the price, toward the loss side
        target = price - side.sign * Decimal(amount) / 10
        return lambda p, o, c: adjust.move_stop(p, o, target, price, now, c, by="t", allow_loosen=confirmed)
    if kind == "be":
        return lambda p, o, c: adjust.to_breakeven(p, o, price, now, c, by="t")
    if kind == "twap":  # a TWAP exit of ``amount`` % of what remains (3 slices over 15 minutes)
        plan = algos.AlgoPlan(AlgoKind.TWAP, minutes=Decimal(15), slices=3)
        return lambda p, o, c: algos.start_exit(p, o, runs(p.id), plan, adjust.qty_of_share(p, Decimal(amount),
                                                                                            MKT.qty_step),
                                                price, now, c)
    n = 1 + amount % 2
    target = price + side.sign * Decimal(amount) / 10
    return lambda p, o, c: adjust.move_target(p, o, n, target, price, now, c, by="t")


SCALE_IN = EntryPlan(parts=parse_parts(["0:0.3", "0.5:0.35", "1.2:0.35"]))


TWAP_IN = algos.AlgoPlan(AlgoKind.TWAP, minutes=Decimal(20), slices=4)


async def chat_scenario(side: Side, steps: list[tuple[int, Op | None]], tmp: Path, plan: EntryPlan | None = None,
                        algo: algos.AlgoPlan | None = None) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp / 'c.db'}")
    await db.migrate()
    repo = Repository(db)
    clock = ManualClock(T0)
    broker = MovingPaper(BrokerSettings(paper_balance=Decimal("100000")), clock, market)
    mgr = PositionManager(repo, broker, EventBus(), clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    try:
        await broker.on_price(PriceTick("ETH/USDT", Decimal("100"), clock.now()))
        shape = (lambda tr: shape_open(tr, plan, MKT.qty_step)) if plan is not None else None
        if algo is not None:
            shape = lambda tr: algos.shape_entry(tr, algo, MKT, True)  # noqa: E731
        watch = EntryWatch(mgr, clock, lambda: plan or EntryPlan())
        runs = AlgoWatch(mgr, clock)
        pos = await mgr.open(make_signal(side), Decimal("1.237"), single_target=False, trailing_pct=ZERO,
                             time_stop=None, liquidation_price=None, shape=shape)
        price = Decimal("100")
        last_stop = pos.stop_price
        for move, op in steps:
            price = max(Decimal("50"), price + Decimal(move) / 10)
            clock.set(clock.now() + timedelta(minutes=5))
            tick = PriceTick("ETH/USDT", price, clock.now())
            await mgr.on_tick(tick)
            await watch.on_tick(tick)
            await runs.on_tick(tick)
            current = await repo.get_position(pos.id)
            assert (current.stop_price - last_stop) * side.sign >= 0, "the stop loosened on a tick"
            last_stop = current.stop_price
            if op is not None and current.state is PositionState.OPEN:
                result, current = await mgr.adjust(pos.id, _build(op, price, clock.now(), side, mgr.algos_of))
                assert current is not None
                loosened = (current.stop_price - last_stop) * side.sign < 0
                assert not loosened or (op[0] == "stop" and op[2]), "the stop loosened without a second tap"
                if op[0] == "stop" and not op[2] and (price - side.sign * Decimal(op[1]) / 10 - last_stop) * side.sign < 0:
                    assert isinstance(result, adjust.Refusal)
                last_stop = current.stop_price
            assert current.remaining >= 0
            if current.state is PositionState.OPEN:
                resting = await broker.open_orders("ETH/USDT")
                stops = [o for o in resting if o.type is OrderType.STOP_MARKET]
                assert stops, "open without a stop at the broker"
                assert stops[-1].trigger_price == current.stop_price and stops[-1].qty >= current.remaining
                targets = sum((o.qty for o in resting if o.type is OrderType.TAKE_PROFIT), ZERO)
                assert targets <= current.remaining, "targets promise more than is held"
        if (await repo.get_position(pos.id)).state is PositionState.OPEN:
            await mgr.close(pos.id, CloseReason.MANUAL)
        final = await repo.get_position(pos.id)
        assert final.state is PositionState.CLOSED and final.remaining == 0
        fills = await repo.fills_for(pos.id)
        bought = sum((f.qty for f in fills if f.action is side.entry_action), ZERO)
        sold = sum((f.qty for f in fills if f.action is side.exit_action), ZERO)
        assert sum((e.qty for e in final.exits), ZERO) == final.qty == bought == sold, "exits do not sum to fills"
        flow = ZERO
        for f in fills:
            flow += f.price * f.qty * (1 if f.action is OrderAction.SELL else -1) - f.fee
        assert abs(final.realized_pnl - flow) < Decimal("1e-12")  # average entry: exact up to rounding
        assert await broker.open_orders() == []
    finally:
        await db.close()


OPS = st.one_of(
    st.none(),
    st.tuples(st.just("reduce"), st.integers(min_value=1, max_value=100), st.just(False)),
    st.tuples(st.just("add"), st.integers(min_value=1, max_value=150), st.just(False)),
    st.tuples(st.just("stop"), st.integers(min_value=-30, max_value=60), st.booleans()),
    st.tuples(st.just("be"), st.just(0), st.just(False)),
    st.tuples(st.just("tp"), st.integers(min_value=-20, max_value=120), st.just(False)),
    st.tuples(st.just("twap"), st.integers(min_value=1, max_value=100), st.just(False)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]),
       steps=st.lists(st.tuples(st.integers(min_value=-40, max_value=40), OPS), min_size=1, max_size=25))
def test_lifecycle_invariants_with_changes_from_the_chat(side: Side, steps: list[tuple[int, Op | None]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(chat_scenario(side, steps, Path(tmp)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]),
       steps=st.lists(st.tuples(st.integers(min_value=-30, max_value=30), OPS), min_size=1, max_size=25))
def test_lifecycle_invariants_with_a_scale_in_entry(side: Side, steps: list[tuple[int, Op | None]]) -> None:
    """30 % at market, 35 % resting 0.5 % and 35 % resting 1.2 % toward the stop, chat changes in between."""
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(chat_scenario(side, steps, Path(tmp), SCALE_IN))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]),
       steps=st.lists(st.tuples(st.integers(min_value=-30, max_value=30), OPS), min_size=1, max_size=25))
def test_lifecycle_invariants_with_a_twap_entry(side: Side, steps: list[tuple[int, Op | None]]) -> None:
    """Four slices over 20 minutes (one per 5-minute tick), chat changes and TWAP exits in between."""
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(chat_scenario(side, steps, Path(tmp), algo=TWAP_IN))
