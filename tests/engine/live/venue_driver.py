"""A market for the fake venue: moves its prices the way the positions resting there invite.

``VenueDriver.step()`` looks only at the fake's state (positions, resting algo orders), so it
drives an engine in this process or in a child process alike:

* an open position whose TP1 rests: the price goes to TP1;
* TP1 done, TP2 resting and a stop resting: once the stop has been moved (a second stop order,
  ``-sl-1`` or later, is the only one resting), the price goes to TP2 or through the stop
  (seeded choice per position, or always the one ``ending`` names); a position with no resting stop is left alone (the engine must
  protect it first); one whose orders have not changed for ``patience`` steps goes through its stop.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

TICK_STEPS = 20  # "through the stop" = this many ticks past its trigger


def _seq(client_id: str) -> int:
    return int(client_id.rsplit("-", 1)[1])


class VenueDriver:
    def __init__(self, fake: Any, symbols: list[str], rng: random.Random, patience: int = 100,
                 ending: str | None = None) -> None:
        self.fake = fake
        self.symbols = symbols  # venue ids (BTCUSDT, ...)
        self.rng = rng
        self.ending = ending  # "tp2" or "stop": every position ends so; None: a seeded choice per position
        self.finish: dict[str, str] = {}  # position key → "tp2" or "stop"
        self.moves: list[str] = []
        self.patience = patience  # steps without any change before the price goes through the stop
        self._seen: dict[str, tuple[Any, int]] = {}

    def _set(self, vid: str, price: Decimal, why: str) -> str:
        if self.fake.exchange.tickers[vid].last != price:
            self.fake.set_price(vid, price)
            self.moves.append(f"{vid} {why} {price}")
            return why
        return ""

    def step(self) -> list[str]:
        """One look at the venue; returns the moves made."""
        return [m for vid in self.symbols if (m := self._step(vid))]

    def _step(self, vid: str) -> str:
        fake = self.fake
        position = fake.positions.get((vid, "BOTH"))
        if position is None:
            return ""  # flat: the next entry is planned at whatever the price is
        ours = [a for a in fake.algo_orders.values() if a.symbol == vid and a.is_open
                and a.client_algo_id.startswith("sp-")]
        stops = [a for a in ours if a.is_stop]
        tps = {a.client_algo_id.split("-")[2]: a for a in ours if not a.is_stop}
        if not stops:
            return ""  # unprotected: the engine has to act first
        key = "-".join(stops[0].client_algo_id.split("-")[:2])
        snapshot = (position.amt, tuple(sorted(a.client_algo_id for a in ours)))
        last, count = self._seen.get(vid, (None, 0))
        count = count + 1 if last == snapshot else 0
        self._seen[vid] = (snapshot, count)
        stop = min(stops, key=lambda a: -_seq(a.client_algo_id))
        if count >= self.patience:  # stuck (a target could not be placed): the market falls through the stop
            return self._through(vid, stop, position.amt)
        if "tp1" in tps:
            return self._set(vid, tps["tp1"].trigger_price, "tp1")
        if len(stops) != 1 or _seq(stop.client_algo_id) < 1:
            return ""  # targets not placed yet, or the stop not moved yet (or the old one still rests)
        choice = self.finish.setdefault(key, self.ending or self.rng.choice(("tp2", "stop")))
        if choice == "tp2" and "tp2" in tps:
            return self._set(vid, tps["tp2"].trigger_price, "tp2")
        return self._through(vid, stop, position.amt)

    def _through(self, vid: str, stop: Any, amt: Decimal) -> str:
        tick = self.fake.exchange.spec(vid).tick_size
        sign = 1 if amt > 0 else -1
        return self._set(vid, stop.trigger_price - sign * tick * TICK_STEPS, "through the stop")
