"""Speed of the near-real-time accountancy statistics (SITMUF, Page's test, Monte Carlo PD).

Measures, in one process:

(a) SITMUF (Cholesky factorisation of a full 1,000 x 1,000 MUF covariance, triangular
    solve) followed by Page's test over the 1,000 balance periods; target < 1 s;
(b) the Monte Carlo detection probability of Page's test on SITMUF for a protracted loss
    over a 12-period campaign with full (correlated) covariance, 10^6 simulated
    campaigns; target < 5 s.

Wall-clock time (``time.perf_counter``), median of ``--repeat`` rounds after one warm-up
call (the first call also pays for lazy imports and BLAS thread start-up, printed apart).

Run: ``.venv/bin/python benchmarks/accountancy_speed.py [--repeat 5] [--json]``.
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
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine
from treatyverify.methods.accountancy.detection import page_detection_probability_mc
from treatyverify.methods.accountancy.sequential import page_test, page_threshold, sitmuf

TARGET_SITMUF_PAGE_S = 1.0
"""SITMUF + Page's test over 1,000 periods with full covariance (task brief)."""
TARGET_MC_S = 5.0
"""Monte Carlo PD of Page's test, 10^6 trials, 12 periods (task brief)."""


def full_covariance(periods: int, seed: int) -> np.ndarray:
    """A dense positive definite MUF covariance (kg^2): shared inventory terms between
    neighbouring balances plus a random dense (systematic-error-like) part."""
    rng = np.random.default_rng(seed)
    inventory_sd, transfer_sd = 1.0, 0.8
    cov = np.diag(np.full(periods, transfer_sd**2 + 2 * inventory_sd**2))
    off = -(inventory_sd**2) * np.ones(periods - 1)
    cov += np.diag(off, 1) + np.diag(off, -1)
    dense = rng.standard_normal((periods, 8)) * 0.1
    return np.asarray(cov + dense @ dense.T)


def wall_seconds(func: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Return (first call, median of ``repeat`` further calls) in seconds."""
    start = time.perf_counter()
    func()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--periods", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    long_cov = full_covariance(args.periods, seed=1)
    rng = np.random.default_rng(2)
    muf = np.linalg.cholesky(long_cov) @ rng.standard_normal(args.periods)
    h_long = page_threshold(0.05, args.periods, k=0.5)

    def sitmuf_and_page() -> None:
        page_test(sitmuf(muf, long_cov), k=0.5, h=h_long)

    first_a, median_a = wall_seconds(sitmuf_and_page, args.repeat)

    campaign = 12
    cov12 = full_covariance(campaign, seed=3)
    loss = np.full(campaign, 8.0 / campaign)  # one Pu significant quantity, protracted
    h12 = page_threshold(0.05, campaign, k=0.5)
    estimates = []

    def monte_carlo() -> None:
        estimates.append(
            page_detection_probability_mc(loss, cov12, k=0.5, h=h12, trials=args.trials, seed=4)
        )

    first_b, median_b = wall_seconds(monte_carlo, max(1, args.repeat // 2))
    estimate = estimates[-1]

    result = {
        "machine": machine(numpy=np.__version__, scipy=scipy.__version__),
        "sitmuf_page": {
            "periods": args.periods,
            "first_call_s": first_a,
            "median_s": median_a,
            "target_s": TARGET_SITMUF_PAGE_S,
            "pass": median_a < TARGET_SITMUF_PAGE_S,
        },
        "monte_carlo_pd": {
            "periods": campaign,
            "trials": args.trials,
            "first_call_s": first_b,
            "median_s": median_b,
            "target_s": TARGET_MC_S,
            "pass": median_b < TARGET_MC_S,
            "h": h12,
            "probability": estimate.probability,
            "standard_error": estimate.standard_error,
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["machine"]
    print(
        f"machine: {m['cpu_count']} CPUs ({m['cpu']}), Python {m['python']}, "
        f"numpy {m['numpy']}, scipy {m['scipy']}"
    )
    print(
        f"SITMUF + Page, {args.periods} periods, full covariance: median {median_a * 1e3:.1f} ms "
        f"(first call {first_a * 1e3:.1f} ms), target < {TARGET_SITMUF_PAGE_S:g} s: "
        f"{'PASS' if median_a < TARGET_SITMUF_PAGE_S else 'FAIL'}"
    )
    print(
        f"Monte Carlo PD of Page's test, {args.trials:,} trials x {campaign} periods: median "
        f"{median_b:.2f} s (first call {first_b:.2f} s), target < {TARGET_MC_S:g} s: "
        f"{'PASS' if median_b < TARGET_MC_S else 'FAIL'}"
    )
    print(
        f"  (8 kg spread over {campaign} periods, k = 0.5, h = {h12:.4f} for 5 % false alarms: "
        f"PD = {estimate.probability:.4f} +- {estimate.standard_error:.4f})"
    )


if __name__ == "__main__":
    main()
