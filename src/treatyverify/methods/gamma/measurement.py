"""One gamma spectrum with the calibration and resolution an analysis needs.

Channel convention: channel ``i`` spans ``[i, i + 1)`` (see
:mod:`treatyverify.methods.gamma.peaks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.treaty.models import InstrumentProfile

__all__ = ["GammaMeasurement"]

_REGION_HALF_WIDTH_FWHM = 3.0  # region = line +- 3 FWHM beyond the outer lines


@dataclass(frozen=True, eq=False)
class GammaMeasurement:
    """One gamma spectrum with the instrument calibration needed to analyse it.

    Parameters
    ----------
    spectrum
        The measured spectrum (counts per channel, live time in s).
    calibration
        Energy calibration, channel -> keV.
    fwhm_noise_kev
        Resolution: ``FWHM(E)^2 = fwhm_noise_kev^2 + fwhm_fano_kev * E`` (keV, keV).
    fwhm_fano_kev
        The statistical term of the resolution (keV; FWHM^2 grows by this many keV^2
        per keV of energy).
    """

    spectrum: Spectrum
    calibration: EnergyCalibration
    fwhm_noise_kev: float
    fwhm_fano_kev: float
    instrument: InstrumentProfile | None = None  # the agreed detector (instrument.py)

    def __post_init__(self) -> None:
        for name in ("fwhm_noise_kev", "fwhm_fano_kev"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value < 0.0:
                raise InputError("must be a finite number >= 0 keV", where=name)
        if self.fwhm_noise_kev == 0.0 and self.fwhm_fano_kev == 0.0:
            raise InputError("the resolution is zero", where="fwhm_noise_kev")

    def __repr__(self) -> str:
        return f"GammaMeasurement(spectrum={self.spectrum!r})"

    def fwhm_kev(self, energy_kev: float) -> float:
        """FWHM at ``energy_kev`` (keV)."""
        return math.sqrt(self.fwhm_noise_kev**2 + self.fwhm_fano_kev * energy_kev)

    def region(self, energies_kev: Sequence[float]) -> tuple[int, int]:
        """Channels ``[lo, hi)`` spanning the lines plus three FWHM each side."""
        cal = self.calibration
        e_lo, e_hi = min(energies_kev), max(energies_kev)
        lo_e = e_lo - _REGION_HALF_WIDTH_FWHM * self.fwhm_kev(e_lo)
        hi_e = e_hi + _REGION_HALF_WIDTH_FWHM * self.fwhm_kev(e_hi)
        lo = max(math.floor(float(cal.channel(lo_e))), 0)
        hi = min(math.ceil(float(cal.channel(hi_e))), self.spectrum.n_channels)
        if hi - lo < 8:
            raise InputError(
                f"the region around {e_lo:.1f}-{e_hi:.1f} keV lies outside the spectrum",
                where=self.spectrum.source,
            )
        return lo, hi
