"""Shared command-line helpers: options, output as JSON or rich tables, error lines."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import typer
import typer.core
from rich.console import Console
from rich.table import Table

from treatyverify.errors import InputError, TreatyVerifyError
from treatyverify.files import check_output
from treatyverify.records.keys import PartyKey, PublicPartyKey, load_private_key, load_public_keys
from treatyverify.records.ledger import Ledger
from treatyverify.records.pinned import ledger_spec

__all__ = [
    "App",
    "ForceOption",
    "JsonOption",
    "KeyOption",
    "LedgerOption",
    "Terminated",
    "console",
    "emit_json",
    "error_line",
    "ledger_spec",
    "open_ledger",
    "options",
    "output_path",
    "print_table",
    "protected_paths",
    "read_key",
    "read_keyring",
    "signals_unwind",
]

console = Console(highlight=False)

LEDGER_ENV = "TREATYVERIFY_LEDGER"

LedgerOption = typer.Option(
    None,
    "--ledger",
    "-l",
    help=f"Ledger: a SQLite file or a SQLAlchemy URL (default ${LEDGER_ENV} or ledger.sqlite).",
)
KeyOption = typer.Option(..., "--key", "-k", help="The signing party's private key file.")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def ledger_location(value: str | None) -> str:
    """The ledger location from the option, the environment, or the default."""
    return value or os.environ.get(LEDGER_ENV) or "ledger.sqlite"


ForceOption = typer.Option(
    False,
    "--force",
    help="Replace the output file if it exists (never the ledger, a key or a secret).",
)


def protected_paths(ledger: str | None) -> list[str]:
    """The ledger file (``--ledger`` or its default) that an output must never replace
    or remove (none for a database URL)."""
    location = ledger_location(ledger)
    return [] if "://" in location else [location]


def output_path(out: Path, ledger: str | None, *, force: bool, suffix: str | None = None) -> Path:
    """``out`` once :func:`~treatyverify.files.check_output` has found it safe to write:
    never the ledger (a SQLite file, ``--ledger`` or its default), a key or secret, or
    a non-regular file, and an existing file only with ``--force``. With ``suffix``
    (``".png"``) the name must end so. Call it before any work, so that a bad path
    fails at once and nothing is computed for nothing."""
    if suffix is not None and out.suffix.lower() != suffix:
        raise InputError(f"the file name must end in {suffix}", where=str(out))
    return check_output(out, force=force, protected=protected_paths(ledger))


def open_ledger(value: str | None) -> Ledger:
    """Open the ledger named by ``--ledger`` (or its default)."""
    return Ledger.open(ledger_location(value))


def read_key(path: Path) -> PartyKey:
    """Read a party's private key file."""
    return load_private_key(path)


def read_keyring(directory: Path | None) -> dict[str, PublicPartyKey] | None:
    """Read the public keys a verifier pins, or None when no directory is given."""
    return None if directory is None else load_public_keys(directory)


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON on standard output."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a rich table."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)


def one_line(text: str) -> str:
    """``text`` with every character that is not printable (a newline, a record
    separator, a terminal escape from a file name) written as its escape, so that an
    error stays one line and cannot drive the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


@contextlib.contextmanager
def options(names: dict[str, str]) -> Iterator[None]:
    """Re-raise an :class:`InputError` of a library call at what the user wrote: its
    ``where``, a library parameter (``"sample"``, ``"covariance_kg2"``), becomes
    ``names[where]`` (an option, a file or a treaty field) when listed."""
    try:
        yield
    except InputError as exc:
        if exc.where is not None and exc.where in names:
            raise InputError(exc.message, where=names[exc.where]) from None
        raise


def error_line(exc: TreatyVerifyError) -> None:
    """Write one clear line for ``exc`` on standard error."""
    typer.echo(f"error: {one_line(str(exc))}", err=True)


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command, turning a treatyverify error into one line and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TreatyVerifyError as exc:
            error_line(exc)
            raise typer.Exit(2) from None

    return wrapper


class OneLineErrors(typer.core.TyperGroup):
    """The root command group: a usage error (a missing or malformed option, an unknown
    command) is one line on standard error, exit status 2, like every other error,
    instead of the framed panel Typer draws. Help still prints whole."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        kwargs["standalone_mode"] = False
        if not standalone:
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **kwargs)
        except typer.TyperException as exc:
            format_message = getattr(exc, "format_message", None)
            message = format_message() if format_message is not None else str(exc)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(message, err=True)  # the help, whole
            else:
                context = getattr(exc, "ctx", None)
                where = f"{context.command_path}: " if context is not None else ""
                typer.echo(f"error: {one_line(where + ' '.join(message.split()))}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)


class App(typer.Typer):
    """A Typer app whose commands report treatyverify errors as one line, exit status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", OneLineErrors)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        """Register a command like :meth:`typer.Typer.command`, guarded by ``_guarded``."""
        register = super().command(*args, **kwargs)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            register(_guarded(func))
            return func

        return decorator


class Terminated(SystemExit):
    """A SIGTERM or SIGHUP, raised where the program is so that every ``finally`` runs
    (temporary files and staging folders are removed) before it exits with status
    128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` in the main
    thread of this process instead of killing it outright. A signal already ignored
    (``nohup``) stays ignored; a second one while unwinding kills at once; a forked
    child that inherits the handler dies by the signal as it would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def unwind(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)
        if os.getpid() != owner:
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) is signal.SIG_IGN:
            continue
        previous[number] = signal.signal(number, unwind)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
