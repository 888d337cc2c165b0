"""Seeded generator of benchmark scenarios at four sizes.

    python bench/generate.py SIZE --seed N -o FILE

SIZE is one of

- ``S``: the bundled Tripoli example, ``scenarios/tripoli-2013.yaml``, written out unchanged
  (118 people, 36 hours; the seed is not used);
- ``M``: 2,000 people over 3 days: two assembly towns, one land crossing, one port, two
  airports;
- ``L``: 15,000 people over 8 days: four towns, both land crossings, both ports, four
  airports;
- ``XL``: 36,000 people over 12 days: six towns, two land crossings (west into a
  Tunisia-like neighbour, east into an Egypt-like one) with opening hours, throughput and
  document rules, two ports with sailings, four airports, hundreds of buses, more than a
  hundred flights, and families of one to six people with priorities and ready times
  spread over days;
- ``SH-S`` and ``SH-L``: shuttle problems in one country, buses running round trips
  between assembly points and shelters with capacities, minimising ``makespan``: 3 buses
  and about a dozen bus loads (SH-S); 50 vehicles and 2,400 people (SH-L). See
  :func:`generate_shuttle`.

The setting of M, L and XL is a coastal country in the danger zone (country code LY) with
neighbours TN and EG, sailings to TN and GR, and flights home. Every place, person, ship and
service name is invented; positions are plausible coordinates along that coast, chosen so
that driving times and distances fit together. The evacuees' home country has the
user-assigned ISO code XH.

The same size and seed always give the same file. The file is checked with
``planner.read.parse_scenario`` before it is written (``--no-check`` skips that).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TRIPOLI = ROOT / "scenarios" / "tripoli-2013.yaml"
SIZES = ("S", "M", "L", "XL", "SH-S", "SH-L")

START = datetime(2026, 2, 16, 6, 0, tzinfo=ZoneInfo("Africa/Tripoli"))
"""Monday 16 February 2026, 06:00 local: no clock in the region changes within 12 days."""

TZ = {
    "LY": "Africa/Tripoli",
    "TN": "Africa/Tunis",
    "EG": "Africa/Cairo",
    "GR": "Europe/Athens",
    "XH": "Africa/Tripoli",
}

HOME_DOCS = ["passport", "diplomatic_passport", "service_passport", "laissez_passer"]
"""Documents the home country's flights accept."""
PASSPORTS = ["passport", "diplomatic_passport", "service_passport"]


# --------------------------------------------------------------------------------------
# The world: every place any size may use


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    kind: str
    country: str
    lat: float | None = None
    lon: float | None = None
    transfer: str | None = None
    capacity: int | None = None  # XL value; smaller sizes scale it
    code: str = ""  # short code for group ids of assembly towns


PLACES = [
    # --- the danger zone ---
    Place("al_manara", "Al-Manara (capital)", "assembly", "LY", 32.887, 13.191, code="MAN"),
    Place("bir_sahra", "Bir Sahra", "assembly", "LY", 32.757, 12.727, code="BIR"),
    Place("qarat_nakhil", "Qarat an-Nakhil", "assembly", "LY", 32.172, 13.021, code="QAR"),
    Place("ras_tabiya", "Ras Tabiya", "assembly", "LY", 32.375, 15.092, code="TAB"),
    Place("ain_jalil", "Ain Jalil", "assembly", "LY", 32.116, 20.067, code="JAL"),
    Place("marsa_dhahab", "Marsa adh-Dhahab", "assembly", "LY", 32.076, 23.961, code="DHA"),
    Place(
        "manara_airport",
        "Al-Manara International Airport",
        "airport",
        "LY",
        32.663,
        13.159,
        "1h",
        3000,
    ),
    Place("manara_port", "Al-Manara harbour, ferry quay", "port", "LY", 32.899, 13.181, "1h", 4000),
    Place("jalil_port", "Ain Jalil harbour", "port", "LY", 32.108, 20.049, "1h", 3000),
    Place("rimal_exit", "Wadi Rimal, exit post", "border", "LY", 33.150, 11.570, "30m", 3000),
    Place("shams_exit", "Qasr Shams, exit post", "border", "LY", 31.660, 25.050, "30m", 2500),
    # --- the western neighbour ---
    Place("rimal_entry", "Wadi Rimal, entry post", "border", "TN", 33.143, 11.555, "30m", 2500),
    Place("rimal_camp", "Wadi Rimal transit camp", "haven", "TN", 33.210, 11.380, capacity=20000),
    Place("zarqa_port", "Marsa Zarqa ferry port", "port", "TN", 33.505, 11.115, "1h", 3000),
    Place(
        "jazira_airport",
        "Jazira International Airport",
        "airport",
        "TN",
        33.875,
        10.775,
        "1h",
        3000,
    ),
    # --- the eastern neighbour ---
    Place("shams_entry", "Qasr Shams, entry post", "border", "EG", 31.580, 25.160, "30m", 2500),
    Place("shams_camp", "Qasr Shams reception camp", "haven", "EG", 31.540, 25.300, capacity=15000),
    Place("hilal_airport", "Ras Hilal Airport", "airport", "EG", 31.325, 27.220, "1h", 2500),
    # --- the island across the sea ---
    Place("kalio_port", "Limenas Kaliou ferry port", "port", "GR", 35.345, 25.140, "1h", 3000),
    Place(
        "kalio_airport", "Kalio International Airport", "airport", "GR", 35.340, 25.180, "1h", 3000
    ),
    # --- home ---
    Place("home", "Home: national airport", "haven", "XH"),
]
PLACE = {p.id: p for p in PLACES}


@dataclass(frozen=True)
class Road:
    a: str
    b: str
    duration: str
    curfew: bool = False
    blocked: tuple[int, int] | None = None  # hours from start, XL; scaled for L


ROADS = [
    Road("bir_sahra", "al_manara", "1h", curfew=True),
    Road("bir_sahra", "rimal_exit", "2h30m", curfew=True),
    Road("al_manara", "manara_airport", "30m", curfew=True),
    Road("al_manara", "manara_port", "30m", curfew=True),
    Road("qarat_nakhil", "al_manara", "1h30m", curfew=True),
    Road("qarat_nakhil", "rimal_exit", "4h", curfew=True),
    Road("ras_tabiya", "al_manara", "3h", curfew=True),
    # the long desert road: no curfew, but fighting closes it for half a day
    Road("ras_tabiya", "ain_jalil", "10h", blocked=(40, 54)),
    Road("ain_jalil", "jalil_port", "30m"),
    Road("ain_jalil", "marsa_dhahab", "5h30m"),
    Road("ain_jalil", "shams_exit", "7h"),
    Road("marsa_dhahab", "shams_exit", "2h"),
    Road("rimal_entry", "rimal_camp", "30m"),
    Road("rimal_entry", "jazira_airport", "2h"),
    Road("rimal_entry", "zarqa_port", "1h30m"),
    Road("zarqa_port", "jazira_airport", "1h"),
    Road("shams_entry", "shams_camp", "30m"),
    Road("shams_entry", "hilal_airport", "3h30m"),
    Road("kalio_port", "kalio_airport", "30m"),
]


# --------------------------------------------------------------------------------------
# Sizes


@dataclass
class Size:
    name: str
    people: int
    days: int
    step: str
    towns: dict[str, float]
    """Assembly town -> share of the people."""
    crossings: list[str]
    ports: list[str]
    airports: list[str]
    waves: int
    """Ready times: one wave every `wave_hours`, this many waves."""
    wave_hours: int
    throughput: dict[str, int]
    fleet: list[tuple[str, int, int, str, int, list[str]]]
    """(id, count, seats, at, available hour, countries)."""
    flights_per_day: dict[str, int]
    sailings: dict[str, tuple[int, int, int]]
    """port -> (first day, every n days, seats)."""
    named: int
    """Groups written out member by member."""
    capacity_scale: float
    half_hours: bool
    """Times may fall on half hours (a 30m grid); else whole hours only."""
    east_closure: tuple[int, int] | None = None


SIZE_SPECS = {
    "M": Size(
        name="M",
        people=2000,
        days=3,
        step="30m",
        towns={"al_manara": 0.7, "bir_sahra": 0.3},
        crossings=["rimal"],
        ports=["manara_port"],
        airports=["manara_airport", "jazira_airport"],
        waves=7,
        wave_hours=3,
        throughput={"rimal": 150},
        fleet=[
            ("man_bus", 10, 50, "al_manara", 0, ["LY"]),
            ("man_minibus", 6, 14, "al_manara", 0, ["LY"]),
            ("bir_bus", 5, 50, "bir_sahra", 2, ["LY"]),
            ("tn_coach", 8, 50, "rimal_entry", 6, ["TN"]),
            ("zarqa_coach", 3, 50, "zarqa_port", 12, ["TN"]),
        ],
        flights_per_day={"manara_airport": 1, "jazira_airport": 3},
        sailings={"manara_port": (0, 1, 600)},
        named=6,
        capacity_scale=0.15,
        half_hours=True,
    ),
    "L": Size(
        name="L",
        people=15000,
        days=8,
        step="1h",
        towns={"al_manara": 0.45, "bir_sahra": 0.15, "ras_tabiya": 0.15, "ain_jalil": 0.25},
        crossings=["rimal", "shams"],
        ports=["manara_port", "jalil_port"],
        airports=["manara_airport", "jazira_airport", "hilal_airport", "kalio_airport"],
        waves=12,
        wave_hours=6,
        throughput={"rimal": 300, "shams": 200},
        fleet=[
            ("man_bus", 30, 50, "al_manara", 0, ["LY"]),
            ("man_minibus", 20, 14, "al_manara", 0, ["LY"]),
            ("bir_bus", 10, 50, "bir_sahra", 2, ["LY"]),
            ("tab_bus", 12, 50, "ras_tabiya", 4, ["LY"]),
            ("jal_bus", 20, 50, "ain_jalil", 0, ["LY"]),
            ("jal_coach", 10, 50, "ain_jalil", 12, ["LY", "EG"]),
            ("tn_coach", 25, 50, "rimal_entry", 6, ["TN"]),
            ("zarqa_coach", 5, 50, "zarqa_port", 24, ["TN"]),
            ("eg_coach", 15, 50, "shams_entry", 18, ["EG"]),
            ("kalio_coach", 6, 50, "kalio_port", 24, ["GR"]),
        ],
        flights_per_day={
            "manara_airport": 3,
            "jazira_airport": 3,
            "hilal_airport": 2,
            "kalio_airport": 2,
        },
        sailings={"manara_port": (1, 2, 1500), "jalil_port": (1, 2, 1800)},
        named=20,
        capacity_scale=0.6,
        half_hours=False,
        east_closure=(60, 72),
    ),
    "XL": Size(
        name="XL",
        people=36000,
        days=12,
        step="1h",
        towns={
            "al_manara": 0.35,
            "bir_sahra": 0.12,
            "qarat_nakhil": 0.08,
            "ras_tabiya": 0.15,
            "ain_jalil": 0.20,
            "marsa_dhahab": 0.10,
        },
        crossings=["rimal", "shams"],
        ports=["manara_port", "jalil_port"],
        airports=["manara_airport", "jazira_airport", "hilal_airport", "kalio_airport"],
        waves=20,
        wave_hours=6,
        throughput={"rimal": 400, "shams": 250},
        fleet=[
            ("man_bus", 60, 50, "al_manara", 0, ["LY"]),
            ("man_minibus", 40, 14, "al_manara", 0, ["LY"]),
            ("bir_bus", 20, 50, "bir_sahra", 2, ["LY"]),
            ("qar_bus", 12, 50, "qarat_nakhil", 4, ["LY"]),
            ("tab_bus", 25, 50, "ras_tabiya", 4, ["LY"]),
            ("jal_bus", 40, 50, "ain_jalil", 0, ["LY"]),
            ("jal_coach", 20, 50, "ain_jalil", 12, ["LY", "EG"]),
            ("dha_bus", 15, 50, "marsa_dhahab", 6, ["LY", "EG"]),
            ("tn_coach", 45, 50, "rimal_entry", 6, ["TN"]),
            ("zarqa_coach", 8, 50, "zarqa_port", 24, ["TN"]),
            ("eg_coach", 30, 50, "shams_entry", 18, ["EG"]),
            ("kalio_coach", 10, 50, "kalio_port", 24, ["GR"]),
        ],
        flights_per_day={
            "manara_airport": 4,
            "jazira_airport": 4,
            "hilal_airport": 3,
            "kalio_airport": 3,
        },
        sailings={"manara_port": (1, 2, 1500), "jalil_port": (1, 2, 2000)},
        named=40,
        capacity_scale=1.0,
        half_hours=False,
        east_closure=(60, 72),
    ),
}

FLIGHT = {
    # airport: (flight hours, first day, last day open or None, departure hours local)
    "manara_airport": ("4h", 0, 3, [10, 14, 18, 21]),
    "jazira_airport": ("4h", 0, None, [8, 12, 16, 20]),
    "hilal_airport": ("4h", 1, None, [9, 14, 19]),
    "kalio_airport": ("3h", 1, None, [11, 15, 22]),
}
AIRCRAFT = [180, 180, 220, 260, 300, 350]
SAILING = {
    # port: (to, duration, local departure hour, documents or None)
    "manara_port": ("zarqa_port", "9h", 20, None),
    "jalil_port": ("kalio_port", "16h", 18, PASSPORTS),
}


# --------------------------------------------------------------------------------------
# Invented names

_GIVEN_A = [
    "Ta",
    "Ru",
    "Ise",
    "Ma",
    "Ko",
    "Ela",
    "Vi",
    "Da",
    "Ne",
    "Lo",
    "Sa",
    "Ori",
    "Fe",
    "Ka",
    "Mi",
    "Ya",
    "Tio",
    "Ar",
    "Le",
    "Zo",
]
_GIVEN_B = [
    "ren",
    "vin",
    "la",
    "mir",
    "ssa",
    "dan",
    "lia",
    "ko",
    "rin",
    "na",
    "vel",
    "ta",
    "sio",
    "len",
    "ra",
]
_FAMILY_A = [
    "Bal",
    "Cor",
    "Dra",
    "Ev",
    "Gor",
    "Hal",
    "Ir",
    "Kav",
    "Lun",
    "Mor",
    "Nes",
    "Ost",
    "Pav",
    "Riv",
    "Sol",
    "Tem",
    "Ul",
    "Var",
    "Zel",
    "Bren",
]
_FAMILY_B = [
    "ansky",
    "eri",
    "ovan",
    "ado",
    "ström",
    "elli",
    "aris",
    "enko",
    "ić",
    "ardt",
    "ino",
    "oza",
    "avin",
    "etti",
    "olm",
]


def _given(rng: random.Random) -> str:
    return rng.choice(_GIVEN_A) + rng.choice(_GIVEN_B)


def _family(rng: random.Random) -> str:
    return rng.choice(_FAMILY_A) + rng.choice(_FAMILY_B)


# --------------------------------------------------------------------------------------
# YAML writing


_PLAIN = re.compile(r"[\w+][\w /.'()+:-]*")
_NUMBER = re.compile(r"[-+]?[0-9_.]+([eE][-+]?[0-9]+)?")
_WORDS_YAML_READS_AS_OTHER = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def q(text: str) -> str:
    """A YAML scalar for `text`: plain when that reads back as the same string."""
    if (
        _PLAIN.fullmatch(text)
        and not _NUMBER.fullmatch(text)
        and ": " not in text
        and not text.endswith((" ", ":"))
        and text.lower() not in _WORDS_YAML_READS_AS_OTHER
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


class Raw(str):
    """Text written into the YAML as it is."""


def flow(mapping: dict) -> str:
    """A YAML flow mapping, one line."""
    parts = []
    for key, value in mapping.items():
        if isinstance(value, Raw):
            text = str(value)
        elif isinstance(value, list):
            text = "[" + ", ".join(q(v) for v in value) + "]"
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = str(value)
        else:
            text = q(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def local_time(hours_from_start: float, tz: str) -> str:
    """The instant start + hours as ISO 8601 in the local time of `tz`, with its offset."""
    when = (START + timedelta(hours=hours_from_start)).astimezone(ZoneInfo(tz))
    return when.isoformat(timespec="minutes")


# --------------------------------------------------------------------------------------
# The generator


@dataclass(frozen=True)
class Family:
    size: int
    priority: str
    documents: str
    destination: str  # "home" or "camp"
    own: bool


def _sample_family(rng: random.Random) -> Family:
    if rng.random() < 0.25:
        # workers of foreign firms, alone or in pairs, bound for a camp beyond a border
        size = 1 if rng.random() < 0.75 else 2
        r = rng.random()
        priority = "critical" if r < 0.01 else "high" if r < 0.05 else "normal"
        documents = "national_id" if rng.random() < 0.5 else "passport"
        return Family(size, priority, documents, "camp", False)
    size = rng.choices([1, 2, 3, 4, 5, 6], weights=[22, 18, 22, 22, 10, 6])[0]
    r = rng.random()
    priority = "critical" if r < 0.02 else "high" if r < 0.16 else "normal"
    r = rng.random()
    documents = "passport" if r < 0.80 else "service_passport" if r < 0.88 else "laissez_passer"
    own = priority == "normal" and rng.random() < 0.05
    return Family(size, priority, documents, "home", own)


def _wave_weights(waves: int) -> list[float]:
    """Most people are ready early; fewer in each later wave."""
    return [0.78**k for k in range(waves)]


def generate(size: str, seed: int) -> str:
    """The scenario YAML text of `size` ("M", "L", "XL", "SH-S", "SH-L"; "S" is the Tripoli
    file)."""
    if size == "S":
        return TRIPOLI.read_text(encoding="utf-8")
    if size in SHUTTLE_SPECS:
        return generate_shuttle(size, seed)
    spec = SIZE_SPECS[size]
    rng = random.Random(f"{size}:{seed}")
    horizon = spec.days * 24
    out: list[str] = []
    w = out.append

    # ---- which places this size uses
    used = set(spec.towns) | set(spec.ports) | set(spec.airports) | {"home"}
    if "rimal" in spec.crossings:
        used |= {"rimal_exit", "rimal_entry", "rimal_camp"}
    if "shams" in spec.crossings:
        used |= {"shams_exit", "shams_entry", "shams_camp"}
    for port in spec.ports:
        used.add(SAILING[port][0])
    roads = [r for r in ROADS if r.a in used and r.b in used]
    camps = [p for p in ("rimal_camp", "shams_camp") if p in used]

    w(f"# Benchmark scenario {size} (seed {seed}), made by bench/generate.py.")
    w("#")
    w("# A synthetic exercise: a coastal country (LY) becomes unsafe and its foreign residents")
    w("# leave by land into the neighbours to the west (TN) and east (EG), by sea, and by air")
    w("# to their home country (XH, a user-assigned ISO code). Every name of a place, person,")
    w("# ship or service is invented; positions are plausible points along that coast.")
    w("")
    w("scenario:")
    w(f"  name: Benchmark {size}, {spec.people:,} people over {spec.days} days")
    w(f"  start: {START.isoformat(timespec='minutes')}")
    w("  timezone: Africa/Tripoli")
    w(f"  horizon: {spec.days}d")
    w(f"  step: {spec.step}")
    w("")
    w("objective: [evacuated, exposure, arrival]")
    w("")

    # ---- places
    w("locations:")
    for p in PLACES:
        if p.id not in used:
            continue
        entry: dict = {"name": p.name, "kind": p.kind, "country": p.country}
        if p.lat is not None:
            entry["lat"] = p.lat
            entry["lon"] = p.lon
        if TZ[p.country] != "Africa/Tripoli":
            entry["timezone"] = TZ[p.country]
        if p.country == "LY":
            entry["danger"] = True
        if p.transfer:
            entry["transfer"] = p.transfer
        if p.capacity:
            entry["capacity"] = int(round(p.capacity * spec.capacity_scale, -2)) or 100
        w(f"  {p.id}: {flow(entry)}")
    w("")

    # ---- roads
    w("roads:")
    w("  # Curfew on the roads around the capital, 22:00-05:00 local time.")
    for r in roads:
        entry = {"from": r.a, "to": r.b, "duration": r.duration}
        closed = []
        if r.curfew:
            closed.append('"22:00-05:00"')
        if r.blocked is not None:
            a, b = r.blocked
            closed.append(f"{{from: +{a}h, to: +{b}h}}")
        line = f"  - {{from: {r.a}, to: {r.b}, duration: {r.duration}"
        if closed:
            line += ", closed: [" + ", ".join(closed) + "]"
        w(line + "}")
    w("")

    # ---- crossings
    w("crossings:")
    if "rimal" in spec.crossings:
        w("  # West: people cross on foot and board coaches on the far side.")
        w("  - id: rimal")
        w("    from: rimal_exit")
        w("    to: rimal_entry")
        w("    processing: 1h30m" if spec.half_hours else "    processing: 2h")
        w(f"    throughput: {spec.throughput['rimal']}")
        w('    open: ["07:00-19:00"]')
        w(
            "    documents: [passport, diplomatic_passport, service_passport, laissez_passer, "
            "national_id]"
        )
        w("    vehicles: false")
    if "shams" in spec.crossings:
        w("  # East: buses cross with their passengers; a passport of some kind is required.")
        w("  - id: shams")
        w("    from: shams_exit")
        w("    to: shams_entry")
        w("    processing: 3h")
        w(f"    throughput: {spec.throughput['shams']}")
        w('    open: ["08:00-20:00"]')
        if spec.east_closure:
            a, b = spec.east_closure
            w(f"    closed: [{{from: +{a}h, to: +{b}h}}]   # closed after an incident")
        w("    documents: [passport, diplomatic_passport, service_passport]")
        w("    vehicles: true")
    w("")

    # ---- fleet
    w("fleet:")
    for fid, count, seats, at, avail, countries in spec.fleet:
        entry = {"id": fid, "count": count, "seats": seats, "at": at}
        if avail:
            entry["available"] = f"+{avail}h"
        entry["countries"] = countries
        w(f"  - {flow(entry)}")
    w("")

    # ---- flights
    w("flights:")
    w("  # Charters home; every flight takes the same documents (the anchor below).")
    n = 0
    for airport in spec.airports:
        duration, first, last, hours = FLIGHT[airport]
        tz = TZ[PLACE[airport].country]
        per_day = spec.flights_per_day[airport]
        dur_h = int(duration.rstrip("h"))
        offset = (START.astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)).total_seconds() / 3600
        start_local = 6 + offset - 2  # START is 06:00 at +02:00
        for day in range(first, spec.days if last is None else min(last, spec.days)):
            for k in range(per_day):
                local_hour = hours[k % len(hours)]
                minute = rng.choice([0, 30]) if spec.half_hours else 0
                at_hours = day * 24 + (local_hour - start_local) + minute / 60
                if at_hours < 4 or at_hours + dur_h > horizon:
                    continue
                n += 1
                entry = {
                    "id": f"HX{100 + n}",
                    "from": airport,
                    "to": "home",
                    "departs": local_time(at_hours, tz),
                    "duration": duration,
                    "seats": rng.choice(AIRCRAFT),
                    "check_in": "2h",
                    "documents": Raw(
                        "&home_documents [" + ", ".join(HOME_DOCS) + "]"
                        if n == 1
                        else "*home_documents"
                    ),
                }
                w(f"  - {flow(entry)}")
    w("")

    # ---- sailings
    w("sailings:")
    ships = ["Aurelis", "Stella Doran", "Kalinde", "Marevo", "Ostrava Sun", "Tessaly"]
    for port in spec.ports:
        to, duration, hour, documents = SAILING[port]
        first, every, seats = spec.sailings[port]
        dur_h = int(duration.rstrip("h"))
        k = 0
        for day in range(first, spec.days, every):
            at_hours = day * 24 + (hour - 6)
            if at_hours + dur_h > horizon:
                continue
            k += 1
            ship = ships[(k + len(port)) % len(ships)]
            sid = f"{ship.split()[0].upper()}-{port.split('_')[0][:3].upper()}{k}"
            line = (
                f"  - {{id: {sid}, from: {port}, to: {to}, "
                f"departs: {local_time(at_hours, 'Africa/Tripoli')}, duration: {duration}, "
                f"seats: {seats}, check_in: 3h"
            )
            if documents:
                line += ", documents: [" + ", ".join(documents) + "]"
            w(line + "}")
    w("")

    # ---- groups
    w("groups:")
    total = 0
    named_people = 0
    if spec.named:
        w("  # Written out member by member: patients, diplomats and embassy staff.")
    for i in range(spec.named):
        kind = i % 4
        family = _family(rng)
        town = "al_manara"
        gid = f"N{i + 1:03d}"
        if kind == 0:
            # a patient on a stretcher with a companion
            w(f"  - id: {gid}")
            w(f"    at: {town}")
            w("    destination: home")
            w("    priority: critical")
            ready = rng.choice([0, 2, 4, 6])
            if ready:
                w(f"    ready: +{ready}h")
            w("    documents: [passport]")
            w("    members:")
            w(f"      - {{name: {q(_given(rng) + ' ' + family)}, seats: 2}}")
            w(f"      - {{name: {q(_given(rng) + ' ' + family)}}}")
            in_group = 2
        elif kind == 1:
            w(f"  - id: {gid}")
            w(f"    at: {town}")
            w("    destination: home")
            w("    priority: high")
            w("    documents: [passport]")
            w("    members:")
            adults = 2
            kids = rng.randint(0, 3)
            for _ in range(adults):
                w(
                    f"      - {{name: {q(_given(rng) + ' ' + family)}, "
                    "documents: [diplomatic_passport]}"
                )
            for _ in range(kids):
                w(f"      - {{name: {q(_given(rng) + ' ' + family)}}}")
            in_group = adults + kids
        else:
            members = rng.randint(1, 4)
            w(f"  - id: {gid}")
            w(f"    at: {rng.choice(list(spec.towns))}")
            w("    destination: home")
            ready = rng.choice([0, 3, 6, 12])
            if ready:
                w(f"    ready: +{ready}h")
            w("    documents: [service_passport]")
            w("    members:")
            for _ in range(members):
                w(f"      - {{name: {q(_given(rng) + ' ' + family)}}}")
            in_group = members
        named_people += in_group
    total += named_people

    remaining = spec.people - named_people
    towns = list(spec.towns)
    shares = [spec.towns[t] for t in towns]
    town_people = [int(remaining * s) for s in shares]
    town_people[0] += remaining - sum(town_people)
    weights = _wave_weights(spec.waves)
    for town, people in zip(towns, town_people, strict=True):
        # distant towns start gathering a little later
        lag = {
            "al_manara": 0,
            "bir_sahra": 1,
            "qarat_nakhil": 2,
            "ras_tabiya": 2,
            "ain_jalil": 0,
            "marsa_dhahab": 3,
        }[town]
        wave_people = [int(people * x / sum(weights)) for x in weights]
        wave_people[0] += people - sum(wave_people)
        code = PLACE[town].code
        w(f"  # {PLACE[town].name}: {people:,} people")
        for wave, target in enumerate(wave_people):
            families: list[Family] = []
            got = 0
            while got < target:
                f = _sample_family(rng)
                if got + f.size > target:
                    f = Family(target - got, f.priority, f.documents, f.destination, f.own)
                families.append(f)
                got += f.size
            ready = wave * spec.wave_hours + lag
            counts = Counter(families)
            for k, (f, count) in enumerate(sorted(counts.items(), key=_family_order)):
                entry = {"id": f"{code}{wave:02d}-{k + 1:02d}"}
                if count > 1:
                    entry["count"] = count
                entry["size"] = f.size
                entry["at"] = town
                if f.destination == "camp":
                    entry["destination"] = camps if len(camps) > 1 else camps[0]
                else:
                    entry["destination"] = "home"
                if ready:
                    entry["ready"] = f"+{ready}h"
                if f.priority != "normal":
                    entry["priority"] = f.priority
                entry["documents"] = [f.documents]
                if f.own:
                    entry["own_vehicle"] = True
                w(f"  - {flow(entry)}")
            total += got
    assert total == spec.people, (total, spec.people)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Shuttle-heavy sizes: a few buses, many round trips, shelters that fill up


@dataclass(frozen=True)
class ShuttleSize:
    """A shuttle-heavy size: buses between assembly points and shelters in one country."""

    name: str
    people: int
    hours: int
    step_minutes: int
    points: tuple[int, int]
    """Fewest and most assembly points (the seed picks)."""
    shelters: tuple[int, int]
    """Fewest and most shelters."""
    fleet: tuple[tuple[str, int, int, str, int], ...]
    """(id, count, seats, where: "depot" or "shelter", available minutes after start)."""
    waves: int
    """People are ready in this many waves, one every `wave_minutes`."""
    wave_minutes: int
    depot: bool
    """Whether the buses that are not at a shelter start at a bus depot of their own."""


SHUTTLE_SPECS = {
    "SH-S": ShuttleSize(
        name="SH-S",
        people=340,
        hours=12,
        step_minutes=15,
        points=(2, 3),
        shelters=(2, 2),
        fleet=(("bus", 3, 30, "shelter", 0),),
        waves=3,
        wave_minutes=60,
        depot=False,
    ),
    "SH-L": ShuttleSize(
        name="SH-L",
        people=2400,
        hours=24,
        step_minutes=30,
        points=(7, 9),
        shelters=(3, 4),
        fleet=(
            ("coach", 12, 50, "depot", 0),
            ("bus", 8, 30, "shelter", 0),
            ("minibus", 22, 16, "depot", 0),
            ("school_bus", 8, 40, "depot", 120),
        ),
        waves=5,
        wave_minutes=120,
        depot=True,
    ),
}
"""50 vehicles in SH-L: 12 + 8 + 22 + 8."""

SHUTTLE_START = datetime.fromisoformat("2026-04-14T05:00+02:00")
"""Tuesday 14 April 2026, 05:00 at a fixed offset (the scenario has no clock change)."""

_SHUTTLE_POINTS = [
    ("Lower Brenna market square", "LBM"),
    ("Saint Odil school yard", "SOD"),
    ("Varno mill car park", "VAR"),
    ("Kessa river quay", "KES"),
    ("Tollbridge bus station", "TOL"),
    ("Marl island church", "MAR"),
    ("Ostvin sports ground", "OST"),
    ("Perla street depot yard", "PER"),
    ("Lindau ferry landing", "LIN"),
]
_SHUTTLE_SHELTERS = [
    "Upper Brenna gymnasium",
    "Hill fort barracks",
    "Ravel college halls",
    "Skora exhibition centre",
]


def _rounded_up(minutes: float, step: int) -> int:
    """`minutes` rounded up to a whole number of steps, at least one step."""
    return max(step, -(-int(round(minutes)) // step) * step)


def _duration(minutes: int) -> str:
    """Minutes written as a duration: 45m, 1h, 1h30m."""
    h, m = divmod(minutes, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if m or not h else "")


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km between two (lat, lon) points close to each other."""
    dlat = (a[0] - b[0]) * 111.2
    dlon = (a[1] - b[1]) * 111.2 * 0.7
    return float((dlat**2 + dlon**2) ** 0.5)


def generate_shuttle(size: str, seed: int) -> str:
    """The scenario YAML text of a shuttle-heavy size ("SH-S" or "SH-L").

    A river valley in one country (XV, a user-assigned code) floods: people gather at
    assembly points in the valley (`danger: true`) and buses shuttle them to shelters on
    the hills, each with a `capacity`; any shelter will do. There are no crossings, flights
    or sailings, and the objective is `[evacuated, makespan]`. Every time in the file (road
    durations, ready times, when vehicles are available) is a whole number of steps.
    """
    spec = SHUTTLE_SPECS[size]
    rng = random.Random(f"{size}:{seed}")
    step = spec.step_minutes
    n_points = rng.randint(*spec.points)
    n_shelters = rng.randint(*spec.shelters)
    # the valley runs west to east along lat 46.0; shelters are on the hills to the north
    points = []
    for i, (name, code) in enumerate(_SHUTTLE_POINTS[:n_points]):
        lat = round(46.0 + rng.uniform(-0.03, 0.03), 4)
        lon = round(14.0 + 0.45 * (i + rng.uniform(0.0, 0.6)) / n_points, 4)
        points.append((f"p_{code.lower()}", name, code, (lat, lon)))
    shelters = []
    for i, name in enumerate(_SHUTTLE_SHELTERS[:n_shelters]):
        lat = round(46.12 + rng.uniform(0.0, 0.1), 4)
        lon = round(14.0 + 0.45 * (i + rng.uniform(0.2, 0.8)) / n_shelters, 4)
        shelters.append((f"shelter_{i + 1}", name, (lat, lon)))
    depot = ("depot", "Valley bus depot", (46.09, 14.2))

    # people at each point: uneven shares; families of one to six
    shares = [rng.uniform(0.5, 1.5) for _ in points]
    at_point = [int(spec.people * s / sum(shares)) for s in shares]
    at_point[0] += spec.people - sum(at_point)

    # shelters: together room for everyone and a fifth more; none (of several) holds all
    if n_shelters == 1:
        capacities = [int(round(spec.people * 1.2, -1))]
    else:
        weights = [rng.uniform(0.7, 1.3) for _ in shelters]
        capacities = [
            max(
                10 * (spec.people // (10 * n_shelters)),
                int(round(1.2 * spec.people * w / sum(weights), -1)),
            )
            for w in weights
        ]

    out: list[str] = []
    w = out.append
    w(f"# Benchmark scenario {size} (seed {seed}), made by bench/generate.py.")
    w("#")
    w("# A shuttle problem: a river valley in one country (XV, a user-assigned ISO code) floods,")
    w("# and buses run round trips between the assembly points in the valley and the shelters")
    w("# on the hills, which have room for a limited number of people each. Any shelter will")
    w("# do. Every name is invented. All times are whole steps of the planning grid.")
    w("")
    w("scenario:")
    w(f"  name: Benchmark {size}, {spec.people:,} people to shelters by shuttle")
    w(f"  start: {SHUTTLE_START.isoformat(timespec='minutes')}")
    w(f"  horizon: {spec.hours}h")
    w(f"  step: {_duration(step)}")
    w("")
    w("objective: [evacuated, makespan]")
    w("")
    w("locations:")
    for pid, name, _, (lat, lon) in points:
        entry: dict = {"name": name, "kind": "assembly", "country": "XV", "lat": lat, "lon": lon}
        entry["danger"] = True
        w(f"  {pid}: {flow(entry)}")
    for (sid, name, (lat, lon)), cap in zip(shelters, capacities, strict=True):
        entry = {"name": name, "kind": "haven", "country": "XV", "lat": lat, "lon": lon}
        entry["capacity"] = cap
        w(f"  {sid}: {flow(entry)}")
    if spec.depot:
        did, name, (lat, lon) = depot
        entry = {"name": name, "kind": "waypoint", "country": "XV", "lat": lat, "lon": lon}
        w(f"  {did}: {flow(entry)}")
    w("")

    # roads: every point to every shelter, neighbouring points, the depot to everything;
    # about 35 km/h on valley roads with a fifth added for winding
    w("roads:")
    places = [(p[0], p[3]) for p in points] + [(s[0], s[2]) for s in shelters]
    pairs = [(p[0], s[0]) for p in points for s in shelters]
    pairs += [(points[i][0], points[i + 1][0]) for i in range(len(points) - 1)]
    if spec.depot:
        pairs += [(depot[0], name) for name, _ in places]
    where = dict(places)
    where[depot[0]] = depot[2]
    for a, b in pairs:
        minutes = _rounded_up(_km(where[a], where[b]) * 1.2 / 35 * 60, step)
        w(f"  - {flow({'from': a, 'to': b, 'duration': _duration(minutes)})}")
    w("")

    w("fleet:")
    for i, (fid, count, seats, home, available) in enumerate(spec.fleet):
        at = depot[0] if home == "depot" and spec.depot else shelters[i % len(shelters)][0]
        entry = {"id": fid, "count": count, "seats": seats, "at": at}
        if available:
            entry["available"] = f"+{_duration(_rounded_up(available, step))}"
        w(f"  - {flow(entry)}")
    w("")

    w("groups:")
    destinations = [s[0] for s in shelters]
    weights = _wave_weights(spec.waves)
    for (pid, name, code, _), people in zip(points, at_point, strict=True):
        w(f"  # {name}: {people:,} people")
        wave_people = [int(people * x / sum(weights)) for x in weights]
        wave_people[0] += people - sum(wave_people)
        for wave, target in enumerate(wave_people):
            sizes: list[int] = []
            while sum(sizes) < target:
                s = rng.choices([1, 2, 3, 4, 5, 6], weights=[22, 18, 22, 22, 10, 6])[0]
                sizes.append(min(s, target - sum(sizes)))
            ready = _rounded_up(wave * spec.wave_minutes, step) if wave else 0
            for k, (s, count) in enumerate(sorted(Counter(sizes).items())):
                entry = {"id": f"{code}{wave}-{k + 1}"}
                if count > 1:
                    entry["count"] = count
                entry["size"] = s
                entry["at"] = pid
                entry["destination"] = destinations if len(destinations) > 1 else destinations[0]
                if ready:
                    entry["ready"] = f"+{_duration(ready)}"
                w(f"  - {flow(entry)}")
    return "\n".join(out) + "\n"


def _family_order(item: tuple[Family, int]) -> tuple:
    f = item[0]
    return (f.destination, f.priority, f.documents, f.own, f.size)


def check(text: str, size: str) -> str:
    """Parse the text with the planner's reader; a one-line summary, or raise."""
    sys.path.insert(0, str(ROOT))
    from planner.read import parse_scenario

    scenario = parse_scenario(text, f"{size}.yaml")
    if size in SIZE_SPECS:
        assert scenario.people == SIZE_SPECS[size].people, scenario.people
    if size in SHUTTLE_SPECS:
        assert scenario.people == SHUTTLE_SPECS[size].people, scenario.people
        assert not scenario.crossings and not scenario.services, "a shuttle size crosses nothing"
    services = scenario.services
    return (
        f"{scenario.people:,} people in {len(scenario.groups):,} groups, "
        f"{len(scenario.locations)} places, {len(scenario.roads)} roads, "
        f"{len(scenario.crossings)} crossings, {len(scenario.vehicles)} vehicles, "
        f"{len(services)} flights and sailings, horizon {scenario.horizon}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "size", type=str.upper, choices=SIZES, metavar="SIZE", help="S, M, L, XL, SH-S or SH-L"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("-o", "--output", required=True, help="YAML file to write")
    parser.add_argument("--no-check", action="store_true", help="do not parse the result")
    args = parser.parse_args(argv)
    text = generate(args.size, args.seed)
    summary = None if args.no_check else check(text, args.size)
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    lines = text.count("\n")
    print(
        f"{path}: {args.size}, seed {args.seed}, {lines:,} lines"
        + (f"; {summary}" if summary else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
