"""Operator-inspector paired measurements and the attribute (gross and partial defect) tests.

The operator declares ``N_i`` items in stratum ``i`` (one kind of item: UO2 powder drums,
UF6 cylinders, Pu oxide cans) and measured all of them; the inspector re-measures a
random sample of ``n_i`` with a verification method (weighing, NDA, DA). A
:class:`PairedResult` holds one item's pair of values. Both follow the multiplicative
error model of :mod:`.measurement_errors`: ``x = mu (1 + r + s)`` with a random relative
error ``r`` per measurement and a systematic one ``s`` shared, for the inspector, by every
measurement with one method in one inspection period and, for the operator, by every
measurement with one method in the data set (one balance period).

Defects (IAEA Safeguards Glossary, 2001 edition, entries "gross defect", "partial
defect", "bias defect"; R. Avenhaus and M. J. Canty, *Compliance Quantified*, Cambridge
University Press, 1996, chapter 6): a *gross* defect is an item falsified to the whole
of its content (missing or empty), a *partial* defect one falsified by a fraction
``phi`` of it, a *bias* defect a small falsification of (nearly) every item, found only
by the variables test of the D statistic (:mod:`.dstatistic`).

The attribute test of one cell (stratum, inspector method, period) flags an item when
its hiding difference ``h = -sign (x - y) / x`` exceeds a threshold ``t``; ``sign`` is the
stratum's sign in the balance (+1 beginning inventory and receipts, -1 shipments,
discards and ending inventory), so that ``h > 0`` is the direction that hides a loss.
To first order (derived here from the error model; the form is that of Avenhaus & Canty
1996, ch. 6, attributes sampling with measurement error),

    h = phi + (1 - phi) (e + S),   e ~ N(0, sr^2) per item,  S ~ N(0, ss^2) per cell,

with ``sr^2 = sr_op^2 + sr_in^2`` and ``ss^2 = ss_op^2 + ss_in^2``. Given the common
``S``, items are independent; the threshold is set so that the false-alarm probability
of the cell, ``1 - E_S[Phi((t - S)/sr)^n]``, is ``alpha`` exactly, and the detection
probability of ``r`` falsified items among ``N`` is

    PD = 1 - sum_k hyp(k; N, r, n) E_S[ Phi((t - S)/sr)^(n-k) q(S)^k ],
    q(S) = Phi((t - phi - (1 - phi) S) / ((1 - phi) sr))   (q = 1[phi <= t] when phi = 1),

``hyp`` the hypergeometric probability of ``k`` falsified items in the sample. The
expectation over ``S`` is a 64-point Gauss-Hermite quadrature (exact for the normal
model to far below Monte Carlo error). Without measurement error (``sr = ss = 0``) and
``phi > t`` it reduces to the attribute-sampling formula ``1 - C(N-r, n)/C(N, n)`` of
:mod:`treatyverify.methods.sampling.attribute`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import optimize, stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.measurement_errors import (
    ErrorModel,
    MethodErrors,
    MethodId,
    default_error_model,
)
from treatyverify.methods.sampling.attribute import (
    defects_to_divert,
    exact_sample_size,
    iaea_sample_size,
)
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "AttributeResult",
    "CellErrors",
    "PairedData",
    "PairedResult",
    "Stratum",
    "attribute_detection_probability",
    "attribute_false_alarm_probability",
    "attribute_sample_size",
    "attribute_tests",
    "attribute_threshold",
    "hiding_difference",
    "load_paired",
    "parse_paired",
    "read_paired_csv",
]

_GRAMS_PER_KG = 1000.0
"""Definition of the kilogram's submultiple (SI)."""

_HERMITE_NODES = 64
"""Gauss-Hermite nodes for the expectation over the common systematic error."""

_FIELD = ConfigDict(extra="forbid", frozen=True, json_schema_extra=describe_fields)


class PairedResult(BaseModel):
    """One item measured by the operator (declared) and re-measured by the inspector.

    Attributes
    ----------
    item_id
        Item or batch identifier as declared.
    stratum
        Stratum the item belongs to (a :class:`Stratum` id).
    method
        The inspector's verification method (an error-model method id, e.g. ``"nda-u"``).
    unit
        Unit of both values: ``"kg"`` or ``"g"``.
    operator_value
        Operator's declared nuclear-material mass of the item, in ``unit`` (> 0).
    inspector_value
        Inspector's measured mass, in ``unit`` (>= 0: an empty item measures 0).
    period
        Inspection period in which the inspector measured (systematic errors are shared
        within a period).
    """

    model_config = _FIELD

    item_id: str = Field(min_length=1, description="Item or batch identifier.")
    stratum: str = Field(min_length=1, description="Stratum id.")
    method: MethodId = Field(description="Inspector's verification method.")
    unit: Literal["kg", "g"] = Field(description="Unit of both values.")
    operator_value: float = Field(
        gt=0.0, allow_inf_nan=False, description="Operator's declared mass."
    )
    inspector_value: float = Field(
        ge=0.0, allow_inf_nan=False, description="Inspector's measured mass."
    )
    period: str = Field(min_length=1, description="Inspection period.")

    @property
    def operator_kg(self) -> float:
        """Declared mass, kg."""
        return self.operator_value / (_GRAMS_PER_KG if self.unit == "g" else 1.0)

    @property
    def inspector_kg(self) -> float:
        """Inspector's mass, kg."""
        return self.inspector_value / (_GRAMS_PER_KG if self.unit == "g" else 1.0)


class Stratum(BaseModel):
    """A population of declared items of one kind.

    Attributes
    ----------
    id
        Stratum identifier.
    items
        Declared items ``N`` in the stratum (>= 1).
    operator_method
        The operator's measurement method (error-model id).
    balance_sign
        Sign of the stratum in ``MUF = PB + X - Y - PE``: +1 beginning inventory and
        receipts, -1 shipments, discards and ending inventory.
    declared_kg
        Operator's declared total of the stratum, kg (``None``: estimated as ``N`` times
        the mean declared value of the sample).
    description
        What the items are.
    """

    model_config = _FIELD

    id: str = Field(min_length=1)
    items: int = Field(ge=1, le=10**9, strict=True)
    operator_method: MethodId
    balance_sign: Literal[1, -1]
    declared_kg: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    description: str = ""


class PairedData(BaseModel):
    """Strata, method errors and paired results of one verification.

    Attributes
    ----------
    strata
        The declared strata.
    methods
        Method errors that replace or add to the base error model.
    results
        The paired results.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    strata: tuple[Stratum, ...] = Field(min_length=1)
    methods: tuple[MethodErrors, ...] = ()
    results: tuple[PairedResult, ...] = Field(min_length=1)

    def stratum(self, stratum_id: str) -> Stratum:
        """The stratum with this id."""
        for stratum in self.strata:
            if stratum.id == stratum_id:
                return stratum
        raise InputError(f"unknown stratum {stratum_id!r}", where="stratum")

    def in_stratum(self, stratum_id: str) -> tuple[PairedResult, ...]:
        """The results of one stratum, in file order."""
        return tuple(r for r in self.results if r.stratum == stratum_id)

    def sample_size(self, stratum_id: str) -> int:
        """Items ``n`` verified in a stratum."""
        return len(self.in_stratum(stratum_id))


def _format_loc(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _entry(data: Any, loc: Sequence[int | str]) -> str:
    """``results[3] (item D-07)`` for an error location inside a result."""
    text = _format_loc(loc)
    if len(loc) >= 2 and loc[0] == "results" and isinstance(loc[1], int):
        try:
            item = data["results"][loc[1]]["item_id"]
        except (KeyError, IndexError, TypeError):
            return text
        head = f"results[{loc[1]}] (item {item})"
        return head + _format_loc(["x", *loc[2:]])[1:]
    return text


def _check(data: PairedData, base: ErrorModel, name: str) -> ErrorModel:
    """Cross-field rules; returns the error model merged with the file's methods."""
    model = base.updated(data.methods)
    strata: dict[str, Stratum] = {}
    for index, stratum in enumerate(data.strata):
        if stratum.id in strata:
            raise InputError("stratum id given twice", where=f"{name}: strata[{index}].id")
        if stratum.operator_method not in model:
            raise InputError(
                f"method {stratum.operator_method!r} has no errors in the error model "
                "(give it under methods)",
                where=f"{name}: strata[{index}].operator_method",
            )
        strata[stratum.id] = stratum
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for index, result in enumerate(data.results):
        where = f"{name}: results[{index}] (item {result.item_id})"
        if result.stratum not in strata:
            raise InputError(f"unknown stratum {result.stratum!r}", where=f"{where}.stratum")
        if result.method not in model:
            raise InputError(
                f"method {result.method!r} has no errors in the error model "
                "(give it under methods)",
                where=f"{where}.method",
            )
        if (result.stratum, result.item_id) in seen:
            raise InputError("item verified twice in its stratum", where=f"{where}.item_id")
        seen.add((result.stratum, result.item_id))
        counts[result.stratum] = counts.get(result.stratum, 0) + 1
        if counts[result.stratum] > strata[result.stratum].items:
            raise InputError(
                f"sample larger than its stratum: more than the "
                f"{strata[result.stratum].items} declared items of {result.stratum!r}",
                where=f"{where}.stratum",
            )
    return model


def parse_paired(
    data: object, name: str = "<paired data>", *, error_model: ErrorModel | None = None
) -> tuple[PairedData, ErrorModel]:
    """Validate parsed paired data.

    Parameters
    ----------
    data
        A mapping with ``strata``, optional ``methods`` and ``results``.
    name
        File name for error messages.
    error_model
        Base error model (default: the shipped ITV table), overridden by ``methods``.

    Returns
    -------
    tuple
        The :class:`PairedData` and the error model to evaluate it with.

    Raises
    ------
    InputError
        One line naming ``name``, the entry and the field.
    """
    try:
        paired = PairedData.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _entry(data, tuple(err["loc"]))
        raise InputError(err["msg"], where=f"{name}: {loc}" if loc else name) from None
    except InputError as exc:  # duplicate method ids in the error model
        raise InputError(exc.message, where=f"{name}: methods: {exc.where}") from None
    base = default_error_model() if error_model is None else error_model
    return paired, _check(paired, base, name)


_CSV_FIELDS = tuple(PairedResult.model_fields)


def read_paired_csv(text: str, name: str = "<csv>") -> list[dict[str, Any]]:
    """Read paired results from CSV text (header: the :class:`PairedResult` fields).

    Values are kept as strings except the two masses, parsed as floats; validation is
    that of :func:`parse_paired`. An error names ``name``, the row (1-based, header = 1)
    and the field.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [field for field in _CSV_FIELDS if field not in header]
    if missing:
        raise InputError(f"CSV header lacks column {missing[0]!r}", where=f"{name}: row 1")
    extra = [field for field in header if field not in _CSV_FIELDS]
    if extra:
        raise InputError(f"unknown CSV column {extra[0]!r}", where=f"{name}: row 1")
    rows: list[dict[str, Any]] = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise InputError(
                "more values than the header has columns",
                where=f"{name}: row {line} (item {row.get('item_id')})",
            )
        entry: dict[str, Any] = {}
        for field in _CSV_FIELDS:
            value = (row.get(field) or "").strip()
            if value == "":
                raise InputError(
                    "empty value", where=f"{name}: row {line} (item {row.get('item_id')}).{field}"
                )
            if field in ("operator_value", "inspector_value"):
                try:
                    entry[field] = float(value)
                except ValueError:
                    raise InputError(
                        f"not a number: {value!r}",
                        where=f"{name}: row {line} (item {row.get('item_id')}).{field}",
                    ) from None
                if not math.isfinite(entry[field]):
                    raise InputError(
                        "must be a finite number",
                        where=f"{name}: row {line} (item {row.get('item_id')}).{field}",
                    )
            else:
                entry[field] = value
        rows.append(entry)
    return rows


def load_paired(
    path: str | Path, *, error_model: ErrorModel | None = None
) -> tuple[PairedData, ErrorModel]:
    """Read paired data from a JSON or YAML file.

    ``results`` is a list of results or the name of a CSV file beside ``path`` (header:
    ``item_id, stratum, method, unit, operator_value, inspector_value, period``).

    Raises
    ------
    InputError
        Unreadable file, unknown suffix, or invalid content (naming file, entry, field).
    """
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc.__class__.__name__}", where=str(path)) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text, parse_constant=_refuse_constant)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise InputError("paired data must be .json, .yaml or .yml", where=str(path))
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = f"not valid {suffix[1:].upper()}: {exc}".splitlines()[0]
        raise InputError(first, where=name) from None
    except ValueError as exc:
        raise InputError(str(exc), where=name) from None
    if not isinstance(data, dict):
        raise InputError("must be a mapping with strata and results", where=name)
    results = data.get("results")
    if isinstance(results, str):
        csv_path = path.parent / results
        try:
            csv_text = csv_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read the results CSV: {exc.__class__.__name__}", where=f"{name}: results"
            ) from None
        data = {**data, "results": read_paired_csv(csv_text, csv_path.name)}
    return parse_paired(data, name, error_model=error_model)


def _refuse_constant(value: str) -> float:
    raise ValueError(f"{value} is not a number")


# ----------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class CellErrors:
    """Relative errors of the hiding difference in one cell (dimensionless).

    Attributes
    ----------
    random_rsd
        ``sr = sqrt(sr_op^2 + sr_in^2)``, independent per item.
    systematic_rsd
        ``ss = sqrt(ss_op^2 + ss_in^2)``, common to the cell.
    """

    random_rsd: float
    systematic_rsd: float

    @classmethod
    def of(cls, operator: MethodErrors, inspector: MethodErrors) -> CellErrors:
        """Combine the operator's and the inspector's method errors."""
        return cls(
            random_rsd=math.hypot(operator.random_rsd, inspector.random_rsd),
            systematic_rsd=math.hypot(operator.systematic_rsd, inspector.systematic_rsd),
        )


def _hermite() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(_HERMITE_NODES)
    return nodes, weights / math.sqrt(2.0 * math.pi)


def _clean(threshold: float, s: NDArray[np.float64], sr: float) -> NDArray[np.float64]:
    """P(an honest item is not flagged | S), ``Phi((t - S) / sr)``, per node ``S``."""
    if sr == 0.0:
        return np.where(s <= threshold, 1.0, 0.0)
    return np.asarray(stats.norm.cdf((threshold - s) / sr), dtype=np.float64)


def _check_prob(value: float, where: str) -> float:
    if not (isinstance(value, int | float) and 0.0 < value < 1.0):
        raise InputError(f"must lie strictly between 0 and 1, not {value!r}", where=where)
    return float(value)


def attribute_false_alarm_probability(threshold: float, sample: int, errors: CellErrors) -> float:
    """False-alarm probability ``1 - E_S[Phi((t - S)/sr)^n]`` of one cell's attribute test.

    Parameters
    ----------
    threshold
        Threshold ``t`` on the relative hiding difference (dimensionless).
    sample
        Items ``n`` verified in the cell.
    errors
        The cell's combined relative errors.
    """
    nodes, weights = _hermite()
    s = errors.systematic_rsd * nodes
    clean = _clean(threshold, s, errors.random_rsd)
    return float(1.0 - np.sum(weights * clean**sample))


def attribute_threshold(alpha: float, sample: int, errors: CellErrors) -> float:
    """Threshold ``t`` giving the cell's attribute test the false-alarm probability ``alpha``.

    Parameters
    ----------
    alpha
        False-alarm probability of the cell (dimensionless).
    sample
        Items ``n`` verified in the cell (>= 1).
    errors
        The cell's combined relative errors; at least one must be positive.
    """
    a = _check_prob(alpha, "alpha")
    if sample < 1:
        raise InputError("at least one item must be verified", where="sample")
    total = math.hypot(errors.random_rsd, errors.systematic_rsd)
    if total == 0.0:
        raise InputError("the measurement errors are all zero", where="errors")
    high = total * 40.0
    return float(
        optimize.brentq(
            lambda t: attribute_false_alarm_probability(t, sample, errors) - a,
            -high,
            high,
            xtol=1e-12 * total,
        )
    )


def attribute_detection_probability(
    items: int,
    defects: int,
    sample: int,
    defect_fraction: float,
    errors: CellErrors,
    threshold: float,
) -> float:
    """Probability that the attribute test flags at least one item of the sample.

    Parameters
    ----------
    items
        Items ``N`` in the cell's population.
    defects
        Falsified items ``r`` among them.
    sample
        Items ``n`` verified.
    defect_fraction
        Falsified fraction ``phi`` of each defective item's content, in (0, 1] (1: gross
        defect, missing or empty item).
    errors
        The cell's combined relative errors.
    threshold
        Threshold ``t`` (:func:`attribute_threshold`).

    Returns
    -------
    float
        ``1 - sum_k hyp(k) E_S[P0(S)^(n-k) P1(S)^k]`` (dimensionless); with ``defects``
        = 0 it is the false-alarm probability.
    """
    for value, where in ((items, "items"), (defects, "defects"), (sample, "sample")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"must be a non-negative integer, not {value!r}", where=where)
    if items < 1 or defects > items or sample > items:
        raise InputError(
            f"need 1 <= N, r <= N and n <= N (N = {items}, r = {defects}, n = {sample})",
            where="sample",
        )
    if not (math.isfinite(defect_fraction) and 0.0 < defect_fraction <= 1.0):
        raise InputError("must lie in (0, 1]", where="defect_fraction")
    nodes, weights = _hermite()
    s = errors.systematic_rsd * nodes
    sr = errors.random_rsd
    p0 = _clean(threshold, s, sr)
    scale = 1.0 - defect_fraction
    if scale == 0.0 or sr == 0.0:
        shifted = defect_fraction + scale * s
        p1 = np.where(shifted <= threshold, 1.0, 0.0)
    else:
        p1 = stats.norm.cdf((threshold - defect_fraction - scale * s) / (scale * sr))
    k = np.arange(0, min(defects, sample) + 1)
    pmf = stats.hypergeom.pmf(k, items, defects, sample)
    # E_S[p0^(n-k) p1^k] for each k: (k, nodes)
    clean = p0[None, :] ** (sample - k)[:, None] * p1[None, :] ** k[:, None]
    none_flagged = float(np.sum(pmf * (clean @ weights)))
    return min(1.0, max(0.0, 1.0 - none_flagged))


def attribute_sample_size(
    items: int,
    item_mass_kg: float,
    goal_kg: float,
    beta: float,
    *,
    defect_fraction: float = 1.0,
    method: Literal["iaea", "exact"] = "iaea",
) -> int:
    """Items to verify so that falsifying a goal quantity is caught with probability >= 1 - beta.

    ``M = ceil(goal / (phi m))`` items must be falsified (``phi`` the defect fraction,
    ``m`` the item mass); ``"iaea"`` gives ``ceil(N (1 - beta^(1/M)))``, ``"exact"`` the
    smallest ``n`` with ``C(N - M, n) / C(N, n) <= beta`` (Avenhaus & Canty 1996, ch. 6;
    implemented in :mod:`treatyverify.methods.sampling.attribute`). The test is assumed
    to recognise every falsified item it measures.

    Parameters
    ----------
    items
        Items ``N`` in the stratum.
    item_mass_kg
        Declared mass per item, kg.
    goal_kg
        Goal quantity, kg.
    beta
        Accepted non-detection probability.
    defect_fraction
        ``phi`` in (0, 1]: 1 for gross defects, less for partial defects.
    method
        ``"iaea"`` or ``"exact"``.
    """
    if not (math.isfinite(defect_fraction) and 0.0 < defect_fraction <= 1.0):
        raise InputError("must lie in (0, 1]", where="defect_fraction")
    defects = defects_to_divert(goal_kg, item_mass_kg * defect_fraction)
    if defects > items:
        raise InputError(
            f"the {items} items cannot hide {goal_kg} kg with defects of "
            f"{defect_fraction:g} of {item_mass_kg} kg",
            where="goal_kg",
        )
    if method == "iaea":
        return iaea_sample_size(items, defects, beta)
    if method == "exact":
        return exact_sample_size(items, defects, beta)
    raise InputError(f"unknown method {method!r}; use iaea or exact", where="method")


@dataclass(frozen=True)
class AttributeResult:
    """The attribute test of one cell (stratum, inspector method, inspection period).

    Attributes
    ----------
    stratum, method, period
        The cell.
    sample
        Items verified ``n``.
    alpha
        False-alarm probability of the cell (dimensionless).
    threshold
        Threshold on the relative hiding difference (dimensionless).
    errors
        Combined relative errors.
    flagged
        Items whose hiding difference exceeds the threshold.
    gross
        Flagged items whose difference is consistent with an empty item
        (``h >= 1 - t``): gross defects; the other flagged items are partial defects.
    """

    stratum: str
    method: str
    period: str
    sample: int
    alpha: float
    threshold: float
    errors: CellErrors
    flagged: tuple[str, ...]
    gross: tuple[str, ...]

    @property
    def alarm(self) -> bool:
        """At least one item flagged."""
        return bool(self.flagged)


def hiding_difference(result: PairedResult, sign: int) -> float:
    """``-sign (x - y) / x``: positive when the declaration hides a loss (dimensionless)."""
    return -sign * (result.operator_kg - result.inspector_kg) / result.operator_kg


def attribute_tests(
    data: PairedData, error_model: ErrorModel, alpha: float
) -> tuple[AttributeResult, ...]:
    """Attribute tests of every cell, each at the Sidak share of ``alpha``.

    Each of the ``c`` cells is tested at ``1 - (1 - alpha)^(1/c)``, so that with
    independent cells the probability of any false alarm is ``alpha``.

    Parameters
    ----------
    data, error_model
        From :func:`load_paired` or :func:`parse_paired`.
    alpha
        False-alarm probability of all attribute tests together (dimensionless).
    """
    a = _check_prob(alpha, "alpha")
    cells: dict[tuple[str, str, str], list[PairedResult]] = {}
    for result in data.results:
        cells.setdefault((result.stratum, result.method, result.period), []).append(result)
    share = -math.expm1(math.log1p(-a) / len(cells))
    out: list[AttributeResult] = []
    for (stratum_id, method, period), results in cells.items():
        stratum = data.stratum(stratum_id)
        errors = CellErrors.of(error_model.get(stratum.operator_method), error_model.get(method))
        t = attribute_threshold(share, len(results), errors)
        diffs = [(r.item_id, hiding_difference(r, stratum.balance_sign)) for r in results]
        flagged = tuple(i for i, h in diffs if h > t)
        gross = tuple(i for i, h in diffs if h > t and h >= 1.0 - t)
        out.append(
            AttributeResult(
                stratum=stratum_id,
                method=method,
                period=period,
                sample=len(results),
                alpha=share,
                threshold=t,
                errors=errors,
                flagged=flagged,
                gross=gross,
            )
        )
    return tuple(out)
