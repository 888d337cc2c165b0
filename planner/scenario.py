"""The checked, immutable scenario: what `parse_scenario` returns and everything downstream reads.

Every value here is already resolved: times are aware datetimes, durations are timedeltas,
`count` is expanded, member documents are filled in from their group, vehicles are named.
Nothing in this module reads files or YAML; see :mod:`planner.read` for that.

The rules these values take part in are written in SCENARIO.md; the docstrings below name
the field each value comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Literal

OBJECTIVES = ("evacuated", "exposure", "arrival", "makespan")
"""Objective names of SCENARIO.md, in no particular order."""

DEFAULT_OBJECTIVE = ("evacuated", "exposure", "arrival")
DEFAULT_PRIORITY_WEIGHTS = {"critical": 10.0, "high": 3.0, "normal": 1.0}
PRIORITIES = ("critical", "high", "normal")
LOCATION_KINDS = ("assembly", "waypoint", "border", "airport", "port", "haven")

Priority = Literal["critical", "high", "normal"]
ServiceKind = Literal["flight", "sailing"]


@dataclass(frozen=True)
class DailyWindow:
    """A window that repeats every day, `HH:MM-HH:MM` in the local time of a place.

    `start` and `end` are minutes after local midnight (0..1440). When `end <= start` the
    window wraps midnight (`22:00-06:00`); `00:00-24:00` is all day. A window is half-open:
    it contains its start minute and not its end minute.
    """

    start: int
    end: int
    text: str

    @property
    def all_day(self) -> bool:
        """True for a window that covers every minute of the day."""
        return self.start == 0 and self.end == 1440

    @property
    def wraps(self) -> bool:
        """True when the window runs past midnight into the next day."""
        return self.end <= self.start and not self.all_day


@dataclass(frozen=True)
class AbsoluteWindow:
    """A one-off window `{from: ..., to: ...}` between two aware instants, half-open."""

    start: datetime
    end: datetime


Window = DailyWindow | AbsoluteWindow


@dataclass(frozen=True)
class Location:
    """A place (`locations:` entry)."""

    id: str
    name: str
    kind: str | None
    country: str
    lat: float | None
    lon: float | None
    timezone: tzinfo
    timezone_name: str
    danger: bool = False
    transfer: timedelta = timedelta(0)
    capacity: int | None = None


@dataclass(frozen=True)
class Road:
    """A road (`roads:` entry). Closures' daily windows are in the local time of `from_`."""

    from_: str
    to: str
    duration: timedelta
    both_ways: bool = True
    closed: tuple[Window, ...] = ()
    index: int = 0
    """Position in the `roads:` list, for messages."""


@dataclass(frozen=True)
class Crossing:
    """A one-way crossing (`crossings:` entry); daily `open` windows in local time of `from_`.

    `throughput` is people per hour (None: no limit); `documents` is None when any
    document is accepted.
    """

    id: str
    from_: str
    to: str
    processing: timedelta
    throughput: int | None = None
    open: tuple[DailyWindow, ...] = ()
    """Empty means open all day."""
    closed: tuple[Window, ...] = ()
    documents: frozenset[str] | None = None
    vehicles: bool = True


@dataclass(frozen=True)
class FleetKind:
    """A kind of vehicle (`fleet:` entry); its vehicles are named `<id>-1 .. <id>-<count>`."""

    id: str
    count: int
    seats: int
    at: str
    available: datetime
    countries: frozenset[str] | None = None
    """None means any country."""


@dataclass(frozen=True)
class Vehicle:
    """One named fleet vehicle, expanded from its :class:`FleetKind`."""

    id: str
    fleet: str
    seats: int
    at: str
    available: datetime
    countries: frozenset[str] | None = None


@dataclass(frozen=True)
class Service:
    """A scheduled flight or sailing (`flights:` / `sailings:` entry)."""

    id: str
    kind: ServiceKind
    from_: str
    to: str
    departs: datetime
    arrives: datetime
    seats: int
    check_in: timedelta = timedelta(minutes=60)
    documents: frozenset[str] | None = None


@dataclass(frozen=True)
class Member:
    """One person of a group. `documents` is already filled in from the group when the
    member lists none of their own."""

    name: str | None
    seats: int = 1
    documents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Group:
    """A family or a single person (`groups:` entry, `count` expanded): it travels whole."""

    id: str
    at: str
    destinations: tuple[str, ...]
    ready: datetime
    priority: Priority
    own_vehicle: bool
    members: tuple[Member, ...]

    @property
    def people(self) -> int:
        """Number of members."""
        return len(self.members)

    @cached_property
    def seats(self) -> int:
        """Seats the whole group needs on a vehicle or service."""
        return sum(m.seats for m in self.members)

    def holds_accepted(self, accepted: frozenset[str] | None) -> bool:
        """True when every member holds one of `accepted` (None accepts anything)."""
        if accepted is None:
            return True
        return all(m.documents & accepted for m in self.members)


@dataclass(frozen=True)
class Scenario:
    """A whole scenario, checked and resolved. Build it with :func:`planner.read.parse_scenario`.

    Mappings keep the order of the file; lists keep file order too.
    """

    name: str
    start: datetime
    timezone: tzinfo
    timezone_name: str
    horizon: timedelta
    step: timedelta
    objective: tuple[str, ...]
    priority_weights: dict[str, float]
    locations: dict[str, Location]
    roads: tuple[Road, ...]
    crossings: tuple[Crossing, ...]
    fleet: tuple[FleetKind, ...]
    flights: tuple[Service, ...]
    sailings: tuple[Service, ...]
    groups: tuple[Group, ...]
    source: str = "<scenario>"
    variants: dict[str, Variant] = field(default_factory=dict)
    """Named what-if variants (`variants:`), as written: not applied. See
    :func:`planner.variants.apply_variant`."""
    uncertainty: Uncertainty | None = None
    """What may go otherwise than written (`uncertainty:`); None when the file says nothing.
    See :mod:`planner.robustness`."""

    @property
    def end(self) -> datetime:
        """`start + horizon`: every leg ends by then."""
        return self.start + self.horizon

    @cached_property
    def vehicles(self) -> tuple[Vehicle, ...]:
        """Every fleet vehicle by name, fleet order then number."""
        return tuple(
            Vehicle(
                id=f"{kind.id}-{n}",
                fleet=kind.id,
                seats=kind.seats,
                at=kind.at,
                available=kind.available,
                countries=kind.countries,
            )
            for kind in self.fleet
            for n in range(1, kind.count + 1)
        )

    @cached_property
    def services(self) -> tuple[Service, ...]:
        """Flights then sailings."""
        return self.flights + self.sailings

    @cached_property
    def group_by_id(self) -> dict[str, Group]:
        """Groups by id."""
        return {g.id: g for g in self.groups}

    @cached_property
    def vehicle_by_id(self) -> dict[str, Vehicle]:
        """Vehicles by id."""
        return {v.id: v for v in self.vehicles}

    @cached_property
    def crossing_by_id(self) -> dict[str, Crossing]:
        """Crossings by id."""
        return {c.id: c for c in self.crossings}

    @cached_property
    def service_by_id(self) -> dict[str, Service]:
        """Flights and sailings by id."""
        return {s.id: s for s in self.services}

    @property
    def people(self) -> int:
        """Everyone in the scenario."""
        return sum(g.people for g in self.groups)

    def weight(self, group: Group) -> float:
        """The priority weight `w` of a group."""
        return self.priority_weights[group.priority]

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed (for what-if variants); the original is untouched."""
        return replace(self, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- variants
# A variant is a short list of changes to the base scenario (`variants:` in the file). The
# changes are kept as written, with every reference already checked and every unit
# resolved; :mod:`planner.variants` applies them.


@dataclass(frozen=True)
class CloseCrossing:
    """`{close: CROSSING, from: T, to: T}`: the crossing is also closed in `window`."""

    crossing: str
    window: AbsoluteWindow


@dataclass(frozen=True)
class CloseRoad:
    """`{close: {road: [A, B]}, from: T, to: T}`: every road joining `A` and `B`, either
    way, is also closed in `window`."""

    ends: tuple[str, str]
    window: AbsoluteWindow


@dataclass(frozen=True)
class CancelService:
    """`{cancel: ID}`: the flight or sailing does not run."""

    service: str


@dataclass(frozen=True)
class AddService:
    """`{add_flight: {...}}` or `{add_sailing: {...}}`: one more flight or sailing."""

    service: Service


@dataclass(frozen=True)
class ChangeFleet:
    """`{fleet: KIND, count: ..., seats: ..., at: ..., available: ...}`.

    `count` replaces the number of vehicles; `more` adds to it (negative: fewer vehicles,
    taken from the end: `bus-4` goes before `bus-3`). None leaves a value as it is.
    """

    fleet: str
    count: int | None = None
    more: int = 0
    seats: int | None = None
    at: str | None = None
    available: datetime | None = None


@dataclass(frozen=True)
class ChangeCrossing:
    """`{crossing: ID, throughput: ..., processing: ..., open: [...], documents: [...]}`.

    None leaves a value as it is.
    """

    crossing: str
    throughput: int | None = None
    processing: timedelta | None = None
    open: tuple[DailyWindow, ...] | None = None
    documents: frozenset[str] | None = None


@dataclass(frozen=True)
class ChangeService:
    """`{flight: ID, ...}` or `{sailing: ID, ...}`: new seats, times or check-in.

    A new `departs` without `duration` or `arrives` keeps the flight's duration; a
    `duration` alone keeps its departure. None leaves a value as it is.
    """

    service: str
    seats: int | None = None
    departs: datetime | None = None
    duration: timedelta | None = None
    arrives: datetime | None = None
    check_in: timedelta | None = None


@dataclass(frozen=True)
class DelayGroups:
    """`{delay: [G1, G2] | {at: PLACE} | all, by: D}`: these groups are ready `by` later."""

    groups: tuple[str, ...]
    by: timedelta


Change = (
    CloseCrossing
    | CloseRoad
    | CancelService
    | AddService
    | ChangeFleet
    | ChangeCrossing
    | ChangeService
    | DelayGroups
)


@dataclass(frozen=True)
class Variant:
    """A named what-if (`variants:` entry): changes applied, in order, to the base."""

    name: str
    changes: tuple[Change, ...]
    description: str | None = None


# --------------------------------------------------------------------------- uncertainty
# What may go otherwise than the file says (`uncertainty:`), resolved to fractions (20% is
# 0.2) with the section's defaults filled in; :mod:`planner.robustness` draws samples from it.


@dataclass(frozen=True)
class CrossingUncertainty:
    """How a crossing may differ: its processing takes up to `processing_spread` longer
    (a fraction), and with chance `closure` it closes once for `closed_for`."""

    processing_spread: float = 0.0
    closure: float = 0.0
    closed_for: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class Uncertainty:
    """The `uncertainty:` section, every chance and spread a fraction from 0 to 1.

    Per-item values are resolved for every road, crossing and service of the file; the
    defaults stand for items the file does not have (those a variant adds).
    """

    road_spread: float = 0.0
    """Default: a road takes up to this fraction longer than written."""
    roads: tuple[float, ...] = ()
    """Spread of each road, in `roads:` order."""
    crossing_default: CrossingUncertainty = CrossingUncertainty()
    crossings: dict[str, CrossingUncertainty] = field(default_factory=dict)
    flight_cancel: float = 0.0
    sailing_cancel: float = 0.0
    services: dict[str, float] = field(default_factory=dict)
    """Chance each flight or sailing is cancelled, by id."""
    no_show: float = 0.0
    """Chance each group does not turn up at all."""

    def road(self, road: Road) -> float:
        """The spread of a road."""
        return self.roads[road.index] if road.index < len(self.roads) else self.road_spread

    def crossing(self, crossing_id: str) -> CrossingUncertainty:
        """The uncertainty of a crossing."""
        return self.crossings.get(crossing_id, self.crossing_default)

    def cancel(self, service: Service) -> float:
        """The chance a flight or sailing is cancelled."""
        default = self.flight_cancel if service.kind == "flight" else self.sailing_cancel
        return self.services.get(service.id, default)
