"""``treatyverify zk``: committed declarations with zero-knowledge proofs of compliance.

``commit`` writes the party's secret openings of its per-site counts; ``prove`` turns them
into the public declaration with its proof that the total respects the treaty's limit
(and records it with ``--key``); ``verify`` checks a declaration, filed or recorded,
against the treaty; ``open`` records the openings of the drawn sites only, and with
``--counted`` compares recorded openings with the numbers the inspectors counted.
"""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    LedgerOption,
    console,
    emit_json,
    ledger_spec,
    open_ledger,
    output_path,
    print_table,
    read_key,
)
from treatyverify.errors import InputError
from treatyverify.files import read_json, read_text, write_atomically
from treatyverify.methods.zk.declaration import CommittedDeclaration
from treatyverify.methods.zk.pedersen import Opening
from treatyverify.methods.zk.treaty_records import (
    DECLARATION_KIND,
    OPENING_KIND,
    check_declaration,
    check_site_counts,
    commit_sites,
    declaration_of_record,
    openings_of_record,
    prove,
    read_secret,
    record_declaration,
    record_openings,
    write_secret,
)
from treatyverify.records.draws import RESULT_KIND
from treatyverify.treaty import load_treaty

app = App(help="Committed declarations with zero-knowledge proofs.", no_args_is_help=True)


def _read_counts(path: Path) -> dict[str, int]:
    data = read_json(path)
    if not isinstance(data, dict) or not data:
        raise InputError("expected a JSON object of site -> count", where=str(path))
    for site, count in data.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError("expected a whole number >= 0", where=f"{path}: {site}")
    return dict(data)


@app.command("commit")
def commit_command(
    counts: Path = typer.Argument(..., help="JSON object: site -> count."),
    treaty_id: str = typer.Option(..., "--treaty", help="Treaty id or YAML file."),
    declaration: str = typer.Option(..., "--declaration", help="Committed declaration id."),
    party: str = typer.Option(..., "--party", help="Declaring party."),
    period: str = typer.Option(..., "--period", help="Period declared, e.g. 2026-H1."),
    secret: Path = typer.Option(..., "--secret", help="Secret file to write (mode 0600)."),
) -> None:
    """Commit to the count at each site; the openings go to the party's secret file."""
    spec = load_treaty(treaty_id)
    made = commit_sites(spec, declaration, party, period, _read_counts(counts))
    write_secret(secret, made)
    console.print(
        f"wrote {secret}: openings of {len(made.openings.openings)} sites "
        "(keep it secret; it opens every commitment)"
    )


@app.command("prove")
def prove_command(
    secret: Path = typer.Argument(..., help="The party's secret file."),
    out: Path = typer.Option(..., "--out", "-o", help="Public declaration to write (JSON)."),
    key: Path | None = typer.Option(None, "--key", "-k", help="Record it, signed with this key."),
    treaty_id: str | None = typer.Option(
        None,
        "--treaty",
        help="Treaty id or YAML file (default: with --key the ledger's pinned "
        "specification, else the shipped treaty the secret names); must match the ledger.",
    ),
    force: bool = ForceOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Build the public declaration with its proof that the total is within the limit.

    The output path is checked first and the file written last, after the record (when
    ``--key`` is given) is in the ledger: a refused record leaves no file behind.
    """
    target = output_path(out, ledger, force=force)
    party_secret = read_secret(secret)
    seq = None
    if key is None:
        declaration = prove(load_treaty(treaty_id or party_secret.treaty), party_secret)
    else:
        with open_ledger(ledger) as book:
            spec = ledger_spec(book, treaty_id)
            declaration = prove(spec, party_secret)
            seq = record_declaration(book, spec, read_key(key), declaration).seq
    write_atomically(target, (declaration.to_json() + "\n").encode("utf-8"))
    if as_json:
        emit_json({"declaration": str(out), "seq": seq, "proof_bytes": declaration.proof_bytes()})
        return
    console.print(f"wrote {out} (proof {declaration.proof_bytes():,} bytes)")
    if seq is not None:
        console.print(f"recorded as record {seq}")


@app.command("verify")
def verify_command(
    file: Path | None = typer.Argument(None, help="A declaration file (or use --record)."),
    record_seq: int | None = typer.Option(None, "--record", help="A zk_declaration record."),
    treaty_id: str | None = typer.Option(
        None,
        "--treaty",
        help="Treaty id or YAML file, for a file (default: the shipped treaty it names).",
    ),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Check a declaration against the treaty: context, limit and proof."""
    if (file is None) == (record_seq is None):
        raise InputError("give a declaration file or --record SEQ, not both", where="zk verify")
    if file is not None:
        text = read_text(file)
        declaration = CommittedDeclaration.from_json(text)
        spec = load_treaty(treaty_id or declaration.context.treaty)
        where = str(file)
    else:
        with open_ledger(ledger) as book:
            spec = ledger_spec(book)
            declaration = declaration_of_record(book.get(int(record_seq or 0)))
        where = f"record {record_seq}"
    check_declaration(spec, declaration)
    body = {
        "valid": True,
        "treaty": spec.id,
        "party": declaration.context.party,
        "period": declaration.context.period,
        "declaration": declaration.category,
        "limit": declaration.limit,
        "sites": len(declaration.sites),
    }
    if as_json:
        emit_json(body)
        return
    console.print(
        f"{where}: valid. {declaration.context.party}'s {declaration.category} total over "
        f"{len(declaration.sites)} sites for {declaration.context.period} is within "
        f"{declaration.limit} (nothing else is revealed)"
    )


@app.command("open")
def open_command(
    secret: Path | None = typer.Option(None, "--secret", help="The party's secret file."),
    record_seq: int = typer.Option(..., "--record", help="The zk_declaration record."),
    sites: str | None = typer.Option(None, "--sites", help="Sites to open, comma separated."),
    draw: str | None = typer.Option(None, "--draw", help="Open the sites this draw selected."),
    counted: Path | None = typer.Option(
        None, "--counted", help="Compare the recorded openings with these counts (JSON)."
    ),
    key: Path | None = typer.Option(None, "--key", "-k", help="The declaring party's key."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Record the openings of the drawn sites, or compare recorded openings with counts."""
    with open_ledger(ledger) as book:
        target = book.get(record_seq)
        if target.kind != DECLARATION_KIND:
            raise InputError(f"is a {target.kind} record", where=f"record {record_seq}")
        if counted is not None:
            declaration = declaration_of_record(target)
            opened: dict[str, Opening] = {}
            for rec in book.records(kinds=[OPENING_KIND]):
                if rec.body.get("declaration") == record_seq:
                    opened |= openings_of_record(rec)
            verdicts = check_site_counts(declaration, opened, _read_counts(counted))
            if as_json:
                emit_json(verdicts)
            else:
                print_table(
                    "Opened sites against counts", ["site", "result"], list(verdicts.items())
                )
            return
        if secret is None or key is None:
            raise InputError("opening needs --secret and --key", where="zk open")
        if (sites is None) == (draw is None):
            raise InputError("give --sites or --draw, not both", where="zk open")
        if draw is not None:
            results = [r for r in book.records(kinds=[RESULT_KIND]) if r.body.get("draw") == draw]
            if not results:
                raise InputError("no result recorded for this draw", where=f"draw {draw}")
            chosen = [str(s) for s in results[-1].body["selected"]]
        else:
            chosen = [s.strip() for s in (sites or "").split(",") if s.strip()]
        made = record_openings(book, read_key(key), target, read_secret(secret), chosen)
    if as_json:
        emit_json({"seq": made.seq, "opened": chosen})
        return
    console.print(f"recorded the openings of {', '.join(chosen)} as record {made.seq}")
