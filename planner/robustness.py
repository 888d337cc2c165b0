"""How a plan holds up when things go otherwise than written: `planner sweep`.

A scenario's `uncertainty:` section (:class:`planner.scenario.Uncertainty`) says how roads
and crossings may be slower, how likely a crossing is to close for a while, a flight or
sailing to be cancelled, and a group not to turn up. From it:

- :func:`draw_sample` makes one concrete :class:`Scenario` with a seeded numpy generator:
  longer roads and processing, a crossing closed for a window, cancelled services removed,
  groups that do not turn up removed;
- :func:`replay` walks a fixed plan through such a sample in time: vehicles wait for late
  passengers, flights and sailings leave on schedule, and a group that reaches the airport
  after check-in closes, whose service is cancelled or whose crossing is closed misses the
  connection and is stranded where it is;
- :func:`sweep` does both for N samples, re-plans every sample in parallel
  (:func:`planner.parallel.solve_all`), and summarises each measure by percentiles.

Delays are one-sided: a road or crossing takes between its written time and `1 + spread`
times it (uniformly). The written times are what a plan is made with; a plan keeps its
timetable, so a faster road would only make people wait longer for the next leg, while a
slower one can make them miss it.

Samples are reproducible: sample `i` of seed `s` draws from its own stream
(`SeedSequence(s, spawn_key=(i,))`), so it is the same whatever the number of samples.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from planner.plan import Leg, Plan, evaluate_objectives, group_status, plan_from_dict
from planner.scenario import (
    AbsoluteWindow,
    Crossing,
    Scenario,
    Uncertainty,
)
from planner.timegrid import in_daily_windows

log = logging.getLogger(__name__)

MEASURES = (
    "missed_connections",
    "stranded",
    "stranded_safe",
    "stranded_left_behind",
    "evacuated",
    "extra_exposure",
    "no_show",
)
"""What the replay of the plan measures in each sample (see :class:`Replay`)."""
REPLAN_MEASURES = ("replan_evacuated", "replan_exposure", "replan_gain")
"""What re-planning each sample measures (see :func:`sweep`)."""
PERCENTILES = (5, 50, 95)


# --------------------------------------------------------------------------- sampling


@dataclass(frozen=True)
class Sample:
    """One draw of the uncertainty: the concrete scenario and what was drawn.

    `scenario` has the longer durations, the closures added, the cancelled services and
    the groups that did not turn up removed, and no `uncertainty`.
    """

    index: int
    scenario: Scenario
    no_show: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    closures: dict[str, AbsoluteWindow] = field(default_factory=dict)


def _longer(duration: timedelta, factor: float) -> timedelta:
    """`duration * factor`, rounded up to the whole minute (the plans' finest clock)."""
    minutes = math.ceil(round(duration.total_seconds() * factor / 60.0, 6))
    return timedelta(minutes=minutes)


def draw_sample(scenario: Scenario, seed: int, index: int) -> Sample:
    """Sample `index` of the scenario's uncertainty with `seed`.

    Every road, crossing, service and group draws its numbers in file order whatever its
    chances, so changing one chance does not change what the others draw.

    >>> from planner.read import parse_scenario
    >>> s = parse_scenario('''
    ... scenario: {name: d, start: 2013-10-03T06:00+02:00, horizon: 12h}
    ... locations: {a: {country: LY, danger: true}, b: {country: TN}}
    ... roads: [{from: a, to: b, duration: 2h}]
    ... groups: [{id: F, at: a, destination: b, size: 1}]
    ... uncertainty: {roads: {spread: 50%}}
    ... ''')
    >>> d = draw_sample(s, seed=1, index=0).scenario.roads[0].duration
    >>> timedelta(hours=2) <= d <= timedelta(hours=3)
    True
    """
    u = scenario.uncertainty or Uncertainty()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    roads = []
    for road in scenario.roads:
        draw = float(rng.random())
        roads.append(replace(road, duration=_longer(road.duration, 1.0 + u.road(road) * draw)))
    crossings = []
    closures: dict[str, AbsoluteWindow] = {}
    horizon = scenario.horizon.total_seconds()
    for crossing in scenario.crossings:
        cu = u.crossing(crossing.id)
        slower, closes, when = (float(x) for x in rng.random(3))
        changed = replace(
            crossing, processing=_longer(crossing.processing, 1.0 + cu.processing_spread * slower)
        )
        if closes < cu.closure:
            begin = scenario.start + timedelta(minutes=math.floor(when * horizon / 60.0))
            window = AbsoluteWindow(start=begin, end=begin + cu.closed_for)
            closures[crossing.id] = window
            changed = replace(changed, closed=(*crossing.closed, window))
        crossings.append(changed)
    cancelled = tuple(s.id for s in scenario.services if float(rng.random()) < u.cancel(s))
    no_show = tuple(g.id for g in scenario.groups if float(rng.random()) < u.no_show)
    gone = set(cancelled)
    absent = set(no_show)
    concrete = scenario.replace(
        name=f"{scenario.name} (sample {index})",
        roads=tuple(roads),
        crossings=tuple(crossings),
        flights=tuple(s for s in scenario.flights if s.id not in gone),
        sailings=tuple(s for s in scenario.sailings if s.id not in gone),
        groups=tuple(g for g in scenario.groups if g.id not in absent),
        uncertainty=None,
    )
    return Sample(index, concrete, no_show, cancelled, closures)


def draw_samples(scenario: Scenario, n: int, seed: int) -> list[Sample]:
    """Samples 0 .. n-1 of the scenario's uncertainty with `seed`."""
    return [draw_sample(scenario, seed, i) for i in range(n)]


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Replay:
    """What a fixed plan does in one sample.

    `missed_connections` counts groups that missed a leg (cancelled service, check-in
    closed, crossing closed, their vehicle held up); `stranded` counts their people, split
    by where they end up (`stranded_safe`: out of danger, `stranded_left_behind`: still in
    danger). `evacuated` counts people who reach a destination by the end of the horizon.
    `extra_exposure` is the weighted person-hours in danger above what the plan states for
    the same groups. Groups that do not turn up (`no_show`, people) are left out of all the
    others. `stranded_groups` says for each stranded group what happened.
    """

    missed_connections: int
    stranded: int
    stranded_safe: int
    stranded_left_behind: int
    evacuated: int
    extra_exposure: float
    no_show: int
    stranded_groups: dict[str, str] = field(default_factory=dict)

    def measures(self) -> dict[str, float]:
        """The numbers of :data:`MEASURES`."""
        return {name: float(getattr(self, name)) for name in MEASURES}


def crossing_open(crossing: Crossing, tz: tzinfo, when: datetime) -> bool:
    """True when the crossing takes people at `when`: inside its open hours (local time
    of its from-place) and in none of its closures."""
    if not in_daily_windows(when, crossing.open, tz):
        return False
    for window in crossing.closed:
        if isinstance(window, AbsoluteWindow):
            if window.start <= when < window.end:
                return False
        elif in_daily_windows(when, (window,), tz):
            return False
    return True


@dataclass
class _Walker:
    """A group on its way through the replay."""

    next: int = 0
    free: datetime | None = None
    carrier: str | None = None
    stranded: str | None = None
    done: list[Leg] = field(default_factory=list)


def _clock(scenario: Scenario, when: datetime, place: str) -> str:
    return when.astimezone(scenario.locations[place].timezone).strftime("%d %H:%M")


def replay(scenario: Scenario, plan: Plan, sample: Scenario) -> Replay:
    """Walk the plan through a sample of the scenario in time (see the module's words).

    Parameters:
        scenario: the scenario the plan was made for.
        plan: the plan, made for `scenario` and keeping its rules.
        sample: a concrete sample of `scenario` (:func:`draw_sample`): the same roads and
            crossings in the same order, some services and groups perhaps removed.

    Returns:
        The :class:`Replay` measures.
    """
    road_delay: dict[tuple[str, str, timedelta], timedelta] = {}
    for base_road, sampled in zip(scenario.roads, sample.roads, strict=True):
        delay = sampled.duration - base_road.duration
        ends = [(base_road.from_, base_road.to)]
        if base_road.both_ways:
            ends.append((base_road.to, base_road.from_))
        for a, b in ends:
            road_delay.setdefault((a, b, base_road.duration), delay)
    crossing_delay = {
        c.id: s.processing - c.processing
        for c, s in zip(scenario.crossings, sample.crossings, strict=True)
    }
    sampled_crossing = sample.crossing_by_id
    sampled_services = sample.service_by_id
    shown = {g.id for g in sample.groups}

    def leg_delay(leg: Any) -> timedelta:
        if leg.kind == "crossing":
            return crossing_delay.get(leg.crossing, timedelta(0))
        planned = leg.arrive - leg.depart
        exact = road_delay.get((leg.from_, leg.to, planned))
        if exact is not None:
            return exact
        # a leg longer than its road (it waited on the way): the road's delay all the same
        near = [d for (a, b, _), d in road_delay.items() if (a, b) == (leg.from_, leg.to)]
        return near[0] if near else timedelta(0)

    walkers = {g.id: _Walker(free=g.ready) for g in scenario.groups if g.id in shown}
    group_legs = {g.id: g.legs for g in plan.groups}

    def ready_for(gid: str, leg: Leg, carrier: str) -> datetime:
        w = walkers[gid]
        assert w.free is not None
        place = scenario.locations[leg.from_]
        change = w.carrier is not None and w.carrier != carrier
        return w.free + (place.transfer if change else timedelta(0))

    def strand(gid: str, why: str) -> None:
        walkers[gid].stranded = why

    def advance(gid: str, leg: Leg, depart: datetime, arrive: datetime, carrier: str) -> None:
        w = walkers[gid]
        w.done.append(replace(leg, depart=depart, arrive=arrive))
        w.free = arrive
        w.carrier = carrier
        w.next += 1

    # every movement in planned order: (depart, arrive, what, who, index)
    moves: list[tuple[datetime, datetime, int, str, int]] = []
    for v in plan.vehicles:
        for i, vleg in enumerate(v.legs):
            moves.append((vleg.depart, vleg.arrive, 0, v.id, i))
    for g in plan.groups:
        for i, leg in enumerate(g.legs):
            if leg.kind in ("flight", "sailing") or leg.vehicle in (None, "own"):
                moves.append((leg.depart, leg.arrive, 1, g.id, i))
    moves.sort()
    vehicles = {v.id: v for v in plan.vehicles}
    vehicle_free: dict[str, datetime] = {}
    vehicle_stuck: dict[str, str] = {}

    for _, _, what, who, i in moves:
        if what == 0:
            vleg = vehicles[who].legs[i]
            aboard = []
            for gid in vleg.groups:
                w = walkers.get(gid)
                if w is None or w.stranded is not None:
                    continue
                if who in vehicle_stuck:
                    strand(gid, vehicle_stuck[who])
                    continue
                aboard.append(gid)
            if who in vehicle_stuck:
                continue
            leg0 = Leg(
                kind=vleg.kind,
                from_=vleg.from_,
                to=vleg.to,
                depart=vleg.depart,
                arrive=vleg.arrive,
                vehicle=who,
                crossing=vleg.crossing,
            )
            start = max(
                [vleg.depart, vehicle_free.get(who, vleg.depart)]
                + [ready_for(gid, leg0, who) for gid in aboard]
            )
            if vleg.kind == "crossing":
                crossing = sampled_crossing[vleg.crossing or ""]
                tz = scenario.locations[crossing.from_].timezone
                if not crossing_open(crossing, tz, start):
                    why = (
                        f"crossing {crossing.id} closed when reached at "
                        f"{_clock(scenario, start, crossing.from_)} in {who}"
                    )
                    vehicle_stuck[who] = why
                    for gid in aboard:
                        strand(gid, why)
                    continue
            end = start + (vleg.arrive - vleg.depart) + leg_delay(leg0)
            vehicle_free[who] = end
            for gid in aboard:
                w = walkers[gid]
                legs = group_legs[gid]
                leg = legs[w.next] if w.next < len(legs) else leg0
                advance(gid, leg, start, end, who)
            continue
        w = walkers.get(who)
        if w is None or w.stranded is not None:
            continue
        leg = group_legs[who][i]
        if leg.kind in ("flight", "sailing"):
            service_id = leg.service or ""
            service = sampled_services.get(service_id)
            if service is None:
                strand(who, f"{leg.kind} {service_id} cancelled")
                continue
            lead = max(service.check_in, scenario.locations[leg.from_].transfer)
            assert w.free is not None
            if w.free > leg.depart - lead:
                strand(
                    who,
                    f"reached {leg.from_} at {_clock(scenario, w.free, leg.from_)}, after "
                    f"check-in for {service_id} closed at "
                    f"{_clock(scenario, leg.depart - lead, leg.from_)}",
                )
                continue
            advance(who, leg, leg.depart, leg.arrive, service_id)
            continue
        carrier = leg.vehicle or "foot"
        start = max(leg.depart, ready_for(who, leg, carrier))
        if leg.kind == "crossing":
            crossing = sampled_crossing[leg.crossing or ""]
            tz = scenario.locations[crossing.from_].timezone
            if not crossing_open(crossing, tz, start):
                strand(
                    who,
                    f"crossing {crossing.id} closed when reached at "
                    f"{_clock(scenario, start, crossing.from_)}",
                )
                continue
        end = start + (leg.arrive - leg.depart) + leg_delay(leg)
        advance(who, leg, start, end, carrier)

    # a group whose vehicle never came (held up before reaching it) is stranded too
    for gid, w in walkers.items():
        if w.stranded is None and w.next < len(group_legs.get(gid, ())):
            nxt = group_legs[gid][w.next]
            w.stranded = f"{nxt.vehicle or nxt.kind} did not come"

    kept = tuple(g for g in scenario.groups if g.id in shown)
    base = scenario.replace(groups=kept)
    planned = evaluate_objectives(base, {gid: group_legs.get(gid, ()) for gid in walkers})
    journeys = {gid: tuple(w.done) for gid, w in walkers.items()}
    actual = evaluate_objectives(base, journeys)
    stranded = safe = behind = 0
    reasons: dict[str, str] = {}
    for group in kept:
        walker = walkers[group.id]
        if walker.stranded is None:
            continue
        reasons[group.id] = walker.stranded
        stranded += group.people
        status = group_status(base, group, journeys[group.id])
        if status == "left_behind":
            behind += group.people
        elif status == "safe":
            safe += group.people
    return Replay(
        missed_connections=len(reasons),
        stranded=stranded,
        stranded_safe=safe,
        stranded_left_behind=behind,
        evacuated=int(actual["evacuated"] or 0),
        extra_exposure=round(float(actual["exposure"] or 0) - float(planned["exposure"] or 0), 6),
        no_show=sum(g.people for g in scenario.groups if g.id not in shown),
        stranded_groups=dict(sorted(reasons.items())),
    )


# --------------------------------------------------------------------------- the sweep


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p5, p50, p95 (linear interpolation between samples) and the mean of `values`.

    >>> percentiles([0, 10])
    {'p5': 0.5, 'p50': 5.0, 'p95': 9.5, 'mean': 5.0}
    """
    if not values:
        return {"p5": None, "p50": None, "p95": None, "mean": None}
    arr = np.asarray(values, dtype=float)
    out: dict[str, float | None] = {
        f"p{p}": round(float(np.percentile(arr, p)), 6) for p in PERCENTILES
    }
    out["mean"] = round(float(arr.mean()), 6)
    return out


def sweep(
    scenario: Scenario,
    n: int,
    *,
    seed: int = 0,
    time_limit: float = 120.0,
    replan: bool = True,
    scheduler: str | None = None,
    processes: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Plan the scenario, then measure the plan against `n` samples of its uncertainty and
    (with `replan`) re-plan each sample; everything in plain JSON data.

    `time_limit` bounds the whole call: the base plan gets one share and the re-plans,
    running side by side on the parallel places (:func:`planner.parallel.parallel_slots`),
    share the rest.

    Returns:
        `{"scenario", "samples", "seed", "plan": objective of the plan, "summary": measure
        -> percentiles, "per_sample": [...]}`.

    Raises:
        planner.parallel.SchedulerError: the scheduler could not be reached.
        ValueError: `n` is less than 1.
    """
    from planner.parallel import SolveJob, parallel_slots, solve_all, time_per_job

    if n < 1:
        raise ValueError("the number of samples must be at least 1")
    started = time.monotonic()
    slots = parallel_slots(scheduler, processes) if replan else 1
    # the pool's start-up and writing the results need a little of the time
    reserve = min(10.0, 0.1 * time_limit)
    budget = max(0.5, time_limit - reserve)
    per_solve = time_per_job(budget, (n if replan else 0) + slots, slots)
    base_job = SolveJob("plan", scenario, per_solve, seed=seed, workers=2)
    base_result = solve_all([base_job], processes=1, progress=progress, label="planning")[0]
    if base_result.plan is None:
        raise RuntimeError(f"the scenario could not be planned: {base_result.error}")
    plan = plan_from_dict(base_result.plan)
    samples = draw_samples(scenario, n, seed)
    replays = [replay(scenario, plan, s.scenario) for s in samples]
    rows: list[dict[str, Any]] = []
    for s, r in zip(samples, replays, strict=True):
        rows.append(
            {
                "sample": s.index,
                "no_show_groups": list(s.no_show),
                "cancelled": list(s.cancelled),
                "closures": {
                    cid: {"from": w.start.isoformat(), "to": w.end.isoformat()}
                    for cid, w in sorted(s.closures.items())
                },
                **r.measures(),
                "stranded_groups": r.stranded_groups,
            }
        )
    if replan:
        left = time_limit - reserve - (time.monotonic() - started)
        each = max(0.5, time_per_job(left, n, slots))
        workers = max(1, min(2, slots // n)) if scheduler is None else 1
        jobs = [
            SolveJob(f"sample {s.index}", s.scenario, each, seed=seed, workers=workers)
            for s in samples
        ]
        results = solve_all(
            jobs,
            scheduler=scheduler,
            processes=processes,
            progress=progress,
            label=f"re-planning {n} samples",
        )
        for row, result, r in zip(rows, results, replays, strict=True):
            if result.plan is None:
                row["replan_error"] = result.error
                continue
            objective = result.plan["objective"]
            row["replan_evacuated"] = float(objective["evacuated"])
            row["replan_exposure"] = float(objective["exposure"])
            row["replan_gain"] = float(objective["evacuated"]) - r.evacuated
            row["replan_status"] = result.plan["status"]
    names = list(MEASURES) + (list(REPLAN_MEASURES) if replan else [])
    summary = {name: percentiles([row[name] for row in rows if name in row]) for name in names}
    return {
        "format": "evacuation-sweep/1",
        "scenario": scenario.name,
        "samples": n,
        "seed": seed,
        "replan": replan,
        "plan": {"status": plan.status, "objective": plan.objective},
        "summary": summary,
        "per_sample": rows,
        "seconds": round(time.monotonic() - started, 3),
    }


# --------------------------------------------------------------------------- writing

LABELS = {
    "missed_connections": "missed connections (groups)",
    "stranded": "people stranded",
    "stranded_safe": "  of them out of danger",
    "stranded_left_behind": "  of them still in danger",
    "evacuated": "people evacuated, plan kept",
    "extra_exposure": "extra exposure (weighted person-hours)",
    "no_show": "people who did not turn up",
    "replan_evacuated": "people evacuated, re-planned",
    "replan_exposure": "exposure, re-planned",
    "replan_gain": "more evacuated by re-planning",
}


def plot_sweep(result: dict[str, Any], path: Path) -> Path:
    """The distribution plot `sweep.png`: one histogram per main measure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["per_sample"]
    panels = [
        ("evacuated", "replan_evacuated"),
        ("stranded", None),
        ("missed_connections", None),
        ("extra_exposure", None),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    for ax, (name, other) in zip(axes.flat, panels, strict=True):
        values = [row[name] for row in rows if name in row]
        ax.hist(values, bins=min(30, max(5, len(values) // 3)), alpha=0.75, label="plan kept")
        if other is not None and any(other in row for row in rows):
            more = [row[other] for row in rows if other in row]
            ax.hist(more, bins=min(30, max(5, len(more) // 3)), alpha=0.55, label="re-planned")
            ax.legend(fontsize=8)
        p = result["summary"][name]
        for key, style in (("p5", ":"), ("p50", "-"), ("p95", ":")):
            if p[key] is not None:
                ax.axvline(p[key], color="black", linestyle=style, linewidth=1)
        ax.set_title("people evacuated" if other else LABELS[name].strip(), fontsize=10)
        ax.set_ylabel("samples", fontsize=9)
    fig.suptitle(
        f"{result['scenario']}: {result['samples']} samples, seed {result['seed']} "
        "(lines: p5, p50, p95)",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def sweep_html(result: dict[str, Any], png: Path) -> str:
    """The offline page `sweep.html`: the percentile table and the plot (embedded)."""
    from planner.outputs.report import CSS

    rows = "".join(
        f"<tr><td>{escape(LABELS[name])}</td>"
        + "".join(f'<td class="num">{_cell(values[k])}</td>' for k in ("p5", "p50", "p95", "mean"))
        + "</tr>"
        for name, values in result["summary"].items()
    )
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    objective = ", ".join(f"{k} {v}" for k, v in result["plan"]["objective"].items())
    title = escape(str(result["scenario"]))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweep: {title}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Sweep: {title}</h1>
<p class="note">{result["samples"]} samples of the scenario's uncertainty, seed
{result["seed"]}. The plan ({escape(result["plan"]["status"])}: {escape(objective)}) is
kept and replayed in each sample{"; each sample is also re-planned" if result["replan"] else ""}.
</p>
</header>
<section><h2>Percentiles</h2>
<table><tr><th>measure</th><th class="num">p5</th><th class="num">p50</th>
<th class="num">p95</th><th class="num">mean</th></tr>{rows}</table></section>
<section><h2>Distribution</h2>
<img alt="distribution of the measures over the samples" style="max-width:100%"
src="data:image/png;base64,{image}"></section>
<footer>evacuation planner sweep</footer>
</body>
</html>
"""


def write_sweep(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write `sweep.json`, `sweep.png` and `sweep.html` to `out_dir`; the paths written."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "sweep.json"
    data.write_text(
        json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n",
        encoding="utf-8",
    )
    png = plot_sweep(result, out_dir / "sweep.png")
    page = out_dir / "sweep.html"
    page.write_text(sweep_html(result, png), encoding="utf-8")
    return [data, png, page]
