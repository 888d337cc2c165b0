"""Families left behind taken home in the room a finished plan leaves.

A plan made family by family can leave a family behind while there is still a way home for
it: seats left on a bus that drives its way, a crossing's hour with room, a flight with
seats, and a vehicle standing idle long enough to come for it and be back for its next
trip. :func:`rescue` looks, family by family, for the earliest such way home, from where
the family started or from any place its journey takes it to (it keeps its journey to
there), and makes it when every rule holds:

- a change of carrier waits the place's transfer (rule 2), a flight or sailing its
  check-in (rule 6); staying aboard the same vehicle needs none;
- a bus of the plan is taken only on its legs with seats left for the whole family
  (rule 4); a crossing only in an hour with room for its people, when open, and with the
  documents it accepts (rule 5); a flight or sailing only with seats left and documents
  it accepts (rule 6);
- a vehicle standing idle drives, leg by leg on the step grid and around every road's
  closures, from where it stands to the family, takes it on (along one road or several),
  and drives back to where it stood in time for its next leg (none after its last); its
  seats are the family's alone, and it drives only roads in its countries;
- every place with a capacity has room for the family at each moment it is there (rule 7).

A way that would fill a place beyond its capacity (a family waiting days at an airport
for the one flight with seats) is searched again reaching that place no sooner than its
way on from there needs, so that it waits where it was before; a way that drives one
vehicle in two spells, again without that vehicle (RETRIES searches at most). An idle
vehicle drives roads only, not a crossing.

Each family taken home adds its people to `evacuated`, and nobody else moves, so this runs
only when `evacuated` is the first objective; the families with most weight and people go
first. The seats, hours and vehicle legs a way takes are the next family's room no longer;
a vehicle driven for one family is a bus with seats left for the next.

:func:`hasten` runs the same search for families already evacuated, in the exchanges of the
way on (:mod:`planner.exchange`): a family takes the way found when it is safe or home
sooner by it, in the scenario's objective order.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
import numpy as np

from planner.diagnose import _Explainer, _Way
from planner.exchange import _carrier, _Exchanger, _past
from planner.plan import Leg, LegKind, Plan, VehicleLeg, plan_to_dict
from planner.scenario import FleetKind, Group, Scenario

log = logging.getLogger(__name__)

INF = math.inf

FOOT = "foot"

CHECK_SHARE = 6.0
"""The time kept for checking the plan, in times the time it takes to read it in."""

RETRIES = 4
"""Searches at most for one family (see `_Rescuer.take_home`)."""

EXCURSION_TRIES = 8
"""Idle vehicles tried at most for one road from one place, soonest first: the drive to come
may meet a closure the estimate did not."""

IDLE = "idle:"
"""A family aboard a vehicle driven for it comes by `IDLE` and the vehicle's id: it may ride
on with it, but not onto the vehicle's own later legs."""


@dataclass(frozen=True)
class _Trip:
    """A leg of a fleet vehicle in the plan (or driven for a family), seconds from the
    start."""

    depart: int
    arrive: int
    src: str
    dst: str
    vehicle: str
    crossing: str | None


@dataclass(frozen=True)
class _Excursion:
    """A vehicle standing idle at `at` from `since` until `until` (INF after its last leg)
    that drives `come` to the family, carries it along `carry` and drives `back` (each a
    list of (road, departure))."""

    vehicle: str
    at: str
    since: int
    until: float
    come: tuple[tuple[_Way, int], ...]
    carry: tuple[tuple[_Way, int], ...]


@dataclass(frozen=True)
class _Spells:
    """Idle spells of vehicles that could take a group along one road, as arrays: the
    vehicle's number in the fleet, the number of the place where it stands, from when and
    until when (INF after its last leg), the soonest it can be at the road's start and the
    latest it can leave along the road and be back by its next leg."""

    vehicle: Any
    at: Any
    since: Any
    until: Any
    soonest: Any
    latest: Any

    @staticmethod
    def of(rows: list[tuple[int, int, int, float, int, float]]) -> _Spells:
        columns = list(zip(*rows, strict=True)) if rows else [()] * 6
        return _Spells(
            *(np.array(c, dtype=int) for c in columns[:3]),
            *(np.array(c, dtype=float) for c in columns[3:]),
        )

    def without(self, vehicle: int) -> _Spells:
        keep = self.vehicle != vehicle
        return _Spells(*(getattr(self, f)[keep] for f in _SPELL_FIELDS))

    def plus(self, rows: list[tuple[int, int, int, float, int, float]]) -> _Spells:
        more = _Spells.of(rows)
        return _Spells(
            *(np.concatenate([getattr(self, f), getattr(more, f)]) for f in _SPELL_FIELDS)
        )


_SPELL_FIELDS = ("vehicle", "at", "since", "until", "soonest", "latest")


def _departure(trip: _Trip) -> tuple[int, str]:
    return trip.depart, trip.vehicle


_State = tuple[str, str | None]
"""Where a family is and by what it came: a vehicle id, a service id, `foot`, or None where
it starts (no transfer before its first leg)."""


class _Rescuer:
    """The search for ways home in the room an exchanger's journeys leave."""

    def __init__(self, ex: _Exchanger) -> None:
        self.ex = ex
        self.s = ex.s
        self.x = _Explainer(ex.s)
        self.step = self.x.step
        self.end = self.x.end
        self.kinds = {kind.id: kind for kind in self.s.fleet}
        self.fleet_of = {v.id: v.fleet for v in self.s.vehicles}
        self.itinerary: dict[str, list[_Trip]] = defaultdict(list)
        """Every fleet vehicle's legs in time order."""
        for vid, legs in ex.vehicle_legs.items():
            for leg in legs:
                self.itinerary[vid].append(
                    _Trip(
                        self.ex._seconds(leg.depart),
                        self.ex._seconds(leg.arrive),
                        leg.from_,
                        leg.to,
                        vid,
                        leg.crossing,
                    )
                )
        self.from_place: dict[str, list[_Trip]] = defaultdict(list)
        """Every fleet vehicle's legs by the place they leave, by departure."""
        for trips in self.itinerary.values():
            for trip in trips:
                self.from_place[trip.src].append(trip)
        for trips in self.from_place.values():
            trips.sort(key=_departure)
        self._spell_cache: dict[tuple[str, str], _Spells] = {}
        self.roads = {(w.src, w.dst): w for w in self.x.ways if w.kind == "road"}
        self.number = {v.id: n for n, v in enumerate(self.s.vehicles)}
        self.place_ids = list(self.s.locations)
        self.place_number = {p: n for n, p in enumerate(self.place_ids)}
        self._drives: dict[tuple[str, str, str, int], Any] = {}
        self._statics: dict[str, dict[tuple[str, str], int]] = {}
        self._banned: set[str] = set()
        self._not_before: dict[str, int] = {}

    def _dt(self, seconds: int) -> datetime:
        return self.s.start + timedelta(seconds=seconds)

    # --- a vehicle's drive ---------------------------------------------------------------

    def _drivable(self, kind: FleetKind, way: _Way) -> bool:
        return way.kind == "road" and (
            kind.countries is None
            or {self.x.country[way.src], self.x.country[way.dst]} <= kind.countries
        )

    def _static_drives(self, kind: FleetKind) -> dict[tuple[str, str], int]:
        """The shortest drive between every two places by the roads a vehicle of `kind` may
        drive, closures left out (so never longer than a drive)."""
        if kind.id not in self._statics:
            graph = nx.DiGraph()
            for way in self.x.ways:
                if self._drivable(kind, way):
                    graph.add_edge(way.src, way.dst, weight=way.duration)
            self._statics[kind.id] = {
                (a, b): int(t)
                for a, lengths in nx.all_pairs_dijkstra_path_length(graph)
                for b, t in lengths.items()
            }
        return self._statics[kind.id]

    def _drive(
        self, kind: FleetKind, src: str, dst: str, t: int, end: float
    ) -> tuple[int, tuple[tuple[_Way, int], ...]] | None:
        """The earliest arrival at `dst` of a vehicle of `kind` leaving `src` at `t` or later,
        road by road on the step grid around closures, when it is by `end`; and its roads
        with their departures."""
        key = (kind.id, src, dst, t)
        if key not in self._drives:
            self._drives[key] = self._fastest(kind, src, dst, t)
        found = self._drives[key]
        return found if found is not None and found[0] <= end else None

    def _fastest(
        self, kind: FleetKind, src: str, dst: str, t: int
    ) -> tuple[int, tuple[tuple[_Way, int], ...]] | None:
        if src == dst:
            return t, ()
        best = {src: t}
        pred: dict[str, tuple[str, _Way, int]] = {}
        heap = [(t, src)]
        while heap:
            now, p = heapq.heappop(heap)
            if now > best.get(p, INF):
                continue
            if p == dst:
                roads = []
                while p != src:
                    p, way, d = pred[p]
                    roads.append((way, d))
                return now, tuple(reversed(roads))
            for way in self.x.out[p]:
                if not self._drivable(kind, way):
                    continue
                leave = self.x._road_depart(way, now, self.end, True)
                if leave is not None and leave + way.duration < best.get(way.dst, INF):
                    best[way.dst] = leave + way.duration
                    pred[way.dst] = (p, way, leave)
                    heapq.heappush(heap, (leave + way.duration, way.dst))
        return None

    def _idle(self, vid: str) -> Iterator[tuple[str, int, float]]:
        """Where and when the vehicle stands idle: (place, from, until), until its next leg,
        the last until INF."""
        vehicle = self.s.vehicle_by_id[vid]
        p, t = vehicle.at, max(0, self.ex._seconds(vehicle.available))
        for trip in self.itinerary.get(vid, ()):
            if trip.depart > t:
                yield p, t, trip.depart
            p, t = trip.dst, trip.arrive
        yield p, t, INF

    def _spells(self, way: _Way) -> _Spells:
        """Every idle spell of a vehicle that could take a group along `way` (see
        `_Spells`), kept up to date as vehicles are driven (`_drive_for`)."""
        key = (way.src, way.dst)
        if key not in self._spell_cache:
            rows = [row for v in self.s.vehicles for row in self._spell_rows(v.id, way)]
            self._spell_cache[key] = _Spells.of(rows)
        return self._spell_cache[key]

    def _spell_rows(self, vid: str, way: _Way) -> Iterator[tuple[int, int, int, float, int, float]]:
        """The vehicle's idle spells that could take a group along `way`: (vehicle number,
        place number, from, until, soonest at the way's start, latest departure along it),
        by the fastest drives (closures left out, so never too strict)."""
        kind = self.kinds[self.fleet_of[vid]]
        if not self._drivable(kind, way):
            return
        times = self._static_drives(kind)
        for at, since, until in self._idle(vid):
            come = times.get((at, way.src))
            back = 0 if until == INF else times.get((way.dst, at))
            if come is None or back is None:
                continue
            if since + come + way.duration + back <= until:
                latest = until - back - way.duration
                yield self.number[vid], self.place_number[at], since, until, since + come, latest

    def _excursions(self, group: Group, way: _Way, x: int) -> Iterator[_Excursion]:
        """Vehicles standing idle that can take the group along `way` from `x` on, come and
        back in time, soonest first by the fastest drives (the drive itself keeps every
        closure; of alike, the first in the fleet); at most EXCURSION_TRIES of them."""
        spells = self._spells(way)
        d = np.maximum(spells.soonest, x)
        fits = np.flatnonzero(d <= spells.latest)
        order = fits[np.lexsort((spells.vehicle[fits], d[fits]))]
        for i in order[:EXCURSION_TRIES]:
            vehicle = self.s.vehicles[int(spells.vehicle[i])]
            at = self.place_ids[int(spells.at[i])]
            since, until = int(spells.since[i]), float(spells.until[i])
            kind = self.kinds[vehicle.fleet]
            if kind.seats < group.seats or vehicle.id in self._banned:
                continue
            drive = self._drive(kind, at, way.src, since, until)
            if drive is None:
                continue
            there, come = drive
            depart = self.x._road_depart(way, max(x, there), self.end, True)
            if depart is None or not self._returns(
                vehicle.id, at, until, way.dst, depart + way.duration
            ):
                continue
            yield _Excursion(vehicle.id, at, since, until, come, ((way, depart),))

    def _returns(self, vid: str, at: str, until: float, place: str, t: int) -> bool:
        """The vehicle, at `place` at `t`, can be back at `at` by `until`."""
        if until == INF:
            return True
        kind = self.kinds[self.fleet_of[vid]]
        back = self._drive(kind, place, at, t, until)
        return back is not None and back[0] <= until

    # --- the search ------------------------------------------------------------------------

    def _full_hours(self, group: Group) -> dict[str, list[tuple[int, int]]]:
        """Per crossing with a throughput, the hours (seconds) without room for the
        group's people."""
        shut: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for room, used in self.ex.used.items():
            if room[0] != "crossing":
                continue
            limit = self.ex._limit(room)
            if used + group.people > limit:
                k = room[2]
                shut[room[1]].append((k * 3600, (k + 1) * 3600))
        for c in self.s.crossings:
            if c.throughput is not None and group.people > c.throughput:
                shut[c.id] = [(-self.end - 86400, 2 * self.end + 86400)]
        return shut

    def _room_on(self, group: Group, trip: _Trip) -> bool:
        room = ("vehicle", trip.vehicle, trip.src, self._dt(trip.depart))
        return self.ex.used.get(room, 0) + group.seats <= self.ex.capacity_of[trip.vehicle]

    def way_home(self, group: Group) -> tuple[list[Leg], list[_Excursion]] | None:
        """The earliest way home the room left allows the group, as its whole new journey
        (what it keeps of its journey and the way on) and the idle vehicles driven for it,
        or None. The group's own journey is
        taken out of the room before the search."""
        ex = self.ex
        old = ex.legs[group.id]
        for leg in old:
            ex._use(group, leg, -1)
        try:
            return self._search(group, old)
        finally:
            for leg in old:
                ex._use(group, leg, 1)

    def _search(self, group: Group, old: list[Leg]) -> tuple[list[Leg], list[_Excursion]] | None:
        ex = self.ex
        shut = self._full_hours(group)
        dests = set(group.destinations)
        best: dict[_State, int] = {}
        pred: dict[_State, tuple[Any, ...]] = {}
        heap: list[tuple[int, int, str, str | None]] = []
        order = 0

        def relax(state: _State, t: int, how: tuple[Any, ...]) -> None:
            nonlocal order
            if t <= self.end and t < best.get(state, INF):
                best[state] = t
                pred[state] = how
                order += 1
                heapq.heappush(heap, (t, order, *state))

        # sources: where it starts, and each place its journey takes it to
        relax((group.at, None), max(0, self.ex._seconds(group.ready)), ("source", 0))
        for n, leg in enumerate(old, start=1):
            if leg.to not in dests:
                relax((leg.to, _carrier(leg)), self.ex._seconds(leg.arrive), ("source", n))
        scanned: set[str] = set()
        not_before = self._not_before

        def soon_enough(place: str, arrive: int) -> bool:
            """Not sooner than a step before the group must be at `place` (`_later_at`)."""
            return place not in not_before or arrive > not_before[place] - self.step

        def no_sooner(x: int, way: _Way) -> int:
            """The earliest departure along `way` to consider from `x` on: that grid time
            which arrives within a step before the group must be at its end."""
            if way.dst not in not_before:
                return x
            return max(x, (not_before[way.dst] - way.duration) // self.step * self.step)

        while heap:
            t, _, p, came = heapq.heappop(heap)
            state = (p, came)
            if t > best.get(state, INF):
                continue
            if p in dests:
                return self._journey(group, old, state, pred)
            transfer = self.x.transfer[p]
            change = t if came is None else t + transfer
            # the plan's vehicles: staying aboard, or any leg with seats after the transfer
            # (looked at once per place, when first reached: a later arrival only adds
            # staying aboard)
            aboard = None
            if came is not None and came in self.itinerary:
                legs = self.itinerary[came]
                aboard = next((x for x in legs if x.src == p and x.depart >= t), None)
            first = p not in scanned  # the soonest the group can change carrier here
            trips: list[_Trip] = []
            if first:
                scanned.add(p)
                here = self.from_place.get(p, [])
                trips = here[bisect.bisect_left(here, change, key=lambda trip: trip.depart) :]
            seen: set[tuple[str, str | None]] = set()  # the first of each scanned will do
            for trip in [aboard, *trips] if aboard is not None else trips:
                if (trip.dst, trip.crossing) in seen or not soon_enough(trip.dst, trip.arrive):
                    continue
                if self._room_on(group, trip) and self._may_cross(group, trip, shut):
                    if trip is not aboard:
                        seen.add((trip.dst, trip.crossing))
                    relax((trip.dst, trip.vehicle), trip.arrive, ("trip", state, trip))
            for way in self.x.out[p]:
                if way.kind in ("flight", "sailing"):
                    service = self.s.service_by_id[way.name]
                    if (
                        self.x._docs(group, way)
                        and ex.used.get(("service", way.name), 0) + group.seats <= service.seats
                        and t <= way.departs - max(way.check_in, transfer)
                        and way.arrives <= self.end
                        and soon_enough(way.dst, way.arrives)
                    ):
                        relax((way.dst, way.name), way.arrives, ("service", state, way))
                elif way.kind == "crossing":
                    if not self.x._docs(group, way):
                        continue
                    x = t if came in (None, FOOT) else change
                    x = no_sooner(x, way)
                    on_foot = self.x._crossing_depart(
                        way, x, self.end, True, shut.get(way.name, [])
                    )
                    if on_foot is not None:
                        relax(
                            (way.dst, FOOT), on_foot + way.duration, ("foot", state, way, on_foot)
                        )
                elif first and not group.own_vehicle:
                    # an idle vehicle comes no sooner for a later arrival
                    x = no_sooner(change, way)
                    for excursion in self._excursions(group, way, x):
                        arrive = excursion.carry[-1][1] + way.duration
                        relax(
                            (way.dst, IDLE + excursion.vehicle), arrive, ("idle", state, excursion)
                        )
                        break
            if came is not None and came.startswith(IDLE):
                # riding on with the vehicle driven for it, while it can still be back
                excursion = pred[state][2]
                kind = self.kinds[self.fleet_of[excursion.vehicle]]
                for way in self.x.out[p]:
                    if not self._drivable(kind, way):
                        continue
                    on = self.x._road_depart(way, no_sooner(t, way), self.end, True)
                    if on is None or not self._returns(
                        excursion.vehicle, excursion.at, excursion.until, way.dst, on + way.duration
                    ):
                        continue
                    longer = replace(excursion, carry=(*excursion.carry, (way, on)))
                    relax((way.dst, came), on + way.duration, ("idle", state, longer))
        return None

    def _may_cross(self, group: Group, trip: _Trip, shut: dict[str, list[tuple[int, int]]]) -> bool:
        """A vehicle's crossing leg takes the group: its documents, and room in the hour."""
        if trip.crossing is None:
            return True
        crossing = self.s.crossing_by_id[trip.crossing]
        if not group.holds_accepted(crossing.documents):
            return False
        return not any(a <= trip.depart < b for a, b in shut.get(trip.crossing, ()))

    def _journey(
        self, group: Group, old: list[Leg], state: _State, pred: dict[_State, tuple[Any, ...]]
    ) -> tuple[list[Leg], list[_Excursion]]:
        """The group's new journey ending at `state`: the legs it keeps and those found; and
        the idle vehicles driven for it."""
        hops: list[tuple[Any, ...]] = []
        how = pred[state]
        while how[0] != "source":
            hops.append(how)
            how = pred[how[1]]
        legs = list(old[: how[1]])
        pending: list[_Excursion] = []
        for hop in reversed(hops):
            kind = hop[0]
            if kind == "trip":
                trip: _Trip = hop[2]
                legs.append(
                    Leg(
                        "crossing" if trip.crossing else "road",
                        trip.src,
                        trip.dst,
                        self._dt(trip.depart),
                        self._dt(trip.arrive),
                        vehicle=trip.vehicle,
                        crossing=trip.crossing,
                    )
                )
            elif kind == "service":
                way: _Way = hop[2]
                legs.append(
                    Leg(
                        "flight" if way.kind == "flight" else "sailing",
                        way.src,
                        way.dst,
                        self._dt(way.departs),
                        self._dt(way.arrives),
                        service=way.name,
                    )
                )
            elif kind == "foot":
                legs.append(self._along("crossing", hop[2], hop[3], crossing=hop[2].name))
            else:
                excursion: _Excursion = hop[2]
                if (
                    pending
                    and pending[-1].vehicle == excursion.vehicle
                    and pending[-1].carry == excursion.carry[:-1]
                ):
                    pending[-1] = excursion  # rode on with it
                else:
                    pending.append(excursion)
                way, d = excursion.carry[-1]
                legs.append(self._along("road", way, d, vehicle=excursion.vehicle))
        return legs, pending

    def _along(self, kind: LegKind, way: _Way, depart: int, **carrier: str) -> Leg:
        """The leg along a road or crossing leaving at `depart` (seconds from the start)."""
        return Leg(
            kind, way.src, way.dst, self._dt(depart), self._dt(depart + way.duration), **carrier
        )

    # --- making it ---------------------------------------------------------------------------

    def take_home(self, group: Group) -> bool:
        """Search a way home for the group and make it when every rule holds (see
        :meth:`_take`)."""
        if not self._take(group, lambda legs: True):
            return False
        self.ex.home.add(group.id)
        return True

    def hasten(self, group: Group, key: Callable[[list[Leg]], tuple[float, ...]]) -> bool:
        """Search a way home for the evacuated group in the room the others leave and make it
        when every rule holds (see :meth:`_take`) and `key` (the group's share of the
        objectives, in their order) is smaller for it than for the group's journey, and it
        ends no later than the plan's last arrival."""
        before = key(self.ex.legs[group.id])
        last = self.ex.last if self.ex.last is not None else -INF
        return self._take(
            group, lambda legs: key(legs) < before and self.ex._hours(legs[-1].arrive) <= last
        )

    def _take(self, group: Group, better: Callable[[list[Leg]], bool]) -> bool:
        """Search a way home for the group and make it when `better` holds for it and every
        rule holds. A way that drives one vehicle twice is searched again without it; one
        that would fill a place beyond its capacity, again arriving there no sooner than its
        way on needs (it waits where it was before instead), up to RETRIES times."""
        self._banned = set()
        self._not_before = {}
        for _ in range(RETRIES):
            found = self.way_home(group)
            if found is None:
                return False
            legs, excursions = found
            if not better(legs):
                return False
            driven = Counter(e.vehicle for e in excursions)
            twice = {vid for vid, n in driven.items() if n > 1}
            if twice:
                self._banned |= twice
                continue
            new = {group.id: legs}
            if not self.ex._room(new):
                return False
            full = self.ex._full_place(new)
            if full is not None:
                if not self._later_at(full[0], legs):
                    return False
                continue
            for excursion in excursions:
                self._drive_for(excursion)
            self.ex.apply(new)
            return True
        return False

    def _later_at(self, place: str, legs: list[Leg]) -> bool:
        """Have the next search reach `place` no sooner than the leg on from it in `legs`
        needs; False when it already does."""
        for n, leg in enumerate(legs[:-1]):
            if leg.to != place:
                continue
            on = legs[n + 1]
            needed = self.ex._seconds(on.depart - self.ex.lead(_carrier(leg), on))
            if needed > self.ex._seconds(leg.arrive) and needed > self._not_before.get(place, -1):
                self._not_before[place] = needed
                return True
        return False

    def _drive_for(self, e: _Excursion) -> None:
        """Add the vehicle's legs: to the family, with it, and back where it stood."""
        kind = self.kinds[self.fleet_of[e.vehicle]]
        roads = list(e.come) + list(e.carry)
        last_way, last_d = e.carry[-1]
        if e.until != INF:
            back = self._drive(kind, last_way.dst, e.at, last_d + last_way.duration, e.until)
            assert back is not None
            roads += list(back[1])
        trips = [_Trip(d, d + way.duration, way.src, way.dst, e.vehicle, None) for way, d in roads]
        itinerary = self.itinerary[e.vehicle]
        itinerary.extend(trips)
        itinerary.sort(key=lambda trip: trip.depart)
        legs = self.ex.vehicle_legs.setdefault(e.vehicle, [])
        for trip in trips:
            legs.append(
                VehicleLeg("road", trip.src, trip.dst, self._dt(trip.depart), self._dt(trip.arrive))
            )
            bisect.insort(self.from_place[trip.src], trip, key=_departure)
        legs.sort(key=lambda leg: leg.depart)
        # its idle spells are others now
        number = self.number[e.vehicle]
        for key, spells in self._spell_cache.items():
            rows = list(self._spell_rows(e.vehicle, self.roads[key]))
            self._spell_cache[key] = spells.without(number).plus(rows)


def rescue(ex: _Exchanger, deadline: float | None) -> int:
    """Take home the families `ex`'s plan leaves behind where the room it leaves allows
    (see the module's docstring), by `deadline`; their journeys and the vehicle legs driven
    for them are `ex`'s. Returns how many were taken home."""
    s = ex.s
    left = [s.group_by_id[gid] for gid in ex.legs if gid not in ex.home]
    if not left or not s.objective or s.objective[0] != "evacuated":
        return 0
    rescuer = _Rescuer(ex)
    left.sort(key=lambda g: (-s.weight(g), -g.people, g.id))
    taken = 0
    for group in left:
        if _past(deadline):
            break
        if rescuer.take_home(group):
            taken += 1
    return taken


def hasten(ex: _Exchanger, deadline: float | None) -> set[str]:
    """Each family evacuated takes the way home the search finds in the room the others
    leave (:meth:`_Rescuer.way_home`: from where it starts or any place its journey takes it
    to, on the plan's vehicles with seats, a crossing's hour with room, a flight or sailing
    with seats, or a vehicle standing idle driven for it) when that is better for the
    objectives in the scenario's order (it is safe or home sooner) and ends no later than the
    plan's last arrival; the families with most weighted hours in danger first, by
    `deadline`. A family that waited for a bus that came late may now take one that leaves
    sooner from where it was, or an idle one that fetches it in time for a flight. Returns
    the families moved."""
    s = ex.s
    order = [o for o in s.objective if o in ("exposure", "arrival")]
    if not order:
        return set()

    def safe(legs: list[Leg]) -> float:
        """Hours in danger: until the first safe place (the horizon when none is)."""
        hours = ex._safe_by(legs)
        return ex.horizon if math.isnan(hours) else hours

    def in_danger(legs: list[Leg]) -> tuple[float, ...]:
        return tuple(safe(legs) if o == "exposure" else ex._hours(legs[-1].arrive) for o in order)

    def at_home(legs: list[Leg]) -> tuple[float, ...]:  # a family safe from the start
        return tuple(0.0 if o == "exposure" else ex._hours(legs[-1].arrive) for o in order)

    def danger(group: Group) -> float:
        if not s.locations[group.at].danger:
            return 0.0
        return float(s.weight(group)) * group.people * safe(ex.legs[group.id])

    families = [s.group_by_id[gid] for gid in ex.home if ex.legs.get(gid)]
    families.sort(key=lambda g: (-danger(g), g.id))
    rescuer = _Rescuer(ex)
    moved = set()
    for group in families:
        if _past(deadline):
            break
        key = in_danger if s.locations[group.at].danger else at_home
        if rescuer.hasten(group, key):
            moved.add(group.id)
    return moved


def rescued(
    scenario: Scenario, plan: Plan, deadline: float | None = None, checked: bool = True
) -> Plan:
    """`plan` with the families it leaves behind taken home where the room it leaves
    allows (:func:`rescue`), by `deadline` (time.monotonic()), checked by
    `planner.check` before it is returned (`plan` itself when none is, or the check finds
    a rule broken); `stats.rescued` counts them. With `checked` false, the caller checks
    it before it keeps it, if ever: the check takes about twice as long as the rest on
    15,000 people."""
    if _past(deadline) or all(g.status == "evacuated" for g in plan.groups):
        return plan
    began = time.monotonic()
    ex = _Exchanger(scenario, plan)
    # the check afterwards takes about as long as reading the plan in
    reserve = CHECK_SHARE * (time.monotonic() - began) if checked else 0.0
    taken = rescue(ex, None if deadline is None else deadline - reserve)
    if not taken:
        return plan
    out = ex.plan(plan)
    if checked:
        from planner.check import check_plan

        broken = check_plan(scenario, plan_to_dict(out, scenario))
        if broken:
            log.warning("families taken home in the room left break %s: not kept", broken[0])
            return plan
    log.info(
        "families left behind taken home in the room left: %d, in %.1f s: %s",
        taken,
        time.monotonic() - began,
        out.objective,
    )
    return replace(out, stats=dict(out.stats, rescued=taken))
