"""From station files to a located event: ingest, detect, pick, associate, locate.

The chain a national data center runs on a regional network, with no hint of the
answer: every file is ingested and checked; the vertical channels are searched for
arrivals; each station's earliest arrival is taken as its first P-type onset; the picks
are associated on a grid of trial epicentres; the largest associated set is located
by Geiger's method. The uncertainty given to a pick falls with its signal-to-noise
ratio (0.3 s at SNR 20 or more, up to 1.5 s near the trigger threshold); these bounds
and the 6/SNR law are choices made here, not values from a publication, and the
location's a-posteriori variance factor corrects them when the residuals disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from treatyverify.monitoring.seismic.detect import Detection, DetectorConfig, detect
from treatyverify.monitoring.seismic.ingest import IngestWarning, ingest, read_stations
from treatyverify.monitoring.seismic.locate import Location, Pick, locate_from_picks

__all__ = ["ProcessResult", "first_arrival_picks", "pick_sigma_s", "process"]

VERTICAL = ("Z",)
"""Channel orientation codes (last letter) searched for P onsets."""


@dataclass(frozen=True)
class ProcessResult:
    """What :func:`process` found."""

    detections: tuple[Detection, ...]
    picks: tuple[Pick, ...]
    location: Location
    warnings: tuple[IngestWarning, ...]


def pick_sigma_s(snr: float) -> float:
    """Pick uncertainty (s) from the detection's signal-to-noise ratio."""
    if not math.isfinite(snr) or snr <= 1.0:
        return 1.5
    return min(1.5, max(0.3, 6.0 / snr))


def first_arrival_picks(detections: Iterable[Detection]) -> list[Pick]:
    """Each station's earliest vertical-channel detection, as a P pick."""
    earliest: dict[str, Detection] = {}
    for found in detections:
        if not found.trace_id.endswith(VERTICAL):
            continue
        held = earliest.get(found.station_key)
        if held is None or found.onset < held.onset:
            earliest[found.station_key] = found
    return [
        Pick(key, "P", found.onset, pick_sigma_s(found.snr))
        for key, found in sorted(earliest.items())
    ]


def process(
    waveforms: str | Path | Iterable[str | Path],
    stations_path: str | Path,
    *,
    config: DetectorConfig | None = None,
    model: str = "iasp91",
    depth_km: float = 0.0,
) -> ProcessResult:
    """Detect and locate the largest event in a set of station recordings.

    Raises
    ------
    InputError
        Unreadable files or station list, or a location that fails (too few associated
        picks, no convergence), saying why.
    """
    stations = read_stations(stations_path)
    ingested = ingest(waveforms, stations)
    detections = detect(ingested.stream, config=config)
    picks = first_arrival_picks(detections)
    coordinates = {key: (s.latitude, s.longitude) for key, s in stations.items()}
    location = locate_from_picks(picks, coordinates, model=model, depth_km=depth_km)
    return ProcessResult(tuple(detections), tuple(picks), location, tuple(ingested.warnings))
