"""What would help most: the candidates and their ranking."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from planner.check import check_plan
from planner.improve import candidates, improve, longer_opening
from planner.parallel import SolveJob, solve_all
from planner.read import read_scenario
from planner.scenario import Crossing, DailyWindow

BUS = "tests/data/improve/one_more_bus.yaml"


def test_candidates_of_the_bus_scenario() -> None:
    scenario = read_scenario(BUS)
    found = candidates(scenario)
    # two fleet kinds; the flight leaves from an island nobody can reach: not tried
    assert [c.key for c in found] == ["fleet:bus", "fleet:van"]
    assert [k.count for k in found[0].scenario.fleet] == [2, 1]
    assert [k.count for k in scenario.fleet] == [1, 1]  # the base is untouched


def test_one_more_bus_ranks_first() -> None:
    scenario = read_scenario(BUS)
    result = improve(scenario, time_limit=8.0, processes=2)
    # worked in the scenario file: base evacuated 3, exposure 21, arrival 21
    assert result["base"]["objective"]["evacuated"] == 3
    assert result["base"]["objective"]["exposure"] == 21.0
    first, second = result["ranking"]
    assert first["key"] == "fleet:bus" and first["rank"] == 1
    assert first["gain"] == {"evacuated": 3.0, "exposure": 9.0, "arrival": 9.0}
    assert second["key"] == "fleet:van"
    assert second["gain"] == {"evacuated": 0.0, "exposure": 0.0, "arrival": 0.0}
    assert result["errors"] == []
    # the plans behind the ranking keep every rule
    jobs = [SolveJob(c.key, c.scenario, 4.0) for c in candidates(scenario)]
    for job, r in zip(jobs, solve_all(jobs, processes=1), strict=True):
        assert r.plan is not None and check_plan(job.scenario, r.plan) == []


def _crossing(*texts: tuple[int, int, str], throughput: int | None = None) -> Crossing:
    return Crossing(
        "x",
        "a",
        "b",
        processing=timedelta(hours=1),
        throughput=throughput,
        open=tuple(DailyWindow(s, e, t) for s, e, t in texts),
    )


def test_one_more_hour_of_opening() -> None:
    day = _crossing((420, 1140, "07:00-19:00"))
    assert longer_opening(day, before=True).open[0].text == "06:00-19:00"
    assert longer_opening(day, before=False).open[0].text == "07:00-20:00"
    # 00:30-19:00: an hour before opens at 23:30 the evening before (wraps midnight)
    early = longer_opening(_crossing((30, 1140, "00:30-19:00")), before=True).open[0]
    assert (early.text, early.wraps) == ("23:30-19:00", True)
    # 00:30-23:30 is 23 h: one more hour makes it open all day
    assert longer_opening(_crossing((30, 1410, "00:30-23:30")), before=True).open[0].all_day
    # two windows: the first of the day opens earlier, the last closes later
    split = _crossing((420, 720, "07:00-12:00"), (780, 1140, "13:00-19:00"))
    assert [w.text for w in longer_opening(split, before=True).open] == [
        "06:00-12:00",
        "13:00-19:00",
    ]
    assert [w.text for w in longer_opening(split, before=False).open] == [
        "07:00-12:00",
        "13:00-20:00",
    ]
    assert longer_opening(_crossing(), before=True) is None  # open all day already


def test_throughput_and_seats_candidates() -> None:
    # crossing-tz has a crossing with open hours 07:00-19:00 (no throughput); throughput.yaml
    # a throughput: +25% and at least +1
    scenario = read_scenario("tests/data/solve/throughput.yaml")
    found = {c.key: c for c in candidates(scenario)}
    crossing = scenario.crossings[0]
    assert crossing.throughput is not None
    more = found[f"throughput:{crossing.id}"].scenario.crossings[0].throughput
    assert more == max(crossing.throughput + 1, -(-crossing.throughput * 5 // 4))
    seats = read_scenario("tests/data/solve/flight_seats.yaml")
    flight = seats.flights[0]
    changed = {c.key: c for c in candidates(seats)}[f"seats:{flight.id}"].scenario
    assert changed.flights[0].seats == max(flight.seats + 1, -(-flight.seats * 5 // 4))


def test_improve_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app, ["improve", BUS, "-o", str(tmp_path), "--time-limit", "6", "--processes", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "one more bus" in result.output
    data = json.loads((tmp_path / "improve.json").read_text())
    assert [e["key"] for e in data["ranking"]] == ["fleet:bus", "fleet:van"]
    bad = runner.invoke(app, ["improve", "tests/data/uncertainty/bad/unknown_key.yaml"])
    assert bad.exit_code == 2 and "unknown_key.yaml:15:3:" in bad.output
    negative = runner.invoke(app, ["improve", BUS, "--time-limit", "0"])
    assert negative.exit_code == 2
