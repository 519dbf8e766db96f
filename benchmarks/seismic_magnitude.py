"""Magnitudes on the shared seismic data (issue 18, parts 2 and 3, "Measured").

1. Relative magnitude of the 9 September 2016 DPRK explosion (regional-event-b) against
   the 3 September 2017 explosion (regional-event-a) from amplitude ratios at common
   stations (raw counts; no response needed), with the package defaults (regional P,
   0.7-1.5 Hz, L2-norm ratio), compared with the IDC's published difference: mb 5.1
   (2016; CTBTO, "Technical Findings", 9 September 2016: "later revised by our analysts
   to 5.1") minus mb 6.1 (2017; CTBTO, "3 September 2017 DPRK" page: "An initial
   magnitude estimate of 5.8 has now been revised to 6.1") = -1.0. Each published value
   is rounded to 0.1, which alone gives the difference a standard deviation of
   sqrt(2) * 0.1 / sqrt(12) = 0.041; the IDC's own standard errors are not on those pages.
   The pull is (ours - published) / sqrt(stderr^2 + 0.041^2).
2. The same ratio in other bands and for Lg and with the least-squares scale, to show
   how much the figure depends on the band (a large and a small explosion differ in
   corner frequency).
3. Absolute magnitudes: what the shared data allow. The regional sets have no response;
   the Yellowknife array has responses, and its mb amplitude term log10(A/T) is measured,
   but mb itself needs the Veith-Clawson table that is not shipped, so no absolute
   magnitude is compared with a published value.

Usage::

    python benchmarks/seismic_magnitude.py [--out results/seismic_magnitude.json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import obspy

from bench_common import machine
from treatyverify.monitoring.seismic.ingest import read_stations
from treatyverify.monitoring.seismic.magnitude import (
    EventOrigin,
    event_magnitudes,
    relative_magnitude,
)
from treatyverify.monitoring.seismic.response import read_inventory

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "seismic"
PUBLISHED = -1.0  # IDC mb 5.1 (2016) - 6.1 (2017)
PUBLISHED_SIGMA = math.sqrt(2.0) * 0.1 / math.sqrt(12.0)  # rounding of both to 0.1
# USGS origins (as in tests/monitoring/test_seismic_pipeline.py and docs/monitoring-xcorr.md).
ORIGIN_A = EventOrigin(obspy.UTCDateTime("2017-09-03T03:30:01.760"), 41.343, 129.036, 0.0)
ORIGIN_B = EventOrigin(obspy.UTCDateTime("2016-09-09T00:30:01.380"), 41.287, 129.078, 0.0)


def _relative(st_a: Any, st_b: Any, coords: Any, **options: Any) -> dict[str, Any]:
    start = time.perf_counter()
    rel = relative_magnitude(st_b, st_a, coords, ORIGIN_B, ORIGIN_A, **options)
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
        "delta_magnitude": rel.value,
        "stderr": rel.stderr,
        "sigma": rel.sigma,
        "n_stations": rel.n_stations,
        "seconds": round(seconds, 2),
    }
    if rel.value is not None and rel.stderr is not None:
        out["pull"] = (rel.value - PUBLISHED) / math.hypot(rel.stderr, PUBLISHED_SIGMA)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results: dict[str, Any] = {"run_utc": started, "machine": machine(obspy=obspy.__version__)}

    st_a = obspy.read(str(DATA / "regional-event-a" / "waveforms.mseed"))
    st_b = obspy.read(str(DATA / "regional-event-b" / "waveforms.mseed"))
    known = read_stations(DATA / "regional-event-a" / "stations.csv")
    coords = {k: (s.latitude, s.longitude) for k, s in known.items()}

    headline = _relative(st_a, st_b, coords)
    results["relative_default"] = headline
    rel = relative_magnitude(st_b, st_a, coords, ORIGIN_B, ORIGIN_A)
    results["relative_default_stations"] = [
        {
            "trace_id": s.trace_id,
            "status": s.status,
            "delta_magnitude": s.delta_magnitude,
            "cc": s.cc,
            "distance_deg": s.distance_deg,
        }
        for s in rel.stations
    ]
    print(
        f"relative mb (2016 - 2017), P 0.7-1.5 Hz: {headline['delta_magnitude']:+.3f} "
        f"+/- {headline['stderr']:.3f} ({headline['n_stations']} stations; "
        f"robust sigma {headline['sigma']:.3f}); IDC {PUBLISHED:+.1f} +/- "
        f"{PUBLISHED_SIGMA:.3f}; pull {headline['pull']:+.2f}"
    )
    sweep = []
    for phase in ("P", "Lg"):
        for band in ((0.5, 1.0), (0.7, 1.5), (1.0, 2.0), (0.8, 4.5), (2.0, 4.0), (4.0, 8.0)):
            for method in ("norm", "lsq"):
                item = _relative(st_a, st_b, coords, phase=phase, band_hz=band, method=method)
                sweep.append(item)
                value = item["delta_magnitude"]
                text = "none" if value is None else f"{value:+.3f} +/- {item['stderr']:.3f}"
                print(
                    f"  {phase:2s} {band[0]:g}-{band[1]:g} Hz {method:4s}: {text} "
                    f"(n={item['n_stations']}, pull {item.get('pull', float('nan')):+.1f})"
                )
    results["relative_sweep"] = sweep

    folder = DATA / "array-yellowknife-2012-08-14"
    inv = read_inventory(folder / "stations.xml")
    stream = obspy.read(str(folder / "waveforms.mseed"))
    array_coords = {f"{n.code}.{s.code}": (s.latitude, s.longitude) for n in inv for s in n}
    event = obspy.read_events(str(folder / "catalog-origin.quakeml"))[0].origins[0]
    origin = EventOrigin(event.time, event.latitude, event.longitude, event.depth / 1000.0)
    start = time.perf_counter()
    mags = event_magnitudes(stream, array_coords, origin, inventory=inv)
    seconds = time.perf_counter() - start
    distances = [origin.distance_deg(*c) for c in array_coords.values()]
    values = list(mags.log_a_over_t.values())
    results["yellowknife"] = {
        "distance_deg": statistics.median(distances),
        "validity": [{"kind": v.kind, "valid": v.valid, "reason": v.reason} for v in mags.validity],
        "log10_A_over_T_median": statistics.median(values),
        "log10_A_over_T_spread": [min(values), max(values)],
        "n_channels": len(values),
        "seconds": round(seconds, 2),
    }
    print(
        f"Yellowknife ({statistics.median(distances):.1f} deg, 583 km deep): "
        f"log10(A/T) median {statistics.median(values):.3f} over {len(values)} channels "
        f"({min(values):.3f}-{max(values):.3f}); "
        + "; ".join(f"{v.kind}: {'valid' if v.valid else v.reason}" for v in mags.validity)
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
