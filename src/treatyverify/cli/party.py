"""``treatyverify party``: party keys."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import App, JsonOption, console, emit_json
from treatyverify.records.keys import generate_party_key, write_key_pair
from treatyverify.treaty import load_treaty

app = App(help="Parties and their signing keys.", no_args_is_help=True)


@app.command("keygen")
def keygen_command(
    party: str = typer.Argument(..., help="Party identifier, as in the treaty."),
    treaty: str = typer.Option(..., "--treaty", "-t", help="Treaty id or YAML file."),
    out: Path = typer.Option(Path("keys"), "--out", "-o", help="Directory for the key files."),
    as_json: bool = JsonOption,
) -> None:
    """Generate an Ed25519 key pair for a party of a treaty."""
    load_treaty(treaty).party(party)
    key = generate_party_key(party)
    private_path, public_path = write_key_pair(key, out)
    if as_json:
        emit_json(
            {
                "party": party,
                "key_id": key.key_id,
                "private_key": str(private_path),
                "public_key": str(public_path),
            }
        )
        return
    console.print(
        f"party {party}: key {key.key_id}\n  private {private_path} (keep it secret)"
        f"\n  public  {public_path} (give it to every other party)"
    )
