"""Exchanges of the way on (planner.exchange), on plans written by hand: the values are in
the scenario files' comments."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.check import check_plan
from planner.exchange import _Exchanger, exchange
from planner.greedy import dispatch
from planner.model import better
from planner.plan import (
    GroupPlan,
    Leg,
    Plan,
    VehicleLeg,
    VehiclePlan,
    evaluate_objectives,
    plan_to_dict,
)
from planner.read import parse_scenario, read_scenario
from planner.scenario import Scenario

DATA = Path(__file__).parent / "data" / "exchange"


def _at(scenario: Scenario, hours: float) -> datetime:
    return scenario.start + timedelta(hours=hours)


def _trips(scenario: Scenario, trips: list[tuple[float, tuple[str, ...]]]) -> Plan:
    """A plan in which the car drives town -> haven at each of `trips`' hours with those
    groups aboard, and back empty in between; groups on no trip are left in town."""
    legs: dict[str, tuple[Leg, ...]] = {}
    vlegs = []
    for n, (hour, groups) in enumerate(trips):
        depart, arrive = _at(scenario, hour), _at(scenario, hour + 1)
        for gid in groups:
            legs[gid] = (Leg("road", "town", "haven", depart, arrive, vehicle="car-1"),)
        vlegs.append(VehicleLeg("road", "town", "haven", depart, arrive, groups))
        if n + 1 < len(trips):
            back = _at(scenario, hour + 1)
            vlegs.append(VehicleLeg("road", "haven", "town", back, back + timedelta(hours=1)))
    return Plan(
        scenario=scenario.name,
        status="feasible",
        objective=evaluate_objectives(scenario, legs),
        bound={},
        groups=tuple(
            GroupPlan(g.id, g.people, "evacuated", None, legs[g.id])
            if g.id in legs
            else GroupPlan(g.id, g.people, "left_behind", "not taken")
            for g in scenario.groups
        ),
        vehicles=(VehiclePlan("car-1", "car", tuple(vlegs)),),
    )


def _checked(scenario: Scenario, plan: Plan) -> None:
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    assert check_plan(scenario, data) == []


def _shared_afresh(scenario: Scenario, plan: Plan) -> Plan:
    """`plan`, which keeps every rule and where no family or pair can move alone, after the
    exchanges, which share its trips out afresh; the result keeps every rule."""
    _checked(scenario, plan)
    assert _Exchanger(scenario, plan).round(None) == 0
    shared = exchange(scenario, plan)
    _checked(scenario, shared)
    return shared


def test_the_critical_family_takes_the_first_trip() -> None:
    scenario = read_scenario(DATA / "two_trips.yaml")
    plan = _trips(scenario, [(0, ("N",)), (2, ("C",))])
    _checked(scenario, plan)
    assert plan.objective == {"evacuated": 4, "exposure": 62, "arrival": 8, "makespan": 3}
    swapped = exchange(scenario, plan)
    _checked(scenario, swapped)
    assert swapped.objective == {"evacuated": 4, "exposure": 26, "arrival": 8, "makespan": 3}
    first, second = swapped.vehicles[0].legs[0], swapped.vehicles[0].legs[2]
    assert (first.depart, first.groups) == (_at(scenario, 0), ("C",))
    assert (second.depart, second.groups) == (_at(scenario, 2), ("N",))
    assert swapped.group("C").legs[0].depart == _at(scenario, 0)
    assert swapped.stats["exchanges"] == {
        "swaps": 1,
        "joins": 0,
        "regrouped": 0,
        "advanced": 0,
        "rerouted": 0,
        "taken_home": 0,
    }
    # nothing more to gain: the plan comes back as it is
    assert exchange(scenario, swapped) is swapped


def test_no_swap_without_room_but_the_three_families_share_the_trips_afresh() -> None:
    scenario = read_scenario(DATA / "no_room.yaml")
    plan = _trips(scenario, [(0, ("N",)), (2, ("C", "S"))])
    assert plan.objective == {"evacuated": 6, "exposure": 66, "arrival": 12, "makespan": 3}
    shared = _shared_afresh(scenario, plan)
    assert shared.objective == {"evacuated": 6, "exposure": 30, "arrival": 12, "makespan": 3}
    trips = [set(leg.groups) for leg in shared.vehicles[0].legs if leg.from_ == "town"]
    assert trips == [{"C", "S"}, {"N"}]
    assert shared.stats["exchanges"] == {
        "swaps": 0,
        "joins": 0,
        "regrouped": 3,
        "advanced": 0,
        "rerouted": 0,
        "taken_home": 0,
    }


def test_a_swap_then_a_family_joins_a_trip_with_room() -> None:
    # the same families with the family of 1 on a third trip at 4 h. First round: the
    # critical family swaps with the family of 3 (who then fits on the second trip alone),
    # -34; the family of 1 cannot join the critical family's old trip, which that swap
    # changed. Second round: the family of 1 joins the first trip (2 + 1 seats of 3), -4;
    # the third trip leaves empty. Exposure 2*10*1 + 3*1*3 + 1*1*1 = 30 instead of
    # 3*1*1 + 2*10*3 + 1*1*5 = 68; arrival 2*1 + 3*3 + 1*1 = 12 instead of 14; the last
    # arrival 3 h instead of 5 h
    scenario = read_scenario(DATA / "no_room.yaml")
    plan = _trips(scenario, [(0, ("N",)), (2, ("C",)), (4, ("S",))])
    assert plan.objective == {"evacuated": 6, "exposure": 68, "arrival": 14, "makespan": 5}
    swapped = exchange(scenario, plan)
    _checked(scenario, swapped)
    assert swapped.objective == {"evacuated": 6, "exposure": 30, "arrival": 12, "makespan": 3}
    trips = [leg.groups for leg in swapped.vehicles[0].legs if leg.from_ == "town"]
    assert trips == [("C", "S"), ("N",), ()]
    assert swapped.stats["exchanges"] == {
        "swaps": 1,
        "joins": 1,
        "regrouped": 0,
        "advanced": 0,
        "rerouted": 0,
        "taken_home": 0,
    }


def test_the_trips_shared_out_afresh_take_home_a_family_no_join_could() -> None:
    scenario = read_scenario(DATA / "chain_home.yaml")
    plan = _trips(scenario, [(0, ("Y", "Z")), (2, ("X",))])
    assert plan.objective == {"evacuated": 4, "exposure": 34, "arrival": 16, "makespan": 3}
    shared = _shared_afresh(scenario, plan)
    assert shared.objective == {"evacuated": 6, "exposure": 48, "arrival": 12, "makespan": 3}
    assert all(g.status == "evacuated" and g.reason is None for g in shared.groups)
    made = shared.stats["exchanges"]
    assert made["taken_home"] == 1 and made["regrouped"] in (2, 3)


def test_a_family_left_behind_joins_a_trip_with_room() -> None:
    scenario = read_scenario(DATA / "left.yaml")
    plan = _trips(scenario, [(0, ("A",))])
    _checked(scenario, plan)
    assert plan.objective == {"evacuated": 2, "exposure": 6, "arrival": 6, "makespan": 1}
    swapped = exchange(scenario, plan)
    _checked(scenario, swapped)
    assert swapped.objective == {"evacuated": 4, "exposure": 4, "arrival": 4, "makespan": 1}
    assert swapped.group("B").status == "evacuated"
    assert swapped.group("B").reason is None
    assert swapped.vehicles[0].legs[0].groups == ("A", "B")
    assert swapped.stats["exchanges"] == {
        "swaps": 0,
        "joins": 1,
        "regrouped": 0,
        "advanced": 0,
        "rerouted": 0,
        "taken_home": 1,
    }


START = datetime.fromisoformat("2026-03-02T06:00+01:00")

FLIPPED = {"critical": "normal", "high": "high", "normal": "critical"}


@st.composite
def crowded(draw: st.DrawFn) -> str:
    """A town in danger whose families leave by car to a border crossing on foot (open
    hours, throughput) and on by coach to an airport with flights, or by car to a port with
    a sailing: many families at the same places, of every size, priority and document."""
    throughput = draw(st.integers(3, 12))
    opens = draw(st.integers(6, 9))
    exit_room, airport_room = draw(st.integers(8, 30)), draw(st.integers(10, 40))
    lines = [
        "scenario: {name: crowded, start: 2026-03-02T06:00+01:00, horizon: 36h, step: 30m}",
        f"objective: {draw(st.sampled_from(OBJECTIVES))}",
        "locations:",
        "  town: {country: LY, danger: true}",
        f"  exit: {{country: LY, danger: true, transfer: 30m, capacity: {exit_room}}}",
        "  entry: {country: TN, transfer: 30m}",
        f"  airport: {{country: TN, transfer: 1h, capacity: {airport_room}}}",
        "  port: {country: LY, danger: true, transfer: 1h}",
        "  home: {country: RU}",
        "roads:",
        f"  - {{from: town, to: exit, duration: {draw(st.sampled_from(['1h', '1h30m', '2h']))}}}",
        "  - {from: town, to: port, duration: 30m}",
        "  - {from: entry, to: airport, duration: 1h}",
        "crossings:",
        f"  - {{id: gate, from: exit, to: entry, processing: 30m, throughput: {throughput},"
        f" open: ['{opens:02d}:00-{opens + 10:02d}:00'], vehicles: false,"
        " documents: [passport, laissez_passer]}",
        "fleet:",
        f"  - {{id: car, count: {draw(st.integers(1, 3))}, seats: {draw(st.integers(3, 6))},"
        " at: town, countries: [LY]}",
        f"  - {{id: coach, count: {draw(st.integers(1, 2))}, seats: {draw(st.integers(4, 9))},"
        " at: entry, countries: [TN]}",
        "flights:",
    ]
    for n in range(draw(st.integers(1, 3))):
        departs = START + timedelta(hours=draw(st.integers(4, 30)))
        lines.append(
            f"  - {{id: F{n}, from: airport, to: home, departs: {departs.isoformat()},"
            f" duration: 4h, seats: {draw(st.integers(4, 14))}, check_in: 1h,"
            " documents: [passport]}"
        )
    sails = START + timedelta(hours=draw(st.integers(6, 16)))
    lines.append("sailings:")
    lines.append(
        f"  - {{id: S0, from: port, to: home, departs: {sails.isoformat()}, duration: 20h,"
        f" seats: {draw(st.integers(2, 10))}, check_in: 2h}}"
    )
    lines.append("groups:")
    for n in range(draw(st.integers(4, 12))):
        fields = [
            f"id: G{n}",
            "at: town",
            "destination: home",
            f"size: {draw(st.integers(1, 4))}",
            f"priority: {draw(st.sampled_from(['critical', 'high', 'normal']))}",
            f"documents: [{draw(st.sampled_from(['passport', 'laissez_passer']))}]",
        ]
        if draw(st.booleans()):
            fields.append(f"ready: +{draw(st.integers(0, 8))}h")
        if draw(st.integers(0, 5)) == 0:
            fields.append("own_vehicle: true")
        lines.append(f"  - {{{', '.join(fields)}}}")
    return "\n".join(lines) + "\n"


OBJECTIVES = (
    "[evacuated, exposure, arrival]",
    "[evacuated, arrival, exposure]",
    "[exposure, evacuated]",
    "[evacuated, makespan, exposure]",
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowded(), st.integers(0, 2))
def test_exchanges_keep_every_rule_and_never_make_a_plan_worse(text: str, seed: int) -> None:
    # the dispatcher's plan for the scenario with its priorities turned over serves the
    # wrong families first: a plan for the scenario all the same (priorities are not rules),
    # and one with much to exchange
    scenario = parse_scenario(text, "crowded.yaml")
    flipped = scenario.replace(
        groups=tuple(replace(g, priority=FLIPPED[g.priority]) for g in scenario.groups)
    )
    plan = dispatch(flipped, seed=seed)
    journeys = {g.id: g.legs for g in plan.groups}
    plan = replace(plan, objective=evaluate_objectives(scenario, journeys))
    _checked(scenario, plan)
    swapped = exchange(scenario, plan)
    _checked(scenario, swapped)
    assert not better(scenario, plan, swapped)
    # nobody evacuated is left, and a family left may be taken home
    for was, now in zip(plan.groups, swapped.groups, strict=True):
        assert now.status == "evacuated" or now.status == was.status
    assert swapped.objective["evacuated"] >= plan.objective["evacuated"]
    if swapped.objective["evacuated"] == plan.objective["evacuated"]:
        if plan.objective["makespan"] is not None:
            assert swapped.objective["makespan"] <= plan.objective["makespan"]
    if swapped is not plan:
        assert better(scenario, swapped, plan)
    # the same plan gives the same moves
    again = exchange(scenario, plan)
    assert (again.groups, again.vehicles, again.objective) == (
        swapped.groups,
        swapped.vehicles,
        swapped.objective,
    )


def test_no_time_no_moves() -> None:
    scenario = read_scenario(DATA / "two_trips.yaml")
    plan = _trips(scenario, [(0, ("N",)), (2, ("C",))])
    assert exchange(scenario, plan, deadline=time.monotonic() - 1) is plan


def test_whole_counts_are_searched_on_the_ways_on_the_linear_optimum_uses() -> None:
    from typing import Any

    from ortools.linear_solver.python import model_builder as mb

    from planner.regroup import _whole

    # two families of one class on four ways on, the first taken now: cost 5, 3, 4, 1 a
    # family, room for 2, 1, 1 and 0. The linear optimum takes the second and the third
    # (3 + 4 = 7, whole already); the search for whole counts is made on them and the one
    # taken now alone
    cost, room = [5, 3, 4, 1], [2, 1, 1, 0]
    programs: list[list[int]] = []

    def program(used: list[int]) -> tuple[Any, list[Any]]:
        programs.append(list(used))
        model = mb.Model()
        x = [model.new_int_var(0, room[i], "") for i in used]
        model.add(mb.LinearExpr.sum(x) == 2)
        model.minimize(mb.LinearExpr.weighted_sum(x, [float(cost[i]) for i in used]))
        return model, x

    assert _whole(program, 4, cost, [2, 0, 0, 0], None, {0}) == [0, 1, 1, 0]
    assert programs == [[0, 1, 2, 3], [0, 1, 2]]
    # counts as good as the linear optimum already: nothing is searched
    programs.clear()
    assert _whole(program, 4, cost, [0, 1, 1, 0], None, {1, 2}) == [0, 1, 1, 0]
    assert programs == [[0, 1, 2, 3]]
