"""Seismic arrays: f-k analysis, per-detection back-azimuth and slowness, single-array location.

Each step is a module of this package, and its docstring describes the method:

- :mod:`treatyverify.monitoring.seismic.array.geometry`: element offsets from StationXML;
- :mod:`treatyverify.monitoring.seismic.array.data`: reading and checking the waveforms;
- :mod:`treatyverify.monitoring.seismic.array.fk`: f-k analysis and jackknife uncertainties;
- :mod:`treatyverify.monitoring.seismic.array.phases`: phase identification from slowness;
- :mod:`treatyverify.monitoring.seismic.array.location`: single-array location;
- :mod:`treatyverify.monitoring.seismic.array.amplitude`: beam amplitude and period for mb;
- :mod:`treatyverify.monitoring.seismic.array.detections`: array detections, each measured;
- :mod:`treatyverify.monitoring.seismic.array.process`: the whole chain from files.
"""

from __future__ import annotations

from treatyverify.monitoring.seismic.array.amplitude import BeamAmplitude, beam_amplitude
from treatyverify.monitoring.seismic.array.data import ArrayData, check_array_stream, read_array
from treatyverify.monitoring.seismic.array.detections import ArrayDetection, array_detections
from treatyverify.monitoring.seismic.array.fk import (
    FkEstimate,
    FkSliding,
    fk_estimate,
    fk_sliding,
    relative_power,
)
from treatyverify.monitoring.seismic.array.geometry import (
    EARTH_RADIUS_KM,
    KM_PER_DEG,
    ArrayGeometry,
    array_geometry,
)
from treatyverify.monitoring.seismic.array.location import ArrayLocation, single_array_location
from treatyverify.monitoring.seismic.array.location import destination as destination
from treatyverify.monitoring.seismic.array.phases import (
    CORE_PHASES,
    PhaseIdentification,
    identify_phase,
)
from treatyverify.monitoring.seismic.array.process import ArrayResult, process_array

__all__ = [
    "CORE_PHASES",
    "EARTH_RADIUS_KM",
    "KM_PER_DEG",
    "ArrayData",
    "ArrayDetection",
    "ArrayGeometry",
    "ArrayLocation",
    "ArrayResult",
    "BeamAmplitude",
    "FkEstimate",
    "FkSliding",
    "PhaseIdentification",
    "array_detections",
    "array_geometry",
    "beam_amplitude",
    "check_array_stream",
    "fk_estimate",
    "fk_sliding",
    "identify_phase",
    "process_array",
    "read_array",
    "relative_power",
    "single_array_location",
]
