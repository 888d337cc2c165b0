"""Exchanges of the way on: a family takes the rest of another's journey from where both are.

A plan made family by family can leave a family of high priority waiting at a place while a
family of lower priority, there as early, leaves first and is safe hours sooner: the
dispatcher books a crossing's hour when a family sets off, so who crosses first is whoever
set off first. Two such families can **swap** their ways on from that place (the same
vehicles, crossing hours, flights and sailings; in the same seats when they are the same
size), which changes no one else's journey and lowers the exposure when the family that now
goes first counts more. A family can also **join** another's way on where there is room for
it on every leg (a bus that left with seats free, a crossing's hour not full), and leave
its own.

:func:`exchange` looks for such moves in a finished plan and makes them, best first, while
the objectives improve in the scenario's order. Every rule is kept: a move is made only when
the family can start its new way on (ready, or arrived with the transfer or check-in it
needs), holds the documents it asks for and ends it at one of its destinations, and when
the vehicles, crossings, flights, sailings and places it touches have room for it. Who is
evacuated never changes, and the last arrival never comes later.

The legs are first made as soon as the rules allow (:mod:`planner.retime`). When the rounds
find nothing more, the ways on at each place are shared out afresh (:mod:`planner.regroup`),
the legs are made sooner again, and each family takes a sooner way home in the room the
others leave when there is one (:func:`planner.rescue.hasten`); then the rounds start
again.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np

from planner.model import better
from planner.plan import Leg, Plan, VehicleLeg, VehiclePlan, evaluate_objectives
from planner.scenario import Group, Scenario

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)

PAIRS = 1_000_000
"""Pairs of stops looked at in one go (numpy arrays of that length)."""

PER_PLACE = 20_000
"""Improving moves kept per place and round at most, the best: a city's thousands of
families make millions of pairs."""

REGROUP_SHARE = 0.7
"""Share of the time left for sharing the ways on out afresh at every place, before legs are
made sooner and families take sooner ways home in the room left."""

ROUNDS = 50
"""Rounds of exchanges at most; each makes every improving move it can, each family moved
once at most."""


@dataclass
class _Stop:
    """A family at a place from where its way on may be exchanged: it is there (ready, or
    arrived) at `there`, came by `came` (None before its first leg) and leaves by leg
    `at` of its journey."""

    group: str
    at: int
    there: datetime
    came: str | None
    leaves: datetime


def _best(found: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The PER_PLACE best of moves found (see `_Exchanger._better`), best first."""
    table, bj, bi, both = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort(table.T[::-1])[:PER_PLACE]
    return table[order], bj[order], bi[order], both[order]


class _Values(NamedTuple):
    """Per stop at a place, in hours from the start: when its family was safe before it
    (0 when it started safe; NaN when not yet), when its way on makes it safe (the horizon
    when never), when it is safe now, when it arrives at the end; and its people, and
    people times priority weight."""

    before: np.ndarray
    after: np.ndarray
    now: np.ndarray
    end: np.ndarray
    people: np.ndarray
    weighted: np.ndarray
    home: np.ndarray
    """Whether the family is evacuated."""


_Room = tuple[Any, ...]
"""A room with a limit: ("vehicle", id, from, departure), ("crossing", id, hour from the
start) or ("service", id)."""

_Found = tuple[tuple[float, ...], str, int, str, int, bool]
"""A move found: how the objectives change, the family that takes the other's way on and
the leg it starts from, the other family and its leg, and whether the other takes the
first's way on too (a swap)."""


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _carrier(leg: Leg) -> str:
    """Who carries a leg (docs/rules.md): the vehicle, the service, or `foot`."""
    return leg.vehicle or leg.service or "foot"


class _Exchanger:
    """The plan's journeys and what they use, kept up to date as families move."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.s = scenario
        self.start = scenario.start
        self.horizon = scenario.horizon.total_seconds() / 3600.0
        self.forever = scenario.end + timedelta(days=1)
        self.legs: dict[str, list[Leg]] = {}
        """The journey of every family that may move (not one with its own car, which goes
        with it), evacuated or not."""
        self.home: set[str] = set()
        """The families evacuated."""
        self.capacity_of = {v.id: v.seats for v in scenario.vehicles}
        self.held: set[tuple[str | None, str, datetime]] = set()
        """The fleet vehicle legs (vehicle, from, departure) of families that go with their
        own car too: those stay where they are."""
        self.used: dict[_Room, int] = defaultdict(int)
        """What the journeys use of each room that has a limit (see `_uses`)."""
        self.stays: dict[str, list[tuple[int, int]]] = defaultdict(list)
        """Per place with a capacity: (second, people) as they arrive and (second, -people)
        as they leave, in time order (leaving first at the same second)."""
        ends = []
        for g in plan.groups:
            group = scenario.group_by_id[g.id]
            for leg in g.legs:
                self._use(group, leg, 1)
            for place, arrive, leaves in self._stays(list(g.legs)):
                self.stays[place].append((arrive, group.people))
                self.stays[place].append((leaves, -group.people))
            if g.status == "evacuated" and g.legs:
                ends.append(g.legs[-1].arrive)
            if any(leg.vehicle == "own" for leg in g.legs):
                self.held |= {
                    (leg.vehicle, leg.from_, leg.depart) for leg in g.legs if leg.vehicle != "own"
                }
                continue  # the car goes with the family
            self.legs[g.id] = list(g.legs)
            if g.status == "evacuated":
                self.home.add(g.id)
        self.last = self._hours(max(ends)) if ends else None
        """The last arrival of an evacuated family, in hours (None when none is)."""
        for events in self.stays.values():
            events.sort()
        self.vehicle_legs = {v.id: list(v.legs) for v in plan.vehicles}
        """Every fleet vehicle's legs in time order, as made earlier (:mod:`planner.retime`)
        and driven for families (:mod:`planner.rescue`)."""
        self.present: dict[str, np.ndarray] = {}
        self.made: Counter[str] = Counter()
        """Moves made: swaps, joins, and of the joins those that took a family home."""
        self.failed: set[tuple[str, int, str, int, bool]] = set()
        """Moves found not to keep the rules, (family, leg, family, leg, both), while
        neither family has moved since; room made elsewhere is not looked at again."""

    # --- what a journey uses ----------------------------------------------------------

    def _uses(self, group: Group, leg: Leg) -> Iterator[tuple[_Room, int]]:
        """The rooms with a limit that `group` takes on `leg`, and how much of each: the
        seats of a fleet vehicle on that leg (rule 4), people in a crossing's hour from the
        start (rule 5), the seats of a flight or sailing (rule 6)."""
        if leg.vehicle is not None and leg.vehicle != "own":
            yield ("vehicle", leg.vehicle, leg.from_, leg.depart), group.seats
        if leg.crossing is not None:
            yield ("crossing", leg.crossing, (leg.depart - self.start) // HOUR), group.people
        if leg.service is not None:
            yield ("service", leg.service), group.seats

    def _limit(self, room: _Room) -> float:
        """How much of `room` there is (infinite for a crossing without a throughput)."""
        if room[0] == "vehicle":
            return self.capacity_of[room[1]]
        if room[0] == "crossing":
            throughput = self.s.crossing_by_id[room[1]].throughput
            return math.inf if throughput is None else throughput
        return self.s.service_by_id[room[1]].seats

    def _use(self, group: Group, leg: Leg, sign: int) -> None:
        for room, amount in self._uses(group, leg):
            self.used[room] += sign * amount

    def _stays(self, legs: list[Leg]) -> list[tuple[str, int, int]]:
        """(place, arrival, departure) of every stay at a place with a capacity, as rule 7
        counts them: from an arrival to the next departure, for ever after the last
        (seconds from the start)."""
        out = []
        for n, leg in enumerate(legs):
            if self.s.locations[leg.to].capacity is None:
                continue
            leaves = legs[n + 1].depart if n + 1 < len(legs) else self.forever
            if leaves > leg.arrive:
                out.append((leg.to, self._seconds(leg.arrive), self._seconds(leaves)))
        return out

    def _seconds(self, when: datetime) -> int:
        return int((when - self.start).total_seconds())

    # --- the families' stops ------------------------------------------------------------

    def stops(self) -> dict[str, list[_Stop]]:
        """Per place, the stops of every family there, by departure."""
        out: dict[str, list[_Stop]] = defaultdict(list)
        for gid, legs in self.legs.items():
            group = self.s.group_by_id[gid]
            for n, leg in enumerate(legs):
                out[leg.from_].append(self._stop(gid, n))
            if gid not in self.home:  # where it is left: it may still take a way on
                out[legs[-1].to if legs else group.at].append(self._stop(gid, len(legs)))
        for stops in out.values():
            stops.sort(key=lambda s: (s.leaves, s.group))
        return out

    def _stop(self, gid: str, n: int) -> _Stop:
        """The stop of a family before leg `n` of its journey (after the last: where it is
        left, leaving never)."""
        legs = self.legs[gid]
        leaves = legs[n].depart if n < len(legs) else self.forever
        if n == 0:
            return _Stop(gid, 0, self.s.group_by_id[gid].ready, None, leaves)
        return _Stop(gid, n, legs[n - 1].arrive, _carrier(legs[n - 1]), leaves)

    def _can_start(self, group: Group, stop: _Stop, leg: Leg) -> bool:
        """Rule 2 and rule 6's check-in: `group`, at `stop`, can take `leg` next."""
        return stop.there + self.lead(stop.came, leg) <= leg.depart

    def lead(self, came: str | None, leg: Leg) -> timedelta:
        """How long before `leg` departs a family that came by `came` (None: where it
        starts) must be at its place: a flight or sailing's check-in (or the place's
        transfer, the longer), the transfer on a change of carrier (rules 2 and 6)."""
        place = self.s.locations[leg.from_]
        if leg.service is not None:
            return max(self.s.service_by_id[leg.service].check_in, place.transfer)
        if came is None or came == _carrier(leg):
            return timedelta(0)
        return place.transfer

    def _accepted(self, group: Group, legs: list[Leg]) -> bool:
        """Rules 5 and 6: the group holds documents every crossing and service accepts."""
        for leg in legs:
            if leg.crossing is not None:
                accepted = self.s.crossing_by_id[leg.crossing].documents
            elif leg.service is not None:
                accepted = self.s.service_by_id[leg.service].documents
            else:
                continue
            if not group.holds_accepted(accepted):
                return False
        return True

    def _hours(self, when: datetime) -> float:
        return (when - self.start).total_seconds() / 3600.0

    def _safe_by(self, legs: list[Leg]) -> float:
        """Hours from the start until the first arrival at a safe place by `legs`; NaN when
        none is safe."""
        for leg in legs:
            if not self.s.locations[leg.to].danger:
                return self._hours(leg.arrive)
        return math.nan

    # --- a move -------------------------------------------------------------------------

    def _new(self, a: _Stop, b: _Stop, both: bool) -> dict[str, list[Leg]]:
        """The journeys a move changes: `a`'s family takes `b`'s way on, and with `both`,
        `b`'s family takes `a`'s."""
        la, lb = self.legs[a.group], self.legs[b.group]
        new = {a.group: la[: a.at] + lb[b.at :]}
        if both:
            new[b.group] = lb[: b.at] + la[a.at :]
        return new

    def _may_take(self, a: _Stop, b: _Stop) -> bool:
        """`a`'s family can start `b`'s way on (rule 2, rule 6's check-in), holds the
        documents it asks for (rules 5, 6) and ends it at one of its destinations."""
        group = self.s.group_by_id[a.group]
        way = self.legs[b.group][b.at :]
        return (
            self._can_start(group, a, way[0])
            and way[-1].to in group.destinations
            and self._accepted(group, way)
        )

    def feasible(self, a: _Stop, b: _Stop, both: bool) -> bool:
        """Every rule holds after the move (see `_new`)."""
        if not self._may_take(a, b) or (both and not self._may_take(b, a)):
            return False
        ga, gb = self.s.group_by_id[a.group], self.s.group_by_id[b.group]
        if both and ga.people == gb.people and ga.seats == gb.seats:
            return True  # the same room in the same places: nothing else changes
        new = self._new(a, b, both)
        return self._room(new) and self._place_room(new)

    def _room(self, new: dict[str, list[Leg]]) -> bool:
        """Vehicle seats, crossing throughput and service seats for the new journeys."""
        more: dict[_Room, int] = defaultdict(int)
        for gid, legs in new.items():
            group = self.s.group_by_id[gid]
            for journey, sign in ((self.legs[gid], -1), (legs, 1)):
                for leg in journey:
                    for room, amount in self._uses(group, leg):
                        more[room] += sign * amount
        return all(n <= 0 or self.used[room] + n <= self._limit(room) for room, n in more.items())

    def _place_room(self, new: dict[str, list[Leg]]) -> bool:
        """Rule 7 at every place with a capacity whose stays the new journeys change."""
        return self._full_place(new) is None

    def _full_place(self, new: dict[str, list[Leg]]) -> tuple[str, int] | None:
        """A place with a capacity the new journeys would fill beyond it, and the first
        second it would (None when rule 7 holds at every place)."""
        delta: dict[str, Counter[int]] = defaultdict(Counter)
        for gid, legs in new.items():
            people = self.s.group_by_id[gid].people
            for journey, sign in ((self.legs[gid], -1), (legs, 1)):
                for place, arrive, leaves in self._stays(journey):
                    delta[place][arrive] += sign * people
                    delta[place][leaves] -= sign * people
        return self._overfull(delta)

    def _overfull(self, delta: dict[str, Counter[int]]) -> tuple[str, int] | None:
        """A place the changes in people present (per place, per second: how many more
        arrive, or fewer when negative, minus those leaving) would fill beyond its capacity,
        and the first second it would; None when none would."""
        for place, net in delta.items():
            # what changes at a second is what counts there: the same stay before and after
            # (for ever at the end of a journey) changes nothing
            changes = sorted((second, n) for second, n in net.items() if n)
            if not changes:
                continue
            capacity = self.s.locations[place].capacity
            assert capacity is not None
            events = self.stays[place]
            first = bisect.bisect_left(events, (changes[0][0], -math.inf))
            last = bisect.bisect_right(events, (changes[-1][0], math.inf))
            count = self._present(place)[first - 1] if first else 0
            for second, n in sorted([*events[first:last], *changes]):
                count += n
                if count > capacity:
                    return place, second
        return None

    def _present(self, place: str) -> np.ndarray:
        """People at `place` after each of its events (`stays`), kept up to date as moves
        change them once worked out."""
        present = self.present.get(place)
        if present is None:
            events = self.stays[place]
            people = np.fromiter((n for _, n in events), dtype=np.int64, count=len(events))
            present = self.present[place] = np.cumsum(people)
        return present

    def _event(self, place: str, second: int, people: int, sign: int) -> None:
        """Add (`sign` 1) or take away (-1) the event of `people` arriving (or leaving, when
        negative) at `place` at `second`, and the people present after each event."""
        events = self.stays[place]
        present = self.present.get(place)
        if sign > 0:
            i = bisect.bisect_right(events, (second, people))
            events.insert(i, (second, people))
            if present is not None:
                present = np.insert(present, i, (present[i - 1] if i else 0) + people)
                present[i + 1 :] += people
        else:
            i = bisect.bisect_left(events, (second, people))
            events.pop(i)
            if present is not None:
                present = np.delete(present, i)
                present[i:] -= people
        if present is not None:
            self.present[place] = present

    def apply(self, new: dict[str, list[Leg]]) -> None:
        """Make a move: journeys, what they use, and the stays at places."""
        for gid, legs in new.items():
            group = self.s.group_by_id[gid]
            old = self.legs[gid]
            for leg in old:
                self._use(group, leg, -1)
            for leg in legs:
                self._use(group, leg, 1)
            before, after = Counter(self._stays(old)), Counter(self._stays(legs))
            for stays, sign in ((before - after, -1), (after - before, 1)):
                for place, arrive, leaves in stays.elements():
                    self._event(place, arrive, group.people, sign)
                    self._event(place, leaves, -group.people, sign)
            self.legs[gid] = legs

    # --- the search ----------------------------------------------------------------------

    def round(self, deadline: float | None) -> int:
        """One round: at each place in turn, every improving move there, best first, each
        family moved once at most. Returns the number made."""
        moved: set[str] = set()
        made = 0
        for _, stops in self._places():
            if _past(deadline):
                break
            # a family moved at a place before has other stops now
            here = [stop for stop in stops if stop.group not in moved]
            for n, (_, ga, na, gb, nb, both) in enumerate(self._improving(here, deadline)):
                if n % 8 == 0 and _past(deadline):
                    break
                key = (ga, na, gb, nb, both)
                if ga in moved or gb in moved or key in self.failed:
                    continue
                a, b = self._stop(ga, na), self._stop(gb, nb)
                if not self.feasible(a, b, both):
                    self.failed.add(key)
                    continue
                self.apply(self._new(a, b, both))
                self.made["swaps" if both else "joins"] += 1
                if ga not in self.home:  # rescued: it now ends where b's way on does
                    self.made["taken_home"] += 1
                    self.home.add(ga)
                    end = self._hours(self.legs[ga][-1].arrive)
                    self.last = end if self.last is None else max(self.last, end)
                moved.add(ga)
                if both:
                    moved.add(gb)
                made += 1
        self._forget_failed(moved)
        return made

    def _places(self) -> list[tuple[str, list[_Stop]]]:
        """The stops of every place, places in danger first, where the exposure is: time
        may not allow them all."""
        return sorted(self.stops().items(), key=lambda kv: not self.s.locations[kv[0]].danger)

    def _forget_failed(self, moved: set[str]) -> None:
        """A family moved has a new way on: what failed with it may not now."""
        self.failed = {f for f in self.failed if f[0] not in moved and f[2] not in moved}

    def regroup(self, deadline: float | None) -> int:
        """Every place's ways on shared out afresh among the families there, all at once
        (:func:`planner.regroup.regroup`), places in danger first; the families moved."""
        from planner.regroup import regroup

        moved: set[str] = set()
        for place, stops in self._places():
            if _past(deadline):
                break
            # a family moved at a place before has other stops now
            here = [stop for stop in stops if stop.group not in moved]
            moved |= regroup(self, place, here, deadline)
        self._forget_failed(moved)
        return len(moved)

    def advance(self, deadline: float | None) -> int:
        """Legs moved earlier where every rule allows (:func:`planner.retime.advance`), by
        `deadline`; the families whose journeys changed."""
        from planner.retime import advance

        return self._counted("advanced", advance(self, deadline))

    def hasten(self, deadline: float | None) -> int:
        """Families evacuated take a sooner way home in the room the others leave
        (:func:`planner.rescue.hasten`), by `deadline`; the families moved."""
        from planner.rescue import hasten

        return self._counted("rerouted", hasten(self, deadline))

    def _counted(self, name: str, moved: set[str]) -> int:
        """How many families `moved` holds, counted in `made` as `name`; what failed with
        them is forgotten."""
        self.made[name] += len(moved)
        self._forget_failed(moved)
        return len(moved)

    def rounds(self, deadline: float | None) -> None:
        """Rounds of swaps and joins (:meth:`round`) while one makes a move, by `deadline`."""
        for _ in range(ROUNDS):
            if not self.round(deadline) or _past(deadline):
                break

    def _timing(self, stops: list[_Stop]) -> tuple[np.ndarray, ...]:
        """Per stop, in seconds from the start: when the family is there; the latest a family
        can be there to take its way on when it came by the same carrier (or starts there),
        and when it changes carrier; and the carriers it came by (-1 when it starts there)
        and leaves by, as numbers."""
        codes: dict[str, int] = {}
        n = len(stops)
        there, latest, changing = np.empty(n), np.empty(n), np.empty(n)
        came, carrier = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        for k, stop in enumerate(stops):
            there[k] = (stop.there - self.start).total_seconds()
            came[k] = -1 if stop.came is None else codes.setdefault(stop.came, len(codes))
            legs = self.legs[stop.group]
            if stop.group not in self.home or stop.at == len(legs):
                # a way on that gets nobody home, or none: not to be taken
                latest[k] = changing[k] = -math.inf
                carrier[k] = -2
                continue
            leg = legs[stop.at]
            transfer = self.s.locations[leg.from_].transfer.total_seconds()
            departs = (leg.depart - self.start).total_seconds()
            if leg.service is not None:
                check_in = self.s.service_by_id[leg.service].check_in.total_seconds()
                latest[k] = changing[k] = departs - max(check_in, transfer)
            else:
                latest[k], changing[k] = departs, departs - transfer
            carrier[k] = codes.setdefault(_carrier(leg), len(codes))
        return there, latest, changing, came, carrier

    def _spare(self, stops: list[_Stop]) -> tuple[np.ndarray, np.ndarray]:
        """Per stop, the room left on the first leg of its way on: seats (of its vehicle,
        flight or sailing) and people (its crossing's hour); infinite where none counts."""
        seats = np.full(len(stops), np.inf)
        people = np.full(len(stops), np.inf)
        for k, stop in enumerate(stops):
            legs = self.legs[stop.group]
            if stop.at == len(legs):
                continue
            group = self.s.group_by_id[stop.group]
            for room, _ in self._uses(group, legs[stop.at]):
                left = self._limit(room) - self.used[room]
                if room[0] == "crossing":
                    people[k] = min(people[k], left)
                else:
                    seats[k] = min(seats[k], left)
        return seats, people

    def _destinations(self, stops: list[_Stop]) -> tuple[np.ndarray, ...]:
        """Per stop, the number of its family's destinations and of the place its way on
        ends at; and a table of whether a set of destinations holds a place."""
        sets: dict[frozenset[str], int] = {}
        places: dict[str, int] = {}
        wants = np.empty(len(stops), dtype=np.int64)
        ends = np.empty(len(stops), dtype=np.int64)
        for k, stop in enumerate(stops):
            destinations = frozenset(self.s.group_by_id[stop.group].destinations)
            wants[k] = sets.setdefault(destinations, len(sets))
            legs = self.legs[stop.group]
            end = legs[-1].to if legs else self.s.group_by_id[stop.group].at
            ends[k] = places.setdefault(end, len(places))
        table = np.zeros((len(sets), len(places)), dtype=bool)
        for destinations, d in sets.items():
            for place, e in places.items():
                table[d, e] = place in destinations
        return wants, ends, table

    def _improving(self, stops: list[_Stop], deadline: float | None = None) -> list[_Found]:
        """The moves between `stops` (at one place) that improve the objectives: a family
        taking another's way on (in its room), or two swapping theirs."""
        n = len(stops)
        if n < 2:
            return []
        hours = self._hours
        there, latest, changing, came, carrier = self._timing(stops)
        wants, ends, ends_at = self._destinations(stops)
        people = np.array([self.s.group_by_id[s.group].people for s in stops], dtype=float)
        seats = np.array([self.s.group_by_id[s.group].seats for s in stops], dtype=float)
        spare_seats, spare_people = self._spare(stops)
        weighted = (
            np.array([self.s.weight(self.s.group_by_id[s.group]) for s in stops], dtype=float)
            * people
        )
        before = np.empty(n)  # when safe before this stop (0 when it starts safe); else NaN
        after = np.empty(n)  # when safe on the way on from it (the horizon when never)
        end = np.empty(n)
        for k, stop in enumerate(stops):
            group = self.s.group_by_id[stop.group]
            legs = self.legs[stop.group]
            if not self.s.locations[group.at].danger:
                before[k] = 0.0
            else:
                before[k] = self._safe_by(legs[: stop.at])
            safe = self._safe_by(legs[stop.at :])
            after[k] = self.horizon if math.isnan(safe) else safe
            # the arrival of a family not evacuated counts as the horizon
            end[k] = hours(legs[-1].arrive) if stop.group in self.home else self.horizon
        now = np.where(np.isnan(before), after, before)
        kept: list[tuple[np.ndarray, ...]] = []
        home = np.array([stop.group in self.home for stop in stops])
        values = _Values(before, after, now, end, people, weighted, home)
        rows = max(1, PAIRS // n)
        for first in range(0, n, rows):
            if _past(deadline):
                break
            i = np.arange(first, min(first + rows, n))[:, None]
            j = np.arange(n)[None, :]
            # family j can take i's way on: it is there in time (rule 2, rule 6's
            # check-in), and the way ends at one of its destinations; and i j's
            takes = (j != i) & (
                there[j]
                <= np.where((came[j] < 0) | (came[j] == carrier[i]), latest[i], changing[i])
            )
            takes &= ends_at[wants[j], ends[i]]
            given = there[i] <= np.where(
                (came[i] < 0) | (came[i] == carrier[j]), latest[j], changing[j]
            )
            given &= ends_at[wants[i], ends[j]] & (j > i)
            # room on the first leg of the way on: for j alone, or for the difference
            joins = takes & (seats[j] <= spare_seats[i]) & (people[j] <= spare_people[i])
            swaps = takes & given
            swaps &= (seats[j] - seats[i] <= spare_seats[i]) & (
                seats[i] - seats[j] <= spare_seats[j]
            )
            swaps &= (people[j] - people[i] <= spare_people[i]) & (
                people[i] - people[j] <= spare_people[j]
            )
            for both, mask in ((False, joins), (True, swaps)):
                bi, bj = np.nonzero(mask)
                if len(bi):
                    kept.append(self._better(values, bi + first, bj, both))
                    if sum(len(k[0]) for k in kept) > 2 * PER_PLACE:
                        kept = [_best(kept)]
        if not kept:
            return []
        table, takers, taken, swapped = _best(kept)
        out: list[_Found] = []
        moves = zip(table.tolist(), takers.tolist(), taken.tolist(), swapped.tolist(), strict=True)
        for key, k, m, two in moves:
            a, b = stops[k], stops[m]
            if a.group != b.group:
                out.append((tuple(key), a.group, a.at, b.group, b.at, two))
        return out

    def _better(
        self, values: _Values, bi: np.ndarray, bj: np.ndarray, both: bool
    ) -> tuple[np.ndarray, ...]:
        """Of the moves of family bj to bi's way on (and with `both`, bi to bj's), those
        that improve the objectives: how each objective changes (a row per move), bj, bi,
        and `both` per move."""
        before, after, now, end = values.before, values.after, values.now, values.end
        people, weighted = values.people, values.weighted
        new_j = np.where(np.isnan(before[bj]), after[bi], before[bj])
        new_i = np.where(np.isnan(before[bi]), after[bj], before[bi])
        changes = []
        for name in self.s.objective:
            if name == "exposure":
                change = weighted[bj] * (new_j - now[bj])
                if both:
                    change = change + weighted[bi] * (new_i - now[bi])
            elif name == "arrival":
                change = people[bj] * (end[bi] - end[bj])
                if both:
                    change = change + people[bi] * (end[bj] - end[bi])
            elif name == "evacuated" and not both:  # more is better: the change is negated
                change = -people[bj] * ~values.home[bj]
            elif name == "makespan" and not both and self.last is not None:
                change = np.where(values.home[bj], 0.0, np.maximum(0.0, end[bi] - self.last))
            else:
                change = np.zeros(len(bi))
            changes.append(np.round(change, 6))
        better = np.zeros(len(bi), dtype=bool)
        undecided = np.ones(len(bi), dtype=bool)
        for change in changes:
            better |= undecided & (change < 0)
            undecided &= change == 0
        table = np.stack(changes, axis=1)[better]
        return table, bj[better], bi[better], np.full(len(table), both)

    def plan(self, plan: Plan) -> Plan:
        """`plan` with the journeys and the vehicles' legs as they are now, each vehicle leg's
        list of groups to match."""
        riders: dict[tuple[str, str, datetime], list[str]] = defaultdict(list)
        groups = []
        rescued = False
        for g in plan.groups:
            legs = tuple(self.legs.get(g.id, g.legs))
            if g.status != "evacuated" and g.id in self.home:
                g = replace(g, status="evacuated", reason=None)
                rescued = True
            groups.append(replace(g, legs=legs))
            for leg in legs:
                if leg.vehicle is not None and leg.vehicle != "own":
                    riders[leg.vehicle, leg.from_, leg.depart].append(g.id)
        vehicles = []
        for v in self.s.vehicles:  # in the fleet's order
            if v.id not in self.vehicle_legs:
                continue
            vlegs: list[VehicleLeg] = []
            for vleg in self.vehicle_legs[v.id]:
                now = riders.get((v.id, vleg.from_, vleg.depart), [])
                kept = [gid for gid in vleg.groups if gid in now]
                kept += [gid for gid in now if gid not in vleg.groups]
                vlegs.append(replace(vleg, groups=tuple(kept)))
            vehicles.append(VehiclePlan(v.id, v.fleet, tuple(vlegs)))
        journeys = {g.id: g.legs for g in groups}
        objective = evaluate_objectives(self.s, journeys)
        return replace(
            plan,
            groups=tuple(groups),
            vehicles=tuple(vehicles),
            objective={name: objective[name] for name in plan.objective},
            # the reasons of those still left are not those of this plan
            causes={} if rescued else plan.causes,
        )


def exchange(scenario: Scenario, plan: Plan, deadline: float | None = None) -> Plan:
    """`plan` with families taking one another's way on (swaps and joins) while that
    improves the objectives, in rounds (see the module's docstring); `plan` itself when no
    move does. The search stops at `deadline` (time.monotonic()), keeping the moves made by
    then; `stats.exchanges` counts them."""
    if _past(deadline):
        return plan
    began = time.monotonic()
    exchanger = _Exchanger(scenario, plan)
    exchanger.advance(deadline)
    exchanger.rounds(deadline)
    while not _past(deadline):
        share = (
            None
            if deadline is None
            else time.monotonic() + REGROUP_SHARE * (deadline - time.monotonic())
        )
        if not exchanger.regroup(share) + exchanger.advance(deadline) + exchanger.hasten(deadline):
            break
        exchanger.rounds(deadline)
    if not exchanger.made:
        return plan
    out = exchanger.plan(plan)
    if not better(scenario, out, plan):  # each move improved it: a safeguard
        log.warning("exchanges of the way on made the plan no better: not kept")
        return plan
    counts = {
        name: exchanger.made[name]
        for name in ("swaps", "joins", "regrouped", "advanced", "rerouted", "taken_home")
    }
    log.info(
        "exchanges of the way on: %s, in %.1f s: %s",
        counts,
        time.monotonic() - began,
        out.objective,
    )
    return replace(out, stats=dict(out.stats, exchanges=counts))
