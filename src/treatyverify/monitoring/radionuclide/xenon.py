"""Radioxenon analysis: decay correction, Fieller ratio intervals, screening, age.

Four radioxenon isotopes are measured at IMS noble-gas stations: Xe-131m, Xe-133m,
Xe-133 and Xe-135. This module reads sample results (activity concentrations in
mBq/m^3 with 1-sigma uncertainties), decay-corrects them, forms activity ratios
with Fieller (1954) confidence intervals, screens the ratio pair against the
Kalinowski et al. (2010) discrimination line in the four-isotope plot, and
estimates the time since a release under a stated pure-decay model.

See ``docs/monitoring-radionuclide.md`` for the model, the sources and the schema.

Half-lives (NUBASE2020: F. G. Kondev, M. Wang, W. J. Huang, S. Naimi and G. Audi,
Chin. Phys. C 45, 030001 (2021), as tabulated in the ``periodictable`` package,
``activation.py``; the Xe-133 value equals the DDEP recommended 5.2474(5) d of the
CIEMAT evaluation by M. Galán):

========  ===============  =========================
isotope   half-life        standard uncertainty
========  ===============  =========================
Xe-131m   11.948 d         1.0e3 s (0.012 d)
Xe-133m   2.198 d          1.1e3 s (0.013 d)
Xe-133    5.2474 d         43 s (0.0005 d)
Xe-135    9.14 h           72 s (0.02 h)
========  ===============  =========================
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import norm

from treatyverify.errors import InputError, SpecError
from treatyverify.files import parse_json

__all__ = [
    "CSV_COLUMNS",
    "HALF_LIFE_S",
    "HALF_LIFE_UNCERTAINTY_S",
    "ISOTOPES",
    "DiscriminationLine",
    "FiellerInterval",
    "IsotopeResult",
    "ReleaseModel",
    "ScreeningResult",
    "TimeEstimate",
    "XenonSample",
    "activity_ratio",
    "decay_constant_per_s",
    "decay_correct",
    "fieller_interval",
    "ratio_at_zero_from_yields",
    "read_samples",
    "screen",
    "time_since_zero",
    "write_samples_csv",
    "write_samples_json",
]

Isotope = Literal["Xe-131m", "Xe-133m", "Xe-133", "Xe-135"]

#: The four CTBT-relevant radioxenon isotopes, in the order used in files.
ISOTOPES: tuple[Isotope, ...] = ("Xe-131m", "Xe-133m", "Xe-133", "Xe-135")

_DAY_S = 86400.0
_HOUR_S = 3600.0

#: Half-lives in seconds (NUBASE2020, Kondev et al., Chin. Phys. C 45, 030001 (2021)).
HALF_LIFE_S: dict[str, float] = {
    "Xe-131m": 11.948 * _DAY_S,  # NUBASE2020: 11.948 d
    "Xe-133m": 2.198 * _DAY_S,  # NUBASE2020: 2.198 d
    "Xe-133": 5.2474 * _DAY_S,  # NUBASE2020 and DDEP: 5.2474(5) d
    "Xe-135": 9.14 * _HOUR_S,  # NUBASE2020: 9.14 h
}

#: Standard uncertainties of the half-lives in seconds (NUBASE2020, as above).
HALF_LIFE_UNCERTAINTY_S: dict[str, float] = {
    "Xe-131m": 1.0e3,
    "Xe-133m": 1.1e3,
    "Xe-133": 43.0,
    "Xe-135": 72.0,
}

# CSV column stems per isotope, e.g. ``xe133m_mbq_m3``.
_STEM: dict[str, str] = {iso: iso.lower().replace("-", "") for iso in ISOTOPES}


def decay_constant_per_s(isotope: str) -> float:
    """Decay constant ln(2)/T_1/2 in 1/s of ``isotope`` (one of :data:`ISOTOPES`)."""
    try:
        return math.log(2.0) / HALF_LIFE_S[isotope]
    except KeyError:
        raise InputError(
            f"unknown isotope {isotope!r}; expected one of {', '.join(ISOTOPES)}",
            where="isotope",
        ) from None


def decay_correct(
    concentration_mbq_m3: float,
    uncertainty_mbq_m3: float,
    isotope: str,
    from_time: datetime,
    to_time: datetime,
) -> tuple[float, float]:
    """Decay an activity concentration from ``from_time`` to ``to_time``.

    Pure decay, no ingrowth: ``C(to) = C(from) * exp(-lambda * (to - from))``. A
    ``to_time`` before ``from_time`` corrects back in time (the factor exceeds 1).
    The uncertainty scales by the same factor; the half-life uncertainty is not
    propagated (it is below 0.2 % of lambda for every isotope here).

    Parameters
    ----------
    concentration_mbq_m3, uncertainty_mbq_m3
        Activity concentration and its 1-sigma uncertainty at ``from_time`` in mBq/m^3.
    isotope
        One of :data:`ISOTOPES`.
    from_time, to_time
        Timezone-aware UTC datetimes.

    Returns
    -------
    tuple of float
        Concentration and uncertainty at ``to_time`` in mBq/m^3.
    """
    dt_s = (to_time - from_time).total_seconds()
    factor = math.exp(-decay_constant_per_s(isotope) * dt_s)
    return concentration_mbq_m3 * factor, uncertainty_mbq_m3 * factor


# -- sample model ---------------------------------------------------------------


class IsotopeResult(BaseModel):
    """One isotope's result in a sample.

    Parameters
    ----------
    concentration_mbq_m3
        Activity concentration in mBq/m^3 at the sample's reference time (may be
        negative or zero after background subtraction).
    uncertainty_mbq_m3
        1-sigma standard uncertainty in mBq/m^3 (>= 0).
    below_mdc
        True when the result is below the minimum detectable concentration.
    mdc_mbq_m3
        Minimum detectable concentration in mBq/m^3, if known.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    concentration_mbq_m3: float = Field(allow_inf_nan=False)
    uncertainty_mbq_m3: float = Field(ge=0, allow_inf_nan=False)
    below_mdc: bool = False
    mdc_mbq_m3: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class XenonSample(BaseModel):
    """Results of one radioxenon sample.

    Parameters
    ----------
    sample_id
        Identifier of the sample.
    station
        Station code (e.g. an IMS code such as ``"SEX63"``).
    collection_start, collection_stop
        Start and stop of air collection, timezone-aware (UTC).
    acquisition_start
        Start of the detector acquisition, timezone-aware, not before collection stop.
    acquisition_live_time_s
        Live time of the acquisition in s.
    reference_time
        Time to which the concentrations refer; defaults to ``collection_stop``.
    results
        Per-isotope results keyed by isotope name (any subset of :data:`ISOTOPES`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_id: str = Field(min_length=1)
    station: str = Field(min_length=1)
    collection_start: datetime
    collection_stop: datetime
    acquisition_start: datetime
    acquisition_live_time_s: float = Field(gt=0, allow_inf_nan=False)
    reference_time: datetime | None = None
    results: dict[Isotope, IsotopeResult] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_times(self) -> XenonSample:
        for name in ("collection_start", "collection_stop", "acquisition_start"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone (UTC)")
        if self.reference_time is not None and self.reference_time.tzinfo is None:
            raise ValueError("reference_time must carry a time zone (UTC)")
        if self.collection_stop <= self.collection_start:
            raise ValueError("collection_stop must be after collection_start")
        if self.acquisition_start < self.collection_stop:
            raise ValueError("acquisition_start must not precede collection_stop")
        return self

    @property
    def reference(self) -> datetime:
        """Reference time of the concentrations (``reference_time`` or collection stop)."""
        return self.reference_time if self.reference_time is not None else self.collection_stop

    def result(self, isotope: str) -> IsotopeResult:
        """The result for ``isotope``; :class:`InputError` naming the sample if absent."""
        for iso, res in self.results.items():
            if iso == isotope:
                return res
        raise InputError(f"no result for {isotope}", where=f"sample {self.sample_id}")

    def decay_corrected(self, to_time: datetime) -> XenonSample:
        """A copy with every concentration decay-corrected to ``to_time`` (UTC)."""
        new: dict[Isotope, IsotopeResult] = {}
        for iso, res in self.results.items():
            c, u = decay_correct(
                res.concentration_mbq_m3, res.uncertainty_mbq_m3, iso, self.reference, to_time
            )
            mdc = None
            if res.mdc_mbq_m3 is not None:
                mdc = decay_correct(res.mdc_mbq_m3, 0.0, iso, self.reference, to_time)[0]
            new[iso] = IsotopeResult(
                concentration_mbq_m3=c,
                uncertainty_mbq_m3=u,
                below_mdc=res.below_mdc,
                mdc_mbq_m3=mdc,
            )
        return self.model_copy(update={"results": new, "reference_time": to_time})


# -- file formats ---------------------------------------------------------------

_CSV_BASE = (
    "sample_id",
    "station",
    "collection_start",
    "collection_stop",
    "acquisition_start",
    "acquisition_live_time_s",
    "reference_time",
)
_CSV_ISO_SUFFIX = ("mbq_m3", "unc_mbq_m3", "below_mdc", "mdc_mbq_m3")
_ISO_FIELD = {
    "mbq_m3": "concentration_mbq_m3",
    "unc_mbq_m3": "uncertainty_mbq_m3",
    "below_mdc": "below_mdc",
    "mdc_mbq_m3": "mdc_mbq_m3",
}

#: CSV header: base columns, then four columns per isotope.
CSV_COLUMNS: tuple[str, ...] = _CSV_BASE + tuple(
    f"{_STEM[iso]}_{suffix}" for iso in ISOTOPES for suffix in _CSV_ISO_SUFFIX
)


def _validation_where(path: Path, row: str, exc: ValidationError, csv_names: bool) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) if loc else "(sample)"
    if csv_names and len(loc) >= 3 and loc[0] == "results":
        stem = _STEM.get(loc[1], loc[1])
        inverse = {v: k for k, v in _ISO_FIELD.items()}
        field = f"{stem}_{inverse.get(loc[2], loc[2])}"
    return InputError(err["msg"], where=f"{path}: {row}, field {field}")


def _sample_from_json(path: Path, index: int, obj: Any) -> XenonSample:
    if not isinstance(obj, dict):
        raise InputError("a sample must be a JSON object", where=f"{path}: sample {index}")
    try:
        return XenonSample.model_validate(obj)
    except ValidationError as exc:
        raise _validation_where(path, f"sample {index}", exc, csv_names=False) from None


def _parse_bool(text: str, where: str) -> bool:
    t = text.strip().lower()
    if t in ("", "0", "false", "no"):
        return False
    if t in ("1", "true", "yes"):
        return True
    raise InputError(f"not a boolean: {text!r} (use true/false)", where=where)


def _sample_from_csv_row(path: Path, line: int, row: Mapping[str, str | None]) -> XenonSample:
    obj: dict[str, Any] = {}
    for col in _CSV_BASE:
        value = (row.get(col) or "").strip()
        if value:
            obj[col] = value
    results: dict[str, dict[str, Any]] = {}
    for iso in ISOTOPES:
        stem = _STEM[iso]
        cols = {s: (row.get(f"{stem}_{s}") or "").strip() for s in _CSV_ISO_SUFFIX}
        if not any(cols.values()):
            continue
        entry: dict[str, Any] = {}
        for suffix, value in cols.items():
            where = f"{path}: row {line}, field {stem}_{suffix}"
            if suffix == "below_mdc":
                entry["below_mdc"] = _parse_bool(value, where)
            elif value:
                try:
                    entry[_ISO_FIELD[suffix]] = float(value)
                except ValueError:
                    raise InputError(f"not a number: {value!r}", where=where) from None
        results[iso] = entry
    obj["results"] = results
    try:
        return XenonSample.model_validate(obj)
    except ValidationError as exc:
        raise _validation_where(path, f"row {line}", exc, csv_names=True) from None


def read_samples(path: str | Path) -> list[XenonSample]:
    """Read radioxenon sample results from a JSON or CSV file.

    JSON: a list of sample objects, or ``{"samples": [...]}``, each with the fields
    of :class:`XenonSample`. CSV: a header row with :data:`CSV_COLUMNS` (isotope
    columns may be left out or empty), one sample per row. Times are ISO 8601 with
    a UTC offset. See ``docs/monitoring-radionuclide.md`` for the schema.

    Parameters
    ----------
    path
        File ending in ``.json`` or ``.csv``.

    Raises
    ------
    InputError
        Unreadable file, wrong extension, unknown column, or a bad value; the
        message names the file, the sample or row (CSV rows count the header as
        row 1) and the field.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc.__class__.__name__}", where=str(p)) from None
    if suffix == ".json":
        data = parse_json(text, where=str(p))
        if isinstance(data, dict) and "samples" in data:
            data = data["samples"]
        if not isinstance(data, list):
            raise InputError("expected a list of samples or {'samples': [...]}", where=str(p))
        return [_sample_from_json(p, i, obj) for i, obj in enumerate(data)]
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if unknown:
            raise InputError(f"unknown column {unknown[0]!r}", where=f"{p}: row 1")
        missing = [c for c in _CSV_BASE if c != "reference_time" and c not in header]
        if missing:
            raise InputError(f"missing column {missing[0]!r}", where=f"{p}: row 1")
        return [_sample_from_csv_row(p, i + 2, row) for i, row in enumerate(reader)]
    raise InputError("expected a .json or .csv file", where=str(p))


def write_samples_json(samples: Iterable[XenonSample], path: str | Path) -> None:
    """Write samples as ``{"samples": [...]}`` JSON readable by :func:`read_samples`."""
    data = {"samples": [s.model_dump(mode="json") for s in samples]}
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_samples_csv(samples: Iterable[XenonSample], path: str | Path) -> None:
    """Write samples as CSV with :data:`CSV_COLUMNS`, readable by :func:`read_samples`."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for s in samples:
            row: dict[str, str] = {
                "sample_id": s.sample_id,
                "station": s.station,
                "collection_start": s.collection_start.isoformat(),
                "collection_stop": s.collection_stop.isoformat(),
                "acquisition_start": s.acquisition_start.isoformat(),
                "acquisition_live_time_s": repr(s.acquisition_live_time_s),
                "reference_time": s.reference_time.isoformat() if s.reference_time else "",
            }
            for iso, res in s.results.items():
                stem = _STEM[iso]
                row[f"{stem}_mbq_m3"] = repr(res.concentration_mbq_m3)
                row[f"{stem}_unc_mbq_m3"] = repr(res.uncertainty_mbq_m3)
                row[f"{stem}_below_mdc"] = "true" if res.below_mdc else "false"
                row[f"{stem}_mdc_mbq_m3"] = "" if res.mdc_mbq_m3 is None else repr(res.mdc_mbq_m3)
            writer.writerow(row)


# -- Fieller intervals ----------------------------------------------------------


@dataclass(frozen=True)
class FiellerInterval:
    """Fieller confidence set for the ratio of two normal means.

    Attributes
    ----------
    ratio
        Point estimate a/b (``nan`` when b == 0).
    lower, upper
        For ``kind == "bounded"``, the interval [lower, upper]. For
        ``kind == "exclusive"``, the set is (-inf, lower] U [upper, +inf). For
        ``kind == "unbounded"``, the whole real line (both ``nan``).
    confidence
        Two-sided confidence level, e.g. 0.95.
    kind
        ``"bounded"`` when the denominator differs significantly from zero
        (|b| / sigma_b > z); otherwise the set is unbounded.
    message
        One line explaining an unbounded result.
    """

    ratio: float
    lower: float
    upper: float
    confidence: float
    kind: Literal["bounded", "exclusive", "unbounded"]
    message: str = ""

    @property
    def bounded(self) -> bool:
        """True when the confidence set is a finite interval."""
        return self.kind == "bounded"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence set."""
        if self.kind == "bounded":
            return self.lower <= value <= self.upper
        if self.kind == "exclusive":
            return value <= self.lower or value >= self.upper
        return True


def fieller_interval(
    numerator: float,
    sigma_numerator: float,
    denominator: float,
    sigma_denominator: float,
    confidence: float = 0.95,
    covariance: float = 0.0,
) -> FiellerInterval:
    """Fieller (1954) confidence set for the ratio of two normally distributed estimates.

    The set holds every r for which ``a - r b`` is compatible with zero:
    ``(a - r b)^2 <= z^2 (s_a^2 - 2 r c + r^2 s_b^2)`` with z the two-sided normal
    quantile (known variances). It is a finite interval only when the denominator
    is significant, ``b^2 > z^2 s_b^2``; otherwise it is the complement of an
    interval or the whole real line, and the result says so.

    Parameters
    ----------
    numerator, sigma_numerator
        Estimate a and its 1-sigma uncertainty (same unit as the denominator).
    denominator, sigma_denominator
        Estimate b and its 1-sigma uncertainty.
    confidence
        Two-sided confidence level in (0, 1).
    covariance
        Covariance of a and b (unit squared); 0 for independent estimates.

    References
    ----------
    E. C. Fieller, "Some problems in interval estimation", J. R. Stat. Soc. B 16(2),
    175-185 (1954).
    """
    if not 0.0 < confidence < 1.0:
        raise InputError("confidence must be in (0, 1)", where="confidence")
    if sigma_numerator < 0 or sigma_denominator < 0:
        raise InputError("uncertainties must be >= 0", where="sigma")
    a, b = numerator, denominator
    z = float(norm.ppf(0.5 + confidence / 2.0))
    z2 = z * z
    qa = b * b - z2 * sigma_denominator**2
    qb = a * b - z2 * covariance
    qc = a * a - z2 * sigma_numerator**2
    disc = qb * qb - qa * qc
    ratio = a / b if b != 0 else math.nan
    if qa > 0:
        root = math.sqrt(max(disc, 0.0))
        return FiellerInterval(ratio, (qb - root) / qa, (qb + root) / qa, confidence, "bounded")
    if qa < 0 and disc > 0:
        root = math.sqrt(disc)
        r1, r2 = sorted(((qb - root) / qa, (qb + root) / qa))
        return FiellerInterval(
            ratio,
            r1,
            r2,
            confidence,
            "exclusive",
            f"denominator not significant at {confidence:.0%} (|b|/sigma_b <= {z:.3g}); "
            "the confidence set is two half-lines",
        )
    return FiellerInterval(
        ratio,
        math.nan,
        math.nan,
        confidence,
        "unbounded",
        f"denominator not significant at {confidence:.0%} (|b|/sigma_b <= {z:.3g}); "
        "the ratio is unbounded: any value is compatible with the data",
    )


def activity_ratio(
    sample: XenonSample, numerator: str, denominator: str, confidence: float = 0.95
) -> FiellerInterval:
    """Activity-concentration ratio ``numerator/denominator`` of a sample with its Fieller set.

    The two concentrations are taken as independent (covariance 0), as IMS
    reports give no covariance. Results flagged below MDC are used as reported.
    """
    a = sample.result(numerator)
    b = sample.result(denominator)
    return fieller_interval(
        a.concentration_mbq_m3,
        a.uncertainty_mbq_m3,
        b.concentration_mbq_m3,
        b.uncertainty_mbq_m3,
        confidence,
    )


# -- screening ------------------------------------------------------------------


@dataclass(frozen=True)
class DiscriminationLine:
    """A line in the four-isotope plot separating explosions from civilian releases.

    ``log10(Xe-135/Xe-133) = slope * log10(Xe-133m/Xe-131m) + intercept_log10``;
    nuclear explosions lie below (to the right of) the line.

    Attributes
    ----------
    slope
        Slope in log10-log10 space (dimensionless).
    intercept_log10
        Intercept, log10 of the Xe-135/Xe-133 ratio at Xe-133m/Xe-131m = 1.
    source
        Where the numbers come from.
    """

    slope: float
    intercept_log10: float
    source: str

    @classmethod
    def from_criterion(cls, criterion: Any) -> DiscriminationLine:
        """Build the line from a treaty screening criterion.

        ``criterion`` is a :class:`~treatyverify.treaty.models.ScreeningCriterion`
        (e.g. ``load_treaty("ctbt").screening("xenon-isotopic-ratios")``) with the
        numeric parameters ``line_slope`` and ``line_intercept_log10``; a missing or
        non-numeric parameter raises :class:`SpecError`.
        """
        values: dict[str, float] = {}
        for name in ("line_slope", "line_intercept_log10"):
            value = criterion.parameter(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SpecError(
                    f"parameter {name!r} is not a number",
                    where=f"monitoring.screening.{criterion.id}.parameters.{name}",
                )
            values[name] = float(value)
        return cls(values["line_slope"], values["line_intercept_log10"], str(criterion.source))

    def margin_log10(self, x_ratio: float, y_ratio: float) -> float:
        """Signed vertical distance in log10 units; > 0 on the explosion side.

        Parameters
        ----------
        x_ratio
            Xe-133m/Xe-131m activity ratio (> 0).
        y_ratio
            Xe-135/Xe-133 activity ratio (> 0).
        """
        return self.slope * math.log10(x_ratio) + self.intercept_log10 - math.log10(y_ratio)


@dataclass(frozen=True)
class ScreeningResult:
    """Outcome of four-isotope screening of one sample.

    Attributes
    ----------
    decision
        ``"explosion-side"`` when the whole joint confidence box of the two ratios
        lies on the explosion side, ``"civilian-side"`` when it lies wholly on the
        other side, ``"undecided"`` when the box straddles the line, and
        ``"not-computed"`` when a ratio has no finite positive confidence interval.
    margin_log10
        Signed distance of the point from the line in log10 units (> 0: explosion side);
        ``nan`` when not computed.
    x, y
        Fieller sets of Xe-133m/Xe-131m and Xe-135/Xe-133.
    explanation
        One line explaining the decision.
    """

    decision: Literal["explosion-side", "civilian-side", "undecided", "not-computed"]
    margin_log10: float
    x: FiellerInterval
    y: FiellerInterval
    explanation: str


def _safe_log10(value: float) -> float:
    return math.log10(value) if value > 0 else -math.inf


def screen(
    sample: XenonSample, line: DiscriminationLine, confidence: float = 0.95
) -> ScreeningResult:
    """Screen a sample against a discrimination line, with its uncertainty.

    Each ratio gets a Fieller interval at confidence ``1 - (1 - confidence)/2`` so
    that the rectangle they span covers the true ratio pair with probability at
    least ``confidence`` (Bonferroni). As the line rises with x and explosions lie
    below it, the point is significantly on the explosion side when the corner
    (x lower bound, y upper bound) is on the explosion side, and significantly on
    the civilian side when the corner (x upper bound, y lower bound) is not.
    """
    each = 1.0 - (1.0 - confidence) / 2.0
    x = activity_ratio(sample, "Xe-133m", "Xe-131m", each)
    y = activity_ratio(sample, "Xe-135", "Xe-133", each)
    for name, fi in (("Xe-133m/Xe-131m", x), ("Xe-135/Xe-133", y)):
        if not fi.bounded:
            return ScreeningResult("not-computed", math.nan, x, y, f"{name}: {fi.message}")
        if fi.upper <= 0 or not fi.ratio > 0:
            return ScreeningResult(
                "not-computed",
                math.nan,
                x,
                y,
                f"{name}: ratio not positive at {each:.1%} confidence; no point in the log plot",
            )
    margin = line.margin_log10(x.ratio, y.ratio)
    worst_explosion = line.slope * _safe_log10(x.lower) + line.intercept_log10 - math.log10(y.upper)
    worst_civilian = line.slope * math.log10(x.upper) + line.intercept_log10 - _safe_log10(y.lower)
    if worst_explosion > 0:
        decision: Literal["explosion-side", "civilian-side", "undecided"] = "explosion-side"
        text = f"the {confidence:.0%} joint confidence box lies wholly on the explosion side"
    elif worst_civilian < 0:
        decision = "civilian-side"
        text = f"the {confidence:.0%} joint confidence box lies wholly on the civilian side"
    else:
        decision = "undecided"
        text = f"the {confidence:.0%} joint confidence box straddles the discrimination line"
    return ScreeningResult(decision, margin, x, y, f"{text} (margin {margin:+.2f} in log10)")


# -- time since fission -------------------------------------------------------


def ratio_at_zero_from_yields(
    yield_numerator: float, yield_denominator: float, numerator: str, denominator: str
) -> float:
    """Activity ratio at time zero from numbers of atoms (e.g. cumulative fission yields).

    ``A_n/A_d = (Y_n lambda_n) / (Y_d lambda_d)`` for atoms present at t = 0. The
    yields are the caller's, with their source; none are built in.
    """
    if yield_numerator <= 0 or yield_denominator <= 0:
        raise InputError("yields must be > 0", where="yields")
    return (yield_numerator * decay_constant_per_s(numerator)) / (
        yield_denominator * decay_constant_per_s(denominator)
    )


@dataclass(frozen=True)
class ReleaseModel:
    """Release model for dating: a ratio at time zero, then pure decay.

    At t = 0 (the fission event, or the end of a release that separates the gas
    from its precursors) the activity ratio ``numerator/denominator`` is
    ``ratio_at_zero``; after that both isotopes only decay, with no ingrowth from
    precursors: ``R(t) = R0 * exp(-(lambda_n - lambda_d) t)``.

    Attributes
    ----------
    numerator, denominator
        Isotopes, e.g. ``"Xe-131m"`` and ``"Xe-133"``; their half-lives must differ.
    ratio_at_zero
        Activity ratio at t = 0 (> 0), with its source in ``source``.
    source
        Where ``ratio_at_zero`` comes from (e.g. cumulative fission yields of U-235
        for a named evaluation, through :func:`ratio_at_zero_from_yields`).
    """

    numerator: str
    denominator: str
    ratio_at_zero: float
    source: str

    def __post_init__(self) -> None:
        if not self.ratio_at_zero > 0:
            raise InputError("ratio_at_zero must be > 0", where="release model")
        if self.rate_per_s == 0:
            raise InputError("numerator and denominator decay alike", where="release model")

    @property
    def rate_per_s(self) -> float:
        """lambda_numerator - lambda_denominator in 1/s."""
        return decay_constant_per_s(self.numerator) - decay_constant_per_s(self.denominator)

    def ratio_at(self, time_s: float) -> float:
        """Activity ratio after ``time_s`` seconds of pure decay."""
        return self.ratio_at_zero * math.exp(-self.rate_per_s * time_s)

    def time_for_ratio(self, ratio: float) -> float:
        """Time in s at which the model reaches ``ratio`` (> 0); may be negative."""
        if not ratio > 0:
            raise InputError("ratio must be > 0 to be dated", where="ratio")
        return math.log(self.ratio_at_zero / ratio) / self.rate_per_s


@dataclass(frozen=True)
class TimeEstimate:
    """Time from the model's zero to the sample's reference time.

    Attributes
    ----------
    time_s
        Point estimate in s (``nan`` if not computed).
    lower_s, upper_s
        Confidence bounds in s; ``-inf``/``inf`` when a ratio bound is not positive
        or the ratio interval is unbounded.
    confidence
        Two-sided confidence level.
    message
        Explanation when bounds are open or the estimate is not computed.
    """

    time_s: float
    lower_s: float
    upper_s: float
    confidence: float
    message: str = ""


def time_since_zero(
    sample: XenonSample, model: ReleaseModel, confidence: float = 0.95
) -> TimeEstimate:
    """Time since fission (or release) from an activity ratio under ``model``.

    The ratio's Fieller interval maps monotonically onto a time interval. Negative
    times mean the observed ratio is not reachable by decay from the model's
    starting ratio (the model does not fit).
    """
    fi = activity_ratio(sample, model.numerator, model.denominator, confidence)
    if not fi.bounded:
        return TimeEstimate(math.nan, -math.inf, math.inf, confidence, fi.message)
    if not fi.ratio > 0:
        return TimeEstimate(
            math.nan, -math.inf, math.inf, confidence, "ratio not positive; cannot be dated"
        )
    t = model.time_for_ratio(fi.ratio)
    bounds = [
        model.time_for_ratio(r) if r > 0 else math.copysign(math.inf, model.rate_per_s)
        for r in (fi.lower, fi.upper)
    ]
    message = "" if fi.lower > 0 else "lower ratio bound not positive: time bound open"
    return TimeEstimate(t, min(bounds), max(bounds), confidence, message)
