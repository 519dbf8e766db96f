"""Detection throughput: treatyverify's detector against the plain ObsPy recipe (issue 4).

Both run on the same samples in the same process: the vertical and horizontal channels of
the 28-station set ``../shared/data/seismic/regional-event-a`` (after the ingest checks).

- hand recipe, per trace: ``detrend("linear")``, ``Trace.filter("bandpass", corners=4,
  zerophase=True)``, ``recursive_sta_lta``, ``trigger_onset``;
- the same recipe with ``zerophase=False`` (shown for comparison);
- ours: :func:`treatyverify.monitoring.seismic.detect.detect` in the same single band
  (causal sos filter once, STA/LTA, triggers, AIC onset, SNR, amplitude and period), and
  in the default bands.

Figures: hours of data per CPU-second (``time.process_time``, median of ``--repeat``
rounds) and the ratio ours / hand recipe (target >= 1.0).

Run: ``.venv/bin/python benchmarks/seismic_detection.py [--repeat 5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import obspy
import scipy
from obspy.signal.trigger import recursive_sta_lta, trigger_onset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine
from treatyverify.monitoring.seismic.detect import Band, DetectorConfig, detect
from treatyverify.monitoring.seismic.ingest import ingest, read_stations

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "seismic" / "regional-event-a"
BAND = Band(1.0, 3.0)
STA_S, LTA_S, ON, OFF = 1.0, 30.0, 5.0, 2.0


def hand_recipe(stream: obspy.Stream, zerophase: bool) -> int:
    """The recipe a user would write with ObsPy; returns the number of triggers."""
    count = 0
    for tr in stream:
        tr = tr.copy()
        tr.detrend("linear")
        tr.filter(
            "bandpass", freqmin=BAND.low_hz, freqmax=BAND.high_hz, corners=4, zerophase=zerophase
        )
        rate = tr.stats.sampling_rate
        cft = recursive_sta_lta(tr.data, round(STA_S * rate), round(LTA_S * rate))
        count += len(trigger_onset(cft, ON, OFF))
    return count


def cpu_seconds(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times)


def float_stream(stations: Path, waveforms: Path) -> tuple[obspy.Stream, float]:
    """The ingested stream with float64 samples (the same for every contender), and its
    length in channel-hours."""
    stream = ingest(waveforms, read_stations(stations)).stream
    for tr in stream:
        tr.data = np.asarray(tr.data, dtype=np.float64)
    return stream, sum(tr.stats.npts / tr.stats.sampling_rate for tr in stream) / 3600.0


def print_figures(figures: dict[str, Any], as_json: bool) -> None:
    """Print the figures as JSON or one ``key: value`` line each."""
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"data not found: {DATA}")
    stream, hours = float_stream(DATA / "stations.csv", DATA / "waveforms.mseed")
    one_band = DetectorConfig(bands=(BAND,), sta_s=STA_S, lta_s=LTA_S, on=ON, off=OFF)
    default = DetectorConfig()
    contenders: dict[str, Callable[[], Any]] = {
        "hand_recipe_zerophase": lambda: hand_recipe(stream, True),
        "hand_recipe_causal": lambda: hand_recipe(stream, False),
        "ours_one_band": lambda: detect(stream, config=one_band),
        "ours_default_bands": lambda: detect(stream, config=default),
        "bare_recursive_sta_lta": lambda: [recursive_sta_lta(tr.data, 100, 3000) for tr in stream],
    }
    for func in contenders.values():  # warm up (filter design caches, imports)
        func()
    cpu = {name: cpu_seconds(func, args.repeat) for name, func in contenders.items()}
    rates = {name: hours / sec for name, sec in cpu.items()}
    result = {
        "traces": len(stream),
        "hours_of_data": round(hours, 3),
        "band_hz": [BAND.low_hz, BAND.high_hz],
        "cpu_s_median": {k: round(v, 4) for k, v in cpu.items()},
        "hours_per_cpu_s": {k: round(v, 1) for k, v in rates.items()},
        "ratio_ours_one_band_to_hand_zerophase": round(
            rates["ours_one_band"] / rates["hand_recipe_zerophase"], 3
        ),
        "ratio_ours_one_band_to_hand_causal": round(
            rates["ours_one_band"] / rates["hand_recipe_causal"], 3
        ),
        "ratio_ours_default_bands_to_hand_zerophase": round(
            rates["ours_default_bands"] / rates["hand_recipe_zerophase"], 3
        ),
        "detections_one_band": len(detect(stream, config=one_band)),
        "triggers_hand_zerophase": hand_recipe(stream, True),
        "machine": machine(obspy=obspy.__version__, numpy=np.__version__, scipy=scipy.__version__),
    }
    print_figures(result, args.json)


if __name__ == "__main__":
    main()
