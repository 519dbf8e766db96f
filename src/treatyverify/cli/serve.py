"""``treatyverify serve`` and ``treatyverify remote``: run the service, talk to one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    KeyOption,
    emit_json,
    output_path,
    read_key,
)
from treatyverify.errors import InputError
from treatyverify.files import read_json, write_atomically

__all__ = ["remote", "serve_command"]

UrlOption = typer.Option("http://127.0.0.1:8700", "--url", "-u", help="The service's address.")


def serve_command(
    config: Path = typer.Argument(..., help="The service configuration file (YAML)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8700, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve a treaty ledger over HTTP to its parties, secretariat and observers."""
    # Imported here: the server stack is only needed by this command.
    import uvicorn

    from treatyverify.service.app import create_app
    from treatyverify.service.config import load_config
    from treatyverify.service.context import open_context

    context = open_context(load_config(config))
    typer.echo(
        f"serving the {context.ledger.treaty} ledger ({context.ledger.size} records) "
        f"at http://{host}:{port} (API /api, dashboard /dashboard, OpenAPI /openapi.json)",
        err=True,
    )
    try:
        uvicorn.run(create_app(context), host=host, port=port, log_level="warning")
    finally:
        context.close()


remote = App(help="Talk to a treatyverify service: signed requests, dashboard sessions.")


@remote.command("session")
def session(url: str = UrlOption, key: Path = KeyOption) -> None:
    """Print a read-only session token for the dashboard (paste it at /dashboard/login)."""
    from treatyverify.service.client import ServiceClient

    client = ServiceClient(url, read_key(key))
    try:
        typer.echo(client.session())
    finally:
        client.close()


@remote.command("get")
def get(
    path: str = typer.Argument(..., help="An API path, for example /api/ledger/verify."),
    url: str = UrlOption,
    key: Path = KeyOption,
    param: list[str] = typer.Option([], "--param", "-p", help="A query parameter NAME=VALUE."),
) -> None:
    """Send a signed GET request and print the JSON answer."""
    from treatyverify.service.client import ServiceClient

    if not path.startswith("/api/"):
        raise InputError("an API path starts with /api/", where="PATH")
    params: dict[str, Any] = {}
    for item in param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"{item!r} is not NAME=VALUE", where="--param")
        params.setdefault(name, []).append(value)
    client = ServiceClient(url, read_key(key))
    try:
        emit_json(client.call("GET", path, params=params))
    finally:
        client.close()


@remote.command("submit")
def submit(
    records: Path = typer.Argument(..., help="A JSON file: a list of {kind, body, ref?}."),
    url: str = UrlOption,
    key: Path = KeyOption,
) -> None:
    """Sign records as the key's party and append them to the service's ledger."""
    from treatyverify.records.ledger import Entry
    from treatyverify.service.client import connect

    document = read_json(records)
    if not isinstance(document, list) or not document:
        raise InputError("expected a non-empty JSON list of records", where=str(records))
    entries = []
    for index, item in enumerate(document):
        where = f"{records}: [{index}]"
        if not isinstance(item, dict) or set(item) - {"kind", "body", "ref"}:
            raise InputError("a record is an object with kind, body and ref", where=where)
        if not isinstance(item.get("kind"), str) or not isinstance(item.get("body"), dict):
            raise InputError("kind must be a string and body an object", where=where)
        entries.append(Entry(item["kind"], item["body"], item.get("ref")))
    signer = read_key(key)
    ledger = connect(url, signer)
    try:
        written = ledger.append_many(entries, signer)
    finally:
        ledger.close()
    emit_json({"appended": [{"seq": r.seq, "hash": r.hash_hex} for r in written]})


@remote.command("checkpoint")
def checkpoint_command(
    url: str = UrlOption,
    key: Path = KeyOption,
    head: list[Path] = typer.Option(
        [], "--head", help="Checkpoints or heads this member holds: the served one must agree."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Keep the checked checkpoint."),
    force: bool = ForceOption,
    post: Path | None = typer.Option(
        None,
        "--post",
        help="Instead, post this checkpoint file carrying this member's signature or "
        "cosignature (made with record head or record heads cosign on its own copy).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Fetch the service's checkpoint with the signatures collected and check it against
    the heads this member holds (a split view or a history the service can no longer
    prove exits with status 2); or post this member's own signed checkpoint."""
    from treatyverify.records.checkpoint import load_checkpoint, load_head
    from treatyverify.service.client import connect

    if post is not None and (head or out is not None):
        raise InputError("--post takes no --head or --out", where="--post")
    target = None if out is None else output_path(out, None, force=force)
    posted = None if post is None else load_checkpoint(post)
    held = [load_head(path) for path in head]
    signer = read_key(key)
    ledger = connect(url, signer)
    try:
        if posted is not None:
            emit_json(ledger.post_checkpoint(posted))
            return
        served = ledger.check_checkpoint(held)
    finally:
        ledger.close()
    view = served.view(ledger.keys)
    if target is not None:
        write_atomically(target, served.note().encode("utf-8"))
    summary = {
        "tree_size": view.tree_size,
        "root": view.root.hex(),
        "signers": list(view.signers),
        "heads_checked": len(held),
    }
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"checkpoint of {view.tree_size} records, root {view.root.hex()[:16]}, signed by "
        f"{', '.join(view.signers)}: one history with the {len(held)} heads held"
        + ("" if target is None else f" -> {target}")
    )
