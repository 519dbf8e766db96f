"""Signed tree heads: a party's signed statement of the ledger it has seen.

As in Certificate Transparency (RFC 9162, section 4.10), a tree head names a tree
size and the Merkle root over that many records. A party that keeps the heads it
signed can later demand a consistency proof and so detect any rewrite of history.

Heads are written as C2SP checkpoints (:mod:`treatyverify.records.checkpoint`); the JSON
:class:`SignedTreeHead` of earlier versions is still read and checked. Both give a
:class:`HeadView` once their signatures are verified, and everything that compares
heads (:func:`check_heads_consistent`, :func:`~treatyverify.records.verify.verify_ledger`)
works on views.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from treatyverify.canonical import canonical_bytes
from treatyverify.errors import InputError, SigningKeyError, VerificationError
from treatyverify.files import read_json, write_atomically
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.ledger import Ledger, format_time
from treatyverify.records.merkle import verify_consistency

__all__ = [
    "TREE_HEAD_DOMAIN",
    "HeadView",
    "SignedTreeHead",
    "TreeHead",
    "check_heads_consistent",
    "check_views_consistent",
    "load_tree_head",
    "sign_tree_head",
]

TREE_HEAD_DOMAIN = b"treatyverify/tree-head/v1\x00"
HASH_BYTES = 32
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class HeadView:
    """A head whose signatures were verified: what it claims and who signed it.

    Attributes
    ----------
    treaty
        Treaty identifier.
    tree_size
        Number of records covered.
    root
        RFC 9162 Merkle root over them (32 bytes).
    signers
        Parties whose pinned keys signed it: the one who made it first, then those who
        cosigned it.
    time
        UTC time of the signature ("" when the head carries none).
    origin
        The checkpoint origin (None for a JSON tree head, which names no ledger).
    kind
        ``"tree head"`` (JSON) or ``"checkpoint"``.
    """

    treaty: str
    tree_size: int
    root: bytes
    signers: tuple[str, ...]
    time: str = ""
    origin: str | None = None
    kind: str = "tree head"

    def describe(self) -> str:
        """``the head by <party> (size <n>, <time>, cosigned by ...)`` for messages."""
        details = [f"size {self.tree_size}"]
        if self.time:
            details.append(self.time)
        if len(self.signers) > 1:
            details.append(f"cosigned by {', '.join(self.signers[1:])}")
        return f"the head by {self.signers[0]} ({', '.join(details)})"


class TreeHead(Protocol):
    """A kept head of either format: its claims, and a view once its signatures verify."""

    @property
    def tree_size(self) -> int: ...

    @property
    def treaty(self) -> str | None: ...

    def view(self, keys: dict[str, PublicPartyKey]) -> HeadView: ...


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head signed by one party.

    Attributes
    ----------
    treaty
        Treaty identifier of the ledger.
    tree_size
        Number of records covered.
    root
        RFC 9162 Merkle root over those records (32 bytes).
    time
        UTC time of signing.
    party, key
        The signing party and its key identifier.
    signature
        Ed25519 signature over ``TREE_HEAD_DOMAIN || content``.
    """

    treaty: str
    tree_size: int
    root: bytes
    time: str
    party: str
    key: str
    signature: bytes

    def content(self) -> bytes:
        """The canonical bytes that are signed."""
        return canonical_bytes(
            {
                "treaty": self.treaty,
                "tree_size": self.tree_size,
                "root": self.root.hex(),
                "time": self.time,
                "party": self.party,
                "key": self.key,
            }
        )

    def verify_signature(self, keys: dict[str, PublicPartyKey]) -> bool:
        """Return whether the head is signed by the pinned key of its party."""
        pinned = keys.get(self.party)
        if pinned is None or pinned.key_id != self.key:
            return False
        return pinned.verify(self.signature, TREE_HEAD_DOMAIN + self.content())

    def view(self, keys: dict[str, PublicPartyKey]) -> HeadView:
        """The head once its signature verifies under the pinned key of its party.

        Raises
        ------
        VerificationError
            When it does not.
        """
        if not self.verify_signature(keys):
            raise VerificationError(
                f"the tree head of size {self.tree_size} signed by {self.party} at "
                f"{self.time} does not carry a valid signature of a pinned key of "
                f"{self.party}",
                where="tree head",
            )
        return HeadView(self.treaty, self.tree_size, self.root, (self.party,), self.time)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "treaty": self.treaty,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "time": self.time,
            "party": self.party,
            "key": self.key,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, document: Any, *, where: str) -> SignedTreeHead:
        """Read a head from :meth:`to_json` output; InputError naming the field."""
        if not isinstance(document, dict):
            raise InputError("a tree head is a JSON object", where=where)
        try:
            head = cls(
                treaty=str(document["treaty"]),
                tree_size=int(document["tree_size"]),
                root=bytes.fromhex(document["root"]),
                time=str(document["time"]),
                party=str(document["party"]),
                key=str(document["key"]),
                signature=bytes.fromhex(document["signature"]),
            )
        except KeyError as exc:
            raise InputError(f"field {exc.args[0]!r} is missing", where=where) from None
        except (TypeError, ValueError):
            raise InputError(
                "a field has the wrong type or is not hexadecimal", where=where
            ) from None
        if len(head.root) != HASH_BYTES or len(head.signature) != SIGNATURE_BYTES:
            raise InputError("root must be 32 bytes and signature 64 bytes", where=where)
        if head.tree_size < 1:
            raise InputError("tree_size must be at least 1", where=f"{where}: tree_size")
        return head

    def save(self, path: Path) -> None:
        """Write the head as JSON."""
        write_atomically(path, (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8"))


def load_tree_head(path: Path) -> SignedTreeHead:
    """Read a head written by :meth:`SignedTreeHead.save`."""
    return SignedTreeHead.from_json(read_json(path), where=str(path))


def sign_tree_head(
    ledger: Ledger, signer: PartyKey, *, size: int | None = None, time: datetime | None = None
) -> SignedTreeHead:
    """Sign the head of the first ``size`` records (all by default) as ``signer``.

    The signer must be a party of the ledger with its pinned key. The caller is
    expected to have verified the ledger first (see :func:`verify_ledger`).
    """
    pinned = ledger.keys.get(signer.party)
    if pinned is None or pinned.public_key != signer.public.public_key:
        raise SigningKeyError(
            "not the pinned key of a party of this ledger", where=f"party {signer.party}"
        )
    tree_size = ledger.size if size is None else size
    if not 1 <= tree_size <= ledger.size:
        raise InputError(f"tree size must be between 1 and {ledger.size}", where="size")
    unsigned = SignedTreeHead(
        ledger.treaty,
        tree_size,
        ledger.root(tree_size),
        format_time(time or datetime.now(UTC)),
        signer.party,
        signer.key_id,
        b"",
    )
    signature = signer.sign(TREE_HEAD_DOMAIN + unsigned.content())
    return SignedTreeHead(
        unsigned.treaty,
        unsigned.tree_size,
        unsigned.root,
        unsigned.time,
        unsigned.party,
        unsigned.key,
        signature,
    )


def check_heads_consistent(
    first: TreeHead,
    second: TreeHead,
    keys: dict[str, PublicPartyKey],
    proof: Sequence[bytes] = (),
) -> None:
    """Check that two signed heads describe one history, without the ledger.

    Either head may be a JSON tree head or a checkpoint. Both must carry valid signatures
    of pinned keys and name one treaty (and, two checkpoints, one origin). Heads of one
    size must have one root; otherwise ``proof`` must be an RFC 9162 consistency proof
    from the smaller tree to the larger. Two validly signed heads of one size with
    different roots are a split view. A proof that fails shows a split view or a wrong
    proof (it comes from whoever holds the ledger), and the error says so.

    Raises
    ------
    VerificationError
        Naming both heads' signers and sizes.
    """
    views = [head.view(keys) for head in (first, second)]
    check_views_consistent(views[0], views[1], proof)


def check_views_consistent(first: HeadView, second: HeadView, proof: Sequence[bytes] = ()) -> None:
    """:func:`check_heads_consistent` on two heads whose signatures were verified."""
    if first.treaty != second.treaty:
        raise VerificationError(
            f"the heads are of two treaties ({first.treaty}, {second.treaty})", where="tree head"
        )
    old, new = sorted((first, second), key=lambda h: h.tree_size)
    names = f"{old.describe()} and {new.describe()}"
    if old.origin is not None and new.origin is not None and old.origin != new.origin:
        # Another origin is another opening record, so the roots differ too: a holder that
        # opened two ledgers with the parties' keys shows two histories from record 0 on.
        names += (
            f" (they name different opening records, ...{old.origin[-16:]} and "
            f"...{new.origin[-16:]}: two histories from record 0 on, or two ledgers)"
        )
    if old.tree_size == new.tree_size:
        if old.root != new.root:
            raise VerificationError(f"split view: {names} have different roots", where="tree head")
        return
    if not verify_consistency(old.tree_size, new.tree_size, old.root, new.root, list(proof)):
        raise VerificationError(
            f"not shown to be one history: {names} fail the consistency proof (a split "
            "view, or a proof that is not of this ledger)",
            where="tree head",
        )
