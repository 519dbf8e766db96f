"""``treatyverify record inspect / event / acknowledge``: inspection reports, events that
call for a notice, and acknowledgements of notices, from the command line.

Each command calls the library function a Python caller would
(:func:`~treatyverify.exchange.inspections.submit_inspection`,
:func:`~treatyverify.notifications.events.submit_event`,
:func:`~treatyverify.notifications.events.submit_acknowledgement`), so the checks are
the same; bad input is one line, exit status 2, and nothing is appended.
"""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import (
    JsonOption,
    KeyOption,
    LedgerOption,
    ledger_spec,
    open_ledger,
    read_key,
)
from treatyverify.cli.record import _print_record, app
from treatyverify.exchange.inspections import parse_inspection, submit_inspection
from treatyverify.files import read_json
from treatyverify.notifications.events import parse_event, submit_acknowledgement, submit_event

__all__ = ["acknowledge_command", "event_command", "inspect_command"]


@app.command("inspect")
def inspect_command(
    file: Path = typer.Argument(..., help="Inspection report (JSON)."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Submit an inspection report, checked against the treaty's inspection type.

    Checked: the type exists; the signer may inspect and the inspected party may be
    inspected, and they differ; the team size; the type's quota for the treaty year;
    the item classes observed; with start and end, the type's duration and the
    treaty year.
    """
    report = parse_inspection(read_json(file), where=str(file))
    with open_ledger(ledger) as book:
        _print_record(submit_inspection(book, ledger_spec(book), read_key(key), report), as_json)


@app.command("event")
def event_command(
    file: Path = typer.Argument(..., help="Event (JSON): code, party, event_time, notice?, ref?."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Record an event (a launch, a change in data) whose notice the treaty requires.

    The notice is due by the deadline of its notification type counted from the
    event's time; ``notify due`` then lists it until a notice covers the event.
    """
    event = parse_event(read_json(file), where=str(file))
    with open_ledger(ledger) as book:
        _print_record(submit_event(book, ledger_spec(book), read_key(key), event), as_json)


@app.command("acknowledge")
def acknowledge_command(
    ref: str = typer.Argument(..., help="Reference of the notice acknowledged."),
    notifier: str | None = typer.Option(
        None, "--notifier", help="The party that gave the notice (when two share the ref)."
    ),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Acknowledge another party's notice, as a party the treaty lists as notified."""
    with open_ledger(ledger) as book:
        record = submit_acknowledgement(
            book, ledger_spec(book), read_key(key), ref, notifying_party=notifier
        )
        _print_record(record, as_json)
