"""Speed of the whole seismic pipeline on one regional window (issue 18, "Measured").

On ``../shared/data/seismic/regional-event-a`` (28 stations, 3 components, 100 Hz, an
800 s window), in one process:

- the whole chain :func:`treatyverify.monitoring.seismic.pipeline.process`: read the
  station list and the waveforms, check them, detect, pick against the prediction,
  associate, locate (and look for further events). Start-up is excluded: the imports and
  the travel-time table are loaded first, and one warm-up run precedes the timed ones;
- in the same run, detection alone: channel-hours of data per CPU-second of
  :func:`~treatyverify.monitoring.seismic.detect.detect` in its default bands, against
  the hand-written ObsPy recipe (``detrend``, zero-phase 4-pole band-pass, recursive
  STA/LTA, ``trigger_onset``) of ``benchmarks/seismic_detection.py``, on the same samples.

Figures: median wall-clock and CPU seconds of the whole chain over ``--repeat`` runs, and
the two detection rates with their ratio. No target is set by the issue; the figures are
recorded in docs/benchmarks.md.

Run: ``.venv/bin/python benchmarks/seismic_pipeline_speed.py [--repeat 5] [--json]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import obspy

from bench_common import machine
from seismic_detection import cpu_seconds, float_stream, hand_recipe, print_figures
from treatyverify.monitoring.seismic.detect import detect
from treatyverify.monitoring.seismic.pipeline import process
from treatyverify.monitoring.seismic.traveltime import load_table

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "seismic" / "regional-event-a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"data not found: {DATA}")
    warnings.simplefilter("ignore")  # the ingest's warnings about damaged channels
    files, stations = [DATA / "waveforms.mseed"], DATA / "stations.csv"
    table = load_table("iasp91")
    process(files, stations, table=table)  # warm-up: caches, filter designs
    walls, cpus = [], []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = process(files, stations, table=table)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    stream, hours = float_stream(stations, files[0])
    ours = cpu_seconds(lambda: detect(stream), args.repeat)
    hand = cpu_seconds(lambda: hand_recipe(stream, True), args.repeat)
    location = result.location
    figures = {
        "window": DATA.name,
        "stations_with_data": len({tr.stats.station for tr in stream}),
        "channels": len(stream),
        "channel_hours": round(hours, 3),
        "pipeline_wall_s_median": round(statistics.median(walls), 3),
        "pipeline_wall_s_range": [round(min(walls), 3), round(max(walls), 3)],
        "pipeline_cpu_s_median": round(statistics.median(cpus), 3),
        "picks_used": location.n_picks,
        "detection_channel_hours_per_cpu_s": round(hours / ours, 1),
        "hand_recipe_channel_hours_per_cpu_s": round(hours / hand, 1),
        "ratio_ours_to_hand": round(hand / ours, 3),
        "machine": machine(obspy=obspy.__version__, numpy=np.__version__),
    }
    print_figures(figures, args.json)


if __name__ == "__main__":
    main()
