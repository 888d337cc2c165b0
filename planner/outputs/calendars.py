"""Calendar files: one per family and one per vehicle (`calendars/groups/<group>.ics`,
`calendars/vehicles/<vehicle>.ics`).

Each leg is an event whose start is in the time zone of the place it leaves and whose end
is in the zone of the place it reaches (named zones travel as VTIMEZONE; a fixed offset
is written in UTC, which calendar programs show on the reader's clock). A flight or
sailing also gets a check-in event, from the latest check-in time to departure.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from planner.outputs.clock import written_at
from planner.outputs.itineraries import journey_steps
from planner.outputs.run_sheets import group_line, leg_title, vehicle_stops
from planner.outputs.view import PlanView

PRODID = "-//evacuation-planner//plan//EN"


def _ical_time(when: datetime) -> datetime:
    """A time icalendar writes with a TZID when its zone is named, else in UTC."""
    if isinstance(when.tzinfo, ZoneInfo):
        return when
    return when.astimezone(UTC)


def _uid_prefix(view: PlanView) -> str:
    key = f"{view.scenario.name}|{view.scenario.start.isoformat()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _calendar(name: str):  # type: ignore[no-untyped-def]
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _event(
    view: PlanView,
    uid: str,
    summary: str,
    start: datetime,
    start_place: str,
    end: datetime,
    end_place: str,
    description: str,
    stamp: datetime,
):  # type: ignore[no-untyped-def]
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", _ical_time(start.astimezone(view.zone(start_place))))
    event.add("dtend", _ical_time(end.astimezone(view.zone(end_place))))
    event.add("location", view.place_name(start_place))
    loc = view.place(start_place)
    if loc is not None and loc.lat is not None and loc.lon is not None:
        event.add("geo", (loc.lat, loc.lon))
    event.add("description", description)
    return event


@cache
def _vtimezone(tzid: str, first: date, last: date):  # type: ignore[no-untyped-def]
    """The VTIMEZONE of one zone over the plan's dates, made once for every calendar:
    icalendar builds it day by day, which is slow over its default range of decades."""
    from icalendar import Timezone

    try:
        return Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:
        return None


def _finish(cal, path: Path) -> Path:  # type: ignore[no-untyped-def]
    times = [
        value.dt
        for event in cal.walk("VEVENT")
        for key in ("DTSTART", "DTEND")
        if (value := event.get(key)) is not None and isinstance(value.dt, datetime)
    ]
    if times:
        first = min(times).date() - timedelta(days=2)
        last = max(times).date() + timedelta(days=2)
        at = len(cal.timezones)
        for tzid in sorted(cal.get_missing_tzids()):
            zone = _vtimezone(tzid, first, last)
            if zone is not None:
                cal.subcomponents.insert(at, zone)
                at += 1
    cal.add_missing_timezones()  # anything left, the slow way
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cal.to_ical())
    return path


def write_group_calendars(view: PlanView, out_dir: Path) -> list[Path]:
    """Write `calendars/groups/<group>.ics` for every group that travels."""
    prefix = _uid_prefix(view)
    stamp = written_at()
    written = []
    for g in view.groups:
        if not g.legs:
            continue
        cal = _calendar(f"{g.id}: evacuation itinerary")
        members = f"Group {g.id} ({g.people} people): {g.names()}"
        for n, step in enumerate(journey_steps(view, g), start=1):
            leg = step.leg
            if leg is None or step.action == "wait":
                continue
            if step.action == "check_in" and step.when >= leg.depart:
                continue
            if step.action == "check_in":
                start, end, end_place = step.when, leg.depart, leg.from_
                summary = f"{g.id}: check in for {leg.service} at {view.place_name(leg.from_)}"
            else:
                start, end, end_place = leg.depart, leg.arrive, leg.to
                summary = f"{g.id}: {_leg_summary(view, leg.kind, leg.carrier, leg)}"
            cal.add_component(
                _event(
                    view,
                    f"{prefix}-group-{g.id}-{n}@evacuation-planner",
                    summary,
                    start,
                    step.place,
                    end,
                    end_place,
                    f"{step.text}\n{members}",
                    stamp,
                )
            )
        written.append(
            _finish(cal, out_dir / "calendars" / "groups" / f"{view.file_name(g.id)}.ics")
        )
    return written


def _leg_summary(view: PlanView, kind: str, carrier: str, leg) -> str:  # type: ignore[no-untyped-def]
    to = view.place_name(leg.to)
    frm = view.place_name(leg.from_)
    if kind == "road":
        return f"{carrier} {frm} to {to}"
    if kind == "crossing":
        how = "on foot" if carrier == "foot" else f"in {carrier}"
        return f"cross {leg.crossing} {how} to {to}"
    return f"{view.service_kind(carrier, kind)} {carrier} to {to}"


def write_vehicle_calendars(view: PlanView, out_dir: Path) -> list[Path]:
    """Write `calendars/vehicles/<vehicle>.ics` for every vehicle that moves."""
    prefix = _uid_prefix(view)
    stamp = written_at()
    written = []
    for v in view.vehicles:
        cal = _calendar(f"{v.id}: run sheet")
        for stop in vehicle_stops(view, v):
            leg = stop.leg
            lines = [leg_title(view, leg)]
            if stop.aboard:
                lines.append(f"Aboard: {stop.people} people, {stop.seats} seats")
                lines += [f"Board: {group_line(g)}" for g in stop.boarding]
                lines += [f"Get off: {g.id}" for g in stop.leaving]
            else:
                lines.append("Empty")
            people = f" ({stop.people} people)" if stop.aboard else " (empty)"
            cal.add_component(
                _event(
                    view,
                    f"{prefix}-vehicle-{v.id}-{leg.index}@evacuation-planner",
                    f"{v.id}: {leg_title(view, leg)}{people}",
                    leg.depart,
                    leg.from_,
                    leg.arrive,
                    leg.to,
                    "\n".join(lines),
                    stamp,
                )
            )
        written.append(
            _finish(cal, out_dir / "calendars" / "vehicles" / f"{view.file_name(v.id)}.ics")
        )
    return written
