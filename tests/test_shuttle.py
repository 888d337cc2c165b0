"""Shuttle problems: a few buses running round trips between assembly points and shelters.

Each scenario in `tests/data/shuttle/` minimises `makespan` after `evacuated`; its optimum
is worked out by hand in the comment at the top of the file and repeated below. Every plan
is handed to the independent checker, which must find nothing wrong with it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from planner.check import check_plan
from planner.model import SolveParameters, solve
from planner.plan import Plan, plan_to_dict
from planner.read import parse_scenario, read_scenario
from planner.scenario import Scenario

DATA = Path(__file__).parent / "data" / "shuttle"

# name -> (evacuated, makespan in hours), by hand (see each file):
# - two_buses: 50 people = 5 loads of 10 on 2 buses; a round trip takes 2 h, so the bus with
#   the third load leaves at 4 h and arrives at 5 h.
# - full_shelter: shelter B (1 h) holds 20 of the 40 people, the rest go to C (2 h); each of
#   the 2 buses goes to B first (back at 2 h) and then to C (arrives at 4 h).
# - two_points: one bus from the shelter fetches Q's load (2 h away: back at 4 h), then P's
#   (1 h away, ready at 3 h: back at 6 h).
# - split_bus: one bus calls at two points 1 h from the shelter and from each other: 3 h.
# - far_depot: one bus drives 3 h from its depot, then two trips of 30 min each way: 4.5 h.
HAND_OPTIMA = {
    "far_depot": (20, 4.5),
    "split_bus": (12, 3.0),
    "two_buses": (50, 5.0),
    "full_shelter": (40, 4.0),
    "two_points": (24, 6.0),
}


def solve_checked(scenario: Scenario) -> tuple[Plan, dict]:
    plan = solve(scenario, SolveParameters(time_limit=20))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    violations = check_plan(scenario, data)
    assert violations == [], "\n".join(str(v) for v in violations)
    assert sorted(g["id"] for g in data["groups"]) == sorted(g.id for g in scenario.groups)
    return plan, data


@pytest.mark.parametrize("name", sorted(HAND_OPTIMA))
def test_shuttle_optimum(name: str) -> None:
    scenario = read_scenario(DATA / f"{name}.yaml")
    assert scenario.objective == ("evacuated", "makespan")
    plan, data = solve_checked(scenario)
    evacuated, makespan = HAND_OPTIMA[name]
    assert plan.status == "optimal"
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["makespan"] == pytest.approx(makespan)
    # proven, not merely found: the bounds meet the values
    assert data["bound"]["evacuated"] == evacuated
    assert data["bound"]["makespan"] == pytest.approx(makespan)
    assert all(g["status"] == "evacuated" for g in data["groups"])


def test_full_shelter_sends_the_rest_to_the_second_shelter() -> None:
    scenario = read_scenario(DATA / "full_shelter.yaml")
    _, data = solve_checked(scenario)
    arrived: dict[str, int] = {}
    for g in data["groups"]:
        end = g["legs"][-1]["to"]
        arrived[end] = arrived.get(end, 0) + g["people"]
    # B holds 20 at most, and with 20 there C must take the other 20
    assert arrived == {"b": 20, "c": 20}


def test_without_the_capacity_everybody_goes_to_the_near_shelter() -> None:
    # the same scenario with no capacity at B: four loads to B arrive at 1, 1, 3 and 3 h
    scenario = read_scenario(DATA / "full_shelter.yaml")
    locations = dict(scenario.locations)
    locations["b"] = dataclasses.replace(locations["b"], capacity=None)
    plan, data = solve_checked(scenario.replace(locations=locations))
    assert plan.status == "optimal"
    assert data["objective"]["evacuated"] == 40
    assert data["objective"]["makespan"] == pytest.approx(3.0)


def _generator() -> ModuleType:
    """The benchmark generator, `bench/generate.py` (a script, not a package module)."""
    path = Path(__file__).parent.parent / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("size", "people", "buses"), [("SH-S", 340, 3), ("SH-L", 2400, 50)])
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_shuttle_sizes(size: str, people: int, buses: int, seed: int) -> None:
    generate = _generator()
    text = generate.generate(size, seed)
    assert generate.generate(size, seed) == text  # the same seed gives the same file
    scenario = parse_scenario(text, f"{size}.yaml")
    assert scenario.people == people
    assert len(scenario.vehicles) == buses
    assert scenario.objective == ("evacuated", "makespan")
    assert not scenario.crossings and not scenario.services
    assert len({loc.country for loc in scenario.locations.values()}) == 1
    shelters = {k for k, loc in scenario.locations.items() if loc.capacity is not None}
    points = {k for k, loc in scenario.locations.items() if loc.danger}
    assert 2 <= len(points) and 1 <= len(shelters)
    # room for everybody in the shelters together, and every group may go to any of them
    assert sum(scenario.locations[s].capacity or 0 for s in shelters) >= people
    for g in scenario.groups:
        assert g.at in points and set(g.destinations) == shelters
    # grid-aligned: every duration and time is a whole number of steps
    step = scenario.step
    assert all(r.duration % step == timedelta(0) for r in scenario.roads)
    assert all((g.ready - scenario.start) % step == timedelta(0) for g in scenario.groups)
    assert all((v.available - scenario.start) % step == timedelta(0) for v in scenario.vehicles)


@pytest.mark.parametrize(
    ("walks", "method"), [(False, "whole-number flow"), (True, "walk relaxation")]
)
@pytest.mark.parametrize("name", sorted(HAND_OPTIMA))
def test_the_deadline_search_reaches_the_same_optimum(
    name: str, walks: bool, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with no size below which the exact model comes first (SEARCH_FIRST), each shuttle takes
    # the deadline search: asking the walks first (their bound is the optimum and one of
    # their orders seats everybody by it), or, with the walks left out, the whole-number
    # flow, the families seated on its vehicles
    import planner.model
    import planner.walks

    monkeypatch.setattr(planner.model, "SEARCH_FIRST", 0)
    if not walks:
        monkeypatch.setattr(planner.walks, "WALK_COLUMNS", 0)
    scenario = read_scenario(DATA / f"{name}.yaml")
    plan, data = solve_checked(scenario)
    evacuated, makespan = HAND_OPTIMA[name]
    assert plan.stats["method"].startswith((method, "greedy"))
    assert plan.status == "optimal"
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["makespan"] == pytest.approx(makespan)
    assert data["bound"]["makespan"] == pytest.approx(makespan)


def test_a_deadline_search_plan_that_breaks_a_rule_is_not_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # split_bus takes the deadline search (see above); a fault that has its plan's first
    # leg leave an hour early (before the bus is there, before the start) would break the
    # rules: `solve` checks the search's plan and returns the dispatcher's instead
    import planner.flow
    import planner.model

    found = planner.flow.sooner

    def early(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan, proven = found(*args, **kwargs)
        first = plan.groups[0]
        leg = dataclasses.replace(first.legs[0], depart=first.legs[0].depart - timedelta(hours=1))
        groups = [dataclasses.replace(first, legs=[leg, *first.legs[1:]]), *plan.groups[1:]]
        return dataclasses.replace(plan, groups=groups), proven

    monkeypatch.setattr(planner.model, "SEARCH_FIRST", 0)
    monkeypatch.setattr(planner.flow, "sooner", early)
    plan, data = solve_checked(read_scenario(DATA / "split_bus.yaml"))
    assert plan.stats["method"].startswith("greedy")
    assert plan.stats["method"].endswith("the search's plan broke a rule")
    assert data["objective"]["evacuated"] == 12
    assert data["objective"]["makespan"] > 3.0


@pytest.mark.parametrize("name", sorted(HAND_OPTIMA))
def test_the_whole_number_flow_says_yes_at_the_optimum_and_no_just_before(name: str) -> None:
    # a relaxation of every plan: it must allow the hand-worked optimum, and on these files
    # (no transfers, everything on the grid) nothing sooner
    from planner.flow import WholeFlow
    from planner.model import EvacuationModel

    scenario = read_scenario(DATA / f"{name}.yaml")
    model = EvacuationModel(scenario, build=False)
    whole = WholeFlow(model)
    assert whole.relaxes_every_plan
    evacuated, makespan = HAND_OPTIMA[name]
    steps = round(makespan * 3600) // model.grid.step
    params = SolveParameters(time_limit=10, workers=2, seed=1)
    assert whole.by(steps, evacuated, 10, params)[0] == "yes"
    assert whole.by(steps - 1, evacuated, 10, params)[0] == "no"


@pytest.mark.parametrize("name", sorted(HAND_OPTIMA))
def test_the_walk_relaxation_proves_each_hand_worked_optimum(name: str) -> None:
    # each argument at the top of these files counts only trips and seats, which is what
    # the walks keep: their earliest last arrival is the optimum
    from planner.model import EvacuationModel
    from planner.walks import Walks

    scenario = read_scenario(DATA / f"{name}.yaml")
    model = EvacuationModel(scenario, build=False)
    evacuated, makespan = HAND_OPTIMA[name]
    walks = Walks(model, evacuated)
    # (on far_depot, no sooner than the drive from the depot, which a walk cut off from its
    # start would leave out)
    assert walks.earliest(time.monotonic() + 10) == round(makespan * 3600) // model.grid.step


def test_split_bus_walks_beat_the_linear_bound() -> None:
    # half a bus to each point is back at 2 h in the linear relaxation; a whole bus needs 3 h
    from planner.model import EvacuationModel
    from planner.relaxation import FlowRelaxation, earliest_makespan
    from planner.walks import Walks

    scenario = read_scenario(DATA / "split_bus.yaml")
    model = EvacuationModel(scenario, build=False)
    flow = FlowRelaxation(model, transfers=True, by_kind=True)
    linear = earliest_makespan(flow, {"evacuated": 12}, {}, None, time.monotonic() + 10)
    assert linear is not None and linear * model.grid.step == 2 * 3600
    walks = Walks(model, 12).earliest(time.monotonic() + 10)
    assert walks is not None and walks * model.grid.step == 3 * 3600


def test_the_walk_itineraries_keep_the_walks() -> None:
    # far_depot: the one walk is D-A, A-S, S-A, A-S (4.5 h of driving from 0 h); driven
    # early it departs at 0, 3, 3.5 and 4 h, driven late to arrive by 5 h, half an hour later
    from planner.model import EvacuationModel
    from planner.walks import Walks

    scenario = read_scenario(DATA / "far_depot.yaml")
    model = EvacuationModel(scenario, build=False)
    walks = Walks(model, 20)
    assert walks.earliest(time.monotonic() + 10) == 18  # 4.5 h of 15-minute steps
    early = walks.itineraries(18, 0, late=False)
    late = walks.itineraries(20, 0, late=True)
    assert early is not None and late is not None
    names = {lk.index: (model.place_ids[lk.src], model.place_ids[lk.dst]) for lk in model.links}
    assert [names[li] for li, _ in early[0]] == [("d", "a"), ("a", "s"), ("s", "a"), ("a", "s")]
    assert [t for _, t in early[0]] == [0, 12, 14, 16]
    assert [t for _, t in late[0]] == [2, 14, 16, 18]


@pytest.mark.parametrize(
    "path",
    [
        "check/border.yaml",
        "check/crossings.yaml",
        "impossible/flight_full.yaml",
        "impossible/stretcher.yaml",
        "outputs/coast.yaml",
        "solve/checkin.yaml",
        "solve/curfew.yaml",
        "solve/handoff.yaml",
        "solve/uneven.yaml",
        "robustness/missed.yaml",
    ],
)
def test_the_walks_never_promise_more_than_the_exact_optimum(path: str) -> None:
    # small scenarios with crossings, flights, curfews, stretchers and changes of vehicle,
    # made to minimise the makespan: the exact model proves the optimum, and the walks,
    # which leave out time, may be below it but never above
    from planner.model import EvacuationModel
    from planner.walks import Walks, walks_fit

    scenario = read_scenario(DATA.parent / path).replace(objective=("evacuated", "makespan"))
    plan = solve(scenario, SolveParameters(time_limit=10))
    assert plan.status == "optimal"
    model = EvacuationModel(scenario, build=False)
    assert walks_fit(model)
    found = Walks(model, int(plan.objective["evacuated"] or 0)).earliest(time.monotonic() + 10)
    assert found is not None
    assert found * model.grid.step <= float(plan.objective["makespan"] or 0) * 3600


def test_a_proven_shuttle_plan_is_the_same_run_after_run() -> None:
    # the 340-person benchmark shuttle of seed 2: the walks' bound, 7 h, is met, and the plan
    # that meets it comes out the same each time (only the seconds it took may differ)
    scenario = parse_scenario(_generator().generate("SH-S", 2), "SH-S.yaml")
    plans = []
    for _ in range(2):
        plan, data = solve_checked(scenario)
        assert plan.status == "optimal"
        assert data["objective"]["makespan"] == pytest.approx(7.0)
        del data["solver"]["seconds"]
        plans.append(data)
    assert plans[0] == plans[1]


def test_a_floor_known_already_stops_the_walks_or_not() -> None:
    # split_bus: the walks need 3 h (12 steps). Below a floor of 2 h the answer is the same;
    # with a floor of 4 h they are done by then, prove at most their 3 h, and the walks
    # asked for the plan are those by 4 h
    from planner.model import EvacuationModel
    from planner.walks import Walks

    model = EvacuationModel(read_scenario(DATA / "split_bus.yaml"), build=False)
    low = Walks(model, 12)
    assert low.earliest(time.monotonic() + 10, floor=8) == 12
    assert low.value == 12
    high = Walks(model, 12)
    found = high.earliest(time.monotonic() + 10, floor=16)
    assert found is not None and found <= 12
    assert high.value == 16
    # far_depot (one bus, 4.5 h): with a floor of 7.5 h, still no more than 4.5 h proven
    model = EvacuationModel(read_scenario(DATA / "far_depot.yaml"), build=False)
    single = Walks(model, 20)
    found = single.earliest(time.monotonic() + 10, floor=30)
    assert found is not None and found <= 18
    assert single.value == 30
