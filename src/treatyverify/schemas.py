"""JSON Schemas (draft 2020-12) of the files people write for treatyverify.

Each schema is generated from the pydantic model that validates the file, with the
field descriptions and units of the models' docstrings (see
:mod:`treatyverify.treaty.fielddocs`). The copies in ``docs/schemas/`` are written by
this module and checked by a test, so they never drift from the code::

    python -m treatyverify.schemas docs/schemas

``treatyverify schema NAME`` prints one of them.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from treatyverify.errors import UnknownNameError
from treatyverify.files import write_atomically

__all__ = [
    "DIALECT",
    "SCHEMAS",
    "SchemaFile",
    "json_schema",
    "main",
    "schema_text",
    "write_schemas",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of every schema (pydantic writes draft 2020-12)."""


def _model(path: str) -> Callable[[], Any]:
    module, name = path.split(":")
    return lambda: getattr(importlib.import_module(module), name)


def _scenario() -> Any:
    from treatyverify.exercise.regimes import REGIMES, get_regime

    models = tuple(get_regime(name).model for name in sorted(REGIMES))
    return Annotated[Union[models], Field(discriminator="regime")]  # noqa: UP007


@dataclass(frozen=True)
class SchemaFile:
    """One published schema.

    Attributes
    ----------
    name
        The name ``treatyverify schema`` takes, and the file ``NAME.schema.json``.
    title
        The schema's title.
    files
        Which files it describes, in one sentence.
    model
        Returns the pydantic model (or annotated type) the schema is made from; the
        import happens on first use.
    """

    name: str
    title: str
    files: str
    model: Callable[[], Any]


SCHEMAS: dict[str, SchemaFile] = {
    s.name: s
    for s in (
        SchemaFile(
            "treaty",
            "treatyverify treaty specification",
            "A treaty specification (YAML): `treaty validate`, `record init --treaty`.",
            _model("treatyverify.treaty.models:TreatySpec"),
        ),
        SchemaFile(
            "scenario",
            "treatyverify exercise scenario",
            "An exercise scenario (YAML) of any regime: `exercise run`.",
            _scenario,
        ),
        SchemaFile(
            "exchange-scenario",
            "treatyverify data-exchange scenario",
            "A data-exchange scenario (YAML) as the demonstration plays it.",
            _model("treatyverify.scenarios:ExchangeScenario"),
        ),
        SchemaFile(
            "facility",
            "treatyverify facility file",
            "A facility's material balance data (YAML or JSON): `accountancy`.",
            _model("treatyverify.methods.accountancy.io:FacilityFile"),
        ),
        SchemaFile(
            "declaration",
            "treatyverify declaration",
            "A declaration of holdings (JSON): `record declare`.",
            _model("treatyverify.exchange.declarations:Declaration"),
        ),
        SchemaFile(
            "notice",
            "treatyverify notice",
            "A notification (JSON): `record notify`.",
            _model("treatyverify.notifications.notices:Notice"),
        ),
    )
}
"""Every published schema, by name."""


def _schema_file(name: str) -> SchemaFile:
    try:
        return SCHEMAS[name]
    except KeyError:
        raise UnknownNameError(
            f"no schema {name!r} (schemas: {', '.join(SCHEMAS)})", where="schema"
        ) from None


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema called ``name`` (see :data:`SCHEMAS`).

    Raises
    ------
    UnknownNameError
        For a name that is not in :data:`SCHEMAS`.
    """
    entry = _schema_file(name)
    body = TypeAdapter(entry.model()).json_schema(mode="validation")
    head = {"$schema": DIALECT, "title": entry.title, "description": entry.files}
    if "description" in body:
        head["description"] = f"{entry.files}\n\n{body.pop('description')}"
    body.pop("title", None)
    defs = body.pop("$defs", None)
    return head | body | ({} if defs is None else {"$defs": defs})


def schema_text(name: str) -> str:
    """The schema ``name`` as the text of its file: indented JSON, one final newline."""
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory`` as ``NAME.schema.json``; the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        write_atomically(directory / f"{name}.schema.json", schema_text(name).encode("utf-8"))
        for name in SCHEMAS
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``python -m treatyverify.schemas [DIRECTORY]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    for path in write_schemas(Path(args[0]) if args else Path("docs/schemas")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
