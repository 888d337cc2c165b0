"""Family itineraries: when and where to be, on what, through which crossing, arrival.

One Markdown file a group (`itineraries/<group>.md`) to hand to the family, and one
`itineraries.md` with all of them for the crisis cell. Every time is on the clocks of the
place where it happens, with its zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from planner.outputs.clock import clock, day_clock, duration_text
from planner.outputs.view import GroupView, LegView, PlanView, plural


@dataclass(frozen=True)
class Step:
    """One instruction of a journey: at `when` (shown in the zone of `place`), do `text`."""

    when: datetime
    place: str
    text: str
    leg: LegView | None = None
    action: str = "leg"
    """`leg` (the leg itself), `check_in` (before a flight or sailing) or `wait`."""


def _vehicle_words(view: PlanView, vehicle: str) -> str:
    if vehicle == "own":
        return "your own vehicle"
    fleet = next((v.fleet for v in view.vehicles if v.id == vehicle), "")
    if not fleet:
        known = view.scenario.vehicle_by_id.get(vehicle)
        fleet = known.fleet if known else ""
    return f"{vehicle} ({fleet})" if fleet and fleet != vehicle else vehicle


def check_in_time(view: PlanView, leg: LegView) -> datetime:
    """When the group must be at the airport or port: `max(check_in, transfer)` before."""
    service = view.service(leg.service or "")
    loc = view.place(leg.from_)
    check_in = service.check_in if service is not None else timedelta(0)
    transfer = loc.transfer if loc is not None else timedelta(0)
    return leg.depart - max(check_in, transfer)


def journey_steps(view: PlanView, group: GroupView) -> list[Step]:
    """The instructions of a group's journey, in order, each with its local time."""
    steps: list[Step] = []
    previous: LegView | None = None
    for leg in group.legs:
        frm, to = view.place_name(leg.from_), view.place_name(leg.to)
        # before a flight or sailing the wait ends at check-in, not at departure
        ready_by = check_in_time(view, leg) if leg.kind in ("flight", "sailing") else leg.depart
        if previous is not None and ready_by > previous.arrive:
            steps.append(
                Step(
                    previous.arrive,
                    leg.from_,
                    f"Wait at {frm} until {clock(ready_by, view.zone(leg.from_))}.",
                    action="wait",
                )
            )
        same = previous is not None and previous.carrier == leg.carrier and leg.fleet
        arrive = day_clock(leg.arrive, view.zone(leg.to))
        if leg.kind == "road":
            if leg.vehicle == "own":
                text = f"Drive your own vehicle from {frm} to {to}; arrive {arrive}."
            elif same:
                what = _vehicle_words(view, leg.vehicle or "")
                text = f"Stay aboard {what} to {to}; arrive {arrive}."
            else:
                what = _vehicle_words(view, leg.vehicle or "?")
                text = f"Be at {frm}, board {what} to {to}; arrive {arrive}."
            steps.append(Step(leg.depart, leg.from_, text, leg))
        elif leg.kind == "crossing":
            crossing = view.crossing(leg.crossing or "")
            name = leg.crossing or "the crossing"
            docs = ""
            if crossing is not None and crossing.documents is not None:
                docs = " Show one of: " + ", ".join(sorted(crossing.documents)) + "."
            if leg.on_foot:
                how = "on foot"
            elif leg.vehicle == "own":
                how = "in your own vehicle"
            elif same:
                how = f"staying aboard {_vehicle_words(view, leg.vehicle or '')}"
            else:
                how = f"aboard {_vehicle_words(view, leg.vehicle or '')}"
            text = f"Cross {name} {how}, from {frm} to {to}; through by {arrive}.{docs}"
            steps.append(Step(leg.depart, leg.from_, text, leg))
        else:
            kind = view.service_kind(leg.service or "", leg.kind)
            by = check_in_time(view, leg)
            before = duration_text(leg.depart - by)
            steps.append(
                Step(
                    by,
                    leg.from_,
                    f"Check in at {frm} for {kind} {leg.service} ({before} before departure).",
                    leg,
                    action="check_in",
                )
            )
            text = f"{kind.capitalize()} {leg.service} departs {frm} for {to}; arrives {arrive}."
            steps.append(Step(leg.depart, leg.from_, text, leg))
        previous = leg
    return steps


def outcome_text(view: PlanView, group: GroupView) -> str:
    """One sentence: where the group ends up, and when, or why it is not evacuated."""
    if group.status == "evacuated":
        if not group.legs:
            return f"Evacuated: already at {view.place_name(group.at)}; nothing to do."
        last = group.legs[-1]
        return (
            f"Evacuated to {view.place_name(last.to)}, arriving "
            f"{day_clock(last.arrive, view.zone(last.to))}."
        )
    where = view.place_name(group.end_place)
    reason = view.scrub(group.reason) or "no reason given"
    if group.status == "safe":
        return f"Safe, not evacuated: ends at {where}, out of danger. Reason: {reason}."
    return f"Left behind at {where}. Reason: {reason}."


def group_markdown(view: PlanView, group: GroupView, level: int = 1) -> str:
    """The itinerary of one group as Markdown (`level` 1 for its own file, 2 inside another)."""
    h = "#" * level
    lines = [f"{h} Itinerary of {group.id}", ""]
    lines.append(f"**{outcome_text(view, group)}**")
    lines.append("")
    dests = ", ".join(view.place_name(d) for d in group.destinations) or "-"
    lines.append(
        f"- Priority {group.priority}; {plural(group.people, 'person', 'people')}, "
        f"{plural(group.seats, 'seat')}; "
        f"starts at {view.place_name(group.at)}; destination {dests}."
    )
    if group.ready is not None:
        lines.append(f"- Ready from {day_clock(group.ready, view.zone(group.at))}.")
    if group.needs:
        lines.append(f"- Needs: {group.needs}.")
    lines.append("")
    lines.append(f"{h}# Members")
    lines.append("")
    for p in group.members:
        docs = ", ".join(p.documents) or "no documents listed"
        seats = f", {p.seats} seats (stretcher)" if p.stretcher else ""
        lines.append(f"{p.number}. {p.label}: {docs}{seats}")
    lines.append("")
    steps = journey_steps(view, group)
    if steps:
        lines.append(f"{h}# Journey")
        lines.append("")
        for n, step in enumerate(steps, start=1):
            when = day_clock(step.when, view.zone(step.place))
            lines.append(f"{n}. **{when}**: {step.text}")
        lines.append("")
    return "\n".join(lines)


def write_itineraries(view: PlanView, out_dir: Path) -> list[Path]:
    """Write `itineraries/<group>.md` for every group and `itineraries.md` with all."""
    folder = out_dir / "itineraries"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    parts = [
        f"# Itineraries: {view.title}",
        "",
        "Every time is on the clocks of the place where it happens.",
        "",
        "| group | people | priority | status | leaves | arrives |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for g in view.groups:
        leaves = day_clock(g.legs[0].depart, view.zone(g.legs[0].from_)) if g.legs else "-"
        arrives = day_clock(g.legs[-1].arrive, view.zone(g.legs[-1].to)) if g.legs else "-"
        parts.append(
            f"| {g.id} | {g.people} | {g.priority} | {g.status_text} | {leaves} | {arrives} |"
        )
    parts.append("")
    for g in view.groups:
        text = group_markdown(view, g)
        path = folder / f"{view.file_name(g.id)}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
        parts.append(group_markdown(view, g, level=2))
    combined = out_dir / "itineraries.md"
    combined.write_text("\n".join(parts), encoding="utf-8")
    written.append(combined)
    return written
