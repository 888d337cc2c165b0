"""Legs made sooner: a vehicle that stood idle leaves as soon as those aboard can, and a
family crosses on foot in the first open hour with room after it gets there.

A plan made step by step can leave a vehicle standing where it is while the families it
then takes are there, ready, and then have them queue for a crossing's later hour; or have a
family wait for a crossing's hour that a family moved away since has freed. The exchanges of
the way on (:mod:`planner.exchange`) move families between the legs of the plan but never
move a leg. :func:`advance` moves legs earlier, never later, so nobody is safe or home later:

- a fleet vehicle's road leg leaves at the first grid time its road is open (rule 3) on which
  the vehicle has ended its leg before and every family aboard can board it (ready, or
  arrived with the transfer it needs, rule 2); everyone aboard arrives that much sooner;
- a family's crossing on foot starts at the first grid time it can (the transfer after a
  vehicle) when the crossing is open (rule 5) and its hour has room for the family (rule 5's
  throughput); it is on the other side that much sooner.

A family that is somewhere sooner waits there longer: each move is made only when every
place with a capacity has room for it all along (rule 7). Vehicle legs that cross a border
and flights and sailings keep their times.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from planner.diagnose import _Explainer
from planner.exchange import _carrier, _Exchanger, _past
from planner.plan import Leg, VehicleLeg

_L = TypeVar("_L", Leg, VehicleLeg)


def advance(ex: _Exchanger, deadline: float | None = None) -> set[str]:
    """Move the legs of `ex`'s plan earlier where every rule allows (see the module's
    docstring): every vehicle's road legs in time order, then every crossing on foot,
    families of most weight first, until `deadline` (time.monotonic()). Returns the
    families whose journeys changed."""
    x = _Explainer(ex.s)
    moved = _vehicles(ex, x, deadline)
    moved |= _on_foot(ex, x, deadline)
    return moved


def _riders(ex: _Exchanger) -> dict[tuple[str, str, datetime], list[tuple[str, int]]]:
    """Per vehicle leg (vehicle, from, departure): the families aboard and the number of
    that leg in each one's journey."""
    out: dict[tuple[str, str, datetime], list[tuple[str, int]]] = {}
    for gid, legs in ex.legs.items():
        for n, leg in enumerate(legs):
            if leg.vehicle is not None and leg.vehicle != "own":
                out.setdefault((leg.vehicle, leg.from_, leg.depart), []).append((gid, n))
    return out


def _boards(ex: _Exchanger, gid: str, n: int) -> datetime:
    """The soonest the family can take leg `n` of its journey (rules 2 and 6)."""
    legs = ex.legs[gid]
    leg = legs[n]
    if n == 0:
        return ex.s.group_by_id[gid].ready
    before = legs[n - 1]
    return before.arrive + ex.lead(_carrier(before), leg)


def _vehicles(ex: _Exchanger, x: _Explainer, deadline: float | None) -> set[str]:
    roads = {(w.src, w.dst): w for w in x.ways if w.kind == "road"}
    riders = _riders(ex)
    moved: set[str] = set()
    for vid, vlegs in ex.vehicle_legs.items():
        if _past(deadline):
            break
        vehicle = ex.s.vehicle_by_id[vid]
        free = max(ex.start, vehicle.available)
        for i, vleg in enumerate(vlegs):
            way = roads.get((vleg.from_, vleg.to))
            held = (vid, vleg.from_, vleg.depart) in ex.held
            if vleg.kind != "road" or way is None or vleg.depart <= free or held:
                free = vleg.arrive
                continue
            aboard = riders.get((vid, vleg.from_, vleg.depart), [])
            soonest = max([free, *(_boards(ex, gid, n) for gid, n in aboard)])
            now = ex._seconds(vleg.depart)
            d = x._road_depart(way, ex._seconds(soonest), x.end, True)
            while d is not None and d < now:
                shift = timedelta(seconds=d - now)
                new = {}
                for gid, n in aboard:
                    legs = list(ex.legs[gid])
                    legs[n] = _moved(legs[n], shift)
                    new[gid] = legs
                # seats are those of the leg as it was; a place may have no room that soon
                if not new or ex._place_room(new):
                    ex.apply(new)
                    moved |= set(new)
                    vlegs[i] = _moved(vleg, shift)
                    ex.retimed.add(vid)
                    riders[(vid, vleg.from_, vlegs[i].depart)] = riders.pop(
                        (vid, vleg.from_, vleg.depart), []
                    )
                    break
                d = x._road_depart(way, d + x.step, x.end, True)
            free = vlegs[i].arrive
    return moved


def _moved(leg: _L, shift: timedelta) -> _L:
    """`leg` leaving and arriving `shift` later (earlier when negative)."""
    return replace(leg, depart=leg.depart + shift, arrive=leg.arrive + shift)


def _on_foot(ex: _Exchanger, x: _Explainer, deadline: float | None) -> set[str]:
    crossings = {w.name: w for w in x.ways if w.kind == "crossing"}
    moved: set[str] = set()
    order = sorted(ex.legs, key=lambda g: (-ex.s.weight(ex.s.group_by_id[g]), g))
    for gid in order:
        if _past(deadline):
            break
        group = ex.s.group_by_id[gid]
        for n, leg in enumerate(ex.legs[gid]):
            if leg.crossing is None or leg.vehicle is not None:
                continue
            way = crossings[leg.crossing]
            limit = way.throughput if way.throughput is not None else math.inf
            t = x._crossing_depart(way, ex._seconds(_boards(ex, gid, n)), x.end, True)
            now = ex._seconds(leg.depart)
            while t is not None and t < now:
                hour = t // 3600
                if (
                    hour == now // 3600
                    or ex.used[("crossing", way.name, hour)] + group.people <= limit
                ):
                    legs = list(ex.legs[gid])
                    legs[n] = _moved(leg, timedelta(seconds=t - now))
                    if ex._place_room({gid: legs}):
                        ex.apply({gid: legs})
                        moved.add(gid)
                        break
                t = x._crossing_depart(way, t + x.step, x.end, True)
    return moved
