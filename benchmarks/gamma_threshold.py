"""Pu-240/Pu-239 attribute near its threshold: pass probability against the true ratio.

Question
    ``gamma_attributes.py`` measures the attribute
    :func:`~treatyverify.methods.gamma.attributes.pu240_pu239_ratio` on weapon-grade
    (true atom ratio 0.064) and fuel-grade (0.133) items only, far from the treaty's
    ``max_ratio`` = 0.10 (specification ``warhead-dismantlement``, method
    ``pu-isotopic-ratio``). There the estimate's small, shielding-dependent bias (-0.8 %
    to +3 %) and its relative sd (1.4-23 %) change no decision. This script asks how
    likely an item is to pass as a function of its TRUE Pu-240/Pu-239 atom ratio around
    the threshold, and where the 50 % point lies.

Items
    Plutonium of a chosen atom ratio ``r = N(Pu-240) / N(Pu-239)`` at the item's age.
    Default composition ``blend``: a mixture, by mass, of the ``fuel-grade-pu`` and
    ``weapon-grade-pu`` presets of :mod:`treatyverify.methods.gamma.sources`,
    ``f_i = (1 - w) f_i^WG + w f_i^FG`` for every isotope (mass fractions at separation),
    with the fuel-grade weight ``w`` solved so that the atom ratio after ``age`` years of
    decay is exactly ``r`` (atoms are linear in ``w``, so the solution is closed-form).
    Pu-241 (hence Am-241 and U-237) grows with Pu-240 as in real plutonium. The
    alternative ``--composition wg-scaled`` keeps the weapon-grade minor isotopes
    (Pu-238, Pu-241, Pu-242) and the sum Pu-239 + Pu-240 (0.995) and splits that sum to
    give ``r``. Each item's true ratio is recomputed from its material as
    ``gamma_attributes.true_atom_ratio`` does (``A240 / A239 * T240 / T239`` from
    :func:`activities_bq` at the age) and must equal ``r``.

    :func:`simulate_item` takes preset names only, so the item is simulated by its own
    lower-level path: :func:`emission_lines` of the material and mass, a solid sphere of
    alpha-phase plutonium (:meth:`SelfAttenuation.sphere_of_mass` with ``"Pu"`` and
    :data:`PU_ALPHA_DENSITY_G_CM3`), :func:`simulate_spectrum` with the
    ``HPGE_COAXIAL`` detector, the default natural background and ``shielding=[("Fe",
    cm)]``: the same calls ``simulate_item(..., geometry="sphere")`` makes.

    Hidden parameters drawn per item as in ``gamma_attributes.py``: mass uniform in
    2-6 kg, distance uniform in 30-100 cm, age uniform in 10-30 years. Each item's
    generator is spawned from ``(seed, live time s, steel in um, ratio in ppm, trial)``,
    so the figures depend neither on ``--workers`` nor on which other grid points or
    cells are run.

Method
    Each spectrum is analysed by the primary path of ``gamma_attributes.py``: resolution
    measured on the spectrum (:func:`measurement_from_spectrum`), the detector's
    resolution when that raises :class:`InputError` (counted as a fallback), then
    :func:`pu240_pu239_ratio` with ``max_ratio`` read from the specification. A fit error
    counts as not passed (and is counted). Per cell (live time x steel) and grid point:
    the pass rate with its exact (Clopper-Pearson) 95 % interval, the mean relative bias
    and relative sd of the estimate, the pull ``(estimate - truth) / sigma`` (mean, sd),
    and the pass probability a normal model expects from that point's measured bias and
    sd, ``Phi((max_ratio - r (1 + bias)) / (r sd))``.

    Per cell: a probit curve ``P(pass | r) = Phi((r50 - r) / s)`` fitted to the binomial
    counts of all grid points by maximum likelihood (``scipy.optimize.minimize``), with
    Wald uncertainties of ``r50`` and of the width ``s`` from the expected Fisher
    information, and the deviance against the saturated model (goodness of fit). For
    comparison, the normal model's 50 % point ``max_ratio / (1 + bias)``, with the
    relative bias pooled over all the cell's items, its standard error, and the model's
    width ``max_ratio x sd`` with the relative sd of the items within 5 % of the
    threshold.

    Defaults: true ratios 0.080-0.120 (steps of 0.0025 from 0.090 to 0.110, 0.005
    outside), cells 30 min unshielded, 5 min behind 2 cm of steel and 30 min behind
    2 cm, 150 items per point per cell (5,850 items, about 3 minutes on 2 cores), 2
    worker processes, seed 20261123.

Check (informational)
    ``--check`` exits with status 1 when the fitted 50 % point of any cell differs from
    ``max_ratio`` by more than ``--tolerance`` (relative, default 3 %). Issue 3 sets no
    target for this: the tolerance is the size of the largest bias
    ``gamma_attributes.py`` measured in any cell (+3.1 % at 5 minutes behind 5 cm of
    steel); in the default cells the bias is within +-1 %, so a 50 % point further than
    3 % from the threshold would point at something beyond the known bias.

Usage::

    python benchmarks/gamma_threshold.py                          # defaults, 2 workers
    python benchmarks/gamma_threshold.py --trials 200 --cells 30:0 5:2 30:2 5:5
    python benchmarks/gamma_threshold.py --ratios 0.09 0.1 0.11 --composition wg-scaled
    python benchmarks/gamma_threshold.py --out results/gamma_threshold.json --check

Units: ratios are atom ratios (dimensionless); live times in minutes on the command
line (seconds in the JSON), steel thickness in cm, masses in kg, distances in cm, ages
in years (365.2422 d).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

import bench_common
import gamma_attributes as ga
from bench_common import rate
from treatyverify.methods.gamma.simulate import (
    DEFAULT_BACKGROUND,
    PU_ALPHA_DENSITY_G_CM3,
    SelfAttenuation,
    simulate_spectrum,
)
from treatyverify.methods.gamma.sources import (
    ISOTOPES,
    Material,
    activities_bq,
    emission_lines,
    mass_number,
    preset,
)
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import nuclide
from treatyverify.treaty import load_treaty

DEFAULT_RATIOS = (
    0.080,
    0.085,
    0.090,
    0.0925,
    0.095,
    0.0975,
    0.100,
    0.1025,
    0.105,
    0.1075,
    0.110,
    0.115,
    0.120,
)
"""True atom ratios of the grid. Steps of 0.0025 within 10 % of the threshold: at 30
minutes unshielded the relative sd is about 1.5 %, and with 0.005 steps only the point at
0.100 would lie in the transition, leaving the probit width undetermined."""

DEFAULT_CELLS = ("30:0", "5:2", "30:2")
"""Measurement cells, ``minutes:cm of steel``."""

DEFAULT_TRIALS = 150
"""Items per grid point per cell: 3 cells x 13 points x 150 = 5,850 items, about 3
minutes on 2 shared cores (about 28 ms of wall time per item and worker pair)."""

DEFAULT_TOLERANCE = 0.03
"""Relative distance of the fitted 50 % point from max_ratio that ``--check`` allows."""

COMPOSITIONS = ("blend", "wg-scaled")


# ------------------------------------------------------------------------- materials


def atom_ratio(material: Material) -> float:
    """``N(Pu-240) / N(Pu-239)`` of a material at its age, as ``ga.true_atom_ratio``."""
    activity = activities_bq(material, 1.0)
    t240, t239 = nuclide("Pu-240").half_life_s.value, nuclide("Pu-239").half_life_s.value
    return activity["Pu-240"] / activity["Pu-239"] * t240 / t239


def _atoms_at_age(fractions: Mapping[str, float], age_years: float) -> tuple[float, float]:
    """Relative atom numbers of Pu-240 and Pu-239 after ``age_years`` (per g of material)."""
    aged = Material(name="end", element="Pu", mass_fractions=fractions, age_years=age_years)
    now = aged.fractions_at_age()
    return (
        now.get("Pu-240", 0.0) / mass_number("Pu-240"),
        now.get("Pu-239", 0.0) / mass_number("Pu-239"),
    )


def end_members(composition: str) -> tuple[dict[str, float], dict[str, float]]:
    """The two mass-fraction sets that ``composition`` mixes linearly."""
    wg = dict(preset("weapon-grade-pu").mass_fractions)
    if composition == "blend":
        return wg, dict(preset("fuel-grade-pu").mass_fractions)
    if composition == "wg-scaled":
        total = wg["Pu-239"] + wg["Pu-240"]
        low = {**wg, "Pu-239": total, "Pu-240": 0.0}
        high = {**wg, "Pu-239": 0.0, "Pu-240": total}
        return low, high
    raise ValueError(f"unknown composition {composition!r}; known: {', '.join(COMPOSITIONS)}")


def material_with_ratio(ratio: float, age_years: float, composition: str) -> tuple[Material, float]:
    """Plutonium whose ``N(Pu-240)/N(Pu-239)`` at ``age_years`` is ``ratio``; and the weight.

    The material is ``(1 - w) low + w high`` in mass fractions at separation (see
    :func:`end_members`). Decay is linear in the initial fractions, so the atom numbers
    at the age are ``a0 + w a1`` (Pu-240) and ``b0 + w b1`` (Pu-239) and
    ``w = (a0 - r b0) / (r b1 - a1)``.
    """
    low, high = end_members(composition)
    a_low, b_low = _atoms_at_age(low, age_years)
    a_high, b_high = _atoms_at_age(high, age_years)
    a1, b1 = a_high - a_low, b_high - b_low
    weight = (a_low - ratio * b_low) / (ratio * b1 - a1)
    if not 0.0 <= weight <= 1.0:
        lo = a_low / b_low
        hi = a_high / b_high if b_high > 0 else math.inf
        raise ValueError(
            f"ratio {ratio} outside {lo:.4f}-{hi:.4f}, the range of composition {composition!r}"
        )
    fractions = {
        iso: (1.0 - weight) * low.get(iso, 0.0) + weight * high.get(iso, 0.0)
        for iso in ISOTOPES
        if low.get(iso, 0.0) > 0.0 or high.get(iso, 0.0) > 0.0
    }
    material = Material(
        name=f"plutonium, Pu-240/Pu-239 = {ratio:g} at {age_years:.1f} a ({composition})",
        element="Pu",
        mass_fractions=fractions,
        age_years=age_years,
        basis=f"{composition}: weight {weight:.4f} of the second end member",
    )
    return material, weight


def simulate_material(
    material: Material,
    *,
    mass_kg: float,
    live_time_s: float,
    distance_cm: float,
    steel_cm: float,
    rng: np.random.Generator,
) -> Spectrum:
    """What ``simulate_item(kind, geometry="sphere", ...)`` does, for any Pu material."""
    return simulate_spectrum(
        emission_lines(material, mass_kg),
        ga.DETECTOR,
        live_time_s,
        distance_cm=distance_cm,
        shielding=[("Fe", steel_cm)] if steel_cm > 0 else [],
        self_attenuation=SelfAttenuation.sphere_of_mass("Pu", PU_ALPHA_DENSITY_G_CM3, mass_kg),
        background=DEFAULT_BACKGROUND,
        rng=rng,
        source=f"simulated {material.name}",
    )


# ------------------------------------------------------------------------- trials


def item_seed(
    seed: int, live_time_s: float, steel_cm: float, ratio: float, trial: int
) -> np.random.Generator:
    """One item's generator, keyed by the cell's values and the ratio, not by indices."""
    key = [seed, round(live_time_s), round(steel_cm * 1e4), round(ratio * 1e6), trial]
    return np.random.default_rng(np.random.SeedSequence(key))


Task = tuple[int, int, int, int, float, float, float, float, str]


def run_trial(task: Task) -> dict[str, Any]:
    """Simulate one item of a given true ratio and analyse it (measured resolution)."""
    seed, cell, point, trial, live_time_s, steel_cm, ratio, max_ratio, composition = task
    rng = item_seed(seed, live_time_s, steel_cm, ratio, trial)
    mass = float(rng.uniform(*ga.MASS_KG))
    distance = float(rng.uniform(*ga.DISTANCE_CM))
    age = float(rng.uniform(*ga.AGE_YEARS))
    material, weight = material_with_ratio(ratio, age, composition)
    truth = atom_ratio(material)
    if abs(truth / ratio - 1.0) > 1e-9:
        raise AssertionError(f"material ratio {truth} differs from the wanted {ratio}")
    start = time.perf_counter()
    spectrum = simulate_material(
        material,
        mass_kg=mass,
        live_time_s=live_time_s,
        distance_cm=distance,
        steel_cm=steel_cm,
        rng=rng,
    )
    simulated = time.perf_counter() - start
    return {
        "cell": cell,
        "point": point,
        "truth": truth,
        "weight": weight,
        "total_counts": float(spectrum.counts.sum()),
        "simulate_seconds": simulated,
        "measured": ga._analyse(spectrum, max_ratio, measured=True),
    }


# ------------------------------------------------------------------------- statistics


def summarise_point(trials: list[dict[str, Any]], ratio: float, max_ratio: float) -> dict[str, Any]:
    """Pass rate and estimate quality of the items of one grid point in one cell."""
    passes = errors = fallbacks = 0
    rel: list[float] = []
    pulls: list[float] = []
    for t in trials:
        a = t["measured"]
        fallbacks += bool(a["fallback"])
        if a["error"] is not None:
            errors += 1
            continue
        passes += bool(a["passed"])
        rel.append(a["ratio"] / t["truth"] - 1.0)
        if a["sigma"] and a["sigma"] > 0:
            pulls.append((a["ratio"] - t["truth"]) / a["sigma"])
    bias = statistics.fmean(rel) if rel else None
    sd = statistics.stdev(rel) if len(rel) > 1 else None
    model = None
    if bias is not None and sd is not None and sd > 0:
        model = float(stats.norm.cdf((max_ratio - ratio * (1.0 + bias)) / (ratio * sd)))
    return {
        "true_ratio": ratio,
        "passed": rate(passes, len(trials)),
        "model_pass_probability": model,
        "mean_relative_bias": bias,
        "relative_sd": sd,
        "pull_mean": statistics.fmean(pulls) if pulls else None,
        "pull_sd": statistics.stdev(pulls) if len(pulls) > 1 else None,
        "fit_errors": errors,
        "resolution_fallbacks": fallbacks,
        "median_total_counts": statistics.median(t["total_counts"] for t in trials),
        "blend_weight_range": [min(t["weight"] for t in trials), max(t["weight"] for t in trials)],
    }


def fit_probit(
    ratios: Sequence[float], passes: Sequence[int], trials: Sequence[int]
) -> dict[str, Any]:
    """Maximum-likelihood ``P(pass | r) = Phi((r50 - r) / s)`` on binomial counts.

    The width is fitted as ``log s``. Uncertainties are Wald, from the expected Fisher
    information ``sum_i n_i phi(z_i)^2 / (p_i (1 - p_i)) g_i g_i^T`` with
    ``g_i = dz_i / d(r50, s)``.
    """
    r = np.asarray(ratios, dtype=np.float64)
    k = np.asarray(passes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)

    def nll(theta: np.ndarray) -> float:
        z = (theta[0] - r) / math.exp(theta[1])
        log_p = stats.norm.logcdf(z)
        log_q = stats.norm.logcdf(-z)
        return -float(np.sum(k * log_p + (n - k) * log_q))

    # Start: the first grid crossing of one half, width a tenth of the grid span.
    frac = k / n
    above = np.nonzero(frac < 0.5)[0]
    start_r50 = float(r[above[0]]) if above.size else float(r[-1])
    span = float(r.max() - r.min()) or 0.01
    best: Any = None
    for log_s in (math.log(span / 10), math.log(span / 40), math.log(span / 3)):
        res = optimize.minimize(
            nll,
            np.array([start_r50, log_s]),
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 4000},
        )
        if best is None or res.fun < best.fun:
            best = res
    r50, s = float(best.x[0]), math.exp(float(best.x[1]))
    z = (r50 - r) / s
    p = np.clip(stats.norm.cdf(z), 1e-300, 1.0)
    q = np.clip(stats.norm.cdf(-z), 1e-300, 1.0)
    weight = n * stats.norm.pdf(z) ** 2 / (p * q)
    grad = np.stack([np.full_like(z, 1.0 / s), -z / s])  # dz/dr50, dz/ds
    info = (grad * weight) @ grad.T
    try:
        cov = np.linalg.inv(info)
        r50_err = math.sqrt(max(float(cov[0, 0]), 0.0))
        s_err = math.sqrt(max(float(cov[1, 1]), 0.0))
    except np.linalg.LinAlgError:
        r50_err = s_err = math.nan
    # Deviance against the saturated model: a goodness-of-fit figure.
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(k > 0, k * np.log(k / n), 0.0) + np.where(
            n - k > 0, (n - k) * np.log((n - k) / n), 0.0
        )
    deviance = 2.0 * (float(best.fun) + float(np.sum(sat)))
    transitional = int(np.sum((k > 0) & (k < n)))
    return {
        "r50": r50,
        "r50_sigma": r50_err,
        "width": s,
        "width_sigma": s_err,
        "deviance": deviance,
        "ndof": int(r.size - 2),
        "points_between_0_and_1": transitional,
        "converged": bool(best.success),
    }


def summarise_cell(
    results: list[dict[str, Any]], ratios: Sequence[float], max_ratio: float
) -> dict[str, Any]:
    """All grid points of one cell, the probit fit and the normal model's 50 % point."""
    points = [
        summarise_point([t for t in results if t["point"] == i], ratio, max_ratio)
        for i, ratio in enumerate(ratios)
    ]
    fit = fit_probit(
        ratios,
        [pt["passed"]["count"] for pt in points],
        [pt["passed"]["trials"] for pt in points],
    )
    rel = [
        t["measured"]["ratio"] / t["truth"] - 1.0 for t in results if t["measured"]["error"] is None
    ]
    near = [
        t["measured"]["ratio"] / t["truth"] - 1.0
        for t in results
        if t["measured"]["error"] is None and abs(t["truth"] / max_ratio - 1.0) <= 0.051
    ]
    pooled_bias = statistics.fmean(rel)
    pooled_se = statistics.stdev(rel) / math.sqrt(len(rel))
    near_sd = statistics.stdev(near) if len(near) > 1 else math.nan
    model_r50 = max_ratio / (1.0 + pooled_bias)
    return {
        "points": points,
        "probit": fit,
        "fitted_r50_relative_to_max": fit["r50"] / max_ratio - 1.0,
        "model": {
            "pooled_relative_bias": pooled_bias,
            "pooled_relative_bias_se": pooled_se,
            "relative_sd_within_5pct": near_sd,
            "r50": model_r50,
            "r50_sigma": max_ratio * pooled_se / (1.0 + pooled_bias) ** 2,
            "width": max_ratio * near_sd,
        },
        "fit_errors": sum(pt["fit_errors"] for pt in points),
        "resolution_fallbacks": sum(pt["resolution_fallbacks"] for pt in points),
    }


# ------------------------------------------------------------------------- run


def parse_cell(text: str) -> tuple[float, float]:
    """``"minutes:cm"`` to ``(live time s, steel cm)``."""
    try:
        minutes, cm = (float(v) for v in text.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"cell {text!r} is not minutes:cm") from exc
    if not (minutes > 0 and cm >= 0):
        raise argparse.ArgumentTypeError(f"cell {text!r}: minutes > 0 and cm >= 0 required")
    return minutes * 60.0, cm


def run(
    cells: Sequence[tuple[float, float]],
    ratios: Sequence[float],
    trials: int,
    seed: int,
    workers: int,
    composition: str,
) -> dict[str, Any]:
    """Every cell and grid point."""
    max_ratio = load_treaty(ga.TREATY).method("pu-isotopic-ratio").number("max_ratio")
    tasks: list[Task] = [
        (seed, c, i, k, lt, fe, ratio, max_ratio, composition)
        for c, (lt, fe) in enumerate(cells)
        for i, ratio in enumerate(ratios)
        for k in range(trials)
    ]
    start = time.perf_counter()
    results = bench_common.map_trials(run_trial, tasks, workers, chunksize=4)
    elapsed = time.perf_counter() - start
    out_cells = []
    for c, (lt, fe) in enumerate(cells):
        summary = summarise_cell([r for r in results if r["cell"] == c], ratios, max_ratio)
        out_cells.append({"live_time_s": lt, "steel_cm": fe, **summary})
    return {
        "max_ratio": max_ratio,
        "composition": composition,
        "end_members": dict(zip(("low", "high"), end_members(composition), strict=True)),
        "ratios": list(ratios),
        "trials_per_point": trials,
        "hidden_parameters": {
            "mass_kg": ga.MASS_KG,
            "distance_cm": ga.DISTANCE_CM,
            "age_years": ga.AGE_YEARS,
        },
        "detector": ga.DETECTOR.name,
        "seed": seed,
        "workers": workers,
        "seconds": elapsed,
        "simulate_ms_median": statistics.median(r["simulate_seconds"] for r in results) * 1e3,
        "analysis_ms_median": statistics.median(r["measured"]["seconds"] for r in results) * 1e3,
        "cells": out_cells,
    }


def _fmt(value: float | None, scale: float = 1.0, spec: str = "+.2f") -> str:
    return "-" if value is None else format(scale * value, spec)


def print_result(result: dict[str, Any], tolerance: float) -> None:
    """Print the table and the 50 % points."""
    print(
        f"Pu-240/Pu-239 attribute near max_ratio = {result['max_ratio']:g}; composition "
        f"{result['composition']}; {result['trials_per_point']} items per point per cell, "
        f"{result['workers']} worker(s), {result['seconds']:.0f} s"
    )
    head = (
        f"{'t min':>5} {'Fe cm':>5} {'true r':>7} {'pass':>7} {'95% CI':>13} {'model':>6} "
        f"{'bias %':>7} {'sd %':>6} {'pull m':>6} {'pull sd':>7} {'fallbk':>6} {'fit err':>7}"
    )
    print(head)
    for cell in result["cells"]:
        for pt in cell["points"]:
            lo, hi = pt["passed"]["ci95"]
            print(
                f"{cell['live_time_s'] / 60:>5.0f} {cell['steel_cm']:>5.0f} "
                f"{pt['true_ratio']:>7.4f} {100 * pt['passed']['rate']:>6.1f}% "
                f"{100 * lo:>5.1f}-{100 * hi:>5.1f}% "
                f"{_fmt(pt['model_pass_probability'], 100, '5.1f'):>5}% "
                f"{_fmt(pt['mean_relative_bias'], 100):>7} "
                f"{_fmt(pt['relative_sd'], 100, '.2f'):>6} "
                f"{_fmt(pt['pull_mean']):>6} {_fmt(pt['pull_sd'], 1, '.2f'):>7} "
                f"{pt['resolution_fallbacks']:>6d} {pt['fit_errors']:>7d}"
            )
    print()
    print(
        f"{'t min':>5} {'Fe cm':>5} {'fitted r50':>18} {'vs max':>7} {'width s':>17} "
        f"{'dev/ndof':>9} {'model r50':>18} {'bias %':>12} {'model s':>8}  check"
    )
    for cell in result["cells"]:
        f, m = cell["probit"], cell["model"]
        off = cell["fitted_r50_relative_to_max"]
        verdict = "ok" if abs(off) <= tolerance else f"beyond {100 * tolerance:.0f} %"
        print(
            f"{cell['live_time_s'] / 60:>5.0f} {cell['steel_cm']:>5.0f} "
            f"{f['r50']:>8.5f} +- {f['r50_sigma']:.5f} {100 * off:>+6.2f}% "
            f"{f['width']:.5f} +- {f['width_sigma']:.5f} "
            f"{f['deviance']:>5.1f}/{f['ndof']:<3d} "
            f"{m['r50']:>8.5f} +- {m['r50_sigma']:.5f} "
            f"{100 * m['pooled_relative_bias']:>+5.2f}+-{100 * m['pooled_relative_bias_se']:.2f} "
            f"{m['width']:>8.5f}  {verdict}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ratios", nargs="+", type=float, default=list(DEFAULT_RATIOS), help="true atom ratios"
    )
    parser.add_argument(
        "--cells",
        nargs="+",
        type=parse_cell,
        default=[parse_cell(c) for c in DEFAULT_CELLS],
        help="measurement cells as minutes:cm-of-steel (default 30:0 5:2 30:2)",
    )
    parser.add_argument(
        "--trials", type=int, default=DEFAULT_TRIALS, help="items per grid point per cell"
    )
    parser.add_argument("--composition", choices=COMPOSITIONS, default="blend")
    parser.add_argument("--seed", type=int, default=20261123, help="master seed")
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="relative distance of the 50 %% point from max_ratio that --check allows",
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a fitted 50 %% point is beyond the tolerance",
    )
    args = parser.parse_args(argv)
    if args.trials < 1 or args.workers < 1:
        parser.error("--trials and --workers must be positive")
    if len(args.ratios) < 3 or any(not 0 < r < 1 for r in args.ratios):
        parser.error("--ratios needs at least three ratios in (0, 1)")
    ratios = sorted(set(args.ratios))
    try:
        for ratio in ratios:
            for age in ga.AGE_YEARS:
                material_with_ratio(ratio, age, args.composition)
    except ValueError as exc:
        parser.error(str(exc))
    result: dict[str, Any] = {
        "issue": 3,
        "started": datetime.now(UTC).isoformat(),
        "machine": ga.machine(),
        "load_average_start": list(os.getloadavg()),
    }
    result["threshold"] = run(
        args.cells, ratios, args.trials, args.seed, args.workers, args.composition
    )
    result["finished"] = datetime.now(UTC).isoformat()
    result["load_average_end"] = list(os.getloadavg())
    result["tolerance"] = args.tolerance
    print_result(result["threshold"], args.tolerance)
    print(
        f"started {result['started']}, finished {result['finished']}; load average "
        f"{result['load_average_start'][0]:.2f} -> {result['load_average_end'][0]:.2f}"
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.out}")
    beyond = [
        c
        for c in result["threshold"]["cells"]
        if abs(c["fitted_r50_relative_to_max"]) > args.tolerance
    ]
    if args.check and beyond:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
