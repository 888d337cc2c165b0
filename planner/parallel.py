"""Many solves at once: on the local cores, or on an existing Dask cluster.

Sweeps, comparisons and the "what would help most" ranking all solve many scenarios that
do not depend on one another. :func:`solve_all` runs them in parallel and gives the
results back in the order of the jobs.

OR-Tools objects do not pickle, so a job carries the scenario (frozen dataclasses, which
pickle with plain `pickle` and with `cloudpickle`, time zones included) and the model is
built where the job runs. Each job says how many CP-SAT threads its own solve may use, so
that a pool of processes does not ask for more threads than there are cores.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from planner.scenario import Scenario

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer before giving up."""


class SchedulerError(Exception):
    """The Dask scheduler given could not be reached or used; the message says why in
    words for the person who typed the address."""


@dataclass(frozen=True)
class SolveJob:
    """One solve to run: a label, the scenario and the solver settings for it.

    `key` names the job in results and messages (a variant, sample or candidate name);
    `workers` is the number of CP-SAT threads this one solve may use.
    """

    key: str
    scenario: Scenario
    time_limit: float
    seed: int = 0
    workers: int = 1


@dataclass(frozen=True)
class JobResult:
    """What one job gave: the plan as plain JSON data (`plan_to_dict`), or the error.

    `plan` is None exactly when `error` says what went wrong; `seconds` is the wall-clock
    time of the solve where it ran.
    """

    key: str
    plan: dict[str, Any] | None
    seconds: float
    error: str | None = None


def run_job(job: SolveJob) -> JobResult:
    """Solve one job where it runs and turn the plan into plain data.

    A solve that raises gives a result with `error` set rather than raising, so that one
    bad job never ends a batch.
    """
    from planner.model import SolveParameters, solve
    from planner.plan import plan_to_dict

    started = time.monotonic()
    try:
        params = SolveParameters(
            time_limit=max(0.1, job.time_limit), workers=max(1, job.workers), seed=job.seed
        )
        plan = solve(job.scenario, params)
        data = plan_to_dict(plan, job.scenario)
    except Exception as e:  # one job's failure is reported, never spread to the batch
        log.debug("job %s failed:\n%s", job.key, traceback.format_exc())
        return JobResult(
            key=job.key,
            plan=None,
            seconds=time.monotonic() - started,
            error=f"{type(e).__name__}: {e}",
        )
    return JobResult(key=job.key, plan=data, seconds=time.monotonic() - started)


def _failed(job: SolveJob, error: BaseException, seconds: float = 0.0) -> JobResult:
    return JobResult(
        key=job.key, plan=None, seconds=seconds, error=f"{type(error).__name__}: {error}"
    )


@contextmanager
def _progress(total: int, label: str, show: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on standard error, or nothing when not wanted or not a terminal.
    Yields the function to call once per finished job."""
    from rich.console import Console

    console = Console(stderr=True)
    if not show or not console.is_terminal or total == 0:
        yield lambda: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def solve_all(
    jobs: Sequence[SolveJob],
    *,
    scheduler: str | None = None,
    processes: int | None = None,
    progress: bool = False,
    label: str = "solving",
) -> list[JobResult]:
    """Solve every job, in parallel, and return the results in the order of `jobs`.

    Parameters:
        jobs: the solves to run; each carries its scenario and settings.
        scheduler: the address of a running Dask scheduler (`tcp://HOST:PORT`); None runs
            the jobs in a pool of local processes.
        processes: local processes (default: every core, `os.cpu_count()`); ignored with a
            scheduler. With one job, or one process, the job runs in this process.
        progress: show a progress bar on standard error when it is a terminal.
        label: the words in front of the progress bar.

    Returns:
        One :class:`JobResult` per job, in job order. A job whose solve raised has `plan`
        None and `error` set.

    Raises:
        SchedulerError: the scheduler could not be reached.

    >>> from planner.read import read_scenario
    >>> s = read_scenario("tests/data/solve/basic.yaml")
    >>> [r.plan["objective"]["evacuated"] for r in solve_all([SolveJob("a", s, 5.0)])]
    [3]
    """
    jobs = list(jobs)
    if not jobs:
        return []
    if scheduler is not None:
        return _solve_dask(jobs, scheduler, progress, label)
    wanted = processes if processes is not None else (os.cpu_count() or 1)
    wanted = max(1, min(wanted, len(jobs)))
    if wanted == 1:
        results = []
        with _progress(len(jobs), label, progress) as done:
            for job in jobs:
                results.append(run_job(job))
                done()
        return results
    return _solve_local(jobs, wanted, progress, label)


def time_per_job(total: float, jobs: int, slots: int, startup: float = 0.0) -> float:
    """Seconds each of `jobs` solves may take, `slots` at a time, to end within `total`
    seconds; `startup` seconds go first to starting the processes when several run at once.

    >>> time_per_job(60, 4, 2, startup=3)   # two rounds of two
    28.5
    >>> time_per_job(60, 3, 1)
    20.0
    """
    slots = max(1, min(slots, jobs))
    rounds = max(1, math.ceil(jobs / slots))
    return (total - (startup if slots > 1 else 0.0)) / rounds


def parallel_slots(scheduler: str | None = None, processes: int | None = None) -> int:
    """How many solves :func:`solve_all` runs side by side: `processes` (default every
    core) locally, or the threads of all the workers of the Dask cluster.

    Raises:
        SchedulerError: the scheduler could not be reached.
    """
    if scheduler is None:
        return max(1, processes if processes is not None else (os.cpu_count() or 1))
    client = _connect(scheduler)
    try:
        return max(1, sum(client.nthreads().values()))
    finally:
        client.close()


def _start_worker(level: int | None) -> None:
    """Logging in a fresh worker process: as in the parent when it logs (`--verbose`),
    otherwise quiet, so that the solver's warnings do not break into the progress bar."""
    if level is not None:
        logging.basicConfig(level=level, format="%(message)s")
    else:
        logging.getLogger("planner").addHandler(logging.NullHandler())
        logging.getLogger("planner").propagate = False


def _solve_local(
    jobs: list[SolveJob], processes: int, progress: bool, label: str
) -> list[JobResult]:
    """A pool of fresh processes (spawned: OR-Tools threads and fork do not mix)."""
    results: list[JobResult | None] = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    logs = logging.getLogger().handlers and logging.getLogger("planner").isEnabledFor(logging.INFO)
    level = logging.getLogger("planner").getEffectiveLevel() if logs else None
    with (
        _progress(len(jobs), label, progress) as done,
        ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=_start_worker,
            initargs=(level,),
        ) as pool,
    ):
        index: dict[Future[JobResult], int] = {
            pool.submit(run_job, job): i for i, job in enumerate(jobs)
        }
        for future in as_completed(index):
            i = index[future]
            try:
                results[i] = future.result()
            except Exception as e:  # the process died (memory, signal): report, go on
                results[i] = _failed(jobs[i], e)
            done()
    return [r for r in results if r is not None]


def _connect(scheduler: str) -> Any:
    """A `distributed.Client` on `scheduler`, or :class:`SchedulerError` in plain words."""
    try:
        from distributed import Client
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise SchedulerError(f"running on a Dask cluster needs `distributed`: {e}") from None
    if "://" not in scheduler:
        raise SchedulerError(
            f"--scheduler {scheduler!r} is not an address: give it as tcp://HOST:PORT."
        )
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT:g} s "
            f"({type(e).__name__}: {e}). Is it running, and is the address right?"
        ) from None


def _solve_dask(
    jobs: list[SolveJob], scheduler: str, progress: bool, label: str
) -> list[JobResult]:
    """The jobs as tasks on a running Dask cluster; the cluster is left running."""
    from distributed import as_completed as dask_completed

    client = _connect(scheduler)
    try:
        futures = client.map(run_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[JobResult | None] = [None] * len(jobs)
        with client.as_current(), _progress(len(jobs), label, progress) as done:
            for future in dask_completed(futures):
                i = index[future.key]
                try:
                    results[i] = future.result()
                except Exception as e:  # a worker died or the task could not run
                    results[i] = _failed(jobs[i], e)
                done()
    finally:
        client.close()
    return [r for r in results if r is not None]
