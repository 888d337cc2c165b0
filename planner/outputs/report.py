"""`report.html`: the plan on one page for the crisis cell, working with no network at all.

Everything is inline: CSS, SVG pictures and a few lines of script (a filter on the
groups table). No fonts, images, tiles or scripts are fetched, so the page opens the same
on a laptop cut off from everything and prints well for a briefing.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from planner.outputs.charts import crossing_load_svg, detail_places, map_svg, timeline_svg
from planner.outputs.clock import day_clock, local, zone_column
from planner.outputs.view import PlanView, shortened

CSS = """
:root { --ink: #1d2430; --muted: #5b6573; --line: #d5dae1; --danger: #c0392b;
  --safe: #2e8b57; --accent: #2c6fbb; --warn: #d68910; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1060px; padding: 16px 20px 40px; font-size: 14px; }
h1 { font-size: 22px; margin: 4px 0 2px; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 2px solid var(--line);
  padding-bottom: 3px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
p.note, .muted { color: var(--muted); }
details.reason summary { cursor: pointer; }
details.reason[open] summary { color: var(--muted); margin-bottom: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .name { color: var(--muted); font-size: 12px; }
.card.evacuated .value { color: var(--safe); }
.card.left_behind .value { color: var(--danger); }
.card.safe .value { color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #f3f5f8; }
td.num, th.num { text-align: right; }
td:first-child, td.status { white-space: nowrap; }
tr.left_behind td.status { color: var(--danger); font-weight: 600; }
tr.safe td.status { color: var(--warn); font-weight: 600; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: var(--ink); }
svg text.section { font-weight: 600; font-size: 12px; }
svg text.axis, svg text.tick { fill: var(--muted); font-size: 10px; }
svg line.tick { stroke: #eceff3; }
svg line.sep { stroke: var(--line); }
#timeline g.leg rect { fill: var(--accent); }
#timeline g.leg.empty rect { fill: #b8c2cf; }
#timeline g.leg.cross rect { fill: #1d4f87; }
#timeline g.leg.own rect { fill: #7d5ba6; }
#timeline g.leg.crossing rect { fill: var(--warn); fill-opacity: .55; }
#timeline g.leg.service rect { fill: var(--safe); }
#timeline g.leg text { fill: #fff; font-size: 10px; }
#timeline rect.open { fill: #fdf3e1; }
svg.load g.bar rect { fill: var(--accent); }
svg.load g.bar.over rect { fill: var(--danger); }
svg.load line.limit { stroke: var(--danger); stroke-dasharray: 5 3; stroke-width: 1.5; }
svg.load text.value { font-size: 10px; }
svg.map rect.sea { fill: #eaf2f8; }
svg.map path.land { fill: #f7f5ef; stroke: #b9b4a6; stroke-width: .7; }
svg.map path.land.involved { fill: #eef6ee; }
svg.map path.land.danger { fill: #fbe9e7; }
svg.map line.road { stroke: #9aa4af; stroke-linecap: round; }
svg.map line.road.used { stroke: var(--accent); }
svg.map line.crossing { stroke: var(--warn); stroke-dasharray: 4 3; }
svg.map path.service { fill: none; stroke: #8e44ad; stroke-dasharray: 6 4; }
svg.map g.place circle { stroke: #fff; stroke-width: 1.5; }
svg.map g.place.danger circle { fill: var(--danger); }
svg.map g.place.safe circle { fill: var(--safe); }
svg.map g.place text { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.legend span { display: inline-block; margin-right: 14px; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 9px; margin-right: 4px;
  vertical-align: middle; }
input#filter { padding: 4px 8px; width: 260px; margin-bottom: 6px; }
footer { margin-top: 30px; color: var(--muted); font-size: 11px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .no-print { display: none; }
  section, figure, svg { break-inside: avoid; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
}
"""

SCRIPT = """
(function () {
  var input = document.getElementById('filter');
  if (!input) { return; }
  input.addEventListener('input', function () {
    var q = input.value.toLowerCase();
    var rows = document.querySelectorAll('#groups tbody tr');
    for (var i = 0; i < rows.length; i++) {
      rows[i].style.display = rows[i].textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
    }
  });
}());
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _number(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def summary_cards(view: PlanView) -> list[tuple[str, str, str]]:
    """(css class, name, value) of each headline figure, as the report shows them."""
    objective = view.plan.get("objective") or {}
    cards = [
        ("people", "people", f"{view.people:,}"),
        ("evacuated", "evacuated", f"{view.people_with('evacuated'):,}"),
        ("safe", "safe, not evacuated", f"{view.people_with('safe'):,}"),
        ("left_behind", "left behind", f"{view.people_with('left_behind'):,}"),
    ]
    last, place = view.last_arrival_at
    if last is None:
        cards.append(("last", "last arrival", "-"))
    else:
        zone = view.zone(place) if place else view.scenario.timezone
        where = f" at {view.place_name(place)}" if place else ""
        cards.append(("last", f"last arrival{where}", day_clock(last, zone)))
    if "exposure" in objective:
        cards.append(
            ("exposure", "exposure, weighted person-hours", _number(objective["exposure"]))
        )
    if "arrival" in objective:
        cards.append(("arrival", "arrival, person-hours", _number(objective["arrival"])))
    cards.append(("status", "plan status", str(view.plan.get("status", "-"))))
    gaps = view.gaps()
    for name, b in (view.plan.get("bound") or {}).items():
        value = f"{_number(b)}"
        if name in gaps:
            value += f" (gap {100 * gaps[name]:.2f}%)"
        cards.append(("bound", f"bound on {name}", value))
    return cards


def _groups_rows(view: PlanView) -> str:
    rows = []
    for g in view.groups:
        first = g.legs[0] if g.legs else None
        last = g.legs[-1] if g.legs else None
        leaves = day_clock(first.depart, view.zone(first.from_)) if first else "-"
        arrives = day_clock(last.arrive, view.zone(last.to)) if last else "-"
        route = " > ".join(
            f"{leg.crossing} ({leg.carrier})" if leg.kind == "crossing" else leg.carrier
            for leg in g.legs
        )
        rows.append(
            f'<tr class="{_e(g.status)}" data-group="{_e(g.id)}"><td>{_e(g.id)}</td>'
            f'<td class="num">{g.people}</td><td>{_e(g.priority)}</td>'
            f'<td class="status">{_e(g.status_text)}</td><td>{_e(leaves)}</td>'
            f"<td>{_e(arrives)}</td><td>{_e(view.place_name(g.end_place))}</td>"
            f"<td>{_e(route or '-')}</td></tr>"
        )
    return "".join(rows)


def _not_evacuated(view: PlanView) -> str:
    rows = [g for g in view.groups if g.status != "evacuated"]
    if not rows:
        return '<p id="not-evacuated" class="note">Every group is evacuated.</p>'
    body = "".join(
        f'<tr class="{_e(g.status)}"><td>{_e(g.id)}</td><td class="num">{g.people}</td>'
        f'<td>{_e(g.priority)}</td><td class="status">{_e(g.status_text)}</td>'
        f"<td>{_e(view.place_name(g.end_place))}</td>"
        f"<td>{_reason(view.scrub(g.reason) or '-')}</td></tr>"
        for g in rows
    )
    people = sum(g.people for g in rows)
    return (
        f'<p class="note">{len(rows)} groups, {people} people.</p>'
        '<table id="not-evacuated"><thead><tr><th>group</th><th class="num">people</th>'
        "<th>priority</th><th>status</th><th>where</th><th>reason</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _reason(text: str) -> str:
    """A reason for the table: a long one cut short (`shortened`), the whole of it one
    click away."""
    short = shortened(text)
    if short == text:
        return _e(text)
    return f'<details class="reason"><summary>{_e(short)}</summary>{_e(text)}</details>'


def _vehicles_rows(view: PlanView) -> str:
    rows = []
    for v in view.vehicles:
        carried = sum(
            g.people
            for i, leg in enumerate(v.legs)
            for g in view.aboard(leg)
            if i == 0 or g.id not in v.legs[i - 1].groups
        )
        first, last = v.legs[0], v.legs[-1]
        rows.append(
            f'<tr><td>{_e(v.id)}</td><td>{_e(v.fleet)}</td><td class="num">{len(v.legs)}</td>'
            f'<td class="num">{carried}</td>'
            f"<td>{_e(day_clock(first.depart, view.zone(first.from_)))}</td>"
            f"<td>{_e(day_clock(last.arrive, view.zone(last.to)))}</td>"
            f"<td>{_e(view.place_name(last.to))}</td></tr>"
        )
    return "".join(rows)


def report_html(view: PlanView) -> str:
    """The whole report as one HTML document."""
    scenario = view.scenario
    start_local = local(scenario.start, scenario.timezone)
    cards = "".join(
        f'<div class="card {_e(cls)}"><div class="value">{_e(value)}</div>'
        f'<div class="name">{_e(name)}</div></div>'
        for cls, name, value in summary_cards(view)
    )
    loads = []
    for cid in view.crossing_passages:
        crossing = view.crossing(cid)
        through = (
            f"throughput {crossing.throughput} people per hour"
            if crossing is not None and crossing.throughput is not None
            else "no throughput limit"
        )
        loads.append(f"<h3>{_e(cid)} <span class='muted'>({_e(through)})</span></h3>")
        loads.append(crossing_load_svg(view, cid))
    loads_html = "".join(loads) or '<p class="note">No crossing is used.</p>'
    map_html, missing = map_svg(view)
    if not map_html:
        map_html = '<p class="note">No place has a position (lat/lon), so there is no map.</p>'
    focus = detail_places(view)
    if focus is not None:
        detail, _ = map_svg(view, "map-detail", focus)
        map_html += f"<h3>Detail: roads and crossings</h3>{detail}"
    missing_html = ""
    if missing:
        items = "".join(
            f"<li>{_e(pid)}: {_e(view.place_name(pid))} "
            f"({_e(scenario.locations[pid].country)})</li>"
            for pid in missing
        )
        missing_html = (
            f'<p class="note">Places without a position, not on the map:</p>'
            f'<ul id="unplaced">{items}</ul>'
        )
    vehicles = _vehicles_rows(view)
    vehicles_html = (
        '<table id="vehicles"><thead><tr><th>vehicle</th><th>fleet</th><th class="num">legs</th>'
        '<th class="num">people carried</th><th>first departure</th><th>last arrival</th>'
        f"<th>ends at</th></tr></thead><tbody>{vehicles}</tbody></table>"
        if vehicles
        else '<p class="note">No fleet vehicle moves.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evacuation plan: {_e(view.title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Evacuation plan: {_e(view.title)}</h1>
<p class="note">Start {_e(day_clock(scenario.start, scenario.timezone))}
({_e(scenario.timezone_name)}, {_e(zone_column(start_local))}); horizon
{_e(day_clock(scenario.end, scenario.timezone))}. Times are on the clock of the place
where each thing happens, with its zone.</p>
</header>
<section id="summary"><h2>Summary</h2><div class="cards">{cards}</div></section>
<section id="not-evacuated-section"><h2>Not evacuated</h2>{_not_evacuated(view)}</section>
<section id="timeline-section"><h2>Timeline</h2>
<p class="legend"><span><i style="background:#2c6fbb"></i>vehicle with people</span>
<span><i style="background:#b8c2cf"></i>empty run</span>
<span><i style="background:#1d4f87"></i>vehicle crossing</span>
<span><i style="background:#d68910"></i>group crossing</span>
<span><i style="background:#fdf3e1"></i>crossing open</span>
<span><i style="background:#2e8b57"></i>flight or sailing</span></p>
{timeline_svg(view)}</section>
<section id="load-section"><h2>Crossings: people per hour against throughput</h2>
<p class="note">Hours counted from the start; bars are the people who start crossing in
each hour, the dashed line the crossing's throughput.</p>{loads_html}</section>
<section id="map-section"><h2>Map</h2>
<p class="legend"><span><i style="background:#c0392b"></i>place in the danger zone</span>
<span><i style="background:#2e8b57"></i>safe place</span>
<span><i style="background:#2c6fbb"></i>road used (wider: more people)</span>
<span><i style="background:#d68910"></i>crossing</span>
<span><i style="background:#8e44ad"></i>flight or sailing</span></p>
{map_html}{missing_html}
<p class="note">Country outlines: Natural Earth (public domain), simplified.</p></section>
<section id="vehicles-section"><h2>Vehicles</h2>{vehicles_html}</section>
<section id="groups-section"><h2>Groups</h2>
<input id="filter" class="no-print" type="search" placeholder="Filter groups"
 aria-label="Filter groups">
<table id="groups"><thead><tr><th>group</th><th class="num">people</th><th>priority</th>
<th>status</th><th>leaves</th><th>arrives</th><th>ends at</th><th>route</th></tr></thead>
<tbody>{_groups_rows(view)}</tbody></table></section>
<footer>Made by evacuation-planner from plan.json; every figure here is read from it.</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_report(view: PlanView, out_dir: Path) -> Path:
    """Write `report.html`."""
    path = out_dir / "report.html"
    path.write_text(report_html(view), encoding="utf-8")
    return path
