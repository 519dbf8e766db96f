"""Committed declarations under a treaty: the party's secret file, checks, ledger records.

A treaty that requires committed declarations names them in its ``committed_declarations``
section (an id, the limit the total must respect, optional per-site range proofs). The
flow, command by command (``treatyverify zk``):

1. ``commit``: the party commits to its count at each site; the openings (counts and
   blindings) go to a **secret file** that never leaves the party.
2. ``prove``: from the secret file, the public declaration with its proof that the total
   is within the limit; recorded in the ledger as a ``zk_declaration`` record signed by
   the party.
3. ``verify``: anyone checks a recorded (or filed) declaration against the treaty: the
   context (treaty, party, period) and the limit must be the treaty's, the proof must hold.
4. ``open``: after a draw selects the sites to inspect, the party records the openings of
   those sites only (``zk_opening``); the inspectors compare them with what they counted.

Record bodies: ``zk_declaration`` is the declaration's JSON object (``docs/zk.md``) with
ref ``"<category>/<period>"``; ``zk_opening`` is ``{"declaration": seq, "openings": [{"id",
"value", "blinding"}]}`` with ref ``"<category>/<period>/open/<n>"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import RootModel, model_validator

from treatyverify.errors import InputError, VerificationError
from treatyverify.files import read_json, write_atomically
from treatyverify.methods.zk.declaration import (
    CommittedDeclaration,
    DeclarationOpenings,
    prove_declaration,
)
from treatyverify.methods.zk.pedersen import Opening, check_opening, commit_counts
from treatyverify.methods.zk.rangeproof import ProofContext
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "DECLARATION_KIND",
    "OPENING_KIND",
    "SECRET_FORMAT",
    "PartySecret",
    "ZkDeclarationBody",
    "check_declaration",
    "check_site_counts",
    "commit_sites",
    "declaration_of_record",
    "openings_of_record",
    "prove",
    "read_secret",
    "record_declaration",
    "record_openings",
    "write_secret",
]

DECLARATION_KIND: Final = "zk_declaration"
OPENING_KIND: Final = "zk_opening"
SECRET_FORMAT: Final = "treatyverify-zk-secret/1"  # noqa: S105 - a format name, not a password
"""Value of the ``format`` member of a party's secret file."""


@dataclass(frozen=True)
class PartySecret:
    """What only the declaring party holds: the context and every site's opening."""

    treaty: str
    party: str
    period: str
    declaration: str
    openings: DeclarationOpenings

    @property
    def context(self) -> ProofContext:
        """The proof context (treaty, party, period)."""
        return ProofContext(self.treaty, self.party, self.period)


class ZkDeclarationBody(RootModel[dict[str, Any]]):
    """The body of a ``zk_declaration`` record, for the record kind registry: exactly
    what :meth:`CommittedDeclaration.from_dict` reads (keys, types, encodings)."""

    @model_validator(mode="after")
    def _parses(self) -> ZkDeclarationBody:
        try:
            CommittedDeclaration.from_dict(self.root)
        except InputError as exc:
            raise ValueError(f"{exc.where}: {exc.message}") from None
        return self


def commit_sites(
    spec: TreatySpec, declaration_id: str, party: str, period: str, counts: Mapping[str, int]
) -> PartySecret:
    """Commit to the party's count at each site for a declaration the treaty requires."""
    spec.committed_declaration(declaration_id)
    if party not in {p.id for p in spec.parties}:
        raise InputError(f"not a party to {spec.id}", where="party")
    if not counts:
        raise InputError("a declaration needs at least one site", where="counts")
    committed = commit_counts(counts)
    return PartySecret(
        spec.id, party, period, declaration_id, DeclarationOpenings(dict(committed.openings))
    )


def _limit_of(spec: TreatySpec, declaration_id: str) -> tuple[int, int | None]:
    required = spec.committed_declaration(declaration_id)
    maximum = spec.limit(required.limit).maximum
    if maximum != int(maximum):
        raise InputError("a committed declaration needs a whole-number limit", where="limit")
    return int(maximum), required.site_bits


def prove(spec: TreatySpec, secret: PartySecret) -> CommittedDeclaration:
    """The public declaration with its proof that the total respects the treaty's limit."""
    if secret.treaty != spec.id:
        raise InputError(f"the secret is for {secret.treaty}, not {spec.id}", where="treaty")
    limit, site_bits = _limit_of(spec, secret.declaration)
    return prove_declaration(
        secret.openings,
        limit=limit,
        context=secret.context,
        category=secret.declaration,
        site_bits=site_bits,
    )


def check_declaration(spec: TreatySpec, declaration: CommittedDeclaration) -> None:
    """Check a declaration against the treaty; :class:`VerificationError` says what fails.

    The treaty must be ``spec``, the party one of its parties, the category one of its
    committed declarations, the limit and the per-site bit width the treaty's, and the
    proof must verify.
    """
    ctx = declaration.context
    if ctx.treaty != spec.id:
        raise VerificationError(f"declared under {ctx.treaty}, not {spec.id}", where="treaty")
    if ctx.party not in {p.id for p in spec.parties}:
        raise VerificationError(f"{ctx.party!r} is not a party to {spec.id}", where="party")
    limit, site_bits = _limit_of(spec, declaration.category)
    if declaration.limit != limit:
        raise VerificationError(
            f"proves a limit of {declaration.limit}, the treaty's is {limit}", where="limit"
        )
    if declaration.site_bits != site_bits:
        raise VerificationError(
            f"site range proofs of {declaration.site_bits} bits, the treaty requires {site_bits}",
            where="site_bits",
        )
    if not declaration.verify():
        raise VerificationError("the proof does not verify", where="proof")


def record_declaration(
    ledger: Ledger, spec: TreatySpec, signer: PartyKey, declaration: CommittedDeclaration
) -> Record:
    """Check the declaration, then record it, signed by the declaring party."""
    if signer.party != declaration.context.party:
        raise InputError(
            f"{signer.party} cannot record a declaration of {declaration.context.party}",
            where="key",
        )
    check_declaration(spec, declaration)
    ref = f"{declaration.category}/{declaration.context.period}"
    return ledger.append(DECLARATION_KIND, declaration.to_dict(), signer, ref=ref)


def declaration_of_record(record: Record) -> CommittedDeclaration:
    """Parse the declaration held by a ``zk_declaration`` record, bound to its signer."""
    if record.kind != DECLARATION_KIND:
        raise InputError(f"is a {record.kind} record, not {DECLARATION_KIND}", where=record.ref)
    declaration = CommittedDeclaration.from_dict(record.body)
    if declaration.context.party != record.party:
        raise VerificationError(
            f"declares for {declaration.context.party} but is signed by {record.party}",
            seq=record.seq,
        )
    if declaration.context.treaty != record.treaty:
        raise VerificationError(
            f"declared under {declaration.context.treaty} in a {record.treaty} ledger",
            seq=record.seq,
        )
    return declaration


def _openings_body(openings: Mapping[str, Opening]) -> list[dict[str, Any]]:
    return [
        {"id": site, "value": o.value, "blinding": o.blinding.hex()} for site, o in openings.items()
    ]


def record_openings(
    ledger: Ledger,
    signer: PartyKey,
    declaration_record: Record,
    secret: PartySecret,
    sites: Iterable[str],
) -> Record:
    """Record the openings of the drawn sites only, after checking them against the commitments."""
    declaration = declaration_of_record(declaration_record)
    if signer.party != declaration.context.party:
        raise InputError(f"{signer.party} did not make this declaration", where="key")
    revealed = secret.openings.open_sites(sites)
    if not revealed:
        raise InputError("no site to open", where="sites")
    for site, opening in revealed.items():
        commitment = declaration.sites.get(site)
        if commitment is None or not check_opening(commitment, opening.value, opening.blinding):
            raise InputError(
                "the secret file's opening does not match the recorded commitment",
                where=f"site {site!r}",
            )
    count = sum(1 for _ in ledger.records(kinds=[OPENING_KIND]))
    ref = f"{declaration.category}/{declaration.context.period}/open/{count + 1}"
    body = {"declaration": declaration_record.seq, "openings": _openings_body(revealed)}
    return ledger.append(OPENING_KIND, body, signer, ref=ref)


def check_site_counts(
    declaration: CommittedDeclaration,
    openings: Mapping[str, Opening],
    counted: Mapping[str, int],
) -> dict[str, str]:
    """Per opened site: ``"agrees"``, or why not (bad opening, or count differs).

    Every counted site must have been opened; every opening must match its commitment.
    """
    result: dict[str, str] = {}
    for site, number in counted.items():
        opening = openings.get(site)
        if opening is None:
            result[site] = "not opened"
            continue
        commitment = declaration.sites.get(site)
        if commitment is None or not check_opening(commitment, opening.value, opening.blinding):
            result[site] = "the opening does not match the commitment"
        elif opening.value != number:
            result[site] = f"declared {opening.value}, counted {number}"
        else:
            result[site] = "agrees"
    return result


def write_secret(path: str | Path, secret: PartySecret) -> Path:
    """Write the party's secret file (mode 0600, atomically)."""
    data = {
        "format": SECRET_FORMAT,
        "treaty": secret.treaty,
        "party": secret.party,
        "period": secret.period,
        "declaration": secret.declaration,
        "openings": _openings_body(secret.openings.openings),
    }
    text = json.dumps(data, indent=1) + "\n"
    return write_atomically(path, text.encode("utf-8"), mode=0o600)


def read_secret(path: str | Path) -> PartySecret:
    """Read a party's secret file; :class:`InputError` naming the file and field."""
    file = Path(path)
    data = read_json(file)
    keys = {"format", "treaty", "party", "period", "declaration", "openings"}
    if not isinstance(data, dict) or set(data) != keys:
        raise InputError(f"expected keys {sorted(keys)}", where=str(file))
    if data["format"] != SECRET_FORMAT:
        raise InputError(f"expected {SECRET_FORMAT!r}", where=f"{file}: format")
    for name in ("treaty", "party", "period", "declaration"):
        if not isinstance(data[name], str) or not data[name]:
            raise InputError("expected a non-empty string", where=f"{file}: {name}")
    try:
        openings = DeclarationOpenings.openings_from_list(data["openings"])
    except InputError as exc:
        raise InputError(exc.message, where=f"{file}: {exc.where}") from None
    if not openings:
        raise InputError("no site", where=f"{file}: openings")
    return PartySecret(
        data["treaty"],
        data["party"],
        data["period"],
        data["declaration"],
        DeclarationOpenings(openings),
    )


def openings_of_record(record: Record) -> dict[str, Opening]:
    """The openings a ``zk_opening`` record reveals."""
    if record.kind != OPENING_KIND:
        raise InputError(f"is a {record.kind} record, not {OPENING_KIND}", where=record.ref)
    return DeclarationOpenings.openings_from_list(record.body["openings"])
