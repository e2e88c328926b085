"""Calendar windows (day, week, month) in an IANA time zone, and UTC-microsecond conversions.

Budgets are computed from timestamped records over these windows, never from counters that
need resetting: a window is just [start, end) in local calendar time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .models import BudgetPeriod

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
DAY_US = 86_400_000_000  # a UTC day in microseconds, the ledger's unit of time
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def to_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return (dt - EPOCH) // _US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class Window:
    period: BudgetPeriod
    start: datetime
    end: datetime

    @property
    def start_us(self) -> int:
        return to_us(self.start)

    @property
    def end_us(self) -> int:
        return to_us(self.end)

    @property
    def length(self) -> timedelta:
        # Not `end - start`: Python subtracts same-zone datetimes as wall-clock times (a DST day would be 24 h).
        return timedelta(microseconds=self.end_us - self.start_us)

    def previous(self, zone: ZoneInfo, week_start: str) -> Window:
        return window_for(self.period, self.start - _US, zone, week_start)


def window_for(period: BudgetPeriod, now: datetime, zone: ZoneInfo, week_start: str = "monday") -> Window:
    """The calendar window of `period` that contains `now`, in `zone`."""
    today = now.astimezone(zone).date()
    if period is BudgetPeriod.DAILY:
        first, nxt = today, today + timedelta(days=1)
    elif period is BudgetPeriod.WEEKLY:
        first = today - timedelta(days=(today.weekday() - WEEKDAYS.index(week_start)) % 7)
        nxt = first + timedelta(days=7)
    elif period is BudgetPeriod.MONTHLY:
        first = today.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
    else:  # pragma: no cover - enum is closed
        raise ValueError(period)
    return Window(period, local_midnight(first, zone), local_midnight(nxt, zone))


def last_days(days: int, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of the local day `days - 1` days ago, start of tomorrow): today and the days before."""
    today = now.astimezone(zone).date()
    return local_midnight(today - timedelta(days=days - 1), zone), local_midnight(today + timedelta(days=1), zone)
