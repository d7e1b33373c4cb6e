"""Crash points: a test hook that kills this process with SIGKILL at a named lifecycle commit point.

The crash tests (tests/engine/live/test_crash.py) need the bot to die at a chosen step of a
position's life — not wherever a wall-clock timer happens to land. The repository calls
``committed`` right after each transaction (one lifecycle step: a fill, the position and orders it
changes, the venue's rows, the risk state, the alerts — ``Repository.commit``); when the
environment variable ``SIGNALPILOT_CRASH_AT`` names a phase that commit reaches, the process
writes one line to stderr (``crashpoint <phase>#<n>: SIGKILL``) and kills itself with SIGKILL, the
database holding exactly what was committed so far.

``SIGNALPILOT_CRASH_AT=<phase>[#<n>]``: die at the n-th commit (default the first) that reaches
``<phase>``. Unset (production): ``committed`` returns at its first line; nothing else runs.

Phases, named from what the commit holds (``<leg>`` is ``entry``, ``stop`` — the first stop of a
position —, ``moved-stop`` — a later one: breakeven or trailing —, ``tp1``, ``tp2``, ``close``):

* ``<leg>-persisted``: the order saved as NEW, before it is sent (``entry-persisted`` is the new
  position; ``stop-persisted`` the entry's fill applied, stop and targets not sent yet;
  ``moved-stop-persisted`` TP1's fill applied, the new stop not sent yet);
* ``<leg>-acknowledged``: the venue's acknowledgement saved (``moved-stop-acknowledged``: the new
  stop rests, the old one is not cancelled yet);
* ``<leg>-fill-recorded``: a fill of that leg recorded — in the same commit that applies it to the
  position and persists the orders it calls for (``entry-fill-recorded`` is also ``stop-persisted``);
* ``<leg>-filled``, ``<leg>-cancelled``, ``<leg>-rejected``: the order saved in that state;
* ``position-closed``, ``position-failed``: the position saved over (its other orders not yet
  cancelled);
* ``commit``: every one of these commits (``commit#3``: the third commit of any kind).

Slices of an execution algorithm (engine.execution) are the legs ``twap-entry``, ``twap-exit``,
``iceberg-entry``, ``iceberg-exit`` (``twap-entry-persisted#3``: the third slice saved, with the
algorithm's state, not sent); ``algo-done``, ``algo-stopped``, ``algo-cancelled``: a run saved ended.

A process forked after this module was imported (the crash tests' fork server) calls ``arm()``
after setting the variable.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

from engine.domain.algos import Algo
from engine.domain.ids import ClientOrderId
from engine.domain.models import Fill, Leg, Order, OrderStatus, Position, PositionState

ENV = "SIGNALPILOT_CRASH_AT"

_target: tuple[str, int] | None = None
_seen = 0

_STATUS = {OrderStatus.NEW: "persisted", OrderStatus.OPEN: "acknowledged", OrderStatus.FILLED: "filled",
           OrderStatus.CANCELLED: "cancelled", OrderStatus.REJECTED: "rejected"}
_LEGS = {"en": "entry", "cl": "close", "te": "twap-entry", "tx": "twap-exit", "ie": "iceberg-entry",
         "ix": "iceberg-exit"}


def arm(spec: str | None = None) -> None:
    """Read ``spec`` (default: the environment variable) and restart the count; ``None`` disarms."""
    global _target, _seen
    spec = os.environ.get(ENV) if spec is None else spec
    _seen = 0
    if not spec:
        _target = None
        return
    phase, _, nth = spec.partition("#")
    _target = (phase.strip(), int(nth) if nth else 1)


def committed(position: Position | None = None, orders: Iterable[Order] = (),
              fill: Fill | None = None, algos: Iterable[Algo] = ()) -> None:
    """Called by the repository after a commit; SIGKILLs this process at the armed phase."""
    if _target is None:
        return
    global _seen
    phase, nth = _target
    if phase not in phases(position, orders, fill, algos):
        return
    _seen += 1
    if _seen == nth:
        os.write(2, f"crashpoint {phase}#{nth}: SIGKILL\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)


def phases(position: Position | None, orders: Iterable[Order] = (),
           fill: Fill | None = None, algos: Iterable[Algo] = ()) -> set[str]:
    """The phases one commit reaches (see the module docstring)."""
    names = {"commit"}
    names.update(f"algo-{a.status.value}" for a in algos if a.status.is_final)
    if position is not None and position.state in (PositionState.CLOSED, PositionState.FAILED):
        names.add(f"position-{position.state.value}")
    for order in orders:
        status = _STATUS.get(order.status)
        if status is not None:
            names.add(f"{leg_name(order.client_id)}-{status}")
    if fill is not None:
        names.add(f"{leg_name(fill.client_id)}-fill-recorded")
    return names


def leg_name(client_id: str) -> str:
    """``sp-<pid>-<leg>-<n>`` → entry, stop, moved-stop, tp1, tp2, close (else the id's kind)."""
    parsed = ClientOrderId.parse(client_id)
    if parsed is None:
        return client_id.split("-")[0]
    if parsed.leg == Leg.STOP.value:
        return "stop" if parsed.is_first_stop else "moved-stop"
    return _LEGS.get(parsed.leg, parsed.leg)


arm()
