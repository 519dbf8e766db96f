"""Detection probabilities of the D statistic and of MUF - D against Monte Carlo; speed.

Three notional facility types (every number notional, chosen for the benchmark; the
method errors are NOT International Target Values):

- LEU fuel fabrication, ending inventory of UO2 powder drums and pellet trays;
- enrichment plant, ending inventory of UF6 product and feed cylinders;
- reprocessing plant, ending inventory of Pu oxide cans and Pu nitrate product batches.

For each, diversions hidden by partial, gross or bias defects, and a diversion into MUF
with nothing falsified. The library's formulas (:mod:`treatyverify.methods.accountancy.
dstatistic`) are compared with a Monte Carlo written here independently: every trial
draws the operator's measurement of every declared item (random and systematic errors),
a random sample of ``n`` of the ``N`` items, the inspector's measurement of the true
(possibly falsified) content, the rest of the balance, and computes D and MUF - D from
them. The figure of merit is the pull ``(MC - formula) / SE_MC``.

Speed: parsing 10,000 paired results and the whole evaluation
(:func:`verify_declarations`: D, its variance, the per-stratum D tests, the attribute
tests of every cell, MUF - D and the detection capability), median of ``--repeat``.

Run: ``.venv/bin/python benchmarks/accountancy_dstatistic.py [--trials 200000]
[--repeat 5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine
from treatyverify.methods.accountancy.dstatistic import (
    Falsification,
    d_detection_probability,
    d_statistic,
    muf_minus_d,
    muf_minus_d_detection_probability,
    verify_declarations,
)
from treatyverify.methods.accountancy.paired import parse_paired

ALPHA = 0.05
"""False-alarm probability of each test (notional choice for the benchmark)."""


@dataclass(frozen=True)
class StratumPlan:
    """One stratum: N items of mass m (kg), n verified, sign in the balance, method
    errors (operator random/systematic, inspector random/systematic)."""

    id: str
    items: int
    sample: int
    mass_kg: float
    sign: int
    operator: tuple[str, float, float]
    inspector: tuple[str, float, float]


@dataclass(frozen=True)
class Facility:
    name: str
    strata: tuple[StratumPlan, ...]
    sigma_other_kg: float  # the rest of the balance (receipts, shipments, hold-up), kg


FACILITIES = (
    Facility(
        "LEU fuel fabrication (U)",
        (
            StratumPlan("UO2 drums", 200, 30, 44.0, -1, ("drum-weighing", 0.002, 0.001),
                        ("nda-u-drum", 0.03, 0.01)),
            StratumPlan("pellet trays", 400, 40, 10.0, -1, ("tray-weighing", 0.002, 0.001),
                        ("da-u", 0.002, 0.001)),
        ),
        20.0,
    ),
    Facility(
        "enrichment plant (U)",
        (
            StratumPlan("UF6 product cylinders", 40, 10, 1500.0, -1,
                        ("cylinder-weighing", 0.0005, 0.0005), ("uf6-da", 0.001, 0.001)),
            StratumPlan("UF6 feed cylinders", 20, 5, 8500.0, -1,
                        ("cylinder-weighing", 0.0005, 0.0005), ("uf6-da", 0.001, 0.001)),
        ),
        60.0,
    ),
    Facility(
        "reprocessing product (Pu)",
        (
            StratumPlan("PuO2 cans", 100, 15, 2.5, -1, ("can-calorimetry", 0.002, 0.001),
                        ("pu-nda", 0.005, 0.003)),
            StratumPlan("Pu nitrate batches", 12, 4, 40.0, -1, ("tank-da", 0.002, 0.002),
                        ("pu-idms", 0.002, 0.002)),
        ),
        3.0,
    ),
)  # fmt: skip

CASES: dict[str, list[tuple[str, list[tuple[int, int, float]], float]]] = {
    # case name, [(stratum index, items falsified, fraction of each item)], extra into MUF kg
    "LEU fuel fabrication (U)": [
        ("partial defects: 10 drums, 50 %", [(0, 10, 0.5)], 0.0),
        ("gross defects: 3 drums emptied", [(0, 3, 1.0)], 0.0),
        ("bias defect: 0.4 % of every tray", [(1, 400, 0.004)], 0.0),
        ("into MUF: 60 kg U", [], 60.0),
    ],
    "enrichment plant (U)": [
        ("bias defect: 0.5 % of every feed cylinder", [(1, 20, 0.005)], 0.0),
        ("partial defects: 2 product cylinders, 10 %", [(0, 2, 0.10)], 0.0),
        ("into MUF: 150 kg U", [], 150.0),
    ],
    "reprocessing product (Pu)": [
        ("gross defects: 2 cans emptied", [(0, 2, 1.0)], 0.0),
        ("bias defect: 1 % of every nitrate batch", [(1, 12, 0.01)], 0.0),
        ("mixed: 1 can emptied + 4 kg into MUF", [(0, 1, 1.0)], 4.0),
        ("into MUF: 8 kg Pu", [], 8.0),
    ],
}


def paired_document(facility: Facility) -> dict[str, Any]:
    """Planning data: the verified items at their nominal masses."""
    methods: dict[str, dict[str, Any]] = {}
    results = []
    for s in facility.strata:
        for mid, sr, ss in (s.operator, s.inspector):
            methods[mid] = {"id": mid, "random_rsd": sr, "systematic_rsd": ss,
                            "source": "notional (benchmark)"}  # fmt: skip
        for k in range(s.sample):
            results.append(
                {
                    "item_id": f"{s.id}-{k}",
                    "stratum": s.id,
                    "method": s.inspector[0],
                    "unit": "kg",
                    "operator_value": s.mass_kg,
                    "inspector_value": s.mass_kg,
                    "period": "P1",
                }
            )
    return {
        "strata": [
            {
                "id": s.id,
                "items": s.items,
                "operator_method": s.operator[0],
                "balance_sign": s.sign,
                "declared_kg": s.items * s.mass_kg,
            }
            for s in facility.strata
        ],
        "methods": list(methods.values()),
        "results": results,
    }


def sigma_muf_kg(facility: Facility) -> float:
    """sigma-MUF from the operator's errors of every declared item and the rest."""
    variance = facility.sigma_other_kg**2
    groups: dict[str, tuple[float, float]] = {}
    for s in facility.strata:
        variance += s.items * s.mass_kg**2 * s.operator[1] ** 2
        total, ss = groups.get(s.operator[0], (0.0, s.operator[2]))
        groups[s.operator[0]] = (total + s.sign * s.items * s.mass_kg, ss)
    variance += sum((total * ss) ** 2 for total, ss in groups.values())
    return math.sqrt(variance)


def simulate(
    facility: Facility,
    falsified: list[tuple[int, int, float]],
    extra_kg: float,
    trials: int,
    seed: int,
    batch: int = 10_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Operator's MUF and D per trial, from the measurement model directly."""
    rng = np.random.default_rng(seed)
    fraction = {i: (r, f) for i, r, f in falsified}
    hidden = sum(r * f * facility.strata[i].mass_kg for i, r, f in falsified)
    muf_all, d_all = [], []
    done = 0
    while done < trials:
        size = min(batch, trials - done)
        op_sys = {s.operator[0]: rng.normal(0.0, s.operator[2], (size, 1)) for s in facility.strata}
        in_sys = {
            s.inspector[0]: rng.normal(0.0, s.inspector[2], (size, 1)) for s in facility.strata
        }
        muf = hidden + extra_kg + rng.normal(0.0, facility.sigma_other_kg, size)
        d = np.zeros(size)
        for i, s in enumerate(facility.strata):
            true = np.full(s.items, s.mass_kg)
            r, f = fraction.get(i, (0, 0.0))
            true[:r] *= 1.0 - f
            declared = s.mass_kg * (
                1.0 + rng.normal(0.0, s.operator[1], (size, s.items)) + op_sys[s.operator[0]]
            )
            muf += s.sign * (declared.sum(axis=1) - true.sum())
            picked = np.argsort(rng.random((size, s.items)), axis=1)[:, : s.sample]
            measured = true[picked] * (
                1.0 + rng.normal(0.0, s.inspector[1], (size, s.sample)) + in_sys[s.inspector[0]]
            )
            x = np.take_along_axis(declared, picked, axis=1)
            d += s.sign * (s.items / s.sample) * (x - measured).sum(axis=1)
        muf_all.append(muf)
        d_all.append(d)
        done += size
    return np.concatenate(muf_all), np.concatenate(d_all)


def detection_table(trials: int) -> list[dict[str, Any]]:
    rows = []
    z = float(stats.norm.isf(ALPHA))
    for f_index, facility in enumerate(FACILITIES):
        data, model = parse_paired(paired_document(facility))
        d = d_statistic(data, model)
        corrected = muf_minus_d(0.0, sigma_muf_kg(facility), d, ALPHA)
        for c_index, (case, falsified, extra) in enumerate(CASES[facility.name]):
            plan = [
                Falsification(facility.strata[i].id, r, f * facility.strata[i].mass_kg)
                for i, r, f in falsified
            ]
            loss = sum(p.hidden_kg for p in plan) + extra
            formula_d = d_detection_probability(d, plan, ALPHA)
            formula_c = muf_minus_d_detection_probability(corrected, d, loss, plan)
            muf, dd = simulate(facility, falsified, extra, trials, 1000 * f_index + c_index)
            for test, formula, alarms in (
                ("D", formula_d, dd < -z * d.sigma_kg),
                ("MUF - D", formula_c, muf - dd > z * corrected.sigma_kg),
            ):
                p = float(alarms.mean())
                se = math.sqrt(max(p * (1 - p), 1.0 / trials) / trials)
                rows.append(
                    {
                        "facility": facility.name,
                        "case": case,
                        "diverted_kg": round(loss, 3),
                        "test": test,
                        "sigma_kg": round(d.sigma_kg if test == "D" else corrected.sigma_kg, 3),
                        "formula": round(formula, 5),
                        "monte_carlo": round(p, 5),
                        "se": round(se, 5),
                        "pull": round((p - formula) / se, 2),
                    }
                )
    return rows


def speed(repeat: int) -> dict[str, Any]:
    """Parse and evaluate 10,000 paired items in 4 strata, 2 methods, 2 periods."""
    rng = np.random.default_rng(5)
    strata = [
        {"id": f"S{i}", "items": 20_000, "operator_method": "op", "balance_sign": -1}
        for i in range(4)
    ]
    results = [
        {
            "item_id": f"S{k % 4}-{k}",
            "stratum": f"S{k % 4}",
            "method": "nda" if k % 2 else "da",
            "unit": "kg",
            "operator_value": 10.0,
            "inspector_value": float(10.0 * (1 + rng.normal(0, 0.01))),
            "period": "P1" if k < 5000 else "P2",
        }
        for k in range(10_000)
    ]
    document = {
        "strata": strata,
        "methods": [
            {"id": "op", "random_rsd": 0.002, "systematic_rsd": 0.001, "source": "notional"},
            {"id": "nda", "random_rsd": 0.01, "systematic_rsd": 0.005, "source": "notional"},
            {"id": "da", "random_rsd": 0.002, "systematic_rsd": 0.001, "source": "notional"},
        ],
        "results": results,
    }
    parse_times, evaluate_times = [], []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        data, model = parse_paired(document)
        middle = time.perf_counter()
        verify_declarations(
            data, model, alpha=ALPHA, beta=0.2, goal_kg=75.0, muf_kg=0.0, sigma_muf_kg=500.0
        )
        end = time.perf_counter()
        parse_times.append(middle - start)
        evaluate_times.append(end - middle)
    return {
        "items": 10_000,
        "parse_s_median": round(statistics.median(parse_times[1:]), 4),
        "evaluate_s_median": round(statistics.median(evaluate_times[1:]), 4),
        "evaluate_s_first": round(evaluate_times[0], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = {
        "run": started,
        "machine": machine(numpy=np.__version__, scipy=scipy.__version__),
        "trials": args.trials,
        "alpha": ALPHA,
        "detection": detection_table(args.trials),
        "speed": speed(args.repeat),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"run {report['run']}, {report['machine']}")
    for row in report["detection"]:
        print(
            f"{row['facility']:28s} {row['case']:44s} {row['test']:8s} "
            f"formula {row['formula']:.4f} MC {row['monte_carlo']:.4f} +- {row['se']:.4f} "
            f"pull {row['pull']:+.2f}"
        )
    print(report["speed"])


if __name__ == "__main__":
    main()
