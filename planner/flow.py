"""Plans at the scale of a city, from the linear optimum of the aggregated flow.

At that scale the model that follows each class of families and each vehicle
(:class:`planner.model.EvacuationModel`) has hundreds of thousands of variables and CP-SAT
finds little in a minute. The same network with people as head-counts per commodity and
vehicles as counts per fleet kind (the flow of :mod:`planner.relaxation`, here with each
place's transfer time taken after every leg, as the pooled model does) is ten or more times
smaller, and GLOP solves its linear relaxation in seconds.

That optimum is not a plan: it is fractional, and it says how many people of each kind take
each road, crossing and service at each time, and how many vehicles of each kind drive each
road then, but not which family sits in which vehicle. Its departures, though, are few and
well chosen. :func:`skeleton` returns them (with a little more time to cross, since whole
families cannot split, and with the departures of the plan in hand, so that the search can
start from it); the pooled model restricted to them (`EvacuationModel(..., allowed=...)`) is
small, and turns them into whole families on named vehicles, packed exactly. The result is
compared with the plan in hand and the better one kept; a restricted model proves nothing,
so its bounds are never reported.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.relaxation import FlowRelaxation, commodity_key, earliest_makespan

if TYPE_CHECKING:
    from planner.model import EvacuationModel, SolveParameters
    from planner.plan import Plan
    from planner.rides import Itineraries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skeleton:
    """The departures the linear optimum of the aggregated flow uses.

    `people`: commodity key (see `planner.relaxation.commodity_key`) -> {(link index, grid time)};
    `fleet`: fleet kind id -> {(link index, grid time)}; `objective`: the flow's own values;
    `vehicles`: when the flow counts whole vehicles, one itinerary per named vehicle that
    moves (see `planner.rides.Itineraries`).
    """

    people: dict[tuple, frozenset[tuple[int, int]]]
    fleet: dict[str, frozenset[tuple[int, int]]]
    objective: dict[str, float]
    vehicles: Itineraries | None = None


def skeleton(model: EvacuationModel, deadline: float, start: Plan | None = None) -> Skeleton | None:
    """The departures of the flow's linear optimum, stage by stage in the scenario's order
    as far as time allows (for `makespan`: the earliest grid time by which the flow gets as
    many people home), with those of `start` added so that the restricted model can begin
    from that plan. The linear optimum is fractional, but its departures are few and
    well chosen: the restricted model makes them whole."""
    flow = FlowRelaxation(model, transfers=True, by_kind=True, stop_anywhere=True)
    order = list(model.scenario.objective)
    at_least: dict[str, float] = {}
    at_most: dict[str, float] = {}
    latest: int | None = None
    values = None
    found: dict[str, float] = {}
    used: set[int] = set()

    def keep(values: Any) -> None:
        used.update(int(j) for j in np.nonzero(values > 1e-6)[0])

    for name in order:
        left = deadline - time.monotonic()
        if left < 0.2:
            break
        if name == "makespan":
            if "evacuated" not in at_least:
                break
            # the earliest the flow gets its people home, then its departures for that
            latest = earliest_makespan(flow, at_least, at_most, None, deadline)
            if latest is None:
                break
            value = flow.solve("evacuated", {}, at_most, latest, deadline - time.monotonic())
            if value is None:
                break
            values = flow.values
            keep(values)
            found[name] = latest * model.grid.step / 3600.0
            log.info("aggregated flow, linear makespan: %.1f h", found[name])
            continue
        value = flow.solve(name, at_least, at_most, latest, left)
        if value is None or math.isinf(value):
            break
        values = flow.values
        keep(values)
        found[name] = value
        log.info("aggregated flow, linear %s: %.1f", name, value)
        if name == "evacuated":
            at_least[name] = math.floor(value + 1e-6)
        else:
            at_most[name] = value
    if values is None:
        return None
    people: dict[tuple, set[tuple[int, int]]] = defaultdict(set)
    fleet: dict[str, set[tuple[int, int]]] = defaultdict(set)
    keys = flow.commodity_keys()
    for j in used:
        if j not in flow.moves:
            continue
        what, number, link, t = flow.moves[j]
        if what == "people":
            people[keys[number]].add((link, t))
        else:
            fleet[flow.pool_fleet(number)].add((link, t))
    return _frame(model, people, fleet, start, found)


def _frame(
    model: EvacuationModel,
    people: dict[tuple, set[tuple[int, int]]],
    fleet: dict[str, set[tuple[int, int]]],
    start: Plan | None,
    objective: dict[str, float],
) -> Skeleton:
    """The skeleton of a flow's departures, with room to cross a little later and the
    departures of `start`."""
    # the flow splits families; whole, some must cross a little later (on the roads,
    # people go where vehicles go, and vehicles keep the flow's departures)
    widen = max(2, 3600 // model.grid.step)
    for key, moves in people.items():
        people[key] = moves | {
            (link, t + d)
            for link, t in moves
            if model.links[link].kind == "crossing"
            for d in range(1, widen + 1)
        }
    if start is not None:
        _add_plan_moves(model, start, people, fleet)
    return Skeleton(
        people={k: frozenset(v) for k, v in people.items()},
        fleet={k: frozenset(v) for k, v in fleet.items()},
        objective=objective,
    )


def _add_plan_moves(
    model: EvacuationModel,
    plan: Plan,
    people: dict[tuple, set[tuple[int, int]]],
    fleet: dict[str, set[tuple[int, int]]],
) -> None:
    """Add the departures `plan` takes, by commodity and by fleet kind."""
    from planner.plan import Leg

    step = model.grid.step
    class_of = {g.id: k for k in model.classes for g in k.groups}
    for gp in plan.groups:
        k = class_of.get(gp.id)
        if k is None:
            continue
        key = commodity_key(k)
        for leg in gp.legs:
            lk = model._link_of(leg)
            if lk is None:
                continue
            if lk.kind in ("flight", "sailing"):
                dep = model.grid.down(lk.service_departs - max(lk.check_in, model.transfer[lk.src]))
            else:
                dep = model.grid.seconds(leg.depart) // step
            people[key].add((lk.index, dep))
    by_id = {v.id: v for v in model.vehicles}
    for vp in plan.vehicles:
        kind = by_id[vp.id].fleet
        for vleg in vp.legs:
            lk = model._link_of(
                Leg(
                    vleg.kind, vleg.from_, vleg.to, vleg.depart, vleg.arrive, crossing=vleg.crossing
                )
            )
            if lk is not None:
                fleet[kind].add((lk.index, model.grid.seconds(vleg.depart) // step))


INTEGER_COLUMNS = 40_000
"""Above this many columns CP-SAT rarely settles a deadline of the whole-number flow in the
seconds a planner waits (2 cores). Measured: 28,000 columns (the SH-L benchmark, 50 vehicles
and 2,400 people) give a yes at the linear bound in about 5 s."""


class WholeFlow:
    """The aggregated flow with whole head-counts and whole vehicles, for CP-SAT.

    The linear optimum lets half a bus drive to each of two towns; here every vehicle of a
    kind goes one way, which is what makes a shuttle's makespan hard. Asked whether the flow
    can bring `need` people home by a grid time (`by`), CP-SAT answers often in seconds on a
    few thousand columns: a yes comes with the departures (as `skeleton`'s) and with an
    itinerary for each named vehicle, on which `planner.rides` seats the families; a no is
    a true bound when the flow is a relaxation of every plan (`relaxes_every_plan`).
    """

    def __init__(self, model: EvacuationModel) -> None:
        self.m = model
        self.flow = FlowRelaxation(model, transfers=True, by_kind=True, stop_anywhere=True)
        rows, cols, vals = self.flow.entries
        by_row: dict[int, list[tuple[int, Fraction]]] = defaultdict(list)
        for i, j, v in zip(rows, cols, vals, strict=True):
            # seats per person are ratios of small whole numbers; every other entry is whole
            by_row[i].append((j, Fraction(v).limit_denominator(1000)))
        self.rows: list[tuple[list[int], list[int], float, float]] = []
        for i, terms in sorted(by_row.items()):
            den = math.lcm(*(f.denominator for _, f in terms))
            lo, hi = self.flow.rows_lo[i], self.flow.rows_hi[i]
            self.rows.append(
                (
                    [j for j, _ in terms],
                    [int(f * den) for _, f in terms],
                    lo * den if lo > -math.inf else lo,
                    hi * den if hi < math.inf else hi,
                )
            )
        people = sum(sum(c.supply.values()) for c in self.flow._commodities)
        units = sum(sum(p.supply.values()) for p in self.flow._pools)
        self.most = max(people, units, 1)
        self.relaxes_every_plan = model.grid_aligned() and _same_flow(
            self.flow, FlowRelaxation(model, by_kind=True, stop_anywhere=True)
        )
        """True when taking each place's transfer after every leg changes nothing (no place
        has one, no leg takes no time) and the scenario is on its grid: then the flow is a
        relaxation of every plan, and a deadline it cannot meet no plan can."""

    @property
    def columns(self) -> int:
        return self.flow.size[0]

    def by(
        self, latest: int, need: int, seconds: float, params: SolveParameters
    ) -> tuple[str, Skeleton | None]:
        """Can the flow bring at least `need` people to their destinations by grid time
        `latest`? ("yes", its departures), ("no", None) when proven not, or ("unknown",
        None) when CP-SAT does not say in `seconds`."""
        from ortools.sat.python import cp_model

        flow = self.flow
        cp = cp_model.CpModel()
        late = {j for j, t in flow.dest_stop_time if t > latest}
        x = [cp.new_int_var(0, 0 if j in late else self.most, "") for j in range(self.columns)]
        for cols, coefs, lo, hi in self.rows:
            expr = cp_model.LinearExpr.weighted_sum([x[j] for j in cols], coefs)
            if lo == hi:
                cp.add(expr == round(lo))
                continue
            if lo > -math.inf:
                cp.add(expr >= math.ceil(lo - 1e-9))
            if hi < math.inf:
                cp.add(expr <= math.floor(hi + 1e-9))
        cp.add(sum(x[j] for j in flow.evac) >= need)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, seconds)
        solver.parameters.num_workers = params.workers
        solver.parameters.random_seed = params.seed
        # without the linear relaxation in the search: measured on shuttles of 340 and 2,400
        # people, yeses come two to three times sooner and noes as soon
        solver.parameters.linearization_level = 0
        status = solver.solve(cp)
        if status == cp_model.INFEASIBLE:
            return "no", None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown", None
        people: dict[tuple, set[tuple[int, int]]] = defaultdict(set)
        fleet: dict[str, set[tuple[int, int]]] = defaultdict(set)
        counts: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        keys = flow.commodity_keys()
        for j, (what, number, link, t) in flow.moves.items():
            n = solver.value(x[j])
            if n > 0:
                if what == "people":
                    people[keys[number]].add((link, t))
                else:
                    fleet[flow.pool_fleet(number)].add((link, t))
                    counts[flow.pool_fleet(number)].append((t, link, n))
        # without `start`'s departures: the restricted model stays small and has to follow
        # the flow, which is what makes it quick
        frame = _frame(
            self.m, people, fleet, None, {"makespan": latest * self.m.grid.step / 3600.0}
        )
        return "yes", replace(frame, vehicles=self._itineraries(counts))

    def _itineraries(self, counts: dict[str, list[tuple[int, int, int]]]) -> Itineraries | None:
        """The whole vehicles of each kind split into named vehicles: `counts` holds, by
        fleet kind, (grid time, link index, vehicles) for each move. Moves are given out in
        time order, each to a vehicle of the kind that is then where the move starts (the
        one there longest; the vehicle first in the file on a tie). The flow keeps the
        vehicles of a kind where they are unless they drive, so one is always there; None
        if not."""
        m = self.m
        out: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for kind, moves in counts.items():
            free: dict[int, tuple[int, int]] = {}  # vehicle -> (grid time, place)
            for vi, v in enumerate(m.vehicles):
                start = m.places[v.at]
                if v.fleet == kind and (v.countries is None or m.country[start] in v.countries):
                    free[vi] = (max(0, m.grid.up(m.grid.seconds(v.available))), start)
            for t, li, n in sorted(moves):
                lk = m.links[li]
                for _ in range(n):
                    there = [vi for vi, (at, p) in free.items() if p == lk.src and at <= t]
                    if not there:
                        return None
                    vi = min(there, key=lambda v: (free[v][0], v))
                    out[vi].append((li, t))
                    free[vi] = (self.flow._head_time(t, lk.departs[t]), lk.dst)
        return {vi: tuple(path) for vi, path in out.items()}


def _same_flow(a: FlowRelaxation, b: FlowRelaxation) -> bool:
    return (
        a.entries == b.entries
        and a.rows_lo == b.rows_lo
        and a.rows_hi == b.rows_hi
        and a.dest_stop_time == b.dest_stop_time
        and a.evac == b.evac
    )


def sooner(
    model: EvacuationModel, plan: Plan, lowest: int, params: SolveParameters, deadline: float
) -> tuple[Plan, int | None]:
    """A plan that gets as many people home as `plan` sooner, if the whole-number flow finds
    one by `deadline` (a `time.monotonic()` value), and the earliest grid time by which any
    plan could, when the flow proves one (None otherwise). A plan other than `plan` names
    where it came from in `stats["method"]`.

    A search on the last arrival, from `lowest` (a bound known already, in grid steps) to
    just before `plan`'s: at each grid time CP-SAT is asked whether the flow can make it
    (`WholeFlow.by`); on a yes, the families are seated on the flow's named vehicles
    (`planner.rides.seat`, or the pooled model restricted to the flow's departures when
    that seats fewer: `_whole_plan`), and the search goes on below what it found; on a no,
    no answer or a yes that gives no better whole plan, above. When the range is used up,
    the times not ruled out are asked again with another seed, from the loosest. The
    lowest time is asked first, which CP-SAT often rules out at once; then the search
    comes down from the top: one step below the best plan, twice as far below each plan
    found, and one step again after anything else. CP-SAT says yes to a loose deadline in
    a second or two, while a deadline close to the optimum may take it minutes either way:
    halving the range first spends the time where no answer comes.

    Before the questions, when the vehicles are few (`planner.walks.walks_fit`), the walk
    relaxation: its bound is where the questions start, and its walks, seated, are often a
    plan that meets it.
    """
    from planner.model import RESEATED_METHOD, WALK_METHOD, WHOLE_METHOD, better
    from planner.rides import itineraries, seat
    from planner.walks import Walks, walk_plan, walks_fit

    started = time.monotonic()
    whole = WholeFlow(model)
    step_hours = model.grid.step / 3600.0
    need = int(plan.objective.get("evacuated") or 0)
    best = plan
    proven: int | None = None

    def span(p: Plan) -> int:
        """`p`'s last arrival in grid steps."""
        return round(float(p.objective["makespan"] or 0) / step_hours)

    walks = Walks(model, need) if walks_fit(model) else None
    if walks is not None:
        # each vehicle's driving alone, first: a stronger bound where a few vehicles share
        # out the round trips, and in seconds where the linear optimum may take a minute.
        # Half of the time at most: the 3-bus benchmark takes 1-4 s of its 20, the same with
        # six buses 4-20 s, and a deadline near the optimum seldom gets an answer from the
        # flow anyway
        until = time.monotonic() + 0.5 * (deadline - time.monotonic())
        ruled = walks.earliest(until, params.workers, params.seed, floor=lowest)
        if ruled is not None and ruled > lowest:
            lowest = proven = ruled
    # the linear optimum of the same flow: a bound too when the flow relaxes every plan
    linear = earliest_makespan(
        whole.flow,
        {"evacuated": need},
        {},
        None,
        time.monotonic() + (deadline - time.monotonic()) / 3,
    )
    if linear is not None and linear > lowest:
        lowest = linear
        if whole.relaxes_every_plan:
            proven = linear
    lo, hi = lowest, span(best) - 1
    # the plan's own vehicle moves with its families seated again: often sooner at once.
    # The questions stay those below the plan given: a yes just below it is quick, and its
    # vehicles seated often arrive sooner than it asked (on one 2,400-person shuttle, asking
    # from below the seated plan instead got no answer at all)
    moves = itineraries(model, plan)
    source: tuple[Itineraries, int | None] | None = None  # the moves of the best plan
    seating = params  # how they are seated again at the end
    reseated = seat(model, moves, params, time.monotonic() + 0.1 * (deadline - time.monotonic()))
    if reseated is not None and better(model.scenario, reseated, best):
        log.info("the plan's vehicles, families seated again: %s", reseated.objective)
        best = replace(reseated, stats=dict(reseated.stats, method=RESEATED_METHOD))
        source = (moves, None)
    _report(params, started, best, proven, step_hours)
    if walks is not None and walks.value is not None and span(best) > max(lowest, walks.value):
        # the walks as the vehicles' moves, the families seated: often a plan that meets
        # the bound
        until = time.monotonic() + 0.3 * (deadline - time.monotonic())
        walked = walk_plan(model, walks, best, params, until)
        if walked is not None:
            log.info("the walks' vehicles, families seated: %s", walked[0].objective)
            best = replace(walked[0], stats=dict(walked[0].stats, method=WALK_METHOD))
            source = (walked[1], None)
            # seated again for people home sooner by one worker, as the walks were: the
            # same plan run after run when it meets the bound
            seating = replace(params, workers=1)
            hi = min(hi, span(best) - 1)
            _report(params, started, best, proven, step_hours)
    floor = lowest  # the earliest deadline the flow has not ruled out
    first = True
    stride = 1
    rounds = 0  # each round over the deadlines left unsettled asks with another seed
    while True:
        if lo > hi:
            # deadlines passed over (no answer, or a yes that did not seat everyone) may do
            # with another seed: CP-SAT's time to a yes, and the yes it gives, vary much
            # from seed to seed
            if floor > hi:
                break
            lo = floor
            rounds += 1
        left = deadline - time.monotonic()
        if left < 1.0:
            break
        mid = lo if first else max(lo, hi - stride + 1)
        first = False
        stride = 1
        asked = replace(params, seed=params.seed + rounds)
        answer, frame = whole.by(mid, need, max(1.0, left / 3), asked)
        log.info("whole-number flow by %.2f h: %s", mid * step_hours, answer)
        if answer == "no":
            # nor by any earlier time
            floor = max(floor, mid + 1)
            if whole.relaxes_every_plan:
                proven = max(proven or 0, mid + 1)
                _report(params, started, best, proven, step_hours)
        if answer != "yes" or frame is None:
            lo = mid + 1
            continue
        until = min(deadline, time.monotonic() + max(2.0, 0.5 * (deadline - time.monotonic())))
        found = _whole_plan(model, frame, mid, best, params, until)
        if better(model.scenario, found, best):
            stride = 2 * max(1, hi - mid + 1)
            best = replace(found, stats=dict(found.stats, method=WHOLE_METHOD))
            source = (frame.vehicles, mid) if frame.vehicles else None
            seating = params
            hi = min(mid, span(best)) - 1
            _report(params, started, best, proven, step_hours)
        else:
            lo = mid + 1
    if source is not None:
        best = _sooner_home(model, best, *source, seating, deadline)
    return best, proven


def _sooner_home(
    model: EvacuationModel,
    best: Plan,
    moves: Itineraries,
    latest: int | None,
    params: SolveParameters,
    deadline: float,
) -> Plan:
    """`best`, or as good a plan on the same vehicles with people home sooner (`arrival`),
    when the search ends with time left (a plan that meets the bound ends it early): the
    families seated again, with at most a fifth of the time limit for that tie-break (as
    the model's own tidy stage has)."""
    from planner.model import better
    from planner.rides import seat

    left = deadline - time.monotonic()
    if left < 3.0:
        return best
    most = max(1.0, 0.2 * params.time_limit)
    again = seat(model, moves, params, deadline, latest, tidy=min(left, most))
    if (
        again is None
        or better(model.scenario, best, again)
        or float(again.objective["arrival"] or 0) >= float(best.objective["arrival"] or 0)
    ):
        return best
    log.info("people home sooner on the same vehicles: arrival %s", again.objective["arrival"])
    return replace(again, stats=dict(again.stats, method=best.stats.get("method")))


def _report(
    params: SolveParameters, started: float, best: Plan, proven: int | None, step_hours: float
) -> None:
    """Tell `params.progress` the makespan of the best plan so far and the bound proven."""
    if params.progress is not None:
        bound = math.nan if proven is None else proven * step_hours
        params.progress(
            "makespan", time.monotonic() - started, float(best.objective["makespan"] or 0), bound
        )


def _whole_plan(
    model: EvacuationModel,
    frame: Skeleton,
    latest: int,
    best: Plan,
    params: SolveParameters,
    deadline: float,
) -> Plan:
    """A plan from a yes of the whole-number flow: the families seated on the flow's named
    vehicles (`planner.rides.seat`), which takes a second or two, and when that gets fewer
    people home than `best`, the pooled model restricted to the flow's departures, which
    may change the vehicles' moves too but is much slower."""
    from planner.model import SEARCH_TIDY, EvacuationModel
    from planner.rides import seat

    if frame.vehicles:
        seated = seat(model, frame.vehicles, params, deadline, latest)
        if seated is not None and (seated.objective["evacuated"] or 0) >= (
            best.objective["evacuated"] or 0
        ):
            return seated
    restricted = EvacuationModel(model.scenario, pooled=True, allowed=frame, build=False)
    restricted._build()
    return restricted.solve(params, deadline=deadline, start=best, tidy=SEARCH_TIDY)
