"""Template matching on independent spectra: false alarms under drift, detection of hoaxes.

Data: the GADRAS v19 reference spectra for an ORTEC Fulcrum-40h HPGe detector
(../shared/data/gamma/reference/hpge-fulcrum-40h, 24,000 channels of 0.125 keV, 1800 s;
see ../shared/data/INVENTORY.md). Each file is one Poisson realisation of an item; its
counts, smoothed by a Gaussian of 1.5 channels and integrated over the (drifted) channels
(:func:`~treatyverify.methods.template.align.drifted_expectation`), are taken as that
item's expected counts. In every trial the template and the candidate are independent
Poisson draws:

* genuine scenarios: the candidate is the template's item, measured with an instrument
  drift (none, a quarter of a channel, a gain change of 3 or 5 parts in 10^4, or both).
  Their failure rate is the false-alarm rate; it should equal the threshold.
* hoax scenarios: another reference item (heat-source Pu-238, 93 % uranium, depleted
  uranium, the same plutonium behind shielding, another enrichment), or a mixture in
  which a fraction of the counts comes from another item, always with a drift of a
  quarter of a channel and 3e-4 of gain. Their failure rate is the detection probability.
* a genuine item drifted by 3 channels, beyond the accepted 2: it must fail with the
  reason ``drift-beyond-limit``.

Both template tests run on every pair:

* ``compare_spectra`` with the specification's ``normalization`` (``total``); its
  p-values are kept, so the rates at 0.01 (issue 3) and at the specification's own
  threshold are both reported. As diagnostics, the same pair without alignment (the old
  behaviour) and with ``normalization="live-time"``.
* ``compare_multiplets`` for plutonium templates, with the instrument's resolution
  measured once on the template's reference file.

Every trial's generator is spawned from ``(seed, scenario, trial)``, so the figures do
not depend on the number of worker processes. Rates come with 95 % Clopper-Pearson
intervals.

Usage::

    python benchmarks/template_hoaxes.py
    python benchmarks/template_hoaxes.py --trials 1000 --hoax-trials 200 \\
        --out results/template_hoaxes.json --check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy

import bench_common
from bench_common import rate
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.template.align import drifted_expectation
from treatyverify.methods.template.compare import compare_spectra
from treatyverify.methods.template.multiplets import compare_multiplets
from treatyverify.treaty import load_treaty

TREATY = "warhead-dismantlement"
REFERENCE = Path(__file__).resolve().parents[2] / "shared/data/gamma/reference/hpge-fulcrum-40h"
FALSE_ALARM_PROBABILITY = 0.01
"""Threshold of the comparison asked for by issue 3."""
TARGET_DETECTION = 0.99
"""Detection probability of each hoax at a 1 % false-alarm rate (issue 3)."""
NORMALIZATION = load_treaty(TREATY).method("template-match").text("normalization")
"""The specification's choice: ``total`` compares spectral shapes only."""
LIVE_TIME_S = 1800.0
"""Live time of every reference spectrum."""
DRIFT = (0.25, 3e-4)
"""Offset (channels) and gain change of every hoax candidate."""


@dataclass(frozen=True)
class Scenario:
    """A template item and the candidate's make-up: item -> share of the counts.

    ``targets`` names the tests held to a target in this scenario: the false-alarm rate
    for genuine items, the 99 % detection for hoaxes (the multiplet test compares
    isotopics, so only hoaxes of another material are its to catch; the 0.2 % mixture
    shows where the whole-spectrum test's sensitivity ends).
    """

    name: str
    template: str
    parts: tuple[tuple[str, float], ...]
    offset_channels: float
    gain_change: float
    genuine: bool
    targets: tuple[str, ...] = ("spectrum", "multiplets")


LABELS = {
    "Pu239_Unshielded": "Pu-239",
    "Pu239_Shielded": "Pu-239 shielded",
    "U235_Unshielded_9330": "93.3 % uranium",
}


def genuine(name: str, offset: float, gain: float) -> Scenario:
    drift = ", ".join(
        part
        for part in (
            f"{offset:+g} ch" if offset else "",
            f"gain {gain * 1e4:+g}e-4" if gain else "",
        )
        if part
    )
    label = f"genuine {LABELS[name]}, {drift or 'no drift'}"
    return Scenario(label, name, ((name, 1.0),), offset, gain, True)


def hoax(
    label: str, template: str, parts: dict[str, float], targets: tuple[str, ...] = ("spectrum",)
) -> Scenario:
    return Scenario(label, template, tuple(parts.items()), DRIFT[0], DRIFT[1], False, targets)


BOTH = ("spectrum", "multiplets")
PU, PU_SH, HEU = "Pu239_Unshielded", "Pu239_Shielded", "U235_Unshielded_9330"
SCENARIOS: tuple[Scenario, ...] = (
    genuine(PU, 0.0, 0.0),
    genuine(PU, 0.25, 0.0),
    genuine(PU, 0.0, 3e-4),
    genuine(PU, -0.25, 5e-4),
    genuine(PU_SH, 0.25, 3e-4),
    genuine(HEU, 0.25, -3e-4),
    hoax("Pu-238 heat source for Pu-239", PU, {"Pu238_Unshielded": 1.0}, BOTH),
    hoax("93.3 % uranium for Pu-239", PU, {HEU: 1.0}, BOTH),
    hoax("depleted uranium for Pu-239", PU, {"U238_Unshielded": 1.0}, BOTH),
    hoax("shielded Pu-239 for unshielded", PU, {PU_SH: 1.0}),
    hoax("Pu-239 + 0.2 % Pu-238", PU, {PU: 0.998, "Pu238_Unshielded": 0.002}, ()),
    hoax("Pu-239 + 0.5 % Pu-238", PU, {PU: 0.995, "Pu238_Unshielded": 0.005}),
    hoax("Pu-239 + 1 % Pu-238", PU, {PU: 0.99, "Pu238_Unshielded": 0.01}),
    hoax("Pu-239 + 0.5 % 93.3 % uranium", PU, {PU: 0.995, HEU: 0.005}),
    hoax("shielded Pu-238 for shielded Pu-239", PU_SH, {"Pu238_Shielded": 1.0}, BOTH),
    hoax("90 % uranium for 93.3 %", HEU, {"U235_Unshielded_9000": 1.0}),
    hoax("20 % uranium for 93.3 %", HEU, {"U235_Unshielded_2000": 1.0}),
    hoax("shielded uranium for unshielded", HEU, {"U235_Shielded": 1.0}),
    Scenario("genuine Pu-239, +3 ch (beyond the limit)", PU, ((PU, 1.0),), 3.0, 0.0, True),
)
PLUTONIUM = (PU, PU_SH)

_EXPECTED: dict[tuple[str, float, float], np.ndarray] = {}
_RESOLUTION: dict[str, tuple[float, float]] = {}
_EDGES: dict[str, np.ndarray] = {}


def prepare() -> None:
    """Expected counts of every scenario's items and the instrument's resolution."""
    for scenario in SCENARIOS:
        for name, _ in ((scenario.template, 1.0), *scenario.parts):
            spectrum = load_spectrum(REFERENCE / f"{name}.txt")
            assert spectrum.channel_edges_kev is not None
            _EDGES[name] = spectrum.channel_edges_kev
            for drift in ((0.0, 0.0), (scenario.offset_channels, scenario.gain_change)):
                key = (name, *drift)
                if key not in _EXPECTED:
                    _EXPECTED[key] = drifted_expectation(
                        spectrum.counts, offset_channels=drift[0], gain_change=drift[1]
                    )
    for name in PLUTONIUM:
        measured = measurement_from_spectrum(load_spectrum(REFERENCE / f"{name}.txt"))
        _RESOLUTION[name] = (measured.fwhm_noise_kev, measured.fwhm_fano_kev)


def candidate_rate(scenario: Scenario) -> np.ndarray:
    """Expected counts of the candidate: each part scaled to its share of the template's
    total counts."""
    total = float(_EXPECTED[(scenario.template, 0.0, 0.0)].sum())
    out = np.zeros_like(_EXPECTED[(scenario.template, 0.0, 0.0)])
    for name, share in scenario.parts:
        drifted = _EXPECTED[(name, scenario.offset_channels, scenario.gain_change)]
        still = _EXPECTED[(name, 0.0, 0.0)]
        out += drifted * (share * total / float(still.sum()))
    return out


def spectrum(counts: np.ndarray, edges: np.ndarray, name: str) -> Spectrum:
    return Spectrum(
        counts=counts,
        live_time_s=LIVE_TIME_S,
        real_time_s=LIVE_TIME_S,
        channel_edges_kev=edges,
        source=name,
    )


def run_trial(task: tuple[int, int, int]) -> dict[str, Any]:
    """Draw a template and a candidate and compare them both ways."""
    seed, index, trial = task
    scenario = SCENARIOS[index]
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, trial]))
    edges = _EDGES[scenario.template]
    template = spectrum(
        rng.poisson(_EXPECTED[(scenario.template, 0.0, 0.0)]).astype(np.float64),
        edges,
        "template",
    )
    candidate = spectrum(
        rng.poisson(candidate_rate(scenario)).astype(np.float64), edges, "candidate"
    )
    start = time.perf_counter()
    result = compare_spectra(
        template,
        candidate,
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
        normalization=NORMALIZATION,
    )
    seconds = time.perf_counter() - start
    unaligned = compare_spectra(
        template,
        candidate,
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
        normalization=NORMALIZATION,
        max_offset_channels=0.0,
        max_gain_change=0.0,
    )
    live = compare_spectra(
        template,
        candidate,
        false_alarm_probability=FALSE_ALARM_PROBABILITY,
        normalization="live-time",
    )
    out: dict[str, Any] = {
        "scenario": index,
        "p_value": result.p_value,
        "reason": result.reason,
        "offset": result.alignment.offset_channels if result.alignment else 0.0,
        "gain": result.alignment.gain_change if result.alignment else 0.0,
        "peaks": result.alignment.peaks if result.alignment else 0,
        "unaligned_p_value": unaligned.p_value,
        "live_time_p_value": live.p_value,
        "compare_seconds": seconds,
    }
    if scenario.template in PLUTONIUM:
        noise, fano = _RESOLUTION[scenario.template]
        start = time.perf_counter()
        multiplets = compare_multiplets(
            measurement_from_spectrum(template, fwhm_noise_kev=noise, fwhm_fano_kev=fano),
            measurement_from_spectrum(candidate, fwhm_noise_kev=noise, fwhm_fano_kev=fano),
            false_alarm_probability=FALSE_ALARM_PROBABILITY,
        )
        out |= {
            "multiplet_p_value": multiplets.p_value,
            "multiplet_reason": multiplets.reason,
            "multiplet_dof": multiplets.dof,
            "multiplet_seconds": time.perf_counter() - start,
        }
    return out


def run(
    trials: int, hoax_trials: int, seed: int, workers: int, treaty_fap: float
) -> dict[str, Any]:
    """Every scenario: ``trials`` times when genuine, ``hoax_trials`` times otherwise."""
    prepare()
    tasks = [
        (seed, index, k)
        for index, scenario in enumerate(SCENARIOS)
        for k in range(trials if scenario.genuine else hoax_trials)
    ]
    start = time.perf_counter()
    results = bench_common.map_trials(run_trial, tasks, workers, chunksize=8)
    elapsed = time.perf_counter() - start
    alpha = FALSE_ALARM_PROBABILITY
    rows = []
    for index, scenario in enumerate(SCENARIOS):
        mine = [r for r in results if r["scenario"] == index]
        n = len(mine)
        row: dict[str, Any] = {
            "name": scenario.name,
            "template": scenario.template,
            "candidate": dict(scenario.parts),
            "drift": [scenario.offset_channels, scenario.gain_change],
            "genuine": scenario.genuine,
            "failed": rate(sum(r["p_value"] < alpha for r in mine), n),
            "failed_at_treaty_threshold": rate(sum(r["p_value"] < treaty_fap for r in mine), n),
            "failed_drift_beyond_limit": rate(sum(r["reason"] != "" for r in mine), n),
            "failed_unaligned": rate(sum(r["unaligned_p_value"] < alpha for r in mine), n),
            "failed_live_time": rate(sum(r["live_time_p_value"] < alpha for r in mine), n),
            "median_p_value": statistics.median(r["p_value"] for r in mine),
            "fitted_offset_mean_sd": [
                statistics.fmean(r["offset"] for r in mine),
                statistics.pstdev(r["offset"] for r in mine),
            ],
            "fitted_gain_mean_sd": [
                statistics.fmean(r["gain"] for r in mine),
                statistics.pstdev(r["gain"] for r in mine),
            ],
            "median_peaks": statistics.median(r["peaks"] for r in mine),
        }
        if "multiplet_p_value" in mine[0]:
            row["multiplets_failed"] = rate(sum(r["multiplet_p_value"] < alpha for r in mine), n)
            row["multiplets_failed_at_treaty_threshold"] = rate(
                sum(r["multiplet_p_value"] < treaty_fap for r in mine), n
            )
            row["multiplets_reasons"] = {
                reason: sum(r["multiplet_reason"] == reason for r in mine)
                for reason in sorted({r["multiplet_reason"] for r in mine})
            }
            row["multiplets_dof"] = statistics.median(r["multiplet_dof"] for r in mine)
        rows.append(row)
    targets: dict[str, dict[str, Any]] = {}
    for row in rows:
        scenario = next(x for x in SCENARIOS if x.name == row["name"])
        for test, key in (("spectrum", "failed"), ("multiplets", "multiplets_failed")):
            if key not in row or test not in scenario.targets:
                continue
            figure = row[key]
            if row["genuine"] and "beyond" not in row["name"]:
                # Not above the nominal rate (a test below it is conservative: it costs
                # power, not false alarms, and is reported as such).
                met = figure["ci95"][0] <= alpha
                target = alpha
            else:
                target = TARGET_DETECTION
                met = figure["rate"] >= TARGET_DETECTION
            targets[f"{row['name']} ({test})"] = {
                "target": target,
                "reached": figure["rate"],
                "ci95": figure["ci95"],
                "met": met,
            }
    within = [
        index
        for index, scenario in enumerate(SCENARIOS)
        if scenario.genuine and "beyond" not in scenario.name
    ]
    pooled_results = [r for r in results if r["scenario"] in within]
    plutonium = [r for r in pooled_results if "multiplet_p_value" in r]
    pooled = {
        "spectrum": rate(sum(r["p_value"] < alpha for r in pooled_results), len(pooled_results)),
        "spectrum_at_treaty_threshold": rate(
            sum(r["p_value"] < treaty_fap for r in pooled_results), len(pooled_results)
        ),
        "multiplets": rate(sum(r["multiplet_p_value"] < alpha for r in plutonium), len(plutonium)),
        "multiplets_at_treaty_threshold": rate(
            sum(r["multiplet_p_value"] < treaty_fap for r in plutonium), len(plutonium)
        ),
    }
    multiplet_seconds = [r["multiplet_seconds"] for r in results if "multiplet_seconds" in r]
    return {
        "reference": str(REFERENCE),
        "normalization": NORMALIZATION,
        "false_alarm_probability": alpha,
        "treaty_false_alarm_probability": treaty_fap,
        "trials": trials,
        "hoax_trials": hoax_trials,
        "seed": seed,
        "workers": workers,
        "seconds": elapsed,
        "compare_ms_median": statistics.median(r["compare_seconds"] for r in results) * 1e3,
        "multiplets_ms_median": statistics.median(multiplet_seconds) * 1e3,
        "scenarios": rows,
        "pooled_genuine": pooled,
        "targets": targets,
    }


def print_report(result: dict[str, Any]) -> None:
    """Print the rates as a table."""
    print(
        f"normalization {result['normalization']}; threshold {result['false_alarm_probability']}"
        f" (treaty {result['treaty_false_alarm_probability']}); {result['trials']} genuine /"
        f" {result['hoax_trials']} hoax trials per scenario, {result['workers']} worker(s),"
        f" {result['seconds']:.0f} s; compare_spectra median {result['compare_ms_median']:.1f}"
        f" ms, compare_multiplets median {result['multiplets_ms_median']:.1f} ms"
    )
    print(
        f"{'scenario':<46} {'fails':>7} {'95% CI':>15} {'treaty':>7} {'beyond':>7} "
        f"{'unalig':>7} {'live':>7} {'multipl':>8} {'m-treaty':>8} {'dof':>4}"
    )
    for s in result["scenarios"]:
        lo, hi = s["failed"]["ci95"]
        multiplets = s.get("multiplets_failed")
        m_treaty = s.get("multiplets_failed_at_treaty_threshold")
        print(
            f"{s['name']:<46} {100 * s['failed']['rate']:>6.2f}% {100 * lo:>6.2f}-{100 * hi:<6.2f}%"
            f" {100 * s['failed_at_treaty_threshold']['rate']:>6.2f}%"
            f" {100 * s['failed_drift_beyond_limit']['rate']:>6.2f}%"
            f" {100 * s['failed_unaligned']['rate']:>6.2f}%"
            f" {100 * s['failed_live_time']['rate']:>6.2f}%"
            + (
                f" {100 * multiplets['rate']:>7.2f}% {100 * m_treaty['rate']:>7.2f}%"
                f" {s['multiplets_dof']:>4.0f}"
                if multiplets
                else ""
            )
        )
    for name, figure in result["pooled_genuine"].items():
        lo, hi = figure["ci95"]
        print(
            f"genuine items within the limits, pooled, {name}: {100 * figure['rate']:.2f}% "
            f"({figure['count']}/{figure['trials']}; {100 * lo:.2f}-{100 * hi:.2f}%)"
        )
    for name, target in result["targets"].items():
        lo, hi = target["ci95"]
        relation = "not above" if target["target"] < 0.5 else ">="
        print(
            f"target {name}: {relation} {100 * target['target']:.0f}% -> "
            f"{100 * target['reached']:.2f}% ({100 * lo:.2f}-{100 * hi:.2f}%) "
            f"{'PASS' if target['met'] else 'FAIL'}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials per genuine scenario")
    parser.add_argument("--hoax-trials", type=int, default=200, help="trials per hoax scenario")
    parser.add_argument("--seed", type=int, default=20261210, help="master seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    if args.trials < 1 or args.hoax_trials < 1 or args.workers < 1:
        parser.error("--trials, --hoax-trials and --workers must be positive")
    if not REFERENCE.is_dir():
        parser.error(f"the reference spectra are not present at {REFERENCE}")
    treaty_fap = load_treaty(TREATY).method("template-match").number("false_alarm_probability")
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    result = run(args.trials, args.hoax_trials, args.seed, args.workers, treaty_fap)
    result = {
        "issue": 3,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": bench_common.machine(numpy=np.__version__, scipy=scipy.__version__),
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
