"""Many solves at once: local processes and a real local Dask cluster."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import cloudpickle
import pytest

from planner.check import check_plan
from planner.parallel import (
    JobResult,
    SchedulerError,
    SolveJob,
    parallel_slots,
    run_job,
    solve_all,
)
from planner.read import read_scenario

SOLVE = "tests/data/solve"


def _jobs() -> list[SolveJob]:
    # basic: one family of 3 driven 2 h to safety -> evacuated 3 (worked in basic.yaml);
    # checkin: E1 makes the flight, E2 is 15 min late -> evacuated 2 (checkin.yaml);
    # crossing-tz: two people walk across once the gate opens -> evacuated 2.
    return [
        SolveJob("basic", read_scenario(f"{SOLVE}/basic.yaml"), time_limit=5.0),
        SolveJob("checkin", read_scenario(f"{SOLVE}/checkin.yaml"), time_limit=5.0, seed=3),
        SolveJob("tz", read_scenario(f"{SOLVE}/crossing_tz.yaml"), time_limit=5.0),
    ]


EXPECTED = {"basic": 3, "checkin": 2, "tz": 2}


def _assert_good(jobs: list[SolveJob], results: list[JobResult]) -> None:
    assert [r.key for r in results] == [j.key for j in jobs]
    for job, result in zip(jobs, results, strict=True):
        assert result.error is None, result.error
        assert result.plan is not None
        assert check_plan(job.scenario, result.plan) == []
        assert result.plan["objective"]["evacuated"] == EXPECTED[job.key]


def test_scenario_pickles_with_time_zones_and_cached_properties() -> None:
    s = read_scenario("scenarios/tripoli-2013.yaml")
    _ = s.vehicles, s.group_by_id, s.services  # fill the cached properties first
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        back = loads(dumps(s))
        assert back == s
        assert back.timezone_name == s.timezone_name
        assert back.start == s.start and back.start.utcoffset() == s.start.utcoffset()
        assert back.vehicles == s.vehicles


def test_one_job_runs_in_process() -> None:
    jobs = _jobs()[:1]
    _assert_good(jobs, solve_all(jobs))


def test_local_pool_keeps_job_order() -> None:
    jobs = _jobs()
    _assert_good(jobs, solve_all(jobs, processes=2))


def test_a_failing_job_does_not_end_the_batch() -> None:
    good = _jobs()[0]
    # a scenario whose groups start at a place it does not have: the solve raises
    broken = good.scenario.replace(locations={})
    results = solve_all([SolveJob("broken", broken, 2.0), good], processes=1)
    assert results[0].plan is None and results[0].error
    assert results[1].error is None and results[1].plan is not None
    assert run_job(SolveJob("broken", broken, 2.0)).error == results[0].error


def test_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.parallel

    monkeypatch.setattr(planner.parallel, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler"):
        solve_all(_jobs(), scheduler="tcp://127.0.0.1:9")
    with pytest.raises(SchedulerError, match="not an address"):
        solve_all(_jobs(), scheduler="localhost")


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster(cluster_address: str) -> None:
    jobs = _jobs()
    results = solve_all(jobs, scheduler=cluster_address)
    _assert_good(jobs, results)
    assert parallel_slots(cluster_address) == 2  # two workers of one thread


def test_improve_on_the_cluster_ranks_as_locally(cluster_address: str) -> None:
    from planner.improve import improve

    scenario = read_scenario("tests/data/improve/one_more_bus.yaml")
    on_cluster = improve(scenario, time_limit=8.0, scheduler=cluster_address)
    # worked in the scenario file: one more bus evacuates the family left behind
    assert [e["key"] for e in on_cluster["ranking"]] == ["fleet:bus", "fleet:van"]
    assert on_cluster["ranking"][0]["gain"]["evacuated"] == 3.0
