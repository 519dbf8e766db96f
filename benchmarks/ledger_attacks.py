"""Ledger attacks and their verdicts (issue 17): what import, verification and head
comparison do with records and heads a hostile party or holder makes.

Each attack starts from a fresh ledger of two parties (us, ru) with one declaration and
one finding, builds its records or heads with the attacker's real keys where the attack
allows it, and reports where it was stopped, or "ACCEPTED". An accepted attack is a gap
the threat model (docs/threat-model.md) must name.

Usage: python benchmarks/ledger_attacks.py [--out results/ledger_attacks.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from treatyverify.canonical import canonical_bytes
from treatyverify.errors import TreatyVerifyError
from treatyverify.records.heads import (
    TREE_HEAD_DOMAIN,
    check_heads_consistent,
    sign_tree_head,
)
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import RECORD_DOMAIN, Entry, Ledger, Record, seal_records
from treatyverify.records.verify import verify_ledger

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _key(party: str, label: str = "") -> PartyKey:
    seed = f"{party}/{label}".encode().ljust(32, b".")[:32]
    return PartyKey(party, Ed25519PrivateKey.from_private_bytes(seed))


KEYS = {party: _key(party) for party in ("us", "ru")}
DECLARATION = {
    "ref": "us-1",
    "schedule": "six-month-update",
    "as_of": "2026-01-01",
    "holdings": [{"item_class": "deployed-icbm", "site": "Minot AFB", "count": 150}],
}
FINDING = {
    "treaty": "new-start",
    "rule": "limit:deployed-warheads",
    "subject": "us",
    "statement": "us declared 150 deployed warheads: within the limit of 1550",
    "compliant": True,
    "values": {"declared": 150, "maximum": 1550},
    "source": "New START Treaty (2010), Article II.1(b)",
    "basis": [],
}


def _ledger(folder: Path, name: str = "ledger.sqlite", *, with_finding: bool = True) -> Ledger:
    """Two parties, a declaration by us and (unless told) a finding by ru."""
    ledger = Ledger.create(
        folder / name,
        treaty="new-start",
        spec_digest="00" * 32,
        keys={p: k.public for p, k in KEYS.items()},
        consensus_parties=sorted(KEYS),
        opener=KEYS["us"],
        time=T0,
    )
    ledger.append("declaration", DECLARATION, KEYS["us"], ref="us-1", time=T0 + timedelta(1))
    if with_finding:
        ledger.append("finding", FINDING, KEYS["ru"], ref="f-1", time=T0 + timedelta(2))
    return ledger


def _raw(ledger: Ledger, party: str, **envelope: Any) -> Record:
    """A record with any envelope fields, properly signed by ``party``'s real key."""
    head = ledger.get(ledger.size - 1)
    fields: dict[str, Any] = {
        "v": 1,
        "seq": ledger.size,
        "prev": head.hash_hex,
        "treaty": ledger.treaty,
        "kind": "note",
        "party": party,
        "key": KEYS[party].key_id,
        "time": "2026-01-04T00:00:00.000000Z",
        "ref": None,
        "body": {"text": "attack"},
        **envelope,
    }
    signature = KEYS[party].sign(RECORD_DOMAIN + canonical_bytes(fields))
    return Record.from_json({"envelope": fields, "signature": signature.hex()}, where="attack")


def _sealed(ledger: Ledger, party: str, kind: str, body: dict[str, Any], **kw: Any) -> Record:
    signer = kw.pop("signer", KEYS[party])
    return seal_records(
        ledger.treaty,
        [Entry(kind, body, kw.pop("ref", None))],
        signer,
        seq=ledger.size,
        head=ledger.get(ledger.size - 1).hash,
        time=kw.pop("time", T0 + timedelta(3)),
    )[0]


def _import(make: Callable[[Ledger], Record]) -> Callable[[Path], str]:
    def attack(folder: Path) -> str:
        with _ledger(folder) as ledger:
            record = make(ledger)
            ledger.import_records([record])
            verify_ledger(ledger)
        return "ACCEPTED"

    return attack


def _false_head(folder: Path) -> str:
    with _ledger(folder) as ledger:
        true = sign_tree_head(ledger, KEYS["ru"])
        unsigned = replace(true, root=bytes(32), signature=b"")
        false = replace(unsigned, signature=KEYS["ru"].sign(TREE_HEAD_DOMAIN + unsigned.content()))
        verify_ledger(ledger, heads=[false])
    return "ACCEPTED"


def _split_view(folder: Path) -> str:
    with _ledger(folder) as honest, _ledger(folder, "other.sqlite") as other:
        other.append("note", {"text": "one history"}, KEYS["us"], time=T0 + timedelta(3))
        honest.append("note", {"text": "another"}, KEYS["us"], time=T0 + timedelta(3))
        a = sign_tree_head(honest, KEYS["us"])
        b = sign_tree_head(other, KEYS["ru"])
        check_heads_consistent(a, b, dict(honest.keys))
    return "ACCEPTED"


def _deleted_tail(folder: Path) -> str:
    with _ledger(folder) as ledger:
        kept = sign_tree_head(ledger, KEYS["ru"])  # ru keeps a head over 3 records
    # The holder's copy: the same first two records (deterministic keys and times), no third.
    with _ledger(folder, "shorter.sqlite", with_finding=False) as shorter:
        verify_ledger(shorter)  # self-consistent
        verify_ledger(shorter, heads=[kept])
    return "ACCEPTED"


def _unpinned(folder: Path) -> str:
    with _ledger(folder) as ledger:
        verify_ledger(ledger, trusted_keys={"us": KEYS["us"].public})
    return "ACCEPTED"


def _forged_party(folder: Path) -> str:
    with _ledger(folder) as ledger:
        forged = _sealed(ledger, "ru", "note", {"text": "x"}, signer=_key("ru", "attacker"))
        ledger.import_records([forged])
    return "ACCEPTED"


ATTACKS: dict[str, Callable[[Path], str]] = {
    "record time +14:00 (blocks appends for 14 h)": _import(
        lambda lg: _raw(lg, "ru", time="2026-01-04T10:00:00.000000+14:00")
    ),
    "record dated 9999 (freezes a replica)": _import(
        lambda lg: _raw(lg, "ru", time="9999-01-01T00:00:00.000000Z")
    ),
    "impossible date 2026-02-30": _import(
        lambda lg: _raw(lg, "ru", time="2026-02-30T00:00:00.000000Z")
    ),
    "reference of 201 characters": _import(lambda lg: _raw(lg, "ru", ref="r" * 201)),
    "empty record kind": _import(lambda lg: _raw(lg, "ru", kind="")),
    "record signed by a key not pinned for its party": _forged_party,
    "record linked to a wrong previous hash": _import(lambda lg: _raw(lg, "ru", prev="11" * 32)),
    "dissent with an empty reason": _import(
        lambda lg: _raw(
            lg,
            "us",
            kind="dissent",
            ref="2",
            body={"target": 2, "target_hash": lg.get(2).hash_hex, "reason": ""},
        )
    ),
    "co-signature of a hash the target does not have": _import(
        lambda lg: _raw(
            lg, "us", kind="cosign", ref="2", body={"target": 2, "target_hash": "22" * 32}
        )
    ),
    "unknown record kind": _import(lambda lg: _raw(lg, "ru", kind="made_up", body={"x": 1})),
    "declaration with a made-up body": _import(
        lambda lg: _raw(lg, "ru", kind="declaration", ref="ru-1", body={"warheads": "many"})
    ),
    "declaration whose body names another reference": _import(
        lambda lg: _raw(
            lg, "ru", kind="declaration", ref="ru-2", body={**DECLARATION, "ref": "ru-3"}
        )
    ),
    "verifier pins only one party's key": _unpinned,
    "false tree head signed by one party (framing)": _false_head,
    "split view: two histories, heads compared": _split_view,
    "deleted tail, head kept before": _deleted_tail,
}


def run() -> list[dict[str, str]]:
    rows = []
    for name, attack in ATTACKS.items():
        with tempfile.TemporaryDirectory() as folder:
            try:
                verdict = attack(Path(folder))
            except TreatyVerifyError as exc:
                verdict = f"refused: {exc}"
        rows.append({"attack": name, "verdict": verdict[:160]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    rows = run()
    for row in rows:
        print(f"{row['attack']:50s} {row['verdict']}")
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
