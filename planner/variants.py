"""What-if variants: a base scenario with a few changes, as a new scenario.

A scenario file may name variants (`variants:`, see docs/scenario-format.md); the reader
checks each change against the base and keeps them, unapplied, in `Scenario.variants`.
:func:`apply_variant` makes the scenario of one variant. Nothing is mutated: every change
makes a new :class:`Scenario` with :meth:`Scenario.replace`, and the base stays as it was.

The reader applies the changes one by one as it checks them (:func:`apply_change`), so that
a later change of a variant is checked against what the earlier ones made (a flight added,
then its seats changed) and every change is checked against its own result.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from planner import units
from planner.scenario import (
    AbsoluteWindow,
    AddService,
    CancelService,
    Change,
    ChangeCrossing,
    ChangeFleet,
    ChangeService,
    CloseCrossing,
    CloseRoad,
    Crossing,
    DelayGroups,
    Scenario,
    Service,
    Variant,
)

__all__ = ["VARIANT_SEPARATOR", "apply_change", "apply_variant", "describe_change"]

log = logging.getLogger(__name__)

VARIANT_SEPARATOR = " — "
"""Between the base scenario's name and the variant's name in the variant's `name`."""


def apply_variant(scenario: Scenario, name: str) -> Scenario:
    """The scenario of the variant `name`: the base with the variant's changes, in order.

    Args:
        scenario: the base, as read (its `variants` name the variant).
        name: the variant's name, as in the file.

    Returns:
        A new scenario named `"<base name> — <variant>"`, with no variants of its own; the
        base is untouched.

    Raises:
        KeyError: the scenario has no variant of that name.
        ValueError: a change names something the scenario lacks or makes it break a rule
            (never for variants read from a file: the reader checked them).

    Example:
        >>> from planner.read import parse_scenario
        >>> base = parse_scenario('''
        ... scenario: {name: demo, start: 2013-10-03T06:00+02:00, horizon: 12h}
        ... locations: {a: {country: LY, danger: true}, b: {country: TN}}
        ... roads: [{from: a, to: b, duration: 2h}]
        ... fleet: [{id: bus, seats: 4, at: a}]
        ... groups: [{id: F1, at: a, destination: b, size: 3}]
        ... variants:
        ...   late: {changes: [{delay: all, by: 3h}, {fleet: bus, count: +1}]}
        ... ''')
        >>> late = apply_variant(base, "late")
        >>> late.name, late.groups[0].ready.isoformat(), [v.id for v in late.vehicles]
        ('demo — late', '2013-10-03T09:00:00+02:00', ['bus-1', 'bus-2'])
        >>> base.groups[0].ready.isoformat()
        '2013-10-03T06:00:00+02:00'
    """
    variant = scenario.variants.get(name)
    if variant is None:
        known = ", ".join(sorted(scenario.variants)) or "none"
        raise KeyError(f"the scenario has no variant `{name}` (its variants: {known})")
    return apply_changes(scenario, variant)


def apply_changes(scenario: Scenario, variant: Variant) -> Scenario:
    """The base with every change of `variant` applied in order; see :func:`apply_variant`."""
    result = scenario
    for change in variant.changes:
        result = apply_change(result, change)
    log.debug("variant %s: %d changes applied", variant.name, len(variant.changes))
    return result.replace(
        name=f"{scenario.name}{VARIANT_SEPARATOR}{variant.name}",
        variants={},
    )


def apply_change(scenario: Scenario, change: Change) -> Scenario:
    """`scenario` with one change made; the scenario given is untouched.

    Raises:
        ValueError: the change names a crossing, road, flight, sailing, fleet kind or group
            the scenario lacks, or would make a flight arrive before it departs.
    """
    if isinstance(change, CloseCrossing):
        crossing = _crossing(scenario, change.crossing)
        closed = replace(crossing, closed=crossing.closed + (change.window,))
        return scenario.replace(
            crossings=tuple(closed if c is crossing else c for c in scenario.crossings)
        )
    if isinstance(change, CloseRoad):
        ends = set(change.ends)
        if not any({r.from_, r.to} == ends for r in scenario.roads):
            raise ValueError(f"no road joins `{change.ends[0]}` and `{change.ends[1]}`")
        return scenario.replace(
            roads=tuple(
                replace(r, closed=r.closed + (change.window,)) if {r.from_, r.to} == ends else r
                for r in scenario.roads
            )
        )
    if isinstance(change, CancelService):
        service = _service(scenario, change.service)
        return _with_services(scenario, [s for s in scenario.services if s is not service])
    if isinstance(change, AddService):
        if change.service.id in scenario.service_by_id:
            raise ValueError(f"a flight or sailing `{change.service.id}` is already there")
        return _with_services(scenario, [*scenario.services, change.service])
    if isinstance(change, ChangeFleet):
        return _change_fleet(scenario, change)
    if isinstance(change, ChangeCrossing):
        crossing = _crossing(scenario, change.crossing)
        changed = replace(
            crossing,
            throughput=crossing.throughput if change.throughput is None else change.throughput,
            processing=crossing.processing if change.processing is None else change.processing,
            open=crossing.open if change.open is None else change.open,
            documents=crossing.documents if change.documents is None else change.documents,
        )
        return scenario.replace(
            crossings=tuple(changed if c is crossing else c for c in scenario.crossings)
        )
    if isinstance(change, ChangeService):
        service = _service(scenario, change.service)
        changed_service = changed_times(service, change)
        return _with_services(
            scenario, [changed_service if s is service else s for s in scenario.services]
        )
    if isinstance(change, DelayGroups):
        chosen = set(change.groups)
        missing = chosen - set(scenario.group_by_id)
        if missing:
            raise ValueError(f"no group `{sorted(missing)[0]}`")
        return scenario.replace(
            groups=tuple(
                replace(g, ready=units.add(g.ready, change.by)) if g.id in chosen else g
                for g in scenario.groups
            )
        )
    raise TypeError(f"not a change of a variant: {change!r}")  # pragma: no cover


def changed_times(service: Service, change: ChangeService) -> Service:
    """The flight or sailing with the seats, times and check-in of `change`.

    A new departure alone keeps the duration; a new duration alone keeps the departure.

    Raises:
        ValueError: it would arrive no later than it departs.
    """
    departs = service.departs if change.departs is None else change.departs
    if change.arrives is not None:
        arrives = change.arrives
    elif change.duration is not None:
        arrives = units.add(departs, change.duration)
    else:
        arrives = units.add(departs, service.arrives - service.departs)
    if arrives <= departs:
        raise ValueError(
            f"`{service.id}` would depart {departs.isoformat(timespec='minutes')} and arrive "
            f"{arrives.isoformat(timespec='minutes')}: it must arrive after it departs"
        )
    return replace(
        service,
        seats=service.seats if change.seats is None else change.seats,
        departs=departs,
        arrives=arrives.astimezone(service.arrives.tzinfo),
        check_in=service.check_in if change.check_in is None else change.check_in,
    )


def _change_fleet(scenario: Scenario, change: ChangeFleet) -> Scenario:
    kinds = {k.id: k for k in scenario.fleet}
    kind = kinds.get(change.fleet)
    if kind is None:
        raise ValueError(f"no fleet kind `{change.fleet}`")
    count = (kind.count if change.count is None else change.count) + change.more
    if count < 0:
        raise ValueError(f"fleet `{kind.id}` would have {count} vehicles")
    changed = replace(
        kind,
        count=count,
        seats=kind.seats if change.seats is None else change.seats,
        at=kind.at if change.at is None else change.at,
        available=kind.available if change.available is None else change.available,
    )
    # A kind with no vehicle left is dropped: a fleet entry always has vehicles.
    return scenario.replace(
        fleet=tuple(
            changed if k is kind else k for k in scenario.fleet if k is not kind or count > 0
        )
    )


def _crossing(scenario: Scenario, crossing_id: str) -> Crossing:
    crossing = scenario.crossing_by_id.get(crossing_id)
    if crossing is None:
        raise ValueError(f"no crossing `{crossing_id}`")
    return crossing


def _service(scenario: Scenario, service_id: str) -> Service:
    service = scenario.service_by_id.get(service_id)
    if service is None:
        raise ValueError(f"no flight or sailing `{service_id}`")
    return service


def _with_services(scenario: Scenario, services: list[Service]) -> Scenario:
    return scenario.replace(
        flights=tuple(s for s in services if s.kind == "flight"),
        sailings=tuple(s for s in services if s.kind == "sailing"),
    )


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}h{minutes:02d}m"
    return f"{hours}h" if hours else f"{minutes}m"


def describe_change(change: Change, scenario: Scenario) -> str:
    """One line in a planner's words for a change, times on the scenario's clock."""

    def at(moment: datetime) -> str:
        hours = (moment - scenario.start).total_seconds() / 3600
        local = moment.astimezone(scenario.timezone)
        return f"{local:%a %d %b %H:%M %Z} (+{hours:g}h)"

    def window(w: AbsoluteWindow) -> str:
        return f"from {at(w.start)} to {at(w.end)}"

    if isinstance(change, CloseCrossing):
        return f"crossing {change.crossing} closed {window(change.window)}"
    if isinstance(change, CloseRoad):
        return f"road {change.ends[0]} – {change.ends[1]} closed {window(change.window)}"
    if isinstance(change, CancelService):
        return f"{change.service} cancelled"
    if isinstance(change, AddService):
        s = change.service
        return (
            f"{s.kind} {s.id} added: {s.from_} to {s.to}, departs {at(s.departs)}, {s.seats} seats"
        )
    if isinstance(change, ChangeFleet):
        parts = []
        if change.count is not None:
            parts.append(f"{change.count} vehicles")
        if change.more:
            parts.append(f"{change.more:+d} vehicles")
        if change.seats is not None:
            parts.append(f"{change.seats} seats each")
        if change.at is not None:
            parts.append(f"at {change.at}")
        if change.available is not None:
            parts.append(f"available {at(change.available)}")
        return f"fleet {change.fleet}: {', '.join(parts)}"
    if isinstance(change, ChangeCrossing):
        parts = []
        if change.throughput is not None:
            parts.append(f"throughput {change.throughput} people per hour")
        if change.processing is not None:
            parts.append(f"processing {_duration(change.processing)}")
        if change.open is not None:
            parts.append("open " + ", ".join(w.text for w in change.open))
        if change.documents is not None:
            parts.append("documents " + ", ".join(sorted(change.documents)))
        return f"crossing {change.crossing}: {', '.join(parts)}"
    if isinstance(change, ChangeService):
        parts = []
        if change.seats is not None:
            parts.append(f"{change.seats} seats")
        if change.departs is not None:
            parts.append(f"departs {at(change.departs)}")
        if change.duration is not None:
            parts.append(f"takes {_duration(change.duration)}")
        if change.arrives is not None:
            parts.append(f"arrives {at(change.arrives)}")
        if change.check_in is not None:
            parts.append(f"check-in {_duration(change.check_in)}")
        return f"{change.service}: {', '.join(parts)}"
    if isinstance(change, DelayGroups):
        n = len(change.groups)
        shown = ", ".join(change.groups[:5]) + (f" and {n - 5} more" if n > 5 else "")
        return f"{n} group{'s' if n != 1 else ''} ready {_duration(change.by)} later: {shown}"
    raise TypeError(f"not a change of a variant: {change!r}")  # pragma: no cover
