"""The crash-point hook (engine/crashpoints.py): phases named from what a commit holds; unset, nothing
happens; set, the process dies by SIGKILL at the n-th commit reaching the phase, saying where."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from engine import crashpoints
from engine.domain.models import Fill, Order, OrderStatus, OrderType
from engine.domain.values import OrderAction

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def order(leg: str, seq: int = 0, status: OrderStatus = OrderStatus.NEW) -> Order:
    return Order(client_id=f"sp-abc123-{leg}-{seq}", position_id="abc123", leg=leg, symbol="BTC/USDT:USDT",
                 action=OrderAction.SELL, type=OrderType.MARKET, qty=Decimal(1), created_at=T0, status=status)


def test_phases_are_named_from_what_the_commit_holds() -> None:
    assert crashpoints.phases(None, [order("en")]) == {"commit", "entry-persisted"}
    assert crashpoints.phases(None, [order("en", status=OrderStatus.OPEN)]) == {"commit", "entry-acknowledged"}
    assert crashpoints.phases(None, [order("sl", 0, OrderStatus.OPEN)]) == {"commit", "stop-acknowledged"}
    assert crashpoints.phases(None, [order("tp1", status=OrderStatus.FILLED), order("sl", 1)]) == {
        "commit", "tp1-filled", "moved-stop-persisted"}
    assert crashpoints.phases(None, [order("sl", 0, OrderStatus.CANCELLED)]) == {"commit", "stop-cancelled"}
    fill = Fill(trade_id="BTC#1", client_id="sp-abc123-tp2-0", symbol="BTC/USDT:USDT", action=OrderAction.SELL,
                qty=Decimal(1), price=Decimal(1), fee=Decimal(0), ts=T0)
    assert crashpoints.phases(None, fill=fill) == {"commit", "tp2-fill-recorded"}
    assert crashpoints.phases(None, fill=replace(fill, client_id="sp-abc123-sl-2")) == {
        "commit", "moved-stop-fill-recorded"}
    assert crashpoints.leg_name("liq-42") == "liq"


def test_unset_the_hook_does_nothing() -> None:
    crashpoints.arm("")
    for _ in range(3):
        crashpoints.committed(None, [order("en")])  # still alive


SCRIPT = """
from engine import crashpoints
from tests.engine.test_crashpoints import order
for n in range(1, 5):
    print(n, flush=True)
    crashpoints.committed(None, [order("en")])
    crashpoints.committed(None, [order("sl", 1)])
print("survived", flush=True)
"""


def test_armed_the_process_dies_by_sigkill_at_the_nth_commit_of_the_phase() -> None:
    env = {"PYTHONPATH": str(ROOT), crashpoints.ENV: "moved-stop-persisted#3"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout.split() == ["1", "2", "3"]
    assert proc.stderr.strip() == "crashpoint moved-stop-persisted#3: SIGKILL"
