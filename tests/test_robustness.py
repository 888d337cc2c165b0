"""Samples of a scenario's uncertainty, and a fixed plan replayed through them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from planner.check import check_plan
from planner.errors import ScenarioError
from planner.plan import plan_from_dict
from planner.read import parse_scenario, read_scenario
from planner.robustness import draw_sample, percentiles, replay, sweep, write_sweep
from planner.scenario import AbsoluteWindow

MISSED = "tests/data/robustness/missed.yaml"
START = "2013-10-03T06:00:00+02:00"


def _at(hours: float) -> str:
    minutes = int(hours * 60)
    return f"2013-10-03T{6 + minutes // 60:02d}:{minutes % 60:02d}:00+02:00"


def _missed_plan() -> dict:
    """By hand: car-1 drives EARLY 06:00-08:00, car-2 drives LATE 06:30-08:30; both fly
    RU1 10:00-14:00 (check-in closes 09:00). Everybody is in danger until landing at
    + 8 h: exposure 2*8 + 2*8 = 32; arrival 4 * 8 = 32; makespan 8."""

    def journey(gid: str, car: str, leave: float) -> dict:
        return {
            "id": gid,
            "people": 2,
            "status": "evacuated",
            "reason": None,
            "legs": [
                {"kind": "road", "from": "town", "to": "airport", "vehicle": car,
                 "depart": _at(leave), "arrive": _at(leave + 2)},
                {"kind": "flight", "service": "RU1", "from": "airport", "to": "home",
                 "depart": _at(4), "arrive": _at(8)},
            ],
        }  # fmt: skip

    def drive(car: str, gid: str, leave: float) -> dict:
        return {
            "id": car,
            "fleet": "car",
            "legs": [{"kind": "road", "from": "town", "to": "airport", "depart": _at(leave),
                      "arrive": _at(leave + 2), "groups": [gid]}],
        }  # fmt: skip

    return {
        "format": "evacuation-plan/1",
        "scenario": "missed",
        "status": "feasible",
        "objective": {"evacuated": 4, "exposure": 32.0, "arrival": 32.0, "makespan": 8.0},
        "bound": {},
        "groups": [journey("EARLY", "car-1", 0), journey("LATE", "car-2", 0.5)],
        "vehicles": [drive("car-1", "EARLY", 0), drive("car-2", "LATE", 0.5)],
    }


@pytest.fixture(scope="module")
def missed() -> tuple:
    scenario = read_scenario(MISSED)
    data = _missed_plan()
    assert check_plan(scenario, data) == []
    return scenario, plan_from_dict(data)


def test_plan_kept_when_nothing_goes_wrong(missed: tuple) -> None:
    scenario, plan = missed
    r = replay(scenario, plan, scenario.replace(uncertainty=None))
    assert (r.missed_connections, r.stranded, r.evacuated, r.extra_exposure) == (0, 0, 4, 0.0)


def test_slow_road_makes_the_late_family_miss_the_flight(missed: tuple) -> None:
    scenario, plan = missed
    # the road forced to its slowest, 2 h + 50% = 3 h: EARLY reaches the airport at 09:00,
    # the very minute check-in closes (allowed); LATE at 09:30, too late: stranded at the
    # airport, in danger, for the whole 12 h instead of 8 h: extra exposure 2 * 4 = 8.
    road = replace(scenario.roads[0], duration=timedelta(hours=3))
    r = replay(scenario, plan, scenario.replace(roads=(road,)))
    assert r.missed_connections == 1
    assert (r.stranded, r.stranded_safe, r.stranded_left_behind) == (2, 0, 2)
    assert r.evacuated == 2
    assert r.extra_exposure == pytest.approx(8.0)
    assert "after check-in for RU1 closed" in r.stranded_groups["LATE"]


def test_cancelled_flight_strands_everybody(missed: tuple) -> None:
    scenario, plan = missed
    r = replay(scenario, plan, scenario.replace(flights=()))
    # both families wait at the airport in danger to the end: exposure 4 * 12 = 48, +16
    assert (r.missed_connections, r.stranded_left_behind, r.evacuated) == (2, 4, 0)
    assert r.extra_exposure == pytest.approx(16.0)
    assert r.stranded_groups["EARLY"] == "flight RU1 cancelled"


def test_no_show_is_left_out_of_the_measures(missed: tuple) -> None:
    scenario, plan = missed
    everyone_away = scenario.replace(uncertainty=replace(scenario.uncertainty, no_show=1.0))
    sample = draw_sample(everyone_away, seed=0, index=0)
    assert sample.no_show == ("EARLY", "LATE") and sample.scenario.groups == ()
    r = replay(scenario, plan, sample.scenario)
    assert (r.no_show, r.evacuated, r.missed_connections, r.extra_exposure) == (4, 0, 0, 0.0)
    # LATE stays away: the slow road no longer strands anybody
    road = replace(scenario.roads[0], duration=timedelta(hours=3))
    only_early = scenario.replace(roads=(road,), groups=scenario.groups[:1])
    r = replay(scenario, plan, only_early)
    assert (r.no_show, r.evacuated, r.missed_connections) == (2, 2, 0)


def test_crossing_closed_when_reached() -> None:
    # crossing-tz: P walks across at 07:00 Tunis (+ 2 h), safe at + 2.5 h. Closed from
    # + 1 h to + 4 h in the sample: P is stranded in danger for the whole 12 h: +2*9.5.
    from planner.model import SolveParameters, solve
    from planner.plan import plan_to_dict

    scenario = read_scenario("tests/data/solve/crossing_tz.yaml")
    plan = solve(scenario, SolveParameters(time_limit=5.0, workers=1))
    assert check_plan(scenario, plan_to_dict(plan, scenario)) == []
    gate = scenario.crossings[0]
    window = AbsoluteWindow(
        scenario.start + timedelta(hours=1), scenario.start + timedelta(hours=4)
    )
    sample = scenario.replace(crossings=(replace(gate, closed=(window,)),))
    r = replay(scenario, plan, sample)
    assert (r.missed_connections, r.stranded_left_behind, r.evacuated) == (1, 2, 0)
    assert r.extra_exposure == pytest.approx(2 * 12 - 2 * 2.5)
    assert r.stranded_groups["P"].startswith("crossing gate closed")


def test_samples_are_reproducible_from_the_seed() -> None:
    scenario = read_scenario(MISSED)
    a = [draw_sample(scenario, 7, i).scenario for i in range(5)]
    b = [draw_sample(scenario, 7, i).scenario for i in range(5)]
    assert a == b
    durations = {s.roads[0].duration for s in a}
    assert all(timedelta(hours=2) <= d <= timedelta(hours=3) for d in durations)
    assert len(durations) > 1  # the draws differ from sample to sample
    assert draw_sample(scenario, 8, 0).scenario.roads != a[0].roads


def test_percentiles_by_hand() -> None:
    # 0..10: p5 = 0.5, median 5, p95 = 9.5 (linear between samples), mean 5
    assert percentiles(list(range(11))) == {"p5": 0.5, "p50": 5.0, "p95": 9.5, "mean": 5.0}
    assert percentiles([])["p50"] is None


def test_sweep_end_to_end(tmp_path: Path) -> None:
    scenario = read_scenario(MISSED)
    a = sweep(scenario, 4, seed=2, time_limit=8.0, processes=1)
    b = sweep(scenario, 4, seed=2, time_limit=8.0, processes=1, replan=False)
    keep = ("missed_connections", "stranded", "evacuated", "extra_exposure", "no_show")
    assert [[r[k] for k in keep] for r in a["per_sample"]] == [
        [r[k] for k in keep] for r in b["per_sample"]
    ]
    for row in a["per_sample"]:
        # re-planning never does worse than keeping the plan
        assert row["replan_evacuated"] >= row["evacuated"]
    written = write_sweep(a, tmp_path)
    assert [p.name for p in written] == ["sweep.json", "sweep.png", "sweep.html"]
    assert "data:image/png;base64," in (tmp_path / "sweep.html").read_text()


BAD = {
    "over_100.yaml": (15, "uncertainty: roads: `spread` must be from 0% to 100%, got 120%"),
    "unknown_crossing.yaml": (15, "unknown crossing `gaet` — did you mean `gate`?"),
    "not_percent.yaml": (15, "`cancel` must be a percentage like 20%, got 0.05"),
    "unknown_road_place.yaml": (15, "town->harbour: unknown place `harbour`"),
    "bad_unit.yaml": (15, "`closed_for`: `6 hours` is not a duration"),
    "flight_as_sailing.yaml": (15, "it is one of the flights, put it under `flights:`"),
    "unknown_key.yaml": (15, "unknown key `no_shows` — did you mean `no_show`?"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_uncertainty(name: str) -> None:
    line, message = BAD[name]
    with pytest.raises(ScenarioError) as e:
        read_scenario(f"tests/data/uncertainty/bad/{name}")
    assert [p.line for p in e.value.problems] == [line]
    assert message in e.value.problems[0].message


def test_uncertainty_defaults_and_overrides() -> None:
    s = parse_scenario(
        Path("tests/data/uncertainty/bad/over_100.yaml")
        .read_text()
        .replace(
            "  roads: {spread: 120%}",
            "  roads: {spread: 20%, airport->town: {spread: 50%}}\n"
            "  crossings: {closure: 5%, gate: {processing_spread: 30%}}\n"
            "  flights: {cancel: 5%}\n  no_show: 2%",
        )
    )
    u = s.uncertainty
    assert u is not None
    # the road is written town->airport both ways, so airport->town names it too
    assert u.roads == (0.5,) and u.road_spread == 0.2
    assert u.crossing("gate").processing_spread == 0.3 and u.crossing("gate").closure == 0.05
    assert u.cancel(s.flights[0]) == 0.05 and u.no_show == 0.02
    assert read_scenario("tests/data/solve/basic.yaml").uncertainty is None


def test_sweep_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "sweep", MISSED, "-n", "3", "--seed", "1", "-o", str(tmp_path),
            "--time-limit", "6", "--processes", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "missed connections" in result.output
    assert (tmp_path / "sweep.json").exists() and (tmp_path / "sweep.png").exists()
    # no uncertainty, bad input, unreachable scheduler: exit 2 with a message, no traceback
    plain = runner.invoke(app, ["sweep", "tests/data/solve/basic.yaml", "-n", "2"])
    assert plain.exit_code == 2 and "says nothing is uncertain" in plain.output
    bad = runner.invoke(app, ["sweep", "tests/data/uncertainty/bad/over_100.yaml", "-n", "2"])
    assert bad.exit_code == 2 and "over_100.yaml:15:19:" in bad.output
    zero = runner.invoke(app, ["sweep", MISSED, "-n", "0"])
    assert zero.exit_code == 2
    nowhere = runner.invoke(app, ["sweep", MISSED, "-n", "2", "--scheduler", "nowhere"])
    assert nowhere.exit_code == 2 and "not an address" in nowhere.output
    assert "Traceback" not in bad.output + nowhere.output


def test_replans_of_samples_keep_every_rule() -> None:
    from planner.parallel import SolveJob, solve_all

    scenario = read_scenario(MISSED)
    samples = [draw_sample(scenario, 5, i).scenario for i in range(3)]
    jobs = [SolveJob(f"sample {i}", s, 3.0) for i, s in enumerate(samples)]
    for job, result in zip(jobs, solve_all(jobs, processes=1), strict=True):
        assert result.plan is not None, result.error
        assert check_plan(job.scenario, result.plan) == []
        assert len(result.plan["groups"]) == len(job.scenario.groups)  # nobody is lost
