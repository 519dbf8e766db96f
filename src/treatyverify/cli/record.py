"""``treatyverify record``: the signed ledger from the command line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    KeyOption,
    LedgerOption,
    console,
    emit_json,
    ledger_location,
    ledger_spec,
    open_ledger,
    output_path,
    print_table,
    read_key,
    read_keyring,
)
from treatyverify.compliance.engine import evaluate as evaluate_rules
from treatyverify.compliance.findings import submit_finding
from treatyverify.errors import InputError, LedgerError, SigningKeyError, VerificationError
from treatyverify.exchange.declarations import (
    declarations_in_effect,
    load_declaration,
    submit_declaration,
)
from treatyverify.files import parse_json, read_json, read_text, write_atomically
from treatyverify.notifications.notices import parse_notice, submit_notice
from treatyverify.records import consensus
from treatyverify.records.checkpoint import (
    Checkpoint,
    load_checkpoint,
    load_head,
    sign_checkpoint,
    witness_checkpoint,
)
from treatyverify.records.heads import HeadView, check_heads_consistent
from treatyverify.records.ledger import Ledger, Record
from treatyverify.records.merkle import verify_inclusion
from treatyverify.records.pinned import create_ledger, treaty_source
from treatyverify.records.replica import start_replica
from treatyverify.records.store import sqlite_path_exists, store_url
from treatyverify.records.verify import verify_ledger
from treatyverify.treaty import TreatySpec

app = App(help="The signed, multi-party record ledger.", no_args_is_help=True)
heads = App(
    help="Signed tree heads (C2SP checkpoints): cosign one, compare two without the ledger.",
    no_args_is_help=True,
)
app.add_typer(heads, name="heads")


def _spec_for(ledger: Ledger) -> TreatySpec:
    return ledger_spec(ledger)


def _print_record(record: Record, as_json: bool) -> None:
    if as_json:
        emit_json(record.to_json())
    else:
        console.print(
            f"record {record.seq}: {record.kind} by {record.party} at {record.time} "
            f"(hash {record.hash_hex[:16]})"
        )


@app.command("init")
def init_command(
    treaty: str = typer.Option(
        ..., "--treaty", "-t", help="Shipped treaty id or a specification's YAML file."
    ),
    keys: Path = typer.Option(..., "--keys", help="Directory of every party's public key."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Open a new ledger for a treaty, pinning its specification and every party's key.

    Record 0 holds the specification file's exact text and its digest, so every later
    command (and every copy of the ledger) works from that specification.
    """
    from treatyverify.compliance.coverage import require_every_rule_checked

    spec, text = treaty_source(treaty)
    require_every_rule_checked(spec, name=str(treaty), text=text)
    keyring = read_keyring(keys) or {}
    for party in keyring:
        spec.party(party)
    missing = [p.id for p in spec.parties if p.id not in keyring]
    if missing:
        raise SigningKeyError(f"no public key for {', '.join(missing)}", where=str(keys))
    with create_ledger(
        ledger_location(ledger), spec, text, keys=keyring, opener=read_key(key)
    ) as created:
        _print_record(created.genesis, as_json)


@app.command("upgrade")
def upgrade_command(ledger: str | None = LedgerOption) -> None:
    """Bring a ledger store's schema to this version's revision (Alembic migrations)."""
    from treatyverify.records.schema import upgrade_store

    location = ledger_location(ledger)
    revision = upgrade_store(location)
    typer.echo(f"{location}: schema at revision {revision}")


@app.command("declare")
def declare_command(
    file: Path = typer.Argument(..., help="Declaration (JSON)."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Submit a declaration of holdings, checked against the treaty."""
    declaration = load_declaration(file)
    with open_ledger(ledger) as book:
        _print_record(
            submit_declaration(book, _spec_for(book), read_key(key), declaration), as_json
        )


@app.command("notify")
def notify_command(
    file: Path = typer.Argument(..., help="Notice (JSON)."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Submit a notification of a type the treaty defines."""
    notice = parse_notice(read_json(file), where=str(file))
    with open_ledger(ledger) as book:
        _print_record(submit_notice(book, _spec_for(book), read_key(key), notice), as_json)


@app.command("evaluate")
def evaluate_command(
    key: Path | None = typer.Option(
        None, "--key", "-k", help="Propose the findings, signed with this key."
    ),
    on: str | None = typer.Option(
        None, "--on", help="Evaluate the declarations in effect on this date (default today, UTC)."
    ),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Apply every rule the treaty states to the ledger (docs/compliance.md).

    Limits and counting rules read each party's declaration in effect: its last one in
    ledger order dated on or before the evaluation date; an unreadable declaration
    record is a non-compliant finding. Due dates, deadlines and quotas are judged as of
    the end of the evaluation date (UTC).
    """
    day = _evaluation_date(on)
    with open_ledger(ledger) as book:
        spec = _spec_for(book)
        state = declarations_in_effect(book.records(kinds=["declaration"]), day, spec)
        findings = evaluate_rules(spec, book.records(), as_of=day)
        signer = read_key(key) if key else None
        proposed = [submit_finding(book, signer, f).seq for f in findings] if signer else []
    if as_json:
        bodies = [f.body(spec.id) for f in findings]
        for body, seq in zip(bodies, proposed, strict=False):
            body["seq"] = seq
        emit_json(bodies)
        return
    print_table(
        "Findings",
        ["rule", "party", "compliant", "statement"],
        [(f.rule, f.subject, "yes" if f.compliant else "NO", f.statement) for f in findings],
    )
    for record, declaration in state.pending:
        console.print(
            f"declaration record {record.seq} of {record.party} is dated "
            f"{declaration.as_of}, after {day}: not yet in effect, not evaluated"
        )
    if proposed:
        console.print(
            f"proposed as records {', '.join(map(str, proposed))}; awaiting co-signatures"
        )


def _evaluation_date(text: str | None) -> date:
    """``--on`` as a date (today in UTC when not given)."""
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("not a date of the form YYYY-MM-DD", where="--on") from None


@app.command("cosign")
def cosign_command(
    seq: int = typer.Argument(..., help="Finding or report to co-sign."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Co-sign a finding or report."""
    with open_ledger(ledger) as book:
        _print_record(consensus.cosign(book, seq, read_key(key)), as_json)


@app.command("dissent")
def dissent_command(
    seq: int = typer.Argument(..., help="Finding or report dissented from."),
    reason: str = typer.Option(..., "--reason", help="Why, in a sentence."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Record a dissent from a finding or report (it is kept and shown)."""
    with open_ledger(ledger) as book:
        _print_record(consensus.dissent(book, seq, read_key(key), reason), as_json)


@app.command("status")
def status_command(
    seq: int = typer.Argument(..., help="Finding or report."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Show who has co-signed or dissented from a finding or report."""
    with open_ledger(ledger) as book:
        state = consensus.consensus_state(book, seq)
    document = {
        "target": state.target,
        "hash": state.target_hash,
        "status": state.status,
        "signed": state.signed,
        "dissents": state.dissents,
        "pending": state.pending,
    }
    if as_json:
        emit_json(document)
        return
    console.print(
        f"record {seq}: {state.status}; signed by {', '.join(state.signed) or 'none'}"
        f"; pending {', '.join(state.pending) or 'none'}"
    )
    for party, reason in state.dissents.items():
        console.print(f"  dissent by {party}: {reason}")


@app.command("list")
def list_command(
    kind: str | None = typer.Option(None, "--kind", help="Only this kind."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """List the records of the ledger."""
    with open_ledger(ledger) as book:
        records = list(book.records(kinds=[kind] if kind else None))
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    print_table(
        f"Ledger {ledger_location(ledger)}",
        ["seq", "kind", "party", "time", "hash"],
        [(r.seq, r.kind, r.party, r.time, r.hash_hex[:16]) for r in records],
    )


@app.command("show")
def show_command(
    seq: int = typer.Argument(..., help="Record sequence number."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Show one record in full."""
    with open_ledger(ledger) as book:
        record = book.get(seq)
    if as_json:
        emit_json(record.to_json())
        return
    console.print_json(json.dumps(record.to_json()))


@app.command("verify")
def verify_command(
    keys: Path | None = typer.Option(None, "--keys", help="Public keys this verifier pins."),
    head: list[Path] = typer.Option(
        [], "--head", help="Heads kept earlier (checkpoints, or JSON tree heads)."
    ),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-verify every signature, link, tree head, co-signature and draw.

    Names the first bad record and exits with status 2 when anything fails; a kept head
    that the ledger does not reproduce is named by its signers ("head by <party>
    inconsistent with the ledger").
    """
    heads = [load_head(path) for path in head]
    with open_ledger(ledger) as book:
        report = verify_ledger(book, trusted_keys=read_keyring(keys), heads=heads)
    if as_json:
        emit_json(
            {
                "valid": True,
                "treaty": report.treaty,
                "size": report.size,
                "root": report.root,
                "kinds": report.kinds,
                "heads_checked": report.heads_checked,
            }
        )
        return
    console.print(
        f"ledger verifies: {report.size} records of {report.treaty}, "
        f"root {report.root[:16]}, {report.heads_checked} tree heads consistent"
    )


@app.command("head")
def head_command(
    key: Path = KeyOption,
    out: Path = typer.Option(..., "--out", "-o", help="File for the signed checkpoint."),
    force: bool = ForceOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Verify the ledger, then sign its tree head as this party and keep it in a file.

    The head is a C2SP checkpoint (a signed note that transparency-log tools read);
    the other parties cosign it with ``record heads cosign``. An existing head is
    evidence: it is replaced only with ``--force``.
    """
    target = output_path(out, ledger, force=force)
    signer = read_key(key)
    with open_ledger(ledger) as book:
        verify_ledger(book)
        checkpoint = sign_checkpoint(book, signer)
        view = checkpoint.view(book.keys)
    checkpoint.save(target)
    if as_json:
        emit_json(_checkpoint_json(checkpoint, view))
        return
    console.print(
        f"signed checkpoint: size {checkpoint.tree_size}, root {checkpoint.root.hex()[:16]} "
        f"-> {out}"
    )


def _checkpoint_json(checkpoint: Checkpoint, view: HeadView) -> dict[str, Any]:
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "signers": list(view.signers),
        "checkpoint": checkpoint.note(),
    }


@app.command("prove")
def prove_command(
    seq: int = typer.Argument(..., help="Record to prove included."),
    size: int | None = typer.Option(None, "--size", help="Tree size (default all)."),
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Print an RFC 9162 inclusion proof of a record, checked before it is printed."""
    with open_ledger(ledger) as book:
        tree_size = book.size if size is None else size
        if not 0 < tree_size <= book.size:
            raise InputError(
                f"tree size {tree_size} is outside the ledger's 1..{book.size}", where="--size"
            )
        if not 0 <= seq < tree_size:
            raise InputError(f"record {seq} is not in a tree of {tree_size}", where="SEQ")
        record = book.get(seq)
        proof = book.inclusion_proof(seq, tree_size)
        root = book.root(tree_size)
    ok = verify_inclusion(record.hash, seq, tree_size, proof, root)
    document = {
        "seq": seq,
        "tree_size": tree_size,
        "leaf_hash": record.hash_hex,
        "root": root.hex(),
        "proof": [p.hex() for p in proof],
        "verified": ok,
    }
    if as_json:
        emit_json(document)
    else:
        console.print(
            f"record {seq} in tree of {tree_size}: {len(proof)} hashes, "
            f"{'verified' if ok else 'NOT verified'}"
        )
    if not ok:
        raise VerificationError(f"the inclusion proof of record {seq} does not verify", seq=seq)


@app.command("export")
def export_command(
    out: Path | None = typer.Option(None, "--out", "-o", help="JSON-lines file (default stdout)."),
    since: int = typer.Option(
        0,
        "--since",
        min=0,
        help="Only records from this sequence number on, for a copy that holds those before.",
    ),
    force: bool = ForceOption,
    ledger: str | None = LedgerOption,
) -> None:
    """Export the records with their signatures as JSON lines, for another party's copy.

    A whole export (from record 0) can start a replica (``record import --keys``); one
    ``--since N`` brings a copy that holds records 0 to N - 1 up to date.
    """
    target = None if out is None else output_path(out, ledger, force=force)
    with open_ledger(ledger) as book:
        size = book.size
        if since > size:
            raise InputError(
                f"the ledger holds {size} records, fewer than {since}", where="--since"
            )
        lines = [json.dumps(r.to_json(), ensure_ascii=False) for r in book.records(start=since)]
    text = "".join(line + "\n" for line in lines)
    if target is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(target, text.encode("utf-8"))
        console.print(f"{len(lines)} records -> {target}")


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="JSON lines from 'record export'."),
    keys: Path | None = typer.Option(
        None,
        "--keys",
        help="Directory of the public keys this party pins: starts a replica where there is "
        "no ledger yet (record 0 must give every party its pinned key); with a ledger, "
        "checks its record 0 against them first.",
    ),
    ledger: str | None = LedgerOption,
) -> None:
    """Append records exported from another copy (each must be the next, validly signed).

    Where no ledger exists, ``--keys`` starts a replica from a whole export: record 0 is
    checked against the pinned keys and kept byte for byte, so the replica's roots equal
    the origin's. Nothing is written unless every record is accepted.
    """
    records = [
        Record.from_json(
            parse_json(line, where=f"{file}: line {number}"), where=f"{file}: line {number}"
        )
        for number, line in enumerate(read_text(file).splitlines(), start=1)
        if line.strip()
    ]
    pinned = read_keyring(keys)
    location = ledger_location(ledger)
    if not _ledger_exists(location):
        if pinned is None:
            raise InputError(
                "no ledger here; to start a replica from this export, give --keys DIR with "
                "the public keys you pin",
                where=location,
            )
        with start_replica(location, records, pinned_keys=pinned) as replica:
            console.print(
                f"replica started: {replica.size} records of {replica.treaty}, "
                f"root {replica.root().hex()[:16]}"
            )
        return
    with open_ledger(ledger) as book:
        if pinned is not None:
            Ledger.check_pinned_keys(book.keys, pinned)
        count = book.import_records(records)
    console.print(f"{count} records imported")


def _ledger_exists(location: str) -> bool:
    """Whether a ledger is at ``location``: a SQLite file that exists, or a database that
    opens as one."""
    url = store_url(location)
    if url.startswith("sqlite"):
        return sqlite_path_exists(Path(url.removeprefix("sqlite:///")), location)
    try:
        Ledger.open(location).close()
    except LedgerError:
        return False
    return True


@heads.command("cosign")
def heads_cosign_command(
    checkpoint: Path = typer.Argument(..., help="Checkpoint signed by another party."),
    key: Path = KeyOption,
    out: Path = typer.Option(..., "--out", "-o", help="File for the cosigned checkpoint."),
    head: list[Path] = typer.Option(
        [], "--head", help="Heads this party kept earlier; all must be one history with it."
    ),
    force: bool = ForceOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Witness another party's checkpoint: check it against this copy, then cosign it.

    The ledger is verified with the heads kept; the checkpoint must carry a valid
    signature of another party's pinned key, be of this ledger and have this copy's root
    at its size. It is written back to ``--out`` with this party's tlog-cosignature/v1
    added. A checkpoint the copy does not reproduce exits with status 2 ("head by
    <party> inconsistent with the ledger").
    """
    target = output_path(out, ledger, force=force)
    signer = read_key(key)
    served = load_checkpoint(checkpoint)
    held = [load_head(path) for path in head]
    with open_ledger(ledger) as book:
        verify_ledger(book, heads=held)
        cosigned = witness_checkpoint(book, served, signer, held=held)
        view = cosigned.view(book.keys)
    cosigned.save(target)
    if as_json:
        emit_json(_checkpoint_json(cosigned, view))
        return
    console.print(
        f"cosigned the checkpoint of size {cosigned.tree_size} by {view.signers[0]} "
        f"(signed by {', '.join(view.signers)}) -> {out}"
    )


@heads.command("compare")
def heads_compare_command(
    first: Path = typer.Argument(..., help="A head (checkpoint, or JSON tree head)."),
    second: Path = typer.Argument(..., help="Another head of the same ledger."),
    keys: Path = typer.Option(..., "--keys", help="Public keys this verifier pins."),
    proof: Path | None = typer.Option(
        None,
        "--proof",
        help="Consistency proof (JSON: a list of hex hashes, or the "
        "service's GET /api/ledger/proofs/consistency answer).",
    ),
    ledger: str | None = typer.Option(
        None, "--ledger", "-l", help="Take the proof from this copy instead of --proof."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Check that two signed heads describe one history (a split view fails, exit 2).

    Heads of one size need no proof. Otherwise the consistency proof comes from a file
    or from a copy of the ledger; either way it is checked against the two signed roots
    alone, so the copy need not be trusted.
    """
    pinned = read_keyring(keys) or {}
    a, b = load_head(first), load_head(second)
    views = (a.view(pinned), b.view(pinned))
    old, new = sorted(views, key=lambda h: h.tree_size)
    path: list[bytes] = []
    if old.tree_size != new.tree_size:
        if (proof is None) == (ledger is None):
            raise InputError("give --proof FILE or --ledger, one of them", where="--proof")
        if proof is not None:
            path = _proof_hashes(read_json(proof), str(proof))
        else:
            with open_ledger(ledger) as book:
                if new.tree_size > book.size:
                    raise InputError(
                        f"this copy holds {book.size} records, fewer than {new.tree_size}",
                        where="--ledger",
                    )
                path = book.consistency_proof(old.tree_size, new.tree_size)
    check_heads_consistent(a, b, pinned, path)
    if as_json:
        emit_json(
            {
                "consistent": True,
                "sizes": [old.tree_size, new.tree_size],
                "signers": [list(old.signers), list(new.signers)],
            }
        )
        return
    console.print(f"one history: {old.describe()[4:]} and {new.describe()[4:]}")


def _proof_hashes(document: Any, where: str) -> list[bytes]:
    nodes = document.get("path") if isinstance(document, dict) else document
    if not isinstance(nodes, list) or len(nodes) > 128:
        raise InputError("a consistency proof is a list of at most 128 hex hashes", where=where)
    try:
        hashes = [bytes.fromhex(node) for node in nodes]
    except (TypeError, ValueError):
        raise InputError("a proof node is not a hex hash", where=where) from None
    if any(len(h) != 32 for h in hashes):
        raise InputError("a proof node is not 32 bytes", where=where)
    return hashes
