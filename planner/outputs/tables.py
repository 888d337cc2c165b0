"""The plan as tables: CSV files (`csv/*.csv`) and one spreadsheet (`plan.xlsx`).

Each table is built once and written both ways. A time is two columns: the time on the
clocks of its place, and that place's zone (`CEST +02:00`). In CSV the time is ISO 8601
with its offset; in the spreadsheet it is a real date-time cell holding the local wall
time (Excel has no time zones), the zone in the next column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from planner.outputs.clock import iso_local, local, offset_text, written_at, zone_column
from planner.outputs.itineraries import check_in_time
from planner.outputs.manifests import how_text
from planner.outputs.run_sheets import vehicle_stops
from planner.outputs.view import PlanView

ColumnKind = Literal["text", "int", "float", "time"]


@dataclass(frozen=True)
class Column:
    """A column: its header and the kind of value in it."""

    name: str
    kind: ColumnKind = "text"
    width: int = 12


@dataclass
class Table:
    """A named table; time values are aware datetimes already on their place's clocks."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        """Append a row (one value per column)."""
        assert len(values) == len(self.columns), (self.name, values)
        self.rows.append(values)


def _time_columns(name: str) -> tuple[Column, Column]:
    return Column(name, "time", 17), Column(f"{name}_zone", "text", 12)


def _t(view: PlanView, when: datetime | None, place: str) -> tuple[Any, str]:
    """(local aware time, zone text) of `when` at `place`; ("", "") for None."""
    if when is None:
        return "", ""
    t = local(when, view.zone(place))
    return t, zone_column(t)


def groups_table(view: PlanView) -> Table:
    """One row a group: status, reason, when it leaves and arrives."""
    t = Table(
        "groups",
        "Groups",
        (
            Column("group", width=10),
            Column("people", "int", 8),
            Column("seats", "int", 8),
            Column("priority", width=9),
            Column("status", width=12),
            Column("reason", width=50),
            Column("at", width=16),
            Column("destination", width=20),
            Column("ends_at", width=16),
            *_time_columns("leaves"),
            *_time_columns("arrives"),
            Column("legs", "int", 6),
            Column("needs", width=24),
            Column("members", width=40),
        ),
    )
    for g in view.groups:
        first = g.legs[0] if g.legs else None
        last = g.legs[-1] if g.legs else None
        t.add(
            g.id,
            g.people,
            g.seats,
            g.priority,
            g.status,
            view.scrub(g.reason),
            g.at,
            " ".join(g.destinations),
            g.end_place,
            *_t(view, first.depart if first else None, first.from_ if first else ""),
            *_t(view, last.arrive if last else None, last.to if last else ""),
            len(g.legs),
            g.needs,
            "; ".join(p.label for p in g.members),
        )
    return t


def itineraries_table(view: PlanView) -> Table:
    """One row a leg of every group's journey."""
    t = Table(
        "itineraries",
        "Itineraries",
        (
            Column("group", width=10),
            Column("leg", "int", 5),
            Column("kind", width=9),
            Column("from", width=16),
            Column("from_name", width=28),
            *_time_columns("depart"),
            Column("to", width=16),
            Column("to_name", width=28),
            *_time_columns("arrive"),
            Column("how", width=12),
            Column("vehicle", width=10),
            Column("crossing", width=12),
            Column("service", width=12),
            Column("people", "int", 8),
            Column("seats", "int", 8),
        ),
    )
    for g in view.groups:
        for leg in g.legs:
            t.add(
                g.id,
                leg.index,
                leg.kind,
                leg.from_,
                view.place_name(leg.from_),
                *_t(view, leg.depart, leg.from_),
                leg.to,
                view.place_name(leg.to),
                *_t(view, leg.arrive, leg.to),
                leg.carrier,
                leg.vehicle or "",
                leg.crossing or "",
                leg.service or "",
                g.people,
                g.seats,
            )
    return t


def run_sheets_table(view: PlanView) -> Table:
    """One row a leg of every vehicle that moves, with the groups aboard."""
    t = Table(
        "run_sheets",
        "Run sheets",
        (
            Column("vehicle", width=10),
            Column("fleet", width=10),
            Column("leg", "int", 5),
            Column("kind", width=9),
            Column("crossing", width=12),
            Column("from", width=16),
            Column("from_name", width=28),
            *_time_columns("depart"),
            Column("to", width=16),
            Column("to_name", width=28),
            *_time_columns("arrive"),
            Column("groups", width=20),
            Column("people", "int", 8),
            Column("seats_used", "int", 10),
            Column("seats", "int", 8),
            Column("boarding", width=16),
            Column("leaving", width=16),
            Column("priorities", width=16),
            Column("needs", width=30),
            Column("names", width=40),
        ),
    )
    for v in view.vehicles:
        for stop in vehicle_stops(view, v):
            leg = stop.leg
            t.add(
                v.id,
                v.fleet,
                leg.index,
                leg.kind,
                leg.crossing or "",
                leg.from_,
                view.place_name(leg.from_),
                *_t(view, leg.depart, leg.from_),
                leg.to,
                view.place_name(leg.to),
                *_t(view, leg.arrive, leg.to),
                " ".join(leg.groups),
                stop.people,
                stop.seats,
                v.seats if v.seats is not None else "",
                " ".join(g.id for g in stop.boarding),
                " ".join(g.id for g in stop.leaving),
                " ".join(f"{g.id}:{g.priority}" for g in stop.aboard),
                "; ".join(f"{g.id} {g.needs}" for g in stop.aboard if g.needs),
                "; ".join(p.label for g in stop.aboard for p in g.members),
            )
    return t


def manifests_table(view: PlanView) -> Table:
    """One row a person aboard each flight or sailing."""
    t = Table(
        "manifests",
        "Manifests",
        (
            Column("service", width=12),
            Column("kind", width=8),
            Column("from", width=16),
            *_time_columns("depart"),
            *_time_columns("check_in_by"),
            Column("to", width=16),
            *_time_columns("arrive"),
            Column("group", width=10),
            Column("member", "int", 7),
            Column("name", width=26),
            Column("documents", width=30),
            Column("seats", "int", 6),
            Column("priority", width=9),
            Column("needs", width=10),
        ),
    )
    for sid, passages in view.service_passages.items():
        for p in passages:
            leg = p.leg
            kind = view.service_kind(sid, leg.kind)
            for person in p.group.members:
                t.add(
                    sid,
                    kind,
                    leg.from_,
                    *_t(view, leg.depart, leg.from_),
                    *_t(view, check_in_time(view, leg), leg.from_),
                    leg.to,
                    *_t(view, leg.arrive, leg.to),
                    p.group.id,
                    person.number,
                    person.label,
                    " ".join(person.documents),
                    person.seats,
                    p.group.priority,
                    "stretcher" if person.stretcher else "",
                )
    return t


def crossings_table(view: PlanView) -> Table:
    """One row a person at each crossing, with the throughput hour it starts in."""
    t = Table(
        "crossings",
        "Crossings",
        (
            Column("crossing", width=12),
            Column("hour", "int", 6),
            *_time_columns("hour_start"),
            Column("group", width=10),
            Column("member", "int", 7),
            Column("name", width=26),
            Column("documents", width=30),
            Column("how", width=12),
            Column("from", width=16),
            *_time_columns("depart"),
            Column("to", width=16),
            *_time_columns("arrive"),
            Column("priority", width=9),
        ),
    )
    for cid, passages in view.crossing_passages.items():
        crossing = view.crossing(cid)
        for p in passages:
            leg = p.leg
            k = view.hour_of(leg.depart)
            at = crossing.from_ if crossing is not None else leg.from_
            for person in p.group.members:
                t.add(
                    cid,
                    k,
                    *_t(view, view.hour_start(k), at),
                    p.group.id,
                    person.number,
                    person.label,
                    " ".join(person.documents),
                    how_text(p),
                    leg.from_,
                    *_t(view, leg.depart, leg.from_),
                    leg.to,
                    *_t(view, leg.arrive, leg.to),
                    p.group.priority,
                )
    return t


def summary_table(view: PlanView) -> Table:
    """The headline figures, one a row."""
    t = Table("summary", "Summary", (Column("figure", width=26), Column("value", width=50)))
    objective = view.plan.get("objective") or {}
    t.add("scenario", view.title)
    t.add("plan status", str(view.plan.get("status", "")))
    t.add("people", view.people)
    t.add("groups", len(view.groups))
    t.add("evacuated", view.people_with("evacuated"))
    t.add("safe", view.people_with("safe"))
    t.add("left behind", view.people_with("left_behind"))
    last, place = view.last_arrival_at
    if last is not None:
        zone = view.zone(place) if place else view.scenario.timezone
        where = f" at {place}" if place else ""
        t.add("last arrival", f"{iso_local(last, zone)} ({zone_column(local(last, zone))}){where}")
    else:
        t.add("last arrival", "")
    for name in ("evacuated", "exposure", "arrival", "makespan"):
        if name in objective:
            value = objective[name]
            t.add(f"objective {name}", "" if value is None else value)
    gaps = view.gaps()
    for name, b in (view.plan.get("bound") or {}).items():
        t.add(f"bound {name}", b)
        if name in gaps:
            t.add(f"gap {name}", round(gaps[name], 6))
    t.add("times", "on the clocks of the place where each thing happens")
    return t


def all_tables(view: PlanView) -> list[Table]:
    """Every table, in the order of the spreadsheet's sheets."""
    return [
        summary_table(view),
        groups_table(view),
        itineraries_table(view),
        run_sheets_table(view),
        manifests_table(view),
        crossings_table(view),
    ]


def _csv_value(column: Column, value: Any) -> Any:
    if column.kind == "time" and isinstance(value, datetime):
        return f"{value:%Y-%m-%dT%H:%M}{offset_text(value)}"
    return value


def write_csv(tables: list[Table], out_dir: Path) -> list[Path]:
    """Write `csv/<table>.csv` (UTF-8, header row, comma-separated) for every table."""
    folder = out_dir / "csv"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([c.name for c in table.columns])
            for row in table.rows:
                writer.writerow([_csv_value(c, v) for c, v in zip(table.columns, row, strict=True)])
        written.append(path)
    return written


def write_xlsx(tables: list[Table], path: Path, title: str) -> Path:
    """Write every table as a sheet of one spreadsheet: bold frozen header, auto-filter,
    date-time cells in local wall time."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    stamp = written_at().replace(tzinfo=None)
    wb.properties.title = title
    wb.properties.creator = "evacuation-planner"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(table.title[:31])
        ws.append([c.name for c in table.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in table.rows:
            values = []
            for c, v in zip(table.columns, row, strict=True):
                if c.kind == "time" and isinstance(v, datetime):
                    v = v.replace(tzinfo=None)
                elif v == "" and c.kind != "text":
                    v = None
                values.append(v)
            ws.append(values)
        for i, c in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(c.width, len(c.name) + 2)
            if c.kind == "time":
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
