"""The treaty specification a ledger pins in its opening record.

Record 0 pins the treaty id and the digest of its specification
(:meth:`~treatyverify.treaty.TreatySpec.digest`) and, in ledgers opened since the
digest became RFC 8785, the specification file's exact text (``spec_text``) and the
digest's format (``spec_format``). Every command that works on a ledger reads its
specification through :func:`ledger_spec`: the pinned text, parsed and checked against
the pinned digest, so a specification a user wrote works exactly as a shipped one; or a
specification given explicitly, accepted only if it has the pinned digest. Older
ledgers pin the digest alone, in the legacy form
(:meth:`~treatyverify.treaty.TreatySpec.legacy_digest`); the installed specification of
their treaty is accepted when it has that digest (or the new one).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path

from treatyverify.errors import LedgerError, SigningKeyError, SpecError, TreatyVerifyError
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import TreatySpec, list_treaties, load_treaty, parse_treaty_yaml
from treatyverify.treaty.models import TREATY_DIGEST_FORMAT

__all__ = ["create_ledger", "ledger_spec", "pins", "treaty_source"]


def treaty_source(treaty: str | Path) -> tuple[TreatySpec, str]:
    """A specification and the exact text it is parsed from, to pin in a new ledger.

    Parameters
    ----------
    treaty
        A shipped id or a YAML path, as :func:`~treatyverify.treaty.load_treaty` takes.

    Raises
    ------
    UnknownNameError, SpecError, InputError
        As :func:`~treatyverify.treaty.load_treaty` raises them.
    """
    spec = load_treaty(treaty)
    base_dir: Path | None
    if (
        isinstance(treaty, Path)
        or "/" in treaty
        or "\\" in treaty
        or treaty.endswith((".yaml", ".yml"))
    ):
        path = Path(treaty)
        name, base_dir = path.name, path.parent
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:  # load_treaty has just read it
            raise SpecError(f"cannot read the file again: {exc}", where=str(path)) from None
    else:
        name, base_dir = f"{treaty}.yaml", _shipped_dir()
        text = (resources.files("treatyverify") / "treaties" / name).read_text(encoding="utf-8")
    parsed = parse_treaty_yaml(text, name, base_dir=base_dir)
    if parsed.digest() != spec.digest():
        raise SpecError("the file changed while it was read; try again", where=name)
    return parsed, text


def _shipped_dir() -> Path | None:
    """The folder of the shipped specifications, where their relative files are read
    from (``None`` when they are not plain files, inside a zip)."""
    folder = resources.files("treatyverify") / "treaties"
    return Path(str(folder)) if isinstance(folder, Path) else None


def create_ledger(
    location: str | Path,
    spec: TreatySpec,
    text: str,
    *,
    keys: Mapping[str, PublicPartyKey],
    opener: PartyKey,
    time: datetime | None = None,
) -> Ledger:
    """Open a new ledger under ``spec``, pinning its text and RFC 8785 digest in record 0.

    ``spec`` and ``text`` are a specification and the exact text it was parsed from, as
    :func:`treaty_source` returns them. Every party of the specification needs a key in
    ``keys``, and every key a party; the consensus parties are the specification's.

    Raises
    ------
    SigningKeyError
        A party without a key.
    UnknownNameError
        A key of a party the specification does not name.
    """
    for party in keys:
        spec.party(party)
    missing = [p.id for p in spec.parties if p.id not in keys]
    if missing:
        raise SigningKeyError(f"no public key for {', '.join(missing)}", where="keys")
    return Ledger.create(
        location,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys=keys,
        consensus_parties=spec.consensus_parties(),
        opener=opener,
        time=time,
        spec_text=text,
        spec_format=TREATY_DIGEST_FORMAT,
    )


def pins(ledger: Ledger, spec: TreatySpec) -> bool:
    """Whether ``spec`` is the specification ``ledger`` pins (id and digest).

    A ledger without a digest format (opened before it was pinned) accepts the legacy
    digest or the RFC 8785 one.

    Raises
    ------
    LedgerError
        Record 0 names a digest format this version does not know.
    """
    if spec.id != ledger.treaty:
        return False
    if ledger.spec_format is None:
        return ledger.spec_digest in (spec.digest(), spec.legacy_digest())
    if ledger.spec_format != TREATY_DIGEST_FORMAT:
        raise LedgerError(
            f"record 0 pins a digest of format {ledger.spec_format!r}, which this version "
            f"does not know ({TREATY_DIGEST_FORMAT})",
            where=_name(ledger),
        )
    return spec.digest() == ledger.spec_digest


def ledger_spec(ledger: Ledger, treaty: str | Path | None = None) -> TreatySpec:
    """The specification of the ledger's treaty, refused unless it is the one the ledger pins.

    Parameters
    ----------
    ledger
        An open ledger.
    treaty
        A shipped id or a YAML path to use instead of the pinned text; it must have the
        pinned id and digest.

    Raises
    ------
    LedgerError
        The given specification, the pinned text or (for a ledger that pins no text)
        the installed specification does not have the pinned digest, or the pinned
        text cannot be read.
    """
    where = _name(ledger)
    if treaty is not None:
        spec = load_treaty(treaty)
        if not pins(ledger, spec):
            raise LedgerError(
                f"the ledger was opened under another specification of {ledger.treaty} "
                f"(digest {ledger.spec_digest[:16]}, given {spec.id} {spec.digest()[:16]})",
                where=where,
            )
        return spec
    if ledger.spec_text is not None:
        try:
            # A shipped treaty's relative files are read beside the shipped ones.
            shipped = ledger.treaty in list_treaties()
            spec = _parse_pinned(ledger.spec_text, _shipped_dir() if shipped else None)
        except TreatyVerifyError as exc:
            raise LedgerError(
                f"the specification pinned in record 0 cannot be read ({exc}); give its "
                "file with --treaty",
                where=where,
            ) from None
        if not pins(ledger, spec):
            raise LedgerError(
                "the specification text pinned in record 0 does not have the pinned "
                f"digest {ledger.spec_digest[:16]} (or names another treaty than "
                f"{ledger.treaty})",
                where=where,
            )
        return spec
    if ledger.treaty not in list_treaties():
        raise LedgerError(
            f"record 0 pins only the digest of {ledger.treaty}, which is not installed; "
            "give its specification file with --treaty",
            where=where,
        )
    spec = load_treaty(ledger.treaty)
    if not pins(ledger, spec):
        raise LedgerError(
            f"the ledger was opened under another version of {ledger.treaty} "
            f"(digest {ledger.spec_digest[:16]}, installed {spec.digest()[:16]})",
            where=where,
        )
    return spec


def _name(ledger: Ledger) -> str:
    """How errors name a ledger: its store, or its treaty for one held by the service
    (:class:`~treatyverify.service.client.RemoteLedger` has no local store)."""
    store = getattr(ledger, "store", None)
    return str(store.name) if store is not None else f"the {ledger.treaty} ledger"


@functools.lru_cache(maxsize=16)
def _parse_pinned(text: str, base_dir: Path | None) -> TreatySpec:
    """Parse a pinned specification text (cached: the models are frozen)."""
    return parse_treaty_yaml(text, "record 0: spec_text", base_dir=base_dir)
