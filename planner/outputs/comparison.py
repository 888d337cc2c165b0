"""`compare.html`: a base and its what-if variants side by side, working with no network.

The same look as `report.html` (its style sheet and helpers): the headline figures of each
scenario in one table, what each variant changes, and the families whose status, vehicle,
crossing, flight or sailing differ from the base, with before and after.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from planner.compare import Comparison, FamilyChange, Figures, Route
from planner.outputs.clock import day_clock
from planner.outputs.report import CSS, _e, _number
from planner.scenario import Scenario

__all__ = ["comparison_html", "write_comparison_page"]

CHANGED = {
    "status": "status",
    "vehicle": "vehicle",
    "crossing": "crossing",
    "service": "flight or sailing",
    "presence": "in one scenario only",
}
"""How each kind of difference of a family is named on the page."""

EXTRA_CSS = """
td.better { color: var(--safe); font-weight: 600; }
td.worse { color: var(--danger); font-weight: 600; }
td.error { color: var(--danger); }
ul.changes { margin: 4px 0 8px 18px; padding: 0; }
"""


def _when(moment: datetime | None, scenario: Scenario) -> str:
    return "-" if moment is None else day_clock(moment, scenario.timezone)


# (row name, figure attribute, digits, True when more is better)
_ROWS: tuple[tuple[str, str, int, bool | None], ...] = (
    ("people", "people", 0, None),
    ("evacuated", "evacuated", 0, True),
    ("safe, not evacuated", "safe", 0, None),
    ("left behind", "left_behind", 0, False),
    ("exposure, weighted person-hours", "exposure", 2, False),
    ("arrival, person-hours", "arrival", 2, False),
    ("last arrival, hours from start", "makespan", 2, False),
)


def _cell(value: object, base: object, more_is_better: bool | None, digits: int) -> str:
    text = _number(value, digits) if value is not None else "-"
    css = ""
    if more_is_better is not None and isinstance(value, int | float):
        if isinstance(base, int | float) and value != base:
            css = "better" if (value > base) == more_is_better else "worse"
    return f'<td class="num {css}">{_e(text)}</td>'


def _figures_table(comparison: Comparison) -> str:
    base = comparison.figures[0]
    head = "".join(f'<th class="num">{_e(f.key)}</th>' for f in comparison.figures)
    rows = []
    for name, attr, digits, better in _ROWS:
        cells = "".join(
            _cell(getattr(f, attr), getattr(base, attr), better if i else None, digits)
            for i, f in enumerate(comparison.figures)
        )
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    last = "".join(
        f'<td class="num">{_e(_when(f.last_arrival, c.scenario))}</td>'
        for f, c in zip(comparison.figures, comparison.cases, strict=True)
    )
    rows.append(f"<tr><td>last arrival</td>{last}</tr>")
    status = "".join(_status_cell(f) for f in comparison.figures)
    rows.append(f"<tr><td>plan status</td>{status}</tr>")
    gaps = "".join(
        f'<td class="num">{"-" if f.gap is None else f"{100 * f.gap:.2f}%"}</td>'
        for f in comparison.figures
    )
    rows.append(f"<tr><td>largest gap to a bound</td>{gaps}</tr>")
    return (
        f'<table id="figures"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _status_cell(f: Figures) -> str:
    if f.error is not None:
        return f'<td class="num error">error: {_e(f.error)}</td>'
    return f'<td class="num">{_e(f.status)}</td>'


def _route(route: Route | None, scenario: Scenario) -> str:
    if route is None:
        return "not in this scenario"
    parts = [route.status.replace("_", " ")]
    if route.steps:
        parts.append(" > ".join(route.steps))
    if route.arrive is not None:
        parts.append(f"arrives {day_clock(route.arrive, scenario.timezone)}")
    return "; ".join(parts)


def _families(comparison: Comparison, key: str, changes: tuple[FamilyChange, ...]) -> str:
    if not changes:
        return '<p class="note">No family changes status, vehicle, crossing, flight or sailing.</p>'
    base = comparison.base.scenario
    case = next(c for c in comparison.cases if c.key == key)
    rows = "".join(
        f"<tr><td>{_e(c.group)}</td><td class='num'>{c.people}</td>"
        f"<td>{_e(', '.join(CHANGED[n] for n in c.changed))}</td>"
        f"<td>{_e(_route(c.before, base))}</td><td>{_e(_route(c.after, case.scenario))}</td></tr>"
        for c in changes
    )
    people = sum(c.people for c in changes)
    return (
        f'<p class="note">{len(changes)} families, {people} people.</p>'
        f'<table class="families" data-case="{_e(key)}"><thead><tr><th>group</th>'
        '<th class="num">people</th><th>what changes</th><th>in the base</th>'
        f"<th>in {_e(key)}</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def comparison_html(comparison: Comparison) -> str:
    """The whole comparison page as one HTML document."""
    base = comparison.base.scenario
    sections = []
    for case, f in zip(comparison.cases[1:], comparison.figures[1:], strict=True):
        title = f"<h2>{_e(case.key)}</h2>"
        about = ""
        if case.variant is not None and case.variant.description:
            about += f'<p class="note">{_e(case.variant.description)}</p>'
        if case.changes:
            items = "".join(f"<li>{_e(text)}</li>" for text in case.changes)
            about += f'<ul class="changes">{items}</ul>'
        elif case.variant is None:
            about += f'<p class="note">{_e(case.scenario.name)} ({_e(case.scenario.source)})</p>'
        if f.error is not None:
            body = f'<p class="note">Not solved: {_e(f.error)}</p>'
        elif case.key in comparison.families:
            body = _families(comparison, case.key, comparison.families[case.key])
        else:
            body = '<p class="note">The base was not solved, so there is nothing to compare.</p>'
        sections.append(
            f'<section class="case" id="case-{_e(case.key)}">{title}{about}{body}</section>'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What-if comparison: {_e(base.name)}</title>
<style>{CSS}{EXTRA_CSS}</style>
</head>
<body>
<header>
<h1>What-if comparison: {_e(base.name)}</h1>
<p class="note">Start {_e(day_clock(base.start, base.timezone))} ({_e(base.timezone_name)});
each scenario solved on its own. Green: better than {_e(comparison.base.key)};
red: worse. Each scenario's plan is in its folder, <code>&lt;name&gt;/plan.json</code>.</p>
</header>
<section id="figures-section"><h2>Side by side</h2>{_figures_table(comparison)}</section>
{"".join(sections)}
<footer>Made by evacuation-planner from compare.json; every figure here is read from the
plans.</footer>
</body>
</html>
"""


def write_comparison_page(comparison: Comparison, out_dir: str | Path) -> Path:
    """Write `compare.html` into `out_dir` (made when missing); returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.html"
    path.write_text(comparison_html(comparison), encoding="utf-8")
    return path
