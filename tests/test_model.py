"""Solves of tiny scenarios whose optimum was worked out by hand (see each file's comment).

Every plan made here is also handed to the independent checker, which must accept it.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest

from planner.check import check_plan
from planner.model import (
    EvacuationModel,
    SolveParameters,
    dispatch_alone,
    solve,
    solve_direct,
)
from planner.plan import Plan, plan_to_dict
from planner.read import parse_scenario, read_scenario
from planner.scenario import Scenario

DATA = Path(__file__).parent / "data" / "solve"


def solve_checked(name: str, **changes: object) -> tuple[Scenario, Plan, dict]:
    scenario = read_scenario(DATA / f"{name}.yaml")
    if changes:
        scenario = scenario.replace(**changes)
    plan = solve(scenario, SolveParameters(time_limit=30, workers=2, seed=1))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    violations = check_plan(scenario, data)
    assert violations == [], "\n".join(str(v) for v in violations)
    return scenario, plan, data


# name -> (evacuated, exposure, arrival, makespan or None when not optimised)
HAND_OPTIMA = {
    "basic": (3, 6.0, 6.0, None),
    "shuttle": (12, 20.0, 20.0, 3.0),
    "uneven": (9, 27.0, 27.0, 5.0),
    "crossing_tz": (2, 5.0, 5.0, None),
    "curfew": (1, 21.0, 21.0, None),
    "handoff": (2, 7.0, 10.0, None),
    "checkin": (2, 38.0, 38.0, None),
    "throughput": (9, 13.5, 13.5, None),
    "capacity": (6, 12.0, 24.0, None),
    "own": (4, 8.0, 8.0, None),
    "priority": (4, 26.0, 8.0, None),
    "stay_aboard": (3, 6.0, 6.0, None),
    "flight_seats": (3, 0.0, 48.0, None),
    "shelter_fills": (20, 70.0, 70.0, 5.0),
    "guide": (12, 6.0, 120.0, None),
    "safe_not_home": (0, 3.0, 36.0, None),
    "back_through": (2, 1.0, 6.0, None),
    "connection": (2, 8.0, 18.0, None),
    "two_walks": (3, 3.0, 3.0, None),
}


@pytest.mark.parametrize("name", sorted(HAND_OPTIMA))
def test_hand_worked_optimum(name: str) -> None:
    scenario, plan, data = solve_checked(name)
    evacuated, exposure, arrival, makespan = HAND_OPTIMA[name]
    assert plan.status == "optimal"
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["exposure"] == pytest.approx(exposure)
    assert data["objective"]["arrival"] == pytest.approx(arrival)
    if makespan is not None:
        assert data["objective"]["makespan"] == pytest.approx(makespan)
    # proven bounds equal the optimum for every optimised objective
    for key in scenario.objective:
        assert data["bound"][key] == pytest.approx(data["objective"][key])
    assert {g["id"] for g in data["groups"]} == {g.id for g in scenario.groups}


@pytest.mark.parametrize("name", ["safe_not_home", "back_through", "connection", "two_walks"])
def test_the_model_alone_finds_what_the_rules_allow(name: str) -> None:
    # The hand-worked optima of plans the model once could not make, and so proved worse
    # optima (bounds no plan had to keep): a family safe but never home (it was kept in
    # danger), a way home back through where it started (forbidden), a connection at a hub
    # whose transfer lies within the check-in of the next flight (the transfer was counted
    # twice), two crossings walked one after the other (no change of carrier, so no
    # transfer between them). The model on its own, with no plan to start from, must find
    # them and prove no more.
    from planner.model import EvacuationModel

    scenario = read_scenario(DATA / f"{name}.yaml")
    plan = EvacuationModel(scenario).solve(SolveParameters(time_limit=10, workers=2, seed=1))
    evacuated, exposure, arrival, _ = HAND_OPTIMA[name]
    assert plan.status == "optimal"
    assert plan.objective["evacuated"] == evacuated
    assert plan.objective["exposure"] == pytest.approx(exposure)
    assert plan.objective["arrival"] == pytest.approx(arrival)
    for key in scenario.objective:
        assert plan.bound[key] == pytest.approx(plan.objective[key])
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []


@pytest.mark.parametrize("name", ["shuttle", "uneven", "throughput", "priority"])
def test_straightforward_model_reaches_the_same_optimum(name: str) -> None:
    # the per-family yardstick of the benchmarks: same rules, same optimum, no dispatcher
    scenario = read_scenario(DATA / f"{name}.yaml")
    plan = solve_direct(scenario, SolveParameters(time_limit=30, workers=2, seed=1))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    evacuated, exposure, arrival, _ = HAND_OPTIMA[name]
    assert plan.status == "optimal"
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["exposure"] == pytest.approx(exposure)
    assert data["objective"]["arrival"] == pytest.approx(arrival)
    assert plan.stats["method"].startswith("cp-sat")


def test_shuttle_makes_two_runs_with_empty_return() -> None:
    _, plan, _ = solve_checked("shuttle")
    (bus,) = plan.vehicles
    trips = [(leg.from_, leg.to, len(leg.groups)) for leg in bus.legs]
    assert trips == [("a", "b", 2), ("b", "a", 0), ("a", "b", 1)]


def test_uneven_families_never_share_the_van() -> None:
    _, plan, _ = solve_checked("uneven")
    (van,) = plan.vehicles
    loaded = [len(leg.groups) for leg in van.legs if leg.to == "b"]
    assert loaded == [1, 1, 1]


def test_handoff_walks_across_and_changes_bus() -> None:
    _, plan, _ = solve_checked("handoff")
    legs = plan.group("F").legs
    assert [(leg.kind, leg.vehicle) for leg in legs] == [
        ("road", "ly_bus-1"),
        ("crossing", None),
        ("road", "tn_bus-1"),
    ]
    # 30 min transfer on each side of the border
    assert legs[1].depart - legs[0].arrive == legs[2].depart - legs[1].arrive
    assert (legs[1].depart - legs[0].arrive).total_seconds() == 1800


def test_checkin_met_to_the_minute_and_late_group_left_behind() -> None:
    _, plan, _ = solve_checked("checkin")
    e1 = plan.group("E1")
    assert e1.status == "evacuated"
    road, flight = e1.legs
    assert (flight.depart - road.arrive).total_seconds() == 3600
    e2 = plan.group("E2")
    assert e2.status == "left_behind" and e2.legs == ()
    assert e2.reason


def test_priority_group_goes_first() -> None:
    _, plan, _ = solve_checked("priority")
    assert plan.group("C").legs[0].depart < plan.group("N").legs[0].depart


def test_flight_seats_leave_one_family_safe_at_airport() -> None:
    _, plan, _ = solve_checked("flight_seats")
    statuses = sorted(g.status for g in plan.groups)
    assert statuses == ["evacuated", "safe"]
    assert all(g.reason for g in plan.groups if g.status == "safe")


def test_curfew_delays_departure_to_morning() -> None:
    scenario, plan, _ = solve_checked("curfew")
    (leg,) = plan.group("G").legs
    local = leg.depart.astimezone(scenario.locations["a"].timezone)
    assert (local.hour, local.minute) == (6, 0)


def test_makespan_objective_alone_after_evacuated() -> None:
    scenario, plan, data = solve_checked("shuttle", objective=("evacuated", "makespan"))
    assert data["objective"]["makespan"] == pytest.approx(3.0)
    assert set(data["bound"]) == {"evacuated", "makespan"}


def test_same_seed_same_plan() -> None:
    scenario = read_scenario(DATA / "shuttle.yaml")
    params = SolveParameters(time_limit=30, workers=2, seed=7)
    first = plan_to_dict(solve(scenario, params), scenario)
    second = plan_to_dict(solve(scenario, params), scenario)
    for d in (first, second):
        d["solver"].pop("seconds")
    assert first == second


def test_too_large_for_cp_sat_returns_the_dispatchers_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.model as model

    monkeypatch.setattr(model, "MAX_MODEL", 0)
    scenario = read_scenario(DATA / "shuttle.yaml")
    plan = solve(scenario, SolveParameters(time_limit=10))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert plan.stats["method"].startswith("greedy, ")
    assert data["objective"]["evacuated"] == 12
    # the flow relaxation sees the one bus of 8 seats: 8 people reach b at 1 h, the bus is
    # back at 2 h and 4 more arrive at 3 h, so exposure >= 8 * 1 + 4 * 3 = 20: proven optimal
    assert data["bound"]["exposure"] == pytest.approx(20.0)
    assert plan.status == "optimal"
    # without the relaxation only the static bound is left: every family could reach b at 1 h
    import planner.relaxation as relaxation

    monkeypatch.setattr(relaxation, "MAX_COLUMNS", 0)
    plan = solve(scenario, SolveParameters(time_limit=10))
    assert plan.bound["exposure"] == pytest.approx(12.0)
    assert plan.status == "feasible"


def test_plans_of_the_dispatchers_are_told_as_they_come(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.greedy as greedy
    import planner.model as model

    monkeypatch.setattr(model, "MAX_MODEL", 0)
    monkeypatch.setattr(greedy, "_steer", lambda best, score, *rest: (best, score))
    # guide.yaml (see below): the dispatcher's plan, exposure 96, against the bound of the
    # fastest routes, 6 (12 people safe at 30 min); then the guided plan meets that bound,
    # and arrival (120) is the objective still open
    told: list[tuple[str, float, float, float]] = []
    scenario = read_scenario(DATA / "guide.yaml")
    plan = solve(scenario, SolveParameters(time_limit=10, progress=lambda *args: told.append(args)))
    assert [(stage, value) for stage, _, value, _ in told] == [
        ("exposure", 96.0),
        ("arrival", 120.0),
    ]
    assert told[0][3] == pytest.approx(6.0)
    assert math.isnan(told[1][3]) or told[1][3] <= 120.0
    assert told[0][1] <= told[1][1]
    assert plan.objective["arrival"] == pytest.approx(120.0)


def test_the_dispatcher_alone_tells_its_plans_with_no_bound() -> None:
    # guide.yaml: every family is taken home (12 people); --method greedy proves nothing
    told: list[tuple[str, float, float, float]] = []
    scenario = read_scenario(DATA / "guide.yaml")
    dispatch_alone(scenario, SolveParameters(progress=lambda *args: told.append(args)))
    assert [(stage, value) for stage, _, value, _ in told] == [("evacuated", 12.0)]
    assert math.isnan(told[0][3])


def test_too_large_for_cp_sat_the_relaxation_guides_the_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.greedy as greedy
    import planner.model as model

    monkeypatch.setattr(model, "MAX_MODEL", 0)
    # as if steering found nothing better (here it would send every family across too)
    monkeypatch.setattr(greedy, "_steer", lambda best, score, *rest: (best, score))
    # guide.yaml, worked out in the file: the dispatcher sends every family home soonest,
    # safe at 8 h (exposure 96); the relaxation's optimum, safe at 30 min across the border
    # (exposure 6, arrival 120), guides it there. The arrival bound, 96, holds for plans
    # as good as the dispatcher's on exposure (see planner.relaxation): the plan is not
    # proven optimal.
    scenario = read_scenario(DATA / "guide.yaml")
    plan = solve(scenario, SolveParameters(time_limit=10))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert plan.stats["method"] == "greedy guided by the relaxation"
    assert data["objective"] == pytest.approx(
        {"evacuated": 12, "exposure": 6.0, "arrival": 120.0, "makespan": 10.0}
    )
    assert data["bound"] == pytest.approx({"evacuated": 12, "exposure": 6.0, "arrival": 96.0})
    assert plan.status == "feasible"


def test_progress_reports_only_true_bounds() -> None:
    # uneven.yaml's optimum is worked out in its comment (exposure 27): every bound the live
    # line is given must hold for that optimum, whichever model reported it
    scenario = read_scenario(DATA / "uneven.yaml")
    seen: list[tuple[str, float, float]] = []
    plan = solve(
        scenario,
        SolveParameters(
            time_limit=30,
            progress=lambda stage, _s, value, bound: seen.append((stage, value, bound)),
        ),
    )
    assert plan.status == "optimal"
    assert seen, "the search reported nothing"
    for stage, _value, bound in seen:
        final = plan.objective[stage]
        assert final is not None
        if bound == bound:  # not NaN
            if stage == "evacuated":
                assert bound >= final - 1e-6
            else:
                assert bound <= final + 1e-6


def test_the_dispatcher_is_run_again_with_other_seeds() -> None:
    # with time for every restart, the plan is the best of the dispatcher's steered plans
    # with the seeds from the given one on, and the first is handed over at once
    import time

    from planner.greedy import dispatch_seeds
    from planner.model import RESTARTS, _dispatched, better

    scenario = read_scenario(Path(__file__).parent.parent / "scenarios" / "tripoli-2013.yaml")
    plans = [dispatch_seeds(scenario, [3 + n], steer=True) for n in range(RESTARTS + 1)]
    best = plans[0]
    for other in plans[1:]:
        if better(scenario, other, best):
            best = other
    handed: list[Plan] = []
    params = SolveParameters(time_limit=60, seed=3)
    found = _dispatched(scenario, params, time.monotonic() + 60, handed.append)
    assert found.objective == best.objective
    assert (found.groups, found.vehicles) == (best.groups, best.vehicles)
    # the first seed's plan is handed over before it is steered: never better than after
    assert len(handed) == 1
    assert not better(scenario, handed[0], plans[0])
    assert handed[0].objective["evacuated"] == 118


TRIPOLI = Path(__file__).parent.parent / "scenarios" / "tripoli-2013.yaml"


def test_a_rival_dispatch_in_its_own_process_gives_the_dispatchers_plan() -> None:
    import time

    from planner.greedy import dispatch
    from planner.model import _Rival

    scenario = read_scenario(TRIPOLI)
    rival = _Rival(scenario, (7,), time.monotonic() + 60)
    found = rival.result(time.monotonic() + 60)
    mine = dispatch(scenario, seed=7)
    assert found is not None
    assert (found.objective, found.groups, found.vehicles) == (
        mine.objective,
        mine.groups,
        mine.vehicles,
    )
    assert not rival.process.is_alive()


def test_a_rival_dispatch_not_done_in_time_is_stopped() -> None:
    import time

    from planner.model import _Rival

    rival = _Rival(read_scenario(TRIPOLI), (7,), time.monotonic() + 60)
    assert rival.result(time.monotonic()) is None  # a new process is not ready at once
    assert not rival.process.is_alive()


def test_where_nothing_searches_after_the_dispatcher_a_rival_runs_beside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.model as model
    from planner.greedy import dispatch_seeds

    seen: list[Plan | None] = []

    class Watched(model._Rival):
        def result(self, until: float) -> Plan | None:
            plan = super().result(until)
            seen.append(plan)
            return plan

    monkeypatch.setattr(model, "_searchable", lambda _model: False)
    monkeypatch.setattr(model, "_Rival", Watched)
    scenario = read_scenario(TRIPOLI)
    plan = solve(scenario, SolveParameters(time_limit=30, seed=3))
    assert len(seen) == 1 and seen[0] is not None
    # the second process takes every other seed: 4, 6, ...
    others = dispatch_seeds(scenario, range(4, 3 + model.SEEDS, 2))
    assert seen[0].objective == others.objective
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []
    assert not model.better(scenario, seen[0], plan)
    # a solve that may use one thread only starts no rival
    seen.clear()
    solve(scenario, SolveParameters(time_limit=30, seed=3, workers=1))
    assert seen == []


def test_where_the_dispatchers_plan_is_the_answer_it_is_steered(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # tests/data/solve/steer.yaml: 120 of 180 as it comes, all 180 once 60 of the first
    # families are sent by ferry to the airport whose seats went empty
    import planner.model as model

    monkeypatch.setattr(model, "_searchable", lambda _model: False)
    scenario = read_scenario(Path(__file__).parent / "data" / "solve" / "steer.yaml")
    with caplog.at_level(logging.INFO, logger="planner.greedy"):
        plan = solve(scenario, SolveParameters(time_limit=30, workers=1))
    assert "dispatch with 60 people of town sent to far: evacuated 180" in caplog.text
    assert plan.objective["evacuated"] == 180
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []


def test_a_stage_whose_solution_does_not_pack_in_time_keeps_the_plan_before(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # basic.yaml by hand: one family of 3, evacuated 3. Every solution after the first
    # stage is made to look as if a departure did not pack, however often it is solved
    # again: when the time is up, the first stage's plan (which packs) is the answer, not
    # one where the family stays put.
    from planner.model import EvacuationModel

    stage = {"name": ""}
    solve_once = EvacuationModel._solve_once
    assign = EvacuationModel._assign

    def watched(self: EvacuationModel, params: SolveParameters, budget: float, *rest: object):
        stage["name"] = rest[0] if rest else ""
        return solve_once(self, params, budget, *rest)  # type: ignore[arg-type]

    def unpacked(self: EvacuationModel, solution: dict[int, int] | None, paths: object = None):
        chosen, failures = assign(self, solution, paths)  # type: ignore[arg-type]
        if paths is None and stage["name"] != "evacuated":
            return chosen, [(0, 0)]
        return chosen, failures

    monkeypatch.setattr(EvacuationModel, "_solve_once", watched)
    monkeypatch.setattr(EvacuationModel, "_assign", unpacked)
    monkeypatch.setattr(EvacuationModel, "add_exact_packing", lambda self, key: None)
    scenario = read_scenario(Path(__file__).parent / "data" / "solve" / "basic.yaml")
    model = EvacuationModel(scenario, pooled=True)
    with caplog.at_level(logging.WARNING, logger="planner.model"):
        plan = model.solve(SolveParameters(time_limit=3))
    assert "the plan of the stage before is kept" in caplog.text
    assert plan.objective["evacuated"] == 3
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []


def test_a_tidied_solution_that_does_not_pack_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # basic.yaml by hand: one family of 3, evacuated 3. The tidy stage (fewest vehicle moves)
    # knows nothing of packing; its solution is made to look as if a departure did not pack,
    # and the plan must then be the last stage's, not one where the family stays put.
    from planner.model import EvacuationModel

    tidied: list[dict[int, int]] = []
    tidy = EvacuationModel._tidy
    assign = EvacuationModel._assign

    def watched(self: EvacuationModel, *args: object) -> dict[int, int] | None:
        solution = tidy(self, *args)  # type: ignore[arg-type]
        if solution is not None:
            tidied.append(solution)
        return solution

    def unpacked(self: EvacuationModel, solution: dict[int, int] | None, paths: object = None):
        if any(solution is t for t in tidied):
            return {}, [(0, 0)]  # no ride packed
        return assign(self, solution, paths)  # type: ignore[arg-type]

    monkeypatch.setattr(EvacuationModel, "_tidy", watched)
    monkeypatch.setattr(EvacuationModel, "_assign", unpacked)
    scenario = read_scenario(Path(__file__).parent / "data" / "solve" / "basic.yaml")
    model = EvacuationModel(scenario, pooled=True)
    plan = model.solve(SolveParameters(time_limit=3))
    assert tidied, "the tidy stage ran"
    assert plan.objective["evacuated"] == 3
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []


GUIDE_ACROSS = frozenset({("crossing", "town", "edge", "gate"), ("flight", "edge", "home", "RU2")})
"""guide.yaml's way across the border and on by RU2 (see test_greedy)."""


def test_a_second_guided_dispatcher_sends_its_exchanged_plan_once_given_the_ways() -> None:
    import time

    from planner.greedy import dispatch_guided
    from planner.model import _exchanged, _GuidedRival

    scenario = read_scenario(DATA / "guide.yaml")
    ways = {f"F-{n}": GUIDE_ACROSS for n in range(1, 5)}
    rival = _GuidedRival(scenario, (5,), time.monotonic() + 60, time.monotonic() + 60)
    rival.send(ways)
    found = rival.result(time.monotonic() + 60)
    assert rival.sent and not rival.process.is_alive()
    mine = _exchanged(scenario, dispatch_guided(scenario, ways, (5,)), time.monotonic() + 60)
    assert found is not None
    assert (found.objective, found.groups, found.vehicles) == (
        mine.objective,
        mine.groups,
        mine.vehicles,
    )
    # guided across, all 12 are safe at 30 min and home by RU2 at 10 h
    assert found.objective == pytest.approx(
        {"evacuated": 12, "exposure": 6.0, "arrival": 120.0, "makespan": 10.0}
    )
    assert found.stats["method"] == "greedy guided by the relaxation"


def test_a_second_guided_dispatcher_never_sent_the_ways_sends_nothing() -> None:
    import time

    from planner.model import _GuidedRival

    scenario = read_scenario(DATA / "guide.yaml")
    rival = _GuidedRival(scenario, (5,), time.monotonic() + 2, time.monotonic() + 2)
    assert rival.result(time.monotonic() + 30) is None  # it waited 2 s for them, no more
    assert not rival.sent and not rival.process.is_alive()


def test_a_second_guided_dispatcher_runs_beside_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.greedy as greedy
    import planner.model as model

    seen: list[Plan | None] = []

    class Watched(model._GuidedRival):
        def result(self, until: float) -> Plan | None:
            plan = super().result(until)
            seen.append(plan)
            return plan

    monkeypatch.setattr(model, "MAX_MODEL", 0)
    monkeypatch.setattr(model, "_guided_alone", lambda _model, _deadline: True)
    monkeypatch.setattr(model, "_GuidedRival", Watched)
    monkeypatch.setattr(greedy, "_steer", lambda best, score, *rest: (best, score))
    # guide.yaml, as in test_too_large_for_cp_sat_the_relaxation_guides_the_dispatcher: both
    # guided plans send every family across
    scenario = read_scenario(DATA / "guide.yaml")
    plan = solve(scenario, SolveParameters(time_limit=10))
    assert len(seen) == 1 and seen[0] is not None
    assert seen[0].objective == pytest.approx(plan.objective)
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []
    assert data["objective"] == pytest.approx(
        {"evacuated": 12, "exposure": 6.0, "arrival": 120.0, "makespan": 10.0}
    )
    assert data["bound"]["exposure"] == pytest.approx(6.0)
    # one worker: no second process
    seen.clear()
    solve(scenario, SolveParameters(time_limit=10, workers=1))
    assert seen == []


def test_without_a_process_for_the_rival_the_dispatcher_alone_plans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.model as model

    def refused(_method: str) -> object:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(model, "_searchable", lambda _model: False)
    monkeypatch.setattr(model.multiprocessing, "get_context", refused)
    scenario = read_scenario(TRIPOLI)
    plan = solve(scenario, SolveParameters(time_limit=30, seed=3))
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []
    assert plan.objective["evacuated"] == scenario.people


# The family of 3 starts at p3 (room for 2), in danger, and may leave for p0 (its
# destination, safe) only from 08:00.
BACK_AT_THE_START = """
scenario: {name: back, start: 2013-10-03T06:00+02:00, horizon: 4h, step: 15m}
locations:
  p0: {country: LY, danger: false}
  p3: {country: LY, danger: true, capacity: 2}
  p4: {country: LY, danger: false}
roads:
  - {from: p3, to: p4, duration: 15m, both_ways: false}
  - {from: p4, to: p3, duration: 15m, both_ways: false, closed: ["06:45-10:00"]}
  - {from: p3, to: p0, duration: 15m, both_ways: false, closed: ["06:00-08:00"]}
groups:
  - {id: G0, at: p3, destination: p0, ready: +15m, priority: critical, own_vehicle: true, size: 3}
"""


def test_a_family_back_where_it_started_counts_there() -> None:
    # Driving to p4 (safe) at 06:15, back to p3 by 06:45 (the road back closes then) and on
    # to p0 at 08:00 would stop its exposure at 06:30: 10 (critical) * 3 * 0.5 h = 15; but
    # back at p3 it counts (rule 7), and 3 do not fit. So it waits at p3 (where it started,
    # counted nowhere) and leaves at 08:00: 10 * 3 * 2.25 h = 67.5. Staying at p4 leaves it
    # not evacuated.
    scenario = parse_scenario(BACK_AT_THE_START)
    plan = EvacuationModel(scenario).solve(SolveParameters(time_limit=10, seed=0))
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []
    assert plan.status == "optimal"
    assert plan.objective["evacuated"] == 3
    assert plan.objective["exposure"] == pytest.approx(67.5)


def test_a_search_plan_that_breaks_a_rule_is_not_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    # A model without rule 7 finds the way through p4 above (exposure 15), which breaks it:
    # `solve` returns the plan the search began from (the dispatcher's, 67.5) instead.
    scenario = parse_scenario(BACK_AT_THE_START)
    monkeypatch.setattr(EvacuationModel, "add_place_capacity", lambda self: None)
    plan = solve(scenario, SolveParameters(time_limit=5, workers=2, seed=0))
    assert check_plan(scenario, json.loads(json.dumps(plan_to_dict(plan, scenario)))) == []
    assert plan.objective["exposure"] == pytest.approx(67.5)
    assert plan.stats["method"].endswith("the search's plan broke a rule")
