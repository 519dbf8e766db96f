"""Tamper tests: every manipulation of the SQLite file must fail verification and the
error must name the right record (``VerificationError.seq``).

The ledger under attack has 21 records (the opening record and 20 declarations from
two parties, some appended as batches). Each test edits a copy of the file directly
with :mod:`sqlite3` (tables ``records`` and ``ledger_meta``), as an intruder with
write access to the store would. Attacks that also hold signing keys are simulated
with :func:`ledger_helpers.reforge`, which re-signs and re-chains with hashlib and
``cryptography`` directly.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import (
    SPEC_DIGEST,
    Row,
    at,
    connect,
    fill,
    finding_body,
    hand_sealed,
    new_ledger,
    note,
    note_body,
    overwrite_row,
    party_key,
    read_rows,
    reforge,
    set_head,
    verification_error,
    verify_path,
    write_row,
)

from treatyverify.errors import LedgerError, VerificationError
from treatyverify.records import draws
from treatyverify.records.consensus import cosign, dissent
from treatyverify.records.heads import SignedTreeHead, sign_tree_head
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger

SIZE = 21
LAST = SIZE - 1


@pytest.fixture(scope="module")
def pristine(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, PartyKey]]]:
    """A closed, valid ledger of 21 records; tests attack copies of it."""
    path = tmp_path_factory.mktemp("pristine") / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, SIZE - 1)
    assert ledger.size == SIZE
    assert {r.party for r in ledger.records()} == {"us", "ru"}
    ledger.close()
    yield path, keys


@pytest.fixture
def victim(tmp_path: Path, pristine: tuple[Path, dict[str, PartyKey]]) -> Path:
    """A fresh copy of the pristine ledger."""
    path = tmp_path / "victim.db"
    shutil.copyfile(pristine[0], path)
    return path


def _copy(source: Path, directory: Path, name: str) -> Path:
    target = directory / name
    shutil.copyfile(source, target)
    return target


def _row(path: Path, seq: int) -> Row:
    return read_rows(path)[seq]


def test_the_untouched_ledger_verifies(victim: Path) -> None:
    report = verify_path(victim)
    assert report.size == SIZE
    assert report.kinds == {"note": SIZE - 1, "ledger_open": 1}


# (a) content bytes ----------------------------------------------------------------------


def _positions(content: bytes) -> list[int]:
    body = content.index(b'"body":')
    text = content.index("déclaration".encode())
    return sorted(
        {0, 1, 9, len(content) // 2, body + 2, body + 9, body + 25, text + 2, len(content) - 1}
    )


@pytest.mark.parametrize("seq", [1, 2, 6, 11, 19, LAST])
def test_a_flipped_content_byte_names_that_record(
    tmp_path: Path, pristine: tuple[Path, dict[str, PartyKey]], seq: int
) -> None:
    content = _row(pristine[0], seq).content
    for position in _positions(content):
        for mask in (0x01, 0x20, 0x80):
            path = _copy(pristine[0], tmp_path, f"flip-{position}-{mask}.db")
            row = _row(path, seq)
            changed = bytearray(row.content)
            changed[position] ^= mask
            row.content = bytes(changed)
            with connect(path) as connection:
                write_row(connection, row)
            error = verification_error(path)
            assert error.seq == seq, (position, mask, str(error))
            assert f"record {seq}" in str(error)
            path.unlink()


def test_a_flipped_byte_inside_the_opening_body_names_record_0(
    tmp_path: Path, pristine: tuple[Path, dict[str, PartyKey]]
) -> None:
    content = _row(pristine[0], 0).content
    start = content.index(SPEC_DIGEST.encode())
    for offset in (0, 17, 63):
        path = _copy(pristine[0], tmp_path, f"open-{offset}.db")
        row = _row(path, 0)
        changed = bytearray(row.content)
        changed[start + offset] ^= 0x01
        row.content = bytes(changed)
        with connect(path) as connection:
            write_row(connection, row)
        assert verification_error(path).seq == 0


def test_a_structurally_corrupt_opening_record_is_a_ledger_or_verification_error(
    victim: Path,
) -> None:
    row = _row(victim, 0)
    row.content = b"\x80" + row.content[1:]
    with connect(victim) as connection:
        write_row(connection, row)
    with pytest.raises((LedgerError, VerificationError)) as caught:
        verify_path(victim)
    assert "record 0" in str(caught.value)


# (b) signatures -------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [0, 1, 7, 14, LAST])
@pytest.mark.parametrize("bit", [0, 255, 300, 511])
def test_a_flipped_signature_bit_names_that_record(victim: Path, seq: int, bit: int) -> None:
    row = _row(victim, seq)
    signature = bytearray(row.signature)
    signature[bit // 8] ^= 1 << (bit % 8)
    row.signature = bytes(signature)
    with connect(victim) as connection:
        write_row(connection, row)
    assert verification_error(victim).seq == seq


def test_a_truncated_signature_names_that_record(victim: Path) -> None:
    row = _row(victim, 4)
    row.signature = row.signature[:63]
    with connect(victim) as connection:
        write_row(connection, row)
    assert verification_error(victim).seq == 4


# (c) deletions --------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 8, LAST - 1])
def test_a_deleted_record_in_the_middle_is_named_missing(victim: Path, seq: int) -> None:
    with connect(victim) as connection:
        connection.execute("DELETE FROM records WHERE seq=?", (seq,))
    error = verification_error(victim)
    assert error.seq == seq
    assert "missing" in str(error)


def test_a_deleted_last_record_is_detected_by_the_chain_head(victim: Path) -> None:
    with connect(victim) as connection:
        connection.execute("DELETE FROM records WHERE seq=?", (LAST,))
    error = verification_error(victim)
    assert error.seq == LAST


def test_deleting_the_opening_record_makes_the_ledger_unopenable(victim: Path) -> None:
    with connect(victim) as connection:
        connection.execute("DELETE FROM records WHERE seq=0")
    with pytest.raises(LedgerError):
        Ledger.open(victim)


def test_a_changed_head_hash_names_the_last_record(victim: Path) -> None:
    with connect(victim) as connection:
        set_head(connection, SIZE, bytes(32))
    assert verification_error(victim).seq == LAST


def test_an_inflated_head_size_names_the_first_missing_record(victim: Path) -> None:
    with connect(victim) as connection:
        set_head(connection, SIZE + 2, _row(victim, LAST).hash)
    assert verification_error(victim).seq == SIZE


@pytest.mark.parametrize("deleted", [1, 3])
def test_deleted_tail_with_repaired_head_is_caught_only_by_a_kept_tree_head(
    victim: Path, pristine: tuple[Path, dict[str, PartyKey]], deleted: int
) -> None:
    keys = pristine[1]
    with Ledger.open(victim) as ledger:
        kept = sign_tree_head(ledger, keys["ru"], time=at(100))
    assert kept.tree_size == SIZE
    first_deleted = SIZE - deleted
    with connect(victim) as connection:
        connection.execute("DELETE FROM records WHERE seq>=?", (first_deleted,))
        set_head(connection, first_deleted, _row(victim, first_deleted - 1).hash)
    # The chain alone cannot tell: the shortened ledger is internally consistent.
    assert verify_path(victim).size == first_deleted
    error = verification_error(victim, heads=[kept])
    assert error.seq == first_deleted
    assert f"records {first_deleted} to {LAST} were deleted" in str(error)
    assert f"head by {kept.party} inconsistent with the ledger" in str(error)


# (d), (e) reordering ----------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 5, 12, LAST - 1])
def test_two_swapped_records_name_the_first_of_them(victim: Path, seq: int) -> None:
    first, second = _row(victim, seq), _row(victim, seq + 1)
    first.seq, second.seq = seq + 1, seq
    with connect(victim) as connection:
        # Move both out of the way of the unique (party, kind, ref) index first.
        connection.execute("UPDATE records SET ref=NULL WHERE seq IN (?, ?)", (seq, seq + 1))
        write_row(connection, second)
        write_row(connection, first)
    assert verification_error(victim).seq == seq


@pytest.mark.parametrize(("first", "second"), [(0, 5), (2, 9), (1, LAST), (13, 14)])
def test_two_swapped_signatures_name_the_first_of_them(
    victim: Path, first: int, second: int
) -> None:
    a, b = _row(victim, first), _row(victim, second)
    a.signature, b.signature = b.signature, a.signature
    with connect(victim) as connection:
        write_row(connection, a)
        write_row(connection, b)
    assert verification_error(victim).seq == first


# (f) key substitution ---------------------------------------------------------------------


def _swap_ru_key(attacker: PartyKey) -> Any:
    def edit(seq: int, envelope: dict[str, Any]) -> dict[str, Any]:
        if seq == 0:
            envelope["body"]["parties"]["ru"] = {
                "public_key": attacker.public.public_key.hex(),
                "key_id": attacker.key_id,
            }
        return envelope

    return edit


def test_a_substituted_party_key_is_caught_by_trusted_keys(
    victim: Path, pristine: tuple[Path, dict[str, PartyKey]]
) -> None:
    keys = pristine[1]
    attacker = party_key("ru", "attacker")
    # The attacker holds the opener's key too and re-signs the whole ledger.
    reforge(victim, signers={"us": keys["us"], "ru": attacker}, edit=_swap_ru_key(attacker))
    # Self-consistent: without keys obtained out of band, nothing is wrong.
    assert verify_path(victim).size == SIZE
    with Ledger.open(victim) as ledger:
        assert ledger.keys["ru"].public_key == attacker.public.public_key

    trusted = {party: key.public for party, key in keys.items()}
    error = verification_error(victim, trusted_keys=trusted)
    assert error.seq == 0
    assert verification_error(victim, trusted_keys={"ru": keys["ru"].public}).seq == 0
    # Pinning only the opener's key could not see the substitution of ru's key: a
    # verifier that leaves a party unpinned is refused rather than reassured.
    partial = verification_error(victim, trusted_keys={"us": keys["us"].public})
    assert partial.seq == 0
    assert "pins no key for party ru" in str(partial)


def test_a_substituted_party_key_without_the_openers_key_breaks_record_0(
    victim: Path, pristine: tuple[Path, dict[str, PartyKey]]
) -> None:
    attacker = party_key("ru", "attacker")
    reforge(victim, signers={"ru": attacker}, edit=_swap_ru_key(attacker))
    error = verification_error(victim)
    assert error.seq == 0
    assert "signature" in str(error)


def test_records_re_signed_by_an_unpinned_key_name_the_first_of_them(victim: Path) -> None:
    first_ru = next(row.seq for row in read_rows(victim) if row.party == "ru")
    reforge(victim, signers={"ru": party_key("ru", "attacker")})
    error = verification_error(victim)
    assert error.seq == first_ru
    assert "not the pinned key" in str(error)


# (g) rewriting history behind signed tree heads ----------------------------------------------


def _grow(path: Path, altered: int | None = None) -> list[SignedTreeHead]:
    """Build a 21-record ledger one record at a time; ru signs a head at every size.

    With ``altered`` set, record ``altered`` gets a different body (the attacker's
    rebuild, re-signed consistently with every party's real key).
    """
    ledger, keys = new_ledger(path)
    heads = [sign_tree_head(ledger, keys["ru"], time=at(0))]
    for seq in range(1, SIZE):
        body = note_body(seq)
        if seq == altered:
            body["text"] = "altered"
        signer = keys["us" if seq % 2 else "ru"]
        ledger.append("note", body, signer, ref=f"d-{seq}", time=at(seq))
        heads.append(sign_tree_head(ledger, keys["ru"], time=at(seq)))
    ledger.close()
    return heads


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> list[SignedTreeHead]:
    """The heads ru signed at sizes 1 to 21 while the genuine ledger grew."""
    path = tmp_path_factory.mktemp("audited") / "ledger.db"
    heads = _grow(path)
    assert [h.tree_size for h in heads] == list(range(1, SIZE + 1))
    assert verify_path(path, heads=heads).heads_checked == SIZE
    return heads


@pytest.mark.parametrize("altered", [1, 7, 15, LAST])
def test_a_rewritten_history_is_caught_by_the_heads_signed_along_the_way(
    tmp_path: Path, audited: list[SignedTreeHead], altered: int
) -> None:
    path = tmp_path / "rebuilt.db"
    _grow(path, altered)
    # Every signature and link of the rebuilt ledger is sound.
    assert verify_path(path).size == SIZE
    # Heads signed before the altered record existed still match.
    assert verify_path(path, heads=audited[:altered]).heads_checked == altered
    error = verification_error(path, heads=audited)
    assert error.seq == altered


@pytest.mark.parametrize(("altered", "head_size"), [(7, 8), (7, 15), (3, SIZE)])
def test_a_single_later_head_names_the_range_holding_the_rewrite(
    tmp_path: Path, audited: list[SignedTreeHead], altered: int, head_size: int
) -> None:
    path = tmp_path / "rebuilt.db"
    _grow(path, altered)
    head = audited[head_size - 1]
    assert head.tree_size == head_size
    error = verification_error(path, heads=[head])
    # One root over records 0..n-1 cannot say which of them changed.
    assert error.seq is None
    assert error.where == f"records 0-{head_size - 1}"
    # With an earlier matching head as well, the range narrows to what lies between.
    earlier = audited[altered - 1]
    assert earlier.tree_size == altered
    error = verification_error(path, heads=[earlier, head])
    if head_size == altered + 1:
        assert error.seq == altered
    else:
        assert error.where == f"records {altered}-{head_size - 1}"


# (h) stored hash and mirror columns ---------------------------------------------------------


@pytest.mark.parametrize("seq", [0, 3, 10, LAST])
@pytest.mark.parametrize("column", ["hash", "kind", "party", "time", "ref"])
def test_a_changed_hash_or_index_column_names_that_record(
    victim: Path, seq: int, column: str
) -> None:
    row = _row(victim, seq)
    if column == "hash":
        row.hash = bytes(b ^ 0xFF for b in row.hash)
    elif column == "kind":
        row.kind = "finding"
    elif column == "party":
        row.party = "ru" if row.party == "us" else "us"
    elif column == "time":
        row.time = "2026-01-01T00:00:00.000001Z"
    else:
        row.ref = "forged-ref"
    with connect(victim) as connection:
        write_row(connection, row)
    assert verification_error(victim).seq == seq


# (i) co-signatures that name the wrong hash ---------------------------------------------------


@pytest.fixture
def finding_ledger(tmp_path: Path) -> tuple[Ledger, dict[str, PartyKey], int]:
    """A ledger with declarations and one finding by us (returned with its seq)."""
    ledger, keys = new_ledger(tmp_path / "consensus.db")
    fill(ledger, keys, 4)
    finding = ledger.append(
        "finding", finding_body("limits met"), keys["us"], ref="f-1", time=at(20)
    )
    return ledger, keys, finding.seq


def test_a_sound_cosign_and_dissent_verify(
    finding_ledger: tuple[Ledger, dict[str, PartyKey], int],
) -> None:
    ledger, keys, target = finding_ledger
    dissent(ledger, target, keys["ru"], "count disputed", time=at(21))
    cosign(ledger, target, keys["ru"], time=at(22))
    assert verify_ledger(ledger).kinds["cosign"] == 1
    ledger.close()


@pytest.mark.parametrize(
    ("kind", "make_body"),
    [
        ("cosign", lambda target, real: {"target": target, "target_hash": "ab" * 32}),
        ("cosign", lambda target, real: {"target": target - 1, "target_hash": real}),
        ("cosign", lambda target, real: {"target": target + 1, "target_hash": real}),
        ("cosign", lambda target, real: {"target": str(target), "target_hash": real}),
        ("cosign", lambda target, real: {"target_hash": real}),
        (
            "dissent",
            lambda target, real: {"target": target, "target_hash": "00" * 32, "reason": "x"},
        ),
    ],
    ids=["wrong-hash", "not-a-finding", "later-record", "target-text", "no-target", "dissent"],
)
def test_a_position_naming_the_wrong_record_or_hash_is_named(
    finding_ledger: tuple[Ledger, dict[str, PartyKey], int], kind: str, make_body: Any
) -> None:
    ledger, keys, target = finding_ledger
    real = ledger.get(target).hash_hex
    cosign(ledger, target, keys["ru"], time=at(21))  # a sound one before the bad one
    ledger.append("note", note({"filler": True}), keys["us"], time=at(22))
    # Written over a placeholder by hand: append refuses some of these bodies outright.
    place = ledger.append("note", note({"placeholder": True}), keys["us"], time=at(23))
    body = make_body(target, real)
    bad = hand_sealed(
        ledger,
        keys["us"],
        kind,
        body,
        ref=str(body.get("target", target)),
        time=at(23),
        seq=place.seq,
    )
    ledger.append("note", note({"after": True}), keys["ru"], time=at(24))
    path = Path(ledger.store.name)
    ledger.close()
    overwrite_row(path, bad)
    error = verification_error(path)
    assert error.seq == bad.seq


# (j) draw results -------------------------------------------------------------------------------


@pytest.fixture
def drawn_ledger(tmp_path: Path) -> tuple[Ledger, dict[str, PartyKey], dict[str, Any]]:
    """A ledger with a complete draw (opened, committed, revealed) but no result yet."""
    ledger, keys = new_ledger(tmp_path / "draw.db")
    fill(ledger, keys, 3)
    population = [f"site-{i:02d}" for i in range(12)]
    draws.open_draw(
        ledger,
        keys["us"],
        "sites-1",
        purpose="inspection site",
        population=population,
        count=3,
        commit_by=at(100),
        reveal_by=at(200),
        time=at(10),
    )
    secrets = {"us": bytes([1]) * 32, "ru": bytes([2]) * 32}
    for offset, party in enumerate(("us", "ru")):
        draws.commit(ledger, keys[party], "sites-1", secrets[party], time=at(20 + offset))
    for offset, party in enumerate(("ru", "us")):
        draws.reveal(ledger, keys[party], "sites-1", secrets[party], time=at(30 + offset))
    records = list(ledger.records(kinds=list(draws.DRAW_KINDS)))
    body = draws.compute_outcome(records, "sites-1", now=at(40)).to_body()
    return ledger, keys, body


def test_a_settled_draw_verifies(
    drawn_ledger: tuple[Ledger, dict[str, PartyKey], dict[str, Any]],
) -> None:
    ledger, keys, body = drawn_ledger
    result = draws.settle(ledger, keys["ru"], "sites-1", time=at(40))
    assert result.body == body
    path = Path(ledger.store.name)
    ledger.close()
    assert verify_path(path).kinds["draw_result"] == 1


@pytest.mark.parametrize("change", ["selection", "order", "seed", "defaulted", "revealed"])
def test_an_altered_draw_result_is_named(
    drawn_ledger: tuple[Ledger, dict[str, PartyKey], dict[str, Any]], change: str
) -> None:
    ledger, keys, body = drawn_ledger
    draws.settle(ledger, keys["us"], "sites-1", time=at(40))  # the honest result first
    forged = dict(body)
    population = [f"site-{i:02d}" for i in range(12)]
    if change == "selection":
        outsider = next(p for p in population if p not in body["selected"])
        forged["selected"] = [*body["selected"][:-1], outsider]
    elif change == "order":
        forged["selected"] = list(reversed(body["selected"]))
    elif change == "seed":
        forged["seed"] = "ff" * 32
    elif change == "defaulted":
        forged["defaulted"] = ["ru"]
    else:
        forged["revealed"] = ["us"]
    assert forged != body
    bad = ledger.append("draw_result", forged, keys["ru"], ref="sites-1", time=at(41))
    ledger.append("note", note({"after": True}), keys["us"], time=at(42))
    path = Path(ledger.store.name)
    ledger.close()
    assert verification_error(path).seq == bad.seq


def test_a_draw_result_posted_before_it_can_be_computed_is_named(tmp_path: Path) -> None:
    ledger, keys = new_ledger(tmp_path / "early.db")
    draws.open_draw(
        ledger,
        keys["us"],
        "d",
        purpose="item",
        population=["a", "b", "c"],
        count=1,
        commit_by=at(100),
        reveal_by=at(200),
        time=at(1),
    )
    draws.commit(ledger, keys["us"], "d", bytes(32), time=at(2))
    bad = ledger.append(
        "draw_result",
        {
            "draw": "d",
            "statement": "00" * 32,
            "seed": "00" * 32,
            "selected": ["a"],
            "revealed": [],
            "defaulted": [],
        },
        keys["us"],
        ref="d",
        time=at(3),
    )
    path = Path(ledger.store.name)
    ledger.close()
    assert verification_error(path).seq == bad.seq
