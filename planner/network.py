"""The transport network of a scenario as a networkx graph, and what it tells before solving.

Nodes are place ids (attribute `location`). Each edge is one way of getting from one place
to the next, keyed by what it is:

- `road:<n>` one direction of road number n (`road` attribute), driven by a fleet vehicle or
  a group's own vehicle;
- `crossing:<id>` a crossing (`crossing` attribute), on foot or, where allowed, in a vehicle;
- `flight:<id>` / `sailing:<id>` a scheduled service (`service` attribute).

The graph ignores time and capacities: if a group cannot reach a destination in it, no plan
can move it there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from planner.scenario import Group, Scenario


@dataclass(frozen=True)
class Link:
    """One directed edge of the network, as the solvers see it."""

    key: str
    kind: str
    """`road`, `crossing`, `flight` or `sailing`."""
    from_: str
    to: str


def build_network(scenario: Scenario) -> nx.MultiDiGraph:
    """The network of places, roads, crossings and services.

    >>> from planner.read import parse_scenario
    >>> s = parse_scenario('''
    ... scenario: {name: t, start: 2013-10-03T06:00+02:00, horizon: 24h}
    ... locations:
    ...   a: {country: LY, danger: true}
    ...   b: {country: TN}
    ... roads: [{from: a, to: b, duration: 2h}]
    ... groups: [{id: G, at: a, destination: b, size: 1}]
    ... ''')
    >>> sorted(build_network(s).edges(keys=True))
    [('a', 'b', 'road:0'), ('b', 'a', 'road:0')]
    """
    graph = nx.MultiDiGraph(name=scenario.name)
    for loc in scenario.locations.values():
        graph.add_node(loc.id, location=loc)
    for n, road in enumerate(scenario.roads):
        graph.add_edge(road.from_, road.to, key=f"road:{n}", kind="road", road=road)
        if road.both_ways:
            graph.add_edge(road.to, road.from_, key=f"road:{n}", kind="road", road=road)
    for crossing in scenario.crossings:
        graph.add_edge(
            crossing.from_,
            crossing.to,
            key=f"crossing:{crossing.id}",
            kind="crossing",
            crossing=crossing,
        )
    for service in scenario.services:
        graph.add_edge(
            service.from_,
            service.to,
            key=f"{service.kind}:{service.id}",
            kind=service.kind,
            service=service,
        )
    return graph


def _road_drivable(scenario: Scenario, group: Group, frm: str, to: str) -> bool:
    """Some fleet vehicle with room for the group may drive between the two places, or the
    group has its own vehicle."""
    if group.own_vehicle:
        return True
    countries = {scenario.locations[frm].country, scenario.locations[to].country}
    return any(
        v.seats >= group.seats and (v.countries is None or countries <= v.countries)
        for v in scenario.fleet
    )


def _reaches(
    graph: nx.MultiDiGraph, group: Group, usable: Callable[[str, str, dict], bool]
) -> bool:
    view = nx.subgraph_view(graph, filter_edge=lambda u, v, k: usable(u, v, graph.edges[u, v, k]))
    reachable = nx.descendants(view, group.at) | {group.at}
    return any(d in reachable for d in group.destinations)


def diagnose_unreachable(scenario: Scenario, graph: nx.MultiDiGraph, group: Group) -> str | None:
    """Why the group cannot reach any destination whatever the capacities, or None if it can.

    Tried in order, so that the reason names the first thing that cuts the group off: the
    network itself, then documents, then seats.
    """
    dests = ", ".join(group.destinations)
    if not _reaches(graph, group, lambda u, v, d: True):
        return f"no road, crossing or service connects {group.at} to {dests}"

    def docs_ok(u: str, v: str, d: dict) -> bool:
        if d["kind"] == "crossing":
            return group.holds_accepted(d["crossing"].documents)
        if d["kind"] in ("flight", "sailing"):
            return group.holds_accepted(d["service"].documents)
        return True

    if not _reaches(graph, group, docs_ok):
        return (
            f"no crossing or service on the way from {group.at} to {dests} accepts the "
            "documents its members hold"
        )

    def seats_ok(u: str, v: str, d: dict) -> bool:
        if not docs_ok(u, v, d):
            return False
        if d["kind"] == "road":
            return _road_drivable(scenario, group, u, v)
        if d["kind"] in ("flight", "sailing"):
            return bool(d["service"].seats >= group.seats)
        return True

    if not _reaches(graph, group, seats_ok):
        return (
            f"it needs {group.seats} seats together, more than any vehicle or service that "
            f"could carry it from {group.at} toward {dests} has"
        )
    return None
