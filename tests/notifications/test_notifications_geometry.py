"""Geodesic checks against numbers computed independently of pyproj."""

from __future__ import annotations

import math

import pytest
from scipy import integrate

from treatyverify.errors import InputError, SpecError
from treatyverify.notifications.geometry import (
    azimuth_deg,
    compass_sector,
    distance_km,
    launch_requires_notice,
    parse_impact_area,
    toward_target,
)
from treatyverify.treaty import load_treaty

# WGS84 defining parameters (NIMA TR8350.2, 3rd ed., 2000, Table 3.1).
A_M = 6_378_137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
# IUGG mean Earth radius R1 = 6371.0088 km (H. Moritz, "Geodetic Reference System 1980",
# Journal of Geodesy 74, 2000, 128-133).
R_MEAN_KM = 6371.0088
# Authalic (equal-area) radius R2 = 6371.0072 km (same source).
R_AUTHALIC_KM = 6371.0072


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R_MEAN_KM * math.asin(math.sqrt(h))


def spherical_bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360


def test_one_degree_of_longitude_on_the_equator_is_2_pi_a_over_360() -> None:
    expected_km = 2 * math.pi * A_M / 360 / 1000  # 111.3195 km
    assert distance_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(expected_km, rel=1e-9)


def test_meridian_arc_of_the_first_degree_matches_the_integral() -> None:
    # M = a (1 - e²) ∫ dφ / (1 - e² sin² φ)^(3/2), integrated here with scipy.
    arc_m, _err = integrate.quad(
        lambda phi: A_M * (1 - E2) / (1 - E2 * math.sin(phi) ** 2) ** 1.5, 0.0, math.radians(1)
    )
    assert distance_km((0.0, 0.0), (0.0, 1.0)) == pytest.approx(arc_m / 1000, rel=1e-9)
    # 110.574 km per degree of latitude at the equator (Wikipedia, "Latitude", table of
    # the length of a degree on the WGS84 ellipsoid).
    assert distance_km((0.0, 0.0), (0.0, 1.0)) == pytest.approx(110.574, abs=0.002)


def test_moscow_to_beijing_agrees_with_the_haversine_within_half_a_percent() -> None:
    moscow, beijing = (37.6173, 55.7558), (116.4074, 39.9042)
    assert distance_km(moscow, beijing) == pytest.approx(haversine_km(moscow, beijing), rel=5e-3)


@pytest.mark.parametrize(
    ("end", "expected"),
    [((0.0, 10.0), 0.0), ((10.0, 0.0), 90.0), ((0.0, -10.0), 180.0), ((-10.0, 0.0), 270.0)],
)
def test_bearings_along_meridian_and_equator(end: tuple[float, float], expected: float) -> None:
    assert azimuth_deg((0.0, 0.0), end) == pytest.approx(expected, abs=1e-9)


def test_bearing_of_identical_points_is_an_error() -> None:
    with pytest.raises(InputError):
        azimuth_deg((1.0, 1.0), (1.0, 1.0))


@pytest.mark.parametrize(
    ("azimuth", "sector"),
    [(0.0, "north"), (22.4, "north"), (22.5, "north-east"), (100.0, "east"), (359.0, "north")],
)
def test_compass_sectors(azimuth: float, sector: str) -> None:
    assert compass_sector(azimuth) == sector


def test_circle_area_is_pi_r_squared_for_a_small_radius() -> None:
    area = parse_impact_area({"centre": [30.0, 45.0], "radius_km": 10.0}, ref="n1")
    assert area.area_km2() == pytest.approx(math.pi * 10.0**2, rel=1e-3)
    assert area.radius_km == 10.0


def test_radius_in_nautical_miles_is_1852_m_each() -> None:
    area = parse_impact_area({"centre": [30.0, 45.0], "radius_nmi": 5}, ref="n1")
    assert area.radius_km == pytest.approx(9.26)


def test_one_degree_cell_area_agrees_with_the_authalic_sphere() -> None:
    # Area of a lon-lat cell on a sphere: R² Δλ (sin φ2 - sin φ1).
    expected = R_AUTHALIC_KM**2 * math.radians(1) * math.sin(math.radians(1))
    area = parse_impact_area({"boundary": [[0, 0], [1, 0], [1, 1], [0, 1]]}, ref="n1")
    assert area.area_km2() == pytest.approx(expected, rel=5e-3)


def test_closed_and_open_boundaries_are_the_same_area() -> None:
    open_ring = parse_impact_area({"boundary": [[0, 0], [1, 0], [1, 1]]}, ref="n1")
    closed = parse_impact_area({"boundary": [[0, 0], [1, 0], [1, 1], [0, 0]]}, ref="n1")
    assert open_ring.area_km2() == pytest.approx(closed.area_km2())


def test_point_in_circle_uses_the_geodesic_radius() -> None:
    area = parse_impact_area({"centre": [160.0, 57.0], "radius_km": 50}, ref="n1")
    assert area.contains((160.0, 57.0))
    inside = (160.0, 57.0 + 49.0 / 111.4)  # ~49 km north (1° of latitude ≈ 111.4 km at 57°)
    outside = (160.0, 57.0 + 51.0 / 111.4)
    assert area.contains(inside)
    assert not area.contains(outside)


def test_point_in_polygon() -> None:
    area = parse_impact_area({"boundary": [[0, 0], [2, 0], [2, 2], [0, 2]]}, ref="n1")
    assert area.contains((1.0, 1.0))
    assert area.contains((2.0, 1.0))  # boundary included
    assert not area.contains((3.0, 1.0))


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"boundary": [[0, 0], [1, 1], [1, 0], [0, 1]]}, "fields.impact_area.boundary"),
        ({"boundary": [[0, 0], [1, 1]]}, "fields.impact_area.boundary"),
        ({"boundary": [[0, 0], [1, 1], [0, 0], [1, 1]]}, "fields.impact_area.boundary"),
        ({"boundary": [[0, 0], [1, 1], [2, 2]]}, "fields.impact_area.boundary"),
        ({"boundary": [[0, 0], [1, 95], [2, 0]]}, "fields.impact_area.boundary[1]"),
        ({"boundary": [[0, 0], [1, "x"], [2, 0]]}, "fields.impact_area.boundary[1]"),
        ({"boundary": "0,0 1,1 2,0"}, "fields.impact_area.boundary"),
        ({"centre": [0, 0], "radius_km": -1}, "fields.impact_area.radius_km"),
        ({"centre": [0, 0], "radius_km": True}, "fields.impact_area.radius_km"),
        ({"centre": [181, 0], "radius_km": 5}, "fields.impact_area.centre"),
        ({"centre": [179.99, 0], "radius_km": 50}, "fields.impact_area.radius_km"),
        ({"centre": [0, 0], "radius": 5}, "fields.impact_area"),
        ([[0, 0], [1, 0], [1, 1]], "fields.impact_area"),
    ],
)
def test_bad_impact_areas_name_the_notice_and_field(value: object, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_impact_area(value, ref="n-7")
    assert caught.value.where == f"notice n-7: {field}"


PLESETSK = (40.58, 62.93)
KAMCHATKA = (160.0, 57.8)


def test_russian_launch_to_kamchatka_requires_notice_to_china() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    ruling = launch_requires_notice(
        spec.notification("ballistic-missile-launch"),
        treaty=spec.id,
        party="ru",
        launch=PLESETSK,
        impact=KAMCHATKA,
    )
    assert ruling.range_km == pytest.approx(haversine_km(PLESETSK, KAMCHATKA), rel=5e-3)
    assert ruling.range_km > 2000
    assert ruling.azimuth_deg == pytest.approx(spherical_bearing_deg(PLESETSK, KAMCHATKA), abs=0.5)
    assert ruling.sector == "north-east"
    assert ruling.toward is True
    assert ruling.required
    assert "over 2000 km" in ruling.reason


def test_russian_launch_to_the_west_needs_no_notice_to_china() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    ruling = launch_requires_notice(
        spec.notification("ballistic-missile-launch"),
        treaty=spec.id,
        party="ru",
        launch=(45.8, 48.6),
        impact=(10.0, 50.0),
    )
    assert ruling.sector == "west"
    assert ruling.toward is False
    assert not ruling.required
    assert "not toward" in ruling.reason


def test_chinese_launch_westward_is_covered_only_over_2000_km() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    notice_type = spec.notification("ballistic-missile-launch")
    far = launch_requires_notice(
        notice_type, treaty=spec.id, party="cn", launch=(100.0, 40.0), impact=(60.0, 42.0)
    )
    assert far.sector == "west" and far.range_km > 2000 and far.required
    near = launch_requires_notice(
        notice_type, treaty=spec.id, party="cn", launch=(100.0, 40.0), impact=(85.0, 40.0)
    )
    assert near.range_km < 2000 and near.toward and not near.required
    declared = launch_requires_notice(
        notice_type,
        treaty=spec.id,
        party="cn",
        launch=(100.0, 40.0),
        impact=(85.0, 40.0),
        missile_range_km=3000,
    )
    assert declared.required
    assert "declared range" in declared.reason


def test_chinese_launch_south_east_is_not_toward_russia() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    ruling = launch_requires_notice(
        spec.notification("ballistic-missile-launch"),
        treaty=spec.id,
        party="cn",
        launch=(110.0, 35.0),
        impact=(140.0, 10.0),
    )
    assert ruling.sector == "south-east"
    assert not ruling.required


def test_1988_launches_are_always_notified() -> None:
    spec = load_treaty("us-ussr-launch-notification-1988")
    ruling = launch_requires_notice(
        spec.notification("launch"), treaty=spec.id, party="us", launch=(0, 0), impact=(1, 0)
    )
    assert ruling.required and ruling.toward is None
    assert "every launch" in ruling.reason


def test_party_without_directions_is_a_spec_error() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    with pytest.raises(SpecError) as caught:
        launch_requires_notice(
            spec.notification("ballistic-missile-launch"),
            treaty=spec.id,
            party="us",
            launch=(0, 0),
            impact=(30, 0),
        )
    assert "directions_us" in str(caught.value.where)


def test_toward_a_reference_point_or_territory() -> None:
    launch = (0.0, 0.0)
    assert toward_target(launch, (10.0, 0.0), [(20.0, 0.0)], tolerance_deg=1.0)
    assert not toward_target(launch, (0.0, 10.0), [(20.0, 0.0)], tolerance_deg=45.0)
    assert toward_target(launch, (0.0, 10.0), [(20.0, 0.0)], tolerance_deg=90.0)
    territory = [(20.0, -5.0), (30.0, -5.0), (30.0, 5.0), (20.0, 5.0)]
    assert toward_target(launch, (10.0, 2.0), territory, tolerance_deg=0.0)
    assert not toward_target(launch, (10.0, 3.0), territory, tolerance_deg=0.0)
    assert toward_target(launch, (10.0, 3.0), territory, tolerance_deg=5.0)
    assert not toward_target(launch, (-10.0, 3.0), territory, tolerance_deg=10.0)
    # From inside the territory every direction is toward it.
    assert toward_target((25.0, 0.0), (-10.0, 0.0), territory, tolerance_deg=0.0)
