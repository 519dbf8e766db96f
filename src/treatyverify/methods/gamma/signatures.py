"""Is a nuclide there? A pattern of its lines, not one peak that something else may fake.

An isotopic attribute first asks whether the nuclide it measures is in the spectrum:
the Pu-240/Pu-239 and age attributes need Pu-239, the enrichment attribute needs
uranium. One peak is not enough: Ra-226 at 186.2 keV sits on U-235's 185.7 keV line,
Ac-228 at 129.1 keV beside Pu-239's 129.3 keV. So each signature is a set of lines of
the nuclide spread over energy, chosen clear of the common interfering lines, and the
nuclide is *seen* when at least :attr:`Signature.min_lines` of them stand
individually above :data:`LINE_MIN_SIGMA` *and* their summed area reaches the treaty's
``min_signature_sigma``. Areas come from :func:`~treatyverify.methods.gamma.line_areas.line_areas`
(Gaussians held at their energies and the measurement's resolution, Poisson fit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from treatyverify.methods.gamma.line_areas import line_areas
from treatyverify.methods.gamma.measurement import GammaMeasurement

__all__ = ["LINE_MIN_SIGMA", "SIGNATURES", "Signature", "SignatureResult", "signature"]

LINE_MIN_SIGMA = 3.0
"""A signature line counts as seen at this many standard deviations (the usual
three-sigma criterion for a peak to be reported as present)."""


@dataclass(frozen=True)
class Signature:
    """The lines that show a nuclide.

    Attributes
    ----------
    energies_kev
        Line energies (keV), DDEP via ``gamma_lines.yaml``.
    min_lines
        How many of them must be seen.
    """

    energies_kev: tuple[float, ...]
    min_lines: int


SIGNATURES: dict[str, Signature] = {
    # 129.3, 203.5, 345.0, 375.1, 413.7 and 451.5 keV: the strongest Pu-239 lines above
    # its K X-rays, from 129 to 451 keV; any three.
    "Pu-239": Signature((129.296, 203.550, 345.014, 375.054, 413.713, 451.481), 3),
    # 143.8, 163.4 and 205.3 keV, leaving out 185.7 keV under Ra-226's 186.2 keV; two.
    "U-235": Signature((143.767, 163.356, 205.316), 2),
    # Pa-234m, in equilibrium with U-238: 1001.0 and 766.4 keV (Pu-238 also has a
    # 766.4 keV line, so both are needed).
    "U-238": Signature((766.361, 1001.026), 2),
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
        How many signature lines stand above :data:`LINE_MIN_SIGMA`.
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
    inside = [
        e
        for e in sig.energies_kev
        if lo + 4.0 * measurement.fwhm_kev(e) < e < hi - 4.0 * measurement.fwhm_kev(e)
    ]
    if len(inside) < sig.min_lines:
        return SignatureResult(False, 0, 0.0)
    areas = line_areas(measurement, inside)
    seen = sum(1 for a in areas if a.significance_sigma >= LINE_MIN_SIGMA)
    total = sum(a.area for a in areas)
    sigma = math.sqrt(sum(a.area_sigma**2 for a in areas))
    combined = total / sigma if sigma > 0 else 0.0
    return SignatureResult(seen >= sig.min_lines and combined >= min_sigma, seen, combined)
