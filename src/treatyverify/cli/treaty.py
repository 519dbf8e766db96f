"""``treatyverify treaty``: list, show, validate and start treaty specifications."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    console,
    emit_json,
    output_path,
    print_table,
)
from treatyverify.files import read_text, write_atomically
from treatyverify.treaty import list_treaties, load_treaty, validate_treaty_file
from treatyverify.treaty.loader import treaty_skeleton

app = App(help="Treaty specifications.", no_args_is_help=True)


@app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """List the shipped treaty specifications."""
    specs = [load_treaty(name) for name in list_treaties()]
    if as_json:
        emit_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "signed": s.signed.isoformat() if s.signed else None,
                    "parties": [p.id for p in s.parties],
                    "digest": s.digest(),
                }
                for s in specs
            ]
        )
        return
    print_table(
        "Treaty specifications",
        ["id", "name", "signed", "parties"],
        [(s.id, s.name, s.signed or "notional", ", ".join(p.id for p in s.parties)) for s in specs],
    )


@app.command("show")
def show_command(
    treaty: str = typer.Argument(..., help="Treaty id or YAML file."), as_json: bool = JsonOption
) -> None:
    """Show a treaty's parameters with their sources."""
    spec = load_treaty(treaty)
    if as_json:
        emit_json(spec.model_dump(mode="json") | {"digest": spec.digest()})
        return
    console.print(
        f"[bold]{spec.name}[/bold] ({spec.id}), signed {spec.signed or 'never (notional)'}"
    )
    print_table(
        "Parties",
        ["id", "name", "roles"],
        [(p.id, p.name, ", ".join(p.roles)) for p in spec.parties],
    )
    if spec.limits:
        print_table(
            "Limits",
            ["id", "maximum", "unit", "counts", "source"],
            [
                (lim.id, lim.maximum, lim.unit, ", ".join(lim.counts), lim.source)
                for lim in spec.limits
            ],
        )
    if spec.inspections:
        print_table(
            "Inspections",
            ["id", "name", "notice h", "team", "source"],
            [(i.id, i.name, i.notice_hours, i.team_size, i.source) for i in spec.inspections],
        )
    if spec.notifications:
        print_table(
            "Notifications",
            ["code", "name", "required fields", "source"],
            [(n.code, n.name, ", ".join(n.required_fields), n.source) for n in spec.notifications],
        )
    console.print(f"digest {spec.digest()}")


@app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="Treaty specification (YAML)."),
    as_json: bool = JsonOption,
) -> None:
    """Validate a treaty specification file; exit status 2 naming the field if it is bad.

    Besides the schema, every rule the file states must be one a compliance rule or
    library check reads (docs/compliance.md); a rule the engine does not know is refused.
    """
    from treatyverify.compliance.coverage import require_every_rule_checked

    spec = validate_treaty_file(file)
    require_every_rule_checked(spec, name=str(file), text=read_text(file))
    if as_json:
        emit_json({"file": str(file), "id": spec.id, "valid": True, "digest": spec.digest()})
        return
    console.print(f"{file}: valid specification of {spec.id} (digest {spec.digest()[:16]})")


@app.command("new")
def new_command(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="File to write (default: print on standard output)."
    ),
    force: bool = ForceOption,
) -> None:
    """Write a commented skeleton of a treaty specification that validates as written."""
    text = treaty_skeleton()
    if out is None:
        typer.echo(text, nl=False)
        return
    target = write_atomically(output_path(out, None, force=force), text.encode("utf-8"))
    console.print(f"wrote {target}; edit it, then run: treatyverify treaty validate {target}")
