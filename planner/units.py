"""The unit forms of SCENARIO.md: durations, times, daily and absolute windows.

Each `parse_` function takes the text as written in a scenario and returns a resolved
value, or raises :class:`ValueError` with a message in a planner's words (the reader
adds where in the file the text was). Nothing here knows about YAML.

Times are returned with a fixed UTC offset (a :class:`datetime.timezone`), never with a
named zone: Python adds and subtracts aware datetimes that share a tzinfo on the wall
clock, which is wrong across a daylight-saving change, and a fixed offset keeps that
arithmetic exact.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from planner.scenario import AbsoluteWindow, DailyWindow

__all__ = [
    "parse_absolute_window",
    "parse_daily_window",
    "parse_duration",
    "parse_time",
    "add",
    "fixed_offset",
]

DURATION_EXAMPLES = "45m, 3h, 1h30m, 2d or PT1H30M"
TIME_EXAMPLES = (
    "2013-10-03T06:00+02:00, 2013-10-03T06:00 (in the scenario time zone) or +36h (after the start)"
)

_NUMBER = r"\d+(?:\.\d+)?"
_BARE_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_COMPACT = re.compile(
    rf"(?:(?P<d>{_NUMBER})\s*d)?\s*(?:(?P<h>{_NUMBER})\s*h)?\s*(?:(?P<m>{_NUMBER})\s*m)?"
)
_ISO_NUMBER = r"\d+(?:[.,]\d+)?"
_ISO = re.compile(
    rf"P(?:(?P<w>{_ISO_NUMBER})W)?(?:(?P<d>{_ISO_NUMBER})D)?"
    rf"(?:T(?:(?P<h>{_ISO_NUMBER})H)?(?:(?P<m>{_ISO_NUMBER})M)?(?:(?P<s>{_ISO_NUMBER})S)?)?",
    re.IGNORECASE,
)
_ISO_YEARS_MONTHS = re.compile(r"P(?:\d+(?:[.,]\d+)?[YM])", re.IGNORECASE)
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DAILY = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_duration(text: str) -> timedelta:
    """Read a duration: `45m`, `3h`, `1h30m`, `2d`, `1d12h`, or ISO 8601 (`PT1H30M`, `P1DT2H`).

    Units are `d` (days of 24 hours), `h` and `m`, combinable in that order; numbers may
    have decimals (`1.5h`). ISO 8601 durations may use weeks, days, hours, minutes and
    seconds but not years or months, which have no fixed length.

    Args:
        text: the duration as written.

    Returns:
        The duration, zero or more.

    Raises:
        ValueError: a bare number (which unit?), a negative duration, or any other text.

    Example:
        >>> parse_duration("1h30m")
        datetime.timedelta(seconds=5400)
    """
    s = text.strip()
    if _BARE_NUMBER.fullmatch(s):
        return _bare_number(s)
    if s.startswith("-"):
        raise ValueError(f"`{text}` is negative; a duration is zero or more")
    if s[:1] in ("P", "p"):
        return _parse_iso_duration(s, text)
    match = _COMPACT.fullmatch(s)
    if s and match and any(match.group(k) for k in "dhm"):
        d, h, m = (float(match.group(k) or 0) for k in "dhm")
        return timedelta(days=d, hours=h, minutes=m)
    clock = _CLOCK.fullmatch(s)
    if clock:
        hours, minutes = clock.groups()
        raise ValueError(
            f"`{text}` looks like a clock time, not a duration: write {int(hours)}h{minutes}m"
        )
    raise ValueError(f"`{text}` is not a duration; write e.g. {DURATION_EXAMPLES}")


def _bare_number(s: str) -> timedelta:
    raise ValueError(f"{s} needs a unit: write {s}m or {s}h")


def _parse_iso_duration(s: str, text: str) -> timedelta:
    if _ISO_YEARS_MONTHS.match(s):
        raise ValueError(
            f"`{text}` counts years or months, which have no fixed length; "
            "use days, hours and minutes"
        )
    match = _ISO.fullmatch(s)
    if (
        not match
        or not any(match.group(k) for k in "wdhms")
        or s.upper().endswith("T")  # `P1DT` names a time part and gives none
    ):
        raise ValueError(f"`{text}` is not a duration; write e.g. {DURATION_EXAMPLES}")
    w, d, h, m, sec = (_number(match.group(k) or "0") for k in "wdhms")
    return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=sec)


def fixed_offset(moment: datetime) -> datetime:
    """The same instant with its current UTC offset as a fixed :class:`datetime.timezone`."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a time needs a UTC offset")
    return moment.astimezone(timezone(offset))


def add(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta` in elapsed time (not on the wall clock), keeping a fixed offset."""
    fixed = fixed_offset(moment)
    return (fixed.astimezone(UTC) + delta).astimezone(fixed.tzinfo)


def parse_time(text: str, start: datetime | None, tz: tzinfo | None) -> datetime:
    """Read a time: ISO 8601 with or without offset, or an offset from the scenario start.

    Forms: `2013-10-03T06:00+02:00` (also with seconds, and `Z` for UTC);
    `2013-10-03T06:00` (local time in `tz`; of two readings in a daylight-saving change
    the earlier is taken, fold=0); `+36h`, `+1h30m`, `+PT2H` (`start` plus that long;
    `-2h` is before the start).

    Args:
        text: the time as written.
        start: the scenario start, for relative times; None while reading the start itself.
        tz: the scenario time zone, for times without an offset; None when there is none.

    Returns:
        An aware datetime with a fixed UTC offset (the offset written, or the one `tz`
        has at that moment, or the start's offset for a relative time).

    Raises:
        ValueError: a bare number, a date without a time of day, an impossible date or
            time, a relative time without a start, a local time without a time zone.

    Example:
        >>> start = parse_time("2013-10-03T06:00+02:00", None, None)
        >>> parse_time("+36h", start, None).isoformat()
        '2013-10-04T18:00:00+02:00'
    """
    s = text.strip()
    if _BARE_NUMBER.fullmatch(s):
        raise ValueError(
            f"{s} is a bare number, not a time: write +{s.lstrip('+-')}h for "
            f"{s.lstrip('+-')} hours after the start, or a date and time"
        )
    if s[:1] in ("+", "-"):
        if start is None:
            raise ValueError(f"`{text}` is relative to the start; here give a date and time")
        try:
            delta = parse_duration(s[1:])
        except ValueError:
            raise ValueError(
                f"`{text}` is not a time: after `{s[0]}` write a duration like 36h or 1h30m"
            ) from None
        return add(start, -delta if s[0] == "-" else delta)
    match = _DATE_TIME.fullmatch(s)
    if not match:
        if _CLOCK.fullmatch(s):
            raise ValueError(
                f"`{text}` is a time of day without a date: write the date too, like "
                f"2013-10-03T{s}, or a time after the start, like +6h"
            )
        if _DATE_ONLY.fullmatch(s):
            raise ValueError(f"`{text}` is a date without a time of day: write {s}T00:00")
        raise ValueError(f"`{text}` is not a time; write e.g. {TIME_EXAMPLES}")
    offset = match.group("offset")
    iso = f"{match.group('date')}T{match.group('time')}"
    if offset:
        iso += "+00:00" if offset.upper() == "Z" else offset
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"`{text}` is not a real date and time") from None
    if moment.tzinfo is None:
        if tz is None:
            raise ValueError(
                f"`{text}` has no UTC offset and the scenario has no time zone: "
                f"write e.g. {s}+02:00 or set `timezone`"
            )
        moment = moment.replace(tzinfo=tz, fold=0)
    return fixed_offset(moment)


def _minute_of_day(hours: str, minutes: str, *, end: bool, text: str) -> int:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        if end:
            return 1440
        raise ValueError(f"`{text}` starts at 24:00; 24:00 may only end a window")
    if h > 23 or m > 59:
        raise ValueError(
            f"`{hours}:{minutes}` in `{text}` is not a time of day; "
            "use 00:00 to 23:59, or 24:00 as an end"
        )
    return h * 60 + m


def parse_daily_window(text: str) -> DailyWindow:
    """Read a daily window `HH:MM-HH:MM` (local time of the place it belongs to).

    It may wrap midnight (`22:00-06:00`); `00:00-24:00` is all day; `24:00` may only end a
    window; a window whose two times are equal is refused as ambiguous.

    Args:
        text: the window as written.

    Returns:
        A :class:`DailyWindow` in minutes after local midnight.

    Raises:
        ValueError: any other form (`7-19`), a time of day past 23:59, equal times.

    Example:
        >>> parse_daily_window("22:00-06:00")
        DailyWindow(start=1320, end=360, text='22:00-06:00')
    """
    s = text.strip()
    match = _DAILY.fullmatch(s)
    if not match:
        raise ValueError(f"`{text}` is not a daily window; write HH:MM-HH:MM, e.g. 07:00-19:00")
    start = _minute_of_day(match.group(1), match.group(2), end=False, text=s)
    end = _minute_of_day(match.group(3), match.group(4), end=True, text=s)
    if start == end:
        raise ValueError(
            f"`{text}` starts and ends at the same time, which is ambiguous; "
            "write 00:00-24:00 for all day"
        )
    return DailyWindow(start=start, end=end, text=s)


def parse_absolute_window(start: datetime, end: datetime) -> AbsoluteWindow:
    """Make the absolute window `{from: start, to: end}` (both already read as times).

    Raises:
        ValueError: `end` is not after `start`.
    """
    if end <= start:
        raise ValueError(
            f"`to` must be after `from` (from {start.isoformat(timespec='minutes')} "
            f"to {end.isoformat(timespec='minutes')})"
        )
    return AbsoluteWindow(start=start, end=end)
