"""The ``treatyverify`` command: one Typer app, one module per command group.

Every error of the :mod:`treatyverify.errors` hierarchy becomes one line on standard
error and exit status 2 (see :class:`treatyverify.cli.common.App`); no traceback is
ever shown for bad input.
"""

from __future__ import annotations

import typer

from treatyverify import __version__
from treatyverify.cli import (
    accountancy,
    accountancy_reports,  # noqa: F401  (registers accountancy reports)
    accountancy_verify,  # noqa: F401  (registers accountancy verify)
    demo,
    draw,
    exercise,
    gamma,
    monitor,
    notify,
    party,
    record,
    record_entries,  # noqa: F401  (registers record inspect, event, acknowledge)
    sampling,
    schema,
    serve,
    template,
    treaty,
    zk,
)
from treatyverify.cli.common import App, Terminated, signals_unwind

__all__ = ["app", "main"]

app = App(
    name="treatyverify",
    help="Verify nuclear arms control and disarmament: treaties, signed ledger, draws, findings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(treaty.app, name="treaty")
app.add_typer(party.app, name="party")
app.add_typer(record.app, name="record")
app.add_typer(draw.app, name="draw")
app.add_typer(gamma.app, name="gamma")
app.add_typer(template.app, name="template")
app.add_typer(monitor.app, name="monitor")
app.add_typer(notify.app, name="notify")
app.add_typer(accountancy.app, name="accountancy")
app.add_typer(sampling.app, name="sampling")
app.add_typer(zk.app, name="zk")
app.add_typer(exercise.app, name="exercise")
app.add_typer(serve.remote, name="remote")
app.command("demo")(demo.run_demo_command)
app.command("serve")(serve.serve_command)
app.command("schema")(schema.schema_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"treatyverify {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """treatyverify command line."""


def main() -> None:
    """Console entry point. SIGTERM and SIGHUP unwind the command like an error, so
    that what it was writing is removed, and exit with status 128 + the signal."""
    with signals_unwind():
        try:
            app()
        except Terminated as exc:
            typer.echo(f"error: stopped by signal {exc.signum}", err=True)
            raise
