"""The Spectrum model: validation, derived quantities, and a repr without counts."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.spectrum import Spectrum


def _spectrum(**changes: object) -> Spectrum:
    fields: dict[str, object] = {
        "counts": np.array([0.0, 4.0, 9.0, 16.0, 1.0]),
        "live_time_s": 2.0,
        "real_time_s": 2.5,
        "channel_edges_kev": np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        "source": "synthetic.n42",
    }
    fields.update(changes)
    return Spectrum(**fields)  # type: ignore[arg-type]


def test_derived_quantities() -> None:
    s = _spectrum()
    assert s.n_channels == 5
    assert s.calibrated
    np.testing.assert_allclose(s.energies_kev, [0.5, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(s.uncertainties, [1.0, 2.0, 3.0, 4.0, 1.0])  # zero → 1
    np.testing.assert_allclose(s.count_rate, [0.0, 2.0, 4.5, 8.0, 0.5])
    assert s.total_counts == 30.0


def test_immutable_and_copied() -> None:
    counts = np.array([1.0, 2.0])
    s = _spectrum(counts=counts, channel_edges_kev=None)
    counts[0] = 99.0
    assert s.counts[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        s.counts[0] = 5.0
    with pytest.raises(AttributeError):
        s.live_time_s = 3.0  # type: ignore[misc]


def test_repr_never_shows_counts() -> None:
    s = _spectrum(counts=np.array([123456.0, 654321.0]), channel_edges_kev=None)
    text = repr(s)
    assert "synthetic.n42" in text and "n_channels=2" in text and "live_time_s=2" in text
    assert "123456" not in text and "654321" not in text


def test_uncalibrated_energies_raise_naming_source() -> None:
    s = _spectrum(channel_edges_kev=None)
    assert not s.calibrated
    with pytest.raises(InputError, match="not energy-calibrated") as info:
        _ = s.energies_kev
    assert info.value.where == "synthetic.n42"


def test_rebinned_keeps_counts_and_edges() -> None:
    s = _spectrum()
    r = s.rebinned(2)
    np.testing.assert_allclose(r.counts, [4.0, 25.0, 1.0])
    np.testing.assert_allclose(r.channel_edges_kev, [0.0, 2.0, 4.0, 5.0])  # type: ignore[arg-type]
    assert r.live_time_s == s.live_time_s and r.total_counts == s.total_counts
    assert s.rebinned(1).n_channels == 5
    with pytest.raises(InputError):
        s.rebinned(0)


def test_with_calibration() -> None:
    s = _spectrum(channel_edges_kev=None)
    c = s.with_calibration([0.0, 2.0, 4.0, 6.0, 8.0, 10.0])
    assert c.calibrated and not s.calibrated
    assert not c.with_calibration(None).calibrated
    with pytest.raises(InputError, match="channel edges"):
        s.with_calibration([0.0, 1.0])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"counts": np.array([1.0, -1.0, 0.0, 0.0, 0.0])}, "negative"),
        ({"counts": np.array([1.0, math.nan, 0.0, 0.0, 0.0])}, "NaN"),
        ({"counts": np.array([])}, "no channels"),
        ({"counts": np.ones((2, 3))}, "one-dimensional"),
        ({"live_time_s": 0.0}, "live time"),
        ({"live_time_s": math.inf}, "live time"),
        ({"live_time_s": 3.0}, "not be longer than real time"),
        ({"real_time_s": math.nan, "live_time_s": 1.0}, "real time"),
        ({"channel_edges_kev": np.array([0.0, 1.0, 2.0])}, "channels plus one"),
        ({"channel_edges_kev": np.array([0.0, 1.0, 1.0, 3.0, 4.0, 5.0])}, "strictly increasing"),
        ({"start_time": datetime(2020, 1, 1)}, "timezone-aware"),
    ],
)
def test_validation_names_source(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        _spectrum(**changes)
    assert info.value.where == "synthetic.n42"
    assert "\n" not in str(info.value)


def test_aware_start_time_accepted() -> None:
    t = datetime(2020, 1, 1, tzinfo=UTC)
    assert _spectrum(start_time=t).start_time == t
