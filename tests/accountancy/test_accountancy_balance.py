"""MUF, sigma-MUF and CUMUF against hand-computed variances."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.accountancy import (
    BalancePeriod,
    Batch,
    ErrorModel,
    Facility,
    InventoryChange,
    KeyMeasurementPoint,
    MaterialBalanceArea,
    MethodErrors,
    PhysicalInventory,
    default_error_model,
    material_balance,
)

MBA = MaterialBalanceArea("MBA", "test", (KeyMeasurementPoint("K", "flow"),))
MODEL = ErrorModel(
    methods=(
        MethodErrors(id="a", random_rsd=0.01, systematic_rsd=0.02, source="test"),
        MethodErrors(id="b", random_rsd=0.005, systematic_rsd=0.0, source="test"),
        MethodErrors(id="r", random_rsd=0.01, systematic_rsd=0.0, source="test"),
        MethodErrors(id="s", random_rsd=0.0, systematic_rsd=0.01, source="test"),
    )
)


def t(month: int, day: int = 1) -> datetime:
    return datetime(2025, month, day, tzinfo=UTC)


def item(name: str, mass_kg: float, method: str) -> Batch:
    return Batch(name, "Pu", mass_kg, "kg", (method,), "K")


def test_single_period_hand_example() -> None:
    # PB 100 kg (a), receipt 50 kg (a), shipment 30 kg (b), PE 120 kg (a).
    # MUF = 100 + 50 - 30 - 120 = 0 kg.
    # random:     (100*0.01)^2 + (50*0.01)^2 + (30*0.005)^2 + (120*0.01)^2
    #           = 1 + 0.25 + 0.0225 + 1.44 = 2.7125 kg^2
    # systematic: method a enters with +100 + 50 - 120 = 30 kg -> (30*0.02)^2 = 0.36 kg^2
    # total 3.0725 kg^2.
    period = BalancePeriod(
        "p1",
        t(1),
        t(2),
        (
            InventoryChange("receipt", t(1, 10), item("x", 50.0, "a")),
            InventoryChange("shipment", t(1, 20), item("y", 30.0, "b")),
        ),
    )
    facility = Facility(
        MBA,
        MODEL,
        (
            PhysicalInventory(t(1), (item("i0", 100.0, "a"),)),
            PhysicalInventory(t(2), (item("i1", 120.0, "a"),)),
        ),
        (period,),
    )
    result = material_balance(facility, "Pu")
    assert result.muf_kg[0] == pytest.approx(0.0)
    assert result.covariance_kg2[0, 0] == pytest.approx(3.0725)
    assert result.sigma_muf_kg[0] == pytest.approx(np.sqrt(3.0725))


def test_two_items_with_common_systematic_error() -> None:
    # Two receipts of 10 kg and 20 kg measured with method a (0.01 random, 0.02 systematic):
    # var = (10*0.01)^2 + (20*0.01)^2 + ((10+20)*0.02)^2 = 0.01 + 0.04 + 0.36 = 0.41 kg^2,
    # not 0.01 + 0.04 + (10*0.02)^2 + (20*0.02)^2 = 0.25 as if the systematic errors were
    # independent.
    period = BalancePeriod(
        "p1",
        t(1),
        t(2),
        (
            InventoryChange("receipt", t(1, 5), item("x1", 10.0, "a")),
            InventoryChange("receipt", t(1, 6), item("x2", 20.0, "a")),
        ),
    )
    facility = Facility(
        MBA, MODEL, (PhysicalInventory(t(1), ()), PhysicalInventory(t(2), ())), (period,)
    )
    result = material_balance(facility, "Pu")
    assert result.muf_kg[0] == pytest.approx(30.0)
    assert result.covariance_kg2[0, 0] == pytest.approx(0.41)


def two_periods(
    method: str, calibrations: dict[str, tuple[datetime, ...]] | None = None
) -> Facility:
    inventories = (
        PhysicalInventory(t(1), (item("i0", 100.0, method),)),
        PhysicalInventory(t(2), (item("i1", 80.0, method),)),
        PhysicalInventory(t(3), (item("i2", 90.0, method),)),
    )
    periods = (BalancePeriod("p1", t(1), t(2)), BalancePeriod("p2", t(2), t(3)))
    return Facility(MBA, MODEL, inventories, periods, calibrations or {})


def test_consecutive_mufs_are_negatively_correlated() -> None:
    # Random errors only (1 %): I0 = 100, I1 = 80, I2 = 90 kg.
    # MUF1 = I0 - I1, MUF2 = I1 - I2; I1 is one measurement, used in both.
    # var(MUF1) = 1^2 + 0.8^2 = 1.64, var(MUF2) = 0.8^2 + 0.9^2 = 1.45,
    # cov = -var(I1) = -0.64 kg^2; CUMUF2 = I0 - I2, var = 1 + 0.81 = 1.81 kg^2.
    result = material_balance(two_periods("r"), "Pu")
    np.testing.assert_allclose(result.muf_kg, [20.0, -10.0])
    np.testing.assert_allclose(result.covariance_kg2, [[1.64, -0.64], [-0.64, 1.45]])
    assert result.correlation[0, 1] == pytest.approx(-0.64 / np.sqrt(1.64 * 1.45))
    np.testing.assert_allclose(result.cumuf_kg, [20.0, 10.0])
    np.testing.assert_allclose(result.cumuf_variance_kg2, [1.64, 1.81])


def test_systematic_errors_follow_calibration_periods() -> None:
    # Systematic only (1 %). One calibration: MUF1 = (100 - 80)(1 + s) -> var 0.04,
    # MUF2 = -10 (1 + s) -> var 0.01, cov = 20 * -10 * 1e-4 = -0.02.
    one = material_balance(two_periods("s"), "Pu")
    np.testing.assert_allclose(one.covariance_kg2, [[0.04, -0.02], [-0.02, 0.01]])
    # Recalibrated at t(2): I0 has s0, I1 and I2 have s1.
    # MUF1 = 100 s0 - 80 s1: var = 1 + 0.64 = 1.64; MUF2 = (80 - 90) s1: var = 0.01;
    # cov = (-80)(-10) 1e-4 = 0.08.
    split = material_balance(two_periods("s", {"s": (t(2),)}), "Pu")
    np.testing.assert_allclose(split.covariance_kg2, [[1.64, 0.08], [0.08, 0.01]])


def test_element_must_be_present() -> None:
    with pytest.raises(InputError) as info:
        material_balance(two_periods("r"), "U")
    assert info.value.where == "element"


def test_default_itv_table_entries_cite_str368() -> None:
    # Only values confirmed from STR-368 may be shipped; each names its table.
    model = default_error_model()
    for method in model.methods:
        assert "STR-368" in method.source and "Table" in method.source


def test_treaty_parameters_override_the_error_model() -> None:
    params = {
        "a_systematic_rsd": 0.005,
        "new_method_random_rsd": 0.1,
        "new_method_systematic_rsd": 0.2,
        "min_mass_kg": 3,
    }
    model = MODEL.with_parameters(params, where="t.yaml: methods.x.parameters")
    assert model.get("a").systematic_rsd == 0.005
    assert model.get("a").random_rsd == 0.01
    assert model.get("new-method").systematic_rsd == 0.2
    with pytest.raises(InputError) as info:
        MODEL.with_parameters({"zz_random_rsd": 0.1}, where="w")
    assert info.value.where == "w.zz_systematic_rsd"
    with pytest.raises(InputError) as info:
        MODEL.with_parameters({"a_random_rsd": 1.5}, where="w")
    assert info.value.where == "w.a_random_rsd"
    with pytest.raises(UnknownNameError):
        MODEL.get("nope")
