"""The dispatcher a planner with a spreadsheet would run: first come, first served.

:func:`dispatch` makes a plan in well under a second for an embassy and in a few seconds
for a city, and the plan keeps every rule of SCENARIO.md as docs/rules.md reads them. It
proves nothing about optimality: the plan is `feasible` and states no bounds. It is the
plan to start from, to compare the solver with, and to fall back on.

How it works
------------
Time runs on the scenario's `step` grid: roads and crossings are entered at `start + k *
step`, a leg takes exactly its duration, and the next leg leaves from the first grid time at
or after the arrival (plus the place's `transfer` when the carrier changes). Flights and
sailings keep their timetable.

- **Order.** Groups are served by priority, then by readiness, then in file order (the
  `seed` only reshuffles groups that tie on both).
- **Ways.** Each group follows the quickest way to one of its destinations that the open
  hours, closures, documents and seats allow (a search on the place graph, aware of when
  each road and crossing is open, of the crossing hours already booked and of the seats left
  on flights and sailings). A group that can reach no destination is taken out of the danger
  zone when some way leads there.
- **Vehicles.** A fleet vehicle that is free picks up the waiting groups at its place, the
  most urgent first, fills its seats with families going the same way (also at places it
  passes, and at a place up to half an hour off its way), and drives them to the next
  hand-off point: as far along their way as its countries and the crossings let it (a
  border post or the destination). It does not cross a border it could not drive back over
  while groups it could take still wait on this side: its passengers walk across instead.
  It waits a little to fill up when more groups are about to be ready where it is. A
  vehicle with nobody to take drives empty toward the groups no other vehicle is coming
  for: the most urgent first, and among the places it reaches about as soon, the one where
  it fills most seats.
- **Right-sizing.** The plan is also made a second way, and the better one kept: a vehicle
  that would leave not full leaves its load to smaller free vehicles at its place that can
  carry it between them, and a place where few seats wait gets the smallest vehicle that
  takes them all (a car for a couple, the minibus for a family of six).
- **Keeping a vehicle back.** A family ready later may need a vehicle of a kind that all
  left with the first wave. From the plan made, the family ready after the start that
  waited longest for a vehicle (people times priority weight times hours) gets one kept
  back for it: the vehicle drives empty to its place, waits, and leaves with it as soon as
  it is ready, while the rest of the fleet takes the others. The vehicles tried first are
  those whose earlier trips carried fewest seats; when keeping one back leaves another
  later family waiting, one is kept back for that family too. Each change is kept only
  when the whole plan is better in the scenario's objective order, so the look-ahead
  never makes a plan worse, and a few more dispatches are all it costs.
- **Everything else** needs no fleet vehicle and is booked as soon as the group gets there:
  walking through a crossing (where vehicles may not cross, or the vehicle may not enter the
  next country), driving one's own car, boarding the first flight or sailing with seats
  left that the group can still make. Crossing throughput, seats and place capacity are
  booked as they are used, so every booking keeps the rules.

Every group appears in the plan; those not evacuated carry a reason in plain words.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import math
import operator
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

import networkx as nx

from planner.network import build_network, diagnose_unreachable
from planner.plan import (
    GroupPlan,
    Leg,
    LegKind,
    Plan,
    VehicleLeg,
    VehiclePlan,
    driven,
    evaluate_objectives,
    group_status,
)
from planner.scenario import AbsoluteWindow, DailyWindow, Group, Road, Scenario, Vehicle
from planner.timegrid import TimeGrid, in_daily_windows, window_intervals

log = logging.getLogger(__name__)

__all__ = ["Podium", "dispatch", "dispatch_guided", "dispatch_seeds"]

OWN = "own"
"""The carrier of a leg a group drives in its own vehicle."""
FOOT = "foot"
"""The carrier of a crossing made on foot."""

PRIORITY_RANK = {"critical": 0, "high": 1, "normal": 2}
"""Who is served first: lower is more urgent."""

FILL_WAIT = 3600
"""Seconds a vehicle may hold its first passengers while more groups are about to be ready."""
LOOKAHEAD_SCAN = 400
"""Waiting groups looked at when one vehicle is filled (enough for any bus)."""
MAX_STOPS = 3
"""Pick-ups off the way a vehicle may make on one trip."""
MAX_DETOUR = 1800
"""Seconds a pick-up off the way may add to the trip of those aboard."""
REPOSITION_SLACK = 3600
"""Seconds later than the soonest pick-up a vehicle may arrive to fill more seats."""
MAX_REROUTES = 8
"""Fresh searches for a way after a booking failed, before a group gives up."""
DRIVING_WEIGHT = 1.0
"""How much more a second in a fleet vehicle weighs than a second of arrival, in the choice
of a way, when vehicles are scarce: a way by a ferry half an hour from town may get a family
home a little later than one with a 7-hour drive to a border, and leave the bus free for 14
hours of others' trips. On the 15,000-person benchmark the first dispatch gets 14,546 people
home this way, against 13,976 (and 13,632 at 0.5, 14,409 at 1.5, 12,623 at 3); on the
2,000-person one, whose vehicles are enough, exposure rises from 54,895 to 66,046, so each
solve tries both (`dispatch_seeds`)."""
RESERVE_TRIALS = 10
"""Dispatches tried with a vehicle kept back for a group ready later, beyond the first."""
RESERVE_CHOICES = 3
"""Vehicles tried for each group a vehicle is kept back for."""
RESERVE_DEPTH = 2
"""Groups a vehicle is kept back for together in one trial, at most."""
STEER_TRIALS = 30
"""Dispatches tried with some families sent to a place whose last-leg seats went empty."""
STEER_LEAST = 50
"""Empty seats at a place, within a town's reach, worth a steering trial."""
STEER_SHARE = 0.5
"""Share of the time the seeds have when the best of their plans is steered after."""
STEER_SHARES = (0.5, 1.0)
"""Shares of a place's empty seats (within a town's reach) tried as people sent there."""

# How a group reached a place, for the search of its way.
_START, _OFF, _FOOT, _OWN, _SERVICE, _FLEET = range(6)

Hop = tuple[int, str]
"""One step of a group's way: (link index, mode), mode `fleet`, `own`, `foot` or `service`."""
Spans = dict[int, dict[tuple[int, int], int]]
"""Per place with a capacity: people added over spans of grid cells `(first, stop)`."""


Better = Callable[[dict[str, Any]], None]
"""Told the objective values of each better plan as it is found (a live progress line)."""


def dispatch(
    scenario: Scenario,
    seed: int = 0,
    deadline: float | None = None,
    better: Better | None = None,
) -> Plan:
    """Make a first-come-first-served plan for `scenario` that keeps every rule.

    Parameters:
        scenario: the checked scenario.
        seed: reshuffles the order of groups that tie on priority and readiness; the same
            seed always gives the same plan.
        deadline: a `time.monotonic()` instant; the first dispatch always runs, further
            ones (right-sizing, keeping vehicles back) only while each can finish by then.
        better: when given, gets the objective values of each plan better than all before.

    Returns:
        A :class:`Plan` with status `feasible`, no bounds, every group with its status and,
        when not evacuated, a reason; `stats["method"]` is `"greedy"`.

    Example:

    >>> from planner.read import parse_scenario
    >>> s = parse_scenario('''
    ... scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
    ... locations:
    ...   a: {country: LY, danger: true}
    ...   b: {country: TN}
    ... roads: [{from: a, to: b, duration: 2h}]
    ... fleet: [{id: bus, seats: 4, at: a}]
    ... groups: [{id: F1, at: a, destination: b, size: 3}]
    ... ''')
    >>> plan = dispatch(s)
    >>> plan.objective["evacuated"], plan.group("F1").legs[0].vehicle
    (3, 'bus-1')
    """
    return dispatch_seeds(scenario, (seed,), deadline, better=better)


def dispatch_seeds(
    scenario: Scenario,
    seeds: Sequence[int],
    deadline: float | None = None,
    first: Callable[[Plan], None] | None = None,
    steer: bool = False,
    driving: float | None = 0.0,
    better: Better | None = None,
    podium: Podium | None = None,
) -> Plan:
    """The best of the dispatcher's plans with each of `seeds` in turn, then refined (see
    :func:`dispatch`, which is this with one seed).

    Each seed gives up to four plans (as it comes and with vehicles right-sized, each with
    vehicles waiting to fill or not); once every seed has, each gives four more serving
    first the families with a flight or sailing to catch (`_Dispatcher.hurry`). After the
    first plan, each is made only when it can end by `deadline`, so a long list of seeds
    just uses the time there is. With `steer`, the seeds have half the time and the best of
    their plans is steered (:func:`_steer`) in the other half. Then, time allowing,
    vehicles are kept back for late groups (:func:`_keep_back`). `first`, when given, gets
    the first seed's plan as soon as it is made. `seeds` holds at least one seed.

    `driving` weighs the time a way spends in vehicles in its choice (see
    `_Dispatcher.driving`); with None, the first way of the first seed is made both
    without and with `DRIVING_WEIGHT`, and the better of the two sets it for the rest.
    `better`, when given, gets the objective values of each plan better than all before.
    `podium`, when given, keeps the best dispatches made (the returned plan's first), for a
    caller that weighs more than one (:class:`Podium`).
    """
    started = time.perf_counter()
    index = _Index(scenario)
    best: _Dispatcher | None = None
    score: tuple[float, ...] = ()
    one_run = 0.0
    sampling = deadline
    if steer and deadline is not None:
        sampling = time.monotonic() + STEER_SHARE * (deadline - time.monotonic())
    # every seed as it comes first; then, time allowing, every seed again serving first
    # those with a flight or sailing to catch (`_Dispatcher.hurry`)
    rounds = [(seed, hurry) for hurry in (False, True) for seed in seeds]
    # the first way both ways when `driving` is None: the vehicles' time counts for as much
    # as the families' arrival, or not at all; the better sets it for the rest
    weights = (0.0, DRIVING_WEIGHT) if driving is None else (driving,)
    driving = weights[0]
    for n, (seed, hurry) in enumerate(rounds):
        if best is not None and not _time_for(sampling, one_run):
            break
        for w, (fit, wait) in enumerate(_WAYS):
            for weight in weights if n == w == 0 else (driving,):
                if best is not None and not _time_for(sampling, one_run):
                    break
                trial = _Dispatcher(
                    scenario, seed, index, fit=fit, fill_wait=wait, hurry=hurry, driving=weight
                )
                trial_score, took = _run(trial, podium)
                one_run = max(one_run, took)
                if best is None or trial_score < score:
                    if n > 0:
                        log.info(
                            "dispatch with seed %d%s: %s",
                            seed,
                            ", flights first" if hurry else "",
                            _shown(scenario, trial_score),
                        )
                    best, score, driving = trial, trial_score, weight
                    _tell(better, scenario, score)
            if n == w == 0 and driving:
                log.info("dispatch with the time in vehicles weighed: %s", _shown(scenario, score))
        if n == 0 and first is not None:
            assert best is not None
            first(best.plan(time.perf_counter() - started))
    assert best is not None
    if steer:
        best, score = _steer(best, score, deadline, one_run, better, podium)
    best = _keep_back(best, score, deadline, one_run, better, podium)
    plan = best.plan(time.perf_counter() - started)
    log.info(
        "dispatch: %s people evacuated of %s in %.2f s",
        plan.objective["evacuated"],
        scenario.people,
        plan.stats["seconds"],
    )
    return plan


_WAYS = ((False, FILL_WAIT), (True, FILL_WAIT), (False, 0), (True, 0))
"""The dispatcher's ways (right-sized, longest wait to fill), each tried on every seed:
as it comes and right-sized, both again with vehicles leaving without waiting to fill."""


def dispatch_guided(
    scenario: Scenario,
    ways: dict[str, frozenset[tuple[str, str, str, str]]],
    seeds: Sequence[int],
    deadline: float | None = None,
    better: Better | None = None,
) -> Plan:
    """The dispatcher with each family guided out of danger the way the flow relaxation
    sends it (`planner.relaxation.FlowRelaxation.ways`): the best plan over `seeds` (at
    least one). `better`, when given, gets the objective values of each plan better than
    those before it of its seed.

    The dispatcher alone sends each family the quickest way to its destination, which may
    be safe much later than another (a flight home the next morning rather than a crossing
    tonight and a flight from across the border). The relaxation weighs every family
    against the others, as the objectives do. Each family here may leave a place in danger
    only by the links of its way (`ways`, per group: kind, from, to and crossing or service
    id; "" for a road); from a safe place, and whenever its way no longer leads to a
    destination, any way will do. A family that its guide did not get home loses it, and
    one that then still does not get home may not leave danger again the way it did; the
    plan is made again after each, up to GUIDE_ROUNDS times for each of the dispatcher's
    ways; then vehicles are kept back for late families (:func:`_keep_back`). Seed after
    seed while one more can end by `deadline`; the first dispatch is always made.

    Free vehicles are sent where families wait that no vehicle free there now can take
    (`_Dispatcher.idle_cover`): the guide holds families to the ways the relaxation gives
    them, and they are safe sooner when a free coach comes at once than when one that is
    out on a trip comes back for them hours later. Of families of the same priority ready
    at once, those with a flight or sailing to catch are served first
    (`_Dispatcher.hurry`). On the 2,000-person benchmark, over seeds 0 to 5 of
    `planner.model.solve` at 20 s (one run each), the exposure of the plan was 45,550 on
    average before either; 45,318 with the first (lower on five of the six seeds); 45,283
    and 45,242 in two runs with both, at most 45,391."""
    from planner.relaxation import way_link

    started = time.perf_counter()
    index = _Index(scenario)
    keyed: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    for link in index.links:
        src, dst = index.place_ids[link.src], index.place_ids[link.dst]
        keyed[way_link(link.kind, src, dst, link.name)].append(link.index)
    guide = {
        i: frozenset(li for key in ways[g.id] for li in keyed.get(key, ()))
        for i, g in enumerate(scenario.groups)
        if g.id in ways
    }
    best: _Dispatcher | None = None
    score: tuple[float, ...] = ()
    one_run = one_seed = 0.0
    for seed in seeds:
        if best is not None and deadline is not None and time.monotonic() + one_seed > deadline:
            break
        began = time.monotonic()
        mine: _Dispatcher | None = None
        mine_score: tuple[float, ...] = ()
        for fit, wait in _WAYS:
            kept = dict(guide)
            steer: dict[int, frozenset[int]] = {}
            for _ in range(GUIDE_ROUNDS):
                if mine is not None and not _time_for(deadline, one_run):
                    break
                trial = _Dispatcher(
                    scenario,
                    seed,
                    index,
                    fit=fit,
                    fill_wait=wait,
                    steer=steer,
                    hurry=True,
                    guide=kept,
                    idle_cover=True,
                )
                trial_score, took = _run(trial)
                one_run = max(one_run, took)
                if mine is None or trial_score < mine_score:
                    mine, mine_score = trial, trial_score
                lost = [p for p in trial.parties if p.index in guide and not trial.home(p)]
                if not lost:
                    break
                for party in lost:
                    if party.index in kept:
                        del kept[party.index]
                    else:  # lost without its guide too: not out of danger that way again
                        out = trial.out_of_danger(party)
                        if out is not None:
                            steer[party.index] = steer.get(party.index, frozenset()) | {out}
        assert mine is not None
        shown = _shown(scenario, mine_score)
        log.info("dispatch guided by the relaxation, seed %d: %s", seed, shown)
        _tell(better, scenario, mine_score)
        mine = _keep_back(mine, mine_score, deadline, one_run, better)
        mine_score = mine.score()
        if best is None or mine_score < score:
            best, score = mine, mine_score
        one_seed = max(one_seed, time.monotonic() - began)
    assert best is not None
    return best.plan(time.perf_counter() - started)


GUIDE_ROUNDS = 4
"""Dispatches with families guided by the relaxation, each after the families their guide
did not get home lost it (see :func:`dispatch_guided`)."""


def _run(trial: _Dispatcher, podium: Podium | None = None) -> tuple[tuple[float, ...], float]:
    """Run a dispatch: its score, and the seconds the run took; `podium`, when given, is
    shown it."""
    began = time.monotonic()
    trial.run()
    took = time.monotonic() - began
    score = trial.score()
    if podium is not None:
        podium.enter(trial, score)
    return score, took


class Podium:
    """The `size` best dispatches of :func:`dispatch_seeds`, of distinct scores.

    A plan's score is not all there is to it: the families a plan leaves behind may still
    get home in the room it leaves (`planner.rescue`), and how many does not follow from
    its score. On the 15,000-person benchmark, of the ten best dispatches of seeds 1 to 15
    (odd; 25 s, steered), the best got 14,551 people home and 14,834 with its families
    left behind taken home, the fourth 14,513 and 14,866, the eighth 14,294 and 14,864; of
    seeds 0 to 14 (even), the best 14,457 and 14,525, the fifth 14,358 and 14,660. A
    caller that takes families home weighs the runners-up too (:meth:`runners_up`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.began = time.perf_counter()
        self._entries: list[tuple[tuple[float, ...], int, _Dispatcher]] = []
        self._seen = 0

    def enter(self, trial: _Dispatcher, score: tuple[float, ...]) -> None:
        """Keep `trial` when it is among the best and no dispatch kept has its score (the
        first made of alike ones, as :func:`dispatch_seeds` keeps)."""
        if any(kept == score for kept, _, _ in self._entries):
            return
        self._seen += 1
        self._entries.append((score, self._seen, trial))
        self._entries.sort(key=lambda entry: entry[:2])
        del self._entries[self.size :]

    def runners_up(self) -> list[Callable[[], Plan]]:
        """The dispatches kept after the best (whose plan :func:`dispatch_seeds` returns),
        best first, each as a call that makes its plan (on 36,000 people, seconds)."""
        return [partial(self._plan, trial) for _, _, trial in self._entries[1:]]

    def _plan(self, trial: _Dispatcher) -> Plan:
        return trial.plan(time.perf_counter() - self.began)


def _time_for(deadline: float | None, one_run: float) -> bool:
    """True when one more dispatch, as long as the longest so far, can end by `deadline`."""
    return deadline is None or time.monotonic() + 1.5 * one_run < deadline


def _values(scenario: Scenario, score: tuple[float, ...]) -> dict[str, float]:
    """A dispatch's score as objective values."""
    return {
        name: -value if name == "evacuated" else value
        for name, value in zip(scenario.objective, score, strict=True)
    }


def _shown(scenario: Scenario, score: tuple[float, ...]) -> str:
    """A dispatch's score as objective values, for the log."""
    return ", ".join(f"{name} {value:g}" for name, value in _values(scenario, score).items())


def _tell(better: Better | None, scenario: Scenario, score: tuple[float, ...]) -> None:
    """Tell `better`, when given, the objective values of a better dispatch's `score`."""
    if better is not None:
        better(_values(scenario, score))


def _keep_back(
    best: _Dispatcher,
    score: tuple[float, ...],
    deadline: float | None,
    one_run: float,
    better: Better | None = None,
    podium: Podium | None = None,
) -> _Dispatcher:
    """From `best` (whose score is `score`), try keeping a vehicle back for the group ready
    after the start that waited longest (a later family needing a vehicle that had all gone
    with the first wave), and keep each change that gives a better plan in the scenario's
    objective order.

    At most RESERVE_TRIALS more dispatches, RESERVE_CHOICES vehicles for each group: first
    those whose trips before it was ready carried fewest seats (their absence costs the
    others least). A vehicle kept back may leave another later group waiting: then a
    vehicle is kept back for that one too, and the two are judged together."""
    tried: set[int] = set()
    trials = 0
    while trials < RESERVE_TRIALS and _time_for(deadline, one_run):
        found = best.waited_longest(tried)
        if found is None:
            break
        party, choices = found
        tried.add(party)
        for van in choices[:RESERVE_CHOICES]:
            if not _time_for(deadline, one_run):
                break
            kept, kept_score, made = _try_keeping(
                best,
                {**best.reserved, van: party},
                score,
                RESERVE_TRIALS - trials,
                podium,
                deadline,
                one_run,
            )
            trials += made
            if kept is not None:
                best, score = kept, kept_score
                _tell(better, best.s, score)
                break
            if trials >= RESERVE_TRIALS:
                break
    return best


def _steer(
    best: _Dispatcher,
    score: tuple[float, ...],
    deadline: float | None,
    one_run: float,
    better: Better | None = None,
    podium: Podium | None = None,
) -> tuple[_Dispatcher, tuple[float, ...]]:
    """Send some of the first families of a town to the last leg's services of one place
    (say an airport) whose seats went empty, and keep each change that gives a better plan.

    The dispatcher sends each family the quickest way there is when it sets off, so the
    first families all take the quickest flights, which then fill; the families after them
    find them full, while an airport reached only by a slower way (a ferry) flew with empty
    seats that the first families could have taken. Each trial takes the families first
    ready in one town, as many people as about half (then all) of the empty seats they can
    still reach at one place, and lets them take no last-leg service from anywhere else;
    the better of the two is kept when it is better than the plan in hand. The town and
    place with most empty seats go first, worked out again from each plan kept; once every
    pair has been tried, they are tried again if a change was kept meanwhile. At most
    STEER_TRIALS dispatches, each begun only when it can end by `deadline`."""
    index = best.index
    parties = best._make_parties(best.seed)  # where each starts, as it starts
    ends = frozenset(d for p in parties for d in p.destinations)
    finals: dict[int, list[_Link]] = defaultdict(list)
    for link in index.links:
        if link.departs_at is not None and link.dst in ends:
            finals[link.src].append(link)
    towns: dict[int, list[_Party]] = defaultdict(list)
    for party in sorted(parties, key=lambda p: (p.ready, p.order)):
        if index.danger[party.place]:
            towns[party.place].append(party)
    # the earliest any family of a town gets to each place: its first of each documents
    # profile (a town's first family may hold papers a ferry does not take)
    reach: dict[int, list[float]] = {}
    for town, here in towns.items():
        firsts: dict[int, _Party] = {}
        for party in here:
            firsts.setdefault(party.profile, party)
        ways = [best.reach(party) for party in firsts.values()]
        reach[town] = [min(way[place] for way in ways) for place in range(len(index.place_ids))]
    tried: set[tuple[int, int]] = set()
    kept = False  # a change kept since `tried` was last emptied
    trials = 0
    while trials < STEER_TRIALS:
        # the empty seats of the plan in hand, each town's reach of them
        candidates = []
        for town in towns:
            for place, links in finals.items():
                empty = sum(
                    best.book.seats_left(link)
                    for link in links
                    if link.departs - link.lead >= reach[town][place]
                )
                if empty >= STEER_LEAST and (town, place) not in tried:
                    candidates.append((-empty, town, place))
        if not candidates:
            if not kept:
                break
            # each pair was tried on the plan in hand when its turn came; the plan kept
            # since differs, and so may the outcome
            tried.clear()
            kept = False
            continue
        minus_empty, town, place = min(candidates)
        tried.add((town, place))
        # per set of destinations: the last-leg services from anywhere but `place`
        elsewhere: dict[frozenset[int], frozenset[int]] = {}
        found: tuple[_Dispatcher, tuple[float, ...], int] | None = None
        for share in STEER_SHARES:
            if trials >= STEER_TRIALS or not _time_for(deadline, one_run):
                break
            steered = dict(best.steer)
            people = 0
            for party in towns[town]:
                if people >= -minus_empty * share:
                    break
                if party.index in steered or not any(
                    link.dst in party.destinations and link.index in best.accepted[party.profile]
                    for link in finals[place]
                ):
                    continue
                if party.destinations not in elsewhere:
                    elsewhere[party.destinations] = frozenset(
                        link.index
                        for other, links in finals.items()
                        if other != place
                        for link in links
                        if link.dst in party.destinations
                    )
                steered[party.index] = elsewhere[party.destinations]
                people += party.people
            if people == 0:
                break
            trial = best.again(steer=steered)
            trial_score, took = _run(trial, podium)
            trials += 1
            one_run = max(one_run, took)
            log.debug(
                "steering trial: %d people of %s sent to %s: %s",
                people,
                index.place_ids[town],
                index.place_ids[place],
                _shown(best.s, trial_score),
            )
            if trial_score < (score if found is None else found[1]):
                found = trial, trial_score, people
        if found is not None:
            best, score, people = found
            kept = True
            _tell(better, best.s, score)
            log.info(
                "dispatch with %d people of %s sent to %s: %s",
                people,
                index.place_ids[town],
                index.place_ids[place],
                _shown(best.s, score),
            )
        elif trials >= STEER_TRIALS or not _time_for(deadline, one_run):
            break
    return best, score


def _try_keeping(
    best: _Dispatcher,
    reserve: dict[int, int],
    score: tuple[float, ...],
    budget: int,
    podium: Podium | None = None,
    deadline: float | None = None,
    one_run: float = 0.0,
) -> tuple[_Dispatcher | None, tuple[float, ...], int]:
    """Dispatch with `reserve`, and when that is no better than `score`, with a vehicle
    kept back as well for the later group that then waited longest (up to RESERVE_DEPTH
    groups), each dispatch after the first only when it can end by `deadline`
    (`_time_for`). Returns the first better dispatch (or None), its score, and the
    dispatches made (at most `budget`)."""
    made = 0
    for _ in range(min(RESERVE_DEPTH, budget)):
        if made and not _time_for(deadline, one_run):
            break
        made += 1
        trial = best.again(reserve=reserve)
        trial_score, _ = _run(trial, podium)
        if trial_score < score:
            return trial, trial_score, made
        deeper = trial.waited_longest(set())
        if deeper is None or not deeper[1]:
            break
        reserve = {**reserve, deeper[1][0]: deeper[0]}
    return None, score, made


# --- the scenario on indices ------------------------------------------------------------


@dataclass
class _Link:
    """One directed way from place `src` to `dst`: a road direction, a crossing, or a
    flight or sailing. Times are whole seconds from the scenario start."""

    index: int
    kind: LegKind
    src: int
    dst: int
    duration: int = 0
    """Road duration or crossing processing, rounded up to whole seconds."""
    next_ok: list[int] = field(default_factory=list)
    """Roads and crossings: for grid point k, the first grid point at or after k where the
    leg may depart (open, clear of closures, ending by the horizon), or -1."""
    name: str = ""
    """The crossing or service id."""
    throughput: int | None = None
    vehicles: bool = True
    documents: frozenset[str] | None = None
    departs: int = 0
    arrives: int = 0
    departs_at: datetime | None = None
    arrives_at: datetime | None = None
    lead: int = 0
    """Services: seconds the group must be at `src` before departure (check-in, transfer)."""
    seats: int = 0
    kinds: tuple[int, ...] = ()
    """Roads and crossings: fleet kinds whose countries hold both ends."""


def _ceil(seconds: float) -> int:
    """Whole seconds, rounded up (a float's last bit of noise aside)."""
    return math.ceil(seconds - 1e-9)


def _next_table(ok: list[bool]) -> list[int]:
    """For each index, the first index at or after it where `ok` holds (-1: none); one
    extra entry at the end so that a query just past the grid finds none."""
    table = [-1] * (len(ok) + 1)
    for k in range(len(ok) - 1, -1, -1):
        table[k] = k if ok[k] else table[k + 1]
    return table


class _Index:
    """The scenario on indices and grid seconds: places, links, fleet kinds."""

    def __init__(self, scenario: Scenario) -> None:
        grid = TimeGrid.of(scenario)
        self.scenario = scenario
        # In UTC, so that adding seconds is not wall-clock arithmetic across a DST change.
        self.start = scenario.start.astimezone(UTC)
        self.instants: dict[int, datetime] = {}
        """The instant of each second from the start asked for."""
        self.step = grid.step
        self.horizon = grid.horizon
        self.last = grid.last
        self.place_ids = list(scenario.locations)
        self.place_of = {pid: i for i, pid in enumerate(self.place_ids)}
        locations = [scenario.locations[p] for p in self.place_ids]
        self.country = [loc.country for loc in locations]
        self.danger = [loc.danger for loc in locations]
        self.transfer = [_ceil(loc.transfer.total_seconds()) for loc in locations]
        self.capacity = [loc.capacity for loc in locations]
        self.tz: list[tzinfo] = [loc.timezone for loc in locations]
        self.kind_ids = [k.id for k in scenario.fleet]
        self.kind_seats = [k.seats for k in scenario.fleet]
        self.kind_countries = [k.countries for k in scenario.fleet]
        self.links: list[_Link] = []
        self.out: list[list[int]] = [[] for _ in self.place_ids]
        self.into: list[list[int]] = [[] for _ in self.place_ids]
        for road in scenario.roads:
            self._add_road(road, road.from_, road.to)
            if road.both_ways and road.from_ != road.to:
                self._add_road(road, road.to, road.from_)
        self._add_crossings()
        self._add_services()
        self.throughputs = [lk.throughput for lk in self.links if lk.throughput is not None]
        """The throughput of each crossing that has one."""
        self.services = [lk for lk in self.links if lk.kind in ("flight", "sailing")]
        """Flights and sailings that may be taken."""
        self._reach: dict[tuple[int, int], frozenset[int]] = {}
        self._there: dict[tuple[int, int], int | None] = {}
        self.profiles: dict[tuple[Any, ...], int] = {}
        """Documents profiles (see `_Dispatcher._profile`), numbered alike in every dispatch."""
        self.accepted: list[frozenset[int]] = []
        """Per documents profile: the crossings and services that accept it."""
        self.clocks: dict[tuple[int, int], str] = {}
        """A time at a place in words (see `_Dispatcher._clock`)."""
        self.alike: dict[tuple[int, int], tuple[bool, ...]] = {}
        """What fits a party of so many people and seats at all (see
        `_Dispatcher._fits_alike`)."""
        self.legs: dict[tuple[int, int, int, str], Leg] = {}
        """The legs of the plans, by link, departure, arrival and carrier."""
        self.first_ways: dict[tuple[Any, ...], tuple[list[Hop], bool] | None] = {}
        """Ways found while no crossing hour or service has less room left than the largest
        group (see `_Dispatcher._route`): what is booked does not change those, so every
        dispatch shares them."""
        self.earliest = [self._kind_earliest(k) for k in range(len(scenario.fleet))]
        """Per fleet kind and place: the earliest second a vehicle of the kind can be there."""

    def seconds(self, when: datetime) -> float:
        """Seconds from the scenario start to `when`."""
        return (when - self.start).total_seconds()

    def instant(self, seconds: int) -> datetime:
        """The instant `seconds` after the start."""
        when = self.instants.get(seconds)
        if when is None:
            when = self.instants[seconds] = self.start + timedelta(seconds=seconds)
        return when

    def up(self, seconds: int) -> int:
        """The first grid point at or after `seconds` (never before the start)."""
        return max(0, -(-seconds // self.step))

    def _kinds_between(self, a: int, b: int) -> tuple[int, ...]:
        """Fleet kinds whose countries hold both places."""
        countries = {self.country[a], self.country[b]}
        return tuple(
            k
            for k, allowed in enumerate(self.kind_countries)
            if allowed is None or countries <= allowed
        )

    def _add(self, link: _Link) -> None:
        """Number a link and attach it to its ends."""
        self.links.append(link)
        self.out[link.src].append(link.index)
        self.into[link.dst].append(link.index)

    def _add_road(self, road: Road, frm: str, to: str) -> None:
        """One direction of a road: departures on the grid whose leg `[depart, arrive)`
        meets no closure (daily windows in the local time of the road's `from`) and ends by
        the horizon."""
        src, dst = self.place_of[frm], self.place_of[to]
        duration = _ceil(road.duration.total_seconds())
        tz = self.scenario.locations[road.from_].timezone
        closures = [
            (math.floor(self.seconds(a)), _ceil(self.seconds(b)))
            for a, b in window_intervals(road.closed, tz, self.start, self.scenario.end)
        ]
        ok = [False] * (self.last + 1)
        for k in range(self.last + 1):
            depart = k * self.step
            arrive = depart + duration
            if arrive > self.horizon:
                break
            # A leg of no duration still may not start inside a closure.
            end = max(arrive, depart + 1)
            ok[k] = not any(depart < c2 and c1 < end for c1, c2 in closures)
        link = _Link(
            len(self.links),
            "road",
            src,
            dst,
            duration,
            _next_table(ok),
            kinds=self._kinds_between(src, dst),
        )
        self._add(link)

    def _add_crossings(self) -> None:
        """Crossings: departures on the grid inside an open window (local time of `from`),
        outside every closure, ending by the horizon."""
        for c in self.scenario.crossings:
            src, dst = self.place_of[c.from_], self.place_of[c.to]
            tz = self.scenario.locations[c.from_].timezone
            daily = tuple(w for w in c.closed if isinstance(w, DailyWindow))
            absolute = [
                (math.floor(self.seconds(w.start)), _ceil(self.seconds(w.end)))
                for w in c.closed
                if isinstance(w, AbsoluteWindow)
            ]
            duration = _ceil(c.processing.total_seconds())
            ok = [False] * (self.last + 1)
            for k in range(self.last + 1):
                depart = k * self.step
                if depart + duration > self.horizon:
                    break
                when = self.instant(depart)
                ok[k] = (
                    in_daily_windows(when, c.open, tz)
                    and not (daily and in_daily_windows(when, daily, tz))
                    and not any(c1 <= depart < c2 for c1, c2 in absolute)
                )
            link = _Link(
                len(self.links),
                "crossing",
                src,
                dst,
                duration,
                _next_table(ok),
                name=c.id,
                throughput=c.throughput,
                vehicles=c.vehicles,
                documents=c.documents,
                kinds=self._kinds_between(src, dst),
            )
            self._add(link)

    def _add_services(self) -> None:
        """Flights and sailings that leave after the start and land by the horizon."""
        for s in self.scenario.services:
            departs, arrives = self.seconds(s.departs), self.seconds(s.arrives)
            if departs < 0 or arrives > self.horizon:
                continue
            src = self.place_of[s.from_]
            lead = max(_ceil(s.check_in.total_seconds()), self.transfer[src])
            link = _Link(
                len(self.links),
                s.kind,
                src,
                self.place_of[s.to],
                name=s.id,
                documents=s.documents,
                departs=math.floor(departs),
                arrives=_ceil(arrives),
                departs_at=s.departs,
                arrives_at=s.arrives,
                lead=lead,
                seats=s.seats,
            )
            self._add(link)

    def road_depart(self, link: _Link, earliest: int) -> int | None:
        """The first grid departure at or after `earliest` on a road or crossing, ignoring
        throughput; None when there is none before the horizon."""
        k = -(-earliest // self.step) if earliest > 0 else 0
        if k > self.last:
            return None
        ok = link.next_ok[k]
        return None if ok < 0 else ok * self.step

    def fleet_there(self, link: _Link, seats: int) -> int | None:
        """The earliest a fleet vehicle with `seats` free that may drive this road can be at
        its start; None when none can."""
        key = (link.index, seats)
        if key not in self._there:
            times = [
                e
                for k in link.kinds
                if self.kind_seats[k] >= seats and (e := self.earliest[k][link.src]) is not None
            ]
            self._there[key] = min(times) if times else None
        return self._there[key]

    def drivable(self, kind: int, link: _Link) -> bool:
        """May a vehicle of this kind drive this link (a road or a vehicle crossing within
        its countries)?"""
        if link.kind == "crossing":
            return link.vehicles and kind in link.kinds
        return link.kind == "road" and kind in link.kinds

    def reach(self, kind: int, place: int) -> frozenset[int]:
        """Places a vehicle of this kind can drive to from `place`, whatever the time."""
        key = (kind, place)
        if key not in self._reach:
            seen = {place}
            todo = [place]
            while todo:
                p = todo.pop()
                for li in self.out[p]:
                    link = self.links[li]
                    if link.dst not in seen and self.drivable(kind, link):
                        seen.add(link.dst)
                        todo.append(link.dst)
            self._reach[key] = frozenset(seen)
        return self._reach[key]

    def _kind_earliest(self, kind: int) -> list[int | None]:
        """When a vehicle of a kind can first be at each place, driving empty from its `at`
        after `available` (roads and vehicle crossings within its countries)."""
        fleet = self.scenario.fleet[kind]
        at = self.place_of[fleet.at]
        best: list[int | None] = [None] * len(self.place_ids)
        first = max(0, _ceil(self.seconds(fleet.available)))
        if first > self.horizon:
            return best
        best[at] = first
        heap = [(first, at)]
        while heap:
            t, p = heapq.heappop(heap)
            if best[p] != t:
                continue
            for li in self.out[p]:
                link = self.links[li]
                if not self.drivable(kind, link):
                    continue
                depart = self.road_depart(link, t)
                if depart is None:
                    continue
                arrive = depart + link.duration
                known = best[link.dst]
                if known is None or arrive < known:
                    best[link.dst] = arrive
                    heapq.heappush(heap, (arrive, link.dst))
        return best


# --- what moves: groups and vehicles ---------------------------------------------------


@dataclass
class _Move:
    """A leg made: its link, times in seconds, and who carried the group."""

    link: int
    depart: int
    arrive: int
    carrier: str


@dataclass
class _Party:
    """A group on its way: where it is, since when, on what it came, and what comes next."""

    index: int
    group: Group
    people: int
    seats: int
    rank: int
    order: int
    profile: int
    """Index of the group's documents profile (which crossings and services accept it)."""
    destinations: frozenset[int]
    place: int
    time: int
    """Arrival at `place`; its ready time before the first leg."""
    own_ok: bool
    ready: int = 0
    """When it is ready at its `at` (seconds, rounded up)."""
    carrier: str | None = None
    """Carrier of the last leg; None before the first."""
    moves: list[_Move] = field(default_factory=list)
    route: list[Hop] = field(default_factory=list)
    avail: int = 0
    """When it may board a fleet vehicle at `place` (after the transfer)."""
    stay: int | None = None
    """Arrival second of its open stay at a place with capacity (counted until it leaves)."""
    heading_to_safety: bool = False
    """Its way leads out of danger, not to a destination."""
    trouble: str | None = None
    """What last stopped it, in words, for its reason."""
    done: bool = False
    waiting: bool = False
    reroutes: int = 0
    excluded: frozenset[int] = frozenset()
    """Links it may not take: services whose arrival place is full, and every way into a
    place that is full for good."""
    kinds: tuple[int, ...] = ()
    """While waiting: the fleet kinds that could take its next hop."""
    unhurried: bool = False
    """With `_Dispatcher.hurry`: the way it set off on takes no flight or sailing."""
    guide: frozenset[int] | None = None
    """The only links it may take out of a place in danger (see :func:`dispatch_guided`),
    while a way to a destination keeps to them; None: any."""


_service_order = operator.attrgetter("rank", "avail", "unhurried", "order")
"""Order of service of parties: priority, then readiness, then (with
`_Dispatcher.hurry`) those with a flight or sailing to catch, then order."""
_ready_order = operator.attrgetter("avail", "rank", "order")
"""Order of readiness of parties."""


@dataclass
class _VMove:
    """A leg a fleet vehicle makes, with the groups aboard."""

    link: int
    depart: int
    arrive: int
    groups: list[str] = field(default_factory=list)


@dataclass
class _Van:
    """A fleet vehicle: where its chain of legs ends and when."""

    index: int
    vehicle: Vehicle
    kind: int
    seats: int
    place: int
    free: int
    """When its last leg ends (its `available` before the first)."""
    moves: list[_VMove] = field(default_factory=list)
    holding_since: int | None = None
    """When it started holding its first passengers to fill up."""


@dataclass
class _Ride:
    """A party on a vehicle trip: it boards before hop `board` and gets off after hop
    `alight - 1`, covering `consumed` hops of its own way."""

    party: _Party
    board: int
    alight: int
    consumed: int
    cut: bool = False
    """The trip ended before the party's stop: it looks for a fresh way from there."""


@dataclass
class _Run:
    """A vehicle trip being put together: the hops it drives and who rides where."""

    hops: list[int]
    rides: list[_Ride]
    """The lead first."""
    times: list[tuple[int, int]] = field(default_factory=list)
    """Departure and arrival of each hop driven."""

    def seats(self) -> int:
        """Seats of everyone on the trip (they need not all be aboard at once)."""
        return sum(r.party.seats for r in self.rides)

    def copy(self) -> _Run:
        """A copy to try changes on."""
        rides = [_Ride(r.party, r.board, r.alight, r.consumed, r.cut) for r in self.rides]
        return _Run(list(self.hops), rides, list(self.times))


# --- booking: crossing throughput, seats, place capacity --------------------------------


class _Bookings:
    """What is already taken: people per crossing per hour, seats per service, people per
    place with a capacity per grid step.

    Place occupancy is kept per grid cell `[k step, (k+1) step)`; a stay `[a, d)` occupies
    every cell it touches, so the count is never below the truth (departures are on the grid,
    so a group may still arrive at the instant another leaves).
    """

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.crossed: dict[tuple[int, int], int] = {}
        self.seats_taken: dict[int, int] = {}
        self.occupancy: dict[int, list[int]] = {
            p: [0] * (index.last + 1) for p, cap in enumerate(index.capacity) if cap is not None
        }
        self.largest_group = max((g.seats for g in index.scenario.groups), default=0)
        """The most people or seats of any group."""
        self.version = 0
        """Bumped on every booking that may leave some group without room in a crossing
        hour or on a service, and so change its quickest way."""
        self.changes = 0
        """Bumped on every booking of a crossing or a stay at a place with capacity."""

    # crossings
    def crossing_room(self, link: _Link, depart: int, people: int) -> bool:
        """Rule 5: at most `throughput` people start crossing in each hour from the start."""
        if link.throughput is None:
            return True
        hour = depart // 3600
        return self.crossed.get((link.index, hour), 0) + people <= link.throughput

    def crossing_depart(self, link: _Link, earliest: int, people: int) -> int | None:
        """The first grid departure at or after `earliest` that is open, clear of closures,
        and has room for `people` in its hour."""
        index = self.index
        k = index.up(earliest)
        while k <= index.last:
            ok = link.next_ok[k]
            if ok < 0:
                return None
            depart = ok * index.step
            if self.crossing_room(link, depart, people):
                return depart
            # The hour is full: try the first grid point of the next hour.
            k = index.up((depart // 3600 + 1) * 3600)
        return None

    def book_crossing(self, link: _Link, depart: int, people: int) -> None:
        """Count `people` starting to cross at `depart`."""
        if link.throughput is not None and people:
            self.changes += 1
            key = (link.index, depart // 3600)
            self.crossed[key] = self.crossed.get(key, 0) + people
            if link.throughput - self.crossed[key] < self.largest_group:
                self.version += 1

    # services
    def seats_left(self, link: _Link) -> int:
        """Seats still free on a flight or sailing."""
        return link.seats - self.seats_taken.get(link.index, 0)

    def book_seats(self, link: _Link, seats: int) -> None:
        """Rule 6: take `seats` on a flight or sailing."""
        self.seats_taken[link.index] = self.seats_taken.get(link.index, 0) + seats
        if self.seats_left(link) < self.largest_group:
            self.version += 1

    # places
    def _cells(self, arrive: int, leave: int | None) -> range:
        """The grid cells a stay `[arrive, leave)` touches (to the end when open)."""
        step = self.index.step
        first = min(arrive // step, self.index.last)
        if leave is None:
            return range(first, self.index.last + 1)
        return range(first, min(-(-leave // step), self.index.last + 1))

    def spans(
        self, stays: list[tuple[int, int, int | None, int]], spans: Spans | None = None
    ) -> Spans:
        """Per place with a capacity, the people these stays (place, arrival, departure or
        None for open, people) add over each span of grid cells, added to `spans` when
        given; stays over the same cells, such as riders getting off together, share one."""
        spans = {} if spans is None else spans
        step, end = self.index.step, self.index.last + 1
        for place, arrive, leave, people in stays:
            if place not in self.occupancy or people == 0:
                continue
            first = min(arrive // step, end - 1)
            stop = end if leave is None else min(-(-leave // step), end)
            if first < stop:
                here = spans.setdefault(place, {})
                here[first, stop] = here.get((first, stop), 0) + people
        return spans

    def fits(
        self, stays: list[tuple[int, int, int | None, int]], known: Spans | None = None
    ) -> bool:
        """Rule 7: can these stays (place, arrival, departure or None for open, people) be
        added without more people at a place than its capacity at any moment?

        `known` are the spans of stays that fit and are added with these: then only the
        places these stays touch are checked, each with its known spans as well."""
        for place, here in self.spans(stays).items():
            if known is not None and place in known:
                joint = dict(known[place])
                for span, people in here.items():
                    joint[span] = joint.get(span, 0) + people
                here = joint
            if not self._room(place, here):
                return False
        return True

    def fitting(self, stays: list[tuple[int, int, int | None, int]]) -> Spans | None:
        """The spans of these stays (see :meth:`spans`) when they fit, else None."""
        spans = self.spans(stays)
        if all(self._room(place, here) for place, here in spans.items()):
            return spans
        return None

    def _room(self, place: int, here: dict[tuple[int, int], int]) -> bool:
        """Is there room at `place` for the people added over these spans of cells?"""
        cap = self.index.capacity[place]
        assert cap is not None
        occ = self.occupancy[place]
        if len(here) == 1:
            [((first, stop), people)] = here.items()
            return max(occ[first:stop]) + people <= cap
        # several spans at one place: between consecutive ends the extra is constant
        ends = sorted({c for span in here for c in span})
        for lo, hi in zip(ends, ends[1:], strict=False):
            people = sum(n for (first, stop), n in here.items() if first <= lo and hi <= stop)
            if people and max(occ[lo:hi]) + people > cap:
                return False
        return True

    def full_for_good(self, place: int, people: int) -> bool:
        """No room for `people` more to stay at `place` to the end (`first_open_cell` is
        None), in constant time."""
        occ = self.occupancy.get(place)
        if occ is None:
            return False
        cap = self.index.capacity[place]
        assert cap is not None
        return occ[-1] > cap - people

    def first_open_cell(self, place: int, people: int) -> int | None:
        """The first grid cell from which `people` more could stay at `place` for good; 0
        when the place has no capacity, None when it is full to the end."""
        occ = self.occupancy.get(place)
        if occ is None:
            return 0
        if self.full_for_good(place, people):
            return None
        cap = self.index.capacity[place]
        assert cap is not None
        room = cap - people
        if max(occ) <= room:
            return 0
        # Back from the end a stretch at a time; the last stretch with a fuller cell is
        # then walked cell by cell.
        c = len(occ) - 1
        while c > 0:
            lo = max(0, c - 32)
            if max(occ[lo:c]) <= room:
                c = lo
                continue
            while occ[c - 1] <= room:
                c -= 1
            break
        return c

    def occupy(self, place: int, arrive: int, leave: int | None, people: int) -> None:
        """Count a stay at a place with capacity."""
        occ = self.occupancy.get(place)
        if occ is None:
            return
        self.changes += 1
        cells = self._cells(arrive, leave)
        occ[cells.start : cells.stop] = [n + people for n in occ[cells.start : cells.stop]]

    def release(self, place: int, arrive: int, leave: int, people: int) -> None:
        """Close an open stay `[arrive, ...)` at `leave`."""
        occ = self.occupancy.get(place)
        if occ is None:
            return
        self.changes += 1
        # The cells after the kept ones, to the end.
        first = max(self._cells(arrive, None).start, self._cells(arrive, leave).stop)
        occ[first:] = [n - people for n in occ[first:]]


# --- the dispatcher ---------------------------------------------------------------------


class _Dispatcher:
    """Moves every group, step by step on the grid, and writes the plan."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        index: _Index | None = None,
        reserve: dict[int, int] | None = None,
        fit: bool = False,
        fill_wait: int = FILL_WAIT,
        steer: dict[int, frozenset[int]] | None = None,
        hurry: bool = False,
        guide: dict[int, frozenset[int]] | None = None,
        driving: float = 0.0,
        idle_cover: bool = False,
    ) -> None:
        self.s = scenario
        self.idle_cover = idle_cover
        """Only vehicles free at a place now count as coming for the parties waiting there,
        when free vehicles are sent where they are needed (:meth:`_supply`)."""
        self.driving = driving
        """Each second a way spends in a fleet vehicle weighs this much more in the choice
        of a way than its arrival (0: the quickest way; see DRIVING_WEIGHT)."""
        self.hurry = hurry
        """Of families of the same priority ready at once, serve first those whose way
        takes a flight or sailing: one that can go by road alone may take the next trip,
        one with a flight to catch may not."""
        self.steer = dict(steer or {})
        """Per party index: final services it may not take (see :func:`_steer`)."""
        self.guide = dict(guide or {})
        """Per party index: the links it keeps to in danger (see :func:`dispatch_guided`)."""
        self.fill_wait = fill_wait
        """Longest a vehicle that is not full waits for more passengers (seconds)."""
        self.seed = seed
        self.index = index if index is not None else _Index(scenario)
        self.reserved = dict(reserve or {})
        """Vehicles kept back: vehicle index -> index of the party it waits for."""
        self.fit = fit
        """Right-size vehicles: a vehicle leaves a load smaller ones here can carry to them,
        and a place waiting for few seats gets the smallest vehicle that takes them all."""
        self.reserve = dict(self.reserved)
        """Vehicles still kept back."""
        self.kept_for = set(self.reserve.values())
        """Parties a vehicle is kept back for: no other vehicle counts them as waiting."""
        self.book = _Bookings(self.index)
        self.graph: nx.MultiDiGraph | None = None
        self.route_cache: dict[tuple[Any, ...], tuple[list[Hop], bool] | None] = {}
        self.drive_cache: dict[tuple[int, int, int], tuple[dict[int, int], dict[int, Any]]] = {}
        self.static_reasons: dict[tuple[Any, ...], str | None] = {}
        self.no_room: set[tuple[Any, ...]] = set()
        """Trips of a lead party (party, hops, readiness, time, bookings made) found with no
        room at a place, in this step."""
        self.static_cache: dict[tuple[int, int], tuple[dict[int, int], dict[int, int]]] = {}
        self.ahead: dict[frozenset[int], list[float]] = {}
        """Per set of destinations: least time from each place (see :meth:`_time_to`)."""
        self.behind: dict[tuple[int, int], frozenset[int]] = {}
        """Per fleet kind and vehicle crossing: places a vehicle cannot come back to after
        crossing."""
        self.events: list[tuple[int, int, int]] = []
        self.event_seq = 0
        index = self.index
        self.now = 0
        """The clock: the grid time being dispatched."""
        self.ready: list[list[_Party]] = [[] for _ in index.place_ids]
        """Per place, the parties ready to board a fleet vehicle, in order of service."""
        self.later: list[list[_Party]] = [[] for _ in index.place_ids]
        """Per place, the parties that will be ready to board later, soonest first."""
        self.idle_at: set[int] = set()
        """Places where a vehicle is free at this step."""
        self.covered: list[frozenset[int]] = []
        """Per fleet kind: the places some vehicle of the kind can still drive to, from where
        it is or its trip ends (see :meth:`_watch_reach`)."""
        self.van_places: set[tuple[int, int]] = set()
        """The (fleet kind, place) of every vehicle when `covered` was worked out."""
        self.dirty: set[int] = set()
        """Places whose lists hold parties that left."""
        self.demand = [[0] * len(index.kind_ids) for _ in index.place_ids]
        """Per place and fleet kind: seats of the waiting parties it could take."""
        self.queue_version = [0] * len(index.place_ids)
        self.summaries: dict[tuple[int, int], tuple[int, list[int], list[_Party]]] = {}
        self.waiting_at: dict[int, tuple[int, list[_Party]]] = {}
        """Per place: the parties waiting there in order of service, with the queue version
        it was made at."""
        self.profiles = index.profiles
        self.accepted = index.accepted
        self.parties = self._make_parties(seed)
        self.party_of = {p.group.id: p.index for p in self.parties}
        kind_of = {k: i for i, k in enumerate(index.kind_ids)}
        self.vans = [
            _Van(
                i,
                v,
                kind_of[v.fleet],
                v.seats,
                index.place_of[v.at],
                max(0, _ceil(index.seconds(v.available))),
            )
            for i, v in enumerate(scenario.vehicles)
        ]

    def again(
        self, reserve: dict[int, int] | None = None, steer: dict[int, frozenset[int]] | None = None
    ) -> _Dispatcher:
        """A fresh dispatcher with the same seed and way, these vehicles kept back (none when
        not given) and these families steered (this one's when not given)."""
        return _Dispatcher(
            self.s,
            self.seed,
            self.index,
            reserve,
            self.fit,
            self.fill_wait,
            self.steer if steer is None else steer,
            self.hurry,
            self.guide,
            self.driving,
            self.idle_cover,
        )

    # --- set-up ---------------------------------------------------------------------

    def _profile(self, group: Group) -> int:
        """The index of a group's documents profile; which links it may use follows."""
        key = tuple(sorted(tuple(sorted(m.documents)) for m in group.members))
        if key not in self.profiles:
            self.profiles[key] = len(self.accepted)
            self.accepted.append(
                frozenset(
                    link.index
                    for link in self.index.links
                    if link.kind != "road" and group.holds_accepted(link.documents)
                )
            )
        return self.profiles[key]

    def _make_parties(self, seed: int) -> list[_Party]:
        """Every group as a party, in the order they are served."""
        index = self.index
        groups = list(self.s.groups)
        ties = list(range(len(groups)))
        if seed:
            random.Random(seed).shuffle(ties)
        parties = []
        for i, g in enumerate(groups):
            ready = _ceil(index.seconds(g.ready))
            parties.append(
                _Party(
                    index=i,
                    group=g,
                    people=g.people,
                    seats=g.seats,
                    rank=PRIORITY_RANK[g.priority],
                    order=ties[i],
                    profile=self._profile(g),
                    destinations=frozenset(index.place_of[d] for d in g.destinations),
                    place=index.place_of[g.at],
                    time=ready,
                    own_ok=g.own_vehicle,
                    ready=ready,
                    avail=ready,
                    excluded=self.steer.get(i, frozenset()),
                    guide=self.guide.get(i),
                )
            )
        return parties

    # --- the way of a group -----------------------------------------------------------

    def _route(self, party: _Party) -> tuple[list[Hop], bool] | None:
        """The quickest way from where the party is to a destination, given what is
        booked; failing that, the quickest way out of danger. Returns the hops and whether
        they reach a destination, or None when no way is left (or it is already out of
        danger with no destination in reach)."""
        start = _START if party.carrier is None else _OWN if party.carrier == OWN else _OFF
        # Until some crossing hour or service has less room left than the largest group,
        # size matters only through what fits at all: parties that fit alike share a way.
        size = self._fits_alike(party) if self.book.version == 0 else (party.people, party.seats)
        key = (
            party.profile,
            size,
            party.own_ok,
            party.destinations,
            party.excluded,
            party.guide,
            party.place,
            party.time,
            start,
            self.book.version,
            self.driving,
        )
        cache = self.index.first_ways if self.book.version == 0 else self.route_cache
        if key not in cache:
            cache[key] = self._search(party, start)
        found = cache[key]
        if party.guide is not None and (found is None or not found[1]):
            party.guide = None  # its guide leads nowhere now: any way will do
            return self._route(party)
        return None if found is None else (list(found[0]), found[1])

    def _fits_alike(self, party: _Party) -> tuple[bool, ...]:
        """Which fleet kinds, crossing throughputs and services have room for the party at
        all."""
        index = self.index
        key = (party.people, party.seats)
        if key not in index.alike:
            index.alike[key] = (
                *(seats >= party.seats for seats in index.kind_seats),
                *(party.people <= throughput for throughput in index.throughputs),
                *(party.seats <= link.seats for link in index.services),
            )
        return index.alike[key]

    def _search(
        self, party: _Party, start: int, booked: bool = True
    ) -> tuple[list[Hop], bool] | None:
        """The quickest way to a destination, else out of danger (see :meth:`_route`);
        with `booked` false, as if no crossing hour or seat were taken yet."""
        ahead = self._time_to(party.destinations)
        if ahead[party.place] < math.inf:
            hops = self._explore(party, start, booked, ahead)
            if hops is not None:
                return hops, True
        if not self.index.danger[party.place]:
            return None
        hops = self._explore(party, start, booked, None)
        return None if hops is None else (hops, False)

    def reach(self, party: _Party) -> list[float]:
        """Earliest arrival at each place from where `party` is, as if no crossing hour or
        seat were taken yet (see :meth:`_moves`); infinite where it cannot go."""
        index = self.index
        earliest = [math.inf] * len(index.place_ids)
        best: dict[tuple[int, int], int] = {(party.place, _START): party.time}
        heap: list[tuple[int, int, int, int]] = [(party.time, 0, party.place, _START)]
        counter = 0
        while heap:
            a, _, p, c = heapq.heappop(heap)
            if best.get((p, c)) != a:
                continue
            earliest[p] = min(earliest[p], a)
            for li in index.out[p]:
                link = index.links[li]
                for _mode, arrive, nc in self._moves(party, link, c, a, False):
                    if arrive < best.get((link.dst, nc), math.inf):
                        best[(link.dst, nc)] = arrive
                        counter += 1
                        heapq.heappush(heap, (arrive, counter, link.dst, nc))
        return earliest

    def _explore(
        self, party: _Party, start: int, booked: bool, ahead: list[float] | None
    ) -> list[Hop] | None:
        """Earliest-arrival search over (place, how the group got there). With `ahead`
        (least time from each place to a destination) it is an A* search for the
        quickest way to a destination; without, for the quickest way to a safe place."""
        index = self.index
        origin = (party.place, start)
        best: dict[tuple[int, int], int] = {origin: party.time}
        # the arrival, plus the time in fleet vehicles weighed by `driving`
        cost: dict[tuple[int, int], float] = {origin: float(party.time)}
        pred: dict[tuple[int, int], tuple[tuple[int, int], int, str]] = {}
        heap: list[tuple[float, int, int, int, int]] = [(0.0, 0, party.time, party.place, start)]
        counter = 0
        end: tuple[int, int] | None = None
        while heap:
            _, _, a, p, c = heapq.heappop(heap)
            if best.get((p, c)) != a:
                continue
            if (p in party.destinations) if ahead is not None else not index.danger[p]:
                end = (p, c)
                break
            here = cost[(p, c)] - a
            for li in index.out[p]:
                link = index.links[li]
                rest = 0.0 if ahead is None else ahead[link.dst]
                if rest == math.inf:
                    continue
                for mode, arrive, nc in self._moves(party, link, c, a, booked):
                    state = (link.dst, nc)
                    k = here + arrive
                    if mode == "fleet":
                        k += self.driving * link.duration
                    if k < cost.get(state, math.inf):
                        best[state] = arrive
                        cost[state] = k
                        pred[state] = ((p, c), li, mode)
                        counter += 1
                        heapq.heappush(heap, (k + rest, counter, arrive, link.dst, nc))
        if end is None or end == origin:
            return None
        hops: list[Hop] = []
        state = end
        while state != origin:
            before, li, mode = pred[state]
            hops.append((li, mode))
            state = before
        hops.reverse()
        return hops

    def _time_to(self, destinations: frozenset[int]) -> list[float]:
        """Least time from each place to one of `destinations`: durations and processing
        times alone, with no waiting (infinite where none leads there)."""
        if destinations not in self.ahead:
            index = self.index
            ahead = [math.inf] * len(index.place_ids)
            heap = [(0.0, d) for d in sorted(destinations)]
            for d in destinations:
                ahead[d] = 0.0
            while heap:
                t, p = heapq.heappop(heap)
                if t != ahead[p]:
                    continue
                for li in index.into[p]:
                    link = index.links[li]
                    took = link.arrives - link.departs if link.departs_at else link.duration
                    if t + took < ahead[link.src]:
                        ahead[link.src] = t + took
                        heapq.heappush(heap, (t + took, link.src))
            self.ahead[destinations] = ahead
        return self.ahead[destinations]

    def _moves(
        self, party: _Party, link: _Link, c: int, a: int, booked: bool
    ) -> Iterator[tuple[str, int, int]]:
        """The ways to take `link` after arriving at its start at `a` in manner `c`: (mode,
        arrival, manner at the other end). Fleet vehicles are assumed to be there as soon
        as one of a fitting kind can be."""
        index = self.index
        people = party.people if booked else 0
        transfer = index.transfer[link.src]
        if link.index in party.excluded:
            return
        if party.guide is not None and index.danger[link.src] and link.index not in party.guide:
            return
        if link.kind == "road":
            if party.own_ok and c in (_START, _OWN):
                depart = index.road_depart(link, a)
                if depart is not None:
                    yield "own", depart + link.duration, _OWN
            there = index.fleet_there(link, party.seats)
            if there is not None:
                base = a if c in (_START, _FLEET) else a + transfer
                depart = index.road_depart(link, max(base, there))
                if depart is not None:
                    yield "fleet", depart + link.duration, _FLEET
            return
        if link.index not in self.accepted[party.profile]:
            return
        if link.kind == "crossing":
            base = a if c in (_START, _FOOT) else a + transfer
            depart = self.book.crossing_depart(link, base, people)
            if depart is not None:
                yield "foot", depart + link.duration, _FOOT
            if not link.vehicles:
                return
            drives = c == _OWN or (c == _START and party.own_ok)
            rides = c == _FLEET and any(index.kind_seats[k] >= party.seats for k in link.kinds)
            if drives or rides:
                depart = self.book.crossing_depart(link, a, people)
                if depart is not None:
                    if drives:
                        yield "own", depart + link.duration, _OWN
                    if rides:
                        yield "fleet", depart + link.duration, _FLEET
            return
        if (
            link.index not in party.excluded
            and (not booked or self.book.seats_left(link) >= party.seats)
            and a <= link.departs - link.lead
        ):
            yield "service", link.arrives, _SERVICE

    def _set_route(self, party: _Party) -> bool:
        """Give the party a fresh way from where it is; False when none is left."""
        found = self._route(party)
        if found is None:
            return False
        party.route, reaches = found
        party.heading_to_safety = not reaches
        return True

    # --- events and the clock ---------------------------------------------------------

    def _later(self, party: _Party, when: int) -> None:
        """Look at the party again at `when`."""
        self.event_seq += 1
        heapq.heappush(self.events, (when, self.event_seq, party.index))

    def run(self) -> None:
        """Start every group on its way, then step through the grid until the horizon."""
        index = self.index
        for party in sorted(self.parties, key=_service_order):
            if self.home(party):
                party.done = True
                continue
            if not self._set_route(party):
                party.done = True
                continue
            if self.hurry:
                party.unhurried = not self._service_ahead(party)
            if self._needs_vehicle(party):
                self._wait_for_vehicle(party)
            else:
                self._later(party, party.time)
        for k in range(index.last + 1):
            now = k * index.step
            self.now = now
            self._promote(now)
            while self.events and self.events[0][0] <= now:
                _, _, i = heapq.heappop(self.events)
                self._advance(self.parties[i], now)
            self.drive_cache.clear()
            self.no_room.clear()
            self._watch_reach()
            for place in list(self.dirty):
                self._tidy(place)
            # Vehicles kept back go first: one that is not (any more) joins the others.
            idle = []
            for van in self.vans:
                if van.free <= now and not (van.index in self.reserve and self._keep(van, now)):
                    idle.append(van)
            self.idle_at = {v.place for v in idle}
            left = [v for v in idle if not self._load(v, now)]
            if left and self.fit:
                self._reposition_to_fit(left, now)
            elif left:
                self._reposition(left, now)
        for party in self.parties:
            if not party.done:
                self._give_up(party)

    # --- vehicles kept back -------------------------------------------------------------

    def _keep(self, van: _Van, now: int) -> bool:
        """A free vehicle kept back for a party: it drives empty to the party's place and
        waits there, then takes it (and whoever goes the same way) as soon as it is ready.
        True while it is kept back or has just left; False once released."""
        party = self.parties[self.reserve[van.index]]
        home = self.index.place_of[party.group.at]
        if party.waiting and party.place == home:
            if van.place != home:
                best, pred = self._drive_search(van, now)
                if home in best:
                    self._drive_empty(van, home, pred)
                    return True
            elif party.avail > now:
                return True
            elif self._load(van, now, party):
                self._release(van)
                return True
        self._release(van)
        return False

    def _release(self, van: _Van) -> None:
        """The vehicle is no longer kept back: its party counts as waiting for all."""
        party = self.parties[self.reserve.pop(van.index)]
        self.kept_for.discard(party.index)
        self.queue_version[self.index.place_of[party.group.at]] += 1

    def score(self) -> tuple[float, ...]:
        """The plan's objectives in the scenario's order, as a key to minimise."""
        journeys = {p.group.id: tuple(self._leg(m) for m in p.moves) for p in self.parties}
        values = evaluate_objectives(self.s, journeys)
        key = []
        for name in self.s.objective:
            value = values.get(name)
            if value is None:
                key.append(math.inf)
            else:
                key.append(-float(value) if name == "evacuated" else float(value))
        return tuple(key)

    @staticmethod
    def home(party: _Party) -> bool:
        """Did the party get to one of its destinations?"""
        return party.place in party.destinations

    def out_of_danger(self, party: _Party) -> int | None:
        """The link by which the party left danger, if it did."""
        danger = self.index.danger
        for move in party.moves:
            link = self.index.links[move.link]
            if danger[link.src] and not danger[link.dst]:
                return link.index
        return None

    def waited_longest(self, tried: set[int]) -> tuple[int, list[int]] | None:
        """The party ready after the start that waited longest for a fleet vehicle at its
        place once a fitting one could have been there (hours times people times priority
        weight), with the vehicles that might be kept back for it: those whose trips before
        it was ready carried fewest seats first, one of each kind and load. None when no
        party outside `tried` waited."""
        index = self.index
        kept = set(self.reserved.values())
        best: tuple[tuple[float, int, int], _Party, _Link] | None = None
        for party in self.parties:
            if party.index in tried or party.index in kept or party.ready <= 0:
                continue
            if party.moves:
                first = party.moves[0]
                if index.links[first.link].kind != "road" or first.carrier in (OWN, FOOT):
                    continue
                li, taken = first.link, first.depart
            elif party.waiting and party.route and party.place == index.place_of[party.group.at]:
                li, taken = party.route[0][0], index.horizon
            else:
                continue
            link = index.links[li]
            there = index.fleet_there(link, party.seats)
            soonest = None if there is None else index.road_depart(link, max(party.ready, there))
            if soonest is None or taken <= soonest:
                continue
            cost = self.s.weight(party.group) * party.people * (taken - soonest)
            key = (-cost, party.rank, party.order)
            if best is None or key < best[0]:
                best = (key, party, link)
        if best is None:
            return None
        _, party, link = best
        carried: list[tuple[int, float, int, int]] = []
        seen: set[tuple[int, int]] = set()
        for van in self.vans:
            if (
                van.index in self.reserved
                or van.seats < party.seats
                or van.kind not in link.kinds
                or index.earliest[van.kind][link.src] is None
            ):
                continue
            aboard = {g for m in van.moves if m.depart < party.ready for g in m.groups}
            groups = [self.parties[self.party_of[g]] for g in sorted(aboard)]
            seats = sum(p.seats for p in groups)
            if (van.kind, seats) in seen:
                continue
            seen.add((van.kind, seats))
            weighted = sum(self.s.weight(p.group) * p.people for p in groups)
            carried.append((seats, weighted, van.seats, van.index))
        carried.sort()
        return party.index, [c[3] for c in carried]

    # --- moving a group on its own ------------------------------------------------------

    def _needs_vehicle(self, party: _Party) -> bool:
        """Is the party's next hop a road in a fleet vehicle?"""
        if not party.route:
            return False
        li, mode = party.route[0]
        return mode == "fleet" and self.index.links[li].kind == "road"

    def _base(self, party: _Party, carrier: str) -> int:
        """Rule 2: the earliest departure on `carrier`, after the transfer on a change."""
        if party.carrier is None or party.carrier == carrier:
            return party.time
        return party.time + self.index.transfer[party.place]

    def _advance(self, party: _Party, now: int) -> None:
        """Book the party's next legs that need no fleet vehicle, until it needs one or
        its way ends."""
        while not party.done:
            if not party.route:
                party.done = True
                return
            if self._needs_vehicle(party):
                self._wait_for_vehicle(party)
                return
            li, mode = party.route[0]
            link = self.index.links[li]
            if link.kind in ("flight", "sailing"):
                result = self._board(party, link)
            elif self._gives_way(party, link):
                self._later(party, party.time)
                return
            else:
                result = self._go_alone(party, link, OWN if mode == "own" else FOOT, now)
            if result == "retry":
                self._later(party, now + self.index.step)
                return
            if result == "fail" and not self._reroute(party):
                party.done = True
                return

    def _gives_way(self, party: _Party, link: _Link) -> bool:
        """Does the party, due at a crossing with a throughput later than now, wait until
        it is there to take its place in the hours left? Those with a flight or sailing
        still to catch book their hour as soon as they set off, those without only once
        they are there: they can cross an hour later, the others may miss their flight."""
        return (
            link.kind == "crossing"
            and link.throughput is not None
            and party.time > self.now
            and not self._service_ahead(party)
        )

    def _service_ahead(self, party: _Party) -> bool:
        """Does the party's way take a flight or sailing?"""
        return any(self.index.links[li].kind in ("flight", "sailing") for li, _ in party.route)

    def _reroute(self, party: _Party) -> bool:
        """After a failed booking: a fresh way from where the party is, if any."""
        party.reroutes += 1
        if party.reroutes > MAX_REROUTES:
            return False
        return self._set_route(party)

    def _go_alone(self, party: _Party, link: _Link, carrier: str, now: int) -> str:
        """Walk through a crossing, or drive one's own car on a road or through a crossing:
        the first departure that is open, has throughput left and room at the other end."""
        index = self.index
        if carrier == OWN and not party.own_ok:
            if link.kind == "road":
                return "fail"
            carrier = FOOT
        base = self._base(party, carrier)
        first_cell = self.book.first_open_cell(link.dst, party.people)
        if first_cell is None:
            party.trouble = self._full_words(link.dst, now)
            return "retry" if now < index.horizon else "fail"
        # Arrive no earlier than the first cell from which the place has room for good.
        base = max(base, first_cell * index.step - link.duration)
        if link.kind == "crossing":
            depart = self.book.crossing_depart(link, base, party.people)
        else:
            depart = index.road_depart(link, base)
        if depart is None:
            party.trouble = self._closed_words(link)
            return "fail"
        if link.kind == "crossing":
            self.book.book_crossing(link, depart, party.people)
        self._make_move(party, link, depart, depart + link.duration, carrier, open_stay=True)
        party.route.pop(0)
        return "ok"

    def _board(self, party: _Party, link: _Link) -> str:
        """Rule 6: a flight or sailing with seats left, the group there in time, room where
        it lands."""
        what = f"{link.kind} {link.name}"
        if party.time > link.departs - link.lead:
            party.trouble = f"it could not be at {self._place(link.src)} in time for {what}"
            return "fail"
        if self.book.seats_left(link) < party.seats:
            party.trouble = f"capacity ran out on {what}: no seats left"
            return "fail"
        if not self.book.fits([(link.dst, link.arrives, None, party.people)]):
            party.trouble = f"capacity ran out at {self._place(link.dst)}, where {what} lands"
            party.excluded = party.excluded | {link.index}
            return "fail"
        self.book.book_seats(link, party.seats)
        self._make_move(party, link, link.departs, link.arrives, link.name, open_stay=True)
        party.route.pop(0)
        return "ok"

    def _make_move(
        self, party: _Party, link: _Link, depart: int, arrive: int, carrier: str, open_stay: bool
    ) -> None:
        """Record one leg of the party and where that leaves it; rule 7's stays follow."""
        if party.stay is not None:
            self.book.release(party.place, party.stay, depart, party.people)
            party.stay = None
        party.moves.append(_Move(link.index, depart, arrive, carrier))
        if carrier != OWN:
            party.own_ok = False
        party.place = link.dst
        party.time = arrive
        party.carrier = carrier
        if open_stay and self.index.capacity[link.dst] is not None:
            self.book.occupy(link.dst, arrive, None, party.people)
            party.stay = arrive

    # --- waiting for a vehicle ----------------------------------------------------------

    def _wait_for_vehicle(self, party: _Party) -> None:
        """Put the party in the queue of its place: with those ready now, in order of
        priority and readiness, or with those ready later, in order of readiness."""
        place = party.place
        party.avail = party.time
        if party.carrier is not None:
            party.avail += self.index.transfer[place]
        if place in self.dirty:
            self._tidy(place)
        party.waiting = True
        li, _ = party.route[0]
        party.kinds = tuple(
            k for k in self.index.links[li].kinds if self.index.kind_seats[k] >= party.seats
        )
        self._count(party, 1)
        if party.avail <= self.now:
            bisect.insort(self.ready[place], party, key=_service_order)
        else:
            bisect.insort(self.later[place], party, key=_ready_order)
        if self.covered and not self._can_come(party):
            self._no_vehicle_comes(party)

    def _watch_reach(self) -> None:
        """Work out where the vehicles of each kind can still drive to. A vehicle that took
        a one-way road, or crossed where it cannot come back, may leave a place that no
        vehicle able to take a waiting party can reach any more: such a party finds
        another way (a flight from where it waits, say) rather than wait to the end."""
        index = self.index
        places = {(van.kind, van.place) for van in self.vans}
        if places == self.van_places:
            return
        self.van_places = places
        reach: list[set[int]] = [set() for _ in index.kind_ids]
        for kind, place in places:
            reach[kind] |= index.reach(kind, place)
        covered = [frozenset(r) for r in reach]
        before = self.covered or covered  # at the start, the ways were found with all of them
        lost = {q for kind, places in enumerate(covered) for q in before[kind] - places}
        self.covered = covered
        for place in lost:
            for party in list(itertools.chain(self._queue(place), self._pending(place))):
                if party.waiting and not self._can_come(party):
                    self._no_vehicle_comes(party)

    def _can_come(self, party: _Party) -> bool:
        """Can a vehicle of a kind that takes the waiting party's next hop still come?"""
        return any(party.place in self.covered[k] for k in party.kinds)

    def _no_vehicle_comes(self, party: _Party) -> None:
        """The waiting party's next hop will see no vehicle: it takes another way."""
        party.excluded = party.excluded | {party.route[0][0]}
        found = self._reroute(party)
        if self._on_fresh_way(party, found, self.now, self._none_left_words):
            if not self._can_come(party):
                self._no_vehicle_comes(party)

    def _on_fresh_way(
        self, party: _Party, found: bool, now: int, trouble: Callable[[_Party], str]
    ) -> bool:
        """A waiting party after a fresh way was looked for (`found`: one was): done, with
        `trouble(party)` for its reason, when none was; on its way at once when the way
        needs no vehicle here; else counted for the vehicles that can take it now. True
        while it still waits for a vehicle."""
        if not found:
            self._unqueue([party])
            party.trouble = trouble(party)
            party.done = True
            return False
        if not self._needs_vehicle(party):
            self._unqueue([party])
            self._advance(party, now)
            return False
        self._rerouted(party)
        return True

    def _count(self, party: _Party, sign: int) -> None:
        """Keep the seats waiting per place and fleet kind up to date."""
        demand = self.demand[party.place]
        for k in party.kinds:
            demand[k] += sign * party.seats
        self.queue_version[party.place] += 1

    def _unqueue(self, parties: list[_Party]) -> None:
        """Take parties out of their queues (the lists are tidied at the next step)."""
        for party in parties:
            if party.waiting:
                party.waiting = False
                self._count(party, -1)
                self.dirty.add(party.place)

    def _rerouted(self, party: _Party) -> None:
        """A waiting party has a new way: count it for the vehicles that can take it now."""
        if party.waiting:
            self._count(party, -1)
            li, _ = party.route[0]
            party.kinds = tuple(
                k for k in self.index.links[li].kinds if self.index.kind_seats[k] >= party.seats
            )
            self._count(party, 1)

    def _queue(self, place: int) -> Iterator[_Party]:
        """The parties ready at `place` for a vehicle, in order of service."""
        for party in self.ready[place]:
            if party.waiting and party.place == place:
                yield party

    def _pending(self, place: int) -> Iterator[_Party]:
        """The parties that will be ready at `place` later, soonest first."""
        for party in self.later[place]:
            if party.waiting and party.place == place:
                yield party

    def _ready_by(self, place: int, when: int) -> Iterator[_Party]:
        """The parties at `place` ready now, in order of service, then those ready by
        `when`, soonest first."""
        yield from self._queue(place)
        for party in self._pending(place):
            if party.avail > when:
                return
            yield party

    def _tidy(self, place: int) -> None:
        """Drop the parties that left from the lists of `place`."""
        self.ready[place] = list(self._queue(place))
        self.later[place] = list(self._pending(place))
        self.dirty.discard(place)

    def _promote(self, now: int) -> None:
        """Move the parties ready by `now` to the queue of those ready."""
        for place, later in enumerate(self.later):
            n = 0
            while n < len(later) and later[n].avail <= now:
                n += 1
            if n:
                for party in later[:n]:
                    if party.waiting and party.place == place:
                        bisect.insort(self.ready[place], party, key=_service_order)
                del later[:n]

    def _summary(self, place: int, kind: int) -> tuple[list[int], list[_Party]]:
        """The parties waiting at `place` that a vehicle of `kind` can take, in order of
        service, with the running sum of their seats."""
        key = (place, kind)
        cached = self.summaries.get(key)
        version = self.queue_version[place]
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        waiting = self.waiting_at.get(place)
        if waiting is None or waiting[0] != version:
            everyone = list(itertools.chain(self._queue(place), self._pending(place)))
            everyone.sort(key=_service_order)
            waiting = self.waiting_at[place] = (version, everyone)
        parties = [p for p in waiting[1] if kind in p.kinds and p.index not in self.kept_for]
        sums = list(itertools.accumulate(p.seats for p in parties))
        self.summaries[key] = (self.queue_version[place], sums, parties)
        return sums, parties

    def _servable(self, van: _Van, party: _Party) -> bool:
        """Can the vehicle take the party's next hop (a road within its countries)?"""
        if party.seats > van.seats or not party.route:
            return False
        li, mode = party.route[0]
        link = self.index.links[li]
        return mode == "fleet" and link.kind == "road" and van.kind in link.kinds

    def _segment(self, van: _Van, route: list[Hop]) -> list[int]:
        """The hops of a way the vehicle can drive from the start: fleet roads and vehicle
        crossings within its countries; it stops at the next hand-off point."""
        hops = []
        for li, mode in route:
            link = self.index.links[li]
            if mode != "fleet" or van.kind not in link.kinds:
                break
            if link.kind == "crossing" and (not link.vehicles or self._strands(van, link)):
                break
            hops.append(li)
        return hops

    def _strands(self, van: _Van, link: _Link) -> bool:
        """Would crossing here leave the vehicle unable to come back while groups it could
        take still wait on this side? Then its passengers walk across instead."""
        key = (van.kind, link.index)
        if key not in self.behind:
            here = self.index.reach(van.kind, link.src)
            there = self.index.reach(van.kind, link.dst)
            self.behind[key] = frozenset() if link.src in there else here - there
        return any(self.demand[place][van.kind] > 0 for place in self.behind[key])

    # --- vehicle trips ----------------------------------------------------------------

    def _load(self, van: _Van, now: int, kept_for: _Party | None = None) -> bool:
        """Fill a free vehicle at its place and send it off; True when it left or holds
        its first passengers to fill up, False when there is nobody for it. A vehicle kept
        back for a party takes that party first and leaves at once."""
        leads = []
        if kept_for is not None:
            leads = [kept_for] if self._servable(van, kept_for) else []
        for party in self._queue(van.place) if kept_for is None else ():
            if party.avail <= now and self._servable(van, party):
                leads.append(party)
                if len(leads) == 4:
                    break
        for lead in leads:
            if not lead.waiting:
                continue
            run = self._lead_run(van, lead, now)
            if run is None:
                continue
            self._fill(van, run, 0, now)
            if kept_for is None and self.fit and self._smaller_ones_take(van, run, now):
                van.holding_since = None
                return False
            if kept_for is None and self._hold(van, run, now):
                return True
            self._pick_up_on_the_way(van, run, now)
            for _ in range(MAX_STOPS):
                if run.seats() >= van.seats or not self._detour(van, run, now):
                    break
            self._commit(van, run)
            return True
        van.holding_since = None
        return False

    def _smaller_ones_take(self, van: _Van, run: _Run, now: int) -> bool:
        """Would the vehicle leave not full while smaller free vehicles here, not kept
        back, could carry the whole load between them? Then it leaves the load to them and
        stays free for those who need its seats."""
        used = run.seats()
        if used >= van.seats:
            return False
        link = self.index.links[run.hops[0]]
        lead = run.rides[0].party
        room = sum(
            v.seats
            for v in self.vans
            if v.place == van.place
            and v.free <= now
            and v.seats < van.seats
            and v.seats >= lead.seats
            and v.kind in link.kinds
            and v.index not in self.reserve
        )
        return room >= used

    def _lead_run(self, van: _Van, lead: _Party, now: int) -> _Run | None:
        """A trip for the most urgent waiting party on a fresh way; None when it cannot go
        with this vehicle now."""
        if not self._on_fresh_way(lead, self._set_route(lead), now, self._blocked_words):
            return None
        if not self._servable(van, lead):
            return None
        hops = self._segment(van, lead.route)
        end = self.index.links[hops[-1]].dst
        # The same trip with nothing booked since finds no room again.
        tried = (lead.index, tuple(hops), lead.avail, now, self.book.changes)
        if tried in self.no_room:
            lead.trouble = self._full_words(end, now)
            return None
        run = _Run(hops, [_Ride(lead, 0, len(hops), len(hops))])
        if not self._time_run(run, now):
            lead.trouble = f"no road open from {self._place(lead.place)} for its vehicle"
            return None
        if not self.book.fits(self._stays(run)):
            lead.trouble = self._full_words(end, now)
            if self._bar_if_full(lead, end):
                # full for good: another of its destinations (or another way) may have room
                return self._lead_run(van, lead, now)
            self.no_room.add(tried)
            return None
        return run

    def _fill(self, van: _Van, run: _Run, board: int, now: int) -> None:
        """Add parties waiting where the trip's hop `board` starts and going the same way,
        while seats are left, without delaying anyone already aboard."""
        index = self.index
        place = index.links[run.hops[board]].src
        first = next((r for r in run.rides if r.board == board), None)
        model = first.party if first is not None else None
        if board >= len(run.times):
            return
        leaves = run.times[board][0]
        model_way = self._way_key(model) if model is not None else None
        free = van.seats - run.seats()
        riding = {r.party.index for r in run.rides}
        # The part of each way the vehicle can drive, and the riders the trip as it stands
        # could not take, by what decides that: their hops, readiness and people. Both are
        # forgotten as soon as someone boards.
        drives: dict[tuple[Hop, ...], tuple[list[int], tuple[int, ...]]] = {}
        refused: set[tuple[tuple[int, ...], int, int]] = set()
        known = self.book.fitting(self._stays(run))
        scanned = 0
        for party in self._ready_by(place, leaves):
            if free <= 0 or scanned >= LOOKAHEAD_SCAN:
                break
            scanned += 1
            if party.seats > free or party.avail > leaves or not self._servable(van, party):
                continue
            if party.index in riding:
                continue
            if party.route and self._bar_if_full(party, index.links[party.route[-1][0]].dst):
                # its way leads to a place that filled since it was found: a fresh way
                if not self._set_route(party):
                    continue
                self._rerouted(party)
            shared = model is not None and self._way_key(party) == model_way
            route = model.route if shared and model is not None else party.route
            way = tuple(route)
            if way not in drives:
                hops = self._segment(van, route)
                drives[way] = (hops, tuple(hops))
            hops, driven = drives[way]
            tried = (driven, party.avail, party.people)
            if tried in refused:
                continue
            trial = self._with_rider(van, run, party, hops, board, now, known)
            if trial is None:
                refused.add(tried)
                continue
            if shared and model is not None:
                party.route = list(model.route)
                party.heading_to_safety = model.heading_to_safety
                self._rerouted(party)
            # Those aboard stay as they were when the trip only gained the party.
            gained = len(trial.rides) == len(run.rides) + 1 and all(
                a is b for a, b in zip(run.rides, trial.rides, strict=False)
            )
            run.hops, run.rides, run.times = trial.hops, trial.rides, trial.times
            free = van.seats - run.seats()
            riding.add(party.index)
            drives.clear()
            refused.clear()
            if known is not None and gained:
                self.book.spans(self._stays(run, run.rides[-1:]), known)
            else:
                known = self.book.fitting(self._stays(run))

    def _bar_if_full(self, party: _Party, place: int) -> bool:
        """When `place` has no room left for the party to the end, close every way into it
        to the party; True when that closed a way it had."""
        if not self.book.full_for_good(place, party.people):
            return False
        into = frozenset(self.index.into[place])
        if into <= party.excluded:
            return False
        party.excluded = party.excluded | into
        return True

    def _with_rider(
        self,
        van: _Van,
        run: _Run,
        party: _Party,
        hops: list[int],
        board: int,
        now: int,
        known: Spans | None = None,
    ) -> _Run | None:
        """The trip with `party` boarding at hop `board` for `hops` (the part of its way
        the vehicle can drive), if they follow the trip's (or go on from its end), nobody
        aboard is delayed, and every place keeps its capacity; else None. Only the party's
        readiness and people count, not who it is. `known`: the spans of the trip's stays
        (see :meth:`_Bookings.fitting`), when they fit."""
        ahead = run.hops[board:]
        common = 0
        while common < min(len(hops), len(ahead)) and hops[common] == ahead[common]:
            common += 1
        if common == 0 or common not in (len(hops), len(ahead)):
            return None
        ride = _Ride(party, board, board + len(hops), len(hops))
        rides = [*run.rides, ride]
        trial_hops = list(run.hops) if len(hops) <= len(ahead) else run.hops[:board] + hops
        aboard = max(r.alight for r in run.rides)
        times = None if any(r.cut for r in run.rides) else self._hop_times(trial_hops, rides, now)
        if times is not None and len(times) == max(aboard, ride.alight):
            # Every hop is made: the rides stand as they are, and those aboard keep their
            # stays, so with them known only the party's are new.
            trial = _Run(trial_hops, rides, times)
            settled = known
        else:
            trial = run.copy()
            trial.hops = trial_hops
            trial.rides.append(ride)
            if not self._time_run(trial, now) or any(r.cut for r in trial.rides):
                return None
            settled = None
        if trial.times[:aboard] != run.times[:aboard]:
            return None
        stays = self._stays(trial) if settled is None else self._stays(trial, [ride])
        return trial if self.book.fits(stays, settled) else None

    def _pick_up_on_the_way(self, van: _Van, run: _Run, now: int) -> None:
        """Fill free seats at the places the trip passes anyway."""
        board = 1
        while board < len(run.times) and run.seats() < van.seats:
            if any(r.board < board < r.alight for r in run.rides):
                self._fill(van, run, board, now)
            board += 1

    def _detour(self, van: _Van, run: _Run, now: int) -> bool:
        """Turn off the trip's way to pick up a party waiting nearby, when that costs those
        aboard at most MAX_DETOUR; True when a stop was added."""
        index = self.index
        last = max(r.board for r in run.rides)
        ends = min(r.alight for r in run.rides)
        here = index.links[run.hops[last]].src
        dist, pred = self._static_drive(van.kind, here)
        driven = [0]
        for li in run.hops:
            driven.append(driven[-1] + index.links[li].duration)
        places = {index.links[li].src: j for j, li in enumerate(run.hops)}
        free = van.seats - run.seats()
        best: tuple[Any, ...] | None = None
        for q, demand in enumerate(self.demand):
            if not demand[van.kind] or q in places or q not in dist or q in self.idle_at:
                continue
            eta = run.times[last][0] + dist[q]
            party = next(
                (
                    p
                    for p in itertools.islice(self._ready_by(q, eta), LOOKAHEAD_SCAN)
                    if p.seats <= free and self._servable(van, p)
                ),
                None,
            )
            if party is None:
                continue
            hops = self._segment(van, party.route)
            rejoin = self._rejoin(run, hops, last, ends)
            if rejoin is None:
                continue
            m, i = rejoin
            path = self._static_path(pred, here, q)
            # Those aboard ride the detour too: every crossing on it must accept them.
            if not all(
                li in self.accepted[r.party.profile]
                for li in path + hops[:m]
                if index.links[li].kind == "crossing"
                for r in run.rides
            ):
                continue
            cost = dist[q] + sum(index.links[li].duration for li in hops[:m])
            cost -= driven[i] - driven[last]
            key = (cost, party.rank, party.avail, party.order, q)
            if cost <= MAX_DETOUR and (best is None or key < best[0]):
                best = (key, party, path, hops, m, i)
        if best is None:
            return False
        _, party, path, hops, m, i = best
        trial = run.copy()
        trial.hops = run.hops[:last] + path + hops[:m] + run.hops[i:]
        shift = len(path) + m - (i - last)
        for ride in trial.rides:
            ride.alight += shift
        if not self._time_run(trial, now) or any(r.cut for r in trial.rides):
            return False
        board = last + len(path)
        with_party = self._with_rider(van, trial, party, hops, board, now)
        if with_party is None:
            return False
        run.hops, run.rides, run.times = with_party.hops, with_party.rides, with_party.times
        self._fill(van, run, board, now)
        return True

    def _rejoin(self, run: _Run, hops: list[int], last: int, ends: int) -> tuple[int, int] | None:
        """Where a party's way from its place meets the trip again: (hops of its way before
        that place, index of that place in the trip), after the last pick-up and no later
        than the first drop; its way must then follow the trip."""
        index = self.index
        at = {index.links[li].src: j for j, li in enumerate(run.hops) if last < j <= ends}
        if ends == len(run.hops):
            at.setdefault(index.links[run.hops[-1]].dst, len(run.hops))
        for m, li in enumerate(hops):
            i = at.get(index.links[li].src)
            if i is None:
                continue
            rest, ahead = hops[m:], run.hops[i:]
            n = min(len(rest), len(ahead))
            if m > 0 and rest[:n] == ahead[:n]:
                return m, i
            return None
        return None

    def _static_drive(self, kind: int, place: int) -> tuple[dict[int, int], dict[int, int]]:
        """Shortest driving time from `place` to every place a vehicle of this kind may
        reach on roads (closures aside), with the road taken into each place."""
        key = (kind, place)
        if key not in self.static_cache:
            index = self.index
            dist = {place: 0}
            pred: dict[int, int] = {}
            heap = [(0, place)]
            while heap:
                d, p = heapq.heappop(heap)
                if dist[p] != d:
                    continue
                for li in index.out[p]:
                    link = index.links[li]
                    if link.kind != "road" or kind not in link.kinds:
                        continue
                    if d + link.duration < dist.get(link.dst, math.inf):
                        dist[link.dst] = d + link.duration
                        pred[link.dst] = li
                        heapq.heappush(heap, (d + link.duration, link.dst))
            self.static_cache[key] = (dist, pred)
        return self.static_cache[key]

    def _static_path(self, pred: dict[int, int], start: int, end: int) -> list[int]:
        """The roads from `start` to `end` found by :meth:`_static_drive`."""
        path = []
        while end != start:
            li = pred[end]
            path.append(li)
            end = self.index.links[li].src
        path.reverse()
        return path

    def _way_key(self, party: _Party) -> tuple[Any, ...]:
        """Parties with the same key and place share a way."""
        return (
            party.profile,
            party.seats,
            party.people,
            party.own_ok,
            party.destinations,
            party.excluded,
            party.guide,
            party.carrier is None,
        )

    def _hold(self, van: _Van, run: _Run, now: int) -> bool:
        """Hold a vehicle that is not full while more groups it could take will be ready
        here by the next step, at most FILL_WAIT after its first passengers were ready."""
        used = run.seats()
        if used >= van.seats:
            van.holding_since = None
            return False
        since = van.holding_since if van.holding_since is not None else now
        if now - since >= self.fill_wait:
            van.holding_since = None
            return False
        soon = now + self.index.step
        coming = any(
            p.seats <= van.seats - used and self._servable(van, p)
            for p in itertools.takewhile(lambda p: p.avail <= soon, self._pending(van.place))
        )
        if coming and self._held_would_miss(run, now):
            coming = False
        van.holding_since = since if coming else None
        return coming

    def _held_would_miss(self, run: _Run, now: int) -> bool:
        """Would leaving a step later make someone on the trip miss the flight or sailing
        their way takes right after it, which they reach when it leaves now?"""
        index = self.index
        later: list[tuple[int, int]] | None = None
        for ride in run.rides:
            route = ride.party.route
            if ride.consumed >= len(route) or ride.alight > len(run.times):
                continue
            link = index.links[route[ride.consumed][0]]
            if link.kind not in ("flight", "sailing"):
                continue
            latest = link.departs - link.lead
            if run.times[ride.alight - 1][1] > latest:
                continue  # missed anyway
            if later is None:
                later = self._hop_times(run.hops, run.rides, now + index.step)
            if len(later) < ride.alight or later[ride.alight - 1][1] > latest:
                return True
        return False

    def _time_run(self, run: _Run, now: int) -> bool:
        """Times of each hop: roads at their first open grid time, crossings also with room
        for everyone aboard, never before those boarding are ready. A hop that cannot be
        made ends the trip there; False when the lead cannot ride."""
        lead = run.rides[0]
        times = self._hop_times(run.hops, run.rides, now)
        j = len(times)
        if j < max(r.alight for r in run.rides):
            # The trip ends at hop j: those aboard get off, those still to board stay.
            for ride in run.rides:
                if ride.alight > j:
                    ride.alight = j
                    ride.cut = True
        run.times = times
        run.rides = [r for r in run.rides if r.alight > r.board]
        return bool(run.rides) and run.rides[0] is lead

    def _hop_times(self, hops: list[int], rides: list[_Ride], now: int) -> list[tuple[int, int]]:
        """Departure and arrival of each hop driven (see :meth:`_time_run`), up to the
        first that cannot be made."""
        index = self.index
        times: list[tuple[int, int]] = []
        t = now
        driven = max(r.alight for r in rides)
        # Per hop: when the last of those boarding before it is ready, and the change in
        # people aboard.
        ready = [now] * driven
        change = [0] * (driven + 1)
        for ride in rides:
            board, party = ride.board, ride.party
            if board < driven and party.avail > ready[board]:
                ready[board] = party.avail
            if board < ride.alight:
                change[board] += party.people
                change[ride.alight] -= party.people
        aboard = 0
        for j in range(driven):
            link = index.links[hops[j]]
            if ready[j] > t:
                t = ready[j]
            aboard += change[j]
            if link.kind == "crossing":
                depart = self.book.crossing_depart(link, t, aboard)
            else:
                depart = index.road_depart(link, t)
            if depart is None:
                break
            times.append((depart, depart + link.duration))
            t = depart + link.duration
        return times

    def _stays(
        self, run: _Run, rides: list[_Ride] | None = None
    ) -> list[tuple[int, int, int | None, int]]:
        """Rule 7's stays the trip makes (of `rides` only, when given): aboard at each stop
        until the vehicle leaves again, and for good where a party gets off."""
        links, hops, times = self.index.links, run.hops, run.times
        stays: list[tuple[int, int, int | None, int]] = []
        for ride in run.rides if rides is None else rides:
            people, last = ride.party.people, ride.alight - 1
            for j in range(ride.board, ride.alight):
                leave = times[j + 1][0] if j < last else None
                stays.append((links[hops[j]].dst, times[j][1], leave, people))
        return stays

    def _commit(self, van: _Van, run: _Run) -> None:
        """Book the trip: the vehicle's legs, crossing throughput, every rider's legs, then
        each rider goes on from where it got off."""
        index = self.index
        driven = max(r.alight for r in run.rides)
        for j in range(driven):
            link = index.links[run.hops[j]]
            depart, arrive = run.times[j]
            aboard = [r.party for r in run.rides if r.board <= j < r.alight]
            if link.kind == "crossing":
                self.book.book_crossing(link, depart, sum(p.people for p in aboard))
            van.moves.append(_VMove(link.index, depart, arrive, [p.group.id for p in aboard]))
        van.place = index.links[run.hops[driven - 1]].dst
        van.free = run.times[driven - 1][1]
        van.holding_since = None
        self._unqueue([r.party for r in run.rides])
        for ride in run.rides:
            party = ride.party
            route = party.route[ride.consumed :]
            for j in range(ride.board, ride.alight):
                link = index.links[run.hops[j]]
                depart, arrive = run.times[j]
                self._make_move(party, link, depart, arrive, van.vehicle.id, open_stay=False)
                if j + 1 < ride.alight:
                    self.book.occupy(link.dst, arrive, run.times[j + 1][0], party.people)
            if index.capacity[party.place] is not None:
                self.book.occupy(party.place, party.time, None, party.people)
                party.stay = party.time
            party.route = route
            if ride.cut and not self._set_route(party):
                party.route = []
        for ride in run.rides:
            self._advance(ride.party, ride.party.time)

    # --- empty runs ---------------------------------------------------------------------

    def _drive_search(self, van: _Van, now: int) -> tuple[dict[int, int], dict[int, Any]]:
        """Earliest arrival of an empty vehicle at every place it may visit."""
        key = (van.kind, van.place, now)
        if key in self.drive_cache:
            return self.drive_cache[key]
        index = self.index
        best = {van.place: now}
        pred: dict[int, tuple[int, int, int]] = {}
        heap = [(now, van.place)]
        while heap:
            t, p = heapq.heappop(heap)
            if best[p] != t:
                continue
            for li in index.out[p]:
                link = index.links[li]
                if not index.drivable(van.kind, link):
                    continue
                if link.kind == "crossing" and self._strands(van, link):
                    continue
                depart = index.road_depart(link, t)
                if depart is None:
                    continue
                arrive = depart + link.duration
                if arrive < best.get(link.dst, math.inf):
                    best[link.dst] = arrive
                    pred[link.dst] = (p, li, depart)
                    heapq.heappush(heap, (arrive, link.dst))
        self.drive_cache[key] = (best, pred)
        return best, pred

    def _supply(self, now: int) -> list[int]:
        """Per place, the seats of the vehicles there or on their way there, not kept back:
        what covers the parties waiting there when free vehicles are sent where they are
        needed. With `idle_cover`, only those free there now: a vehicle whose trip ends
        there hours later does not keep a free one from coming sooner."""
        supply = [0] * len(self.index.place_ids)
        for van in self.vans:
            if van.index not in self.reserve and (not self.idle_cover or van.free <= now):
                supply[van.place] += van.seats
        return supply

    def _reposition(self, vans: list[_Van], now: int) -> None:
        """Send each vehicle with nobody to take toward waiting parties no other vehicle is
        coming for: the most urgent first; among places it can reach within
        REPOSITION_SLACK of the soonest, the one where it fills most seats. It stays where
        it is when that is the best place."""
        if not any(any(d) for d in self.demand):
            return
        supply = self._supply(now)
        for van in vans:
            best, pred = self._drive_search(van, now)
            options = []
            for q, eta in best.items():
                if not self.demand[q][van.kind]:
                    continue
                covered = supply[q] - (van.seats if q == van.place else 0)
                found = self._uncovered(van, q, covered)
                if found is None:
                    continue
                party, seats = found
                urgency = party.rank if party.avail <= eta else party.rank + 3
                options.append((urgency, max(party.avail, eta), -min(seats, van.seats), q))
            if not options:
                continue
            urgency, soonest = min(options)[:2]
            near = [o for o in options if o[0] == urgency and o[1] <= soonest + REPOSITION_SLACK]
            target = min(near, key=lambda o: (o[2], o[1], o[3]))[3]
            if target == van.place:
                continue
            self._drive_empty(van, target, pred)
            supply[target] += van.seats

    def _reposition_to_fit(self, vans: list[_Van], now: int) -> None:
        """Like :meth:`_reposition`, but each place picks its vehicle: the most urgent
        waiting party first, soonest served; among the vehicles that reach it within
        REPOSITION_SLACK of the soonest, the smallest that takes every seat waiting there
        (else the largest)."""
        if not any(any(d) for d in self.demand):
            return
        supply = self._supply(now)
        # Free vehicles of a kind at one place with as many seats have the same options:
        # they are weighed together, and the first of them in the fleet goes first.
        Alike = tuple[int, int, int]
        alike: dict[Alike, list[_Van]] = {}
        for van in sorted(vans, key=lambda v: v.index):
            alike.setdefault((van.kind, van.place, van.seats), []).append(van)
        searches = {key: self._drive_search(group[0], now) for key, group in alike.items()}
        # Vehicles of a kind arriving alike where alike many seats are coming get alike
        # options: each is worked out once.
        known: dict[tuple[int, int, int, int], tuple[int, int, int, int] | None] = {}

        def option(key: Alike, q: int, eta: int) -> tuple[int, int, int, int] | None:
            kind, place, seats = key
            if not self.demand[q][kind]:
                return None
            covered = supply[q] - (seats if q == place else 0)
            if (kind, q, eta, covered) not in known:
                van = alike[key][0]
                found = self._uncovered(van, q, covered)
                if found is None:
                    known[kind, q, eta, covered] = None
                else:
                    party, _ = found
                    urgency = party.rank if party.avail <= eta else party.rank + 3
                    when = max(party.avail, eta)
                    seats_by = self._seats_by(van, q, covered, when)
                    known[kind, q, eta, covered] = (urgency, when, q, seats_by)
            return known[kind, q, eta, covered]

        options: dict[tuple[Alike, int], tuple[int, int, int, int]] = {}
        for key in alike:
            for q, eta in searches[key][0].items():
                found = option(key, q, eta)
                if found is not None:
                    options[key, q] = found
        while options:
            urgency, soonest, target = min(options.values())[:3]
            near = [
                (key, o)
                for (key, q), o in options.items()
                if q == target and o[0] == urgency and o[1] <= soonest + REPOSITION_SLACK
            ]
            fits = [(key, o) for key, o in near if key[2] >= o[3]]
            if fits:
                key = min(fits, key=lambda ko: (ko[0][2], ko[1][1], alike[ko[0]][0].index))[0]
            else:
                key = min(near, key=lambda ko: (-ko[0][2], ko[1][1], alike[ko[0]][0].index))[0]
            van = alike[key].pop(0)
            if not alike[key]:
                del alike[key]
                options = {k: o for k, o in options.items() if k[0] != key}
            if target != van.place:
                self._drive_empty(van, target, searches[key][1])
                supply[target] += van.seats
            for other in alike:
                there = searches[other][0].get(target)
                options.pop((other, target), None)
                if there is not None:
                    found = option(other, target, there)
                    if found is not None:
                        options[other, target] = found

    def _seats_by(self, van: _Van, place: int, covered: int, when: int) -> int:
        """Seats of the parties at `place` this vehicle could take beyond the seats already
        coming there that are ready by `when`."""
        sums, parties = self._summary(place, van.kind)
        first = bisect.bisect_right(sums, covered)
        return sum(
            p.seats
            for p in itertools.islice(parties, first, first + LOOKAHEAD_SCAN)
            if p.avail <= when
        )

    def _uncovered(self, van: _Van, place: int, covered: int) -> tuple[_Party, int] | None:
        """The first party at `place` this vehicle could take beyond the seats already
        coming there, and the seats of all such parties."""
        sums, parties = self._summary(place, van.kind)
        if not sums or sums[-1] <= covered:
            return None
        return parties[bisect.bisect_right(sums, covered)], sums[-1] - covered

    def _drive_empty(self, van: _Van, target: int, pred: dict[int, Any]) -> None:
        """Drive the vehicle empty to `target` along its quickest way."""
        legs = []
        place = target
        while place != van.place:
            before, li, depart = pred[place]
            legs.append(_VMove(li, depart, depart + self.index.links[li].duration))
            place = before
        legs.reverse()
        van.moves.extend(legs)
        van.place = target
        van.free = legs[-1].arrive

    # --- the end: reasons and the plan ------------------------------------------------

    def _give_up(self, party: _Party) -> None:
        """A party still on its way when the horizon ends stays where it is."""
        if party.waiting:
            party.trouble = (
                f"capacity ran out at vehicles: none was free to take it from "
                f"{self._place(party.place)} before {self._clock(self.index.horizon, party.place)}"
            )
        party.done = True

    def _place(self, place: int) -> str:
        """The id of a place."""
        return self.index.place_ids[place]

    def _clock(self, seconds: int, place: int) -> str:
        """`19:30 +02:00 on 2013-10-03`: a time in the local time of a place."""
        clocks = self.index.clocks
        if (seconds, place) not in clocks:
            clocks[seconds, place] = _local(self.index.instant(seconds), self.index.tz[place])
        return clocks[seconds, place]

    def _full_words(self, place: int, now: int) -> str:
        """Reason: a place with a capacity had no room."""
        return (
            f"capacity ran out at {self._place(place)}: the place was full from "
            f"{self._clock(max(now, 0), place)}"
        )

    def _closed_words(self, link: _Link) -> str:
        """Reason: a crossing or road had no departure left."""
        end = self._clock(self.index.horizon, link.src)
        if link.kind == "crossing":
            return f"capacity ran out at crossing {link.name} before {end}"
        road = f"{self._place(link.src)} to {self._place(link.dst)}"
        return f"the road from {road} stays closed until the end of the horizon, {end}"

    def _reason(self, party: _Party, status: str) -> str | None:
        """Why a group is not evacuated, in plain words."""
        if status == "evacuated":
            return None
        why = party.trouble or self._static_reason(party.group) or self._late_words(party)
        if status == "safe" and party.moves:
            why += f"; taken out of the danger zone to {self._place(party.place)}"
        elif status == "safe":
            why += f"; it stays at {party.group.at}, out of the danger zone"
        return why

    def _static_reason(self, group: Group) -> str | None:
        """The network's own reason (no way, documents, seats), computed once per kind of
        group."""
        key = (group.at, group.destinations, self._profile(group), group.seats, group.own_vehicle)
        if key not in self.static_reasons:
            if self.graph is None:
                self.graph = build_network(self.s)
            self.static_reasons[key] = diagnose_unreachable(self.s, self.graph, group)
        return self.static_reasons[key]

    def _none_left_words(self, party: _Party) -> str:
        """Reason: no vehicle that could take the party can come to where it waits."""
        return (
            f"capacity ran out at vehicles: none that could take it is left to come to "
            f"{self._place(party.place)}"
        )

    def _blocked_words(self, party: _Party) -> str:
        """Why no way is left from where the party waits: what others booked first, or
        the clock."""
        start = _OWN if party.carrier == OWN else _START if party.carrier is None else _OFF
        found = self._search(party, start, booked=False)
        end = self._clock(self.index.horizon, party.place)
        if found is not None:
            for li, _ in found[0]:
                link = self.index.links[li]
                if link.kind in ("flight", "sailing") and self.book.seats_left(link) < party.seats:
                    return f"capacity ran out on {link.kind} {link.name}: no seats left"
            for li, _ in found[0]:
                link = self.index.links[li]
                if link.kind == "crossing" and link.throughput is not None:
                    return f"capacity ran out at crossing {link.name} before {end}"
        dests = ", ".join(party.group.destinations)
        return (
            f"from {self._place(party.place)} no open roads, crossings and services reach "
            f"{dests} by the end of the horizon, {end}"
        )

    def _late_words(self, party: _Party) -> str:
        """Reason: the clock, when nothing else stopped the party."""
        group = party.group
        dests = ", ".join(group.destinations)
        at = self.index.place_of[group.at]
        ready = _ceil(self.index.seconds(group.ready))
        end = self._clock(self.index.horizon, at)
        if not party.moves:
            return (
                f"ready too late: from {group.at} at {self._clock(ready, at)} no open roads, "
                f"crossings and services reach {dests} by the end of the horizon, {end}"
            )
        return f"no open way was left to {dests} by the end of the horizon, {end}"

    def plan(self, seconds: float) -> Plan:
        """The plan of what was booked: legs of every group and vehicle, objectives."""
        journeys: dict[str, tuple[Leg, ...]] = {}
        groups = []
        for party in self.parties:
            legs = tuple(self._leg(m) for m in party.moves)
            journeys[party.group.id] = legs
            status = group_status(self.s, party.group, legs)
            groups.append(
                GroupPlan(party.group.id, party.people, status, self._reason(party, status), legs)
            )
        vehicles = []
        for van in self.vans:
            # the moves worth driving: a vehicle sent toward families that went another
            # way, and back, may as well have waited
            ends = [(self.index.links[m.link].src, self.index.links[m.link].dst) for m in van.moves]
            kept = driven(ends, [bool(m.groups) for m in van.moves])
            if kept:
                legs_v = tuple(self._vehicle_leg(van.moves[i]) for i in kept)
                vehicles.append(VehiclePlan(van.vehicle.id, van.vehicle.fleet, legs_v))
        return Plan(
            scenario=self.s.name,
            status="feasible",
            objective=evaluate_objectives(self.s, journeys),
            bound={},
            groups=tuple(groups),
            vehicles=tuple(vehicles),
            stats={"method": "greedy", "seconds": round(seconds, 3)},
        )

    def _leg(self, move: _Move) -> Leg:
        """A leg of a group, with names and times, for the plan (made once for all
        dispatches: every plan tried is scored)."""
        key = (move.link, move.depart, move.arrive, move.carrier)
        leg = self.index.legs.get(key)
        if leg is None:
            leg = self.index.legs[key] = self._new_leg(move)
        return leg

    def _new_leg(self, move: _Move) -> Leg:
        """A leg of a group, made from the move."""
        index = self.index
        link = index.links[move.link]
        frm, to = index.place_ids[link.src], index.place_ids[link.dst]
        if link.kind in ("flight", "sailing"):
            assert link.departs_at is not None and link.arrives_at is not None
            return Leg(
                link.kind,
                frm,
                to,
                link.departs_at,
                link.arrives_at,
                service=link.name,
            )
        depart, arrive = index.instant(move.depart), index.instant(move.arrive)
        vehicle = None if move.carrier == FOOT else move.carrier
        crossing = link.name if link.kind == "crossing" else None
        return Leg(link.kind, frm, to, depart, arrive, vehicle=vehicle, crossing=crossing)

    def _vehicle_leg(self, move: _VMove) -> VehicleLeg:
        """A leg of a fleet vehicle, with names and times, for the plan."""
        index = self.index
        link = index.links[move.link]
        return VehicleLeg(
            kind="crossing" if link.kind == "crossing" else "road",
            from_=index.place_ids[link.src],
            to=index.place_ids[link.dst],
            depart=index.instant(move.depart),
            arrive=index.instant(move.arrive),
            groups=tuple(move.groups),
            crossing=link.name if link.kind == "crossing" else None,
        )


def _local(when: datetime, tz: tzinfo) -> str:
    """`19:30 +02:00 on 2013-10-03`: an instant in a local time, with its offset."""
    local = when.astimezone(tz)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{local:%H:%M} {sign}{hh:02d}:{mm:02d} on {local.date().isoformat()}"
