"""Detection: band-pass, recursive STA/LTA, AIC onset and measurements."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.geodetics import locations2degrees
from obspy.taup import TauPyModel

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.detect import (
    DEFAULT_BANDS,
    Band,
    Detection,
    DetectorConfig,
    aic_pick,
    bandpass_sos,
    detect,
)
from treatyverify.monitoring.seismic.ingest import ingest, read_stations

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
RATE = 100.0
ONSET_I = 6000


def _wavelet_trace(seed: int, amplitude: float = 20.0) -> obspy.Trace:
    """White noise (sigma 1) with a 2 Hz decaying sinusoid starting at sample ONSET_I."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, 12000)
    t = np.arange(x.size - ONSET_I) / RATE
    x[ONSET_I:] += amplitude * np.sin(2 * np.pi * 2.0 * t) * np.exp(-t / 1.5)
    header = {"network": "XX", "station": "SYN", "channel": "BHZ", "sampling_rate": RATE}
    return obspy.Trace(x, header=header)


@pytest.mark.parametrize("seed", range(5))
def test_aic_pick_within_two_samples(seed: int) -> None:
    tr = _wavelet_trace(seed)
    found = detect([tr])
    assert len(found) == 1
    det = found[0]
    onset_i = round((det.onset - tr.stats.starttime) * RATE)
    assert abs(onset_i - ONSET_I) <= 2
    assert det.band in DEFAULT_BANDS
    assert det.snr > 5
    assert det.period_s == pytest.approx(0.5, rel=0.2)
    assert det.amplitude_counts == pytest.approx(20.0, rel=0.5)


def test_aic_pick_on_step_in_variance() -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(0, 10, 200)])
    assert abs(aic_pick(x) - 300) <= 2
    with pytest.raises(InputError):
        aic_pick(np.zeros(5))


def test_no_detection_on_long_noise() -> None:
    rng = np.random.default_rng(11)
    tr = obspy.Trace(rng.normal(0, 1, int(2 * 3600 * RATE)), header={"sampling_rate": RATE})
    assert len(detect([tr])) <= 2


def test_config_from_mapping_and_validation() -> None:
    cfg = DetectorConfig.from_mapping(
        {"bands": [[0.5, 2.0], {"low_hz": 2, "high_hz": 6}], "sta_s": 0.5, "on": 4}
    )
    assert cfg.bands == (Band(0.5, 2.0), Band(2.0, 6.0))
    with pytest.raises(InputError, match="unknown"):
        DetectorConfig.from_mapping({"stalta": 3})
    with pytest.raises(InputError):
        Band(3.0, 1.0)
    with pytest.raises(InputError):
        DetectorConfig(sta_s=40.0, lta_s=30.0)
    with pytest.raises(InputError, match="Nyquist"):
        bandpass_sos(10.0, Band(2.0, 8.0))
    sos = bandpass_sos(100.0, Band(1.0, 3.0))
    assert sos.shape == (4, 6)


def test_record_body_is_json_ready() -> None:
    det = detect([_wavelet_trace(0)])[0]
    body = det.to_record_body()
    assert body["kind"] == "detection"
    assert body["trace_id"] == "XX.SYN..BHZ"
    assert body["onset_utc"].endswith("Z")
    assert json.loads(json.dumps(body)) == body
    assert isinstance(det, Detection)
    assert det.station_key == "XX.SYN"


# Published epicentres: USGS ComCat, us2000aert (2017-09-03 03:30:01 UTC, 41.343N 129.036E)
# and us10006p1f (2016-09-09 00:30:01 UTC, 41.287N 129.078E).
EVENTS = {
    "regional-event-a": ("2017-09-03T03:30:01", 41.343, 129.036),
    "regional-event-b": ("2016-09-09T00:30:01", 41.287, 129.078),
}


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_regional_event_detections_near_predicted_p(event: str) -> None:
    folder = DATA / event
    if not folder.is_dir():
        pytest.skip(f"shared seismic data ({folder}) not present")
    time_s, lat, lon = EVENTS[event]
    origin = obspy.UTCDateTime(time_s)
    stations = read_stations(folder / "stations.csv")
    stream = ingest(folder / "waveforms.mseed", stations).stream.select(component="Z")
    found = detect(stream)
    model = TauPyModel("iasp91")
    with_detection = 0
    near_p = 0
    for key, sta in stations.items():
        mine = [d for d in found if d.station_key == key]
        if not mine:
            continue
        with_detection += 1
        dist = locations2degrees(lat, lon, sta.latitude, sta.longitude)
        arrivals = model.get_travel_times(0.5, dist, phase_list=["P", "p", "Pn"])
        predicted = origin + min(a.time for a in arrivals)
        near_p += any(abs(d.onset - predicted) <= 10.0 for d in mine)
    assert with_detection >= 20
    assert near_p >= 2 * with_detection / 3
