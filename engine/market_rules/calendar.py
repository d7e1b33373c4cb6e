"""The A-share trading calendar: sessions 09:30–11:30 and 13:00–15:00 Asia/Shanghai on weekdays
that are not exchange holidays.

The holidays ship in ``ashare_holidays.csv`` (one ``YYYY-MM-DD`` a line, ``#`` comments); update it
from the exchanges' yearly notice, or point ``TradingCalendar`` at your own file.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from engine.domain.markets import SHANGHAI

__all__ = ["SESSIONS", "SHANGHAI", "TradingCalendar", "load_holidays"]

SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
HOLIDAYS_FILE = Path(__file__).with_name("ashare_holidays.csv")


def load_holidays(path: Path = HOLIDAYS_FILE) -> frozenset[date]:
    days = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text or text == "date":
            continue
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{path}:{n}: {text!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


class TradingCalendar:
    def __init__(self, holidays: frozenset[date] | None = None) -> None:
        self.holidays = load_holidays() if holidays is None else holidays

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def is_open(self, ts: datetime) -> bool:
        local = ts.astimezone(SHANGHAI)
        if not self.is_trading_day(local.date()):
            return False
        now = local.time()
        return any(start <= now < end for start, end in SESSIONS)

    def next_open(self, ts: datetime) -> datetime:
        """``ts`` itself when a session is on, else the next session's start (in ``ts``'s zone)."""
        if self.is_open(ts):
            return ts
        local = ts.astimezone(SHANGHAI)
        day = local.date()
        for _ in range(60):
            if self.is_trading_day(day):
                for start, _end in SESSIONS:
                    begin = datetime.combine(day, start, SHANGHAI)
                    if begin >= local:
                        return begin.astimezone(ts.tzinfo)
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), SHANGHAI)
        raise ValueError("no trading day in the next 60 days: check the holiday calendar")

    def trading_day(self, ts: datetime) -> date:
        """The trading date a moment belongs to (its Shanghai date)."""
        return ts.astimezone(SHANGHAI).date()
