"""The `planner` command (CLI.md): it reads, calls the library, writes, and nothing else."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated

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
out = Console(highlight=False)
SHOWN = 20
"""Groups not evacuated listed in the summary; the rest are in plan.json and the report."""
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


def print_summary(plan: object, scenario: object, seconds: float, path: Path) -> None:
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
        bounds.append(f"{name} {v} (bound {b}{gap_text})")
    table.add_row("status", plan.status + (" (proven)" if plan.status == "optimal" else ""))
    if bounds:
        table.add_row("objectives", "; ".join(bounds))
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("written", str(path))
    out.print(table)
    if counts["left_behind"] or counts["safe"]:
        from planner.diagnose import main_bottleneck

        neck = main_bottleneck(scenario, plan)
        if neck:
            out.print(f"Main bottleneck: {neck}", markup=False)
        out.print("Not evacuated:")
        missed = [g for g in plan.groups if g.status != "evacuated"]
        for g in missed[:SHOWN]:
            out.print(f"  {g.id} ({g.people}): {g.status}, {g.reason}", markup=False)
        if len(missed) > SHOWN:
            out.print(f"  ... and {len(missed) - SHOWN} more groups: see plan.json and the report")


class _progress_line:
    """A live line on standard error while the solver runs: elapsed time, the stage, and
    the best value found so far."""

    def __init__(self, started: float) -> None:
        from rich.live import Live
        from rich.text import Text

        self.started = started
        self.text = Text
        self.live = Live(Text("planning..."), console=err, transient=True, refresh_per_second=4)
        self.live.start()

    def report(self, stage: str, seconds: float, value: float, bound: float) -> None:
        elapsed = time.monotonic() - self.started
        self.live.update(self.text(f"{elapsed:6.1f} s  {stage}: best so far {value:,.2f}"))

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
    workers: Annotated[int, typer.Option("--workers", help="Solver threads.")] = 2,
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
    from planner.model import SolveParameters, solve
    from planner.plan import write_plan
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
    except InputError as e:
        raise _fail_input(e) from None
    if time_limit <= 0:
        err.print("--time-limit must be more than 0 seconds.")
        raise typer.Exit(2)
    if method not in ("cp-sat", "greedy"):
        err.print(f"--method must be cp-sat or greedy, not {method!r}.", markup=False)
        raise typer.Exit(2)
    # keep some of the time for writing plan.json and the outputs
    spent = time.monotonic() - started
    # writing the outputs (the PDF most of all) and the solver's own overshoot need room
    reserve = min(15.0, 0.25 * time_limit) if outputs else min(2.0, 0.05 * time_limit)
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
            from planner.greedy import dispatch

            result = dispatch(scenario, seed=seed, deadline=time.monotonic() + budget)
        else:
            result = solve(scenario, params)
    finally:
        if live is not None:
            live.stop()
    path = write_plan(result, scenario, Path(output) / "plan.json")
    if outputs:
        from planner.outputs import write_outputs
        from planner.plan import plan_to_dict

        left = time_limit - (time.monotonic() - started)
        write_outputs(
            scenario,
            plan_to_dict(result, scenario),
            Path(output),
            redact=redact,
            printable=left > 5.0,
        )
    print_summary(result, scenario, time.monotonic() - started, path)


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
    out.print(
        f"{scenario_path}: valid. {scenario.people:,} people in {len(scenario.groups):,} groups, "
        f"{len(scenario.locations)} places, {len(scenario.vehicles)} vehicles, "
        f"{len(scenario.crossings)} crossings, {len(scenario.services)} flights and sailings.",
        markup=False,
    )
    graph = build_network(scenario)
    cut_off = [(g, diagnose_unreachable(scenario, graph, g)) for g in scenario.groups]
    cut_off = [(g, r) for g, r in cut_off if r]
    if cut_off:
        out.print(f"{len(cut_off)} groups cannot reach any destination whatever the capacities:")
        for g, reason in cut_off:
            out.print(f"  {g.id} ({g.people}): {reason}", markup=False)


def _read_checked(scenario_path: str, plan_path: str) -> tuple[object, dict, list]:
    """Read a scenario and a plan, and check the plan: (scenario, plan data, violations)."""
    from planner.check import check_plan, read_plan
    from planner.read import read_scenario

    try:
        scenario = read_scenario(scenario_path)
        data = read_plan(plan_path)
    except InputError as e:
        raise _fail_input(e) from None
    return scenario, data, check_plan(scenario, data)


@app.command()
def check(
    scenario_path: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    plan_path: Annotated[str, typer.Argument(metavar="PLAN_JSON", help="plan.json to check.")],
) -> None:
    """Check a plan against the scenario's rules, listing every broken rule."""
    _, _, violations = _read_checked(scenario_path, plan_path)
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
