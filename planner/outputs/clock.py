"""Local clock times for people: every time in the zone of the place where it happens.

A time shown to a person is never a bare UTC time: it carries the zone abbreviation of
the place (`06:00 CEST`), or its UTC offset (`06:00 +02:00`) where the zone has no
letters of its own (a fixed offset, or a zone whose abbreviation is only digits).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, tzinfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def offset_text(when: datetime) -> str:
    """The UTC offset of an aware time as `+02:00` (`+05:45`, `-03:30`)."""
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_abbreviation(when: datetime) -> str:
    """The zone of an aware time as people know it: `CEST`, or `+02:00` when it has no letters.

    >>> from zoneinfo import ZoneInfo
    >>> zone_abbreviation(datetime(2013, 10, 3, 6, tzinfo=ZoneInfo("Europe/Moscow")))
    'MSK'
    """
    name = when.tzname() or ""
    if name.isalpha():
        return name
    return offset_text(when)


def zone_column(when: datetime) -> str:
    """The zone for a table column: abbreviation and offset, `CEST +02:00` (or `+02:00`)."""
    abbreviation = zone_abbreviation(when)
    offset = offset_text(when)
    return offset if abbreviation == offset else f"{abbreviation} {offset}"


def local(when: datetime, zone: tzinfo) -> datetime:
    """`when` (aware) on the clocks of `zone`."""
    return when.astimezone(zone)


def clock(when: datetime, zone: tzinfo) -> str:
    """`06:00 CEST`: the time of day in `zone`, with its zone."""
    t = local(when, zone)
    return f"{t:%H:%M} {zone_abbreviation(t)}"


def day_clock(when: datetime, zone: tzinfo) -> str:
    """`Thu 03 Oct 06:00 CEST`: day, date and time in `zone`, with its zone.

    Day and month names are English whatever the machine's locale, so files do not change
    with the machine that writes them.
    """
    t = local(when, zone)
    return (
        f"{_DAYS[t.weekday()]} {t.day:02d} {_MONTHS[t.month - 1]} {t:%H:%M} {zone_abbreviation(t)}"
    )


def day_text(when: datetime, zone: tzinfo) -> str:
    """`Thu 03 Oct`: the local date in `zone`."""
    t = local(when, zone)
    return f"{_DAYS[t.weekday()]} {t.day:02d} {_MONTHS[t.month - 1]}"


def iso_local(when: datetime, zone: tzinfo) -> str:
    """ISO 8601 on the clocks of `zone`, to the minute, with offset: `2013-10-03T06:00+02:00`."""
    t = local(when, zone)
    return f"{t:%Y-%m-%dT%H:%M}{offset_text(t)}"


def duration_text(span: timedelta) -> str:
    """`2h30m`, `45m`, `1d3h`: a duration as the scenario format writes it."""
    minutes = int(round(span.total_seconds() / 60))
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins or not parts:
        parts.append(f"{mins}m")
    return sign + "".join(parts)


def written_at() -> datetime:
    """The time files say they were made: `SOURCE_DATE_EPOCH` when set (for reproducible
    files), else now, in UTC and to the second."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)
