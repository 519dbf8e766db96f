"""``treatyverify party``: party keys."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from treatyverify.cli.common import App, ForceOption, JsonOption, console, emit_json, output_path
from treatyverify.errors import InputError
from treatyverify.files import check_output_dir, move_into_place, staging_folder, sync_folder
from treatyverify.records.keys import PartyKey, generate_party_key, write_key_pair
from treatyverify.treaty import load_treaty

app = App(help="Parties and their signing keys.", no_args_is_help=True)


@app.command("keygen")
def keygen_command(
    party: str = typer.Argument(..., help="Party identifier, as in the treaty."),
    treaty: str = typer.Option(..., "--treaty", "-t", help="Treaty id or YAML file."),
    out: Path = typer.Option(
        Path("keys"),
        "--out",
        "-o",
        help="Directory for the key files. An existing private key is never replaced; "
        "an existing public key only with --force.",
    ),
    force: bool = ForceOption,
    as_json: bool = JsonOption,
) -> None:
    """Generate an Ed25519 key pair for a party of a treaty."""
    load_treaty(treaty).party(party)
    private_path, public_path = _key_paths(out, party, force)
    key = generate_party_key(party)
    _write_pair(key, out, private_path, public_path)
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


def _key_paths(out: Path, party: str, force: bool) -> tuple[Path, Path]:
    """Both key files, checked before a key is made: the folder is one (or does not
    exist yet), no private key is there, a public key is replaced only with --force."""
    check_output_dir(out)
    private_path, public_path = out / f"{party}.key", out / f"{party}.pub"
    if private_path.exists() or private_path.is_symlink():
        raise InputError(
            "a private key already exists; refusing to overwrite it (even with --force)",
            where=str(private_path),
        )
    output_path(public_path, None, force=force)
    return private_path, public_path


def _write_pair(key: PartyKey, out: Path, private_path: Path, public_path: Path) -> None:
    """Write the pair in an owner-only staging folder beside its place (the private key
    0600 and synced), then move each file in: the private key by a link that fails if
    one appeared meanwhile, the public key by a rename; the folder is synced."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the directory ({exc.strerror or exc})", where=str(out)
        ) from None
    with staging_folder(private_path, mode=0o700) as staging:
        staged_private, staged_public = write_key_pair(key, staging)
        try:
            move_into_place(staged_private, private_path, replace=False)
        except FileExistsError:
            raise InputError(
                "a private key already exists; refusing to overwrite it", where=str(private_path)
            ) from None
        except OSError as exc:
            raise InputError(
                f"cannot write the key ({exc.strerror or exc})", where=str(private_path)
            ) from None
        try:
            move_into_place(staged_public, public_path, replace=True)
        except OSError as exc:
            os.unlink(private_path)  # no private key without its public key
            sync_folder(out)
            raise InputError(
                f"cannot write the key ({exc.strerror or exc})", where=str(public_path)
            ) from None
