"""Plans at the scale of a city, from the linear optimum of the aggregated flow.

At that scale the model that follows each class of families and each vehicle
(:class:`planner.model.EvacuationModel`) has hundreds of thousands of variables and CP-SAT
finds little in a minute. The same network with people as head-counts per commodity and
vehicles as counts per fleet kind (the flow of :mod:`planner.relaxation`, here with each
place's transfer time taken after every leg, as the pooled model does) is ten or more times
smaller, and GLOP solves its linear relaxation in seconds.

That optimum is not a plan: it is fractional, and it says how many people of each kind take
each road, crossing and service at each time, and how many vehicles of each kind drive each
road then, but not which family sits in which vehicle. Its departures, though, are few and
well chosen. :func:`skeleton` returns them (with a little more time to cross, since whole
families cannot split, and with the departures of the plan in hand, so that the search can
start from it); the pooled model restricted to them (`EvacuationModel(..., allowed=...)`) is
small, and turns them into whole families on named vehicles, packed exactly. The result is
compared with the plan in hand and the better one kept; a restricted model proves nothing,
so its bounds are never reported.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.relaxation import FlowRelaxation, commodity_key, earliest_makespan

if TYPE_CHECKING:
    from planner.model import EvacuationModel
    from planner.plan import Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skeleton:
    """The departures the linear optimum of the aggregated flow uses.

    `people`: commodity key (see `planner.relaxation.commodity_key`) -> {(link index, grid time)};
    `fleet`: fleet kind id -> {(link index, grid time)}; `objective`: the flow's own values.
    """

    people: dict[tuple, frozenset[tuple[int, int]]]
    fleet: dict[str, frozenset[tuple[int, int]]]
    objective: dict[str, float]


def skeleton(model: EvacuationModel, deadline: float, start: Plan | None = None) -> Skeleton | None:
    """The departures of the flow's linear optimum, stage by stage in the scenario's order
    as far as time allows (for `makespan`: the earliest grid time by which the flow gets as
    many people home), with those of `start` added so that the restricted model can begin
    from that plan. The linear optimum is fractional, but its departures are few and
    well chosen: the restricted model makes them whole."""
    flow = FlowRelaxation(model, transfers=True, by_kind=True)
    order = list(model.scenario.objective)
    at_least: dict[str, float] = {}
    at_most: dict[str, float] = {}
    latest: int | None = None
    values = None
    found: dict[str, float] = {}
    used: set[int] = set()

    def keep(values: Any) -> None:
        used.update(int(j) for j in np.nonzero(values > 1e-6)[0])

    for name in order:
        left = deadline - time.monotonic()
        if left < 0.2:
            break
        if name == "makespan":
            if "evacuated" not in at_least:
                break
            # the earliest the flow gets its people home, then its departures for that
            latest = earliest_makespan(flow, at_least, at_most, None, deadline)
            if latest is None:
                break
            value = flow.solve("evacuated", {}, at_most, latest, deadline - time.monotonic())
            if value is None:
                break
            values = flow.values
            keep(values)
            found[name] = latest * model.grid.step / 3600.0
            log.info("aggregated flow, linear makespan: %.1f h", found[name])
            continue
        value = flow.solve(name, at_least, at_most, latest, left)
        if value is None or math.isinf(value):
            break
        values = flow.values
        keep(values)
        found[name] = value
        log.info("aggregated flow, linear %s: %.1f", name, value)
        if name == "evacuated":
            at_least[name] = math.floor(value + 1e-6)
        else:
            at_most[name] = value
    if values is None:
        return None
    people: dict[tuple, set[tuple[int, int]]] = defaultdict(set)
    fleet: dict[str, set[tuple[int, int]]] = defaultdict(set)
    keys = flow.commodity_keys()
    for j in used:
        if j not in flow.moves:
            continue
        what, number, link, t = flow.moves[j]
        if what == "people":
            people[keys[number]].add((link, t))
        else:
            fleet[flow.pool_fleet(number)].add((link, t))
    # the linear optimum splits families; whole, some must cross a little later (on the
    # roads, people go where vehicles go, and vehicles keep the flow's departures)
    widen = max(2, 3600 // model.grid.step)
    for key, moves in people.items():
        people[key] = moves | {
            (link, t + d)
            for link, t in moves
            if model.links[link].kind == "crossing"
            for d in range(1, widen + 1)
        }
    if start is not None:
        _add_plan_moves(model, start, people, fleet)
    return Skeleton(
        people={k: frozenset(v) for k, v in people.items()},
        fleet={k: frozenset(v) for k, v in fleet.items()},
        objective=found,
    )


def _add_plan_moves(
    model: EvacuationModel,
    plan: Plan,
    people: dict[tuple, set[tuple[int, int]]],
    fleet: dict[str, set[tuple[int, int]]],
) -> None:
    """Add the departures `plan` takes, by commodity and by fleet kind."""
    from planner.plan import Leg

    step = model.grid.step
    class_of = {g.id: k for k in model.classes for g in k.groups}
    for gp in plan.groups:
        k = class_of.get(gp.id)
        if k is None:
            continue
        key = commodity_key(k)
        for leg in gp.legs:
            lk = model._link_of(leg)
            if lk is None:
                continue
            if lk.kind in ("flight", "sailing"):
                dep = model.grid.down(lk.service_departs - max(lk.check_in, model.transfer[lk.src]))
            else:
                dep = model.grid.seconds(leg.depart) // step
            people[key].add((lk.index, dep))
    by_id = {v.id: v for v in model.vehicles}
    for vp in plan.vehicles:
        kind = by_id[vp.id].fleet
        for vleg in vp.legs:
            lk = model._link_of(
                Leg(
                    vleg.kind, vleg.from_, vleg.to, vleg.depart, vleg.arrive, crossing=vleg.crossing
                )
            )
            if lk is not None:
                fleet[kind].add((lk.index, model.grid.seconds(vleg.depart) // step))
