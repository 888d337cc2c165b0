"""Legs made sooner (planner.retime), on plans written by hand: the values are in the
scenario files' comments."""

from __future__ import annotations

from pathlib import Path

from planner.exchange import _Exchanger, exchange
from planner.plan import GroupPlan, Leg, Plan, VehicleLeg, VehiclePlan, evaluate_objectives
from planner.read import read_scenario
from planner.retime import advance
from planner.scenario import Scenario
from tests.test_exchange import _at, _checked

DATA = Path(__file__).parent / "data" / "retime"


def _plan(scenario: Scenario, legs: dict[str, tuple[Leg, ...]], car: list[VehicleLeg]) -> Plan:
    plan = Plan(
        scenario=scenario.name,
        status="feasible",
        objective=evaluate_objectives(scenario, legs),
        bound={},
        groups=tuple(
            GroupPlan(g.id, g.people, "evacuated", None, legs[g.id]) for g in scenario.groups
        ),
        vehicles=(VehiclePlan("car-1", "car", tuple(car)),),
    )
    _checked(scenario, plan)
    return plan


def _car_plan(scenario: Scenario) -> Plan:
    def drive(frm: str, to: str, hour: float, groups: tuple[str, ...] = ()) -> VehicleLeg:
        return VehicleLeg("road", frm, to, _at(scenario, hour), _at(scenario, hour + 1), groups)

    def ride(hour: float) -> Leg:
        return Leg(
            "road", "town", "haven", _at(scenario, hour), _at(scenario, hour + 1), vehicle="car-1"
        )

    car = [
        drive("town", "haven", 3, ("A", "B")),
        drive("haven", "town", 4),
        drive("town", "haven", 7, ("C",)),
    ]
    return _plan(scenario, {"A": (ride(3),), "B": (ride(3),), "C": (ride(7),)}, car)


def test_each_car_leg_leaves_when_the_road_is_open_and_everyone_aboard_is_ready() -> None:
    scenario = read_scenario(DATA / "car.yaml")
    plan = _car_plan(scenario)
    assert plan.objective == {"evacuated": 5, "exposure": 28, "arrival": 28, "makespan": 8}
    ex = _Exchanger(scenario, plan)
    assert advance(ex) == {"A", "B", "C"}
    departs = [leg.depart for leg in ex.vehicle_legs["car-1"]]
    assert departs == [_at(scenario, 1), _at(scenario, 2), _at(scenario, 5.5)]
    assert ex.legs["C"][0].arrive == _at(scenario, 6.5)
    sooner = ex.plan(plan)
    _checked(scenario, sooner)
    assert sooner.objective == {"evacuated": 5, "exposure": 19, "arrival": 19, "makespan": 6.5}
    assert [leg.groups for leg in sooner.vehicles[0].legs] == [("A", "B"), (), ("C",)]
    # nothing is sooner a second time
    assert advance(ex) == set()


def test_the_exchanges_make_legs_sooner_and_count_them() -> None:
    scenario = read_scenario(DATA / "car.yaml")
    sooner = exchange(scenario, _car_plan(scenario))
    _checked(scenario, sooner)
    assert sooner.objective["exposure"] == 19
    assert sooner.stats["exchanges"] == {
        "swaps": 0,
        "joins": 0,
        "regrouped": 0,
        "advanced": 3,
        "rerouted": 0,
        "taken_home": 0,
    }


def _gate_plan(scenario: Scenario) -> Plan:
    def cross(hour: float) -> Leg:
        return Leg(
            "crossing",
            "exit",
            "entry",
            _at(scenario, hour),
            _at(scenario, hour + 1),
            crossing="gate",
        )

    to_exit = (_at(scenario, 2), _at(scenario, 3))
    legs: dict[str, tuple[Leg, ...]] = {
        "P": (
            Leg("road", "village", "exit", _at(scenario, 0), _at(scenario, 1), vehicle="own"),
            cross(2),
        ),
        "Q": (Leg("road", "town", "exit", *to_exit, vehicle="car-1"), cross(3.5)),
    }
    return _plan(scenario, legs, [VehicleLeg("road", "town", "exit", *to_exit, ("Q",))])


def test_a_place_with_no_room_and_a_full_hour_hold_legs_back() -> None:
    scenario = read_scenario(DATA / "gate.yaml")
    plan = _gate_plan(scenario)
    assert plan.objective["exposure"] == 15
    ex = _Exchanger(scenario, plan)
    assert advance(ex) == {"Q"}
    car, crossing = ex.legs["Q"]
    assert (car.depart, car.arrive) == (_at(scenario, 1), _at(scenario, 2))
    assert (crossing.depart, crossing.arrive) == (_at(scenario, 3), _at(scenario, 4))
    sooner = ex.plan(plan)
    _checked(scenario, sooner)
    assert sooner.objective == {"evacuated": 4, "exposure": 14, "arrival": 14, "makespan": 4}


def test_a_vehicle_crosses_in_the_first_open_hour_with_room_for_everyone_aboard() -> None:
    scenario = read_scenario(DATA / "bridge.yaml")
    hours = {h: _at(scenario, h) for h in (0, 1, 2, 3, 4, 5)}
    to_bank, bridge = ("town", "bank", hours[0], hours[1]), ("bank", "far", hours[2], hours[3])
    legs: dict[str, tuple[Leg, ...]] = {
        "S": (
            Leg("road", *to_bank, vehicle="car-1"),
            Leg("crossing", "bank", "far", hours[4], hours[5], vehicle="car-1", crossing="bridge"),
        ),
        "T": (
            Leg("road", *to_bank, vehicle="own"),
            Leg("crossing", *bridge, vehicle="own", crossing="bridge"),
        ),
    }
    car = [
        VehicleLeg("road", *to_bank, ("S",)),
        VehicleLeg("crossing", "bank", "far", hours[4], hours[5], ("S",), crossing="bridge"),
    ]
    plan = _plan(scenario, legs, car)
    assert plan.objective["exposure"] == 16
    ex = _Exchanger(scenario, plan)
    assert advance(ex) == {"S"}
    assert [leg.depart for leg in ex.vehicle_legs["car-1"]] == [hours[0], hours[3]]
    sooner = ex.plan(plan)
    _checked(scenario, sooner)
    assert sooner.objective == {"evacuated": 4, "exposure": 14, "arrival": 14, "makespan": 4}


def test_a_family_takes_an_idle_car_that_gets_it_out_sooner() -> None:
    scenario = read_scenario(DATA / "idle.yaml")

    def drive(frm: str, to: str, hour: float, groups: tuple[str, ...] = ()) -> VehicleLeg:
        return VehicleLeg("road", frm, to, _at(scenario, hour), _at(scenario, hour + 1), groups)

    def ride(hour: float, car: str) -> Leg:
        return Leg(
            "road", "town", "haven", _at(scenario, hour), _at(scenario, hour + 1), vehicle=car
        )

    car = [
        drive("town", "haven", 0, ("B",)),
        drive("haven", "town", 1),
        drive("town", "haven", 2, ("A",)),
    ]
    plan = _plan(scenario, {"B": (ride(0, "car-1"),), "A": (ride(2, "car-1"),)}, car)
    assert plan.objective["exposure"] == 8
    sooner = exchange(scenario, plan)
    _checked(scenario, sooner)
    assert sooner.objective == {"evacuated": 4, "exposure": 4, "arrival": 4, "makespan": 1}
    assert sooner.group("A").legs == (ride(0, "car-2"),)
    assert [(v.id, [leg.groups for leg in v.legs]) for v in sooner.vehicles] == [
        ("car-1", [("B",), (), ()]),
        ("car-2", [("A",)]),
    ]
    assert sooner.stats["exchanges"]["rerouted"] == 1
    assert sooner.stats["exchanges"]["advanced"] == 0
