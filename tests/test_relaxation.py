"""The flow relaxation's bounds on tiny scenarios, worked out by hand.

Each value below is the optimum of the relaxation, which lets families split and pools the
vehicles' seats but keeps every shared capacity and the transfers every plan must wait: so it
is at most as good as the true optimum (see tests/data/solve/ for those), and here often equal
to it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

import pytest

from planner.greedy import dispatch
from planner.model import EvacuationModel, SolveParameters, _Bounding
from planner.read import parse_scenario, read_scenario
from planner.relaxation import (
    FlowRelaxation,
    coarse_bucket,
    estimated_columns,
    relaxation_bounds,
)

SOLVE = Path(__file__).parent / "data" / "solve"


def bounds_of(scenario, incumbent: dict) -> dict[str, float]:  # type: ignore[no-untyped-def]
    model = EvacuationModel(scenario, build=False)
    assert model.grid_aligned()
    return relaxation_bounds(model, incumbent, time.monotonic() + 30)


def test_the_bus_has_to_come_back() -> None:
    # shuttle.yaml: 12 people, one bus of 8 seats, 1 h each way. The relaxation moves 8 at
    # 0 h (safe at 1 h) and the other 4 when the bus is back at 2 h (safe at 3 h):
    # exposure 8 + 12 = 20 = arrival, and the last arrival is at 3 h: all equal the optimum.
    scenario = read_scenario(SOLVE / "shuttle.yaml")
    incumbent = {"evacuated": 12, "exposure": 20.0, "arrival": 20.0, "makespan": 3.0}
    assert bounds_of(scenario, incumbent) == pytest.approx(
        {"evacuated": 12, "exposure": 20.0, "arrival": 20.0, "makespan": 3.0}
    )


def test_throughput_splits_families() -> None:
    # throughput.yaml: 3 families of 3, a crossing that lets 5 people start each hour, 30 min.
    # Split families: 5 people safe at 0.5 h and 4 at 1.5 h: 2.5 + 6 = 8.5, below the true
    # 13.5 (whole families: one per hour). Exposure is not met, so arrival is bounded with
    # evacuated alone: also 8.5.
    scenario = read_scenario(SOLVE / "throughput.yaml")
    incumbent = {"evacuated": 9, "exposure": 13.5, "arrival": 13.5}
    assert bounds_of(scenario, incumbent) == pytest.approx(
        {"evacuated": 9, "exposure": 8.5, "arrival": 8.5}
    )


def test_capacity_counts_people_waiting() -> None:
    # capacity.yaml: y holds 4; two families of 3 cross on foot in 1 h, the bus at y from 3 h
    # takes 6 to z in 1 h. 4 people wait at y from 1 h; 2 more can only arrive at 3 h, when
    # the others leave: exposure 4 * 1 + 2 * 3 = 10 (true optimum 12); arrival 6 * 4 = 24.
    scenario = read_scenario(SOLVE / "capacity.yaml")
    incumbent = {"evacuated": 6, "exposure": 12.0, "arrival": 24.0}
    assert bounds_of(scenario, incumbent) == pytest.approx(
        {"evacuated": 6, "exposure": 10.0, "arrival": 24.0}
    )


SEATS = """
scenario: {name: seats, start: 2013-10-03T06:00+02:00, horizon: 10h, step: 30m}
objective: [evacuated, exposure, arrival, makespan]
locations:
  a: {country: LY, danger: true}
  b: {country: TN, kind: airport}
  h: {country: XH}
roads:
  - {from: a, to: b, duration: 2h, both_ways: false}
fleet:
  - {id: van, count: 2, seats: 5, at: a}
flights:
  - {id: F1, from: b, to: h, departs: +3h, duration: 2h, seats: 6, check_in: 1h}
  - {id: F2, from: b, to: h, departs: +6h, duration: 2h, seats: 20}
groups:
  - {id: G, count: 5, at: a, destination: h, size: 2}
"""


def test_flight_seats_and_vans() -> None:
    # 10 people, two vans of 5 on a one-way road of 2 h: all 10 are safe at b at 2 h
    # (exposure 20). F1 takes 6 (check-in by 2 h: met), arriving 5 h; F2 the other 4,
    # arriving 8 h: arrival 6 * 5 + 4 * 8 = 62; the last arrival is at 8 h.
    scenario = parse_scenario(SEATS, "seats.yaml")
    incumbent = {"evacuated": 10, "exposure": 20.0, "arrival": 62.0, "makespan": 8.0}
    assert bounds_of(scenario, incumbent) == pytest.approx(incumbent)


def test_a_later_stage_is_bounded_only_as_far_as_the_earlier_is_proven() -> None:
    # an incumbent that evacuates only 4 of 10: the relaxation shows 10 can go (bound 10, not
    # met), so exposure is bounded over plans evacuating at least 4, whose best still takes
    # all 10 to b at 2 h (20); arrival gets no bound, since the best plan's exposure is unknown
    scenario = parse_scenario(SEATS, "seats.yaml")
    incumbent = {"evacuated": 4, "exposure": 60.0, "arrival": 84.0, "makespan": 5.0}
    bounds = bounds_of(scenario, incumbent)
    assert bounds == pytest.approx({"evacuated": 10, "exposure": 20.0})


def test_size_and_pools() -> None:
    # the vans are one pool of seats; 10 people of one commodity
    scenario = parse_scenario(SEATS, "seats.yaml")
    relaxation = FlowRelaxation(EvacuationModel(scenario, build=False))
    columns, rows = relaxation.size
    assert columns > 0 and rows > 0
    assert len(relaxation._pools) == 1
    assert len(relaxation._commodities) == 1


EXIT_POST = """
scenario: {name: exit post, start: 2013-10-03T06:00+02:00, horizon: 12h, step: 30m}
objective: [evacuated, exposure]
locations:
  a: {country: LY, danger: true}
  x: {country: LY, danger: true, transfer: 30m}
  y: {country: TN}
  z: {country: TN}
roads:
  - {from: a, to: x, duration: 1h}
  - {from: x, to: z, duration: %s}
crossings:
  - {id: gate, from: x, to: y, processing: 30m, vehicles: false}
fleet:
  - {id: bus, seats: 4, at: a}
groups:
  - {id: G, at: a, destination: [y, z], size: 4}
"""


@pytest.mark.parametrize(
    ("onward", "exposure"),
    [
        # the bus drives on from x to z at once (the same vehicle: no transfer): safe at
        # 1 h + 1 h 30 min = 2.5 h; on foot they wait the 30 min at x first and are across
        # at 1 h + 30 min + 30 min = 2 h: 4 * 2 = 8 (it was 6 before the transfer counted)
        ("1h30m", 8.0),
        # driving on takes 30 min: safe at 1.5 h, sooner than on foot: 4 * 1.5 = 6
        ("30m", 6.0),
    ],
)
def test_a_change_of_carrier_waits_the_transfer_and_the_same_vehicle_does_not(
    onward: str, exposure: float
) -> None:
    scenario = parse_scenario(EXIT_POST % onward, "exit.yaml")
    bounds = bounds_of(scenario, {"evacuated": 4, "exposure": exposure})
    assert bounds == pytest.approx({"evacuated": 4, "exposure": exposure})


CONNECTION = """
scenario: {name: connection, start: 2013-10-03T06:00+02:00, horizon: 12h, step: 30m}
objective: [evacuated, arrival]
locations:
  a: {country: LY, danger: true, kind: airport}
  b: {country: MT, danger: true, kind: airport, transfer: 2h}
  h: {country: XH}
flights:
  - {id: F1, from: a, to: b, departs: +1h, duration: 2h, seats: 10}
  - {id: F2, from: b, to: h, departs: +%s, duration: 1h, seats: 10, check_in: 1h}
groups:
  - {id: G, at: a, destination: h, size: 3}
"""


@pytest.mark.parametrize(("departs", "arrival"), [("5h", 18.0), ("6h", 21.0)])
def test_a_connection_needs_the_transfer_once(departs: str, arrival: float) -> None:
    # F1 lands at b at 3 h; F2 wants them there its check-in and b's transfer of 2 h before
    # it leaves, the larger of the two: by 3 h for F2 at 5 h, home at 6 h (3 * 6 = 18), by
    # 4 h for F2 at 6 h, home at 7 h (21). Counting the transfer twice would miss F2 at 5 h.
    scenario = parse_scenario(CONNECTION % departs, "connection.yaml")
    bounds = bounds_of(scenario, {"evacuated": 3, "arrival": arrival})
    assert bounds == pytest.approx({"evacuated": 3, "arrival": arrival})


# ---- coarse buckets: every time rounded down to the start of its bucket


def coarse_bounds(name: str, incumbent: dict, hours: int) -> dict[str, float]:
    model = EvacuationModel(read_scenario(SOLVE / f"{name}.yaml"), build=False)
    bucket = hours * 3600 // model.grid.step
    return relaxation_bounds(
        model, incumbent, time.monotonic() + 30, FlowRelaxation(model, bucket=bucket)
    )


def test_buckets_round_times_down() -> None:
    # shuttle.yaml in buckets of 2 h: the bus leaves a at 0 h and is at b at 1 h, still
    # bucket 0; back at a at 2 h, bucket 1. Exposure counts the real arrival of the first
    # departure in a bucket: 8 * 1 + 4 * 3 = 20, as on the grid. Arrival counts when the
    # bucket starts: 8 at 0 h, 4 at 2 h = 8. The last arrival is in bucket 1: 2 h.
    incumbent = {"evacuated": 12, "exposure": 20.0, "arrival": 20.0, "makespan": 3.0}
    assert coarse_bounds("shuttle", incumbent, 2) == pytest.approx(
        {"evacuated": 12, "exposure": 20.0, "arrival": 8.0, "makespan": 2.0}
    )


def test_throughput_adds_up_over_a_bucket() -> None:
    # throughput.yaml in buckets of 2 h: 5 people an hour make 10 in the first bucket, so all
    # 9 cross in it, each safe (and home) 30 min after the bucket starts: exposure 4.5;
    # arrival counts the bucket's start, 0.
    incumbent = {"evacuated": 9, "exposure": 13.5, "arrival": 13.5}
    assert coarse_bounds("throughput", incumbent, 2) == pytest.approx(
        {"evacuated": 9, "exposure": 4.5, "arrival": 0.0}
    )


def test_the_coarse_bucket_lies_within_an_hour_or_is_whole_hours() -> None:
    # shuttle.yaml has a 15-minute step and a 12-hour horizon: 1, 2 and 4 steps lie within an
    # hour; 3 (45 min) and 5 to 7 do not, and are skipped; 8 is two hours.
    model = EvacuationModel(read_scenario(SOLVE / "shuttle.yaml"), build=False)
    assert model.grid.step == 900
    full = estimated_columns(model)
    assert coarse_bucket(model, full) == 1
    sizes = {b: estimated_columns(model, bucket=b) for b in (2, 3, 4, 8)}
    assert sizes[2] > sizes[3] > sizes[4] > sizes[8]
    assert coarse_bucket(model, sizes[3]) == 4
    assert coarse_bucket(model, sizes[4] - 1) == 8
    assert coarse_bucket(model, 0) is None


# ---- the plan in hand may still be in the making


def test_a_plan_still_in_the_making_is_waited_for() -> None:
    # the same bounds as test_the_bus_has_to_come_back, with the plan handed over from
    # another thread after the first stage is solved
    model = EvacuationModel(read_scenario(SOLVE / "shuttle.yaml"), build=False)
    incumbent: Future[dict] = Future()
    plan = {"evacuated": 12, "exposure": 20.0, "arrival": 20.0, "makespan": 3.0}
    threading.Timer(0.3, incumbent.set_result, [plan]).start()
    assert relaxation_bounds(model, incumbent, time.monotonic() + 30) == pytest.approx(plan)


def test_without_a_plan_only_the_first_stage_is_bounded() -> None:
    # the later stages need the plan in hand; none comes before the deadline
    model = EvacuationModel(read_scenario(SOLVE / "shuttle.yaml"), build=False)
    never: Future[dict] = Future()
    assert relaxation_bounds(model, never, time.monotonic() + 1) == {"evacuated": 12}


def test_a_stage_a_late_plan_may_prove_is_solved_while_it_is_made() -> None:
    # the fastest routes say all 12 of shuttle.yaml's people could be evacuated: a plan
    # with 12 would prove the stage, so the relaxation waits for the plan, but only for half
    # its time; with no plan by then it solves the stage itself
    model = EvacuationModel(read_scenario(SOLVE / "shuttle.yaml"), build=False)
    never: Future[dict] = Future()
    began = time.monotonic()
    bounds = relaxation_bounds(model, never, began + 2, known={"evacuated": 12})
    assert bounds == {"evacuated": 12}
    assert time.monotonic() - began >= 1.0


def test_a_stage_the_fastest_routes_prove_is_not_solved_again() -> None:
    # throughput.yaml: say the fastest routes proved an exposure of 13.5, which the plan
    # meets; the relaxation's own 8.5 is not asked for. Arrival is then bounded with exposure
    # at most 13.5, which the split crossing of test_throughput_splits_families keeps: 8.5.
    model = EvacuationModel(read_scenario(SOLVE / "throughput.yaml"), build=False)
    incumbent = {"evacuated": 9, "exposure": 13.5, "arrival": 13.5}
    bounds = relaxation_bounds(model, incumbent, time.monotonic() + 30, known={"exposure": 13.5})
    assert bounds == pytest.approx({"evacuated": 9, "exposure": 13.5, "arrival": 8.5})


# ---- stages solved beside the search


def test_bounds_found_beside_the_search_join_the_plan_at_the_end() -> None:
    # as if only the first stage had been solved by the time the search began; the others,
    # found beside it, join the plan's bounds at the end (shuttle.yaml: the dispatcher's plan
    # meets them all, see test_the_bus_has_to_come_back; throughput.yaml: the relaxation's
    # 8.5 is tighter than the fastest routes' 4.5, and the plan's 13.5 does not meet it)
    for name, optimal, bound in [
        ("shuttle", True, {"evacuated": 12, "exposure": 20, "arrival": 20, "makespan": 3}),
        ("throughput", False, {"evacuated": 9, "exposure": 8.5, "arrival": 8.5}),
    ]:
        scenario = read_scenario(SOLVE / f"{name}.yaml")
        model = EvacuationModel(scenario, build=False)
        plan = dispatch(scenario)
        bounding = _Bounding(model, SolveParameters(time_limit=30), True, time.monotonic() + 30)
        bounding.finish(plan)
        model.relaxed = {"evacuated": bound["evacuated"]}
        thin = replace(plan, bound={"evacuated": bound["evacuated"], "exposure": 4.5})
        joined = bounding.late(scenario, thin)
        assert joined.bound == pytest.approx(bound)
        assert joined.status == ("optimal" if optimal else "feasible")
        assert "relaxation" in joined.stats["bounds_from"]
        assert bounding.late(scenario, thin) is thin  # nothing new the second time


def test_a_stopped_relaxation_solves_nothing_more() -> None:
    model = EvacuationModel(read_scenario(SOLVE / "shuttle.yaml"), build=False)
    relaxation = FlowRelaxation(model)
    assert relaxation.solve("evacuated", {}, {}, None, 10) == pytest.approx(12)
    relaxation.stop()
    assert relaxation.solve("evacuated", {}, {}, None, 10) is None
    assert relaxation_bounds(model, {"evacuated": 12}, time.monotonic() + 10, relaxation) == {}


def test_with_open_only_no_stage_after_the_first_open_one_is_solved() -> None:
    # seats.yaml (above): an incumbent that evacuates everyone and is slower than the
    # optimum on exposure; arrival is bounded over plans as good on `evacuated`, unless only
    # the first open stage (exposure) is wanted, as beside a second guided dispatcher
    scenario = parse_scenario(SEATS, "seats.yaml")
    model = EvacuationModel(scenario, build=False)
    incumbent = {"evacuated": 10, "exposure": 30.0, "arrival": 70.0, "makespan": 8.0}
    every = relaxation_bounds(model, incumbent, time.monotonic() + 30)
    assert every == pytest.approx({"evacuated": 10, "exposure": 20.0, "arrival": 62.0})
    relaxation = FlowRelaxation(model)
    relaxation.open_only = True
    first = relaxation_bounds(model, incumbent, time.monotonic() + 30, relaxation)
    assert first == pytest.approx({"evacuated": 10, "exposure": 20.0})


# ---- the ways of the optimum, a guide for the dispatcher


def optimum_ways(scenario, stages: dict[str, float]) -> dict:  # type: ignore[no-untyped-def]
    """The ways of the relaxation's optimum of the last of `stages` (name -> the incumbent's
    value), each earlier stage held at its value as `relaxation_bounds` does."""
    relaxation = FlowRelaxation(EvacuationModel(scenario, build=False))
    names = list(stages)
    for n, name in enumerate(names):
        at_least = {"evacuated": stages["evacuated"]} if n and "evacuated" in names[:n] else {}
        assert relaxation.solve(name, at_least, {}, None, 10) is not None
    return relaxation.ways(relaxation.values)


def test_every_family_is_guided_the_way_safe_soonest() -> None:
    # guide.yaml: the charter from town gets families home soonest (safe at 8 h), the
    # crossing and the charter beyond it get them safe at 30 min: the exposure optimum sends
    # all 12 that way
    scenario = read_scenario(SOLVE / "guide.yaml")
    ways = optimum_ways(scenario, {"evacuated": 12, "exposure": 96})
    way = {("crossing", "town", "edge", "gate"), ("flight", "edge", "home", "RU2")}
    assert ways == {f"F-{n}": way for n in range(1, 5)}


def test_a_split_optimum_gives_each_family_one_whole_way() -> None:
    # the fast crossing lets 3 people start in its only open hour: one family is safe at
    # 1 h, the other takes the slow crossing, safe at 3 h (exposure 3 + 9 = 12)
    scenario = parse_scenario(
        """
scenario: {name: split, start: 2013-10-03T06:00+02:00, horizon: 12h}
locations:
  x: {country: LY, danger: true}
  y: {country: TN}
crossings:
  - {id: fast, from: x, to: y, processing: 1h, throughput: 3, open: ["06:00-07:00"]}
  - {id: slow, from: x, to: y, processing: 3h}
groups:
  - {id: F, count: 2, at: x, destination: y, size: 3}
"""
    )
    model = EvacuationModel(scenario, build=False)
    assert relaxation_bounds(model, {"evacuated": 6, "exposure": 12}, time.monotonic() + 10) == (
        pytest.approx({"evacuated": 6, "exposure": 12, "arrival": 12})
    )
    ways = optimum_ways(scenario, {"evacuated": 6, "exposure": 12})
    assert sorted(ways.values(), key=sorted) == [
        {("crossing", "x", "y", "fast")},
        {("crossing", "x", "y", "slow")},
    ]


def test_a_family_already_home_has_no_way() -> None:
    # basic.yaml and a second family that waits at its destination already: it takes no
    # part in the flow
    text = (SOLVE / "basic.yaml").read_text() + "  - {id: F2, at: b, destination: b, size: 2}\n"
    ways = optimum_ways(parse_scenario(text), {"evacuated": 5})
    assert ways == {"F1": {("road", "a", "b", "")}}
