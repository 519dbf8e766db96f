"""Bulletins: QuakeML round trip through ObsPy, and IMS1.0-style text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy import UTCDateTime

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.bulletin import ims1_bulletin, to_catalog, write_quakeml
from treatyverify.monitoring.seismic.locate import ErrorEllipse, Location, Pick
from treatyverify.monitoring.seismic.magnitude import (
    NetworkMagnitude,
    StationMagnitude,
    network_magnitude,
)

ORIGIN = UTCDateTime(2017, 9, 3, 3, 30, 1.5)
STATIONS = {
    "IC.MDJ": (44.617, 129.591),
    "KG.CHC": (36.000, 127.000),
    "XX.FAR": (38.000, 133.000),
    "XX.NEA": (42.000, 128.500),
}
TIMES = {"IC.MDJ": 48.56, "KG.CHC": 70.1, "XX.FAR": 90.2, "XX.NEA": 15.3}


def _event() -> tuple[Location, list[Pick]]:
    picks = [Pick(key, "Pn", ORIGIN + dt, 0.5) for key, dt in TIMES.items()]
    loc = Location(
        origin_time=ORIGIN,
        latitude_deg=41.3,
        longitude_deg=129.05,
        depth_km=0.0,
        depth_fixed=True,
        covariance=np.diag([0.09, 9.0, 4.0, 0.0]),
        ellipse=ErrorEllipse(6.4, 4.3, 12.0),
        residuals_s={"IC.MDJ": -0.3, "KG.CHC": 0.4, "XX.FAR": 0.1, "XX.NEA": -0.2},
        rms_s=0.28,
        variance_factor=1.0,
        covariance_scale=1.0,
        iterations=5,
        model="iasp91",
    )
    return loc, picks


def _mags() -> list[NetworkMagnitude]:
    mb = network_magnitude(
        [StationMagnitude(f"XX.S{k}", "mb", "computed", v) for k, v in enumerate([5.0, 5.2])]
    )
    ms = network_magnitude([StationMagnitude("XX.A", "Ms_20", "not computed: no response")])
    return [mb, ms]


def test_quakeml_round_trip(tmp_path: Path) -> None:
    loc, picks = _event()
    cat = to_catalog(loc, picks, STATIONS, magnitudes=_mags())
    path = write_quakeml(tmp_path / "event.xml", cat)
    back = obspy.read_events(str(path))
    assert len(back) == 1
    ev = back[0]
    origin = ev.preferred_origin()
    assert origin is not None
    assert abs(origin.time - ORIGIN) < 1e-3
    assert origin.latitude == pytest.approx(41.3)
    assert origin.longitude == pytest.approx(129.05)
    assert origin.time_errors.uncertainty == pytest.approx(0.3)
    u = origin.origin_uncertainty
    assert u.max_horizontal_uncertainty == pytest.approx(6400.0)
    assert u.min_horizontal_uncertainty == pytest.approx(4300.0)
    assert u.azimuth_max_horizontal_uncertainty == pytest.approx(12.0)
    assert u.confidence_level == pytest.approx(90.0)
    assert len(ev.picks) == 4
    assert {p.waveform_id.station_code for p in ev.picks} == {"MDJ", "CHC", "FAR", "NEA"}
    assert len(origin.arrivals) == 4
    by_pick = {a.pick_id.id: a for a in origin.arrivals}
    mdj = next(p for p in ev.picks if p.waveform_id.station_code == "MDJ")
    assert abs(mdj.time - (ORIGIN + 48.56)) < 1e-3
    assert by_pick[mdj.resource_id.id].time_residual == pytest.approx(-0.3)
    assert by_pick[mdj.resource_id.id].distance == pytest.approx(3.3, abs=0.1)
    # only the computed magnitude is written
    assert [m.magnitude_type for m in ev.magnitudes] == ["mb"]
    assert ev.magnitudes[0].mag == pytest.approx(5.1)
    assert origin.quality.used_station_count == 4


def test_ims1_text_fields() -> None:
    loc, picks = _event()
    text = ims1_bulletin(loc, picks, STATIONS, magnitudes=_mags(), region="KOREA", event_id=42)
    lines = text.splitlines()
    assert lines[0] == "DATA_TYPE BULLETIN IMS1.0:short"
    assert lines[2] == "EVENT       42 KOREA"
    assert lines[3].split()[:6] == ["Date", "Time", "Err", "RMS", "Latitude", "Longitude"]
    origin = lines[4]
    assert origin.startswith("2017/09/03 03:30:01.50")
    assert origin[36:44] == " 41.3000"
    assert origin[45:54] == " 129.0500"
    assert origin[55:60].strip() == "6.4" and origin[61:66].strip() == "4.3"
    assert origin[67:70].strip() == "12"
    assert origin[71:77] == "  0.0f"  # depth, fixed flag
    assert origin[24:29] == " 0.30" and origin[30:35] == " 0.28"
    assert origin[83:87] == "   4" and origin[88:92] == "   4"
    mag = next(x for x in lines if x.startswith("mb "))
    assert mag[6:10] == " 5.1" and mag[11:14] == "0.1" and mag[15:19] == "   2"
    assert "Ms_20" not in text  # not computed: left out
    phase_at = lines.index(next(x for x in lines if x.startswith("Sta ")))
    phases = lines[phase_at + 1 :]
    assert [p[:5].strip() for p in phases] == ["NEA", "MDJ", "FAR", "CHC"]  # by distance
    mdj = next(p for p in phases if p.startswith("MDJ"))
    assert " Pn " in mdj and "03:30:50.060" in mdj and "-0.3" in mdj


def test_unknown_station_is_an_input_error() -> None:
    loc, picks = _event()
    with pytest.raises(InputError):
        to_catalog(loc, picks, {"IC.MDJ": (44.6, 129.6)})
