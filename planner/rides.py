"""Whole families seated on vehicles whose every move is fixed.

A yes of the whole-number flow (`planner.flow.WholeFlow.by`) comes with one itinerary per
named vehicle (`Skeleton.vehicles`). What is left is to seat the families: a family boards a
vehicle where it waits, once it is ready, stays aboard while the vehicle drives on, and gets
off at the first of its destinations the vehicle reaches. The families of one class
(`planner.model.build_classes`) are alike, so the model has one whole number per class and
ride (vehicle, move it boards, move it gets off): how many of the class's families take it.
Seats per vehicle move, each crossing's hourly throughput and each place's capacity are its
rows. CP-SAT seats 2,400 people on 50 vehicles this way in about a second, where the pooled
model restricted to the same departures (85,000 variables) found no plan in a minute.

Only journeys on one vehicle are offered: a family that needs a walk across a border, a
flight, a sailing, its own car or a change of vehicle stays where it is. The plan is then
worse than the one it is compared with, never wrong.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from planner.plan import Leg, Plan, VehicleLeg, VehiclePlan, driven, evaluate_objectives

if TYPE_CHECKING:
    from planner.model import EvacuationModel, SolveParameters, _Class

log = logging.getLogger(__name__)

Itineraries = dict[int, tuple[tuple[int, int], ...]]
"""Vehicle index -> its moves in time order, each (link index, grid time of departure)."""


@dataclass
class _Ride:
    """`count` families of class `k` aboard vehicle `vehicle` for its moves `first`..`last`."""

    k: _Class
    vehicle: int
    first: int
    last: int
    arrive: int  # seconds from the start, at the destination
    safe: int | None  # seconds from the start, first at a place out of danger
    count: Any = None


def itineraries(model: EvacuationModel, plan: Plan) -> Itineraries:
    """The moves of each vehicle of `plan`, up to the first that is not a departure of the
    model's grid (none, in a plan the dispatcher made on a scenario on its grid)."""
    grid = model.grid
    index = {v.id: vi for vi, v in enumerate(model.vehicles)}
    out: Itineraries = {}
    for vp in plan.vehicles:
        path = []
        for leg in vp.legs:
            lk = model._link_of(
                Leg(leg.kind, leg.from_, leg.to, leg.depart, leg.arrive, crossing=leg.crossing)
            )
            t, off = divmod(grid.seconds(leg.depart), grid.step)
            if lk is None or off or lk.departs.get(t) != grid.seconds(leg.arrive):
                break
            path.append((lk.index, t))
        out[index[vp.id]] = tuple(path)
    return out


def _rides(model: EvacuationModel, moves: Itineraries, latest: int | None) -> list[_Ride]:
    """Every ride a class can take: board where it starts, once ready, and stay aboard to
    the first of its destinations, on links its documents allow, through no place with a
    capacity, arriving by grid time `latest` when given."""
    by_origin: dict[int, list[_Class]] = defaultdict(list)
    for k in model.classes:
        if not k.own and k.origin not in k.dests:
            by_origin[k.origin].append(k)
    rides: list[_Ride] = []
    for vi, path in moves.items():
        for i, (li, t) in enumerate(path):
            for k in by_origin.get(model.links[li].src, ()):
                if t < k.ready:
                    continue
                safe = None if model.danger[k.origin] else 0
                for j in range(i, len(path)):
                    lk = model.links[path[j][0]]
                    if lk.index not in k.accepted:
                        break
                    arrive = lk.departs[path[j][1]]
                    if safe is None and not model.danger[lk.dst]:
                        safe = arrive
                    if lk.dst in k.dests:
                        if latest is None or model.grid.up(arrive) <= latest:
                            rides.append(_Ride(k, vi, i, j, arrive, safe))
                        break
                    if model.capacity[lk.dst] is not None or lk.dst == k.origin:
                        break
    return rides


def seat(
    model: EvacuationModel,
    moves: Itineraries,
    params: SolveParameters,
    deadline: float,
    latest: int | None = None,
    tidy: float = 1.0,
) -> Plan | None:
    """The best plan CP-SAT finds by `deadline` (a `time.monotonic()` value) that keeps the
    vehicles to `moves` and seats the families on them, objective by objective in the
    scenario's order; None when it finds none. `latest`: no family arrives after this grid
    time. `tidy`: at most this many seconds for bringing people home sooner among plans
    the objectives cannot tell apart, when `arrival` is not one of them."""
    started = time.monotonic()
    rides = _rides(model, moves, latest)
    if not rides:
        return None
    cp = cp_model.CpModel()
    seats_on: dict[tuple[int, int], list] = defaultdict(list)
    crossing_hour: dict[tuple[int, int], list] = defaultdict(list)
    into: dict[int, list] = defaultdict(list)
    of_class: dict[int, list] = defaultdict(list)
    for r in rides:
        seats = model.vehicles[r.vehicle].seats
        r.count = cp.new_int_var(0, min(r.k.size, seats // r.k.seats), "")
        of_class[r.k.index].append(r.count)
        path = moves[r.vehicle]
        for i in range(r.first, r.last + 1):
            seats_on[(r.vehicle, i)].append((r.k.seats, r.count))
            lk = model.links[path[i][0]]
            if lk.kind == "crossing" and lk.throughput:
                crossing_hour[(lk.index, path[i][1] * model.grid.step // 3600)].append(
                    (r.k.people, r.count)
                )
        into[model.links[path[r.last][0]].dst].append((r.k.people, r.count))
    for k in model.classes:
        if of_class.get(k.index):
            cp.add(sum(of_class[k.index]) <= k.size)
    for (vi, _), terms in seats_on.items():
        cp.add(_sum(terms) <= model.vehicles[vi].seats)
    for (li, _), terms in crossing_hour.items():
        cp.add(_sum(terms) <= model.links[li].throughput)
    for p, terms in into.items():
        if model.capacity[p] is not None:
            cp.add(_sum(terms) <= model.capacity[p])
    counts = [r.count for r in rides]
    solution: list[int] | None = None
    # among equally good plans, people home sooner (not an objective of SCENARIO.md when
    # `arrival` is not in the list: it only chooses among plans the list cannot tell apart)
    stages = list(model.scenario.objective)
    if "arrival" not in stages:
        stages.append("arrival")
    for stage, name in enumerate(stages):
        expr, sense = _objective(model, cp, rides, name)
        if sense == "max":
            cp.maximize(expr)
        else:
            cp.minimize(expr)
        share = 1.0 if stage == len(stages) - 1 else 0.7
        left = (deadline - time.monotonic()) * share
        if stage >= len(model.scenario.objective):
            left = min(left, tidy)
        if left < 0.05:
            break
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = left
        solver.parameters.num_workers = max(1, params.workers)
        solver.parameters.random_seed = params.seed
        status = solver.solve(cp)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        solution = [solver.value(c) for c in counts]
        value = round(solver.objective_value)
        log.info("seating on fixed vehicles, %s: %s (%s)", name, value, solver.status_name(status))
        cp.add(expr >= value if sense == "max" else expr <= value)
        cp.clear_hints()
        for c, v in zip(counts, solution, strict=True):
            cp.add_hint(c, v)
    if solution is None:
        return None
    return _plan(model, moves, rides, solution, time.monotonic() - started)


def _sum(terms: list) -> Any:
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])


def _objective(
    model: EvacuationModel, cp: cp_model.CpModel, rides: list[_Ride], name: str
) -> tuple[Any, str]:
    """Objective `name` over the rides, in whole units of the model's time unit (what the
    families who take no ride add is left out: it changes no comparison)."""
    unit = model.unit
    horizon = model.grid.horizon // unit
    if name == "evacuated":
        return _sum([(r.k.people, r.count) for r in rides]), "max"
    if name == "arrival":
        return _sum([(r.k.people * (horizon - r.arrive // unit), r.count) for r in rides]), "max"
    if name == "exposure":
        scale = math.lcm(*(k.weight.denominator for k in model.classes))
        terms = [
            (int(r.k.weight * scale) * r.k.people * (horizon - r.safe // unit), r.count)
            for r in rides
            if r.safe is not None and model.danger[r.k.origin]
        ]
        return _sum(terms), "max"
    # makespan: the latest arrival of any ride taken
    span = cp.new_int_var(0, horizon, "makespan")
    by_time: dict[int, list] = defaultdict(list)
    for r in rides:
        by_time[r.arrive // unit].append(r.count)
    for t, counts in by_time.items():
        used = cp.new_bool_var("")
        cp.add(sum(counts) == 0).only_enforce_if(~used)
        cp.add(span >= t).only_enforce_if(used)
    return span, "min"


def _plan(
    model: EvacuationModel,
    moves: Itineraries,
    rides: list[_Ride],
    solution: list[int],
    seconds: float,
) -> Plan:
    """The plan of a solution: the families of each class given their rides in file order,
    each vehicle's moves up to the last one with anyone aboard."""
    scenario = model.scenario
    grid = model.grid
    taken: dict[int, list[_Ride]] = defaultdict(list)
    for r, n in zip(rides, solution, strict=True):
        taken[r.k.index].extend([r] * n)
    journeys: dict[str, tuple[Leg, ...]] = {}
    aboard: dict[tuple[int, int], list[str]] = defaultdict(list)
    for k in model.classes:
        for g, r in zip(k.groups, sorted(taken[k.index], key=lambda r: r.arrive), strict=False):
            legs = []
            for i in range(r.first, r.last + 1):
                li, t = moves[r.vehicle][i]
                lk = model.links[li]
                aboard[(r.vehicle, i)].append(g.id)
                legs.append(
                    Leg(
                        lk.kind,  # type: ignore[arg-type]
                        model.place_ids[lk.src],
                        model.place_ids[lk.dst],
                        grid.instant(t * grid.step),
                        grid.instant(lk.departs[t]),
                        vehicle=model.vehicles[r.vehicle].id,
                        crossing=lk.crossing,
                    )
                )
            journeys[g.id] = tuple(legs)
    vehicles = []
    for vi, path in sorted(moves.items()):
        ends = [(model.links[li].src, model.links[li].dst) for li, _ in path]
        kept = driven(ends, [bool(aboard.get((vi, i))) for i in range(len(path))])
        if not kept:
            continue
        legs_v = []
        for i in kept:
            li, t = path[i]
            lk = model.links[li]
            legs_v.append(
                VehicleLeg(
                    kind=lk.kind,  # type: ignore[arg-type]
                    from_=model.place_ids[lk.src],
                    to=model.place_ids[lk.dst],
                    depart=grid.instant(t * grid.step),
                    arrive=grid.instant(lk.departs[t]),
                    groups=tuple(sorted(aboard.get((vi, i), []))),
                    crossing=lk.crossing,
                )
            )
        v = model.vehicles[vi]
        vehicles.append(VehiclePlan(v.id, v.fleet, tuple(legs_v)))
    return Plan(
        scenario=scenario.name,
        status="feasible",
        objective=evaluate_objectives(scenario, journeys),
        bound={},
        groups=model.group_plans(journeys),
        vehicles=tuple(vehicles),
        stats={"method": "cp-sat", "seconds": round(seconds, 3), "pooled": False},
    )
