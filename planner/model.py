"""The route-and-timing model: a time-expanded network solved with OR-Tools CP-SAT.

How the model is built
----------------------
Time runs on the scenario's `step` grid. Every road, crossing and service becomes arcs
between (place, grid time) nodes; a leg's real arrival is its departure plus its duration,
and the group or vehicle may go on from the first grid time after that, so every plan made
on the grid keeps the rules in real time.

- Each **fleet vehicle** is one unit of flow over its own nodes: a boolean per move (road or
  crossing, at a departure time) and per wait. Vehicles are individual, so seat limits are
  exact.
- **Groups that are interchangeable** (same place, readiness, priority, size, seats,
  destinations, own vehicle, and the same crossings and services accepting their
  documents) form a class. A class is an integer flow over a state graph whose nodes are
  (place, time) and, right after arriving on a vehicle, "still aboard vehicle v for r more
  steps": from there the group may go on in the same vehicle at once, or wait out the
  place's `transfer` before changing. Own-vehicle groups carry a "has its car" flag. Any
  integer flow of a class splits into whole-family journeys, one unit per family, so
  nothing is lost when families are given back their names.
- Rules are added one helper each (`add_...`), with the rule of SCENARIO.md in the
  docstring. Objectives are linear in the arcs (exposure counts the arcs that cross from a
  danger place to a safe one; groups never go back into danger).
- Objectives are solved one after another in the scenario's order; each later stage keeps
  the earlier ones at their optimum (or at least at the incumbent when the time ran out),
  and reports the proven bound of its own objective.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import multiprocessing
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

from ortools.sat.python import cp_model

from planner.flow import Skeleton
from planner.network import build_network, diagnose_unreachable
from planner.plan import (
    GroupPlan,
    Leg,
    Plan,
    VehicleLeg,
    VehiclePlan,
    evaluate_objectives,
    group_status,
    plan_to_dict,
)
from planner.relaxation import commodity_key
from planner.scenario import Group, Scenario
from planner.timegrid import TimeGrid, in_daily_windows, window_intervals

if TYPE_CHECKING:
    from planner.greedy import Better

log = logging.getLogger(__name__)

OWN = -1
"""Carrier index of a group's own vehicle."""
MAX_MODEL = 300_000
"""Estimated arcs above which the CP-SAT model is not built at all (see `solve`)."""
FLOW_FIRST = 20_000
"""Estimated arcs above which the aggregated flow makes the start of the CP-SAT search."""
SEARCH_FIRST = 5_000
"""Estimated arcs above which a shuttle's makespan is searched on the whole-number flow
rather than by the model (`_sooner_fits`). Measured on a 340-person, 3-bus shuttle of
16,000 arcs: the model has 8 h after 19 s, the search 7 h, the bound, in 2 s."""
FLOW_METHOD = "aggregated flow + cp-sat"
"""`stats.method` of a plan from the aggregated flow."""
GUIDED_METHOD = "greedy guided by the relaxation"
"""`stats.method` of a plan from the dispatcher guided by the relaxation."""
BUILT_PER_SECOND = 200_000
"""About how many estimated arcs (which leave the restriction out) of the model restricted
to the aggregated flow (`_from_flow`) are built in a second: on the 2,000-person benchmark,
499,992 in 2.4 s."""
SKELETON_SHARE = 0.35
"""Share of the aggregated flow's time (`_from_flow`) for the whole-number flow itself."""
EXCHANGED = "ways on exchanged"
"""Added to the method of a plan that `planner.exchange` improved."""
RESCUED = "families left behind taken home"
"""Added to the method of a plan that `planner.rescue` improved."""

ANSWER_SHARE = 0.75
"""Share of the time limit the dispatcher has where its plan is the answer (a country: no
search follows); what is left after it takes families left behind home in the room its
plan and its runners-up leave (`planner.rescue`, `_rescued_best`), then exchanges ways on.
On the 15,000-person benchmark (seed 0) the first takes 63 families home in 2.6 s,
checked. With 85%, the runners-up had no time there; seeds 0 to 3 at 60 s (one run each)
gave 14,717, 14,802, 14,866 and 14,866 with 80%, and 14,866 each with 75%."""

GUIDE_DISPATCH_SHARE = 0.3
"""Share of the time limit the dispatcher has where the dispatcher guided by the relaxation
follows it (`_guided`): on the 2,000-person benchmark the guided plan is better by far
(exposure 45,596 against 48,954.5), and the relaxation's optimum it needs comes at about a
third of 20 s."""

EXCHANGE_SHARE = 0.3
"""Share of the time limit kept at the end of a large scenario's search for the exchanges
of the way on (`planner.exchange`): 6 s of 20 on the 2,000-person benchmark, where they
take a guided plan near where they end in 2 to 3 s (with a tenth, the sharing out afresh
at the largest place was cut short)."""

GUIDED_SHARE = 0.5
"""Share of the time left after the dispatcher in which the dispatcher guided by the
relaxation shows whether it does better, where the model is too large for CP-SAT and the
aggregated flow could use the rest (`_guided`): when it does, it has the rest too."""
WHOLE_METHOD = "whole-number flow + cp-sat"
"""`stats.method` of a plan from the deadline search on the whole-number flow."""
WALK_METHOD = "walk relaxation + cp-sat seating"
"""`stats.method` of a plan whose vehicles drive the walks of the walk relaxation
(`planner.walks`), with the families seated by CP-SAT."""
RESEATED_METHOD = "dispatcher's vehicles + cp-sat seating"
"""`stats.method` of the dispatcher's plan with its families seated again by CP-SAT on the
same vehicle moves (`planner.rides`), when the deadline search finds nothing better."""
MIN_BOUND_STEP = 300
"""Finest grid, in seconds, on which bounds are worked out for a scenario off its own grid."""
RESTARTS = 4
"""Dispatches with other seeds after the first, time allowing, where a search follows
(see `_dispatched`)."""
SEEDS = 16
"""Seeds the dispatcher tries at most, time allowing, where its plan is the answer (see
`_dispatched`): a long time limit then still ends with the same plan."""
RIVAL_MARGIN = 0.03
"""Share of the time limit by which the second dispatcher (`_Rival`) stops before the
first: its plan is then made, sent and read by the first's end. On 36,000 people, with
none, its plan (the better one) came too late for a limit of 180 s in one run of two."""
RUNNERS_UP = 5
"""Dispatches besides the best whose families left behind are taken home too, time allowing,
where the dispatcher's plan is the answer (see `_rescued_best`)."""
RUNNERS_UP_SPARE = 0.05
"""Share of the time limit the runners-up's families taken home leave to the exchanges."""
UNCHECKED = 0.6
"""About how long a runner-up's families taken home take, its plan made and not checked,
against the best plan's, checked (`_rescued_best`): 0.3 to 0.8 on 15,000 people (0.8 to
2.2 s against 2.2 to 3.4 s), 0.8 on 36,000 (10.9 s against 14.2 s)."""
LARGE_MODEL = 60_000
"""Variables above which presolve is skipped (see `_solve_once`)."""
POOL = -2
"""Carrier index of "some fleet vehicle" when rides are pooled."""
ARRIVED = -3
"""Carrier of a class node just off a flight or a sailing, before the place's transfer has
passed: only a flight or sailing may follow from there (rule 6 counts the transfer within
the check-in time)."""
WALKED = -4
"""Carrier of a class node just off a crossing on foot, before the place's transfer has
passed: another crossing on foot (no change of carrier) or a flight or sailing may follow."""
OWN_CAR = 1
"""Flag of a class node: the family still has its own car with it."""
BEEN_SAFE = 2
"""Flag of a class node: the family has been at a safe place (its exposure has ended)."""


@dataclass(frozen=True)
class SolveParameters:
    """Solver settings, apart from the scenario.

    `time_limit` bounds the whole solve in wall-clock seconds; `workers` is the number of
    CP-SAT search threads, and with 2 or more a second dispatcher may run in a process of
    its own where no CP-SAT search follows (`_Rival`, `_GuidedRival`); `seed` fixes the
    random choices so that a completed solve gives the same plan; `progress`, when given, is
    called with (stage, elapsed seconds, objective, bound) as better plans are found.
    """

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log_search: bool = False
    progress: Callable[[str, float, float, float], None] | None = None


# --------------------------------------------------------------------------------------
# Links: the ways to move, with the departure times the rules allow


@dataclass
class _Link:
    """One directed way to move: a road direction, a crossing, or a service."""

    index: int
    kind: str  # road | crossing | flight | sailing
    key: str
    src: int
    dst: int
    crossing: str | None = None
    service: str | None = None
    vehicles: bool = True
    documents: frozenset[str] | None = None
    throughput: int | None = None
    departs: dict[int, int] = field(default_factory=dict)
    """Grid departure time -> real arrival in seconds from start (roads and crossings)."""
    service_departs: int = 0
    service_arrives: int = 0
    check_in: int = 0
    seats: int = 0


def _seconds(grid: TimeGrid, when: Any) -> int:
    return int(round((when - grid.start).total_seconds()))


def build_links(scenario: Scenario, grid: TimeGrid, places: dict[str, int]) -> list[_Link]:
    """Every road direction, crossing and service, with its allowed departures on the grid.

    A road may be taken at grid time t when its leg `[t, t + duration)` overlaps no closure
    and ends by the horizon; a crossing when t is inside an open window, outside every
    closure, and the crossing ends by the horizon.
    """
    graph = build_network(scenario)
    links: list[_Link] = []
    lo, hi = scenario.start, scenario.end
    for u, v, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2] + e[0]):
        kind = data["kind"]
        link = _Link(index=len(links), kind=kind, key=key, src=places[u], dst=places[v])
        if kind == "road":
            road = data["road"]
            tz = scenario.locations[road.from_].timezone
            closures = [
                (_seconds(grid, a), _seconds(grid, b))
                for a, b in window_intervals(road.closed, tz, lo, hi)
            ]
            dur = int(road.duration.total_seconds())
            for t in range(grid.last + 1):
                dep = t * grid.step
                arr = dep + dur
                if arr > grid.horizon:
                    break
                if any(dep < c2 and c1 < max(arr, dep + 1) for c1, c2 in closures):
                    continue
                link.departs[t] = arr
        elif kind == "crossing":
            c = data["crossing"]
            link.crossing = c.id
            link.vehicles = c.vehicles
            link.documents = c.documents
            link.throughput = c.throughput
            tz = scenario.locations[c.from_].timezone
            absolute = [
                (_seconds(grid, a), _seconds(grid, b))
                for a, b in window_intervals(
                    tuple(w for w in c.closed if not hasattr(w, "text")), tz, lo, hi
                )
            ]
            daily_closed = tuple(w for w in c.closed if hasattr(w, "text"))
            dur = int(c.processing.total_seconds())
            for t in range(grid.last + 1):
                dep = t * grid.step
                arr = dep + dur
                if arr > grid.horizon:
                    break
                when = grid.instant(dep)
                if not in_daily_windows(when, c.open, tz):
                    continue
                if daily_closed and in_daily_windows(when, daily_closed, tz):
                    continue
                if any(c1 <= dep < c2 for c1, c2 in absolute):
                    continue
                link.departs[t] = arr
        else:
            s = data["service"]
            link.service = s.id
            link.documents = s.documents
            link.service_departs = _seconds(grid, s.departs)
            link.service_arrives = _seconds(grid, s.arrives)
            link.check_in = int(s.check_in.total_seconds())
            link.seats = s.seats
        links.append(link)
    return links


# --------------------------------------------------------------------------------------
# Classes of interchangeable groups


@dataclass
class _Class:
    index: int
    groups: list[Group]
    origin: int
    ready: int  # grid time
    weight: Fraction
    people: int
    seats: int
    dests: frozenset[int]
    own: bool
    accepted: frozenset[int]  # indices of links whose documents the members hold

    @property
    def size(self) -> int:
        return len(self.groups)


def build_classes(
    scenario: Scenario,
    grid: TimeGrid,
    places: dict[str, int],
    links: list[_Link],
    aggregate: bool = True,
) -> list[_Class]:
    """Split the groups into classes the model cannot tell apart.

    With `aggregate` false every group is a class of its own: the straightforward model with
    one set of decisions per family, kept as a yardstick for the benchmarks.
    """
    doc_links = [lk for lk in links if lk.documents is not None]
    by_key: dict[tuple, list[Group]] = defaultdict(list)
    for g in scenario.groups:
        ready = max(0, grid.up(_seconds(grid, g.ready)))
        accepted = frozenset(lk.index for lk in doc_links if g.holds_accepted(lk.documents))
        key = (
            g.at if aggregate else f"{g.at}/{g.id}",
            ready,
            g.priority,
            g.people,
            g.seats,
            tuple(sorted(g.destinations)),
            g.own_vehicle,
            accepted,
        )
        by_key[key].append(g)
    classes: list[_Class] = []
    for key, groups in by_key.items():
        at, ready, priority, people, seats, dests, own, accepted = key
        at = groups[0].at
        every = frozenset(lk.index for lk in links if lk.documents is None) | accepted
        classes.append(
            _Class(
                index=len(classes),
                groups=groups,
                origin=places[at],
                ready=ready,
                weight=Fraction(scenario.priority_weights[priority]).limit_denominator(1000),
                people=people,
                seats=seats,
                dests=frozenset(places[d] for d in dests),
                own=own,
                accepted=every,
            )
        )
    return classes


# --------------------------------------------------------------------------------------
# The model


@dataclass
class _Arc:
    """A class arc: from node `tail` to node `head` with integer flow `var`."""

    tail: tuple
    head: tuple
    kind: str  # wait | aboard | ride | own | foot | service | end
    link: _Link | None
    depart: int  # grid time of the tail
    arrive: int  # real arrival, seconds from start (for moves)
    vehicle: int | None = None
    var: Any = None


@dataclass
class _VArc:
    tail: tuple
    head: tuple
    link: _Link | None  # None for waits
    depart: int
    arrive: int
    var: Any = None


class EvacuationModel:
    """The CP-SAT model of one scenario, with the lexicographic solve and plan extraction.

    >>> from planner.read import read_scenario
    >>> scenario = read_scenario("scenarios/tripoli-2013.yaml")  # doctest: +SKIP
    >>> plan = EvacuationModel(scenario).solve(SolveParameters(time_limit=30))  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Scenario,
        pooled: bool | None = None,
        build: bool = True,
        aggregate: bool = True,
        allowed: Skeleton | None = None,
    ) -> None:
        self.scenario = scenario
        self.allowed = allowed
        """When given, families and vehicles move only at the departures it lists (the
        aggregated flow's, `planner.flow`): the model then only turns those into a plan."""
        self.grid = TimeGrid.of(scenario)
        self.place_ids = list(scenario.locations)
        self.places = {p: i for i, p in enumerate(self.place_ids)}
        locs = [scenario.locations[p] for p in self.place_ids]
        self.danger = [loc.danger for loc in locs]
        self.transfer = [int(loc.transfer.total_seconds()) for loc in locs]
        self.capacity = [loc.capacity for loc in locs]
        self.country = [loc.country for loc in locs]
        self.links = build_links(scenario, self.grid, self.places)
        self.out_links: dict[int, list[_Link]] = defaultdict(list)
        for lk in self.links:
            self.out_links[lk.src].append(lk)
        self.vehicles = scenario.vehicles
        self.classes = build_classes(scenario, self.grid, self.places, self.links, aggregate)
        self.unit = self._time_unit()
        # Rides are modelled per vehicle when the model stays small; otherwise per road and
        # departure, with seats summed over the vehicles that drive it then, and families
        # packed into the vehicles afterwards (exactly: see `_pack`).
        self.pooled = (
            pooled
            if pooled is not None
            else len(self.vehicles) * len(self.classes) * len(self.links) * self.grid.last > 400_000
        )
        self.packing_cuts: set[tuple[int, int]] = set()
        self._static: dict[str, float] | None = None
        self._aligned: bool | None = None
        self._fastest_ways: dict[tuple, tuple[int, int]] = {}
        """`_earliest` by what sets it: origin, readiness, car, documents, goals, seats."""
        self._sorted_departs: dict[int, list[int]] = {}
        self._bounds_on: EvacuationModel | bool | None = None
        self.relaxed: dict[str, float] = {}
        """Bounds from the flow relaxation (`planner.relaxation`), when it was solved."""
        self.model = cp_model.CpModel()
        self.varcs: list[list[_VArc]] = []
        self.carcs: list[list[_Arc]] = []
        self.vehicle_earliest = [self._vehicle_reach(vi) for vi in range(len(self.vehicles))]
        departures = sum(len(lk.departs) for lk in self.links)
        self.size_estimate = (len(self.classes) + len(self.vehicles)) * departures
        self.too_large = self.size_estimate > MAX_MODEL
        self.build_seconds = 0.0
        self.built = False
        if build and not self.too_large:
            self._build()

    # ---- sizes and units

    def _time_unit(self) -> int:
        """The largest number of seconds that divides every time the objectives can take."""
        values = [self.grid.step, self.grid.horizon]
        for lk in self.links:
            if lk.kind in ("road", "crossing"):
                values.extend(a - t * self.grid.step for t, a in list(lk.departs.items())[:1])
            else:
                values.append(lk.service_arrives)
        unit = 0
        for v in values:
            unit = math.gcd(unit, abs(int(v)))
        return max(1, unit)

    def _arrival_node_time(self, depart: int, arrive: int) -> int:
        return min(self.grid.last, max(depart + 1, self.grid.up(arrive)))

    # ---- vehicles

    def _vehicle_can_use(self, v_index: int, link: _Link) -> bool:
        vehicle = self.vehicles[v_index]
        if link.kind not in ("road", "crossing"):
            return False
        if link.kind == "crossing" and not link.vehicles:
            return False
        if vehicle.countries is None:
            return True
        return (
            self.country[link.src] in vehicle.countries
            and self.country[link.dst] in vehicle.countries
        )

    def _vehicle_reach(self, v_index: int) -> dict[int, int]:
        """Earliest grid time the vehicle can be at each place (label-setting search)."""
        vehicle = self.vehicles[v_index]
        start = self.places[vehicle.at]
        if vehicle.countries is not None and self.country[start] not in vehicle.countries:
            return {start: max(0, self.grid.up(_seconds(self.grid, vehicle.available)))}
        t0 = max(0, self.grid.up(_seconds(self.grid, vehicle.available)))
        earliest = {start: t0}
        frontier = [(t0, start)]
        while frontier:
            t, p = heapq.heappop(frontier)
            if earliest.get(p, math.inf) < t:
                continue
            for lk in self.out_links[p]:
                if not self._vehicle_can_use(v_index, lk):
                    continue
                dep = self.first_departure(lk, t)
                if dep is None:
                    continue
                head_t = self._arrival_node_time(dep, lk.departs[dep])
                if head_t < earliest.get(lk.dst, math.inf):
                    earliest[lk.dst] = head_t
                    heapq.heappush(frontier, (head_t, lk.dst))
        return earliest

    def first_departure(self, lk: _Link, t: int) -> int | None:
        """The first grid time from grid time `t` on at which `lk` may be taken, if any."""
        times = self._sorted_departs.get(lk.index)
        if times is None:
            times = self._sorted_departs[lk.index] = sorted(lk.departs)
        i = bisect.bisect_left(times, t)
        return times[i] if i < len(times) else None

    def _build_vehicle_flows(self) -> None:
        last = self.grid.last
        for vi, vehicle in enumerate(self.vehicles):
            earliest = self.vehicle_earliest[vi]
            allow = (
                None if self.allowed is None else self.allowed.fleet.get(vehicle.fleet, frozenset())
            )
            arcs: list[_VArc] = []
            start = self.places[vehicle.at]
            t0 = earliest[start]
            for p, e in earliest.items():
                for t in range(e, last):
                    arcs.append(_VArc((p, t), (p, t + 1), None, t, 0))
                for lk in self.out_links[p]:
                    if not self._vehicle_can_use(vi, lk) or lk.dst not in earliest:
                        continue
                    for t, arr in lk.departs.items():
                        if t >= e and (allow is None or (lk.index, t) in allow):
                            arcs.append(
                                _VArc((p, t), (lk.dst, self._arrival_node_time(t, arr)), lk, t, arr)
                            )
            for a in arcs:
                name = (
                    f"{vehicle.id}_wait_{self.place_ids[a.tail[0]]}_{a.depart}"
                    if a.link is None
                    else f"{vehicle.id}_{a.link.key}_{self.place_ids[a.tail[0]]}_{a.depart}"
                )
                a.var = self.model.new_bool_var(name)
            self._add_flow_conservation(arcs, {(start, t0): 1}, lambda node: node[1] >= last)
            self.varcs.append(arcs)

    # ---- group classes

    def _source(self, k: _Class) -> tuple:
        """The node where a class starts: ("F", place, time, flags).

        The flags say what the path so far allows and costs: bit OWN_CAR while the family
        still has its own car with it, bit BEEN_SAFE once it has been at a safe place (so
        exposure stops, and going back into danger, say on the way to a destination, costs
        nothing more)."""
        flags = (OWN_CAR if k.own else 0) | (0 if self.danger[k.origin] else BEEN_SAFE)
        return ("F", k.origin, min(k.ready, self.grid.last), flags)

    @staticmethod
    def _flags(node: tuple) -> int:
        """The flags of an "F" or "A" node (see `_source`); "E" nodes have none."""
        if node[0] == "F":
            return int(node[3])
        if node[0] == "A":
            return int(node[5])
        return 0

    def _class_arcs(self, k: _Class) -> list[_Arc]:
        """Every arc of the class's state graph reachable from its start and leading somewhere
        useful (a safe place or a destination)."""
        last = self.grid.last
        source = self._source(k)
        allow = (
            None if self.allowed is None else self.allowed.people.get(commodity_key(k), frozenset())
        )

        def arrival_head(
            carrier: int | None, dst: int, dep: int, arr: int, own: int, was: int
        ) -> tuple:
            h = own | (BEEN_SAFE if was & BEEN_SAFE or not self.danger[dst] else 0)
            if carrier == POOL:
                # pooled rides cannot tell one vehicle from another: a family always takes
                # the transfer before its next leg, which keeps the plan true to rule 2
                carrier = None
            if dst in k.dests:
                return ("E", dst)
            ga = self._arrival_node_time(dep, arr)
            free = min(last, max(ga, self.grid.up(arr + self.transfer[dst])))
            if free <= ga:
                return ("F", dst, free, h)
            if carrier is None:
                # off a flight or a sailing: no vehicle or walk before the transfer, but a
                # flight or sailing whose check-in (and transfer) it is there in time for
                carrier = ARRIVED
            return ("A", carrier, dst, ga, free - ga, h)

        start_flags = self._flags(source)

        def allowed(dst: int, h: int) -> bool:
            # coming back to where it started, as it started, never helps a family: it
            # could have waited; once it has been safe, the way home may lead back through
            return dst != k.origin or h & ~start_flags & BEEN_SAFE != 0

        def moves(node: tuple) -> list[_Arc]:
            out: list[_Arc] = []
            if node[0] == "E":
                return out
            if node[0] == "F":
                _, p, t, h = node
                carrier: int | None = None
            else:
                _, carrier, p, t, r, h = node
            # waiting
            if t < last:
                if node[0] == "F":
                    out.append(_Arc(node, ("F", p, t + 1, h), "wait", None, t, 0))
                elif r > 1:
                    out.append(_Arc(node, ("A", carrier, p, t + 1, r - 1, h), "aboard", None, t, 0))
                else:
                    out.append(_Arc(node, ("F", p, t + 1, h), "aboard", None, t, 0))
            for lk in self.out_links[p]:
                if lk.index not in k.accepted or not allowed(lk.dst, h):
                    continue
                if lk.kind in ("flight", "sailing"):
                    if k.seats > lk.seats or lk.service_arrives > self.grid.horizon:
                        continue
                    latest = lk.service_departs - max(lk.check_in, self.transfer[p])
                    if latest < 0 or self.grid.down(latest) != t:
                        continue
                    if allow is not None and (lk.index, t) not in allow:
                        continue
                    head = arrival_head(None, lk.dst, t, lk.service_arrives, 0, h)
                    out.append(_Arc(node, head, "service", lk, t, lk.service_arrives))
                    continue
                arr = lk.departs.get(t)
                if arr is None or (allow is not None and (lk.index, t) not in allow):
                    continue
                # in a fleet vehicle
                if self.pooled:
                    if carrier is None or carrier == POOL:
                        fits = any(
                            vehicle.seats >= k.seats
                            and self._vehicle_can_use(vi, lk)
                            and t >= self.vehicle_earliest[vi].get(p, math.inf)
                            for vi, vehicle in enumerate(self.vehicles)
                        )
                        if fits:
                            head = arrival_head(POOL, lk.dst, t, arr, 0, h)
                            out.append(_Arc(node, head, "ride", lk, t, arr, vehicle=POOL))
                for vi, vehicle in enumerate(self.vehicles if not self.pooled else ()):
                    if carrier is not None and carrier != vi:
                        continue
                    if vehicle.seats < k.seats or not self._vehicle_can_use(vi, lk):
                        continue
                    if t < self.vehicle_earliest[vi].get(p, math.inf):
                        continue
                    head = arrival_head(vi, lk.dst, t, arr, 0, h)
                    out.append(_Arc(node, head, "ride", lk, t, arr, vehicle=vi))
                # in its own vehicle
                if h & OWN_CAR and (carrier is None or carrier == OWN):
                    if lk.kind == "road" or lk.vehicles:
                        head = arrival_head(OWN, lk.dst, t, arr, OWN_CAR, h)
                        out.append(_Arc(node, head, "own", lk, t, arr, vehicle=OWN))
                # on foot
                if lk.kind == "crossing" and carrier in (None, WALKED):
                    head = arrival_head(WALKED, lk.dst, t, arr, 0, h)
                    out.append(_Arc(node, head, "foot", lk, t, arr))
            return out

        # forward search
        seen = {source}
        order = [source]
        arcs: list[_Arc] = []
        i = 0
        while i < len(order):
            node = order[i]
            i += 1
            for a in moves(node):
                arcs.append(a)
                if a.head not in seen:
                    seen.add(a.head)
                    order.append(a.head)
        # backward: keep what leads to a destination or a safe place
        into: dict[tuple, list[_Arc]] = defaultdict(list)
        for a in arcs:
            into[a.head].append(a)

        def before(goal: set[tuple]) -> set[tuple]:
            found = set(goal)
            stack = list(goal)
            while stack:
                n = stack.pop()
                for a in into[n]:
                    if a.tail not in found:
                        found.add(a.tail)
                        stack.append(a.tail)
            return found

        # useful: on the way to a destination, or (not yet safe) to a safe place
        useful = before({n for n in seen if n[0] == "E"})
        useful |= {
            n
            for n in before({n for n in seen if self._flags(n) & BEEN_SAFE})
            if not self._flags(n) & BEEN_SAFE
        }
        # once safe, a family may stay where it is to the end (its destination may be out of
        # reach, or full): every safe place it is kept at, and every one it first reaches
        # safety at, keeps its waiting to the horizon
        waits: dict[tuple, list[tuple]] = defaultdict(list)
        stay = {n for n in useful if self._flags(n) & BEEN_SAFE}
        for a in arcs:
            if a.kind in ("wait", "aboard"):
                waits[a.tail].append(a.head)
            if a.tail in useful and self._flags(a.head) & ~self._flags(a.tail) & BEEN_SAFE:
                stay.add(a.head)
        stack = list(stay)
        while stack:
            for n in waits[stack.pop()]:
                if n not in stay:
                    stay.add(n)
                    stack.append(n)
        # the origin's own waiting chain stays, so that staying put is always possible
        keep = useful | stay | {n for n in seen if n[0] == "F" and n[1] == k.origin}
        return [a for a in arcs if a.tail in keep and a.head in keep]

    def _build_class_flows(self) -> None:
        last = self.grid.last
        for k in self.classes:
            if k.origin in k.dests:
                self.carcs.append([])
                continue
            arcs = self._class_arcs(k)
            for a in arcs:
                lk = a.link
                label = "" if lk is None else f"{lk.key}_"
                who = "" if a.vehicle is None else f"{self._carrier_name(a.vehicle)}_"
                a.var = self.model.new_int_var(
                    0, k.size, f"c{k.index}_{a.kind}_{who}{label}{a.depart}"
                )
            source = self._source(k)

            def absorbing(node: tuple) -> bool:
                if node[0] == "E":
                    return True
                return (node[2] if node[0] == "F" else node[3]) >= last

            self._add_flow_conservation(arcs, {source: k.size}, absorbing)
            self.carcs.append(arcs)

    def _carrier_name(self, carrier: int) -> str:
        if carrier == POOL:
            return "fleet"
        return "own" if carrier == OWN else self.vehicles[carrier].id

    def _add_flow_conservation(
        self, arcs: list, supply: dict[tuple, int], absorbing: Callable[[tuple], bool]
    ) -> None:
        """Flow in equals flow out at every node but the absorbing ones; the supply enters at
        its node."""
        out: dict[tuple, list] = defaultdict(list)
        inn: dict[tuple, list] = defaultdict(list)
        for a in arcs:
            out[a.tail].append(a.var)
            inn[a.head].append(a.var)
        for node in set(out) | set(inn) | set(supply):
            if absorbing(node):
                if node in supply and not inn[node]:
                    continue
                continue
            self.model.add(
                cp_model.LinearExpr.sum(out[node]) - cp_model.LinearExpr.sum(inn[node])
                == supply.get(node, 0)
            )

    # ---- rules

    def add_vehicle_seats(self) -> None:
        """Rule 4: on each leg of a fleet vehicle, the seats of the groups aboard are at most its
        `seats`; a group rides only where its vehicle drives (rules 1 and 3)."""
        aboard: dict[tuple[int, int, int], list] = defaultdict(list)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            for a in arcs:
                if a.kind == "ride":
                    assert a.link is not None and a.vehicle is not None
                    aboard[(a.vehicle, a.link.index, a.depart)].append((k.seats, a.var))
        moves: dict[tuple[int, int, int], Any] = {}
        for vi, v_arcs in enumerate(self.varcs):
            for va in v_arcs:
                if va.link is not None:
                    moves[(vi, va.link.index, va.depart)] = va.var
        if self.pooled:
            self._add_pooled_seats(aboard, moves)
            return
        for key, riders in aboard.items():
            move = moves.get(key)
            seats = self.vehicles[key[0]].seats
            if move is None:
                for _, var in riders:
                    self.model.add(var == 0)
                continue
            self.model.add(_weighted(riders) <= seats * move)

    def _add_pooled_seats(self, aboard: dict, moves: dict) -> None:
        """Pooled form of rule 4: on each road or crossing at each departure time, the seats
        of the groups aboard are at most the seats of the vehicles that drive it then, and a
        family rides only where some vehicle then has room for it whole. Packing into the
        individual vehicles is checked after solving; where it fails, `add_exact_packing`
        makes that departure exact and the stage is solved again."""
        by_link: dict[tuple[int, int], list[tuple[int, Any]]] = defaultdict(list)
        for (vi, li, t), var in moves.items():
            by_link[(li, t)].append((vi, var))
        riders_at: dict[tuple[int, int], list] = defaultdict(list)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            for a in arcs:
                if a.kind == "ride":
                    assert a.link is not None
                    riders_at[(a.link.index, a.depart)].append((k, a.var))
        self.pool_moves = by_link
        self.pool_riders = riders_at
        for key, riders in riders_at.items():
            vehicles = by_link.get(key, [])
            capacity = [(self.vehicles[vi].seats, var) for vi, var in vehicles]
            self.model.add(_weighted([(k.seats, var) for k, var in riders]) <= _weighted(capacity))
            for k, var in riders:
                room = [v for vi, v in vehicles if self.vehicles[vi].seats >= k.seats]
                self.model.add(var <= k.size * cp_model.LinearExpr.sum(room) if room else var == 0)

    def add_exact_packing(self, key: tuple[int, int]) -> None:
        """Rule 4 made exact at one road or crossing departure: each family is given to one
        of the vehicles driving it then, within that vehicle's seats."""
        if key in self.packing_cuts:
            return
        self.packing_cuts.add(key)
        vehicles = self.pool_moves.get(key, [])
        riders = self.pool_riders.get(key, [])
        share: dict[int, list] = defaultdict(list)
        for k, var in riders:
            parts = []
            for vi, move in vehicles:
                seats = self.vehicles[vi].seats
                if seats < k.seats:
                    continue
                x = self.model.new_int_var(
                    0, min(k.size, seats // k.seats), f"pack_{key}_{k.index}_{vi}"
                )
                self.model.add(x <= (seats // k.seats) * move)
                share[vi].append((k.seats, x))
                parts.append(x)
            self.model.add(cp_model.LinearExpr.sum(parts) == var if parts else var == 0)
        for vi, move in vehicles:
            if share[vi]:
                self.model.add(_weighted(share[vi]) <= self.vehicles[vi].seats * move)

    def add_crossing_throughput(self) -> None:
        """Rule 5: at most `throughput` people start crossing in each hour counted from the
        start, in vehicles and on foot alike."""
        per_hour: dict[tuple[int, int], list] = defaultdict(list)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            for a in arcs:
                if a.link is not None and a.link.kind == "crossing" and a.link.throughput:
                    hour = (a.depart * self.grid.step) // 3600
                    per_hour[(a.link.index, hour)].append((k.people, a.var))
        for (li, _hour), terms in per_hour.items():
            limit = self.links[li].throughput
            assert limit is not None
            self.model.add(_weighted(terms) <= limit)

    def add_service_seats(self) -> None:
        """Rule 6: the people aboard a flight or sailing use at most its `seats` in all."""
        aboard: dict[int, list] = defaultdict(list)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            for a in arcs:
                if a.kind == "service":
                    assert a.link is not None
                    aboard[a.link.index].append((k.seats, a.var))
        for li, terms in aboard.items():
            self.model.add(_weighted(terms) <= self.links[li].seats)

    def add_place_capacity(self) -> None:
        """Rule 7: where a place has a `capacity`, at no moment are more people there than
        that; a group counts from its arrival until it leaves (for ever if its journey ends
        there); groups that start there do not count until they come back. A family can
        come back to where it started only once it has been safe (`_class_arcs`), so its
        nodes there before it left are those with the flags it started with.

        Counted per grid slot `[s, s+1)`: a group is counted in every slot in which it is
        there at some moment, which never under-counts."""
        step = self.grid.step
        last = self.grid.last
        capped = [p for p, c in enumerate(self.capacity) if c is not None]
        if not capped:
            return
        slots: dict[tuple[int, int], list] = defaultdict(list)
        settled: dict[tuple[int, int], list] = defaultdict(list)
        # who is there at the end of the horizon, and so for ever after
        at_end: dict[int, list] = defaultdict(list)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            started = self._flags(self._source(k))
            for a in arcs:
                if a.head[0] in ("F", "A") and self._node_time(a.head) >= last:
                    there = a.head[1] if a.head[0] == "F" else a.head[2]
                    if self._counted(k, started, there, a.head):
                        at_end[there].append((k.people, a.var, k.size))
                place_of_tail = a.tail[1] if a.tail[0] == "F" else a.tail[2]
                if a.kind in ("wait", "aboard"):
                    if self._counted(k, started, place_of_tail, a.tail):
                        slots[(place_of_tail, a.depart)].append((k.people, a.var, k.size))
                    continue
                assert a.link is not None
                # a service leaves at its real departure, after the group boarded on the grid
                if a.kind == "service" and self._counted(k, started, place_of_tail, a.tail):
                    for s in range(a.depart, self.grid.up(a.link.service_departs)):
                        slots[(place_of_tail, s)].append((k.people, a.var, k.size))
                dst = a.link.dst
                if self.capacity[dst] is None:
                    continue
                first = a.arrive // step
                if a.head[0] == "E":
                    settled[(dst, first)].append((k.people, a.var, k.size))
                    continue
                head_t = a.head[2] if a.head[0] == "F" else a.head[3]
                for s in range(first, head_t):
                    slots[(dst, s)].append((k.people, a.var, k.size))
        for p in capped:
            limit = self.capacity[p]
            assert limit is not None
            running: list = []
            for s in range(last):
                running.extend(settled.get((p, s), []))
                terms = slots.get((p, s), []) + running
                # a slot that could never hold more than the limit needs no constraint
                if sum(n * most for n, _, most in terms) > limit:
                    self.model.add(_weighted([(n, var) for n, var, _ in terms]) <= limit)
            # families arriving at the very end of the horizon stay for ever too
            for s in range(
                last, max(settled_slot for _, settled_slot in settled) + 1 if settled else last
            ):
                running.extend(settled.get((p, s), []))
            terms = at_end.get(p, []) + running
            if sum(n * most for n, _, most in terms) > limit:
                self.model.add(_weighted([(n, var) for n, var, _ in terms]) <= limit)

    def _counted(self, k: _Class, started: int, place: int, node: tuple) -> bool:
        """True when class `k` at `place` in `node` counts toward the place's capacity:
        the place has one, and `k` is not at its start before it left (`started`: the
        flags it started with)."""
        return self.capacity[place] is not None and (
            place != k.origin or self._flags(node) != started
        )

    # ---- objectives

    def _objectives(self) -> dict[str, tuple[list, int, str]]:
        """Each objective as (terms, constant, sense) in integer units; see `_scale`."""
        horizon = self.grid.horizon // self.unit
        wscale = 1
        for k in self.classes:
            wscale = wscale * k.weight.denominator // math.gcd(wscale, k.weight.denominator)
        self.wscale = wscale
        evac: list = []
        evac_const = 0
        expo: list = []
        expo_const = 0
        arr: list = []
        arr_const = 0
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            w = int(k.weight * wscale)
            if k.origin in k.dests:
                evac_const += k.people * k.size
                if self.danger[k.origin]:
                    # evacuated where it stands, yet in danger for the whole horizon
                    expo_const += w * k.people * horizon * k.size
                continue
            arr_const += k.people * horizon * k.size
            if self.danger[k.origin]:
                expo_const += w * k.people * horizon * k.size
            for a in arcs:
                if a.link is None:
                    continue
                t = a.arrive // self.unit
                if not self._flags(a.tail) & BEEN_SAFE and not self.danger[a.link.dst]:
                    expo.append((-w * k.people * (horizon - t), a.var))
                if a.head[0] == "E":
                    evac.append((k.people, a.var))
                    arr.append((-k.people * (horizon - t), a.var))
        objectives = {
            "evacuated": (evac, evac_const, "max"),
            "exposure": (expo, expo_const, "min"),
            "arrival": (arr, arr_const, "min"),
        }
        if "makespan" in self.scenario.objective:
            span = self.model.new_int_var(0, horizon, "makespan")
            by_time: dict[int, list] = defaultdict(list)
            self.arrivals_at: dict[int, tuple[Any, list]] = {}
            """Arrival time (units) -> (its "someone arrives then" flag, the arcs arriving)."""
            self.span = span
            for arcs in self.carcs:
                for a in arcs:
                    if a.head[0] == "E":
                        by_time[a.arrive // self.unit].append(a.var)
            for t, vars_ in sorted(by_time.items()):
                used = self.model.new_bool_var(f"arrive_at_{t}")
                self.arrivals_at[t] = (used, vars_)
                self.model.add(sum(vars_) <= len(self.scenario.groups) * used)
                self.model.add(sum(vars_) >= 1).only_enforce_if(used)
                self.model.add(span >= t).only_enforce_if(used)
            objectives["makespan"] = ([(1, span)], 0, "min")
        return objectives

    def _to_units(self, name: str, value: float) -> float:
        """The inverse of `_to_hours`: an objective value in the model's integer units."""
        if name == "evacuated":
            return value
        units = value * 3600.0 / self.unit
        if name == "exposure":
            units *= self.wscale
        return units

    def _to_hours(self, name: str, value: float) -> float:
        if name == "evacuated":
            return value
        hours = value * self.unit / 3600.0
        if name == "exposure":
            hours /= self.wscale
        return hours

    # ---- build and solve

    def _build(self) -> None:
        """Create every variable and constraint (once)."""
        if self.built:
            return
        self.built = True
        started = time.monotonic()
        self._build_vehicle_flows()
        self._build_class_flows()
        self.add_vehicle_seats()
        self.add_crossing_throughput()
        self.add_service_seats()
        self.add_place_capacity()
        self.objectives = self._objectives()
        self.build_seconds = time.monotonic() - started
        log.info(
            "model: %d classes, %d vehicles, %d variables, built in %.2f s",
            len(self.classes),
            len(self.vehicles),
            len(self.model.proto.variables),
            self.build_seconds,
        )

    def _all_vars(self) -> list:
        out = [a.var for arcs in self.varcs for a in arcs]
        out.extend(a.var for arcs in self.carcs for a in arcs)
        return out

    def _hint_staying(self) -> None:
        """Hint the plan in which nobody moves: always feasible, it gives CP-SAT a first
        solution at once."""
        for vi, v_arcs in enumerate(self.varcs):
            start = self.places[self.vehicles[vi].at]
            for va in v_arcs:
                self.model.add_hint(va.var, 1 if va.link is None and va.tail[0] == start else 0)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            for a in arcs:
                stay = a.kind == "wait" and a.tail[1] == k.origin
                self.model.add_hint(a.var, k.size if stay else 0)

    def _link_of(self, leg: Leg) -> _Link | None:
        """The link a plan leg travels on."""
        src, dst = self.places.get(leg.from_), self.places.get(leg.to)
        arrive = self.grid.seconds(leg.arrive)
        for lk in self.out_links.get(src if src is not None else -1, []):
            if lk.dst != dst or lk.kind != leg.kind:
                continue
            if lk.kind == "crossing" and lk.crossing == leg.crossing:
                return lk
            if lk.kind in ("flight", "sailing") and lk.service == leg.service:
                return lk
            if (
                lk.kind == "road"
                and lk.departs.get(self.grid.seconds(leg.depart) // self.grid.step) == arrive
            ):
                return lk
        return None

    def _hint_plan(self, plan: Plan) -> None:
        """Hint a whole plan (for instance the dispatcher's): each family's journey and each
        vehicle's legs are walked through the model's arcs. A journey the model cannot
        follow is hinted as staying put; CP-SAT repairs what does not fit."""
        step = self.grid.step
        vehicle_index = {v.id: i for i, v in enumerate(self.vehicles)}
        counts: dict[int, int] = defaultdict(int)
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            if not arcs:
                continue
            out: dict[tuple, list[_Arc]] = defaultdict(list)
            for a in arcs:
                out[a.tail].append(a)
            source = self._source(k)
            for g in k.groups:
                try:
                    legs = plan.group(g.id).legs
                except KeyError:
                    legs = ()
                walked = self._walk(out, source, legs, vehicle_index)
                if walked is None:
                    walked = self._walk(out, source, (), vehicle_index) or []
                for a in walked:
                    counts[id(a)] += 1
            for a in arcs:
                self.model.add_hint(a.var, counts.get(id(a), 0))
        if getattr(self, "arrivals_at", None):
            # the makespan's own variables, so that the hint is complete
            hinted = {id(a.var): counts.get(id(a), 0) for arcs in self.carcs for a in arcs}
            last = 0
            for t, (flag, vars_) in self.arrivals_at.items():
                arrives = any(hinted.get(id(v), 0) for v in vars_)
                self.model.add_hint(flag, 1 if arrives else 0)
                if arrives:
                    last = max(last, t)
            self.model.add_hint(self.span, last)
        for vi, v_arcs in enumerate(self.varcs):
            out_v: dict[tuple, list[_VArc]] = defaultdict(list)
            for va in v_arcs:
                out_v[va.tail].append(va)
            used: set[int] = set()
            vehicle = self.vehicles[vi]
            node: tuple | None = (
                self.places[vehicle.at],
                self.vehicle_earliest[vi][self.places[vehicle.at]],
            )
            legs_v = next((v.legs for v in plan.vehicles if v.id == vehicle.id), ())
            for leg in legs_v:
                t = self.grid.seconds(leg.depart) // step
                lk = self._link_of(
                    Leg(leg.kind, leg.from_, leg.to, leg.depart, leg.arrive, crossing=leg.crossing)
                )
                while node is not None and node[1] < t:
                    nxt = next((a for a in out_v.get(node, []) if a.link is None), None)
                    if nxt is None:
                        node = None
                        break
                    used.add(id(nxt))
                    node = nxt.head
                move = (
                    next((a for a in out_v.get(node, []) if a.link is lk and a.depart == t), None)
                    if node is not None
                    else None
                )
                if move is None:
                    node = None
                    break
                used.add(id(move))
                node = move.head
            while node is not None:
                nxt = next((a for a in out_v.get(node, []) if a.link is None), None)
                if nxt is None:
                    break
                used.add(id(nxt))
                node = nxt.head
            for va in v_arcs:
                self.model.add_hint(va.var, 1 if id(va) in used else 0)

    def _walk(
        self,
        out: dict[tuple, list[_Arc]],
        source: tuple,
        legs: tuple[Leg, ...],
        vehicle_index: dict[str, int],
    ) -> list[_Arc] | None:
        """The arcs one family's legs take through its class's graph, or None."""
        step = self.grid.step
        node = source
        walked: list[_Arc] = []

        def wait_until(t: int) -> bool:
            nonlocal node
            while self._node_time(node) < t:
                nxt = next((a for a in out.get(node, []) if a.link is None), None)
                if nxt is None:
                    return False
                walked.append(nxt)
                node = nxt.head
            return True

        for leg in legs:
            lk = self._link_of(leg)
            if lk is None:
                return None
            if leg.kind in ("flight", "sailing"):
                latest = lk.service_departs - max(lk.check_in, self.transfer[lk.src])
                t = self.grid.down(latest)
                kinds = {"service"}
                vehicle = None
            else:
                t = self.grid.seconds(leg.depart) // step
                if leg.vehicle is None:
                    kinds, vehicle = {"foot"}, None
                elif leg.vehicle == "own":
                    kinds, vehicle = {"own"}, OWN
                else:
                    kinds = {"ride"}
                    vehicle = POOL if self.pooled else vehicle_index.get(leg.vehicle)
            if not wait_until(t):
                return None
            move = next(
                (
                    a
                    for a in out.get(node, [])
                    if a.kind in kinds and a.link is lk and a.depart == t and a.vehicle == vehicle
                ),
                None,
            )
            if move is None:
                return None
            walked.append(move)
            node = move.head
        while node[0] != "E":
            nxt = next((a for a in out.get(node, []) if a.link is None), None)
            if nxt is None:
                break
            walked.append(nxt)
            node = nxt.head
        return walked

    @staticmethod
    def _node_time(node: tuple) -> int:
        if node[0] == "E":
            return 1 << 30
        return int(node[2] if node[0] == "F" else node[3])

    def static_bounds(self) -> dict[str, float]:
        """Bounds that hold whatever the capacities: each family reaches safety and its
        destination no sooner than its fastest route allows (see `_earliest`), and only
        families with a route can be evacuated. True for every plan, so true for the best."""
        if self._static is not None:
            return dict(self._static)
        finer = None if self.grid_aligned() else self.bound_model()
        if finer is not None:
            self._static = finer.static_bounds()
            return dict(self._static)
        horizon = self.grid.horizon
        hours = 3600.0
        evac = 0
        expo = 0.0
        arr = 0.0
        latest_needed = 0.0
        every_group_reaches = True
        for k in self.classes:
            w = float(k.weight)
            if k.origin in k.dests:
                evac += k.people * k.size
                if self.danger[k.origin]:
                    expo += w * k.people * k.size * horizon / hours
                continue
            safe, dest = self._earliest(k)
            if self.danger[k.origin]:
                expo += w * k.people * k.size * min(horizon, safe) / hours
            arr += k.people * k.size * min(horizon, dest) / hours
            if dest <= horizon:
                evac += k.people * k.size
                latest_needed = max(latest_needed, dest / hours)
            else:
                every_group_reaches = False
        out = {"evacuated": float(evac), "exposure": expo, "arrival": arr}
        if every_group_reaches:
            # true for the makespan only once every family is known to be evacuated
            out["makespan_if_all"] = latest_needed
        self._static = dict(out)
        return out

    def known_bounds(self, relaxed: dict[str, float] | None = None) -> dict[str, float]:
        """The tighter of the static bounds and the flow relaxation's (`relaxed`, else those
        kept in `relaxed`), objective by objective."""
        known = self.static_bounds()
        for name, value in (self.relaxed if relaxed is None else relaxed).items():
            known[name] = _tighter(name, known.get(name), value)
        return known

    def _kind_reach(self) -> list[tuple[int, list[int], dict[int, int]]]:
        """Fleet kinds as (seats, vehicle indices, earliest grid time at each place)."""
        if not hasattr(self, "_kinds"):
            kinds: dict[str, tuple[int, list[int], dict[int, int]]] = {}
            for vi, vehicle in enumerate(self.vehicles):
                seats, members, reach = kinds.setdefault(vehicle.fleet, (vehicle.seats, [], {}))
                members.append(vi)
                for p, t in self.vehicle_earliest[vi].items():
                    reach[p] = min(t, reach.get(p, t))
            self._kinds = list(kinds.values())
        return self._kinds

    def _earliest(self, k: _Class) -> tuple[int, int]:
        """Earliest arrival (seconds) of class k at a safe place and at a destination.

        A relaxation of the rules, so a true bound for every family of the class: it may ride
        any vehicle of a kind that could be at the place by then, as if it were there for it
        alone; it keeps the documents, seats, hours, closures, check-in and transfers (taken
        when the kind of carrier changes), and ignores every capacity shared with others.
        """
        ready = max(0, self.grid.up(_seconds(self.grid, k.groups[0].ready))) * self.grid.step
        # classes that differ only in priority or size share their fastest way
        key = (k.origin, ready, k.own, k.accepted, k.dests, k.seats)
        if key not in self._fastest_ways:
            self._fastest_ways[key] = self._fastest(k, ready)
        return self._fastest_ways[key]

    def _fastest(self, k: _Class, ready: int) -> tuple[int, int]:
        """`_earliest` worked out: a label-setting search from `ready`."""
        inf = 1 << 60
        step = self.grid.step
        none, foot, service = -10, -11, -12
        kinds = self._kind_reach()
        first = (k.origin, none, 1 if k.own else 0)
        best = {first: ready}
        heap = [(ready, first)]
        safe = 0 if not self.danger[k.origin] else inf
        dest = inf

        def first_departure(lk: _Link, after: int) -> tuple[int, int] | None:
            dep = self.first_departure(lk, self.grid.up(after))
            return None if dep is None else (dep, lk.departs[dep])

        while heap:
            now, state = heapq.heappop(heap)
            if now > best.get(state, inf):
                continue
            p, carrier, car = state
            if not self.danger[p]:
                safe = min(safe, now)
            if p in k.dests:
                dest = min(dest, now)
                continue
            change = now + (self.transfer[p] if carrier != none else 0)
            moves: list[tuple[int, tuple[int, int, int]]] = []
            for lk in self.out_links[p]:
                if lk.index not in k.accepted:
                    continue
                if lk.kind in ("flight", "sailing"):
                    if k.seats > lk.seats or lk.service_arrives > self.grid.horizon:
                        continue
                    if now > lk.service_departs - max(lk.check_in, self.transfer[p]):
                        continue
                    moves.append((lk.service_arrives, (lk.dst, service, 0)))
                    continue
                if lk.kind == "crossing":
                    walk = first_departure(lk, change if carrier != foot else now)
                    if walk is not None:
                        moves.append((walk[1], (lk.dst, foot, 0)))
                if car and (lk.kind == "road" or lk.vehicles):
                    drive = first_departure(lk, now if carrier in (none, OWN) else change)
                    if drive is not None:
                        moves.append((drive[1], (lk.dst, OWN, 1)))
                for ki, (seats, members, reach) in enumerate(kinds):
                    if seats < k.seats or p not in reach:
                        continue
                    if not any(self._vehicle_can_use(vi, lk) for vi in members[:1]):
                        continue
                    after = max(now if carrier == ki else change, reach[p] * step)
                    ride = first_departure(lk, after)
                    if ride is not None:
                        moves.append((ride[1], (lk.dst, ki, 0)))
            for reach_at, nxt in moves:
                if reach_at < best.get(nxt, inf):
                    best[nxt] = reach_at
                    heapq.heappush(heap, (reach_at, nxt))
        return safe, dest

    def _solve_once(
        self,
        params: SolveParameters,
        budget: float,
        stage: str = "",
        target: float | None = None,
    ) -> tuple[Any, Any]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, budget)
        solver.parameters.num_workers = max(1, params.workers)
        solver.parameters.random_seed = params.seed
        solver.parameters.log_search_progress = params.log_search
        if len(self.model.proto.variables) > LARGE_MODEL:
            # presolve of a large model can use the whole time limit and return nothing,
            # even with a complete hint; the search itself starts from the hint at once
            solver.parameters.cp_model_presolve = False
        callback = None
        if params.progress is not None or target is not None:
            callback = _Progress(params.progress, stage, self._to_hours, target)
        return solver, solver.solve(self.model, callback)

    def solve(
        self,
        params: SolveParameters | None = None,
        deadline: float | None = None,
        start: Plan | None = None,
        tidy: float | None = None,
    ) -> Plan:
        """Solve the objectives in order and return the plan with its proven bounds.

        `tidy`: at most this many seconds for dropping needless driving at the end (see
        `_tidy`); by default a fifth of the time limit, at least a second.

        With pooled rides, each stage's solution is packed into the individual vehicles; a
        departure that does not pack is made exact (`add_exact_packing`) and the stage is
        solved again, so the plan written always keeps every rule. When the time is up
        before a stage's solution packs, the stage before's plan is kept (at the first
        stage, the families of a departure that does not pack stay put).
        """
        params = params or SolveParameters()
        started = time.monotonic()
        if deadline is None:
            deadline = started + params.time_limit
        order = list(self.scenario.objective)
        if start is not None:
            self._hint_plan(start)
        else:
            self._hint_staying()
        values: dict[str, float] = {}
        bounds: dict[str, float] = {}
        solved: dict[str, bool] = {}
        solution: dict[int, int] | None = None
        all_vars = self._all_vars()
        static = self.static_bounds()
        best_known = self.known_bounds() if self.bound_model() is not None else static
        exact_bounds = self.grid_aligned()
        for stage, name in enumerate(order):
            terms, const, sense = self.objectives[name]
            expr = _weighted(terms) + const
            # bounds that hold for any plan are cuts for the search as well
            if name in static:
                limit = self._to_units(name, static[name])
                if sense == "max":
                    self.model.add(expr <= math.floor(limit + 1e-6))
                else:
                    self.model.add(expr >= math.ceil(limit - 1e-6))
            given = None if start is None else start.objective.get(name)
            if solution is not None:
                # the incumbent of the earlier stages, valued for this one
                known = all(id(v) in solution for _, v in terms)
                given = (
                    self._to_hours(name, sum(c * solution[id(v)] for c, v in terms) + const)
                    if known
                    else None
                )
            if (
                given is not None
                and name in best_known
                and abs(float(given) - best_known[name]) < 1e-6
            ):
                # the plan we start from already meets the bound: nothing to search for
                values[name] = float(given)
                level = int(round(self._to_units(name, float(given))))
                self.model.add(expr >= level if sense == "max" else expr <= level)
                log.info("stage %s: the starting plan meets its bound %s", name, given)
                continue
            if sense == "max":
                self.model.maximize(expr)
            else:
                self.model.minimize(expr)
            share = 1.0 if stage == len(order) - 1 else 0.7
            stage_deadline = time.monotonic() + (deadline - time.monotonic()) * share
            first_bound: float | None = None
            failures: list[tuple[int, int]] = []
            while True:
                target = (
                    self._to_units(name, best_known[name])
                    if name in best_known and exact_bounds
                    else None
                )
                solver, status = self._solve_once(
                    params, stage_deadline - time.monotonic(), name, target
                )
                if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    break
                if first_bound is None:
                    first_bound = solver.best_objective_bound
                raw = solver.response_proto.solution
                candidate = {id(v): raw[v.index] for v in all_vars}
                failures = self._assign(candidate)[1] if self.pooled else []
                if not failures or time.monotonic() > stage_deadline - 0.2:
                    break
                log.info("stage %s: %d departures do not pack; solving again", name, len(failures))
                for key in failures:
                    self.add_exact_packing(key)
                self.model.clear_hints()
                for v in all_vars:
                    self.model.add_hint(v, candidate[id(v)])
            if status == cp_model.UNKNOWN:
                # the time ran out before CP-SAT had a solution: the plan in hand stands
                log.info("stage %s: no solution found in the time left", name)
                break
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                log.warning("stage %s: no solution (%s)", name, solver.status_name(status))
                break
            if failures and solution is not None:
                # families of a departure that does not pack would stay put: the solution
                # of the stage before packs, and is as good on every stage before this one
                log.warning(
                    "stage %s: %d departures do not pack and no time is left to solve again:"
                    " the plan of the stage before is kept",
                    name,
                    len(failures),
                )
                break
            solution = candidate
            value = solver.objective_value
            assert first_bound is not None
            values[name] = self._to_hours(name, value)
            if not self.pooled:
                # every packing constraint is a rule, so each solve's bound is a true bound
                best = (
                    min(first_bound, solver.best_objective_bound)
                    if sense == "max"
                    else max(first_bound, solver.best_objective_bound)
                )
                bounds[name] = self._to_hours(name, best)
                solved[name] = status == cp_model.OPTIMAL
            else:
                # a pooled model takes every transfer, so its bound is not a bound of the
                # scenario: only the bounds that hold for any plan are reported
                solved[name] = False
            log.info(
                "stage %s: %s value %s bound %s in %.2f s",
                name,
                solver.status_name(status),
                values[name],
                bounds.get(name),
                solver.wall_time,
            )
            if params.progress is not None:
                params.progress(
                    name, time.monotonic() - started, values[name], bounds.get(name, math.nan)
                )
            # keep this stage's result while the next ones run
            if status == cp_model.OPTIMAL:
                self.model.add(expr == int(round(value)))
            elif sense == "max":
                self.model.add(expr >= int(round(value)))
            else:
                self.model.add(expr <= int(round(value)))
            self.model.clear_hints()
            for v in all_vars:
                self.model.add_hint(v, solution[id(v)])
        if solution is None and start is not None:
            # every stage was met by the starting plan: it is the answer
            bound, proven = self._combine_bounds(start.objective, {}, {}, True)
            return replace(
                start,
                status="optimal" if proven else "feasible",
                bound=bound,
                stats=dict(start.stats, bounds_from="static"),
            )
        if solution is not None and len(values) == len(order):
            most = max(1.0, 0.2 * params.time_limit) if tidy is None else tidy
            tidied = self._tidy(solution, params, deadline, most)
            # the tidy stage knows nothing of packing: its solution is kept only if it packs
            if tidied is not None and not (self.pooled and self._assign(tidied)[1]):
                solution = tidied
        seconds = time.monotonic() - started
        return self._extract(solution, bounds, solved, seconds)

    def _tidy(
        self, solution: dict[int, int], params: SolveParameters, deadline: float, most: float
    ) -> dict[int, int] | None:
        """With every objective held at its value, drop needless driving: fewest vehicle
        moves, then the least driving time. Not an objective of SCENARIO.md; it only
        chooses among plans that are equally good, and makes the plan steadier."""
        terms = [
            (1 + (va.arrive - va.depart * self.grid.step) // max(1, self.grid.step), va.var)
            for arcs in self.varcs
            for va in arcs
            if va.link is not None
        ]
        remaining = min(deadline - time.monotonic(), most)
        if not terms or remaining < 0.2:
            return None
        self.model.minimize(_weighted(terms))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = remaining
        solver.parameters.num_workers = max(1, params.workers)
        solver.parameters.random_seed = params.seed
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        raw = solver.response_proto.solution
        return {id(v): raw[v.index] for v in self._all_vars()}

    # ---- back to names

    def _paths(self, solution: dict[int, int] | None) -> dict[str, list[_Arc]]:
        """Split each class's integer flow into one path per family (all arcs, waits too)."""
        value = (lambda var: solution[id(var)]) if solution else (lambda var: 0)
        grid = self.grid
        paths: dict[str, list[_Arc]] = {}
        for k, arcs in zip(self.classes, self.carcs, strict=True):
            if not arcs:
                for g in k.groups:
                    paths[g.id] = []
                continue
            remaining = {id(a): value(a.var) for a in arcs}
            out: dict[tuple, list[_Arc]] = defaultdict(list)
            for a in arcs:
                out[a.tail].append(a)
            node0 = self._source(k)
            found: list[list[_Arc]] = []
            for _ in k.groups:
                node = node0
                path: list[_Arc] = []
                while True:
                    nxt = next((a for a in out.get(node, []) if remaining[id(a)] > 0), None)
                    if nxt is None:
                        break
                    remaining[id(nxt)] -= 1
                    path.append(nxt)
                    node = nxt.head
                found.append(path)

            def first_move(path: list[_Arc]) -> int:
                return next((a.depart for a in path if a.link is not None), grid.last + 1)

            # earliest movers first, families in file order
            found.sort(key=first_move)
            for g, path in zip(k.groups, found, strict=True):
                paths[g.id] = path
        return paths

    def _assign(
        self, solution: dict[int, int] | None, paths: dict[str, list[_Arc]] | None = None
    ) -> tuple[dict[tuple[str, int], int], list[tuple[int, int]]]:
        """Give every pooled ride a named vehicle: families that stay aboard keep their
        vehicle, the others are packed best-fit, largest first. Returns the vehicle of each
        (group, arc position) and the departures (link, time) that did not pack."""
        value = (lambda var: solution[id(var)]) if solution else (lambda var: 0)
        if paths is None:
            paths = self._paths(solution)
        seats_of = {g.id: g.seats for g in self.scenario.groups}
        riders: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
        for gid, path in paths.items():
            for i, a in enumerate(path):
                if a.kind == "ride" and a.vehicle == POOL:
                    assert a.link is not None
                    riders[(a.link.index, a.depart)].append((gid, i))
        moving: dict[tuple[int, int], list[int]] = defaultdict(list)
        for vi, arcs in enumerate(self.varcs):
            for va in arcs:
                if va.link is not None and value(va.var):
                    moving[(va.link.index, va.depart)].append(vi)
        chosen: dict[tuple[str, int], int] = {}
        failures: list[tuple[int, int]] = []
        for key in sorted(riders, key=lambda k: (k[1], k[0])):
            room = {vi: self.vehicles[vi].seats for vi in moving.get(key, [])}
            stay, rest = [], []
            for gid, i in riders[key]:
                prev = self._previous_ride(paths[gid], i)
                if prev is not None and (gid, prev) in chosen:
                    stay.append((gid, i, chosen[(gid, prev)]))
                else:
                    rest.append((gid, i))
            ok = True
            for gid, i, vi in stay:
                if room.get(vi, -1) >= seats_of[gid]:
                    room[vi] -= seats_of[gid]
                    chosen[(gid, i)] = vi
                else:
                    rest.append((gid, i))
            for gid, i in sorted(rest, key=lambda r: (-seats_of[r[0]], r[0])):
                fits = [vi for vi, free in room.items() if free >= seats_of[gid]]
                if not fits:
                    ok = False
                    continue
                vi = min(fits, key=lambda v: (room[v], v))
                room[vi] -= seats_of[gid]
                chosen[(gid, i)] = vi
            if not ok:
                failures.append(key)
        return chosen, failures

    @staticmethod
    def _previous_ride(path: list[_Arc], i: int) -> int | None:
        """Position of the ride a family is still aboard when it takes arc `i`, if any."""
        if path[i].tail[0] != "A":
            return None
        j = i - 1
        while j >= 0 and path[j].kind == "aboard":
            j -= 1
        return j if j >= 0 and path[j].kind == "ride" else None

    def _extract(
        self,
        solution: dict[int, int] | None,
        bounds: dict[str, float],
        solved: dict[str, bool],
        seconds: float,
    ) -> Plan:
        scenario = self.scenario
        grid = self.grid
        value = (lambda var: solution[id(var)]) if solution else (lambda var: 0)
        paths = self._paths(solution)
        chosen, failures = self._assign(solution, paths) if self.pooled else ({}, [])
        if failures:
            log.warning("%d departures could not be packed; those families stay put", len(failures))
        journeys: dict[str, tuple[Leg, ...]] = {}
        aboard: dict[tuple[int, int, int], list[str]] = defaultdict(list)
        reached_dest = {
            k.index
            for k, arcs in zip(self.classes, self.carcs, strict=True)
            if any(a.head[0] == "E" for a in arcs)
        }
        for gid, path in paths.items():
            legs: list[Leg] = []
            for i, a in enumerate(path):
                if a.link is None:
                    continue
                lk = a.link
                dep = grid.instant(
                    lk.service_departs if a.kind == "service" else a.depart * grid.step
                )
                arr = grid.instant(a.arrive)
                src, dst = self.place_ids[lk.src], self.place_ids[lk.dst]
                if a.kind == "service":
                    legs.append(Leg(lk.kind, src, dst, dep, arr, service=lk.service))  # type: ignore[arg-type]
                    continue
                vehicle = None
                if a.kind == "ride":
                    vi = a.vehicle if a.vehicle != POOL else chosen.get((gid, i))
                    if vi is None:
                        break  # did not pack: the family stays where it is
                    vehicle = self.vehicles[vi].id
                    aboard[(vi, lk.index, a.depart)].append(gid)
                elif a.kind == "own":
                    vehicle = "own"
                legs.append(
                    Leg(lk.kind, src, dst, dep, arr, vehicle=vehicle, crossing=lk.crossing)  # type: ignore[arg-type]
                )
            journeys[gid] = tuple(legs)
        vehicles = []
        for vi, arcs in enumerate(self.varcs):
            legs_v = []
            for va in sorted(arcs, key=lambda a: a.depart):
                if va.link is None or not value(va.var):
                    continue
                lk = va.link
                legs_v.append(
                    VehicleLeg(
                        kind=lk.kind,  # type: ignore[arg-type]
                        from_=self.place_ids[lk.src],
                        to=self.place_ids[lk.dst],
                        depart=grid.instant(va.depart * grid.step),
                        arrive=grid.instant(va.arrive),
                        groups=tuple(sorted(aboard.get((vi, lk.index, va.depart), []))),
                        crossing=lk.crossing,
                    )
                )
            if legs_v:
                v = self.vehicles[vi]
                vehicles.append(VehiclePlan(v.id, v.fleet, tuple(legs_v)))
        groups = self.group_plans(journeys, reached_dest)
        objective = evaluate_objectives(scenario, journeys)
        bound, proven = self._combine_bounds(objective, bounds, solved, not failures)
        gaps = {}
        for name, b in bound.items():
            got = objective.get(name)
            if got is not None:
                gaps[name] = abs(float(got) - float(b)) / max(1e-9, abs(float(got))) if got else 0.0
        return Plan(
            scenario=scenario.name,
            status="optimal" if proven else "feasible",
            objective=objective,
            bound=bound,
            groups=groups,
            vehicles=tuple(vehicles),
            stats={
                "method": "cp-sat",
                "seconds": round(seconds + self.build_seconds, 3),
                "gap": gaps,
                "classes": len(self.classes),
                "variables": len(self.model.proto.variables),
                "pooled": self.pooled,
            },
        )

    def _compared_times(self) -> list[int]:
        """Every time the rules compare, in seconds: from the start, or a duration."""
        sc = self.scenario
        times = [self.grid.horizon]
        times += [max(0, _seconds(self.grid, g.ready)) for g in sc.groups]
        times += [max(0, _seconds(self.grid, v.available)) for v in sc.fleet]
        times += [int(r.duration.total_seconds()) for r in sc.roads]
        times += [int(c.processing.total_seconds()) for c in sc.crossings]
        times += [int(loc.transfer.total_seconds()) for loc in sc.locations.values()]
        for service in sc.services:
            times += [
                _seconds(self.grid, service.departs),
                _seconds(self.grid, service.arrives),
                int(service.check_in.total_seconds()),
            ]
        lo, hi = sc.start, sc.end
        for road in sc.roads:
            tz = sc.locations[road.from_].timezone
            for a, b in window_intervals(road.closed, tz, lo, hi):
                times += [_seconds(self.grid, a), _seconds(self.grid, b)]
        for c in sc.crossings:
            tz = sc.locations[c.from_].timezone
            for a, b in window_intervals(c.open + c.closed, tz, lo, hi):
                times += [_seconds(self.grid, a), _seconds(self.grid, b)]
        return times

    def grid_aligned(self) -> bool:
        """True when every time the rules compare falls on the `step` grid: then the best plan
        on the grid is as good as any plan, and bounds proved on the grid are true bounds.
        Otherwise CP-SAT's bounds are not reported (a plan off the grid could do better);
        see `bound_model` for the others."""
        if self._aligned is None:
            step = self.grid.step
            self._aligned = not (3600 % step and step % 3600) and all(
                t % step == 0 for t in self._compared_times()
            )
        return self._aligned

    def bound_model(self) -> EvacuationModel | None:
        """The model on which bounds true for every plan are worked out: this one when the
        scenario is grid-aligned, else the same scenario on the finest grid its times fall on
        (a plan on the `step` grid is also on that one), when that grid is not too fine;
        None otherwise, and then no bound is reported."""
        if self.grid_aligned():
            return self
        if self._bounds_on is None:
            fine = 0
            for t in [self.grid.step, *self._compared_times()]:
                fine = math.gcd(fine, abs(t))
            self._bounds_on = False
            if fine >= MIN_BOUND_STEP and 3600 % fine == 0 and self.grid.horizon // fine <= 20_000:
                finer = self.scenario.replace(step=timedelta(seconds=fine))
                model = EvacuationModel(finer, build=False)
                if model.grid_aligned():
                    self._bounds_on = model
        return self._bounds_on if isinstance(self._bounds_on, EvacuationModel) else None

    def _combine_bounds(
        self,
        objective: dict[str, float | int | None],
        solver_bounds: dict[str, float],
        solved: dict[str, bool],
        exact: bool,
    ) -> tuple[dict[str, float | int], bool]:
        """The tightest true bound of each optimised objective, and whether the plan is proven
        optimal: every stage solved to optimality, or meeting its bound."""
        if self.bound_model() is None:
            # bounds found on the grid may not hold for plans off it: report none
            return {}, False
        if not self.grid_aligned():
            # what CP-SAT proved holds on this grid only: not a bound, not a proof
            solver_bounds, solved = {}, {}
        static = self.known_bounds()
        order = list(self.scenario.objective)
        everyone = self.scenario.people
        if (
            "makespan_if_all" in static
            and "evacuated" in order
            and "makespan" in order
            and order.index("evacuated") < order.index("makespan")
            and objective.get("evacuated") == everyone
        ):
            # evacuated comes first and this plan moves everyone: so does the best plan
            static["makespan"] = max(static.get("makespan", 0.0), static["makespan_if_all"])
        bound: dict[str, float | int] = {}
        proven = exact
        for name in self.scenario.objective:
            candidates = [b for b in (static.get(name), solver_bounds.get(name)) if b is not None]
            value = objective.get(name)
            if not candidates:
                proven = False
                continue
            if name == "evacuated":
                best = min(candidates)
                bound[name] = int(math.floor(best + 1e-6))
            else:
                best = max(candidates)
                bound[name] = math.floor(best * 1e6 + 1e-3) / 1e6
            met = value is not None and abs(float(value) - float(bound[name])) <= 1e-6
            if not (solved.get(name, False) or met):
                proven = False
        return bound, proven

    def group_plans(
        self, journeys: dict[str, tuple[Leg, ...]], reached: set[int] | None = None
    ) -> tuple[GroupPlan, ...]:
        """Every group of the scenario in file order, with its journey (none when not in
        `journeys`), its status and, when it is not evacuated, why. `reached`: the classes
        whose flow reached a destination in the model (None: every class)."""
        scenario = self.scenario
        graph = None
        class_of = {g.id: k for k in self.classes for g in k.groups}
        groups = []
        for g in scenario.groups:
            journey = journeys.get(g.id, ())
            status = group_status(scenario, g, journey)
            reason = None
            if status != "evacuated":
                graph = graph or build_network(scenario)
                k = class_of[g.id]
                reason = self._reason(g, k, graph, reached is None or k.index in reached)
            groups.append(GroupPlan(g.id, g.people, status, reason, journey))
        return tuple(groups)

    def _reason(self, group: Group, k: _Class, graph: Any, reachable: bool) -> str:
        static = diagnose_unreachable(self.scenario, graph, group)
        if static is not None:
            return static
        dests = ", ".join(group.destinations)
        if not reachable:
            return (
                f"no sequence of open roads, crossings and scheduled services takes it from "
                f"{group.at} (ready {group.ready.isoformat()}) to {dests} by the end of the horizon"
            )
        return (
            "the seats, crossing throughput and place capacity were all needed for groups "
            "that count more in the objectives"
        )


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each better solution of a stage: (stage, seconds, value, bound)."""

    def __init__(
        self,
        report: Callable[[str, float, float, float], None] | None,
        stage: str,
        to_hours: Callable[[str, float], float],
        target: float | None = None,
    ) -> None:
        super().__init__()
        self.report = report
        self.stage = stage
        self.to_hours = to_hours
        self.target = target

    def on_solution_callback(self) -> None:
        if self.report is not None:
            self.report(
                self.stage,
                self.wall_time,
                self.to_hours(self.stage, self.objective_value),
                self.to_hours(self.stage, self.best_objective_bound),
            )
        if self.target is not None and abs(self.objective_value - self.target) < 1e-6:
            # a plan that meets a bound true for every plan cannot be beaten
            self.stop_search()


def _weighted(terms: list) -> Any:
    """The linear expression sum(coefficient * variable) of (coefficient, variable) pairs."""
    if not terms:
        return 0
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])


def better(scenario: Scenario, a: Plan, b: Plan) -> bool:
    """True when plan `a` is strictly better than `b` in the scenario's objective order."""
    return _better_values(scenario, a.objective, b.objective)


def _better_values(scenario: Scenario, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when objective values `a` are strictly better than `b` in the scenario's order."""
    for name in scenario.objective:
        va, vb = a.get(name), b.get(name)
        if va is None or vb is None:
            if va == vb:
                continue
            return vb is None if name != "makespan" else va is None
        if abs(float(va) - float(vb)) <= 1e-6:
            continue
        return float(va) > float(vb) if name == "evacuated" else float(va) < float(vb)
    return False


def solve(scenario: Scenario, params: SolveParameters | None = None) -> Plan:
    """Plan an evacuation: the dispatcher's plan first, then CP-SAT from it.

    The dispatcher (:mod:`planner.greedy`) gives a plan that keeps every rule in well under a
    second; CP-SAT starts from it and improves it within the time limit. The better of the
    two is returned, with the best true bounds known.

    On a scenario too large for CP-SAT, and with `workers` of 2 or more, a second
    dispatcher runs in a process of its own (`_Rival` where nothing searches after the
    dispatcher, `_GuidedRival` where the dispatcher guided by the relaxation has the time),
    started the way `multiprocessing` starts processes everywhere ("spawn"): a script that
    calls `solve` must then keep its own work under `if __name__ == "__main__":`, as
    `multiprocessing` asks, or give `workers=1`.

    >>> from planner.read import read_scenario
    >>> plan = solve(read_scenario("tests/data/solve/shuttle.yaml"), SolveParameters(time_limit=10))
    >>> plan.status, plan.objective["evacuated"]
    ('optimal', 12)
    """
    params = params or SolveParameters()
    started = time.monotonic()
    finish = started + params.time_limit
    deadline = finish - _kept_for_reasons(params)
    start: Plan | None = None
    try:
        from planner.greedy import dispatch
    except ImportError:  # pragma: no cover - the dispatcher ships with the package
        dispatch = None  # type: ignore[assignment]
    model = EvacuationModel(scenario, build=False)
    searchable = _searchable(model)
    bounding = _Bounding(model, params, searchable, deadline)
    told = None
    if params.progress is not None:
        told = _Told(scenario, params.progress, started, bounding.known)
    if dispatch is not None:
        # the dispatcher may refine its plan for at most half of the time, or most of it
        # when no search follows
        start = _dispatched(
            scenario,
            params,
            time.monotonic() + _dispatch_share(model, searchable) * params.time_limit,
            bounding.hand_over,
            lambda plan: _worth_restarting(model, plan),
            answer=not searchable,
            told=told,
            rescue_by=deadline,
        )
    rival: _GuidedRival | None = None
    guided_by = deadline - EXCHANGE_SHARE * params.time_limit
    if start is not None and searchable and model.too_large and not _sooner_fits(model, start):
        if not _meets(scenario, start, model.known_bounds()):
            rival = _guided_rival(model, bounding, start, params, guided_by, deadline)
    bounding.finish(start, guide=model.too_large)
    if told is not None:
        told.again()
    meets = start is not None and _meets(scenario, start, model.known_bounds())
    if params.progress is not None:
        params = replace(params, progress=_true_bounds(model, params.progress))
    # what was tried after the dispatcher, for a plan that comes out of it unchanged
    tried = "no time left for cp-sat"
    if meets:
        log.info("the dispatcher's plan meets every bound: nothing to search for")
        plan = start  # type: ignore[assignment]
    elif start is not None and deadline - time.monotonic() < 0.25 * params.time_limit:
        plan = start
    elif start is not None and _sooner_fits(model, start):
        # a shuttle: the deadline search on whole vehicles, from the dispatcher's plan
        tried = "not improved by the whole-number flow"
        found, start = _sooner(model, start, params, deadline)
        plan = _kept_to_rules(scenario, found, start)
        if plan is not found:
            tried = "the search's plan broke a rule"
    elif start is not None and model.too_large:
        # the exchanges of the way on (planner.exchange) have the end of the time
        guided = _guided(model, bounding, start, params, guided_by, told, rival)
        if guided is not start:
            plan = start = guided
            tried = ""
        else:
            tried = "not improved by the aggregated flow"
            log.info(
                "the CP-SAT model would have about %d arcs: planning from the aggregated flow",
                model.size_estimate,
            )
            plan = _kept_to_rules(scenario, _from_flow(model, start, params, deadline), start)
    else:
        if start is not None and model.size_estimate > FLOW_FIRST:
            # the flow finds a good start in seconds where CP-SAT alone may take minutes
            share = time.monotonic() + 0.4 * (deadline - time.monotonic())
            start = _kept_to_rules(scenario, _from_flow(model, start, params, share), start)
        model._build()
        found = model.solve(params, deadline=deadline, start=start)
        plan = _kept_to_rules(scenario, found, start)
        if plan is not found:
            tried = "the search's plan broke a rule"
    if start is not None and start.stats.get("method") == FLOW_METHOD:
        if not better(scenario, plan, start):
            plan = start  # judged already
    elif start is not None and (plan is start or better(scenario, start, plan)):
        judged = _judged(model, start, "")
        if judged.status == "optimal":
            how = "proven optimal by the bounds"
        elif plan is start:
            how = tried
        else:
            how = "not improved by cp-sat"
        method = ", ".join(part for part in (start.stats["method"], how) if part)
        plan = replace(judged, stats=dict(judged.stats, method=method))
    if plan.status != "optimal":
        plan = _exchanged(scenario, plan, deadline)
    if rival is not None:
        # its plan is exchanged in its own process, by the same deadline less its margin
        wait = deadline if rival.sent and plan.status != "optimal" else time.monotonic()
        plan = _rival_kept(scenario, plan, rival.result(max(wait, time.monotonic() + 0.1)))
    if plan.status != "optimal":
        if told is not None:
            told(plan.objective)
        bounding.wait(deadline)  # the time is the relaxation's now: a later stage may end
    plan = bounding.late(scenario, plan)
    return _timed(_with_reasons(scenario, plan, finish - _margin(params)), started)


def _dispatch_share(model: EvacuationModel, searchable: bool) -> float:
    """Share of the time limit the dispatcher has: half where CP-SAT searches after it,
    GUIDE_DISPATCH_SHARE where the dispatcher guided by the relaxation does (`_guided`),
    ANSWER_SHARE where its plan is the answer."""
    if not searchable:
        return ANSWER_SHARE
    return GUIDE_DISPATCH_SHARE if model.too_large else 0.5


def _kept_to_rules(scenario: Scenario, plan: Plan, start: Plan | None) -> Plan:
    """`plan` when it keeps every rule (:func:`planner.check.check_plan`), else `start`,
    the plan the search (CP-SAT, the aggregated flow's, the deadline search's) began from,
    or the dispatcher's plan a runner-up was weighed against (`_rescued_best`).
    The models are meant to keep every rule; this keeps a fault of one (once: a family
    back at the place it started from was not counted there) from reaching a plan."""
    if start is None or plan is start:
        return plan
    from planner.check import check_plan

    broken = check_plan(scenario, plan_to_dict(plan, scenario))
    if not broken:
        return plan
    log.info("the plan breaks %s: the plan it was made from is kept", broken[0])
    return start


def solve_direct(scenario: Scenario, params: SolveParameters | None = None) -> Plan:
    """The straightforward model: one set of decisions per family, solved by CP-SAT alone.

    This is the model a typical OR-Tools user writes first: every family has its own flow
    through the time-expanded network and its own seat on each vehicle, nothing is
    aggregated, and the search starts from "nobody moves" rather than from the dispatcher's
    plan. It keeps every rule, like :func:`solve`, and serves as the yardstick of the
    benchmarks (`bench/run.py`); the planner itself never calls it.
    """
    params = params or SolveParameters()
    started = time.monotonic()
    deadline = started + params.time_limit
    model = EvacuationModel(scenario, pooled=False, build=False, aggregate=False)
    model._build()
    return _timed(_with_reasons(scenario, model.solve(params, deadline=deadline)), started)


def dispatch_alone(scenario: Scenario, params: SolveParameters | None = None) -> Plan:
    """The dispatcher alone (`planner plan --method greedy`), as a planner with a spreadsheet
    would plan: one seed (`params.seed`), its eight ways and the keeping back, no steering,
    no other seed, no search, no bound (its better plans are told to `params.progress` as
    they come, with none). Like :func:`solve`, it keeps the end of the time limit for the
    reasons of those not evacuated, which :mod:`planner.diagnose` works out from the
    scenario and the plan, so that they say the same as for any other plan.

    >>> from planner.read import read_scenario
    >>> plan = dispatch_alone(read_scenario("tests/data/solve/shuttle.yaml"))
    >>> plan.stats["method"], plan.objective["evacuated"]
    ('greedy', 12)
    """
    from planner.greedy import dispatch

    params = params or SolveParameters()
    started = time.monotonic()
    finish = started + params.time_limit
    told = None if params.progress is None else _Told(scenario, params.progress, started)
    plan = dispatch(
        scenario, seed=params.seed, deadline=finish - _kept_for_reasons(params), better=told
    )
    return _timed(_with_reasons(scenario, plan, finish - _margin(params)), started)


def _margin(params: SolveParameters) -> float:
    """Seconds by which the reasons end before the time limit: what comes after them (the
    plan put together, the relaxation's thread ended) fits in it. 1% of the time limit, at
    most a second; on 15,000 people, with none, the solve ended 0.1 s after a limit of
    60 s."""
    return min(0.01 * params.time_limit, 1.0)


def _kept_for_reasons(params: SolveParameters) -> float:
    """Seconds kept back at the end of the time limit for the reasons of those not
    evacuated (planner.diagnose): 5% of it, at most 10."""
    return min(0.05 * params.time_limit, 10.0)


def _timed(plan: Plan, started: float) -> Plan:
    """`plan` with `stats["seconds"]` the wall time of the whole solve since `started`, not
    of the step that made the plan."""
    return replace(plan, stats=dict(plan.stats, seconds=round(time.monotonic() - started, 3)))


def _guided(
    model: EvacuationModel,
    bounding: _Bounding,
    start: Plan,
    params: SolveParameters,
    deadline: float,
    told: Better | None = None,
    rival: _GuidedRival | None = None,
) -> Plan:
    """The dispatcher guided by the relaxation's optimum (`planner.greedy.dispatch_guided`)
    when its plan is better than `start`, else `start`; `told` gets its better plans.
    Where the aggregated flow could follow in the time left (`_flow_least`), it has
    GUIDED_SHARE of the time to `deadline` for seeds from `params.seed` on, and the rest
    only when one gives a better plan; elsewhere all of it, and a second process
    (`rival`, started by the caller: `_guided_rival`), when given, is sent the ways and
    takes every other seed."""
    from planner.greedy import dispatch_guided

    scenario = model.scenario
    now = time.monotonic()
    share = 1.0 if _guided_alone(model, deadline) else GUIDED_SHARE
    seeds: Sequence[int] = range(params.seed, params.seed + SEEDS)
    if rival is not None:
        seeds = seeds[0::2]
    if share == 1.0:
        # nothing else can use the time: the guide is worth waiting for, for half of it
        bounding.wait(now + 0.5 * (deadline - now), start)
    ways = bounding.ways(start)
    if not ways:
        return start
    if rival is not None:
        rival.send(ways)
    now = time.monotonic()
    plan = dispatch_guided(scenario, ways, seeds, now + share * (deadline - now), told)
    if not better(scenario, plan, start):
        log.info("the dispatcher guided by the relaxation: no better plan")
        return start
    if share < 1.0:
        others = range(params.seed + SEEDS, params.seed + 2 * SEEDS)  # none tried yet
        other = dispatch_guided(scenario, ways, others, deadline, told)
        if better(scenario, other, plan):
            plan = other
    log.info("the dispatcher guided by the relaxation: %s", plan.objective)
    return replace(plan, stats=dict(plan.stats, method=GUIDED_METHOD))


def _guided_alone(model: EvacuationModel, deadline: float) -> bool:
    """True when the dispatcher guided by the relaxation has the time to `deadline` to
    itself: the aggregated flow could not follow it in the rest (see `_guided`)."""
    return (1 - GUIDED_SHARE) * (deadline - time.monotonic()) < _flow_least(model)


def _guided_rival(
    model: EvacuationModel,
    bounding: _Bounding,
    start: Plan,
    params: SolveParameters,
    until: float,
    exchange_by: float,
) -> _GuidedRival | None:
    """A second guided dispatcher (`_GuidedRival`), for `_guided`, where it has the time
    to `until` to itself and `params` gives 2 workers or more, with every other seed from
    the second on; it exchanges ways on in its own plan by `exchange_by`. The relaxation
    solves no stage after the one that guides them (`_Bounding.no_later`). None otherwise,
    or where no process can be started (`_started`)."""
    if params.workers < 2 or not _guided_alone(model, until):
        return None
    # it stops sooner: its plan must still be sent and read by `exchange_by`
    early = RIVAL_MARGIN * params.time_limit
    seeds = range(params.seed, params.seed + SEEDS)[1::2]
    rival = _started(
        lambda: _GuidedRival(model.scenario, seeds, until - early, exchange_by - early),
        "guided dispatcher",
    )
    if rival is not None:
        # three at work on two cores would slow both dispatchers; the later stages bound
        # only objectives after the one they improve (on the 2,000-person benchmark,
        # `arrival` after `exposure`)
        bounding.no_later()
    return rival


def _rival_kept(scenario: Scenario, plan: Plan, other: Plan | None) -> Plan:
    """`other`, the second guided dispatcher's plan (`_GuidedRival`), when it is better
    than `plan`, with `plan`'s bounds (they hold for every plan) and judged on them; else
    `plan`."""
    if other is not None:
        log.info("the second guided dispatcher's plan: %s", other.objective)
    if other is None or not better(scenario, other, plan):
        return plan
    return replace(
        other,
        status="optimal" if _meets(scenario, other, plan.bound) else "feasible",
        bound=plan.bound,
        stats={**plan.stats, **other.stats},
    )


def _exchanged(scenario: Scenario, plan: Plan, deadline: float) -> Plan:
    """`plan` with the families it leaves behind taken home in the room it leaves
    (`_rescued`), then after families took one another's way on while that improves it
    (`planner.exchange`), by `deadline`; judged again on its bounds."""
    from planner.exchange import exchange

    rescued = _rescued(scenario, plan, deadline)
    out = exchange(scenario, rescued, deadline)
    return rescued if out is rescued else _improved(scenario, rescued, out, EXCHANGED)


def _rescued(scenario: Scenario, plan: Plan, deadline: float | None, checked: bool = True) -> Plan:
    """`plan` with the families it leaves behind taken home in the room it leaves
    (`planner.rescue`), by `deadline`, judged again on its bounds; `stats.rescued` says how
    many, 0 when none (a plan that has it is not looked at again). With `checked` false,
    the caller checks it (`_kept_to_rules`) before keeping it."""
    if "rescued" in plan.stats:
        return plan
    from planner.rescue import rescued

    out = rescued(scenario, plan, deadline, checked)
    if out is plan:
        return replace(plan, stats=dict(plan.stats, rescued=0))
    return _improved(scenario, plan, out, RESCUED)


def _rescued_best(
    scenario: Scenario,
    plan: Plan,
    others: Iterable[Callable[[], Plan]],
    deadline: float | None,
    spare: float = 0.0,
) -> Plan:
    """The best of the dispatcher's `plan` and its runners-up (`others` make their plans,
    in the order given), each with its families left behind taken home (`_rescued`), by
    `deadline`: `plan` first, then each runner-up while one more, as long as `plan`'s and
    the longest so far, can end `spare` seconds before it (the exchanges' time). A plan
    that leaves more room may get more people home than a better one (see
    `planner.greedy.Podium`). A runner-up is checked (`planner.check`) only when it is
    kept, at the end, in `spare`; were it to break a rule (a fault of the search), `plan`
    taken home is kept."""
    began = time.monotonic()
    best = checked = _rescued(scenario, plan, deadline)
    # a runner-up's, unchecked but its plan made, takes about UNCHECKED of `plan`'s
    longest = UNCHECKED * (time.monotonic() - began)
    for make in others:
        if deadline is not None and time.monotonic() + 1.5 * longest > deadline - spare:
            break
        began = time.monotonic()
        other = _rescued(scenario, make(), None if deadline is None else deadline - spare, False)
        longest = max(longest, time.monotonic() - began)
        if better(scenario, other, best):
            best = other
    if best is checked:
        return best
    kept = _kept_to_rules(scenario, best, checked)
    if kept is best:
        log.info("a runner-up of the dispatcher, its families taken home: %s", best.objective)
    return kept


def _improved(scenario: Scenario, plan: Plan, out: Plan, how: str) -> Plan:
    """`out`, which a step (`how`) made of `plan`, with its method saying so, judged again
    on its bounds."""
    method = ", ".join(p for p in (str(plan.stats.get("method", "")), how) if p)
    status = "optimal" if _meets(scenario, out, out.bound) else out.status
    return replace(out, status=status, stats=dict(out.stats, method=method))


def _flow_least(model: EvacuationModel) -> float:
    """Seconds `_from_flow` needs at least to get to its restricted model's search: the
    skeleton has SKELETON_SHARE of its time, and the search begins only with time left
    for twice the model's build (`BUILT_PER_SECOND`)."""
    return _build_seconds(model) / (1 - SKELETON_SHARE)


def _build_seconds(model: EvacuationModel) -> float:
    """Twice about how long building `model` takes (`BUILT_PER_SECOND`): the least time a
    search on it is begun with."""
    return 2 * model.size_estimate / BUILT_PER_SECOND


def _from_flow(
    model: EvacuationModel,
    start: Plan,
    params: SolveParameters,
    deadline: float,
) -> Plan:
    """A plan from the aggregated flow (`planner.flow`): its departures, turned into whole
    families on named vehicles by the pooled model restricted to them. The restricted
    model's own bounds hold only for it, so none of them is kept; `start` is returned when
    nothing better comes out."""
    from planner.flow import skeleton

    if not _flow_fits(model):
        log.info("the aggregated flow would be too large to solve in time")
        return start
    budget = deadline - time.monotonic()
    frame = skeleton(model, time.monotonic() + SKELETON_SHARE * budget, start)
    if frame is None or deadline - time.monotonic() < 0.4 * budget:
        return start
    restricted = EvacuationModel(model.scenario, pooled=True, allowed=frame, build=False)
    if restricted.size_estimate > 4 * MAX_MODEL:
        log.info("the restricted model is too large too (%d arcs)", restricted.size_estimate)
        return start
    if deadline - time.monotonic() < _build_seconds(restricted):
        log.info("no time left to build the restricted model (%d arcs)", restricted.size_estimate)
        return start
    restricted._build()
    plan = restricted.solve(params, deadline=deadline, start=start)
    log.info("plan from the aggregated flow: %s", plan.objective)
    if not better(model.scenario, plan, start):
        return start
    return _judged(model, plan, FLOW_METHOD)


SEARCH_TIDY = 1.0
"""Seconds at most for dropping needless driving from a plan that a search goes on from
(the deadline search on the whole-number flow): the time counts more for the search."""


def _sooner_fits(model: EvacuationModel, start: Plan) -> bool:
    """True when the deadline search on the whole-number flow (`planner.flow.sooner`) is the
    better use of the time than the model: `makespan` comes right after `evacuated`, the
    model is not tiny (CP-SAT proves a tiny one optimal on every objective), and the flow is
    small enough for CP-SAT to settle a deadline in seconds."""
    from planner.flow import INTEGER_COLUMNS
    from planner.relaxation import estimated_columns

    return (
        list(model.scenario.objective[:2]) == ["evacuated", "makespan"]
        and model.size_estimate > SEARCH_FIRST
        and estimated_columns(model, by_kind=True) <= INTEGER_COLUMNS
    )


def _sooner(
    model: EvacuationModel, start: Plan, params: SolveParameters, deadline: float
) -> tuple[Plan, Plan]:
    """The deadline search from `start` (see `planner.flow.sooner`), once `start` gets as
    many people home as can be: (the plan, `start` judged again with the makespan bound the
    search proved)."""
    from planner.flow import sooner

    known = model.known_bounds()
    if start.objective.get("evacuated") != known.get("evacuated"):
        if model.too_large:
            return start, start
        model._build()
        return model.solve(params, deadline=deadline, start=start), start
    step_hours = model.grid.step / 3600.0
    lowest = math.ceil(known.get("makespan", 0.0) / step_hours - 1e-9)
    plan, proven = sooner(model, start, lowest, params, deadline)
    if proven is not None:
        model.relaxed["makespan"] = max(model.relaxed.get("makespan", 0.0), proven * step_hours)
    if start.stats.get("method") == FLOW_METHOD:
        start = _judged(model, start, FLOW_METHOD)
    if plan is not start and better(model.scenario, plan, start):
        # `sooner` names where its plan came from
        return _judged(model, plan, plan.stats["method"]), start
    return start, start


def _judged(model: EvacuationModel, plan: Plan, method: str) -> Plan:
    """`plan` with the bounds that hold for every plan (fastest routes, relaxation), and
    `optimal` when it meets them; whatever its own solver proved is set aside."""
    bound, proven = model._combine_bounds(plan.objective, {}, {}, True)
    return replace(
        plan,
        status="optimal" if proven else "feasible",
        bound=bound,
        stats=dict(
            plan.stats,
            method=method,
            bounds_from="static, relaxation" if model.relaxed else "static",
        ),
    )


def _tighter(name: str, bound: float | None, other: float) -> float:
    """The tighter of two true bounds on objective `name` (the lower for `evacuated`, which
    is maximised; the higher for the others); `other` alone when `bound` is None."""
    if bound is None:
        return other
    return min(bound, other) if name == "evacuated" else max(bound, other)


class _Told:
    """Tells `report` (`SolveParameters.progress`) the objective values of each plan better
    than the last told, as the dispatchers find them: the first objective, in the
    scenario's order, whose bound the plan does not meet (the last when it meets them all),
    with the tightest bound `known` then that holds for every plan (NaN when none is;
    `known` gives none by default, as for the dispatcher alone)."""

    def __init__(
        self,
        scenario: Scenario,
        report: Callable[[str, float, float, float], None],
        started: float,
        known: Callable[[], dict[str, float]] = dict,
    ) -> None:
        self.scenario = scenario
        self.known = known
        self.report = report
        self.started = started
        self.last: dict[str, Any] | None = None
        self.told: tuple[str, float, float] | None = None

    def __call__(self, objective: Mapping[str, Any]) -> None:
        if self.last is not None and not _better_values(self.scenario, objective, self.last):
            return
        self.last = dict(objective)
        self._tell(objective)

    def again(self) -> None:
        """Tell the last plan again when a tighter bound has come since (the relaxation's)."""
        if self.last is not None:
            self._tell(self.last)

    def _tell(self, objective: Mapping[str, Any]) -> None:
        known = self.known()
        stage = _first_open(self.scenario, objective, known) or self.scenario.objective[-1]
        value = objective.get(stage)
        told = (stage, math.nan if value is None else float(value), known.get(stage, math.nan))
        if told != self.told:
            self.told = told
            self.report(stage, time.monotonic() - self.started, told[1], told[2])


def _true_bounds(
    model: EvacuationModel, report: Callable[[str, float, float, float], None]
) -> Callable[[str, float, float, float], None]:
    """`report` given only bounds that hold for every plan: the static and relaxation bounds,
    and CP-SAT's own only from the exact model (a pooled or restricted model proves things
    about itself alone); NaN when none is known (a scenario off the grid)."""
    known = model.known_bounds() if model.bound_model() is not None else {}
    exact = model.grid_aligned() and not model.pooled and not model.too_large

    def reported(stage: str, seconds: float, value: float, bound: float) -> None:
        best = known.get(stage)
        if exact and not math.isnan(bound):
            best = _tighter(stage, best, bound)
        report(stage, seconds, value, math.nan if best is None else best)

    return reported


def _meets(scenario: Scenario, plan: Plan, bounds: dict[str, float]) -> bool:
    """True when the plan meets a bound on every objective: it is then proven optimal."""
    return all(_meets_on(plan.objective, name, bounds) for name in scenario.objective)


def _meets_on(values: Mapping[str, Any], name: str, bounds: dict[str, float]) -> bool:
    """True when objective values `values` (a plan's) meet the bound on objective `name`."""
    value = values.get(name)
    return name in bounds and value is not None and abs(float(value) - bounds[name]) < 1e-6


def _first_open(
    scenario: Scenario, values: Mapping[str, Any], bounds: dict[str, float]
) -> str | None:
    """The first objective, in the scenario's order, whose bound `values` do not meet."""
    return next((name for name in scenario.objective if not _meets_on(values, name, bounds)), None)


def _dispatched(
    scenario: Scenario,
    params: SolveParameters,
    until: float,
    first: Callable[[Plan], None],
    worth: Callable[[Plan], bool] = lambda plan: True,
    answer: bool = False,
    told: Better | None = None,
    rescue_by: float | None = None,
) -> Plan:
    """The dispatcher's plan, and while its share of the time allows, its plans with other
    seeds (which reshuffle families that tie on priority and readiness): the best in the
    scenario's objective order. The first plan is handed to `first` as soon as it is made;
    `told` gets the objective values of each better plan.

    Every dispatch is steered (`planner.greedy.dispatch_seeds`). Where a search follows:
    at most RESTARTS more dispatches, each begun only when a dispatch as long as the
    longest so far would end by `until`, and none unless the plan in hand is `worth` it.
    Where nothing follows (the dispatcher's plan is the `answer`): up to SEEDS seeds, every
    way of each, for half the time, and the best plan steered in the other half; with 2 or
    more `workers`, a second process (`_Rival`) takes every other seed and steers its own
    best. Each process's best plan and RUNNERS_UP more have their families left behind
    taken home (`_rescued_best`, by `rescue_by`) before the best is kept."""
    from planner.greedy import Podium, dispatch_seeds

    def keep(best: Plan, seeds: str, other: Plan | None) -> Plan:
        if other is not None and better(scenario, other, best):
            log.info("the dispatcher with %s: %s", seeds, other.objective)
            return other
        return best

    if answer:
        seeds = range(params.seed, params.seed + SEEDS)
        # the second process stops sooner: its plan must still be made and sent by `until`
        early = until - RIVAL_MARGIN * params.time_limit
        # each plan has its families left behind taken home before the two are weighed,
        # each in its own process: the one that leaves more room may get more people out
        rescues = None if rescue_by is None else rescue_by - RIVAL_MARGIN * params.time_limit
        # the runners-up leave the exchanges their time
        spare = RUNNERS_UP_SPARE * params.time_limit
        rival = (
            _rival(scenario, seeds[1::2], early, rescues, spare) if params.workers >= 2 else None
        )
        mine = seeds if rival is None else seeds[0::2]
        podium = Podium(1 + RUNNERS_UP)
        best = dispatch_seeds(
            scenario, mine, until, first, steer=True, driving=None, better=told, podium=podium
        )
        if rescue_by is not None:
            best = _rescued_best(scenario, best, podium.runners_up(), rescue_by, spare)
        if rival is not None:
            wait = until if rescue_by is None else rescue_by
            # its families are taken home in its own process (`_rival_dispatch`)
            other = rival.result(max(wait, time.monotonic() + RIVAL_MARGIN * params.time_limit))
            best = keep(best, f"seeds {_listed(rival.seeds)}", other)
        if told is not None and (rival is not None or rescue_by is not None):
            told(best.objective)  # the live line: the plan kept, families taken home
        return best
    began = time.monotonic()
    best = dispatch_seeds(
        scenario, [params.seed], until, first, steer=True, driving=None, better=told
    )
    longest = time.monotonic() - began
    for n in range(1, RESTARTS + 1):
        began = time.monotonic()
        if began + 1.2 * longest > until or not worth(best):
            break
        seed = params.seed + n
        other = dispatch_seeds(scenario, [seed], until, steer=True, driving=None, better=told)
        best = keep(best, f"seed {seed}", other)
        longest = max(longest, time.monotonic() - began)
    return best


def _listed(seeds: Sequence[int]) -> str:
    """`seeds` for the log: `2, 4, ..., 16`."""
    shown = [str(seed) for seed in seeds]
    return ", ".join(shown if len(shown) <= 3 else [*shown[:2], "...", shown[-1]])


class _Beside:
    """A plan made in a process of its own, beside this one (spawned, not forked: OR-Tools
    threads and fork do not mix), and read back once it is made. `target` is called there
    with the end of a pipe to send its plan into, then, with `inbox`, the end of one to
    read what this process sends it later (`send`), then `args`."""

    what = "the second process"

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], inbox: bool = False):
        context = multiprocessing.get_context("spawn")
        self.receive, send = context.Pipe(duplex=False)
        self.outbox: Any = None
        self.sent = False
        """True once it was sent what it waits for (`send`)."""
        inner: Any = None
        if inbox:
            inner, self.outbox = context.Pipe(duplex=False)
        heads = (send,) if inner is None else (send, inner)
        self.process = context.Process(target=target, args=(*heads, *args), daemon=True)
        self.process.start()
        send.close()
        if inner is not None:
            inner.close()

    def send(self, data: Any) -> None:
        """Send the process (started with `inbox`) what it waits for; nothing when it has
        ended already."""
        try:
            self.outbox.send(data)
            self.sent = True
        except OSError as e:
            log.info("%s was not sent its guide: %s", self.what, e)

    def result(self, until: float) -> Plan | None:
        """Its plan when it is made by `until` (a `time.monotonic()` value), else None; the
        process is ended either way."""
        try:
            if self.receive.poll(max(0.0, until - time.monotonic())):
                plan: Plan = self.receive.recv()
                return plan
            log.info("%s did not finish in time", self.what)
        except (EOFError, OSError):
            log.warning("%s stopped without a plan", self.what)
        finally:
            self.process.terminate()
            self.process.join()
            self.receive.close()
            if self.outbox is not None:
                self.outbox.close()
        return None


def _wall(moment: float) -> float:
    """A `time.monotonic()` moment on the wall clock, which both processes share."""
    return time.time() + (moment - time.monotonic())


def _monotonic(moment: float) -> float:
    """A wall-clock moment (`_wall`) on this process's `time.monotonic()` clock."""
    return time.monotonic() + moment - time.time()


class _Rival(_Beside):
    """The dispatcher with other seeds, in a process of its own, beside the dispatcher.

    Used where nothing searches after the dispatcher (a country: `_searchable` is false),
    so its plan is the answer. The dispatcher takes one core; the flow relaxation's thread
    on the other mostly waits for it. Groups that tie on priority and readiness go in
    another order, which on such a scenario moves a few hundred people either way; the
    best plan is kept. It counts as one of the solve's `workers`.
    """

    what = "the second dispatcher"

    def __init__(
        self,
        scenario: Scenario,
        seeds: Sequence[int],
        until: float,
        rescue_by: float | None = None,
        spare: float = 0.0,
    ) -> None:
        self.seeds = seeds
        rescue_ends = None if rescue_by is None else _wall(rescue_by)
        args = (scenario, seeds, _wall(until), rescue_ends, spare)
        super().__init__(_rival_dispatch, args)


class _GuidedRival(_Beside):
    """The dispatcher guided by the relaxation with other seeds, then its plan's exchanges
    of the way on, in a process of its own beside this one's (`_guided`): it is started
    while the relaxation is still solved, and sent the ways (`send`) once they come. The
    better of the two plans is kept. It counts as one of the solve's `workers`."""

    what = "the second guided dispatcher"

    def __init__(
        self, scenario: Scenario, seeds: Sequence[int], until: float, exchange_by: float
    ) -> None:
        self.seeds = seeds
        args = (scenario, seeds, _wall(until), _wall(exchange_by))
        super().__init__(_rival_guided, args, inbox=True)


def _rival(
    scenario: Scenario,
    seeds: Sequence[int],
    until: float,
    rescue_by: float | None = None,
    spare: float = 0.0,
) -> _Rival | None:
    """A `_Rival` dispatching with `seeds` until `until` (and taking its families left
    behind home by `rescue_by`, when given, its runners-up's by `spare` seconds before),
    or None where no process can be started: in a daemonic process (a worker of some pools
    and clusters), or when the system refuses one. The dispatcher alone still makes the
    plan."""
    if not seeds:
        return None
    return _started(lambda: _Rival(scenario, seeds, until, rescue_by, spare), "dispatcher")


_B = TypeVar("_B", bound=_Beside)


def _started(make: Callable[[], _B], what: str) -> _B | None:
    """`make()`, a second `what` in a process beside this one, or None where none can be
    started: in a daemonic process (a worker of some pools and clusters), or when the
    system refuses one. This process still makes its plan."""
    if multiprocessing.current_process().daemon:
        return None
    try:
        return make()
    except Exception as e:  # a second plan is worth less than the first: go on without
        log.warning("no second %s: %s", what, e)
        return None


def _rival_dispatch(
    send: Any,
    scenario: Scenario,
    seeds: Sequence[int],
    ends: float,
    rescue_ends: float | None = None,
    spare: float = 0.0,
) -> None:
    """`_Rival`'s process: dispatch until `ends` (a `time.time()` value), take the families
    left behind home by `rescue_ends` when given (`_rescued_best`, its runners-up's by
    `spare` seconds before; beside the first process doing the same with its own), and
    send the best plan. Its ways are chosen with the time in vehicles weighed, with no
    first dispatch without it: the first process tries both, and on a country the weighed
    one is the better one (see `planner.greedy.DRIVING_WEIGHT`)."""
    from planner.greedy import DRIVING_WEIGHT, Podium, dispatch_seeds

    try:
        until = _monotonic(ends)
        podium = Podium(1 + RUNNERS_UP)
        plan = dispatch_seeds(
            scenario, seeds, until, steer=True, driving=DRIVING_WEIGHT, podium=podium
        )
        if rescue_ends is not None:
            rescue_by = _monotonic(rescue_ends)
            plan = _rescued_best(scenario, plan, podium.runners_up(), rescue_by, spare)
        send.send(plan)
    finally:
        send.close()


def _rival_guided(
    send: Any,
    inbox: Any,
    scenario: Scenario,
    seeds: Sequence[int],
    ends: float,
    exchange_ends: float,
) -> None:
    """`_GuidedRival`'s process: wait for the ways (`FlowRelaxation.ways`) until `ends`,
    dispatch guided by them with `seeds` until then (the first dispatch is always made),
    take the families left behind home and exchange ways on until `exchange_ends` (wall-clock
    moments), and send the plan. Nothing is sent when no ways come in time."""
    from planner.greedy import dispatch_guided

    try:
        until = _monotonic(ends)
        if not inbox.poll(max(0.0, until - time.monotonic())):
            return
        ways = inbox.recv()
        plan = dispatch_guided(scenario, ways, seeds, until)
        plan = replace(plan, stats=dict(plan.stats, method=GUIDED_METHOD))
        send.send(_exchanged(scenario, plan, _monotonic(exchange_ends)))
    except EOFError:
        pass  # the first process ended without sending the ways
    finally:
        send.close()
        inbox.close()


def _worth_restarting(model: EvacuationModel, plan: Plan) -> bool:
    """True when other seeds may well give a better plan than `plan`: it meets the
    fastest-route bound on the first objective already (reshuffled ties then change the
    later ones), but not on all. Short of the first, the search that follows is the better
    use of the time (the aggregated flow gets everyone out where the dispatcher does not)."""
    static = model.static_bounds()
    first = model.scenario.objective[0]
    value = plan.objective.get(first)
    return (
        first in static
        and value is not None
        and abs(float(value) - static[first]) < 1e-6
        and not _meets(model.scenario, plan, static)
    )


def _searchable(model: EvacuationModel) -> bool:
    """True when CP-SAT or the aggregated flow can look for a better plan than the
    dispatcher's: when the model, or else the aggregated flow, is small enough."""
    return not model.too_large or _flow_fits(model)


def _flow_fits(model: EvacuationModel) -> bool:
    """True when the aggregated flow is small enough to solve in time."""
    from planner.relaxation import MAX_COLUMNS, estimated_columns

    return estimated_columns(model, by_kind=True) <= 1.4 * MAX_COLUMNS


class _Bounding:
    """Bounds from the flow relaxation, worked out in a thread beside the dispatcher, which
    keeps one core busy and leaves the other to GLOP. Only for grid-aligned scenarios (the
    only ones with bounds) or those with a finer grid for bounds (`bound_model`).

    Where a search follows, the dispatcher has half of the time limit in one process, and
    the relaxation has the other core for as long. Where the dispatcher's plan is the answer,
    it has both cores (a second process, `_Rival`, with two workers or more; with one, the
    one core): the relaxation then has until a third of the limit, and GLOP's time there is
    taken from the dispatchers, so it is kept to a quarter of the size. (With one worker it
    was once sized for a whole core: on the 15,000-person benchmark, 2-hour buckets whose
    first stage was not solved in time, and `evacuated` was bounded by the 15,000 people
    instead of 14,871.) Each stage's relaxation is solved
    first and then waits for the dispatcher's plan, which the next stages need (see
    `relaxation_bounds`). Where a search follows, the stages not done by then go on beside
    it, until `end` at most, and their bounds join the plan's at the end (`late`). A
    relaxation too large for its first two stages by `end` is made coarser
    (`FlowRelaxation.bucket`): a weaker bound, but a bound.
    """

    def __init__(
        self,
        model: EvacuationModel,
        params: SolveParameters,
        searchable: bool = True,
        end: float | None = None,
    ) -> None:
        self.model = model
        self.share = 1.0 if searchable else 0.25
        """The part of a core the relaxation has (see above)."""
        self.until = time.monotonic() + params.time_limit * (0.5 if searchable else 1 / 3)
        self.end = self.until if end is None or not searchable else max(self.until, end)
        self.incumbent: Future[dict[str, float | int | None]] = Future()
        self.bounds: dict[str, float] = {}
        """Each bound as soon as the relaxation finds it."""
        self.solutions: dict[str, Any] = {}
        """Each stage's optimum (column values) as soon as the relaxation finds it."""
        self.relaxation: Any = None
        self.open_only = False
        """Set by `no_later`."""
        self.thread: threading.Thread | None = None
        if model.bound_model() is not None:
            self.thread = threading.Thread(target=self._run, name="relaxation", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        from planner.relaxation import (
            COLUMNS_PER_SECOND,
            MAX_COLUMNS,
            FlowRelaxation,
            coarse_bucket,
            relaxation_bounds,
        )

        on = self.model.bound_model()
        assert on is not None
        budget = self.end - time.monotonic()  # its first two stages, before or beside the search
        if budget < 0.5:
            return
        try:
            columns = int(min(1.4 * MAX_COLUMNS, COLUMNS_PER_SECOND * self.share * budget))
            bucket = coarse_bucket(on, columns)
            if bucket is None:
                log.info("flow relaxation: too large to solve in time, even in buckets of a day")
                return
            relaxation = FlowRelaxation(on, bucket=bucket)
            if relaxation.size[0] > MAX_COLUMNS:
                log.info(
                    "flow relaxation: %d columns, too many to solve in time", relaxation.size[0]
                )
                return
            if bucket > 1:
                log.info("flow relaxation in buckets of %d s", bucket * on.grid.step)
            self.relaxation = relaxation
            # set before `open_only` is read, as `no_later` does the other way round
            relaxation.open_only |= self.open_only
            relaxation_bounds(
                on,
                self.incumbent,
                self.end,
                relaxation,
                known=self.model.static_bounds(),
                bounds=self.bounds,
                solutions=self.solutions,
            )
        except Exception:  # a bound is worth less than the plan: go on without it
            log.exception("the flow relaxation failed; only the fastest-route bounds are used")

    def hand_over(self, plan: Plan | None) -> None:
        """The plan the later stages are conditioned on (see `relaxation_bounds`): the
        first that keeps every rule will do, since the best is at least as good."""
        if not self.incumbent.done():
            self.incumbent.set_result({} if plan is None else dict(plan.objective))

    def finish(self, start: Plan | None, guide: bool = False) -> None:
        """Hand over the dispatcher's plan (unless one was already), wait for the
        relaxation until its time is up, and keep the bounds found by then in the model
        (`EvacuationModel.relaxed`). With `guide`, stop waiting as soon as the relaxation
        has solved the first stage `start` does not meet: its optimum guides the dispatcher
        (`ways`), and the later stages' bounds join the plan at the end (`late`)."""
        self.hand_over(start)
        if self.thread is None:
            return
        if start is not None and _meets(self.model.scenario, start, self.model.known_bounds()):
            return  # proven already: nothing to wait for (`late` stops the relaxation)
        self.wait(self.until + 0.5, start if guide else None)
        self.model.relaxed = dict(self.bounds)
        if self.thread.is_alive():
            log.info("flow relaxation bounds so far: %s; the rest beside the search", self.bounds)
        else:
            log.info("flow relaxation bounds: %s", self.bounds)

    def wait(self, until: float, start: Plan | None = None) -> None:
        """Wait for the relaxation until `until` at most (or until it ends); with `start`,
        only until it has the optimum that guides the dispatcher from `start` (see
        `ways`)."""
        if self.thread is None:
            return
        while self.thread.is_alive() and time.monotonic() < until:
            if start is not None and self._guide_stage(start) in self.solutions:
                return
            self.thread.join(timeout=min(0.1, max(0.0, until - time.monotonic())))

    def no_later(self) -> None:
        """Solve no stage after the first whose bound the plan does not meet, the one that
        guides the dispatcher (`ways`; see `FlowRelaxation.open_only`): the core goes to a
        second process (`_GuidedRival`)."""
        self.open_only = True
        if self.relaxation is not None:
            self.relaxation.open_only = True

    def known(self) -> dict[str, float]:
        """The tightest bounds known now that hold for every plan: the static ones and the
        relaxation's found so far (none off the grid with no bound model)."""
        if self.model.bound_model() is None:
            return {}
        return self.model.known_bounds({**self.model.relaxed, **self.bounds})

    def _guide_stage(self, start: Plan) -> str | None:
        """The first stage where `start` does not meet the bounds known, if any."""
        known = self.model.known_bounds(self.bounds)
        return _first_open(self.model.scenario, start.objective, known)

    def ways(self, start: Plan) -> dict[str, frozenset[tuple[str, str, str, str]]] | None:
        """Per group, the way the relaxation's optimum of the first stage where `start` does
        not meet the bounds sends it (`FlowRelaxation.ways`); None before that stage is
        solved."""
        stage = self._guide_stage(start)
        if self.relaxation is None or stage not in self.solutions:
            return None
        ways: dict[str, frozenset[tuple[str, str, str, str]]] = self.relaxation.ways(
            self.solutions[stage]
        )
        return ways

    def late(self, scenario: Scenario, plan: Plan) -> Plan:
        """Stop the relaxation, and return `plan` with the bounds it found after `finish`
        (the tighter of each, which are both true), `optimal` when it then meets them."""
        if self.thread is None:
            return plan
        if self.relaxation is not None:
            self.relaxation.stop()
        self.thread.join(timeout=1.0)
        found = dict(self.bounds)
        fresh = {name: value for name, value in found.items() if name not in self.model.relaxed}
        if not fresh:
            return plan
        self.model.relaxed = found
        bound = dict(plan.bound)
        for name, value in fresh.items():
            if name in scenario.objective:
                bound[name] = _tighter(name, bound.get(name), value)
        if bound == plan.bound:
            return plan
        log.info("flow relaxation bounds found beside the search: %s", fresh)
        status = "optimal" if _meets(scenario, plan, bound) else plan.status
        sources = str(plan.stats.get("bounds_from", "static"))
        if "relaxation" not in sources:
            sources += ", relaxation"
        stats = dict(plan.stats, bounds_from=sources)
        return replace(plan, bound=bound, status=status, stats=stats)


def _with_reasons(scenario: Scenario, plan: Plan, deadline: float | None = None) -> Plan:
    """The plan with the specific reason of every group not evacuated (planner.diagnose);
    those not reached by `deadline` keep the reason the dispatcher or solver gave."""
    if all(g.status == "evacuated" for g in plan.groups):
        return plan
    from planner.diagnose import with_reasons

    try:
        return with_reasons(scenario, plan, deadline)
    except Exception:  # a reason is worth less than the plan: keep the solver's own
        log.exception("could not work out the reasons; the solver's reasons are kept")
        return plan
