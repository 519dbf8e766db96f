"""The treaty specification a ledger pins in its opening record."""

from __future__ import annotations

from treatyverify.errors import LedgerError
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import TreatySpec, load_treaty

__all__ = ["ledger_spec"]


def ledger_spec(ledger: Ledger, treaty: str | None = None) -> TreatySpec:
    """The specification of the ledger's treaty, refused unless it is the one the ledger pins.

    ``treaty`` (an id or a YAML path) replaces the installed specification, for a ledger
    made under a specification file of its own.
    """
    spec = load_treaty(treaty or ledger.treaty)
    if spec.id != ledger.treaty or spec.digest() != ledger.spec_digest:
        raise LedgerError(
            f"the ledger was opened under another version of {ledger.treaty} "
            f"(digest {ledger.spec_digest[:16]}, given {spec.id} {spec.digest()[:16]})",
            where=ledger.store.name,
        )
    return spec
