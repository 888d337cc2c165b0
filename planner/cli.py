"""The `planner` command (CLI.md): it reads, calls the library, writes, and nothing else."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from planner.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Plan an evacuation: who leaves when, in which vehicle, through which crossing, "
    "on which flight.",
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
SHOWN = 20
"""Groups not evacuated listed in the summary; the rest are in plan.json and the report."""
SUMMARY_SECONDS = 1.0
"""Seconds of `planner plan`'s time limit kept for the summary, after the outputs."""
EXIT_SECONDS = 1.5
"""Seconds of the time limit kept for the program to start (Python and its imports, before
the call's clock starts) and to end, after the summary."""
err = Console(stderr=True, highlight=False)


def _fail_input(error: InputError) -> typer.Exit:
    for problem in error.problems:
        err.print(str(problem), markup=False)
    n = len(error.problems)
    err.print(f"{n} problem{'s' if n != 1 else ''} found.", markup=False)
    return typer.Exit(2)


def _hours(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f} h"


def print_summary(
    plan: object, scenario: object, seconds: float, path: Path, until: float | None = None
) -> None:
    """The short summary `planner plan` prints."""
    from planner.plan import Plan
    from planner.scenario import Scenario

    assert isinstance(plan, Plan) and isinstance(scenario, Scenario)
    people = scenario.people
    counts = {"evacuated": 0, "safe": 0, "left_behind": 0}
    for g in plan.groups:
        counts[g.status] += g.people
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("scenario", scenario.name)
    table.add_row("people", f"{people:,} in {len(scenario.groups):,} groups")
    table.add_row("evacuated", f"{counts['evacuated']:,}")
    table.add_row("safe", f"{counts['safe']:,} (out of danger, not at destination)")
    table.add_row("left behind", f"{counts['left_behind']:,}")
    last = plan.objective.get("makespan")
    if last is not None:
        when = scenario.start.timestamp() + float(last) * 3600
        from datetime import datetime

        local = datetime.fromtimestamp(when, scenario.timezone)
        table.add_row("last arrival", f"{local:%Y-%m-%d %H:%M %Z} (+{float(last):.2f} h)")
    else:
        table.add_row("last arrival", "-")
    table.add_row(
        "exposure", f"{float(plan.objective['exposure'] or 0):,.2f} weighted person-hours"
    )
    bounds = []
    for name, b in plan.bound.items():
        v = plan.objective.get(name)
        gap_text = ""
        if v is not None:
            gap = abs(float(v) - float(b)) / abs(float(v)) if float(v) else 0.0
            gap_text = f", gap {100 * gap:.2f}%"
        bounds.append(f"{name} {_number(v)} (bound {_number(b)}{gap_text})")
    table.add_row("status", plan.status + (" (proven)" if plan.status == "optimal" else ""))
    if bounds:
        table.add_row("objectives", "; ".join(bounds))
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("written", str(path))
    out.print(table)
    if counts["left_behind"] or counts["safe"]:
        from planner.diagnose import main_bottleneck

        neck = main_bottleneck(scenario, plan, until)  # none when not worked out by `until`
        if neck:
            out.print(f"Main bottleneck: {neck}", markup=False)
        out.print("Not evacuated:")
        from planner.outputs.view import shortened

        missed = [g for g in plan.groups if g.status != "evacuated"]
        cut = False
        for g in missed[:SHOWN]:
            reason = shortened(g.reason or "")
            cut = cut or reason != g.reason
            out.print(f"  {g.id} ({g.people}): {g.status}, {reason}", markup=False)
        if len(missed) > SHOWN:
            out.print(f"  ... and {len(missed) - SHOWN} more groups: see plan.json and the report")
        if cut:
            out.print("Reasons cut short here ([...]) are in full in plan.json and the report.")


def _number(value: float | None) -> str:
    """An objective's value or bound as the summary shows it: `14,836`, `45,279.5`,
    `1,203.25` (hours on a 15-minute grid)."""
    if value is None:
        return "-"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


class _progress_line:
    """A live line on standard error while the solver runs: the time elapsed (ticking),
    the stage, the best value found so far, the bound and the gap."""

    def __init__(self, started: float) -> None:
        from rich.live import Live

        self.started = started
        self.best = "planning..."
        self.live = Live(
            console=err, transient=True, refresh_per_second=4, get_renderable=self._line
        )
        self.live.start()

    def _line(self) -> Any:
        from rich.text import Text

        return Text(f"{time.monotonic() - self.started:6.1f} s  {self.best}")

    def report(self, stage: str, seconds: float, value: float, bound: float) -> None:
        line = f"{stage}: best so far {value:,.2f}"
        if not math.isnan(bound):
            gap = abs(value - bound) / max(abs(value), 1e-9)
            line += f", bound {bound:,.2f}, gap {gap:.1%}"
        self.best = line

    def stop(self) -> None:
        self.live.stop()


@app.command()
def plan(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    output: Annotated[str, typer.Option("-o", "--output", help="Folder for plan.json.")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Wall-clock seconds for the whole call.")
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the solver.")] = 0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Solver threads; with 2 or more, a second dispatcher may run in a process "
            "of its own (docs/solver.md).",
        ),
    ] = 2,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="cp-sat: the dispatcher's plan improved by OR-Tools CP-SAT (default); "
            "greedy: the dispatcher alone.",
        ),
    ] = "cp-sat",
    outputs: Annotated[
        bool,
        typer.Option(
            "--outputs/--no-outputs",
            help="Also write itineraries, run sheets, manifests, calendars and the report.",
        ),
    ] = True,
    redact: Annotated[
        bool, typer.Option("--redact", help="Names replaced by group ids in the outputs.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log the solve.")] = False,
) -> None:
    """Solve the scenario and write DIR/plan.json and the other outputs; prints a summary."""
    started = time.monotonic()
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    from planner.model import SolveParameters, dispatch_alone, solve
    from planner.plan import write_plan
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
    except InputError as e:
        raise _fail_input(e) from None
    _check_options(time_limit)
    if method not in ("cp-sat", "greedy"):
        err.print(f"--method must be cp-sat or greedy, not {method!r}.", markup=False)
        raise typer.Exit(2)
    # keep some of the time for writing plan.json and the outputs
    spent = time.monotonic() - started
    # writing the outputs and the solver's own overshoot need room: at least what the
    # outputs people act on first take (a country's itineraries take seconds), at most a
    # quarter of the time
    if outputs:
        from planner.outputs import essential_seconds

        first = essential_seconds(len(scenario.groups), len(scenario.vehicles))
        reserve = min(0.25 * time_limit, max(15.0, 1.2 * first))
    else:
        reserve = min(2.0, 0.05 * time_limit)
    budget = max(0.1, time_limit - spent - reserve)
    live = _progress_line(started) if err.is_terminal and not verbose else None
    params = SolveParameters(
        time_limit=budget,
        workers=workers,
        seed=seed,
        progress=live.report if live is not None else None,
    )
    try:
        if method == "greedy":
            result = dispatch_alone(scenario, params)
        else:
            result = solve(scenario, params)
    finally:
        if live is not None:
            live.stop()
    path = write_plan(result, scenario, Path(output) / "plan.json")
    skipped: list[str] = []
    if outputs:
        from planner.outputs import write_outputs_until
        from planner.plan import plan_to_dict

        # what cannot be written in the time limit is left for `planner report`
        skipped = write_outputs_until(
            scenario,
            plan_to_dict(result, scenario),
            Path(output),
            started + time_limit - EXIT_SECONDS - SUMMARY_SECONDS,
            redact=redact,
        ).skipped
    until = started + time_limit - EXIT_SECONDS
    print_summary(result, scenario, time.monotonic() - started, path, until)
    if skipped:
        out.print(
            f"Not written in the time limit: {', '.join(skipped)}. To write every output: "
            f"planner report {scenario_path} {path} -o {output}" + (" --redact" if redact else ""),
            markup=False,
        )


@app.command()
def validate(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
) -> None:
    """Check a scenario file against the format without solving."""
    from planner.network import build_network, diagnose_unreachable
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
    except InputError as e:
        raise _fail_input(e) from None
    from planner.outputs.view import plural

    counts = (
        plural(len(scenario.locations), "place"),
        plural(len(scenario.vehicles), "vehicle"),
        plural(len(scenario.crossings), "crossing"),
        plural(len(scenario.services), "flight or sailing", "flights and sailings"),
    )
    out.print(
        f"{scenario_path}: valid. {plural(scenario.people, 'person', 'people')} in "
        f"{plural(len(scenario.groups), 'group')}, {', '.join(counts)}.",
        markup=False,
    )
    graph = build_network(scenario)
    cut_off = [(g, diagnose_unreachable(scenario, graph, g)) for g in scenario.groups]
    cut_off = [(g, r) for g, r in cut_off if r]
    if cut_off:
        out.print(f"{len(cut_off)} groups cannot reach any destination whatever the capacities:")
        for g, reason in cut_off:
            out.print(f"  {g.id} ({g.people}): {reason}", markup=False)


def _read_checked(
    scenario_path: str, plan_path: str, variant: str | None = None
) -> tuple[object, dict, list]:
    """Read a scenario (or one of its variants) and a plan, and check the plan:
    (scenario, plan data, violations)."""
    from planner.check import check_plan, read_plan
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
        data = read_plan(plan_path)
    except InputError as e:
        raise _fail_input(e) from None
    if variant is not None:
        from planner.scenario import Scenario

        varied = _variant_of(scenario, scenario_path, variant)
        assert isinstance(varied, Scenario)
        scenario = varied
    return scenario, data, check_plan(scenario, data)


def _variant_of(scenario: object, scenario_path: str, name: str) -> object:
    """The scenario of variant `name`; exit 2 when there is no such variant."""
    from planner.scenario import Scenario
    from planner.variants import apply_variant

    assert isinstance(scenario, Scenario)
    if name not in scenario.variants:
        known = ", ".join(scenario.variants) or "none"
        err.print(f"{scenario_path}: no variant `{name}` (its variants: {known}).", markup=False)
        raise typer.Exit(2)
    return apply_variant(scenario, name)


@app.command()
def check(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    plan_path: Annotated[str, typer.Argument(metavar="PLAN_JSON", help="plan.json to check.")],
    variant: Annotated[
        str | None,
        typer.Option("--variant", help="Check against this variant of the scenario."),
    ] = None,
) -> None:
    """Check a plan against the scenario's rules, listing every broken rule."""
    _, _, violations = _read_checked(scenario_path, plan_path, variant)
    if not violations:
        out.print(f"{plan_path}: the plan keeps every rule.", markup=False)
        return
    for v in violations:
        out.print(str(v), markup=False)
    n = len(violations)
    out.print(f"{n} broken rule{'s' if n != 1 else ''}.")
    raise typer.Exit(1)


@app.command()
def report(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    plan_path: Annotated[str, typer.Argument(metavar="PLAN_JSON", help="plan.json to report on.")],
    output: Annotated[str, typer.Option("-o", "--output", help="Folder for the outputs.")],
    redact: Annotated[
        bool, typer.Option("--redact", help="Names replaced by group ids in the outputs.")
    ] = False,
) -> None:
    """Write itineraries, run sheets, manifests, calendars and the report for a plan."""
    from planner.outputs import write_outputs
    from planner.scenario import Scenario

    scenario, data, violations = _read_checked(scenario_path, plan_path)
    assert isinstance(scenario, Scenario)
    if violations:
        for v in violations:
            err.print(str(v), markup=False)
        err.print(
            f"{len(violations)} broken rules: outputs are not written for a plan that breaks "
            "the scenario's rules.",
            markup=False,
        )
        raise typer.Exit(1)
    written = write_outputs(scenario, data, Path(output), redact=redact)
    out.print(f"{len(written)} files written to {output}", markup=False)


@app.command()
def compare(
    scenario_paths: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO [MORE_SCENARIOS]...",
            help="One scenario file (compared with its variants), or several (the first is "
            "the base).",
        ),
    ],
    variants: Annotated[
        list[str] | None,
        typer.Option("--variant", help="Compare only this variant (repeat for more)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o", "--output", help="Folder for compare.json, compare.html and each plan.json."
        ),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Wall-clock seconds for the whole call.")
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the solver.")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Solve on this running Dask scheduler (tcp://HOST:PORT) instead of the "
            "local cores.",
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option("--processes", help="Local processes solving at once (default: every core)."),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write compare.json to this file.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log the solves.")] = False,
) -> None:
    """Solve a scenario and its variants (or several scenarios) and show them side by side."""
    started = time.monotonic()
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    from planner.compare import cases_from_files, cases_from_variants, compare_plans, solve_cases
    from planner.errors import ScenarioError
    from planner.read import read_scenario

    _check_options(time_limit, processes)
    scenarios, problems = [], []
    for path in scenario_paths:
        try:
            scenarios.append(read_scenario(path))
        except ScenarioError as e:
            problems += e.problems
    if problems:
        raise _fail_input(ScenarioError(problems))
    if len(scenarios) > 1:
        if variants:
            err.print("--variant works with one scenario file; give its variants by name.")
            raise typer.Exit(2)
        cases = cases_from_files(scenarios)
    else:
        base = scenarios[0]
        if not base.variants:
            err.print(
                f"{scenario_paths[0]}: the scenario has no variants: add `variants:` to it, "
                "or give more scenario files to compare.",
                markup=False,
            )
            raise typer.Exit(2)
        for name in variants or ():
            if name not in base.variants:
                _variant_of(base, scenario_paths[0], name)
        cases = cases_from_variants(base, variants or ())
    # writing compare.json, the page and the plans takes a moment: keep it out of the solves
    reserve = min(5.0, 0.1 * time_limit)
    budget = max(0.5, time_limit - (time.monotonic() - started) - reserve)
    results = _on_cores_or_cluster(
        solve_cases,
        cases,
        time_limit=budget,
        seed=seed,
        scheduler=scheduler,
        processes=processes,
        verbose=verbose,
    )
    comparison = compare_plans(cases, results)
    _write_comparison(comparison, output, json_path)
    print_comparison(comparison)
    if output is not None:
        out.print(
            f"written to {output}: compare.json, compare.html, <name>/plan.json", markup=False
        )
    failed = [f for f in comparison.figures if f.error is not None]
    if failed:
        for f in failed:
            err.print(f"{f.key}: the solve failed: {f.error}", markup=False)
        raise typer.Exit(3)


def _write_comparison(comparison: object, output: str | None, json_path: str | None) -> None:
    from planner.compare import Comparison, write_comparison
    from planner.outputs.comparison import write_comparison_page

    assert isinstance(comparison, Comparison)
    write_comparison(comparison, output, json_path)
    if output is not None:
        write_comparison_page(comparison, output)


def print_comparison(comparison: object) -> None:
    """The side-by-side table and the families that change, as `planner compare` prints."""
    from planner.compare import Comparison, Route

    assert isinstance(comparison, Comparison)
    table = Table(box=None, pad_edge=False)
    table.add_column("")
    for f in comparison.figures:
        table.add_column(f.key, justify="right")

    def row(name: str, cells: list[str]) -> None:
        table.add_row(name, *cells)

    figures = comparison.figures
    people = lambda v: "-" if v is None else f"{v:,}"  # noqa: E731
    row("evacuated", [people(f.evacuated) for f in figures])
    row("safe", [people(f.safe) for f in figures])
    row("left behind", [people(f.left_behind) for f in figures])
    row("exposure", ["-" if f.exposure is None else f"{f.exposure:,.2f}" for f in figures])
    row("arrival", ["-" if f.arrival is None else f"{f.arrival:,.2f}" for f in figures])
    row(
        "last arrival",
        [
            "-"
            if f.last_arrival is None
            else f"{f.last_arrival.astimezone(c.scenario.timezone):%a %H:%M}"
            for f, c in zip(figures, comparison.cases, strict=True)
        ],
    )
    row("  hours", ["-" if f.makespan is None else f"{f.makespan:.2f}" for f in figures])
    row("status", ["error" if f.error else f.status for f in figures])
    row("gap", ["-" if f.gap is None else f"{100 * f.gap:.2f}%" for f in figures])
    row("seconds", [f"{f.seconds:.1f}" for f in figures])
    out.print(table)

    def route(r: Route | None) -> str:
        if r is None:
            return "not there"
        return f"{r.status.replace('_', ' ')}: {' > '.join(r.steps) or 'no legs'}"

    for case in comparison.cases[1:]:
        if case.changes:
            out.print(f"{case.key}: {'; '.join(case.changes)}", markup=False)
    for key, changes in comparison.families.items():
        if not changes:
            out.print(
                f"{key}: no family changes vehicle, crossing, flight or sailing.", markup=False
            )
            continue
        people_moved = sum(c.people for c in changes)
        out.print(f"{key}: {len(changes)} families ({people_moved} people) change:", markup=False)
        for c in changes[:SHOWN]:
            out.print(
                f"  {c.group} ({c.people}): {route(c.before)}  ->  {route(c.after)}", markup=False
            )
        if len(changes) > SHOWN:
            out.print(f"  ... and {len(changes) - SHOWN} more: see compare.json", markup=False)


_SCHEDULER_HELP = (
    "Solve on this running Dask scheduler (tcp://HOST:PORT) instead of the local cores."
)


def _check_options(time_limit: float, processes: int | None = None) -> None:
    """Exit 2 with a message when `--time-limit` or `--processes` cannot be used."""
    if time_limit <= 0:
        err.print("--time-limit must be more than 0 seconds.")
        raise typer.Exit(2)
    if processes is not None and processes < 1:
        err.print("--processes must be at least 1.")
        raise typer.Exit(2)


def _read_for_what_if(scenario_path: str, time_limit: float, processes: int | None) -> object:
    """Read the scenario and check the options `sweep` and `improve` share (exit 2)."""
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
    except InputError as e:
        raise _fail_input(e) from None
    _check_options(time_limit, processes)
    return scenario


@app.command()
def sweep(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    samples: Annotated[int, typer.Option("-n", "--samples", help="Number of samples.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the samples and solves.")] = 0,
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="Folder for sweep.json, sweep.png and sweep.html."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Wall-clock seconds for the whole call.")
    ] = 120.0,
    replan: Annotated[
        bool, typer.Option("--replan/--no-replan", help="Also re-plan every sample.")
    ] = True,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=_SCHEDULER_HELP)] = None,
    processes: Annotated[
        int | None,
        typer.Option("--processes", help="Local processes (default: every core)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log the solves.")] = False,
) -> None:
    """Measure the plan against N samples of the scenario's `uncertainty:` (missed
    connections, people stranded, extra exposure) and re-plan each sample."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    from planner.robustness import LABELS, write_sweep
    from planner.robustness import sweep as run_sweep
    from planner.scenario import Scenario

    scenario = _read_for_what_if(scenario_path, time_limit, processes)
    assert isinstance(scenario, Scenario)
    if samples < 1:
        err.print("-n must be at least 1 sample.")
        raise typer.Exit(2)
    if scenario.uncertainty is None:
        err.print(
            f"{scenario_path}: the scenario says nothing is uncertain: add an `uncertainty:` "
            "section (docs/scenario-format.md) to sweep it.",
            markup=False,
        )
        raise typer.Exit(2)
    result = _on_cores_or_cluster(
        run_sweep,
        scenario,
        samples,
        seed=seed,
        time_limit=time_limit,
        replan=replan,
        scheduler=scheduler,
        processes=processes,
        verbose=verbose,
    )
    table = Table(title=f"{scenario.name}: {samples} samples, seed {seed}")
    table.add_column("measure")
    for name in ("p5", "p50", "p95", "mean"):
        table.add_column(name, justify="right")
    for name, values in result["summary"].items():
        cells = ["-" if values[k] is None else f"{values[k]:,.2f}" for k in values]
        table.add_row(LABELS[name], *cells)
    out.print(table)
    failed = [row for row in result["per_sample"] if "replan_error" in row]
    for row in failed:
        err.print(f"sample {row['sample']}: re-planning failed: {row['replan_error']}")
    if output is not None:
        written = write_sweep(result, Path(output))
        out.print(f"written: {', '.join(str(p) for p in written)}", markup=False)
    if failed:
        raise typer.Exit(3)


@app.command()
def improve(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Folder for improve.json.")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Wall-clock seconds for the whole call.")
    ] = 120.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the solver.")] = 0,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=_SCHEDULER_HELP)] = None,
    processes: Annotated[
        int | None,
        typer.Option("--processes", help="Local processes (default: every core)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log the solves.")] = False,
) -> None:
    """Rank what would help most: one more vehicle of each kind, an hour more at each
    crossing, more throughput, more seats on each service."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    import json

    from planner.improve import improve as run_improve
    from planner.scenario import Scenario

    scenario = _read_for_what_if(scenario_path, time_limit, processes)
    assert isinstance(scenario, Scenario)
    result = _on_cores_or_cluster(
        run_improve,
        scenario,
        time_limit=time_limit,
        seed=seed,
        scheduler=scheduler,
        processes=processes,
        verbose=verbose,
    )
    base = result["base"]["objective"]
    out.print("base: " + ", ".join(f"{k} {base[k]}" for k in result["objective"]), markup=False)
    table = Table(title=f"{scenario.name}: what would help most")
    table.add_column("#", justify="right")
    table.add_column("change")
    for name in result["objective"]:
        table.add_column(f"{name} gain", justify="right")
    for entry in result["ranking"]:
        table.add_row(
            str(entry["rank"]),
            entry["description"],
            *(f"{entry['gain'][n]:+,.2f}" for n in result["objective"]),
        )
    out.print(table)
    if not result["ranking"]:
        out.print("No candidate improvement to try.")
    elif not any(abs(v) > 1e-6 for e in result["ranking"] for v in e["gain"].values()):
        out.print("None of these changes improves the plan.")
    for failure in result["errors"]:
        err.print(f"{failure['key']}: the solve failed: {failure['error']}", markup=False)
    if output is not None:
        path = Path(output) / "improve.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        out.print(f"written: {path}", markup=False)
    if result["errors"]:
        raise typer.Exit(3)


def _on_cores_or_cluster(run: Callable[..., Any], *args: Any, verbose: bool, **kwargs: Any) -> Any:
    """Run a batch of solves (`compare`, `sweep`, `improve`) with a progress bar on a
    terminal; a scheduler that cannot be reached is bad input: exit status 2."""
    from planner.parallel import SchedulerError

    try:
        return run(*args, progress=err.is_terminal and not verbose, **kwargs)
    except SchedulerError as e:
        err.print(str(e), markup=False)
        raise typer.Exit(2) from None


def main() -> None:
    """Entry point of the `planner` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug of ours: say so plainly, not with a traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        err.print(
            f"internal error: {type(e).__name__}: {e}. This is a bug in the planner, not in "
            "your files; please report it with the scenario. Run with --verbose for details.",
            markup=False,
        )
        sys.exit(3)
