"""Instrument responses: read StationXML, check every channel has one, remove it, simulate.

What this module does
---------------------
- :func:`read_inventory` reads StationXML with ObsPy (:func:`obspy.read_inventory`); an
  unreadable file is one :class:`~treatyverify.errors.InputError` naming it.
- :func:`check_responses` checks, for every trace to be measured, that the inventory has
  the station, the channel at the trace's time, a response with stages, an overall
  sensitivity that is a positive finite number, input units of ground motion (M, M/S or
  M/S**2) and a sampling rate that agrees with the trace. The first failure is one
  ``InputError`` naming the channel and the file; a response is never assumed.
- :func:`to_displacement_nm` removes the response to ground displacement in nm (ObsPy
  :meth:`obspy.core.trace.Trace.remove_response`, output ``"DISP"``, a cosine pre-filter).
- :func:`simulate_idc_short_period` applies the short-period filter of the IDC's mb
  amplitude: 0.8-4.5 Hz on displacement. Source: the SeisComP manual's page on the
  mb(IDC) magnitude ("global_mb_idc", seiscomp.de/doc/apps/global_mb_idc.html): "The A5/2
  amplitudes are calculated on the vertical component seismograms filtered between 0.8
  and 4.5 Hz and converted to displacement." The page gives the band, not the filter
  type; a causal 3-pole Butterworth is this package's choice.
- :func:`simulate_long_period_20s` keeps the 18-22 s band that Ms_20 is measured in
  (zero-phase 2-corner Butterworth, this package's choice).

What is not shipped, and why
----------------------------
- **WWSSN short-period (WWSSN-SP) poles and zeros.** The IASPEI (2013) standard for mb
  asks for a filter that replicates the WWSSN-SP response and refers to its own table of
  the response; that document could not be read here, and the poles and zeros in
  circulation differ between programs (for example SAC's built-in ``wwsp`` and other
  published lists), so none is shipped. The IDC's mb does not need it: the IDC filters
  0.8-4.5 Hz (above). A caller who has a sourced WWSSN-SP response passes it as
  ``simulation_paz`` to :func:`treatyverify.monitoring.seismic.magnitude.station_magnitude`.
- **WWSSN long-period (WWSSN-LP) response.** The IASPEI standard's Ms_20 replicates a
  WWSSN-LP seismograph (seismometer period 15 s, galvanometer period 90 s: IASPEI 2013 as
  summarised on the ISC page "IASPEI standard procedures for magnitude determination",
  isc.ac.uk/standards/magnitudes/). The damping constants and coupling of the standard
  response were not found in a readable source (E. Wielandt's *Seismometry* notes use 0.6
  and 0.9 as an example and call the treatment simplified), so no WWSSN-LP response is
  simulated; Ms_20 is measured on the 18-22 s band-pass instead.
- **The IDC's long-period response for Ms.** Not found in a public source; not shipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import obspy
from obspy.core.inventory import Inventory

from treatyverify.errors import InputError

__all__ = [
    "GROUND_MOTION_UNITS",
    "IDC_SP_BAND_HZ",
    "LP20_BAND_S",
    "check_responses",
    "read_inventory",
    "response_gain",
    "simulate_idc_short_period",
    "simulate_long_period_20s",
    "to_displacement_nm",
]

#: Pass band of the IDC short-period filter for the mb amplitude, Hz (SeisComP manual,
#: mb(IDC): "filtered between 0.8 and 4.5 Hz and converted to displacement").
IDC_SP_BAND_HZ = (0.8, 4.5)
#: Period band of Ms_20 amplitudes, s (IASPEI 2013, Ms_20: 18-22 s).
LP20_BAND_S = (18.0, 22.0)
#: Input units of a response that starts from ground motion (StationXML unit names,
#: compared case-insensitively).
GROUND_MOTION_UNITS = ("M", "M/S", "M/S**2", "M/S/S", "M/S2")


def read_inventory(path: str | Path) -> Inventory:
    """Read a StationXML file (with responses) into an ObsPy inventory.

    Parameters
    ----------
    path
        StationXML file.

    Raises
    ------
    InputError
        The file is missing or not readable StationXML; the error names it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("StationXML file not found", where=str(path))
    try:
        return obspy.read_inventory(str(path))
    except Exception as exc:  # ObsPy raises many types for malformed XML
        raise InputError(
            f"cannot read StationXML ({type(exc).__name__})", where=str(path)
        ) from None


def _units_ok(name: str | None) -> bool:
    return (name or "").strip().upper() in GROUND_MOTION_UNITS


def check_responses(
    traces: Iterable[obspy.Trace], inventory: Inventory, *, source: str = "StationXML"
) -> None:
    """Check that every trace has a usable instrument response in ``inventory``.

    Parameters
    ----------
    traces
        Traces to be measured (raw counts).
    inventory
        Station metadata with responses.
    source
        Name of the file the inventory came from, for the error line.

    Raises
    ------
    InputError
        One line naming the first channel that has no station, no channel epoch at the
        trace's time, no response, a non-positive sensitivity, input units that are not
        ground motion, or a sampling rate other than the trace's.
    """
    for tr in traces:
        net, sta, loc, cha = tr.id.split(".")
        if not inventory.select(network=net, station=sta):
            raise InputError(f"station {net}.{sta} is not in the StationXML", where=source)
        found = inventory.select(
            network=net, station=sta, location=loc, channel=cha, time=tr.stats.starttime
        )
        channels = [c for n in found for s in n for c in s]
        if not channels:
            raise InputError(
                f"channel {tr.id} has no epoch at {tr.stats.starttime} in the StationXML",
                where=source,
            )
        channel = channels[0]
        response = channel.response
        if response is None or not response.response_stages:
            raise InputError(f"channel {tr.id} has no instrument response", where=source)
        sens = response.instrument_sensitivity
        value = None if sens is None else sens.value
        if value is None or not (math.isfinite(float(value)) and float(value) > 0.0):
            raise InputError(
                f"channel {tr.id}: response has no positive overall sensitivity", where=source
            )
        first = response.response_stages[0]
        if not _units_ok(first.input_units):
            raise InputError(
                f"channel {tr.id}: response input units {first.input_units!r} are not "
                "ground motion (M, M/S, M/S**2)",
                where=source,
            )
        rate = channel.sample_rate
        if rate and not math.isclose(float(rate), tr.stats.sampling_rate, rel_tol=1e-3):
            raise InputError(
                f"channel {tr.id}: StationXML sample rate {float(rate):g} Hz differs from "
                f"the data's {tr.stats.sampling_rate:g} Hz",
                where=source,
            )


def response_gain(inventory: Inventory, trace: obspy.Trace) -> float:
    """Overall sensitivity (counts per input unit) of the trace's channel at its time.

    Parameters
    ----------
    inventory
        Station metadata with responses (checked with :func:`check_responses`).
    trace
        The trace whose channel is looked up.
    """
    response = inventory.get_response(trace.id, trace.stats.starttime)
    return float(response.instrument_sensitivity.value)


def to_displacement_nm(
    trace: obspy.Trace,
    inventory: Inventory,
    *,
    pre_filt_hz: tuple[float, float, float, float] | None = None,
) -> obspy.Trace:
    """A copy of ``trace`` with the instrument response removed, in nm of displacement.

    Parameters
    ----------
    trace
        Raw trace, counts.
    inventory
        Station metadata with the trace's response.
    pre_filt_hz
        Cosine taper in the frequency domain (four corners, Hz) that bounds the
        deconvolution; default ``(0.005, 0.01, 0.4 fs, 0.45 fs)`` with fs the sampling
        rate (a choice of this package: flat from 100 s to 0.8 of the Nyquist frequency).
        The inverse response is also clipped 60 dB below its peak (ObsPy's default water
        level): without it a short-period sensor's tiny gain at long periods amplifies
        noise there by orders of magnitude.
    """
    rate = float(trace.stats.sampling_rate)
    tr = trace.copy()
    tr.data = tr.data.astype("float64")
    tr.detrend("demean")
    tr.taper(0.05)
    tr.remove_response(
        inventory=inventory,
        output="DISP",
        pre_filt=pre_filt_hz or (0.005, 0.01, 0.4 * rate, 0.45 * rate),
        water_level=60.0,
    )
    tr.data = tr.data * 1e9  # m -> nm
    return tr


def simulate_idc_short_period(trace_nm: obspy.Trace) -> obspy.Trace:
    """Apply the IDC mb filter (0.8-4.5 Hz, causal 3-pole Butterworth) to a displacement trace.

    Parameters
    ----------
    trace_nm
        Ground displacement, nm (modified in place and returned).
    """
    lo, hi = IDC_SP_BAND_HZ
    trace_nm.filter("bandpass", freqmin=lo, freqmax=hi, corners=3)
    return trace_nm


def simulate_long_period_20s(trace_nm: obspy.Trace) -> obspy.Trace:
    """Band-pass a displacement trace to the 18-22 s band of Ms_20 (zero-phase, 2 corners).

    Parameters
    ----------
    trace_nm
        Ground displacement, nm (modified in place and returned).
    """
    short, long = LP20_BAND_S
    trace_nm.filter("bandpass", freqmin=1.0 / long, freqmax=1.0 / short, corners=2, zerophase=True)
    return trace_nm
