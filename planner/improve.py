"""What would help most: `planner improve`.

The candidate improvements are small, concrete changes to the scenario, of the kinds a
variant makes (:mod:`planner.variants`):

- one more vehicle of each fleet kind (same seats, base and availability);
- one more hour of opening at each crossing with open hours, tried both before the opening
  and after the closing; the better of the two is kept and says which it is;
- +25% throughput (at least +1 person per hour) at each crossing with a throughput;
- +25% seats (at least +1) on each flight and sailing.

A change can only matter where people can get to: crossings and services whose
from-place no group can reach by any road, crossing or service (whatever the capacities)
are not tried. Every candidate and the base are solved with the same time limit through
:func:`planner.parallel.solve_all`, and the candidates are ranked lexicographically by how
much each improves the scenario's objectives, in the scenario's order, against the base;
ties keep the order of the candidate list above.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx

from planner.scenario import (
    Change,
    ChangeCrossing,
    ChangeFleet,
    ChangeService,
    Crossing,
    DailyWindow,
    Scenario,
)
from planner.variants import apply_change

HOUR = 60
"""Minutes of the one more hour of opening."""
MORE = 0.25
"""Throughput and seats are raised by this fraction (and by at least one)."""
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Candidate:
    """One change to try: a short key, what it is in words, and the changed scenario.
    Candidates with the same `family` are alternatives of which only the best is kept."""

    key: str
    description: str
    scenario: Scenario
    family: str


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _window(start: int, end: int) -> DailyWindow:
    if start == end:  # the one more hour closed the last gap of the day
        return DailyWindow(0, 1440, "00:00-24:00")
    return DailyWindow(start, end, f"{_hhmm(start)}-{_hhmm(end)}")


def _open_minutes(windows: tuple[DailyWindow, ...]) -> int:
    return sum(1440 if w.all_day else (w.end - w.start) % 1440 or 1440 for w in windows)


def longer_opening(crossing: Crossing, before: bool) -> Crossing | None:
    """The crossing open one hour more: its first window of the day opens an hour earlier
    (`before`) or its last window closes an hour later. None when it is open all day.

    >>> c = Crossing("x", "a", "b", processing=__import__("datetime").timedelta(hours=1),
    ...              open=(DailyWindow(420, 1140, "07:00-19:00"),))
    >>> longer_opening(c, before=True).open[0].text, longer_opening(c, before=False).open[0].text
    ('06:00-19:00', '07:00-20:00')
    """
    windows = crossing.open
    if not windows or any(w.all_day for w in windows) or _open_minutes(windows) >= 1440:
        return None
    if before:
        i = min(range(len(windows)), key=lambda k: windows[k].start)
        w = windows[i]
        changed = _window((w.start - HOUR) % 1440, w.end % 1440)
    else:
        i = max(range(len(windows)), key=lambda k: windows[k].end % 1440 or 1440)
        w = windows[i]
        changed = _window(w.start, (w.end + HOUR) % 1440)
    return replace(crossing, open=(*windows[:i], changed, *windows[i + 1 :]))


def _more(value: int) -> int:
    return max(value + 1, math.ceil(value * (1 + MORE)))


def _reachable(scenario: Scenario) -> set[str]:
    """Places some group can reach by any road, crossing or service, capacities aside."""
    from planner.network import build_network

    graph = build_network(scenario)
    seen: set[str] = set()
    for origin in sorted({g.at for g in scenario.groups}):
        if origin not in seen:
            seen |= {origin} | nx.descendants(graph, origin)
    return seen


def candidates(scenario: Scenario) -> list[Candidate]:
    """The candidate improvements of the scenario, in the order ties are ranked. Each is a
    change of the kind a variant makes, applied with :func:`planner.variants.apply_change`."""
    out: list[Candidate] = []
    reach = _reachable(scenario)

    def add(key: str, description: str, change: Change, family: str) -> None:
        out.append(Candidate(key, description, apply_change(scenario, change), family))

    for kind in scenario.fleet:
        description = f"one more {kind.id} ({kind.seats} seats, at {kind.at})"
        add(f"fleet:{kind.id}", description, ChangeFleet(kind.id, more=1), f"fleet:{kind.id}")
    for crossing in scenario.crossings:
        if crossing.from_ not in reach:
            continue
        for before in (True, False):
            changed = longer_opening(crossing, before)
            if changed is None:
                continue
            hours = ", ".join(w.text for w in changed.open)
            which = "before the opening" if before else "after the closing"
            add(
                f"open:{crossing.id}:{'before' if before else 'after'}",
                f"{crossing.id} open one hour more, {which} ({hours})",
                ChangeCrossing(crossing.id, open=changed.open),
                f"open:{crossing.id}",
            )
    for crossing in scenario.crossings:
        if crossing.throughput is None or crossing.from_ not in reach:
            continue
        more = _more(crossing.throughput)
        add(
            f"throughput:{crossing.id}",
            f"{crossing.id} takes {more} people an hour instead of {crossing.throughput}",
            ChangeCrossing(crossing.id, throughput=more),
            f"throughput:{crossing.id}",
        )
    for service in scenario.services:
        if service.from_ not in reach:
            continue
        more = _more(service.seats)
        add(
            f"seats:{service.id}",
            f"{service.kind} {service.id} with {more} seats instead of {service.seats}",
            ChangeService(service.id, seats=more),
            f"seats:{service.id}",
        )
    return out


def gains(scenario: Scenario, base: dict[str, Any], other: dict[str, Any]) -> dict[str, float]:
    """How much `other` improves on `base`, objective by objective in the scenario's order:
    positive is better (more evacuated; less exposure, arrival or makespan)."""
    out = {}
    for name in scenario.objective:
        a, b = base.get(name), other.get(name)
        if a is None or b is None:
            # makespan is None when nobody is evacuated: any evacuation is a change, not
            # a measurable gain in hours
            out[name] = 0.0
            continue
        gain = float(b) - float(a) if name == "evacuated" else float(a) - float(b)
        out[name] = round(gain, 6)
    return out


def _order_key(scenario: Scenario, gain: dict[str, float]) -> tuple[float, ...]:
    return tuple(-gain[name] if abs(gain[name]) > TOLERANCE else 0.0 for name in scenario.objective)


def improve(
    scenario: Scenario,
    *,
    time_limit: float = 120.0,
    seed: int = 0,
    scheduler: str | None = None,
    processes: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Solve the base and every candidate, and rank the candidates (see the module's words).

    `time_limit` bounds the whole call: the solves, run side by side on the parallel
    places, share it.

    Returns:
        `{"scenario", "objective": names, "base": objective values, "ranking": [...]}`,
        each ranking entry with the candidate's key, description, objective values, the
        gain on each objective and the plan status; failed solves are listed under
        `"errors"`.

    Raises:
        planner.parallel.SchedulerError: the scheduler could not be reached.
    """
    from planner.parallel import SolveJob, parallel_slots, solve_all, time_per_job

    started = time.monotonic()
    found = candidates(scenario)
    slots = parallel_slots(scheduler, processes)
    reserve = min(10.0, 0.1 * time_limit)
    left = time_limit - reserve - (time.monotonic() - started)
    each = max(0.5, time_per_job(left, len(found) + 1, slots))
    workers = max(1, min(2, slots // (len(found) + 1))) if scheduler is None else 1
    jobs = [SolveJob("base", scenario, each, seed=seed, workers=workers)] + [
        SolveJob(c.key, c.scenario, each, seed=seed, workers=workers) for c in found
    ]
    results = solve_all(
        jobs,
        scheduler=scheduler,
        processes=processes,
        progress=progress,
        label=f"trying {len(found)} improvements",
    )
    base = results[0]
    if base.plan is None:
        raise RuntimeError(f"the scenario could not be planned: {base.error}")
    base_objective = base.plan["objective"]
    entries: dict[str, dict[str, Any]] = {}
    errors = []
    for position, (candidate, result) in enumerate(zip(found, results[1:], strict=True)):
        if result.plan is None:
            errors.append({"key": candidate.key, "error": result.error})
            continue
        gain = gains(scenario, base_objective, result.plan["objective"])
        entry = {
            "key": candidate.key,
            "description": candidate.description,
            "objective": result.plan["objective"],
            "gain": gain,
            "status": result.plan["status"],
            "position": position,
        }
        kept = entries.get(candidate.family)
        # of two alternatives (an hour before or after) keep the better; the first on a tie
        if kept is None or _order_key(scenario, gain) < _order_key(scenario, kept["gain"]):
            entries[candidate.family] = entry
    ranking = sorted(
        entries.values(), key=lambda e: (_order_key(scenario, e["gain"]), e["position"])
    )
    for rank, entry in enumerate(ranking, 1):
        entry["rank"] = rank
        del entry["position"]
    return {
        "format": "evacuation-improve/1",
        "scenario": scenario.name,
        "objective": list(scenario.objective),
        "base": {"status": base.plan["status"], "objective": base_objective},
        "ranking": ranking,
        "errors": errors,
        "seconds": round(time.monotonic() - started, 3),
    }
