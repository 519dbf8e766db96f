"""Issue 20, part 5: the significant quantity follows the balance, the enrichment plant has
a U-235 account, ``evaluate`` reports the decision rule's detection probability, and bad
options are refused with one line naming what the user wrote."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.methods.accountancy import (
    abrupt,
    enrichment_plant,
    material_balance,
    protracted,
    reprocessing_plant,
)
from treatyverify.methods.accountancy.detection import (
    abrupt_loss_detection_probability,
    page_detection_probability,
)
from treatyverify.methods.accountancy.evaluation import (
    evaluate_campaign,
    goal_quantity_kg,
    significant_quantity_basis,
)
from treatyverify.methods.accountancy.sequential import page_threshold
from treatyverify.treaty import load_treaty
from treatyverify.treaty.models import SignificantQuantity

runner = CliRunner()

GLOSSARY_SQ = {
    "plutonium": (8.0, "Pu", None),
    "uranium-233": (8.0, "U", "U-233"),
    "heu": (25.0, "U", "U-235"),
    "leu": (75.0, "U", "U-235"),
    "natural-uranium": (10_000.0, "U", None),
    "depleted-uranium": (20_000.0, "U", None),
    "thorium": (20_000.0, "Th", None),
}
"""IAEA Safeguards Glossary (2001 and 2022 editions), para. 3.14, as tabulated by the
Nuclear Safeguards Education Portal (nsspi.tamu.edu, "Significant quantity"): 8 kg Pu;
8 kg U-233; 25 kg U-235 in HEU (U-235 >= 20 %); 75 kg U-235 in LEU, natural or depleted
U, or 10 t natural U, or 20 t depleted U; 20 t Th. (kg, element, isotope counted)."""


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ----------------------------------------------------------------------------- the SQ


@pytest.mark.parametrize("treaty", ["fmct", "warhead-dismantlement"])
def test_shipped_significant_quantities_are_the_glossary_values(treaty: str) -> None:
    spec = load_treaty(treaty)
    assert spec.significant_quantities
    for sq in spec.significant_quantities:
        kg, element, isotope = GLOSSARY_SQ[sq.material]
        assert sq.quantity_kg == kg
        assert significant_quantity_basis(sq, where=sq.material) == (element, isotope)


def test_the_goal_must_count_what_the_balance_counts() -> None:
    spec = load_treaty("fmct")
    year = enrichment_plant(0, measurement_errors=False)
    uranium = material_balance(year, "U")
    u235 = material_balance(year, "U", "U-235")
    heu, pu = spec.significant_quantity("heu"), spec.significant_quantity("plutonium")
    assert goal_quantity_kg(heu, u235, where="heu") == 25.0
    with pytest.raises(InputError, match="counts U-235 contained, but the balance counts"):
        goal_quantity_kg(heu, uranium, where="fmct: significant_quantities.heu")
    with pytest.raises(InputError, match="counts element Pu"):
        goal_quantity_kg(pu, uranium, where="fmct: significant_quantities.plutonium")


def test_a_basis_that_contradicts_the_material_is_refused() -> None:
    wrong = SignificantQuantity(
        material="heu", quantity_kg=25, basis="total element", source="a test"
    )
    with pytest.raises(InputError) as info:
        significant_quantity_basis(wrong, where="spec: significant_quantities.heu")
    assert info.value.where == "spec: significant_quantities.heu.basis"


# ----------------------------------------------------------------------------- U-235 account


def test_the_enrichment_plant_keeps_a_u235_account() -> None:
    # Feed 1000 t U/yr at 0.711 wt % U-235: 7110 kg U-235 a year in receipts. A diversion
    # taken from product and tails in proportion carries the feed assay: 1200 kg U over
    # months 4-9 is 200 kg U a month, 1.422 kg U-235 a month.
    year = enrichment_plant(0, diversion_kg=protracted(1200.0, 3, 8), measurement_errors=False)
    u235 = material_balance(year, "U", "U-235")
    assert u235.receipts_kg.sum() == pytest.approx(7110.0)
    expected = np.array([0.0] * 3 + [1.422] * 6 + [0.0] * 3)
    np.testing.assert_allclose(u235.muf_kg, expected, atol=1e-9)
    np.testing.assert_allclose(material_balance(year, "U").muf_kg, expected / 0.00711, atol=1e-6)


def test_u235_sigma_muf_matches_simulation() -> None:
    # 400 simulated years: the variance of MUF_1 of the U-235 account against the
    # propagated one. (m - 1) s^2 / sigma^2 is chi-square with m - 1 d.o.f.; the
    # two-sided 0.1 % quantiles bound it (seeds fixed).
    m = 400
    exact = material_balance(enrichment_plant(0, measurement_errors=False), "U", "U-235")
    rng = np.random.default_rng(20261208)
    first = np.array(
        [material_balance(enrichment_plant(rng), "U", "U-235").muf_kg[0] for _ in range(m)]
    )
    ratio = (m - 1) * first.var(ddof=1) / exact.covariance_kg2[0, 0]
    assert stats.chi2.ppf(0.0005, m - 1) < ratio < stats.chi2.ppf(0.9995, m - 1)


# ----------------------------------------------------------------------------- decision rule


def independent_page_alarm_rate(
    loss_kg: np.ndarray, cov: np.ndarray, k: float, h: float, trials: int, seed: int
) -> tuple[float, float]:
    """Monte Carlo of the decision rule written from its definition: MUF ~ N(loss, cov)
    by numpy's eigen-decomposition sampler, SITMUF by solving the regression of each MUF
    on the earlier ones, Page's CUSUM by an explicit loop."""
    rng = np.random.default_rng(seed)
    muf = rng.multivariate_normal(loss_kg, cov, size=trials, method="eigh")
    n = loss_kg.size
    x = np.empty_like(muf)
    for i in range(n):
        if i == 0:
            x[:, 0] = muf[:, 0] / np.sqrt(cov[0, 0])
            continue
        beta = np.linalg.solve(cov[:i, :i], cov[:i, i])
        conditional_var = cov[i, i] - cov[:i, i] @ beta
        x[:, i] = (muf[:, i] - muf[:, :i] @ beta) / np.sqrt(conditional_var)
    s = np.zeros(trials)
    alarm = np.zeros(trials, dtype=bool)
    for i in range(n):
        s = np.maximum(0.0, s + x[:, i] - k)
        alarm |= s > h
    p = float(alarm.mean())
    return p, float(np.sqrt(p * (1 - p) / trials))


@pytest.mark.parametrize("period", [0, 5, 11])
def test_decision_rule_detection_matches_an_independent_monte_carlo(period: int) -> None:
    balance = material_balance(reprocessing_plant(0, measurement_errors=False), "Pu")
    h = page_threshold(0.05, 12, k=0.5)
    loss = np.array(abrupt(8.0, period))
    exact = page_detection_probability(loss, balance.covariance_kg2, k=0.5, h=h)
    mc, se = independent_page_alarm_rate(loss, balance.covariance_kg2, 0.5, h, 200_000, period)
    assert abs(exact - mc) < 4.5 * se


def test_without_loss_the_decision_rule_alarms_at_the_campaign_alpha() -> None:
    balance = material_balance(reprocessing_plant(1), "Pu")
    h = page_threshold(0.05, 12, k=0.5)
    zero = np.zeros(12)
    assert page_detection_probability(zero, balance.covariance_kg2, k=0.5, h=h) == (
        pytest.approx(0.05, abs=1e-8)
    )


def test_evaluate_reports_the_decision_rule_for_every_period_of_loss() -> None:
    balance = material_balance(reprocessing_plant(0, measurement_errors=False), "Pu")
    result = evaluate_campaign(balance, false_alarm_probability=0.05, significant_quantity_kg=8.0)
    h = page_threshold(0.05, 12, k=0.5)
    assert len(result.sq_detection) == 12
    for j, value in enumerate(result.sq_detection):
        loss = np.array(abrupt(8.0, j))
        assert value == pytest.approx(
            page_detection_probability(loss, balance.covariance_kg2, k=0.5, h=h)
        )
    # not the single-month test at 5 % per month (0.68 for the first month here)
    single = abrupt_loss_detection_probability(8.0, float(balance.sigma_muf_kg[0]), 0.05)
    assert single == pytest.approx(0.68, abs=0.01)
    assert result.sq_detection[0] < 0.1
    by_period = result.summary()["by_period"]
    assert [p["sq_detection"] for p in by_period] == [round(v, 4) for v in result.sq_detection]


# ----------------------------------------------------------------------------- CLI


def test_the_heu_method_evaluates_the_enrichment_scenario(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    code, _out, err = run("accountancy", "scenario", "enrichment", "--out", str(year))
    assert code == 0, err
    code, out, err = run(
        "accountancy", "evaluate", str(year), "--method", "heu-mass-balance", "--json"
    )
    assert code == 0, err
    found = json.loads(out)
    assert (found["element"], found["isotope"]) == ("U", "U-235")
    assert found["significant_quantity"] == {
        "material": "heu",
        "quantity_kg": 25,
        "basis": "U-235 contained",
    }
    assert len([p["sq_detection"] for p in found["by_period"]]) == 12
    assert found["sq_detection"]["false_alarm_probability"] == 0.05


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--method", "heu-mass-balance", "--element", "U"), "--element"),
        (("--element", "U"), "--element"),
        (("--element", "U", "--isotope", "U-235"), "--element"),
        (("--method", "heu-mass-balance", "--element", "U", "--isotope", "U-238"), "--isotope"),
        (("--isotope", "U-235"), "--isotope"),
    ],
)
def test_a_balance_the_method_does_not_count_is_refused(
    tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    year = tmp_path / "plant.json"
    assert run("accountancy", "scenario", "enrichment", "--out", str(year))[0] == 0
    code, out, err = run("accountancy", "evaluate", str(year), *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {option}: ")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--divert", "nan"), "--divert"),
        (("--divert", "inf"), "--divert"),
        (("--divert", "-1"), "--divert"),
        (("--divert", "700"), "--divert"),  # more than a month's 666.7 kg Pu receipts
        (("--month", "3"), "--month"),
        (("--divert", "0", "--month", "3"), "--month"),
        (("--divert", "8", "--protracted", "--month", "3"), "--month"),
        (("--protracted",), "--protracted"),
        (("--divert", "8", "--month", "13"), "--month"),
    ],
)
def test_bad_scenario_options_are_one_line_and_nothing_is_written(
    tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    year = tmp_path / "plant.json"
    code, out, err = run("accountancy", "scenario", "reprocessing", "--out", str(year), *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {option}: ")
    assert not year.exists()


def test_a_facility_without_the_methods_material_names_the_file(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    assert run("accountancy", "scenario", "enrichment", "--out", str(year))[0] == 0
    code, _out, err = run("accountancy", "evaluate", str(year))
    assert code == 2 and err.count("\n") == 1
    assert "plant.json: no batch of Pu" in err and "pu-mass-balance" in err


def test_the_default_month_of_an_abrupt_diversion_is_six(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    assert (
        run("accountancy", "scenario", "reprocessing", "--out", str(year), "--divert", "40")[0] == 0
    )
    found = json.loads(run("accountancy", "evaluate", str(year), "--json")[1])
    assert found["page"]["alarm_period"] == 6


def test_a_singular_balance_names_the_file_not_a_parameter(tmp_path: Path) -> None:
    # one period, no transfer, an inventory with zero error: sigma-MUF is 0
    year = tmp_path / "flat.json"
    item = {"id": "V1", "element": "Pu", "mass": 10.0, "unit": "kg", "method": "m", "kmp": "K"}
    year.write_text(
        json.dumps(
            {
                "mba": {"id": "M", "name": "m", "kmps": [{"id": "K", "kind": "inventory"}]},
                "methods": [{"id": "m", "random_rsd": 0, "systematic_rsd": 0, "source": "t"}],
                "inventories": [
                    {"time": "2025-01-01T00:00:00Z", "items": [item]},
                    {"time": "2025-02-01T00:00:00Z", "items": [item]},
                ],
                "periods": [
                    {
                        "id": "2025-01",
                        "start": "2025-01-01T00:00:00Z",
                        "end": "2025-02-01T00:00:00Z",
                        "changes": [],
                    }
                ],
            }
        )
    )
    code, _out, err = run("accountancy", "evaluate", str(year))
    assert code == 2 and err.count("\n") == 1
    assert "flat.json: " in err and "covariance_kg2" not in err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("detect", "--sites", "10", "--inspections", "20", "--violations", "2"), "--inspections"),
        (("detect", "--sites", "10", "--inspections", "2", "--violations", "20"), "--violations"),
        (("detect", "--sites", "0", "--inspections", "0", "--violations", "0"), "--sites"),
        (("plan", "--items", "10", "--item-mass", "nan", "--goal", "8", "--beta", "0.1"),
         "--item-mass"),
        (("plan", "--items", "2", "--item-mass", "1", "--goal", "8", "--beta", "0.1"), "--goal"),
        (("plan", "--items", "2", "--item-mass", "1", "--treaty", "fmct"), "--items"),
        (("plan", "--items", "9", "--item-mass", "1", "--goal", "8", "--beta", "1"), "--beta"),
    ],
)  # fmt: skip
def test_sampling_errors_name_the_option(args: tuple[str, ...], option: str) -> None:
    code, out, err = run("sampling", *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {option}: ")
