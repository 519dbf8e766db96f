"""Seismic magnitudes: mb (IDC manner), Ms_20 and ML (IASPEI), mb(Lg), relative magnitudes.

Each part is a module of this package, and its docstring gives the formulas and sources:

- :mod:`treatyverify.monitoring.seismic.magnitude.formulas`: mb, Ms_20 and ML formulas;
- :mod:`treatyverify.monitoring.seismic.magnitude.station`: station magnitudes from traces;
- :mod:`treatyverify.monitoring.seismic.magnitude.network`: network magnitudes;
- :mod:`treatyverify.monitoring.seismic.magnitude.regional`: Nuttli's regional mb(Lg);
- :mod:`treatyverify.monitoring.seismic.magnitude.event`: origins, validity, event magnitudes;
- :mod:`treatyverify.monitoring.seismic.magnitude.relative`: relative magnitudes.
"""

from __future__ import annotations

from treatyverify.monitoring.seismic.magnitude.event import (
    EventMagnitudes,
    EventOrigin,
    MagnitudeValidity,
    assess_magnitudes,
    event_magnitudes,
)
from treatyverify.monitoring.seismic.magnitude.formulas import (
    MB_BAND_HZ,
    MB_DISTANCE_DEG,
    ML_DISTANCE_KM,
    MS20_DISTANCE_DEG,
    MS20_MAX_DEPTH_KM,
    MS20_PERIOD_S,
    WOOD_ANDERSON_PAZ,
    DistanceDepthTable,
    MagnitudeKind,
    mb_value,
    ml_value,
    ms20_value,
    wood_anderson_paz,
)
from treatyverify.monitoring.seismic.magnitude.network import NetworkMagnitude, network_magnitude
from treatyverify.monitoring.seismic.magnitude.regional import (
    LG_GROUP_VELOCITY_KM_S,
    MBLG_BAND_HZ,
    MBLG_DISTANCE_DEG,
    mblg_value,
    station_mblg,
)
from treatyverify.monitoring.seismic.magnitude.relative import (
    RELATIVE_BAND_HZ,
    RelativeMagnitude,
    RelativeStation,
    relative_magnitude,
    relative_station,
    robust_median,
)
from treatyverify.monitoring.seismic.magnitude.station import (
    StationMagnitude,
    measure_half_peak_to_peak,
    station_magnitude,
)

__all__ = [
    "LG_GROUP_VELOCITY_KM_S",
    "MBLG_BAND_HZ",
    "MBLG_DISTANCE_DEG",
    "MB_BAND_HZ",
    "MB_DISTANCE_DEG",
    "ML_DISTANCE_KM",
    "MS20_DISTANCE_DEG",
    "MS20_MAX_DEPTH_KM",
    "MS20_PERIOD_S",
    "RELATIVE_BAND_HZ",
    "WOOD_ANDERSON_PAZ",
    "DistanceDepthTable",
    "EventMagnitudes",
    "EventOrigin",
    "MagnitudeKind",
    "MagnitudeValidity",
    "NetworkMagnitude",
    "RelativeMagnitude",
    "RelativeStation",
    "StationMagnitude",
    "assess_magnitudes",
    "event_magnitudes",
    "mb_value",
    "mblg_value",
    "measure_half_peak_to_peak",
    "ml_value",
    "ms20_value",
    "network_magnitude",
    "relative_magnitude",
    "relative_station",
    "robust_median",
    "station_magnitude",
    "station_mblg",
    "wood_anderson_paz",
]
