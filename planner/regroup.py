"""Ways on shared out afresh among every family at a place, all at once.

The exchanges of the way on (:mod:`planner.exchange`) move one family, or swap two, at a
time, best move first. Where a crossing's hours, a bus's seats and a flight's seats are
all taken, the best plan may need a chain of moves no single one of which improves it: a
family of high priority takes the 10:00 hour of a family that takes the 13:00 hour of
another, which takes a place on a flight. :func:`regroup` looks at every family at one
place and every way on the plan takes from there (the rest of a journey: its vehicles,
crossing hours, flights and sailings), and gives each family one of them so that the
objectives improve in the scenario's order, as a small integer program (HiGHS, shipped
with OR-Tools).

Families there alike (there at the same time, come by the same carrier, as many people
and seats, the same priority, destinations, and ways on their documents allow, safe
before or not) are one class, with a whole number per way on: what the program decides. The
rows are the rules a move touches: every way on starts when the family can take it (rule
2, rule 6's check-in), is accepted on its documents (rules 5, 6) and ends at one of its
destinations, unless it is a family's own way on already; vehicle seats per leg (rule 4),
crossing throughput per hour (rule 5), service seats (rule 6) and place capacities at
every arrival (rule 7), with what the other families use held as it is. Nobody
evacuated is left behind, and no way on ends after the last arrival. The linear optimum
comes first (see `_whole`); the plan in hand is always a solution, and the families moved
are checked by the exchanges' own rules before anything is changed.
"""

from __future__ import annotations

import bisect
import functools
import math
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from planner.plan import Leg

if TYPE_CHECKING:
    from planner.exchange import _Exchanger, _Room, _Stop

CHOICES = 20_000
"""Class and way-on pairs at most in one place's model: a city's thousands of families
and ways on are left to the exchanges of one or two families."""

PLACE_SHARE = 0.75
"""Share of the time left that one place may take (at least PLACE_SECONDS): the search
for whole counts among many alike may otherwise take all of it at the first place."""

PLACE_SECONDS = 1.0
"""Seconds a place may take at least, time left allowing: the linear optimum and a small
search for whole counts fit in it on the 2,000-person benchmark's smaller places."""

SHARE = 0.75
"""Share of a place's time left for the search for whole counts among the ways on the
linear optimum uses and those taken now."""

FULL_SHARE = 0.5
"""Share of a place's time left for the search among every way on, when the ways on the
linear optimum uses and those taken now hold no whole solution as good as it."""

NEAR = 0.01
"""The search among the ways on the linear optimum uses and those taken now ends within
this share of what the linear optimum gains on the counts of the plan."""

FULL_WORTH = 0.1
"""The search among every way on is made only when the whole solution in hand is further
from the linear optimum than this share of what the linear optimum gains on the counts of
the plan: on the 2,000-person benchmark, at the largest place, the search for exposure
among every way on took 7.5 s to gain 1 weighted person-hour on the 6% of the gain (3.5)
left by the search among those the optimum uses (0.4 s)."""

SCALE = 6000
"""Objective coefficients are whole numbers: hours times this (steps of 0.6 s), times
the priority weight and the people; the changes are checked in real numbers before a move
is made."""


class _Class:
    """Families at the place that any way on treats alike."""

    def __init__(self, stop: _Stop) -> None:
        self.stop = stop
        """The stop of its first family: its time there and the carrier it came by."""
        self.members: list[str] = []


def regroup(ex: _Exchanger, place: str, stops: list[_Stop], deadline: float | None) -> set[str]:
    """Share out the ways on from `place` among the families at `stops` (see the module),
    when that improves the objectives; the families moved."""
    if not _supported():
        return set()
    s = ex.s
    first: dict[str, _Stop] = {}
    for stop in stops:
        first.setdefault(stop.group, stop)
    tails: dict[tuple[Leg, ...], int] = {}
    for gid, stop in first.items():
        tails.setdefault(tuple(ex.legs[gid][stop.at :]), len(tails))
    ways = list(tails)
    if len(ways) < 2 or len(first) < 2:
        return set()
    keys: dict[str, tuple] = {}
    for gid, stop in first.items():
        group = s.group_by_id[gid]
        legs = ex.legs[gid]
        before = ex._safe_by(legs[: stop.at]) if s.locations[group.at].danger else 0.0
        keys[gid] = (
            stop.there,
            stop.came,
            group.people,
            group.seats,
            group.priority,
            frozenset(group.destinations),
            math.isnan(before),
            0.0 if math.isnan(before) else before,
            s.locations[group.at].danger,
        )
    # the documents only split classes further: too many already, and the place is left
    if len(set(keys.values())) * len(ways) > CHOICES:
        return set()
    accepted: dict[tuple, tuple[bool, ...]] = {}
    classes: dict[tuple, _Class] = {}
    for gid, stop in first.items():
        group = s.group_by_id[gid]
        held = tuple(sorted(tuple(sorted(m.documents)) for m in group.members))
        if held not in accepted:
            accepted[held] = tuple(ex._accepted(group, list(w)) for w in ways)
        classes.setdefault((keys[gid], accepted[held]), _Class(stop)).members.append(gid)
    if len(classes) * len(ways) > CHOICES:
        return set()
    left = _left(deadline)
    until = time.monotonic() + min(left, max(PLACE_SECONDS, PLACE_SHARE * left))
    try:
        return _Model(ex, place, ways, tails, list(classes.values()), first).solve(until)
    except _OutOfTime:
        return set()


class _OutOfTime(Exception):
    """A place's model was not built in its time."""


class _Model:
    """One place's integer program: a whole number of each class's families per way on."""

    def __init__(
        self,
        ex: _Exchanger,
        place: str,
        ways: list[tuple[Leg, ...]],
        tails: dict[tuple[Leg, ...], int],
        classes: list[_Class],
        stops: dict[str, _Stop],
    ) -> None:
        self.ex = ex
        self.stops = stops
        """Each family's stop here."""
        self.place = place
        self.ways = ways
        self.tails = tails
        self.classes = classes
        self.current: list[dict[int, list[str]]] = []
        """Per class, its families by the way on they take now."""
        for c in classes:
            now: dict[int, list[str]] = defaultdict(list)
            for gid in c.members:
                now[tails[tuple(ex.legs[gid][stops[gid].at :])]].append(gid)
            self.current.append(now)
        self.options: list[list[int]] = [self._options(n, c) for n, c in enumerate(classes)]
        self.keys = [(n, w) for n in range(len(classes)) for w in self.options[n]]
        """Every (class, way on) pair the program may count."""

    def _options(self, n: int, c: _Class) -> list[int]:
        """The ways on class `c` may take: those its families take now, and every other
        that a family of it can start, on its documents, to one of its destinations, by
        the last arrival."""
        ex = self.ex
        group = ex.s.group_by_id[c.members[0]]
        out = []
        for w, way in enumerate(self.ways):
            if w in self.current[n]:
                out.append(w)
                continue
            if not self._home(group, w):
                continue
            if ex.last is not None and ex._hours(way[-1].arrive) > ex.last + 1e-9:
                continue
            if ex._can_start(group, c.stop, way[0]) and ex._accepted(group, list(way)):
                out.append(w)
        return out

    def _values(self, c: _Class, w: int) -> dict[str, float]:
        """What a family of class `c` adds to each objective on way on `w`."""
        ex = self.ex
        group = ex.s.group_by_id[c.members[0]]
        way = self.ways[w]
        home = self._home(group, w)
        out = {"evacuated": float(group.people) if home else 0.0}
        legs = ex.legs[c.members[0]][: c.stop.at]
        if ex.s.locations[group.at].danger:
            safe = ex._safe_by([*legs, *way])
            exposed = ex.horizon if math.isnan(safe) else safe
            out["exposure"] = ex.s.weight(group) * group.people * exposed
        else:
            out["exposure"] = 0.0
        out["arrival"] = group.people * (ex._hours(way[-1].arrive) if home else ex.horizon)
        return out

    def _stays(self, c: _Class, w: int) -> list[tuple[str, int, int]]:
        """The stays at places with a capacity that way on `w` decides for class `c`: at
        this place from the family's arrival (when it came by a leg), and on the way on."""
        ex = self.ex
        legs = ex.legs[c.members[0]][: c.stop.at]
        return ex._stays([*legs[-1:], *self.ways[w]])

    def solve(self, deadline: float | None) -> set[str]:
        ex = self.ex
        keys = self.keys
        values = {key: self._values(self.classes[key[0]], key[1]) for key in keys}
        counts = {key: len(self.current[key[0]].get(key[1], ())) for key in keys}
        held: list[tuple[list[int], int]] = []  # each earlier stage's objective, at most
        # the ways on taken now are in every program: the room they leave is counted on them
        taken = {i for i, key in enumerate(keys) if counts[key]}
        solved = False
        for name in ex.s.objective:
            if name not in ("evacuated", "exposure", "arrival"):
                continue
            sign = -1 if name == "evacuated" else 1
            coef = [sign * round(values[key][name] * SCALE) for key in keys]
            if all(
                len({coef[i] for i, key in enumerate(keys) if key[0] == n}) < 2
                for n in range(len(self.classes))
            ):
                continue

            def program(used: list[int], coef: list[int] = coef) -> tuple[Any, list[Any]]:
                return self._program(used, coef, held, deadline)

            now = [counts[key] for key in keys]
            try:
                found = _whole(program, len(keys), coef, now, deadline, taken)
            except _OutOfTime:
                if not solved:
                    raise
                found = None  # an earlier stage's counts stand
            if found is None:
                break
            counts = dict(zip(keys, found, strict=True))
            solved = True
            held.append((coef, sum(c * v for c, v in zip(coef, found, strict=True))))
        if not solved:
            return set()
        return self._apply(counts, values)

    def _program(
        self,
        used: list[int],
        coef: list[int],
        held: list[tuple[list[int], int]],
        deadline: float | None,
    ) -> tuple[Any, list[Any]]:
        """The integer program on the (class, way on) pairs of `self.keys` at indices `used`
        only, the others taken by none: `coef` (one per pair) to minimise, each of the
        earlier stages `held` at its value at most; the program and its variables."""
        from ortools.linear_solver.python import model_builder as mb

        ex = self.ex
        model = mb.Model()
        keys = [self.keys[i] for i in used]
        wanted = set(keys)
        x: dict[tuple[int, int], Any] = {}
        for n, c in enumerate(self.classes):
            count = len(c.members)
            mine = [w for w in self.options[n] if (n, w) in wanted]
            for w in mine:
                x[n, w] = model.new_int_var(0, count, "")
            model.add(mb.LinearExpr.sum([x[n, w] for w in mine]) == count)
            group = ex.s.group_by_id[c.members[0]]
            home_now = sum(1 for gid in c.members if gid in ex.home)
            if home_now:
                homeward = [x[n, w] for w in mine if self._home(group, w)]
                model.add(mb.LinearExpr.sum(homeward) >= home_now)
        self._rooms(model, x)
        self._places(model, x, deadline)
        variables = [x[key] for key in keys]
        for earlier, most in held:
            terms = [float(earlier[i]) for i in used]
            model.add(mb.LinearExpr.weighted_sum(variables, terms) <= most)
        model.minimize(mb.LinearExpr.weighted_sum(variables, [float(coef[i]) for i in used]))
        return model, variables

    def _home(self, group, w: int) -> bool:  # type: ignore[no-untyped-def]
        """True when way on `w` ends at one of `group`'s destinations."""
        way = self.ways[w]
        return bool(way) and way[-1].to in group.destinations

    def _rooms(self, cp, x) -> None:  # type: ignore[no-untyped-def]
        """Vehicle seats, crossing throughput and service seats: what the ways on chosen
        take, within what the families elsewhere leave."""
        ex = self.ex
        base: dict[_Room, int] = {}
        for n in range(len(self.classes)):
            for w, gids in self.current[n].items():
                for gid in gids:
                    group = ex.s.group_by_id[gid]
                    for leg in self.ways[w]:
                        for room, amount in ex._uses(group, leg):
                            base[room] = base.get(room, ex.used[room]) - amount
        terms: dict[_Room, list] = defaultdict(list)
        for (n, w), var in x.items():
            group = ex.s.group_by_id[self.classes[n].members[0]]
            for leg in self.ways[w]:
                for room, amount in ex._uses(group, leg):
                    terms[room].append(amount * var)
        for room, parts in terms.items():
            limit = ex._limit(room)
            if math.isinf(limit):
                continue
            cp.add(sum(parts) <= int(limit) - base.get(room, ex.used[room]))

    def _places(self, cp, x, deadline: float | None) -> None:  # type: ignore[no-untyped-def]
        """Rule 7 at every arrival at a place with a capacity that a way on stays at (a
        place with thousands of arrivals and choices takes seconds: `_OutOfTime` when
        `deadline` passes first)."""
        ex = self.ex
        covers: dict[str, list[tuple[int, int, int, Any]]] = defaultdict(list)
        # what the families here take now, to be taken out of the count
        mine: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for (n, w), var in x.items():
            people = ex.s.group_by_id[self.classes[n].members[0]].people
            now = len(self.current[n].get(w, ()))
            for place, arrive, leaves in self._stays(self.classes[n], w):
                covers[place].append((arrive, leaves, people, var))
                if now:
                    mine[place].append((arrive, leaves, now * people))
        for place, spans in covers.items():
            capacity = ex.s.locations[place].capacity
            assert capacity is not None
            events = ex.stays[place]
            present = ex._present(place)
            lo = min(a for a, _, _, _ in spans)
            hi = max(b for _, b, _, _ in spans)
            times = {a for a, _, _, _ in spans}
            first = bisect.bisect_left(events, (lo, -math.inf))
            last = bisect.bisect_right(events, (hi, math.inf))
            times.update(t for t, n in events[first:last] if n > 0 and lo <= t < hi)
            for t in sorted(times):
                if deadline is not None and time.monotonic() > deadline:
                    raise _OutOfTime
                k = bisect.bisect_right(events, (t, math.inf))
                count = present[k - 1] if k else 0
                count -= sum(p for a, b, p in mine[place] if a <= t < b)
                parts = [people * var for a, b, people, var in spans if a <= t < b]
                if parts:
                    cp.add(sum(parts) <= capacity - count)

    def _apply(self, counts: dict[tuple[int, int], int], values) -> set[str]:  # type: ignore[no-untyped-def]
        """Hand the ways on out to the families as counted, each keeping its own while
        its way's count lasts, and make the change when every rule holds and it improves
        the objectives; the families moved."""
        ex = self.ex
        new: dict[str, list[Leg]] = {}
        change = dict.fromkeys(ex.s.objective, 0.0)
        for n, c in enumerate(self.classes):
            group = ex.s.group_by_id[c.members[0]]
            left = {w: counts.get((n, w), 0) for w in self.options[n]}
            home: list[str] = []  # families evacuated now that move: to ways home first
            others: list[str] = []
            for w, gids in self.current[n].items():
                keep = min(left[w], len(gids))
                left[w] -= keep
                for gid in gids[keep:]:
                    (home if gid in ex.home else others).append(gid)
                for name in change:
                    change[name] -= values[n, w].get(name, 0.0) * (len(gids) - keep)
            for w in sorted(left, key=lambda w: not self._home(group, w)):
                for name in change:
                    change[name] += values[n, w].get(name, 0.0) * left[w]
                for _ in range(left[w]):
                    gid = (home or others).pop() if self._home(group, w) else others.pop()
                    new[gid] = ex.legs[gid][: self.stops[gid].at] + list(self.ways[w])
        if not new or not _improves(ex.s.objective, change):
            return set()
        if not ex._room(new) or not ex._place_room(new):
            return set()
        ex.apply(new)
        for gid, legs in new.items():
            group = ex.s.group_by_id[gid]
            if gid not in ex.home and legs and legs[-1].to in group.destinations:
                ex.home.add(gid)
                ex.made["taken_home"] += 1
        ex.made["regrouped"] += len(new)
        return set(new)


def _improves(order: list[str] | tuple[str, ...], change: dict[str, float]) -> bool:
    """True when `change` (more evacuated, less of the rest) is better in `order`."""
    for name in order:
        value = round(change.get(name, 0.0), 6)
        if name == "evacuated":
            value = -value
        if value < 0:
            return True
        if value > 0:
            return False
    return False


def _whole(
    program: Callable[[list[int]], tuple[Any, list[Any]]],
    size: int,
    coef: list[int],
    current: list[int],
    deadline: float | None,
    taken: set[int] | frozenset[int] = frozenset(),
) -> list[int] | None:
    """Whole numbers, one for each of `size` ways on, that minimise `coef` in `program`
    (which builds the program on the ways on of the indices given, the others taken by
    none), or as near as the time allows: the linear optimum first, in a fraction of a
    second; then the search for whole numbers in the program of the ways on it uses and
    those taken now (`current`, a solution, and `taken`, which every program the caller
    builds must hold), which is small and never without one; then,
    time allowing and when that is not near the linear optimum (`FULL_WORTH`), among all
    of them. None when nothing is found in time."""
    from ortools.linear_solver.python import model_builder as mb

    def run(model: Any, share: float = 1.0, near: float | None = None) -> Any:
        solver = mb.Solver("highs")
        options = "output_flag=false"  # no banner on stdout
        if near is not None:
            # within `near` of its optimum: HiGHS's default, 0.01% of an objective that
            # counts every family at the place, can be as much as the whole gain
            options += f"\nmip_rel_gap=0\nmip_abs_gap={near}"
        solver.set_solver_specific_parameters(options)
        solver.set_time_limit_in_seconds(max(0.05, share * _left(deadline)))
        status = solver.solve(model)
        ok = status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE)
        return solver if ok else None

    every = list(range(size))
    model, variables = program(every)
    helper = model.helper
    for v in variables:
        helper.set_var_integrality(v.index, False)
    linear = run(model)
    if linear is None:
        return None

    def value(counts: list[int]) -> int:
        return sum(c * v for c, v in zip(coef, counts, strict=True))

    least = linear.objective_value
    if least > value(current) - 0.5:
        return current  # the counts now are as good as the linear optimum: nothing to gain
    # a program of the ways on the optimum uses and those taken now alone: on the
    # 2,000-person benchmark, 363 of 4,661 at the largest place, solved in 0.6 s where
    # the whole program with the others held at none took 1.8 s
    used = [i for i in every if current[i] or i in taken or linear.value(variables[i]) > 1e-6]
    found = current
    small, chosen = program(used)
    gain = value(current) - least
    solver = run(small, SHARE, max(0.5, NEAR * gain))
    if solver is not None:
        counts = [0] * size
        for i, v in zip(used, chosen, strict=True):
            counts[i] = round(solver.value(v))
        found = min(found, counts, key=value)
    if value(found) > least + max(0.5, FULL_WORTH * gain) and _left(deadline) > 0.05:
        # the linear optimum had others as good, out of the ways on it used
        for v in variables:
            helper.set_var_integrality(v.index, True)
        solver = run(model, FULL_SHARE)
        if solver is not None:
            found = min(found, [round(solver.value(v)) for v in variables], key=value)
    return found


@functools.cache
def _supported() -> bool:
    """True when this build of OR-Tools has HiGHS (the wheels of every platform do)."""
    from ortools.linear_solver.python import model_builder as mb

    return bool(mb.Solver("highs").solver_is_supported())


def _left(deadline: float | None) -> float:
    return 10.0 if deadline is None else deadline - time.monotonic()
