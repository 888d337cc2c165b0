"""The plan: who goes when, on what, and the objective values (PLAN.md), and `plan.json`.

A :class:`Plan` is what the solvers return and what every output is written from. Its
objective values are computed here from the journeys alone, so a plan states what it does,
whatever made it.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from planner.scenario import Group, Scenario

FORMAT = "evacuation-plan/1"

LegKind = Literal["road", "crossing", "flight", "sailing"]
Status = Literal["evacuated", "safe", "left_behind"]


@dataclass(frozen=True)
class Leg:
    """One leg of a group's journey. `vehicle` is a fleet vehicle id or `own` on road legs
    and crossings made in a vehicle; `crossing` names the crossing; `service` the flight or
    sailing."""

    kind: LegKind
    from_: str
    to: str
    depart: datetime
    arrive: datetime
    vehicle: str | None = None
    crossing: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class GroupPlan:
    """A group's outcome: its status, the reason when not evacuated, and its legs in order."""

    id: str
    people: int
    status: Status
    reason: str | None
    legs: tuple[Leg, ...] = ()


@dataclass(frozen=True)
class VehicleLeg:
    """One leg of a fleet vehicle, with the groups aboard (possibly none)."""

    kind: Literal["road", "crossing"]
    from_: str
    to: str
    depart: datetime
    arrive: datetime
    groups: tuple[str, ...] = ()
    crossing: str | None = None


@dataclass(frozen=True)
class VehiclePlan:
    """A fleet vehicle that moves, with all its legs in time order."""

    id: str
    fleet: str
    legs: tuple[VehicleLeg, ...]


@dataclass(frozen=True)
class Plan:
    """A whole plan. `bound` holds proven bounds of the optimised objectives; `stats` holds
    solver facts (method, seconds, gap) written under `"solver"` in plan.json."""

    scenario: str
    status: Literal["optimal", "feasible"]
    objective: dict[str, float | int | None]
    bound: dict[str, float | int]
    groups: tuple[GroupPlan, ...]
    vehicles: tuple[VehiclePlan, ...]
    stats: dict[str, Any] = field(default_factory=dict)
    causes: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the reasons of the groups not evacuated were written from, where
    `planner.diagnose.with_reasons` worked them out: its `Reason` by group id, with the
    resources each names. Kept for the summary's main bottleneck; not in plan.json."""

    def group(self, group_id: str) -> GroupPlan:
        """The outcome of one group."""
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    @property
    def evacuated(self) -> int:
        """People in evacuated groups."""
        return sum(g.people for g in self.groups if g.status == "evacuated")


def driven(ends: Sequence[tuple[Hashable, Hashable]], loaded: Sequence[bool]) -> list[int]:
    """Of a vehicle's moves, each (from, to) and whether anyone is aboard, the indices of
    those worth driving: none after the last with anyone aboard, and no run of empty moves
    that ends where it began (the vehicle waits there instead)."""
    last = max((i for i, full in enumerate(loaded) if full), default=-1)
    kept: list[int] = []
    i = 0
    while i <= last:
        if not loaded[i]:
            home = ends[i][0]
            back = None
            j = i
            while j <= last and not loaded[j]:
                if ends[j][1] == home:
                    back = j
                j += 1
            if back is not None:
                i = back + 1
                continue
        kept.append(i)
        i += 1
    return kept


def _hours(scenario: Scenario, when: datetime) -> float:
    return (when - scenario.start).total_seconds() / 3600.0


def group_status(scenario: Scenario, group: Group, legs: tuple[Leg, ...]) -> Status:
    """Rule 8: evacuated, safe or left behind, from where the journey ends."""
    last = legs[-1].to if legs else group.at
    if last in group.destinations and (not legs or legs[-1].arrive <= scenario.end):
        return "evacuated"
    if not scenario.locations[last].danger:
        return "safe"
    return "left_behind"


def evaluate_objectives(
    scenario: Scenario, journeys: dict[str, tuple[Leg, ...]]
) -> dict[str, float | int | None]:
    """The four objectives of SCENARIO.md for the given journeys (group id -> legs)."""
    horizon = scenario.horizon.total_seconds() / 3600.0
    evacuated = 0
    exposure = 0.0
    arrival = 0.0
    makespan: float | None = None
    for group in scenario.groups:
        legs = journeys.get(group.id, ())
        people = group.people
        if scenario.locations[group.at].danger:
            safe_at = next(
                (leg.arrive for leg in legs if not scenario.locations[leg.to].danger), None
            )
            exposed = horizon if safe_at is None else _hours(scenario, safe_at)
            exposure += scenario.weight(group) * people * exposed
        if group_status(scenario, group, legs) == "evacuated":
            evacuated += people
            arrived = _hours(scenario, legs[-1].arrive) if legs else 0.0
            arrival += people * arrived
            makespan = arrived if makespan is None else max(makespan, arrived)
        else:
            arrival += people * horizon
    return {
        "evacuated": evacuated,
        "exposure": round(exposure, 6),
        "arrival": round(arrival, 6),
        "makespan": None if makespan is None else round(makespan, 6),
    }


def _time(when: datetime, scenario: Scenario) -> str:
    return when.astimezone(scenario.timezone).isoformat()


def _leg_dict(leg: Leg, scenario: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": leg.kind}
    if leg.crossing is not None:
        out["crossing"] = leg.crossing
    if leg.service is not None:
        out["service"] = leg.service
    out["from"] = leg.from_
    out["to"] = leg.to
    if leg.vehicle is not None:
        out["vehicle"] = leg.vehicle
    out["depart"] = _time(leg.depart, scenario)
    out["arrive"] = _time(leg.arrive, scenario)
    return out


def plan_to_dict(plan: Plan, scenario: Scenario) -> dict[str, Any]:
    """The plan as the JSON object of PLAN.md; times in the scenario's time zone."""
    vehicles = []
    for v in plan.vehicles:
        legs = []
        for leg in v.legs:
            d: dict[str, Any] = {"kind": leg.kind}
            if leg.crossing is not None:
                d["crossing"] = leg.crossing
            d.update(
                {
                    "from": leg.from_,
                    "to": leg.to,
                    "depart": _time(leg.depart, scenario),
                    "arrive": _time(leg.arrive, scenario),
                    "groups": list(leg.groups),
                }
            )
            legs.append(d)
        vehicles.append({"id": v.id, "fleet": v.fleet, "legs": legs})
    return {
        "format": FORMAT,
        "scenario": plan.scenario,
        "status": plan.status,
        "objective": plan.objective,
        "bound": plan.bound,
        "groups": [
            {
                "id": g.id,
                "people": g.people,
                "status": g.status,
                "reason": g.reason,
                "legs": [_leg_dict(leg, scenario) for leg in g.legs],
            }
            for g in plan.groups
        ],
        "vehicles": vehicles,
        "solver": plan.stats,
    }


def write_plan(plan: Plan, scenario: Scenario, path: str | Path) -> Path:
    """Write `plan.json` (PLAN.md) to `path`; returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan_to_dict(plan, scenario), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """A :class:`Plan` from a plan.json object (PLAN.md) that keeps the format; used to
    start a solve from an existing plan. Check the plan first: this trusts its shape."""
    groups = tuple(
        GroupPlan(
            id=g["id"],
            people=g["people"],
            status=g["status"],
            reason=g.get("reason"),
            legs=tuple(
                Leg(
                    kind=leg["kind"],
                    from_=leg["from"],
                    to=leg["to"],
                    depart=_parse_time(leg["depart"]),
                    arrive=_parse_time(leg["arrive"]),
                    vehicle=leg.get("vehicle"),
                    crossing=leg.get("crossing"),
                    service=leg.get("service"),
                )
                for leg in g.get("legs", [])
            ),
        )
        for g in data.get("groups", [])
    )
    vehicles = tuple(
        VehiclePlan(
            id=v["id"],
            fleet=v.get("fleet", ""),
            legs=tuple(
                VehicleLeg(
                    kind=leg["kind"],
                    from_=leg["from"],
                    to=leg["to"],
                    depart=_parse_time(leg["depart"]),
                    arrive=_parse_time(leg["arrive"]),
                    groups=tuple(leg.get("groups", [])),
                    crossing=leg.get("crossing"),
                )
                for leg in v.get("legs", [])
            ),
        )
        for v in data.get("vehicles", [])
    )
    return Plan(
        scenario=data.get("scenario", ""),
        status=data.get("status", "feasible"),
        objective=dict(data.get("objective", {})),
        bound=dict(data.get("bound", {})),
        groups=groups,
        vehicles=vehicles,
        stats=dict(data.get("solver", {})),
    )
