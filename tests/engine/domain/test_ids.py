"""Client order ids: one value type formats and parses them."""

from __future__ import annotations

from engine import crashpoints
from engine.domain.ids import ClientOrderId
from engine.domain.models import client_order_id, position_id_of


def test_an_id_round_trips_and_foreign_ids_are_not_ours() -> None:
    cid = ClientOrderId("a1b2c3d4e5f6", "tp2", 3)
    assert str(cid) == client_order_id("a1b2c3d4e5f6", "tp2", 3) == "sp-a1b2c3d4e5f6-tp2-3"
    assert ClientOrderId.parse(str(cid)) == cid and position_id_of(str(cid)) == "a1b2c3d4e5f6"
    assert len(str(ClientOrderId("a1b2c3d4e5f6", "tp10", 99))) <= 36
    for foreign in ("liq-BTCUSDT-1", "sp-x-tp1", "sp-x-tp1-a", "web_123", "xx-a-sl-0"):
        assert ClientOrderId.parse(foreign) is None and not ClientOrderId.is_ours(foreign)


def test_the_first_stop_and_a_moved_one_are_told_apart() -> None:
    assert ClientOrderId("p", "sl", 0).is_first_stop and not ClientOrderId("p", "sl", 1).is_first_stop
    assert crashpoints.leg_name("sp-p-sl-0") == "stop" and crashpoints.leg_name("sp-p-sl-2") == "moved-stop"
    assert crashpoints.leg_name("sp-p-en-0") == "entry" and crashpoints.leg_name("liq-BTC-1") == "liq"
