"""Run sheets for drivers: each leg of a vehicle in order, who gets on and off where.

`run-sheets/<vehicle>.md`, one a vehicle that moves. Times are on the clocks of the place
of each departure and arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.outputs.clock import day_clock
from planner.outputs.view import GroupView, PlanView, VehicleLegView, VehicleView, plural


@dataclass(frozen=True)
class Stop:
    """What happens on one vehicle leg: who boards at its start, who gets off at its end."""

    leg: VehicleLegView
    aboard: list[GroupView]
    boarding: list[GroupView]
    leaving: list[GroupView]

    @property
    def people(self) -> int:
        """People aboard during the leg."""
        return sum(g.people for g in self.aboard)

    @property
    def seats(self) -> int:
        """Seats taken during the leg."""
        return sum(g.seats for g in self.aboard)


def vehicle_stops(view: PlanView, vehicle: VehicleView) -> list[Stop]:
    """The legs of a vehicle with who boards and who leaves.

    A group boards on a leg when it was not aboard the leg before (or that leg ended
    elsewhere); it leaves at the end of a leg when it is not aboard the next one.
    """
    stops = []
    legs = vehicle.legs
    for i, leg in enumerate(legs):
        aboard = view.aboard(leg)
        before = legs[i - 1] if i > 0 else None
        after = legs[i + 1] if i + 1 < len(legs) else None
        stayed = set(before.groups) if before is not None and before.to == leg.from_ else set()
        staying = set(after.groups) if after is not None and after.from_ == leg.to else set()
        stops.append(
            Stop(
                leg=leg,
                aboard=aboard,
                boarding=[g for g in aboard if g.id not in stayed],
                leaving=[g for g in aboard if g.id not in staying],
            )
        )
    return stops


def group_line(group: GroupView) -> str:
    """`F001 (priority high; 3 people, 4 seats; stretcher: ...): name, name`."""
    facts = [
        f"priority {group.priority}",
        f"{plural(group.people, 'person', 'people')}, {plural(group.seats, 'seat')}",
    ]
    if group.needs:
        facts.append(group.needs)
    return f"{group.id} ({'; '.join(facts)}): {group.names()}"


def leg_title(view: PlanView, leg: VehicleLegView) -> str:
    """`road Embassy -> Zawiya` or `crossing ras_ajdir: A -> B`."""
    arrow = f"{view.place_name(leg.from_)} -> {view.place_name(leg.to)}"
    if leg.kind == "crossing":
        return f"crossing {leg.crossing or ''}: {arrow}"
    return f"road {arrow}"


def run_sheet_markdown(view: PlanView, vehicle: VehicleView) -> str:
    """The run sheet of one vehicle as Markdown."""
    seats = f"{vehicle.seats} seats" if vehicle.seats is not None else "seats unknown"
    lines = [f"# Run sheet: {vehicle.id}", ""]
    lines.append(f"- Vehicle {vehicle.id}, fleet {vehicle.fleet}, {seats}.")
    if vehicle.at is not None:
        start = view.place_name(vehicle.at)
        if vehicle.available is not None:
            start += f", available from {day_clock(vehicle.available, view.zone(vehicle.at))}"
        lines.append(f"- Starts at {start}.")
    if vehicle.countries:
        lines.append(f"- May drive in: {', '.join(vehicle.countries)}.")
    people = sum(s.people for s in vehicle_stops(view, vehicle) if s.boarding)
    lines.append(f"- {len(vehicle.legs)} legs; {people} people carried.")
    lines.append("")
    for stop in vehicle_stops(view, vehicle):
        leg = stop.leg
        lines.append(f"## Leg {leg.index}: {leg_title(view, leg)}")
        lines.append("")
        lines.append(
            f"- Depart {day_clock(leg.depart, view.zone(leg.from_))} "
            f"from {view.place_name(leg.from_)}."
        )
        lines.append(
            f"- Arrive {day_clock(leg.arrive, view.zone(leg.to))} at {view.place_name(leg.to)}."
        )
        if not stop.aboard:
            lines.append("- Empty.")
        else:
            of = f" of {vehicle.seats}" if vehicle.seats is not None else ""
            lines.append(f"- Aboard: {stop.people} people, {stop.seats} seats{of}.")
            for g in stop.boarding:
                lines.append(f"- Board at {view.place_name(leg.from_)}: {group_line(g)}")
            for g in stop.aboard:
                if g not in stop.boarding:
                    lines.append(f"- Already aboard: {group_line(g)}")
            if stop.leaving:
                leaving = ", ".join(g.id for g in stop.leaving)
                lines.append(f"- Get off at {view.place_name(leg.to)}: {leaving}")
        lines.append("")
    return "\n".join(lines)


def write_run_sheets(view: PlanView, out_dir: Path) -> list[Path]:
    """Write `run-sheets/<vehicle>.md` for every vehicle that moves."""
    folder = out_dir / "run-sheets"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for v in view.vehicles:
        path = folder / f"{view.file_name(v.id)}.md"
        path.write_text(run_sheet_markdown(view, v), encoding="utf-8")
        written.append(path)
    return written
