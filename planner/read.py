"""Read a scenario file (SCENARIO.md) into a checked, immutable :class:`Scenario`.

`parse_scenario` takes the text and reports every problem it finds at once, each with the
line and column of the key or value at fault, in a planner's words; `read_scenario` only
opens the file and hands it over.

The YAML is composed into positioned plain values by :mod:`planner.yamltree` (never into
objects built from tags); this module checks and resolves those values section by
section: places first, so that every reference can be checked against them.
"""

from __future__ import annotations

import difflib
import gc
import logging
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, available_timezones

from planner import units
from planner.errors import Problem, ScenarioError
from planner.scenario import (
    DEFAULT_OBJECTIVE,
    DEFAULT_PRIORITY_WEIGHTS,
    LOCATION_KINDS,
    OBJECTIVES,
    PRIORITIES,
    AbsoluteWindow,
    AddService,
    CancelService,
    Change,
    ChangeCrossing,
    ChangeFleet,
    ChangeService,
    CloseCrossing,
    CloseRoad,
    Crossing,
    DailyWindow,
    DelayGroups,
    FleetKind,
    Group,
    Location,
    Member,
    Priority,
    Road,
    Scenario,
    Service,
    ServiceKind,
    Window,
)
from planner.yamltree import Map, Node, Scalar, Seq, compose_tree

__all__ = [
    "MAX_COUNT",
    "MAX_FILE_BYTES",
    "MAX_GROUPS",
    "MAX_PEOPLE",
    "parse_scenario",
    "read_scenario",
]

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest scenario file read (50 MB)."""
MAX_COUNT = 1_000_000
"""Largest `count` of a group or fleet entry and largest `size` of a group."""
MAX_GROUPS = 1_000_000
"""Most groups in a scenario once `count` is expanded."""
MAX_PEOPLE = 5_000_000
"""Most people in a scenario."""

SECTIONS = (
    "scenario",
    "objective",
    "priority_weights",
    "locations",
    "roads",
    "crossings",
    "fleet",
    "flights",
    "sailings",
    "groups",
    "variants",
    "uncertainty",
)
SCENARIO_KEYS = ("name", "start", "timezone", "horizon", "step")
LOCATION_KEYS = (
    "name",
    "kind",
    "country",
    "lat",
    "lon",
    "timezone",
    "danger",
    "transfer",
    "capacity",
)
ROAD_KEYS = ("from", "to", "duration", "both_ways", "closed")
CROSSING_KEYS = (
    "id",
    "from",
    "to",
    "processing",
    "throughput",
    "open",
    "closed",
    "documents",
    "vehicles",
)
FLEET_KEYS = ("id", "count", "seats", "at", "available", "countries")
SERVICE_KEYS = (
    "id",
    "from",
    "to",
    "departs",
    "duration",
    "arrives",
    "seats",
    "check_in",
    "documents",
)
GROUP_KEYS = (
    "id",
    "at",
    "destination",
    "ready",
    "priority",
    "documents",
    "own_vehicle",
    "members",
    "size",
    "count",
)
MEMBER_KEYS = ("name", "seats", "documents")
WINDOW_KEYS = ("from", "to")

DEFAULT_STEP = timedelta(minutes=15)
DEFAULT_CHECK_IN = timedelta(minutes=60)

_COUNTRY = re.compile(r"[A-Z]{2}")
_NUMBERED = re.compile(r"(.+)-([1-9][0-9]*)")
# Stand-ins while the start or the time zone could not be read, so that other times are
# still checked for their form; no scenario is built then.
_STAND_IN_START = datetime(2000, 1, 1, tzinfo=UTC)

T = TypeVar("T")


# --------------------------------------------------------------------------- entry points


def parse_scenario(text: str | bytes, source: str = "<scenario>") -> Scenario:
    """Check and resolve a scenario written as in SCENARIO.md.

    Pure: reads no file. Every problem found is reported, not just the first.

    Args:
        text: the YAML text, or its bytes in UTF-8.
        source: the file name to put in problems and in `Scenario.source`.

    Returns:
        The resolved :class:`Scenario`. Its times are aware datetimes with the fixed UTC
        offset of `scenario.start`, so that adding and subtracting them is exact across
        daylight-saving changes; local clocks are in `Location.timezone`.

    Raises:
        ScenarioError: with every :class:`Problem` found (1-based line and column of the
            key or value at fault).

    Example:
        >>> s = parse_scenario('''
        ... scenario: {name: demo, start: 2013-10-03T06:00+02:00, horizon: 72h}
        ... locations:
        ...   embassy: {country: LY, danger: true}
        ...   djerba: {country: TN}
        ... roads:
        ...   - {from: embassy, to: djerba, duration: 5h}
        ... fleet:
        ...   - {id: bus, count: 2, seats: 45, at: embassy}
        ... groups:
        ...   - {id: FAM, count: 12, size: 3, at: embassy, destination: djerba}
        ... ''')
        >>> s.people, s.groups[0].id, s.vehicles[-1].id, s.end.isoformat()
        (36, 'FAM-01', 'bus-2', '2013-10-06T06:00:00+02:00')
    """
    with _gc_paused():
        decoded = _decode(text, source)
        if len(decoded) > MAX_FILE_BYTES:
            raise ScenarioError([_too_large(source, len(decoded))])
        root, problems = compose_tree(decoded, source)
        if root is None:
            raise ScenarioError(
                [
                    Problem(
                        source,
                        1,
                        1,
                        "the file is empty: a scenario needs at least `scenario:` and `locations:`",
                    )
                ]
            )
        reader = _Reader(source, problems)
        scenario = reader.read(root)
        scenario = reader.read_variants(root, scenario)
        scenario = reader.read_uncertainty(root, scenario)
        if reader.problems:
            raise ScenarioError(reader.problems)
        assert scenario is not None
        log.debug(
            "read %s: %d places, %d groups, %d people",
            source,
            len(scenario.locations),
            len(scenario.groups),
            scenario.people,
        )
        return scenario


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read the scenario file at `path`; see :func:`parse_scenario`.

    Raises:
        ScenarioError: the file is missing, a directory, unreadable, too large, not UTF-8
            text, or breaks SCENARIO.md.

    Example:
        >>> read_scenario("no/such/file.yaml")
        Traceback (most recent call last):
        ...
        planner.errors.ScenarioError: no/such/file.yaml:0:0: no such file
    """
    source = os.fspath(path)
    file = Path(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(source, 0, 0, message)])

    try:
        if file.is_dir():
            raise fail("this is a directory, not a scenario file")
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([_too_large(source, size)])
        data = file.read_bytes()
    except FileNotFoundError:
        raise fail("no such file") from None
    except PermissionError:
        raise fail("the file cannot be read: permission denied") from None
    except OSError as error:
        raise fail(f"the file cannot be read: {error.strerror or error}") from None
    return parse_scenario(data, source)


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Reading makes many small objects that all live on; the cyclic collector would walk
    # them again and again and make reading a large file several times slower.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _too_large(source: str, size: int) -> Problem:
    return Problem(
        source,
        0,
        0,
        f"the file is {size / 2**20:.1f} MB; the planner reads scenarios of at most "
        f"{MAX_FILE_BYTES // 2**20} MB",
    )


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    data = bytes(text)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem(source, 1, 1, "the file is UTF-16 text; save it as UTF-8")])
    if b"\x00" in data[:8192]:
        raise ScenarioError(
            [Problem(source, 1, 1, "this is not a text file; a scenario is YAML text in UTF-8")]
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise ScenarioError(
            [
                Problem(
                    source,
                    line,
                    column,
                    f"the byte 0x{data[error.start]:02x} is not UTF-8: save the file as UTF-8 text",
                )
            ]
        ) from None


# --------------------------------------------------------------------------- helpers


def _shown(node: Node) -> str:
    """What a value looks like in a message."""
    if isinstance(node, Seq):
        return "a list"
    if isinstance(node, Map):
        return "a mapping"
    assert isinstance(node, Scalar)
    value = node.value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = node.text if len(node.text) <= 60 else node.text[:57] + "..."
    if isinstance(value, str):
        return f"`{text}`"
    return text


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lower = {o.lower(): o for o in options}
        if word.lower() in lower:
            close = [lower[word.lower()]]
    return f" — did you mean `{close[0]}`?" if close else ""


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _load_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


class _Fields:
    """A mapping being read as an entry with known keys: unknown keys are reported at once,
    and :meth:`get` hands out the values, treating a null like an absent key."""

    __slots__ = ("reader", "node", "label")

    def __init__(
        self, reader: _Reader, node: Map, label: str, allowed: Sequence[str], noun: str = "key"
    ):
        self.reader = reader
        self.node = node
        self.label = label
        for name, (key, _) in node.entries.items():
            if name not in allowed:
                hint = _did_you_mean(name, allowed) or f" (known {noun}s: {', '.join(allowed)})"
                where = f"{label}: " if label else ""
                reader.error(key, f"{where}unknown {noun} `{name}`{hint}")

    def get(self, key: str) -> Node | None:
        entry = self.node.entries.get(key)
        if entry is None:
            return None
        value = entry[1]
        if isinstance(value, Scalar) and value.value is None and not value.bad:
            return None
        return value

    def what(self, key: str) -> str:
        return f"{self.label}: `{key}`"

    def required(self, key: str) -> Node | None:
        value = self.get(key)
        if value is None:
            entry = self.node.entries.get(key)
            at = entry[1] if entry is not None else self.node
            self.reader.error(at, f"{self.label}: `{key}` is required")
        return value


# --------------------------------------------------------------------------- the reader


class _Reader:
    """Reads the sections of one file, collecting problems as it goes."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        self.start: datetime | None = None
        self.tz: tzinfo | None = None
        self.tz_name = ""
        self.fixed: tzinfo = UTC
        self.places: dict[str, Location | None] = {}
        self.people = 0
        self.group_count = 0
        self.failures = 0
        """Values that could not be read, reported here or before (bad tags)."""
        self.places_known = False
        self._place_hints: dict[str, str] = {}
        # Large files repeat the same few times and durations (`ready: +2h`) many times.
        self._durations: dict[str, timedelta | str] = {}
        self._times: dict[str, datetime | str] = {}

    # -- reporting

    def error(self, at: Node, message: str) -> None:
        self.failures += 1
        self.problems.append(Problem(self.source, at.line, at.column, message))

    def fields(self, node: Node, label: str, allowed: Sequence[str], like: str) -> _Fields | None:
        if isinstance(node, Map):
            return _Fields(self, node, label, allowed)
        if isinstance(node, Scalar) and node.value is None and not node.bad:
            return _Fields(self, Map({}, node.line, node.column), label, allowed)
        self.fail(node, f"{label} must be a mapping like {like}, got {_shown(node)}")
        return None

    def fail(self, node: Node, message: str) -> None:
        """Report a bad value, unless a problem with it was reported already (a bad tag)."""
        if isinstance(node, Scalar) and node.bad:
            self.failures += 1
        else:
            self.error(node, message)

    # -- plain values

    def text(self, node: Node, what: str) -> str | None:
        """Text, or a number taken as written (an id like `101`)."""
        if isinstance(node, Scalar):
            value = node.value
            if isinstance(value, str):
                if value.strip():
                    return value
                self.fail(node, f"{what} must not be empty")
                return None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return node.text
        self.fail(node, f"{what} must be text, got {_shown(node)}")
        return None

    def whole(
        self, node: Node, what: str, minimum: int = 1, maximum: int | None = None
    ) -> int | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            if maximum is not None and value > maximum:
                self.fail(
                    node,
                    f"{what} of {value} is more than the planner takes (at most {maximum:,})",
                )
                return None
            return value
        least = "greater than 0" if minimum == 1 else f"of at least {minimum}"
        self.fail(node, f"{what} must be a whole number {least}, got {_shown(node)}")
        return None

    def number(self, node: Node, what: str, low: float, high: float) -> float | None:
        value = node.value if isinstance(node, Scalar) else None
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and low <= value <= high
        ):
            return float(value)
        above = f"a number from {low:g} to {high:g}" if high < math.inf else f"a number >= {low:g}"
        self.fail(node, f"{what} must be {above}, got {_shown(node)}")
        return None

    def boolean(self, node: Node, what: str) -> bool | None:
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return node.value
        self.fail(node, f"{what}: expected true or false, got {_shown(node)}")
        return None

    def choice(self, node: Node, what: str, options: Sequence[str]) -> str | None:
        value = self.text(node, what)
        if value is None:
            return None
        if value not in options:
            hint = _did_you_mean(value, options)
            self.error(node, f"{what} must be one of {', '.join(options)}, got `{value}`{hint}")
            return None
        return value

    def texts(self, node: Node, what: str, *, non_empty: bool, leave_out: str = "") -> list[str]:
        """A list of texts; a single text stands for a list of one. Bad entries are left out
        (and reported)."""
        if isinstance(node, Seq):
            if non_empty and not node.items:
                self.error(node, f"{what}: list at least one{leave_out}")
                return []
            out = []
            for i, item in enumerate(node.items, 1):
                value = self.text(item, f"{what} entry {i}")
                if value is not None:
                    out.append(value)
            return out
        value = self.text(node, f"{what}")
        return [] if value is None else [value]

    def items(self, node: Node) -> list[Node]:
        """The entries of a list (a single value stands for a list of one)."""
        return node.items if isinstance(node, Seq) else [node]

    # -- units

    def duration(self, node: Node, what: str, *, positive: bool) -> timedelta | None:
        if isinstance(node, Scalar) and not node.bad:
            if isinstance(node.value, str | int | float) and not isinstance(node.value, bool):
                value = self._durations.get(node.text)
                if value is None:
                    try:
                        value = units.parse_duration(node.text)
                    except ValueError as error:
                        value = str(error)
                    self._durations[node.text] = value
                if isinstance(value, str):
                    self.error(node, f"{what}: {value}")
                    return None
                if positive and value <= timedelta(0):
                    self.error(node, f"{what} must be longer than 0, got {_shown(node)}")
                    return None
                return value
        self.fail(node, f"{what} must be a duration like 45m or 3h, got {_shown(node)}")
        return None

    def time(self, node: Node, what: str) -> datetime | None:
        if isinstance(node, Scalar) and not node.bad:
            if isinstance(node.value, str | int | float) and not isinstance(node.value, bool):
                moment = self._times.get(node.text)
                if moment is None:
                    start = self.start or _STAND_IN_START
                    try:
                        moment = units.parse_time(node.text, start, self.tz or UTC)
                        moment = moment.astimezone(self.fixed)
                    except ValueError as error:
                        moment = str(error)
                    self._times[node.text] = moment
                if isinstance(moment, str):
                    self.error(node, f"{what}: {moment}")
                    return None
                return moment
        self.fail(node, f"{what} must be a time like 2013-10-03T06:00 or +36h, got {_shown(node)}")
        return None

    def zone(self, node: Node, what: str) -> tuple[tzinfo, str] | None:
        name = self.text(node, what)
        if name is None:
            return None
        zone = _load_zone(name)
        if zone is None:
            hint = _did_you_mean(name, _zone_names())
            self.error(node, f"{what}: unknown time zone `{name}`{hint} (use an IANA name)")
            return None
        return zone, name

    def place(self, node: Node, what: str) -> str | None:
        name = self.text(node, what)
        if name is None or not self.places_known or name in self.places:
            return name
        hint = self._place_hints.get(name)
        if hint is None:
            hint = self._place_hints[name] = _did_you_mean(name, list(self.places))
        self.error(node, f"{what}: unknown place `{name}`{hint}")
        return None

    def window(self, node: Node, what: str, *, daily: bool, absolute: bool) -> Window | None:
        if isinstance(node, Scalar) and isinstance(node.value, str):
            if not daily:
                self.error(node, f"{what} must be a window like {{from: +10h, to: +22h}}")
                return None
            try:
                return units.parse_daily_window(node.value)
            except ValueError as error:
                self.error(node, f"{what}: {error}")
                return None
        if isinstance(node, Map) and absolute:
            fields = _Fields(self, node, what, WINDOW_KEYS)
            start_node, end_node = fields.required("from"), fields.required("to")
            start = self.time(start_node, fields.what("from")) if start_node else None
            end = self.time(end_node, fields.what("to")) if end_node else None
            if start is None or end is None:
                return None
            try:
                return units.parse_absolute_window(start, end)
            except ValueError as error:
                assert end_node is not None
                self.error(end_node, f"{what}: {error}")
                return None
        like = "`07:00-19:00`" if daily else ""
        if absolute:
            like = f"{like} or {{from: +10h, to: +22h}}" if like else "{from: +10h, to: +22h}"
        if isinstance(node, Scalar) and isinstance(node.value, int | float):
            self.fail(
                node, f"{what}: `{node.text}` is not a window; write HH:MM-HH:MM, e.g. 07:00-19:00"
            )
            return None
        self.fail(node, f"{what} must be a window like {like}, got {_shown(node)}")
        return None

    def windows(
        self, node: Node, what: str, *, daily: bool, absolute: bool
    ) -> tuple[Window, ...] | None:
        nodes = self.items(node)
        if not nodes:
            return ()
        out = []
        bad = False
        for i, item in enumerate(nodes, 1):
            label = f"{what} entry {i}" if isinstance(node, Seq) else what
            window = self.window(item, label, daily=daily, absolute=absolute)
            if window is None:
                bad = True
            else:
                out.append(window)
        return None if bad else tuple(out)

    # -- sections

    def read(self, root: Node) -> Scenario | None:
        if not isinstance(root, Map):
            what = "a list" if isinstance(root, Seq) else _shown(root)
            self.fail(
                root,
                f"the file must be a mapping of sections (`scenario:`, `locations:`, ...), "
                f"not {what}",
            )
            return None
        top = _Fields(self, root, "", SECTIONS, noun="section")
        for key in ("scenario", "locations"):
            if key not in root.entries:
                self.error(root, f"{key}: required")
        head = self.read_head(top.get("scenario"), root)
        objective = self.read_objective(top.get("objective"))
        weights = self.read_weights(top.get("priority_weights"))
        locations = self.read_locations(top.get("locations"), root)
        roads = self.read_list(top.get("roads"), "roads", self.read_road)
        crossings = self.read_list(top.get("crossings"), "crossings", self.read_crossing)
        fleet = self.read_list(top.get("fleet"), "fleet", self.read_fleet)
        flights = self.read_list(
            top.get("flights"), "flights", lambda n, label, i: self.read_service(n, label, "flight")
        )
        sailings = self.read_list(
            top.get("sailings"),
            "sailings",
            lambda n, label, i: self.read_service(n, label, "sailing"),
        )
        self.check_carrier_ids(top)
        groups = self.read_groups(top.get("groups"))
        if self.problems or head is None:
            return None
        name, horizon, step = head
        assert self.start is not None and self.tz is not None
        return Scenario(
            name=name,
            start=self.start,
            timezone=self.tz,
            timezone_name=self.tz_name,
            horizon=horizon,
            step=step,
            objective=objective,
            priority_weights=weights,
            locations=locations,
            roads=tuple(cast(list[Road], roads)),
            crossings=tuple(cast(list[Crossing], crossings)),
            fleet=tuple(cast(list[FleetKind], fleet)),
            flights=tuple(cast(list[Service], flights)),
            sailings=tuple(cast(list[Service], sailings)),
            groups=tuple(groups),
            source=self.source,
        )

    def read_head(self, node: Node | None, root: Map) -> tuple[str, timedelta, timedelta] | None:
        if node is None:
            if "scenario" in root.entries:
                self.error(root.entries["scenario"][1], "scenario: required")
            return None
        fields = self.fields(
            node, "scenario", SCENARIO_KEYS, "{name: ..., start: ..., horizon: 72h}"
        )
        if fields is None:
            return None
        name_node = fields.required("name")
        name = self.text(name_node, fields.what("name")) if name_node else None
        zone_node = fields.get("timezone")
        zone = self.zone(zone_node, fields.what("timezone")) if zone_node else None
        if zone is not None:
            self.tz, self.tz_name = zone
        start_node = fields.required("start")
        start = None
        if start_node is not None:
            if isinstance(start_node, Scalar) and isinstance(start_node.value, str):
                try:
                    # With a time zone that could not be read, check only the form.
                    tz = self.tz or (UTC if zone_node is not None else None)
                    start = units.parse_time(start_node.value, None, tz)
                except ValueError as error:
                    self.error(start_node, f"scenario: `start`: {error}")
            else:
                self.fail(
                    start_node,
                    f"scenario: `start` must be a date and time like 2013-10-03T06:00+02:00, "
                    f"got {_shown(start_node)}",
                )
        if start is not None:
            offset = start.utcoffset()
            assert offset is not None
            self.fixed = timezone(offset)
            self.start = start.astimezone(self.fixed)
            if zone_node is None:
                self.tz = self.fixed
                self.tz_name = str(self.fixed)
        horizon_node = fields.required("horizon")
        horizon = (
            self.duration(horizon_node, fields.what("horizon"), positive=True)
            if horizon_node
            else None
        )
        step_node = fields.get("step")
        step = (
            self.duration(step_node, fields.what("step"), positive=True)
            if step_node
            else DEFAULT_STEP
        )
        if name is None or self.start is None or horizon is None or step is None:
            return None
        if self.tz is None:
            return None
        return name, horizon, step

    def read_objective(self, node: Node | None) -> tuple[str, ...]:
        if node is None:
            return DEFAULT_OBJECTIVE
        items = self.items(node)
        if not items:
            self.error(node, "objective: list at least one objective, or leave it out")
        names: list[str] = []
        for i, item in enumerate(items, 1):
            what = f"objective entry {i}" if isinstance(node, Seq) else "objective"
            name = self.text(item, what)
            if name is None:
                continue
            if name not in OBJECTIVES:
                hint = _did_you_mean(name, OBJECTIVES)
                self.error(
                    item, f"{what}: unknown objective `{name}`{hint} (use {', '.join(OBJECTIVES)})"
                )
            elif name in names:
                self.error(item, f"{what}: `{name}` is listed twice")
            else:
                names.append(name)
        return tuple(names)

    def read_weights(self, node: Node | None) -> dict[str, float]:
        weights = dict(DEFAULT_PRIORITY_WEIGHTS)
        if node is None:
            return weights
        fields = self.fields(node, "priority_weights", PRIORITIES, "{critical: 10, high: 3}")
        if fields is None:
            return weights
        for key in PRIORITIES:
            value_node = fields.get(key)
            if value_node is not None:
                value = self.number(value_node, fields.what(key), 0, math.inf)
                if value is not None:
                    weights[key] = value
        return weights

    def read_locations(self, node: Node | None, root: Map) -> dict[str, Location]:
        if node is None:
            if "locations" in root.entries:
                self.error(root.entries["locations"][1], "locations: required")
            return {}
        if not isinstance(node, Map):
            self.fail(
                node,
                "locations must be a mapping of place id to place, like "
                f"`embassy: {{country: LY}}`, got {_shown(node)}",
            )
            return {}
        if not node.entries:
            self.error(node, "locations: list at least one place")
        self.places_known = True
        locations: dict[str, Location] = {}
        for place_id, (key, value) in node.entries.items():
            label = f"location `{place_id}`"
            if not place_id.strip():
                self.error(key, "locations: a place id must not be empty")
            location = self.read_location(place_id, value, label)
            # Known even when broken, so that references to it are not reported as well.
            self.places[place_id] = location
            if location is not None:
                locations[place_id] = location
        return locations

    def read_location(self, place_id: str, node: Node, label: str) -> Location | None:
        fields = self.fields(node, label, LOCATION_KEYS, "{country: LY}")
        if fields is None:
            return None
        before = self.failures
        get, what = fields.get, fields.what
        n = get("name")
        name = self.text(n, what("name")) if n else place_id
        n = get("kind")
        kind = self.choice(n, what("kind"), LOCATION_KINDS) if n else None
        n = fields.required("country")
        country = self.country(n, what("country")) if n else None
        n = get("lat")
        lat = self.number(n, what("lat"), -90, 90) if n else None
        n = get("lon")
        lon = self.number(n, what("lon"), -180, 180) if n else None
        n = get("timezone")
        zone = self.zone(n, what("timezone")) if n else None
        n = get("danger")
        danger = self.boolean(n, what("danger")) if n else False
        n = get("transfer")
        transfer = self.duration(n, what("transfer"), positive=False) if n else timedelta(0)
        n = get("capacity")
        capacity = self.whole(n, what("capacity")) if n else None
        if self.failures > before or self.tz is None:
            return None
        tz, tz_name = zone if zone is not None else (self.tz, self.tz_name)
        assert name is not None and country is not None
        assert danger is not None and transfer is not None
        return Location(
            id=place_id,
            name=name,
            kind=kind,
            country=country,
            lat=lat,
            lon=lon,
            timezone=tz,
            timezone_name=tz_name,
            danger=danger,
            transfer=transfer,
            capacity=capacity,
        )

    def country(self, node: Node, what: str) -> str | None:
        if (
            isinstance(node, Scalar)
            and isinstance(node.value, str)
            and _COUNTRY.fullmatch(node.value)
        ):
            return node.value
        self.fail(
            node,
            f"{what} must be an ISO 3166-1 alpha-2 code of two capital letters, like LY or NO, "
            f"got {_shown(node)}",
        )
        return None

    def read_list(
        self,
        node: Node | None,
        section: str,
        read_entry: Callable[[Node, str, int], object | None],
    ) -> list[object]:
        if node is None:
            return []
        if not isinstance(node, Seq):
            self.fail(node, f"{section} must be a list, got {_shown(node)}")
            return []
        out = []
        for i, item in enumerate(node.items, 1):
            entry = read_entry(item, f"{section} entry {i}", i - 1)
            if entry is not None:
                out.append(entry)
        return out

    def read_road(self, node: Node, label: str, index: int) -> Road | None:
        fields = self.fields(node, label, ROAD_KEYS, "{from: a, to: b, duration: 3h}")
        if fields is None:
            return None
        ends = self.ends(fields)
        duration_node = fields.required("duration")
        duration = (
            self.duration(duration_node, fields.what("duration"), positive=True)
            if duration_node
            else None
        )
        n = fields.get("both_ways")
        both_ways = self.boolean(n, fields.what("both_ways")) if n else True
        n = fields.get("closed")
        closed = self.windows(n, fields.what("closed"), daily=True, absolute=True) if n else ()
        if ends is None or duration is None or both_ways is None or closed is None:
            return None
        return Road(
            from_=ends[0],
            to=ends[1],
            duration=duration,
            both_ways=both_ways,
            closed=closed,
            index=index,
        )

    def ends(self, fields: _Fields) -> tuple[str, str] | None:
        """`from` and `to`: two different places."""
        from_node, to_node = fields.required("from"), fields.required("to")
        start = self.place(from_node, fields.what("from")) if from_node else None
        end = self.place(to_node, fields.what("to")) if to_node else None
        if start is None or end is None:
            return None
        if start == end:
            assert to_node is not None
            self.error(to_node, f"{fields.label}: `from` and `to` are the same place `{end}`")
            return None
        return start, end

    def documents(self, fields: _Fields, *, any_if_absent: bool) -> frozenset[str] | None:
        node = fields.get("documents")
        if node is None:
            return None if any_if_absent else frozenset()
        leave_out = " document, or leave `documents` out to accept any" if any_if_absent else ""
        return frozenset(
            self.texts(node, fields.what("documents"), non_empty=any_if_absent, leave_out=leave_out)
        )

    def read_crossing(self, node: Node, label: str, index: int) -> Crossing | None:
        fields = self.fields(
            node, label, CROSSING_KEYS, "{id: ..., from: a, to: b, processing: 1h}"
        )
        if fields is None:
            return None
        before = self.failures
        crossing_id = self.carrier_id(fields)
        ends = self.ends(fields)
        n = fields.required("processing")
        processing = self.duration(n, fields.what("processing"), positive=False) if n else None
        n = fields.get("throughput")
        throughput = self.whole(n, fields.what("throughput")) if n else None
        n = fields.get("open")
        opened: tuple[Window, ...] | None = ()
        if n is not None:
            if isinstance(n, Seq) and not n.items:
                self.error(
                    n,
                    f"{fields.what('open')}: list at least one window, or leave `open` out "
                    "for all day",
                )
            else:
                opened = self.windows(n, fields.what("open"), daily=True, absolute=False)
        n = fields.get("closed")
        closed = self.windows(n, fields.what("closed"), daily=True, absolute=True) if n else ()
        documents = self.documents(fields, any_if_absent=True)
        n = fields.get("vehicles")
        vehicles = self.boolean(n, fields.what("vehicles")) if n else True
        if self.failures > before:
            return None
        assert crossing_id and ends and processing is not None and vehicles is not None
        assert closed is not None
        return Crossing(
            id=crossing_id,
            from_=ends[0],
            to=ends[1],
            processing=processing,
            throughput=throughput,
            open=cast(tuple[DailyWindow, ...], opened),
            closed=closed,
            documents=documents,
            vehicles=vehicles,
        )

    def carrier_id(self, fields: _Fields) -> str | None:
        n = fields.required("id")
        return self.text(n, fields.what("id")) if n else None

    def read_fleet(self, node: Node, label: str, index: int) -> FleetKind | None:
        fields = self.fields(node, label, FLEET_KEYS, "{id: bus, seats: 45, at: embassy}")
        if fields is None:
            return None
        before = self.failures
        fleet_id = self.carrier_id(fields)
        n = fields.get("count")
        count = self.whole(n, fields.what("count"), maximum=MAX_COUNT) if n else 1
        n = fields.required("seats")
        seats = self.whole(n, fields.what("seats")) if n else None
        n = fields.required("at")
        at = self.place(n, fields.what("at")) if n else None
        n = fields.get("available")
        available = self.time(n, fields.what("available")) if n else self.start
        n = fields.get("countries")
        countries = None
        if n is not None:
            codes = []
            nodes = self.items(n)
            if isinstance(n, Seq) and not nodes:
                self.error(
                    n,
                    f"{fields.what('countries')}: list at least one country, or leave "
                    "`countries` out for any",
                )
            for i, item in enumerate(nodes, 1):
                what = fields.what("countries") + (f" entry {i}" if isinstance(n, Seq) else "")
                code = self.country(item, what)
                if code is not None:
                    codes.append(code)
            countries = frozenset(codes)
            place = self.places.get(at) if at is not None else None
            if place is not None and codes and place.country not in countries:
                at_node = fields.get("at")
                assert at_node is not None
                self.error(
                    at_node,
                    f"{label}: `at` place `{at}` is in {place.country}, outside its `countries` "
                    f"({', '.join(sorted(countries))}), so its vehicles could never drive",
                )
        if self.failures > before or available is None:
            return None
        assert fleet_id and count and seats and at
        return FleetKind(
            id=fleet_id,
            count=count,
            seats=seats,
            at=at,
            available=available,
            countries=countries,
        )

    def read_service(self, node: Node, label: str, kind: ServiceKind) -> Service | None:
        fields = self.fields(
            node, label, SERVICE_KEYS, "{id: ..., from: a, to: b, departs: ..., duration: 5h}"
        )
        if fields is None:
            return None
        before = self.failures
        service_id = self.carrier_id(fields)
        ends = self.ends(fields)
        n = fields.required("departs")
        departs = self.time(n, fields.what("departs")) if n else None
        duration_node, arrives_node = fields.get("duration"), fields.get("arrives")
        arrives = None
        if duration_node is not None and arrives_node is not None:
            later = max(duration_node, arrives_node, key=lambda x: (x.line, x.column))
            self.error(later, f"{label}: give `duration` or `arrives`, not both")
        elif duration_node is not None:
            duration = self.duration(duration_node, fields.what("duration"), positive=True)
            if duration is not None and departs is not None:
                arrives = units.add(departs, duration)
        elif arrives_node is not None:
            arrives = self.time(arrives_node, fields.what("arrives"))
            if arrives is not None and departs is not None and arrives <= departs:
                self.error(
                    arrives_node,
                    f"{label}: `arrives` must be after `departs` (it departs "
                    f"{departs.isoformat(timespec='minutes')} and arrives "
                    f"{arrives.isoformat(timespec='minutes')})",
                )
        else:
            self.error(fields.node, f"{label}: `duration` or `arrives` is required")
        n = fields.required("seats")
        seats = self.whole(n, fields.what("seats")) if n else None
        n = fields.get("check_in")
        check_in = (
            self.duration(n, fields.what("check_in"), positive=False) if n else DEFAULT_CHECK_IN
        )
        documents = self.documents(fields, any_if_absent=True)
        if self.failures > before or arrives is None:
            return None
        assert service_id and ends and departs and seats and check_in is not None
        return Service(
            id=service_id,
            kind=kind,
            from_=ends[0],
            to=ends[1],
            departs=departs,
            arrives=arrives.astimezone(self.fixed),
            seats=seats,
            check_in=check_in,
            documents=documents,
        )

    def check_carrier_ids(self, top: _Fields) -> None:
        """Fleet ids, vehicle names, crossing, flight and sailing ids: all different."""
        found: list[tuple[int, int, str, Scalar, str, int]] = []
        for section in ("crossings", "fleet", "flights", "sailings"):
            node = top.get(section)
            if not isinstance(node, Seq):
                continue
            for i, item in enumerate(node.items, 1):
                if not isinstance(item, Map) or "id" not in item.entries:
                    continue
                id_node = item.entries["id"][1]
                if not isinstance(id_node, Scalar) or id_node.value is None or id_node.bad:
                    continue
                value = id_node.value
                if isinstance(value, bool) or not str(value).strip():
                    continue
                count = 0
                if section == "fleet":
                    count = 1
                    count_entry = item.entries.get("count")
                    if count_entry is not None:
                        count_value = count_entry[1]
                        if isinstance(count_value, Scalar) and isinstance(count_value.value, int):
                            count = count_value.value
                label = f"{section} entry {i}"
                found.append((id_node.line, id_node.column, id_node.text, id_node, label, count))
        found.sort(key=lambda f: (f[0], f[1]))
        taken: dict[str, tuple[str, int]] = {}
        fleets: dict[str, tuple[int, str, int]] = {}
        numbered: dict[str, list[tuple[int, str, str, int]]] = {}
        for line, _, name, node, label, count in found:
            first = taken.get(name)
            if first is not None:
                self.error(
                    node, f"{label}: id `{name}` is already used by {first[0]} on line {first[1]}"
                )
                continue
            match = _NUMBERED.fullmatch(name)
            if match:
                owner = fleets.get(match.group(1))
                number = int(match.group(2))
                if owner is not None and number <= owner[0]:
                    self.error(
                        node,
                        f"{label}: id `{name}` is also the name of a vehicle of fleet "
                        f"`{match.group(1)}` ({owner[1]} on line {owner[2]})",
                    )
                    continue
                numbered.setdefault(match.group(1), []).append((number, name, label, line))
            if count:
                for number, other, other_label, other_line in numbered.get(name, []):
                    if number <= count:
                        self.error(
                            node,
                            f"{label}: its vehicle `{other}` has the id of {other_label} "
                            f"on line {other_line}",
                        )
                        break
                fleets[name] = (count, label, line)
            taken[name] = (label, line)

    def read_groups(self, node: Node | None) -> list[Group]:
        if node is None:
            return []
        if not isinstance(node, Seq):
            self.fail(node, f"groups must be a list, got {_shown(node)}")
            return []
        groups: list[Group] = []
        taken: dict[str, tuple[int, str]] = {}
        for i, item in enumerate(node.items, 1):
            if not self.read_group(item, f"groups entry {i}", groups, taken):
                break
        return groups

    def read_group(
        self, node: Node, label: str, groups: list[Group], taken: dict[str, tuple[int, str]]
    ) -> bool:
        """Read one entry, adding its groups; False when the scenario became too large."""
        fields = self.fields(
            node, label, GROUP_KEYS, "{id: F001, at: embassy, destination: airport, size: 3}"
        )
        if fields is None:
            return True
        before = self.failures
        get, what = fields.get, fields.what
        id_node = fields.required("id")
        group_id = self.text(id_node, what("id")) if id_node else None
        n = fields.required("at")
        at = self.place(n, what("at")) if n else None
        destinations = self.destinations(fields)
        n = get("ready")
        ready = self.time(n, what("ready")) if n else self.start
        n = get("priority")
        priority = self.choice(n, what("priority"), PRIORITIES) if n else "normal"
        group_documents = self.documents(fields, any_if_absent=False) or frozenset()
        n = get("own_vehicle")
        own_vehicle = self.boolean(n, what("own_vehicle")) if n else False
        members = self.members(fields, group_documents)
        count_node = get("count")
        count = None
        if count_node is not None:
            count = self.whole(count_node, what("count"), maximum=MAX_COUNT)
            if count is None:
                return True
        copies = count or 1
        if members is not None:
            people = len(members) * copies
            if self.people + people > MAX_PEOPLE or self.group_count + copies > MAX_GROUPS:
                self.error(
                    count_node or fields.node,
                    f"{label}: with it the scenario has more than {MAX_PEOPLE:,} people or "
                    f"{MAX_GROUPS:,} groups, more than the planner takes",
                )
                return False
            self.people += people
        self.group_count += copies
        if group_id is None or id_node is None:
            return True
        if count is None:
            ids = [group_id]
            origin = ""
        else:
            width = len(str(count))
            ids = [f"{group_id}-{k:0{width}d}" for k in range(1, count + 1)]
            origin = f" (a copy made by `count: {count}` of `{group_id}`)"
        for one in ids:
            first = taken.get(one)
            if first is not None:
                self.error(
                    id_node,
                    f"{label}: group id `{one}`{origin} is already used by the group on "
                    f"line {first[0]}{first[1]}",
                )
                return True
            taken[one] = (id_node.line, origin)
        if self.failures > before or ready is None:
            return True
        assert at and destinations and priority and members and own_vehicle is not None
        for one in ids:
            groups.append(
                Group(
                    id=one,
                    at=at,
                    destinations=destinations,
                    ready=ready,
                    priority=cast(Priority, priority),
                    own_vehicle=own_vehicle,
                    members=members,
                )
            )
        return True

    def destinations(self, fields: _Fields) -> tuple[str, ...] | None:
        node = fields.required("destination")
        if node is None:
            return None
        what = fields.what("destination")
        if isinstance(node, Seq):
            if not node.items:
                self.error(node, f"{what}: list at least one place")
                return None
            out: list[str] = []
            ok = True
            for i, item in enumerate(node.items, 1):
                place = self.place(item, f"{what} entry {i}")
                if place is None:
                    ok = False
                elif place in out:
                    self.error(item, f"{what}: `{place}` is listed twice")
                    ok = False
                else:
                    out.append(place)
            return tuple(out) if ok else None
        place = self.place(node, what)
        return None if place is None else (place,)

    def members(
        self, fields: _Fields, group_documents: frozenset[str]
    ) -> tuple[Member, ...] | None:
        members_node, size_node = fields.get("members"), fields.get("size")
        label = fields.label
        if members_node is not None and size_node is not None:
            later = max(members_node, size_node, key=lambda x: (x.line, x.column))
            self.error(later, f"{label}: give `members` or `size`, not both")
            return None
        if size_node is not None:
            size = self.whole(size_node, fields.what("size"), maximum=MAX_COUNT)
            if size is None:
                return None
            return (Member(name=None, seats=1, documents=group_documents),) * size
        if members_node is None:
            self.error(fields.node, f"{label}: `members` or `size` is required")
            return None
        if not isinstance(members_node, Seq):
            self.fail(
                members_node, f"{fields.what('members')} must be a list, got {_shown(members_node)}"
            )
            return None
        if not members_node.items:
            self.error(members_node, f"{fields.what('members')}: list at least one member")
            return None
        out: list[Member] = []
        ok = True
        for j, item in enumerate(members_node.items, 1):
            member = self.member(item, f"{label} member {j}", group_documents)
            if member is None:
                ok = False
            else:
                out.append(member)
        return tuple(out) if ok else None

    def member(self, node: Node, label: str, group_documents: frozenset[str]) -> Member | None:
        fields = self.fields(node, label, MEMBER_KEYS, "{name: Anna, seats: 1}")
        if fields is None:
            return None
        before = self.failures
        n = fields.get("name")
        name = self.text(n, fields.what("name")) if n else None
        n = fields.get("seats")
        seats = self.whole(n, fields.what("seats")) if n else 1
        own = self.documents(fields, any_if_absent=False) or frozenset()
        if self.failures > before:
            return None
        assert seats is not None
        return Member(name=name, seats=seats, documents=own or group_documents)

    # -- uncertainty (`uncertainty:`): defaults and overrides, see planner.robustness

    def read_uncertainty(self, root: Node, base: Scenario | None) -> Scenario | None:
        """`uncertainty:`: spreads and chances as fractions, the section's defaults filled in
        for every road, crossing, flight and sailing of the base; the base with it. Its ids
        refer to the rest of the file, so it is read once the rest is good."""
        from dataclasses import replace

        from planner.scenario import CrossingUncertainty, Uncertainty

        entry = root.entries.get("uncertainty") if isinstance(root, Map) else None
        if entry is None or base is None:
            return base
        top = self.fields(
            entry[1],
            "uncertainty",
            ("roads", "crossings", "flights", "sailings", "no_show"),
            "{roads: {spread: 20%}, no_show: 2%}",
        )
        if top is None:
            return None
        before = self.failures

        # roads: {spread: 20%, FROM->TO: {spread: 50%}}
        road_spread = 0.0
        spreads = {road.index: 0.0 for road in base.roads}
        node = top.get("roads")
        if node is not None and isinstance(node, Map):
            n = node.entries.get("spread")
            if n is not None:
                road_spread = self.percent(n[1], "uncertainty: roads: `spread`") or 0.0
                spreads = dict.fromkeys(spreads, road_spread)
            for name, (key, value) in node.entries.items():
                if name == "spread":
                    continue
                roads = self.uncertain_road(key, name, base)
                item = self.fields(
                    value, f"uncertainty: roads: {name}", ("spread",), "{spread: 50%}"
                )
                n2 = item.get("spread") if item is not None else None
                spread = self.percent(n2, f"uncertainty: roads: {name}: `spread`") if n2 else None
                for road in roads:
                    spreads[road.index] = road_spread if spread is None else spread
        elif node is not None:
            self.fail(
                node,
                f"uncertainty: roads must be a mapping like {{spread: 20%}}, got {_shown(node)}",
            )

        # crossings: {processing_spread: 20%, closure: 5%, closed_for: 6h, ID: {...}}
        crossing_keys = ("processing_spread", "closure", "closed_for")

        def crossing_fields(fields: _Fields, start: CrossingUncertainty) -> CrossingUncertainty:
            out = start
            n = fields.get("processing_spread")
            if n is not None:
                out = replace(
                    out,
                    processing_spread=self.percent(n, fields.what("processing_spread")) or 0.0,
                )
            n = fields.get("closure")
            if n is not None:
                out = replace(out, closure=self.percent(n, fields.what("closure")) or 0.0)
            n = fields.get("closed_for")
            if n is not None:
                closed_for = self.duration(n, fields.what("closed_for"), positive=True)
                out = replace(out, closed_for=closed_for or out.closed_for)
            return out

        crossing_default = CrossingUncertainty()
        crossings = {c.id: crossing_default for c in base.crossings}
        node = top.get("crossings")
        if node is not None and isinstance(node, Map):
            defaults = Map(
                {k: v for k, v in node.entries.items() if k in crossing_keys},
                node.line,
                node.column,
            )
            crossing_default = crossing_fields(
                _Fields(self, defaults, "uncertainty: crossings", crossing_keys),
                crossing_default,
            )
            crossings = dict.fromkeys(crossings, crossing_default)
            for name, (key, value) in node.entries.items():
                if name in crossing_keys:
                    continue
                if name not in crossings:
                    hint = _did_you_mean(name, [*crossing_keys, *crossings])
                    self.error(key, f"uncertainty: crossings: unknown crossing `{name}`{hint}")
                    continue
                label = f"uncertainty: crossings: {name}"
                item = self.fields(value, label, crossing_keys, "{closure: 10%}")
                if item is not None:
                    crossings[name] = crossing_fields(item, crossing_default)
        elif node is not None:
            self.fail(
                node,
                "uncertainty: crossings must be a mapping like {closure: 5%}, got " + _shown(node),
            )

        # flights: {cancel: 5%, ID: {cancel: 10%}}; sailings alike
        cancels: dict[str, float] = {}
        default_cancel = {"flights": 0.0, "sailings": 0.0}
        for section, services in (("flights", base.flights), ("sailings", base.sailings)):
            ids = [s.id for s in services]
            node = top.get(section)
            default = 0.0
            overrides: dict[str, float] = {}
            if node is not None and isinstance(node, Map):
                for name, (key, value) in node.entries.items():
                    if name == "cancel":
                        default = self.percent(value, f"uncertainty: {section}: `cancel`") or 0.0
                        continue
                    if name not in ids:
                        other = "sailings" if section == "flights" else "flights"
                        if name in base.service_by_id:
                            hint = f": it is one of the {other}, put it under `{other}:`"
                        else:
                            hint = _did_you_mean(name, ["cancel", *ids])
                        kind = section[:-1]
                        self.error(key, f"uncertainty: {section}: unknown {kind} `{name}`{hint}")
                        continue
                    label = f"uncertainty: {section}: {name}"
                    item = self.fields(value, label, ("cancel",), "{cancel: 10%}")
                    cancel = item.get("cancel") if item is not None else None
                    if cancel is not None:
                        chance = self.percent(cancel, f"{label}: `cancel`")
                        if chance is not None:
                            overrides[name] = chance
            elif node is not None:
                self.fail(
                    node,
                    f"uncertainty: {section} must be a mapping like {{cancel: 5%}}, got "
                    + _shown(node),
                )
            default_cancel[section] = default
            for service_id in ids:
                cancels[service_id] = overrides.get(service_id, default)

        node = top.get("no_show")
        no_show = self.percent(node, "uncertainty: `no_show`") if node is not None else 0.0
        if self.failures > before:
            return None
        return base.replace(
            uncertainty=Uncertainty(
                road_spread=road_spread,
                roads=tuple(spreads[road.index] for road in base.roads),
                crossing_default=crossing_default,
                crossings=crossings,
                flight_cancel=default_cancel["flights"],
                sailing_cancel=default_cancel["sailings"],
                services=cancels,
                no_show=no_show or 0.0,
            )
        )

    def uncertain_road(self, key: Scalar, name: str, base: Scenario) -> list[Road]:
        """The roads named `FROM->TO` (either way on a road both ways); reported if none."""
        ends = name.split("->")
        if len(ends) != 2 or not all(e.strip() for e in ends):
            self.error(
                key,
                f"uncertainty: roads: `{name}` is neither `spread` nor a road written "
                "FROM->TO (like embassy->ras_ajdir_ly)",
            )
            return []
        a, b = (e.strip() for e in ends)
        for place in (a, b):
            if place not in base.locations:
                hint = _did_you_mean(place, list(base.locations))
                self.error(key, f"uncertainty: roads: {name}: unknown place `{place}`{hint}")
                return []
        found = [
            r
            for r in base.roads
            if (r.from_, r.to) == (a, b) or (r.both_ways and (r.from_, r.to) == (b, a))
        ]
        if not found:
            self.error(key, f"uncertainty: roads: no road from {a} to {b} in `roads:`")
        return found

    def percent(self, node: Node, what: str) -> float | None:
        """A percentage written `20%`, from 0% to 100%, as a fraction (0.2)."""
        text = node.text.strip() if isinstance(node, Scalar) else ""
        if isinstance(node, Scalar) and isinstance(node.value, str) and text.endswith("%"):
            try:
                value = float(text[:-1])
            except ValueError:
                value = math.nan
            if math.isfinite(value) and 0.0 <= value <= 100.0:
                return value / 100.0
            if math.isfinite(value):
                self.error(node, f"{what} must be from 0% to 100%, got {text}")
                return None
        self.fail(node, f"{what} must be a percentage like 20%, got {_shown(node)}")
        return None

    # -- variants (`variants:`): checked against the base, change by change

    def read_variants(self, root: Node, base: Scenario | None) -> Scenario | None:
        """`variants:`: each variant's changes, checked against the base and against the
        changes before them in the same variant; the base with its variants, or None when
        anything is wrong. With no base (it has problems of its own) only the form of the
        changes is checked."""
        from planner.scenario import Variant
        from planner.variants import apply_change

        entry = root.entries.get("variants") if isinstance(root, Map) else None
        node = entry[1] if entry is not None else None
        if node is None or (isinstance(node, Scalar) and node.value is None and not node.bad):
            return base
        if not isinstance(node, Map):
            self.fail(
                node,
                "variants must be a mapping of variant name to variant, like "
                f"`border-closes: {{changes: [...]}}`, got {_shown(node)}",
            )
            return None
        variants: dict[str, Variant] = {}
        for name, (key, value) in node.entries.items():
            label = f"variant `{name}`"
            if not _VARIANT_NAME.fullmatch(name) or name == "base":
                self.error(
                    key,
                    f"{label}: a variant name is letters, digits, `-`, `_` and `.`, starting "
                    "with a letter or digit, and not `base` (it names the variant's folder)",
                )
            fields = self.fields(value, label, VARIANT_KEYS, "{changes: [{cancel: EMERCOM-1}]}")
            if fields is None:
                continue
            before = self.failures
            n = fields.get("description")
            description = self.text(n, fields.what("description")) if n else None
            changes_node = fields.required("changes")
            changes: list[Change] = []
            current = base
            if changes_node is not None and not isinstance(changes_node, Seq):
                self.fail(
                    changes_node,
                    f"{fields.what('changes')} must be a list of changes, got "
                    f"{_shown(changes_node)}",
                )
            elif changes_node is not None and not changes_node.items:
                self.error(changes_node, f"{fields.what('changes')}: list at least one change")
            elif changes_node is not None:
                for i, item in enumerate(changes_node.items, 1):
                    change_label = f"{label} change {i}"
                    change = self.read_change(item, change_label, current)
                    if change is None:
                        continue
                    changes.append(change)
                    if current is not None:
                        try:
                            current = apply_change(current, change)
                        except ValueError as error:  # a safeguard: the checks above catch it
                            self.error(item, f"{change_label}: {error}")
            if self.failures == before:
                variants[name] = Variant(name=name, changes=tuple(changes), description=description)
        if base is None or self.problems:
            return None
        return base.replace(variants=variants)

    def read_change(self, node: Node, label: str, current: Scenario | None) -> Change | None:
        """One change of a variant; `current` is the scenario the change applies to."""
        if not isinstance(node, Map):
            self.fail(
                node,
                f"{label} must be a mapping like {{close: ras_ajdir, from: +20h}}, got "
                f"{_shown(node)}",
            )
            return None
        actions = [name for name in node.entries if name in CHANGE_KEYS]
        if not actions:
            known = ", ".join(CHANGE_KEYS)
            if not node.entries:
                self.error(node, f"{label}: say what changes with one of {known}")
            keys = {k for allowed in CHANGE_KEYS.values() for k in allowed}
            unknown = [(name, key) for name, (key, _) in node.entries.items() if name not in keys]
            for name, key in unknown:
                hint = _did_you_mean(name, list(CHANGE_KEYS)) or f" (changes: {known})"
                self.error(key, f"{label}: unknown change `{name}`{hint}")
            if node.entries and not unknown:
                self.error(node, f"{label}: say what changes with one of {known}")
            return None
        if len(actions) > 1:
            self.error(
                node.entries[actions[1]][0],
                f"{label}: `{actions[0]}` and `{actions[1]}` are two changes; write each as "
                "its own entry of `changes`",
            )
            return None
        action = actions[0]
        fields = _Fields(self, node, label, CHANGE_KEYS[action])
        before = self.failures
        target = fields.required(action)
        change: Change | None = None
        if target is not None:
            if action == "close":
                change = self.change_close(fields, target, current)
            elif action == "cancel":
                service = self.named(target, fields.what(action), current, "service")
                change = CancelService(service) if service else None
            elif action in ("add_flight", "add_sailing"):
                change = self.change_add(fields, target, current)
            elif action == "fleet":
                change = self.change_fleet(fields, target, current)
            elif action == "crossing":
                change = self.change_crossing(fields, target, current)
            elif action in ("flight", "sailing"):
                change = self.change_service(fields, target, current)
            else:
                change = self.change_delay(fields, target, current)
        return change if self.failures == before else None

    def named(self, node: Node, what: str, current: Scenario | None, kind: str) -> str | None:
        """The id of a crossing, flight or sailing (`service`, either), `flight`,
        `sailing` or fleet kind (`fleet`) in `current`."""
        name = self.text(node, what)
        if name is None or current is None:
            return name
        known: dict[str, list[str]] = {
            "crossing": [c.id for c in current.crossings],
            "fleet": [k.id for k in current.fleet],
            "flight": [s.id for s in current.flights],
            "sailing": [s.id for s in current.sailings],
        }
        known["service"] = known["flight"] + known["sailing"]
        if name in known[kind]:
            return name
        noun = {"service": "flight or sailing", "fleet": "fleet kind"}.get(kind, kind)
        other = next(
            (k for k in ("crossing", "fleet", "flight", "sailing") if name in known[k]), None
        )
        hint = (
            f" (`{name}` is a {'fleet kind' if other == 'fleet' else other})"
            if other
            else _did_you_mean(name, known[kind])
        )
        self.error(node, f"{what}: unknown {noun} `{name}`{hint}")
        return None

    def change_window(self, fields: _Fields, current: Scenario | None) -> AbsoluteWindow | None:
        """`from` (required) and `to` (default: the end of the horizon) of a closure."""
        start_node, end_node = fields.required("from"), fields.get("to")
        start = self.time(start_node, fields.what("from")) if start_node else None
        if end_node is not None:
            end = self.time(end_node, fields.what("to"))
        else:
            end = current.end if current is not None else None
        if start is None or end is None:
            return None
        try:
            return units.parse_absolute_window(start, end)
        except ValueError as error:
            at = end_node or start_node
            assert at is not None
            self.error(at, f"{fields.label}: {error}")
            return None

    def change_close(
        self, fields: _Fields, target: Node, current: Scenario | None
    ) -> Change | None:
        window = self.change_window(fields, current)
        if isinstance(target, Map):
            road_fields = _Fields(self, target, fields.what("close"), ("road",))
            road = road_fields.required("road")
            if road is None:
                return None
            what = road_fields.what("road")
            if not isinstance(road, Seq) or len(road.items) != 2:
                self.fail(road, f"{what} must be its two places, like [zawiya, ras_ajdir_ly]")
                return None
            ends = [self.place(item, f"{what} entry {i}") for i, item in enumerate(road.items, 1)]
            if ends[0] is None or ends[1] is None:
                return None
            pair = {ends[0], ends[1]}
            if current is not None and not any({r.from_, r.to} == pair for r in current.roads):
                self.error(road, f"{what}: no road joins `{ends[0]}` and `{ends[1]}`")
                return None
            return CloseRoad((ends[0], ends[1]), window) if window else None
        crossing = self.named(target, fields.what("close"), current, "crossing")
        return CloseCrossing(crossing, window) if crossing and window else None

    def change_add(self, fields: _Fields, target: Node, current: Scenario | None) -> Change | None:
        kind: ServiceKind = "flight" if "add_flight" in fields.node.entries else "sailing"
        what = fields.what(f"add_{kind}")
        service = self.read_service(target, what, kind)
        if service is None or current is None:
            return None
        assert isinstance(target, Map)
        id_node = target.entries["id"][1]
        users = (
            [(c.id, "crossing") for c in current.crossings]
            + [(k.id, "fleet kind") for k in current.fleet]
            + [(v.id, "vehicle") for v in current.vehicles]
            + [(s.id, s.kind) for s in current.services]
        )
        used = next((noun for name, noun in users if name == service.id), None)
        if used is not None:
            self.error(id_node, f"{what}: id `{service.id}` is already used by a {used}")
            return None
        return AddService(service)

    def change_fleet(
        self, fields: _Fields, target: Node, current: Scenario | None
    ) -> Change | None:
        fleet = self.named(target, fields.what("fleet"), current, "fleet")
        get, what = fields.get, fields.what
        count_node = get("count")
        count, more = None, 0
        if count_node is not None:
            if (
                isinstance(count_node, Scalar)
                and count_node.text.startswith(("+", "-"))
                and type(count_node.value) is int
            ):
                more = count_node.value
            else:
                count = self.whole(count_node, what("count"), minimum=0, maximum=MAX_COUNT)
        n = get("seats")
        seats = self.whole(n, what("seats")) if n else None
        at_node = get("at")
        at = self.place(at_node, what("at")) if at_node else None
        n = get("available")
        available = self.time(n, what("available")) if n else None
        if all(get(k) is None for k in ("count", "seats", "at", "available")):
            self.error(
                fields.node, f"{fields.label}: say what changes: count, seats, at or available"
            )
            return None
        if fleet is None or current is None:
            return None
        kind = next(k for k in current.fleet if k.id == fleet)
        total = (kind.count if count is None else count) + more
        if count_node is not None and not (0 <= total <= MAX_COUNT):
            self.error(
                count_node,
                f"{what('count')}: fleet `{fleet}` has {kind.count} vehicle"
                f"{'s' if kind.count != 1 else ''}; it cannot have {total}",
            )
            return None
        for other in [c.id for c in current.crossings] + [s.id for s in current.services]:
            match = _NUMBERED.fullmatch(other)
            if match and match.group(1) == fleet and kind.count < int(match.group(2)) <= total:
                assert count_node is not None
                self.error(
                    count_node,
                    f"{what('count')}: the vehicle `{other}` it adds has the id of a crossing, "
                    "flight or sailing",
                )
                return None
        place = current.locations.get(at) if at is not None else None
        if place is not None and kind.countries and place.country not in kind.countries:
            assert at_node is not None
            self.error(
                at_node,
                f"{what('at')}: place `{at}` is in {place.country}, outside the fleet's "
                f"`countries` ({', '.join(sorted(kind.countries))}), so its vehicles could "
                "never drive",
            )
            return None
        return ChangeFleet(fleet, count, more, seats, at, available)

    def change_crossing(
        self, fields: _Fields, target: Node, current: Scenario | None
    ) -> Change | None:
        crossing = self.named(target, fields.what("crossing"), current, "crossing")
        get, what = fields.get, fields.what
        n = get("throughput")
        throughput = self.whole(n, what("throughput")) if n else None
        n = get("processing")
        processing = self.duration(n, what("processing"), positive=False) if n else None
        open_node = get("open")
        opened = None
        if open_node is not None:
            if isinstance(open_node, Seq) and not open_node.items:
                self.error(open_node, f"{what('open')}: list at least one window")
            else:
                opened = self.windows(open_node, what("open"), daily=True, absolute=False)
        documents = self.documents(fields, any_if_absent=True) if get("documents") else None
        if all(get(k) is None for k in ("throughput", "processing", "open", "documents")):
            self.error(
                fields.node,
                f"{fields.label}: say what changes: throughput, processing, open or documents",
            )
            return None
        if crossing is None:
            return None
        return ChangeCrossing(
            crossing,
            throughput,
            processing,
            cast("tuple[DailyWindow, ...] | None", opened),
            documents,
        )

    def change_service(
        self, fields: _Fields, target: Node, current: Scenario | None
    ) -> Change | None:
        from planner.variants import changed_times

        kind = "flight" if "flight" in fields.node.entries else "sailing"
        service = self.named(target, fields.what(kind), current, kind)
        get, what = fields.get, fields.what
        n = get("seats")
        seats = self.whole(n, what("seats")) if n else None
        n = get("departs")
        departs = self.time(n, what("departs")) if n else None
        duration_node, arrives_node = get("duration"), get("arrives")
        duration = arrives = None
        if duration_node is not None and arrives_node is not None:
            later = max(duration_node, arrives_node, key=lambda x: (x.line, x.column))
            self.error(later, f"{fields.label}: give `duration` or `arrives`, not both")
        elif duration_node is not None:
            duration = self.duration(duration_node, what("duration"), positive=True)
        elif arrives_node is not None:
            arrives = self.time(arrives_node, what("arrives"))
        n = get("check_in")
        check_in = self.duration(n, what("check_in"), positive=False) if n else None
        keys = ("seats", "departs", "duration", "arrives", "check_in")
        if all(get(k) is None for k in keys):
            self.error(fields.node, f"{fields.label}: say what changes: {', '.join(keys)}")
            return None
        if service is None:
            return None
        change = ChangeService(service, seats, departs, duration, arrives, check_in)
        if current is not None:
            try:
                changed_times(current.service_by_id[service], change)
            except ValueError as error:
                times = [n for n in (get("departs"), duration_node, arrives_node) if n]
                self.error(max(times, key=lambda x: (x.line, x.column)), f"{fields.label}: {error}")
                return None
        return change

    def change_delay(
        self, fields: _Fields, target: Node, current: Scenario | None
    ) -> Change | None:
        what = fields.what("delay")
        n = fields.required("by")
        by = self.duration(n, fields.what("by"), positive=True) if n else None
        chosen: list[str] = []
        if isinstance(target, Map):
            at_fields = _Fields(self, target, what, ("at",))
            at_node = at_fields.required("at")
            at = self.place(at_node, at_fields.what("at")) if at_node else None
            if at is None or current is None:
                return None
            chosen = [g.id for g in current.groups if g.at == at]
            if not chosen:
                assert at_node is not None
                self.error(at_node, f"{at_fields.what('at')}: no group waits at `{at}`")
                return None
        elif isinstance(target, Scalar) and target.value == "all":
            chosen = [g.id for g in current.groups] if current is not None else []
        else:
            for i, item in enumerate(self.items(target), 1):
                item_what = f"{what} entry {i}" if isinstance(target, Seq) else what
                name = self.text(item, item_what)
                if name is None or current is None:
                    continue
                ids = self.group_ids(name, current)
                if not ids:
                    hint = _did_you_mean(name, [g.id for g in current.groups])
                    self.error(item, f"{item_what}: unknown group `{name}`{hint}")
                elif set(ids) & set(chosen):
                    self.error(item, f"{item_what}: `{name}` is listed twice")
                else:
                    chosen += ids
        if by is None or current is None:
            return None
        return DelayGroups(tuple(chosen), by)

    @staticmethod
    def group_ids(name: str, scenario: Scenario) -> list[str]:
        """The group `name`, or the copies `name-01 ..` that `count` made of it."""
        if name in scenario.group_by_id:
            return [name]
        prefix = name + "-"
        return [
            g.id
            for g in scenario.groups
            if g.id.startswith(prefix) and g.id[len(prefix) :].isdigit()
        ]


_VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
VARIANT_KEYS = ("description", "changes")
SERVICE_CHANGE_KEYS = ("seats", "departs", "duration", "arrives", "check_in")
CHANGE_KEYS: dict[str, tuple[str, ...]] = {
    "close": ("close", "from", "to"),
    "cancel": ("cancel",),
    "add_flight": ("add_flight",),
    "add_sailing": ("add_sailing",),
    "fleet": ("fleet", "count", "seats", "at", "available"),
    "crossing": ("crossing", "throughput", "processing", "open", "documents"),
    "flight": ("flight", *SERVICE_CHANGE_KEYS),
    "sailing": ("sailing", *SERVICE_CHANGE_KEYS),
    "delay": ("delay", "by"),
}
"""The keys of each kind of change of a variant, the kind's own key first."""
