"""Tree heads as C2SP checkpoints (treatyverify.records.checkpoint).

The expected bytes are built here by hand from the specifications, not from the
module's helpers: the note text of https://c2sp.org/tlog-checkpoint ("Note text"), the
key ID ``SHA-256(name || 0x0A || type || public key)[:4]`` and the line ``— <name>
<base64(key ID || signature)>`` of https://c2sp.org/signed-note, and the cosigned
message ``cosignature/v1\\ntime <t>\\n`` + text of https://c2sp.org/tlog-cosignature.
Published vectors: the Ed25519 note of Go's golang.org/x/mod/sumdb/note package
documentation (PeterNeumann), and the example checkpoint of the tlog-cosignature page.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_helpers import TREATY, at, fill, leaf, naive_mth, new_ledger, party_key, read_rows

from treatyverify.errors import InputError, SigningKeyError, VerificationError
from treatyverify.records.checkpoint import (
    Checkpoint,
    NoteSignature,
    cosign_checkpoint,
    cosignature_message,
    key_name,
    ledger_origin,
    load_checkpoint,
    load_head,
    note_key_id,
    parse_checkpoint,
    parse_signed_note,
    sign_checkpoint,
    witness_checkpoint,
)
from treatyverify.records.heads import SignedTreeHead, check_heads_consistent, sign_tree_head
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger

EM_DASH = "\u2014"
COSIGNED_AT = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
COSIGNED_POSIX = 1772366400  # 2026-03-01T12:00:00Z, seconds since the Epoch


@pytest.fixture
def ledger_file(tmp_path: Path) -> tuple[Path, dict[str, PartyKey]]:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 6)
    ledger.close()
    return path, keys


def _forked(tmp_path: Path) -> tuple[Path, Path, dict[str, PartyKey]]:
    """Two ledgers with one opening record (one origin) and different histories after."""
    path = tmp_path / "honest.db"
    ledger, keys = new_ledger(path)
    ledger.close()
    fork = tmp_path / "fork.db"
    shutil.copy(path, fork)
    with Ledger.open(path) as honest:
        fill(honest, keys, 4)
    with Ledger.open(fork) as other:
        fill(other, keys, 4, start=100.0)
    return path, fork, keys


# Published vectors ------------------------------------------------------------------


def test_the_go_sumdb_note_vector_is_reproduced_byte_for_byte() -> None:
    # golang.org/x/mod/sumdb/note, package documentation ("Example"): the signer key
    # PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>, its verifier key
    # PeterNeumann+c74f20a3+<base64(0x01 || public key)> and the signed note below.
    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    public = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    blob = (
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
        "gKvqfqdngotpRZb6KE6RyyBwJnAM="
    )
    note = f"{text}\n{EM_DASH} PeterNeumann {blob}\n"

    # The key ID by hand, then by the module.
    by_hand = hashlib.sha256(b"PeterNeumann" + b"\n" + b"\x01" + public).digest()[:4]
    assert by_hand.hex() == "c74f20a3"
    assert note_key_id("PeterNeumann", 0x01, public) == by_hand

    key = PartyKey("peter", Ed25519PrivateKey.from_private_bytes(seed))
    assert key.public.public_key == public
    signature = key.sign(text.encode("utf-8"))  # Ed25519 is deterministic (RFC 8032)
    assert base64.b64encode(by_hand + signature).decode() == blob

    parsed = parse_signed_note(note, where="go-vector")
    assert parsed.text == text
    assert parsed.signatures == (NoteSignature("PeterNeumann", by_hand, signature),)
    assert parsed.signatures[0].line() == f"{EM_DASH} PeterNeumann {blob}\n"


SPEC_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    f"{EM_DASH} example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    f"{EM_DASH} witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
"""The example checkpoint of c2sp.org/tlog-cosignature: a log signature and a cosignature."""


def test_the_tlog_cosignature_example_parses_with_its_timestamp() -> None:
    checkpoint = parse_checkpoint(SPEC_EXAMPLE, where="spec")
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.tree_size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    log, witness = checkpoint.signatures
    assert len(log.signature) == 64 and log.timestamp is None
    # The page's signed-message example shows "time 1679315147" for this cosignature.
    assert witness.name == "witness.example.com/w1"
    assert witness.timestamp == 1679315147
    assert cosignature_message(checkpoint.text, 1679315147) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert checkpoint.note() == SPEC_EXAMPLE
    # Not a treatyverify origin: no pinned key can have signed it (fail closed).
    assert checkpoint.treaty is None
    with pytest.raises(VerificationError, match="not a treatyverify ledger"):
        checkpoint.checks({})


# Hand-built vectors -----------------------------------------------------------------


def test_a_signed_checkpoint_is_the_note_built_by_hand(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    rows = read_rows(path)
    hashes = [leaf(row.content, row.signature) for row in rows]
    with Ledger.open(path) as ledger:
        checkpoint = sign_checkpoint(ledger, keys["ru"])
    origin = f"treatyverify/{TREATY}/{hashes[0].hex()}"
    text = f"{origin}\n{len(rows)}\n{base64.b64encode(naive_mth(hashes)).decode()}\n"
    name = f"treatyverify/{TREATY}/ru"
    public = keys["ru"].public.public_key
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    signature = base64.b64decode(checkpoint.note().rsplit(" ", 1)[1])[4:]
    Ed25519PublicKey.from_public_bytes(public).verify(signature, text.encode())
    expected = f"{text}\n{EM_DASH} {name} {base64.b64encode(key_id + signature).decode()}\n"
    assert checkpoint.note() == expected
    assert checkpoint.text == text


def test_a_cosignature_is_the_timestamped_signature_of_the_spec(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        made = sign_checkpoint(ledger, keys["us"])
        cosigned = witness_checkpoint(ledger, made, keys["ru"], time=COSIGNED_AT)
    line = cosigned.note().splitlines()[-1]
    name = f"treatyverify/{TREATY}/ru"
    assert line.startswith(f"{EM_DASH} {name} ")
    raw = base64.b64decode(line.rsplit(" ", 1)[1])
    public = keys["ru"].public.public_key
    assert raw[:4] == hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    assert raw[4:12] == COSIGNED_POSIX.to_bytes(8, "big")
    message = b"cosignature/v1\n" + f"time {COSIGNED_POSIX}\n".encode() + made.text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)
    assert len(raw) == 4 + 8 + 64
    with Ledger.open(path) as ledger:
        view = cosigned.view(ledger.keys)
    assert view.signers == ("us", "ru")
    assert view.time == "2026-03-01T12:00:00.000000Z"
    assert "cosigned by ru" in view.describe()


def test_files_round_trip_and_both_formats_load(
    ledger_file: tuple[Path, dict[str, PartyKey]], tmp_path: Path
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        checkpoint = witness_checkpoint(
            ledger, sign_checkpoint(ledger, keys["us"]), keys["ru"], time=COSIGNED_AT
        )
        head = sign_tree_head(ledger, keys["ru"], time=at(50))
    file = tmp_path / "head.checkpoint"
    checkpoint.save(file)
    assert load_checkpoint(file) == checkpoint
    assert load_head(file) == checkpoint
    assert parse_checkpoint(file.read_bytes(), where="x") == checkpoint
    old = tmp_path / "head.json"
    head.save(old)
    assert load_head(old) == head


def test_key_names_and_origins_follow_the_spec(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, _keys = ledger_file
    with Ledger.open(path) as ledger:
        origin = ledger_origin(ledger)
        assert origin == f"treatyverify/{TREATY}/{ledger.genesis.hash_hex}"
    assert key_name(TREATY, "us") == f"treatyverify/{TREATY}/us"
    for bad in ("u s", "u+s", "", "u\u00a0s", "u\ts"):
        with pytest.raises(InputError):
            key_name(TREATY, bad)


# Strict parsing -----------------------------------------------------------------------


def _good_note(tmp_path: Path) -> str:
    ledger, keys = new_ledger(tmp_path / "good.db")
    with ledger:
        return sign_checkpoint(ledger, keys["us"]).note()


@pytest.mark.parametrize(
    ("mangle", "says"),
    [
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
        (lambda n: n[:-1], "newline"),
        (lambda n: n.replace(EM_DASH, "-"), "em dash"),
        (lambda n: n.replace(EM_DASH, "--"), "em dash"),
        (lambda n: n.replace("\n1\n", "\n01\n"), "leading zeros"),
        (lambda n: n.replace("\n1\n", "\n-1\n"), "tree size"),
        (lambda n: n.replace("\n1\n", "\n 1\n"), "tree size"),
        (lambda n: n.replace("\n1\n", "\n1\t\n"), "control character"),
        (lambda n: n.replace("\n1\n", "\n1\r\n"), "control character"),
        (lambda n: n.split("\n", 1)[1], "three lines"),
        (lambda n: n.replace("\n1\n", "\n1\n\n\n", 1), "is empty"),
        (lambda n: n.replace("=\n\n", "\n\n"), "base64"),
        (lambda n: n.replace("=\n\n", "=\nextension\n\n").replace("\n1\n", "\n1\n\n"), "empty"),
        (lambda n: n.replace("/us ", "/u+s "), "key name"),
        (lambda n: n.replace("/us ", "/us  "), "key name"),
        (lambda n: n + n.splitlines()[-1][:12] + "\n", "base64"),
        (lambda n: n + f"{EM_DASH} x QUJD\n", "shorter than its 4-byte key ID"),
        (lambda n: n + "\n", "no signature line"),
        (lambda n: n.replace("treatyverify/", "example.org/", 1), "origin"),
        (lambda n: n.replace("\n1\n", "\n0\n"), "one record at least"),
    ],
)
def test_bad_checkpoints_are_one_line_errors_naming_the_file(
    tmp_path: Path, mangle: object, says: str
) -> None:
    note = _good_note(tmp_path)
    bad = mangle(note)  # type: ignore[operator]
    assert bad != note
    file = tmp_path / "bad.checkpoint"
    file.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_checkpoint(file)
    message = str(caught.value)
    assert says in message and str(file) in message and "\n" not in message


def test_a_root_of_the_wrong_length_and_non_utf8_are_refused(tmp_path: Path) -> None:
    note = _good_note(tmp_path)
    root = note.splitlines()[2]
    short = base64.b64encode(base64.b64decode(root)[:31]).decode()
    with pytest.raises(InputError, match="not a 32-byte SHA-256 root"):
        parse_checkpoint(note.replace(root, short), where="x")
    with pytest.raises(InputError, match="not UTF-8"):
        parse_checkpoint(note.encode() + b"\xff", where="x")
    with pytest.raises(InputError, match="more than 100 signature lines"):
        parse_checkpoint(note + f"{EM_DASH} x QUJDREVG\n" * 101, where="x")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_the_parser_refuses_arbitrary_text_with_input_errors_only(text: str) -> None:
    try:
        parsed = parse_checkpoint(text, where="fuzz")
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert parsed.note() == text  # whatever parses is written back unchanged


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(alphabet="abc xyz:+/=", min_size=1, max_size=20), max_size=3),
    blob=st.binary(min_size=5, max_size=80),
)
def test_checkpoints_round_trip(size: int, root: bytes, extensions: list[str], blob: bytes) -> None:
    checkpoint = Checkpoint(
        "example.org/log",
        size,
        root,
        tuple(extensions),
        (NoteSignature("example.org/key", blob[:4], blob[4:]),),
    )
    assert parse_checkpoint(checkpoint.note(), where="x") == checkpoint


# Signatures: attacks ------------------------------------------------------------------


def test_a_changed_root_breaks_the_signature(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        good = witness_checkpoint(ledger, sign_checkpoint(ledger, keys["us"]), keys["ru"])
        pinned = dict(ledger.keys)
    changed = replace(good, root=bytes(32))
    with pytest.raises(VerificationError, match=r"signature of us .* does not verify"):
        changed.checks(pinned)
    # Remove the maker's line: the cosignature no longer verifies either.
    cosigned_only = replace(changed, signatures=good.signatures[1:])
    with pytest.raises(VerificationError, match=r"cosignature of ru .* does not verify"):
        cosigned_only.checks(pinned)


def test_lines_of_unpinned_keys_are_ignored_and_alone_fail_closed(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    impostor = party_key("ru", "impostor")
    with Ledger.open(path) as ledger:
        made = sign_checkpoint(ledger, keys["us"])
        pinned = dict(ledger.keys)
    # An impostor cosigns under ru's key name: its key ID is not ru's, so it is ignored.
    forged = cosign_checkpoint(made, impostor, TREATY, time=COSIGNED_AT)
    assert len(forged.signatures) == 2
    assert forged.view(pinned).signers == ("us",)
    # A checkpoint that only unpinned keys signed is refused.
    alone = cosign_checkpoint(replace(made, signatures=()), impostor, TREATY)
    with pytest.raises(VerificationError, match="no signature of a pinned key"):
        alone.checks(pinned)
    # A stranger's line (another name) is ignored too, and kept when cosigning.
    stranger = NoteSignature("witness.example.org/w1", b"\x01\x02\x03\x04", bytes(72))
    extra = made.with_signature(stranger)
    assert extra.view(pinned).signers == ("us",)
    with Ledger.open(path) as ledger:
        cosigned = witness_checkpoint(ledger, extra, keys["ru"])
    assert stranger in cosigned.signatures
    assert cosigned.view(pinned).signers == ("us", "ru")


def test_a_pinned_line_with_a_bad_signature_rejects_the_whole_note(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        cosigned = witness_checkpoint(ledger, sign_checkpoint(ledger, keys["us"]), keys["ru"])
        pinned = dict(ledger.keys)
    line = cosigned.signatures[1]
    broken = replace(line, signature=line.signature[:-1] + bytes([line.signature[-1] ^ 1]))
    note = replace(cosigned, signatures=(cosigned.signatures[0], broken))
    with pytest.raises(VerificationError, match=r"cosignature of ru .* does not verify"):
        note.checks(pinned)


def test_cosigning_again_replaces_the_earlier_cosignature(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        made = sign_checkpoint(ledger, keys["us"])
        once = witness_checkpoint(ledger, made, keys["ru"], time=COSIGNED_AT)
        twice = witness_checkpoint(ledger, once, keys["ru"], time=at(10_000_000))
        assert len(twice.signatures) == 2
        assert twice.view(ledger.keys).time != once.view(ledger.keys).time


# Against the ledger -------------------------------------------------------------------


def test_verify_ledger_checks_checkpoints_and_names_their_signers(tmp_path: Path) -> None:
    honest, fork, keys = _forked(tmp_path)
    with Ledger.open(fork) as other:
        false = witness_checkpoint(other, sign_checkpoint(other, keys["us"]), keys["ru"])
    with Ledger.open(honest) as ledger:
        true = sign_checkpoint(ledger, keys["ru"], size=3)
        report = verify_ledger(ledger, heads=[true, sign_tree_head(ledger, keys["us"])])
        assert report.heads_checked == 2
        with pytest.raises(VerificationError) as caught:
            verify_ledger(ledger, heads=[false])
    message = str(caught.value)
    assert "head by us inconsistent with the ledger" in message
    assert "cosigned by ru" in message


def test_a_checkpoint_of_another_ledger_is_named(tmp_path: Path) -> None:
    first, keys = new_ledger(tmp_path / "a.db")
    second, _ = new_ledger(tmp_path / "b.db", time=at(1))
    with first, second:
        foreign = sign_checkpoint(second, keys["us"])
        with pytest.raises(VerificationError, match="another ledger"):
            verify_ledger(first, heads=[foreign])
        with pytest.raises(VerificationError, match="another ledger"):
            witness_checkpoint(first, foreign, keys["ru"])


def test_witnessing_refuses_what_this_copy_does_not_hold(tmp_path: Path) -> None:
    honest, fork, keys = _forked(tmp_path)
    with Ledger.open(fork) as other:
        false = sign_checkpoint(other, keys["us"])
        fill(other, keys, 2, start=200.0)
        longer = sign_checkpoint(other, keys["us"])
    with Ledger.open(honest) as ledger:
        own = sign_checkpoint(ledger, keys["ru"])
        with pytest.raises(VerificationError, match="head by us inconsistent with the ledger"):
            witness_checkpoint(ledger, false, keys["ru"])
        with pytest.raises(VerificationError, match="covers more than the 5 records"):
            witness_checkpoint(ledger, longer, keys["ru"])
        with pytest.raises(VerificationError, match="nothing to witness"):
            witness_checkpoint(ledger, own, keys["ru"])
        with pytest.raises(SigningKeyError):
            witness_checkpoint(ledger, own, party_key("ru", "impostor"))
        # A head ru kept from the other history is a split view with us's honest checkpoint.
        honest_us = sign_checkpoint(ledger, keys["us"], size=5)
        with pytest.raises(VerificationError, match="split view"):
            witness_checkpoint(ledger, honest_us, keys["ru"], held=[false])


def test_a_split_view_of_two_checkpoints_names_both_signers(tmp_path: Path) -> None:
    honest, fork, keys = _forked(tmp_path)
    with Ledger.open(honest) as ledger:
        a = sign_checkpoint(ledger, keys["us"])
        a3 = sign_checkpoint(ledger, keys["us"], size=3)
        pinned = dict(ledger.keys)
        proof = ledger.consistency_proof(3, 5)
    with Ledger.open(fork) as other:
        b = witness_checkpoint(other, sign_checkpoint(other, keys["us"]), keys["ru"])
    assert a.origin == b.origin and a.tree_size == b.tree_size and a.root != b.root
    with pytest.raises(VerificationError) as caught:
        check_heads_consistent(a, b, pinned)
    assert "split view" in str(caught.value)
    assert "head by us (size 5)" in str(caught.value)
    assert "cosigned by ru" in str(caught.value)
    check_heads_consistent(a3, a, pinned, proof)
    with pytest.raises(VerificationError, match="not shown to be one history"):
        check_heads_consistent(a3, b, pinned, proof)


def test_json_heads_and_checkpoints_compare(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        head: SignedTreeHead = sign_tree_head(ledger, keys["ru"], size=3, time=at(60))
        checkpoint = sign_checkpoint(ledger, keys["us"])
        check_heads_consistent(
            head, checkpoint, dict(ledger.keys), ledger.consistency_proof(3, ledger.size)
        )


def test_a_checkpoint_smaller_than_a_head_held_is_not_cosigned(
    ledger_file: tuple[Path, dict[str, PartyKey]],
) -> None:
    path, keys = ledger_file
    with Ledger.open(path) as ledger:
        small = sign_checkpoint(ledger, keys["us"], size=3)
        large = sign_checkpoint(ledger, keys["ru"])
        with pytest.raises(VerificationError, match="largest seen"):
            witness_checkpoint(ledger, small, keys["ru"], held=[large])
        assert witness_checkpoint(ledger, large, keys["us"], held=[small]).view(
            ledger.keys
        ).signers == ("ru", "us")
