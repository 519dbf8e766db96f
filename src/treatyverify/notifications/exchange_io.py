"""Import and export of notices as JSON and CSV.

JSON (UTF-8)::

    {"format": "treatyverify-notices", "version": 1,
     "notices": [{"ref": "...", "code": "...", "event_time": "2026-03-01T06:00:00Z",
                  "fields": {...}}, ...]}

A bare list of notices is read as well. ``event_time`` must carry the UTC zone (``Z`` or
``+00:00``); exports write it as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

CSV (UTF-8, RFC 4180 quoting, header row first): columns ``ref``, ``code``,
``event_time``, then one column ``fields.<name>`` per field name used by any notice
(sorted). A field cell is

* empty when the notice has no such field;
* the text itself for a string that is not valid JSON (``Plesetsk``);
* otherwise JSON: numbers, ``true``/``false``/``null``, arrays and objects
  (``{"centre": [40.6, 62.9], "radius_km": 50}``), and strings that would read as JSON
  or are empty, quoted (``"12"``, ``""``).

Reading decodes a cell as JSON when it parses (``NaN`` and ``Infinity`` excepted) and
keeps it as text otherwise, so every notice survives a round trip unchanged. Errors
name the file, the line (CSV) or the index (JSON), the notice and the field. Exports
are written atomically (:func:`treatyverify.files.write_atomically`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from treatyverify.errors import InputError
from treatyverify.files import write_atomically
from treatyverify.notifications.deadlines import parse_utc
from treatyverify.notifications.geometry import parse_impact_area, parse_point
from treatyverify.notifications.notices import Notice, parse_notice
from treatyverify.treaty import TreatySpec

__all__ = [
    "FORMAT",
    "VERSION",
    "Located",
    "check_notices",
    "notices_to_csv",
    "notices_to_json",
    "parse_notice_document",
    "parse_notices_csv",
    "parse_notices_json",
    "read_notices",
    "write_notices",
]

FORMAT = "treatyverify-notices"
VERSION = 1
_BASE_COLUMNS = ("ref", "code", "event_time")
_FIELD_PREFIX = "fields."


class Located(NamedTuple):
    """A notice read from a file, with where it was (``"file: line 3"``)."""

    where: str
    notice: Notice


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _decode_json(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return False, None


def _encode_cell(value: Any, where: str) -> str:
    if isinstance(value, str):
        if value == "" or _decode_json(value)[0]:
            return json.dumps(value, ensure_ascii=False)
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cannot encode the value as JSON ({exc})", where=where) from None


def _decode_cell(text: str) -> Any:
    ok, value = _decode_json(text)
    return value if ok else text


def parse_notice_document(document: Any, where: str) -> Notice:
    """Validate one notice document (``event_time`` must be UTC); ``where`` labels errors."""
    if not isinstance(document, dict):
        raise InputError("a notice is a JSON object", where=where)
    ref = document.get("ref")
    label = f"{where}: notice {ref}" if isinstance(ref, str) and ref else where
    if "event_time" in document:
        document = {
            **document,
            "event_time": parse_utc(document["event_time"], where=f"{label}: event_time"),
        }
    return parse_notice(document, where=label)


def _no_duplicates(located: Sequence[Located]) -> None:
    seen: dict[str, str] = {}
    for where, notice in located:
        if notice.ref in seen:
            raise InputError(
                f"duplicate notice ref (first at {seen[notice.ref]})",
                where=f"{where}: notice {notice.ref}: ref",
            )
        seen[notice.ref] = where


def parse_notices_json(text: str, *, name: str) -> list[Located]:
    """Parse the JSON form; ``name`` is the file name for error messages."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg})", where=f"{name}: line {exc.lineno}"
        ) from None
    except ValueError:
        raise InputError("NaN and Infinity are not allowed", where=name) from None
    if isinstance(document, dict):
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise InputError(
                f"expected format {FORMAT!r} version {VERSION}", where=f"{name}: format"
            )
        rows = document.get("notices")
    else:
        rows = document
    if not isinstance(rows, list):
        raise InputError("'notices' must be a list", where=f"{name}: notices")
    located = [
        Located(f"{name}: notices[{i}]", parse_notice_document(row, f"{name}: notices[{i}]"))
        for i, row in enumerate(rows)
    ]
    _no_duplicates(located)
    return located


def parse_notices_csv(text: str, *, name: str) -> list[Located]:
    """Parse the CSV form; ``name`` is the file name for error messages."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty (a header row is needed)", where=name) from None
    except csv.Error as exc:
        raise InputError(f"unreadable CSV ({exc})", where=f"{name}: line 1") from None
    if tuple(header[:3]) != _BASE_COLUMNS:
        raise InputError(
            f"the header must begin with {', '.join(_BASE_COLUMNS)}", where=f"{name}: line 1"
        )
    field_names: list[str] = []
    for column in header[3:]:
        field = column.removeprefix(_FIELD_PREFIX)
        if not column.startswith(_FIELD_PREFIX) or not field:
            raise InputError(
                f"unexpected column {column!r} (fields are 'fields.<name>')",
                where=f"{name}: line 1",
            )
        if field in field_names:
            raise InputError(f"duplicate column {column!r}", where=f"{name}: line 1")
        field_names.append(field)
    located: list[Located] = []
    try:
        for row in reader:
            where = f"{name}: line {reader.line_num}"
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"{len(row)} cells, the header has {len(header)}", where=where)
            fields = {
                field: _decode_cell(cell)
                for field, cell in zip(field_names, row[3:], strict=True)
                if cell != ""
            }
            document = {"ref": row[0], "code": row[1], "event_time": row[2], "fields": fields}
            located.append(Located(where, parse_notice_document(document, where)))
    except csv.Error as exc:
        raise InputError(
            f"unreadable CSV ({exc})", where=f"{name}: line {reader.line_num}"
        ) from None
    _no_duplicates(located)
    return located


def read_notices(path: str | Path) -> list[Located]:
    """Read notices from a ``.json`` or ``.csv`` file (by suffix)."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in {".json", ".csv"}:
        raise InputError("notices are read from .json or .csv files", where=str(source))
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", where=str(source)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc})", where=str(source)) from None
    if suffix == ".json":
        return parse_notices_json(text, name=str(source))
    return parse_notices_csv(text, name=str(source))


def check_notices(spec: TreatySpec, located: Sequence[Located]) -> None:
    """Check notices against the treaty and their geometry, before anything is written.

    Each notice must be of a type the treaty defines with its required fields
    (:meth:`Notice.check`); an ``impact_area`` must be a valid area and a
    ``launch_point`` a valid point (:mod:`treatyverify.notifications.geometry`).
    Errors name the file location, the notice and the field.
    """
    _no_duplicates(located)
    for where, notice in located:
        try:
            notice.check(spec)
            fields = notice.fields
            if "impact_area" in fields:
                parse_impact_area(fields["impact_area"], ref=notice.ref)
            if "launch_point" in fields:
                parse_point(
                    fields["launch_point"], where=f"notice {notice.ref}: fields.launch_point"
                )
        except InputError as exc:
            raise type(exc)(exc.message, where=f"{where}: {exc.where}") from None


def notices_to_json(notices: Iterable[Notice]) -> bytes:
    """The JSON form (indented, UTF-8, trailing newline)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "notices": [notice.body() for notice in notices],
    }
    try:
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise InputError(f"cannot encode the notices as JSON ({exc})") from None
    return (text + "\n").encode("utf-8")


def notices_to_csv(notices: Iterable[Notice]) -> bytes:
    """The CSV form (see the module doc)."""
    bodies = [notice.body() for notice in notices]
    names = sorted({name for body in bodies for name in body["fields"]})
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*_BASE_COLUMNS, *(_FIELD_PREFIX + name for name in names)])
    for body in bodies:
        fields = body["fields"]
        where = f"notice {body['ref']}"
        writer.writerow(
            [
                body["ref"],
                body["code"],
                body["event_time"],
                *(
                    _encode_cell(fields[name], f"{where}: fields.{name}") if name in fields else ""
                    for name in names
                ),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def write_notices(path: str | Path, notices: Iterable[Notice]) -> Path:
    """Write notices to ``path`` as JSON or CSV (by suffix), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        data = notices_to_json(notices)
    elif suffix == ".csv":
        data = notices_to_csv(notices)
    else:
        raise InputError("notices are written to .json or .csv files", where=str(target))
    return write_atomically(target, data)
