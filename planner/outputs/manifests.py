"""Passenger manifests of flights and sailings, and the lists each border crossing expects.

`manifests/<service>.md`: everyone aboard, with group, documents and seats.
`crossings/<crossing>.md`: who is expected in which hour (the throughput hour counted from
the start, shown on the crossing's local clock), with documents, on foot or in which vehicle.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from planner.outputs.clock import clock, day_clock, duration_text, local, zone_abbreviation
from planner.outputs.itineraries import check_in_time
from planner.outputs.view import Passage, PlanView


def _cell(text: object) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def service_markdown(view: PlanView, service_id: str, passages: list[Passage]) -> str:
    """The manifest of one flight or sailing as Markdown."""
    first = passages[0].leg
    service = view.service(service_id)
    kind = view.service_kind(service_id, first.kind)
    frm, to = first.from_, first.to
    lines = [f"# Manifest: {kind} {service_id}", ""]
    lines.append(
        f"- From {view.place_name(frm)}, departs {day_clock(first.depart, view.zone(frm))}; "
        f"to {view.place_name(to)}, arrives {day_clock(first.arrive, view.zone(to))}."
    )
    lines.append(f"- Check-in closes {day_clock(check_in_time(view, first), view.zone(frm))}.")
    people = sum(p.group.people for p in passages)
    seats = sum(p.group.seats for p in passages)
    of = f" of {service.seats}" if service is not None else ""
    lines.append(f"- {people} people in {len(passages)} groups; {seats} seats{of} taken.")
    if service is not None and service.documents is not None:
        lines.append(f"- Documents required: {', '.join(sorted(service.documents))}.")
    lines.append("")
    lines.append("| # | name | group | documents | seats | priority | needs |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    n = 0
    for passage in passages:
        g = passage.group
        for person in g.members:
            n += 1
            needs = "stretcher" if person.stretcher else ""
            lines.append(
                f"| {n} | {_cell(person.label)} | {g.id} | {_cell(', '.join(person.documents))} "
                f"| {person.seats} | {g.priority} | {needs} |"
            )
    lines.append("")
    return "\n".join(lines)


def crossing_hours(view: PlanView, passages: list[Passage]) -> dict[int, list[Passage]]:
    """Passages by throughput hour k (`[start + k h, start + (k+1) h)`), in hour order."""
    hours: dict[int, list[Passage]] = defaultdict(list)
    for p in passages:
        hours[view.hour_of(p.leg.depart)].append(p)
    return dict(sorted(hours.items()))


def hour_label(view: PlanView, k: int, place: str) -> str:
    """`Thu 03 Oct 07:00 CEST - 08:00 CEST`: throughput hour k on the clocks of `place`."""
    zone = view.zone(place)
    start = view.hour_start(k)
    return f"{day_clock(start, zone)} - {clock(view.hour_start(k + 1), zone)}"


def how_text(passage: Passage) -> str:
    """`on foot`, `own vehicle` or `in car-1`."""
    leg = passage.leg
    if leg.on_foot:
        return "on foot"
    if leg.vehicle == "own":
        return "own vehicle"
    return f"in {leg.vehicle}"


def crossing_markdown(view: PlanView, crossing_id: str, passages: list[Passage]) -> str:
    """The list of one crossing as Markdown, hour by hour."""
    crossing = view.crossing(crossing_id)
    first = passages[0].leg
    frm = crossing.from_ if crossing is not None else first.from_
    to = crossing.to if crossing is not None else first.to
    lines = [f"# Crossing {crossing_id}", ""]
    lines.append(f"- From {view.place_name(frm)} to {view.place_name(to)}.")
    if crossing is not None:
        through = (
            f"{crossing.throughput} people per hour"
            if crossing.throughput is not None
            else "no limit"
        )
        lines.append(
            f"- Processing {duration_text(crossing.processing)}; throughput {through}; "
            f"vehicles {'may cross' if crossing.vehicles else 'may not cross: on foot only'}."
        )
        if crossing.open:
            windows = ", ".join(w.text for w in crossing.open)
            zone = zone_abbreviation(local(view.scenario.start, view.zone(frm)))
            lines.append(f"- Open {windows} {zone} (local time at {view.place_name(frm)}).")
        if crossing.documents is not None:
            lines.append(f"- Documents accepted: {', '.join(sorted(crossing.documents))}.")
    people = sum(p.group.people for p in passages)
    lines.append(f"- {people} people in {len(passages)} groups.")
    lines.append("")
    for k, hour in crossing_hours(view, passages).items():
        count = sum(p.group.people for p in hour)
        limit = f" of {crossing.throughput}" if crossing and crossing.throughput else ""
        lines.append(f"## {hour_label(view, k, frm)}: {count}{limit} people")
        lines.append("")
        lines.append("| starts | group | name | documents | how | through by |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for p in hour:
            starts = clock(p.leg.depart, view.zone(p.leg.from_))
            through = clock(p.leg.arrive, view.zone(p.leg.to))
            for person in p.group.members:
                lines.append(
                    f"| {starts} | {p.group.id} | {_cell(person.label)} | "
                    f"{_cell(', '.join(person.documents))} | {how_text(p)} | {through} |"
                )
        lines.append("")
    return "\n".join(lines)


def write_manifests(view: PlanView, out_dir: Path) -> list[Path]:
    """Write `manifests/<service>.md` and `crossings/<crossing>.md` for each one used."""
    written = []
    if view.service_passages:
        folder = out_dir / "manifests"
        folder.mkdir(parents=True, exist_ok=True)
        for sid, passages in view.service_passages.items():
            path = folder / f"{view.file_name(sid)}.md"
            path.write_text(service_markdown(view, sid, passages), encoding="utf-8")
            written.append(path)
    if view.crossing_passages:
        folder = out_dir / "crossings"
        folder.mkdir(parents=True, exist_ok=True)
        for cid, passages in view.crossing_passages.items():
            path = folder / f"{view.file_name(cid)}.md"
            path.write_text(crossing_markdown(view, cid, passages), encoding="utf-8")
            written.append(path)
    return written
