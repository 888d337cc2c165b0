"""Legs made sooner: a vehicle that stood idle leaves as soon as those aboard can, and a
family crosses on foot in the first open hour with room after it gets there.

A plan made step by step can leave a vehicle standing where it is while the families it
then takes are there, ready, and then have them queue for a crossing's later hour; or have a
family wait for a crossing's hour that a family moved away since has freed. The swaps and
joins of the exchanges (:mod:`planner.exchange`, which call this) move families between the
legs of the plan but never move a leg. :func:`advance` moves legs earlier, never later, so
nobody is safe or home later:

- a fleet vehicle's leg leaves at the first grid time its road is open (rule 3), or its
  crossing open with room in the hour for everyone aboard (rule 5), on which the vehicle
  has ended its leg before and every family aboard can board it (ready, or arrived with the
  transfer it needs, rule 2); everyone aboard arrives that much sooner;
- a family's crossing on foot starts at the first grid time it can (the transfer after a
  vehicle) when the crossing is open (rule 5) and its hour has room for the family (rule 5's
  throughput); it is on the other side that much sooner.

A family that is somewhere sooner waits there longer: each move is made only when every
place with a capacity has room for it all along (rule 7). Flights and sailings keep their
times, and so do the legs of a vehicle that also carries a family with its own car.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from planner.diagnose import _Explainer, _Way
from planner.exchange import _Exchanger, _past
from planner.plan import Leg, VehicleLeg

_L = TypeVar("_L", Leg, VehicleLeg)


def advance(ex: _Exchanger, deadline: float | None = None) -> set[str]:
    """Move the legs of `ex`'s plan earlier where every rule allows (see the module's
    docstring): every vehicle's legs in time order, then every crossing on foot,
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
    """The soonest the family can take leg `n` of its journey (rules 2 and 6): when it is
    at that leg's place (`_Exchanger._stop`), plus the lead the leg asks of it."""
    stop = ex._stop(gid, n)
    return stop.there + ex.lead(stop.came, ex.legs[gid][n])


def _vehicles(ex: _Exchanger, x: _Explainer, deadline: float | None) -> set[str]:
    ways = {(w.src, w.dst, w.name if w.kind == "crossing" else None): w for w in x.ways}
    riders = _riders(ex)
    moved: set[str] = set()
    for vid, vlegs in ex.vehicle_legs.items():
        if _past(deadline):
            break
        vehicle = ex.s.vehicle_by_id[vid]
        free = max(ex.start, vehicle.available)
        for i, vleg in enumerate(vlegs):
            way = ways.get((vleg.from_, vleg.to, vleg.crossing))
            held = (vid, vleg.from_, vleg.depart) in ex.held
            if way is None or vleg.depart <= free or held:
                free = vleg.arrive
                continue
            aboard = riders.get((vid, vleg.from_, vleg.depart), [])
            people = sum(ex.s.group_by_id[gid].people for gid, _ in aboard)
            soonest = max([free, *(_boards(ex, gid, n) for gid, n in aboard)])
            now = ex._seconds(vleg.depart)
            d = _first(x, way, ex._seconds(soonest))
            while d is not None and d < now:
                # the seats are those of the leg as it was; a crossing's hour, and a place
                # the families are at sooner, may have no room for them
                full = _full(ex, aboard, d - now)
                if full is None and _hour_room(ex, way, d, now, people):
                    shift = timedelta(seconds=d - now)
                    ex.apply({gid: _with_moved(ex, gid, n, shift) for gid, n in aboard})
                    moved |= {gid for gid, _ in aboard}
                    vlegs[i] = _moved(vleg, shift)
                    riders[(vid, vleg.from_, vlegs[i].depart)] = riders.pop(
                        (vid, vleg.from_, vleg.depart), []
                    )
                    break
                d = _first(x, way, _after(x, d, full, vleg.arrive - vleg.depart))
            free = vlegs[i].arrive
    return moved


def _full(ex: _Exchanger, moving: list[tuple[str, int]], shift: int) -> tuple[str, int] | None:
    """A place with a capacity that would be full (and when) were leg `n` of each family
    (`moving`: family, n) `shift` seconds sooner: the family leaves where it was sooner and
    is where the leg ends sooner (rule 7; a family that starts at a place does not count
    there)."""
    delta: dict[str, Counter[int]] = defaultdict(Counter)
    for gid, n in moving:
        people = ex.s.group_by_id[gid].people
        leg = ex.legs[gid][n]
        depart, arrive = ex._seconds(leg.depart), ex._seconds(leg.arrive)
        if ex.s.locations[leg.to].capacity is not None:
            delta[leg.to][arrive + shift] += people
            delta[leg.to][arrive] -= people
        if n and ex.s.locations[leg.from_].capacity is not None:
            delta[leg.from_][depart + shift] -= people
            delta[leg.from_][depart] += people
    return ex._overfull(delta)


def _after(x: _Explainer, t: int, full: tuple[str, int] | None, takes: timedelta) -> int:
    """The next start to try after `t`: a step later, or, when a place would be full at a
    second (`full`: the leg's end, where the families would be sooner), one whose leg
    ends after that second, since one ending by it makes them be there then too."""
    if full is None:
        return t + x.step
    return max(t + x.step, full[1] - int(takes.total_seconds()) + 1)


def _first(x: _Explainer, way: _Way, t: int) -> int | None:
    """The first grid time from `t` on at which a leg along the road or crossing `way` can
    start (rules 3 and 5: closures, open hours), when it ends by the horizon."""
    if way.kind == "road":
        return x._road_depart(way, t, x.end, True)
    return x._crossing_depart(way, t, x.end, True)


def _hour_room(ex: _Exchanger, way: _Way, t: int, now: int, people: int) -> bool:
    """Room for `people` more to start crossing `way` in the hour of `t` when they leave
    the hour of `now` (rule 5's throughput); always along a road."""
    hour = t // 3600
    if way.kind != "crossing" or way.throughput is None or hour == now // 3600:
        return True
    return ex.used[("crossing", way.name, hour)] + people <= way.throughput


def _moved(leg: _L, shift: timedelta) -> _L:
    """`leg` leaving and arriving `shift` later (earlier when negative)."""
    return replace(leg, depart=leg.depart + shift, arrive=leg.arrive + shift)


def _with_moved(ex: _Exchanger, gid: str, n: int, shift: timedelta) -> list[Leg]:
    """The family's journey with leg `n` moved by `shift` (`_moved`)."""
    legs = list(ex.legs[gid])
    legs[n] = _moved(legs[n], shift)
    return legs


def _on_foot(ex: _Exchanger, x: _Explainer, deadline: float | None) -> set[str]:
    crossings = {w.name: w for w in x.ways if w.kind == "crossing"}
    moved: set[str] = set()
    order = sorted(ex.legs, key=lambda g: (-ex.s.weight(ex.s.group_by_id[g]), g))
    for gid in order:
        if _past(deadline):
            break
        people = ex.s.group_by_id[gid].people
        for n, leg in enumerate(ex.legs[gid]):
            if leg.crossing is None or leg.vehicle is not None:
                continue
            way = crossings[leg.crossing]
            now = ex._seconds(leg.depart)
            t = _first(x, way, ex._seconds(_boards(ex, gid, n)))
            while t is not None and t < now:
                full = None
                if _hour_room(ex, way, t, now, people):
                    full = _full(ex, [(gid, n)], t - now)
                    if full is None:
                        ex.apply({gid: _with_moved(ex, gid, n, timedelta(seconds=t - now))})
                        moved.add(gid)
                        break
                t = _first(x, way, _after(x, t, full, leg.arrive - leg.depart))
    return moved
