"""Template matching of gamma spectra: false alarms on genuine items, detection of hoaxes (issue 3).

The template is a weapon-grade plutonium item (:func:`simulate_item`, preset
``weapon-grade-pu``, coaxial HPGe preset, natural background) of the declared type's
nominal geometry, counted 10 minutes. Each candidate is counted 10 minutes in the
same set-up and compared with :func:`compare_spectra` at ``false_alarm_probability``
(0.01 by default, as issue 3 asks; the warhead-dismantlement specification's own
``template-match`` threshold is printed for reference, and every p-value is kept, so
the rates at that threshold are reported too).

Scenarios, each with N independent trials (a fresh template and a fresh candidate
per trial, so the rates average over the noise of both):

* ``genuine-identical``: another item of exactly the template's mass, distance and age
  (Poisson noise only). Its false-alarm rate checks the test's calibration.
* ``genuine-varied x f``: another weapon-grade item of the declared type whose mass and
  distance differ from the template's by a uniform amount, up to ``f`` times
  (+-2 % of the mass, +-1 cm of the distance), f = 0.25, 0.5 and 1. The rate of
  failures is the false-alarm rate a real inspection would see.
* hoaxes, with the same variation of mass and distance as ``genuine-varied x 1``:
  ``reactor-grade-substitute`` (reactor-grade plutonium of the declared mass),
  ``lead-hoax`` (a lead object of the declared mass: background only) and ``du-hoax``
  (depleted uranium of the declared mass). The rate of failures is the detection
  probability.

The decision uses the ``normalization`` of the specification's ``template-match``
method (``total``: spectral shape only, each spectrum scaled to its total counts). As a
diagnostic (not a target), each pair is also compared with ``normalization="live-time"``
(intensity and shape; the column ``live-time``). It tells how much of a genuine item's
failure would come from its overall intensity (distance, mass) alone.

Every trial's generator is spawned from ``(seed, scenario, trial)``, so the figures do
not depend on the number of worker processes. Rates come with 95 % Clopper-Pearson
intervals.

Usage::

    python benchmarks/template_hoaxes.py
    python benchmarks/template_hoaxes.py --trials 1000 --out results/template_hoaxes.json --check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy

import bench_common
from bench_common import rate
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.template.compare import compare_spectra
from treatyverify.methods.template.multiplets import compare_multiplets
from treatyverify.treaty import load_treaty

TREATY = "warhead-dismantlement"

TARGET_DETECTION = 0.99
"""Detection probability of each hoax at a 1 % false-alarm rate, 10-minute count (issue 3)."""
FALSE_ALARM_PROBABILITY = 0.01
NOISE_KEV, FANO_KEV = 0.7293, 0.00209
"""The detector's resolution FWHM^2 = a^2 + c E closest to HPGE_COAXIAL over 200-700 keV."""
NORMALIZATION = load_treaty(TREATY).method("template-match").text("normalization")
"""The specification's choice: ``total`` compares spectral shapes only."""
"""Threshold of the comparison asked for by issue 3."""

NOMINAL_KIND = "weapon-grade-pu"
NOMINAL_MASS_KG = 4.0
NOMINAL_DISTANCE_CM = 50.0
NOMINAL_AGE_YEARS = 20.0
LIVE_TIME_S = 600.0
MASS_VARIATION = 0.02
"""Largest relative mass difference of a genuine item from the template (+-2 %)."""
DISTANCE_VARIATION_CM = 1.0
"""Largest distance difference of a genuine item from the template (+-1 cm)."""

DETECTOR = HPGE_COAXIAL

# (name, preset, variation scale); scale 0 = the template's exact geometry.
SCENARIOS: tuple[tuple[str, str, float], ...] = (
    ("genuine-identical", NOMINAL_KIND, 0.0),
    ("genuine-varied x0.25", NOMINAL_KIND, 0.25),
    ("genuine-varied x0.5", NOMINAL_KIND, 0.5),
    ("genuine-varied x1", NOMINAL_KIND, 1.0),
    ("reactor-grade-substitute", "reactor-grade-substitute", 1.0),
    ("lead-hoax", "lead-hoax", 1.0),
    ("du-hoax", "du-hoax", 1.0),
)
HOAXES = ("reactor-grade-substitute", "lead-hoax", "du-hoax")


def item(kind: str, mass_kg: float, distance_cm: float, rng: np.random.Generator) -> Spectrum:
    """One 10-minute spectrum of an item in the declared set-up."""
    return simulate_item(
        kind,
        mass_kg=mass_kg,
        detector=DETECTOR,
        live_time_s=LIVE_TIME_S,
        distance_cm=distance_cm,
        age_years=NOMINAL_AGE_YEARS,
        rng=rng,
    )


def run_trial(task: tuple[int, int, int]) -> dict[str, Any]:
    """Simulate a template and a candidate and compare them."""
    seed, scenario, trial = task
    _, kind, scale = SCENARIOS[scenario]
    rng = np.random.default_rng(np.random.SeedSequence([seed, scenario, trial]))
    template = item(NOMINAL_KIND, NOMINAL_MASS_KG, NOMINAL_DISTANCE_CM, rng)
    mass = NOMINAL_MASS_KG * (1.0 + scale * MASS_VARIATION * float(rng.uniform(-1.0, 1.0)))
    distance = NOMINAL_DISTANCE_CM + scale * DISTANCE_VARIATION_CM * float(rng.uniform(-1.0, 1.0))
    candidate = item(kind, mass, distance, rng)
    start = time.perf_counter()
    result = compare_spectra(
        template,
        candidate,
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
        normalization=NORMALIZATION,
    )
    seconds = time.perf_counter() - start
    # The second template test: the plutonium multiplet areas, with the instrument's
    # resolution (the straight line in FWHM^2 closest to the detector over 200-700 keV).
    start = time.perf_counter()
    multiplets = compare_multiplets(
        measurement_from_spectrum(template, fwhm_noise_kev=NOISE_KEV, fwhm_fano_kev=FANO_KEV),
        measurement_from_spectrum(candidate, fwhm_noise_kev=NOISE_KEV, fwhm_fano_kev=FANO_KEV),
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
    )
    multiplet_seconds = time.perf_counter() - start
    # Diagnostic: the same pair compared on intensity and shape (live-time scaling).
    live = compare_spectra(
        template,
        candidate,
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
        normalization="live-time",
    )
    return {
        "scenario": scenario,
        "mass_kg": mass,
        "distance_cm": distance,
        "p_value": result.p_value,
        "statistic": result.statistic,
        "bins": result.bins,
        "failed": not result.passed,
        "live_time_p_value": live.p_value,
        "multiplet_p_value": multiplets.p_value,
        "multiplet_seconds": multiplet_seconds,
        "candidate_counts": float(candidate.counts.sum()),
        "template_counts": float(template.counts.sum()),
        "compare_seconds": seconds,
    }


def run(trials: int, seed: int, workers: int, treaty_fap: float) -> dict[str, Any]:
    """Every scenario, ``trials`` times."""
    tasks = [(seed, s, k) for s in range(len(SCENARIOS)) for k in range(trials)]
    start = time.perf_counter()
    results = bench_common.map_trials(run_trial, tasks, workers, chunksize=8)
    elapsed = time.perf_counter() - start
    scenarios = []
    for index, (name, kind, scale) in enumerate(SCENARIOS):
        mine = [r for r in results if r["scenario"] == index]
        p_values = [r["p_value"] for r in mine]
        scenarios.append(
            {
                "name": name,
                "preset": kind,
                "variation_scale": scale,
                "mass_range_kg": [
                    NOMINAL_MASS_KG * (1 - scale * MASS_VARIATION),
                    NOMINAL_MASS_KG * (1 + scale * MASS_VARIATION),
                ],
                "distance_range_cm": [
                    NOMINAL_DISTANCE_CM - scale * DISTANCE_VARIATION_CM,
                    NOMINAL_DISTANCE_CM + scale * DISTANCE_VARIATION_CM,
                ],
                "failed": rate(sum(r["failed"] for r in mine), len(mine)),
                "failed_at_treaty_threshold": rate(
                    sum(p < treaty_fap for p in p_values), len(mine)
                ),
                "failed_multiplets": rate(
                    sum(r["multiplet_p_value"] < FALSE_ALARM_PROBABILITY for r in mine), len(mine)
                ),
                "failed_live_time": rate(
                    sum(r["live_time_p_value"] < FALSE_ALARM_PROBABILITY for r in mine), len(mine)
                ),
                "median_statistic_per_bin": statistics.median(
                    r["statistic"] / r["bins"] for r in mine
                ),
                "median_bins": statistics.median(r["bins"] for r in mine),
                "median_p_value": statistics.median(p_values),
                "median_candidate_counts": statistics.median(r["candidate_counts"] for r in mine),
            }
        )
    by_name = {s["name"]: s for s in scenarios}
    targets = {
        name: {
            "target": TARGET_DETECTION,
            "reached": by_name[name]["failed"]["rate"],
            "ci95": by_name[name]["failed"]["ci95"],
            "met": by_name[name]["failed"]["rate"] >= TARGET_DETECTION,
        }
        for name in HOAXES
    }
    for name in HOAXES:
        caught = by_name[name]["failed_multiplets"]
        targets[f"{name} (multiplets)"] = {
            "target": TARGET_DETECTION,
            "reached": caught["rate"],
            "ci95": caught["ci95"],
            "met": caught["rate"] >= TARGET_DETECTION,
        }
    fa = by_name["genuine-varied x1"]["failed"]
    fa_multiplets = by_name["genuine-varied x1"]["failed_multiplets"]
    targets["false_alarm_genuine_varied (multiplets)"] = {
        "target": FALSE_ALARM_PROBABILITY,
        "reached": fa_multiplets["rate"],
        "ci95": fa_multiplets["ci95"],
        "met": fa_multiplets["ci95"][0] <= FALSE_ALARM_PROBABILITY
        and fa_multiplets["ci95"][1] < 2 * FALSE_ALARM_PROBABILITY,
    }
    targets["false_alarm_genuine_varied"] = {
        "target": FALSE_ALARM_PROBABILITY,
        "reached": fa["rate"],
        "ci95": fa["ci95"],
        # "about 1 %": the interval must reach 1 % and stay below 2 %.
        "met": fa["ci95"][0] <= FALSE_ALARM_PROBABILITY
        and fa["ci95"][1] < 2 * FALSE_ALARM_PROBABILITY,
    }
    return {
        "template": {
            "preset": NOMINAL_KIND,
            "mass_kg": NOMINAL_MASS_KG,
            "distance_cm": NOMINAL_DISTANCE_CM,
            "age_years": NOMINAL_AGE_YEARS,
            "live_time_s": LIVE_TIME_S,
            "shielding": [],
            "detector": DETECTOR.name,
        },
        "false_alarm_probability": FALSE_ALARM_PROBABILITY,
        "treaty_false_alarm_probability": treaty_fap,
        "trials": trials,
        "seed": seed,
        "workers": workers,
        "seconds": elapsed,
        "compare_ms_median": statistics.median(r["compare_seconds"] for r in results) * 1e3,
        "multiplets_ms_median": statistics.median(r["multiplet_seconds"] for r in results) * 1e3,
        "scenarios": scenarios,
        "targets": targets,
    }


def print_report(result: dict[str, Any]) -> None:
    """Print the rates as a table."""
    t = result["template"]
    print(
        f"template: {t['preset']} {t['mass_kg']} kg at {t['distance_cm']} cm, age "
        f"{t['age_years']} y, {t['live_time_s'] / 60:.0f} min, {t['detector']}; "
        f"false_alarm_probability {result['false_alarm_probability']} (treaty: "
        f"{result['treaty_false_alarm_probability']})"
    )
    print(
        f"{result['trials']} trials per scenario, {result['workers']} worker(s), "
        f"{result['seconds']:.0f} s; compare_spectra median {result['compare_ms_median']:.1f} ms, "
        f"compare_multiplets median {result['multiplets_ms_median']:.1f} ms"
    )
    print(
        f"{'scenario':<26} {'mass kg':>13} {'dist cm':>11} {'fails':>7} {'95% CI':>15} "
        f"{'at treaty':>9} {'multiplets':>10} {'live-time':>9} {'G/bin':>6} {'bins':>6}"
    )
    for s in result["scenarios"]:
        lo, hi = s["failed"]["ci95"]
        print(
            f"{s['name']:<26} {s['mass_range_kg'][0]:>6.2f}-{s['mass_range_kg'][1]:<6.2f} "
            f"{s['distance_range_cm'][0]:>5.1f}-{s['distance_range_cm'][1]:<5.1f} "
            f"{100 * s['failed']['rate']:>6.2f}% {100 * lo:>6.2f}-{100 * hi:>6.2f}% "
            f"{100 * s['failed_at_treaty_threshold']['rate']:>8.2f}% "
            f"{100 * s['failed_multiplets']['rate']:>9.2f}% "
            f"{100 * s['failed_live_time']['rate']:>8.2f}% "
            f"{s['median_statistic_per_bin']:>6.2f} {s['median_bins']:>6.0f}"
        )
    for name, target in result["targets"].items():
        verdict = "PASS" if target["met"] else "FAIL"
        lo, hi = target["ci95"]
        relation = "about" if name.startswith("false_alarm") else ">="
        print(
            f"target {name}: {relation} {100 * target['target']:.0f}% -> "
            f"{100 * target['reached']:.2f}% ({100 * lo:.2f}-{100 * hi:.2f}%) {verdict}"
        )


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return bench_common.machine(numpy=np.__version__, scipy=scipy.__version__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials per scenario")
    parser.add_argument("--seed", type=int, default=20261122, help="master seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    if args.trials < 1 or args.workers < 1:
        parser.error("--trials and --workers must be positive")
    treaty_fap = load_treaty(TREATY).method("template-match").number("false_alarm_probability")
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    result = run(args.trials, args.seed, args.workers, treaty_fap)
    result = {
        "issue": 3,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "load_average": [load_start, os.getloadavg()[0]],
        **result,
    }
    print_report(result)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.out}")
    if args.check and not all(t["met"] for t in result["targets"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
