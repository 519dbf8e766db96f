"""Validation of the accountancy domain model: each bad input names its field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from treatyverify.errors import InputError
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
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 2, 1, tzinfo=UTC)
MID = datetime(2025, 1, 15, tzinfo=UTC)
MODEL = ErrorModel(
    methods=(MethodErrors(id="m", random_rsd=0.01, systematic_rsd=0.0, source="test"),)
)
MBA = MaterialBalanceArea("MBA", "test", (KeyMeasurementPoint("K", "flow"),))


def batch(**changes: object) -> Batch:
    fields: dict[str, object] = {
        "id": "b",
        "element": "Pu",
        "mass": 1.0,
        "unit": "kg",
        "methods": ("m",),
        "kmp": "K",
    }
    fields.update(changes)
    return Batch(**fields)  # type: ignore[arg-type]


def test_grams_are_converted_to_kg() -> None:
    assert batch(mass=1500.0, unit="g").mass_kg == pytest.approx(1.5)
    assert batch(mass=2.0, unit="kg").mass_kg == 2.0


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"mass": -0.1}, "mass"),
        ({"mass": float("nan")}, "mass"),
        ({"unit": "lb"}, "unit"),
        ({"unit": "t"}, "unit"),
        ({"element": "Xx"}, "element"),
        ({"methods": ()}, "method"),
    ],
)
def test_bad_batch_names_field(changes: dict[str, object], where: str) -> None:
    with pytest.raises(InputError) as info:
        batch(**changes)
    assert info.value.where == where


def test_change_outside_period_is_rejected() -> None:
    late = InventoryChange("receipt", datetime(2025, 3, 1, tzinfo=UTC), batch())
    with pytest.raises(InputError) as info:
        BalancePeriod("p", T0, T1, (InventoryChange("receipt", MID, batch()), late))
    assert info.value.where == "changes[1].time"


def test_naive_time_is_rejected() -> None:
    with pytest.raises(InputError) as info:
        PhysicalInventory(datetime(2025, 1, 1), ())
    assert info.value.where == "time"


def test_unknown_method_and_kmp_are_rejected() -> None:
    inv = (PhysicalInventory(T0, ()), PhysicalInventory(T1, ()))
    bad_method = BalancePeriod(
        "p", T0, T1, (InventoryChange("receipt", MID, batch(methods=("x",))),)
    )
    with pytest.raises(InputError) as info:
        Facility(MBA, MODEL, inv, (bad_method,))
    assert info.value.where == "periods[0].changes[0].method"
    bad_kmp = BalancePeriod("p", T0, T1, (InventoryChange("receipt", MID, batch(kmp="Z")),))
    with pytest.raises(InputError) as info:
        Facility(MBA, MODEL, inv, (bad_kmp,))
    assert info.value.where == "periods[0].changes[0].kmp"


def test_inventories_must_match_period_bounds() -> None:
    period = BalancePeriod("p", T0, T1)
    with pytest.raises(InputError) as info:
        Facility(MBA, MODEL, (PhysicalInventory(T0, ()),), (period,))
    assert info.value.where == "inventories"
    with pytest.raises(InputError) as info:
        Facility(MBA, MODEL, (PhysicalInventory(T0, ()), PhysicalInventory(MID, ())), (period,))
    assert info.value.where == "inventories[1].time"
