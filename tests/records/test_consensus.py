"""Tests of treatyverify.records.consensus: co-signatures, dissents and adoption.

The ledger has four parties; three of them (ru, uk, us) are consensus parties and
the fourth (iaea) is not. A finding is adopted only when every consensus party's
current position is a signature of its hash (the proposer's record signature counts
for the proposer); a standing dissent makes it disputed, and dissents are never
dropped from the ledger.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ledger_helpers import (
    at,
    finding_body,
    hand_sealed,
    new_ledger,
    note,
    read_meta,
    read_rows,
    report_body,
)

from treatyverify.errors import ConsensusError, RecordRejectedError, UnknownNameError
from treatyverify.records.consensus import check_position, consensus_state, cosign, dissent
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Entry, Ledger, Record, seal_records
from treatyverify.records.verify import verify_ledger

Setup = tuple[Ledger, dict[str, PartyKey], int]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A ledger with a declaration (seq 1) and a finding by us (seq 2)."""
    ledger, keys = new_ledger(
        tmp_path / "ledger.db", parties=("us", "ru", "uk", "iaea"), consensus=("us", "ru", "uk")
    )
    ledger.append("note", note({"items": 700}), keys["ru"], ref="decl", time=at(1))
    finding = ledger.append(
        "finding", finding_body("limit:700 items"), keys["us"], ref="f-1", time=at(2)
    )
    assert finding.seq == 2
    return ledger, keys, finding.seq


def _snapshot(ledger: Ledger) -> tuple[object, ...]:
    path = Path(ledger.store.name)
    return tuple(read_rows(path)), tuple(sorted(read_meta(path).items()))


def test_a_finding_is_adopted_only_when_every_consensus_party_signed(setup: Setup) -> None:
    ledger, keys, target = setup
    state = consensus_state(ledger, target)
    assert (state.status, state.adopted) == ("pending", False)
    assert (state.proposer, state.signed, state.pending) == ("us", ["us"], ["ru", "uk"])
    assert state.required == ("ru", "uk", "us")

    record = cosign(ledger, target, keys["ru"], time=at(3))
    row = read_rows(Path(ledger.store.name))[target]
    expected_hash = hashlib.sha256(b"\x00" + row.content + row.signature).hexdigest()
    assert record.body == {"target": target, "target_hash": expected_hash}
    assert (record.kind, record.party, record.ref) == ("cosign", "ru", str(target))

    state = consensus_state(ledger, target)
    assert (state.status, state.signed, state.pending) == ("pending", ["ru", "us"], ["uk"])

    # A non-consensus party's view does not matter; it cannot even co-sign.
    with pytest.raises(ConsensusError):
        cosign(ledger, target, keys["iaea"], time=at(4))

    cosign(ledger, target, keys["uk"], time=at(5))
    state = consensus_state(ledger, target)
    assert (state.status, state.adopted) == ("adopted", True)
    assert state.signed == ["ru", "uk", "us"]
    assert (state.pending, state.dissents) == ([], {})
    assert state.target_hash == expected_hash
    assert verify_ledger(ledger).kinds["cosign"] == 2
    ledger.close()


def test_a_finding_by_a_non_consensus_party_needs_all_consensus_signatures(
    setup: Setup,
) -> None:
    ledger, keys, _ = setup
    target = ledger.append("report", report_body("ok"), keys["iaea"], ref="r-1", time=at(3)).seq
    assert consensus_state(ledger, target).pending == ["ru", "uk", "us"]
    cosign(ledger, target, keys["us"], time=at(4))
    cosign(ledger, target, keys["ru"], time=at(5))
    assert consensus_state(ledger, target).status == "pending"
    cosign(ledger, target, keys["uk"], time=at(6))
    assert consensus_state(ledger, target).status == "adopted"
    ledger.close()


def test_a_dissent_disputes_the_finding_and_is_kept(setup: Setup) -> None:
    ledger, keys, target = setup
    dissented = dissent(
        ledger, target, keys["ru"], "  the count includes retired items  ", time=at(3)
    )
    assert dissented.body["reason"] == "the count includes retired items"
    state = consensus_state(ledger, target)
    assert (state.status, state.adopted) == ("disputed", False)
    assert state.dissents == {"ru": "the count includes retired items"}

    # Another party signing does not drop ru's dissent.
    cosign(ledger, target, keys["uk"], time=at(4))
    state = consensus_state(ledger, target)
    assert state.status == "disputed"
    assert state.dissents == {"ru": "the count includes retired items"}
    assert state.signed == ["uk", "us"]
    kept = list(ledger.records(kinds=["dissent"]))
    assert [(r.seq, r.party, r.body["reason"]) for r in kept] == [
        (dissented.seq, "ru", "the count includes retired items")
    ]

    # ru later signs: its later position supersedes, but the dissent stays on record.
    cosign(ledger, target, keys["ru"], time=at(5))
    state = consensus_state(ledger, target)
    assert state.status == "adopted"
    assert [r.seq for r in ledger.records(kinds=["dissent"])] == [dissented.seq]
    assert verify_ledger(ledger).kinds == {
        "cosign": 2,
        "note": 1,
        "dissent": 1,
        "finding": 1,
        "ledger_open": 1,
    }
    ledger.close()


def test_a_dissent_after_a_signature_supersedes_it(setup: Setup) -> None:
    ledger, keys, target = setup
    cosign(ledger, target, keys["ru"], time=at(3))
    cosign(ledger, target, keys["uk"], time=at(4))
    assert consensus_state(ledger, target).status == "adopted"
    dissent(ledger, target, keys["uk"], "new evidence", time=at(5))
    state = consensus_state(ledger, target)
    assert state.status == "disputed"
    assert state.dissents == {"uk": "new evidence"}
    ledger.close()


def test_positions_on_another_finding_do_not_count(setup: Setup) -> None:
    ledger, keys, target = setup
    other = ledger.append(
        "finding", finding_body("limit:other"), keys["us"], ref="f-2", time=at(3)
    ).seq
    cosign(ledger, other, keys["ru"], time=at(4))
    cosign(ledger, other, keys["uk"], time=at(5))
    dissent(ledger, other, keys["us"], "changed my mind", time=at(6))
    assert consensus_state(ledger, target).pending == ["ru", "uk"]
    assert consensus_state(ledger, target).dissents == {}
    assert consensus_state(ledger, other).dissents == {"us": "changed my mind"}
    ledger.close()


def test_a_cosign_naming_a_wrong_hash_does_not_count(setup: Setup) -> None:
    ledger, keys, target = setup
    ledger.append(
        "cosign", {"target": target, "target_hash": "ab" * 32}, keys["ru"], ref="2", time=at(3)
    )
    assert consensus_state(ledger, target).pending == ["ru", "uk"]
    ledger.close()


def test_only_findings_and_reports_take_positions(setup: Setup) -> None:
    ledger, keys, _ = setup
    before = _snapshot(ledger)
    for seq in (0, 1):  # the opening record and a declaration
        with pytest.raises(ConsensusError):
            cosign(ledger, seq, keys["ru"], time=at(3))
        with pytest.raises(ConsensusError):
            dissent(ledger, seq, keys["ru"], "no", time=at(3))
        with pytest.raises(ConsensusError):
            consensus_state(ledger, seq)
    with pytest.raises(UnknownNameError):
        cosign(ledger, 99, keys["ru"], time=at(3))
    assert _snapshot(ledger) == before
    ledger.close()


def test_a_second_cosign_or_dissent_by_one_party_is_a_duplicate(setup: Setup) -> None:
    ledger, keys, target = setup
    cosign(ledger, target, keys["ru"], time=at(3))
    dissent(ledger, target, keys["uk"], "first", time=at(4))
    before = _snapshot(ledger)
    with pytest.raises(RecordRejectedError):
        cosign(ledger, target, keys["ru"], time=at(5))
    with pytest.raises(RecordRejectedError):
        dissent(ledger, target, keys["uk"], "second", time=at(5))
    assert _snapshot(ledger) == before
    assert consensus_state(ledger, target).dissents == {"uk": "first"}
    ledger.close()


def test_a_non_consensus_party_can_neither_cosign_nor_dissent(setup: Setup) -> None:
    ledger, keys, target = setup
    before = _snapshot(ledger)
    with pytest.raises(ConsensusError):
        cosign(ledger, target, keys["iaea"], time=at(3))
    with pytest.raises(ConsensusError):
        dissent(ledger, target, keys["iaea"], "we disagree", time=at(3))
    assert _snapshot(ledger) == before
    ledger.close()


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", "x" * 2001])
def test_a_dissent_needs_a_reason_of_1_to_2000_characters(setup: Setup, reason: str) -> None:
    ledger, keys, target = setup
    before = _snapshot(ledger)
    with pytest.raises(ConsensusError):
        dissent(ledger, target, keys["ru"], reason, time=at(3))
    assert _snapshot(ledger) == before
    dissent(ledger, target, keys["ru"], "y" * 2000, time=at(3))
    assert consensus_state(ledger, target).dissents == {"ru": "y" * 2000}
    ledger.close()


def test_check_position_applies_the_local_rules_to_records_signed_elsewhere(
    setup: Setup,
) -> None:
    """Records that ``cosign`` and ``dissent`` would refuse, sealed by hand, are named."""
    ledger, keys, target = setup
    finding_hash = ledger.get(target).hash_hex

    def sealed(party: str, kind: str, body: dict[str, object]) -> Record:
        return hand_sealed(ledger, keys[party], kind, body, ref=str(body.get("target")), time=at(5))

    good = sealed("ru", "cosign", {"target": target, "target_hash": finding_hash})
    check_position(ledger, good)
    cases = [
        (
            sealed("iaea", "cosign", {"target": target, "target_hash": finding_hash}),
            "iaea is not a consensus party",
        ),
        (
            sealed("ru", "cosign", {"target": 1, "target_hash": ledger.get(1).hash_hex}),
            "record 1 is a note",
        ),
        (sealed("ru", "cosign", {"target": target, "target_hash": "ab" * 32}), "names a hash"),
        (
            sealed("ru", "cosign", {"target": 99, "target_hash": finding_hash}),
            "names no earlier record",
        ),
        (
            sealed("ru", "cosign", {"target": "2", "target_hash": finding_hash}),
            "names no earlier record",
        ),
        (sealed("ru", "dissent", {"target": target, "target_hash": finding_hash}), "reason"),
    ]
    for record, words in cases:
        with pytest.raises(ConsensusError, match=words) as caught:
            check_position(ledger, record)
        assert caught.value.where == f"record {record.seq}"
    # A target earlier in the same batch is found there.
    report = sealed("uk", "report", report_body("joint"))
    follow = seal_records(
        ledger.treaty,
        [Entry("cosign", {"target": report.seq, "target_hash": report.hash_hex}, str(report.seq))],
        keys["ru"],
        seq=report.seq + 1,
        head=report.hash,
        time=at(5),
    )[0]
    check_position(ledger, follow, [report])
    with pytest.raises(UnknownNameError):
        check_position(ledger, follow)


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_an_imported_dissent_without_a_reason_is_refused(tmp_path: Path, reason: object) -> None:
    # dissent() refuses it on append; a dissent signed elsewhere must not enter by import.
    ledger, keys = new_ledger(tmp_path / "ledger.db")
    with ledger:
        finding = ledger.append("finding", finding_body("x"), keys["ru"], ref="f-1", time=at(1))
        body = {"target": finding.seq, "target_hash": finding.hash_hex, "reason": reason}
        forged = hand_sealed(ledger, keys["us"], "dissent", body, ref=str(finding.seq), time=at(2))
        with pytest.raises(RecordRejectedError, match="reason"):
            ledger.import_records([forged])
        assert ledger.size == 2
