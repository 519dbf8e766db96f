"""Location speed and accuracy on a synthetic network (issue 4, "Measured": location).

A network of 50 stations is drawn uniformly in 30-50 N, 120-140 E and 1,000 events in
33-47 N, 123-137 E at the surface (fixed seed). Each event's P picks at all stations are
computed from the iasp91 travel-time table itself (so the figures measure the locator, not
the Earth model) plus Gaussian noise of 0.1, 0.5 and 1 s, with that noise as the stated
pick sigma. Every event is located (grid search, then Geiger, depth fixed at 0 km); the
locate calls alone are timed. Reported per noise level: events per second, the median and
90th percentile epicentre error (km), and the fraction of true epicentres inside the 90 %
error ellipse. The table build time (fresh cache in a temporary directory) and the cache
file size are reported first.

Usage::

    python benchmarks/seismic_location.py                  # 1,000 events
    python benchmarks/seismic_location.py --events 200 --out results/seismic_location.json
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import obspy

from bench_common import machine
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, Pick, _distance_azimuth, locate
from treatyverify.monitoring.seismic.traveltime import load_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20170903)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        table = load_table("iasp91", directory=Path(cache))
        build_s = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(cache).glob("*.npz"))
        start = time.perf_counter()
        load_table("iasp91", directory=Path(cache))
        load_s = time.perf_counter() - start
    print(f"iasp91 table: {table.times_s.shape[0]} distances x {table.times_s.shape[1]} depths")
    print(f"  build {build_s:.2f} s, load from cache {load_s * 1e3:.1f} ms, {size / 1e6:.2f} MB")

    rng = np.random.default_rng(args.seed)
    names = [f"ST{i:02d}" for i in range(args.stations)]
    slat = rng.uniform(30.0, 50.0, args.stations)
    slon = rng.uniform(120.0, 140.0, args.stations)
    stations = {k: (float(a), float(b)) for k, a, b in zip(names, slat, slon, strict=True)}
    elat = rng.uniform(33.0, 47.0, args.events)
    elon = rng.uniform(123.0, 137.0, args.events)
    origins = 1.5e9 + rng.uniform(0.0, 3.0e7, args.events)
    clean = [
        origins[i] + table.time(_distance_azimuth(elat[i], elon[i], slat, slon)[0], 0.0)
        for i in range(args.events)
    ]

    results: dict[str, Any] = {
        "machine": machine(obspy=obspy.__version__, numpy=np.__version__),
        "table": {"build_s": build_s, "load_s": load_s, "bytes": size},
        "events": args.events,
        "stations": args.stations,
        "noise": [],
    }
    print(f"{args.events} events, {args.stations} stations, depth fixed at 0 km")
    print("noise_s  events/s  median_km  p90_km  in_90%_ellipse")
    for noise in (0.1, 0.5, 1.0):
        all_picks = [
            [
                Pick(k, "P", float(t), noise)
                for k, t in zip(names, times + rng.normal(0.0, noise, times.size), strict=True)
            ]
            for times in clean
        ]
        errors = np.empty(args.events)
        inside = 0
        start = time.perf_counter()
        locations = [locate(picks, stations, table, depth_km=0.0) for picks in all_picks]
        elapsed = time.perf_counter() - start
        for i, loc in enumerate(locations):
            north = (elat[i] - loc.latitude_deg) * KM_PER_DEG
            east = (elon[i] - loc.longitude_deg) * KM_PER_DEG * math.cos(math.radians(elat[i]))
            errors[i] = math.hypot(north, east)
            inside += loc.ellipse.contains(north, east)
        row = {
            "noise_s": noise,
            "events_per_s": args.events / elapsed,
            "median_km": float(np.median(errors)),
            "p90_km": float(np.percentile(errors, 90)),
            "ellipse_coverage": inside / args.events,
        }
        results["noise"].append(row)
        print(
            f"{noise:7.1f}  {row['events_per_s']:8.1f}  {row['median_km']:9.2f}  "
            f"{row['p90_km']:6.2f}  {row['ellipse_coverage']:14.3f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
