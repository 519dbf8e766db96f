"""Relative location from the command line against a published relative catalogue (issue 18).

Three measurements:

1. **The real pair through the command.** ``treatyverify monitor relocate`` is run as a
   subprocess on the 3 September 2017 (regional-event-a, master) and 9 September 2016
   (regional-event-b) North Korean explosions, in four set-ups: the master at the USGS
   ComCat origin (2017-09-03 03:30:01.760 UTC, 41.343 N 129.036 E, depth 0) with iasp91,
   the same with ``--joint``, with ak135, and with the master located by the pipeline
   from the data. The offset of b from a is compared with two published relative
   locations: Yao, Tian, Sun & Wen (2018), Seismological Research Letters 89(6),
   doi:10.1785/0220180134, Table 1 (41.3001 N 129.0776 E for 2016, 41.3018 N 129.0738 E
   for 2017: 0.19 km south and 0.32 km east; read second-hand from the co-authors'
   pages), and S. J. Gibbons' regressionRelLoc (NORSAR, 2024): 0.15 km south and 0.24 km
   east. Reported: offset, distance from each published offset, whether each lies inside
   the 90 % ellipse, the ellipse, the stations used, the residual rms, the origin-time
   difference against USGS (2016-09-09 00:30:01.38 UTC) and the wall time of the command
   (process start to exit). The QuakeML and IMS1.0 outputs are read back and their
   defining picks counted.
2. **Jackknife on the real pair.** The same differential times (the library calls the
   command makes) are relocated leaving out one station at a time; the jackknife standard
   error of north and east is compared with the formal 1-sigma of the full solve.
3. **Ellipse coverage on synthetic sequences.** A master and three events within 2 km
   of it (uniform in a disc), recorded at the stations of regional-event-a that lie within
   the table; differential P times of every pair from the iasp91 table itself plus
   Gaussian noise of sigma_true / cc, cc uniform in [0.7, 0.95]. Every sequence is
   relocated against the master and jointly, with ``sigma_s`` equal to the true noise and
   with the command's default 0.02 s; reported is the fraction of true offsets inside the
   90 % ellipse with its 95 % Clopper-Pearson interval, and the median miss.

Usage::

    python benchmarks/seismic_relocate.py                       # 300 synthetic sequences
    python benchmarks/seismic_relocate.py --trials 100 --out results/seismic_relocate.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import obspy

from bench_common import machine, rate
from treatyverify.cli.monitor_relocate import MASTER_PICK_TOLERANCE_S
from treatyverify.monitoring.seismic.detect import detect
from treatyverify.monitoring.seismic.ingest import ingest, read_stations
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, _distance_azimuth
from treatyverify.monitoring.seismic.pipeline import PICK_WINDOW_S, event_picks
from treatyverify.monitoring.seismic.relocate import MasterOrigin, relocate, relocate_sequence
from treatyverify.monitoring.seismic.traveltime import load_table
from treatyverify.monitoring.seismic.xcorr import DifferentialTime, differential_times

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "seismic"
USGS_2017 = ("41.343", "129.036", "0", "2017-09-03T03:30:01.760")
USGS_2016_TIME = obspy.UTCDateTime("2016-09-09T00:30:01.38")
#: b (2016) minus a (2017), km north and east
PUBLISHED = {
    "Yao et al. 2018": (
        (41.3001 - 41.3018) * KM_PER_DEG,
        (129.0776 - 129.0738) * KM_PER_DEG * math.cos(math.radians(41.30)),
    ),
    "Gibbons regressionRelLoc": (-0.15, 0.24),
}


def command(args: list[str], workdir: Path) -> tuple[dict[str, Any], float]:
    """Run ``treatyverify`` in a fresh process; its JSON and the wall time (s)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "treatyverify", *args, "--json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout), elapsed


def real_pair(workdir: Path) -> list[dict[str, Any]]:
    a, b = DATA / "regional-event-a", DATA / "regional-event-b"
    base = ["monitor", "relocate", "--master", str(a), "--event", str(b), "--force"]
    setups = {
        "USGS master, iasp91": [*base, "--master-origin", *USGS_2017],
        "USGS master, iasp91, --joint": [*base, "--master-origin", *USGS_2017, "--joint"],
        "USGS master, ak135": [*base, "--master-origin", *USGS_2017, "--model", "ak135"],
        "master located from the data, iasp91": base,
    }
    rows = []
    print("set-up                                   north_km east_km  vs Yao  vs Gibbons  "
          "in 90% (Yao/Gib)  ellipse_90_km  stations rms_ms  dT0_s  wall_s")  # fmt: skip
    for label, args in setups.items():
        xml, ims = workdir / "rel.xml", workdir / "rel.ims"
        found, wall = command([*args, "--quakeml", str(xml), "--ims1", str(ims)], workdir)
        (event,) = found["events"]
        ell = event["ellipse_90"]
        from treatyverify.monitoring.seismic.locate import ErrorEllipse

        ellipse = ErrorEllipse(**ell)
        versus = {}
        for name, (north, east) in PUBLISHED.items():
            dn, de = north - event["north_km"], east - event["east_km"]
            versus[name] = {"miss_km": math.hypot(dn, de), "inside_90": ellipse.contains(dn, de)}
        catalog = obspy.read_events(str(xml))
        weights = [a.time_weight for a in catalog[1].preferred_origin().arrivals]
        phases = ims.read_text().split("\nEVENT ")[2].splitlines()
        flagged = sum(1 for line in phases if line[73:76] == "T__")
        row = {
            "setup": label,
            "north_km": event["north_km"],
            "east_km": event["east_km"],
            "versus": versus,
            "ellipse_90": ell,
            "ellipse_1sigma": event["ellipse_1sigma"],
            "stations": len(event["stations"]),
            "rms_s": event["rms_s"],
            "origin_time_minus_usgs_s": obspy.UTCDateTime(event["origin_time"]) - USGS_2016_TIME,
            "master": found["master"],
            "wall_s": wall,
            "quakeml_defining": weights.count(1.0),
            "quakeml_associated": len(weights),
            "ims1_defining": flagged,
        }
        rows.append(row)
        yao, gib = versus["Yao et al. 2018"], versus["Gibbons regressionRelLoc"]
        print(
            f"{label:40s} {row['north_km']:8.3f} {row['east_km']:7.3f} {yao['miss_km']:7.3f} "
            f"{gib['miss_km']:10.3f}  {yao['inside_90']!s:>5s}/{gib['inside_90']!s:5s}     "
            f"{ell['semi_major_km']:.3f}x{ell['semi_minor_km']:.3f}  {row['stations']:8d} "
            f"{row['rms_s'] * 1e3:6.1f} {row['origin_time_minus_usgs_s']:6.2f} {wall:7.2f}"
        )
    return rows


def jackknife() -> dict[str, Any]:
    # the picks of the command: the master's nearest the arrivals predicted from the USGS
    # origin (within 10 s), b's nearest those predicted from b's own location
    table = load_table("iasp91")
    usgs = (41.343, 129.036, 0.0, obspy.UTCDateTime(USGS_2017[3]).timestamp)
    events = {}
    for name, hypocentre, window in (
        ("regional-event-a", usgs, MASTER_PICK_TOLERANCE_S),
        ("regional-event-b", None, PICK_WINDOW_S),
    ):
        stations = read_stations(DATA / name / "stations.csv")
        coordinates = {k: (s.latitude, s.longitude) for k, s in stations.items()}
        stream = ingest(DATA / name / "waveforms.mseed", stations).stream
        picks, _ = event_picks(
            detect(stream), coordinates, table=table, hypocentre=hypocentre, window_s=window
        )
        events[name] = (stations, stream, picks)
    stations_a, stream_a, picks_a = events["regional-event-a"]
    _, stream_b, picks_b = events["regional-event-b"]
    found = differential_times(stream_a, stream_b, picks_a, picks_b)
    master = usgs[:3]
    full = relocate(found, master, stations_a)
    leave = np.array(
        [
            [r.north_km, r.east_km]
            for r in (
                relocate([d for d in found if d.station != k.station], master, stations_a)
                for k in found
            )
        ]
    )
    n = len(found)
    se = np.sqrt((n - 1) / n * np.sum((leave - leave.mean(axis=0)) ** 2, axis=0))
    formal = np.sqrt(np.diag(full.covariance)[1:3])
    out = {
        "stations": n,
        "jackknife_se_km": {"north": float(se[0]), "east": float(se[1])},
        "formal_1sigma_km": {"north": float(formal[0]), "east": float(formal[1])},
        "variance_factor": full.variance_factor,
        "leave_one_out_range_km": {
            "north": [float(leave[:, 0].min()), float(leave[:, 0].max())],
            "east": [float(leave[:, 1].min()), float(leave[:, 1].max())],
        },
    }
    print(
        f"jackknife over {n} stations: se north {se[0]:.3f} km, east {se[1]:.3f} km; "
        f"formal 1-sigma {formal[0]:.3f} / {formal[1]:.3f} km "
        f"(variance factor {full.variance_factor:.2f})"
    )
    return out


def coverage(trials: int, seed: int, noise_s: float) -> list[dict[str, Any]]:
    table = load_table("iasp91")
    stations = {
        k: (s.latitude, s.longitude)
        for k, s in read_stations(DATA / "regional-event-a" / "stations.csv").items()
    }
    lat0, lon0 = 41.343, 129.036
    keys = sorted(stations)
    slat = np.array([stations[k][0] for k in keys])
    slon = np.array([stations[k][1] for k in keys])
    coslat = math.cos(math.radians(lat0))
    rng = np.random.default_rng(seed)
    names = ["m", "e1", "e2", "e3"]
    results = []
    tallies: dict[tuple[str, float], list[Any]] = {}
    for _ in range(trials):
        radius = 2.0 * np.sqrt(rng.uniform(0.0, 1.0, 3))
        angle = rng.uniform(0.0, 2 * np.pi, 3)
        truth = {"m": (0.0, 0.0, 0.0)}
        for k, name in enumerate(names[1:]):
            truth[name] = (
                float(radius[k] * np.cos(angle[k])),
                float(radius[k] * np.sin(angle[k])),
                float(rng.uniform(1e6, 1e8)),
            )
        times = {}
        for name, (north, east, t0) in truth.items():
            lat = lat0 + north / KM_PER_DEG
            lon = lon0 + east / (KM_PER_DEG * coslat)
            dist, _ = _distance_azimuth(lat, lon, slat, slon)
            times[name] = t0 + table.time(dist, 0.0)
        differential = {}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                cc = rng.uniform(0.7, 0.95, len(keys))
                dt = times[b] - times[a] + rng.normal(0.0, 1.0, len(keys)) * noise_s / cc
                differential[(a, b)] = [
                    DifferentialTime(k, k, float(x), float(c))
                    for k, x, c in zip(keys, dt, cc, strict=True)
                ]
        master = MasterOrigin("m", lat0, lon0, 0.0)
        for joint in (False, True):
            for sigma in (noise_s, 0.02):
                cat = relocate_sequence(
                    differential, master, names[1:], stations, joint=joint, sigma_s=sigma,
                    table=table,
                )  # fmt: skip
                tally = tallies.setdefault(("joint" if joint else "master", sigma), [0, 0, []])
                for e in cat.events:
                    north, east, _ = truth[e.name]
                    dn, de = north - e.location.north_km, east - e.location.east_km
                    tally[0] += e.location.ellipse_90.contains(dn, de)
                    tally[1] += 1
                    tally[2].append(math.hypot(dn, de))
    print(f"ellipse coverage, {trials} sequences of 3 events, noise {noise_s * 1e3:.0f} ms / cc")
    print("mode    sigma_s  inside 90 %   (95 % interval)   median miss km")
    for (mode, sigma), (inside, total, misses) in tallies.items():
        share = rate(inside, total)
        row = {"mode": mode, "sigma_s": sigma, **share, "median_miss_km": float(np.median(misses))}
        results.append(row)
        low, high = share["ci95"]
        print(
            f"{mode:7s} {sigma:7.3f}  {share['rate']:10.3f}   ({low:.3f}-{high:.3f})  "
            f"{row['median_miss_km']:10.4f}"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.01, help="true noise at cc = 1, s")
    parser.add_argument("--seed", type=int, default=20160909)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (DATA / "regional-event-b" / "waveforms.mseed").is_file():
        raise SystemExit(f"the regional explosion recordings are not in {DATA}")
    started = datetime.datetime.now(datetime.UTC)
    print(f"run at {started:%Y-%m-%d %H:%M:%S} UTC")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as folder:
        pair = real_pair(Path(folder))
    results = {
        "run_utc": started.isoformat(timespec="seconds"),
        "machine": machine(obspy=obspy.__version__, numpy=np.__version__),
        "published_km": PUBLISHED,
        "real_pair": pair,
        "jackknife": jackknife(),
        "coverage": coverage(args.trials, args.seed, args.noise),
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
