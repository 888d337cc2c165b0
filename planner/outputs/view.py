"""What every output is written from: a plan.json object read against its scenario.

The outputs work from the plan as PLAN.md writes it (a dict, as `json.load` returns it),
not from solver internals, so a plan written by hand or by another tool gets the same
itineraries, run sheets and report. Names of people come from the scenario; with
`redact` they are replaced by `F001 member 2`, everywhere, here once for all outputs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any

from planner.scenario import Crossing, Location, Scenario, Service

STATUSES = ("evacuated", "safe", "left_behind")
STATUS_TEXT = {"evacuated": "evacuated", "safe": "safe", "left_behind": "left behind"}


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 seat`, `2 seats`, `1 person`, `3 people`, `1,200 people`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


REASON_SHOWN = 300
"""Characters of a reason shown where space is short (the summary of `planner plan`, the
report's table before it is opened): one that lists every full flight of a week runs to
thousands."""


def shortened(text: str, limit: int = REASON_SHOWN) -> str:
    """`text` when it has at most `limit` characters; else its beginning and its end (from
    its last clause, after "; ", when that fits), cut between words, with "[...]" between:
    about `limit` characters in all."""
    if len(text) <= limit:
        return text
    head = text[: 2 * limit // 3].rsplit(" ", 1)[0]
    rest = text[len(head) :]
    tail = rest[-(limit - len(head)) :]
    clause = rest.rfind("; ")
    if clause >= 0 and len(rest) - clause - 2 <= limit - len(head):
        tail = rest[clause + 2 :]
    elif " " in tail:
        tail = tail.split(" ", 1)[1]
    return f"{head} [...] {tail}"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with offset from plan.json, as an aware datetime.

    Raises:
        ValueError: when the text is not ISO 8601 or has no offset.
    """
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return when


@dataclass(frozen=True)
class Person:
    """One member as shown: `label` is the name, or `F001 member 2` (anonymous or redacted)."""

    number: int
    label: str
    seats: int
    documents: tuple[str, ...]

    @property
    def stretcher(self) -> bool:
        """True when the member needs more than one seat (lying down)."""
        return self.seats > 1


@dataclass(frozen=True)
class LegView:
    """One leg of a group's journey, times aware."""

    index: int
    kind: str
    from_: str
    to: str
    depart: datetime
    arrive: datetime
    vehicle: str | None = None
    crossing: str | None = None
    service: str | None = None

    @property
    def carrier(self) -> str:
        """The vehicle id, `own`, `foot` (a crossing without vehicle) or the service id."""
        if self.vehicle is not None:
            return self.vehicle
        if self.service is not None:
            return self.service
        return "foot"

    @property
    def on_foot(self) -> bool:
        """True for a crossing made on foot."""
        return self.kind == "crossing" and self.vehicle is None

    @property
    def fleet(self) -> bool:
        """True when a fleet vehicle carries the group on this leg."""
        return self.vehicle is not None and self.vehicle != "own"


@dataclass(frozen=True)
class GroupView:
    """A group's plan with what the scenario knows of it."""

    id: str
    people: int
    status: str
    reason: str | None
    legs: tuple[LegView, ...]
    at: str
    destinations: tuple[str, ...]
    ready: datetime | None
    priority: str
    own_vehicle: bool
    members: tuple[Person, ...]

    @property
    def seats(self) -> int:
        """Seats the group takes on a vehicle or service."""
        return sum(p.seats for p in self.members)

    @property
    def stretchers(self) -> tuple[Person, ...]:
        """Members who need more than one seat."""
        return tuple(p for p in self.members if p.stretcher)

    @property
    def needs(self) -> str:
        """What a driver or crew must know: `stretcher: <name> (2 seats)`; empty when none."""
        return "; ".join(f"stretcher: {p.label} ({p.seats} seats)" for p in self.stretchers)

    @property
    def status_text(self) -> str:
        """`evacuated`, `safe` or `left behind`."""
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def end_place(self) -> str:
        """Where the journey ends (its `at` when it has no legs)."""
        return self.legs[-1].to if self.legs else self.at

    @property
    def last_arrival(self) -> datetime | None:
        """Arrival of the last leg, None without legs."""
        return self.legs[-1].arrive if self.legs else None

    def names(self) -> str:
        """Members' labels joined with `, `."""
        return ", ".join(p.label for p in self.members)


@dataclass(frozen=True)
class VehicleLegView:
    """One leg of a fleet vehicle and the groups aboard."""

    index: int
    kind: str
    from_: str
    to: str
    depart: datetime
    arrive: datetime
    groups: tuple[str, ...]
    crossing: str | None = None


@dataclass(frozen=True)
class VehicleView:
    """A fleet vehicle that moves; `seats` and `at` come from the scenario when it knows it."""

    id: str
    fleet: str
    seats: int | None
    at: str | None
    available: datetime | None
    countries: tuple[str, ...]
    legs: tuple[VehicleLegView, ...]


@dataclass(frozen=True)
class Passage:
    """A group on one leg of somebody else's schedule (a crossing or a service)."""

    group: GroupView
    leg: LegView


def _safe_name(text: str) -> str:
    """A file name made of an id: letters, digits, `.`, `_`, `-` kept, the rest `_`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".")
    return name or "_"


class PlanView:
    """A plan.json object read against its scenario, for writing outputs.

    Args:
        scenario: the resolved scenario the plan is for.
        plan: the plan as PLAN.md writes it (what `json.load` returns).
        redact: replace every member name by `<group> member <n>`.

    Raises:
        ValueError: when the plan has no `groups` list or a time without offset.
    """

    def __init__(self, scenario: Scenario, plan: dict[str, Any], *, redact: bool = False):
        if not isinstance(plan.get("groups"), list):
            raise ValueError("the plan has no list of groups")
        self.scenario = scenario
        self.plan = plan
        self.redact = redact
        self.groups = tuple(self._group(g) for g in plan["groups"])
        self.vehicles = tuple(self._vehicle(v) for v in plan.get("vehicles") or [])
        self._names = self._real_names()

    # --- reading ----------------------------------------------------------------------

    def _group(self, data: dict[str, Any]) -> GroupView:
        gid = str(data["id"])
        known = self.scenario.group_by_id.get(gid)
        legs = tuple(
            LegView(
                index=i,
                kind=str(leg["kind"]),
                from_=str(leg["from"]),
                to=str(leg["to"]),
                depart=parse_time(leg["depart"]),
                arrive=parse_time(leg["arrive"]),
                vehicle=leg.get("vehicle"),
                crossing=leg.get("crossing"),
                service=leg.get("service"),
            )
            for i, leg in enumerate(data.get("legs") or [], start=1)
        )
        people = int(data.get("people", known.people if known else 0))
        if known is not None:
            members = tuple(
                Person(
                    number=n,
                    label=m.name if m.name and not self.redact else f"{gid} member {n}",
                    seats=m.seats,
                    documents=tuple(sorted(m.documents)),
                )
                for n, m in enumerate(known.members, start=1)
            )
        else:
            members = tuple(Person(n, f"{gid} member {n}", 1, ()) for n in range(1, people + 1))
        return GroupView(
            id=gid,
            people=people,
            status=str(data.get("status", "left_behind")),
            reason=data.get("reason"),
            legs=legs,
            at=known.at if known else (legs[0].from_ if legs else ""),
            destinations=known.destinations if known else (),
            ready=known.ready if known else None,
            priority=known.priority if known else "normal",
            own_vehicle=known.own_vehicle if known else False,
            members=members,
        )

    def _vehicle(self, data: dict[str, Any]) -> VehicleView:
        vid = str(data["id"])
        known = self.scenario.vehicle_by_id.get(vid)
        legs = tuple(
            VehicleLegView(
                index=i,
                kind=str(leg.get("kind", "road")),
                from_=str(leg["from"]),
                to=str(leg["to"]),
                depart=parse_time(leg["depart"]),
                arrive=parse_time(leg["arrive"]),
                groups=tuple(str(g) for g in leg.get("groups") or []),
                crossing=leg.get("crossing"),
            )
            for i, leg in enumerate(data.get("legs") or [], start=1)
        )
        return VehicleView(
            id=vid,
            fleet=str(data.get("fleet", known.fleet if known else "")),
            seats=known.seats if known else None,
            at=known.at if known else (legs[0].from_ if legs else None),
            available=known.available if known else None,
            countries=tuple(sorted(known.countries)) if known and known.countries else (),
            legs=legs,
        )

    def _real_names(self) -> list[tuple[str, str]]:
        """(name, label) of every named member, longest name first, for scrubbing text."""
        pairs = []
        for g in self.scenario.groups:
            for n, m in enumerate(g.members, start=1):
                if m.name:
                    pairs.append((m.name, f"{g.id} member {n}"))
        pairs.sort(key=lambda p: (-len(p[0]), p[0]))
        return pairs

    # --- text -------------------------------------------------------------------------

    def scrub(self, text: str | None) -> str:
        """Free text from the plan (a reason, the scenario name) with names redacted if asked."""
        if text is None:
            return ""
        if self.redact:
            for name, label in self._names:
                text = text.replace(name, label)
        return text

    @property
    def title(self) -> str:
        """The scenario's name (as in the plan, else the scenario's)."""
        return self.scrub(str(self.plan.get("scenario") or self.scenario.name))

    def place(self, place_id: str) -> Location | None:
        """The scenario's place of that id, None when unknown."""
        return self.scenario.locations.get(place_id)

    def place_name(self, place_id: str) -> str:
        """The human name of a place (its id when it has none)."""
        loc = self.place(place_id)
        return loc.name if loc is not None else place_id

    def zone(self, place_id: str) -> tzinfo:
        """The time zone of a place (the scenario's for an unknown place)."""
        loc = self.place(place_id)
        return loc.timezone if loc is not None else self.scenario.timezone

    def crossing(self, crossing_id: str) -> Crossing | None:
        """The scenario's crossing of that id."""
        return self.scenario.crossing_by_id.get(crossing_id)

    def service(self, service_id: str) -> Service | None:
        """The scenario's flight or sailing of that id."""
        return self.scenario.service_by_id.get(service_id)

    def service_kind(self, service_id: str, leg_kind: str = "flight") -> str:
        """`flight` or `sailing`."""
        s = self.service(service_id)
        return s.kind if s is not None else leg_kind

    @staticmethod
    def file_name(ident: str) -> str:
        """A file name for an id."""
        return _safe_name(ident)

    # --- derived ----------------------------------------------------------------------

    @cached_property
    def group_by_id(self) -> dict[str, GroupView]:
        """Groups of the plan by id."""
        return {g.id: g for g in self.groups}

    def people_with(self, status: str) -> int:
        """People in groups of that status."""
        return sum(g.people for g in self.groups if g.status == status)

    @property
    def people(self) -> int:
        """Everyone in the plan."""
        return sum(g.people for g in self.groups)

    def hour_of(self, when: datetime) -> int:
        """The throughput hour k of an instant: `[start + k h, start + (k+1) h)`."""
        return int((when - self.scenario.start) // timedelta(hours=1))

    def hour_start(self, k: int) -> datetime:
        """The first instant of throughput hour k."""
        return self.scenario.start + timedelta(hours=k)

    @cached_property
    def crossing_passages(self) -> dict[str, list[Passage]]:
        """Crossing id -> the groups crossing there, by start time then group id."""
        out: dict[str, list[Passage]] = defaultdict(list)
        for g in self.groups:
            for leg in g.legs:
                if leg.kind == "crossing":
                    out[leg.crossing or f"{leg.from_}->{leg.to}"].append(Passage(g, leg))
        for passages in out.values():
            passages.sort(key=lambda p: (p.leg.depart, p.group.id))
        return dict(sorted(out.items()))

    @cached_property
    def service_passages(self) -> dict[str, list[Passage]]:
        """Flight or sailing id -> the groups aboard, by group id."""
        out: dict[str, list[Passage]] = defaultdict(list)
        for g in self.groups:
            for leg in g.legs:
                if leg.kind in ("flight", "sailing"):
                    out[leg.service or f"{leg.from_}->{leg.to}"].append(Passage(g, leg))
        for passages in out.values():
            passages.sort(key=lambda p: p.group.id)
        return dict(sorted(out.items()))

    @cached_property
    def own_drivers(self) -> list[GroupView]:
        """Groups that drive their own vehicle on some leg."""
        return [g for g in self.groups if any(leg.vehicle == "own" for leg in g.legs)]

    @property
    def last_arrival(self) -> datetime | None:
        """When the last evacuated group arrives: from `objective.makespan` when the plan
        gives it, else from the legs; None when nobody is evacuated."""
        return self.last_arrival_at[0]

    @cached_property
    def last_arrival_at(self) -> tuple[datetime | None, str | None]:
        """(when, place) of the last arrival of an evacuated group; the place is that of the
        group arriving then (None when no leg arrives then), for showing its local time."""
        evacuated = [g for g in self.groups if g.status == "evacuated"]
        ends = [(g.last_arrival, g.end_place) for g in evacuated if g.last_arrival is not None]
        makespan = (self.plan.get("objective") or {}).get("makespan")
        if makespan is not None:
            when = self.scenario.start + timedelta(hours=float(makespan))
            place = next((p for t, p in ends if abs((t - when).total_seconds()) < 60), None)
            return when, place
        if ends:
            return max(ends, key=lambda e: e[0])
        if evacuated:
            return self.scenario.start, evacuated[0].end_place
        return None, None

    def time_span(self) -> tuple[datetime, datetime]:
        """From the start to the last moment anything in the plan moves (at least 1 h)."""
        start = self.scenario.start
        end = start + timedelta(hours=1)
        for g in self.groups:
            for leg in g.legs:
                end = max(end, leg.arrive)
        for v in self.vehicles:
            for vleg in v.legs:
                end = max(end, vleg.arrive)
        return start, end

    def gaps(self) -> dict[str, float]:
        """Relative gap of each bounded objective: the solver's when plan.json has it,
        else `|value - bound| / |value|`."""
        objective = self.plan.get("objective") or {}
        bound = self.plan.get("bound") or {}
        solver = self.plan.get("solver") or {}
        given = solver.get("gap") if isinstance(solver, dict) else None
        out: dict[str, float] = {}
        for name, b in bound.items():
            if isinstance(given, dict) and name in given and given[name] is not None:
                out[name] = float(given[name])
                continue
            v = objective.get(name)
            if v is None or b is None:
                continue
            out[name] = abs(float(v) - float(b)) / abs(float(v)) if v else 0.0
        return out

    def aboard(self, leg: VehicleLegView) -> list[GroupView]:
        """Groups aboard a vehicle leg (unknown ids are left out)."""
        return [self.group_by_id[g] for g in leg.groups if g in self.group_by_id]
