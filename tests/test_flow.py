"""Plans from the aggregated flow: the path `solve` takes when the model of each class and
vehicle is too large. The flow's departures are turned into whole families on named
vehicles by the pooled model restricted to them (planner.flow, EvacuationModel(allowed=...)).

Each test starts the flow from a plan in which nobody moves, so that what comes out is the
flow's own work, and checks the plan with the independent checker.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from planner.check import check_plan
from planner.model import EvacuationModel, SolveParameters, _from_flow
from planner.plan import GroupPlan, Plan, evaluate_objectives, group_status, plan_to_dict
from planner.read import read_scenario
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
