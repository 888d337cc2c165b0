"""Plans from the aggregated flow: the path `solve` takes when the model of each class and
vehicle is too large. The flow's departures are turned into whole families on named
vehicles by the pooled model restricted to them (planner.flow, EvacuationModel(allowed=...)).

Each test starts the flow from a plan in which nobody moves, so that what comes out is the
flow's own work, and checks the plan with the independent checker.
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from planner.check import check_plan
from planner.flow import WholeFlow, sooner
from planner.model import EvacuationModel, SolveParameters, _from_flow
from planner.plan import GroupPlan, Plan, evaluate_objectives, group_status, plan_to_dict
from planner.read import read_scenario
from planner.relaxation import earliest_makespan
from planner.rides import itineraries, seat
from planner.scenario import Scenario

SOLVE = Path(__file__).parent / "data" / "solve"
SHUTTLE = Path(__file__).parent / "data" / "shuttle"


def nobody_moves(scenario: Scenario) -> Plan:
    journeys: dict = {g.id: () for g in scenario.groups}
    return Plan(
        scenario=scenario.name,
        status="feasible",
        objective=evaluate_objectives(scenario, journeys),
        bound={},
        groups=tuple(
            GroupPlan(g.id, g.people, group_status(scenario, g, ()), "stays", ())
            for g in scenario.groups
        ),
        vehicles=(),
    )


def planned(path: Path) -> tuple[Scenario, Plan, dict]:
    scenario = read_scenario(path)
    model = EvacuationModel(scenario, build=False)
    start = nobody_moves(scenario)
    params = SolveParameters(time_limit=20, workers=2, seed=1)
    plan = _from_flow(model, start, params, time.monotonic() + 20)
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert [g["id"] for g in data["groups"]] == [g.id for g in scenario.groups]
    return scenario, plan, data


@pytest.mark.parametrize(
    ("path", "evacuated", "exposure"),
    [
        # one bus of 8 shuttles three families of 4: 8 safe at 1 h, 4 at 3 h
        (SOLVE / "shuttle.yaml", 12, 20.0),
        # one family per hour through the crossing: 3 * (0.5 + 1.5 + 2.5)
        (SOLVE / "throughput.yaml", 9, 13.5),
        # the 6-seat bus at y from 3 h; y holds 4: 3 safe at 1 h, 3 more at 3 h
        (SOLVE / "capacity.yaml", 6, 12.0),
    ],
)
def test_the_flow_reaches_the_hand_worked_optimum(
    path: Path, evacuated: int, exposure: float
) -> None:
    _, plan, data = planned(path)
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["exposure"] == pytest.approx(exposure)
    assert plan.stats["method"] == "aggregated flow + cp-sat"


def test_shuttles_to_two_shelters() -> None:
    # full_shelter.yaml, worked out in the file: 40 people, the nearer shelter holds 20, the
    # other 20 go to the farther one; last arrival at 4 h
    _, _, data = planned(SHUTTLE / "full_shelter.yaml")
    assert data["objective"]["evacuated"] == 40
    assert data["objective"]["makespan"] == pytest.approx(4.0)


def test_nothing_better_keeps_the_plan_given() -> None:
    # a family already at its destination: the flow has nothing to move
    scenario = read_scenario(SOLVE / "basic.yaml")
    model = EvacuationModel(scenario, build=False)
    from planner.greedy import dispatch

    start = dispatch(scenario)
    plan = _from_flow(model, start, SolveParameters(time_limit=10), time.monotonic() + 10)
    assert plan.objective == start.objective


# ---- the whole-number flow: whole vehicles, and a deadline search on the last arrival


def test_whole_buses_cannot_split() -> None:
    # split_bus.yaml, worked out in the file: half a bus to each point is back at 2 h, which
    # is the linear optimum; a whole bus calling at both is back at 3 h at the earliest
    scenario = read_scenario(SHUTTLE / "split_bus.yaml")
    model = EvacuationModel(scenario, build=False)
    whole = WholeFlow(model)
    assert whole.relaxes_every_plan
    per_hour = 3600 // model.grid.step
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    deadline = time.monotonic() + 10
    assert earliest_makespan(whole.flow, {"evacuated": 12}, {}, None, deadline) == 2 * per_hour
    assert whole.by(3 * per_hour - 1, 12, 10, params)[0] == "no"
    answer, frame = whole.by(3 * per_hour, 12, 10, params)
    assert answer == "yes" and frame is not None


def test_the_deadline_search_finds_and_proves_the_optimum() -> None:
    # the dispatcher calls at one point, comes back, then calls at the other: 4 h. The
    # search finds the round trip through both points, 3 h, and proves it
    from planner.greedy import dispatch

    scenario = read_scenario(SHUTTLE / "split_bus.yaml")
    model = EvacuationModel(scenario, build=False)
    start = dispatch(scenario)
    assert start.objective["makespan"] == pytest.approx(4.0)
    reports: list[tuple[str, float, float]] = []
    params = SolveParameters(
        time_limit=20,
        workers=2,
        seed=1,
        progress=lambda stage, _, value, bound: reports.append((stage, value, bound)),
    )
    plan, proven = sooner(model, start, 0, params, time.monotonic() + 20)
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert data["objective"]["evacuated"] == 12
    assert data["objective"]["makespan"] == pytest.approx(3.0)
    assert proven == 3 * 3600 // model.grid.step
    # the live line heard of the better plan and of the bound
    assert reports[-1] == ("makespan", pytest.approx(3.0), pytest.approx(3.0))


def test_a_transfer_on_the_way_makes_it_no_bound() -> None:
    # with a transfer at q, P's people riding on through q would wait there in the flow but
    # not in a plan (they stay on the bus): the flow is no longer a relaxation, and what it
    # rules out proves nothing
    scenario = read_scenario(SHUTTLE / "split_bus.yaml")
    locations = dict(scenario.locations)
    locations["q"] = dataclasses.replace(locations["q"], transfer=timedelta(minutes=30))
    model = EvacuationModel(scenario.replace(locations=locations), build=False)
    assert not WholeFlow(model).relaxes_every_plan


# ---- seating families on vehicles whose moves are fixed (planner.rides)


def moves(model: EvacuationModel, *legs: tuple[str, str, float]) -> tuple[tuple[int, int], ...]:
    """A vehicle's moves by hand: (from, to, hours from the start) -> (link, grid time)."""
    out = []
    for src, dst, hours in legs:
        lk = next(
            lk
            for lk in model.links
            if lk.kind == "road"
            and model.place_ids[lk.src] == src
            and model.place_ids[lk.dst] == dst
        )
        out.append((lk.index, round(hours * 3600) // model.grid.step))
    return tuple(out)


def seated(path: Path, legs: list[tuple[str, str, float]], latest: float | None = None) -> dict:
    scenario = read_scenario(path)
    model = EvacuationModel(scenario, build=False)
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    last = None if latest is None else round(latest * 3600) // model.grid.step
    plan = seat(model, {0: moves(model, *legs)}, params, time.monotonic() + 10, last)
    assert plan is not None
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    return data


def test_families_seated_on_a_bus_whose_round_trips_are_fixed() -> None:
    # shelter_fills.yaml: the bus's rounds as worked out in the file (to p, two families to
    # a, back to p, the other two to b): evacuated 20, exposure 10*2 + 10*5 = 70, last at 5 h
    data = seated(
        SOLVE / "shelter_fills.yaml", [("a", "p", 0), ("p", "a", 1), ("a", "p", 2), ("p", "b", 3)]
    )
    assert data["objective"]["evacuated"] == 20
    assert data["objective"]["exposure"] == pytest.approx(70.0)
    assert data["objective"]["makespan"] == pytest.approx(5.0)
    (bus,) = data["vehicles"]
    assert [len(leg["groups"]) for leg in bus["legs"]] == [0, 2, 0, 2]


def test_a_full_shelter_takes_no_second_load_and_empty_rounds_are_not_driven() -> None:
    # shelter_fills.yaml with rounds p-a, p-a, p-b: a holds one load (10), so the second
    # p-a round runs empty; it ends back at p, so the bus waits there instead. The first
    # round to a (exposure 10*2) and the last to b, from 5 h (10*7): 90, last at 7 h.
    data = seated(
        SOLVE / "shelter_fills.yaml",
        [("a", "p", 0), ("p", "a", 1), ("a", "p", 2), ("p", "a", 3), ("a", "p", 4), ("p", "b", 5)],
    )
    assert data["objective"]["evacuated"] == 20
    assert data["objective"]["exposure"] == pytest.approx(90.0)
    (bus,) = data["vehicles"]
    assert [(leg["from"], leg["to"], len(leg["groups"])) for leg in bus["legs"]] == [
        ("a", "p", 0),
        ("p", "a", 2),
        ("a", "p", 0),
        ("p", "b", 2),
    ]


def test_no_ride_arrives_after_the_deadline_asked() -> None:
    # the same rounds as worked out in the file, with nobody home after 4 h: the load to b
    # (5 h) is not offered, and the two families left behind are told why
    data = seated(
        SOLVE / "shelter_fills.yaml",
        [("a", "p", 0), ("p", "a", 1), ("a", "p", 2), ("p", "b", 3)],
        latest=4,
    )
    assert data["objective"]["evacuated"] == 10
    assert data["objective"]["makespan"] == pytest.approx(2.0)
    stayed = [g for g in data["groups"] if g["status"] != "evacuated"]
    assert len(stayed) == 2 and all(g["reason"] for g in stayed)


def test_a_yes_of_the_whole_flow_names_the_vehicle_and_its_round() -> None:
    # split_bus.yaml: by 3 h the one bus must go S -> P -> Q -> S or S -> Q -> P -> S, and
    # seating the families on it gets all 12 home at 3 h
    scenario = read_scenario(SHUTTLE / "split_bus.yaml")
    model = EvacuationModel(scenario, build=False)
    per_hour = 3600 // model.grid.step
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    answer, frame = WholeFlow(model).by(3 * per_hour, 12, 10, params)
    assert answer == "yes" and frame is not None and frame.vehicles is not None
    # (after 3 h the flow may drive the bus on: nothing holds it)
    first = frame.vehicles[0][:3]
    route = [model.place_ids[model.links[li].src] for li, _ in first]
    assert route in (["s", "p", "q"], ["s", "q", "p"])
    assert [t for _, t in first] == [0, per_hour, 2 * per_hour]
    plan = seat(model, frame.vehicles, params, time.monotonic() + 10, 3 * per_hour)
    assert plan is not None
    assert plan.objective["evacuated"] == 12
    assert plan.objective["makespan"] == pytest.approx(3.0)


def test_among_equally_good_seatings_people_get_home_sooner() -> None:
    # shelter_fills.yaml with room for everyone at a and only `evacuated` to optimise: three
    # rounds p-a arriving at 2, 4 and 6 h, two loads to carry. The objective cannot tell the
    # rounds apart; the tie-break takes the first two: arrival 10*2 + 10*4 = 60, last at 4 h
    scenario = read_scenario(SOLVE / "shelter_fills.yaml")
    locations = dict(scenario.locations)
    locations["a"] = dataclasses.replace(locations["a"], capacity=None)
    scenario = scenario.replace(locations=locations, objective=("evacuated",))
    model = EvacuationModel(scenario, build=False)
    rounds = moves(
        model,
        ("a", "p", 0),
        ("p", "a", 1),
        ("a", "p", 2),
        ("p", "a", 3),
        ("a", "p", 4),
        ("p", "a", 5),
    )
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    plan = seat(model, {0: rounds}, params, time.monotonic() + 10)
    assert plan is not None
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert data["objective"]["evacuated"] == 20
    assert data["objective"]["arrival"] == pytest.approx(60.0)
    assert data["objective"]["makespan"] == pytest.approx(4.0)


def test_a_plans_vehicle_moves_read_back_as_itineraries() -> None:
    # the rounds worked out in shelter_fills.yaml, seated and read back from the plan: the
    # same four moves; seated again on them, the same plan
    scenario = read_scenario(SOLVE / "shelter_fills.yaml")
    model = EvacuationModel(scenario, build=False)
    rounds = moves(model, ("a", "p", 0), ("p", "a", 1), ("a", "p", 2), ("p", "b", 3))
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    plan = seat(model, {0: rounds}, params, time.monotonic() + 10)
    assert plan is not None
    assert itineraries(model, plan) == {0: rounds}
    again = seat(model, itineraries(model, plan), params, time.monotonic() + 10)
    assert again is not None and again.objective == plan.objective
