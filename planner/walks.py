"""A shuttle's makespan from each vehicle's driving alone: the walk relaxation.

With a few buses, the makespan of a shuttle is decided by how the round trips share out
among the buses: twelve loads of one and a half or two hours on three buses cannot all be
back by the time the hours summed over the buses would allow, since no bus does a fraction
of a trip. The linear relaxation of the time-expanded flow sends half a bus to each of two
towns; the whole-number flow (`planner.flow.WholeFlow`) knows better but leaves deadlines
close to the optimum open for minutes.

Here time is left out altogether. Each vehicle drives a walk through the road network from
where it is: a whole number of times along each road and vehicle crossing it may use, in
and out of every place alike except where the walk starts and where it ends, and connected
(a part of the walk away from its start must be driven to). Its driving, from when it is
available, ends by the last arrival: every leg that takes an evacuated family ends by then,
and whatever a vehicle drives after its last such leg does not count. The people, as
whole head-counts per commodity (destinations, documents, seats per person), flow from
where they wait to their destinations, on each road in at most the seats of the vehicles
that drive it; crossings take them as their documents allow, services up to their seats
when they arrive in time; each destination takes at most its capacity. Readiness, road
closures, crossing hours and throughput, transfers and the order of the legs are left out,
so no plan is sooner than the earliest last arrival the walks allow: a true bound.

CP-SAT minimises that last arrival. A walk must be connected to its start: for a vehicle
that can reach at most `CUT_AHEAD` other places, every set of them is ruled in before the
first solve (a vehicle that drives within the set drives into it); otherwise a walk that
comes out cut off is ruled out that way (`_cut`) and the model solved again. On the
340-person, 3-bus benchmark (`bench/generate.py SH-S`, seed 1) this proves 7.5 h in 1.6 to
3 s over five CP-SAT seeds, where the linear relaxation proves 6.75 h.

The walks are a plan's vehicles too: each walk, ordered as an Euler path from the
vehicle's start (`networkx.eulerian_path`, the roads taken in a shuffled order) and driven
as early or as late as the last arrival allows, is an itinerary on which `planner.rides.seat`
seats the families (`walk_plan`). When they do not all fit (the walks count people, not
families), other walks by the same last arrival are tried. On five of the six seeds of the
340-person benchmark this seats everyone by the bound: a proven optimum, in 2 to 8 s of a
20 s limit. On the sixth, every walk by 6 h seats 331 of the 340: in the one examined, the
trips from one point have 210 seats for its 209 people, but the first can take only those
ready at once (28 of its 30 seats), and three families of 3 ready at +2 h are left.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import networkx as nx
from ortools.sat.python import cp_model

if TYPE_CHECKING:
    from planner.model import EvacuationModel, SolveParameters, _Link
    from planner.plan import Plan
    from planner.rides import Itineraries

log = logging.getLogger(__name__)

WALK_COLUMNS = 400
"""Vehicles times the roads and crossings each may drive, at most, for the walk relaxation.
On the 340-person shuttle benchmark CP-SAT proves its bound in seconds with 3 buses (48)
and in 4 to 20 s with 6 (96, eight runs); on the 2,400-person one, 50 vehicles on 84 road directions
(4,200), it proved nothing near the linear bound in 30 s."""

CUT_AHEAD = 7
"""A vehicle that can reach at most this many places besides its start has every set of
them ruled connected to its start before the first solve (at most 127 sets)."""

WALK_ORDERS = 2
"""Orders of each walk's roads tried for a plan (each driven early, then late). On the
340-person, 3-bus benchmark (seeds 1 and 4, fourteen walks from as many CP-SAT seeds), the
twelve walks that seat everybody by their last arrival do so in the first order, but one in
the second; the other two do in none of sixteen orders."""

WALK_ROUNDS = 8
"""Walks by the same last arrival tried for a plan, each from another CP-SAT seed."""


def walks_fit(model: EvacuationModel) -> bool:
    """True when the walk relaxation is a true bound for `model` and small enough to solve
    in seconds: the scenario is on its grid (a bound on the grid is then a bound for every
    plan) and its vehicles are few."""
    return model.grid_aligned() and 0 < len(_vehicle_links(model)) <= WALK_COLUMNS


def _vehicle_links(model: EvacuationModel) -> list[tuple[int, _Link]]:
    return [
        (vi, lk)
        for vi in range(len(model.vehicles))
        for lk in model.links
        if lk.departs and model._vehicle_can_use(vi, lk)
    ]


@dataclass
class _Walk:
    """One vehicle's walk: a whole number of passes along each link it may drive."""

    vehicle: int
    start: int
    passes: dict[int, Any] = field(default_factory=dict)  # link index -> CP-SAT variable
    counts: dict[int, int] = field(default_factory=dict)  # link index -> passes, when solved


class Walks:
    """The walk relaxation of `model` for plans that get `need` people home (see the module's
    text): `earliest` proves a bound on the last arrival, `itineraries` turns its walks into
    vehicle itineraries."""

    def __init__(self, model: EvacuationModel, need: int) -> None:
        self.m = model
        grid = model.grid
        self.cp = cp_model.CpModel()
        cp = self.cp
        self.latest = cp.new_int_var(0, grid.last, "latest")
        self.duration = {
            lk.index: min(arrive - t * grid.step for t, arrive in lk.departs.items())
            for lk in model.links
            if lk.kind in ("road", "crossing") and lk.departs
        }
        self.walks: list[_Walk] = []
        seats_on: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        by_vehicle: dict[int, list[_Link]] = defaultdict(list)
        for vi, lk in _vehicle_links(model):
            by_vehicle[vi].append(lk)
        last: tuple = ((), [], 0)
        for vi, links in sorted(by_vehicle.items()):
            vehicle = model.vehicles[vi]
            walk = _Walk(vi, model.places[vehicle.at])
            for lk in links:
                most = grid.horizon // max(1, self.duration[lk.index])
                walk.passes[lk.index] = cp.new_int_var(0, most, "")
                seats_on[lk.index].append((vehicle.seats, walk.passes[lk.index]))
            ends = [cp.new_bool_var("") for _ in model.place_ids]
            cp.add_exactly_one(ends)
            for p, end in enumerate(ends):
                out = [walk.passes[lk.index] for lk in links if lk.src == p]
                into = [walk.passes[lk.index] for lk in links if lk.dst == p]
                cp.add(sum(out) - sum(into) == int(p == walk.start) - end)
            driven = sum(self.duration[i] * x for i, x in walk.passes.items())
            used = cp.new_bool_var("")
            for x in walk.passes.values():
                cp.add(x == 0).only_enforce_if(~used)
            available = max(0, grid.seconds(vehicle.available))
            cp.add(available * used + driven <= grid.step * self.latest)
            alike = (vehicle.seats, vehicle.at, vehicle.available, vehicle.countries)
            if self.walks and alike == last[0] and links == last[1]:
                # vehicles alike drive no longer than the one before: the same walks in
                # another order are the same plan
                cp.add(driven <= last[2])
            last = (alike, links, driven)
            self.walks.append(walk)
            reached = sorted({lk.dst for lk in links} - {walk.start})
            if len(reached) <= CUT_AHEAD:
                # every part of the walk drives in from its start, ruled in at once: cheaper
                # than solving again for each part the solver cuts off
                for n in range(1, len(reached) + 1):
                    for places in itertools.combinations(reached, n):
                        self._drive_in(walk, set(places))
        self._people(need, seats_on)
        self.cp.minimize(self.latest)
        self.cuts = 0
        self.value: int | None = None
        """The last arrival of the walks last solved (grid time)."""
        self.fixed = False
        """True once the last arrival is held at `value` (`again`)."""

    def _people(self, need: int, seats_on: dict[int, list[tuple[int, Any]]]) -> None:
        """The people's flow: whole head-counts per commodity, on roads within the seats of
        the walks, on services within their seats when they arrive by the last arrival."""
        m, cp = self.m, self.cp
        supply: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for k in m.classes:
            if k.own or k.origin in k.dests:
                # people who drive themselves or are home already need no seat: at most all
                # of them count towards `need` without one
                need -= k.people * k.size
                continue
            key = (k.dests, k.accepted, Fraction(k.seats, k.people))
            supply[key][k.origin] += k.people * k.size
        load: dict[int, list[tuple[Fraction, Any]]] = defaultdict(list)
        staying: dict[int, list[Any]] = defaultdict(list)
        home: list[Any] = []
        for (dests, accepted, per_person), origins in supply.items():
            people = sum(origins.values())
            moves = {}
            for lk in m.links:
                if lk.index not in accepted:
                    continue
                if lk.kind in ("road", "crossing") and lk.index not in self.duration:
                    continue
                moves[lk.index] = cp.new_int_var(0, people, "")
                if lk.kind == "road":
                    load[lk.index].append((per_person, moves[lk.index]))
                elif lk.kind in ("flight", "sailing"):
                    self._service(lk, moves[lk.index])
            arrived = {d: cp.new_int_var(0, people, "") for d in dests}
            for p in range(len(m.place_ids)):
                out = [x for i, x in moves.items() if m.links[i].src == p]
                into = [x for i, x in moves.items() if m.links[i].dst == p]
                here = [arrived[p]] if p in arrived else []
                cp.add(sum(into) + origins.get(p, 0) - sum(out) - sum(here) >= 0)
            for d, x in arrived.items():
                staying[d].append(x)
            home.extend(arrived.values())
        for li, terms in load.items():
            den = math.lcm(*(f.denominator for f, _ in terms))
            carried = sum(int(f * den) * x for f, x in terms)
            cp.add(carried <= sum(den * s * y for s, y in seats_on.get(li, [])))
        for d, xs in staying.items():
            if m.capacity[d] is not None:
                cp.add(sum(xs) <= m.capacity[d])
        cp.add(sum(home) >= need)

    def _service(self, lk: _Link, moves: Any) -> None:
        """A flight or sailing takes people only when it arrives by the last arrival."""
        on_time = self.cp.new_bool_var("")
        self.cp.add(self.m.grid.step * self.latest >= lk.service_arrives).only_enforce_if(on_time)
        self.cp.add(moves <= lk.seats * on_time)

    def earliest(
        self, deadline: float, workers: int = 2, seed: int = 0, floor: int = 0
    ) -> int | None:
        """The earliest grid time by which the walks can get `need` people home, or a lower
        bound on it when CP-SAT runs out of time by `deadline` (a `time.monotonic()` value)
        or stops at `floor`; None when it proves nothing. Each vehicle's counts of the last
        solution are kept for `itineraries` when its walk is connected.

        `floor`, a bound known already, ends the search once the walks are done by then: they
        bound nothing more, and `value` is then `floor`, for walks by then (on the 340-person
        benchmark with 12 buses, the walks' own optimum, 2.75 h, is below the linear bound of
        3 h, and CP-SAT spent 6 s proving it). Held as a constraint instead, the floor slowed
        the proof of 8 h on seed 4 of the 3-bus benchmark from 2.6-4.5 s to 3.6-5.4 s."""
        status, bound = self._solve(deadline, workers, seed, floor)
        if status == cp_model.OPTIMAL and self.value is not None:
            bound = self.value
        if self.value is not None and self.value <= floor:
            self.value = floor
        hours = self.m.grid.step / 3600
        log.info(
            "walk relaxation: last arrival %s, walks by %s (%d cuts)",
            "not bounded" if bound is None else f"at least {bound * hours:.2f} h",
            "none" if self.value is None else f"{self.value * hours:.2f} h",
            self.cuts,
        )
        return bound

    def again(self, deadline: float, workers: int, seed: int) -> bool:
        """Other walks (CP-SAT's first from `seed`) by the last arrival of those solved,
        `value`; True when found, connected, by `deadline`."""
        if self.value is None:
            return False
        if not self.fixed:
            self.cp.add(self.latest == self.value)
            self.fixed = True
        status, _ = self._solve(deadline, workers, seed)
        return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)

    def _solve(
        self, deadline: float, workers: int, seed: int, floor: int = -1
    ) -> tuple[Any, int | None]:
        """Solve, and again after each cut (`_cut`), until the walks are connected or done by
        `floor`: CP-SAT's last status (UNKNOWN when the time ran out before) and the best
        bound it proved on the last arrival (grid time), if any."""
        bound: int | None = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0.05:
                return cp_model.UNKNOWN, bound
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = workers
            solver.parameters.random_seed = seed
            solver.parameters.max_time_in_seconds = left
            # with every linear row in its relaxation, CP-SAT proves the bound in 1.6-3.6 s
            # on the 340-person, 3-bus benchmark over five seeds, against 0.8-7 s without;
            # breaking what symmetry of the vehicles is left in presolve, the same benchmark
            # with 6 buses in 6.5-7 s instead of 13-19 s (two seeds each; over eight more
            # runs, 4 to 20 s)
            solver.parameters.linearization_level = 2
            solver.parameters.symmetry_level = 4
            status = solver.solve(self.cp, _DoneBy(floor))
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return status, bound
            bound = max(bound or 0, math.ceil(solver.best_objective_bound - 1e-6))
            self.value = round(solver.objective_value)
            for walk in self.walks:
                walk.counts = {i: solver.value(x) for i, x in walk.passes.items()}
            cut = [self._cut(walk) for walk in self.walks]
            if not any(cut) or self.value <= floor:
                return status, bound

    def _cut(self, walk: _Walk) -> bool:
        """Rule out the parts of `walk` cut off from its start, for every vehicle that starts
        elsewhere: a vehicle that drives within such a set of places drives into it. True
        when there was such a part."""
        graph = nx.MultiDiGraph()
        graph.add_node(walk.start)
        for i, n in walk.counts.items():
            if n:
                graph.add_edge(self.m.links[i].src, self.m.links[i].dst)
        apart = [c for c in nx.weakly_connected_components(graph) if walk.start not in c]
        for places in apart:
            for other in self.walks:
                if other.start not in places:
                    self._drive_in(other, places)
            self.cuts += 1
        return bool(apart)

    def _drive_in(self, walk: _Walk, places: set[int]) -> None:
        """`walk` drives into `places` (which its start is not in) if it drives within them."""
        inside: list[Any] = []
        into: list[Any] = []
        for i, x in walk.passes.items():
            lk = self.m.links[i]
            if lk.dst in places:
                (inside if lk.src in places else into).append(x)
        if not inside:
            return
        drives = self.cp.new_bool_var("")
        for x in inside:
            self.cp.add(x == 0).only_enforce_if(~drives)
        self.cp.add(sum(into) >= 1).only_enforce_if(drives)

    def itineraries(self, latest: int, order: int, late: bool) -> Itineraries | None:
        """The solved walks as vehicle itineraries: each an Euler path from the vehicle's
        start, its roads taken in an order shuffled by `order`, driven as early as it can,
        or with `late` as late as arriving by grid time `latest` allows. None when a walk
        cannot be driven so."""
        rng = random.Random(order)
        moves: Itineraries = {}
        for walk in self.walks:
            legs = [i for i, n in sorted(walk.counts.items()) for _ in range(n)]
            if not legs:
                continue
            rng.shuffle(legs)
            graph = nx.MultiDiGraph()
            for i in legs:
                graph.add_edge(self.m.links[i].src, self.m.links[i].dst, link=i)
            if walk.start not in graph or not nx.has_eulerian_path(graph, source=walk.start):
                return None
            path = [
                graph.edges[u, v, key]["link"]
                for u, v, key in nx.eulerian_path(graph, source=walk.start, keys=True)
            ]
            timed = self._driven(walk.vehicle, path, latest, late)
            if timed is None:
                return None
            moves[walk.vehicle] = timed
        return moves

    def _driven(
        self, vehicle: int, path: list[int], latest: int, late: bool
    ) -> tuple[tuple[int, int], ...] | None:
        """`path` (link indices) at grid departures: each as early as the one before allows,
        then with `late` each as late as the one after allows, arriving by `latest`."""
        grid = self.m.grid
        t = max(0, grid.up(grid.seconds(self.m.vehicles[vehicle].available)))
        early = []
        for i in path:
            dep = self.m.first_departure(self.m.links[i], t)
            if dep is None:
                return None
            early.append(dep)
            t = grid.up(self.m.links[i].departs[dep])
        if not late or t > latest:
            return tuple(zip(path, early, strict=True))
        timed = list(early)
        t = latest
        for n in range(len(path) - 1, -1, -1):
            departs = self.m.links[path[n]].departs
            timed[n] = max(d for d in departs if early[n] <= d and grid.up(departs[d]) <= t)
            t = timed[n]
        return tuple(zip(path, timed, strict=True))


class _DoneBy(cp_model.CpSolverSolutionCallback):
    """Stops the search at walks done by `floor` (grid time)."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def on_solution_callback(self) -> None:
        if self.objective_value <= self.floor:
            self.stop_search()


def walk_plan(
    model: EvacuationModel,
    walks: Walks,
    best: Plan,
    params: SolveParameters,
    deadline: float,
) -> tuple[Plan, Itineraries] | None:
    """The best plan better than `best`, and its vehicles' moves: the families seated
    (`planner.rides.seat`) on the solved walks, over a few orders of each walk's roads driven
    early and late, then on other walks by the same last arrival, until one gets as many
    people home as `best` by then or `deadline` (a `time.monotonic()` value) comes; None
    when none is better."""
    from planner.model import better
    from planner.rides import seat

    found: tuple[Plan, Itineraries] | None = None
    need = best.objective.get("evacuated") or 0
    latest = walks.value
    seen: set[tuple] = set()
    # one worker, for walks and seats alike: CP-SAT then gives the same answer to the same
    # question, and a plan that meets the bound is the same plan run after run
    alone = replace(params, workers=1)
    for round_ in range(WALK_ROUNDS):
        if latest is None or deadline - time.monotonic() < 0.5:
            break
        if not walks.again(deadline, 1, params.seed + round_):
            break
        solved = tuple(tuple(sorted(w.counts.items())) for w in walks.walks)
        if solved in seen:
            continue
        seen.add(solved)
        for order in range(WALK_ORDERS):
            for late in (False, True):
                if deadline - time.monotonic() < 0.5:
                    return found
                moves = walks.itineraries(latest, order, late)
                if moves is None:
                    break
                plan = seat(model, moves, alone, deadline)
                if plan is None or not better(model.scenario, plan, found[0] if found else best):
                    continue
                found = (plan, moves)
                span = float(plan.objective.get("makespan") or 0)
                if (plan.objective.get("evacuated") or 0) >= need and span * 3600 <= (
                    latest * model.grid.step
                ):
                    return found
    return found
