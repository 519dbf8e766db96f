"""Reference spectra for the template tests: templates, genuine candidates and hoaxes.

The GADRAS v19 reference spectra of ../shared/data/gamma/reference/hpge-fulcrum-40h
(ORTEC Fulcrum-40h HPGe, 24,000 channels of 0.125 keV, 1800 s, with a Livermore
background; see ../shared/data/INVENTORY.md) are each one Poisson realisation of an
item. Their counts, smoothed a little and integrated over the (drifted) channels by
:func:`~treatyverify.methods.template.align.drifted_expectation`, are taken as an item's
expected counts; a template and a candidate are independent Poisson draws of them, so a
genuine candidate differs from its template by counting statistics and the drift alone.
Hoaxes mix the expected counts of two reference items.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.template.align import drifted_expectation

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
HPGE = DATA / "reference" / "hpge-fulcrum-40h"
needs_reference = pytest.mark.skipif(
    not HPGE.is_dir(), reason=f"GADRAS reference spectra not present under {HPGE}"
)
LIVE_TIME_S = 1800.0
"""Live time of every reference spectrum (INVENTORY.md)."""


@dataclass(frozen=True)
class Counted:
    """The two fields :func:`compare_spectra` reads."""

    counts: NDArray[np.float64]
    live_time_s: float


@functools.cache
def reference(name: str) -> Spectrum:
    """The reference spectrum ``name`` (file stem, e.g. ``"Pu239_Unshielded"``)."""
    return load_spectrum(HPGE / f"{name}.txt")


@functools.cache
def expected(name: str, offset_channels: float = 0.0, gain_change: float = 0.0) -> NDArray:
    """Expected counts of the item ``name`` measured with the given drift."""
    values = drifted_expectation(
        reference(name).counts, offset_channels=offset_channels, gain_change=gain_change
    )
    values.setflags(write=False)
    return values


def mixed(parts: dict[str, float], offset_channels: float = 0.0) -> NDArray[np.float64]:
    """Expected counts of a hoax: ``sum(weight * expected(name))``."""
    total = np.zeros(reference(next(iter(parts))).n_channels)
    for name, weight in parts.items():
        total += weight * expected(name, offset_channels)
    return total


def draw(rate: NDArray[np.float64], rng: np.random.Generator, name: str = "drawn") -> Spectrum:
    """One Poisson spectrum of the expected counts ``rate``, calibrated as the references."""
    base = reference("Pu239_Unshielded")
    return Spectrum(
        counts=rng.poisson(rate).astype(np.float64),
        live_time_s=LIVE_TIME_S,
        real_time_s=LIVE_TIME_S,
        channel_edges_kev=base.channel_edges_kev,
        source=name,
    )
