"""Side by side: a base scenario and its what-if variants (or several scenario files).

:func:`cases_from_variants` and :func:`cases_from_files` say what to compare,
:func:`solve_cases` solves every case (in parallel, see :mod:`planner.parallel`) within
one time limit, and :func:`compare_plans` puts the plans side by side: the headline figures
of each, and the families whose status, vehicle, crossing, flight or sailing differ from
the base, with before and after. :func:`write_comparison` writes `compare.json` and each
case's own `plan.json`; the page is :mod:`planner.outputs.comparison`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from planner.parallel import JobResult, SolveJob, solve_all, time_per_job
from planner.scenario import Scenario, Variant
from planner.variants import apply_variant, describe_change

__all__ = [
    "BASE",
    "FORMAT",
    "Case",
    "Comparison",
    "FamilyChange",
    "Figures",
    "Route",
    "cases_from_files",
    "cases_from_variants",
    "compare_plans",
    "comparison_to_dict",
    "job_time_limit",
    "solve_cases",
    "write_comparison",
]

log = logging.getLogger(__name__)

FORMAT = "evacuation-comparison/1"
"""The `format` of compare.json (docs/comparison.md)."""
BASE = "base"
"""The key of the base scenario when comparing a file with its variants."""
STARTUP = 3.0
"""Seconds a fresh worker process needs before its solve starts (Python, OR-Tools)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Case:
    """One scenario of a comparison.

    `key` names it in tables and is the folder of its `plan.json`; `variant` is the variant
    it was made from (None for the base and for whole files).
    """

    key: str
    scenario: Scenario
    variant: Variant | None = None
    changes: tuple[str, ...] = ()
    """The variant's changes in words (empty for the base and for whole files)."""


def cases_from_variants(base: Scenario, names: Sequence[str] = ()) -> list[Case]:
    """The base and its variants (all of them, or those named, in the order named).

    Raises:
        KeyError: a name is not a variant of the scenario.

    Example:
        >>> from planner.read import read_scenario
        >>> [c.key for c in cases_from_variants(read_scenario("scenarios/tripoli-2013.yaml"))]
        ['base', 'ras-ajdir-shut', 'emercom-replaced', 'coaches-late']
    """
    chosen = list(names) or list(base.variants)
    cases = [Case(BASE, base)]
    for name in chosen:
        scenario = apply_variant(base, name)  # KeyError for an unknown name
        variant = base.variants[name]
        changes = tuple(describe_change(c, base) for c in variant.changes)
        cases.append(Case(name, scenario, variant, changes))
    return cases


def cases_from_files(scenarios: Sequence[Scenario]) -> list[Case]:
    """One case a file, the first being the base; keys are the file names without their
    extension, made unique with `-2`, `-3` where two are alike."""
    cases: list[Case] = []
    taken: set[str] = set()
    for scenario in scenarios:
        stem = _UNSAFE.sub("_", Path(scenario.source).stem).strip("._") or "scenario"
        key, n = stem, 1
        while key in taken:
            n += 1
            key = f"{stem}-{n}"
        taken.add(key)
        cases.append(Case(key, scenario))
    return cases


def job_time_limit(total: float, jobs: int, slots: int) -> float:
    """Seconds each solve may take so that `jobs` solves, `slots` at a time, end within
    `total` seconds; a fresh process's start is counted when solves run in parallel.

    >>> job_time_limit(60, 4, 2)   # two rounds of two, after 3 s of start-up
    28.5
    >>> job_time_limit(60, 3, 1)
    20.0
    """
    return max(0.5, time_per_job(total, jobs, slots, STARTUP))


def solve_cases(
    cases: Sequence[Case],
    *,
    time_limit: float,
    seed: int = 0,
    scheduler: str | None = None,
    processes: int | None = None,
    progress: bool = False,
) -> list[JobResult]:
    """Solve every case, in parallel, all within `time_limit` seconds; results in order.

    Locally the solves share the cores (`processes`, default every core): each gets its
    share of the time and of the CP-SAT threads. On a Dask cluster (`scheduler`) every solve
    is taken to run at once, each with the whole time.

    Raises:
        planner.parallel.SchedulerError: the scheduler could not be reached.
    """
    cores = os.cpu_count() or 1
    if scheduler is not None:
        slots = len(cases)
        workers = 1
    else:
        slots = max(1, min(processes or cores, len(cases)))
        workers = max(1, cores // slots)
    each = job_time_limit(time_limit, len(cases), slots)
    log.info("%d solves, %d at a time, %.1f s each", len(cases), slots, each)
    jobs = [SolveJob(c.key, c.scenario, each, seed=seed, workers=workers) for c in cases]
    return solve_all(
        jobs, scheduler=scheduler, processes=slots, progress=progress, label="comparing"
    )


# --------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Figures:
    """The headline figures of one case's plan (people; person-hours; hours)."""

    key: str
    name: str
    people: int
    evacuated: int | None = None
    safe: int | None = None
    left_behind: int | None = None
    exposure: float | None = None
    arrival: float | None = None
    makespan: float | None = None
    """Hours from the start to the last evacuated group's arrival."""
    last_arrival: datetime | None = None
    status: str = "error"
    gap: float | None = None
    """The largest relative gap between an objective and its proven bound."""
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Route:
    """How one family travels in one plan: its status; the fleet vehicles (or `own`), their
    fleet kinds, the crossings and the flights or sailings of its legs, each in order;
    `steps`, all of these as the journey meets them; and when it arrives at its end."""

    status: str
    vehicles: tuple[str, ...] = ()
    fleets: tuple[str, ...] = ()
    crossings: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    arrive: datetime | None = None


@dataclass(frozen=True)
class FamilyChange:
    """A family whose route differs from the base. `changed` names what differs, among
    `status`, `vehicle`, `crossing`, `service` and `presence` (in one scenario only);
    `before` or `after` is None where the family is not in that scenario."""

    group: str
    people: int
    changed: tuple[str, ...]
    before: Route | None
    after: Route | None


@dataclass(frozen=True)
class Comparison:
    """Cases with their plans and figures, and per case (not the base) the families that
    change, in the base's group order."""

    cases: tuple[Case, ...]
    plans: tuple[dict[str, Any] | None, ...]
    figures: tuple[Figures, ...]
    families: dict[str, tuple[FamilyChange, ...]] = field(default_factory=dict)

    @property
    def base(self) -> Case:
        """The first case, which the others are compared with."""
        return self.cases[0]


def figures_of(case: Case, result: JobResult) -> Figures:
    """The figures of one solved case; a failed solve gives `status` `error`."""
    scenario = case.scenario
    plan = result.plan
    if plan is None:
        return Figures(
            case.key, scenario.name, scenario.people, seconds=result.seconds, error=result.error
        )
    people = {"evacuated": 0, "safe": 0, "left_behind": 0}
    for g in plan.get("groups", []):
        people[g["status"]] = people.get(g["status"], 0) + int(g["people"])
    objective = plan.get("objective") or {}
    makespan = objective.get("makespan")
    last = None if makespan is None else scenario.start + timedelta(hours=float(makespan))
    return Figures(
        key=case.key,
        name=scenario.name,
        people=scenario.people,
        evacuated=people["evacuated"],
        safe=people["safe"],
        left_behind=people["left_behind"],
        exposure=_float(objective.get("exposure")),
        arrival=_float(objective.get("arrival")),
        makespan=_float(makespan),
        last_arrival=last,
        status=str(plan.get("status", "feasible")),
        gap=_largest_gap(plan),
        seconds=result.seconds,
    )


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _largest_gap(plan: dict[str, Any]) -> float | None:
    objective = plan.get("objective") or {}
    gaps = []
    for name, bound in (plan.get("bound") or {}).items():
        value = objective.get(name)
        if value is None or bound is None:
            continue
        gaps.append(abs(float(value) - float(bound)) / abs(float(value)) if value else 0.0)
    return max(gaps) if gaps else None


def routes_of(plan: dict[str, Any]) -> dict[str, tuple[int, Route]]:
    """Each group's people and :class:`Route` in a plan (PLAN.md data), by group id."""
    fleet_of = {v["id"]: v.get("fleet") for v in plan.get("vehicles", [])}
    out: dict[str, tuple[int, Route]] = {}
    for g in plan.get("groups", []):
        legs = g.get("legs", [])
        vehicles = _in_order(leg.get("vehicle") for leg in legs)
        steps: list[str] = []
        for leg in legs:
            step = leg.get("service") or leg.get("crossing") or leg.get("vehicle")
            if step is not None and (not steps or steps[-1] != step):
                steps.append(step)
        out[g["id"]] = (
            int(g["people"]),
            Route(
                status=g["status"],
                vehicles=vehicles,
                fleets=_in_order(fleet_of.get(v) or v.rsplit("-", 1)[0] for v in vehicles),
                crossings=_in_order(leg.get("crossing") for leg in legs),
                services=_in_order(leg.get("service") for leg in legs),
                steps=tuple(steps),
                arrive=datetime.fromisoformat(legs[-1]["arrive"]) if legs else None,
            ),
        )
    return out


def _in_order(values: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        if v is not None:
            seen.setdefault(v, None)
    return tuple(seen)


def family_changes(base: dict[str, Any], other: dict[str, Any]) -> tuple[FamilyChange, ...]:
    """Families whose status, kinds of vehicle, crossings or flights and sailings differ
    between two plans (PLAN.md data); the base's group order, then groups only in `other`.

    Vehicles of one fleet kind are alike, so a family moved from `bus-3` to `bus-4` is not
    a change; one moved from a bus to a car is (both routes keep the vehicle ids)."""
    before, after = routes_of(base), routes_of(other)
    changes = []
    for group in [*before, *(g for g in after if g not in before)]:
        b, a = before.get(group), after.get(group)
        if b is None or a is None:
            people = (b or a)[0]  # type: ignore[index]
            route_b, route_a = (b[1] if b else None), (a[1] if a else None)
            changes.append(FamilyChange(group, people, ("presence",), route_b, route_a))
            continue
        differs = tuple(
            name
            for name, attr in (
                ("status", "status"),
                ("vehicle", "fleets"),
                ("crossing", "crossings"),
                ("service", "services"),
            )
            if getattr(b[1], attr) != getattr(a[1], attr)
        )
        if differs:
            changes.append(FamilyChange(group, b[0], differs, b[1], a[1]))
    return tuple(changes)


def compare_plans(cases: Sequence[Case], results: Sequence[JobResult]) -> Comparison:
    """Put the solved cases side by side; the first case is the base.

    Example:
        >>> from planner.read import read_scenario
        >>> cases = cases_from_files([read_scenario("tests/data/solve/basic.yaml")] * 2)
        >>> comparison = compare_plans(cases, solve_cases(cases, time_limit=10, processes=1))
        >>> [f.evacuated for f in comparison.figures], comparison.families
        ([3, 3], {'basic-2': ()})
    """
    if len(cases) != len(results):
        raise ValueError("one result per case is needed")
    figures = tuple(figures_of(c, r) for c, r in zip(cases, results, strict=True))
    base_plan = results[0].plan
    families: dict[str, tuple[FamilyChange, ...]] = {}
    for case, result in zip(cases[1:], results[1:], strict=True):
        if base_plan is not None and result.plan is not None:
            families[case.key] = family_changes(base_plan, result.plan)
    return Comparison(
        cases=tuple(cases),
        plans=tuple(r.plan for r in results),
        figures=figures,
        families=families,
    )


# --------------------------------------------------------------------------- writing


def _time(when: datetime | None, scenario: Scenario) -> str | None:
    return None if when is None else when.astimezone(scenario.timezone).isoformat()


def _route_dict(route: Route | None, scenario: Scenario) -> dict[str, Any] | None:
    if route is None:
        return None
    return {
        "status": route.status,
        "vehicles": list(route.vehicles),
        "fleets": list(route.fleets),
        "crossings": list(route.crossings),
        "services": list(route.services),
        "steps": list(route.steps),
        "arrive": _time(route.arrive, scenario),
    }


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """The comparison as the JSON object of docs/comparison.md."""
    scenarios = []
    for case, f, plan in zip(comparison.cases, comparison.figures, comparison.plans, strict=True):
        variant = case.variant
        scenarios.append(
            {
                "key": case.key,
                "name": case.scenario.name,
                "source": case.scenario.source,
                "variant": variant.name if variant else None,
                "description": variant.description if variant else None,
                "changes": list(case.changes),
                "plan": f"{case.key}/plan.json" if plan is not None else None,
                "people": f.people,
                "evacuated": f.evacuated,
                "safe": f.safe,
                "left_behind": f.left_behind,
                "exposure": f.exposure,
                "arrival": f.arrival,
                "makespan": f.makespan,
                "last_arrival": _time(f.last_arrival, case.scenario),
                "status": f.status,
                "gap": f.gap,
                "seconds": round(f.seconds, 3),
                "error": f.error,
            }
        )
    base = comparison.base.scenario
    return {
        "format": FORMAT,
        "base": comparison.base.key,
        "scenarios": scenarios,
        "families": {
            key: [
                {
                    "group": c.group,
                    "people": c.people,
                    "changed": list(c.changed),
                    "before": _route_dict(c.before, base),
                    "after": _route_dict(c.after, base),
                }
                for c in changes
            ]
            for key, changes in comparison.families.items()
        },
    }


def _dump(data: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_comparison(
    comparison: Comparison, out_dir: str | Path | None, json_path: str | Path | None = None
) -> list[Path]:
    """Write `compare.json` and each case's `<key>/plan.json` into `out_dir` (None: only
    `json_path`), and compare.json also to `json_path` when given. Returns the files
    written."""
    data = comparison_to_dict(comparison)
    written: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        written.append(_dump(data, out / "compare.json"))
        for case, plan in zip(comparison.cases, comparison.plans, strict=True):
            if plan is not None:
                written.append(_dump(plan, out / case.key / "plan.json"))
    if json_path is not None:
        written.append(_dump(data, Path(json_path)))
    return written
