"""Outputs people act on, all derived from plan.json and the scenario.

:func:`write_outputs` writes, next to plan.json:

- `itineraries/<group>.md` and `itineraries.md`: when and where each family must be;
- `run-sheets/<vehicle>.md`: each vehicle's legs and who gets on and off;
- `manifests/<service>.md` and `crossings/<crossing>.md`: who is on each flight or
  sailing, who each crossing expects in which hour;
- `csv/*.csv` and `plan.xlsx`: the same as tables;
- `calendars/groups/<group>.ics` and `calendars/vehicles/<vehicle>.ics`;
- `report.html` (self-contained, no network) and `report.pdf` to print.

Files left in those folders by an earlier plan (a run sheet of a vehicle that no longer
moves) are removed, so nobody acts on them.

With a deadline (:func:`write_outputs_until`, which `planner plan` uses to keep its time
limit), the outputs are written in the order people need them, each only when it can be
finished in time by this machine's measured pace; the ones left out are named, and
`planner report` writes them all later. An output left out never stays behind from an
earlier plan.

Every time shown is on the clock of the place where it happens, with its zone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.outputs.calendars import write_group_calendars, write_vehicle_calendars
from planner.outputs.itineraries import write_itineraries
from planner.outputs.manifests import write_manifests
from planner.outputs.printable import write_printable
from planner.outputs.report import write_report
from planner.outputs.run_sheets import write_run_sheets
from planner.outputs.tables import all_tables, write_csv, write_xlsx
from planner.outputs.view import PlanView
from planner.scenario import Scenario

__all__ = ["PlanView", "Written", "essential_seconds", "write_outputs", "write_outputs_until"]

log = logging.getLogger(__name__)


def write_outputs(
    scenario: Scenario,
    plan: dict[str, Any],
    out_dir: str | Path,
    *,
    redact: bool = False,
    printable: bool = True,
) -> list[Path]:
    """Write every output of a plan into `out_dir` (next to plan.json).

    Args:
        scenario: the scenario the plan is for.
        plan: the plan as PLAN.md writes it (`json.load` of plan.json, or
            :func:`planner.plan.plan_to_dict`); a plan made by any tool will do.
        out_dir: the folder to write into; made when missing.
        redact: replace member names by `<group> member <n>` everywhere, for sharing
            beyond the crisis cell.
        printable: also write `report.pdf` (a browser print, or a matplotlib drawing
            where no Chromium is found); False skips it, which is faster.

    Returns:
        The files written, sorted.

    Raises:
        ValueError: when the plan has no `groups` list or a time without UTC offset.

    Example:
        >>> import json
        >>> from planner.read import read_scenario
        >>> scenario = read_scenario("scenarios/tripoli-2013.yaml")  # doctest: +SKIP
        >>> plan = json.load(open("out/plan.json"))  # doctest: +SKIP
        >>> paths = write_outputs(scenario, plan, "out", redact=True)  # doctest: +SKIP
    """
    return write_outputs_until(
        scenario, plan, out_dir, None, redact=redact, printable=printable
    ).paths


@dataclass(frozen=True)
class Written:
    """What :func:`write_outputs_until` wrote, and what it left out for lack of time."""

    paths: list[Path]
    """The files written, sorted."""
    skipped: list[str] = field(default_factory=list)
    """The outputs left out, as paths in the folder (`calendars/groups/`, `plan.xlsx`), in
    the order they would have been written."""


SECONDS_PER = {
    "group": 0.0006,  # an itinerary
    "vehicle": 0.003,  # a run sheet
    "row": 0.00005,  # a row of the tables (made once) and of the CSV files
    "vehicle calendar": 0.015,
    "group calendar": 0.004,
    "cell": 0.000025,  # a cell of plan.xlsx
    "report byte": 0.0000055,  # report.html printed to report.pdf
    "printing": 2.5,  # once: starting the browser that prints report.pdf
}
"""About how long each output takes per unit on a 2-core machine, measured on a plan of
15,000 people (6,000 groups, 150 vehicles, 62,000 table rows) with some room to spare. On a
slower machine the outputs written first show it (see `write_outputs_until`)."""
TIMED = 0.2
"""Seconds an output must take for its pace to tell how much slower this machine is."""


def essential_seconds(groups: int, vehicles: int) -> float:
    """About how long the outputs people act on first take for a plan of so many groups and
    vehicles: itineraries, run sheets, manifests and crossing lists, the CSV tables and
    report.html (`write_outputs_until` writes them first). `planner plan` keeps that much
    of its time limit for them."""
    return sum(_first_seconds(groups, vehicles).values())


def _first_seconds(groups: int, vehicles: int) -> dict[str, float]:
    """The estimate of each output people act on first, by its name in `Written.skipped`;
    the CSV tables' from about as many rows as the tables have, before they are made."""
    pace = SECONDS_PER
    rows = 3 * groups + vehicles
    return {
        "itineraries.md and itineraries/": groups * pace["group"],
        "run-sheets/": vehicles * pace["vehicle"],
        "manifests/ and crossings/": groups * pace["group"] / 4,
        "csv/": 2 * rows * pace["row"],
        "report.html": groups * pace["group"] / 4,
    }


def write_outputs_until(
    scenario: Scenario,
    plan: dict[str, Any],
    out_dir: str | Path,
    deadline: float | None,
    *,
    redact: bool = False,
    printable: bool = True,
) -> Written:
    """:func:`write_outputs`, each output only when it can be done by `deadline` (a
    `time.monotonic()` value; None: no limit). They come in the order people need them:
    itineraries, run sheets, manifests, the CSV tables and report.html, then the
    calendars, plan.xlsx and report.pdf. Outputs left out are named in the result, and
    their files from an earlier plan are removed. When an output takes longer than
    `SECONDS_PER` says, the estimates of those after it grow as much (never shrink)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    view = PlanView(scenario, plan, redact=redact)
    groups, vehicles = len(view.groups), len(view.vehicles)
    written: list[Path] = []
    skipped: list[str] = []
    pace = SECONDS_PER
    slower = 1.0  # than SECONDS_PER says, as measured so far

    def part(name: str, seconds: float, write: Callable[[], list[Path]]) -> bool:
        nonlocal slower
        began = time.monotonic()
        if deadline is not None and began + seconds * slower > deadline:
            skipped.append(name)
            return False
        written.extend(write())
        took = time.monotonic() - began
        if took >= TIMED and seconds > 0:
            slower = max(slower, took / seconds)
        return True

    first = _first_seconds(groups, vehicles)
    # the tables are made once for the CSV files and plan.xlsx
    tables: list[Any] = []
    for name, write in (
        ("itineraries.md and itineraries/", lambda: write_itineraries(view, out)),
        ("run-sheets/", lambda: write_run_sheets(view, out)),
        ("manifests/ and crossings/", lambda: write_manifests(view, out)),
        ("csv/", lambda: write_csv(_made(tables, view), out)),
    ):
        part(name, first[name], write)
    html = out / "report.html"
    report = part("report.html", first["report.html"], lambda: [write_report(view, out)])
    part(
        "calendars/vehicles/",
        vehicles * pace["vehicle calendar"],
        lambda: write_vehicle_calendars(view, out),
    )
    part(
        "calendars/groups/",
        groups * pace["group calendar"],
        lambda: write_group_calendars(view, out),
    )
    cells = sum(len(t.rows) * len(t.columns) for t in tables) or 20 * (3 * groups + vehicles)
    part(
        "plan.xlsx",
        cells * pace["cell"],
        lambda: [write_xlsx(_made(tables, view), out / "plan.xlsx", view.title)],
    )
    if printable and not report:
        skipped.append("report.pdf")  # printed from report.html
    elif printable:
        part(
            "report.pdf",
            pace["printing"] + html.stat().st_size * pace["report byte"],
            lambda: [write_printable(view, html, out)],
        )
    _remove_stale(out, written)
    log.info("wrote %d output files into %s", len(written), out)
    if skipped:
        log.info("not written in the time left: %s", ", ".join(skipped))
    return Written(sorted(written), skipped)


def _made(tables: list[Any], view: PlanView) -> list[Any]:
    """The tables of `view`, made on first use into `tables`."""
    if not tables:
        tables.extend(all_tables(view))
    return tables


# Folders whose files are all made here: one a group, vehicle, service or crossing.
_MANAGED = {
    "itineraries": ".md",
    "run-sheets": ".md",
    "manifests": ".md",
    "crossings": ".md",
    "csv": ".csv",
    "calendars/groups": ".ics",
    "calendars/vehicles": ".ics",
}


_SINGLE = ("itineraries.md", "plan.xlsx", "report.html", "report.pdf")
"""Files of their own, made here, that an earlier plan may have left."""


def _remove_stale(out: Path, written: list[Path]) -> None:
    """Remove files left in the output folders by an earlier plan (a run sheet of a
    vehicle that no longer moves must not be handed to a driver), and the files of their
    own not written this time."""
    keep = {p.resolve() for p in written}
    for name in _SINGLE:
        path = out / name
        if path.is_file() and path.resolve() not in keep:
            log.info("removing %s, left by an earlier plan", path)
            path.unlink()
    for folder, suffix in _MANAGED.items():
        for path in sorted((out / folder).glob(f"*{suffix}")):
            if path.is_file() and path.resolve() not in keep:
                log.info("removing %s, left by an earlier plan", path)
                path.unlink()
