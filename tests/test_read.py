"""Reading scenarios: resolved values, defaults, and every broken input reported in place."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from broken_files import assert_refused_as_expected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import ScenarioError
from planner.read import parse_scenario, read_scenario
from planner.scenario import AbsoluteWindow, DailyWindow, Member, Scenario

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
PLUS2 = timezone(timedelta(hours=2))
START = datetime(2013, 10, 3, 6, 0, tzinfo=PLUS2)

HEAD = """\
scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 12h}
locations:
  a: {country: LY, danger: true}
  b: {country: TN}
"""


def problems_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "t.yaml")
    return [(p.line, p.column, p.message) for p in caught.value.problems]


# --------------------------------------------------------------------------- good files


@pytest.fixture(scope="module")
def full() -> Scenario:
    return read_scenario(GOOD / "full.yaml")


def test_full_head(full: Scenario) -> None:
    assert full.name == "Tripoli 2013"
    assert full.source == str(GOOD / "full.yaml")
    # 06:00 in Africa/Tripoli, which was +02:00 in October 2013.
    assert full.start == datetime(2013, 10, 3, 4, 0, tzinfo=UTC)
    assert full.start.utcoffset() == timedelta(hours=2)
    assert full.timezone == ZoneInfo("Africa/Tripoli")
    assert full.timezone_name == "Africa/Tripoli"
    assert full.horizon == timedelta(days=3)
    assert full.end == datetime(2013, 10, 6, 6, 0, tzinfo=PLUS2)
    assert full.step == timedelta(minutes=30)
    assert full.objective == ("evacuated", "makespan")
    assert full.priority_weights == {"critical": 20.0, "high": 2.5, "normal": 1.0}


def test_full_locations(full: Scenario) -> None:
    assert list(full.locations) == [
        "embassy",
        "ras_ajdir_ly",
        "ras_ajdir_tn",
        "djerba",
        "zarzis",
        "moscow",
        "oslo",
    ]
    embassy = full.locations["embassy"]
    assert (embassy.name, embassy.kind, embassy.country) == ("Russian embassy", "assembly", "LY")
    assert (embassy.lat, embassy.lon) == (32.88, 13.18)
    assert embassy.danger is True
    assert embassy.transfer == timedelta(minutes=15)
    assert embassy.capacity == 500
    assert embassy.timezone_name == "Africa/Tripoli"  # the scenario's, by default
    djerba = full.locations["djerba"]
    assert djerba.name == "djerba"
    assert djerba.timezone == ZoneInfo("Africa/Tunis")
    assert djerba.timezone_name == "Africa/Tunis"
    assert djerba.transfer == timedelta(minutes=30)  # PT30M
    assert djerba.danger is False
    assert djerba.capacity is None
    oslo = full.locations["oslo"]
    assert oslo.country == "NO"
    assert (oslo.kind, oslo.lat, oslo.lon) == (None, None, None)
    assert oslo.transfer == timedelta(0)


def test_full_roads(full: Scenario) -> None:
    first, second, third = full.roads
    assert (first.from_, first.to, first.duration) == (
        "embassy",
        "ras_ajdir_ly",
        timedelta(hours=3),
    )
    assert first.both_ways is True
    assert first.closed == (
        DailyWindow(1320, 360, "22:00-06:00"),
        AbsoluteWindow(
            datetime(2013, 10, 4, 12, 0, tzinfo=PLUS2), datetime(2013, 10, 4, 22, 0, tzinfo=PLUS2)
        ),
    )
    assert (second.duration, second.both_ways, second.closed) == (
        timedelta(minutes=90),
        False,
        (),
    )
    assert [r.index for r in full.roads] == [0, 1, 2]
    assert third.duration == timedelta(minutes=45)


def test_full_crossing(full: Scenario) -> None:
    (crossing,) = full.crossings
    assert crossing.id == "ras_ajdir"
    assert (crossing.from_, crossing.to) == ("ras_ajdir_ly", "ras_ajdir_tn")
    assert crossing.processing == timedelta(hours=1)
    assert crossing.throughput == 200
    assert crossing.open == (DailyWindow(420, 1140, "07:00-19:00"),)
    assert crossing.closed == (
        AbsoluteWindow(
            datetime(2013, 10, 4, 1, 0, tzinfo=PLUS2), datetime(2013, 10, 5, 6, 0, tzinfo=PLUS2)
        ),
        DailyWindow(720, 780, "12:00-13:00"),
    )
    assert crossing.documents == frozenset({"passport", "diplomatic_passport"})
    assert crossing.vehicles is False
    assert full.crossing_by_id["ras_ajdir"] is crossing


def test_full_fleet(full: Scenario) -> None:
    bus, van = full.fleet
    assert (bus.id, bus.count, bus.seats, bus.at) == ("bus", 4, 45, "embassy")
    assert bus.available == datetime(2013, 10, 3, 14, 0, tzinfo=PLUS2)  # +8h
    assert bus.countries == frozenset({"LY", "TN"})
    assert (van.count, van.available, van.countries) == (1, full.start, None)
    assert [v.id for v in full.vehicles] == ["bus-1", "bus-2", "bus-3", "bus-4", "van-1"]


def test_full_services(full: Scenario) -> None:
    (flight,) = full.flights
    assert flight.kind == "flight"
    assert flight.departs == datetime(2013, 10, 4, 11, 0, tzinfo=PLUS2)  # 10:00+01:00
    assert flight.arrives == datetime(2013, 10, 4, 16, 0, tzinfo=PLUS2)  # + 5h
    assert flight.departs.utcoffset() == timedelta(hours=2)  # every time in start's offset
    assert (flight.seats, flight.check_in) == (150, timedelta(minutes=90))
    assert flight.documents == frozenset({"passport"})
    (ferry,) = full.sailings
    assert ferry.kind == "sailing"
    assert ferry.departs == datetime(2013, 10, 4, 6, 0, tzinfo=PLUS2)  # +1d
    assert ferry.arrives == datetime(2013, 10, 4, 10, 0, tzinfo=PLUS2)  # +1d4h
    assert (ferry.check_in, ferry.documents) == (timedelta(minutes=60), None)
    assert [s.id for s in full.services] == ["EMERCOM-1", "ferry"]


def test_full_groups(full: Scenario) -> None:
    f001 = full.groups[0]
    assert f001.id == "F001"
    assert (f001.at, f001.destinations) == ("embassy", ("moscow",))
    assert f001.ready == datetime(2013, 10, 3, 8, 0, tzinfo=PLUS2)
    assert (f001.priority, f001.own_vehicle) == ("critical", True)
    assert f001.members == (
        # Ivan lists his own document; Anna lists none; Oleg's empty list is none too.
        Member("Ivan Petrov", 1, frozenset({"diplomatic_passport"})),
        Member("Anna Petrova", 1, frozenset({"passport"})),
        Member("Oleg Petrov", 2, frozenset({"passport"})),
    )
    assert (f001.people, f001.seats) == (3, 4)
    copies = full.groups[1:13]
    assert [g.id for g in copies] == [f"FAM-{n:02d}" for n in range(1, 13)]
    for group in copies:
        assert group.destinations == ("moscow", "djerba")
        assert (group.priority, group.own_vehicle, group.ready) == ("high", False, full.start)
        assert group.members == (Member(None, 1, frozenset()),) * 3
    solo = full.groups[-1]
    assert (solo.id, solo.priority, solo.people, solo.destinations) == (
        "solo",
        "normal",
        1,
        ("djerba",),
    )
    assert full.people == 3 + 12 * 3 + 1
    assert full.weight(f001) == 20.0


def test_full_is_immutable(full: Scenario) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.groups[0].id = "other"  # type: ignore[misc]


def test_defaults() -> None:
    s = read_scenario(GOOD / "minimal.yaml")
    assert s.timezone == PLUS2  # the fixed offset of `start`
    assert s.timezone_name == "UTC+02:00"
    assert s.step == timedelta(minutes=15)
    assert s.objective == ("evacuated", "exposure", "arrival")
    assert s.priority_weights == {"critical": 10.0, "high": 3.0, "normal": 1.0}
    assert s.roads == s.crossings == s.fleet == s.flights == s.sailings == s.groups == ()
    a = s.locations["a"]
    assert (a.name, a.kind, a.lat, a.lon, a.danger, a.transfer, a.capacity) == (
        "a",
        None,
        None,
        None,
        False,
        timedelta(0),
        None,
    )
    assert (a.timezone, a.timezone_name) == (PLUS2, "UTC+02:00")


def test_entry_defaults() -> None:
    s = parse_scenario(
        HEAD
        + """\
roads: [{from: a, to: b, duration: 2h}]
crossings: [{id: x, from: a, to: b, processing: 0m}]
fleet: [{id: bus, seats: 40, at: a}]
flights: [{id: f, from: b, to: a, departs: +3h, arrives: +5h, seats: 9}]
groups: [{id: G, size: 2, at: a, destination: b}]
"""
    )
    road, crossing, bus, flight, group = (
        s.roads[0],
        s.crossings[0],
        s.fleet[0],
        s.flights[0],
        s.groups[0],
    )
    assert (road.both_ways, road.closed) == (True, ())
    assert (crossing.throughput, crossing.open, crossing.closed) == (None, (), ())
    assert (crossing.documents, crossing.vehicles, crossing.processing) == (
        None,
        True,
        timedelta(0),
    )
    assert (bus.count, bus.available, bus.countries) == (1, START, None)
    assert (flight.check_in, flight.documents) == (timedelta(minutes=60), None)
    assert flight.arrives - flight.departs == timedelta(hours=2)
    assert (group.ready, group.priority, group.own_vehicle) == (START, "normal", False)
    assert group.members == (Member(None, 1, frozenset()),) * 2
    assert group.id == "G"


@pytest.mark.parametrize(
    ("count", "first", "last"),
    [
        (1, "FAM-1", "FAM-1"),
        (9, "FAM-1", "FAM-9"),
        (10, "FAM-01", "FAM-10"),
        (40, "FAM-01", "FAM-40"),
        (100, "FAM-001", "FAM-100"),
        (1000, "FAM-0001", "FAM-1000"),
    ],
)
def test_count_copies_are_zero_padded(count: int, first: str, last: str) -> None:
    s = parse_scenario(
        HEAD + f"groups: [{{id: FAM, count: {count}, size: 3, at: a, destination: b}}]\n"
    )
    ids = [g.id for g in s.groups]
    assert (len(ids), ids[0], ids[-1]) == (count, first, last)
    assert len(set(ids)) == count
    assert s.people == 3 * count


def test_count_copies_share_members_listed() -> None:
    s = parse_scenario(
        HEAD
        + """\
groups:
  - id: FAM
    count: 2
    at: a
    destination: b
    documents: [passport]
    members: [{name: Anna}, {name: Boris, seats: 2, documents: [visa]}]
"""
    )
    assert [g.id for g in s.groups] == ["FAM-1", "FAM-2"]
    for group in s.groups:
        assert group.members == (
            Member("Anna", 1, frozenset({"passport"})),
            Member("Boris", 2, frozenset({"visa"})),
        )


def test_destination_as_text_or_list() -> None:
    s = parse_scenario(
        HEAD
        + """\
  c: {country: TN}
groups:
  - {id: one, size: 1, at: a, destination: b}
  - {id: two, size: 1, at: a, destination: [c, b]}
"""
    )
    assert [g.destinations for g in s.groups] == [("b",), ("c", "b")]


def test_single_text_stands_for_a_list_of_one() -> None:
    s = parse_scenario(
        HEAD
        + """\
crossings: [{id: x, from: a, to: b, processing: 1h, documents: passport, open: "07:00-19:00"}]
fleet: [{id: bus, seats: 4, at: a, countries: LY}]
groups: [{id: G, size: 1, at: a, destination: b, documents: passport}]
"""
    )
    assert s.crossings[0].documents == frozenset({"passport"})
    assert s.crossings[0].open == (DailyWindow(420, 1140, "07:00-19:00"),)
    assert s.fleet[0].countries == frozenset({"LY"})
    assert s.groups[0].members[0].documents == frozenset({"passport"})


def test_times_after_the_horizon_are_allowed() -> None:
    s = parse_scenario(
        HEAD
        + """\
flights: [{id: late, from: a, to: b, departs: +100h, duration: 2h, seats: 9}]
groups: [{id: G, size: 1, at: a, destination: b, ready: +13h}]
"""
    )
    assert s.flights[0].departs > s.end
    assert s.groups[0].ready > s.end


def test_yaml_1_1_traps_are_text() -> None:
    s = read_scenario(GOOD / "norway.yaml")
    assert s.locations["bergen"].country == "NO"
    assert "on" in s.locations
    assert s.groups[0].id == "yes"
    # 12:30 is a time of day here, in Europe/Oslo (+02:00 on 2013-10-03).
    assert s.groups[0].ready == datetime(2013, 10, 3, 10, 30, tzinfo=UTC)


def test_anchors_aliases_and_merge_keys() -> None:
    s = read_scenario(GOOD / "anchors.yaml")
    west, east, airport = s.locations["west"], s.locations["east"], s.locations["airport"]
    assert (west.name, west.kind, west.country, west.danger) == ("West gate", "border", "LY", True)
    assert (east.kind, east.country, east.danger) == ("border", "TN", False)
    # In `<<: [a, b]` the first mapping wins.
    assert (airport.kind, airport.country) == ("airport", "TN")
    bus, coach = s.fleet
    assert (coach.id, coach.seats, coach.at, coach.countries) == (
        "coach",
        50,
        "base",
        frozenset({"LY", "TN"}),
    )
    assert bus.seats == 40
    assert [g.destinations for g in s.groups] == [("east", "airport")] * 2
    assert s.start == datetime(2013, 10, 3, 6, 0, tzinfo=UTC)


def test_all_given_files_of_the_project_read() -> None:
    for path in sorted(DATA.glob("*/*.yaml")):
        if path.parent.name != "bad":
            assert isinstance(read_scenario(path), Scenario), path


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_file(path: Path) -> None:
    assert_refused_as_expected(path)


def test_billion_laughs_is_refused_within_a_second() -> None:
    begun = time.process_time()
    with pytest.raises(ScenarioError, match="alias bomb"):
        read_scenario(BAD / "billion_laughs.yaml")
    assert time.process_time() - begun < 1.0


def test_many_problems_are_reported_at_once() -> None:
    # One per broken value, not one per file.
    with pytest.raises(ScenarioError) as caught:
        read_scenario(BAD / "wrong_types.yaml")
    assert len(caught.value.problems) == 13
    assert caught.value.problems == sorted(caught.value.problems)


@pytest.mark.parametrize(
    ("entry", "line", "column", "gist"),
    [
        (
            "{id: G, size: 1, at: a, destination: b, ready: 12:30}",
            6,
            52,
            "a time of day without a date",
        ),
        ("{id: G, size: 1, at: a, destination: [], ready: +1h}", 6, 42, "list at least one place"),
        ("{id: G, size: 1, at: a, destination: [b, b]}", 6, 46, "`b` is listed twice"),
        ("{id: '', size: 1, at: a, destination: b}", 6, 10, "`id` must not be empty"),
        ("{id: G, size: true, at: a, destination: b}", 6, 19, "got true"),
        ("{id: G, size: 1, at: a, destination: b, extra: 1}", 6, 45, "unknown key `extra`"),
        ("{id: G, size: 1, at: 5, destination: b}", 6, 26, "unknown place `5`"),
    ],
)
def test_group_problems(entry: str, line: int, column: int, gist: str) -> None:
    found = problems_of(HEAD + f"groups:\n  - {entry}\n")
    assert any((line, column) == (ln, col) and gist in msg for ln, col, msg in found), found


def test_quoted_numbers_are_text() -> None:
    found = problems_of(HEAD + "roads: [{from: a, to: b, duration: '45'}]\n")
    assert found == [(5, 36, "roads entry 1: `duration`: 45 needs a unit: write 45m or 45h")]


def test_tagged_standard_scalars() -> None:
    s = parse_scenario(
        HEAD + "fleet: [{id: !!str 7, seats: !!int '40', at: a, countries: [!!str NO, LY]}]\n"
    )
    assert (s.fleet[0].id, s.fleet[0].seats, s.fleet[0].countries) == (
        "7",
        40,
        frozenset({"NO", "LY"}),
    )
    found = problems_of(HEAD + "fleet: [{id: bus, seats: !!int many, at: a}]\n")
    assert found == [(5, 26, "`many` is not a valid !!int value")]


# --------------------------------------------------------------------------- text and files


def test_parse_takes_bytes_and_strips_a_bom() -> None:
    text = (HEAD + "groups: [{id: Å, size: 1, at: a, destination: b}]\n").encode("utf-8")
    s = parse_scenario(b"\xef\xbb\xbf" + text, "x.yaml")
    assert (s.groups[0].id, s.source) == ("Å", "x.yaml")
    assert parse_scenario("\ufeff" + HEAD).source == "<scenario>"


def test_not_utf8_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        (HEAD + "groups: [{id: Zoë, size: 1, at: a, destination: b}]\n").encode("latin-1")
    )
    with pytest.raises(ScenarioError) as caught:
        read_scenario(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (5, 17)
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize(
    ("content", "gist"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("scenario: x\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_binary_files(tmp_path: Path, content: bytes, gist: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=gist) as caught:
        read_scenario(path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, 1)]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file") as caught:
        read_scenario(tmp_path / "nope.yaml")
    assert caught.value.problems[0].line == 0
    with pytest.raises(ScenarioError, match="a directory"):
        read_scenario(tmp_path)


def test_control_character_in_text() -> None:
    found = problems_of(HEAD + "groups: [{id: \x07, size: 1}]\n")
    assert found == [(5, 15, "the character #x0007 is not allowed in a YAML text file")]


def test_more_than_one_document() -> None:
    found = problems_of(HEAD + "---\nscenario: {}\n")
    assert found[0][:2] == (5, 1)
    assert "single document" in found[0][2]


def test_huge_text_is_refused_before_reading() -> None:
    begun = time.process_time()
    found = problems_of("#" * (50 * 1024 * 1024 + 1))
    assert "at most 50 MB" in found[0][2]
    assert time.process_time() - begun < 1.0


# --------------------------------------------------------------------------- size and speed


def test_fifty_thousand_people_by_count_load_fast() -> None:
    begun = time.process_time()
    s = parse_scenario(HEAD + "groups: [{id: FAM, count: 12500, size: 4, at: a, destination: b}]\n")
    assert time.process_time() - begun < 2.0
    assert (s.people, len(s.groups), s.groups[-1].id) == (50_000, 12_500, "FAM-12500")


def test_ten_thousand_listed_groups_load_fast() -> None:
    lines = [HEAD, "groups:\n"]
    for n in range(10_000):
        lines.append(
            f"  - id: G{n:05d}\n    at: a\n    destination: [b]\n    ready: +{n % 12}h\n"
            f"    priority: high\n    documents: [passport]\n    size: 5\n"
        )
    text = "".join(lines)
    begun = time.process_time()
    s = parse_scenario(text)
    took = time.process_time() - begun
    assert (s.people, len(s.groups)) == (50_000, 10_000)
    assert took < 4.0, f"{len(text) / 1e6:.1f} MB took {took:.2f} s"


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_a_scenario_or_a_scenario_error(text: str) -> None:
    try:
        parse_scenario(text)
    except ScenarioError as error:
        assert error.problems
        assert all(p.line >= 0 and p.column >= 0 and p.message for p in error.problems)


_FULL = (GOOD / "full.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_scenarios_fail_only_with_problems(data: st.DataObject) -> None:
    lines = _FULL.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines[i])))
    insert = data.draw(st.sampled_from(["", "x", ":", "-", "'", " ", "\n", "{", "9", "!!"]))
    cut = data.draw(st.integers(0, 3))
    lines[i] = lines[i][:j] + insert + lines[i][j + cut :]
    damaged = "".join(lines)
    try:
        parse_scenario(damaged)
    except ScenarioError as error:
        assert error.problems
        # an inserted newline adds a line: positions are within the damaged text
        assert all(p.line <= damaged.count("\n") + 2 for p in error.problems)


def test_validate_sums_the_scenario_up_in_words() -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    path = DATA / "rescue" / "runner_up.yaml"
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert (
        "valid. 4 people in 2 groups, 3 places, 1 vehicle, 0 crossings, 2 flights and sailings."
        in result.output.replace("\n", " ")
    )
