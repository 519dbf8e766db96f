"""``treatyverify draw``: verifiable random draws by commit-reveal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from treatyverify.cli.common import (
    App,
    JsonOption,
    KeyOption,
    LedgerOption,
    console,
    emit_json,
    open_ledger,
    read_key,
)
from treatyverify.errors import InputError
from treatyverify.files import read_text, write_atomically
from treatyverify.records import draws
from treatyverify.records.ledger import parse_time

app = App(help="Verifiable random draws (commit-reveal among all parties).", no_args_is_help=True)

SecretOption = typer.Option(..., "--secret", "-s", help="File holding this party's secret.")


MAX_DRAW_HOURS = 24.0 * 366
"""Longest commit or reveal period of a draw (h): a year, far beyond any inspection
schedule; more is a typo."""


@app.command("open")
def open_command(
    draw: str = typer.Argument(..., help="Draw identifier."),
    population: str = typer.Option(..., "--population", help="Comma-separated labels."),
    count: int = typer.Option(1, "--count", help="How many to draw."),
    purpose: str = typer.Option("inspection site", "--purpose", help="What is drawn."),
    commit_hours: float = typer.Option(24.0, "--commit-hours", help="Hours to commit."),
    reveal_hours: float = typer.Option(24.0, "--reveal-hours", help="Further hours to reveal."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Open a draw of COUNT labels out of POPULATION."""
    labels = [label.strip() for label in population.split(",") if label.strip()]
    for name, hours in (("--commit-hours", commit_hours), ("--reveal-hours", reveal_hours)):
        if not 0.0 < hours <= MAX_DRAW_HOURS:  # also refuses NaN
            raise InputError(f"between 0 and {MAX_DRAW_HOURS:g} hours", where=name)
    now = datetime.now(UTC)
    commit_by = now + timedelta(hours=commit_hours)
    with open_ledger(ledger) as book:
        record = draws.open_draw(
            book,
            read_key(key),
            draw,
            purpose=purpose,
            population=labels,
            count=count,
            commit_by=commit_by,
            reveal_by=commit_by + timedelta(hours=reveal_hours),
            time=now,
        )
    if as_json:
        emit_json(record.to_json())
    else:
        console.print(
            f"draw {draw} opened as record {record.seq}; commit by "
            f"{record.body['commit_by']}, reveal by {record.body['reveal_by']}"
        )


@app.command("commit")
def commit_command(
    draw: str = typer.Argument(..., help="Draw identifier."),
    secret: Path = SecretOption,
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Make a fresh secret, keep it in SECRET (mode 0600), and commit to it."""
    value = draws.new_secret()
    signer = read_key(key)
    with open_ledger(ledger) as book:
        _write_secret(secret, value)
        try:
            record = draws.commit(book, signer, draw, value)
        except BaseException:
            secret.unlink(missing_ok=True)
            raise
    if as_json:
        emit_json(record.to_json())
    else:
        console.print(
            f"{signer.party} committed to draw {draw} (record {record.seq}); "
            f"secret kept in {secret}"
        )


@app.command("reveal")
def reveal_command(
    draw: str = typer.Argument(..., help="Draw identifier."),
    secret: Path = SecretOption,
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Reveal this party's secret once every party has committed."""
    value = _read_secret(secret)
    with open_ledger(ledger) as book:
        record = draws.reveal(book, read_key(key), draw, value)
    if as_json:
        emit_json(record.to_json())
    else:
        console.print(f"{record.party} revealed for draw {draw} (record {record.seq})")


@app.command("result")
def result_command(
    draw: str = typer.Argument(..., help="Draw identifier."),
    key: Path | None = typer.Option(None, "--key", "-k", help="Also record the result, signed."),
    at: str | None = typer.Option(None, "--at", help="Evaluate at this UTC time."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Recompute the draw from the ledger; with --key, append the result record."""
    now = parse_time(at, where="--at") if at else datetime.now(UTC)
    with open_ledger(ledger) as book:
        if key is not None:
            body = draws.settle(book, read_key(key), draw, time=now).body
        else:
            records = [
                r for r in book.records(kinds=draws.DRAW_KINDS) if r.body.get("draw") == draw
            ]
            body = draws.compute_outcome(records, draw, now=now).to_body()
    if as_json:
        emit_json(body)
        return
    console.print(
        f"draw {draw}: selected {', '.join(body['selected'])} "
        f"(seed {body['seed'][:16]}; revealed {', '.join(body['revealed'])}"
        f"{'; defaulted ' + ', '.join(body['defaulted']) if body['defaulted'] else ''})"
    )


def _write_secret(path: Path, value: bytes) -> None:
    """Write a draw secret whole, synced (a secret lost in a crash would default the
    draw), owner-only, and never over an existing file."""
    if path.exists() or path.is_symlink():
        raise InputError("a secret file already exists; refusing to overwrite it", where=str(path))
    write_atomically(path, (value.hex() + "\n").encode("ascii"), mode=0o600, replace=False)


def _read_secret(path: Path) -> bytes:
    text = read_text(path)
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        raise InputError("not a hexadecimal secret", where=str(path)) from None
    if len(value) != draws.SECRET_BYTES:
        raise InputError(f"a secret has {draws.SECRET_BYTES} bytes", where=str(path))
    return value
