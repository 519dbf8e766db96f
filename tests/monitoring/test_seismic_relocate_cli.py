"""Relative location of a sequence and relative-catalogue bulletins, from the command line.

Synthetic sequence: a master and two events a few km from it, recorded at 12 regional
stations. Each event's P arrival time at each station is computed here, in the test,
with TauP (iasp91, first of p, P, Pn, Pg; ObsPy's :class:`obspy.taup.TauPyModel`), not
with the package's travel-time table; each station records the same waveform from every
event (a repeating source), in independent noise. The command must give back the offsets.

Real data (../shared/data/seismic): the 3 September 2017 (regional-event-a, master) and
9 September 2016 (regional-event-b) North Korean explosions. Master origin: U.S.
Geological Survey ComCat, 2017-09-03 03:30:01.760 UTC, 41.343 N 129.036 E. Published
relative location: Yao, Tian, Sun & Wen (2018), Seismological Research Letters 89(6),
doi:10.1785/0220180134, Table 1 (as reproduced on the co-authors' pages; the paper itself
was not read; see tests/monitoring/test_seismic_xcorr.py): the 2016 test lies 0.19 km
south and 0.32 km east of the 2017 test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.geodetics import locations2degrees
from obspy.taup import TauPyModel
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.bulletin import (
    defining_picks,
    ims1_bulletin,
    relative_catalog,
    relative_ims1_bulletin,
    to_catalog,
)
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, ErrorEllipse, Location, Pick
from treatyverify.monitoring.seismic.relocate import (
    MasterOrigin,
    relocate,
    relocate_sequence,
)
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable
from treatyverify.monitoring.seismic.xcorr import DifferentialTime

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
runner = CliRunner()

MASTER = (41.30, 129.05, 0.0, obspy.UTCDateTime("2020-01-01T00:00:00"))
#: name: (north km, east km, origin time) of each synthetic event relative to MASTER
EVENTS = {
    "seq-b": (1.8, -1.2, obspy.UTCDateTime("2020-03-01T10:00:00.25")),
    "seq-c": (-0.9, 2.1, obspy.UTCDateTime("2021-06-15T00:00:00.5")),
}
#: (distance deg, azimuth deg) of the 12 stations from MASTER
GEOMETRY = [(3.0 + 0.55 * k, 30.0 * k + 7.0) for k in range(12)]
RATE_HZ = 40.0


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        lat + north_km / KM_PER_DEG,
        lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat))),
    )


def stations() -> dict[str, tuple[float, float]]:
    """Station coordinates on a sphere: a point at distance d and azimuth az."""
    lat0, lon0 = math.radians(MASTER[0]), math.radians(MASTER[1])
    out = {}
    for k, (dist, az) in enumerate(GEOMETRY):
        d, a = math.radians(dist), math.radians(az)
        lat = math.asin(math.sin(lat0) * math.cos(d) + math.cos(lat0) * math.sin(d) * math.cos(a))
        lon = lon0 + math.atan2(
            math.sin(a) * math.sin(d) * math.cos(lat0), math.cos(d) - math.sin(lat0) * math.sin(lat)
        )
        out[f"XX.S{k:02d}"] = (math.degrees(lat), math.degrees(lon))
    return out


def p_time(model: TauPyModel, lat: float, lon: float, station: tuple[float, float]) -> float:
    distance = locations2degrees(lat, lon, *station)
    return float(model.get_travel_times(0.0, distance, ["p", "P", "Pn", "Pg"])[0].time)


def write_event(
    folder: Path,
    origin: tuple[float, float, obspy.UTCDateTime],
    coords: dict[str, tuple[float, float]],
    model: TauPyModel,
    seed: int,
    keep: set[str] | None = None,
) -> None:
    """One event's recordings: each station's own repeating waveform at its P time."""
    folder.mkdir(parents=True)
    lat, lon, t0 = origin
    noise = np.random.default_rng(seed)
    stream = obspy.Stream()
    n = int(420 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    for k, (key, station) in enumerate(sorted(coords.items())):
        if keep is not None and key not in keep:
            continue
        shape = np.random.default_rng(100 + k)  # the same source waveform for every event
        freqs = shape.uniform(1.0, 6.0, 8)
        phases = shape.uniform(0.0, 2 * np.pi, 8)
        start = t0 - 60.0
        arrival = float((t0 + p_time(model, lat, lon, station)) - start)
        tau = t - arrival
        signal = np.zeros(n)
        after = tau >= 0
        ramp = np.clip(tau[after] / 0.3, 0.0, 1.0)
        signal[after] = (
            ramp
            * np.exp(-tau[after] / 4.0)
            * np.sum(np.sin(2 * np.pi * freqs[:, None] * tau[after] + phases[:, None]), axis=0)
        )
        data = (signal + 0.03 * noise.standard_normal(n)).astype(np.float32)
        net, sta = key.split(".")
        header = {
            "network": net,
            "station": sta,
            "channel": "BHZ",
            "sampling_rate": RATE_HZ,
            "starttime": start,
        }
        stream += obspy.Trace(data, header=header)
    stream.write(str(folder / "waveforms.mseed"), format="MSEED")
    rows = ["network,station,latitude,longitude,elevation_m"]
    rows += [
        f"{k.split('.')[0]},{k.split('.')[1]},{la:.6f},{lo:.6f},0" for k, (la, lo) in coords.items()
    ]
    (folder / "stations.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sequence")
    model = TauPyModel("iasp91")
    coords = stations()
    write_event(root / "seq-a", (MASTER[0], MASTER[1], MASTER[3]), coords, model, 1)
    for seed, (name, (north, east, t0)) in enumerate(EVENTS.items(), start=2):
        write_event(
            root / name, (*offset(MASTER[0], MASTER[1], north, east), t0), coords, model, seed
        )
    far = {f"YY.F{k:02d}": (la + 1.0, lo + 1.0) for k, (la, lo) in enumerate(coords.values())}
    write_event(root / "elsewhere", (MASTER[0], MASTER[1], MASTER[3]), far, model, 9)
    return root


def master_args(root: Path) -> list[str]:
    lat, lon, depth, t0 = MASTER
    return [
        "monitor",
        "relocate",
        "--master",
        str(root / "seq-a"),
        "--master-origin",
        str(lat),
        str(lon),
        str(depth),
        str(t0),
    ]


@pytest.mark.parametrize("joint", [False, True])
def test_command_recovers_the_synthetic_offsets(sequence: Path, joint: bool) -> None:
    args = [*master_args(sequence), "--event", str(sequence / "seq-b")]
    args += ["--event", str(sequence / "seq-c"), "--json"]
    code, out, err = run(*args, *(["--joint"] if joint else []))
    assert code == 0, err
    found = json.loads(out)
    assert found["method"] == ("joint" if joint else "master")
    events = {e["name"]: e for e in found["events"]}
    for name, (north, east, t0) in EVENTS.items():
        e = events[name]
        miss = math.hypot(e["north_km"] - north, e["east_km"] - east)
        assert miss < 0.05, (name, e)
        ellipse = ErrorEllipse(**e["ellipse_90"])
        assert ellipse.semi_major_km < 0.5
        assert abs(obspy.UTCDateTime(e["origin_time"]) - t0) < 0.01
        assert len(e["stations"]) == 12


def test_bulletins_flag_only_the_defining_picks(sequence: Path, tmp_path: Path) -> None:
    xml, ims = tmp_path / "relative.xml", tmp_path / "relative.ims"
    args = [*master_args(sequence), "--event", str(sequence / "seq-b")]
    code, _out, err = run(*args, "--quakeml", str(xml), "--ims1", str(ims))
    assert code == 0, err
    catalog = obspy.read_events(str(xml))
    assert len(catalog) == 2
    master, event = catalog
    m_origin, e_origin = master.preferred_origin(), event.preferred_origin()
    # the master's hypocentre was given: fixed, none of its picks defining
    assert m_origin.time_fixed and m_origin.epicenter_fixed
    assert abs(m_origin.time - MASTER[3]) < 1e-3
    assert {a.time_weight for a in m_origin.arrivals} == {0.0}
    assert m_origin.quality.used_phase_count == 0
    # the relative event: at the master's epicentre plus the offset, ellipse of the offset
    north, east, t0 = EVENTS["seq-b"]
    lat, lon = offset(MASTER[0], MASTER[1], north, east)
    assert e_origin.latitude == pytest.approx(lat, abs=0.05 / KM_PER_DEG)
    assert e_origin.longitude == pytest.approx(lon, abs=0.07 / KM_PER_DEG)
    assert abs(e_origin.time - t0) < 0.01
    assert e_origin.origin_uncertainty.confidence_level == pytest.approx(90.0)
    assert e_origin.origin_uncertainty.max_horizontal_uncertainty < 500.0
    assert m_origin.resource_id.id in e_origin.comments[0].text
    assert "relative location" in e_origin.comments[0].text
    assert [a.time_weight for a in e_origin.arrivals].count(1.0) == 12
    assert e_origin.quality.used_station_count == 12
    assert e_origin.method_id.id.endswith("relative-xcorr-master")
    # IMS1.0: time-defining flag in column 74 only for the relative event's phases
    text = ims.read_text()
    lines = text.splitlines()
    assert lines[0] == "DATA_TYPE BULLETIN IMS1.0:short"
    blocks = text.split("\nEVENT ")
    assert len(blocks) == 3
    master_phases = _phase_lines(blocks[1])
    event_phases = _phase_lines(blocks[2])
    assert master_phases and all(p[73:76] == "___" for p in master_phases)
    assert len(event_phases) == 12 and all(p[73:76] == "T__" for p in event_phases)
    origin = blocks[2].splitlines()[2]
    assert origin[83:87] == "  12" and origin[88:92] == "  12"
    master_line = blocks[1].splitlines()[2]
    assert master_line[22] == "f" and master_line[54] == "f" and master_line[76] == "f"
    assert master_line[83:87] == "   0"
    assert "relative location" in blocks[2]
    # ObsPy's IMS1.0 reader (obspy.io.iaspei) reads the same flags back
    master_ims, event_ims = obspy.read_events(str(ims), format="IMS10BULLETIN")
    assert master_ims.origins[0].time_fixed and master_ims.origins[0].epicenter_fixed
    assert {a.time_weight for a in master_ims.origins[0].arrivals} == {None}
    weights = [a.time_weight for a in event_ims.origins[0].arrivals]
    assert weights.count(1) == 12 and len(weights) == len(event_phases)
    assert event_ims.origins[0].quality.used_station_count == 12


def _phase_lines(block: str) -> list[str]:
    lines = block.splitlines()
    start = next(k for k, x in enumerate(lines) if x.startswith("Sta "))
    return [x for x in lines[start + 1 :] if x.strip()]


def test_outputs_follow_the_output_policy(sequence: Path, tmp_path: Path) -> None:
    xml = tmp_path / "relative.xml"
    xml.write_text("keep me")
    args = [*master_args(sequence), "--event", str(sequence / "seq-b"), "--quakeml", str(xml)]
    code, _out, err = run(*args)
    assert code == 2
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert xml.read_text() == "keep me"
    code, _out, err = run(*args, "--force")
    assert code == 0, err
    assert len(obspy.read_events(str(xml))) == 2


def test_bad_input_is_one_line_exit_2(sequence: Path, tmp_path: Path) -> None:
    # an unknown model is refused before anything is read (the folders do not exist)
    code, _out, err = run(
        "monitor", "relocate", "--master", str(tmp_path / "no"), "--event", str(tmp_path / "x"),
        "--model", "prem",
    )  # fmt: skip
    assert code == 2
    assert err.startswith("error: ") and "prem" in err and len(err.strip().splitlines()) == 1
    # the master's origin a day before its recordings: absent from the data
    lat, lon, depth, t0 = MASTER
    code, _out, err = run(
        "monitor", "relocate", "--master", str(sequence / "seq-a"),
        "--event", str(sequence / "seq-b"),
        "--master-origin", str(lat), str(lon), str(depth), str(t0 - 86400.0),
    )  # fmt: skip
    assert code == 2
    assert "absent from the data" in err and len(err.strip().splitlines()) == 1
    # a station file that does not exist
    code, _out, err = run(
        *master_args(sequence), "--event", str(sequence / "elsewhere"),
        "--stations", str(tmp_path / "all.csv"),
    )  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    # an event recorded at none of the master's stations
    merged = tmp_path / "all.csv"
    rows = (sequence / "seq-a" / "stations.csv").read_text().splitlines()
    rows += (sequence / "elsewhere" / "stations.csv").read_text().splitlines()[1:]
    merged.write_text("\n".join(rows) + "\n")
    code, _out, err = run(
        *master_args(sequence), "--event", str(sequence / "elsewhere"), "--stations", str(merged)
    )
    assert code == 2
    assert "no station in common with the master" in err and len(err.strip().splitlines()) == 1
    # a QuakeML without an origin in the master's recordings
    quakeml = tmp_path / "other.xml"
    cat = obspy.core.event.Catalog(
        [
            obspy.core.event.Event(
                origins=[obspy.core.event.Origin(time=t0 - 5e6, latitude=lat, longitude=lon)]
            )
        ]
    )
    cat.write(str(quakeml), format="QUAKEML")
    code, _out, err = run(
        "monitor", "relocate", "--master", str(sequence / "seq-a"),
        "--event", str(sequence / "seq-b"), "--master-quakeml", str(quakeml),
    )  # fmt: skip
    assert code == 2 and "absent from the data" in err and len(err.strip().splitlines()) == 1


def test_master_quakeml_gives_the_master_origin(sequence: Path, tmp_path: Path) -> None:
    lat, lon, depth, t0 = MASTER
    quakeml = tmp_path / "master.xml"
    cat = obspy.core.event.Catalog(
        [
            obspy.core.event.Event(
                origins=[
                    obspy.core.event.Origin(
                        time=t0, latitude=lat, longitude=lon, depth=depth * 1000.0
                    )
                ]
            )
        ]
    )
    cat.write(str(quakeml), format="QUAKEML")
    code, out, err = run(
        "monitor", "relocate", "--master", str(sequence / "seq-a"),
        "--event", str(sequence / "seq-b"), "--master-quakeml", str(quakeml), "--json",
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert "QuakeML master.xml" in found["master"]["source"]
    (event,) = found["events"]
    north, east, _t0 = EVENTS["seq-b"]
    assert math.hypot(event["north_km"] - north, event["east_km"] - east) < 0.05


# ---- library: hand-computed travel times on a straight-ray table -------------------------

V_KM_S = 8.0  # a uniform speed: T(Delta) = Delta * 111.19 km / 8 km/s, exactly linear


def linear_table() -> TravelTimeTable:
    d = np.linspace(0.0, 30.0, 301)
    times = np.outer(d * KM_PER_DEG / V_KM_S, np.ones(2))
    return TravelTimeTable(
        "straight-8kms",
        ("P",),
        d,
        np.array([0.0, 50.0]),
        times,
        np.full_like(times, KM_PER_DEG / V_KM_S),
        np.zeros_like(times),
    )


def hand_differentials(
    truth: dict[str, tuple[float, float, float]], noise_s: float, seed: int
) -> dict[tuple[str, str], list[DifferentialTime]]:
    """Differential times of every pair: origin shift plus the straight-ray time
    difference, T = great-circle distance (km) / 8 km/s, plus noise."""
    rng = np.random.default_rng(seed)
    coords = stations()
    names = list(truth)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            found = []
            for key, (la, lo) in coords.items():
                times = []
                for name in (a, b):
                    north, east, shift = truth[name]
                    ela, elo = offset(MASTER[0], MASTER[1], north, east)
                    km = locations2degrees(ela, elo, la, lo) * KM_PER_DEG
                    times.append(shift + km / V_KM_S)
                dt = times[1] - times[0] + rng.normal(0.0, noise_s)
                found.append(DifferentialTime(key, key + "..BHZ", dt, 0.9))
            out[(a, b)] = found
    return out


TRUTH = {
    "m": (0.0, 0.0, 0.0),
    "b": (2.0, -1.0, 1.0e6),
    "c": (-0.5, 1.5, 2.0e6 + 3.2),
    "d": (1.0, 1.0, 3.0e7),
}


@pytest.mark.parametrize("joint", [False, True])
def test_sequence_recovers_hand_computed_offsets(joint: bool) -> None:
    master = MasterOrigin("m", MASTER[0], MASTER[1], 0.0, MASTER[3])
    exact = relocate_sequence(
        hand_differentials(TRUTH, 0.0, 1), master, ["b", "c", "d"], stations(),
        joint=joint, table=linear_table(),
    )  # fmt: skip
    for e in exact.events:
        north, east, shift = TRUTH[e.name]
        assert e.location.north_km == pytest.approx(north, abs=1e-3)
        assert e.location.east_km == pytest.approx(east, abs=1e-3)
        assert e.location.origin_shift_s == pytest.approx(shift, abs=1e-4)
        assert e.origin_time is not None and abs(e.origin_time - (MASTER[3] + shift)) < 1e-3
    # with 10 ms of noise, the 90 % ellipses hold the truth about 90 % of the time
    inside = total = 0
    for seed in range(40):
        noisy = relocate_sequence(
            hand_differentials(TRUTH, 0.01, seed), master, ["b", "c", "d"], stations(),
            joint=joint, sigma_s=0.009, table=linear_table(),
        )  # fmt: skip
        for e in noisy.events:
            north, east, _shift = TRUTH[e.name]
            dn, de = north - e.location.north_km, east - e.location.east_km
            inside += e.location.ellipse_90.contains(dn, de)
            total += 1
    assert 0.75 <= inside / total <= 1.0


def test_joint_with_one_event_equals_the_pairwise_solve() -> None:
    master = MasterOrigin("m", MASTER[0], MASTER[1], 0.0)
    data = hand_differentials({k: TRUTH[k] for k in ("m", "b")}, 0.01, 3)
    pair = relocate(data[("m", "b")], (MASTER[0], MASTER[1], 0.0), stations(), table=linear_table())
    joint = relocate_sequence(data, master, ["b"], stations(), joint=True, table=linear_table())
    (e,) = joint.events
    assert e.location.north_km == pytest.approx(pair.north_km, abs=1e-6)
    assert e.location.east_km == pytest.approx(pair.east_km, abs=1e-6)
    np.testing.assert_allclose(e.location.covariance, pair.covariance, rtol=1e-6, atol=1e-12)
    assert e.origin_time is None


def test_joint_ties_an_event_to_the_master_through_another() -> None:
    master = MasterOrigin("m", MASTER[0], MASTER[1], 0.0, MASTER[3])
    data = hand_differentials({k: TRUTH[k] for k in ("m", "b", "c")}, 0.0, 4)
    del data[("m", "c")]  # c never correlated with the master, only with b
    with pytest.raises(InputError, match="4 or more"):
        relocate_sequence(data, master, ["b", "c"], stations(), table=linear_table())
    found = relocate_sequence(
        data, master, ["b", "c"], stations(), joint=True, table=linear_table()
    )
    c = found.event("c")
    assert c.location.north_km == pytest.approx(TRUTH["c"][0], abs=1e-3)
    assert c.location.east_km == pytest.approx(TRUTH["c"][1], abs=1e-3)
    del data[("b", "c")]
    with pytest.raises(InputError, match="tie this event"):
        relocate_sequence(data, master, ["b", "c"], stations(), joint=True, table=linear_table())


def test_relative_catalogue_reads_back_with_obspy(tmp_path: Path) -> None:
    master = MasterOrigin("m", MASTER[0], MASTER[1], 0.0, MASTER[3], "test origin")
    cat = relocate_sequence(
        hand_differentials(TRUTH, 0.005, 5), master, ["b", "c", "d"], stations(),
        joint=True, table=linear_table(),
    )  # fmt: skip
    coords = stations()
    picks = {
        name: [Pick(key, "P", MASTER[3] + TRUTH[name][2] + 60.0, 0.1) for key in sorted(coords)]
        for name in TRUTH
    }
    picks["b"] = [*picks["b"][:-1], Pick("XX.S11", "P", MASTER[3] + 1.0e6 + 61.0, 0.1)]
    path = tmp_path / "rel.xml"
    relative_catalog(cat, picks, coords).write(str(path), format="QUAKEML")
    back = obspy.read_events(str(path))
    assert [e.event_descriptions[0].text for e in back] == ["m", "b", "c", "d"]
    for event, rel in zip(back[1:], cat.events, strict=True):
        origin = event.preferred_origin()
        assert origin.latitude == pytest.approx(rel.location.latitude_deg)
        assert origin.longitude == pytest.approx(rel.location.longitude_deg)
        sigma_n = math.sqrt(rel.location.covariance[1, 1])
        assert origin.latitude_errors.uncertainty == pytest.approx(sigma_n / KM_PER_DEG)
        ellipse = origin.origin_uncertainty
        assert ellipse.max_horizontal_uncertainty == pytest.approx(
            rel.location.ellipse_90.semi_major_km * 1000.0
        )
        assert (
            "joint" in origin.method_id.id
            and "smi:treatyverify/origin/1" in origin.comments[0].text
        )
    text = relative_ims1_bulletin(cat, picks, coords)
    assert text.count("\nEVENT ") == 4
    assert "(b: relative location" in text


# ---- the writers' defining flags on an ordinary location ------------------------------------


def ordinary() -> tuple[Location, list[Pick], dict[str, tuple[float, float]]]:
    coords = {"IC.MDJ": (44.617, 129.591), "KG.CHC": (36.0, 127.0), "XX.FAR": (38.0, 133.0)}
    coords["XX.NEA"] = (42.0, 128.5)
    t0 = obspy.UTCDateTime(2017, 9, 3, 3, 30, 1.5)
    picks = [Pick(key, "Pn", t0 + 20.0 + 10 * k, 0.5) for k, key in enumerate(sorted(coords))]
    location = Location(
        origin_time=t0,
        latitude_deg=41.3,
        longitude_deg=129.05,
        depth_km=0.0,
        depth_fixed=True,
        covariance=np.diag([0.09, 9.0, 4.0, 0.0]),
        ellipse=ErrorEllipse(6.4, 4.3, 12.0),
        residuals_s={"IC.MDJ": -0.3, "KG.CHC": 0.4, "XX.NEA": -0.2},  # XX.FAR not used
        rms_s=0.3,
        variance_factor=1.0,
        covariance_scale=1.0,
        iterations=5,
        model="iasp91",
    )
    return location, picks, coords


def test_only_the_picks_the_location_used_are_defining(tmp_path: Path) -> None:
    location, picks, coords = ordinary()
    used = defining_picks(location, picks)
    assert sorted(p.station for p in used) == ["IC.MDJ", "KG.CHC", "XX.NEA"]
    path = tmp_path / "one.xml"
    to_catalog(location, picks, coords, defining=used).write(str(path), format="QUAKEML")
    (event,) = obspy.read_events(str(path))
    origin = event.preferred_origin()
    station = {p.resource_id.id: p.waveform_id.station_code for p in event.picks}
    weights = {station[a.pick_id.id]: a.time_weight for a in origin.arrivals}
    assert weights == {"MDJ": 1.0, "CHC": 1.0, "NEA": 1.0, "FAR": 0.0}
    assert origin.quality.used_phase_count == 3 and origin.quality.associated_phase_count == 4
    assert origin.quality.used_station_count == 3
    text = ims1_bulletin(location, picks, coords, defining=["IC.MDJ", "KG.CHC", "XX.NEA"])
    phases = _phase_lines(text.split("\nEVENT ")[1])
    flags = {p[:5].strip(): p[73:76] for p in phases}
    assert flags == {"MDJ": "T__", "CHC": "T__", "NEA": "T__", "FAR": "___"}
    origin_line = text.splitlines()[4]
    assert origin_line[83:87] == "   3" and origin_line[88:92] == "   3"
    back = tmp_path / "one.ims"
    back.write_text(text)
    (event,) = obspy.read_events(str(back), format="IMS10BULLETIN")
    station = {p.resource_id.id: p.waveform_id.station_code for p in event.picks}
    weights = {station[a.pick_id.id]: a.time_weight for a in event.origins[0].arrivals}
    assert weights == {"MDJ": 1, "CHC": 1, "NEA": 1, "FAR": None}
    # without ``defining``, every pick is flagged defining, as before
    old = ims1_bulletin(location, picks, coords)
    assert all(p[73:76] == "T__" for p in _phase_lines(old.split("\nEVENT ")[1]))
    with pytest.raises(InputError):
        ims1_bulletin(location, picks, coords, defining=["XX.NONE"])


@pytest.mark.skipif(
    not (DATA / "regional-event-b" / "waveforms.mseed").is_file(),
    reason=f"regional explosion recordings not present in {DATA}",
)
def test_real_pair_against_the_published_relative_location(tmp_path: Path) -> None:
    """b (2016) relative to a (2017): within 0.1 km of Yao et al. (2018), whose offset
    lies inside the 90 % ellipse (measured: 0.03 km off, 90 % ellipse 0.17 km)."""
    xml = tmp_path / "ab.xml"
    code, out, err = run(
        "monitor", "relocate", "--master", str(DATA / "regional-event-a"),
        "--event", str(DATA / "regional-event-b"),
        "--master-origin", "41.343", "129.036", "0", "2017-09-03T03:30:01.760",
        "--quakeml", str(xml), "--json",
    )  # fmt: skip
    assert code == 0, err
    (b,) = json.loads(out)["events"]
    published_north_km, published_east_km = -0.19, 0.32
    dn, de = published_north_km - b["north_km"], published_east_km - b["east_km"]
    assert math.hypot(dn, de) < 0.1
    assert ErrorEllipse(**b["ellipse_90"]).contains(dn, de)
    assert len(b["stations"]) >= 8
    # USGS origin times: 2016-09-09 00:30:01.38 UTC
    assert (
        abs(obspy.UTCDateTime(b["origin_time"]) - obspy.UTCDateTime("2016-09-09T00:30:01.38")) < 0.2
    )
    _master, event = obspy.read_events(str(xml))
    used = [a for a in event.preferred_origin().arrivals if a.time_weight == 1.0]
    assert len(used) == len(b["stations"]) < len(event.preferred_origin().arrivals)
