"""What-if variants: read and checked in place, applied without touching the base, solved."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from broken_files import assert_refused_as_expected

from planner.check import check_plan
from planner.errors import ScenarioError
from planner.model import SolveParameters, solve
from planner.plan import plan_to_dict
from planner.read import parse_scenario, read_scenario
from planner.scenario import (
    AddService,
    CancelService,
    ChangeFleet,
    CloseCrossing,
    CloseRoad,
    DelayGroups,
    Scenario,
)
from planner.variants import apply_variant, describe_change

DATA = Path(__file__).parent / "data" / "variants"
BAD = DATA / "bad"
PLUS2 = timezone(timedelta(hours=2))


def hours_after_start(scenario: Scenario, when: object) -> float:
    from datetime import datetime

    assert isinstance(when, datetime)
    return (when - scenario.start).total_seconds() / 3600


@pytest.fixture(scope="module")
def every() -> Scenario:
    return read_scenario(DATA / "every_change.yaml")


# --------------------------------------------------------------------------- reading


def test_variants_are_kept_unapplied_in_file_order(every: Scenario) -> None:
    assert list(every.variants) == ["all-kinds", "sailing-back"]
    variant = every.variants["all-kinds"]
    assert variant.description == "one of each"
    assert len(variant.changes) == 11
    close = variant.changes[0]
    assert isinstance(close, CloseCrossing)
    # `to` left out: closed until the end of the horizon (24 h)
    assert hours_after_start(every, close.window.start) == 2
    assert close.window.end == every.end
    road = variant.changes[1]
    assert isinstance(road, CloseRoad) and road.ends == ("b", "a")
    assert variant.changes[2] == CancelService("S1")
    added = variant.changes[3]
    assert isinstance(added, AddService) and added.service.kind == "flight"
    assert hours_after_start(every, added.service.arrives) == 11  # +8h and 3h
    assert variant.changes[6] == ChangeFleet("bus", count=None, more=1, seats=6)
    assert variant.changes[7] == ChangeFleet("van", count=0)
    # `H` stands for the copies `count: 3` made of it
    assert variant.changes[9] == DelayGroups(("H-1", "H-2", "H-3"), timedelta(hours=2))
    assert variant.changes[10] == DelayGroups(("G",), timedelta(minutes=30))
    # the base is the base
    assert [s.id for s in every.services] == ["F1", "S1"]


def test_a_file_without_variants_has_none() -> None:
    assert read_scenario(Path(__file__).parent / "data" / "solve" / "basic.yaml").variants == {}


# --------------------------------------------------------------------------- applying


def test_apply_every_kind_of_change(every: Scenario) -> None:
    v = apply_variant(every, "all-kinds")
    assert v.name == "every — all-kinds"
    assert v.variants == {}
    (x,) = v.crossings
    assert [(hours_after_start(v, w.start), hours_after_start(v, w.end)) for w in x.closed] == [
        (2, 24)
    ]
    assert (x.throughput, x.processing, [w.text for w in x.open]) == (
        30,
        timedelta(minutes=30),
        ["07:00-19:00"],
    )
    # the road a-b was written from a to b; the change names it the other way round
    road_ab, road_eb = v.roads
    assert [
        (hours_after_start(v, w.start), hours_after_start(v, w.end)) for w in road_ab.closed
    ] == [(3, 4)]
    assert road_eb.closed == ()
    # S1 cancelled; F2 added at +8h then moved to +9h keeping its 3 h
    assert [s.id for s in v.flights] == ["F1", "F2"] and v.sailings == ()
    f1, f2 = v.flights
    assert (hours_after_start(v, f2.departs), hours_after_start(v, f2.arrives)) == (9, 12)
    # F1: 5 seats, now 2h30m from +4h, check-in 30 m
    assert (f1.seats, hours_after_start(v, f1.arrives), f1.check_in) == (
        5,
        6.5,
        timedelta(minutes=30),
    )
    # bus: 2 + 1 vehicles of 6 seats; van: none left, so the kind is gone
    assert [(k.id, k.count, k.seats) for k in v.fleet] == [("bus", 3, 6)]
    assert [veh.id for veh in v.vehicles] == ["bus-1", "bus-2", "bus-3"]
    ready = {g.id: hours_after_start(v, g.ready) for g in v.groups}
    assert ready == {"G": 0.5, "H-1": 2, "H-2": 2, "H-3": 2}


def test_the_base_is_untouched(every: Scenario) -> None:
    before = repr(every)
    apply_variant(every, "all-kinds")
    apply_variant(every, "sailing-back")
    assert repr(every) == before


def test_second_variant(every: Scenario) -> None:
    v = apply_variant(every, "sailing-back")
    s1, s2 = v.sailings
    assert hours_after_start(v, s1.arrives) == 18
    assert (s2.id, hours_after_start(v, s2.arrives)) == ("S2", 15)
    assert all(hours_after_start(v, g.ready) == 1 for g in v.groups)
    bus, van = v.fleet
    assert (bus.count, bus.at, hours_after_start(v, bus.available)) == (1, "b", 1)
    assert v.crossings[0].documents == frozenset({"passport"})


def test_unknown_variant_is_a_key_error(every: Scenario) -> None:
    with pytest.raises(KeyError, match="no variant `nope`"):
        apply_variant(every, "nope")


def test_changes_in_words(every: Scenario) -> None:
    words = [describe_change(c, every) for c in every.variants["all-kinds"].changes]
    assert words[0] == (
        "crossing x closed from Thu 03 Oct 08:00 UTC+02:00 (+2h) "
        "to Fri 04 Oct 06:00 UTC+02:00 (+24h)"
    )
    assert words[2] == "S1 cancelled"
    assert words[6] == "fleet bus: +1 vehicles, 6 seats each"
    assert words[9] == "3 groups ready 2h later: H-1, H-2, H-3"


def test_the_example_has_variants_that_apply() -> None:
    base = read_scenario(Path(__file__).parent.parent / "scenarios" / "tripoli-2013.yaml")
    assert list(base.variants) == ["ras-ajdir-shut", "emercom-replaced", "coaches-late"]
    shut = apply_variant(base, "ras-ajdir-shut")
    # closed from 13:00 Thursday (+8h) to 07:00 Friday Tripoli time (+26h)
    (window,) = shut.crossing_by_id["ras_ajdir"].closed
    assert (hours_after_start(base, window.start), hours_after_start(base, window.end)) == (8, 26)
    other = apply_variant(base, "emercom-replaced")
    assert "EMERCOM-1" not in other.service_by_id
    # 11:30 Tunis time is 12:30 Tripoli time, 31.5 h after 05:00 Thursday; lands at the
    # end of the horizon
    emercom = other.service_by_id["EMERCOM-2"]
    assert hours_after_start(base, emercom.departs) == 31.5
    assert emercom.arrives == base.end
    late = apply_variant(base, "coaches-late")
    (coach,) = [k for k in late.fleet if k.id == "coach"]
    assert coach.count == 1 and hours_after_start(base, coach.available) == 11


# --------------------------------------------------------------------------- solving


def solved(scenario: Scenario) -> dict:
    plan = solve(scenario, SolveParameters(time_limit=10, workers=1, seed=1))
    data = json.loads(json.dumps(plan_to_dict(plan, scenario)))
    violations = check_plan(scenario, data)
    assert violations == [], "\n".join(str(v) for v in violations)
    return data


def services_of(plan: dict, group: str) -> list[str]:
    (g,) = [g for g in plan["groups"] if g["id"] == group]
    return [leg["service"] for leg in g["legs"] if "service" in leg]


@pytest.mark.parametrize(
    ("variant", "evacuated", "exposure", "arrival", "flight"),
    # worked out by hand in the comment at the top of crossing.yaml
    [(None, 3, 6.0, 18.0, "F1"), ("x-shut", 3, 18.0, 36.0, "F2"), ("f1-full", 3, 6.0, 36.0, "F2")],
)
def test_a_variant_moves_the_family_to_a_later_flight(
    variant: str | None, evacuated: int, exposure: float, arrival: float, flight: str
) -> None:
    base = read_scenario(DATA / "crossing.yaml")
    scenario = base if variant is None else apply_variant(base, variant)
    plan = solved(scenario)
    assert plan["status"] == "optimal"
    assert plan["objective"]["evacuated"] == evacuated
    assert plan["objective"]["exposure"] == pytest.approx(exposure)
    assert plan["objective"]["arrival"] == pytest.approx(arrival)
    assert services_of(plan, "G") == [flight]


def test_a_plan_of_a_variant_breaks_the_base() -> None:
    # the checker tells the variant from the base: F1 has 2 seats in `f1-full`
    base = read_scenario(DATA / "crossing.yaml")
    plan = solved(base)
    assert check_plan(apply_variant(base, "f1-full"), {**plan, "scenario": "border — f1-full"})


# --------------------------------------------------------------------------- broken files


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_variant_file(path: Path) -> None:
    assert_refused_as_expected(path)


def test_variants_must_be_a_mapping() -> None:
    text = """\
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
locations: {a: {country: LY}}
variants: [late]
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "t.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 11)
    assert "variants must be a mapping of variant name to variant" in problem.message


def test_an_empty_variants_section_is_no_variants() -> None:
    text = """\
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
locations: {a: {country: LY}}
variants:
"""
    assert parse_scenario(text).variants == {}
