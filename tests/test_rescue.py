"""Families left behind taken home in the room a plan leaves (planner.rescue), on plans
written by hand: the values are in the scenario file's comments."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.check import check_plan
from planner.exchange import _Exchanger
from planner.greedy import dispatch
from planner.plan import (
    GroupPlan,
    Leg,
    Plan,
    VehicleLeg,
    VehiclePlan,
    evaluate_objectives,
    group_status,
    plan_to_dict,
)
from planner.read import parse_scenario, read_scenario
from planner.rescue import rescue, rescued
from planner.scenario import Scenario
from tests.test_exchange import FLIPPED, crowded

DATA = Path(__file__).parent / "data" / "rescue"


def _at(scenario: Scenario, hours: float) -> datetime:
    return scenario.start + timedelta(hours=hours)


def _scenario(*groups: str) -> Scenario:
    scenario = read_scenario(DATA / "idle_coach.yaml")
    return scenario.replace(groups=tuple(g for g in scenario.groups if g.id in groups))


def _plan(scenario: Scenario) -> Plan:
    """B driven to the exit post and across on foot, and left at the entry post; C on the
    coach to the airport at 05:00; D on the van to the airport at 02:00, and on F1."""
    s = scenario
    legs: dict[str, tuple[Leg, ...]] = {
        "B": (
            Leg("road", "town", "exit", _at(s, 0), _at(s, 1), vehicle="car-1"),
            Leg("crossing", "exit", "entry", _at(s, 1), _at(s, 2), crossing="gate"),
        ),
        "C": (Leg("road", "entry", "airport", _at(s, 5), _at(s, 6), vehicle="coach-1"),),
        "D": (
            Leg("road", "entry", "airport", _at(s, 2), _at(s, 3), vehicle="van-1"),
            Leg("flight", "airport", "home", _at(s, 4), _at(s, 8), service="F1"),
        ),
    }
    legs = {gid: journey for gid, journey in legs.items() if gid in s.group_by_id}
    vehicles = [
        VehiclePlan(
            "car-1", "car", (VehicleLeg("road", "town", "exit", _at(s, 0), _at(s, 1), ("B",)),)
        )
    ]
    if "C" in legs:
        coach = VehicleLeg("road", "entry", "airport", _at(s, 5), _at(s, 6), ("C",))
        vehicles.append(VehiclePlan("coach-1", "coach", (coach,)))
    if "D" in legs:
        van = VehicleLeg("road", "entry", "airport", _at(s, 2), _at(s, 3), ("D",))
        vehicles.append(VehiclePlan("van-1", "van", (van,)))
    groups = []
    for g in s.groups:
        status = group_status(s, g, legs[g.id])
        groups.append(
            GroupPlan(g.id, g.people, status, None if status == "evacuated" else "left", legs[g.id])
        )
    return Plan(
        scenario=s.name,
        status="feasible",
        objective=evaluate_objectives(s, legs),
        bound={},
        groups=tuple(groups),
        vehicles=tuple(vehicles),
    )


def _checked(scenario: Scenario, plan: Plan) -> None:
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []


def _hops(plan: Plan, gid: str) -> list[tuple[str, str, float, float, str | None]]:
    """The legs of a group as (from, to, depart, arrive, carrier), hours from the start."""
    start = datetime.fromisoformat("2026-03-02T06:00+01:00")

    def h(t: datetime) -> float:
        return (t - start).total_seconds() / 3600

    return [
        (
            leg.from_,
            leg.to,
            h(leg.depart),
            h(leg.arrive),
            leg.vehicle or leg.service or leg.crossing,
        )
        for leg in plan.group(gid).legs
    ]


def _drives(plan: Plan, vid: str) -> list[tuple[str, str, float, tuple[str, ...]]]:
    start = datetime.fromisoformat("2026-03-02T06:00+01:00")
    vp = next(v for v in plan.vehicles if v.id == vid)
    return [
        (leg.from_, leg.to, (leg.depart - start).total_seconds() / 3600, leg.groups)
        for leg in vp.legs
    ]


def test_an_idle_coach_takes_a_family_left_at_the_border_to_its_flight() -> None:
    scenario = _scenario("B")
    plan = _plan(scenario)
    _checked(scenario, plan)
    assert plan.group("B").status == "safe"
    assert plan.objective == {"evacuated": 0, "exposure": 4, "arrival": 24, "makespan": None}
    out = rescued(scenario, plan)
    _checked(scenario, out)
    assert out.objective == {"evacuated": 2, "exposure": 4, "arrival": 20, "makespan": 10}
    assert out.group("B").status == "evacuated"
    assert out.group("B").reason is None
    assert _hops(out, "B") == [
        ("town", "exit", 0, 1, "car-1"),
        ("exit", "entry", 1, 2, "gate"),
        ("entry", "airport", 2.5, 3.5, "coach-1"),
        ("airport", "home", 6, 10, "F2"),
    ]
    assert _drives(out, "coach-1") == [("entry", "airport", 2.5, ("B",))]
    assert out.stats["rescued"] == 1


def test_the_coach_is_back_for_its_own_trip() -> None:
    scenario = _scenario("B", "C")
    plan = _plan(scenario)
    _checked(scenario, plan)
    assert (plan.objective["evacuated"], plan.objective["arrival"]) == (2, 36)
    out = rescued(scenario, plan)
    _checked(scenario, out)
    assert (out.objective["evacuated"], out.objective["arrival"]) == (4, 32)
    assert _hops(out, "B")[2:] == [
        ("entry", "airport", 2.5, 3.5, "coach-1"),
        ("airport", "home", 6, 10, "F2"),
    ]
    assert _drives(out, "coach-1") == [
        ("entry", "airport", 2.5, ("B",)),
        ("airport", "entry", 3.5, ()),
        ("entry", "airport", 5, ("C",)),
    ]
    assert _hops(out, "C") == _hops(plan, "C")


def test_a_family_waits_where_it_is_while_the_airport_is_full() -> None:
    scenario = _scenario("B", "D")
    plan = _plan(scenario)
    _checked(scenario, plan)
    assert (plan.objective["evacuated"], plan.objective["arrival"]) == (2, 40)
    out = rescued(scenario, plan)
    _checked(scenario, out)
    assert (out.objective["evacuated"], out.objective["arrival"]) == (4, 36)
    assert _hops(out, "B")[2:] == [
        ("entry", "airport", 4, 5, "coach-1"),
        ("airport", "home", 6, 10, "F2"),
    ]


def test_nothing_is_taken_home_unless_evacuated_comes_first() -> None:
    scenario = _scenario("B")
    scenario = scenario.replace(objective=("exposure", "evacuated"))
    plan = _plan(scenario)
    assert rescued(scenario, plan) is plan


def test_no_room_no_time_no_change() -> None:
    scenario = _scenario("B")
    plan = _plan(scenario)
    assert rescued(scenario, plan, deadline=time.monotonic() - 1) is plan
    # with a seat on F2 only, and F1 too soon, there is no way home for B's two people
    full = scenario.replace(
        flights=tuple(replace(f, seats=1) if f.id == "F2" else f for f in scenario.flights)
    )
    left = _plan(full)
    assert rescued(full, left) is left


def test_a_plan_that_breaks_a_rule_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # with rule 7 left out of the search's own checks, B would come to the airport while D
    # waits there (4 people where 2 may be): the check before a plan is kept catches it
    scenario = _scenario("B", "D")
    plan = _plan(scenario)
    monkeypatch.setattr(_Exchanger, "_full_place", lambda self, new: None)
    assert rescued(scenario, plan) is plan


def _dropped(scenario: Scenario, plan: Plan, drop: set[str]) -> Plan:
    """`plan` with the families of `drop` left where they start, their seats left empty."""
    groups = tuple(
        replace(
            g,
            legs=(),
            status=group_status(scenario, scenario.group_by_id[g.id], ()),
            reason="left out for the test",
        )
        if g.id in drop
        else g
        for g in plan.groups
    )
    vehicles = tuple(
        replace(
            v,
            legs=tuple(
                replace(leg, groups=tuple(x for x in leg.groups if x not in drop)) for leg in v.legs
            ),
        )
        for v in plan.vehicles
    )
    journeys = {g.id: g.legs for g in groups}
    return replace(
        plan,
        groups=groups,
        vehicles=vehicles,
        objective=evaluate_objectives(scenario, journeys),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowded(), st.integers(0, 2), st.randoms(use_true_random=False))
def test_families_taken_home_keep_every_rule_and_nobody_else_moves(
    text: str, seed: int, rng: Random
) -> None:
    # the dispatcher's plan with the priorities turned over (see tests/test_exchange.py),
    # and some of the families it took home left where they start: their seats, crossing
    # hours and room at places are free, and the rescue should find many of them a way.
    # It is asked directly, so that its plans are checked here, not by its own guard.
    scenario = parse_scenario(text, "crowded.yaml")
    rest = [o for o in scenario.objective if o != "evacuated"]
    scenario = scenario.replace(objective=("evacuated", *rest))
    flipped = scenario.replace(
        groups=tuple(replace(g, priority=FLIPPED[g.priority]) for g in scenario.groups)
    )
    plan = dispatch(flipped, seed=seed)
    home = [g.id for g in plan.groups if g.status == "evacuated" and g.legs]
    own = {g.id for g in scenario.groups if g.own_vehicle}
    drop = {gid for gid in home if gid not in own and rng.random() < 0.5}
    plan = _dropped(scenario, plan, drop)
    _checked(scenario, plan)
    ex = _Exchanger(scenario, plan)
    taken = rescue(ex, None)
    out = ex.plan(plan)
    _checked(scenario, out)
    home = [g for g in out.groups if g.status == "evacuated"]
    assert len(home) == len([g for g in plan.groups if g.status == "evacuated"]) + taken
    for was, now in zip(plan.groups, out.groups, strict=True):
        if was.status == "evacuated":
            assert now.legs == was.legs
        else:
            assert now.status in ("evacuated", was.status)
    evacuated = {g.id for g in plan.groups if g.status == "evacuated"}
    after = {v.id: v for v in out.vehicles}
    for was in plan.vehicles:
        # a vehicle keeps every leg it had, with the families evacuated aboard (a family
        # taken home may leave the legs it had for its new way)
        kept = {(leg.from_, leg.depart): leg for leg in after[was.id].legs}
        for leg in was.legs:
            assert set(leg.groups) & evacuated <= set(kept[leg.from_, leg.depart].groups)


def test_both_dispatchers_plans_have_families_taken_home_before_they_are_weighed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # where the dispatcher's plan is the answer, this process's plan leaves B at the entry
    # post (nobody evacuated) and the second process's takes B home: weighed as they come,
    # the second's is better; with B taken home in the room the first leaves (an idle coach,
    # F2), they are alike and the first is kept
    import planner.greedy as greedy
    import planner.model as model
    from planner.model import SolveParameters, _dispatched

    scenario = _scenario("B")
    left = replace(_plan(scenario), stats={"method": "greedy"})
    other = replace(rescued(scenario, left), stats={"method": "greedy"})
    assert other.objective["evacuated"] == 2

    class Second:
        seeds = (2,)

        def result(self, until: float) -> Plan:
            return other

    monkeypatch.setattr(model, "_rival", lambda *args: Second())
    monkeypatch.setattr(greedy, "dispatch_seeds", lambda *args, **kwargs: left)
    params = SolveParameters(time_limit=10, workers=2)
    now = time.monotonic()
    kept = _dispatched(scenario, params, now + 5, lambda plan: None, answer=True, rescue_by=now + 9)
    assert kept.objective["evacuated"] == 2
    assert kept.stats["rescued"] == 1
    assert kept.stats["method"] == "greedy, families left behind taken home"


def _runner_up_plans() -> tuple[Scenario, Plan, Plan]:
    """The scenario of data/rescue/runner_up.yaml and its two plans: the better one (X on
    F2) and the runner-up (X on F1), Y left in town by both."""
    s = read_scenario(DATA / "runner_up.yaml")
    drive = VehicleLeg("road", "town", "airport", _at(s, 0), _at(s, 1), ("X",))
    plans = []
    for flight, departs, lands in (("F2", 5, 6), ("F1", 3, 7)):
        legs = {
            "X": (
                Leg("road", "town", "airport", _at(s, 0), _at(s, 1), vehicle="bus-1"),
                Leg("flight", "airport", "home", _at(s, departs), _at(s, lands), service=flight),
            ),
            "Y": (),
        }
        groups = tuple(
            GroupPlan(
                gid,
                2,
                group_status(s, s.group_by_id[gid], journey),
                None if journey else "left",
                journey,
            )
            for gid, journey in legs.items()
        )
        plans.append(
            Plan(
                scenario=s.name,
                status="feasible",
                objective=evaluate_objectives(s, legs),
                bound={},
                groups=groups,
                vehicles=(VehiclePlan("bus-1", "bus", (drive,)),),
                stats={"method": "greedy"},
            )
        )
    return s, plans[0], plans[1]


def test_a_runner_up_taken_home_beats_the_better_plan() -> None:
    from planner.model import _rescued_best

    scenario, first, second = _runner_up_plans()
    _checked(scenario, first)
    _checked(scenario, second)
    assert first.objective == {"evacuated": 2, "exposure": 36, "arrival": 36, "makespan": 6}
    assert second.objective == {"evacuated": 2, "exposure": 38, "arrival": 38, "makespan": 7}
    # the better plan alone: nobody more home
    alone = _rescued_best(scenario, first, [], None)
    assert alone.objective == first.objective
    assert alone.stats["rescued"] == 0
    # with the runner-up: the bus comes back for Y, who flies on F2
    kept = _rescued_best(scenario, first, [lambda: second], None)
    _checked(scenario, kept)
    assert kept.objective == {"evacuated": 4, "exposure": 26, "arrival": 26, "makespan": 7}
    assert _hops(kept, "Y") == [("town", "airport", 2, 3, "bus-1"), ("airport", "home", 5, 6, "F2")]
    assert _drives(kept, "bus-1") == [
        ("town", "airport", 0, ("X",)),
        ("airport", "town", 1, ()),
        ("town", "airport", 2, ("Y",)),
    ]
    assert kept.stats["rescued"] == 1
    assert kept.stats["method"] == "greedy, families left behind taken home"


def test_runners_up_only_in_the_time_they_leave() -> None:
    from planner.model import _rescued_best

    scenario, first, second = _runner_up_plans()
    # the runner-up must end `spare` seconds before the deadline: it has no time
    now = time.monotonic()
    kept = _rescued_best(scenario, first, [lambda: second], now + 100, spare=100)
    assert kept.objective == first.objective


def test_a_runner_up_that_breaks_a_rule_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # the runners-up are checked only when kept: were the check to find a rule broken (a
    # fault of the search), the better plan, taken home as far as it can be, is kept
    import planner.check
    from planner.model import _rescued_best

    scenario, first, second = _runner_up_plans()
    monkeypatch.setattr(planner.check, "check_plan", lambda scenario, data: ["a rule broken"])
    kept = _rescued_best(scenario, first, [lambda: second], None)
    assert kept.objective == first.objective
    assert kept.stats["rescued"] == 0


def test_the_live_line_is_told_the_plan_with_its_families_taken_home(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one worker, no second process: the dispatcher's plan leaves B at the entry post; the
    # live line hears of B taken home as soon as the dispatcher's step ends
    import planner.greedy as greedy
    from planner.model import SolveParameters, _dispatched

    scenario = _scenario("B")
    left = replace(_plan(scenario), stats={"method": "greedy"})
    monkeypatch.setattr(greedy, "dispatch_seeds", lambda *args, **kwargs: left)
    told: list[dict[str, object]] = []
    now = time.monotonic()
    kept = _dispatched(
        scenario,
        SolveParameters(time_limit=10, workers=1),
        now + 5,
        lambda plan: None,
        answer=True,
        told=told.append,
        rescue_by=now + 9,
    )
    assert kept.objective["evacuated"] == 2
    assert told[-1]["evacuated"] == 2
