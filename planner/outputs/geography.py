"""Country outlines shipped with the package, and the map projection of the report.

The outlines are Natural Earth's 1:110m countries (public domain), simplified and stored
in `data/countries.json` (see `data/README.md`): each ring a flat list
`[lon0, lat0, lon1, lat1, ...]` of integers in hundredths of a degree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Country:
    """One country's outline: rings of (lon, lat) points in degrees."""

    name: str
    iso_a2: str | None
    rings: tuple[tuple[tuple[float, float], ...], ...]


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """Every country outline shipped with the package, by name."""
    text = resources.files("planner.outputs").joinpath("data/countries.json").read_text("utf-8")
    doc = json.loads(text)
    scale = float(doc.get("scale", 100))
    out = []
    for c in doc["countries"]:
        rings = tuple(
            tuple((flat[i] / scale, flat[i + 1] / scale) for i in range(0, len(flat), 2))
            for flat in c["rings"]
        )
        out.append(Country(c["name"], c.get("iso_a2"), rings))
    return tuple(out)


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of a box of the earth onto `width` x `height` pixels,
    with longitudes shrunk by the cosine of the box's middle latitude so that shapes
    near it keep their proportions."""

    west: float
    east: float
    south: float
    north: float
    width: float
    height: float

    @property
    def _k(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel (x, y) of a position; y grows downward."""
        x = (lon - self.west) / (self.east - self.west) * self.width
        y = (self.north - lat) / (self.north - self.south) * self.height
        return x, y

    def sees(self, lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> bool:
        """True when a box of positions overlaps the projected box."""
        return not (
            lon_max < self.west
            or lon_min > self.east
            or lat_max < self.south
            or lat_min > self.north
        )


def fit_projection(
    points: list[tuple[float, float]],
    width: float = 900.0,
    min_height: float = 320.0,
    max_height: float = 640.0,
    min_span: float = 1.0,
    margin: float = 0.15,
) -> Projection:
    """A projection showing every (lon, lat) point with a margin around them.

    The box spans at least `min_span` degrees each way; it is widened on one side so its
    pixel height is between `min_height` and `max_height` at the given `width`.
    """
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    west, east = min(lons), max(lons)
    south, north = min(lats), max(lats)
    dlon = max(east - west, min_span)
    dlat = max(north - south, min_span)
    cx, cy = (west + east) / 2, (south + north) / 2
    dlon *= 1 + 2 * margin
    dlat *= 1 + 2 * margin
    k = math.cos(math.radians(cy))
    # pixel height at `width` for this box, then widen the short side to the limits
    height = width * dlat / (dlon * k)
    if height < min_height:
        dlat = min_height * dlon * k / width
        height = min_height
    elif height > max_height:
        dlon = dlat * width / (max_height * k)
        height = max_height
    south, north = max(-89.9, cy - dlat / 2), min(89.9, cy + dlat / 2)
    return Projection(cx - dlon / 2, cx + dlon / 2, south, north, width, height)


def outline_paths(projection: Projection) -> list[tuple[Country, str]]:
    """SVG path data (`M x,y L ... Z`) of every country seen by the projection."""
    out = []
    for country in countries():
        parts = []
        for ring in country.rings:
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            if not projection.sees(min(lons), min(lats), max(lons), max(lats)):
                continue
            pts = [projection.point(lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
        if parts:
            out.append((country, "".join(parts)))
    return out
