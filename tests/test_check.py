"""Tests of the plan checker: every rule kept by a hand-made plan, and broken on purpose.

Two tiny scenarios in tests/data/check, each with a good plan worked out by hand:

border.yaml / border_plan.json (scenario clock +02:00; start 06:00 +02:00 = 04:00Z, 48 h):
    F001 (2, high) bus-1: embassy 06:00 -> ras_ajdir_ly 09:00, crosses in bus-1 09:00-10:00,
        bus-1 to djerba 10:00-12:00 (+02:00), flies EMERCOM-1 17:00-22:00 +01:00 (16:00Z-21:00Z).
    F002 (2, normal, Boris on a stretcher: 3 seats, ready 06:30) the same in bus-2, 30 min later.
    F003 (1, diplomatic passport only) bus-1 with F001 across, then stays at ras_ajdir_tn: safe
        (EMERCOM-1 and -2 take passports only).
    O1 (1, own vehicle) drives: 07:00-10:00, crosses 10:00-11:00, djerba 11:00-13:00, flies.
    T1 (1) waits at djerba, ready 16:00 +01:00, the check-in to the minute, flies.
  evacuated = F001 2 + F002 2 + O1 1 + T1 1 = 6
  exposure  = out of the danger zone at ras_ajdir_tn (crossing arrival) or already at djerba:
              F001 3 * 2 * 4 h + F002 1 * 2 * 4.5 h + F003 1 * 1 * 4 h + O1 1 * 1 * 5 h + T1 0
              = 24 + 9 + 4 + 5 = 42
  arrival   = EMERCOM-1 lands 21:00Z, 17 h after the start: 6 people * 17 h + F003 1 * 48 h
              = 102 + 48 = 150
  makespan  = 17
  Crossing ras_ajdir (10 an hour): 5 people in 09:00-10:00 +02:00, 1 in 10:00-11:00.
  Djerba (capacity 5): F001 2 + F002 2 + O1 1 until 18:00 +02:00, exactly full; T1 starts
  there and does not count. EMERCOM-1 (7 seats): 2 + 3 + 1 + 1 = 7, exactly full.

crossings.yaml / crossings_plan.json (start 06:30 +02:00, 36 h; gates in +01:00):
    G0 (1) starts at its destination east: evacuated at the start, no legs.
    G1 (3, critical) and G2 (2) cross day_gate on foot 08:30-09:00 +02:00 (07:30 at the gate);
    G3 (1) at 09:30-10:00 +02:00, the first minute of the next throughput hour.
  evacuated = 7
  exposure  = G1 10 * 3 * 2.5 h + G2 1 * 2 * 2.5 h + G3 1 * 1 * 3.5 h + G0 0 = 75 + 5 + 3.5 = 83.5
  arrival   = 3 * 2.5 + 2 * 2.5 + 1 * 3.5 + 0 = 16
  makespan  = 3.5
  day_gate (5 an hour): 5 people in the hour 08:30-09:30 +02:00, exactly at the limit.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.check import Violation, check_plan, read_plan
from planner.errors import PlanFileError
from planner.read import parse_scenario
from planner.scenario import Scenario

DATA = Path(__file__).parent / "data" / "check"
D3 = "2013-10-03T"
D4 = "2013-10-04T"
D5 = "2013-10-05T"

Plan = dict[str, Any]


def load_scenario(name: str) -> Scenario:
    path = DATA / f"{name}.yaml"
    return parse_scenario(path.read_text(encoding="utf-8"), str(path))


@pytest.fixture(scope="module")
def border() -> Scenario:
    return load_scenario("border")


@pytest.fixture(scope="module")
def crossings() -> Scenario:
    return load_scenario("crossings")


@pytest.fixture
def bplan() -> Plan:
    """A fresh copy of the good border plan, to break."""
    return read_plan(DATA / "border_plan.json")


@pytest.fixture
def cplan() -> Plan:
    """A fresh copy of the good crossings plan, to break."""
    return read_plan(DATA / "crossings_plan.json")


def group(plan: Plan, gid: str) -> dict[str, Any]:
    return next(g for g in plan["groups"] if g["id"] == gid)


def vehicle(plan: Plan, vid: str) -> dict[str, Any]:
    """The plan's entry for a vehicle, added (with no legs) when it is not there."""
    for entry in plan["vehicles"]:
        if entry["id"] == vid:
            return entry
    entry = {"id": vid, "fleet": vid.rsplit("-", 1)[0], "legs": []}
    plan["vehicles"].append(entry)
    return entry


def leg(kind: str, frm: str, to: str, depart: str, arrive: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "from": frm, "to": to, "depart": depart, "arrive": arrive, **extra}


def later(t: str, minutes: int) -> str:
    """An ISO time `minutes` after `t`, in the same offset."""
    return (datetime.fromisoformat(t) + timedelta(minutes=minutes)).isoformat()


def broken(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Violations of the rules and of PLAN.md; objective values are tested on their own,
    so a broken plan need not restate them."""
    return [v for v in check_plan(scenario, plan) if v.rule not in ("objective", "bound")]


def only(violations: list[Violation], rule: str) -> Violation:
    """The one violation, of the given rule."""
    assert [v.rule for v in violations] == [rule], [str(v) for v in violations]
    return violations[0]


# --- the good plans -------------------------------------------------------------------


def test_good_border_plan_keeps_every_rule(border: Scenario, bplan: Plan) -> None:
    assert check_plan(border, bplan) == []


def test_good_crossings_plan_keeps_every_rule(crossings: Scenario, cplan: Plan) -> None:
    assert check_plan(crossings, cplan) == []


def test_violation_reads_as_one_line(border: Scenario, bplan: Plan) -> None:
    # O1 reaches the border in its own car at 19:30 +02:00: too late for 07:00-19:00.
    o1 = group(bplan, "O1")["legs"]
    o1[0]["depart"], o1[0]["arrive"] = f"{D3}16:30:00+02:00", f"{D3}19:30:00+02:00"
    o1[1]["depart"], o1[1]["arrive"] = f"{D3}19:30:00+02:00", f"{D3}20:30:00+02:00"
    found = [v for v in broken(border, bplan) if v.rule == "5"]
    assert [str(v) for v in found] == [
        "rule 5, group O1, leg 2 (crossing ras_ajdir): departs 19:30 +02:00 on 2013-10-03, "
        "outside the open hours 07:00-19:00 (local time of ras_ajdir_ly)"
    ]
    assert found[0].subject == "group O1" and found[0].leg == 2


# --- rule 1: a group travels whole ----------------------------------------------------


def test_group_listed_in_two_vehicles_at_once_is_split(border: Scenario, bplan: Plan) -> None:
    # bus-2 also claims F003 on its first leg, while F003 rides bus-1 then.
    vehicle(bplan, "bus-2")["legs"][0]["groups"].append("F003")
    violations = broken(border, bplan)
    v = only(violations, "1")
    assert v.subject == "vehicle bus-2" and v.leg == 1
    assert "lists group F003 aboard, but at that time the group is on its leg 1" in v.message
    assert "in bus-1" in v.message and "travels whole" in v.message


# --- rule 2: the chain of legs --------------------------------------------------------


def test_first_leg_not_at_the_group_place(border: Scenario, bplan: Plan) -> None:
    del group(bplan, "O1")["legs"][0]  # O1 would start with the crossing at ras_ajdir_ly
    v = only(broken(border, bplan), "2")
    assert v.leg == 1 and "starts at ras_ajdir_ly, but the group waits at embassy" in v.message


def test_first_leg_before_ready(border: Scenario, bplan: Plan) -> None:
    # F002 is ready at 06:30; bus-2 leaves at 06:00 with it (3h30 on a 3h road is fine).
    group(bplan, "F002")["legs"][0]["depart"] = f"{D3}06:00:00+02:00"
    vehicle(bplan, "bus-2")["legs"][0]["depart"] = f"{D3}06:00:00+02:00"
    v = only(broken(border, bplan), "2")
    assert v.subject == "group F002" and v.leg == 1
    assert "06:00 +02:00 on 2013-10-03" in v.message and "ready at 06:30 +02:00" in v.message


def test_leg_starts_where_the_previous_ended(border: Scenario, bplan: Plan) -> None:
    del group(bplan, "O1")["legs"][1]  # drives on from ras_ajdir_tn without crossing
    v = only(broken(border, bplan), "2")
    assert v.leg == 2 and "starts at ras_ajdir_tn, but leg 1 ended at ras_ajdir_ly" in v.message


def test_leg_departs_before_the_previous_arrives(border: Scenario, bplan: Plan) -> None:
    group(bplan, "O1")["legs"][1]["depart"] = f"{D3}09:59:00+02:00"
    v = only(broken(border, bplan), "2")
    assert v.leg == 2 and "09:59 +02:00" in v.message and "before leg 1 arrives" in v.message


def _f001_crosses_on_foot(plan: Plan, boards_again: str) -> None:
    """F001 leaves bus-1 at the border, walks across, and boards bus-1 again (which crossed
    with F003) at `boards_again` +02:00, driving 2 h to djerba."""
    legs = group(plan, "F001")["legs"]
    del legs[1]["vehicle"]
    hh, mm = boards_again.split(":")
    arrive = f"{int(hh) + 2:02d}:{mm}"
    for entry in (legs[2], vehicle(plan, "bus-1")["legs"][2]):
        entry["depart"], entry["arrive"] = f"{D3}{boards_again}:00+02:00", f"{D3}{arrive}:00+02:00"
    vehicle(plan, "bus-1")["legs"][1]["groups"] = ["F003"]


def test_no_transfer_when_staying_on_the_same_vehicle(border: Scenario, bplan: Plan) -> None:
    # The good plan: F001 arrives at ras_ajdir_tn in bus-1 at 10:00 and leaves in it at 10:00,
    # although ras_ajdir_tn has a transfer of 30m.
    assert group(bplan, "F001")["legs"][2]["depart"] == f"{D3}09:00:00+01:00"
    assert check_plan(border, bplan) == []


def test_transfer_needed_on_a_change_of_vehicle(border: Scenario, bplan: Plan) -> None:
    # On foot across, then back into bus-1 at once: a change of carrier at ras_ajdir_tn.
    _f001_crosses_on_foot(bplan, "10:00")
    v = only(broken(border, bplan), "2")
    assert v.subject == "group F001" and v.leg == 3
    assert "transfer of 30m" in v.message and "not before 09:30 +01:00" in v.message
    assert "on foot" in v.message and "in bus-1" in v.message


def test_transfer_met_to_the_minute(border: Scenario, bplan: Plan) -> None:
    _f001_crosses_on_foot(bplan, "10:30")  # exposure and arrival unchanged
    assert check_plan(border, bplan) == []


def test_leg_after_the_horizon(crossings: Scenario, cplan: Plan) -> None:
    # The horizon ends 2013-10-04 18:30 +02:00; G3 crosses 18:15-18:45 +02:00.
    g3 = group(cplan, "G3")["legs"][0]
    g3["depart"], g3["arrive"] = f"{D4}18:15:00+02:00", f"{D4}18:45:00+02:00"
    violations = broken(crossings, cplan)
    assert [v.rule for v in violations] == ["2", "8"]
    assert "after the end of the horizon 17:30 +01:00 on 2013-10-04" in violations[0].message
    # ... so it is not evacuated either: east is safe, and not reached in time.
    assert "'evacuated', but its legs give 'safe'" in violations[1].message
    assert "after the end of the horizon" in violations[1].message


# --- rule 3: roads --------------------------------------------------------------------


def test_road_that_does_not_exist(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "embassy", "djerba", f"{D3}08:00+02:00", f"{D3}14:00+02:00", groups=[])
    ]
    violations = broken(border, bplan)
    assert [v.rule for v in violations] == ["4", "3"]
    assert "there is no road from embassy to djerba" in violations[1].message
    assert violations[1].subject == "vehicle van-1"
    # van-1 keeps to Libya
    assert "visits djerba in TN, outside its countries (LY)" in violations[0].message


def test_one_way_road_driven_backwards(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "bus-1")["legs"].append(
        leg("road", "djerba", "ras_ajdir_tn", f"{D3}13:00+02:00", f"{D3}15:00+02:00", groups=[])
    )
    v = only(broken(border, bplan), "3")
    assert v.subject == "vehicle bus-1" and v.leg == 4
    assert "one-way" in v.message


def test_road_shorter_than_its_duration(border: Scenario, bplan: Plan) -> None:
    group(bplan, "O1")["legs"][0]["arrive"] = f"{D3}09:59:00+02:00"
    v = only(broken(border, bplan), "3")
    assert v.subject == "group O1" and v.leg == 1 and v.where == "road embassy -> ras_ajdir_ly"
    assert "takes 2h59m" in v.message and "less than the road's 3h" in v.message


def _f002_drives_to_djerba(plan: Plan, depart: str, arrive: str) -> None:
    """F002 stays in bus-2 at ras_ajdir_tn and drives to djerba at the given local times
    (+01:00, day given), then flies EMERCOM-2 the next morning."""
    legs = group(plan, "F002")["legs"]
    for entry in (legs[2], vehicle(plan, "bus-2")["legs"][2]):
        entry["depart"], entry["arrive"] = depart, arrive
    legs[3].update(service="EMERCOM-2", depart=f"{D4}10:00:00+01:00", arrive=f"{D4}15:00:00+01:00")


def test_road_closure_touching_the_leg_at_its_end(border: Scenario, bplan: Plan) -> None:
    # Closed 22:00-06:00 at ras_ajdir_tn; 20:00-22:00 +01:00 only touches it: half-open.
    _f002_drives_to_djerba(bplan, f"{D3}20:00+01:00", f"{D3}22:00+01:00")
    assert broken(border, bplan) == []


def test_road_closure_touching_the_leg_at_its_start(border: Scenario, bplan: Plan) -> None:
    _f002_drives_to_djerba(bplan, f"{D4}06:00+01:00", f"{D4}08:00+01:00")
    assert broken(border, bplan) == []


def test_road_closure_one_minute_in(border: Scenario, bplan: Plan) -> None:
    _f002_drives_to_djerba(bplan, f"{D3}20:01+01:00", f"{D3}22:01+01:00")
    v = only(broken(border, bplan), "3")
    assert v.subject == "group F002" and v.leg == 3
    assert "daily closure 22:00-06:00 (local time of ras_ajdir_tn)" in v.message
    assert "from 22:00 +01:00 on 2013-10-03 to 06:00 +01:00 on 2013-10-04" in v.message


def test_road_closure_in_another_time_zone(border: Scenario, bplan: Plan) -> None:
    # 22:30-00:30 +02:00 is 21:30-23:30 at ras_ajdir_tn: into the closure from 22:00 there.
    _f002_drives_to_djerba(bplan, f"{D3}22:30+02:00", f"{D4}00:30+02:00")
    v = only(broken(border, bplan), "3")
    assert "from 21:30 +01:00 on 2013-10-03 to 23:30 +01:00 on 2013-10-03" in v.message


@pytest.mark.parametrize(
    ("frm", "to", "depart", "arrive", "closed"),
    [
        ("embassy", "ras_ajdir_ly", "15:00", "18:00", False),  # ends as the closure starts
        ("embassy", "ras_ajdir_ly", "20:00", "23:00", False),  # starts as it ends
        ("embassy", "ras_ajdir_ly", "16:00", "19:00", True),
        ("ras_ajdir_ly", "embassy", "17:59", "20:59", True),  # both directions
    ],
)
def test_absolute_road_closure(
    border: Scenario, bplan: Plan, frm: str, to: str, depart: str, arrive: str, closed: bool
) -> None:
    # The embassy road is closed 18:00-20:00 +02:00 (+12h to +14h). van-1 drives it empty,
    # after a first trip to the border when it needs to come back.
    legs = vehicle(bplan, "van-1")["legs"]
    if frm != "embassy":
        legs.append(leg("road", "embassy", frm, f"{D3}07:00+02:00", f"{D3}10:00+02:00", groups=[]))
    legs.append(leg("road", frm, to, f"{D3}{depart}+02:00", f"{D3}{arrive}+02:00", groups=[]))
    violations = broken(border, bplan)
    if not closed:
        assert violations == []
    else:
        v = only(violations, "3")
        assert v.subject == "vehicle van-1"
        assert "its closure from 18:00 +02:00 on 2013-10-03 to 20:00 +02:00" in v.message


def test_road_leg_without_a_vehicle(border: Scenario, bplan: Plan) -> None:
    del group(bplan, "O1")["legs"][0]["vehicle"]
    v = only(broken(border, bplan), "3")
    assert v.leg == 1 and "names no `vehicle`" in v.message


def test_own_vehicle_for_a_group_without_one(border: Scenario, bplan: Plan) -> None:
    group(bplan, "F001")["legs"][0]["vehicle"] = "own"
    vehicle(bplan, "bus-1")["legs"][0]["groups"] = ["F003"]
    v = only(broken(border, bplan), "3")
    assert v.subject == "group F001" and "own_vehicle: false" in v.message


def test_own_vehicle_only_as_a_prefix(border: Scenario, bplan: Plan) -> None:
    # O1 rides bus-2 to the border with F002 (4 seats: full), then "drives its own car" on.
    group(bplan, "O1")["legs"][0].update(
        vehicle="bus-2", depart=f"{D3}06:30:00+02:00", arrive=f"{D3}09:30:00+02:00"
    )
    vehicle(bplan, "bus-2")["legs"][0]["groups"].append("O1")
    violations = broken(border, bplan)
    assert [v.rule for v in violations] == ["3", "3"]
    assert [v.leg for v in violations] == [2, 3]
    assert "after leg 1 was not in it" in violations[0].message


# --- rule 4: fleet vehicles -----------------------------------------------------------


def test_seats_overflow_with_a_stretcher(border: Scenario, bplan: Plan) -> None:
    # F001 (2 seats) moves to bus-2 with F002 (Anna 1 + Boris on a stretcher 2): 4 people,
    # but 5 seats in a 4-seat bus, on each of its three legs. bus-1 takes F003 only.
    f001 = group(bplan, "F001")["legs"]
    for mine, theirs in zip(f001[:3], group(bplan, "F002")["legs"][:3], strict=True):
        mine.update(vehicle="bus-2", depart=theirs["depart"], arrive=theirs["arrive"])
    for entry in vehicle(bplan, "bus-2")["legs"]:
        entry["groups"].append("F001")
    bus1 = vehicle(bplan, "bus-1")
    bus1["legs"] = bus1["legs"][:2]
    for entry in bus1["legs"]:
        entry["groups"] = ["F003"]
    violations = broken(border, bplan)
    assert [(v.rule, v.subject, v.leg) for v in violations] == [
        ("4", "vehicle bus-2", 1),
        ("4", "vehicle bus-2", 2),
        ("4", "vehicle bus-2", 3),
    ]
    assert "5 seats, more than its 4: F002 (3), F001 (2)" in violations[0].message


def test_vehicle_outside_its_countries(border: Scenario, bplan: Plan) -> None:
    # F002 takes van-1 (Libya only) instead of bus-2, from 07:00 when the van is available.
    times = [("07:00", "10:00"), ("10:00", "11:00"), ("11:00", "13:00")]
    van = vehicle(bplan, "van-1")
    van["legs"] = vehicle(bplan, "bus-2")["legs"]
    bplan["vehicles"] = [v for v in bplan["vehicles"] if v["id"] != "bus-2"]
    for mine, its, (depart, arrive) in zip(
        group(bplan, "F002")["legs"], van["legs"], times, strict=False
    ):
        mine["vehicle"] = "van-1"
        for entry in (mine, its):
            entry.update(depart=f"{D3}{depart}+02:00", arrive=f"{D3}{arrive}+02:00")
    violations = broken(border, bplan)
    assert [(v.rule, v.leg) for v in violations] == [("4", 2), ("4", 3)]
    assert "visits ras_ajdir_tn in TN, outside its countries (LY)" in violations[0].message
    assert "visits djerba in TN" in violations[1].message


def test_vehicle_before_it_is_available(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "embassy", "ras_ajdir_ly", f"{D3}06:30+02:00", f"{D3}09:30+02:00", groups=[])
    ]
    v = only(broken(border, bplan), "4")
    assert "before van-1 is available at 07:00 +02:00 on 2013-10-03" in v.message


def test_vehicle_starts_away_from_its_place(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "ras_ajdir_ly", "embassy", f"{D3}08:00+02:00", f"{D3}11:00+02:00", groups=[])
    ]
    v = only(broken(border, bplan), "4")
    assert "starts at ras_ajdir_ly, but van-1 is at embassy" in v.message


def test_vehicle_chain_broken_in_place_and_time(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "embassy", "ras_ajdir_ly", f"{D3}08:00+02:00", f"{D3}11:00+02:00", groups=[]),
        leg("road", "embassy", "ras_ajdir_ly", f"{D3}10:00+02:00", f"{D3}13:00+02:00", groups=[]),
    ]
    violations = broken(border, bplan)
    assert [(v.rule, v.leg) for v in violations] == [("4", 2), ("4", 2)]
    assert "starts at embassy, but its previous leg ended at ras_ajdir_ly" in violations[0].message
    assert "before its previous leg arrives at 11:00 +02:00" in violations[1].message


def test_vehicle_shuttles_back_and_forth(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "embassy", "ras_ajdir_ly", f"{D3}08:00+02:00", f"{D3}11:00+02:00", groups=[]),
        leg("road", "ras_ajdir_ly", "embassy", f"{D3}11:00+02:00", f"{D3}14:00+02:00", groups=[]),
    ]
    assert check_plan(border, bplan) == []


def test_vehicle_leg_after_the_horizon(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "van-1")["legs"] = [
        leg("road", "embassy", "ras_ajdir_ly", f"{D5}05:00+02:00", f"{D5}08:00+02:00", groups=[])
    ]
    v = only(broken(border, bplan), "4")
    assert "after the end of the horizon 06:00 +02:00 on 2013-10-05" in v.message


# --- rule 5: crossings ----------------------------------------------------------------


def _g3_crosses(plan: Plan, depart: str, arrive: str, gate: str = "day_gate") -> None:
    plan_leg = group(plan, "G3")["legs"][0]
    plan_leg.update(crossing=gate, depart=depart, arrive=arrive)


@pytest.mark.parametrize(
    ("depart", "arrive", "local", "open_"),
    [
        # the gate is in +01:00, the scenario in +02:00: 07:30 +02:00 is 06:30 at the gate
        (f"{D3}07:30+02:00", f"{D3}08:00+02:00", "06:30 +01:00", False),
        (f"{D3}08:00+02:00", f"{D3}08:30+02:00", "07:00 +01:00", True),
        (f"{D3}19:59+02:00", f"{D3}20:29+02:00", "18:59 +01:00", True),
        (f"{D3}20:00+02:00", f"{D3}20:30+02:00", "19:00 +01:00", False),
    ],
)
def test_crossing_open_hours_in_the_local_time_of_the_gate(
    crossings: Scenario, cplan: Plan, depart: str, arrive: str, local: str, open_: bool
) -> None:
    _g3_crosses(cplan, depart, arrive)
    violations = broken(crossings, cplan)
    if open_:
        assert violations == []
    else:
        v = only(violations, "5")
        assert v.subject == "group G3" and v.leg == 1 and v.where == "crossing day_gate"
        assert f"departs {local} on 2013-10-03, outside the open hours 07:00-19:00" in v.message
        assert "(local time of west)" in v.message


@pytest.mark.parametrize(
    ("depart", "open_"),
    [
        (f"{D3}22:00+01:00", True),
        (f"{D3}23:30+01:00", True),
        (f"{D4}00:00+01:00", True),
        (f"{D4}05:59+01:00", True),
        (f"{D4}06:00+01:00", False),
        (f"{D3}21:59+01:00", False),
        (f"{D3}12:00+01:00", False),
    ],
)
def test_crossing_window_wrapping_midnight(
    crossings: Scenario, cplan: Plan, depart: str, open_: bool
) -> None:
    _g3_crosses(cplan, depart, later(depart, 30), gate="night_gate")
    violations = broken(crossings, cplan)
    if open_:
        assert violations == []
    else:
        assert "outside the open hours 22:00-06:00" in only(violations, "5").message


@pytest.mark.parametrize(
    ("depart", "closure"),
    [
        (f"{D3}12:00+02:00", "from 11:00 +01:00 on 2013-10-03 to 12:00 +01:00 on 2013-10-03"),
        (f"{D3}12:59+02:00", "from 11:00 +01:00"),
        (f"{D3}13:00+02:00", None),  # the closure has ended
        (f"{D3}15:30+01:00", "15:00-16:00 (local time of west)"),
        (f"{D3}16:00+01:00", None),
    ],
)
def test_crossing_closures(
    crossings: Scenario, cplan: Plan, depart: str, closure: str | None
) -> None:
    _g3_crosses(cplan, depart, later(depart, 30))
    violations = broken(crossings, cplan)
    if closure is None:
        assert violations == []
    else:
        v = only(violations, "5")
        assert "inside the closure " + closure in v.message


def test_crossing_faster_than_processing(crossings: Scenario, cplan: Plan) -> None:
    _g3_crosses(cplan, f"{D3}09:30+02:00", f"{D3}09:59+02:00")
    v = only(broken(crossings, cplan), "5")
    assert "takes 29m, less than the processing time 30m of day_gate" in v.message


def test_crossing_documents(crossings: Scenario, cplan: Plan) -> None:
    # G1 holds no passport; the night gate takes passports only.
    group(cplan, "G1")["legs"][0].update(
        crossing="night_gate", depart=f"{D3}23:00+01:00", arrive=f"{D3}23:30+01:00"
    )
    violations = broken(crossings, cplan)
    assert [(v.rule, v.subject) for v in violations] == [
        ("5", "group G1"),
        ("5", "crossing night_gate"),  # and 3 people is over its 2 an hour
    ]
    assert "member 1, member 2, member 3 hold none of the accepted documents (passport)" in (
        violations[0].message
    )


def test_crossing_places_must_match(crossings: Scenario, cplan: Plan) -> None:
    group(cplan, "G3")["legs"][0]["to"] = "oran"
    violations = broken(crossings, cplan)
    assert violations[0].rule == "5"
    assert "day_gate goes from west to east, the leg from west to oran" in violations[0].message


def test_throughput_exactly_at_the_limit_and_split_across_hours(
    crossings: Scenario, cplan: Plan
) -> None:
    # The good plan: G1 3 + G2 2 = 5 in 08:30-09:30 +02:00, G3 at 09:30 in the next hour.
    assert check_plan(crossings, cplan) == []


def test_throughput_one_over_in_the_same_hour(crossings: Scenario, cplan: Plan) -> None:
    _g3_crosses(cplan, f"{D3}09:29+02:00", f"{D3}09:59+02:00")
    v = only(broken(crossings, cplan), "5")
    assert v.subject == "crossing day_gate" and v.leg is None
    assert "6 people start crossing in the hour from 07:30 +01:00 on 2013-10-03 to " in v.message
    assert "more than its throughput of 5: G1 (3), G2 (2), G3 (1)" in v.message


def test_throughput_counts_people_in_vehicles_and_on_foot(crossings: Scenario, cplan: Plan) -> None:
    # The night gate takes 2 an hour: G2 (2) in truck-1 and G3 (1) on foot in one hour.
    group(cplan, "G2")["legs"][0].update(
        crossing="night_gate", vehicle="truck-1", depart=f"{D3}23:00+01:00",
        arrive=f"{D3}23:30+01:00",
    )  # fmt: skip
    _g3_crosses(cplan, f"{D3}23:15+01:00", f"{D3}23:45+01:00", gate="night_gate")
    vehicle(cplan, "truck-1")["legs"] = [
        leg("crossing", "west", "east", f"{D3}23:00+01:00", f"{D3}23:30+01:00",
            crossing="night_gate", groups=["G2"]),
    ]  # fmt: skip
    v = only(broken(crossings, cplan), "5")
    assert v.subject == "crossing night_gate" and "3 people" in v.message


def test_vehicle_crossing_where_only_foot_is_allowed(crossings: Scenario, cplan: Plan) -> None:
    group(cplan, "G1")["legs"][0]["vehicle"] = "truck-1"
    vehicle(cplan, "truck-1")["legs"] = [
        leg("crossing", "west", "east", f"{D3}07:30+01:00", f"{D3}08:00+01:00",
            crossing="day_gate", groups=["G1"]),
    ]  # fmt: skip
    v = only(broken(crossings, cplan), "5")
    assert v.subject == "group G1"
    assert "crosses in truck-1, but vehicles may not cross at day_gate" in v.message


@pytest.mark.parametrize(
    ("gate", "depart", "words"),
    [
        ("night_gate", f"{D3}23:00+01:00", []),
        ("night_gate", f"{D3}12:00+01:00", ["outside the open hours 22:00-06:00"]),
        ("day_gate", f"{D3}10:00+01:00", ["vehicles may not cross at day_gate"]),
        (
            "day_gate",
            f"{D4}00:00+01:00",
            ["vehicles may not cross at day_gate", "outside the open hours 07:00-19:00"],
        ),
    ],
)
def test_empty_vehicle_crossing_keeps_the_rules(
    crossings: Scenario, cplan: Plan, gate: str, depart: str, words: list[str]
) -> None:
    vehicle(cplan, "truck-1")["legs"] = [
        leg("crossing", "west", "east", depart, later(depart, 30), crossing=gate, groups=[])
    ]
    violations = broken(crossings, cplan)
    assert [(v.rule, v.subject, v.leg) for v in violations] == [
        ("5", "vehicle truck-1", 1) for _ in words
    ]
    for v, w in zip(violations, words, strict=True):
        assert w in v.message


# --- rule 6: flights and sailings -----------------------------------------------------


def test_check_in_met_to_the_minute(border: Scenario, bplan: Plan) -> None:
    # EMERCOM-1 departs 17:00 +01:00; check-in 60m (more than djerba's transfer of 30m).
    legs = group(bplan, "F002")["legs"]
    for entry in (legs[2], vehicle(bplan, "bus-2")["legs"][2]):
        entry["depart"], entry["arrive"] = f"{D3}14:00+01:00", f"{D3}16:00+01:00"
    assert check_plan(border, bplan) == []


def test_check_in_one_minute_late(border: Scenario, bplan: Plan) -> None:
    legs = group(bplan, "F002")["legs"]
    for entry in (legs[2], vehicle(bplan, "bus-2")["legs"][2]):
        entry["depart"], entry["arrive"] = f"{D3}14:01+01:00", f"{D3}16:01+01:00"
    v = only(broken(border, bplan), "6")
    assert v.subject == "group F002" and v.leg == 4 and v.where == "flight EMERCOM-1"
    assert "leg 3 arrives 16:01 +01:00 on 2013-10-03" in v.message
    assert "by 16:00 +01:00 on 2013-10-03" in v.message and "check-in 1h" in v.message


def test_check_in_of_a_first_leg_counts_from_ready(border: Scenario, bplan: Plan) -> None:
    # T1 is ready at 16:00 +01:00 at djerba, exactly the check-in: fine (the good plan).
    # One minute later it is too late.
    late = tuple(
        dataclasses.replace(g, ready=g.ready + timedelta(minutes=1)) if g.id == "T1" else g
        for g in border.groups
    )
    v = only(broken(border.replace(groups=late), bplan), "6")
    assert v.subject == "group T1" and "ready at 16:01 +01:00 on 2013-10-03" in v.message


def test_service_not_as_scheduled(border: Scenario, bplan: Plan) -> None:
    flight = group(bplan, "T1")["legs"][0]
    flight["depart"] = f"{D3}17:05+01:00"
    flight["arrive"] = f"{D3}21:00+01:00"
    violations = broken(border, bplan)
    assert [v.rule for v in violations] == ["6", "6"]
    assert "departs 17:05 +01:00 on 2013-10-03, but flight EMERCOM-1 departs 17:00" in (
        violations[0].message
    )
    # shown in Moscow time (+04:00 in 2013)
    assert "arrives 00:00 +04:00 on 2013-10-04, but flight EMERCOM-1 arrives 01:00 +04:00" in (
        violations[1].message
    )


def test_service_from_another_place(border: Scenario, bplan: Plan) -> None:
    group(bplan, "T1")["legs"][0]["from"] = "ras_ajdir_tn"
    violations = broken(border, bplan)
    assert [v.rule for v in violations] == ["2", "6"]
    assert "EMERCOM-1 goes from djerba to moscow" in violations[1].message


def test_service_documents_and_seats(border: Scenario, bplan: Plan) -> None:
    # F003 (diplomatic passport only) rides bus-1 on to djerba and boards EMERCOM-1: no
    # passport, 8 seats taken of 7, and 6 people at djerba (capacity 5).
    f003 = group(bplan, "F003")
    f003["legs"] += copy.deepcopy(group(bplan, "F001")["legs"][2:])
    f003.update(status="evacuated", reason=None)
    vehicle(bplan, "bus-1")["legs"][2]["groups"].append("F003")
    violations = broken(border, bplan)
    assert [(v.rule, v.subject) for v in violations] == [
        ("6", "group F003"),
        ("6", "flight EMERCOM-1"),
        ("7", "place djerba"),
    ]
    assert "member 1 holds none of the accepted documents (passport)" in violations[0].message
    assert "8 seats, more than its 7" in violations[1].message


def test_flight_leg_naming_a_sailing_kind(border: Scenario, bplan: Plan) -> None:
    group(bplan, "T1")["legs"][0]["kind"] = "sailing"
    v = only(broken(border, bplan), "plan")
    assert "EMERCOM-1 is a flight, not a sailing" in v.message


# --- rule 7: capacity -----------------------------------------------------------------


def test_capacity_exactly_full(border: Scenario, bplan: Plan) -> None:
    # The good plan has 5 at djerba (capacity 5); T1 starts there and does not count.
    assert check_plan(border, bplan) == []


def test_capacity_one_over(border: Scenario, bplan: Plan) -> None:
    # F003 rides on to djerba (bus-1, 10:00-12:00 +02:00) and stays there: still safe.
    f003 = group(bplan, "F003")
    f003["legs"].append(copy.deepcopy(group(bplan, "F001")["legs"][2]))
    vehicle(bplan, "bus-1")["legs"][2]["groups"].append("F003")
    v = only(broken(border, bplan), "7")
    assert v.subject == "place djerba"
    # 6 from O1's arrival at 12:00 +01:00 until EMERCOM-1 leaves at 17:00 +01:00
    assert "holds up to 6 people from 12:00 +01:00 on 2013-10-03 to 17:00 +01:00" in v.message
    assert "more than its capacity of 5" in v.message


def test_capacity_half_open(border: Scenario, bplan: Plan) -> None:
    # F003 rides on to djerba and stays: 5 there (F001, F002, F003) until EMERCOM-1 leaves at
    # 17:00 +01:00. O1 drives in at that very instant and stays, missing the flight: it
    # counts from 17:00, when the 4 flying have gone, so 5 is never exceeded.
    f003 = group(bplan, "F003")
    f003["legs"].append(copy.deepcopy(group(bplan, "F001")["legs"][2]))
    vehicle(bplan, "bus-1")["legs"][2]["groups"].append("F003")
    o1 = group(bplan, "O1")
    del o1["legs"][3]
    o1["legs"][2].update(depart=f"{D3}15:00+01:00", arrive=f"{D3}17:00+01:00")
    o1.update(status="safe", reason="missed EMERCOM-1")
    assert broken(border, bplan) == []
    # One minute earlier, O1 is the sixth.
    o1["legs"][2].update(depart=f"{D3}14:59+01:00", arrive=f"{D3}16:59+01:00")
    v = only(broken(border, bplan), "7")
    assert "up to 6 people from 16:59 +01:00 on 2013-10-03 to 17:00 +01:00" in v.message


# --- rule 8: outcomes -----------------------------------------------------------------


def test_group_at_its_destination_is_evacuated_with_no_legs(
    crossings: Scenario, cplan: Plan
) -> None:
    group(cplan, "G0")["status"] = "left_behind"
    group(cplan, "G0")["reason"] = "no way out"
    v = only(broken(crossings, cplan), "8")
    assert "its legs give 'evacuated'" in v.message and "one of its destinations" in v.message


def test_status_mis_stated(border: Scenario, bplan: Plan) -> None:
    group(bplan, "F003")["status"] = "left_behind"
    v = only(broken(border, bplan), "8")
    assert v.subject == "group F003"
    assert "'left_behind', but its legs give 'safe'" in v.message
    assert "ends at ras_ajdir_tn, not one of its destinations (moscow)" in v.message


def test_left_behind_with_no_legs(border: Scenario, bplan: Plan) -> None:
    group(bplan, "F003").update(legs=[], status="left_behind")
    for entry in vehicle(bplan, "bus-1")["legs"]:
        entry["groups"] = ["F001"]
    assert broken(border, bplan) == []
    group(bplan, "F003")["status"] = "safe"
    assert "stays at embassy" in only(broken(border, bplan), "8").message


@pytest.mark.parametrize("reason", [None, "", "  ", 3])
def test_reason_needed_when_not_evacuated(border: Scenario, bplan: Plan, reason: Any) -> None:
    group(bplan, "F003")["reason"] = reason
    v = only(broken(border, bplan), "8")
    assert "needs a `reason`" in v.message


def test_no_reason_when_evacuated(border: Scenario, bplan: Plan) -> None:
    group(bplan, "T1")["reason"] = "flew"
    assert "has `reason` null" in only(broken(border, bplan), "plan").message


def test_group_missing(border: Scenario, bplan: Plan) -> None:
    bplan["groups"] = [g for g in bplan["groups"] if g["id"] != "T1"]
    v = only(check_plan(border, bplan), "8")
    assert v.subject == "group T1" and "missing" in v.message


def test_group_twice(border: Scenario, bplan: Plan) -> None:
    bplan["groups"].append(copy.deepcopy(group(bplan, "T1")))
    v = only(check_plan(border, bplan), "8")
    assert v.subject == "group T1" and "entries 5 and 6" in v.message


def test_group_unknown(border: Scenario, bplan: Plan) -> None:
    bplan["groups"].append({"id": "X9", "people": 1, "status": "safe", "reason": "?", "legs": []})
    v = only(check_plan(border, bplan), "plan")
    assert v.subject == "group X9" and "not a group of the scenario" in v.message


# --- PLAN.md statements ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("format", "evacuation-plan/2", "`format` must be 'evacuation-plan/1'"),
        ("scenario", "Other", "`scenario` must be 'Border test', found 'Other'"),
        ("status", "done", "`status` must be 'optimal' or 'feasible', found 'done'"),
        ("groups", None, "`groups` must be a list, found none"),
        ("vehicles", {}, "`vehicles` must be a list, found an object"),
    ],
)
def test_plan_header(border: Scenario, bplan: Plan, key: str, value: Any, words: str) -> None:
    bplan[key] = value
    violations = [v for v in check_plan(border, bplan) if v.rule == "plan"]
    assert any(words in v.message for v in violations), [str(v) for v in violations]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2013-10-03T06:00:00", "has no UTC offset"),
        ("2013-10-03", "has no UTC offset"),
        ("yesterday", "is not an ISO 8601 time"),
        (1380772800, "must be an ISO 8601 time"),
        (None, "has no `depart` time"),
    ],
)
def test_bad_timestamps(border: Scenario, bplan: Plan, value: Any, words: str) -> None:
    group(bplan, "O1")["legs"][0]["depart"] = value
    violations = check_plan(border, bplan)
    v = only(violations, "plan")
    assert v.subject == "group O1" and v.leg == 1 and words in v.message


def test_naive_timestamp_on_a_vehicle_leg(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "bus-2")["legs"][0]["arrive"] = "2013-10-03T09:30:00"
    violations = check_plan(border, bplan)
    assert [(v.rule, v.subject) for v in violations] == [
        ("plan", "vehicle bus-2"),
        ("plan", "group F002"),  # its leg can no longer be found in bus-2
    ]
    assert "has no UTC offset" in violations[0].message


def test_people_must_be_the_member_count(border: Scenario, bplan: Plan) -> None:
    group(bplan, "F002")["people"] = 3
    v = only(check_plan(border, bplan), "plan")
    assert "`people` must be 2, its number of members; found 3" in v.message


def test_arrive_before_depart(border: Scenario, bplan: Plan) -> None:
    group(bplan, "O1")["legs"][1]["arrive"] = f"{D3}09:00+02:00"
    v = only(broken(border, bplan), "plan")
    assert "arrives 08:00 +01:00 on 2013-10-03 before it departs 10:00 +02:00" in v.message


@pytest.mark.parametrize(
    ("gid", "index", "change", "words"),
    [
        ("O1", 0, {"kind": "walk"}, "`kind` must be one of road, crossing, flight, sailing"),
        ("O1", 0, {"vehicle": "bus-9"}, "'bus-9' is not a fleet vehicle or 'own'"),
        ("O1", 0, {"to": "tripoli"}, "'tripoli' is not a place of the scenario"),
        ("O1", 1, {"crossing": "dehiba"}, "'dehiba' is not a crossing of the scenario"),
        ("T1", 0, {"service": "EMERCOM-9"}, "'EMERCOM-9' is not a flight or sailing"),
        ("T1", 0, {"service": None}, "a flight leg names its `service`"),
        ("T1", 0, {"vehicle": "bus-1"}, "a flight leg has no `vehicle`"),
        ("O1", 0, {"service": "EMERCOM-1"}, "a road leg has no `service`"),
    ],
)
def test_malformed_legs(
    border: Scenario, bplan: Plan, gid: str, index: int, change: dict[str, Any], words: str
) -> None:
    group(bplan, gid)["legs"][index].update(change)
    violations = [v for v in check_plan(border, bplan) if v.rule == "plan"]
    assert any(words in v.message and v.leg == index + 1 for v in violations), [
        str(v) for v in violations
    ]


def test_foot_crossing_has_no_vehicle(crossings: Scenario, cplan: Plan) -> None:
    # absent (G1, G3) and null (G2) are both on foot: the good plan.
    group(cplan, "G1")["legs"][0]["vehicle"] = "foot"
    v = only(check_plan(crossings, cplan), "plan")
    assert "a crossing on foot has no `vehicle` (absent or null)" in v.message


def test_crossing_leg_without_crossing_id(border: Scenario, bplan: Plan) -> None:
    del group(bplan, "O1")["legs"][1]["crossing"]
    v = only(check_plan(border, bplan), "plan")
    assert "a crossing leg names its `crossing`" in v.message


def test_vehicle_used_but_not_listed(border: Scenario, bplan: Plan) -> None:
    bplan["vehicles"] = [v for v in bplan["vehicles"] if v["id"] != "bus-2"]
    v = only(check_plan(border, bplan), "plan")
    assert v.subject == "vehicle bus-2" and "carries F002 but is not listed" in v.message


def test_unlisted_vehicle_is_still_checked(border: Scenario, bplan: Plan) -> None:
    # With bus-1 unlisted, what it does is read from its passengers: F003 leaves 30 minutes
    # after F001 in the same bus, so bus-1 would be on two trips at once.
    bplan["vehicles"] = [v for v in bplan["vehicles"] if v["id"] != "bus-1"]
    f003 = group(bplan, "F003")["legs"]
    f003[0].update(depart=f"{D3}06:30+02:00", arrive=f"{D3}09:30+02:00")
    f003[1].update(depart=f"{D3}09:30+02:00", arrive=f"{D3}10:30+02:00")
    violations = broken(border, bplan)
    assert violations[0].rule == "plan" and violations[0].subject == "vehicle bus-1"
    assert "carries F001, F003 but is not listed" in violations[0].message
    chain = violations[1:]
    assert chain and all(v.rule == "4" and v.leg is None for v in chain)
    assert [v.message for v in chain[:2]] == [
        "road embassy -> ras_ajdir_ly at 06:30 +02:00 on 2013-10-03 (from its passengers' "
        "legs): starts at embassy, but its previous leg ended at ras_ajdir_ly",
        "road embassy -> ras_ajdir_ly at 06:30 +02:00 on 2013-10-03 (from its passengers' "
        "legs): departs 06:30 +02:00 on 2013-10-03, before its previous leg arrives at "
        "09:00 +02:00 on 2013-10-03",
    ]


def test_group_leg_missing_from_its_vehicle(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "bus-2")["legs"][0]["depart"] = f"{D3}06:29+02:00"
    violations = check_plan(border, bplan)
    assert [(v.rule, v.subject, v.leg) for v in violations] == [
        ("plan", "group F002", 1),
        ("plan", "vehicle bus-2", 1),
    ]
    assert "bus-2 has no leg from embassy to ras_ajdir_ly with the same times" in (
        violations[0].message
    )
    assert "lists group F002, but the group has no leg in bus-2" in violations[1].message


def test_vehicle_leg_not_listing_its_passenger(border: Scenario, bplan: Plan) -> None:
    vehicle(bplan, "bus-2")["legs"][1]["groups"] = []
    v = only(check_plan(border, bplan), "plan")
    assert v.subject == "vehicle bus-2" and v.leg == 2
    assert "does not list group F002, which rides it (group F002 leg 2)" in v.message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": "bus-7"}, "is not a fleet vehicle of the scenario"),
        ({"fleet": "van"}, "`fleet` must be 'bus', found 'van'"),
        ({"legs": None}, "`legs` must be a list, found none"),
    ],
)
def test_vehicle_entries(border: Scenario, bplan: Plan, change: dict[str, Any], words: str) -> None:
    vehicle(bplan, "bus-2").update(change)
    violations = [v for v in check_plan(border, bplan) if v.rule == "plan"]
    assert any(words in v.message for v in violations), [str(v) for v in violations]


def test_vehicle_listed_twice(border: Scenario, bplan: Plan) -> None:
    bplan["vehicles"].append(copy.deepcopy(vehicle(bplan, "bus-2")))
    v = only(check_plan(border, bplan), "plan")
    assert "listed more than once" in v.message


def test_vehicle_legs_out_of_time_order(border: Scenario, bplan: Plan) -> None:
    legs = vehicle(bplan, "bus-2")["legs"]
    legs[0], legs[1] = legs[1], legs[0]
    v = only(check_plan(border, bplan), "plan")
    assert v.subject == "vehicle bus-2" and "not in time order" in v.message


def test_vehicle_leg_groups(border: Scenario, bplan: Plan) -> None:
    legs = vehicle(bplan, "bus-1")["legs"]
    legs[0]["groups"].append("X9")
    del legs[2]["groups"]
    violations = check_plan(border, bplan)
    messages = [v.message for v in violations if v.subject == "vehicle bus-1"]
    assert "`groups`: 'X9' is not a group of the scenario" in messages
    assert "`groups` must be a list of group ids, found none" in messages


def test_plan_that_is_not_an_object(border: Scenario) -> None:
    v = only(check_plan(border, [1, 2]), "plan")
    assert "a plan is a JSON object, found a list" in v.message


def test_plan_with_nothing_in_it(border: Scenario) -> None:
    violations = check_plan(border, {})
    assert {v.rule for v in violations} == {"plan", "8", "objective"}
    assert sum(v.rule == "8" for v in violations) == len(border.groups)


# --- objectives and bounds ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "truth"),
    [
        ("evacuated", 7, "6.00"),
        ("exposure", 41.5, "42.00"),
        ("arrival", 102, "150.00"),
        ("makespan", None, "17.00"),
    ],
)
def test_objective_mis_stated(
    border: Scenario, bplan: Plan, name: str, value: Any, truth: str
) -> None:
    bplan["objective"][name] = value
    bplan.pop("bound")
    v = only(check_plan(border, bplan), "objective")
    assert v.subject == name and f"its legs give {truth}" in v.message


def test_objective_within_tolerance(border: Scenario, bplan: Plan) -> None:
    bplan["objective"]["exposure"] = 42.009
    assert check_plan(border, bplan) == []


def test_objective_missing_and_not_a_number(border: Scenario, bplan: Plan) -> None:
    del bplan["objective"]["arrival"]
    bplan["objective"]["makespan"] = "17h"
    violations = check_plan(border, bplan)
    assert [(v.rule, v.subject) for v in violations] == [
        ("objective", "arrival"),
        ("objective", "makespan"),
    ]


def test_makespan_null_when_nobody_is_evacuated(crossings: Scenario, cplan: Plan) -> None:
    # Without G0, and nobody moving: 6 people left behind at west for the whole 36 h.
    # exposure = G1 10 * 3 * 36 + G2 2 * 36 + G3 1 * 36 = 1080 + 72 + 36 = 1188
    # arrival = 6 * 36 = 216
    nobody = crossings.replace(groups=tuple(g for g in crossings.groups if g.id != "G0"))
    cplan["groups"] = [g for g in cplan["groups"] if g["id"] != "G0"]
    for entry in cplan["groups"]:
        entry.update(legs=[], status="left_behind", reason="gates closed")
    cplan.update(
        status="feasible",
        objective={"evacuated": 0, "exposure": 1188, "arrival": 216, "makespan": None},
        bound={"evacuated": 7, "makespan": 3.0},
    )
    assert check_plan(nobody, cplan) == []
    cplan["objective"]["makespan"] = 0
    v = only(check_plan(nobody, cplan), "objective")
    assert "states 0.00, its legs give null" in v.message


@pytest.mark.parametrize(
    ("bound", "words"),
    [
        ({"evacuated": 5}, "an upper bound of 5.00 is below the plan's own value 6.00"),
        ({"exposure": 42.5}, "a lower bound of 42.50 is above the plan's own value 42.00"),
        ({"makespan": "17"}, "must be a number"),
        ({"speed": 3}, "is not an objective"),
    ],
)
def test_bound_on_the_wrong_side(
    border: Scenario, bplan: Plan, bound: dict[str, Any], words: str
) -> None:
    bplan["bound"] = bound
    v = only(check_plan(border, bplan), "bound")
    assert words in v.message


def test_optimal_bounds_equal_their_values(crossings: Scenario, cplan: Plan) -> None:
    # The good plan is optimal with bounds equal to its values; a looser bound is not.
    cplan["bound"]["arrival"] = 15.0
    v = only(check_plan(crossings, cplan), "bound")
    assert "status is optimal, so its bound must equal its value 16.00" in v.message
    cplan["status"] = "feasible"
    assert check_plan(crossings, cplan) == []


# --- read_plan ------------------------------------------------------------------------


def test_read_plan_missing(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="no such plan file"):
        read_plan(tmp_path / "plan.json")


def test_read_plan_not_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format": "evacuation-plan/1",\n  "groups": [,]\n}\n')
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 14)
    assert str(problem).startswith(f"{path}:3:14: not valid JSON")


@pytest.mark.parametrize("text", ["[]", '"plan"', "3", "null", ""])
def test_read_plan_not_an_object(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(PlanFileError):
        read_plan(path)


# --- never a crash ----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2013-10-03T09:00+02:00",
            "2013-10-03T09:00",
            "9999-12-31T23:59+14:00",
            "bus-1",
            "own",
            "ras_ajdir",
            "EMERCOM-1",
            "road",
            "crossing",
            "flight",
            "F001",
            "djerba",
        ]
    ),  # fmt: skip
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*path, index))
    return found


BORDER_PLAN = json.loads((DATA / "border_plan.json").read_text(encoding="utf-8"))
BORDER_PATHS = _paths(BORDER_PLAN)[1:]


def test_a_leg_named_with_a_line_break_is_shown_as_written(border: Scenario) -> None:
    # each violation is one line: a crossing id "\n" is quoted in the leg's name too
    plan = copy.deepcopy(BORDER_PLAN)
    plan["groups"][3]["legs"][1]["crossing"] = "\n"
    shown = [str(v) for v in check_plan(border, plan)]
    assert "plan, group O1, leg 2 (crossing '\\n'): '\\n' is not a crossing of the scenario" in (
        shown
    )


def test_a_bound_of_no_objective_is_named_on_one_line(border: Scenario) -> None:
    # found by the test below: the name was written as it came, line break and all
    plan = copy.deepcopy(BORDER_PLAN)
    plan["bound"] = {"\n": None}
    assert [str(v) for v in check_plan(border, plan)] == [
        "bound, '\\n': is not an objective of SCENARIO.md"
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_never_crashes_on_a_damaged_plan(border: Scenario, data: st.DataObject) -> None:
    plan = copy.deepcopy(BORDER_PLAN)
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(BORDER_PATHS))
        parent: Any = plan
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    violations = check_plan(border, plan)
    assert all(isinstance(v, Violation) and str(v) and "\n" not in str(v) for v in violations)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=json_values)
def test_never_crashes_on_any_json(border: Scenario, plan: Any) -> None:
    assert all(str(v) and "\n" not in str(v) for v in check_plan(border, plan))


def test_own_vehicle_crossing_where_only_foot_is_allowed(crossings: Scenario, cplan: Plan) -> None:
    # With a car of its own, G1 may not drive it through day_gate (vehicles: false).
    own = tuple(
        dataclasses.replace(g, own_vehicle=True) if g.id == "G1" else g for g in crossings.groups
    )
    group(cplan, "G1")["legs"][0]["vehicle"] = "own"
    v = only(broken(crossings.replace(groups=own), cplan), "5")
    assert "crosses in its own vehicle, but vehicles may not cross at day_gate" in v.message
