"""The plan checker: the independent judge of every plan.

`check_plan(scenario, plan)` re-derives every rule of SCENARIO.md (as read by
docs/rules.md) and every statement of PLAN.md from the scenario on its own, and lists each
one a plan breaks. It shares no code with the solver: it reads only the scenario model, so
a mistake in the model cannot hide a mistake in the plan.

It never raises on a malformed plan: a missing key, a wrong type, a time without an offset
or an unknown id is reported as a violation of rule ``"plan"``, and everything else that can
still be checked is checked.

Example:

>>> from planner.read import parse_scenario  # doctest: +SKIP
>>> scenario = parse_scenario(open("scenario.yaml").read(), "scenario.yaml")  # doctest: +SKIP
>>> for violation in check_plan(scenario, read_plan("out/plan.json")):  # doctest: +SKIP
...     print(violation)
rule 5, group F001, leg 2 (crossing ras_ajdir): departs 19:30 +02:00 on 2013-10-03, ...
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from planner.errors import PlanFileError, Problem
from planner.scenario import (
    OBJECTIVES,
    AbsoluteWindow,
    Crossing,
    DailyWindow,
    Group,
    Location,
    Road,
    Scenario,
    Service,
    Vehicle,
    Window,
)

logger = logging.getLogger(__name__)

PLAN_FORMAT = "evacuation-plan/1"
"""The `format` every plan.json states."""

TOLERANCE = 0.01
"""Objective values and bounds are compared to within this much (docs/rules.md)."""

LEG_KINDS = ("road", "crossing", "flight", "sailing")
SERVICE_KINDS = ("flight", "sailing")
VEHICLE_LEG_KINDS = ("road", "crossing")
GROUP_STATUSES = ("evacuated", "safe", "left_behind")
PLAN_STATUSES = ("optimal", "feasible")
OWN = "own"
"""The `vehicle` of a leg a group drives in its own vehicle."""
FOOT = "foot"
"""The carrier of a crossing made on foot (docs/rules.md); not written in plans."""

HOUR = timedelta(hours=1)
_MAX_LISTED = 8
"""Ids named in one message before the rest are only counted."""


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes:
        rule: ``"1"`` .. ``"8"`` for the rules of SCENARIO.md, ``"plan"`` for the statements
            of PLAN.md, ``"objective"`` for a mis-stated objective value, ``"bound"`` for a
            bound on the wrong side of its value.
        subject: what breaks it: ``"group F001"``, ``"vehicle bus-2"``, ``"crossing
            ras_ajdir"``, ``"flight EMERCOM-1"``, ``"place djerba"``, an objective name, or
            ``""`` for the plan as a whole.
        leg: 1-based index of the leg in the subject's list of legs, or None.
        message: what was expected and what was found, in plain words; times in the local
            time of the place they happen at, with its offset.
        where: a short name of the leg (``"crossing ras_ajdir"``, ``"road a -> b"``), or
            ``""``.
    """

    rule: str
    subject: str
    leg: int | None
    message: str
    where: str = ""

    def __str__(self) -> str:
        parts = [f"rule {self.rule}" if self.rule.isdigit() else self.rule]
        if self.subject:
            parts.append(self.subject)
        if self.leg is not None:
            parts.append(f"leg {self.leg}" + (f" ({self.where})" if self.where else ""))
        return ", ".join(parts) + ": " + self.message


def read_plan(path: str | Path) -> dict[str, Any]:
    """Read a plan.json file.

    Parameters:
        path: the file to read.

    Returns:
        The plan as parsed JSON (a dict); its contents are judged by :func:`check_plan`.

    Raises:
        PlanFileError: the file is missing or unreadable, is not JSON (with the line and
            column of the first error), or is not a JSON object.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError([Problem(source, 0, 0, "no such plan file")]) from None
    except UnicodeDecodeError as error:
        message = f"not a UTF-8 text file (byte {error.start})"
        raise PlanFileError([Problem(source, 0, 0, message)]) from None
    except OSError as error:
        message = f"cannot read the plan file: {error.strerror or error}"
        raise PlanFileError([Problem(source, 0, 0, message)]) from None
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg}"
        raise PlanFileError([Problem(source, error.lineno, error.colno, message)]) from None
    except RecursionError:
        raise PlanFileError([Problem(source, 0, 0, "JSON nested too deeply")]) from None
    if not isinstance(plan, dict):
        message = f"a plan is a JSON object ({{...}}), found {_json_type(plan)}"
        raise PlanFileError([Problem(source, 1, 1, message)])
    return plan


def check_plan(scenario: Scenario, plan: Any) -> list[Violation]:
    """Check a plan against the rules of SCENARIO.md and the statements of PLAN.md.

    Parameters:
        scenario: the scenario the plan is for.
        plan: the parsed plan.json (normally a dict; anything else is reported).

    Returns:
        Every violation found, in a stable order; an empty list when the plan keeps every
        rule.
    """
    return _Checker(scenario, plan).run()


# --- the plan's legs, as read -----------------------------------------------------------


@dataclass
class _Leg:
    """One leg of a group or a vehicle as far as it could be read; None where it could not."""

    index: int
    kind: str | None = None
    from_: str | None = None
    """A known place id."""
    to: str | None = None
    depart: datetime | None = None
    """In UTC."""
    arrive: datetime | None = None
    vehicle: str | None = None
    """A fleet vehicle id of the scenario, or `own`; None on foot or when unreadable."""
    carrier: str | None = None
    """docs/rules.md: vehicle id, `own`, `foot` or the service id; None when unreadable."""
    crossing: Crossing | None = None
    service: Service | None = None
    groups: tuple[str, ...] = ()
    """On a vehicle's leg: the known groups it lists."""
    groups_read: bool = False
    """On a vehicle's leg: `groups` was a list (else who is aboard is not known)."""
    where: str = ""

    def key(self) -> tuple[object, ...] | None:
        """What a group's leg and its vehicle's leg have in common: kind, places, times."""
        parts = (self.kind, self.from_, self.to, self.depart, self.arrive)
        if any(p is None for p in parts):
            return None
        if self.kind == "crossing":
            if self.crossing is None:
                return None
            return (*parts, self.crossing.id)
        return parts


@dataclass
class _VehicleLeg:
    """A leg a fleet vehicle makes: listed under `vehicles`, or only known from a group."""

    leg: _Leg
    listed_index: int | None
    aboard: dict[str, None] = field(default_factory=dict)
    """Groups aboard (listed by the vehicle or riding it by their own legs), in order."""
    group_checked: bool = False
    """A group's leg with the same places and times was checked for rules 2, 3 and 5."""


@dataclass
class _Outcome:
    """What a group's legs give, per rule 8 and the objectives; None where unknown."""

    status: str | None
    exposure_hours: float | None
    arrival_hours: float | None


class _Checker:
    """Walks one plan once and collects violations."""

    def __init__(self, scenario: Scenario, plan: Any) -> None:
        self.s = scenario
        self.plan = plan
        self.out: list[Violation] = []
        self.start = scenario.start.astimezone(UTC)
        self.end = scenario.end.astimezone(UTC)
        self.group_legs: dict[str, list[_Leg]] = {}
        self.outcomes: dict[str, _Outcome] = {}
        self.outcomes_known = True
        self.listed: dict[str, list[_Leg]] = {}
        self.unreadable: set[str] = set()
        """Vehicles with a listed leg that could not be read: their chain is not checked."""
        self.vehicle_legs: dict[str, dict[tuple[object, ...], _VehicleLeg]] = defaultdict(dict)
        self.roads_from: dict[tuple[str, str], list[Road]] = defaultdict(list)
        for road in scenario.roads:
            self.roads_from[road.from_, road.to].append(road)
            if road.both_ways and road.from_ != road.to:
                self.roads_from[road.to, road.from_].append(road)

    # --- reporting and reading helpers ------------------------------------------------

    def add(self, rule: str, subject: str, message: str, leg: _Leg | int | None = None) -> None:
        if isinstance(leg, _Leg):
            self.out.append(Violation(rule, subject, leg.index, message, leg.where))
        else:
            self.out.append(Violation(rule, subject, leg, message))

    def place(self, place_id: str | None) -> Location | None:
        return self.s.locations.get(place_id) if place_id is not None else None

    def at(self, t: datetime, place_id: str | None) -> str:
        """A time in the local time of a place (the scenario's time zone if unknown)."""
        place = self.place(place_id)
        return _local(t, place.timezone if place else self.s.timezone)

    def read_time(self, raw: dict[str, Any], key: str, subject: str, leg: _Leg) -> datetime | None:
        value = raw.get(key)
        if value is None:
            self.add("plan", subject, f"has no `{key}` time", leg)
            return None
        if not isinstance(value, str):
            self.add(
                "plan", subject, f"`{key}` must be an ISO 8601 time, found {_shown(value)}", leg
            )
            return None
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            self.add("plan", subject, f"`{key}` {_shown(value)} is not an ISO 8601 time", leg)
            return None
        if t.tzinfo is None or t.utcoffset() is None:
            self.add(
                "plan",
                subject,
                f"`{key}` {_shown(value)} has no UTC offset; times in a plan carry one, "
                f"as in {self.s.start.isoformat()}",
                leg,
            )
            return None
        if not 2 <= t.year <= 9998:
            self.add("plan", subject, f"`{key}` {_shown(value)} is out of range", leg)
            return None
        return t.astimezone(UTC)

    def read_id(
        self, raw: dict[str, Any], key: str, subject: str, leg: _Leg, required: bool = True
    ) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add("plan", subject, f"has no `{key}`", leg)
            return None
        if not isinstance(value, str):
            self.add("plan", subject, f"`{key}` must be a string, found {_shown(value)}", leg)
            return None
        return value

    def read_place(self, raw: dict[str, Any], key: str, subject: str, leg: _Leg) -> str | None:
        value = self.read_id(raw, key, subject, leg)
        if value is not None and value not in self.s.locations:
            self.add(
                "plan", subject, f"`{key}`: {_shown(value)} is not a place of the scenario", leg
            )
            return None
        return value

    # --- the whole plan ---------------------------------------------------------------

    def run(self) -> list[Violation]:
        if not isinstance(self.plan, dict):
            self.add("plan", "", f"a plan is a JSON object, found {_json_type(self.plan)}")
            return self.out
        self.check_header()
        self.read_vehicles()
        self.check_groups()
        self.check_vehicles()
        self.check_throughput()
        self.check_service_seats()
        self.check_capacity()
        computed = self.check_objective()
        self.check_bound(computed)
        return self.out

    def check_header(self) -> None:
        """PLAN.md: `format`, `scenario` and `status`."""
        plan = self.plan
        if plan.get("format") != PLAN_FORMAT:
            found = _shown(plan["format"]) if "format" in plan else "none"
            self.add("plan", "", f"`format` must be {PLAN_FORMAT!r}, found {found}")
        if plan.get("scenario") != self.s.name:
            found = _shown(plan["scenario"]) if "scenario" in plan else "none"
            self.add("plan", "", f"`scenario` must be {self.s.name!r}, found {found}")
        if plan.get("status") not in PLAN_STATUSES:
            found = _shown(plan["status"]) if "status" in plan else "none"
            self.add("plan", "", f"`status` must be 'optimal' or 'feasible', found {found}")

    # --- legs -------------------------------------------------------------------------

    def read_leg(self, raw: Any, index: int, subject: str, group: Group | None) -> _Leg:
        """Read one leg of a group (`group` given) or of a vehicle; report what is malformed."""
        leg = _Leg(index)
        if not isinstance(raw, dict):
            self.add("plan", subject, f"a leg is a JSON object, found {_json_type(raw)}", leg)
            return leg
        kinds = LEG_KINDS if group is not None else VEHICLE_LEG_KINDS
        kind = raw.get("kind")
        leg.where = _where(raw)
        if kind not in kinds:
            allowed = ", ".join(kinds)
            self.add("plan", subject, f"`kind` must be one of {allowed}, found {_shown(kind)}", leg)
        else:
            leg.kind = kind
        leg.from_ = self.read_place(raw, "from", subject, leg)
        leg.to = self.read_place(raw, "to", subject, leg)
        leg.depart = self.read_time(raw, "depart", subject, leg)
        leg.arrive = self.read_time(raw, "arrive", subject, leg)
        if leg.depart is not None and leg.arrive is not None and leg.arrive < leg.depart:
            self.add(
                "plan",
                subject,
                f"arrives {self.at(leg.arrive, leg.to)} before it departs "
                f"{self.at(leg.depart, leg.from_)}",
                leg,
            )
        if leg.kind == "crossing":
            leg.crossing = self.read_crossing(raw, subject, leg)
        elif raw.get("crossing") is not None and leg.kind is not None:
            self.add("plan", subject, f"a {leg.kind} leg has no `crossing`", leg)
        if group is None:
            self.read_vehicle_leg_groups(raw, subject, leg)
            return leg
        if leg.kind in SERVICE_KINDS:
            leg.service = self.read_service(raw, subject, leg)
            if leg.service is not None:
                leg.carrier = leg.service.id
            if raw.get("vehicle") is not None:
                self.add("plan", subject, f"a {leg.kind} leg has no `vehicle`", leg)
        elif leg.kind is not None:
            if raw.get("service") is not None:
                self.add("plan", subject, f"a {leg.kind} leg has no `service`", leg)
            self.read_leg_vehicle(raw, subject, leg)
        return leg

    def read_crossing(self, raw: dict[str, Any], subject: str, leg: _Leg) -> Crossing | None:
        crossing_id = self.read_id(raw, "crossing", subject, leg, required=False)
        if crossing_id is None:
            if raw.get("crossing") is None:
                self.add("plan", subject, "a crossing leg names its `crossing`", leg)
            # Go on with the one crossing between its places, if there is exactly one.
            between = [c for c in self.s.crossings if (c.from_, c.to) == (leg.from_, leg.to)]
            return between[0] if len(between) == 1 else None
        crossing = self.s.crossing_by_id.get(crossing_id)
        if crossing is None:
            self.add(
                "plan", subject, f"{_shown(crossing_id)} is not a crossing of the scenario", leg
            )
        return crossing

    def read_service(self, raw: dict[str, Any], subject: str, leg: _Leg) -> Service | None:
        service_id = self.read_id(raw, "service", subject, leg, required=False)
        if service_id is None:
            if raw.get("service") is None:
                self.add("plan", subject, f"a {leg.kind} leg names its `service`", leg)
            return None
        service = self.s.service_by_id.get(service_id)
        if service is None:
            self.add("plan", subject, f"{_shown(service_id)} is not a flight or sailing", leg)
        elif service.kind != leg.kind:
            self.add("plan", subject, f"{service_id} is a {service.kind}, not a {leg.kind}", leg)
        return service

    def read_leg_vehicle(self, raw: dict[str, Any], subject: str, leg: _Leg) -> None:
        """`vehicle` of a group's road or crossing leg: a fleet vehicle, `own`, or (crossing
        only) none for a crossing on foot."""
        value = raw.get("vehicle")
        if value is None:
            if leg.kind == "road":
                self.add(
                    "3",
                    subject,
                    "a road leg is driven by a fleet vehicle or by the group itself (`own`); "
                    "it names no `vehicle`",
                    leg,
                )
            else:
                leg.carrier = FOOT
            return
        if not isinstance(value, str):
            self.add("plan", subject, f"`vehicle` must be a string, found {_shown(value)}", leg)
            return
        leg.carrier = value
        if value == OWN or value in self.s.vehicle_by_id:
            leg.vehicle = value
        elif value == FOOT and leg.kind == "crossing":
            self.add("plan", subject, "a crossing on foot has no `vehicle` (absent or null)", leg)
            leg.carrier = FOOT
        else:
            self.add(
                "plan", subject, f"`vehicle`: {_shown(value)} is not a fleet vehicle or 'own'", leg
            )

    def read_vehicle_leg_groups(self, raw: dict[str, Any], subject: str, leg: _Leg) -> None:
        value = raw.get("groups")
        if not isinstance(value, list):
            found = "none" if value is None else _shown(value)
            self.add("plan", subject, f"`groups` must be a list of group ids, found {found}", leg)
            return
        leg.groups_read = True
        known: list[str] = []
        for gid in value:
            if not isinstance(gid, str) or gid not in self.s.group_by_id:
                self.add(
                    "plan", subject, f"`groups`: {_shown(gid)} is not a group of the scenario", leg
                )
            elif gid in known:
                self.add("plan", subject, f"`groups` lists {gid} twice", leg)
            else:
                known.append(gid)
        leg.groups = tuple(known)

    # --- groups -----------------------------------------------------------------------

    def check_groups(self) -> None:
        """PLAN.md `groups` and rule 8: every group exactly once; then each group's rules."""
        entries = self.plan.get("groups")
        if not isinstance(entries, list):
            found = "none" if entries is None else _json_type(entries)
            self.add("plan", "", f"`groups` must be a list, found {found}")
            entries = []
        seen: dict[str, int] = {}
        for position, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                self.add("plan", "", f"groups entry {position} is not an object")
                continue
            gid = entry.get("id")
            if not isinstance(gid, str):
                self.add("plan", "", f"groups entry {position} has no string `id`")
                continue
            group = self.s.group_by_id.get(gid)
            if group is None:
                self.add("plan", f"group {_id(gid)}", "is not a group of the scenario")
                continue
            if gid in seen:
                self.add(
                    "8",
                    f"group {gid}",
                    f"appears more than once in the plan (groups entries {seen[gid]} and "
                    f"{position}); every group appears exactly once",
                )
                self.outcomes_known = False
                continue
            seen[gid] = position
            self.check_group(group, entry)
        for group in self.s.groups:
            if group.id not in seen:
                self.add("8", f"group {group.id}", "is missing from the plan")
                self.outcomes_known = False

    def check_group(self, group: Group, entry: dict[str, Any]) -> None:
        subject = f"group {group.id}"
        people = entry.get("people")
        if not _is_int(people) or people != group.people:
            self.add(
                "plan",
                subject,
                f"`people` must be {group.people}, its number of members; found {_shown(people)}",
            )
        raw_legs = entry.get("legs")
        if not isinstance(raw_legs, list):
            found = "none" if raw_legs is None else _json_type(raw_legs)
            self.add("plan", subject, f"`legs` must be a list (possibly empty), found {found}")
            raw_legs = []
            self.outcomes_known = False
        legs = [self.read_leg(raw, i, subject, group) for i, raw in enumerate(raw_legs, 1)]
        self.group_legs[group.id] = legs
        self.check_chain(group, legs)
        for position, leg in enumerate(legs):
            if leg.kind == "road":
                self.check_road(leg, subject)
            elif leg.kind == "crossing" and leg.crossing is not None:
                self.check_crossing(leg, subject, leg.crossing, leg.vehicle is not None)
                self.check_documents(group, leg, subject, leg.crossing.documents, "5")
            elif leg.service is not None:
                self.check_service(group, legs, position, subject)
            if leg.vehicle == OWN:
                self.check_own(group, legs, position, subject)
            if leg.arrive is not None and leg.arrive > self.end:
                self.add(
                    "2",
                    subject,
                    f"arrives {self.at(leg.arrive, leg.to)}, after the end of the horizon "
                    f"{self.at(self.end, leg.to)}",
                    leg,
                )
        outcome = self.outcome(group, legs)
        self.outcomes[group.id] = outcome
        self.check_status(group, entry, legs, outcome)

    def check_chain(self, group: Group, legs: list[_Leg]) -> None:
        """Rule 2: from `at`, not before `ready`, each leg where and after the previous
        ended, plus the place's `transfer` on a change of carrier (flights and sailings:
        rule 6's check-in, checked with the service)."""
        subject = f"group {group.id}"
        previous: _Leg | None = None
        for leg in legs:
            if previous is None:
                if leg.from_ is not None and leg.from_ != group.at:
                    self.add(
                        "2",
                        subject,
                        f"starts at {leg.from_}, but the group waits at {group.at}",
                        leg,
                    )
                ready = group.ready.astimezone(UTC)
                if leg.service is None and leg.depart is not None and leg.depart < ready:
                    self.add(
                        "2",
                        subject,
                        f"departs {self.at(leg.depart, leg.from_)}, before the group is ready "
                        f"at {self.at(ready, group.at)}",
                        leg,
                    )
            else:
                if leg.from_ is not None and previous.to is not None and leg.from_ != previous.to:
                    self.add(
                        "2",
                        subject,
                        f"starts at {leg.from_}, but leg {previous.index} ended at {previous.to}",
                        leg,
                    )
                if leg.service is None and leg.depart is not None and previous.arrive is not None:
                    self.check_connection(previous, leg, subject)
            previous = leg

    def check_connection(self, previous: _Leg, leg: _Leg, subject: str) -> None:
        assert leg.depart is not None and previous.arrive is not None
        place_id = previous.to or leg.from_
        change = (
            previous.carrier is not None
            and leg.carrier is not None
            and previous.carrier != leg.carrier
        )
        place = self.place(place_id)
        transfer = place.transfer if change and place is not None else timedelta(0)
        earliest = previous.arrive + transfer
        if leg.depart >= earliest:
            return
        if transfer:
            message = (
                f"departs {self.at(leg.depart, place_id)} {_carrier_words(leg.carrier)}, but "
                f"leg {previous.index} arrives {_carrier_words(previous.carrier)} at "
                f"{self.at(previous.arrive, place_id)}; changing vehicle at {place_id} takes "
                f"its transfer of {_duration(transfer)}, so not before "
                f"{self.at(earliest, place_id)}"
            )
        else:
            message = (
                f"departs {self.at(leg.depart, place_id)}, before leg {previous.index} arrives "
                f"at {self.at(previous.arrive, place_id)}"
            )
        self.add("2", subject, message, leg)

    def check_own(self, group: Group, legs: list[_Leg], position: int, subject: str) -> None:
        """docs/rules.md: `own` only for groups with `own_vehicle`, and only while every
        earlier leg was `own` too (the car is where the group last left it)."""
        leg = legs[position]
        if not group.own_vehicle:
            self.add(
                "3",
                subject,
                "drives its own vehicle (`own`), but the group has own_vehicle: false",
                leg,
            )
            return
        for earlier in legs[:position]:
            # An unreadable earlier leg is reported already; do not guess its carrier.
            if earlier.carrier is not None and earlier.carrier != OWN:
                self.add(
                    "3",
                    subject,
                    f"drives its own vehicle after leg {earlier.index} was not in it: the car "
                    "stays where the group left it, so `own` legs come only first",
                    leg,
                )
                return

    # --- rule 3: roads ---------------------------------------------------------------

    def check_road(self, leg: _Leg, subject: str) -> None:
        """Rule 3: a road in that direction, at least its duration, clear of its closures."""
        if leg.from_ is None or leg.to is None:
            return
        roads = self.roads_from.get((leg.from_, leg.to), [])
        if not roads:
            if self.roads_from.get((leg.to, leg.from_)):
                message = f"the road from {leg.to} to {leg.from_} is one-way (both_ways: false)"
            else:
                message = f"there is no road from {leg.from_} to {leg.to}"
            self.add("3", subject, message, leg)
            return
        if leg.depart is None or leg.arrive is None or leg.arrive < leg.depart:
            return
        problems = [self.road_problems(road, leg) for road in roads]
        if all(problems):
            for message in problems[0]:
                self.add("3", subject, message, leg)

    def road_problems(self, road: Road, leg: _Leg) -> list[str]:
        assert leg.depart is not None and leg.arrive is not None
        problems = []
        taken = leg.arrive - leg.depart
        if taken < road.duration:
            problems.append(
                f"takes {_duration(taken)} (departs {self.at(leg.depart, leg.from_)}, arrives "
                f"{self.at(leg.arrive, leg.to)}), less than the road's {_duration(road.duration)}"
            )
        place = self.s.locations[road.from_]
        for window in road.closed:
            hit = _overlap(window, place.timezone, leg.depart, leg.arrive)
            if hit is None:
                continue
            c1, c2 = hit
            on_road = f"from {self.at(leg.depart, leg.from_)} to {self.at(leg.arrive, leg.to)}"
            if isinstance(window, DailyWindow):
                what = (
                    f"its daily closure {window.text} (local time of {road.from_}), "
                    f"here from {self.at(c1, road.from_)} to {self.at(c2, road.from_)}"
                )
            else:
                what = f"its closure from {self.at(c1, road.from_)} to {self.at(c2, road.from_)}"
            problems.append(f"is on the road {on_road}, during {what}")
        return problems

    # --- rule 5: crossings -----------------------------------------------------------

    def check_crossing(self, leg: _Leg, subject: str, crossing: Crossing, in_vehicle: bool) -> None:
        """Rule 5 for one crossing leg: its places, vehicles allowed, open hours and
        closures at the departure, processing time."""
        if (leg.from_ is not None and leg.from_ != crossing.from_) or (
            leg.to is not None and leg.to != crossing.to
        ):
            self.add(
                "5",
                subject,
                f"crossing {crossing.id} goes from {crossing.from_} to {crossing.to}, the leg "
                f"from {leg.from_} to {leg.to}",
                leg,
            )
        if in_vehicle and not crossing.vehicles:
            how = _carrier_words(leg.vehicle or "the vehicle")
            self.add(
                "5",
                subject,
                f"crosses {how}, but vehicles may not cross at "
                f"{crossing.id} (vehicles: false): people cross on foot",
                leg,
            )
        place = self.s.locations[crossing.from_]
        if leg.depart is not None:
            local = leg.depart.astimezone(place.timezone)
            if crossing.open and not any(_in_daily(w, local) for w in crossing.open):
                hours = ", ".join(w.text for w in crossing.open)
                self.add(
                    "5",
                    subject,
                    f"departs {_local(leg.depart, place.timezone)}, outside the open hours "
                    f"{hours} (local time of {crossing.from_})",
                    leg,
                )
            for window in crossing.closed:
                if _overlap(window, place.timezone, leg.depart, leg.depart) is not None:
                    self.add(
                        "5",
                        subject,
                        f"departs {_local(leg.depart, place.timezone)}, inside the closure "
                        f"{self.window_words(window, crossing.from_)}",
                        leg,
                    )
        if leg.depart is not None and leg.arrive is not None and leg.arrive >= leg.depart:
            taken = leg.arrive - leg.depart
            if taken < crossing.processing:
                self.add(
                    "5",
                    subject,
                    f"takes {_duration(taken)}, less than the processing time "
                    f"{_duration(crossing.processing)} of {crossing.id}",
                    leg,
                )

    def window_words(self, window: Window, place_id: str) -> str:
        if isinstance(window, DailyWindow):
            return f"{window.text} (local time of {place_id})"
        start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
        return f"from {self.at(start, place_id)} to {self.at(end, place_id)}"

    def check_documents(
        self,
        group: Group,
        leg: _Leg,
        subject: str,
        accepted: frozenset[str] | None,
        rule: str,
    ) -> None:
        """Every member holds one of the accepted documents (None accepts anything)."""
        if group.holds_accepted(accepted) or accepted is None:
            return
        lacking = [
            member.name or f"member {n}"
            for n, member in enumerate(group.members, 1)
            if not member.documents & accepted
        ]
        self.add(
            rule,
            subject,
            f"{_names(lacking)} hold{'s' if len(lacking) == 1 else ''} none of the accepted "
            f"documents ({', '.join(sorted(accepted))})",
            leg,
        )

    def check_throughput(self) -> None:
        """Rule 5: at most `throughput` people start crossing in each hour counted from the
        start, on foot and in vehicles alike."""
        crossed: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
        for gid, legs in self.group_legs.items():
            for leg in legs:
                if leg.crossing is None or leg.depart is None:
                    continue
                hour = (leg.depart - self.start) // HOUR
                people = crossed[leg.crossing.id, hour]
                people[gid] = people.get(gid, 0) + self.s.group_by_id[gid].people
        for crossing in self.s.crossings:
            if crossing.throughput is None:
                continue
            hours = sorted(h for (cid, h) in crossed if cid == crossing.id)
            for hour in hours:
                people = crossed[crossing.id, hour]
                total = sum(people.values())
                if total <= crossing.throughput:
                    continue
                begin = self.start + hour * HOUR
                groups = [f"{gid} ({n})" for gid, n in people.items()]
                self.add(
                    "5",
                    f"crossing {crossing.id}",
                    f"{total} people start crossing in the hour from "
                    f"{self.at(begin, crossing.from_)} to {self.at(begin + HOUR, crossing.from_)}"
                    f", more than its throughput of {crossing.throughput}: {_names(groups)}",
                )

    # --- rule 6: flights and sailings ------------------------------------------------

    def check_service(self, group: Group, legs: list[_Leg], position: int, subject: str) -> None:
        """Rule 6 for one leg: as scheduled, check-in (and transfer) met, documents held."""
        leg = legs[position]
        service = leg.service
        assert service is not None
        name = f"{service.kind} {service.id}"
        if leg.from_ != service.from_ or leg.to != service.to:
            self.add(
                "6",
                subject,
                f"{name} goes from {service.from_} to {service.to}, the leg from {leg.from_} "
                f"to {leg.to}",
                leg,
            )
        departs = service.departs.astimezone(UTC)
        arrives = service.arrives.astimezone(UTC)
        if leg.depart is not None and leg.depart != departs:
            self.add(
                "6",
                subject,
                f"departs {self.at(leg.depart, service.from_)}, but {name} departs "
                f"{self.at(departs, service.from_)}",
                leg,
            )
        if leg.arrive is not None and leg.arrive != arrives:
            self.add(
                "6",
                subject,
                f"arrives {self.at(leg.arrive, service.to)}, but {name} arrives "
                f"{self.at(arrives, service.to)}",
                leg,
            )
        place = self.s.locations[service.from_]
        lead = max(service.check_in, place.transfer)
        latest = departs - lead
        need = (
            f"{name} departs {self.at(departs, service.from_)} and needs the group at "
            f"{service.from_} {_duration(lead)} before (check-in {_duration(service.check_in)}"
            f", transfer {_duration(place.transfer)}), by {self.at(latest, service.from_)}"
        )
        if position == 0:
            ready = group.ready.astimezone(UTC)
            if ready > latest:
                self.add(
                    "6",
                    subject,
                    f"the group is ready at {self.at(ready, group.at)}, but {need}",
                    leg,
                )
        else:
            previous = legs[position - 1]
            if previous.arrive is not None and previous.arrive > latest:
                self.add(
                    "6",
                    subject,
                    f"leg {previous.index} arrives {self.at(previous.arrive, previous.to)}, "
                    f"but {need}",
                    leg,
                )
        self.check_documents(group, leg, subject, service.documents, "6")

    def check_service_seats(self) -> None:
        """Rule 6: the people aboard a flight or sailing use at most its `seats`."""
        aboard: dict[str, dict[str, int]] = defaultdict(dict)
        for gid, legs in self.group_legs.items():
            for leg in legs:
                if leg.service is not None:
                    seats = aboard[leg.service.id]
                    seats[gid] = seats.get(gid, 0) + self.s.group_by_id[gid].seats
        for service in self.s.services:
            seats = aboard.get(service.id, {})
            total = sum(seats.values())
            if total > service.seats:
                groups = [f"{gid} ({n})" for gid, n in seats.items()]
                self.add(
                    "6",
                    f"{service.kind} {service.id}",
                    f"carries groups using {total} seats, more than its {service.seats}: "
                    f"{_names(groups)}",
                )

    # --- rule 4: fleet vehicles and the `vehicles` list ------------------------------

    def read_vehicles(self) -> None:
        """PLAN.md `vehicles`: known vehicles, once each, legs in time order."""
        entries = self.plan.get("vehicles")
        if not isinstance(entries, list):
            found = "none" if entries is None else _json_type(entries)
            self.add("plan", "", f"`vehicles` must be a list, found {found}")
            return
        for position, entry in enumerate(entries, 1):
            vid = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(vid, str):
                self.add("plan", "", f"vehicles entry {position} is not an object with an `id`")
                continue
            subject = f"vehicle {_id(vid)}"
            vehicle = self.s.vehicle_by_id.get(vid)
            if vehicle is None:
                self.add("plan", subject, "is not a fleet vehicle of the scenario")
                continue
            if vid in self.listed:
                self.add("plan", subject, "is listed more than once in `vehicles`")
                continue
            fleet = entry.get("fleet")
            if fleet is not None and fleet != vehicle.fleet:
                self.add(
                    "plan", subject, f"`fleet` must be {vehicle.fleet!r}, found {_shown(fleet)}"
                )
            raw_legs = entry.get("legs")
            if not isinstance(raw_legs, list):
                found = "none" if raw_legs is None else _json_type(raw_legs)
                self.add("plan", subject, f"`legs` must be a list, found {found}")
                raw_legs = []
            legs = [self.read_leg(raw, i, subject, None) for i, raw in enumerate(raw_legs, 1)]
            self.listed[vid] = legs
            timed = [leg for leg in legs if leg.depart is not None]
            for before, leg in zip(timed, timed[1:], strict=False):
                assert before.depart is not None and leg.depart is not None
                if leg.depart < before.depart:
                    self.add(
                        "plan",
                        subject,
                        f"legs are not in time order: departs {self.at(leg.depart, leg.from_)}, "
                        f"before leg {before.index} ({self.at(before.depart, before.from_)})",
                        leg,
                    )
            for leg in legs:
                key = leg.key()
                if key is None:
                    self.unreadable.add(vid)
                    continue
                if key in self.vehicle_legs[vid]:
                    self.add("plan", subject, "lists the same leg twice", leg)
                    continue
                self.vehicle_legs[vid][key] = _VehicleLeg(leg, leg.index, dict.fromkeys(leg.groups))

    def check_vehicles(self) -> None:
        """PLAN.md: group legs and vehicle legs agree; then rule 4 on what each vehicle does."""
        unlisted: dict[str, dict[str, None]] = defaultdict(dict)
        for gid, legs in self.group_legs.items():
            subject = f"group {gid}"
            for leg in legs:
                vid = leg.vehicle
                if vid is None or vid == OWN:
                    continue
                key = leg.key()
                if key is None:
                    continue
                known = self.vehicle_legs[vid]
                if vid not in self.listed:
                    # Not listed: what the vehicle does is known only from its passengers.
                    unlisted[vid][gid] = None
                    known.setdefault(key, _VehicleLeg(leg, None))
                elif key not in known:
                    self.add(
                        "plan",
                        subject,
                        f"rides {vid}, but {vid} has no leg from {leg.from_} to {leg.to} with "
                        "the same times in `vehicles`",
                        leg,
                    )
                    continue
                elif known[key].leg.groups_read and gid not in known[key].leg.groups:
                    self.add(
                        "plan",
                        f"vehicle {vid}",
                        f"does not list group {gid}, which rides it (group {gid} leg {leg.index})",
                        known[key].leg,
                    )
                known[key].aboard[gid] = None
                known[key].group_checked = True
        for vid, gids in unlisted.items():
            self.add(
                "plan",
                f"vehicle {vid}",
                f"carries {_names(list(gids))} but is not listed in `vehicles`",
            )
        for vid, legs in self.listed.items():
            for leg in legs:
                for gid in leg.groups:
                    self.check_listed_group(vid, leg, gid)
        for vehicle in self.s.vehicles:
            if vehicle.id in self.vehicle_legs:
                self.check_vehicle(vehicle, list(self.vehicle_legs[vehicle.id].values()))

    def check_listed_group(self, vid: str, leg: _Leg, gid: str) -> None:
        """A group a vehicle leg lists has that leg; if it is elsewhere then, it is split."""
        key = leg.key()
        group_legs = self.group_legs.get(gid)
        if key is None or group_legs is None:
            return
        # Said to ride it, or cannot tell: a leg in this vehicle that could not be read.
        if any(g.vehicle == vid and g.key() in (key, None) for g in group_legs):
            return
        assert leg.depart is not None and leg.arrive is not None
        for other in group_legs:
            if (
                other.carrier != vid
                and other.depart is not None
                and other.arrive is not None
                and other.depart < leg.arrive
                and leg.depart < other.arrive
            ):
                self.add(
                    "1",
                    f"vehicle {vid}",
                    f"lists group {gid} aboard, but at that time the group is on its leg "
                    f"{other.index} ({other.where}, {_carrier_words(other.carrier)}): a group "
                    "travels whole, all members on the same vehicle at the same times",
                    leg,
                )
                return
        self.add(
            "plan",
            f"vehicle {vid}",
            f"lists group {gid}, but the group has no leg in {vid} with these places and times",
            leg,
        )

    def check_vehicle(self, vehicle: Vehicle, vlegs: list[_VehicleLeg]) -> None:
        """Rule 4: one chain from `at` after `available`, within `countries`, within `seats`;
        its roads and crossings keep rules 3 and 5 (when no group's leg was checked)."""
        subject = f"vehicle {vehicle.id}"
        timed = sorted(
            (v for v in vlegs if v.leg.depart is not None and v.leg.arrive is not None),
            key=lambda v: (v.leg.depart, v.leg.arrive),
        )
        available = vehicle.available.astimezone(UTC)
        previous: _Leg | None = None
        for vleg in timed if vehicle.id not in self.unreadable else []:
            leg = vleg.leg
            assert leg.depart is not None and leg.arrive is not None
            if previous is None:
                if leg.from_ is not None and leg.from_ != vehicle.at:
                    self.add_vehicle(
                        vleg,
                        subject,
                        f"starts at {leg.from_}, but {vehicle.id} is at {vehicle.at}",
                    )
                if leg.depart < available:
                    self.add_vehicle(
                        vleg,
                        subject,
                        f"departs {self.at(leg.depart, leg.from_)}, before {vehicle.id} "
                        f"is available at {self.at(available, vehicle.at)}",
                    )
            else:
                assert previous.arrive is not None
                if leg.from_ is not None and previous.to is not None and leg.from_ != previous.to:
                    self.add_vehicle(
                        vleg,
                        subject,
                        f"starts at {leg.from_}, but its previous leg ended at {previous.to}",
                    )
                if leg.depart < previous.arrive:
                    self.add_vehicle(
                        vleg,
                        subject,
                        f"departs {self.at(leg.depart, leg.from_)}, before its previous "
                        f"leg arrives at {self.at(previous.arrive, previous.to)}",
                    )
            previous = leg
        self.check_countries(vehicle, vlegs)
        for vleg in vlegs:
            seats = {gid: self.s.group_by_id[gid].seats for gid in vleg.aboard}
            if sum(seats.values()) > vehicle.seats:
                listed = [f"{gid} ({n})" for gid, n in seats.items()]
                self.add_vehicle(
                    vleg,
                    subject,
                    f"carries groups using {sum(seats.values())} seats, more than its "
                    f"{vehicle.seats}: {_names(listed)}",
                )
            if vleg.group_checked:
                continue
            leg = vleg.leg
            if leg.kind == "road":
                self.check_road(leg, subject)
            elif leg.kind == "crossing" and leg.crossing is not None:
                self.check_crossing(leg, subject, leg.crossing, True)
            if leg.arrive is not None and leg.arrive > self.end:
                self.add(
                    "4",
                    subject,
                    f"arrives {self.at(leg.arrive, leg.to)}, after the end of the horizon "
                    f"{self.at(self.end, leg.to)}",
                    leg,
                )

    def add_vehicle(self, vleg: _VehicleLeg | None, subject: str, message: str) -> None:
        """A rule 4 violation on a vehicle's leg: by its index when the leg is listed, else
        named by its places and departure (known only from its passengers' legs)."""
        if vleg is None or vleg.listed_index is not None:
            self.add("4", subject, message, vleg.leg if vleg else None)
            return
        leg = vleg.leg
        when = f" at {self.at(leg.depart, leg.from_)}" if leg.depart is not None else ""
        self.add("4", subject, f"{leg.where}{when} (from its passengers' legs): {message}")

    def check_countries(self, vehicle: Vehicle, vlegs: list[_VehicleLeg]) -> None:
        """Rule 4: a vehicle visits only places in its `countries`, its start included."""
        if vehicle.countries is None:
            return
        allowed = ", ".join(sorted(vehicle.countries))
        reported: set[str] = set()
        places = [(vehicle.at, None)] + [
            (p, v) for v in vlegs for p in (v.leg.from_, v.leg.to) if p is not None
        ]
        for place_id, vleg in places:
            country = self.s.locations[place_id].country
            if country in vehicle.countries or place_id in reported:
                continue
            reported.add(place_id)
            self.add_vehicle(
                vleg,
                f"vehicle {vehicle.id}",
                f"visits {place_id} in {country}, outside its countries ({allowed})",
            )

    # --- rule 7: places --------------------------------------------------------------

    def check_capacity(self) -> None:
        """Rule 7: at a place with `capacity`, never more people at once; a group counts
        from its arrival until its next departure, and for ever if it stays (so a group
        arriving at the very end of the horizon still counts)."""
        forever = self.end + timedelta(days=1)
        events: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
        for gid, legs in self.group_legs.items():
            people = self.s.group_by_id[gid].people
            for leg, following in zip(legs, [*legs[1:], None], strict=False):
                place = self.place(leg.to)
                if place is None or place.capacity is None or leg.arrive is None:
                    continue
                leaves = forever if following is None else following.depart
                if leaves is None or leaves <= leg.arrive:
                    continue
                events[place.id].append((leg.arrive, people, gid))
                events[place.id].append((leaves, -people, gid))
        for place_id, place_events in events.items():
            capacity = self.s.locations[place_id].capacity
            assert capacity is not None
            self.sweep_capacity(place_id, capacity, place_events)

    def sweep_capacity(
        self, place_id: str, capacity: int, events: list[tuple[datetime, int, str]]
    ) -> None:
        # Departures before arrivals at the same instant: intervals are half-open.
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        present: dict[str, int] = {}
        count = 0
        over: tuple[datetime, int, list[str]] | None = None
        for t, delta, gid in events:
            present[gid] = present.get(gid, 0) + delta
            if present[gid] <= 0:
                del present[gid]
            count += delta
            if count > capacity and (over is None or count > over[1]):
                over = (over[0] if over else t, count, list(present))
            if count <= capacity and over is not None:
                self.report_capacity(place_id, capacity, over, t)
                over = None
        if over is not None:
            self.report_capacity(place_id, capacity, over, min(t, self.end))

    def report_capacity(
        self,
        place_id: str,
        capacity: int,
        over: tuple[datetime, int, list[str]],
        until: datetime,
    ) -> None:
        begin, peak, groups = over
        self.add(
            "7",
            f"place {place_id}",
            f"holds up to {peak} people from {self.at(begin, place_id)} to "
            f"{self.at(until, place_id)}, more than its capacity of {capacity}: "
            f"{_names(groups)}",
        )

    # --- rule 8 and the objectives ---------------------------------------------------

    def outcome(self, group: Group, legs: list[_Leg]) -> _Outcome:
        """Rule 8's status and the group's exposure and arrival hours, from its legs."""
        horizon = self.s.horizon / HOUR
        start_place = self.s.locations[group.at]
        exposure: float | None = 0.0 if not start_place.danger else horizon
        if start_place.danger:
            for leg in legs:
                if leg.to is None or leg.arrive is None:
                    exposure = None
                    break
                if not self.s.locations[leg.to].danger:
                    exposure = min(max((leg.arrive - self.start) / HOUR, 0.0), horizon)
                    break
        if not legs:
            evacuated = group.at in group.destinations
            last_place: str | None = group.at
            reached = 0.0
        else:
            last = legs[-1]
            last_place = last.to
            if last.to is None or last.arrive is None:
                return _Outcome(None, exposure, None)
            evacuated = last.to in group.destinations and last.arrive <= self.end
            reached = (last.arrive - self.start) / HOUR
        if evacuated:
            return _Outcome("evacuated", exposure, reached)
        status = "safe" if not self.s.locations[str(last_place)].danger else "left_behind"
        return _Outcome(status, exposure, horizon)

    def check_status(
        self, group: Group, entry: dict[str, Any], legs: list[_Leg], outcome: _Outcome
    ) -> None:
        """Rule 8: the stated status is the one the legs give; a reason when not evacuated."""
        subject = f"group {group.id}"
        status = entry.get("status")
        if status not in GROUP_STATUSES:
            self.add(
                "plan",
                subject,
                f"`status` must be evacuated, safe or left_behind, found {_shown(status)}",
            )
        elif outcome.status is not None and status != outcome.status:
            self.add(
                "8",
                subject,
                f"status is {_shown(status)}, but its legs give "
                f"{outcome.status!r}: {self.status_words(group, legs)}",
            )
        reason = entry.get("reason")
        if status == "evacuated" and reason is not None:
            self.add(
                "plan", subject, f"an evacuated group has `reason` null, found {_shown(reason)}"
            )
        elif status in ("safe", "left_behind") and not (isinstance(reason, str) and reason.strip()):
            self.add(
                "8",
                subject,
                f"a group that is not evacuated needs a `reason`, found {_shown(reason)}",
            )
        if None in (outcome.status, outcome.exposure_hours, outcome.arrival_hours):
            self.outcomes_known = False

    def status_words(self, group: Group, legs: list[_Leg]) -> str:
        """Why the legs give the status they give."""
        destinations = ", ".join(group.destinations)
        if legs:
            last = legs[-1]
            assert last.to is not None and last.arrive is not None
            place_id, where = last.to, f"its last leg ends at {last.to}"
            if last.to in group.destinations:
                if last.arrive <= self.end:
                    return f"{where}, one of its destinations, by the end of the horizon"
                return (
                    f"{where} {self.at(last.arrive, last.to)}, after the end of the "
                    f"horizon {self.at(self.end, last.to)}"
                )
        else:
            place_id, where = group.at, f"it has no legs and stays at {group.at}"
            if group.at in group.destinations:
                return f"{where}, one of its destinations"
        danger = self.s.locations[place_id].danger
        zone = "in the danger zone" if danger else "out of the danger zone"
        return f"{where}, not one of its destinations ({destinations}), {zone}"

    def check_objective(self) -> dict[str, float | None] | None:
        """PLAN.md `objective`: each objective of SCENARIO.md, as the legs give it."""
        stated = self.plan.get("objective")
        if not isinstance(stated, dict):
            found = "none" if stated is None else _json_type(stated)
            self.add("objective", "", f"`objective` must be an object, found {found}")
            stated = {}
        computed = self.compute_objective() if self.outcomes_known else None
        units = {
            "evacuated": "people in evacuated groups",
            "exposure": "w * people * hours until out of the danger zone",
            "arrival": "people * hours until arrival at a destination",
            "makespan": "hours until the last evacuated group arrives",
        }
        for name in OBJECTIVES:
            if name not in stated:
                self.add("objective", name, "is missing from `objective`")
                continue
            value = stated[name]
            if value is None and name == "makespan":
                pass
            elif not _is_number(value):
                self.add("objective", name, f"must be a number, found {_shown(value)}")
                continue
            if computed is None:
                continue
            truth = computed[name]
            if truth is None or value is None:
                if truth is not value:
                    shown = "null" if truth is None else f"{truth:.2f}"
                    self.add(
                        "objective",
                        name,
                        f"the plan states {_number(value)}, its legs give {shown} ({units[name]}"
                        "; null when nobody is evacuated)",
                    )
            elif abs(value - truth) > TOLERANCE:
                self.add(
                    "objective",
                    name,
                    f"the plan states {_number(value)}, its legs give {truth:.2f} ({units[name]})",
                )
        return computed

    def compute_objective(self) -> dict[str, float | None]:
        evacuated = exposure = arrival = 0.0
        makespan: float | None = None
        for group in self.s.groups:
            outcome = self.outcomes[group.id]
            assert outcome.exposure_hours is not None and outcome.arrival_hours is not None
            exposure += self.s.weight(group) * group.people * outcome.exposure_hours
            arrival += group.people * outcome.arrival_hours
            if outcome.status == "evacuated":
                evacuated += group.people
                makespan = max(makespan or 0.0, outcome.arrival_hours)
        return {
            "evacuated": evacuated,
            "exposure": exposure,
            "arrival": arrival,
            "makespan": makespan,
        }

    def check_bound(self, computed: dict[str, float | None] | None) -> None:
        """PLAN.md `bound`: an upper bound for evacuated, lower for the others; equal to the
        value for every objective when the status is optimal."""
        bound = self.plan.get("bound")
        if bound is None:
            return
        if not isinstance(bound, dict):
            self.add("bound", "", f"`bound` must be an object, found {_json_type(bound)}")
            return
        stated = self.plan.get("objective")
        stated = stated if isinstance(stated, dict) else {}
        optimal = self.plan.get("status") == "optimal"
        for name, value in bound.items():
            if name not in OBJECTIVES:
                self.add("bound", _id(str(name)), "is not an objective of SCENARIO.md")
                continue
            if value is None:
                continue
            if not _is_number(value):
                self.add("bound", name, f"must be a number, found {_shown(value)}")
                continue
            truth = computed[name] if computed is not None else stated.get(name)
            if not _is_number(truth):
                continue
            assert isinstance(truth, int | float)
            if name == "evacuated" and value < truth - TOLERANCE:
                self.add(
                    "bound",
                    name,
                    f"an upper bound of {_number(value)} is below the plan's own value {truth:.2f}",
                )
            elif name != "evacuated" and value > truth + TOLERANCE:
                self.add(
                    "bound",
                    name,
                    f"a lower bound of {_number(value)} is above the plan's own value {truth:.2f}",
                )
            elif optimal and abs(value - truth) > TOLERANCE:
                self.add(
                    "bound",
                    name,
                    f"the plan's status is optimal, so its bound must equal its value "
                    f"{truth:.2f}; found {_number(value)}",
                )


# --- small pure helpers -------------------------------------------------------------------


def _local(t: datetime, tz: tzinfo) -> str:
    """`19:30 +02:00 on 2013-10-03`: a time in a place's local time, with the offset."""
    local = t.astimezone(tz)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    clock = local.strftime("%H:%M:%S" if local.second or local.microsecond else "%H:%M")
    return f"{clock} {sign}{hh:02d}:{mm:02d} on {local.date().isoformat()}"


def _duration(d: timedelta) -> str:
    """`1h30m`, `45m`, `0m`; seconds only when there are some."""
    seconds = int(d.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text += f"{secs}s" if secs else ""
    return sign + (text or "0m")


def _minute_of_day(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6


def _in_daily(window: DailyWindow, local: datetime) -> bool:
    """Is a local wall-clock time inside a daily window (half-open, may wrap midnight)?"""
    if window.all_day:
        return True
    minute = _minute_of_day(local)
    if window.start < window.end:
        return window.start <= minute < window.end
    return minute >= window.start or minute < window.end


def _wall(day: date, minutes: int, tz: tzinfo) -> datetime:
    """The instant (UTC) of a local wall-clock time `minutes` after midnight of `day`."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _overlap(
    window: Window, tz: tzinfo, begin: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """The occurrence of `window` that meets `[begin, end)`, or that contains `begin` when
    `begin == end` (an instant); None when there is none. Daily windows are read in `tz`."""

    def meets(c1: datetime, c2: datetime) -> bool:
        if begin == end:
            return c1 <= begin < c2
        return begin < c2 and c1 < end

    if isinstance(window, AbsoluteWindow):
        c1, c2 = window.start.astimezone(UTC), window.end.astimezone(UTC)
        return (c1, c2) if meets(c1, c2) else None
    day = begin.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    # Every day has an occurrence, so a long interval stops at its first few days.
    while day <= last:
        if window.all_day:
            c1, c2 = _wall(day, 0, tz), _wall(day + timedelta(days=1), 0, tz)
        elif window.start < window.end:
            c1, c2 = _wall(day, window.start, tz), _wall(day, window.end, tz)
        else:
            c1, c2 = _wall(day, window.start, tz), _wall(day + timedelta(days=1), window.end, tz)
        if meets(c1, c2):
            return c1, c2
        day += timedelta(days=1)
    return None


def _where(raw: dict[str, Any]) -> str:
    """A short name of a leg for messages: `road a -> b`, `crossing x`, `flight y`."""
    kind = raw.get("kind")
    if kind == "road":
        return f"road {_named(raw.get('from'))} -> {_named(raw.get('to'))}"
    if kind == "crossing":
        return f"crossing {_named(raw.get('crossing'))}"
    if kind in SERVICE_KINDS:
        return f"{kind} {_named(raw.get('service'))}"
    return ""


def _named(value: object) -> str:
    """An id of the plan in a leg's short name: as `_id` gives a string, else as written."""
    return _id(value) if isinstance(value, str) else _shown(value)


def _carrier_words(carrier: str | None) -> str:
    if carrier is None:
        return "in an unreadable vehicle"
    if carrier == FOOT:
        return "on foot"
    if carrier == OWN:
        return "in its own vehicle"
    return f"in {carrier}"


def _shown(value: object) -> str:
    """A value from the plan as written, cut short when it is long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _id(text: str) -> str:
    """An id from the plan, for a subject: as written if it is short and printable."""
    return text if text.isprintable() and len(text) <= 60 else _shown(text)


def _names(items: list[str]) -> str:
    if len(items) <= _MAX_LISTED:
        return ", ".join(items)
    return ", ".join(items[:_MAX_LISTED]) + f" and {len(items) - _MAX_LISTED} more"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: object) -> str:
    return "null" if value is None else f"{value:.2f}" if _is_number(value) else _shown(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
