"""Instrument profiles and the detector kind of a spectrum.

An :class:`InstrumentProfile` describes a gamma detector as the parties agreed it: its
kind (:class:`DetectorKind`), optionally its resolution ``FWHM(E)^2 = a^2 + c E`` and
its intrinsic relative full-energy-peak efficiency. Profiles are plain data, so the
models live with the treaty specification (:mod:`treatyverify.treaty.models`), whose
section ``instruments:`` lists them; this module re-exports them and adds what the
gamma methods do with them: read a profile from its own YAML file
(:func:`load_instrument_profile`), recognise the detector named in a spectrum file's
metadata (:func:`instrument_from_metadata`), classify a resolution
(:func:`resolution_class`) and refuse data that a line analysis cannot use
(:func:`require_high_resolution`).

Classification. The relative FWHM at 662 keV (the Cs-137 line, where detector
resolutions are customarily quoted) is compared with published typical values:

* HPGe, 0.2-0.3 %: a typical coaxial germanium detector gives about 1.8 keV at
  1332 keV and 1.3-1.5 keV at 662 keV (G. F. Knoll, Radiation Detection and
  Measurement, 4th ed., Wiley 2010, chapter 12).
* CZT, about 0.6-2.5 %: 4.2 keV (0.63 %) on small, thermoelectrically cooled CZT ("Fano factor
  determination for CZT", Amptek and Digirad, CONF-971201, OSTI 323833, 1997); 2.0 and
  2.3 % on 1.5 x 1.5 x 1.0 cm coplanar-grid CZT (J. M. Pérez, Z. He and D. K. Wehe,
  "Stability and characteristics of large CZT coplanar electrode detectors", IEEE
  Trans. Nucl. Sci. 48, 2001).
* LaBr3(Ce), 2.6-3.5 %: 2.85 % (E. V. D. van Loef et al., Appl. Phys. Lett. 79(10),
  2001); 2.9-3.9 % for 0.5-10 % cerium (van Loef et al., Nucl. Instrum. Meth. A 486
  (2002) 254).
* NaI(Tl), 6-8 %: about 7 % (Knoll 2010, chapter 10); 5-6 % is the intrinsic limit of
  the crystal (W. W. Managan, "Recent developments in alkali halide scintillation
  crystals", IRE Trans. Nucl. Sci. 9, 1962).

A spectrum is HPGe-class when its relative FWHM at 662 keV is at most
:data:`HPGE_CLASS_MAX` (0.5 %): about twice the typical germanium value and below the
best CZT quoted above. The other boundaries are the geometric means of
neighbouring ranges (2.55 % between CZT and LaBr3, 4.6 % between LaBr3 and NaI); a
CeBr3 or CsI detector falls in the LaBr3 or NaI class by its resolution, which is what
matters to a line analysis.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from treatyverify.errors import InputError, MethodRefusedError, SpecError
from treatyverify.files import load_yaml
from treatyverify.treaty.models import DetectorKind, EfficiencyCurve, InstrumentProfile

if TYPE_CHECKING:
    from treatyverify.methods.gamma.attributes import GammaMeasurement
    from treatyverify.treaty.models import TreatySpec

__all__ = [
    "CLASS_BOUNDARIES",
    "HPGE_CLASS_MAX",
    "DetectorKind",
    "EfficiencyCurve",
    "InstrumentProfile",
    "detector_label",
    "instrument_from_metadata",
    "load_instrument_profile",
    "reference_energy_kev",
    "require_high_resolution",
    "resolution_class",
    "resolve_instrument",
]

HPGE_CLASS_MAX = 0.005
"""Largest relative FWHM at 662 keV of an HPGe-class spectrum (0.5 %; module docstring)."""

CLASS_BOUNDARIES: tuple[tuple[float, DetectorKind], ...] = (
    (HPGE_CLASS_MAX, DetectorKind.HPGE),
    (0.0255, DetectorKind.CZT),
    (0.046, DetectorKind.LABR3),
    (math.inf, DetectorKind.NAI),
)
"""``(upper bound of the relative FWHM at 662 keV, class)``, in increasing order: 0.5 %,
then the geometric means of the published ranges, sqrt(2.5 x 2.6) = 2.55 % and
sqrt(3.5 x 6) = 4.6 % (module docstring)."""

_LABELS: dict[DetectorKind, str] = {
    DetectorKind.HPGE: "HPGe",
    DetectorKind.CZT: "CZT",
    DetectorKind.LABR3: "LaBr3",
    DetectorKind.CEBR3: "CeBr3",
    DetectorKind.NAI: "NaI",
    DetectorKind.CSI: "CsI",
    DetectorKind.PLASTIC: "plastic-scintillator",
    DetectorKind.OTHER: "other",
}

_METADATA_KINDS: dict[str, DetectorKind] = {
    **dict.fromkeys(
        (
            "DetectiveEx",
            "DetectiveEx100",
            "DetectiveEx200",
            "DetectiveX",
            "DetectiveUnknown",
            "MicroDetective",
            "Fulcrum",
            "Fulcrum40h",
            "Falcon5000",
        ),
        DetectorKind.HPGE,
    ),
    "KromekGR1": DetectorKind.CZT,
    **dict.fromkeys(
        (
            "IdentiFinderLaBr3",
            "IdentiFinderR425LaBr",
            "IdentiFinderR500LaBr",
            "OrtecRadEagleLaBr",
            "RIIDEyeLaBr",
            "RadHunterLaBr3",
            "RadSeekerLaBr",
            "Sam940LaBr3",
            "VerifinderLaBr",
        ),
        DetectorKind.LABR3,
    ),
    "OrtecRadEagleCeBr2Inch": DetectorKind.CEBR3,
    "OrtecRadEagleCeBr3Inch": DetectorKind.CEBR3,
    **dict.fromkeys(
        (
            "IdentiFinderR425NaI",
            "IdentiFinderR500NaI",
            "OrtecRadEagleNai",
            "RIIDEyeNaI",
            "RadHunterNaI",
            "RadSeekerNaI",
            "VerifinderNaI",
        ),
        DetectorKind.NAI,
    ),
    "RadiaCodeCsI10": DetectorKind.CSI,
    "RadiaCodeCsI14": DetectorKind.CSI,
}
"""Detector kind of the instruments SpecUtils recognises (its ``DetectorType``, in
sandialabs/SpecUtils ``SpecUtils/SpecFile.h``): the crystal the enumerator names, and
for ORTEC Detective, Micro-Detective and Fulcrum and Canberra Falcon 5000, which name
none, the mechanically cooled HPGe crystal of their data sheets; the Kromek GR1 is a
CZT spectrometer (Kromek data sheet). Types that name no crystal are not classified."""

_MODEL_WORDS: tuple[tuple[str, DetectorKind], ...] = (
    ("hpge", DetectorKind.HPGE),
    ("czt", DetectorKind.CZT),
    ("cdznte", DetectorKind.CZT),
    ("labr", DetectorKind.LABR3),
    ("cebr", DetectorKind.CEBR3),
    ("nai", DetectorKind.NAI),
    ("csi", DetectorKind.CSI),
)
"""Crystal names recognised in a file's instrument model (as ``"2x4x16-NaI"``)."""


def detector_label(kind: DetectorKind) -> str:
    """The usual written name of ``kind`` (``"HPGe"``, ``"NaI"``...)."""
    return _LABELS[kind]


@functools.cache
def reference_energy_kev() -> float:
    """The energy resolutions are compared at: the Cs-137 line (keV, DDEP via the
    curated nuclear-data table)."""
    from treatyverify.methods.nucdata.tables import line

    return line("Cs-137", 661.66).energy_kev


def resolution_class(relative_fwhm: float) -> DetectorKind:
    """The detector class of a relative FWHM at 662 keV (FWHM / E, dimensionless).

    One of ``hpge``, ``czt``, ``labr3`` or ``nai``; see :data:`CLASS_BOUNDARIES`.
    """
    if not (math.isfinite(relative_fwhm) and relative_fwhm > 0.0):
        raise InputError("the relative FWHM must be a positive number", where="relative_fwhm")
    for bound, kind in CLASS_BOUNDARIES:
        if relative_fwhm <= bound:
            return kind
    return DetectorKind.NAI  # pragma: no cover - the last bound is infinite


def require_high_resolution(measurement: GammaMeasurement, method_name: str) -> None:
    """Refuse a measurement that is not from an HPGe-class detector.

    The measurement passes when its instrument profile, if any, is of kind ``hpge``
    (or ``other``) *and* its resolution at 662 keV is HPGe-class
    (:func:`resolution_class`), whether that resolution was given or measured.

    Parameters
    ----------
    measurement
        The measurement a method is about to analyse.
    method_name
        The method's name, for the message (``"gamma.pu240-pu239-ratio"``).

    Raises
    ------
    MethodRefusedError
        Code ``"needs-high-resolution"``; the message names the detector kind and
        where it was learnt, ``where`` the spectrum's source; no measured digits.
    """
    source = measurement.spectrum.source
    profile = measurement.instrument
    if profile is not None and profile.detector not in (DetectorKind.HPGE, DetectorKind.OTHER):
        raise MethodRefusedError(
            "needs-high-resolution",
            f"{method_name} needs a high-resolution (HPGe-class) spectrum; this one is from "
            f"a {detector_label(profile.detector)} detector (instrument {profile.id!r})",
            where=source,
        )
    energy = reference_energy_kev()
    kind = resolution_class(measurement.fwhm_kev(energy) / energy)
    if kind is not DetectorKind.HPGE:
        basis = (
            "the instrument's resolution"
            if profile is not None and (profile.has_resolution)
            else "the resolution of the spectrum"
        )
        raise MethodRefusedError(
            "needs-high-resolution",
            f"{method_name} needs a high-resolution (HPGe-class) spectrum; {basis} is that "
            f"of a {detector_label(kind)}-class detector",
            where=source,
        )


# --------------------------------------------------------------------------- loading


def _first_error(exc: ValidationError, name: str) -> SpecError:
    err = exc.errors(include_url=False)[0]
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    loc = ".".join(str(part) for part in err["loc"])
    return SpecError(message, where=f"{name}: {loc}" if loc else name)


def load_instrument_profile(path: str | Path) -> InstrumentProfile:
    """Read one instrument profile from a YAML file.

    The file holds the fields of :class:`InstrumentProfile` at its top level; an
    efficiency ``file`` is read relative to the YAML file's folder.

    Raises
    ------
    InputError
        The file cannot be read.
    SpecError
        Malformed YAML (naming line and column) or a field that fails validation
        (naming the file and the field).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read instrument file: {exc.strerror or exc}", where=str(file)
        ) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text: {exc.reason}", where=str(file)) from None
    try:
        data: Any = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(file)
        raise SpecError(f"malformed YAML: {exc.problem or 'syntax error'}", where=where) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise SpecError(f"malformed YAML: {exc}", where=str(file)) from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise SpecError(f"the top level must be a mapping of fields, not {kind}", where=str(file))
    try:
        return InstrumentProfile.model_validate(data, context={"base_dir": file.parent})
    except ValidationError as exc:
        raise _first_error(exc, str(file)) from None


def _is_file(name: str) -> bool:
    """Whether ``name`` is an existing file (a name the system cannot use is not)."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def resolve_instrument(id_or_file: str, spec: TreatySpec | None = None) -> InstrumentProfile:
    """The profile ``id_or_file`` names: a YAML file, or an id of ``spec``'s instruments.

    Raises
    ------
    SpecError
        An id the treaty does not list (naming the treaty and the field), or an
        invalid profile file.
    InputError
        An id given without a treaty, or an unreadable file.
    """
    if _looks_like_path(id_or_file) or _is_file(id_or_file):
        return load_instrument_profile(id_or_file)
    if spec is None:
        raise InputError(
            f"instrument {id_or_file!r} is not a file, and there is no treaty to look it up in",
            where="--instrument",
        )
    return spec.instrument(id_or_file)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def instrument_from_metadata(path: str | Path) -> InstrumentProfile | None:
    """A profile for the detector a spectrum file's metadata names, or ``None``.

    SpecUtils reads the file; its detector type (:data:`_METADATA_KINDS`) or, failing
    that, a crystal named in the instrument model (:data:`_MODEL_WORDS`) gives the
    kind. The profile carries no resolution and no efficiency: only the kind, with the
    file as its source.
    """
    from treatyverify.methods.gamma.io import _read

    file = Path(path)
    spec_file = _read(file)
    detector_type = str(spec_file.detectorType()).rsplit(".", 1)[-1]
    model = str(spec_file.instrumentModel() or "").strip()
    kind = _METADATA_KINDS.get(detector_type)
    if kind is None:
        words = set(re.split(r"[^a-z0-9]+", model.lower()))
        kind = next((k for word, k in _MODEL_WORDS if word in words), None)
    if kind is None:
        return None
    known = detector_type if detector_type in _METADATA_KINDS else ""
    name = model or known
    return InstrumentProfile(
        id=_slug(name) or "file-metadata",
        name=name,
        detector=kind,
        source=f"detector named in the metadata of {file.name} "
        f"({'SpecUtils detector type ' + known if known else 'instrument model'})",
    )
