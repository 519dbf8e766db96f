"""Array detections: coincident element detections, each measured, identified and located.

Method
------
**Detections.** Each element is run through the detector of
:mod:`treatyverify.monitoring.seismic.detect` (band-pass, recursive STA/LTA, AIC onset).
Element detections within ``coincidence_s`` of the first of a group make one array
detection when at least ``min_elements`` elements take part (a coincidence trigger). Its
time is the median over those elements of the onset corrected by the element's plane-wave
delay, i.e. the arrival time at the reference element. f-k windows of ``window_s``
starting from ``pre_s`` before that time, stepped by ``step_s`` up to ``pre_s`` after it,
are analysed and the window of largest relative power gives the back-azimuth and
slowness.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import obspy

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.array.amplitude import BeamAmplitude, beam_amplitude
from treatyverify.monitoring.seismic.array.data import ArrayData
from treatyverify.monitoring.seismic.array.fk import FkEstimate, _check_band, fk_estimate
from treatyverify.monitoring.seismic.array.location import ArrayLocation, single_array_location
from treatyverify.monitoring.seismic.array.phases import PhaseIdentification, identify_phase
from treatyverify.monitoring.seismic.detect import Band, Detection, DetectorConfig, detect


@dataclass(frozen=True, eq=False)
class ArrayDetection:
    """One arrival across the array, with its f-k estimate, phase and location.

    Attributes
    ----------
    time
        Arrival time at the reference element, UTC.
    n_elements
        Elements whose detector triggered.
    snr
        Median signal-to-noise ratio of the element detections.
    fk
        Back-azimuth, slowness and uncertainties.
    phase
        Identified phase.
    location
        Single-array location (``None`` when the phase is unidentified).
    amplitude
        Beam amplitude for mb (P phases only; ``None`` otherwise).
    """

    time: obspy.UTCDateTime
    n_elements: int
    snr: float
    fk: FkEstimate
    phase: PhaseIdentification
    location: ArrayLocation | None
    amplitude: BeamAmplitude | None

    def to_record_body(self) -> dict[str, Any]:
        """A JSON-ready body (JSON types only)."""
        fk = self.fk
        body: dict[str, Any] = {
            "time_utc": self.time.isoformat() + "Z",
            "n_elements": self.n_elements,
            "snr": round(self.snr, 2),
            "back_azimuth_deg": round(fk.back_azimuth_deg, 2),
            "back_azimuth_sigma_deg": round(fk.back_azimuth_sigma_deg, 2),
            "slowness_s_km": round(fk.slowness_s_km, 5),
            "slowness_sigma_s_km": round(fk.slowness_sigma_s_km, 5),
            "slowness_s_deg": round(fk.slowness_s_deg, 3),
            "slowness_sigma_s_deg": round(fk.slowness_sigma_s_deg, 3),
            "relative_power": round(fk.relative_power, 4),
            "f_stat": round(fk.f_stat, 2) if math.isfinite(fk.f_stat) else None,
            "window_start_utc": fk.window_start.isoformat() + "Z",
            "window_s": fk.window_s,
            "band_hz": list(fk.band_hz),
            "phase": self.phase.phase,
            "phase_kind": self.phase.kind,
            "assumed_depth_km": self.phase.depth_km,
            "model": self.phase.model,
        }
        loc = self.location
        if loc is not None:
            body["location"] = {
                "latitude_deg": round(loc.latitude_deg, 3),
                "longitude_deg": round(loc.longitude_deg, 3),
                "origin_time_utc": loc.origin_time.isoformat() + "Z",
                "distance_deg": round(loc.distance_deg, 3),
                "distance_range_deg": [round(v, 3) for v in loc.distance_range_deg],
                "back_azimuth_range_deg": [round(v, 2) for v in loc.back_azimuth_range_deg],
                "radial_half_width_km": round(loc.radial_half_width_km, 1),
                "transverse_half_width_km": round(loc.transverse_half_width_km, 1),
                "confidence": loc.confidence,
            }
        if self.amplitude is not None:
            body["beam_amplitude"] = {
                "amplitude_nm": round(self.amplitude.amplitude_nm, 3),
                "period_s": round(self.amplitude.period_s, 3),
                "log10_a_over_t": round(self.amplitude.log10_a_over_t, 3),
                "mb": None,
                "mb_status": "not computed: no distance-depth correction (Veith-Clawson "
                "table) shipped",
            }
        return body


def _coincidences(
    found: Sequence[Detection], coincidence_s: float, min_elements: int
) -> list[list[Detection]]:
    groups: list[list[Detection]] = []
    pending = sorted(found, key=lambda d: d.onset)
    i = 0
    while i < len(pending):
        first = pending[i].onset
        group: dict[str, Detection] = {}
        j = i
        while j < len(pending) and pending[j].onset - first <= coincidence_s:
            group.setdefault(pending[j].trace_id, pending[j])
            j += 1
        if len(group) >= min_elements:
            groups.append(list(group.values()))
            i = j
        else:
            i += 1
    return groups


def array_detections(
    array: ArrayData,
    *,
    band_hz: tuple[float, float] = (1.0, 3.0),
    window_s: float = 4.0,
    pre_s: float = 1.0,
    step_s: float = 0.5,
    start: obspy.UTCDateTime | None = None,
    end: obspy.UTCDateTime | None = None,
    min_elements: int | None = None,
    coincidence_s: float | None = None,
    detector: DetectorConfig | None = None,
    depth_km: float = 0.0,
    model: str = "iasp91",
    amplitudes: bool = True,
) -> list[ArrayDetection]:
    """Detect arrivals on the array and measure each one's back-azimuth and slowness.

    Parameters
    ----------
    array
        Checked array data.
    band_hz
        Band of the detector and of the f-k analysis, Hz.
    window_s, pre_s, step_s
        f-k window length, how far before and after the detection time window starts
        are tried, and their step, s.
    start, end
        Keep detections whose time falls in this span, UTC (default all).
    min_elements
        Elements that must trigger; default half of them, at least 3.
    coincidence_s
        Longest spread of element onsets in one detection, s; default the time a wave
        of slowness 0.25 s/km takes to cross the aperture, at least 1 s.
    detector
        STA/LTA settings (its bands are replaced by ``band_hz``).
    depth_km, model
        Assumed source depth (km) and Earth model for phase identification and location.
    amplitudes
        Whether to measure the beam amplitude of P detections (needs responses).
    """
    _check_band(band_hz, array.rate_hz)
    n_el = array.geometry.n_elements
    need = min_elements if min_elements is not None else max(3, math.ceil(n_el / 2))
    if not 1 <= need <= n_el:
        raise InputError(f"must lie in 1-{n_el}", where="min_elements")
    spread = (
        coincidence_s if coincidence_s is not None else max(1.0, 0.25 * array.geometry.aperture_km)
    )
    cfg = replace(detector or DetectorConfig(), bands=(Band(float(band_hz[0]), float(band_hz[1])),))
    element = detect(array.stream, config=cfg)
    index = {tid: i for i, tid in enumerate(array.geometry.trace_ids)}
    out: list[ArrayDetection] = []
    t_first = array.starttime
    t_last = array.stream[0].stats.endtime
    for group in _coincidences(element, spread, need):
        t_guess = obspy.UTCDateTime(statistics.median([float(d.onset.timestamp) for d in group]))
        if start is not None and t_guess < start:
            continue
        if end is not None and t_guess > end:
            continue
        best: FkEstimate | None = None
        n_try = round(2.0 * pre_s / step_s)
        for k in range(n_try + 1):
            w0 = t_guess - pre_s + k * step_s
            if w0 < t_first or w0 + window_s > t_last:
                continue
            est = fk_estimate(array, w0, window_s=window_s, band_hz=band_hz, jackknife=False)
            if best is None or est.relative_power > best.relative_power:
                best = est
        if best is None:
            continue
        fk = fk_estimate(array, best.window_start, window_s=window_s, band_hz=band_hz)
        delays = (
            array.geometry.offsets_m[:, 0] * fk.slowness_east_s_km
            + array.geometry.offsets_m[:, 1] * fk.slowness_north_s_km
        ) / 1000.0
        arrival = obspy.UTCDateTime(
            statistics.median(
                [float(d.onset.timestamp) - float(delays[index[d.trace_id]]) for d in group]
            )
        )
        phase = identify_phase(
            fk.slowness_s_deg, fk.slowness_sigma_s_deg, depth_km=depth_km, model=model
        )
        location = single_array_location(array.geometry, arrival, fk, phase)
        amp = None
        if amplitudes and phase.kind in ("teleseismic P", "regional P"):
            amp = beam_amplitude(array, arrival, fk.slowness_east_s_km, fk.slowness_north_s_km)
        out.append(
            ArrayDetection(
                time=arrival,
                n_elements=len(group),
                snr=float(statistics.median([d.snr for d in group])),
                fk=fk,
                phase=phase,
                location=location,
                amplitude=amp,
            )
        )
    return out
