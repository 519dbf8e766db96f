"""The D statistic and MUF - D: hand-computed cases, exact hypergeometric, Monte Carlo."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.dstatistic import (
    Falsification,
    d_detection_probability,
    d_sigma_kg,
    d_statistic,
    d_test,
    muf_minus_d,
    muf_minus_d_detection_probability,
    variables_sample_size,
    verify_declarations,
)
from treatyverify.methods.accountancy.measurement_errors import MethodErrors
from treatyverify.methods.accountancy.paired import parse_paired


def _method(mid: str, sr: float, ss: float) -> dict[str, Any]:
    return {"id": mid, "random_rsd": sr, "systematic_rsd": ss, "source": "notional (test)"}


def _pair(item: str, stratum: str, x: float, y: float, period: str = "P1") -> dict[str, Any]:
    return {
        "item_id": item,
        "stratum": stratum,
        "method": "insp",
        "unit": "kg",
        "operator_value": x,
        "inspector_value": y,
        "period": period,
    }


def _one_stratum(sign: int) -> Any:
    return parse_paired(
        {
            "strata": [{"id": "A", "items": 10, "operator_method": "op", "balance_sign": sign}],
            "methods": [_method("op", 0.01, 0.005), _method("insp", 0.02, 0.01)],
            "results": [_pair("a1", "A", 5.0, 4.9), _pair("a2", "A", 5.0, 5.0)],
        }
    )


@pytest.mark.parametrize("sign", [1, -1])
def test_one_stratum_by_hand(sign: int) -> None:
    data, model = _one_stratum(sign)
    d = d_statistic(data, model)
    # D = c (10 / 2) (0.1 + 0) = 0.5 c kg
    assert d.d_kg == pytest.approx(0.5 * sign, abs=1e-12)
    # random: 2 items x (5 x 5)^2 x (0.01^2 + 0.02^2) = 2 x 625 x 0.0005 = 0.625 kg^2
    assert d.random_variance_kg2 == pytest.approx(0.625, rel=1e-12)
    # systematic: (sum w x = 50)^2 (0.005^2 + 0.01^2) = 2500 x 1.25e-4 = 0.3125 kg^2
    assert d.systematic_variance_kg2 == pytest.approx(0.3125, rel=1e-12)
    # textbook: N^2 m^2 [sr^2/n + ss^2] = 2500 (0.00025 + 0.000125) = 0.9375
    op, insp = model.get("op"), model.get("insp")
    assert d_sigma_kg(10, 2, 5.0, op, insp) ** 2 == pytest.approx(0.9375, rel=1e-12)
    assert d.variance_kg2 == pytest.approx(0.9375, rel=1e-12)
    # Cov(MUF, D): random sum w x^2 sr_op^2 = 2 x 5 x 25 x 1e-4 = 0.025;
    # systematic ss_op^2 (sum c w x)(c T) = 2.5e-5 x 50 x 50 = 0.0625; total 0.0875
    assert d.muf_covariance_kg2 == pytest.approx(0.0875, rel=1e-12)
    # MUF = 1 kg, sigma-MUF = 2 kg: Var(MUF - D) = 4 + 0.9375 - 2 x 0.0875 = 4.7625
    corrected = muf_minus_d(1.0, 2.0, d, 0.05)
    assert corrected.value_kg == pytest.approx(1.0 - 0.5 * sign)
    assert corrected.variance_kg2 == pytest.approx(4.7625, rel=1e-12)
    assert corrected.threshold_kg == pytest.approx(1.6448536 * math.sqrt(4.7625), rel=1e-6)
    test = d_test(d, 0.05)
    assert test.threshold_kg == pytest.approx(-1.6448536 * math.sqrt(0.9375), rel=1e-6)
    assert not test.alarm


def test_a_systematic_error_shared_by_two_strata_adds_its_cross_term() -> None:
    # Strata A (N = 10, n = 2, 5 kg, sign -1) and B (N = 6, n = 3, 2 kg, sign +1), same
    # inspector method and period, different operator methods.
    data, model = parse_paired(
        {
            "strata": [
                {"id": "A", "items": 10, "operator_method": "opa", "balance_sign": -1},
                {"id": "B", "items": 6, "operator_method": "opb", "balance_sign": 1},
            ],
            "methods": [
                _method("opa", 0.0, 0.0),
                _method("opb", 0.0, 0.0),
                _method("insp", 0.0, 0.01),
            ],
            "results": [
                _pair("a1", "A", 5.0, 5.0),
                _pair("a2", "A", 5.0, 5.0),
                _pair("b1", "B", 2.0, 2.0),
                _pair("b2", "B", 2.0, 2.0),
                _pair("b3", "B", 2.0, 2.0),
            ],
        }
    )
    d = d_statistic(data, model)
    # sum c w x: A gives -5 x 10 = -50, B gives +2 x 6 = +12: (-38)^2 x 1e-4 = 0.1444
    assert d.systematic_variance_kg2 == pytest.approx(0.1444, rel=1e-12)
    assert d.stratum("A").systematic_variance_kg2 == pytest.approx(0.25, rel=1e-12)
    assert d.stratum("B").systematic_variance_kg2 == pytest.approx(0.0144, rel=1e-12)
    # in two inspection periods the groups separate: 0.25 + 0.0144
    separate = parse_paired(
        data.model_dump()
        | {
            "results": [
                r.model_dump() | {"period": "P2" if r.stratum == "B" else "P1"}
                for r in data.results
            ]
        }
    )
    assert d_statistic(*separate).systematic_variance_kg2 == pytest.approx(0.2644, rel=1e-12)


def test_with_negligible_errors_detection_is_the_hypergeometric_probability() -> None:
    # 5 of 80 items emptied (20 kg each), 12 verified; errors 1e-9: the D test alarms
    # surely when a falsified item is in the sample, else with its false-alarm
    # probability: PD = 1 - p0 (1 - alpha), p0 = C(75, 12) / C(80, 12) = 0.43362.
    results = [_pair(f"i{k}", "A", 20.0, 20.0) for k in range(12)]
    data, model = parse_paired(
        {
            "strata": [{"id": "A", "items": 80, "operator_method": "op", "balance_sign": -1}],
            "methods": [_method("op", 1e-9, 0.0), _method("insp", 1e-9, 0.0)],
            "results": results,
        }
    )
    d = d_statistic(data, model)
    pd = d_detection_probability(d, [Falsification("A", 5, 20.0)], 0.05)
    p0 = stats.hypergeom.pmf(0, 80, 5, 12)
    assert p0 == pytest.approx(math.comb(75, 12) / math.comb(80, 12), rel=1e-12)
    assert pd == pytest.approx(1.0 - p0 * 0.95, abs=1e-9)
    # a bias defect on every item is in every sample: Phi(M / sigma_D - z)
    bias = d_detection_probability(d, [Falsification("A", 80, 1e-7)], 0.05)
    assert bias == pytest.approx(stats.norm.cdf(80e-7 / d.sigma_kg - stats.norm.isf(0.05)))


def test_variables_sample_size_by_hand() -> None:
    # N = 100 items of 10 kg, alpha = beta = 0.05: z sum 3.28971; goal 3.28971 x 10 kg
    # -> budget sigma_D^2 = 100 kg^2. (N m)^2 = 1e6; ss^2 = 2e-5 -> 20; sr^2 = 4e-4 ->
    # 400: n >= 400 / (100 - 20) = 5.
    z = 2 * stats.norm.isf(0.05)
    op = MethodErrors(
        id="op", random_rsd=math.sqrt(2e-4), systematic_rsd=math.sqrt(1e-5), source="notional"
    )
    insp = MethodErrors(
        id="in", random_rsd=math.sqrt(2e-4), systematic_rsd=math.sqrt(1e-5), source="notional"
    )
    n = variables_sample_size(100, 10.0, z * 10.0, 0.05, 0.05, op, insp)
    assert n == 5
    assert d_sigma_kg(100, 5, 10.0, op, insp) == pytest.approx(10.0)
    big = MethodErrors(id="in", random_rsd=0.01, systematic_rsd=0.0104, source="notional")
    with pytest.raises(InputError, match="no sample suffices"):
        variables_sample_size(100, 10.0, z * 10.0, 0.05, 0.05, op, big)


# ----------------------------------------------------------------------------- Monte Carlo

N_ITEMS, SAMPLE, MASS = 60, 15, 4.0
SRO, SSO, SRI, SSI = 0.01, 0.005, 0.03, 0.01
SIGMA_OTHER = 1.5  # the rest of the balance, kg


def _planning_data() -> Any:
    return parse_paired(
        {
            "strata": [{"id": "A", "items": N_ITEMS, "operator_method": "op", "balance_sign": -1}],
            "methods": [_method("op", SRO, SSO), _method("insp", SRI, SSI)],
            "results": [_pair(f"i{k}", "A", MASS, MASS) for k in range(SAMPLE)],
        }
    )


def _simulate(
    falsified: int, fraction: float, extra_loss: float, trials: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Operator's MUF and D of an ending-inventory stratum, exact multiplicative model.

    ``falsified`` items (the first ones) hold ``(1 - fraction)`` of their declared
    content; ``extra_loss`` kg more is diverted into MUF.
    """
    rng = np.random.default_rng(seed)
    true = np.full(N_ITEMS, MASS)
    true[:falsified] *= 1.0 - fraction
    so = rng.normal(0.0, SSO, (trials, 1))
    declared = MASS * (1.0 + rng.normal(0.0, SRO, (trials, N_ITEMS)) + so)
    hidden = float(np.sum(MASS - true))
    loss = hidden + extra_loss
    # MUF = ... - PE; the operator's PE is the declared total, the true one sum(true)
    muf = loss + rng.normal(0.0, SIGMA_OTHER, trials) - (declared.sum(axis=1) - true.sum())
    picked = np.argsort(rng.random((trials, N_ITEMS)), axis=1)[:, :SAMPLE]
    si = rng.normal(0.0, SSI, (trials, 1))
    measured = true[picked] * (1.0 + rng.normal(0.0, SRI, (trials, SAMPLE)) + si)
    x = np.take_along_axis(declared, picked, axis=1)
    d = -1.0 * (N_ITEMS / SAMPLE) * np.sum(x - measured, axis=1)
    return muf, d


def test_variance_and_covariance_against_monte_carlo() -> None:
    data, model = _planning_data()
    d = d_statistic(data, model)
    sigma_muf = math.sqrt(SIGMA_OTHER**2 + N_ITEMS * MASS**2 * SRO**2 + (N_ITEMS * MASS * SSO) ** 2)
    corrected = muf_minus_d(0.0, sigma_muf, d, 0.05)
    trials = 200_000
    muf, dd = _simulate(0, 0.0, 0.0, trials, 7)
    cov = np.cov(np.vstack([muf, dd]))
    # sample variance has relative standard error sqrt(2 / m) = 0.32 %
    tolerance = 4 * math.sqrt(2 / trials)
    assert cov[1, 1] == pytest.approx(d.variance_kg2, rel=tolerance)
    assert cov[0, 0] == pytest.approx(sigma_muf**2, rel=tolerance)
    assert np.var(muf - dd, ddof=1) == pytest.approx(corrected.variance_kg2, rel=tolerance)
    # the covariance's standard error: sqrt((s11 s22 + s12^2) / m)
    se = math.sqrt((cov[0, 0] * cov[1, 1] + cov[0, 1] ** 2) / trials)
    assert abs(cov[0, 1] - d.muf_covariance_kg2) < 4 * se


@pytest.mark.parametrize(
    ("falsified", "fraction", "extra"),
    [
        (6, 0.5, 0.0),  # partial defects hide 12 kg
        (2, 1.0, 0.0),  # gross defects: 2 empty items hide 8 kg
        (60, 0.04, 0.0),  # bias defect: 4 % of every item, 9.6 kg
        (0, 0.0, 8.0),  # 8 kg into MUF, nothing falsified
    ],
)
def test_detection_probabilities_against_monte_carlo(
    falsified: int, fraction: float, extra: float
) -> None:
    data, model = _planning_data()
    d = d_statistic(data, model)
    sigma_muf = math.sqrt(SIGMA_OTHER**2 + N_ITEMS * MASS**2 * SRO**2 + (N_ITEMS * MASS * SSO) ** 2)
    alpha = 0.05
    corrected = muf_minus_d(0.0, sigma_muf, d, alpha)
    plan = [Falsification("A", falsified, MASS * fraction)] if falsified else []
    loss = falsified * MASS * fraction + extra
    pd_d = d_detection_probability(d, plan, alpha)
    pd_corrected = muf_minus_d_detection_probability(corrected, d, loss, plan)
    trials = 100_000
    muf, dd = _simulate(falsified, fraction, extra, trials, 11 + falsified)
    z = stats.norm.isf(alpha)
    for simulated, formula in (
        ((dd < -z * d.sigma_kg).mean(), pd_d),
        ((muf - dd > z * corrected.sigma_kg).mean(), pd_corrected),
    ):
        se = math.sqrt(max(formula * (1 - formula), 1e-4) / trials)
        assert abs(simulated - formula) < 4 * se, (simulated, formula)
    if not falsified:
        assert pd_d == pytest.approx(alpha)


def test_an_unverified_stratum_makes_the_decision_inconclusive() -> None:
    data, model = parse_paired(
        {
            "strata": [
                {"id": "A", "items": 10, "operator_method": "op", "balance_sign": -1},
                {"id": "B", "items": 10, "operator_method": "op", "balance_sign": -1},
            ],
            "methods": [_method("op", 0.002, 0.001), _method("insp", 0.002, 0.001)],
            "results": [_pair(f"a{k}", "A", 5.0, 5.0) for k in range(10)],
        }
    )
    result = verify_declarations(data, model, alpha=0.05, beta=0.2, goal_kg=8.0)
    assert result.decision == "inconclusive"
    assert any("not verified: B" in reason for reason in result.reasons)
    # all ten items of A verified: an 8 kg goal (2 emptied items) cannot be missed
    assert result.capability["A, gross defects"] == pytest.approx(1.0)
    with pytest.raises(InputError, match="beta"):
        verify_declarations(data, model, alpha=0.05, goal_kg=8.0)
