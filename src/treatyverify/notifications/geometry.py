"""Geodesic checks of launch notifications: range, bearing, direction, impact areas.

All distances are geodesics on the WGS84 ellipsoid (semi-major axis 6 378 137 m,
flattening 1/298.257223563; NIMA TR8350.2, 3rd ed., 2000, Table 3.1), computed with
pyproj's :class:`~pyproj.Geod` (Karney's algorithm). Points are ``(lon_deg, lat_deg)``
pairs, longitude first as in GeoJSON.

Impact areas follow the 1988 US-USSR Launch Notification Agreement, Article I.3
(nuke.fas.org/control/launch/text/balist1.htm): "either by indicating the geographic
coordinates of the boundary points of the area, or by indicating the geographic
coordinates of the center of a circle with a radius specified in kilometers or
nautical miles". A notice field ``impact_area`` is therefore one of::

    {"boundary": [[lon, lat], [lon, lat], [lon, lat], ...]}
    {"centre": [lon, lat], "radius_km": r}        # or "radius_nmi": r

A boundary may be given open or closed (first point repeated); it is closed here.
Polygon edges are straight in longitude and latitude (the shapely plane) for the
validity and point-in-area tests; areas are geodesic (ellipsoidal). Boundaries that
cross the antimeridian are not supported (refused as out of range or invalid).

"Toward the other party" (2009 China-Russia agreement) -- see
:func:`launch_requires_notice` and docs/notifications.md for the sources and the
interpretation made here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyproj import Geod
from shapely.geometry import Point, Polygon
from shapely.validation import explain_validity

from treatyverify.errors import InputError, SpecError
from treatyverify.treaty import NotificationType

__all__ = [
    "COMPASS_POINTS",
    "NAUTICAL_MILE_KM",
    "WGS84",
    "ImpactArea",
    "LaunchRuling",
    "azimuth_deg",
    "compass_sector",
    "distance_km",
    "launch_requires_notice",
    "parse_impact_area",
    "parse_point",
    "toward_target",
]

WGS84 = Geod(ellps="WGS84")
"""The WGS84 ellipsoid (NIMA TR8350.2, 3rd ed., 2000, Table 3.1)."""

NAUTICAL_MILE_KM = 1.852
"""One international nautical mile, km (exact; BIPM SI Brochure, 9th ed., Table 8)."""

CIRCLE_VERTICES = 360
"""Vertices of the polygon that stands for a circular impact area (one per degree).

The inscribed 360-gon has area ``(n/2) sin(2 pi/n) r**2``, 0.005 % less than the circle.
"""

COMPASS_POINTS: dict[str, float] = {
    "north": 0.0,
    "north-east": 45.0,
    "east": 90.0,
    "south-east": 135.0,
    "south": 180.0,
    "south-west": 225.0,
    "west": 270.0,
    "north-west": 315.0,
}
"""Azimuth (deg clockwise from north) of the centre of each of the eight compass sectors."""

COMPASS_HALF_WIDTH_DEG = 22.5
"""Half-width of a compass sector, deg: eight sectors of 45 deg tile the circle."""


def _where(ref: str, field: str) -> str:
    return f"notice {ref}: fields.{field}"


def parse_point(value: Any, *, where: str) -> tuple[float, float]:
    """A ``[lon_deg, lat_deg]`` pair, checked; InputError naming ``where`` if bad.

    Longitude must lie in [-180, 180] deg and latitude in [-90, 90] deg.
    """
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InputError("a point is a [longitude, latitude] pair in degrees", where=where)
    lon, lat = value
    for name, number in (("longitude", lon), ("latitude", lat)):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InputError(f"the {name} is not a number", where=where)
        if not math.isfinite(number):
            raise InputError(f"the {name} is not finite", where=where)
    if not -180.0 <= lon <= 180.0:
        raise InputError(f"longitude {lon} deg is outside [-180, 180]", where=where)
    if not -90.0 <= lat <= 90.0:
        raise InputError(f"latitude {lat} deg is outside [-90, 90]", where=where)
    return float(lon), float(lat)


def distance_km(start: tuple[float, float], end: tuple[float, float]) -> float:
    """Geodesic distance on WGS84 between two ``(lon_deg, lat_deg)`` points, km."""
    _fwd, _back, metres = WGS84.inv(start[0], start[1], end[0], end[1])
    return float(metres) / 1000.0


def azimuth_deg(start: tuple[float, float], end: tuple[float, float]) -> float:
    """Initial geodesic azimuth from ``start`` toward ``end``, deg clockwise from north.

    In [0, 360). Undefined for coincident points (InputError).
    """
    if start == end:
        raise InputError("the bearing between two identical points is undefined")
    forward, _back, _metres = WGS84.inv(start[0], start[1], end[0], end[1])
    return float(forward) % 360.0


def _angle_between(a_deg: float, b_deg: float) -> float:
    """Smallest angle between two azimuths, deg in [0, 180]."""
    diff = abs(a_deg - b_deg) % 360.0
    return min(diff, 360.0 - diff)


def compass_sector(azimuth: float) -> str:
    """Name of the 45-deg compass sector holding ``azimuth`` (deg).

    A boundary azimuth (e.g. 22.5 deg) belongs to the sector clockwise of it.
    """
    index = math.floor(((azimuth % 360.0) + COMPASS_HALF_WIDTH_DEG) / 45.0) % 8
    return list(COMPASS_POINTS)[index]


def toward_target(
    launch: tuple[float, float],
    impact: tuple[float, float],
    target: Sequence[tuple[float, float]],
    *,
    tolerance_deg: float,
) -> bool:
    """Whether a flight from ``launch`` to ``impact`` heads toward ``target``.

    ``target`` is one reference point or the boundary points of a territory. The
    flight heads toward it when its initial azimuth lies within the smallest angular
    sector, seen from ``launch``, that holds the azimuths of all target points,
    widened by ``tolerance_deg`` (deg) on each side. Seen from inside the sector's
    span of more than 180 deg (the launch point inside the territory) every azimuth
    counts.
    """
    if not target:
        raise InputError("a target needs at least one point")
    heading = azimuth_deg(launch, impact)
    bearings = sorted(azimuth_deg(launch, point) for point in target if point != launch)
    if not bearings:
        return True
    # Smallest sector holding all bearings: the complement of the largest gap.
    gaps = [((bearings[(i + 1) % len(bearings)] - b) % 360.0, i) for i, b in enumerate(bearings)]
    largest, index = max(gaps) if len(bearings) > 1 else (360.0, 0)
    span = 360.0 - largest
    if span >= 180.0:
        return True
    start = bearings[(index + 1) % len(bearings)]
    offset = (heading - start) % 360.0
    return offset <= span + tolerance_deg or offset >= 360.0 - tolerance_deg


@dataclass(frozen=True)
class ImpactArea:
    """An impact area: a valid polygon on the ellipsoid.

    Attributes
    ----------
    polygon
        Shapely polygon in (lon_deg, lat_deg); for a circle, the inscribed 360-gon.
    centre
        Centre of a circle, or the polygon's planar centroid, (lon_deg, lat_deg).
    radius_km
        Radius of a circle, km; ``None`` for a polygon given by boundary points.
    """

    polygon: Polygon
    centre: tuple[float, float]
    radius_km: float | None = None

    def area_km2(self) -> float:
        """Geodesic area on WGS84, km²."""
        area_m2, _perimeter = WGS84.geometry_area_perimeter(self.polygon)
        return abs(float(area_m2)) / 1e6

    def contains(self, point: tuple[float, float]) -> bool:
        """Whether ``point`` (lon_deg, lat_deg) lies in the area, boundary included.

        For a circle the geodesic distance to the centre is compared with the radius
        (exact); for a polygon the test is made in the (lon, lat) plane.
        """
        if self.radius_km is not None:
            return distance_km(self.centre, point) <= self.radius_km
        return bool(self.polygon.covers(Point(point)))


def _circle(centre: tuple[float, float], radius_km: float) -> Polygon:
    """Polygon of ``CIRCLE_VERTICES`` points at geodesic distance ``radius_km`` (km)."""
    step = 360.0 / CIRCLE_VERTICES
    azimuths = [i * step for i in range(CIRCLE_VERTICES)]
    lons, lats, _back = WGS84.fwd(
        [centre[0]] * CIRCLE_VERTICES,
        [centre[1]] * CIRCLE_VERTICES,
        azimuths,
        [radius_km * 1000.0] * CIRCLE_VERTICES,
    )
    return Polygon(list(zip(lons, lats, strict=True)))


def parse_impact_area(value: Any, *, ref: str, field: str = "impact_area") -> ImpactArea:
    """Validate an impact area of notice ``ref``; InputError naming the notice and field.

    Parameters
    ----------
    value
        ``{"boundary": [[lon, lat], ...]}`` (deg) or ``{"centre": [lon, lat],
        "radius_km": r}`` / ``"radius_nmi": r`` (km or nautical miles, > 0).
    ref
        Notice reference, for error messages.
    field
        Field name, for error messages.

    Raises
    ------
    InputError
        Not an object of one of the two forms; a coordinate out of range; fewer than
        3 distinct boundary points; a self-intersecting or otherwise invalid polygon;
        a radius that is not a positive number, or a circle that would cross a pole or
        the antimeridian.
    """
    where = _where(ref, field)
    if not isinstance(value, Mapping):
        raise InputError(
            "an impact area is {'boundary': [[lon, lat], ...]} or "
            "{'centre': [lon, lat], 'radius_km': r}",
            where=where,
        )
    keys = set(value)
    if keys == {"boundary"}:
        return _boundary_area(value["boundary"], where)
    if keys in ({"centre", "radius_km"}, {"centre", "radius_nmi"}):
        return _circle_area(value, where)
    raise InputError(
        f"unexpected keys {sorted(keys)}; use 'boundary', or 'centre' with "
        "'radius_km' or 'radius_nmi'",
        where=where,
    )


def _boundary_area(points: Any, where: str) -> ImpactArea:
    if not isinstance(points, list | tuple):
        raise InputError("boundary is a list of [lon, lat] points", where=f"{where}.boundary")
    ring = [parse_point(p, where=f"{where}.boundary[{i}]") for i, p in enumerate(points)]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(set(ring)) < 3:
        raise InputError(
            f"a boundary needs at least 3 distinct points, got {len(set(ring))}",
            where=f"{where}.boundary",
        )
    polygon = Polygon(ring)
    if polygon.is_empty or not polygon.exterior.is_ring or not polygon.is_valid:
        reason = explain_validity(polygon) if not polygon.is_empty else "empty"
        raise InputError(
            f"the boundary is not a valid polygon ({reason})", where=f"{where}.boundary"
        )
    if polygon.area == 0.0:
        raise InputError("the boundary encloses no area", where=f"{where}.boundary")
    centroid = polygon.centroid
    return ImpactArea(polygon, (float(centroid.x), float(centroid.y)))


def _circle_area(value: Mapping[str, Any], where: str) -> ImpactArea:
    centre = parse_point(value["centre"], where=f"{where}.centre")
    unit = "radius_km" if "radius_km" in value else "radius_nmi"
    radius = value[unit]
    if isinstance(radius, bool) or not isinstance(radius, int | float):
        raise InputError("the radius is not a number", where=f"{where}.{unit}")
    if not math.isfinite(radius) or radius <= 0:
        raise InputError("the radius must be a positive number", where=f"{where}.{unit}")
    radius_km = float(radius) * (NAUTICAL_MILE_KM if unit == "radius_nmi" else 1.0)
    polygon = _circle(centre, radius_km)
    lons = [x for x, _y in polygon.exterior.coords]
    if max(lons) - min(lons) > 180.0 or not polygon.is_valid:
        raise InputError(
            "the circle crosses the antimeridian or a pole, which is not supported",
            where=f"{where}.{unit}",
        )
    return ImpactArea(polygon, centre, radius_km)


@dataclass(frozen=True)
class LaunchRuling:
    """Whether a planned launch must be notified under one notification type, and why.

    Attributes
    ----------
    required
        Whether a notice is required.
    reason
        One sentence with the numbers and the treaty rule.
    range_km
        Geodesic distance from the launch point to the impact point, km.
    azimuth_deg
        Initial azimuth from the launch point toward the impact point, deg.
    sector
        Compass sector of ``azimuth_deg``.
    toward
        Whether the launch is toward the other party, or ``None`` if the treaty's
        rule does not depend on direction.
    """

    required: bool
    reason: str
    range_km: float
    azimuth_deg: float
    sector: str
    toward: bool | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (km and deg rounded to 0.1 and 0.01)."""
        return {
            "required": self.required,
            "reason": self.reason,
            "range_km": round(self.range_km, 1),
            "azimuth_deg": round(self.azimuth_deg, 2),
            "sector": self.sector,
            "toward_other_party": self.toward,
        }


def _directions(notice_type: NotificationType, party: str, treaty: str) -> list[str]:
    key = f"directions_{party}"
    text = notice_type.conditions.get(key)
    if not isinstance(text, str):
        raise SpecError(
            f"no launch directions for party {party!r}",
            where=f"treaty {treaty}: notifications.{notice_type.code}.conditions.{key}",
        )
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in COMPASS_POINTS]
    if unknown:
        raise SpecError(
            f"unknown compass direction {unknown[0]!r} (known: {', '.join(COMPASS_POINTS)})",
            where=f"treaty {treaty}: notifications.{notice_type.code}.conditions.{key}",
        )
    return names


def launch_requires_notice(
    notice_type: NotificationType,
    *,
    treaty: str,
    party: str,
    launch: tuple[float, float],
    impact: tuple[float, float],
    missile_range_km: float | None = None,
) -> LaunchRuling:
    """Apply a launch notification type's conditions to a planned flight.

    The rule is read from the treaty's ``conditions`` of ``notice_type``; a type
    without conditions (the 1988 agreement: every ICBM and SLBM launch) is always
    required.

    * ``min_range_km_exclusive`` (2009 China-Russia agreement, Article 1.1: "с
      дальностью свыше 2000 км", range over 2000 km, docs.cntd.ru document 902196991):
      the missile's range is the larger of ``missile_range_km`` (the declared range
      capability, km, when given) and the flight's geodesic distance, which no missile
      can exceed; the launch is covered only if that range is strictly greater.
    * ``directions_<party>`` (compass directions "toward the other party", for Russia
      east, north-east, south and south-east, for China west, north-west, north and
      north-east, as summarised by P. Podvig, russianforces.org, October 2010): our
      interpretation is that a launch is toward the other party when the initial
      geodesic azimuth from the launch point to the impact point lies in one of the
      listed 45-deg compass sectors (each centred on its point, +-22.5 deg).

    Parameters
    ----------
    notice_type
        The treaty's notification type.
    treaty
        Treaty id, for error messages.
    party
        The notifying (launching) party's id.
    launch, impact
        Launch point and impact point (centre of the impact area), (lon_deg, lat_deg).
    missile_range_km
        Declared range capability of the missile, km, if known.

    Raises
    ------
    SpecError
        The type has ``directions_`` conditions but none for ``party``.
    """
    flight_km = distance_km(launch, impact)
    heading = azimuth_deg(launch, impact)
    sector = compass_sector(heading)
    reasons: list[str] = []
    required = True
    conditions = notice_type.conditions
    threshold = conditions.get("min_range_km_exclusive")
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        range_km = max(flight_km, missile_range_km or 0.0)
        basis = "declared range" if (missile_range_km or 0.0) > flight_km else "flight distance"
        if range_km > threshold:
            reasons.append(f"range {range_km:.0f} km ({basis}) is over {threshold} km")
        else:
            required = False
            reasons.append(f"range {range_km:.0f} km ({basis}) is not over {threshold} km")
    toward: bool | None = None
    if any(name.startswith("directions_") for name in conditions):
        allowed = _directions(notice_type, party, treaty)
        toward = any(
            _angle_between(heading, COMPASS_POINTS[name]) <= COMPASS_HALF_WIDTH_DEG
            for name in allowed
        )
        relation = "toward" if toward else "not toward"
        reasons.append(
            f"azimuth {heading:.1f} deg ({sector}) is {relation} the other party "
            f"(directions for {party}: {', '.join(allowed)})"
        )
        required = required and toward
    if not reasons:
        reasons.append(f"every launch is notified ({notice_type.trigger})")
    verdict = "notice required" if required else "no notice required"
    return LaunchRuling(
        required=required,
        reason=f"{verdict}: {'; '.join(reasons)}",
        range_km=flight_km,
        azimuth_deg=heading,
        sector=sector,
        toward=toward,
    )
