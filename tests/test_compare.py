"""`planner compare`: a base and its variants (or several files) solved and set side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.check import check_plan
from planner.cli import app
from planner.compare import (
    FORMAT,
    cases_from_files,
    cases_from_variants,
    compare_plans,
    comparison_to_dict,
    family_changes,
    job_time_limit,
    solve_cases,
    write_comparison,
)
from planner.outputs.comparison import comparison_html, write_comparison_page
from planner.parallel import JobResult
from planner.read import read_scenario
from planner.variants import apply_variant

DATA = Path(__file__).parent / "data"
CROSSING = DATA / "variants" / "crossing.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    base = read_scenario(CROSSING)
    cases = cases_from_variants(base)
    results = solve_cases(cases, time_limit=20, seed=1, processes=1)
    return compare_plans(cases, results)


def test_cases_of_a_file_with_variants() -> None:
    base = read_scenario(CROSSING)
    cases = cases_from_variants(base)
    assert [c.key for c in cases] == ["base", "x-shut", "f1-full"]
    assert cases[0].scenario is base and cases[0].variant is None
    assert cases[1].scenario.name == "border — x-shut"
    assert cases[1].changes == (
        "crossing x closed from Thu 03 Oct 07:00 UTC+02:00 (+1h) "
        "to Thu 03 Oct 11:00 UTC+02:00 (+5h)",
    )
    assert [c.key for c in cases_from_variants(base, ["f1-full"])] == ["base", "f1-full"]
    with pytest.raises(KeyError):
        cases_from_variants(base, ["nope"])


def test_cases_of_several_files_have_distinct_keys() -> None:
    basic = read_scenario(DATA / "solve" / "basic.yaml")
    shuttle = read_scenario(DATA / "solve" / "shuttle.yaml")
    keys = [c.key for c in cases_from_files([basic, shuttle, basic, basic])]
    assert keys == ["basic", "shuttle", "basic-2", "basic-3"]


def test_time_is_shared_between_the_rounds_of_solves() -> None:
    # 60 s, 4 solves, 2 at a time: two rounds after 3 s of start-up, (60 - 3) / 2 each
    assert job_time_limit(60, 4, 2) == 28.5
    # one at a time: no start-up, a third each
    assert job_time_limit(60, 3, 1) == 20.0
    # more slots than solves: one round
    assert job_time_limit(30, 2, 8) == 27.0


def test_figures_side_by_side(comparison) -> None:  # type: ignore[no-untyped-def]
    # by hand, see crossing.yaml: base (3, 6, 18, F1 lands +6h), x-shut (3, 18, 36, +12h),
    # f1-full (3, 6, 36, +12h)
    got = [
        (f.key, f.evacuated, f.safe, f.left_behind, f.exposure, f.arrival, f.makespan, f.status)
        for f in comparison.figures
    ]
    assert got == [
        ("base", 3, 0, 0, 6.0, 18.0, 6.0, "optimal"),
        ("x-shut", 3, 0, 0, 18.0, 36.0, 12.0, "optimal"),
        ("f1-full", 3, 0, 0, 6.0, 36.0, 12.0, "optimal"),
    ]
    assert [f.gap for f in comparison.figures] == [0.0, 0.0, 0.0]
    base = comparison.cases[0].scenario
    # 06:00 + 12 h
    assert comparison.figures[1].last_arrival.astimezone(base.timezone).hour == 18
    # every plan keeps the rules of its own scenario
    for case, plan in zip(comparison.cases, comparison.plans, strict=True):
        assert check_plan(case.scenario, plan) == []


def test_the_family_changes_flight(comparison) -> None:  # type: ignore[no-untyped-def]
    for key in ("x-shut", "f1-full"):
        (change,) = comparison.families[key]
        assert (change.group, change.people, change.changed) == ("G", 3, ("service",))
        assert change.before.services == ("F1",) and change.after.services == ("F2",)
        assert change.before.steps == ("bus-1", "x", "F1")
        assert change.after.steps == ("bus-1", "x", "F2")
        assert change.before.fleets == change.after.fleets == ("bus",)


def leg(kind: str, **more: str) -> dict:
    return {
        "kind": kind,
        "from": "a",
        "to": "b",
        "depart": "2013-10-03T06:00:00+02:00",
        "arrive": "2013-10-03T07:00:00+02:00",
        **more,
    }


def plan_of(*groups: dict, vehicles: tuple[tuple[str, str], ...] = ()) -> dict:
    return {
        "groups": list(groups),
        "vehicles": [{"id": v, "fleet": f, "legs": []} for v, f in vehicles],
    }


def test_a_vehicle_of_the_same_kind_is_no_change() -> None:
    fleets = (("bus-1", "bus"), ("bus-2", "bus"), ("car-1", "car"))
    group = {"id": "G", "people": 2, "status": "evacuated"}
    on = {v: {**group, "legs": [leg("road", vehicle=v)]} for v, _ in fleets}
    assert family_changes(plan_of(on["bus-1"], vehicles=fleets), plan_of(on["bus-2"])) == ()
    (change,) = family_changes(plan_of(on["bus-1"], vehicles=fleets), plan_of(on["car-1"]))
    assert change.changed == ("vehicle",)
    assert (change.before.vehicles, change.after.vehicles) == (("bus-1",), ("car-1",))


def test_status_and_presence_changes() -> None:
    evacuated = {"id": "G", "people": 2, "status": "evacuated", "legs": [leg("road")]}
    left = {"id": "G", "people": 2, "status": "left_behind", "legs": []}
    other = {"id": "H", "people": 1, "status": "left_behind", "legs": []}
    (change,) = family_changes(plan_of(evacuated), plan_of(left))
    assert change.changed == ("status",)
    changes = family_changes(plan_of(evacuated), plan_of(evacuated, other))
    assert [(c.group, c.changed, c.before, c.after is not None) for c in changes] == [
        ("H", ("presence",), None, True)
    ]


def test_json_shape(comparison, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = write_comparison(comparison, tmp_path, tmp_path / "elsewhere.json")
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == [
        "base/plan.json",
        "compare.json",
        "elsewhere.json",
        "f1-full/plan.json",
        "x-shut/plan.json",
    ]
    data = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    assert data == json.loads((tmp_path / "elsewhere.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(comparison_to_dict(comparison)))
    assert data["format"] == FORMAT and data["base"] == "base"
    shut = data["scenarios"][1]
    assert {k: shut[k] for k in ("key", "variant", "description", "plan", "evacuated")} == {
        "key": "x-shut",
        "variant": "x-shut",
        "description": "the border post is shut for four hours",
        "plan": "x-shut/plan.json",
        "evacuated": 3,
    }
    assert shut["last_arrival"] == "2013-10-03T18:00:00+02:00"
    assert list(data["families"]) == ["x-shut", "f1-full"]
    (family,) = data["families"]["x-shut"]
    assert family["changed"] == ["service"]
    assert family["before"]["services"] == ["F1"] and family["after"]["services"] == ["F2"]
    assert family["after"]["arrive"] == "2013-10-03T18:00:00+02:00"


def test_page(comparison, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_comparison_page(comparison, tmp_path)
    assert path == tmp_path / "compare.html"
    html = path.read_text(encoding="utf-8")
    assert '<table id="figures">' in html
    assert html.count('<section class="case"') == 2
    assert 'data-case="x-shut"' in html and "the border post is shut for four hours" in html
    # worse than the base in red: exposure 18 against 6
    assert '<td class="num worse">18.00</td>' in html
    # offline: nothing fetched
    assert "http://" not in html and "https://" not in html and "<script src" not in html


def test_a_failed_solve_is_shown_not_raised() -> None:
    cases = cases_from_variants(read_scenario(CROSSING), ["x-shut"])
    results = [JobResult("base", None, 0.1, "RuntimeError: boom"), JobResult("x-shut", None, 0.1)]
    comparison = compare_plans(cases, results)
    assert comparison.figures[0].status == "error"
    assert comparison.families == {}
    assert "error: RuntimeError: boom" in comparison_html(comparison)


# --------------------------------------------------------------------------- the command


def test_compare_command(tmp_path: Path) -> None:
    out = tmp_path / "what-if"
    result = runner.invoke(
        app,
        ["compare", str(CROSSING), "-o", str(out), "--time-limit", "30", "--seed", "1"],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.output.splitlines()
    assert lines[0].split() == ["base", "x-shut", "f1-full"]
    assert lines[1].split() == ["evacuated", "3", "3", "3"]
    assert lines[4].split() == ["exposure", "6.00", "18.00", "6.00"]
    assert "G (3): evacuated: bus-1 > x > F1  ->  evacuated: bus-1 > x > F2" in result.output
    for name in ("compare.json", "compare.html", "base/plan.json", "x-shut/plan.json"):
        assert (out / name).is_file(), name
    # each variant's plan checks against its variant, not against the base
    plan = str(out / "x-shut" / "plan.json")
    checked = runner.invoke(app, ["check", str(CROSSING), plan, "--variant", "x-shut"])
    assert checked.exit_code == 0, checked.output
    assert runner.invoke(app, ["check", str(CROSSING), plan]).exit_code == 1


def test_compare_two_files(tmp_path: Path) -> None:
    basic = str(DATA / "solve" / "basic.yaml")
    shuttle = str(DATA / "solve" / "shuttle.yaml")
    result = runner.invoke(
        app, ["compare", basic, shuttle, "--json", str(tmp_path / "c.json"), "--time-limit", "20"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    # basic: 3 evacuated (exposure 6); shuttle: 12 evacuated (exposure 20), by hand
    assert [(s["key"], s["evacuated"], s["exposure"]) for s in data["scenarios"]] == [
        ("basic", 3, 6.0),
        ("shuttle", 12, 20.0),
    ]
    # no family of one is in the other
    assert {f["changed"][0] for f in data["families"]["shuttle"]} == {"presence"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["{bad}"], "variants.yaml:0:0: no such file"),
        (["{crossing}", "--variant", "nope"], "no variant `nope` (its variants: x-shut, f1-full)"),
        (["{basic}"], "the scenario has no variants"),
        (["{crossing}", "{basic}", "--variant", "x-shut"], "--variant works with one scenario"),
        (["{broken}"], "unknown_references.yaml:29:17: variant `what-if` change 1"),
        (["{crossing}", "--time-limit", "0"], "--time-limit must be more than 0"),
    ],
)
def test_compare_refuses_bad_input(args: list[str], says: str) -> None:
    paths = {
        "bad": str(DATA / "variants" / "no" / "variants.yaml"),
        "crossing": str(CROSSING),
        "basic": str(DATA / "solve" / "basic.yaml"),
        "broken": str(DATA / "variants" / "bad" / "unknown_references.yaml"),
    }
    result = runner.invoke(app, ["compare", *(a.format(**paths) for a in args)])
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split())  # long lines are wrapped on a console
    assert "Traceback" not in result.output


def test_a_variant_plan_is_checked_against_its_variant() -> None:
    base = read_scenario(CROSSING)
    (case,) = [c for c in cases_from_variants(base) if c.key == "f1-full"]
    assert case.scenario == apply_variant(base, "f1-full")
