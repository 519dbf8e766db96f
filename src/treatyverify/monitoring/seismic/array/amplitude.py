"""Beam amplitude: the P amplitude and period on the displacement beam, for mb.

Method
------
**mb measurement.** The beam steered at the measured slowness (elements with the response
removed to displacement, nm, band-passed 0.8-4.5 Hz as
:mod:`treatyverify.monitoring.seismic.magnitude` does for IDC mb) gives the half
peak-to-peak amplitude ``A`` and period ``T`` in the 5 s after the arrival, and
``log10(A/T)``. An mb needs in addition the Veith-Clawson distance-depth correction,
which this package does not ship (see the magnitude module); it is not invented here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import obspy

from treatyverify.monitoring.seismic.array.data import ArrayData
from treatyverify.monitoring.seismic.magnitude import MB_BAND_HZ, measure_half_peak_to_peak


@dataclass(frozen=True)
class BeamAmplitude:
    """Amplitude and period of the P beam, for mb.

    Attributes
    ----------
    amplitude_nm
        Half the largest peak-to-peak excursion of the beam, nm of ground displacement.
    period_s
        Its period, s.
    log10_a_over_t
        ``log10(A/T)``, A in nm and T in s (mb is this plus the distance-depth correction).
    window_s
        Measurement window after the arrival, s.
    band_hz
        Band-pass of the displacement, Hz.
    """

    amplitude_nm: float
    period_s: float
    log10_a_over_t: float
    window_s: tuple[float, float]
    band_hz: tuple[float, float]


def beam_amplitude(
    array: ArrayData,
    arrival: obspy.UTCDateTime,
    slowness_east_s_km: float,
    slowness_north_s_km: float,
    *,
    window_s: tuple[float, float] = (0.0, 5.0),
    pad_s: float = 60.0,
) -> BeamAmplitude | None:
    """Measure the P amplitude and period on the displacement beam.

    Each element is corrected for its instrument response to displacement (nm) with the
    pre-filter and 0.8-4.5 Hz, 3-pole causal band-pass of
    :func:`treatyverify.monitoring.seismic.magnitude.station_magnitude`, shifted by its
    plane-wave delay (a Fourier phase shift) and averaged.

    Parameters
    ----------
    array
        Checked array data with responses.
    arrival
        Arrival time at the reference element, UTC.
    slowness_east_s_km, slowness_north_s_km
        Slowness vector to steer the beam, s/km.
    window_s
        Measurement window after the arrival, s.
    pad_s
        Data taken before the arrival (and after the window) to settle the filters, s.

    Returns
    -------
    BeamAmplitude or None
        ``None`` when the window lies outside the data or no amplitude can be measured.
    """
    t0 = max(array.starttime, arrival - pad_s)
    t1 = min(array.stream[0].stats.endtime, arrival + window_s[1] + pad_s / 3.0)
    if arrival + window_s[1] > t1 or arrival + window_s[0] < t0:
        return None
    rate = array.rate_hz
    delays = (
        array.geometry.offsets_m[:, 0] * slowness_east_s_km
        + array.geometry.offsets_m[:, 1] * slowness_north_s_km
    ) / 1000.0
    rows = []
    for tr in array.stream:
        piece = tr.slice(t0, t1).copy()
        piece.detrend("demean")
        piece.taper(0.05)
        pre_filt = (0.005, 0.01, 0.4 * rate, 0.45 * rate)
        piece.remove_response(inventory=array.inventory, output="DISP", pre_filt=pre_filt)
        piece.data = piece.data * 1e9
        piece.filter("bandpass", freqmin=MB_BAND_HZ[0], freqmax=MB_BAND_HZ[1], corners=3)
        rows.append(np.asarray(piece.data, dtype=np.float64))
    npts = min(r.size for r in rows)
    data = np.vstack([r[:npts] for r in rows])
    freqs = np.fft.rfftfreq(npts, d=1.0 / rate)
    spec = np.fft.rfft(data, axis=1) * np.exp(2j * np.pi * freqs[None, :] * delays[:, None])
    beam = np.fft.irfft(spec.mean(axis=0), npts)
    i0 = round((arrival + window_s[0] - t0) * rate)
    i1 = round((arrival + window_s[1] - t0) * rate)
    amp, period = measure_half_peak_to_peak(beam[i0 : i1 + 1], rate)
    if not (math.isfinite(amp) and amp > 0.0 and math.isfinite(period) and period > 0.0):
        return None
    return BeamAmplitude(
        amplitude_nm=amp,
        period_s=period,
        log10_a_over_t=math.log10(amp / period),
        window_s=(float(window_s[0]), float(window_s[1])),
        band_hz=(float(MB_BAND_HZ[0]), float(MB_BAND_HZ[1])),
    )
