"""``treatyverify schema``: the JSON Schema of a file treatyverify reads."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import ForceOption, console, output_path
from treatyverify.files import write_atomically
from treatyverify.schemas import SCHEMAS, schema_text


def schema_command(
    name: str = typer.Argument(..., help=f"Which schema: {', '.join(SCHEMAS)}."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="File to write (default: print on standard output)."
    ),
    force: bool = ForceOption,
) -> None:
    """Print or write the JSON Schema (draft 2020-12) of a treaty, scenario, facility,
    declaration or notice file, with every field's description and unit."""
    target = None if out is None else output_path(out, None, force=force)
    text = schema_text(name)
    if target is None:
        typer.echo(text, nl=False)
        return
    write_atomically(target, text.encode("utf-8"))
    console.print(f"wrote the {name} schema to {target}")
