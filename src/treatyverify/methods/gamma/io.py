"""Reading and writing gamma spectrum files through SandiaSpecUtils.

Every format SpecUtils reads is supported (N42-2006 and N42-2012, IEEE/ORTEC SPE,
Canberra CNF, ORTEC CHN, SPC, TKA, GADRAS PCF, CSV/TXT and others); writing is
N42-2012. Every failure is one :class:`~treatyverify.errors.InputError` whose ``where``
is the file path and whose message is one line without counts; no SpecUtils (C++)
exception escapes.

Times: SpecUtils returns start times without a zone; they are labelled UTC (N42 files
store UTC; most other formats store the instrument's clock time without a zone).
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import numpy.typing as npt
import SpecUtils

from treatyverify.errors import InputError
from treatyverify.files import write_atomically
from treatyverify.methods.gamma.spectrum import Spectrum

__all__ = ["load_spectra", "load_spectrum", "write_n42"]

# SpecUtils marks a missing start time with the Unix epoch.
_EPOCH = datetime(1970, 1, 1)
# Calibration types that mean "the file holds no energy calibration".
_NO_CALIBRATION = {
    SpecUtils.EnergyCalType.InvalidEquationType,
    SpecUtils.EnergyCalType.UnspecifiedUsingDefaultPolynomial,
}
# SpecUtils writes a default calibration for an uncalibrated spectrum; this remark,
# written by write_n42, says that there is none.
_UNCALIBRATED_REMARK = "treatyverify: no energy calibration"
_SPE_DATA = re.compile(rb"\$DATA:\s*\r?\n\s*(-?\d+)\s+(-?\d+)")


def load_spectra(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read every gamma spectrum in a file, one per measurement, in file order.

    Parameters
    ----------
    path
        The spectrum file (any format SpecUtils reads).

    Returns
    -------
    list of Spectrum
        One spectrum per measurement that holds gamma counts (one per detector and
        sample in a multi-detector N42 file). Neutron-only records are skipped.

    Raises
    ------
    InputError
        With ``where`` the path: missing, unreadable, truncated or corrupt file, no gamma
        data, or a spectrum breaking the rules of :class:`Spectrum`.
    """
    file = Path(path)
    spec_file = _read(file)
    return [_to_spectrum(m, file, _label(file, m)) for m in _gamma_measurements(spec_file, file)]


def load_spectrum(path: str | os.PathLike[str], index: int | None = None) -> Spectrum:
    """Read one gamma spectrum from a file.

    Parameters
    ----------
    path
        The spectrum file (any format SpecUtils reads).
    index
        Position in :func:`load_spectra`'s list to return. ``None`` (default): the file's
        one spectrum; for a file with several, the sum over the detectors of the first
        sample of the foreground (measurements tagged Foreground; if none, those of
        unknown type; if none, all gamma measurements). Detectors with different energy
        calibrations are rebinned by SpecUtils to a common one before summing. The
        summed spectrum's live and real times are the *means* over the summed detectors,
        which count simultaneously, so ``count_rate`` is the rate of the whole array.

    Raises
    ------
    InputError
        With ``where`` the path, as for :func:`load_spectra`, or when ``index`` is out of
        range.
    """
    file = Path(path)
    spec_file = _read(file)
    gamma = _gamma_measurements(spec_file, file)
    if index is not None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise InputError(f"spectrum index must be an integer, got {index!r}", where=str(file))
        if not -len(gamma) <= index < len(gamma):
            raise InputError(
                f"spectrum index {index} is out of range: the file holds {len(gamma)} spectra",
                where=str(file),
            )
        chosen = gamma[index]
        return _to_spectrum(chosen, file, _label(file, chosen))
    if len(gamma) == 1:
        return _to_spectrum(gamma[0], file, file.name)

    selected = _default_selection(gamma)
    if len(selected) == 1:
        return _to_spectrum(selected[0], file, _label(file, selected[0]))
    sample = selected[0].sampleNumber()
    names = [m.detectorName() for m in selected]
    try:
        summed = spec_file.sumMeasurements([sample], names)
    except Exception as exc:
        raise InputError("cannot sum the detectors' spectra", where=str(file)) from exc
    live = float(np.mean([m.liveTime() for m in selected]))
    real = float(np.mean([m.realTime() for m in selected]))
    label = f"{file.name} (sum of {len(selected)} detectors, sample {sample})"
    return _to_spectrum(summed, file, label, times=(live, real))


def write_n42(spectrum: Spectrum, path: str | os.PathLike[str]) -> None:
    """Write a spectrum as an N42-2012 file, atomically.

    The file is written to a temporary file in the same directory and then renamed over
    ``path``, so a crash never leaves a half-written file. SpecUtils stores counts, times and
    channel edges as 32-bit floats: reading the file back gives the same values to that
    precision (integer counts below 2**24 exactly); see ``_template_measurement`` for
    the calibration. An uncalibrated spectrum is marked by a remark, since SpecUtils
    writes a default calibration, and reads back uncalibrated.

    Parameters
    ----------
    spectrum
        The spectrum to write.
    path
        Destination file (``.n42`` by convention); replaced if it exists.

    Raises
    ------
    InputError
        With ``where`` the path, when the file cannot be written.
    """
    file = Path(path)
    where = str(file)
    try:
        measurement = _template_measurement(spectrum)
        measurement.setGammaCounts(
            [float(c) for c in spectrum.counts], spectrum.live_time_s, spectrum.real_time_s
        )
        if spectrum.channel_edges_kev is None:
            measurement.setRemarks([_UNCALIBRATED_REMARK])
        if spectrum.title:
            measurement.setTitle(spectrum.title)
        if spectrum.start_time is not None:
            start = spectrum.start_time.astimezone(UTC).replace(tzinfo=None)
            measurement.setStartTime(start)
        spec_file = SpecUtils.SpecFile()
        spec_file.addMeasurement(measurement, True)
        buffer = io.BytesIO()
        spec_file.writeToStream(
            buffer,
            spec_file.sampleNumbers(),
            spec_file.detectorNames(),
            SpecUtils.SaveSpectrumAsType.N42_2012,
        )
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            "SpecUtils could not encode the spectrum as N42-2012", where=where
        ) from exc

    write_atomically(file, buffer.getvalue())


# --------------------------------------------------------------------------- reading


def _read(file: Path) -> Any:
    """Open ``file`` with SpecUtils, after checks SpecUtils does not make."""
    where = str(file)
    if not file.exists():
        raise InputError("file not found", where=where)
    if not file.is_file():
        raise InputError("not a regular file", where=where)
    try:
        head = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", where=where) from exc
    if not head.strip():
        raise InputError("file is empty", where=where)
    _check_complete(head, where)

    spec_file = SpecUtils.SpecFile()
    try:
        with _native_output_silenced():
            spec_file.loadFile(str(file), SpecUtils.ParserType.Auto, file.name)
    except Exception as exc:
        raise InputError(
            "not a gamma spectrum file SpecUtils can read (unknown format, truncated or corrupt)",
            where=where,
        ) from exc
    return spec_file


@contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Discard what SpecUtils' C++ code prints to the process's stdout and stderr.

    While it tries one format after another, SpecUtils prints lines such as
    "Failed CNF: ..." straight to file descriptors 1 and 2, past Python's streams;
    they would interleave with a command's output. Errors reach the caller as
    exceptions anyway. The descriptors are restored however the block ends.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (*saved, sink):
            os.close(descriptor)


def _check_complete(data: bytes, where: str) -> None:
    """Reject truncated XML and SPE files, which SpecUtils partly accepts."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        try:
            parser.Parse(text, True)
        except expat.ExpatError as exc:
            raise InputError(
                f"XML file is truncated or corrupt (line {exc.lineno}: "
                f"{expat.ErrorString(exc.code)})",
                where=where,
            ) from exc
    elif text.startswith(b"$"):
        match = _SPE_DATA.search(text)
        if match is not None:
            first, last = int(match.group(1)), int(match.group(2))
            expected = last - first + 1
            values = text[match.end() :].split(b"$", 1)[0].split()
            if len(values) < expected:
                raise InputError(
                    "SPE file is truncated: $DATA holds fewer channels than its header declares",
                    where=where,
                )


def _gamma_measurements(spec_file: Any, file: Path) -> list[Any]:
    try:
        measurements = list(spec_file.measurements())
        gamma = [m for m in measurements if m.numGammaChannels() > 0]
    except Exception as exc:
        raise InputError("cannot read the measurements in the file", where=str(file)) from exc
    if not gamma:
        raise InputError("file holds no gamma spectrum", where=str(file))
    return gamma


def _default_selection(gamma: list[Any]) -> list[Any]:
    """The measurements of the first sample of the foreground (see load_spectrum)."""
    primary = [m for m in gamma if m.derivedDataProperties() == 0] or gamma
    kinds = SpecUtils.SourceType
    selected = [m for m in primary if m.sourceType() == kinds.Foreground]
    if not selected:
        selected = [m for m in primary if m.sourceType() == kinds.UnknownSourceType]
    if not selected:
        selected = primary
    first = min(m.sampleNumber() for m in selected)
    return [m for m in selected if m.sampleNumber() == first]


def _label(file: Path, measurement: Any) -> str:
    detector = str(measurement.detectorName()).strip()
    parts = [f"sample {measurement.sampleNumber()}"]
    if detector:
        parts.append(f"detector {detector}")
    return f"{file.name} [{', '.join(parts)}]"


def _to_spectrum(
    measurement: Any,
    file: Path,
    label: str,
    *,
    times: tuple[float, float] | None = None,
) -> Spectrum:
    where = str(file)
    try:
        counts = np.asarray(measurement.gammaCounts(), dtype=np.float64)
        live, real = (
            times if times is not None else (measurement.liveTime(), measurement.realTime())
        )
        edges = None
        uncalibrated = _UNCALIBRATED_REMARK in [str(r) for r in measurement.remarks()]
        if not uncalibrated and measurement.energyCalibrationModel() not in _NO_CALIBRATION:
            energies = measurement.channelEnergies()
            if energies:
                edges = np.asarray(energies, dtype=np.float64)
        start = measurement.startTime()
        title = str(measurement.title()).strip()
    except Exception as exc:
        raise InputError("cannot read the spectrum in the file", where=where) from exc
    start_time = None
    if isinstance(start, datetime) and start.replace(tzinfo=None) != _EPOCH:
        start_time = start if start.tzinfo is not None else start.replace(tzinfo=UTC)
    try:
        return Spectrum(
            counts=counts,
            live_time_s=float(live),
            real_time_s=float(real),
            channel_edges_kev=edges,
            source=label,
            title=title,
            start_time=start_time,
        )
    except InputError as exc:
        raise InputError(exc.message, where=where) from exc


# --------------------------------------------------------------------------- writing


def _template_measurement(spectrum: Spectrum) -> Any:
    """A SpecUtils Measurement with the spectrum's channel count and calibration.

    Edges that a polynomial of degree <= 3 in the channel index reproduces to 32-bit
    float precision (every calibration read from a file, and its rebinnings by whole
    groups) are written as polynomial coefficients (9 significant digits). Other edges are
    written as channel boundaries, which SpecUtils prints to 6 significant digits. The
    Python bindings of SpecUtils 0.0.11 cannot pass channel edges to
    ``EnergyCalibration.fromLowerChannelEnergies`` (the list conversion is missing), so
    such edges are handed to SpecUtils' own N42 reader in a minimal N42-2012 document,
    and the measurement it builds is reused.
    """
    edges_kev = spectrum.channel_edges_kev
    if edges_kev is not None:
        coefficients = _polynomial_coefficients(edges_kev)
        if coefficients is not None:
            measurement = SpecUtils.Measurement.new()
            measurement.setGammaCounts([0.0] * spectrum.n_channels, 1.0, 1.0)
            measurement.setEnergyCalibration(
                SpecUtils.EnergyCalibration.fromPolynomial(spectrum.n_channels, coefficients)
            )
            return measurement

    if edges_kev is None:
        return SpecUtils.Measurement.new()
    zeros = " ".join(["0"] * spectrum.n_channels)
    edges = " ".join(repr(float(e)) for e in edges_kev)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42">'
        '<RadInstrumentInformation id="inst"><RadInstrumentManufacturerName>unknown'
        "</RadInstrumentManufacturerName><RadInstrumentModelName>unknown"
        "</RadInstrumentModelName><RadInstrumentClassCode>Other</RadInstrumentClassCode>"
        "</RadInstrumentInformation>"
        '<RadDetectorInformation id="gamma"><RadDetectorCategoryCode>Gamma'
        "</RadDetectorCategoryCode><RadDetectorKindCode>Other</RadDetectorKindCode>"
        "</RadDetectorInformation>"
        f'<EnergyCalibration id="cal"><EnergyBoundaryValues>{edges}'
        "</EnergyBoundaryValues></EnergyCalibration>"
        '<RadMeasurement id="m"><MeasurementClassCode>Foreground</MeasurementClassCode>'
        "<RealTimeDuration>PT1S</RealTimeDuration>"
        '<Spectrum id="s" radDetectorInformationReference="gamma" '
        'energyCalibrationReference="cal"><LiveTimeDuration>PT1S</LiveTimeDuration>'
        f"<ChannelData>{zeros}</ChannelData></Spectrum></RadMeasurement>"
        "</RadInstrumentData>\n"
    )
    template = SpecUtils.SpecFile()
    template.loadFileFromStream(io.BytesIO(document.encode("ascii")), "calibration.n42", "n42")
    measurement = template.measurements()[0]
    measurement.setSourceType(SpecUtils.SourceType.UnknownSourceType)
    if measurement.energyCalibrationModel() != SpecUtils.EnergyCalType.LowerChannelEdge:
        raise InputError("SpecUtils did not accept the energy calibration", where=spectrum.source)
    return measurement


def _polynomial_coefficients(edges_kev: npt.NDArray[np.float64]) -> list[float] | None:
    """Coefficients (constant first) of a polynomial giving the edges, or None."""
    channel = np.arange(edges_kev.size, dtype=np.float64)
    tolerance = 8 * float(np.finfo(np.float32).eps) * float(np.max(np.abs(edges_kev)))
    for degree in (1, 2, 3):
        if edges_kev.size <= degree + 1:
            break
        fit = np.polynomial.Polynomial.fit(channel, edges_kev, degree).convert()
        if float(np.max(np.abs(fit(channel) - edges_kev))) <= tolerance:
            return [float(c) for c in fit.coef]
    return None
