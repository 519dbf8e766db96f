"""Is a nuclide there? A pattern of its lines, not one peak that something else may fake.

An isotopic attribute first asks whether the nuclide it measures is in the spectrum:
the Pu-240/Pu-239 and age attributes need Pu-239, the enrichment attribute needs
uranium. One peak is not enough: Ra-226 at 186.2 keV sits on U-235's 185.7 keV line,
Ac-228 at 129.1 keV beside Pu-239's 129.3 keV, Pa-233 (Np-237's daughter) at 375.4 keV
on Pu-239's 375.1 keV and at 340.5 and 415.8 keV beside its 345.0 and 413.7 keV. So
each signature is a set of lines of the nuclide spread over energy, and each line is
fitted in a region of :data:`REGION_HALF_WIDTH_FWHM` around it together with every
line whose peak reaches that region: the element's own lines, and the strong lines
(:data:`NEIGHBOUR_MIN_PROBABILITY`) of the nuclides that interfere with it
(:func:`~treatyverify.methods.gamma.isotopic_lines.interference_lines`); Gaussians
held at their energies and the measurement's resolution on a straight background,
Poisson fit (:func:`~treatyverify.methods.gamma.line_areas.fit_fixed_lines`). A line
with an interfering line closer than :data:`COINCIDENT_FWHM` cannot be told from it
and does not count. A line's uncertainty is scaled by the fit's dispersion when above
one and includes :data:`NEIGHBOUR_SHAPE_FRACTION` of the areas of the lines within
:data:`SPILL_FWHM`, which fixed Gaussians may misplace. The nuclide is *seen* when at
least :attr:`Signature.min_lines` of the usable lines stand individually above
:data:`LINE_MIN_SIGMA` *and* their summed area reaches the treaty's
``min_signature_sigma``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from treatyverify.errors import InputError
from treatyverify.methods.gamma.isotopic_lines import interference_lines, item_lines
from treatyverify.methods.gamma.line_areas import fit_fixed_lines
from treatyverify.methods.gamma.measurement import GammaMeasurement

__all__ = [
    "COINCIDENT_FWHM",
    "LINE_MIN_SIGMA",
    "NEIGHBOUR_MIN_PROBABILITY",
    "NEIGHBOUR_SHAPE_FRACTION",
    "REGION_HALF_WIDTH_FWHM",
    "SIGNATURES",
    "SPILL_FWHM",
    "Signature",
    "SignatureResult",
    "signature",
]

LINE_MIN_SIGMA = 3.0
"""A signature line counts as seen at this many standard deviations (the usual
three-sigma criterion for a peak to be reported as present)."""

NEIGHBOUR_MIN_PROBABILITY = 0.005
"""Interfering lines emitted in at least this fraction of decays are fitted beside a
signature line (weaker ones cannot fake a line of a nuclide as active as an item's)."""

REGION_HALF_WIDTH_FWHM = 5.0
"""Half-width of the region fitted around a signature line (FWHM); every line of the
element or strong interfering line whose peak reaches it is fitted too."""

SPILL_FWHM = 2.0
"""Neighbours this close (FWHM) may spill part of their area onto the line."""

COINCIDENT_FWHM = 0.5
"""A neighbour closer than this many FWHM makes a signature line unusable."""

NEIGHBOUR_SHAPE_FRACTION = 0.02
"""Fraction of a neighbour's area that a fixed Gaussian may put on the signature line
(tails, a calibration a fraction of a channel off)."""


@dataclass(frozen=True)
class Signature:
    """The lines that show a nuclide.

    Attributes
    ----------
    element
        ``"U"`` or ``"Pu"``: whose interfering nuclides are fitted beside the lines.
    energies_kev
        Line energies (keV), DDEP via ``gamma_lines.yaml``.
    min_lines
        How many of them must be seen.
    """

    element: str
    energies_kev: tuple[float, ...]
    min_lines: int


SIGNATURES: dict[str, Signature] = {
    # 129.3, 203.5, 345.0, 375.1, 413.7 and 451.5 keV: the strongest Pu-239 lines above
    # its K X-rays, from 129 to 451 keV; any three.
    # (129.3 and 375.1 keV lie on Ac-228's and Pa-233's lines and never count.)
    "Pu-239": Signature("Pu", (129.296, 203.550, 345.014, 375.054, 413.713, 451.481), 3),
    # 143.8, 163.4 and 205.3 keV, leaving out 185.7 keV under Ra-226's 186.2 keV; two.
    "U-235": Signature("U", (143.767, 163.356, 205.316), 2),
    # Pa-234m, in equilibrium with U-238: 1001.0 and 766.4 keV (Pu-238 also has a
    # 766.4 keV line, so both are needed).
    "U-238": Signature("U", (766.361, 1001.026), 2),
}
"""Signature lines per nuclide (keV)."""


@dataclass(frozen=True)
class SignatureResult:
    """Whether a nuclide's signature is in a spectrum (behind the barrier).

    Attributes
    ----------
    seen
        The decision.
    lines_seen
        How many usable signature lines stand above :data:`LINE_MIN_SIGMA`.
    combined_sigma
        Summed net area of the signature lines over its standard deviation.
    """

    seen: bool
    lines_seen: int
    combined_sigma: float


def signature(measurement: GammaMeasurement, nuclide: str, *, min_sigma: float) -> SignatureResult:
    """Test ``nuclide``'s signature in ``measurement``.

    Lines outside the spectrum's energy range do not count.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    nuclide
        A key of :data:`SIGNATURES`.
    min_sigma
        Treaty threshold on the combined significance (standard deviations).
    """
    sig = SIGNATURES[nuclide]
    edges = measurement.calibration.edges(measurement.spectrum.n_channels)
    lo, hi = float(edges[0]), float(edges[-1])

    def inside(e: float) -> bool:
        return lo + 4.0 * measurement.fwhm_kev(e) < e < hi - 4.0 * measurement.fwhm_kev(e)

    interfering = [e for e in _neighbours(sig.element) if inside(e)]
    own = [e for e in _own_lines(sig.element) if inside(e)]
    areas: list[tuple[float, float]] = []
    for energy in sig.energies_kev:
        width = measurement.fwhm_kev(energy)
        if not inside(energy) or any(
            abs(e - energy) < COINCIDENT_FWHM * width for e in interfering
        ):
            continue
        # The element's own lines near the line are fitted too (a line of another
        # isotope under it adds to it: still the element).
        others = [e for e in own if abs(e - energy) >= COINCIDENT_FWHM * width]
        found = _line_fit(measurement, energy, [*interfering, *others])
        if found is not None:
            areas.append(found)
    if len(areas) < sig.min_lines:
        return SignatureResult(False, 0, 0.0)
    seen = sum(1 for area, sigma in areas if sigma > 0 and area >= LINE_MIN_SIGMA * sigma)
    total = sum(area for area, _ in areas)
    sigma = math.sqrt(sum(s**2 for _, s in areas))
    combined = total / sigma if sigma > 0 else 0.0
    return SignatureResult(seen >= sig.min_lines and combined >= min_sigma, seen, combined)


def _line_fit(
    measurement: GammaMeasurement, energy: float, candidates: list[float]
) -> tuple[float, float] | None:
    """Area (counts) of the line at ``energy`` and its standard uncertainty, in the
    region of :data:`REGION_HALF_WIDTH_FWHM` around it, fitted with every candidate
    line whose peak reaches the region; ``None`` when the fit is singular.

    The variance is scaled by the fit's dispersion when above one and includes
    :data:`NEIGHBOUR_SHAPE_FRACTION` of the areas of the candidates within
    :data:`SPILL_FWHM` of the line.
    """
    width = measurement.fwhm_kev(energy)
    half = REGION_HALF_WIDTH_FWHM * width
    reach = half + 1.5 * width  # a peak 1.5 FWHM outside leaves < 1 % in the region
    near = sorted({e for e in candidates if abs(e - energy) <= reach})
    try:
        fit = fit_fixed_lines(measurement, [energy, *near], (energy - half, energy + half))
    except (np.linalg.LinAlgError, InputError):
        return None
    spill = [k + 1 for k, e in enumerate(near) if abs(e - energy) <= SPILL_FWHM * width]
    shape_error = NEIGHBOUR_SHAPE_FRACTION * float(np.sum(np.abs(fit.areas[spill])))
    variance = max(float(fit.covariance[0, 0]), 0.0) * max(fit.dispersion, 1.0)
    return float(fit.areas[0]), math.sqrt(variance + shape_error**2)


@functools.cache
def _own_lines(element: str) -> tuple[float, ...]:
    """Energies (keV) of the lines of ``element``'s isotopes that its fit uses."""
    return tuple(
        sorted({round(ln.energy_kev, 3) for lines in item_lines(element).values() for ln in lines})
    )


@functools.cache
def _neighbours(element: str) -> tuple[float, ...]:
    """Energies (keV) of the strong lines of the nuclides interfering with ``element``."""
    return tuple(
        sorted(
            {
                round(ln.energy_kev, 3)
                for lines in interference_lines(element).values()
                for ln in lines
                if ln.probability >= NEIGHBOUR_MIN_PROBABILITY
            }
        )
    )
