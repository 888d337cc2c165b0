"""Time for the solvers: the planning grid over `step`, and windows turned into instants.

The grid counts steps from the scenario start: grid point `t` is `start + t * step`.
Durations on the grid round up, so a plan made on it keeps every rule in real time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from planner.scenario import AbsoluteWindow, DailyWindow, Scenario, Window


@dataclass(frozen=True)
class TimeGrid:
    """The planning grid of a scenario, in whole seconds from its start."""

    start: datetime
    step: int
    """Seconds per step."""
    horizon: int
    """Seconds from start to the end of the horizon."""

    @classmethod
    def of(cls, scenario: Scenario) -> TimeGrid:
        """The grid of a scenario."""
        return cls(
            start=scenario.start,
            step=max(1, int(scenario.step.total_seconds())),
            horizon=int(scenario.horizon.total_seconds()),
        )

    @property
    def last(self) -> int:
        """The last grid point a leg may depart from or arrive by (`ceil(horizon / step)`)."""
        return -(-self.horizon // self.step)

    def seconds(self, when: datetime) -> int:
        """Seconds from start to an instant (rounded down)."""
        return math.floor((when - self.start).total_seconds())

    def instant(self, seconds: int) -> datetime:
        """The instant `seconds` after start."""
        return self.start + timedelta(seconds=seconds)

    def up(self, seconds: int) -> int:
        """The first grid point at or after `seconds`."""
        return -(-seconds // self.step)

    def down(self, seconds: int) -> int:
        """The last grid point at or before `seconds`."""
        return seconds // self.step


def _local_dates(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    days = (last - first).days
    return [datetime.combine(first + timedelta(days=i), time(0), tz) for i in range(days + 1)]


def _local(day: datetime, minute: int, tz: tzinfo) -> datetime:
    # Wall-clock minute of a local date; through UTC so that DST days come out right.
    naive = day.replace(tzinfo=None) + timedelta(minutes=minute)
    return naive.replace(tzinfo=tz)


def window_intervals(
    windows: tuple[Window, ...], tz: tzinfo, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """Every concrete half-open interval of `windows` that may touch `[lo, hi)`.

    Daily windows are repeated on every local date in `tz`; absolute ones are taken as they
    are. The list is sorted and may contain overlapping intervals.
    """
    out: list[tuple[datetime, datetime]] = []
    for w in windows:
        if isinstance(w, AbsoluteWindow):
            out.append((w.start, w.end))
            continue
        for day in _local_dates(lo, hi, tz):
            begin = _local(day, w.start, tz)
            end_minute = w.end + (1440 if w.wraps else 0)
            out.append((begin, _local(day, end_minute, tz)))
    return sorted(out)


def in_daily_windows(when: datetime, windows: tuple[DailyWindow, ...], tz: tzinfo) -> bool:
    """True when the local wall-clock time of `when` in `tz` falls in one of `windows`.

    An empty tuple means all day.
    """
    if not windows:
        return True
    local = when.astimezone(tz)
    minute = local.hour * 60 + local.minute + local.second / 60.0
    for w in windows:
        if w.all_day:
            return True
        if w.wraps:
            if minute >= w.start or minute < w.end:
                return True
        elif w.start <= minute < w.end:
            return True
    return False
