"""The first-come-first-served dispatcher: every plan it makes keeps every rule.

Every plan made here goes through the independent checker, which must find nothing. The
tiny scenarios of tests/data/solve are worked out by hand in their comments; where the
dispatcher reaches the same outcome, the test says so.
"""

from __future__ import annotations

import json
import random
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.check import check_plan
from planner.greedy import (
    FILL_WAIT,
    Podium,
    _Dispatcher,
    _Index,
    dispatch,
    dispatch_guided,
    dispatch_seeds,
)
from planner.model import EvacuationModel
from planner.plan import Plan, driven, plan_to_dict
from planner.read import parse_scenario, read_scenario
from planner.relaxation import way_link
from planner.scenario import Scenario
from planner.walks import Walks, walks_fit

HERE = Path(__file__).parent
SOLVE = HERE / "data" / "solve"
TRIPOLI = HERE.parent / "scenarios" / "tripoli-2013.yaml"
SCENARIOS = sorted(SOLVE.glob("*.yaml")) + [TRIPOLI]


def checked(scenario: Scenario, seed: int = 0) -> tuple[Plan, dict]:
    """Dispatch, write the plan as JSON and read it back, and let the checker judge it."""
    plan = dispatch(scenario, seed=seed)
    data = written_and_checked(scenario, plan)
    assert [g["id"] for g in data["groups"]] == [g.id for g in scenario.groups]
    for g in data["groups"]:
        assert (g["reason"] is None) == (g["status"] == "evacuated"), g
    return plan, data


def written_and_checked(scenario: Scenario, plan: Plan) -> dict:
    """The plan written as JSON and read back, after the checker found nothing wrong."""
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    violations = check_plan(scenario, data)
    assert violations == [], "\n".join(str(v) for v in violations)
    return data


def first_way(scenario: Scenario, seed: int = 0, index: _Index | None = None) -> tuple[Plan, dict]:
    """The dispatcher's first way alone (as families come, vehicles waiting to fill), its
    plan checked; `dispatch` also tries the other ways."""
    dispatcher = _Dispatcher(scenario, seed, index, fit=False, fill_wait=FILL_WAIT)
    dispatcher.run()
    plan = dispatcher.plan(0.0)
    return plan, written_and_checked(scenario, plan)


def dispatched(name: str) -> tuple[Scenario, Plan, dict]:
    scenario = read_scenario(SOLVE / f"{name}.yaml")
    plan, data = checked(scenario)
    return scenario, plan, data


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_plan_keeps_every_rule(path: Path) -> None:
    scenario = read_scenario(path)
    plan, data = checked(scenario)
    assert plan.status == "feasible" and plan.bound == {}
    assert data["solver"]["method"] == "greedy"


# name -> (evacuated, exposure, arrival), worked out by hand in each file: the dispatcher
# reaches the optimum on all of these but capacity.yaml (see its own test).
HAND_OUTCOMES = {
    "basic": (3, 6.0, 6.0),
    "shuttle": (12, 20.0, 20.0),
    "uneven": (9, 27.0, 27.0),
    "crossing_tz": (2, 5.0, 5.0),
    "curfew": (1, 21.0, 21.0),
    "handoff": (2, 7.0, 10.0),
    "checkin": (2, 38.0, 38.0),
    "throughput": (9, 13.5, 13.5),
    "own": (4, 8.0, 8.0),
    "priority": (4, 26.0, 8.0),
    "stay_aboard": (3, 6.0, 6.0),
    "flight_seats": (3, 0.0, 48.0),
    "shelter_fills": (20, 70.0, 70.0),
}


@pytest.mark.parametrize("name", sorted(HAND_OUTCOMES))
def test_hand_worked_outcome(name: str) -> None:
    _, _, data = dispatched(name)
    evacuated, exposure, arrival = HAND_OUTCOMES[name]
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["exposure"] == pytest.approx(exposure)
    assert data["objective"]["arrival"] == pytest.approx(arrival)


def test_shuttle_takes_two_families_then_comes_back_for_the_third() -> None:
    _, plan, data = dispatched("shuttle")
    (bus,) = plan.vehicles
    trips = [(leg.from_, leg.to, len(leg.groups)) for leg in bus.legs]
    assert trips == [("a", "b", 2), ("b", "a", 0), ("a", "b", 1)]
    assert data["objective"]["makespan"] == pytest.approx(3.0)


def test_once_a_shelter_is_full_the_bus_takes_whole_loads_to_the_other() -> None:
    # the two families left at p learn together that a is full, so both ride to b at once;
    # before, only the one the trip was for did, and the bus went twice (makespan 9 h)
    _, plan, data = dispatched("shelter_fills")
    (bus,) = plan.vehicles
    trips = [(leg.from_, leg.to, len(leg.groups)) for leg in bus.legs]
    assert trips == [("a", "p", 0), ("p", "a", 2), ("a", "p", 0), ("p", "b", 2)]
    assert data["objective"]["makespan"] == pytest.approx(5.0)


def test_uneven_families_never_share_the_van() -> None:
    _, plan, _ = dispatched("uneven")
    (van,) = plan.vehicles
    assert [len(leg.groups) for leg in van.legs if leg.to == "b"] == [1, 1, 1]


def test_handoff_walks_across_between_two_buses() -> None:
    _, plan, _ = dispatched("handoff")
    group = plan.group("F")
    assert group.status == "evacuated"
    assert [(leg.kind, leg.vehicle) for leg in group.legs] == [
        ("road", "ly_bus-1"),
        ("crossing", None),
        ("road", "tn_bus-1"),
    ]
    road, walk, bus = group.legs
    assert (walk.depart - road.arrive).total_seconds() == 1800
    assert (bus.depart - walk.arrive).total_seconds() == 1800


def test_checkin_to_the_minute_and_the_late_group_stays() -> None:
    _, plan, _ = dispatched("checkin")
    e1 = plan.group("E1")
    assert e1.status == "evacuated"
    road, flight = e1.legs
    assert (flight.depart - road.arrive).total_seconds() == 3600
    e2 = plan.group("E2")
    assert e2.status == "left_behind" and e2.legs == ()
    assert e2.reason is not None and e2.reason.startswith("ready too late")


def test_capacity_second_family_arrives_once_the_first_has_left() -> None:
    _, plan, data = dispatched("capacity")
    assert data["objective"]["evacuated"] == 6
    # Not the optimum (24): the second family waits to cross until the first is gone.
    a, b = plan.group("A"), plan.group("B")
    assert b.legs[0].arrive >= a.legs[1].depart


def test_flight_seats_go_to_the_critical_family() -> None:
    _, plan, _ = dispatched("flight_seats")
    assert plan.group("C").status == "evacuated"
    n = plan.group("N")
    assert n.status == "safe"
    assert n.reason is not None and "RU2" in n.reason


def test_stay_aboard_needs_no_transfer() -> None:
    _, plan, _ = dispatched("stay_aboard")
    first, second = plan.group("F").legs
    assert first.vehicle == second.vehicle and second.depart == first.arrive


def test_tripoli_everybody_leaves() -> None:
    scenario = read_scenario(TRIPOLI)
    plan, data = checked(scenario)
    assert data["objective"]["evacuated"] == scenario.people == 118
    # The Libyan minibuses stay in Libya; their passengers walk across at Ras Ajdir.
    for vehicle in plan.vehicles:
        if vehicle.fleet == "minibus":
            assert all(leg.kind == "road" for leg in vehicle.legs)


def test_same_seed_same_plan_and_every_seed_keeps_the_rules() -> None:
    scenario = read_scenario(TRIPOLI)
    first = plan_to_dict(dispatch(scenario, seed=5), scenario)
    second = plan_to_dict(dispatch(scenario, seed=5), scenario)
    for d in (first, second):
        d["solver"].pop("seconds")
    assert first == second
    for seed in (1, 2):
        _, data = checked(scenario, seed=seed)
        assert data["objective"]["evacuated"] == 118


ONE_TRIP = parse_scenario("""
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 3h}
locations:
  a: {country: LY, danger: true}
  b: {country: TN}
roads: [{from: a, to: b, duration: 2h}]
fleet: [{id: bus, seats: 4, at: a}]
groups:
  - {id: F1, at: a, destination: b, size: 2}
  - {id: F2, at: a, destination: b, size: 3}
  - {id: F3, at: a, destination: b, size: 2}
""")
"""One bus of 4 seats, time for one trip of 2 hours: F1 and F3 together (4 people) is the
best load; F2 first (3) leaves no room for the others. The three tie, so the seed decides
who is served first."""


def test_several_seeds_keep_the_best_plan_and_hand_over_the_first_seeds() -> None:
    by_seed = {seed: dispatch(ONE_TRIP, seed=seed).objective["evacuated"] for seed in range(12)}
    assert set(by_seed.values()) == {3, 4}  # some seeds serve F2 first
    worse = [seed for seed, people in by_seed.items() if people == 3]
    better = [seed for seed, people in by_seed.items() if people == 4]
    handed: list[Plan] = []
    plan = dispatch_seeds(ONE_TRIP, [worse[0], better[0]], first=handed.append)
    assert plan.objective["evacuated"] == 4
    assert {g.id for g in plan.groups if g.status == "evacuated"} == {"F1", "F3"}
    assert [p.objective["evacuated"] for p in handed] == [3]
    written_and_checked(ONE_TRIP, plan)
    # with no time left, one dispatch with the first seed and nothing more
    late = dispatch_seeds(ONE_TRIP, [worse[0], better[0]], deadline=time.monotonic() - 1)
    assert late.objective["evacuated"] == 3


def test_the_podium_keeps_the_best_dispatches_best_first() -> None:
    # ONE_TRIP: F1 and F3 (4 people) with one seed, F2 (3) with another; every way of a
    # seed gives the same plan, so the podium holds two however large it is: the best and
    # one runner-up
    by_seed = {seed: dispatch(ONE_TRIP, seed=seed).objective["evacuated"] for seed in range(12)}
    worse = next(seed for seed, people in by_seed.items() if people == 3)
    better = next(seed for seed, people in by_seed.items() if people == 4)
    podium = Podium(3)
    plan = dispatch_seeds(ONE_TRIP, [worse, better], podium=podium)
    assert plan.objective["evacuated"] == 4
    plans = [make() for make in podium.runners_up()]
    assert [p.objective["evacuated"] for p in plans] == [3]
    assert {g.id for g in plans[0].groups if g.status == "evacuated"} == {"F2"}
    written_and_checked(ONE_TRIP, plans[0])
    podium = Podium(1)
    dispatch_seeds(ONE_TRIP, [worse, better], podium=podium)
    assert list(podium.runners_up()) == []


def test_steering_sends_early_families_where_seats_went_empty() -> None:
    # worked out in the file's comment: 120 as it comes, 180 with 60 of the first by ferry
    scenario = read_scenario(SOLVE / "steer.yaml")
    plain = dispatch(scenario)
    assert plain.objective["evacuated"] == 120
    assert {plain.group(f"L-{n:02}").status for n in range(1, 16)} == {"safe"}
    plan = dispatch_seeds(scenario, [0], steer=True)
    assert plan.objective["evacuated"] == 180
    flown: dict[str, int] = {}
    for group in plan.groups:
        for leg in group.legs:
            if leg.service:
                flown[leg.service] = flown.get(leg.service, 0) + group.people
    assert flown == {"S1": 60, "F1": 60, "N1": 60, "N2": 60}
    written_and_checked(scenario, plan)
    # no time for it: the plan as it comes
    late = dispatch_seeds(scenario, [0], deadline=time.monotonic() - 1, steer=True)
    assert late.objective["evacuated"] == 120


def test_steering_looks_at_every_family_of_a_town_not_only_its_first() -> None:
    # steer.yaml with a passport-only ferry, passports for the families bound home, and a
    # worker with an identity card, ready first, bound for a camp by road; the first
    # families ready half an hour later, still in time for the ferry and the first flight.
    # The ferry does not take the worker, yet the families of the same town may go by it
    text = (SOLVE / "steer.yaml").read_text()
    text = text.replace("  far: {country: MT}", "  far: {country: MT}\n  camp: {country: TN}")
    text = text.replace(
        "  - {from: town, to: near, duration: 1h}",
        "  - {from: town, to: near, duration: 1h}\n  - {from: town, to: camp, duration: 1h}",
    )
    text = text.replace("seats: 200}", "seats: 200, documents: [passport]}")
    text = text.replace(
        "destination: home}", "destination: home, documents: [passport], ready: +30m}"
    )
    text = text.replace("ready: +6h}", "ready: +6h, documents: [passport]}")
    text += "  - {id: W, size: 1, at: town, destination: camp, documents: [id_card]}\n"
    scenario = parse_scenario(text)
    assert dispatch(scenario).objective["evacuated"] == 121  # the worker and 120 home
    assert dispatch_seeds(scenario, [0], steer=True).objective["evacuated"] == 181


# --- reasons ------------------------------------------------------------------------------

HEAD = """
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
locations:
  a: {country: LY, danger: true}
  post: {country: LY, danger: true}
  b: {country: TN}
  c: {country: TN}
"""


def test_reason_documents_not_accepted() -> None:
    scenario = parse_scenario(
        HEAD
        + """
crossings: [{id: x, from: a, to: b, processing: 1h, documents: [passport]}]
groups: [{id: G, at: a, destination: b, size: 2, documents: [id_card]}]
"""
    )
    plan, _ = checked(scenario)
    group = plan.group("G")
    assert group.status == "left_behind"
    assert group.reason is not None and "documents" in group.reason


def test_reason_more_seats_than_any_vehicle() -> None:
    scenario = parse_scenario(
        HEAD
        + """
roads: [{from: a, to: b, duration: 1h}]
fleet: [{id: car, seats: 4, at: a}]
groups: [{id: G, at: a, destination: b, size: 5}]
"""
    )
    plan, _ = checked(scenario)
    group = plan.group("G")
    assert group.status == "left_behind"
    assert group.reason is not None and "5 seats" in group.reason


def test_reason_no_vehicle_free_in_time() -> None:
    # One 4-seat car, 3 h each way, 12 h: trips at 0 h and 6 h; the third family stays.
    scenario = parse_scenario(
        HEAD
        + """
roads: [{from: a, to: b, duration: 3h}]
fleet: [{id: car, seats: 4, at: a}]
groups: [{id: F, count: 3, at: a, destination: b, size: 4}]
"""
    )
    plan, data = checked(scenario)
    assert data["objective"]["evacuated"] == 8
    stuck = plan.group("F-3")
    assert stuck.status == "left_behind"
    assert stuck.reason is not None and "capacity ran out at vehicles" in stuck.reason


def test_reason_crossing_throughput_runs_out() -> None:
    # 2 people an hour, open 08:00-10:00: two families of 2 cross, the third does not.
    scenario = parse_scenario(
        HEAD
        + """
crossings: [{id: x, from: a, to: b, processing: 30m, throughput: 2, open: ["08:00-10:00"]}]
groups: [{id: F, count: 3, at: a, destination: b, size: 2}]
"""
    )
    plan, data = checked(scenario)
    assert data["objective"]["evacuated"] == 4
    stuck = plan.group("F-3")
    assert stuck.status == "left_behind"
    assert stuck.reason is not None and "capacity ran out at crossing x" in stuck.reason


def test_out_of_danger_when_no_destination_can_be_reached() -> None:
    # The flight to c takes passports only; the family at least walks across to b.
    scenario = parse_scenario(
        HEAD
        + """
crossings: [{id: x, from: a, to: b, processing: 1h}]
flights: [{id: F1, from: b, to: c, departs: +5h, duration: 1h, seats: 9, documents: [passport]}]
groups: [{id: G, at: a, destination: c, size: 2, documents: [id_card]}]
"""
    )
    plan, _ = checked(scenario)
    group = plan.group("G")
    assert group.status == "safe"
    assert [leg.to for leg in group.legs] == ["b"]
    assert group.reason is not None and "out of the danger zone to b" in group.reason


def test_a_vehicle_picks_up_on_its_way() -> None:
    # The bus from a passes post on its way to b and takes the family waiting there.
    scenario = parse_scenario(
        HEAD
        + """
roads: [{from: a, to: post, duration: 1h}, {from: post, to: b, duration: 1h}]
fleet: [{id: bus, seats: 8, at: a}]
groups:
  - {id: A, at: a, destination: b, size: 4}
  - {id: P, at: post, destination: b, size: 4}
"""
    )
    plan, _ = checked(scenario)
    (bus,) = plan.vehicles
    assert [(leg.from_, leg.to, leg.groups) for leg in bus.legs] == [
        ("a", "post", ("A",)),
        ("post", "b", ("A", "P")),
    ]


def test_a_vehicle_is_kept_back_for_a_family_ready_later() -> None:
    # A bus of 6 seats and a car of 4, 2 h each way. Two families of 3 are ready at once,
    # a family of 5 an hour later: only the bus can take it.
    # First come, first served: the bus takes both families of 3 at 0 h (arrive 2 h:
    # 6 * 2 = 12) and is back for the 5 at 4 h (arrive 6 h: 5 * 6 = 30): 42.
    # Keeping the bus back: the car takes one family of 3 at 0 h (3 * 2 = 6), the bus the
    # 5 at 1 h (5 * 3 = 15), the car comes back for the other 3 at 4 h (3 * 6 = 18): 39.
    # Nothing does better: the 5 need the bus, which then cannot also take a family of 3
    # (5 + 3 > 6); it leaves at 1 h at the soonest, or at 4 h after a first trip. Leaving
    # at 1 h, the two families of 3 need the car twice (6 + 18, or the bus from 5 h);
    # leaving at 4 h, 30 for the 5 and at least 12 for the others.
    scenario = parse_scenario(
        HEAD
        + """
roads: [{from: a, to: b, duration: 2h}]
fleet:
  - {id: bus, seats: 6, at: a}
  - {id: car, seats: 4, at: a}
groups:
  - {id: A, count: 2, at: a, destination: b, size: 3}
  - {id: L, at: a, destination: b, size: 5, ready: +1h}
"""
    )
    plan, data = checked(scenario)
    assert data["objective"]["evacuated"] == 11
    assert data["objective"]["exposure"] == pytest.approx(39.0)
    assert data["objective"]["arrival"] == pytest.approx(39.0)
    (leg,) = plan.group("L").legs
    assert leg.vehicle == "bus-1"
    assert leg.depart - scenario.start == timedelta(hours=1)
    cars = [leg.groups for leg in next(v for v in plan.vehicles if v.id == "car-1").legs]
    assert cars == [("A-1",), (), ("A-2",)]


def test_tripoli_meets_the_exposure_bound() -> None:
    # Two families of 5 are ready later (F10 at +2 h, F13 at +4 h) and need a minibus:
    # one is kept back for each while cars take what the first wave leaves, so every
    # family reaches Tunisia as soon as its way allows (the model's static bounds).
    scenario = read_scenario(TRIPOLI)
    _, data = checked(scenario)
    assert data["objective"]["evacuated"] == 118
    # 894.0 is the bound that holds for any plan (static_bounds): every family is safe as
    # soon as its way allows
    assert data["objective"]["exposure"] == pytest.approx(894.0)


# --- any scenario -------------------------------------------------------------------------


def random_scenario(seed: int, on_grid: bool = False) -> str:
    """A small scenario with a bit of everything: closures, open hours, throughput,
    documents, capacities, transfers, fleets limited to countries, flights, own cars,
    groups ready before the start. `on_grid`: every time a whole number of 15 minutes."""
    text = _random_scenario(seed)
    if on_grid:
        text = re.sub(r"step: \w+", "step: 15m", text)
        text = (
            text.replace("37m", "45m")
            .replace("1h10m", "1h15m")
            .replace("transfer: 5m", "transfer: 15m")
        )
    return text


def _random_scenario(seed: int) -> str:
    r = random.Random(seed)
    places = [f"p{i}" for i in range(r.randint(3, 7))]
    country = {p: r.choice(["LY", "TN", "EG"]) for p in places}
    # Also a start on the night the clocks go back, and a grid that does not divide the hour.
    start = r.choice(["2013-10-03T06:00+02:00", "2013-10-26T20:00, timezone: Europe/Berlin"])
    horizon = r.choice([12, 13, 24, 36])
    step = r.choice(["10m", "15m", "25m", "30m", "1h"])
    lines = [
        f"scenario: {{name: any, start: {start}, horizon: {horizon}h, step: {step}}}",
        "locations:",
    ]
    for p in places:
        extra = r.choice(["", ", timezone: Africa/Tunis", ", timezone: Europe/Moscow"])
        if r.random() < 0.5:
            extra += ", danger: true"
        if r.random() < 0.4:
            extra += f", transfer: {r.choice([5, 15, 30, 45])}m"
        if r.random() < 0.3:
            extra += f", capacity: {r.randint(2, 20)}"
        lines.append(f"  {p}: {{country: {country[p]}{extra}}}")
    lines.append("roads:")
    for _ in range(r.randint(1, 2 * len(places))):
        a, b = r.sample(places, 2)
        extra = ", both_ways: false" if r.random() < 0.3 else ""
        if r.random() < 0.3:
            extra += ", closed: [" + r.choice(['"22:00-06:00"', "{from: +3h, to: +5h}"]) + "]"
        duration = r.choice(["15m", "37m", "1h", "2h", "1h10m"])
        lines.append(f"  - {{from: {a}, to: {b}, duration: {duration}{extra}}}")
    lines.append("crossings:")
    for i in range(r.randint(0, 3)):
        a, b = r.sample(places, 2)
        extra = f", throughput: {r.randint(2, 20)}" if r.random() < 0.6 else ""
        if r.random() < 0.4:
            extra += ", open: [" + r.choice(['"07:00-19:00"', '"22:00-06:00"']) + "]"
        if r.random() < 0.3:
            extra += ", closed: [" + r.choice(["{from: +2h, to: +4h}", '"12:00-13:00"']) + "]"
        if r.random() < 0.3:
            extra += ", documents: [passport]"
        if r.random() < 0.5:
            extra += ", vehicles: false"
        lines.append(
            f"  - {{id: x{i}, from: {a}, to: {b}, processing: {r.choice(['30m', '1h'])}{extra}}}"
        )
    lines.append("fleet:")
    for i in range(r.randint(0, 3)):
        at = r.choice(places)
        countries = sorted({country[at], *r.sample(["LY", "TN", "EG"], r.randint(0, 2))})
        lines.append(
            f"  - {{id: k{i}, count: {r.randint(1, 3)}, seats: {r.randint(2, 12)}, at: {at}, "
            f"available: +{r.randint(0, 4)}h, countries: [{', '.join(countries)}]}}"
        )
    lines.append("flights:")
    for i in range(r.randint(0, 2)):
        a, b = r.sample(places, 2)
        extra = ", documents: [passport]" if r.random() < 0.3 else ""
        lines.append(
            f"  - {{id: f{i}, from: {a}, to: {b}, departs: +{r.randint(1, 10)}h, duration: 2h, "
            f"seats: {r.randint(1, 12)}, check_in: {r.choice(['0m', '30m', '1h'])}{extra}}}"
        )
    lines.append("groups:")
    for i in range(r.randint(1, 12)):
        destinations = ", ".join(r.sample(places, r.randint(1, 2)))
        extra = f", ready: {r.choice('+-')}{r.randint(0, 6)}h" if r.random() < 0.5 else ""
        if r.random() < 0.4:
            extra += ", priority: " + r.choice(["critical", "high"])
        if r.random() < 0.2:
            extra += ", own_vehicle: true"
        if r.random() < 0.7:
            extra += ", documents: [" + r.choice(["passport", "id_card"]) + "]"
        if r.random() < 0.3:
            extra += ", members: [{name: a}, {name: b, seats: 2}, {name: c, documents: [passport]}]"
        else:
            extra += f", size: {r.randint(1, 5)}"
            if r.random() < 0.3:
                extra += f", count: {r.randint(2, 4)}"
        at = r.choice(places)
        lines.append(f"  - {{id: g{i}, at: {at}, destination: [{destinations}]{extra}}}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=3))
def test_any_scenario_gets_a_plan_that_keeps_every_rule(seed: int, dispatch_seed: int) -> None:
    scenario = parse_scenario(random_scenario(seed))
    checked(scenario, seed=dispatch_seed)


@pytest.mark.parametrize("seed", range(40))
def test_the_walks_bound_every_dispatched_plan(seed: int) -> None:
    # the walk relaxation (planner.walks) holds for every plan that gets as many people
    # home: for the dispatcher's too, on random scenarios on the grid, made to minimise the
    # makespan
    text = random_scenario(seed, on_grid=True) + "objective: [evacuated, makespan]\n"
    scenario = parse_scenario(text)
    model = EvacuationModel(scenario, build=False)
    if not walks_fit(model):
        pytest.skip("no vehicle, or not on the grid")
    plan, _ = checked(scenario)
    if plan.objective["makespan"] is None:
        pytest.skip("nobody evacuated")
    latest = Walks(model, int(plan.objective["evacuated"] or 0)).earliest(time.monotonic() + 10)
    assert latest is not None
    assert latest * model.grid.step <= float(plan.objective["makespan"]) * 3600 + 1e-6


def test_a_full_shelter_sends_the_rest_to_the_other() -> None:
    # full_shelter.yaml: 8 families of 5 may go to b (1 h away, holds 20) or c (2 h away).
    # Once b holds 20 for good, the families still waiting must go to c: all 40 evacuated,
    # 20 at each shelter.
    scenario = read_scenario(Path(__file__).parent / "data" / "shuttle" / "full_shelter.yaml")
    plan = dispatch(scenario)
    written_and_checked(scenario, plan)
    assert plan.objective["evacuated"] == 40
    ends = [g.legs[-1].to for g in plan.groups]
    assert ends.count("b") == 4 and ends.count("c") == 4


STEP_30M = "scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h, step: 30m}\n"


def test_a_vehicle_does_not_wait_to_fill_when_its_passengers_would_miss_their_flight() -> None:
    # The bus may wait up to an hour for more families to fill it, but not when waiting
    # makes those aboard miss their flight. E is ready at 1 h and reaches the airport at
    # 2 h, just in time for F1's check-in (3 h, 60 min); L is ready at 1 h 30. Waiting for
    # L, both would miss F1 and fly on F2 (home at 10 h: arrival 2 * 10 + 2 * 10 = 40).
    # Leaving at once, E flies on F1 (home at 5 h), the bus is back at 3 h for L, who
    # flies on F2: arrival 2 * 5 + 2 * 10 = 30, the least there is (L cannot be at the
    # airport by 2 h), and exposure the same, since the airport is in danger too.
    scenario = parse_scenario(
        STEP_30M
        + """
locations:
  a: {country: LY, danger: true}
  airport: {country: LY, danger: true}
  home: {country: RU}
roads: [{from: a, to: airport, duration: 1h}]
fleet: [{id: bus, seats: 8, at: a}]
flights:
  - {id: F1, from: airport, to: home, departs: +3h, duration: 2h, seats: 100, check_in: 60m}
  - {id: F2, from: airport, to: home, departs: +8h, duration: 2h, seats: 100, check_in: 60m}
groups:
  - {id: E, at: a, destination: home, size: 2, ready: +1h}
  - {id: L, at: a, destination: home, size: 2, ready: +1h30m}
"""
    )
    # the way that waits to fill, on its own (dispatch also tries ways that never wait)
    plan, data = first_way(scenario)
    assert data["objective"]["evacuated"] == 4
    assert data["objective"]["arrival"] == pytest.approx(30.0)
    assert data["objective"]["exposure"] == pytest.approx(30.0)
    assert [leg.service for leg in plan.group("E").legs] == [None, "F1"]
    assert [leg.service for leg in plan.group("L").legs] == [None, "F2"]


def test_families_with_a_flight_to_catch_are_served_first() -> None:
    # One bus of 4 seats and two families of 4, ready at once, of the same priority: W is
    # bound for the camp, H for home on F (check-in by 1 h 30, the airport 1 h away). The
    # bus takes H first (at the airport at 1 h), is back at 2 h for W (at the camp at 3 h):
    # both evacuated. Taking W first, the bus is back at 2 h and H misses F. Whatever the
    # seed (which orders families that tie), H goes first.
    scenario = parse_scenario(
        STEP_30M
        + """
locations:
  a: {country: LY, danger: true}
  camp: {country: TN}
  airport: {country: LY, danger: true}
  home: {country: RU}
roads: [{from: a, to: camp, duration: 1h}, {from: a, to: airport, duration: 1h}]
fleet: [{id: bus, seats: 4, at: a}]
flights:
  - {id: F, from: airport, to: home, departs: +2h30m, duration: 2h, seats: 100, check_in: 60m}
groups:
  - {id: W, at: a, destination: camp, size: 4}
  - {id: H, at: a, destination: home, size: 4}
"""
    )
    for seed in range(8):
        plan, data = checked(scenario, seed)
        assert data["objective"]["evacuated"] == 8, seed
        assert [leg.service for leg in plan.group("H").legs] == [None, "F"]
        assert plan.group("W").legs[0].depart - scenario.start == timedelta(hours=2)


def test_at_a_busy_crossing_those_with_a_flight_to_catch_book_their_hour_first() -> None:
    # W (for the camp) and H (for home on F) ride the same bus to the exit post, there at
    # 1 h; the crossing takes 4 people an hour. H books the 1 h crossing as it sets off:
    # at the entry post at 2 h, at the airport by coach at 3 h, in time for F's check-in.
    # W, with no flight to catch, takes its hour once there: 1 h is taken, so 2 h; the one
    # coach, back from the airport at 4 h, has it at the camp at 4 h 30. Had W taken the
    # 1 h crossing, H would reach the airport at 4 h, too late for F.
    # Exposure: H safe at 2 h (4 * 2), W at 3 h (4 * 3): 20. Arrival: H home at 6 h
    # (4 * 6), W at the camp at 4 h 30 (4 * 4.5): 42. Whatever the seed, the way that
    # serves families as they come (which leads the bus with W or H by seed) gets this.
    scenario = parse_scenario(
        STEP_30M
        + """
locations:
  a: {country: LY, danger: true}
  exit: {country: LY, danger: true}
  entry: {country: TN}
  camp: {country: TN}
  airport: {country: TN}
  home: {country: RU}
roads:
  - {from: a, to: exit, duration: 1h}
  - {from: entry, to: camp, duration: 30m}
  - {from: entry, to: airport, duration: 1h}
crossings:
  - {id: x, from: exit, to: entry, processing: 1h, throughput: 4, vehicles: false}
fleet:
  - {id: bus, seats: 8, at: a, countries: [LY]}
  - {id: coach, seats: 8, at: entry, countries: [TN]}
flights:
  - {id: F, from: airport, to: home, departs: +4h, duration: 2h, seats: 100, check_in: 60m}
groups:
  - {id: W, at: a, destination: camp, size: 4}
  - {id: H, at: a, destination: home, size: 4}
"""
    )
    index = _Index(scenario)
    for seed in range(8):
        plan, data = first_way(scenario, seed, index)
        assert data["objective"]["evacuated"] == 8, seed
        assert data["objective"]["exposure"] == pytest.approx(20.0)
        assert data["objective"]["arrival"] == pytest.approx(42.0)
        crossing = next(leg for leg in plan.group("H").legs if leg.kind == "crossing")
        assert crossing.depart - scenario.start == timedelta(hours=1)


# ---- guided by the relaxation

GATE = ("crossing", "town", "edge", "gate")
BEYOND = ("flight", "edge", "home", "RU2")


def guided_across(scenario: Scenario) -> tuple[Plan, dict]:
    """guide.yaml's four families guided across the border and on by RU2: the plan, checked,
    and its JSON."""
    ways = {f"F-{n}": frozenset({GATE, BEYOND}) for n in range(1, 5)}
    plan = dispatch_guided(scenario, ways, [0])
    return plan, written_and_checked(scenario, plan)


def assert_outcome(data: dict, evacuated: int, exposure: float, arrival: float) -> None:
    assert data["objective"]["evacuated"] == evacuated
    assert data["objective"]["exposure"] == pytest.approx(exposure)
    assert data["objective"]["arrival"] == pytest.approx(arrival)


def test_guided_families_are_safe_sooner() -> None:
    # guide.yaml, worked out in the file: as it comes, every family takes the first charter
    # (home soonest, safe at 8 h); guided across the border, all are safe at 30 min
    scenario = read_scenario(SOLVE / "guide.yaml")
    plain = dispatch(scenario)
    assert plain.objective["exposure"] == pytest.approx(96.0)
    plan, data = guided_across(scenario)
    assert_outcome(data, 12, 6.0, 120.0)
    for group in plan.groups:
        assert [leg.crossing or leg.service for leg in group.legs] == ["gate", "RU2"]


def test_a_guide_that_does_not_get_a_family_home_is_dropped() -> None:
    # guide.yaml with 6 seats beyond the border: two families guided there fly on, the
    # other two find the charter full and, safe but not home, lose their guide: the plan is
    # made again and they take the first charter. Exposure 6 * 0.5 + 6 * 8 = 51, arrival
    # 6 * 10 + 6 * 8 = 108.
    text = (SOLVE / "guide.yaml").read_text().replace("+10h, seats: 60", "+10h, seats: 6")
    _, data = guided_across(parse_scenario(text))
    assert_outcome(data, 12, 51.0, 108.0)


def test_a_family_lost_without_its_guide_too_leaves_danger_another_way() -> None:
    # guide.yaml with 6 seats beyond the border, on a charter that now gets home sooner
    # (+4 h to +7 h) than the one from town (+8 h): the quickest way home of every family
    # crosses, and two find the charter full (as it comes: 6 evacuated). Guided, the two
    # lose their guide, cross again as it comes and are lost again; then they may not
    # cross, and take the charter from town. Exposure 6 * 0.5 + 6 * 8 = 51, arrival
    # 6 * 7 + 6 * 8 = 90.
    text = (SOLVE / "guide.yaml").read_text()
    text = text.replace("+6h, arrives: +10h, seats: 60", "+4h, arrives: +7h, seats: 6")
    scenario = parse_scenario(text)
    assert dispatch(scenario).objective["evacuated"] == 6
    plan, data = guided_across(scenario)
    assert_outcome(data, 12, 51.0, 90.0)
    ways_taken = sorted([leg.crossing or leg.service for leg in g.legs] for g in plan.groups)
    assert ways_taken == [["RU1"], ["RU1"], ["gate", "RU2"], ["gate", "RU2"]]


def test_a_guide_that_leads_nowhere_is_ignored() -> None:
    # a way by links the scenario does not have: the family goes as it comes (RU1, 8 h);
    # families with no guide at all too
    scenario = read_scenario(SOLVE / "guide.yaml")
    ways = {"F-1": frozenset({("flight", "town", "home", "RU9")})}
    data = written_and_checked(scenario, dispatch_guided(scenario, ways, [0]))
    assert_outcome(data, 12, 96.0, 96.0)


COACH_AND_BUS = """
  far: {country: LY, danger: true}
roads:
  - {from: a, to: b, duration: 1h}
  - {from: post, to: a, duration: 1h}
  - {from: far, to: a, duration: 3h}
fleet:
  - {id: coach, seats: 4, at: far}
  - {id: bus, seats: 4, at: post, available: +30m}
groups:
  - {id: F, at: a, destination: b, size: 4, ready: +1h}
"""


@pytest.mark.parametrize("fit", [False, True])
def test_only_a_vehicle_free_there_now_keeps_another_from_coming(fit: bool) -> None:
    # A family of 4 is ready at a at 1 h. At 0 h the coach, free at far, 3 h from a, is
    # sent for it (there at 3 h). At 0.5 h the bus comes free at post, 1 h from a.
    # Counting the coach on its way as coming for the family, the bus stays: the family
    # leaves with the coach at 3 h and is safe at b at 4 h (exposure 4 * 4 = 16). Counting
    # only vehicles free at a now, the bus goes too, is there at 1.5 h and takes the family:
    # safe at 2.5 h (exposure 4 * 2.5 = 10).
    scenario = parse_scenario(HEAD + COACH_AND_BUS)
    for idle_cover, vehicle, leaves, exposure in (
        (False, "coach-1", 3, 16),
        (True, "bus-1", 1.5, 10),
    ):
        dispatcher = _Dispatcher(scenario, 0, fit=fit, idle_cover=idle_cover)
        dispatcher.run()
        plan = dispatcher.plan(0.0)
        data = written_and_checked(scenario, plan)
        (leg,) = plan.group("F").legs
        assert (leg.vehicle, leg.depart - scenario.start) == (vehicle, timedelta(hours=leaves))
        assert data["objective"]["exposure"] == pytest.approx(exposure)


def test_the_guided_dispatcher_counts_only_vehicles_free_there_now() -> None:
    # the scenario above; the guided dispatcher's first dispatch alone (by the deadline
    # given, no vehicle is kept back for the family): the bus comes, exposure 10
    scenario = parse_scenario(HEAD + COACH_AND_BUS)
    way = {"F": frozenset({way_link("road", "a", "b", "")})}
    guided = dispatch_guided(scenario, way, [0], deadline=time.monotonic())
    assert written_and_checked(scenario, guided)["objective"]["exposure"] == pytest.approx(10)


def test_empty_drives_back_to_where_a_vehicle_was_and_after_its_last_load_are_not_driven() -> None:
    # to b and back empty, then loaded to c: it waits at a and drives the last move only
    assert driven([("a", "b"), ("b", "a"), ("a", "c")], [False, False, True]) == [2]
    # empty a to b to c, then loaded: no loop, every move is driven
    assert driven([("a", "b"), ("b", "c"), ("c", "d")], [False, False, True]) == [0, 1, 2]
    # loaded, then empty to a and back to b, loaded again; and an empty move at the end
    ends = [("x", "b"), ("b", "a"), ("a", "b"), ("b", "y"), ("y", "z")]
    assert driven(ends, [True, False, False, True, False]) == [0, 3]
    # empty b to a and back is not driven; b to a again is, for the load from a
    ends = [("b", "a"), ("a", "b"), ("b", "a"), ("a", "c")]
    assert driven(ends, [False, False, False, True]) == [2, 3]


def test_a_family_whose_vehicle_can_never_come_takes_the_flight() -> None:
    # By hand: the only vehicle with room for a family of two, the van, takes the first
    # family of two down the one-way road at 06:00 and can never come back; the car has
    # one seat. The family ready at 06:05 then takes the 06:30 flight, which has seats
    # left after the critical family of three: all 7 evacuated, where waiting for the van
    # to the end left it behind.
    scenario = parse_scenario(
        """
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 4h, step: 15m}
locations:
  town: {country: LY, transfer: 15m}
  camp: {country: LY}
roads: [{from: town, to: camp, duration: 15m, both_ways: false}]
fleet:
  - {id: car, seats: 1, at: town}
  - {id: van, seats: 2, at: town}
flights:
  - {id: FL1, from: town, to: camp, departs: +30m, duration: 30m, seats: 6, check_in: 0m,
     documents: [visa]}
groups:
  - {id: LATE, at: town, destination: camp, ready: +5m, size: 2, documents: [visa]}
  - {id: FIRST, at: town, destination: camp, size: 2, documents: [passport]}
  - {id: CRIT, at: town, destination: camp, priority: critical, size: 3, documents: [visa]}
"""
    )
    plan, data = checked(scenario)
    assert data["objective"]["evacuated"] == 7
    assert [(leg.kind, leg.vehicle) for leg in plan.group("FIRST").legs] == [("road", "van-1")]
    assert [leg.service for leg in plan.group("LATE").legs] == ["FL1"]
    assert [leg.service for leg in plan.group("CRIT").legs] == ["FL1"]


SCARCE_VAN = """
scenario: {name: scarce, start: 2013-10-03T06:00+02:00, horizon: 24h}
locations:
  town: {country: LY, danger: true}
  port: {country: LY, danger: true}
  far: {country: TN}
  home: {country: RU}
roads:
  - {from: town, to: port, duration: 30m}
  - {from: town, to: far, duration: 7h}
fleet:
  - {id: van, seats: 4, at: town}
flights:
  - {id: F, from: far, to: home, departs: +8h, arrives: +10h, seats: 100, check_in: 1h}
sailings:
  - {id: S, from: port, to: home, departs: +5h, arrives: +13h, seats: 100, check_in: 1h}
groups:
  - {id: F, count: 4, at: town, destination: home, size: 4}
"""


def test_weighing_the_time_in_vehicles_gets_everyone_home_with_one_van() -> None:
    """Four families of 4 and one van of 4. The quickest way home is the 7 h drive to
    `far` and the flight at +8 h (home at +10 h), but the van is back only at +14 h: the
    dispatcher alone gets F-1 home, drives F-2 to `far` after the flight has gone (safe
    there at +21 h) and leaves the others: evacuated 4; exposure 4*7 + 4*21 + 8*24 = 304;
    arrival 4*10 + 12*24 = 328. Weighing each hour in a vehicle as much as an hour of
    arrival, the sailing (+13 h home, 30 minutes by van) costs 13.5 against 17: the van
    takes a family to the port at +0, +1, +2 and +3 h, all in time for the sailing's
    check-in at +4 h: evacuated 16, exposure and arrival 16*13 = 208. A solve's dispatch
    tries both and keeps the second."""
    scenario = parse_scenario(SCARCE_VAN)
    plain = dispatch(scenario)
    written_and_checked(scenario, plain)
    assert plain.objective == {
        "evacuated": 4,
        "exposure": 304.0,
        "arrival": 328.0,
        "makespan": 10.0,
    }
    weighed = dispatch_seeds(scenario, [0], driving=None)
    written_and_checked(scenario, weighed)
    assert weighed.objective == {
        "evacuated": 16,
        "exposure": 208.0,
        "arrival": 208.0,
        "makespan": 13.0,
    }
    starts = sorted(
        (g.legs[0].depart - scenario.start) / timedelta(hours=1) for g in weighed.groups
    )
    assert starts == [0.0, 1.0, 2.0, 3.0]
    assert all(g.legs[-1].service == "S" for g in weighed.groups)
