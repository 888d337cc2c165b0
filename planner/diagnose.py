"""Why a group is not evacuated, in a planner's words, from the scenario and the plan alone.

:func:`explain` gives every group of a plan that is not evacuated a specific reason, found
on its own (it does not ask the solver that made the plan). Causes are tried in order, and
the first that holds is the reason:

1. **The network** (:func:`planner.network.diagnose_unreachable`): no road, crossing or
   service leads to a destination; none on the way accepts the members' documents; the
   group needs more seats together than any vehicle or service that could carry it.
2. **Time**, whatever the capacities: an earliest-arrival search over roads (driven by any
   fleet vehicle with seats enough, once such a vehicle can be there, or by the group's own
   car), crossings (open hours, closures, documents) and services (check-in). When even
   this misses the horizon, the group was *ready too late*, or has *no connection in time*
   (every flight or sailing that leads on closed its check-in before the group could be
   there). A way that exists in real time but not on the planning grid of `step` is told
   apart.
3. **Capacity**: the resources the plan used up are taken away one kind at a time and the
   search is run again; the kind whose loss cuts the group off is named, with the resource
   and the time by which the group would have needed it: the flights or sailings it could
   make were full, a crossing had no room left in every hour it could use before it closed
   or became too late, a place was full, or every vehicle that could carry it was full or
   on other trips until the last moment it could leave.

Anything else is the objective's choice (what was free went to groups that count more), or,
in a plan not proven optimal, one of two things, told apart by a search for a whole way home
in **the room the plan leaves** (seats left on its vehicles' legs, vehicles while they stand
free long enough to come and be back for their next leg, crossing hours with room, flights
and sailings with seats; what the group took itself given back): when there is such a way,
capacity seems to remain and the reason names it leg by leg, a chance the solver may not
have taken; when there is none, the reason says so: each kind of capacity alone left some room,
but no way fits in all of it, so only a plan that moves others could take the group. That
search is never stricter than the rules (a vehicle standing free is taken to need no
transfer after another, it drives to come without closures, places are taken to have room),
so "none" is exact; a way it names may still break one of those.

A group the plan took out of the danger zone and left waiting is told where it waits, and,
when every flight or sailing it could still make from there was full (and no other way on
from there is left), which ones, with their seats taken: the cause is its journey from
where it started, the full services are where it got stuck, and the bottleneck
:func:`main_bottleneck` counts it for (`flights from PLACE`).

:func:`main_bottleneck` names the resource that left the most people behind, for summaries.

Example:

>>> from planner.read import parse_scenario
>>> from planner.greedy import dispatch
>>> s = parse_scenario('''
... scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
... locations:
...   a: {country: LY, danger: true}
...   b: {country: TN}
... roads: [{from: a, to: b, duration: 2h}]
... fleet: [{id: van, seats: 4, at: a}]
... groups: [{id: S, at: a, destination: b, members: [{seats: 4}, {name: nurse}]}]
... ''')
>>> print(explain(s, dispatch(s))["S"])
it needs 5 seats together, more than any vehicle or service that could carry it from a toward b has
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from planner.network import build_network, diagnose_unreachable
from planner.plan import Plan
from planner.scenario import Crossing, FleetKind, Group, Road, Scenario, Service
from planner.timegrid import window_intervals

__all__ = ["Reason", "earliest_arrival", "explain", "main_bottleneck", "reasons", "with_reasons"]

INF = 1 << 60
"""A time no journey reaches (seconds)."""
HOUR = 3600
LOOK_BEYOND = 7 * 24 * HOUR
"""How far past the horizon the search looks to tell when a late group could arrive."""

# How a group reached a place; a change of carrier waits out the place's `transfer`.
START, OWN, FLEET, FOOT, SERVICE = "start", "own", "fleet", "foot", "service"


@dataclass(frozen=True)
class Reason:
    """Why one group is not evacuated.

    Attributes:
        cause: `network`, `documents`, `seats`, `time`, `grid`, `service`, `crossing`,
            `place`, `vehicles` or `objective`.
        resources: what it names, for :func:`main_bottleneck` (`flight RU1 seats`,
            `crossing gate throughput`, `place haven`, `vehicles van-1, van-2`, ...; and
            `flights from PLACE` where the plan left it with every flight full).
        text: the reason in words, as written in the plan.
    """

    cause: str
    resources: tuple[str, ...]
    text: str


# --------------------------------------------------------------------------------------
# The public calls


def reasons(scenario: Scenario, plan: Plan, deadline: float | None = None) -> dict[str, Reason]:
    """A :class:`Reason` for every group of `plan` that is not evacuated, by group id; with
    a `deadline` (a `time.monotonic()` value), only for those reached by then."""
    explainer = _Explainer(scenario, plan)
    out: dict[str, Reason] = {}
    for gp in plan.groups:
        if gp.status == "evacuated":
            continue
        if deadline is not None and time.monotonic() > deadline:
            break
        group = scenario.group_by_id.get(gp.id)
        if group is None:
            continue
        out[gp.id] = explainer.reason(group, gp.status)
    return out


def explain(scenario: Scenario, plan: Plan, deadline: float | None = None) -> dict[str, str]:
    """Why each group of `plan` that is not evacuated could not go, by group id.

    The reasons are derived from the scenario and the plan alone: the network first
    (no way, documents, seats), then time whatever the capacities, then the capacity the
    plan used up, naming the flight, crossing, place or vehicles and the time by which the
    group would have needed it.
    """
    return {gid: r.text for gid, r in reasons(scenario, plan, deadline).items()}


def with_reasons(scenario: Scenario, plan: Plan, deadline: float | None = None) -> Plan:
    """A copy of `plan` whose groups that are not evacuated carry the reasons of
    :func:`explain`; evacuated groups keep no reason. Groups not reached by `deadline`
    keep the reason they have."""
    found = reasons(scenario, plan, deadline)
    groups = tuple(
        replace(g, reason=found[g.id].text) if g.id in found and g.status != "evacuated" else g
        for g in plan.groups
    )
    return replace(plan, groups=groups, causes=found)


def main_bottleneck(scenario: Scenario, plan: Plan, deadline: float | None = None) -> str | None:
    """The resource that left the most people not evacuated, in a line for the summary,
    or None when everybody is evacuated, or when not every reason is worked out by
    `deadline` (a `time.monotonic()` value): a line from some of them could mislead.

    Each group counts for every resource its reason names (a family that found two flights
    full counts for both); ties go to the resource named first in the plan's group order.
    The reasons `with_reasons` kept with the plan (`Plan.causes`) are used when they are
    those of every group in it, and take no time.
    """
    missed = [gp for gp in plan.groups if gp.status != "evacuated"]
    kept = plan.causes
    if all(gp.id in kept and kept[gp.id].text == gp.reason for gp in missed):
        found = {gp.id: kept[gp.id] for gp in missed}
    else:
        found = reasons(scenario, plan, deadline)
    if not found or len(found) < len(missed):
        return None
    people: dict[str, int] = defaultdict(int)
    groups: dict[str, int] = defaultdict(int)
    order: list[str] = []
    for gp in plan.groups:
        r = found.get(gp.id)
        if r is None:
            continue
        for name in r.resources or (_CAUSE_WORDS.get(r.cause, r.cause),):
            if name not in people:
                order.append(name)
            people[name] += gp.people
            groups[name] += 1
    top = max(order, key=lambda name: (people[name], -order.index(name)))
    n, k = people[top], groups[top]
    return (
        f"{top}: {n} {'person' if n == 1 else 'people'} in {k} group{'s' if k != 1 else ''} "
        "not evacuated"
    )


def earliest_arrival(scenario: Scenario, group: Group, *, grid: bool = False) -> datetime | None:
    """The earliest the group can reach one of its destinations by the end of the horizon
    whatever the capacities, or None when it cannot: no plan gets it there sooner.

    The search follows the rules: roads driven by a fleet vehicle with seats enough (once
    one can be there) or by the group's own car, crossings in their open hours and outside
    closures with an accepted document, flights and sailings with check-in, and `transfer`
    waited out when the carrier changes. With `grid`, roads and crossings are entered only
    at grid times, as the planner's solvers do: no plan made on the grid is sooner.
    """
    at = _Explainer(scenario).earliest(group, grid=grid)
    best = min((at.get(d, INF) for d in group.destinations), default=INF)
    if best > int(scenario.horizon.total_seconds()):
        return None
    return scenario.start + timedelta(seconds=best)


NOT_PROVEN = "choices of a plan not proven optimal"
"""What a reason names when the plan, not proven optimal, leaves a group though capacity
seems to remain (`groups that count more in the objectives` holds only for an optimal
plan)."""
ROOM_WAY = (
    "a way home may fit in the room it leaves, if room at places and a free vehicle's "
    "transfer and the closures on its drives allow"
)
"""How a reason introduces the way the room a plan leaves may hold: the search is looser
than the rules in those three (see `_Explainer._room_way`), so the way named may break one
of them."""

_CAUSE_WORDS = {
    "time": "time (ready too late, or no connection in time)",
    "grid": "the planning step",
    "objective": "groups that count more in the objectives",
}


# --------------------------------------------------------------------------------------
# The ways, in seconds from the scenario start


@dataclass
class _Way:
    """One directed way: a road direction, a crossing, or a flight or sailing."""

    kind: str
    src: str
    dst: str
    name: str
    duration: int = 0
    closures: list[tuple[int, int]] = field(default_factory=list)
    """Roads: `[depart, arrive)` may overlap none; crossings: `depart` in none."""
    opens: list[tuple[int, int]] | None = None
    """Crossings: `depart` in one of these; None: open all day."""
    documents: frozenset[str] | None = None
    vehicles: bool = True
    throughput: int | None = None
    departs: int = 0
    arrives: int = 0
    check_in: int = 0
    seats: int = 0


def _seconds(start: datetime, when: datetime) -> int:
    return int(round((when - start).total_seconds()))


def _up(x: int, step: int) -> int:
    return -(-x // step) * step


class _Explainer:
    def __init__(self, scenario: Scenario, plan: Plan | None = None) -> None:
        self.s = scenario
        self.plan = plan
        self.end = int(scenario.horizon.total_seconds())
        self.step = max(1, int(scenario.step.total_seconds()))
        self.graph = build_network(scenario)
        places = scenario.locations.items()
        self.transfer = {p: int(loc.transfer.total_seconds()) for p, loc in places}
        self.country = {p: loc.country for p, loc in scenario.locations.items()}
        self.ways: list[_Way] = []
        self.out: dict[str, list[_Way]] = defaultdict(list)
        self.into: dict[str, list[_Way]] = defaultdict(list)
        self._build_ways()
        self._reach_cache: dict[tuple[str, bool], dict[str, int]] = {}
        self._closures: dict[int, tuple[list[int], list[int]]] = {}
        self._free_cache: dict[tuple[Any, ...], Any] = {}
        self._searches: dict[tuple[Any, ...], dict[str, int]] = {}
        self._drives: dict[str, dict[tuple[str, str], int]] = {}
        self._hint: str | None = None
        self._legs: tuple[dict[str, Any], dict[str, Any]] | None = None
        self._free_ways: dict[tuple[Any, ...], Any] = {}
        self._gap_cache: dict[str, list[tuple[str, int, int]]] = {}
        self._plan_vehicles = {vp.id: vp for vp in plan.vehicles} if plan is not None else {}
        self._plan_groups = {g.id: g for g in plan.groups} if plan is not None else {}
        self._group_seats = {g.id: g.seats for g in scenario.groups}
        self._read_plan()

    # ---- the network in seconds

    def _build_ways(self) -> None:
        s = self.s
        lo = s.start - timedelta(days=1)
        hi = s.end + timedelta(seconds=LOOK_BEYOND) + timedelta(days=1)

        def ints(windows: Iterable[Any], tz: tzinfo) -> list[tuple[int, int]]:
            return [
                (_seconds(s.start, a), _seconds(s.start, b))
                for a, b in window_intervals(tuple(windows), tz, lo, hi)
            ]

        for u, v, _key, data in self.graph.edges(keys=True, data=True):
            kind = data["kind"]
            if kind == "road":
                road: Road = data["road"]
                tz = s.locations[road.from_].timezone
                way = _Way(
                    "road",
                    u,
                    v,
                    f"road {u} - {v}",
                    duration=int(road.duration.total_seconds()),
                    closures=ints(road.closed, tz),
                )
            elif kind == "crossing":
                c: Crossing = data["crossing"]
                tz = s.locations[c.from_].timezone
                opens = None
                if c.open and not any(w.all_day for w in c.open):
                    opens = ints(c.open, tz)
                way = _Way(
                    "crossing",
                    u,
                    v,
                    c.id,
                    duration=int(c.processing.total_seconds()),
                    closures=ints(c.closed, tz),
                    opens=opens,
                    documents=c.documents,
                    vehicles=c.vehicles,
                    throughput=c.throughput,
                )
            else:
                sv: Service = data["service"]
                way = _Way(
                    kind,
                    u,
                    v,
                    sv.id,
                    documents=sv.documents,
                    departs=_seconds(s.start, sv.departs),
                    arrives=_seconds(s.start, sv.arrives),
                    check_in=int(sv.check_in.total_seconds()),
                    seats=sv.seats,
                )
            self.ways.append(way)
            self.out[u].append(way)
            self.into[v].append(way)

    def _road_depart(self, way: _Way, x: int, end: int, grid: bool) -> int | None:
        """Earliest departure at or after x whose leg overlaps no closure and ends by end
        (on the step grid with `grid`)."""
        starts, ends = self._closed(way)
        span = max(way.duration, 1)
        d = _up(x, self.step) if grid else x
        i = bisect.bisect_right(ends, d)
        while i < len(starts) and starts[i] < d + span:
            d = _up(ends[i], self.step) if grid else ends[i]
            i = bisect.bisect_right(ends, d)
        return d if d + way.duration <= end else None

    def _closed(self, way: _Way) -> tuple[list[int], list[int]]:
        """A road's closures merged, in time order: their starts and their ends."""
        key = id(way)
        if key not in self._closures:
            merged: list[list[int]] = []
            for a, b in sorted(way.closures):
                if merged and a <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            self._closures[key] = ([a for a, _ in merged], [b for _, b in merged])
        return self._closures[key]

    def _crossing_depart(
        self,
        way: _Way,
        x: int,
        end: int,
        grid: bool,
        shut: Sequence[tuple[int, int]] = (),
    ) -> int | None:
        """Earliest start at or after x inside an open window, outside every closure (and
        every `shut` interval), that ends by end."""
        closed = way.closures + list(shut)
        candidates = {x}
        if way.opens is not None:
            candidates.update(a for a, _ in way.opens if a > x)
        candidates.update(b for _, b in closed if b > x)
        if grid:
            candidates = {_up(c, self.step) for c in candidates}
        for d in sorted(candidates):
            if d + way.duration > end:
                return None
            if way.opens is not None and not any(a <= d < b for a, b in way.opens):
                continue
            if any(a <= d < b for a, b in closed):
                continue
            return d
        return None

    def _road_latest(self, way: _Way, y: int) -> int | None:
        """Latest departure whose leg arrives by y and overlaps no closure."""
        d = y - way.duration
        moved = True
        while moved:
            moved = False
            for c1, c2 in way.closures:
                if d < c2 and c1 < d + max(way.duration, 1):
                    d = c1 - max(way.duration, 1)
                    moved = True
            if d < -LOOK_BEYOND:
                return None
        return d

    def _crossing_latest(self, way: _Way, y: int) -> int | None:
        top = y - way.duration
        candidates = {top}
        if way.opens is not None:
            candidates.update(b - 1 for _, b in way.opens if b - 1 < top)
        candidates.update(a - 1 for a, _ in way.closures if a - 1 < top)
        for d in sorted(candidates, reverse=True):
            if d < -LOOK_BEYOND:
                return None
            if way.opens is not None and not any(a <= d < b for a, b in way.opens):
                continue
            if any(a <= d < b for a, b in way.closures):
                continue
            return d
        return None

    # ---- who may use what

    def _kinds(self, group: Group, way: _Way) -> list[FleetKind]:
        """Fleet kinds whose vehicles could carry the group along the way."""
        if way.kind == "crossing" and not way.vehicles:
            return []
        countries = {self.country[way.src], self.country[way.dst]}
        return [
            k
            for k in self.s.fleet
            if k.seats >= group.seats and (k.countries is None or countries <= k.countries)
        ]

    def _docs(self, group: Group, way: _Way) -> bool:
        return group.holds_accepted(way.documents)

    def _kind_reach(self, kind: FleetKind, grid: bool) -> dict[str, int]:
        """Earliest time a vehicle of the kind can be at each place (it may cross where
        vehicles may, in its countries)."""
        key = (kind.id, grid)
        if key in self._reach_cache:
            return self._reach_cache[key]
        end = self.end + LOOK_BEYOND
        t0 = max(0, _seconds(self.s.start, kind.available))
        best = {kind.at: t0}
        heap = [(t0, kind.at)]
        while heap:
            t, p = heapq.heappop(heap)
            if t > best.get(p, INF):
                continue
            for way in self.out[p]:
                if way.kind not in ("road", "crossing"):
                    continue
                if way.kind == "crossing" and not way.vehicles:
                    continue
                if kind.countries is not None and not (
                    {self.country[way.src], self.country[way.dst]} <= kind.countries
                ):
                    continue
                if way.kind == "road":
                    d = self._road_depart(way, t, end, grid)
                else:
                    d = self._crossing_depart(way, t, end, grid)
                if d is None:
                    continue
                a = d + way.duration
                if a < best.get(way.dst, INF):
                    best[way.dst] = a
                    heapq.heappush(heap, (a, way.dst))
        self._reach_cache[key] = best
        return best

    # ---- searches

    def earliest(
        self,
        group: Group,
        *,
        end: int | None = None,
        grid: bool = False,
        reach: bool = True,
        fleet: bool = True,
        no_services: frozenset[str] = frozenset(),
        shut: dict[str, list[tuple[int, int]]] | None = None,
        no_places: frozenset[str] = frozenset(),
    ) -> dict[str, int]:
        """Earliest arrival of the group at each place, ignoring the capacities the plan
        used (except what is taken away: services, crossing hours, places), from its `at`
        when it is ready. Transfers are waited out when the carrier changes; a fleet vehicle
        is taken to be free wherever one of a kind that could carry the group can be.

        With `grid`, roads and crossings are entered only at grid times `start + k * step`,
        as the planner does; arrivals are not rounded, so this is never later than any plan
        on the grid."""
        end = self.end if end is None else end
        shut = shut or {}
        key = (
            self._profile(group),
            end,
            grid,
            reach,
            fleet,
            no_services,
            tuple(sorted((k, tuple(v)) for k, v in shut.items())),
            no_places,
        )
        if key not in self._searches:
            self._searches[key] = self._search(
                group, end, grid, reach, fleet, no_services, shut, no_places
            )
        return self._searches[key]

    def _search(
        self,
        group: Group,
        end: int,
        grid: bool,
        reach: bool,
        fleet: bool,
        no_services: frozenset[str],
        shut: dict[str, list[tuple[int, int]]],
        no_places: frozenset[str],
    ) -> dict[str, int]:
        t0 = max(0, _seconds(self.s.start, group.ready))
        best: dict[tuple[str, str], int] = {(group.at, START): t0}
        at: dict[str, int] = {}
        heap = [(t0, group.at, START)]
        dests = set(group.destinations)
        while heap:
            t, p, mode = heapq.heappop(heap)
            if t > best.get((p, mode), INF):
                continue
            if t < at.get(p, INF):
                at[p] = t
            if p in dests:
                continue
            for way in self.out[p]:
                if way.dst in no_places:
                    continue
                for carrier, arrive in self._moves(
                    group, way, p, t, mode, end, grid, reach, fleet, no_services, shut
                ):
                    if arrive < best.get((way.dst, carrier), INF):
                        best[(way.dst, carrier)] = arrive
                        heapq.heappush(heap, (arrive, way.dst, carrier))
        return at

    def _moves(
        self,
        group: Group,
        way: _Way,
        p: str,
        t: int,
        mode: str,
        end: int,
        grid: bool,
        reach: bool,
        fleet: bool,
        no_services: frozenset[str],
        shut: dict[str, list[tuple[int, int]]],
    ) -> Iterator[tuple[str, int]]:
        def free_from(carrier: str) -> int:
            if mode == START or (mode == carrier and carrier in (OWN, FLEET, FOOT)):
                return t
            return t + self.transfer[p]

        if way.kind in ("flight", "sailing"):
            if way.name in no_services or not self._docs(group, way):
                return
            if way.seats < group.seats or way.arrives > end:
                return
            if t <= way.departs - max(way.check_in, self.transfer[p]):
                yield SERVICE, way.arrives
            return
        own = group.own_vehicle and mode in (START, OWN) and (way.kind == "road" or way.vehicles)
        if way.kind == "road":
            if own:
                d = self._road_depart(way, free_from(OWN), end, grid)
                if d is not None:
                    yield OWN, d + way.duration
            if fleet:
                best = self._fleet_depart(group, way, p, free_from(FLEET), end, grid, reach, shut)
                if best is not None:
                    yield FLEET, best + way.duration
            return
        # a crossing
        if not self._docs(group, way):
            return
        extra = shut.get(way.name, [])
        d = self._crossing_depart(way, free_from(FOOT), end, grid, extra)
        if d is not None:
            yield FOOT, d + way.duration
        if own:
            d = self._crossing_depart(way, free_from(OWN), end, grid, extra)
            if d is not None:
                yield OWN, d + way.duration
        if fleet:
            best = self._fleet_depart(group, way, p, free_from(FLEET), end, grid, reach, shut)
            if best is not None:
                yield FLEET, best + way.duration

    def _fleet_depart(
        self,
        group: Group,
        way: _Way,
        p: str,
        x: int,
        end: int,
        grid: bool,
        reach: bool,
        shut: dict[str, list[tuple[int, int]]],
    ) -> int | None:
        best: int | None = None
        for kind in self._kinds(group, way):
            y = x
            if reach:
                there = self._kind_reach(kind, grid).get(p, INF)
                if there >= INF:
                    continue
                y = max(y, there)
            if way.kind == "road":
                d = self._road_depart(way, y, end, grid)
            else:
                d = self._crossing_depart(way, y, end, grid, shut.get(way.name, []))
            if d is not None and (best is None or d < best):
                best = d
        return best

    def latest(self, group: Group, end: int | None = None) -> dict[str, int]:
        """Latest time the group may leave each place and still reach a destination by the
        end of the horizon (or `end`), whatever the capacities (transfers and vehicles'
        whereabouts ignored, so never earlier than the truth)."""
        end = self.end if end is None else end
        best = {d: end for d in group.destinations}
        heap = [(-end, d) for d in group.destinations]
        while heap:
            neg, q = heapq.heappop(heap)
            y = -neg
            if y < best.get(q, -INF):
                continue
            for way in self.into[q]:
                if way.kind in ("flight", "sailing"):
                    if not self._docs(group, way) or way.seats < group.seats or way.arrives > y:
                        continue
                    d: int | None = way.departs - max(way.check_in, self.transfer[way.src])
                elif way.kind == "road":
                    if not group.own_vehicle and not self._kinds(group, way):
                        continue
                    d = self._road_latest(way, y)
                else:
                    if not self._docs(group, way):
                        continue
                    d = self._crossing_latest(way, y)
                if d is not None and d > best.get(way.src, -INF):
                    best[way.src] = d
                    heapq.heappush(heap, (-d, way.src))
        return best

    # ---- what the plan used

    def _read_plan(self) -> None:
        s = self.s
        groups = self.plan.groups if self.plan is not None else ()
        self.service_seats: dict[str, int] = defaultdict(int)
        self.service_users: dict[str, list[str]] = defaultdict(list)
        self.crossing_starts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.stays: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        self.last_place: dict[str, str] = {}
        self.last_time: dict[str, int] = {}
        for gp in groups:
            group = s.group_by_id.get(gp.id)
            seats = group.seats if group is not None else gp.people
            legs = gp.legs
            for i, leg in enumerate(legs):
                if leg.kind in ("flight", "sailing") and leg.service:
                    self.service_seats[leg.service] += seats
                    self.service_users[leg.service].append(gp.id)
                elif leg.kind == "crossing" and leg.crossing:
                    k = _seconds(s.start, leg.depart) // HOUR
                    self.crossing_starts[leg.crossing][k] += gp.people
                if s.locations.get(leg.to) is not None and s.locations[leg.to].capacity:
                    a = _seconds(s.start, leg.arrive)
                    b = _seconds(s.start, legs[i + 1].depart) if i + 1 < len(legs) else INF
                    self.stays[leg.to].append((a, b, gp.people))
            if group is not None:
                self.last_place[gp.id] = legs[-1].to if legs else group.at
                self.last_time[gp.id] = (
                    _seconds(s.start, legs[-1].arrive)
                    if legs
                    else max(0, _seconds(s.start, group.ready))
                )

    def _own_use(
        self, gp_legs: tuple[Any, ...], group: Group
    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """The seats on services and the crossing places per hour the group itself took."""
        services: dict[str, int] = defaultdict(int)
        hours: dict[tuple[str, int], int] = defaultdict(int)
        for leg in gp_legs:
            if leg.kind in ("flight", "sailing") and leg.service:
                services[leg.service] += group.seats
            elif leg.kind == "crossing" and leg.crossing:
                hours[(leg.crossing, _seconds(self.s.start, leg.depart) // HOUR)] += group.people
        return services, hours

    def _occupied(self, place: str, lo: int, hi: int, minus: list[tuple[int, int, int]]) -> int:
        """The least number of people at a place at any moment of [lo, hi)."""
        skip = Counter(minus)
        # a sweep over the moments a stay begins or ends: the count changes only there
        level = 0
        change: dict[int, int] = defaultdict(int)
        for stay in self.stays.get(place, ()):
            if skip[stay]:
                skip[stay] -= 1  # the group's own stays do not count
                continue
            a, b, n = stay
            if a <= lo < b:
                level += n
            if lo < a < hi:
                change[a] += n
            if lo < b < hi:
                change[b] -= n
        least = level
        for t in sorted(change):
            level += change[t]
            least = min(least, level)
        return least

    # ---- words

    def _clock(self, seconds: int, place: str | None = None) -> str:
        tz = self.s.locations[place].timezone if place else self.s.timezone
        local = (self.s.start + timedelta(seconds=seconds)).astimezone(tz)
        offset = local.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hh, mm = divmod(abs(minutes), 60)
        return f"{local:%H:%M} {sign}{hh:02d}:{mm:02d} on {local.date().isoformat()}"

    def _service_words(self, way: _Way) -> str:
        return "flight" if way.kind == "flight" else "sailing"

    # ---- the reason of one group

    def reason(self, group: Group, status: str) -> Reason:
        r = self._why(group)
        if status == "safe":
            last = self.last_place.get(group.id, group.at)
            if last != group.at and self.s.locations[group.at].danger:
                tail = f"; it is taken out of the danger zone to {last}, where it waits"
            elif last != group.at:
                tail = f"; it waits at {last}, out of the danger zone"
            else:
                tail = f"; it stays at {group.at}, out of the danger zone"
            stranded = self._stranded(group) if r.cause != "service" else None
            if stranded is not None:
                # where it is stuck is a bottleneck to name: beside what the cause names,
                # or instead of the choices of a plan not proven optimal
                words, resource = stranded
                tail += f", but {words}"
                named = () if r.resources == (NOT_PROVEN,) else r.resources
                r = replace(r, resources=(*named, resource))
            r = replace(r, text=r.text + tail)
        return r

    def _reach(self, group: Group) -> tuple[dict[str, int], dict[str, int]]:
        """`earliest` and `latest` of the group, once for every kind of group."""
        key = self._profile(group)
        if key not in self._free_cache:
            self._free_cache[key] = (self.earliest(group), self.latest(group))
        return self._free_cache[key]  # type: ignore[no-any-return]

    def _stranded(self, group: Group) -> tuple[str, str] | None:
        """Where the plan left the group away from where it started, and from there every
        flight or sailing it could still make to get home in time was full: those services
        in words, and the resource they make (`flights from PLACE`); None otherwise (it
        could go on from there, or not even with empty ones)."""
        last = self.last_place.get(group.id, group.at)
        if last == group.at or group.id not in self._plan_groups:
            return None
        since = self.last_time.get(group.id, 0)
        there = replace(group, at=last, ready=self.s.start + timedelta(seconds=since))
        free = self.earliest(there)
        if not any(free.get(d, INF) <= self.end for d in group.destinations):
            return None
        own_services, _ = self._own_use(self._plan_groups[group.id].legs, group)
        full = self._full_services(group, free, self._reach(group)[1], own_services)
        if not full:
            return None
        after = self.earliest(there, no_services=frozenset(w.name for w in full))
        if any(after.get(d, INF) <= self.end for d in group.destinations):
            return None
        full.sort(key=lambda w: w.departs)
        listed = self._taken_words(full)
        kinds = {self._service_words(w) for w in full}
        word = "flight or sailing" if len(kinds) > 1 else next(iter(kinds))
        plural = "flights and sailings" if len(kinds) > 1 else f"{word}s"
        words = (
            f"every {word} it could still make from there (it arrived at "
            f"{self._clock(since, last)}) was full: {listed}"
        )
        return words, f"{plural} from {', '.join(sorted({w.src for w in full}))}"

    def _profile(self, group: Group) -> tuple[Any, ...]:
        docs = tuple(self._docs(group, w) for w in self.ways if w.documents is not None)
        return (
            group.at,
            group.ready,
            group.seats,
            group.people,
            group.own_vehicle,
            group.destinations,
            docs,
        )

    def _static(self, group: Group) -> str | None:
        """`diagnose_unreachable`, once for every kind of group it can tell apart."""
        docs = tuple(self._docs(group, w) for w in self.ways if w.documents is not None)
        key = ("static", group.at, group.destinations, group.seats, group.own_vehicle, docs)
        if key not in self._free_cache:
            self._free_cache[key] = diagnose_unreachable(self.s, self.graph, group)
        return self._free_cache[key]  # type: ignore[no-any-return]

    def _why(self, group: Group) -> Reason:
        static = self._static(group)
        if static is not None:
            cause = (
                "documents"
                if "documents" in static
                else "seats"
                if "seats" in static
                else "network"
            )
            resource = {
                "network": f"no way out of {group.at}",
                "documents": f"documents accepted on the way from {group.at}",
                "seats": "vehicle seats (families needing more seats than any vehicle)",
            }[cause]
            return Reason(cause, (resource,), static)
        key = self._profile(group)
        free, latest = self._reach(group)
        if not any(free.get(d, INF) <= self.end for d in group.destinations):
            return self._time_reason(group, free)
        grid_free = self.earliest(group, grid=True)
        if not any(grid_free.get(d, INF) <= self.end for d in group.destinations):
            best = min(group.destinations, key=lambda d: free.get(d, INF))
            step = int(self.s.step.total_seconds() // 60)
            return Reason(
                "grid",
                (),
                f"no connection in time on the planning grid: it could reach {best} at "
                f"{self._clock(free[best], best)} only by leaving between the "
                f"{step}-minute steps the plan is made on; a shorter `step` may let it go",
            )
        # groups alike that the plan treated alike (left where they were, most often) have
        # the same reason
        legs = self._plan_groups[group.id].legs if group.id in self._plan_groups else ()
        same = ("capacity", key, legs)
        if same not in self._free_cache:
            self._free_cache[same] = self._capacity_reason(group, free, latest)
        return self._free_cache[same]  # type: ignore[no-any-return]

    def _time_reason(self, group: Group, free: dict[str, int]) -> Reason:
        dests = ", ".join(group.destinations)
        ready = max(0, _seconds(self.s.start, group.ready))
        end_words = self._clock(self.end, group.at)
        if ready >= self.end:
            return Reason(
                "time",
                (),
                f"ready too late: it is ready at {self._clock(ready, group.at)}, when the "
                f"horizon has ended ({end_words})",
            )
        later = self.earliest(group, end=self.end + LOOK_BEYOND)
        beyond = self.latest(group, end=self.end + LOOK_BEYOND)

        def closes(w: _Way) -> int:
            return w.departs - max(w.check_in, self.transfer[w.src])

        # the flights and sailings that would lead on to a destination, were there time
        services = [
            w
            for w in self.ways
            if w.kind in ("flight", "sailing")
            and self._docs(group, w)
            and w.seats >= group.seats
            and w.arrives <= beyond.get(w.dst, -INF)
        ]
        made = [w for w in services if later.get(w.src, INF) <= closes(w)]
        in_time = [w for w in made if w.arrives <= self.end]
        if services and not made:
            last = max(services, key=lambda w: w.departs)
            there = later.get(last.src, INF)
            when = (
                f"it can be at {last.src} at {self._clock(there, last.src)} at the earliest"
                if there < INF
                else f"it cannot get to {last.src} in time"
            )
            what = self._service_words(last)
            return Reason(
                "time",
                (),
                f"no connection in time: {when}, after check-in closed at "
                f"{self._clock(closes(last), last.src)} for {what} {last.name}, the last "
                f"{what} it could take toward {dests}",
            )
        if made and not in_time:
            first = min(made, key=lambda w: w.arrives)
            what = self._service_words(first)
            return Reason(
                "time",
                (),
                f"no connection in time: every {what} it could make toward {dests} lands after "
                f"the horizon ends ({end_words}); the first, {first.name}, lands at "
                f"{self._clock(first.arrives, first.dst)}",
            )
        if self._needs_vehicle_in_time(group):
            return self._vehicle_too_late(group)
        arrive = min((later.get(d, INF) for d in group.destinations), default=INF)
        if arrive < INF:
            best = min(group.destinations, key=lambda d: later.get(d, INF))
            how = (
                f"the quickest way reaches {best} at {self._clock(arrive, best)}, after the "
                f"horizon ends ({end_words})"
            )
        else:
            how = f"no open road, crossing or service reaches {dests} after that"
        if ready > 0:
            return Reason(
                "time",
                (),
                f"ready too late: it is ready at {group.at} at {self._clock(ready, group.at)}; "
                f"{how}",
            )
        return Reason("time", (), f"no connection in time: leaving {group.at} at the start, {how}")

    def _needs_vehicle_in_time(self, group: Group) -> bool:
        """True when the group would make it in time if the vehicles were everywhere from
        the start: then it is the vehicles' whereabouts that make it late."""
        anywhere = self.earliest(group, reach=False)
        return any(anywhere.get(d, INF) <= self.end for d in group.destinations)

    def _vehicle_too_late(self, group: Group) -> Reason:
        kinds = [
            k
            for k in self.s.fleet
            if k.seats >= group.seats
            and (k.countries is None or self.country[group.at] in k.countries)
        ]
        there = [(self._kind_reach(k, False).get(group.at, INF), k) for k in kinds]
        there = [(t, k) for t, k in there if t < INF]
        dests = ", ".join(group.destinations)
        if there:
            t, k = min(there, key=lambda x: x[0])
            names = [v.id for v in self.s.vehicles if v.fleet == k.id]
            one = names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}"
            first = (
                f"the first vehicle that could carry it ({one}, available "
                f"{self._clock(max(0, _seconds(self.s.start, k.available)), k.at)} at {k.at}) "
                f"can be at {group.at} at {self._clock(t, group.at)} at the earliest"
            )
        else:
            first = f"no vehicle that could carry it can get to {group.at}"
        return Reason(
            "time",
            tuple(f"vehicles of {k.id}" for k in kinds[:1]),
            f"no connection in time: {first}, too late to reach {dests} by the end of the "
            f"horizon ({self._clock(self.end, group.at)})",
        )

    # ---- capacity

    def _capacity_reason(
        self, group: Group, free: dict[str, int], latest: dict[str, int]
    ) -> Reason:
        gp = self._plan_groups[group.id]
        own_services, own_hours = self._own_use(gp.legs, group)

        def reaches(**kw: Any) -> bool:
            at = self.earliest(group, **kw)
            return any(at.get(d, INF) <= self.end for d in group.destinations)

        full_services = self._full_services(group, free, latest, own_services)
        no_services = frozenset(w.name for w in full_services)
        # crossing hours it could use, and which of them had no room for it
        shut: dict[str, list[tuple[int, int]]] = {}
        crossing_hours: dict[str, tuple[list[int], list[int], int, int, int]] = {}
        for w in self.ways:
            if w.kind != "crossing" or w.throughput is None or not self._docs(group, w):
                continue
            lo = free.get(w.src, INF)
            hi = latest.get(w.dst, -INF) - w.duration
            if lo >= INF or hi < lo:
                continue
            hours, full = [], []
            d = self._crossing_depart(w, lo, self.end, False)
            first_start = last_start = d if d is not None else lo
            while d is not None and d <= hi:
                k = d // HOUR
                hours.append(k)
                last_start = d
                if self._no_room_in(w.name, k, group, own_hours):
                    full.append(k)
                d = self._crossing_depart(w, (k + 1) * HOUR, self.end, False)
            if full:
                shut[w.name] = [(k * HOUR, (k + 1) * HOUR) for k in full]
                crossing_hours[w.name] = (hours, full, first_start, last_start, hi)
        found: list[Reason] = []
        if no_services and not reaches(no_services=no_services):
            found.append(self._services_full(group, full_services))
        elif shut and not reaches(shut=shut):
            found.append(self._crossings_full(group, crossing_hours))
        elif (no_services or shut) and not reaches(no_services=no_services, shut=shut):
            found.append(self._services_full(group, full_services))
            found.append(self._crossings_full(group, crossing_hours))
        if found:
            return Reason(
                found[0].cause,
                tuple(r for f in found for r in f.resources),
                "; ".join(f.text for f in found),
            )
        # places that were full all the time it could have been there
        full_places = []
        for place, loc in self.s.locations.items():
            if not loc.capacity or place == group.at:
                continue
            lo, hi = free.get(place, INF), latest.get(place, -INF)
            if lo >= INF or hi < lo:
                continue
            mine = [
                (
                    _seconds(self.s.start, leg.arrive),
                    _seconds(self.s.start, gp.legs[i + 1].depart) if i + 1 < len(gp.legs) else INF,
                    group.people,
                )
                for i, leg in enumerate(gp.legs)
                if leg.to == place
            ]
            if self._occupied(place, lo, hi + 1, mine) + group.people > loc.capacity:
                full_places.append((place, lo, hi))
        if full_places and not reaches(
            no_services=no_services, shut=shut, no_places=frozenset(p for p, _, _ in full_places)
        ):
            parts = []
            for p, lo, hi in full_places:
                cap = self.s.locations[p].capacity
                if p in group.destinations:
                    parts.append(
                        f"place {p} (room for {cap} people): too full to take its "
                        f"{group.people} more at any moment {self._span(lo, self.end, p)}, "
                        "from when it could arrive to the end of the horizon"
                    )
                else:
                    parts.append(
                        f"place {p} (room for {cap} people): too full to take its "
                        f"{group.people} more at any moment {self._span(lo, hi, p)}, the last "
                        "moment it could have left it in time"
                    )
            return Reason(
                "place",
                tuple(f"place {p}" for p, _, _ in full_places),
                "capacity ran out at " + "; ".join(parts),
            )
        # vehicles: from where the plan left it, when it can still make it from there
        here = group
        last = self.last_place.get(group.id, group.at)
        if last != group.at:
            moved = replace(
                group,
                at=last,
                ready=self.s.start + timedelta(seconds=self.last_time.get(group.id, 0)),
            )
            at = self.earliest(moved, no_services=no_services, shut=shut)
            if any(at.get(d, INF) <= self.end for d in group.destinations):
                here = moved
        at = self.earliest(here, fleet=False, no_services=no_services, shut=shut)
        if not any(at.get(d, INF) <= self.end for d in group.destinations):
            busy = self._vehicles_busy(group, here, latest)
            if busy is not None:
                return busy
        if self.plan is not None and self.plan.status != "optimal":
            # each kind of capacity leaves some room alone: is there a whole way in it?
            way = self._room_way(group)
            self._hint = None if way is None else f"{ROOM_WAY}: {way}"
            if way is None:
                return self._no_room_reason()
        return self._objective_reason(group)

    def _full_services(
        self,
        group: Group,
        free: dict[str, int],
        latest: dict[str, int],
        own_services: dict[str, int],
    ) -> list[_Way]:
        """The flights and sailings the group could make in time (from `free`, the earliest
        it can be at each place, to a place it can still get home from by `latest`) that
        had no room left for it, its own seats (`own_services`) given back."""
        return [
            w
            for w in self.ways
            if w.kind in ("flight", "sailing")
            and self._docs(group, w)
            and w.seats >= group.seats
            and free.get(w.src, INF) <= w.departs - max(w.check_in, self.transfer[w.src])
            and w.arrives <= latest.get(w.dst, -INF)
            and self._no_seats(w, group, own_services)
        ]

    def _no_seats(self, way: _Way, group: Group, own_services: dict[str, int]) -> bool:
        """Has the flight or sailing no room left for the group, its own seats on it
        (`own_services`) given back?"""
        taken = self.service_seats.get(way.name, 0) - own_services.get(way.name, 0)
        return taken + group.seats > way.seats

    def _no_room_in(
        self, crossing: str, hour: int, group: Group, own_hours: dict[tuple[str, int], int]
    ) -> bool:
        """Had the crossing no room for the group's people to start in that hour (counted
        from the scenario's start), its own crossing there given back?"""
        throughput = self.s.crossing_by_id[crossing].throughput
        if throughput is None:
            return False
        taken = self.crossing_starts.get(crossing, {}).get(hour, 0)
        return taken - own_hours.get((crossing, hour), 0) + group.people > throughput

    def _taken_words(self, services: list[_Way]) -> str:
        """Each service with its departure and seats taken, for a reason."""
        return ", ".join(
            f"{w.name} departing {self._clock(w.departs, w.src)} "
            f"({self.service_seats.get(w.name, 0)} of {w.seats} seats taken)"
            for w in services
        )

    def _services_full(self, group: Group, full: list[_Way]) -> Reason:
        full = sorted(full, key=lambda w: w.departs)
        last = full[-1]
        word = self._service_words(last)
        listed = self._taken_words(full)
        closes = last.departs - max(last.check_in, self.transfer[last.src])
        seats = f"{group.seats} seat{'s' if group.seats != 1 else ''}"
        text = (
            f"capacity ran out on {word}s: no {word} it could make before check-in closed at "
            f"{self._clock(closes, last.src)} had room left for its {seats}: {listed}"
        )
        return Reason("service", tuple(f"{word} {w.name} seats" for w in full), text)

    def _crossings_full(
        self, group: Group, hours: dict[str, tuple[list[int], list[int], int, int, int]]
    ) -> Reason:
        parts = []
        for name, (usable, full, first, last_start, latest_start) in hours.items():
            c = self.s.crossing_by_id[name]
            way = next(w for w in self.ways if w.kind == "crossing" and w.name == name)
            # when the usable time ended: the window closed, or leaving later was too late
            stop = latest_start + 1
            if way.opens is not None:
                stop = min(
                    [stop] + [b for a, b in way.opens if a <= last_start < b and b > last_start]
                )
            stop = min([stop] + [a for a, _ in way.closures if a > last_start])
            which = (
                "every hour it could have started in"
                if len(full) == len(usable)
                else f"{len(full)} of the {len(usable)} hours it could have started in"
            )
            people = f"{group.people} {'person' if group.people == 1 else 'people'}"
            parts.append(
                f"crossing {name} (lets {c.throughput} people start an hour): {which}, "
                f"{self._span(first, stop, c.from_)}, had no room left for its {people}"
            )
        return Reason(
            "crossing",
            tuple(f"crossing {name} throughput" for name in hours),
            "capacity ran out at " + "; ".join(parts),
        )

    def _span(self, a: int, b: int, place: str) -> str:
        """`from 07:00 to 08:00 +02:00 on 2013-10-03`, the date once when it is one day."""
        first, second = self._clock(a, place), self._clock(b, place)
        if first[5:] == second[5:]:
            return f"from {first[:5]} to {second}"
        return f"from {first} to {second}"

    def _vehicles_busy(self, group: Group, here: Group, latest: dict[str, int]) -> Reason | None:
        """When every vehicle that could carry the group from where it waits (`here.at`,
        from `here.ready`) was full or away the whole time it could have been picked up, say
        so; None when one may have been free."""
        place, since = here.at, max(0, _seconds(self.s.start, here.ready))
        until = latest.get(place, -INF)
        roads = [w for w in self.out[place] if w.kind == "road" and w.dst in latest]
        by_kind = {k.id: [w for w in roads if k in self._kinds(group, w)] for k in self.s.fleet}
        able = {v.id: by_kind[v.fleet] for v in self.s.vehicles if by_kind[v.fleet]}
        if not able:
            return None
        seats = self._group_seats
        assert self.plan is not None
        free_one: str | None = None
        for vid, ways in able.items():
            vehicle = self.s.vehicle_by_id[vid]
            vp = self._plan_vehicles.get(vid)
            legs = vp.legs if vp else ()
            # ride along: a leg out of the place in time with seats to spare
            for leg in legs:
                d = _seconds(self.s.start, leg.depart)
                a = _seconds(self.s.start, leg.arrive)
                taken = sum(seats.get(g, 0) for g in leg.groups if g != group.id)
                if (
                    leg.from_ == place
                    and since <= d <= until
                    and leg.to in latest
                    and a <= latest[leg.to]
                    and vehicle.seats - taken >= group.seats
                    and group.id not in leg.groups
                ):
                    free_one = f"{vid} left {place} at {self._clock(d, place)} with seats to spare"
                    break
            if free_one:
                break
            # idle: between two legs, long enough to come, load, and be back
            drive = self._drive_times(vehicle.fleet)
            for gp_place, a, b in self._gaps(vid):
                come = drive.get((gp_place, place), INF)
                pick = max(a + come, since)
                if pick > until:
                    continue
                for w in ways:
                    if pick + w.duration > latest[w.dst] or pick + w.duration > self.end:
                        continue
                    back = drive.get((w.dst, gp_place), INF) if b < INF else 0
                    if pick + w.duration + back <= b:
                        free_one = f"{vid} stood free at {gp_place} from {self._clock(a, gp_place)}"
                        break
                if free_one:
                    break
            if free_one:
                break
        if free_one:
            self._hint = free_one
            return None
        names = sorted(able)
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        dests = ", ".join(group.destinations)
        one = len(names) == 1
        return Reason(
            "vehicles",
            (f"vehicles {', '.join(names[:6])}" + (" ..." if len(names) > 6 else ""),),
            f"capacity ran out at vehicles: {'the only vehicle' if one else 'every vehicle'} "
            f"that could carry it from {place} ({listed}) was full or on other trips until "
            f"{self._clock(until, place)}, the last moment it could leave {place} and still "
            f"reach {dests} by the end of the horizon",
        )

    def _drive_times(self, fleet_id: str) -> dict[tuple[str, str], int]:
        """Shortest driving time between places for a fleet kind (closures ignored)."""
        if fleet_id in self._drives:
            return self._drives[fleet_id]
        kind = next(k for k in self.s.fleet if k.id == fleet_id)
        out: dict[tuple[str, str], int] = {}
        for src in self.s.locations:
            best = {src: 0}
            heap = [(0, src)]
            while heap:
                t, p = heapq.heappop(heap)
                if t > best.get(p, INF):
                    continue
                out[(src, p)] = t
                for w in self.out[p]:
                    if w.kind == "crossing" and not w.vehicles:
                        continue
                    if w.kind not in ("road", "crossing"):
                        continue
                    if kind.countries is not None and not (
                        {self.country[w.src], self.country[w.dst]} <= kind.countries
                    ):
                        continue
                    if t + w.duration < best.get(w.dst, INF):
                        best[w.dst] = t + w.duration
                        heapq.heappush(heap, (t + w.duration, w.dst))
        self._drives[fleet_id] = out
        return out

    def _gaps(self, vid: str) -> list[tuple[str, int, int]]:
        """When and where the vehicle stands free in the plan: (place, from, until), the
        last until the end (`INF`)."""
        if vid in self._gap_cache:
            return self._gap_cache[vid]
        vehicle = self.s.vehicle_by_id[vid]
        vp = self._plan_vehicles.get(vid)
        gaps = []
        p, t = vehicle.at, max(0, _seconds(self.s.start, vehicle.available))
        for leg in vp.legs if vp else ():
            gaps.append((p, t, _seconds(self.s.start, leg.depart)))
            p, t = leg.to, _seconds(self.s.start, leg.arrive)
        gaps.append((p, t, INF))
        self._gap_cache[vid] = gaps
        return gaps

    # ---- the room a plan leaves

    def _legs_index(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The plan's vehicle legs, by the place they leave and by vehicle, each sorted by
        departure as (departures, legs), a leg being (depart, arrive, to, vehicle,
        crossing, seats left, groups aboard)."""
        if self._legs is None:
            seats = self._group_seats
            by_place: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            by_vehicle: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            for vp in self.plan.vehicles if self.plan is not None else ():
                capacity = self.s.vehicle_by_id[vp.id].seats
                for leg in vp.legs:
                    left = capacity - sum(seats.get(g, 0) for g in leg.groups)
                    d = _seconds(self.s.start, leg.depart)
                    a = _seconds(self.s.start, leg.arrive)
                    trip = (d, a, leg.to, vp.id, leg.crossing, left, leg.groups)
                    by_place[leg.from_].append(trip)
                    by_vehicle[vp.id].append(trip)

            def sorted_by_departure(groups: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
                out = {}
                for key, trips in groups.items():
                    trips.sort(key=lambda trip: trip[:4])
                    out[key] = ([trip[0] for trip in trips], trips)
                return out

            self._legs = (sorted_by_departure(by_place), sorted_by_departure(by_vehicle))
        return self._legs

    def _free_vehicles(
        self, way: _Way, seats: int
    ) -> tuple[list[int], list[tuple[int, str, str, int]]]:
        """The vehicles that stand free long enough in the plan to come to the start of
        `way`, drive it, and be back where they stood by their next leg (driving times
        without closures, so never too strict), with at least `seats`: sorted by the
        latest departure each allows, (latest departures, suffix least (earliest departure,
        vehicle, place it stood at, since when))."""
        key = (way.kind, way.name, way.src, way.dst, seats)
        if key not in self._free_ways:
            options = []
            countries = {self.country[way.src], self.country[way.dst]}
            for kind in self.s.fleet:
                if kind.seats < seats or not (
                    kind.countries is None or countries <= kind.countries
                ):
                    continue
                drive = self._drive_times(kind.id)
                for v in self.s.vehicles:
                    if v.fleet != kind.id:
                        continue
                    for g, a, b in self._gaps(v.id):
                        lo = a + drive.get((g, way.src), INF)
                        back = drive.get((way.dst, g), INF) if b < INF else 0
                        hi = b - back - way.duration if b < INF else INF
                        if lo < INF and lo <= hi:
                            options.append((hi, lo, v.id, g, a))
            options.sort()
            suffix: list[tuple[int, str, str, int]] = []
            least = (INF, "", "", 0)
            for _hi, lo, vid, g, a in reversed(options):
                least = min(least, (lo, vid, g, a))
                suffix.append(least)
            suffix.reverse()
            self._free_ways[key] = ([o[0] for o in options], suffix)
        return self._free_ways[key]

    def _room_way(self, group: Group) -> str | None:
        """A way home for the group from where it started in the room the plan leaves, in
        words, or None when there is none: seats left on the plan's vehicle legs, vehicles
        while they stand free (long enough to come and be back for their next leg), crossing
        hours with room for its people, flights and sailings with seats for it, its own car;
        what the group itself took is given back.

        The search is an earliest-arrival one that is never stricter than the rules: a
        change of vehicle waits the place's transfer, but a vehicle standing free is taken
        to need none after another one, its driving to come and be back ignores closures,
        and places are taken to have room. So None means no plan that moves nobody else
        gets it home; a way found may still break one of those, which is why the reason
        says capacity *seems* to remain. Each place's legs are looked at once, when it is
        first reached (a later arrival can only stay on the vehicle it came by)."""
        gp = self._plan_groups.get(group.id)
        own_services, own_hours = self._own_use(gp.legs if gp else (), group)
        no_services = frozenset(
            w.name
            for w in self.ways
            if w.kind in ("flight", "sailing") and self._no_seats(w, group, own_services)
        )
        shut: dict[str, list[tuple[int, int]]] = {}
        for c in self.s.crossings:
            if c.throughput is not None and group.people > c.throughput:
                shut[c.id] = [(-INF, INF)]
                continue
            starts = self.crossing_starts.get(c.id, {})
            hours = sorted(k for k in starts if self._no_room_in(c.id, k, group, own_hours))
            if hours:
                shut[c.id] = [(k * HOUR, (k + 1) * HOUR) for k in hours]
        by_name = {w.name: w for w in self.ways if w.kind == "crossing"}
        t0 = max(0, _seconds(self.s.start, group.ready))
        origin = (group.at, START)
        best: dict[tuple[str, str], int] = {origin: t0}
        pred: dict[tuple[str, str], tuple[tuple[str, str], tuple[Any, ...]]] = {}
        heap = [(t0, group.at, START)]
        dests = set(group.destinations)
        scanned: set[str] = set()
        free_from: dict[str, int] = {}
        from_place, by_vehicle = self._legs_index()

        def relax(
            state: tuple[str, str], arrive: int, before: tuple[str, str], hop: tuple[Any, ...]
        ) -> None:
            if arrive <= self.end and arrive < best.get(state, INF):
                best[state] = arrive
                pred[state] = (before, hop)
                heapq.heappush(heap, (arrive, *state))

        while heap:
            t, p, mode = heapq.heappop(heap)
            if t > best.get((p, mode), INF):
                continue
            if p in dests:
                hops = []
                state = (p, mode)
                while state != origin:
                    state, hop = pred[state]
                    hops.append(hop)
                return "; then ".join(self._hop_words(*hop) for hop in reversed(hops))
            here = (p, mode)
            for way in self.out[p]:
                for carrier, arrive in self._moves(
                    group, way, p, t, mode, self.end, False, True, False, no_services, shut
                ):
                    relax((way.dst, carrier), arrive, here, ("way", way, carrier, arrive))
            # by a vehicle: one of the plan's legs with seats left (a change of vehicle
            # waits the transfer), or one standing free (taken to need none after a vehicle).
            # Places are reached in time order, so a later arrival can only add staying on
            # the vehicle it came by, and what a free vehicle offers sooner than before.
            aboard_of = mode[len(FLEET) + 1 :] if mode.startswith(FLEET + ":") else None
            change = t if mode == START else t + self.transfer[p]
            legs: list[tuple[Any, ...]] = []
            if p not in scanned:
                scanned.add(p)
                departs, trips = from_place.get(p, ([], []))
                legs = trips[bisect.bisect_left(departs, change) :]
            if aboard_of is not None:
                departs, trips = by_vehicle[aboard_of]
                i = bisect.bisect_left(departs, t)
                legs = legs + [trip for trip in trips[i : i + 1] if trip[0] < change]
            for d, a, to, vid, crossing, left, aboard in legs:
                if left + (group.seats if group.id in aboard else 0) < group.seats:
                    continue
                if crossing is not None and (
                    not self._docs(group, by_name[crossing])
                    or any(lo <= d < hi for lo, hi in shut.get(crossing, ()))
                ):
                    continue
                relax((to, f"{FLEET}:{vid}"), a, here, ("trip", vid, p, to, d))
            x = t if mode.startswith(FLEET) else change
            if x >= free_from.get(p, INF):
                continue
            free_from[p] = x
            for way in self.out[p]:
                if way.kind not in ("road", "crossing") or not self._kinds(group, way):
                    continue
                if not self._docs(group, way):
                    continue
                his, least = self._free_vehicles(way, group.seats)
                i = bisect.bisect_left(his, x)
                if i == len(his):
                    continue
                lo, vid, g, since = least[i]
                if way.kind == "road":
                    d = self._road_depart(way, max(x, lo), self.end, False)
                else:
                    d = self._crossing_depart(
                        way, max(x, lo), self.end, False, shut.get(way.name, [])
                    )
                if d is None:
                    continue
                hop = ("free", vid, g, since, p, way.dst, d)
                relax((way.dst, FLEET), d + way.duration, here, hop)
        return None

    def _hop_words(self, kind: str, *hop: Any) -> str:
        """One step of a way found in the room a plan leaves, in words."""
        if kind == "trip":
            vid, p, to, d = hop
            return f"{vid} left {p} for {to} at {self._clock(d, p)} with seats to spare"
        if kind == "free":
            vid, g, since, p, to, d = hop
            words = f"{vid} stood free at {g} from {self._clock(since, g)}"
            if (g, since) != (p, d):
                return f"{words} and could take it from {p} to {to} at {self._clock(d, p)}"
            return f"{words} and could take it to {to}"
        way, carrier, arrive = hop
        if carrier == SERVICE:
            return f"{self._service_words(way)} {way.name} had seats left"
        d = arrive - way.duration
        if carrier == OWN:
            return f"its own vehicle from {way.src} at {self._clock(d, way.src)}"
        return f"crossing {way.name} had room at {self._clock(d, way.src)}"

    def _no_room_reason(self) -> Reason:
        """A plan not proven optimal with no way home for the group in the room it
        leaves."""
        text = (
            "no way home fits in the room this plan leaves (seats left on its vehicles' trips, "
            "flights and sailings, crossing hours with room, vehicles while they stand free): "
            "a plan would have to move others to take it; this one is not proven optimal, and "
            "a longer time limit may find a better one"
        )
        return Reason("objective", (NOT_PROVEN,), text)

    def _objective_reason(self, group: Group) -> Reason:
        hint, self._hint = self._hint, None
        order = ", then ".join(self.s.objective)
        if self.plan is not None and self.plan.status == "optimal":
            text = (
                "the seats, crossing hours and vehicles it could have used went to groups that "
                f"count more in the objectives ({order}); moving it would make the plan worse"
            )
            if hint:
                text += f" ({hint})"
            return Reason("objective", (), text)
        text = (
            "the plan is not proven optimal and leaves it although capacity seems to remain"
            + (f" ({hint})" if hint else "")
            + "; a longer time limit may move it"
        )
        return Reason("objective", (NOT_PROVEN,), text)
