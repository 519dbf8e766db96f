"""Exercise speed: runs per second per core for each shipped scenario, and parallel speed-up.

For each shipped scenario (first sweep point, host violating and compliant twin runs):

(a) runs per second in one process (one core), after one warm-up chunk that pays for
    imports and the regime's ``prepare`` (printed apart);
(b) the same batch on 2 local worker processes (process start-up included: that is what
    a user waits for), and the speed-up over (a);
(c) the same batch through a local Dask cluster of 2 worker processes (cluster start-up
    excluded, the workers' first ``prepare`` included).

Wall-clock time (``time.perf_counter``). The machine has 2 cores; figures are noisy when
other jobs run. Run: ``.venv/bin/python benchmarks/exercise_rates.py [--runs 40] [--json]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import dask
import distributed

from treatyverify.exercise import load_scenario, run_exercise, shipped_scenarios
from treatyverify.exercise.loader import LoadedScenario
from treatyverify.exercise.montecarlo import run_chunk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine


def _first_point(loaded: LoadedScenario) -> LoadedScenario:
    """The scenario restricted to its first sweep point."""
    return dataclasses.replace(loaded, points=loaded.points[:1])


def _runs_done(loaded: LoadedScenario, runs: int) -> int:
    return runs * (2 if loaded.scenario.strategy.cheats else 1)


def measure(name: str, runs: int, dask_workers: int) -> dict[str, Any]:
    """Time one scenario's first sweep point three ways."""
    loaded = _first_point(load_scenario(name))
    started = time.perf_counter()
    run_chunk(loaded.text, loaded.name, None, 0, True, [0], 0)
    warm_up = time.perf_counter() - started
    total = _runs_done(loaded, runs)

    started = time.perf_counter()
    run_exercise(loaded, runs=runs, seed=1)
    one = time.perf_counter() - started

    started = time.perf_counter()
    run_exercise(loaded, runs=runs, seed=1, workers=2)
    two = time.perf_counter() - started

    with distributed.LocalCluster(
        n_workers=dask_workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        started = time.perf_counter()
        run_exercise(loaded, runs=runs, seed=1, scheduler=cluster.scheduler_address)
        clustered = time.perf_counter() - started
    return {
        "scenario": name,
        "runs": total,
        "warm_up_s": warm_up,
        "one_process_s": one,
        "runs_per_s_per_core": total / one,
        "two_workers_s": two,
        "speedup_two_workers": one / two,
        "dask_s": clustered,
        "dask_workers": dask_workers,
        "speedup_dask": one / clustered,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="Runs per strategy (default 40).")
    parser.add_argument("--scenario", action="append", help="Only these scenarios.")
    parser.add_argument("--json", action="store_true", help="Print JSON only.")
    args = parser.parse_args()
    names = args.scenario or shipped_scenarios()
    results = [measure(name, args.runs, 2) for name in names]
    document = {
        "machine": machine(dask=dask.__version__, distributed=distributed.__version__),
        "scenarios": results,
    }
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    print(f"{'scenario':32} {'runs':>5} {'runs/s/core':>12} {'x2 local':>9} {'x2 dask':>8}")
    for row in results:
        print(
            f"{row['scenario']:32} {row['runs']:5d} {row['runs_per_s_per_core']:12.2f} "
            f"{row['speedup_two_workers']:9.2f} {row['speedup_dask']:8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
