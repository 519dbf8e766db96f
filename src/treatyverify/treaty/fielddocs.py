"""Field descriptions and units in JSON Schema, taken from the models' docstrings.

Every model documents its fields once, in the NumPy-style ``Parameters`` or
``Attributes`` section of its docstring. :func:`describe_fields`, set as a model's
``json_schema_extra``, copies each entry into the JSON Schema of that field, so the
published schemas (``docs/schemas/``) and an editor's hover text say the same as the
API documentation. A field named with a unit suffix (``_km``, ``_hours``, ``_kg`` ...)
also gets a ``unit`` keyword, and its unit is named in the description if the text
does not already name it. A ``Field(description=...)`` or an explicit
``json_schema_extra={"unit": ...}`` wins over both.

>>> from pydantic import BaseModel, ConfigDict
>>> class Leg(BaseModel):
...     '''A leg of a flight.
...
...     Parameters
...     ----------
...     length_km
...         Great-circle length.
...     '''
...     model_config = ConfigDict(json_schema_extra=describe_fields)
...     length_km: float
>>> Leg.model_json_schema()["properties"]["length_km"]["description"]
'Great-circle length (km).'
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

__all__ = ["UNIT_SUFFIXES", "describe_fields", "field_docs", "model_summary", "unit_of"]

UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_g_cm2", "g/cm^2"),
    ("_per_s", "1/s"),
    ("_per_kg", "1/kg"),
    ("_km2", "km^2"),
    ("_km", "km"),
    ("_cm", "cm"),
    ("_kg", "kg"),
    ("_kev", "keV"),
    ("_hours", "h"),
    ("_days", "d"),
    ("_months", "month"),
    ("_years", "year"),
    ("_us", "µs"),
    ("_s", "s"),
)
"""Name suffix -> unit, longest match first (the house rule puts units in names)."""

_WHOLE_NAMES = {"hours": "h", "days": "d"}
_SECTIONS = ("Parameters", "Attributes")
_ROLE = re.compile(r":[a-z:]+:`~?(?:[\w.]+\.)?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")


def unit_of(name: str) -> str | None:
    """The unit a field name states by its suffix, e.g. ``"h"`` for ``notice_hours``."""
    if name in _WHOLE_NAMES:
        return _WHOLE_NAMES[name]
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return unit
    return None


_JSON_WORDS = {"None": "null", "True": "true", "False": "false"}


def _plain(text: str) -> str:
    """Docstring markup as plain text: roles and literals lose their backticks, and
    Python's ``None``, ``True`` and ``False`` read as in YAML and JSON."""
    text = _ROLE.sub(r"\1", text)
    return _LITERAL.sub(lambda m: _JSON_WORDS.get(m[1], m[1]), text)


def _split(doc: str) -> tuple[list[str], dict[str, list[str]]]:
    """The summary lines and the lines of each ``Parameters``/``Attributes`` section."""
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        underline = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and underline.strip() and set(underline.strip()) == {"-"}:
            title = line.strip()
            current = sections.setdefault(title, []) if title in _SECTIONS else []
            index += 2
            continue
        if current is None:
            summary.append(line)
        else:
            current.append(line)
        index += 1
    return summary, sections


def _entries(lines: list[str]) -> dict[str, str]:
    """Name -> text of one section's entries (``a, b`` entries share their text)."""
    entries: dict[str, str] = {}
    names: list[str] = []
    text: list[str] = []
    continued = False
    for line in [*lines, "."]:
        if line and not line[0].isspace():
            if not continued:
                body = _plain(" ".join(part.strip() for part in text if part.strip()))
                entries.update(dict.fromkeys(names, body))
                names, text = [], []
            head = line.split(" : ", 1)[0]
            names += [n.strip() for n in head.split(",") if n.strip()]
            continued = head.rstrip().endswith(",")
        else:
            text.append(line)
    return entries


@functools.cache
def _class_docs(cls: type) -> tuple[str, dict[str, str]]:
    doc = cls.__dict__.get("__doc__") or ""
    summary, sections = _split(doc) if doc else ([], {})
    entries: dict[str, str] = {}
    for title in _SECTIONS:
        entries.update(_entries(sections.get(title, [])))
    paragraphs = "\n".join(summary).strip().split("\n\n")
    described = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return _plain(described), entries


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> description from the docstrings of ``cls`` and its bases.

    A subclass's entry for a field replaces its base's.
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        docs.update(_class_docs(klass)[1])
    return docs


def model_summary(cls: type) -> str:
    """The docstring of ``cls`` without its sections, as plain text."""
    return _class_docs(cls)[0]


_SPELLED = {
    "h": ("hour", "hours"),
    "d": ("day", "days"),
    "s": ("second", "seconds"),
    "month": ("months",),
    "year": ("years",),
    "km": ("kilometres",),
}


def _names_unit(text: str, unit: str) -> bool:
    spellings = {unit, unit.replace("^2", "²"), *_SPELLED.get(unit, ())}
    return any(
        re.search(rf"(?<![\w^/]){re.escape(u)}(?![\w^²])", text) is not None for u in spellings
    )


def describe_fields(schema: dict[str, Any], cls: type) -> None:
    """Fill in the JSON Schema of model ``cls``: its description, and each field's
    description and unit (use as ``ConfigDict(json_schema_extra=describe_fields)``)."""
    summary = model_summary(cls)
    if summary:
        schema["description"] = summary
    docs = field_docs(cls)
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        if "description" not in prop and docs.get(name):
            prop["description"] = docs[name]
        unit = prop.get("unit") or unit_of(name)
        if unit is None:
            continue
        prop["unit"] = unit
        text = str(prop.get("description", "")).rstrip()
        if unit != "1" and not _names_unit(text, unit):
            body = text[:-1] if text.endswith(".") else text
            prop["description"] = f"{body} ({unit})." if body else f"Unit: {unit}."
