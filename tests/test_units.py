"""The unit forms of SCENARIO.md: durations, times, daily and absolute windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.scenario import AbsoluteWindow, DailyWindow
from planner.units import (
    parse_absolute_window,
    parse_daily_window,
    parse_duration,
    parse_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
PLUS2 = timezone(timedelta(hours=2))
START = datetime(2013, 10, 3, 6, 0, tzinfo=PLUS2)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", timedelta(minutes=45)),
        ("3h", timedelta(hours=3)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d2h3m", timedelta(days=1, hours=2, minutes=3)),
        ("90m", timedelta(minutes=90)),
        ("0m", timedelta(0)),
        ("1.5h", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        (" 45m ", timedelta(minutes=45)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT45M", timedelta(minutes=45)),
        ("PT90S", timedelta(seconds=90)),
        ("P2W", timedelta(weeks=2)),
        ("PT0.5H", timedelta(minutes=30)),
        ("PT0,5H", timedelta(minutes=30)),
        ("pt1h", timedelta(hours=1)),
    ],
)
def test_duration_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "gist"),
    [
        ("45", "45 needs a unit: write 45m or 45h"),
        ("1.5", "1.5 needs a unit: write 1.5m or 1.5h"),
        ("12:30", "looks like a clock time, not a duration: write 12h30m"),
        ("-3h", "is negative"),
        ("P1M", "no fixed length"),
        ("P1Y2D", "no fixed length"),
        ("PT", "is not a duration"),
        ("P1DT", "is not a duration"),
        ("P", "is not a duration"),
        ("3H", "is not a duration"),
        ("30m1h", "is not a duration"),
        ("1h30", "is not a duration"),
        ("3 hours", "is not a duration"),
        ("", "is not a duration"),
        ("soon", "is not a duration"),
    ],
)
def test_duration_refused(text: str, gist: str) -> None:
    with pytest.raises(ValueError, match=gist.replace(".", r"\.")):
        parse_duration(text)


@given(st.integers(0, 30), st.integers(0, 47), st.integers(0, 300))
def test_duration_compact_and_iso_agree(days: int, hours: int, minutes: int) -> None:
    expected = timedelta(days=days, hours=hours, minutes=minutes)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if not parts:
        parts = ["0m"]
    assert parse_duration("".join(parts)) == expected
    assert parse_duration(f"P{days}DT{hours}H{minutes}M") == expected


# --------------------------------------------------------------------------- times


def test_time_with_offset_keeps_it() -> None:
    t = parse_time("2013-10-03T06:00+02:00", START, BERLIN)
    assert t == datetime(2013, 10, 3, 4, 0, tzinfo=UTC)
    assert t.utcoffset() == timedelta(hours=2)
    assert isinstance(t.tzinfo, timezone)  # a fixed offset, never a named zone


@pytest.mark.parametrize(
    "text",
    [
        "2013-10-03T04:00Z",
        "2013-10-03T04:00:00Z",
        "2013-10-03T04:00:00z",
        "2013-10-03T04:00:00.000Z",
        "2013-10-03T04:00+00:00",
        "2013-10-03T06:00+0200",
        "2013-10-03T06:00+02",
        "2013-10-03 06:00+02:00",
        "2013-10-03T01:00-03:00",
    ],
)
def test_time_offset_forms(text: str) -> None:
    assert parse_time(text, START, None) == datetime(2013, 10, 3, 4, 0, tzinfo=UTC)


def test_time_without_offset_is_in_the_scenario_zone() -> None:
    # Moscow is +04:00 in October 2013 (no DST after 2011), though the start says +02:00.
    t = parse_time("2013-10-03T10:00", START, MOSCOW)
    assert t == datetime(2013, 10, 3, 6, 0, tzinfo=UTC)
    assert t.utcoffset() == timedelta(hours=4)


def test_time_without_offset_follows_daylight_saving() -> None:
    # Berlin leaves summer time at 03:00 CEST on 2013-10-27: +02:00 before, +01:00 after.
    before = parse_time("2013-10-26T12:00", None, BERLIN)
    after = parse_time("2013-10-27T12:00", None, BERLIN)
    assert before.utcoffset() == timedelta(hours=2)
    assert after.utcoffset() == timedelta(hours=1)
    assert after - before == timedelta(hours=25)
    # 02:30 happens twice that night: the first (summer time, fold=0) is taken.
    twice = parse_time("2013-10-27T02:30", None, BERLIN)
    assert twice == datetime(2013, 10, 27, 0, 30, tzinfo=UTC)
    # 02:30 never happens on 2013-03-31; fold=0 reads it with the offset before the jump.
    never = parse_time("2013-03-31T02:30", None, BERLIN)
    assert never == datetime(2013, 3, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "after_start"),
    [
        ("+36h", timedelta(hours=36)),
        ("+1h30m", timedelta(minutes=90)),
        ("+PT2H", timedelta(hours=2)),
        ("+0m", timedelta(0)),
        ("+2d", timedelta(days=2)),
        ("-2h", timedelta(hours=-2)),
    ],
)
def test_time_relative_to_start(text: str, after_start: timedelta) -> None:
    t = parse_time(text, START, BERLIN)
    assert t == START + after_start
    assert t.utcoffset() == START.utcoffset()


def test_relative_time_counts_elapsed_hours_across_daylight_saving() -> None:
    start = parse_time("2013-10-26T12:00", None, BERLIN)
    t = parse_time("+24h", start, BERLIN)
    assert t - start == timedelta(hours=24)
    # On the wall clock of Berlin that is 11:00, not 12:00: the night had 25 hours.
    assert t.astimezone(BERLIN).hour == 11


@pytest.mark.parametrize(
    ("text", "start", "tz", "gist"),
    [
        ("45", START, BERLIN, r"45 is a bare number, not a time: write \+45h"),
        ("2013-10-03", START, BERLIN, "a date without a time of day"),
        ("2013-02-30T10:00", START, BERLIN, "not a real date and time"),
        ("2013-10-03T25:00", START, BERLIN, "not a real date and time"),
        ("tomorrow", START, BERLIN, "is not a time"),
        ("+36", START, BERLIN, "bare number"),
        ("+soon", START, BERLIN, "after `\\+` write a duration"),
        ("+36h", None, BERLIN, "relative to the start"),
        ("2013-10-03T06:00", START, None, "has no UTC offset and the scenario has no time zone"),
        ("2013-W40-4T06:00", START, BERLIN, "is not a time"),
    ],
)
def test_time_refused(text: str, start: datetime | None, tz: ZoneInfo | None, gist: str) -> None:
    with pytest.raises(ValueError, match=gist):
        parse_time(text, start, tz)


# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("text", "start", "end", "wraps", "all_day"),
    [
        ("07:00-19:00", 420, 1140, False, False),
        ("22:00-06:00", 1320, 360, True, False),
        ("00:00-24:00", 0, 1440, False, True),
        ("18:00-24:00", 1080, 1440, False, False),
        ("23:30-00:00", 1410, 0, True, False),
        ("07:00 - 19:00", 420, 1140, False, False),
        ("7:00-19:00", 420, 1140, False, False),
    ],
)
def test_daily_window(text: str, start: int, end: int, wraps: bool, all_day: bool) -> None:
    window = parse_daily_window(text)
    assert (window.start, window.end) == (start, end)
    assert window.wraps is wraps
    assert window.all_day is all_day


@pytest.mark.parametrize(
    ("text", "gist"),
    [
        ("7-19", "not a daily window; write HH:MM-HH:MM"),
        ("07-19", "not a daily window"),
        ("0700-1900", "not a daily window"),
        ("07:00", "not a daily window"),
        ("", "not a daily window"),
        ("25:00-26:00", "`25:00` in `25:00-26:00` is not a time of day"),
        ("07:60-08:00", "is not a time of day"),
        ("22:00-24:30", "is not a time of day"),
        ("24:00-06:00", "24:00 may only end a window"),
        ("07:00-07:00", "ambiguous"),
        ("00:00-00:00", "ambiguous"),
    ],
)
def test_daily_window_refused(text: str, gist: str) -> None:
    with pytest.raises(ValueError, match=gist):
        parse_daily_window(text)


@given(st.integers(0, 1439), st.integers(1, 1440))
def test_daily_window_reads_every_minute_pair(start: int, end: int) -> None:
    text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    if start == end:
        with pytest.raises(ValueError):
            parse_daily_window(text)
        return
    window = parse_daily_window(text)
    assert window == DailyWindow(start=start, end=end, text=text)


def test_absolute_window() -> None:
    window = parse_absolute_window(START, START + timedelta(hours=2))
    assert window == AbsoluteWindow(START, START + timedelta(hours=2))
    with pytest.raises(ValueError, match="`to` must be after `from`"):
        parse_absolute_window(START, START)
    with pytest.raises(ValueError, match="`to` must be after `from`"):
        parse_absolute_window(START, START - timedelta(minutes=1))
