"""Tests of signed tree heads (treatyverify.records.heads) and of the RFC 9162 proofs
the ledger serves (Ledger.root, inclusion_proof, consistency_proof).

Roots are checked against a naive recursive Merkle Tree Hash written in
``ledger_helpers`` straight from RFC 9162 section 2.1.1, over record hashes computed
with hashlib from the raw rows; head signatures are checked with ``cryptography``
over ``b"treatyverify/tree-head/v1\\x00"`` + the RFC 8785 encoding of the six fields.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from ledger_helpers import (
    TREATY,
    TREE_HEAD_DOMAIN,
    at,
    canonical_json,
    fill,
    leaf,
    naive_mth,
    new_ledger,
    party_key,
    read_rows,
    time_text,
    verification_error,
    verify_path,
)

from treatyverify.errors import InputError, SigningKeyError, UnknownNameError, VerificationError
from treatyverify.records.heads import SignedTreeHead, load_tree_head, sign_tree_head
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.merkle import verify_consistency, verify_inclusion
from treatyverify.records.verify import verify_ledger

SIZE = 37  # not a power of two, so the trees have ragged right edges


@pytest.fixture(scope="module")
def ledger37(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, PartyKey]]:
    path = tmp_path_factory.mktemp("heads") / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, SIZE - 1)
    assert ledger.size == SIZE
    ledger.close()
    return path, keys


def _hashes(path: Path) -> list[bytes]:
    return [leaf(row.content, row.signature) for row in read_rows(path)]


def _signed(signer: PartyKey, /, **fields: object) -> SignedTreeHead:
    """A head with the given fields, properly signed by ``signer`` (whoever it claims)."""
    unsigned = SignedTreeHead(signature=b"", **fields)  # type: ignore[arg-type]
    return replace(unsigned, signature=signer.sign(TREE_HEAD_DOMAIN + unsigned.content()))


# RFC 9162 proofs through the ledger -----------------------------------------------------------


def test_ledger_roots_equal_the_naive_merkle_tree_hash(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, _ = ledger37
    hashes = _hashes(path)
    with Ledger.open(path) as ledger:
        assert ledger.leaf_hashes() == hashes
        for size in range(1, SIZE + 1):
            assert ledger.root(size) == naive_mth(hashes[:size]), size
        assert ledger.root() == naive_mth(hashes)
        assert verify_ledger(ledger).root == naive_mth(hashes).hex()


@pytest.mark.parametrize("size", [1, 2, 5, 16, 17, SIZE])
def test_every_inclusion_proof_verifies_against_the_naive_root(
    ledger37: tuple[Path, dict[str, PartyKey]], size: int
) -> None:
    path, _ = ledger37
    hashes = _hashes(path)
    root = naive_mth(hashes[:size])
    with Ledger.open(path) as ledger:
        for seq in range(size):
            proof = ledger.inclusion_proof(seq, size)
            assert verify_inclusion(hashes[seq], seq, size, proof, root), (seq, size)
            # The same path does not prove another record, or this record elsewhere.
            other = hashes[(seq + 1) % SIZE]
            if other != hashes[seq]:
                assert not verify_inclusion(other, seq, size, proof, root)
            if size > 1:
                assert not verify_inclusion(hashes[seq], (seq + 1) % size, size, proof, root)


@pytest.mark.parametrize("size", [2, 8, 17, SIZE])
def test_every_consistency_proof_verifies_between_naive_roots(
    ledger37: tuple[Path, dict[str, PartyKey]], size: int
) -> None:
    path, _ = ledger37
    hashes = _hashes(path)
    new_root = naive_mth(hashes[:size])
    with Ledger.open(path) as ledger:
        for old in range(1, size + 1):
            proof = ledger.consistency_proof(old, size)
            old_root = naive_mth(hashes[:old])
            assert verify_consistency(old, size, old_root, new_root, proof), (old, size)
            if old < size:
                forged_old = naive_mth([bytes(32), *hashes[1:old]])
                assert not verify_consistency(old, size, forged_old, new_root, proof)


def test_proof_arguments_out_of_range_are_refused(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, _ = ledger37
    with Ledger.open(path) as ledger:
        with pytest.raises(UnknownNameError):
            ledger.inclusion_proof(SIZE)
        with pytest.raises(UnknownNameError):
            ledger.inclusion_proof(5, 5)
        with pytest.raises(InputError):
            ledger.consistency_proof(0)
        with pytest.raises(InputError):
            ledger.consistency_proof(SIZE + 1)


def test_an_auditor_checks_growth_from_its_head_with_a_consistency_proof(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 6)
    kept = sign_tree_head(ledger, keys["ru"], time=at(50))
    fill(ledger, keys, 9, start=60)
    proof = ledger.consistency_proof(kept.tree_size)
    assert verify_consistency(kept.tree_size, ledger.size, kept.root, ledger.root(), proof)
    ledger.close()


# Signing, saving and loading heads ---------------------------------------------------------------


def test_a_signed_head_covers_the_six_fields_and_round_trips(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]]
) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        head = sign_tree_head(ledger, keys["ru"], size=20, time=at(99))
    hashes = _hashes(path)
    assert head.tree_size == 20
    assert head.root == naive_mth(hashes[:20])
    assert (head.treaty, head.party, head.key, head.time) == (
        TREATY,
        "ru",
        keys["ru"].key_id,
        time_text(99),
    )
    signed = canonical_json(
        {
            "treaty": TREATY,
            "tree_size": 20,
            "root": naive_mth(hashes[:20]).hex(),
            "time": time_text(99),
            "party": "ru",
            "key": keys["ru"].key_id,
        }
    )
    assert head.content() == signed
    Ed25519PublicKey.from_public_bytes(keys["ru"].public.public_key).verify(
        head.signature, TREE_HEAD_DOMAIN + signed
    )

    file = tmp_path / "head.json"
    head.save(file)
    document = json.loads(file.read_text(encoding="utf-8"))
    assert document == {
        "treaty": TREATY,
        "tree_size": 20,
        "root": head.root.hex(),
        "time": time_text(99),
        "party": "ru",
        "key": keys["ru"].key_id,
        "signature": head.signature.hex(),
    }
    assert load_tree_head(file) == head
    assert verify_path(path, heads=[load_tree_head(file)]).heads_checked == 1


def test_heads_of_every_size_by_both_parties_verify(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        heads = [
            sign_tree_head(ledger, keys[party], size=size, time=at(size))
            for size in range(1, SIZE + 1)
            for party in ("us", "ru")
        ]
        assert verify_ledger(ledger, heads=heads).heads_checked == 2 * SIZE


def test_signing_needs_the_pinned_key_and_a_size_in_range(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        with pytest.raises(SigningKeyError):
            sign_tree_head(ledger, party_key("ru", "impostor"), time=at(1))
        with pytest.raises(SigningKeyError):
            sign_tree_head(ledger, party_key("fr"), time=at(1))
        for size in (0, -1, SIZE + 1):
            with pytest.raises(InputError):
                sign_tree_head(ledger, keys["ru"], size=size, time=at(1))
        with pytest.raises(InputError):
            sign_tree_head(ledger, keys["ru"], time=at(1).replace(tzinfo=None))


# Heads that must not verify --------------------------------------------------------------------


def test_a_head_signed_by_an_unpinned_key_fails(ledger37: tuple[Path, dict[str, PartyKey]]) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        root = ledger.root(10)
    impostor = party_key("ru", "impostor")
    fields = {"treaty": TREATY, "tree_size": 10, "root": root, "time": time_text(5)}
    for head in (
        # A fresh key claiming party ru, naming its own key id ...
        _signed(impostor, party="ru", key=impostor.key_id, **fields),
        # ... or naming ru's pinned key id ...
        _signed(impostor, party="ru", key=keys["ru"].key_id, **fields),
        # ... a party the ledger does not know ...
        _signed(party_key("fr"), party="fr", key=party_key("fr").key_id, **fields),
        # ... or us's real signature presented as ru's.
        _signed(keys["us"], party="ru", key=keys["ru"].key_id, **fields),
    ):
        error = verification_error(path, heads=[head])
        assert error.where == "tree head"
        assert "signature" in str(error)


def test_a_head_with_a_modified_root_fails(ledger37: tuple[Path, dict[str, PartyKey]]) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        genuine = sign_tree_head(ledger, keys["ru"], size=10, time=at(5))
    altered_root = bytes([genuine.root[0] ^ 1]) + genuine.root[1:]
    # Changed after signing: the signature no longer covers it.
    error = verification_error(path, heads=[replace(genuine, root=altered_root)])
    assert error.where == "tree head"
    # Signed over the wrong root by the real key: the ledger does not match it.
    resigned = _signed(
        keys["ru"],
        treaty=TREATY,
        tree_size=10,
        root=altered_root,
        time=genuine.time,
        party="ru",
        key=keys["ru"].key_id,
    )
    error = verification_error(path, heads=[resigned])
    assert error.where == "records 0-9"
    # Other fields changed after signing.
    for changed in (
        replace(genuine, tree_size=11),
        replace(genuine, time=time_text(6)),
        replace(genuine, signature=bytes(64)),
    ):
        assert verification_error(path, heads=[changed]).where == "tree head"


def test_a_head_for_another_treaty_fails(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]]
) -> None:
    path, keys = ledger37
    # Same keys, same records, other treaty: the head is genuinely signed by ru.
    other, _ = new_ledger(tmp_path / "other.db", treaty="inf-treaty")
    fill(other, keys, 5)
    foreign = sign_tree_head(other, keys["ru"], time=at(7))
    other.close()
    error = verification_error(path, heads=[foreign])
    assert "inf-treaty" in str(error)
    # The same statement claimed for this treaty is no longer ru's signature.
    assert verification_error(path, heads=[replace(foreign, treaty=TREATY)]).where == "tree head"


def test_a_head_beyond_the_ledger_names_the_first_missing_record(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]]
) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        root = ledger.root()
    head = _signed(
        keys["ru"],
        treaty=TREATY,
        tree_size=SIZE + 4,
        root=root,
        time=time_text(1),
        party="ru",
        key=keys["ru"].key_id,
    )
    error = verification_error(path, heads=[head])
    assert error.seq == SIZE
    assert "deleted" in str(error)


def test_a_split_view_at_one_size_names_a_real_range(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]]
) -> None:
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        genuine = sign_tree_head(ledger, keys["ru"], size=8, time=at(5))
    forked_root = naive_mth([*(_hashes(path)[:4]), *([bytes(32)] * 4)])
    split = _signed(
        keys["us"],
        treaty=TREATY,
        tree_size=8,
        root=forked_root,
        time=time_text(5),
        party="us",
        key=keys["us"].key_id,
    )
    error = verification_error(path, heads=[genuine, split])
    if error.seq is None:
        assert error.where is not None
        first, last = (int(n) for n in error.where.removeprefix("records ").split("-"))
        assert 0 <= first <= last <= 7, error.where
    else:
        assert 0 <= error.seq <= 7


def test_a_head_of_size_zero_is_a_verification_error(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger37
    head = _signed(
        keys["ru"],
        treaty=TREATY,
        tree_size=0,
        root=naive_mth([]),
        time=time_text(1),
        party="ru",
        key=keys["ru"].key_id,
    )
    with pytest.raises(VerificationError), Ledger.open(path) as ledger:
        verify_ledger(ledger, heads=[head])


# Corrupt head files ---------------------------------------------------------------------------


def _good_document(keys: dict[str, PartyKey]) -> dict[str, object]:
    return {
        "treaty": TREATY,
        "tree_size": 3,
        "root": "ab" * 32,
        "time": time_text(1),
        "party": "ru",
        "key": keys["ru"].key_id,
        "signature": "cd" * 64,
    }


@pytest.mark.parametrize(
    "mutation",
    [
        "not-json",
        "empty",
        "array",
        "missing-root",
        "missing-signature",
        "root-not-hex",
        "root-short",
        "signature-short",
        "root-number",
        "size-text",
        "size-zero",
        "size-negative",
    ],
)
def test_a_corrupt_head_file_is_an_input_error_naming_the_file(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]], mutation: str
) -> None:
    document = _good_document(ledger37[1])
    text: str | None = None
    if mutation == "not-json":
        text = '{"treaty": '
    elif mutation == "empty":
        text = ""
    elif mutation == "array":
        text = json.dumps([document])
    elif mutation == "missing-root":
        del document["root"]
    elif mutation == "missing-signature":
        del document["signature"]
    elif mutation == "root-not-hex":
        document["root"] = "zz" * 32
    elif mutation == "root-short":
        document["root"] = "ab" * 31
    elif mutation == "signature-short":
        document["signature"] = "cd" * 63
    elif mutation == "root-number":
        document["root"] = 12
    elif mutation == "size-text":
        document["tree_size"] = "three"
    elif mutation == "size-zero":
        document["tree_size"] = 0
    else:
        document["tree_size"] = -3
    file = tmp_path / "head.json"
    file.write_text(json.dumps(document) if text is None else text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_tree_head(file)
    assert str(file) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_head_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "absent.json"
    with pytest.raises(InputError) as caught:
        load_tree_head(file)
    assert str(file) in str(caught.value)


def test_the_good_document_itself_loads(
    tmp_path: Path, ledger37: tuple[Path, dict[str, PartyKey]]
) -> None:
    file = tmp_path / "head.json"
    file.write_text(json.dumps(_good_document(ledger37[1])), encoding="utf-8")
    assert load_tree_head(file).tree_size == 3


def test_a_binary_head_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "head.json"
    file.write_bytes(b"\xff\xfe\x00\x80 not a head")
    with pytest.raises(InputError) as caught:
        load_tree_head(file)
    assert str(file) in str(caught.value)


def test_a_false_head_names_its_signer_before_any_rewrite(
    ledger37: tuple[Path, dict[str, PartyKey]],
) -> None:
    # ru signs a root over 20 records that the honest ledger never held: verification
    # fails, and says first that ru's head disagrees, so the head cannot frame the ledger.
    path, keys = ledger37
    with Ledger.open(path) as ledger:
        true_head = sign_tree_head(ledger, keys["ru"], size=20)
        false_head = _signed(
            keys["ru"],
            treaty=true_head.treaty,
            tree_size=20,
            root=bytes(32),
            time=true_head.time,
            party="ru",
            key=keys["ru"].key_id,
        )
        assert verify_ledger(ledger, heads=[true_head]).heads_checked == 1
        with pytest.raises(VerificationError) as caught:
            verify_ledger(ledger, heads=[false_head])
        assert str(caught.value).startswith("records 0-19: head by ru inconsistent with the ledger")
        assert "or ru signed a history the ledger never held" in str(caught.value)
