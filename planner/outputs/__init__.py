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

Every time shown is on the clock of the place where it happens, with its zone.
"""

from __future__ import annotations

import logging
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

__all__ = ["PlanView", "write_outputs"]

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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    view = PlanView(scenario, plan, redact=redact)
    written: list[Path] = []
    written += write_itineraries(view, out)
    written += write_run_sheets(view, out)
    written += write_manifests(view, out)
    tables = all_tables(view)
    written += write_csv(tables, out)
    written.append(write_xlsx(tables, out / "plan.xlsx", view.title))
    written += write_group_calendars(view, out)
    written += write_vehicle_calendars(view, out)
    html = write_report(view, out)
    written.append(html)
    if printable:
        written.append(write_printable(view, html, out))
    _remove_stale(out, written)
    log.info("wrote %d output files into %s", len(written), out)
    return sorted(written)


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


def _remove_stale(out: Path, written: list[Path]) -> None:
    """Remove files left in the output folders by an earlier plan (a run sheet of a
    vehicle that no longer moves must not be handed to a driver)."""
    keep = {p.resolve() for p in written}
    for folder, suffix in _MANAGED.items():
        for path in sorted((out / folder).glob(f"*{suffix}")):
            if path.is_file() and path.resolve() not in keep:
                log.info("removing %s, left by an earlier plan", path)
                path.unlink()
