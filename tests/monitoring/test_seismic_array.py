"""Seismic arrays: f-k analysis, detections, phase, single-array location, bad input, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.core.inventory import Channel, Inventory, Network, Site, Station
from obspy.core.inventory.response import Response
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.monitoring.arrays import (
    back_azimuth_slowness,
    plane_wave_delays_s,
    slowness_vector,
)
from treatyverify.monitoring.seismic.array import (
    KM_PER_DEG,
    ArrayData,
    array_detections,
    array_geometry,
    check_array_stream,
    destination,
    fk_estimate,
    fk_sliding,
    identify_phase,
    read_array,
)

YKA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
YKA = YKA / "array-yellowknife-2012-08-14"
needs_yka = pytest.mark.skipif(
    not (YKA / "waveforms.mseed").is_file(),
    reason="Yellowknife array data (../shared/data/seismic/array-yellowknife-2012-08-14) absent",
)
runner = CliRunner()

# Element coordinates (latitude, longitude, degrees) of the Yellowknife array, CN.YKB*/YKR*,
# as in ../shared/data/seismic/array-yellowknife-2012-08-14/stations.xml (IRIS fdsnws-station).
YKA_LATLON = {
    "YKB0": (62.6059, -114.606),
    "YKB1": (62.4023, -114.6063),
    "YKB2": (62.4247, -114.6063),
    "YKB3": (62.4485, -114.6061),
    "YKB4": (62.4709, -114.6058),
    "YKB6": (62.5164, -114.6057),
    "YKB7": (62.5389, -114.6061),
    "YKB8": (62.5615, -114.6055),
    "YKB9": (62.583, -114.6039),
    "YKR1": (62.4928, -114.9445),
    "YKR2": (62.4928, -114.8959),
    "YKR3": (62.4929, -114.8476),
    "YKR4": (62.4927, -114.7998),
    "YKR5": (62.4932, -114.7504),
    "YKR6": (62.4932, -114.702),
    "YKR7": (62.4932, -114.6544),
    "YKR8": (62.4931, -114.6062),
    "YKR9": (62.493, -114.5565),
}

# The catalogue origin of ../shared/data/seismic/array-yellowknife-2012-08-14/
# catalog-origin.quakeml (NEIC PDE): 2012-08-14T02:59:38.46, 49.8 N, 145.064 E, 583.2 km.
ORIGIN_TIME = obspy.UTCDateTime("2012-08-14T02:59:38.46")
EPICENTRE = (49.8, 145.064)
DEPTH_KM = 583.2

RATE = 20.0
T0 = obspy.UTCDateTime("2020-01-01T00:00:00")


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


def _response() -> Response:
    return Response.from_paz(
        [0j, 0j],
        [complex(-4.44, 4.44), complex(-4.44, -4.44)],
        stage_gain=1.0e9,
        stage_gain_frequency=1.0,
        input_units="M/S",
        output_units="COUNTS",
        normalization_frequency=1.0,
    )


def _inventory(names: list[str], *, no_response: str | None = None) -> Inventory:
    stations = []
    for name in names:
        lat, lon = YKA_LATLON[name]
        resp = None if name == no_response else _response()
        channel = Channel(
            "SHZ", "", lat, lon, 200.0, 0.0, sample_rate=RATE, response=resp, azimuth=0, dip=-90
        )
        stations.append(Station(name, lat, lon, 200.0, channels=[channel], site=Site(name=name)))
    return Inventory(networks=[Network("CN", stations=stations)], source="test")


def _hand_offsets_km(reference: str) -> dict[str, tuple[float, float]]:
    """East and north offsets on a sphere of radius 6371 km, equirectangular (the module
    uses WGS84 geodesics; the two agree to a few tens of metres over the array)."""
    lat0, lon0 = YKA_LATLON[reference]
    return {
        name: (
            math.radians(lon - lon0) * 6371.0 * math.cos(math.radians(0.5 * (lat + lat0))),
            math.radians(lat - lat0) * 6371.0,
        )
        for name, (lat, lon) in YKA_LATLON.items()
    }


def _plane_wave(
    back_azimuth_deg: float,
    slowness_s_km: float,
    *,
    seconds: float = 300.0,
    arrival_s: float = 200.0,
    noise: float = 0.05,
    seed: int = 1,
    names: list[str] | None = None,
) -> obspy.Stream:
    """A band-limited (1-3 Hz) wavelet crossing YKA with the given slowness, delays
    from the hand-computed offsets, with incoherent Gaussian noise on each element."""
    rng = np.random.default_rng(seed)
    names = names or sorted(YKA_LATLON)
    offsets = _hand_offsets_km("YKR6")
    beta = math.radians(back_azimuth_deg)
    sx, sy = -slowness_s_km * math.sin(beta), -slowness_s_km * math.cos(beta)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    freqs = np.fft.rfftfreq(n, d=1.0 / RATE)
    source = np.fft.rfft(rng.normal(size=n))
    source[(freqs < 1.0) | (freqs > 3.0)] = 0.0
    base = np.fft.irfft(source, n)
    stream = obspy.Stream()
    for name in names:
        x, y = offsets[name]
        delay = sx * x + sy * y
        shifted = np.fft.irfft(np.fft.rfft(base) * np.exp(-2j * np.pi * freqs * delay), n)
        env = np.exp(-0.5 * ((t - arrival_s - delay - 3.0) / 1.5) ** 2)
        wavelet = shifted * env / np.std(base)
        data = 100.0 * (wavelet + noise * rng.normal(size=n))
        stream.append(
            obspy.Trace(
                data.astype(np.float64),
                header={
                    "network": "CN",
                    "station": name,
                    "channel": "SHZ",
                    "sampling_rate": RATE,
                    "starttime": T0,
                },
            )
        )
    return stream


def _array(stream: obspy.Stream, inventory: Inventory) -> ArrayData:
    checked = check_array_stream(stream, inventory)
    return ArrayData(checked, inventory, array_geometry(checked, inventory, reference="YKR6"))


# ------------------------------------------------------------------------- geometry


def test_offsets_and_delays_match_a_hand_computation() -> None:
    names = sorted(YKA_LATLON)
    inv = _inventory(names)
    array = _array(_plane_wave(0.0, 0.0, seconds=60.0, arrival_s=30.0), inv)
    hand = _hand_offsets_km("YKR6")
    for i, tid in enumerate(array.geometry.trace_ids):
        x, y = hand[tid.split(".")[1]]
        got = array.geometry.offsets_m[i] / 1000.0
        # Tangent-plane (geodesic range and azimuth) and equirectangular offsets differ by
        # the curvature of the parallel, x^2 tan(lat) / 2R = 24 m at 12 km: 3 ms of delay
        # at 0.1 s/km.
        assert got[0] == pytest.approx(x, abs=0.01 + 0.004 * abs(x))
        assert got[1] == pytest.approx(y, abs=0.03 + 0.004 * abs(y))
    # YKR1, 12.4 km west of YKR6: a wave from 305.6 deg at 0.0648 s/km (TauP P of the
    # Okhotsk event) reaches it earlier by s_east * x = 0.0648 sin(54.4 deg) * 12.45 km.
    s = slowness_vector(305.6, 0.0648 / 1000.0)
    delays = plane_wave_delays_s(array.geometry.offsets_m, s[0], s[1])
    i = array.geometry.trace_ids.index("CN.YKR1..SHZ")
    x_km = hand["YKR1"][0]
    assert delays[i] == pytest.approx(0.0648 * math.sin(math.radians(305.6)) * -x_km, rel=0.01)
    assert delays[i] < -0.6
    baz, slow = back_azimuth_slowness(s[0], s[1])
    assert float(baz) == pytest.approx(305.6)
    assert float(slow) == pytest.approx(0.0648e-3)
    assert array.geometry.aperture_km == pytest.approx(22.7, abs=0.2)


@pytest.mark.parametrize(
    ("back_azimuth_deg", "slowness_s_km"),
    [(305.6, 0.0648), (35.0, 0.125), (200.0, 0.04), (120.0, 0.18)],
)
def test_synthetic_plane_wave_is_recovered(back_azimuth_deg: float, slowness_s_km: float) -> None:
    names = sorted(YKA_LATLON)
    array = _array(_plane_wave(back_azimuth_deg, slowness_s_km), _inventory(names))
    est = fk_estimate(array, T0 + 200.0, window_s=6.0)
    err = (est.back_azimuth_deg - back_azimuth_deg + 180.0) % 360.0 - 180.0
    assert abs(err) < 1.0
    assert est.slowness_s_km == pytest.approx(slowness_s_km, rel=0.02)
    assert est.relative_power > 0.9
    assert 0.0 < est.back_azimuth_sigma_deg < 2.0
    assert 0.0 < est.slowness_sigma_s_km < 0.005
    assert est.slowness_s_deg == pytest.approx(est.slowness_s_km * KM_PER_DEG)


def test_noise_alone_has_low_relative_power() -> None:
    names = sorted(YKA_LATLON)
    stream = _plane_wave(0.0, 0.05, noise=1.0)
    for tr in stream:
        tr.data = np.random.default_rng(hash(tr.id) % 2**32).normal(size=tr.stats.npts)
    est = fk_estimate(_array(stream, _inventory(names)), T0 + 100.0, jackknife=False)
    assert est.relative_power < 0.5  # about 1/N = 0.06 for incoherent noise, plus the grid maximum


def test_detections_on_a_synthetic_arrival() -> None:
    names = sorted(YKA_LATLON)
    array = _array(_plane_wave(305.6, 0.0648, noise=0.02), _inventory(names))
    found = array_detections(array, depth_km=583.0, amplitudes=False)
    assert len(found) == 1
    det = found[0]
    assert det.n_elements >= 9
    assert abs(det.time - (T0 + 200.0)) < 2.0
    assert det.fk.back_azimuth_deg == pytest.approx(305.6, abs=1.0)
    assert det.phase.kind == "teleseismic P"
    assert det.location is not None
    body = det.to_record_body()
    assert json.loads(json.dumps(body)) == body


# ------------------------------------------------------------------------- phases


def test_phase_identification_and_distance() -> None:
    # TauP iasp91: P at 51.36 degrees from a 583.2 km deep source has 7.2053 s/degree.
    p = identify_phase(7.2053, 0.0, depth_km=583.2)
    assert p.phase == "P"
    assert p.kind == "teleseismic P"
    assert p.distance_deg == pytest.approx(51.36, abs=0.05)
    # Deep source: the steep up-going p close to the source is not taken.
    assert p.distance_range_deg is not None and p.distance_range_deg[0] > 45.0
    regional = identify_phase(13.7, 0.1, depth_km=0.0)
    assert regional.kind == "regional P"
    # iasp91 has a velocity gradient below the Moho, so TauP names the mantle refraction
    # "P" beyond the crossover; the nearly constant Pn slowness leaves the distance open.
    assert regional.phase in ("Pn", "P")
    assert regional.distance_range_deg is not None
    assert regional.distance_range_deg[1] - regional.distance_range_deg[0] > 5.0
    core = identify_phase(1.5, 0.05, depth_km=0.0)
    assert core.kind == "PKP"
    assert core.distance_deg is not None and core.distance_deg > 140.0
    slow = identify_phase(25.0, 0.2)
    assert not slow.identified
    with pytest.raises(InputError):
        identify_phase(7.0, 0.1, depth_km=900.0)


def test_destination_on_the_sphere() -> None:
    assert destination(0.0, 0.0, 90.0, 90.0) == pytest.approx((0.0, 90.0), abs=1e-9)
    assert destination(0.0, 0.0, 0.0, 30.0) == pytest.approx((30.0, 0.0), abs=1e-9)
    lat, lon = destination(62.5, -114.7, 305.6, 51.36)
    d = obspy.geodetics.locations2degrees(62.5, -114.7, lat, lon)
    assert d == pytest.approx(51.36, abs=1e-6)


# ------------------------------------------------------------------------- real data


@needs_yka
def test_agrees_with_obspy_array_processing() -> None:
    from obspy.core.util import AttribDict
    from obspy.signal.array_analysis import array_processing

    array = read_array(YKA / "waveforms.mseed", YKA / "stations.xml")
    start = obspy.UTCDateTime("2012-08-14T03:07:48")
    mine = fk_sliding(
        array, start=start, end=start + 20.0, window_s=4.0, step_s=1.0, step_s_km=0.005
    )
    stream = array.stream.copy()
    for tr in stream:
        c = array.inventory.get_coordinates(tr.id)
        tr.stats.coordinates = AttribDict(
            latitude=c["latitude"], longitude=c["longitude"], elevation=c["elevation"] / 1000.0
        )
    theirs = array_processing(
        stream,
        win_len=4.0,
        win_frac=0.25,
        sll_x=-0.25,
        slm_x=0.25,
        sll_y=-0.25,
        slm_y=0.25,
        sl_s=0.005,
        semb_thres=-1e9,
        vel_thres=-1e9,
        frqlow=1.0,
        frqhigh=3.0,
        stime=start,
        etime=start + 20.0,
        prewhiten=0,
        coordsys="lonlat",
        timestamp="julsec",
        method=0,
    )
    assert len(theirs) == len(mine.window_starts) == 17
    same_node = 0
    for row, t, baz, slow, power in zip(
        theirs,
        mine.window_starts,
        mine.back_azimuth_deg,
        mine.slowness_s_km,
        mine.relative_power,
        strict=True,
    ):
        assert float(row[0]) == pytest.approx(t.timestamp)
        assert power == pytest.approx(row[1], abs=0.03)
        ours = slowness_vector(baz, slow)
        their = slowness_vector(row[3] % 360.0, row[4])
        step = np.abs(ours - their)
        assert np.all(step < 0.0051)  # the same grid node or the next one
        same_node += bool(np.all(step < 1e-6))
    assert same_node >= 15


@needs_yka
def test_yellowknife_first_p_within_targets() -> None:
    from obspy.geodetics import gps2dist_azimuth, locations2degrees
    from obspy.taup import TauPyModel

    array = read_array(YKA / "waveforms.mseed", YKA / "stations.xml")
    lat0, lon0 = array.geometry.centre_deg
    _, baz_pred, _ = gps2dist_azimuth(lat0, lon0, *EPICENTRE)
    delta = locations2degrees(lat0, lon0, *EPICENTRE)
    first = TauPyModel("iasp91").get_travel_times(DEPTH_KM, delta, phase_list=["P"])[0]
    p_pred = float(first.ray_param_sec_degree)
    found = array_detections(array, depth_km=DEPTH_KM)
    near = [d for d in found if abs(d.time - (ORIGIN_TIME + first.time)) < 30.0]
    assert near, "no detection within 30 s of the predicted P"
    det = near[0]
    err = (det.fk.back_azimuth_deg - baz_pred + 180.0) % 360.0 - 180.0
    assert abs(err) < 3.0
    assert abs(det.fk.slowness_s_deg - p_pred) / p_pred < 0.10
    assert det.phase.kind == "teleseismic P"
    assert det.location is not None
    assert det.amplitude is not None and det.amplitude.amplitude_nm > 0.0


# ------------------------------------------------------------------------- bad input


def _write(tmp_path: Path, stream: obspy.Stream, inventory: Inventory) -> tuple[Path, Path]:
    wave = tmp_path / "array.mseed"
    xml = tmp_path / "array.xml"
    stream.write(str(wave), format="MSEED", encoding="FLOAT64")
    inventory.write(str(xml), format="STATIONXML")
    return wave, xml


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


NAMES = ["YKR4", "YKR5", "YKR6", "YKR7", "YKB4", "YKB6"]


def _small(seconds: float = 60.0) -> obspy.Stream:
    return _plane_wave(305.6, 0.0648, seconds=seconds, arrival_s=30.0, names=NAMES)


def test_missing_stationxml(tmp_path: Path) -> None:
    wave, _ = _write(tmp_path, _small(), _inventory(NAMES))
    with pytest.raises(InputError) as exc:
        read_array(wave, tmp_path / "none.xml")
    assert "none.xml" in _one_line(exc)


def test_unreadable_stationxml(tmp_path: Path) -> None:
    wave, xml = _write(tmp_path, _small(), _inventory(NAMES))
    xml.write_text("<notstationxml>")
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    assert "cannot read StationXML" in _one_line(exc)


def test_channel_absent_from_stationxml(tmp_path: Path) -> None:
    wave, xml = _write(tmp_path, _small(), _inventory(NAMES[:-2]))
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    text = _one_line(exc)
    assert "2 channel(s) not in the StationXML" in text
    assert "CN.YKB4..SHZ" in text and str(xml) in text


def test_channel_without_response(tmp_path: Path) -> None:
    wave, xml = _write(tmp_path, _small(), _inventory(NAMES, no_response="YKR5"))
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    assert "without instrument response: CN.YKR5..SHZ" in _one_line(exc)


def test_mixed_sampling_rates(tmp_path: Path) -> None:
    stream = _small()
    stream[0].resample(40.0)
    stream[1].resample(40.0)
    wave, xml = _write(tmp_path, stream, _inventory(NAMES))
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    text = _one_line(exc)
    assert "mixed sampling rates: 20 Hz (4 traces), 40 Hz (2 traces)" in text


def test_rate_inconsistent_with_stationxml(tmp_path: Path) -> None:
    stream = _small()
    for tr in stream:
        tr.stats.sampling_rate = 40.0
    wave, xml = _write(tmp_path, stream, _inventory(NAMES))
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    assert "6 channel(s) whose sampling rate differs from the StationXML's" in _one_line(exc)


def test_gaps(tmp_path: Path) -> None:
    stream = _small()
    for tr in list(stream)[:3]:
        first = tr.slice(T0, T0 + 20.0)
        second = tr.slice(T0 + 25.0, T0 + 60.0)
        stream.remove(tr)
        stream += first
        stream += second
    wave, xml = _write(tmp_path, stream, _inventory(NAMES))
    with pytest.raises(InputError) as exc:
        read_array(wave, xml)
    assert "gaps or overlaps in 3 channel(s)" in _one_line(exc)


def test_too_few_elements_and_bad_band(tmp_path: Path) -> None:
    stream = _small()
    with pytest.raises(InputError):
        check_array_stream(obspy.Stream(list(stream)[:2]), _inventory(NAMES))
    array = _array(stream, _inventory(NAMES))
    with pytest.raises(InputError) as exc:
        fk_estimate(array, T0 + 30.0, band_hz=(1.0, 12.0))
    assert "Nyquist" in _one_line(exc)


# ------------------------------------------------------------------------- CLI


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["monitor", "array", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_on_a_synthetic_arrival(tmp_path: Path) -> None:
    names = sorted(YKA_LATLON)
    wave, xml = _write(tmp_path, _plane_wave(305.6, 0.0648, noise=0.02), _inventory(names))
    code, out, err = _cli(str(wave), "--stations", str(xml), "--json", "--depth", "583")
    assert code == 0, err
    result = json.loads(out)
    assert result["n_elements"] == 18
    assert len(result["detections"]) == 1
    det = result["detections"][0]
    assert det["back_azimuth_deg"] == pytest.approx(305.6, abs=1.0)
    assert det["phase_kind"] == "teleseismic P"
    assert "location" in det
    code, out, err = _cli(str(wave), "--stations", str(xml))
    assert code == 0, err
    assert "Array detections" in out


@pytest.mark.parametrize(
    "extra",
    [
        ["--stations", "missing.xml"],
        ["--stations", "XML", "--band", "1", "15"],
        ["--stations", "XML", "--start", "yesterday-ish"],
        ["--stations", "XML", "--window", "10"],
        ["--stations", "XML", "--end", "2020-01-01T00:01:00", "--window", "10"],
    ],
)
def test_cli_bad_input_is_one_line(tmp_path: Path, extra: list[str]) -> None:
    wave, xml = _write(tmp_path, _small(), _inventory(NAMES))
    args = [
        str(xml) if a == "XML" else str(tmp_path / a) if a == "missing.xml" else a for a in extra
    ]
    code, out, err = _cli(str(wave), *args)
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
