"""The report's pictures as inline SVG: timeline, crossing load and map.

Plain SVG strings with no outside reference (no fonts, images or scripts), each element
with a `<title>` that browsers show on hover. Times on the timeline's axis are on the
scenario's clock, with its zone written on the axis; tooltips give each time on the
clock of its place.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta
from html import escape

from planner.outputs.clock import clock, day_clock, day_text, local, zone_column
from planner.outputs.geography import fit_projection, outline_paths
from planner.outputs.manifests import crossing_hours, how_text
from planner.outputs.view import PlanView

ROW = 22
LABEL = 170
WIDTH = 1000


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _open_intervals(
    view: PlanView, crossing_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The times a crossing is open between start and end (its daily `open` windows on
    the clock of its from-place; all the time when it has none)."""
    crossing = view.crossing(crossing_id)
    if crossing is None or not crossing.open:
        return [(start, end)]
    zone = view.zone(crossing.from_)
    first = local(start, zone).date() - timedelta(days=1)
    last = local(end, zone).date() + timedelta(days=1)
    out = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time(0))
        for w in crossing.open:
            s = (midnight + timedelta(minutes=w.start)).replace(tzinfo=zone)
            stop = w.end if w.end > w.start else w.end + 1440
            e = (midnight + timedelta(minutes=stop)).replace(tzinfo=zone)
            s, e = max(s, start), min(e, end)
            if s < e:
                out.append((s, e))
        day += timedelta(days=1)
    return out


def _span(view: PlanView, frm: str, depart: datetime, to: str, arrive: datetime) -> str:
    """`A Thu 03 Oct 06:00 CEST -> B Thu 03 Oct 09:00 CEST`, each on its place's clock."""
    return (
        f"{view.place_name(frm)} {day_clock(depart, view.zone(frm))} -> "
        f"{view.place_name(to)} {day_clock(arrive, view.zone(to))}"
    )


class _Axis:
    """Maps instants to x pixels between `start` and `end`."""

    def __init__(self, start: datetime, end: datetime, x0: float, x1: float):
        self.start, self.end, self.x0, self.x1 = start, end, x0, x1
        self.seconds = max(1.0, (end - start).total_seconds())

    def x(self, when: datetime) -> float:
        frac = (when - self.start).total_seconds() / self.seconds
        return self.x0 + max(0.0, min(1.0, frac)) * (self.x1 - self.x0)

    def ticks(self, zone) -> list[datetime]:  # type: ignore[no-untyped-def]
        hours = self.seconds / 3600
        step = next((s for s in (1, 2, 3, 6, 12, 24, 48) if hours / s <= 14), 96)
        t = local(self.start, zone).replace(minute=0, second=0, microsecond=0)
        while (t.hour % step != 0) if step < 24 else (t.hour != 0):
            t += timedelta(hours=1)
        out = []
        while t <= self.end:
            if t >= self.start:
                out.append(t)
            t = (t + timedelta(hours=step)).astimezone(zone)
        return out


def timeline_svg(view: PlanView) -> str:
    """A Gantt chart: a row for every vehicle that moves, every group driving its own
    vehicle, every crossing used and every flight or sailing used."""
    start, end = view.time_span()
    zone = view.scenario.timezone
    end = local(end, zone)
    if end.minute or end.second:
        end = (end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(zone)
    axis = _Axis(start, end, LABEL, WIDTH - 10)
    rows: list[str] = []
    y = 34

    def section(title: str) -> None:
        nonlocal y
        rows.append(
            f'<text class="section" x="4" y="{y + 15}">{_e(title)}</text>'
            f'<line class="sep" x1="0" x2="{WIDTH}" y1="{y + 20}" y2="{y + 20}"/>'
        )
        y += ROW + 2

    def label(text: str, tip: str) -> None:
        rows.append(
            f'<text class="label" x="8" y="{y + 15}">{_e(text)}<title>{_e(tip)}</title></text>'
        )

    def bar(cls: str, s: datetime, e: datetime, tip: str, text: str = "", extra: str = "") -> None:
        x0, x1 = axis.x(s), axis.x(e)
        w = max(1.5, x1 - x0)
        rows.append(
            f'<g class="{cls}"{extra}><rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" '
            f'height="{ROW - 6}" rx="2"/><title>{_e(tip)}</title>'
            + (
                f'<text x="{x0 + w / 2:.1f}" y="{y + 15}" text-anchor="middle">{_e(text)}</text>'
                if text and w > 7 * len(text) + 4
                else ""
            )
            + "</g>"
        )

    if view.vehicles:
        section("Vehicles")
        for v in view.vehicles:
            seats = f", {v.seats} seats" if v.seats is not None else ""
            label(v.id, f"{v.id} ({v.fleet}{seats})")
            for leg in v.legs:
                aboard = view.aboard(leg)
                people = sum(g.people for g in aboard)
                tip = f"{v.id}: {_span(view, leg.from_, leg.depart, leg.to, leg.arrive)}; " + (
                    f"{people} people: {', '.join(leg.groups)}" if aboard else "empty"
                )
                cls = (
                    "leg "
                    + ("loaded" if aboard else "empty")
                    + (" cross" if leg.kind == "crossing" else "")
                )
                bar(
                    cls,
                    leg.depart,
                    leg.arrive,
                    tip,
                    str(people) if aboard else "",
                    f' data-vehicle="{_e(v.id)}"',
                )
            y += ROW
    if view.own_drivers:
        section("Own vehicles")
        for g in view.own_drivers:
            label(f"{g.id} (own)", f"{g.id} drives its own vehicle")
            for own in g.legs:
                if own.vehicle != "own":
                    continue
                tip = f"{g.id}: {_span(view, own.from_, own.depart, own.to, own.arrive)}"
                bar("leg own", own.depart, own.arrive, tip, str(g.people))
            y += ROW
    if view.crossing_passages:
        section("Crossings")
        for cid, passages in view.crossing_passages.items():
            crossing = view.crossing(cid)
            through = (
                f", {crossing.throughput} people/h" if crossing and crossing.throughput else ""
            )
            label(cid, f"crossing {cid}{through}")
            for s, e in _open_intervals(view, cid, start, end):
                x0, x1 = axis.x(s), axis.x(e)
                rows.append(
                    f'<rect class="open" x="{x0:.1f}" y="{y + 1}" width="{x1 - x0:.1f}" '
                    f'height="{ROW - 2}"><title>open</title></rect>'
                )
            for p in passages:
                tip = (
                    f"{p.group.id} ({p.group.people} people, {how_text(p)}): starts "
                    f"{day_clock(p.leg.depart, view.zone(p.leg.from_))}, through "
                    f"{day_clock(p.leg.arrive, view.zone(p.leg.to))}"
                )
                bar(
                    "leg crossing",
                    p.leg.depart,
                    p.leg.arrive,
                    tip,
                    extra=f' data-crossing="{_e(cid)}"',
                )
            y += ROW
    if view.service_passages:
        section("Flights and sailings")
        for sid, passages in view.service_passages.items():
            first = passages[0].leg
            service = view.service(sid)
            people = sum(p.group.people for p in passages)
            taken = sum(p.group.seats for p in passages)
            of = f"/{service.seats}" if service is not None else ""
            label(sid, f"{view.service_kind(sid, first.kind)} {sid}")
            tip = (
                f"{sid}: {_span(view, first.from_, first.depart, first.to, first.arrive)}; "
                f"{people} people, {taken}{of} seats"
            )
            bar(
                "leg service",
                first.depart,
                first.arrive,
                tip,
                f"{taken}{of}",
                f' data-service="{_e(sid)}"',
            )
            y += ROW
    height = y + 10
    grid = []
    ticks = axis.ticks(zone)
    for t in ticks:
        x = axis.x(t)
        text = f"{t:%H:%M}"
        if t.hour == 0 or t == ticks[0]:
            text = f"{day_text(t, zone)} {text}"
        grid.append(
            f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="28" y2="{height}"/>'
            f'<text class="tick" x="{x:.1f}" y="22" text-anchor="middle">{_e(text)}</text>'
        )
    if not rows:
        rows.append(f'<text class="label" x="8" y="{y + 15}">Nothing moves in this plan.</text>')
        height += ROW
    zone_text = f"{view.scenario.timezone_name}, {zone_column(local(start, zone))}"
    caption = (
        f'<text class="axis" x="{LABEL}" y="{height + 12}">Axis on the clock of '
        f"{_e(zone_text)}; hover a bar for each time on the clock of its place.</text>"
    )
    height += 20
    return (
        f'<svg id="timeline" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="Timeline">'
        + caption
        + "".join(grid)
        + "".join(rows)
        + "</svg>"
    )


def crossing_load_svg(view: PlanView, crossing_id: str) -> str:
    """Bars of the people starting to cross in each throughput hour, against the
    crossing's throughput (a dashed line). Hours are labelled on the crossing's clock."""
    passages = view.crossing_passages.get(crossing_id, [])
    crossing = view.crossing(crossing_id)
    place = crossing.from_ if crossing is not None else (passages[0].leg.from_ if passages else "")
    zone = view.zone(place)
    hours = crossing_hours(view, passages)
    if not hours:
        return ""
    k0, k1 = min(hours), max(hours)
    ks = list(range(k0, k1 + 1))
    counts = {k: sum(p.group.people for p in hours.get(k, [])) for k in ks}
    limit = crossing.throughput if crossing is not None else None
    top = max([*counts.values(), limit or 0, 1]) * 1.15
    w_bar = max(18.0, min(60.0, 720.0 / len(ks)))
    left, height, base = 50, 200, 170
    width = max(480.0, left + w_bar * len(ks) + 20)
    right = left + w_bar * len(ks)
    parts = [
        f'<svg class="chart load" data-crossing="{_e(crossing_id)}" '
        f'viewBox="0 0 {width:.0f} {height}" width="{width:.0f}" height="{height}" '
        f'role="img" aria-label="Load of {_e(crossing_id)}">'
    ]
    for frac in (0.0, 0.5, 1.0):
        v = top / 1.15 * frac
        yy = base - v / top * (base - 20)
        parts.append(
            f'<line class="tick" x1="{left}" x2="{right:.0f}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text class="tick" x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end">{v:.0f}</text>'
        )
    for i, k in enumerate(ks):
        count = counts[k]
        h = count / top * (base - 20)
        x = left + i * w_bar
        over = limit is not None and count > limit
        start = view.hour_start(k)
        tip = (
            f"{day_clock(start, zone)} - {clock(view.hour_start(k + 1), zone)}: {count} people"
            + (f" of {limit}" if limit is not None else "")
        )
        parts.append(
            f'<g class="bar{" over" if over else ""}" data-hour="{k}" data-people="{count}">'
            f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{w_bar - 4:.1f}" height="{h:.1f}"/>'
            f"<title>{_e(tip)}</title></g>"
        )
        if count:
            parts.append(
                f'<text class="value" x="{x + w_bar / 2:.1f}" y="{base - h - 3:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
        step = max(1, math.ceil(len(ks) / 12))
        if i % step == 0:
            parts.append(
                f'<text class="tick" x="{x + w_bar / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                f"{_e(f'{local(start, zone):%H:%M}')}</text>"
            )
    if limit is not None:
        yy = base - limit / top * (base - 20)
        parts.append(
            f'<line class="limit" x1="{left}" x2="{right:.0f}" y1="{yy:.1f}" y2="{yy:.1f}">'
            f"<title>throughput {limit} people per hour</title></line>"
        )
    first = local(view.hour_start(k0), zone)
    parts.append(
        f'<text class="axis" x="{left}" y="{base + 28}">hours from {_e(day_text(first, zone))}, '
        f"clock of {_e(view.place_name(place))} ({_e(zone_column(first))})</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _used_links(view: PlanView) -> dict[tuple[str, str, str], int]:
    """(kind, from, to) -> people carried along it in the plan."""
    used: dict[tuple[str, str, str], int] = {}
    for g in view.groups:
        for leg in g.legs:
            kind = "road" if leg.kind == "road" else leg.kind
            key = (kind, leg.from_, leg.to)
            used[key] = used.get(key, 0) + g.people
    return used


def _placed(view: PlanView) -> dict[str, tuple[float, float]]:
    """Place id -> (lon, lat) of every place with a position."""
    return {
        pid: (loc.lon, loc.lat)
        for pid, loc in view.scenario.locations.items()
        if loc.lat is not None and loc.lon is not None
    }


def detail_places(view: PlanView) -> list[str] | None:
    """The places of the ground network (ends of roads and crossings) when they lie in an
    area much smaller than the whole map, as when people drive to a border and then fly
    far away; None when one map shows them well enough."""
    placed = _placed(view)
    ground = {r.from_ for r in view.scenario.roads} | {r.to for r in view.scenario.roads}
    ground |= {c.from_ for c in view.scenario.crossings} | {c.to for c in view.scenario.crossings}
    near = [pid for pid in placed if pid in ground]
    if len(near) < 2 or len(near) == len(placed):
        return None

    def span(ids: list[str]) -> float:
        lons = [placed[i][0] for i in ids]
        lats = [placed[i][1] for i in ids]
        return max(max(lons) - min(lons), max(lats) - min(lats), 0.01)

    return near if span(near) < 0.3 * span(list(placed)) else None


def _short_name(name: str) -> str:
    """A place's name for a map label: without parenthesised parts, and cut at its first
    comma when still longer than 32 characters."""
    short = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if len(short) > 32:
        short = short.split(",")[0].strip()
    return short


def _label_at(
    x: float,
    y: float,
    text: str,
    taken: list[tuple[float, float, float, float]],
    size: tuple[float, float],
) -> tuple[float, float, str]:
    """Where to write a place's label: the first of four spots beside its dot that overlaps
    no label already written (the first spot when all do)."""
    w, h = 6.6 * len(text) + 2, 12.0
    spots = [
        (x + 7, y - 6, "start"),
        (x + 7, y + 14, "start"),
        (x - 7, y - 6, "end"),
        (x - 7, y + 14, "end"),
    ]
    for tx, ty, anchor in spots:
        x0 = tx if anchor == "start" else tx - w
        box = (x0, ty - h + 2, x0 + w, ty + 2)
        inside = box[0] >= 0 and box[2] <= size[0] and box[1] >= 0 and box[3] <= size[1]
        if inside and not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        ):
            taken.append(box)
            return tx, ty, anchor
    return spots[0]


def map_svg(
    view: PlanView, svg_id: str = "map", focus: list[str] | None = None
) -> tuple[str, list[str]]:
    """The map of places, roads, crossings and services over country outlines.

    Args:
        view: the plan.
        svg_id: the id of the `<svg>` element.
        focus: place ids the map is fitted to (all places with a position when None);
            what lies outside is cut off.

    Returns the SVG (empty when no place has a position) and the ids of places without
    lat/lon, which the report lists instead.
    """
    scenario = view.scenario
    placed = _placed(view)
    missing = [pid for pid in scenario.locations if pid not in placed]
    if not placed:
        return "", missing
    shown = [placed[p] for p in (focus or placed)]
    proj = fit_projection(shown, min_span=0.2 if focus else 1.0)
    width, height = proj.width, proj.height
    clip = f"{svg_id}-clip"

    def pt(pid: str) -> tuple[float, float]:
        lon, lat = placed[pid]
        return proj.point(lon, lat)

    danger_countries = {loc.country for loc in scenario.locations.values() if loc.danger}
    scenario_countries = {loc.country for loc in scenario.locations.values()}
    parts = [
        f'<svg id="{_e(svg_id)}" class="chart map" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="Map">',
        f'<clipPath id="{clip}"><rect width="{width:.0f}" height="{height:.0f}"/></clipPath>',
        f'<rect class="sea" width="{width:.0f}" height="{height:.0f}"/>',
        f'<g clip-path="url(#{clip})">',
    ]
    for country, d in outline_paths(proj):
        cls = "land"
        if country.iso_a2 in danger_countries:
            cls += " danger"
        elif country.iso_a2 in scenario_countries:
            cls += " involved"
        parts.append(f'<path class="{cls}" d="{d}"><title>{_e(country.name)}</title></path>')
    used = _used_links(view)

    def width_for(people: int) -> float:
        return 1.5 + 1.5 * math.log2(1 + people)

    for road in scenario.roads:
        if road.from_ not in placed or road.to not in placed:
            continue
        people = used.get(("road", road.from_, road.to), 0) + used.get(
            ("road", road.to, road.from_), 0
        )
        (x0, y0), (x1, y1) = pt(road.from_), pt(road.to)
        cls = "road used" if people else "road"
        w = width_for(people) if people else 1.2
        tip = f"road {view.place_name(road.from_)} - {view.place_name(road.to)}" + (
            f": {people} people" if people else ": not used"
        )
        parts.append(
            f'<line class="{cls}" x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
            f'stroke-width="{w:.1f}"><title>{_e(tip)}</title></line>'
        )
    for c in scenario.crossings:
        if c.from_ not in placed or c.to not in placed:
            continue
        people = used.get(("crossing", c.from_, c.to), 0)
        (x0, y0), (x1, y1) = pt(c.from_), pt(c.to)
        tip = f"crossing {c.id}" + (f": {people} people" if people else ": not used")
        parts.append(
            f'<line class="crossing{" used" if people else ""}" x1="{x0:.1f}" y1="{y0:.1f}" '
            f'x2="{x1:.1f}" y2="{y1:.1f}" stroke-width="{width_for(people):.1f}">'
            f"<title>{_e(tip)}</title></line>"
        )
    for s in scenario.services:
        if s.from_ not in placed or s.to not in placed:
            continue
        people = sum(p.group.people for p in view.service_passages.get(s.id, []))
        (x0, y0), (x1, y1) = pt(s.from_), pt(s.to)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = x1 - x0, y1 - y0
        cx, cy = mx - dy * 0.2, my + dx * 0.2
        tip = f"{s.kind} {s.id}: {people} people" if people else f"{s.kind} {s.id}: not used"
        parts.append(
            f'<path class="service {s.kind}{" used" if people else ""}" '
            f'd="M{x0:.1f},{y0:.1f}Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}" '
            f'stroke-width="{width_for(people) if people else 1.2:.1f}">'
            f"<title>{_e(tip)}</title></path>"
        )
    starts: dict[str, int] = {}
    for g in view.groups:
        starts[g.at] = starts.get(g.at, 0) + g.people
    taken: list[tuple[float, float, float, float]] = []
    for pid in placed:
        loc = scenario.locations[pid]
        x, y = pt(pid)
        if not (0 <= x <= width and 0 <= y <= height):
            continue
        facts = [loc.name, f"id {pid}", loc.country, "danger zone" if loc.danger else "safe"]
        if loc.capacity is not None:
            facts.append(f"capacity {loc.capacity}")
        if pid in starts:
            facts.append(f"{starts[pid]} people start here")
        cls = "place danger" if loc.danger else "place safe"
        name = _short_name(loc.name) or pid
        tx, ty, anchor = _label_at(x, y, name, taken, (width, height))
        parts.append(
            f'<g class="{cls}" data-place="{_e(pid)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="5"/>'
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{_e(name)}</text>'
            f"<title>{_e('; '.join(facts))}</title></g>"
        )
    parts.append("</g></svg>")
    return "".join(parts), missing
