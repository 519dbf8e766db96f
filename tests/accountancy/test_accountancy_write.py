"""A facility written to a file reads back to the same material balance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.accountancy import (
    abrupt,
    load_facility,
    material_balance,
    reprocessing_plant,
)
from treatyverify.methods.accountancy.io import write_facility


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_scenario_round_trips_through_a_file(tmp_path: Path, suffix: str) -> None:
    facility = reprocessing_plant(7, diversion_kg=abrupt(8.0, 5))
    path = write_facility(tmp_path / f"plant{suffix}", facility)
    again = load_facility(path)
    first, second = material_balance(facility, "Pu"), material_balance(again, "Pu")
    assert second.period_ids == first.period_ids
    np.testing.assert_allclose(second.muf_kg, first.muf_kg, rtol=0, atol=1e-9)
    np.testing.assert_allclose(second.covariance_kg2, first.covariance_kg2, rtol=1e-12)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="json"):
        write_facility(tmp_path / "plant.txt", reprocessing_plant(1))
    assert not (tmp_path / "plant.txt").exists()
