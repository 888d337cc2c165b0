"""True bounds from the linear relaxation of the time-expanded flow (GLOP).

The CP-SAT model follows each class of families and each vehicle; at the scale of a real
operation it cannot prove much. This module drops what makes the problem hard and keeps what
makes it tight: people become continuous head-counts, vehicles become continuous seat
counts, both flowing through the time-expanded network on the step grid, with every shared
capacity the rules name:

- the seats of the vehicles driving a road at a time (rule 4), the vehicles themselves moving
  in time and place from where they are, within their countries;
- the hourly throughput of each crossing (rule 5), its hours and closures (in the links);
- the seats of each flight and sailing, with check-in (rule 6);
- the capacity of each place (rule 7), counting people who stay there for ever.

- the transfer at a place before a change of carrier (rule 2): people just off a vehicle may
  ride on at once (it may be the same vehicle) but cross on foot only after the transfer;
  after a crossing on foot or a flight or sailing, the transfer before any vehicle.

What it leaves out (whole families, one vehicle per family, the smallest vehicle a family
fits in, the transfer between two vehicles) can only make the relaxation better than any real
plan, so its optimum bounds every plan on the grid: from above for `evacuated`, from below for
the others. `planner.model` reports these bounds only when the scenario is
grid-aligned, like every other bound.

People of the same priority, destinations, documents, own car and seats per person are one
commodity: where they start and when they are ready only sets where their supply enters.
Vehicles of the same countries are one pool of seats: a pool's seat flow decomposes back into
its vehicles, so pooling loses nothing. A person's state also says whether they have been
safe yet (exposure stops at the first safe place, so it is counted once, on the arc that gets
there) and whether they are still where they started (people who start at a place do not
count against its capacity).

At the scale of a country the step grid makes the relaxation too large to solve in time; in
coarser buckets of time (see `FlowRelaxation.bucket`) it stays a relaxation, weaker but true.

Lexicographic bounds are conditional: the bound of a later objective holds for the best plan,
which is at least as good as the plan in hand on the earlier objectives, and equal to it on an
earlier objective only once that one is proven. `relaxation_bounds` adds exactly those
constraints and no more.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sparse
from ortools.linear_solver.python import model_builder_helper as mb

if TYPE_CHECKING:
    from planner.model import EvacuationModel, _Class

log = logging.getLogger(__name__)

INF = math.inf
GLOP_PARAMETERS = "initial_basis: MAROS"
"""GLOP's first basis by Maros's crash procedure rather than the slack one: the exposure
stage of the 2,000-person benchmark solved in 4.7 to 6.7 s instead of 6.1 to 7.6 s (three
runs each; seed 2's, 8.8 s instead of 13.8 s), the first stage of 15,000 people in 2-step
buckets in 11.7 s instead of 12.7 to 13.7 s."""
FREE, RIDING, ON_FOOT, SERVED = 0, 1, 2, 3
"""How people came to a place, in their state: free to take any leg (they started there,
waited the transfer, or need none), or just off a vehicle, a crossing on foot or a flight or
sailing, free to go on only the same way until they have waited the place's transfer."""
MAX_COLUMNS = 150_000
"""Above this many columns the relaxation takes longer than a planner waits (GLOP, 2 cores)."""
COLUMNS_PER_SECOND = 5000
"""About how many (estimated) columns GLOP gets through per second of the time given to the
relaxation, for its first two stages, on this kind of problem (a core of its own; on the
2,000-person benchmark, 37,906 estimated columns, 45,122 built, in 7.4 s): more make it
coarser."""
PATIENCE = 0.5
"""The part of its time the relaxation waits for the dispatcher's first plan before it
solves a stage that a bound found otherwise may settle (see `relaxation_bounds`)."""
RELATIVE = 1e-7
"""Relative tolerance taken off an LP optimum before it is used as a bound."""
FLOW_EPSILON = 1e-6
"""People on an arc of an LP optimum below which there are none."""


def commodity_key(k: _Class) -> tuple:
    """The commodity of a class of families: (weight, destinations, accepted links, own car,
    seats per person). Where and when its families start only sets where its supply enters."""
    return (k.weight, k.dests, k.accepted, k.own, Fraction(k.seats, k.people))


@dataclass
class _Commodity:
    key: tuple
    """See `commodity_key`."""
    supply: dict[tuple[int, int], int] = field(default_factory=dict)  # (place, t) -> people

    @property
    def weight(self) -> Fraction:
        return self.key[0]

    @property
    def dests(self) -> frozenset[int]:
        return self.key[1]

    @property
    def accepted(self) -> frozenset[int]:
        return self.key[2]

    @property
    def own(self) -> bool:
        return self.key[3]

    @property
    def ratio(self) -> float:
        """Seats per person."""
        return float(self.key[4])


@dataclass
class _Pool:
    countries: frozenset[str] | None
    supply: dict[tuple[int, int], int] = field(default_factory=dict)  # (place, t) -> units
    seats: int = 1
    """Seats per unit of flow: 1 when the pool counts seats, a vehicle's seats by kind."""
    fleet: str | None = None


def estimated_columns(model: EvacuationModel, by_kind: bool = False, bucket: int = 1) -> int:
    """About how many columns `FlowRelaxation(model, bucket=bucket)` would have, without
    building it: each commodity and pool may wait at each place in each bucket and take each
    departure (one per link and bucket). Pruning leaves fewer; the estimate is there to skip
    what could not be solved in time."""
    flows, departs = _estimate_parts(model, by_kind)
    return _estimate(model, flows, departs, bucket)


def _estimate_parts(model: EvacuationModel, by_kind: bool) -> tuple[int, list[list[int]]]:
    """The number of commodities and pools, and each link's departures in order."""
    commodities = {commodity_key(k) for k in model.classes if k.origin not in k.dests}
    pools = {v.fleet if by_kind else v.countries for v in model.vehicles}
    return len(commodities) + len(pools), [sorted(lk.departs) for lk in model.links]


def _estimate(model: EvacuationModel, flows: int, departs: list[list[int]], bucket: int) -> int:
    departures = 0
    for times in departs:
        buckets = 0
        last = -1
        for t in times:  # in order: a new bucket whenever the bucket changes
            if t // bucket != last:
                last = t // bucket
                buckets += 1
        departures += buckets or 1
    waits = len(model.places) * (model.grid.last // bucket)
    return flows * (waits + departures)


def coarse_bucket(model: EvacuationModel, columns: int) -> int | None:
    """The fewest grid steps per bucket that bring the relaxation to about `columns` columns
    (1 when it is that small already), None when no bucket of a day or less does. A bucket
    lies within an hour or is made of whole hours, so that each crossing's hourly throughput
    adds up over it."""
    step = model.grid.step
    flows, departs = _estimate_parts(model, by_kind=False)
    for bucket in range(1, max(1, 86400 // step) + 1):
        seconds = bucket * step
        if bucket > 1 and 3600 % seconds and seconds % 3600:
            continue
        if _estimate(model, flows, departs, bucket) <= columns:
            return bucket
    return None


class FlowRelaxation:
    """The relaxation of one scenario, built once and solved for each objective in turn.

    `constant` holds what families that start at one of their destinations add to each
    objective: they take no part in the flow.
    """

    def __init__(
        self,
        model: EvacuationModel,
        transfers: bool = False,
        by_kind: bool = False,
        bucket: int = 1,
        stop_anywhere: bool = False,
    ) -> None:
        self.m = model
        self.stop_anywhere = stop_anywhere
        """A column for people ending their journey at every place and time, rather than only
        at a destination or at the end (elsewhere, stopping is waiting to the end): the same
        optimum in more columns, where CP-SAT, on whole head-counts, decides sooner."""
        self.transfers = transfers
        """Make people wait a place's transfer time after each leg (as the pooled CP-SAT model
        does), which turns the relaxation into a plan skeleton that model can follow."""
        self.by_kind = by_kind
        """One pool per fleet kind, counting whole vehicles, instead of one per countries."""
        self.bucket = bucket
        """Grid steps per node of the network. Above 1, the relaxation is coarser, smaller and
        still true: whatever happens within a bucket counts as happening at its start (every
        time is rounded down, never a duration up), waiting is counted only from one bucket
        to the next, and each crossing's throughput is summed over the hours of a bucket.
        Only a bound: `moves` and `values` then mean nothing to `planner.flow`."""
        assert bucket == 1 or not transfers, "transfers need the step grid"
        seconds = bucket * model.grid.step
        assert bucket == 1 or 3600 % seconds == 0 or seconds % 3600 == 0
        self.moves: dict[int, tuple[str, int, int, int]] = {}
        """Column -> ("people" | "fleet", commodity or pool index, link index, grid time)."""
        self.T = model.grid.last
        self.last = self.T // bucket
        """The last bucket."""
        self.step = model.grid.step
        self.horizon_hours = model.grid.horizon / 3600.0
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.evac: dict[int, float] = {}
        self.expo: dict[int, float] = {}
        self.arr: dict[int, float] = {}
        self.dest_stop_time: list[tuple[int, int]] = []  # (column, grid time)
        self.rows_lo: list[float] = []
        self.rows_hi: list[float] = []
        self.entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.nodes: dict[int, tuple[int, tuple, int]] = {}
        """Row of each people node -> (commodity index, state, bucket)."""
        self.constant = {"evacuated": 0.0, "exposure": 0.0, "arrival": 0.0}
        self.build_seconds = 0.0
        started = time.monotonic()
        self._commodities = self._group_commodities()
        self._pools = self._group_pools()
        self._pool_reach = [self._reach_pool(p) for p in self._pools]
        self._first_ride: dict[int, float] = {}
        self._coupling: dict[tuple[int, int], int] = {}
        self._throughput: dict[tuple[str, int], int] = {}
        self._service: dict[int, int] = {}
        self._capacity: dict[tuple[int, int], int] = {}
        self._parked: dict[tuple[int, int], int] = {}
        self._merged: dict[tuple, int] = {}
        self._holds: dict[tuple, bool] = {}
        self._open_hours: dict[str | None, set[int]] = defaultdict(set)
        for lk in model.links:
            if lk.kind == "crossing" and lk.throughput is not None:
                self._open_hours[lk.crossing].update(t * self.step // 3600 for t in lk.departs)
        self._arrays: tuple[np.ndarray, ...] | None = None
        self.values: Any = None
        """The column values of the last optimum `solve` found."""
        self._solver: Any = None
        self._stopped = False
        self.open_only = False
        """Solve no stage after the first whose bound the incumbent does not meet
        (`relaxation_bounds`); set from another thread, it holds from the next stage."""
        self._build()
        self.build_seconds = time.monotonic() - started

    # ---- grouping

    def _group_commodities(self) -> list[_Commodity]:
        m = self.m
        by_key: dict[tuple, _Commodity] = {}
        for k in m.classes:
            people = k.people * k.size
            if k.origin in k.dests:
                self.constant["evacuated"] += people
                if m.danger[k.origin]:
                    self.constant["exposure"] += float(k.weight) * people * self.horizon_hours
                continue
            key = commodity_key(k)
            c = by_key.get(key)
            if c is None:
                c = by_key[key] = _Commodity(key)
            at = (k.origin, min(k.ready, self.T))
            c.supply[at] = c.supply.get(at, 0) + people
        return list(by_key.values())

    def _group_pools(self) -> list[_Pool]:
        m = self.m
        pools: dict[object, _Pool] = {}
        for v in m.vehicles:
            start = m.places[v.at]
            if v.countries is not None and m.country[start] not in v.countries:
                continue  # it cannot move at all
            key = v.fleet if self.by_kind else v.countries
            pool = pools.get(key)
            if pool is None:
                pool = pools[key] = _Pool(
                    v.countries,
                    seats=v.seats if self.by_kind else 1,
                    fleet=v.fleet if self.by_kind else None,
                )
            t = max(0, m.grid.up(int(round((v.available - m.grid.start).total_seconds()))))
            if t > self.T:
                continue
            units = 1 if self.by_kind else v.seats
            pool.supply[(start, t)] = pool.supply.get((start, t), 0) + units
        return [p for p in pools.values() if p.supply]

    # ---- reach

    def _head_time(self, depart: int, arrive: int) -> int:
        return max(depart, self.m.grid.up(arrive))

    def _people_head(self, lk, depart: int, arrive: int, c: _Commodity, head: tuple) -> tuple:  # type: ignore[no-untyped-def]
        """Where and when people who take `lk` at grid time `depart` next stand: the state
        (`head` with how they came) and the grid time they may leave it.

        With `transfers`, every leg is followed by the place's transfer. Without, only what
        rule 2 makes every plan wait: the transfer before a change of carrier. People just
        off a vehicle, a crossing on foot or a flight or sailing may go on the same way at
        once (the same vehicle, on foot again) and catch a flight or sailing (whose check-in
        holds the transfer), or wait the transfer for anything else (see `_settled`). Where
        nothing else leaves, or at a destination, they are free at once.
        """
        m = self.m
        place = lk.dst
        if self.transfers and place not in c.dests:
            return head + (FREE,), max(depart + 1, m.grid.up(arrive + m.transfer[place]))
        way = _way(lk)
        if place in c.dests or not self._settle_steps(place) or not self._held(c, place, way):
            return head + (FREE,), self._head_time(depart, arrive)
        return head + (way,), self._head_time(depart, arrive)

    def _held(self, c: _Commodity, place: int, way: int) -> bool:
        """True when people who came `way` to `place` have a leg there that only the
        transfer lets them take."""
        key = (c.key, place, way)
        held = self._holds.get(key)
        if held is None:
            held = self._holds[key] = any(
                lk.index in c.accepted and not _goes_on(way, lk) for lk in self.m.out_links[place]
            )
        return held

    def _settle_steps(self, place: int) -> int:
        """Whole grid steps of `place`'s transfer: whoever arrived by grid time t has waited
        it by t plus these steps (rounded down, so a true wait off the grid is never
        overstated)."""
        return self.m.transfer[place] // self.step

    @staticmethod
    def _settled(s: tuple) -> tuple:
        """State s after its transfer: free to take any leg."""
        return s[:3] + (FREE,)

    def _pool_uses(self, pool: _Pool, lk) -> bool:  # type: ignore[no-untyped-def]
        m = self.m
        if lk.kind == "crossing" and not lk.vehicles:
            return False
        if lk.kind not in ("road", "crossing"):
            return False
        if pool.countries is None:
            return True
        return m.country[lk.src] in pool.countries and m.country[lk.dst] in pool.countries

    def _reach_pool(self, pool: _Pool) -> dict[int, int]:
        """Earliest grid time the pool can have seats at each place."""
        m = self.m
        earliest: dict[int, int] = {}
        heap = []
        for p, t in pool.supply:
            if t < earliest.get(p, INF):
                earliest[p] = t
                heap.append((t, p))
        heapq.heapify(heap)
        while heap:
            t, p = heapq.heappop(heap)
            if earliest.get(p, INF) < t:
                continue
            for lk in m.out_links[p]:
                if not self._pool_uses(pool, lk):
                    continue
                dep = m.first_departure(lk, t)
                if dep is None:
                    continue
                h = self._head_time(dep, lk.departs[dep])
                if h <= self.T and h < earliest.get(lk.dst, INF):
                    earliest[lk.dst] = h
                    heapq.heappush(heap, (h, lk.dst))
        return earliest

    def _ride_possible(self, lk, t: int) -> bool:  # type: ignore[no-untyped-def]
        """True when some pool can have seats on road or crossing `lk` at grid time t."""
        first = self._first_ride.get(lk.index)
        if first is None:
            first = self._first_ride[lk.index] = min(
                (
                    reach.get(lk.src, INF)
                    for pool, reach in zip(self._pools, self._pool_reach, strict=True)
                    if self._pool_uses(pool, lk)
                ),
                default=INF,
            )
        return first <= t

    def _people_moves(self, c: _Commodity, state: tuple[int, int, int, int], t_min: int):  # type: ignore[no-untyped-def]
        """Moves from `state` = (been safe, at home, place, how they came): (link, depart,
        arrive s, head state, head time), the head as `_people_head` has it."""
        m = self.m
        safe, _home, p, way = state
        for lk in m.out_links[p]:
            if lk.index not in c.accepted:
                continue
            if way != FREE and not _goes_on(way, lk):
                continue  # a change of carrier: only after the transfer
            head = (1 if safe or not m.danger[lk.dst] else 0, 0, lk.dst)
            if lk.kind in ("flight", "sailing"):
                if lk.service_arrives > m.grid.horizon:
                    continue
                # rule 6 asks for the transfer within the check-in, whatever came before
                latest = lk.service_departs - max(lk.check_in, m.transfer[p])
                if latest < 0:
                    continue
                t = m.grid.down(latest)
                arr = lk.service_arrives
                if t >= t_min:
                    yield (lk, t, arr, *self._people_head(lk, t, arr, c, head))
                continue
            for t, arr in lk.departs.items():
                if t < t_min:
                    continue
                if lk.kind == "road" and not c.own and not self._ride_possible(lk, t):
                    continue
                yield (lk, t, arr, *self._people_head(lk, t, arr, c, head))

    def _reach_people(self, c: _Commodity) -> tuple[dict[tuple, int], set[tuple]]:
        """Earliest grid time of each state, and the states from which something can be gained."""
        m = self.m
        earliest: dict[tuple, int] = {}
        heap = []
        for p, t in c.supply:
            s = (0 if m.danger[p] else 1, 1, p, FREE)
            if t < earliest.get(s, INF):
                earliest[s] = t
                heap.append((t, s))
        heapq.heapify(heap)
        edges: dict[tuple, set[tuple]] = defaultdict(set)
        while heap:
            t, s = heapq.heappop(heap)
            if earliest.get(s, INF) < t:
                continue
            best: dict[tuple, int] = {}
            for _lk, _dep, _arr, head, h in self._people_moves(c, s, t):
                edges[s].add(head)
                if h <= self.T and h < best.get(head, INF):
                    best[head] = h
            if s[3] != FREE:
                head, h = self._settled(s), t + self._settle_steps(s[2])
                edges[s].add(head)
                if h <= self.T and h < best.get(head, INF):
                    best[head] = h
            for head, h in best.items():
                if h < earliest.get(head, INF):
                    earliest[head] = h
                    heapq.heappush(heap, (h, head))
        # useful: a destination can still be reached, or (not yet safe) a safe place
        into: dict[tuple, set[tuple]] = defaultdict(set)
        for s, heads in edges.items():
            for after in heads:
                into[after].add(s)
        useful = self._before({s for s in earliest if s[2] in c.dests}, into)
        useful |= {s for s in self._before({s for s in earliest if s[0] == 1}, into) if s[0] == 0}
        return earliest, useful

    @staticmethod
    def _before(goal: set[tuple], into: dict[tuple, set[tuple]]) -> set[tuple]:
        """The states of `goal` and every state with a way into one of them."""
        seen = set(goal)
        stack = list(goal)
        while stack:
            s = stack.pop()
            for before in into[s]:
                if before not in seen:
                    seen.add(before)
                    stack.append(before)
        return seen

    # ---- building

    def _column(self, evac: float = 0.0, expo: float = 0.0, arr: float = 0.0) -> int:
        j = len(self.lb)
        self.lb.append(0.0)
        self.ub.append(INF)
        if evac:
            self.evac[j] = evac
        if expo:
            self.expo[j] = expo
        if arr:
            self.arr[j] = arr
        return j

    def _row(self, lo: float, hi: float) -> int:
        self.rows_lo.append(lo)
        self.rows_hi.append(hi)
        return len(self.rows_lo) - 1

    def _put(self, row: int, col: int, value: float) -> None:
        rows, cols, vals = self.entries
        rows.append(row)
        cols.append(col)
        vals.append(value)

    def _keyed_row(self, table: dict, key: object, hi: float) -> int:
        row = table.get(key)
        if row is None:
            row = table[key] = self._row(-INF, hi)
        return row

    def _build(self) -> None:
        for number, (pool, reach) in enumerate(zip(self._pools, self._pool_reach, strict=True)):
            self._build_pool(number, pool, reach)
        for number, c in enumerate(self._commodities):
            self._build_commodity(number, c)

    def _b(self, t: int) -> int:
        """The bucket of grid time t."""
        return t // self.bucket

    def _in_buckets(self, supply: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
        """`supply` by (place, bucket) instead of (place, grid time)."""
        if self.bucket == 1:
            return supply
        out: dict[tuple[int, int], int] = defaultdict(int)
        for (p, t), n in supply.items():
            out[(p, self._b(t))] += n
        return out

    def _merged_column(self, key: tuple, expo: float = 0.0) -> int | None:
        """None for a fresh move, or the column of the same move already made from another
        departure in the same bucket (keeping the smaller exposure)."""
        if self.bucket == 1:
            return None
        j = self._merged.get(key)
        if j is not None and expo and expo < self.expo[j]:
            self.expo[j] = expo
        return j

    def _fresh_column(self, key: tuple, expo: float = 0.0) -> int:
        j = self._column(expo=expo)
        if self.bucket > 1:
            self._merged[key] = j
        return j

    def _throughput_row(self, lk, t: int) -> int:  # type: ignore[no-untyped-def]
        """Rule 5's row for people who start crossing `lk` at grid time t: the hour's, or
        with buckets of whole hours, the bucket's (throughput times the hours it is open)."""
        seconds = self.bucket * self.step
        if seconds <= 3600:
            key = (lk.crossing, t * self.step // 3600)
            return self._keyed_row(self._throughput, key, lk.throughput)
        key = (lk.crossing, self._b(t))
        row = self._throughput.get(key)
        if row is None:  # the open hours are counted once per crossing and bucket
            first = key[1] * seconds // 3600
            open_hours = self._open_hours[lk.crossing]
            hours = sum(1 for h in range(first, first + seconds // 3600) if h in open_hours)
            row = self._keyed_row(self._throughput, key, lk.throughput * hours)
        return row

    def _build_pool(self, number: int, pool: _Pool, reach: dict[int, int]) -> None:
        """Seats of vehicles: out - in <= supply at every (place, bucket)."""
        m = self.m
        node: dict[tuple[int, int], int] = {}
        supply = self._in_buckets(pool.supply)

        def row(p: int, b: int) -> int:
            r = node.get((p, b))
            if r is None:
                r = node[(p, b)] = self._row(-INF, float(supply.get((p, b), 0)))
            return r

        for p, e in reach.items():
            for b in range(self._b(e), self.last):
                j = self._column()
                self._put(row(p, b), j, 1.0)
                self._put(row(p, b + 1), j, -1.0)
            for lk in m.out_links[p]:
                if not self._pool_uses(pool, lk) or lk.dst not in reach:
                    continue
                for t, arr in lk.departs.items():
                    h = self._head_time(t, arr)
                    if t < e or h > self.T:
                        continue
                    key = ("fleet", number, lk.index, self._b(t), self._b(h))
                    if self._merged_column(key) is not None:
                        continue
                    j = self._fresh_column(key)
                    self.moves[j] = ("fleet", number, lk.index, t)
                    self._put(row(p, self._b(t)), j, 1.0)
                    self._put(row(lk.dst, self._b(h)), j, -1.0)
                    if lk.kind == "road":
                        row_c = self._keyed_row(self._coupling, (lk.index, self._b(t)), 0.0)
                        self._put(row_c, j, -float(pool.seats))

    def _build_commodity(self, number: int, c: _Commodity) -> None:
        m = self.m
        H = self.horizon_hours
        w = float(c.weight)
        earliest, useful = self._reach_people(c)
        node: dict[tuple, int] = {}
        stopped: set[tuple] = set()
        supplies = self._in_buckets(c.supply)
        bucket_hours = self.bucket * self.step / 3600.0

        def row(s: tuple, b: int) -> int:
            r = node.get((s, b))
            if r is None:
                supply = 0
                if s[1] == 1 and s[3] == FREE:
                    supply = supplies.get((s[2], b), 0)
                r = node[(s, b)] = self._row(float(supply), float(supply))
                self.nodes[r] = (number, s, b)
            return r

        def stop(s: tuple, b: int) -> None:
            """The people at state s in bucket b end their journey here."""
            if (s, b) in stopped:
                return
            stopped.add((s, b))
            safe, home, p, _way = s
            at_dest = p in c.dests
            j = self._column(
                evac=1.0 if at_dest else 0.0,
                expo=0.0 if safe else w * H,
                arr=(b * bucket_hours) if at_dest else H,
            )
            if at_dest:
                self.dest_stop_time.append((j, b * self.bucket))
            self._put(row(s, b), j, 1.0)
            if m.capacity[p] is not None and not home and b < self.last:
                self._put(self._parked_row(p, b), j, 1.0)

        for (p, t), _people in c.supply.items():
            s = (0 if m.danger[p] else 1, 1, p, FREE)
            if s not in useful:
                stop(s, self._b(t))
        for s, e in earliest.items():
            safe, home, p, way = s
            if s not in useful:
                continue
            counted = m.capacity[p] is not None and not home
            for b in range(self._b(e), self.last + 1):
                if p in c.dests or b == self.last or self.stop_anywhere:
                    stop(s, b)
                if b < self.last:
                    j = self._column()
                    self._put(row(s, b), j, 1.0)
                    self._put(row(s, b + 1), j, -1.0)
                    if counted:
                        self._put(
                            self._keyed_row(self._capacity, (p, b), float(m.capacity[p] or 0)),
                            j,
                            1.0,
                        )
            if way != FREE:  # the transfer, to take any leg after it
                head = self._settled(s)
                for b in range(self._b(e), self.last + 1):
                    h = b * self.bucket + self._settle_steps(p)
                    if h > self.T:
                        break
                    j = self._column()
                    self._put(row(s, b), j, 1.0)
                    self._put(row(head, self._b(h)), j, -1.0)
                    if head not in useful:
                        stop(head, self._b(h))
            for lk, dep, arr, head, h in self._people_moves(c, s, e):
                if h > self.T:
                    continue
                gain = (not safe) and head[0] == 1
                expo = w * arr / 3600.0 if gain else 0.0
                key = ("people", number, s, lk.index, self._b(dep), head, self._b(h))
                if self._merged_column(key, expo) is not None:
                    continue
                j = self._fresh_column(key, expo)
                self.moves[j] = ("people", number, lk.index, dep)
                self._put(row(s, self._b(dep)), j, 1.0)
                self._put(row(head, self._b(h)), j, -1.0)
                if head not in useful:
                    stop(head, self._b(h))
                if lk.kind == "road" and not c.own:
                    row_c = self._keyed_row(self._coupling, (lk.index, self._b(dep)), 0.0)
                    self._put(row_c, j, c.ratio)
                elif lk.kind == "crossing" and lk.throughput is not None:
                    self._put(self._throughput_row(lk, dep), j, 1.0)
                elif lk.kind in ("flight", "sailing"):
                    self._put(self._keyed_row(self._service, lk.index, lk.seats), j, c.ratio)

    def _parked_row(self, p: int, b: int) -> int:
        """People who ended their journey at capacity place p stay there: a chain in time.

        Row (p, b): stops in bucket b + parked from b-1 - parked to b+1 = 0, and the parked
        count from b to b+1 counts against the capacity at b.
        """
        m = self.m
        row = self._parked.get((p, b))
        if row is not None:
            return row
        for u in range(self.last):
            self._parked[(p, u)] = self._row(0.0, 0.0)
        for u in range(self.last):
            j = self._column()
            # the parked column leaves node (p, u) and enters (p, u + 1)
            self._put(self._parked[(p, u)], j, -1.0)
            if u + 1 < self.last:
                self._put(self._parked[(p, u + 1)], j, 1.0)
            self._put(self._keyed_row(self._capacity, (p, u), float(m.capacity[p] or 0)), j, 1.0)
        return self._parked[(p, b)]

    # ---- reading

    def commodity_keys(self) -> list[tuple]:
        """Each commodity's key (see `commodity_key`), by commodity index."""
        return [c.key for c in self._commodities]

    def pool_fleet(self, number: int) -> str:
        """The fleet kind of pool `number` (pools by kind only)."""
        fleet = self._pools[number].fleet
        assert fleet is not None
        return fleet

    def ways(self, values: Any) -> dict[str, frozenset[tuple[str, str, str, str]]]:
        """Per group, the way the relaxation's optimum `values` (of `solve`) sends it: the
        links (kind, from, to, crossing or service id; "" for a road) of one path of the
        people flow from where and when the group is ready.

        The flow of each commodity is split into paths from its supplies, earliest first,
        each following the arc that carries most of what is left; the groups of a class
        take, in file order, the path with most people left on it. A group with no path
        (it starts at a destination, or nothing can be gained) has no way. A guide for the
        dispatcher, not a bound: with buckets the times are coarse, and people are not
        whole."""
        m = self.m
        rows, cols, vals = self.entries
        tail: dict[int, int] = {}
        head: dict[int, int] = {}
        for r, j, v in zip(rows, cols, vals, strict=True):
            if r in self.nodes:
                if v > 0:
                    tail[j] = r
                else:
                    head[j] = r
        left = {j: float(values[j]) for j in tail if values[j] > FLOW_EPSILON}
        out: dict[int, list[int]] = defaultdict(list)
        for j in left:
            out[tail[j]].append(j)
        supplies = sorted((b, r) for r, (_, _, b) in self.nodes.items() if self.rows_lo[r] > 0)
        paths: dict[int, list[list[Any]]] = {}
        for _b, source in supplies:
            found: list[list[Any]] = []
            remaining = self.rows_lo[source]
            while remaining > FLOW_EPSILON:
                node: int | None = source
                path: list[int] = []
                amount = remaining
                while node is not None:
                    arcs = [j for j in out[node] if left[j] > FLOW_EPSILON]
                    if not arcs:
                        break
                    j = max(arcs, key=left.__getitem__)
                    path.append(j)
                    amount = min(amount, left[j])
                    node = head.get(j)
                if not path:
                    break  # what is left is rounding
                for j in path:
                    left[j] -= amount
                remaining -= amount
                found.append([amount, self._way_links(path)])
            paths[source] = found
        row_of = {(number, s, b): r for r, (number, s, b) in self.nodes.items()}
        numbers = {c.key: n for n, c in enumerate(self._commodities)}
        ways: dict[str, frozenset[tuple[str, str, str, str]]] = {}
        for k in m.classes:
            state = (0 if m.danger[k.origin] else 1, 1, k.origin, FREE)
            bucket = self._b(min(k.ready, self.T))
            source = row_of.get((numbers.get(commodity_key(k), -1), state, bucket), -1)
            found = paths.get(source, [])
            for g in k.groups:
                if not found:
                    break
                best = max(found, key=lambda f: f[0])
                best[0] -= g.people
                ways[g.id] = best[1]
        return ways

    def _way_links(self, path: list[int]) -> frozenset[tuple[str, str, str, str]]:
        """The links people take on a path of columns."""
        m = self.m
        links = set()
        for j in path:
            move = self.moves.get(j)
            if move is not None and move[0] == "people":
                lk = m.links[move[2]]
                name = lk.crossing or lk.service or ""
                links.add(way_link(lk.kind, m.place_ids[lk.src], m.place_ids[lk.dst], name))
        return frozenset(links)

    # ---- solving

    @property
    def size(self) -> tuple[int, int]:
        """(columns, rows) of the relaxation."""
        return len(self.lb), len(self.rows_lo)

    def stop(self) -> None:
        """Stop solving, from another thread: the solve under way ends unsolved (None), and
        so does every one after."""
        self._stopped = True
        solver = self._solver
        if solver is not None:
            solver.interrupt_solve()

    def _objective_rows(self) -> dict[str, dict[int, float]]:
        return {"evacuated": self.evac, "exposure": self.expo, "arrival": self.arr}

    def solve(
        self,
        objective: str,
        at_least: dict[str, float],
        at_most: dict[str, float],
        latest_arrival: int | None,
        seconds: float,
    ) -> float | None:
        """The LP optimum of `objective` (max evacuated, min the others) under the earlier
        stages' constraints (`at_least` evacuated, `at_most` exposure/arrival, no arrival at a
        destination after grid time `latest_arrival`); None when not solved in time, or
        once stopped."""
        if self._stopped:
            return None
        n = len(self.lb)
        if self._arrays is None:
            rows, cols, vals = self.entries
            self._arrays = (
                np.array(rows, dtype=np.int64),
                np.array(cols, dtype=np.int64),
                np.array(vals),
                np.array(self.rows_lo),
                np.array(self.rows_hi),
            )
        base_rows, base_cols, base_vals, base_lo, base_hi = self._arrays
        extra_rows: list[np.ndarray] = [base_rows]
        extra_cols: list[np.ndarray] = [base_cols]
        extra_vals: list[np.ndarray] = [base_vals]
        lo_list = [base_lo]
        hi_list = [base_hi]
        coefficients = self._objective_rows()
        r = len(base_lo)
        limits = [
            (name, value - self.constant[name] - 1e-6, INF) for name, value in at_least.items()
        ]
        limits += [
            (name, -INF, value - self.constant[name] + 1e-6 * max(1.0, abs(value)))
            for name, value in at_most.items()
        ]
        for name, lo, hi in limits:
            terms = coefficients[name]
            extra_rows.append(np.full(len(terms), r, dtype=np.int64))
            extra_cols.append(np.fromiter(terms.keys(), dtype=np.int64, count=len(terms)))
            extra_vals.append(np.fromiter(terms.values(), dtype=float, count=len(terms)))
            lo_list.append(np.array([lo]))
            hi_list.append(np.array([hi]))
            r += 1
        rows_lo = np.concatenate(lo_list)
        rows_hi = np.concatenate(hi_list)
        ub = np.array(self.ub)
        if latest_arrival is not None:
            for j, t in self.dest_stop_time:
                if t > latest_arrival:
                    ub[j] = 0.0
        cost = np.zeros(n)
        for j, v in coefficients[objective].items():
            cost[j] = v
        matrix = sparse.csr_matrix(
            (
                np.concatenate(extra_vals),
                (np.concatenate(extra_rows), np.concatenate(extra_cols)),
            ),
            shape=(len(rows_lo), n),
        )
        builder = mb.ModelBuilderHelper()
        fill: Any = builder.fill_model_from_sparse_data  # its stubs want float64 shapes
        fill(np.array(self.lb), ub, cost, rows_lo, rows_hi, matrix)
        builder.set_maximize(objective == "evacuated")
        solver = mb.ModelSolverHelper("glop")
        solver.set_solver_specific_parameters(GLOP_PARAMETERS)
        solver.set_time_limit_in_seconds(max(0.1, seconds))
        self._solver = solver
        if self._stopped:  # checked again now that `stop` can interrupt the solver
            return None
        solver.solve(builder)
        self._solver = None
        status = solver.status()
        if status == mb.SolveStatus.INFEASIBLE:
            return -INF if objective == "evacuated" else INF
        if status != mb.SolveStatus.OPTIMAL:
            log.info("relaxation for %s not solved (%s)", objective, status)
            return None
        self.values = solver.variable_values()
        return solver.objective_value() + self.constant[objective]


def _unit_hours(model: EvacuationModel, objective: str) -> Fraction:
    """The spacing of the values `objective` can take on the grid, in hours."""
    unit = Fraction(model.unit, 3600)
    if objective != "exposure":
        return unit
    weights = {k.weight for k in model.classes}
    num = 0
    den = 1
    for w in weights:
        num = math.gcd(num, w.numerator)
        den = den * w.denominator // math.gcd(den, w.denominator)
    return unit * Fraction(num or 1, den)


def _round_bound(model: EvacuationModel, objective: str, value: float) -> float:
    """An LP optimum made a bound on whole plans: less a relative tolerance, then to the next
    value a plan can take (people are whole; times and weights lie on a lattice)."""
    slack = RELATIVE * max(1.0, abs(value))
    if objective == "evacuated":
        return float(math.floor(value + slack))
    unit = float(_unit_hours(model, objective))
    return math.ceil((value - slack) / unit - 1e-9) * unit


def relaxation_bounds(
    model: EvacuationModel,
    incumbent: dict[str, float | int | None] | Future[dict[str, float | int | None]],
    deadline: float,
    relaxation: FlowRelaxation | None = None,
    known: dict[str, float] | None = None,
    bounds: dict[str, float] | None = None,
    solutions: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Bounds on each objective of the best plan, from the flow relaxation.

    `incumbent` is the objective of a plan that keeps every rule; the best plan is at least as
    good, which the later stages use (see the module docstring). Stages that do not finish by
    `deadline` (a `time.monotonic()` value) get no bound. A stage where the incumbent already
    meets a bound in `known` (true bounds found otherwise) is proven without the relaxation.
    The incumbent may be a future (a plan still being made in another thread): each stage's
    relaxation is then solved first, and waits for the plan only when it needs its values.
    Each bound is put into `bounds` (when given) as soon as it is found, for another thread
    to read while the later stages are solved, and the optimum's column values into
    `solutions` (when given; see `FlowRelaxation.ways`).
    Works on the step grid: the caller reports the bounds only for grid-aligned scenarios.
    """
    if relaxation is None:
        relaxation = FlowRelaxation(model)
    log.info(
        "flow relaxation: %d columns, %d rows, built in %.1f s",
        *relaxation.size,
        relaxation.build_seconds,
    )
    order = list(model.scenario.objective)
    if bounds is None:
        bounds = {}
    at_least: dict[str, float] = {}
    at_most: dict[str, float] = {}
    latest: int | None = None
    proven_so_far = True
    step_hours = model.grid.step / 3600.0
    patience = time.monotonic() + PATIENCE * (deadline - time.monotonic())
    for name in order:
        left = deadline - time.monotonic()
        if left <= 0.05:
            break
        proven = (known or {}).get(name)
        if proven is not None and isinstance(incumbent, Future):
            # a bound found otherwise may settle the stage once the plan comes: rather
            # than solve it meanwhile, wait for the plan (the dispatcher's first, mostly
            # soon made), but for half the time at most: on a large scenario the first
            # plan may take most of it, and the stage is then solved while it is made
            _objective_of(incumbent, name, patience)
            left = deadline - time.monotonic()
        ready = not isinstance(incumbent, Future) or incumbent.done()
        value = _objective_of(incumbent, name, deadline) if ready else None
        if proven is not None and _equal(value, proven):
            bounds[name] = proven
        elif name == "makespan":
            if "evacuated" not in at_least:
                break  # without evacuated before it, nobody moving has makespan 0
            found = earliest_makespan(relaxation, at_least, at_most, latest, deadline)
            if found is None:
                break
            bounds[name] = found * step_hours
        else:
            began = time.monotonic()
            lp = relaxation.solve(name, at_least, at_most, latest, left)
            if lp is None:
                break
            if math.isinf(lp):
                break  # the incumbent itself shows this cannot be: tolerance trouble
            bounds[name] = _round_bound(model, name, lp)
            log.info(
                "flow relaxation: %s bound %s, solved in %.1f s",
                name,
                bounds[name],
                time.monotonic() - began,
            )
            if solutions is not None:
                solutions[name] = relaxation.values
        if not ready:
            value = _objective_of(incumbent, name, deadline)
            if proven is not None and _equal(value, proven):
                bounds[name] = proven
        if value is None:
            break
        # the best plan is at least as good as the incumbent on this objective; equal to it
        # once proven, which only then constrains the next stages further
        if name == "evacuated":
            at_least[name] = float(value)
        if not proven_so_far:
            break
        met = abs(float(value) - bounds[name]) <= 1e-6
        if not met and relaxation.open_only:
            break
        if name != "evacuated" and met:
            if name == "makespan":
                latest = int(round(float(value) / step_hours))
            else:
                at_most[name] = float(value)
        proven_so_far = met
    return bounds


def _equal(value: float | int | None, bound: float) -> bool:
    """True when an objective's value meets `bound` (to rounding)."""
    return value is not None and abs(float(value) - bound) <= 1e-6


def _objective_of(
    incumbent: dict[str, float | int | None] | Future[dict[str, float | int | None]],
    name: str,
    deadline: float,
) -> float | int | None:
    """The incumbent's value of objective `name`; None when it has none, or is still being
    worked out at `deadline`."""
    if isinstance(incumbent, Future):
        try:
            incumbent = incumbent.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return None
    return incumbent.get(name)


def earliest_makespan(
    relaxation: FlowRelaxation,
    at_least: dict[str, float],
    at_most: dict[str, float],
    latest: int | None,
    deadline: float,
) -> int | None:
    """The earliest grid time by which the relaxation can evacuate `at_least` people."""
    need = at_least["evacuated"]
    lo, hi = 0, relaxation.T if latest is None else latest
    while lo < hi:
        mid = (lo + hi) // 2
        left = deadline - time.monotonic()
        if left <= 0.05:
            return None
        value = relaxation.solve("evacuated", {}, at_most, mid, left)
        if value is None:
            return None
        if value >= need - 1e-6:
            hi = mid
        else:
            lo = mid + 1
    return lo


def way_link(kind: str, src: str, dst: str, name: str) -> tuple[str, str, str, str]:
    """A link of a way (`FlowRelaxation.ways`): its kind, the ids of its ends, and its
    crossing's or service's id; "" for a road, since the dispatcher and the model number
    roads apart."""
    return (kind, src, dst, "" if kind == "road" else name)


def _way(lk) -> int:  # type: ignore[no-untyped-def]
    """How people travel on `lk`: aboard a vehicle (a road, a crossing made aboard), on foot
    (any other crossing) or on a flight or sailing."""
    if lk.kind in ("flight", "sailing"):
        return SERVED
    if lk.kind == "road" or lk.vehicles:
        return RIDING
    return ON_FOOT


def _goes_on(way: int, lk) -> bool:  # type: ignore[no-untyped-def]
    """True when people who came `way` may take `lk` with no transfer first: the same way
    on (a flight's or sailing's check-in holds the transfer already)."""
    return lk.kind in ("flight", "sailing") or (way != SERVED and _way(lk) == way)
