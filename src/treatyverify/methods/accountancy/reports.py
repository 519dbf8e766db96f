"""Accounting reports of a material balance area: inventory change reports (ICR),
physical inventory listings (PIL) and material balance reports (MBR), in JSON and CSV.

An ICR lists the inventory changes of one balance period, batch by batch; a PIL lists
the items of a physical inventory; an MBR states the balance of one element (or
isotope) over a period::

    ending book inventory          = beginning physical inventory + increases - decreases
    adjusted ending book inventory = ending book inventory + shipper/receiver differences
    MUF                            = adjusted ending book inventory - ending physical inventory

(entries of a material balance report: INFCIRC/153 (Corrected) as quoted by the Nuclear
Safeguards Education Portal, see ``inventory_changes.yaml``). The types of inventory
change and their sign are data, in ``inventory_changes.yaml``; the IAEA's two-letter
codes are left out there until a source for them is read.

:func:`material_balance_report` computes an MBR from an ICR and the PILs that open and
close its period; :func:`reports_to_facility` turns PILs and ICRs into the
:class:`~.model.Facility` that :func:`~.balance.material_balance` takes, so that the
reports feed MUF, sigma-MUF and the sequential tests; :func:`closure_errors` lists the
lines of an MBR that do not add up. Weights are in ``kg`` or ``g`` (per entry, never
assumed); every error is one :class:`InputError` whose ``where`` names the file, the
entry and the field, e.g. ``"icr.csv: entries[3] (batch R-102).element_weight"``.
See ``docs/accountancy-reports.md``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from treatyverify.errors import InputError
from treatyverify.files import load_yaml, parse_json, read_text, write_atomically
from treatyverify.methods.accountancy.measurement_errors import ErrorModel, default_error_model
from treatyverify.methods.accountancy.model import (
    ELEMENTS,
    MASS_UNITS_KG,
    BalancePeriod,
    Batch,
    ChangeKind,
    Facility,
    InventoryChange,
    KeyMeasurementPoint,
    MaterialBalanceArea,
    PhysicalInventory,
)
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "CLOSURE_TOLERANCE_KG",
    "ChangeType",
    "ClosureError",
    "IcrEntry",
    "InventoryChangeReport",
    "MaterialBalanceReport",
    "MbrLine",
    "PhysicalInventoryListing",
    "PilItem",
    "Report",
    "change_type",
    "change_types",
    "closure_errors",
    "load_report",
    "material_balance_report",
    "parse_report",
    "report_to_csv",
    "report_to_json",
    "reports_to_facility",
    "write_report",
]

_TABLE_FILE = "inventory_changes.yaml"

CLOSURE_TOLERANCE_KG = 1.0e-6
"""Largest difference (kg) between a stated MBR total and the sum of its lines that
still counts as equal. One milligram: it absorbs the floating-point rounding of the
sums (about 1e-13 kg for tonnes), never a difference in the reported numbers, which
are written to gram resolution or finer. A project choice, not a treaty number."""

T = TypeVar("T")


# ---------------------------------------------------------------------------- table


@dataclass(frozen=True, slots=True)
class ChangeType:
    """A type of inventory change and its effect on the book inventory.

    Parameters
    ----------
    type
        Identifier written in an ICR entry, e.g. ``"domestic-receipt"``.
    sign
        ``+1`` increases the book inventory, ``-1`` decreases it, ``0`` is a signed
        correction (shipper/receiver difference) whose weight carries its sign.
    meaning
        Wording of the source.
    source
        Where the type and its sign were read.
    """

    type: str
    sign: int
    meaning: str
    source: str


@cache
def change_types() -> dict[str, ChangeType]:
    """The shipped table of inventory change types (``inventory_changes.yaml``), by type."""
    text = resources.files(__package__).joinpath(_TABLE_FILE).read_text(encoding="utf-8")
    data = load_yaml(text)
    sources: dict[str, str] = data["sources"]
    signs = {"+": +1, "-": -1, "+/-": 0}
    table: dict[str, ChangeType] = {}
    for entry in data["types"]:
        table[entry["type"]] = ChangeType(
            type=entry["type"],
            sign=signs[entry["sign"]],
            meaning=entry["meaning"],
            source=sources[entry["source"]],
        )
    return table


def change_type(name: str) -> ChangeType:
    """The inventory change type ``name``; :class:`InputError` if the table lacks it."""
    table = change_types()
    if name not in table:
        raise InputError(
            f"unknown inventory change type {name!r} (known: {', '.join(sorted(table))})",
            where="type",
        )
    return table[name]


# --------------------------------------------------------------------------- models


class _Raw(BaseModel):
    """Frozen; unknown keys, NaN and infinities are errors."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, json_schema_extra=describe_fields
    )


Unit = Literal["kg", "g"]


def _one_or_many(value: object) -> object:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split("+") if part.strip()]
    return value


class _Weighed(_Raw):
    """Fields shared by ICR entries and PIL items.

    Attributes
    ----------
    batch
        Batch (or item) identifier.
    element
        ``U``, ``Pu`` or ``Th``.
    element_weight
        Weight of the element, in ``unit``.
    isotope
        Isotope whose weight is also given, e.g. ``U-235`` (empty: none).
    isotope_weight
        Weight of ``isotope``, in ``unit`` (needed when ``isotope`` is given).
    unit
        Unit of both weights: ``kg`` or ``g``; no other unit is converted.
    method
        Measurement method id(s) of the weight, for error propagation (optional in a
        report; needed by :func:`reports_to_facility`). In CSV, several ids are joined
        with ``+``.
    kmp
        Key measurement point (optional in a report; needed by
        :func:`reports_to_facility`).
    """

    batch: str = Field(min_length=1)
    element: Literal["U", "Pu", "Th"]
    element_weight: float
    isotope: str | None = None
    isotope_weight: float | None = None
    unit: Unit
    method: list[str] = Field(default_factory=list)
    kmp: str | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _methods(cls, value: object) -> object:
        return _one_or_many(value)

    @field_validator("isotope", "kmp", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def kg(self, isotope: str | None) -> float | None:
        """Weight of the element (``isotope`` None) or of ``isotope``, kg; None if the
        entry is of another element or does not give that isotope."""
        if isotope is None:
            return self.element_weight * MASS_UNITS_KG[self.unit]
        if self.isotope != isotope or self.isotope_weight is None:
            return None
        return self.isotope_weight * MASS_UNITS_KG[self.unit]


class IcrEntry(_Weighed):
    """One batch of an inventory change report.

    Attributes
    ----------
    date
        Date of the inventory change (ISO 8601, e.g. ``2025-03-03``).
    type
        Type of inventory change, from ``inventory_changes.yaml``.
    """

    date: date
    type: str


class PilItem(_Weighed):
    """One item (batch) of a physical inventory listing."""


class InventoryChangeReport(_Raw):
    """An inventory change report (ICR): the inventory changes of one period.

    Attributes
    ----------
    report
        ``ICR``.
    mba
        Material balance area.
    period_start, period_end
        Dates of the physical inventories that open and close the period; every entry
        is dated in ``[period_start, period_end]``.
    entries
        The inventory changes, batch by batch.
    """

    report: Literal["ICR"] = "ICR"
    mba: str = Field(min_length=1)
    period_start: date
    period_end: date
    entries: list[IcrEntry] = Field(default_factory=list)


class PhysicalInventoryListing(_Raw):
    """A physical inventory listing (PIL): the items present at a physical inventory.

    Attributes
    ----------
    report
        ``PIL``.
    mba
        Material balance area.
    date
        Date of the physical inventory.
    items
        The items on inventory.
    """

    report: Literal["PIL"] = "PIL"
    mba: str = Field(min_length=1)
    date: date
    items: list[PilItem] = Field(default_factory=list)


MbrLineKind = Literal[
    "beginning-physical-inventory",
    "increase",
    "decrease",
    "total-increases",
    "total-decreases",
    "ending-book-inventory",
    "shipper-receiver-difference",
    "adjusted-ending-book-inventory",
    "ending-physical-inventory",
    "muf",
]


class MbrLine(_Raw):
    """One line of a material balance report, as written in CSV.

    Attributes
    ----------
    line
        What the line states (``increase``, ``total-increases``, ``muf`` ...).
    type
        Inventory change type, for ``increase`` and ``decrease`` lines.
    weight
        The weight, in the report's ``unit``.
    """

    line: MbrLineKind
    type: str | None = None
    weight: float


class MaterialBalanceReport(_Raw):
    """A material balance report (MBR) of one element, or one isotope, over one period.

    Attributes
    ----------
    report
        ``MBR``.
    mba
        Material balance area.
    period_start, period_end
        Dates of the opening and closing physical inventories.
    element
        ``U``, ``Pu`` or ``Th``.
    isotope
        The isotope balanced (e.g. ``U-235``), or empty for the element.
    unit
        Unit of every weight: ``kg`` or ``g``.
    beginning_physical_inventory
        Physical inventory that opens the period.
    increases, decreases
        Sum of the inventory changes per type (each weight >= 0).
    total_increases, total_decreases
        Stated totals of ``increases`` and ``decreases``.
    ending_book_inventory
        Beginning physical inventory + total increases - total decreases.
    shipper_receiver_difference
        Sum of the shipper/receiver differences (signed).
    adjusted_ending_book_inventory
        Ending book inventory + shipper/receiver difference.
    ending_physical_inventory
        Physical inventory that closes the period.
    muf
        Material unaccounted for: adjusted ending book - ending physical inventory.
    """

    report: Literal["MBR"] = "MBR"
    mba: str = Field(min_length=1)
    period_start: date
    period_end: date
    element: Literal["U", "Pu", "Th"]
    isotope: str | None = None
    unit: Unit
    beginning_physical_inventory: float
    increases: dict[str, float] = Field(default_factory=dict)
    decreases: dict[str, float] = Field(default_factory=dict)
    total_increases: float
    total_decreases: float
    ending_book_inventory: float
    shipper_receiver_difference: float = 0.0
    adjusted_ending_book_inventory: float
    ending_physical_inventory: float
    muf: float

    @field_validator("isotope", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


Report = InventoryChangeReport | PhysicalInventoryListing | MaterialBalanceReport
_MODELS: dict[str, type[BaseModel]] = {
    "ICR": InventoryChangeReport,
    "PIL": PhysicalInventoryListing,
    "MBR": MaterialBalanceReport,
}


# ----------------------------------------------------------------------- validation


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> str:
    """``entries[3] (batch R-102).element_weight`` for a pydantic location."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            try:
                node = node[part]
            except (IndexError, KeyError, TypeError):
                node = None
            if isinstance(node, dict) and node.get("batch"):
                text += f" (batch {node['batch']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _where(name: str, inner: str) -> str:
    return f"{name}: {inner}" if inner else name


def _check_entry(name: str, label: str, entry: _Weighed, *, signed: bool) -> None:
    if entry.isotope is not None and entry.isotope_weight is None:
        raise InputError(
            f"the isotope {entry.isotope} is named without its weight",
            where=_where(name, f"{label}.isotope_weight"),
        )
    if entry.isotope is None and entry.isotope_weight is not None:
        raise InputError(
            "an isotope weight needs the isotope it is of",
            where=_where(name, f"{label}.isotope"),
        )
    for field in ("element_weight", "isotope_weight"):
        value = getattr(entry, field)
        if value is not None and value < 0 and not signed:
            raise InputError(
                f"a weight cannot be negative, got {value}", where=_where(name, f"{label}.{field}")
            )
    if entry.isotope_weight is not None and abs(entry.isotope_weight) > abs(entry.element_weight):
        raise InputError(
            "the isotope weight exceeds the element weight",
            where=_where(name, f"{label}.isotope_weight"),
        )


def _label(kind: str, index: int, entry: _Weighed) -> str:
    return f"{kind}[{index}] (batch {entry.batch})"


def _check_icr(report: InventoryChangeReport, name: str) -> None:
    if report.period_end <= report.period_start:
        raise InputError("the period must end after it starts", where=_where(name, "period_end"))
    for index, entry in enumerate(report.entries):
        label = _label("entries", index, entry)
        try:
            kind = change_type(entry.type)
        except InputError as exc:
            raise InputError(exc.message, where=_where(name, f"{label}.type")) from None
        _check_entry(name, label, entry, signed=kind.sign == 0)
        if not report.period_start <= entry.date <= report.period_end:
            raise InputError(
                f"dated {entry.date.isoformat()}, outside the period "
                f"{report.period_start.isoformat()} .. {report.period_end.isoformat()}",
                where=_where(name, f"{label}.date"),
            )


def _check_pil(report: PhysicalInventoryListing, name: str) -> None:
    for index, item in enumerate(report.items):
        _check_entry(name, _label("items", index, item), item, signed=False)


def _check_mbr(report: MaterialBalanceReport, name: str) -> None:
    if report.period_end <= report.period_start:
        raise InputError("the period must end after it starts", where=_where(name, "period_end"))
    for group, expected in (("increases", +1), ("decreases", -1)):
        for key, value in getattr(report, group).items():
            try:
                kind = change_type(key)
            except InputError as exc:
                raise InputError(exc.message, where=_where(name, f"{group}.{key}")) from None
            if kind.sign != expected:
                raise InputError(
                    f"{key!r} is not one of the {group} (its sign is "
                    f"{'signed' if kind.sign == 0 else '+' if kind.sign > 0 else '-'})",
                    where=_where(name, f"{group}.{key}"),
                )
            if value < 0:
                raise InputError(
                    f"a weight cannot be negative, got {value}",
                    where=_where(name, f"{group}.{key}"),
                )
    for field in (
        "beginning_physical_inventory",
        "total_increases",
        "total_decreases",
        "ending_physical_inventory",
    ):
        value = getattr(report, field)
        if value < 0:
            raise InputError(f"a weight cannot be negative, got {value}", where=_where(name, field))


_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "ICR": _check_icr,
    "PIL": _check_pil,
    "MBR": _check_mbr,
}


def parse_report(data: object, name: str = "<report>") -> Report:
    """Validate a parsed JSON document (a mapping with ``report``: ICR, PIL or MBR).

    Raises
    ------
    InputError
        One error naming ``name``, the entry and the field.
    """
    if not isinstance(data, dict):
        raise InputError("a report must be a JSON object", where=name)
    kind = data.get("report")
    if kind not in _MODELS:
        raise InputError(f"must be ICR, PIL or MBR, got {kind!r}", where=_where(name, "report"))
    try:
        report = _MODELS[kind].model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        label = _entry_label(data, tuple(err["loc"]))
        message = err["msg"]
        if err["type"] == "missing":
            message = "missing: every entry needs it"
        raise InputError(message, where=_where(name, label)) from None
    _CHECKS[kind](report, name)
    return report  # type: ignore[return-value]


# ---------------------------------------------------------------------- file forms

_HEADS: dict[str, tuple[str, ...]] = {
    "ICR": ("report", "mba", "period_start", "period_end"),
    "PIL": ("report", "mba", "date"),
    "MBR": ("report", "mba", "period_start", "period_end", "element", "isotope", "unit"),
}
_ROWS: dict[str, tuple[str, ...]] = {
    "ICR": (
        "batch",
        "date",
        "type",
        "element",
        "element_weight",
        "isotope",
        "isotope_weight",
        "unit",
        "method",
        "kmp",
    ),
    "PIL": (
        "batch",
        "element",
        "element_weight",
        "isotope",
        "isotope_weight",
        "unit",
        "method",
        "kmp",
    ),
    "MBR": ("line", "type", "weight"),
}
_LIST = {"ICR": "entries", "PIL": "items"}


def _csv_data(text: str, name: str) -> dict[str, Any]:
    """The mapping :func:`parse_report` takes, from the CSV form (see module docs)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise InputError("no rows: a CSV report needs a header and one row per entry", where=name)
    kind = rows[0].get("report")
    if kind not in _HEADS:
        raise InputError(f"must be ICR, PIL or MBR, got {kind!r}", where=f"{name}: row 2.report")
    columns = set(_HEADS[kind]) | set(_ROWS[kind])
    header = list(rows[0])
    for column in header:
        if column not in columns:
            raise InputError(f"unknown column {column!r}", where=f"{name}: header")
    head: dict[str, Any] = {}
    for column in _HEADS[kind]:
        value = rows[0].get(column) or ""
        for number, row in enumerate(rows, start=2):
            if (row.get(column) or "") != value:
                raise InputError(
                    f"differs from row 2 ({value!r}); a CSV report holds one report",
                    where=f"{name}: row {number}.{column}",
                )
        if value != "":
            head[column] = value
    body = [
        {c: row[c] for c in _ROWS[kind] if c in row and row[c] not in (None, "")} for row in rows
    ]
    if kind != "MBR":
        head[_LIST[kind]] = body
        return head
    return head | _mbr_from_lines(body, name)


def _mbr_from_lines(lines: list[dict[str, Any]], name: str) -> dict[str, Any]:
    data: dict[str, Any] = {"increases": {}, "decreases": {}}
    singles = set(get_args(MbrLineKind)) - {"increase", "decrease"}
    for index, raw in enumerate(lines):
        where = f"{name}: row {index + 2}"
        try:
            line = MbrLine.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise InputError(err["msg"], where=f"{where}.{loc}") from None
        if line.line in ("increase", "decrease"):
            if not line.type:
                raise InputError(
                    "an increase or decrease line names its type", where=f"{where}.type"
                )
            group = data[line.line + "s"]
            if line.type in group:
                raise InputError(f"type {line.type!r} is given twice", where=f"{where}.type")
            group[line.type] = line.weight
        else:
            key = line.line.replace("-", "_")
            if line.line in singles and key in data:
                raise InputError(f"the line {line.line!r} is given twice", where=f"{where}.line")
            data[key] = line.weight
    return data


def load_report(path: str | Path) -> Report:
    """Read an ICR, PIL or MBR from ``.json`` or ``.csv``.

    Raises
    ------
    InputError
        Missing or unreadable file, bad JSON or CSV, or bad content; the ``where``
        names the file, the entry and the field.
    """
    file = Path(path)
    text = read_text(file)
    suffix = file.suffix.lower()
    if suffix == ".json":
        data = parse_json(text, where=file.name)
    elif suffix == ".csv":
        try:
            data = _csv_data(text, file.name)
        except csv.Error as exc:
            raise InputError(f"not valid CSV: {exc}", where=file.name) from None
    else:
        raise InputError("a report must end in .json or .csv", where=file.name)
    return parse_report(data, file.name)


def _number(value: float) -> str:
    return repr(float(value))


def report_to_json(report: Report) -> str:
    """The JSON form of ``report`` (dates ISO 8601), as :func:`load_report` reads it."""
    data = report.model_dump(mode="json", exclude_none=True)
    for entry in data.get("entries", []) + data.get("items", []):
        if not entry.get("method"):
            entry.pop("method", None)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def report_to_csv(report: Report) -> str:
    """The CSV form of ``report``: one row per entry, item or MBR line, the report's
    own fields repeated on every row."""
    kind = report.report
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_HEADS[kind] + _ROWS[kind])
    head_data = report.model_dump(mode="json")
    head = ["" if head_data.get(c) is None else str(head_data[c]) for c in _HEADS[kind]]
    if isinstance(report, MaterialBalanceReport):
        for line, type_, weight in _mbr_lines(report):
            writer.writerow([*head, line, type_, _number(weight)])
        return out.getvalue()
    rows = report.entries if isinstance(report, InventoryChangeReport) else report.items
    for entry in rows:
        data = entry.model_dump(mode="json")
        cells = []
        for column in _ROWS[kind]:
            value = data.get(column)
            if column == "method":
                cells.append("+".join(value or []))
            elif isinstance(value, float):
                cells.append(_number(value))
            else:
                cells.append("" if value is None else str(value))
        writer.writerow(head + cells)
    return out.getvalue()


def _mbr_lines(report: MaterialBalanceReport) -> list[tuple[str, str, float]]:
    lines: list[tuple[str, str, float]] = [
        ("beginning-physical-inventory", "", report.beginning_physical_inventory)
    ]
    lines += [("increase", k, v) for k, v in report.increases.items()]
    lines += [("decrease", k, v) for k, v in report.decreases.items()]
    lines += [
        ("total-increases", "", report.total_increases),
        ("total-decreases", "", report.total_decreases),
        ("ending-book-inventory", "", report.ending_book_inventory),
        ("shipper-receiver-difference", "", report.shipper_receiver_difference),
        ("adjusted-ending-book-inventory", "", report.adjusted_ending_book_inventory),
        ("ending-physical-inventory", "", report.ending_physical_inventory),
        ("muf", "", report.muf),
    ]
    return lines


def write_report(path: str | Path, report: Report) -> Path:
    """Write ``report`` atomically: JSON for ``.json``, CSV for ``.csv``.

    The caller checks the path first (:func:`treatyverify.files.check_output`)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".json":
        text = report_to_json(report)
    elif suffix == ".csv":
        text = report_to_csv(report)
    else:
        raise InputError("a report must end in .json or .csv", where=str(file))
    return write_atomically(file, text.encode("utf-8"))


# ------------------------------------------------------------------------ balances


def _same_mba(name: str, mba: str, expected: str) -> None:
    if mba != expected:
        raise InputError(
            f"is of material balance area {mba!r}, the inventory changes of {expected!r}",
            where=_where(name, "mba"),
        )


def _date_matches(name: str, field: str, actual: date, expected: date, what: str) -> None:
    if actual != expected:
        raise InputError(
            f"{actual.isoformat()} is not the {what} of the inventory change report "
            f"({expected.isoformat()})",
            where=_where(name, field),
        )


def _total(weights: Sequence[float]) -> float:
    return math.fsum(weights)


def material_balance_report(
    icr: InventoryChangeReport,
    ending: PhysicalInventoryListing,
    beginning: PhysicalInventoryListing | None = None,
    *,
    element: str,
    isotope: str | None = None,
    names: tuple[str, str, str] = ("<icr>", "<pil>", "<previous pil>"),
) -> MaterialBalanceReport:
    """The material balance of ``element`` (or ``isotope``) over the period of ``icr``.

    Parameters
    ----------
    icr
        The inventory changes of the period.
    ending
        The physical inventory that closes the period (dated ``icr.period_end``).
    beginning
        The physical inventory that opens it (dated ``icr.period_start``); ``None`` for
        an area that starts empty (beginning inventory 0 kg).
    element
        ``U``, ``Pu`` or ``Th``.
    isotope
        ``None`` to balance element weights, or an isotope (e.g. ``U-235``) to balance
        the isotope weights. An entry of ``element`` that lacks that isotope's weight is
        an error: the balance would be incomplete.
    names
        File names of ``icr``, ``ending`` and ``beginning`` for error locations.

    Returns
    -------
    MaterialBalanceReport
        Weights in kg; the increases and decreases summed per type.

    Raises
    ------
    InputError
        Reports of different areas or periods, or an entry without the weight balanced.
    """
    icr_name, end_name, begin_name = names
    if element not in ELEMENTS:
        raise InputError(f"unknown element {element!r}", where="element")
    _same_mba(end_name, ending.mba, icr.mba)
    _date_matches(end_name, "date", ending.date, icr.period_end, "period end")
    if beginning is not None:
        _same_mba(begin_name, beginning.mba, icr.mba)
        _date_matches(begin_name, "date", beginning.date, icr.period_start, "period start")

    def weight(name: str, label: str, entry: _Weighed) -> float | None:
        if entry.element != element:
            return None
        value = entry.kg(isotope)
        if value is None:
            raise InputError(
                f"gives no {isotope} weight; the {isotope} balance needs every {element} entry's",
                where=_where(name, f"{label}.isotope_weight"),
            )
        return value

    def inventory(pil: PhysicalInventoryListing | None, name: str) -> float:
        if pil is None:
            return 0.0
        values = [weight(name, _label("items", i, item), item) for i, item in enumerate(pil.items)]
        return _total([v for v in values if v is not None])

    increases: dict[str, list[float]] = {}
    decreases: dict[str, list[float]] = {}
    corrections: list[float] = []
    for index, entry in enumerate(icr.entries):
        value = weight(icr_name, _label("entries", index, entry), entry)
        if value is None:
            continue
        kind = change_type(entry.type)
        if kind.sign == 0:
            corrections.append(value)
        else:
            (increases if kind.sign > 0 else decreases).setdefault(entry.type, []).append(value)
    begin_kg = inventory(beginning, begin_name)
    end_kg = inventory(ending, end_name)
    inc = {k: _total(v) for k, v in increases.items()}
    dec = {k: _total(v) for k, v in decreases.items()}
    total_inc = _total(list(inc.values()))
    total_dec = _total(list(dec.values()))
    book = begin_kg + total_inc - total_dec
    srd = _total(corrections)
    adjusted = book + srd
    return MaterialBalanceReport(
        mba=icr.mba,
        period_start=icr.period_start,
        period_end=icr.period_end,
        element=element,
        isotope=isotope,
        unit="kg",
        beginning_physical_inventory=begin_kg,
        increases=inc,
        decreases=dec,
        total_increases=total_inc,
        total_decreases=total_dec,
        ending_book_inventory=book,
        shipper_receiver_difference=srd,
        adjusted_ending_book_inventory=adjusted,
        ending_physical_inventory=end_kg,
        muf=adjusted - end_kg,
    )


@dataclass(frozen=True, slots=True)
class ClosureError:
    """A line of an MBR that does not equal what its other lines give.

    Parameters
    ----------
    line
        The stated line, e.g. ``"ending_book_inventory"``.
    stated_kg
        Its stated value, kg.
    computed_kg
        What the other lines give, kg.
    from_lines
        The lines it is computed from (the entries named in a finding).
    """

    line: str
    stated_kg: float
    computed_kg: float
    from_lines: tuple[str, ...]

    @property
    def difference_kg(self) -> float:
        """Stated minus computed, kg."""
        return self.stated_kg - self.computed_kg

    @property
    def formula(self) -> str:
        """How the line is computed from ``from_lines``, e.g. ``"a + b - c"``."""
        if self.line in _FORMULAS:
            return _FORMULAS[self.line]
        return " + ".join(self.from_lines) if self.from_lines else "no lines"


_FORMULAS = {
    "ending_book_inventory": "beginning_physical_inventory + total_increases - total_decreases",
    "adjusted_ending_book_inventory": "ending_book_inventory + shipper_receiver_difference",
    "muf": "adjusted_ending_book_inventory - ending_physical_inventory",
}


def closure_errors(
    report: MaterialBalanceReport, *, tolerance_kg: float = CLOSURE_TOLERANCE_KG
) -> list[ClosureError]:
    """The lines of ``report`` that do not add up (empty when the balance closes).

    Checks, in kg: total increases = sum of the increases; total decreases = sum of the
    decreases; ending book = beginning physical + total increases - total decreases;
    adjusted ending book = ending book + shipper/receiver difference; MUF = adjusted
    ending book - ending physical inventory. Each check uses the stated values of the
    lines it depends on, so one wrong line is named once.
    """
    factor = MASS_UNITS_KG[report.unit]
    kg = {
        name: getattr(report, name) * factor
        for name in (
            "beginning_physical_inventory",
            "total_increases",
            "total_decreases",
            "ending_book_inventory",
            "shipper_receiver_difference",
            "adjusted_ending_book_inventory",
            "ending_physical_inventory",
            "muf",
        )
    }
    inc_lines = tuple(f"increases.{k}" for k in report.increases)
    dec_lines = tuple(f"decreases.{k}" for k in report.decreases)
    checks = [
        ("total_increases", _total([v * factor for v in report.increases.values()]), inc_lines),
        ("total_decreases", _total([v * factor for v in report.decreases.values()]), dec_lines),
        (
            "ending_book_inventory",
            kg["beginning_physical_inventory"] + kg["total_increases"] - kg["total_decreases"],
            ("beginning_physical_inventory", "total_increases", "total_decreases"),
        ),
        (
            "adjusted_ending_book_inventory",
            kg["ending_book_inventory"] + kg["shipper_receiver_difference"],
            ("ending_book_inventory", "shipper_receiver_difference"),
        ),
        (
            "muf",
            kg["adjusted_ending_book_inventory"] - kg["ending_physical_inventory"],
            ("adjusted_ending_book_inventory", "ending_physical_inventory"),
        ),
    ]
    return [
        ClosureError(line, kg[line], computed, lines)
        for line, computed, lines in checks
        if abs(kg[line] - computed) > tolerance_kg
    ]


# ------------------------------------------------------------- to balance.py's input

_FACILITY_KIND: dict[str, ChangeKind] = {
    "import": "receipt",
    "domestic-receipt": "receipt",
    "export": "shipment",
    "domestic-shipment": "shipment",
    "measured-discard": "measured-discard",
}


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _build(where: str, make: Callable[[], T]) -> T:
    try:
        return make()
    except InputError as exc:
        inner = f"{where}.{exc.where}" if exc.where else where
        raise InputError(exc.message, where=inner) from None


def _batches(name: str, label: str, entry: _Weighed) -> list[tuple[Batch, float]]:
    """The element batch and (if given) the isotope batch of ``entry``, with the sign
    of a signed weight (+1 or -1), for the facility model."""
    if not entry.method:
        raise InputError(
            "no measurement method: error propagation needs the method of every weight",
            where=_where(name, f"{label}.method"),
        )
    if entry.kmp is None:
        raise InputError(
            "no key measurement point: the facility model needs every entry's",
            where=_where(name, f"{label}.kmp"),
        )
    out: list[tuple[Batch, float]] = []
    for isotope, value in ((None, entry.element_weight), (entry.isotope, entry.isotope_weight)):
        if value is None:
            continue
        batch = _build(
            _where(name, label),
            partial(
                Batch,
                id=entry.batch,
                element=entry.element,
                mass=abs(value),
                unit=entry.unit,
                methods=tuple(entry.method),
                kmp=entry.kmp or "",
                isotope=isotope,
            ),
        )
        out.append((batch, 1.0 if value >= 0 else -1.0))
    return out


def reports_to_facility(
    inventories: Sequence[PhysicalInventoryListing],
    changes: Sequence[InventoryChangeReport],
    *,
    error_model: ErrorModel | None = None,
    calibrations: dict[str, tuple[datetime, ...]] | None = None,
    names: tuple[Sequence[str], Sequence[str]] | None = None,
) -> Facility:
    """The :class:`~.model.Facility` that :func:`~.balance.material_balance` takes,
    from consecutive PILs and the ICRs between them.

    Parameters
    ----------
    inventories
        ``len(changes) + 1`` physical inventory listings, in time order; listing ``k``
        opens period ``k`` and closes period ``k - 1``.
    changes
        One inventory change report per period; its ``period_start`` and
        ``period_end`` are the dates of the listings around it.
    error_model
        Relative errors of the methods the entries name (default: the shipped table).
    calibrations
        Recalibration times per method (UTC), as in :class:`~.model.Facility`.
    names
        File names of the listings and of the reports, for error locations.

    Returns
    -------
    Facility
        Periods from PIL date to PIL date (00:00 UTC); each entry with an element
        weight and, if given, an isotope weight becomes an element batch and an isotope
        batch. Imports and domestic receipts become receipts (X), exports and domestic
        shipments shipments and measured discards measured discards (Y), every other
        increase or decrease ``increase`` or ``decrease``; a shipper/receiver
        difference enters with its sign. Every entry needs ``method`` and ``kmp``.

    Raises
    ------
    InputError
        Reports of different areas, periods that do not follow one another, or an
        entry without method or key measurement point.
    """
    if len(inventories) != len(changes) + 1:
        raise InputError(
            f"{len(changes)} inventory change reports need {len(changes) + 1} physical "
            f"inventory listings, got {len(inventories)}",
            where="inventories",
        )
    if not changes:
        raise InputError("at least one inventory change report is needed", where="changes")
    pil_names = list(names[0]) if names else [f"<pil {k}>" for k in range(len(inventories))]
    icr_names = list(names[1]) if names else [f"<icr {k}>" for k in range(len(changes))]
    mba_id = changes[0].mba
    kmp_kinds: dict[str, Literal["flow", "inventory"]] = {}
    pil_batches: list[PhysicalInventory] = []
    for k, pil in enumerate(inventories):
        _same_mba(pil_names[k], pil.mba, mba_id)
        items: list[Batch] = []
        for i, item in enumerate(pil.items):
            for batch, _ in _batches(pil_names[k], _label("items", i, item), item):
                items.append(batch)
                kmp_kinds[batch.kmp] = "inventory"
        pil_batches.append(PhysicalInventory(_at(pil.date), tuple(items)))
    periods: list[BalancePeriod] = []
    for k, icr in enumerate(changes):
        name = icr_names[k]
        _same_mba(name, icr.mba, mba_id)
        _date_matches(pil_names[k], "date", inventories[k].date, icr.period_start, "period start")
        _date_matches(
            pil_names[k + 1], "date", inventories[k + 1].date, icr.period_end, "period end"
        )
        moves: list[InventoryChange] = []
        for i, entry in enumerate(icr.entries):
            kind = change_type(entry.type)
            for batch, sign in _batches(name, _label("entries", i, entry), entry):
                kmp_kinds.setdefault(batch.kmp, "flow")
                if kind.sign == 0:
                    move: ChangeKind = "increase" if sign > 0 else "decrease"
                else:
                    move = _FACILITY_KIND.get(
                        entry.type, "increase" if kind.sign > 0 else "decrease"
                    )
                moves.append(InventoryChange(kind=move, time=_at(entry.date), batch=batch))
        periods.append(
            _build(
                name,
                partial(
                    BalancePeriod,
                    f"{icr.period_start.isoformat()}..{icr.period_end.isoformat()}",
                    _at(icr.period_start),
                    _at(icr.period_end),
                    tuple(moves),
                ),
            )
        )
    mba = MaterialBalanceArea(
        id=mba_id,
        name=mba_id,
        kmps=tuple(KeyMeasurementPoint(k, v) for k, v in sorted(kmp_kinds.items()))
        or (KeyMeasurementPoint("-", "inventory"),),
    )
    return Facility(
        mba=mba,
        error_model=default_error_model() if error_model is None else error_model,
        inventories=tuple(pil_batches),
        periods=tuple(periods),
        calibrations=dict(calibrations or {}),
    )
