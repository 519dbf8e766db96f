"""Tests of treatyverify.methods.sampling.selection: items drawn by commit-reveal on a ledger.

Independent facts used here:

* the sample sizes of the plans (44 for 100 items of 2 kg Pu, goal 8 kg, beta = 0.1;
  10 exact / 11 IAEA for 20 items, beta = 0.05) are hand-computed in
  ``test_sampling_attribute.py``;
* the draw seed is ``SHA-256(b"treatyverify/draw-seed/v1\\x00" || statement || party
  || 0x00 || secret || ...)`` over the parties in sorted order, where the statement is
  the hash of the ``draw_open`` record; it is computed here with :mod:`hashlib`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from treatyverify.errors import DrawError, InputError, VerificationError
from treatyverify.methods.sampling import (
    PLAN_KIND,
    AttributePlan,
    open_item_draw,
    select_items,
    verify_selection,
)
from treatyverify.records import draws
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PARTIES = ("ru", "uk", "us")
SEED_DOMAIN = b"treatyverify/draw-seed/v1\x00"
SECRETS = {p: hashlib.sha256(f"sampling secret of {p}".encode()).digest() for p in PARTIES}
ITEMS = [f"can-{i:03d}" for i in range(100)]
PU_PLAN = AttributePlan(items=100, item_mass_kg=2.0, goal_kg=8.0, beta=0.10)


def _key(party: str) -> PartyKey:
    seed = hashlib.sha256(f"treatyverify-sampling-test-key/{party}".encode()).digest()
    return PartyKey(party, Ed25519PrivateKey.from_private_bytes(seed))


def _ledger(path: Path) -> tuple[Ledger, dict[str, PartyKey]]:
    keys = {p: _key(p) for p in PARTIES}
    ledger = Ledger.create(
        path,
        treaty="new-start",
        spec_digest=hashlib.sha256(b"sampling test specification").hexdigest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(PARTIES),
        opener=keys["us"],
        time=T0,
    )
    return ledger, keys


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_select_44_of_100_items_end_to_end(tmp_path: Path) -> None:
    ledger, keys = _ledger(tmp_path / "ledger.db")
    selection = select_items(
        ledger, keys, "cans-1", PU_PLAN, ITEMS, opener="us", start=_at(60), secrets=SECRETS
    )
    assert selection.sample_size == 44
    assert selection.method == "iaea"
    assert len(selection.selected) == 44
    assert len(set(selection.selected)) == 44
    assert set(selection.selected) <= set(ITEMS)
    # 1 - C(96,44)/C(100,44) = 1 - 0.093667 (hand-computed in the attribute tests).
    assert selection.detection_probability == pytest.approx(1 - 0.093667, abs=1e-6)

    # The seed, recomputed with hashlib from the opening record's hash and the secrets.
    opening = next(r for r in ledger.records(kinds=["draw_open"]) if r.ref == "cans-1")
    message = SEED_DOMAIN + opening.hash
    for party in sorted(PARTIES):
        message += party.encode() + b"\x00" + SECRETS[party]
    assert selection.seed == hashlib.sha256(message).hexdigest()

    # The ledger verifies, and anyone reopening it recomputes the same selection.
    verify_ledger(ledger)
    ledger.close()
    with Ledger.open(tmp_path / "ledger.db") as reopened:
        assert verify_selection(reopened, "cans-1") == selection
        kinds = [r.kind for r in reopened.records()]
    assert kinds == [
        "ledger_open",
        PLAN_KIND,
        "draw_open",
        *["draw_commit"] * 3,
        *["draw_reveal"] * 3,
        "draw_result",
    ]


def test_selection_is_reproducible_and_depends_on_the_secrets(tmp_path: Path) -> None:
    picks = []
    for name, secrets in (("a", SECRETS), ("b", SECRETS), ("c", {**SECRETS, "ru": bytes(32)})):
        ledger, keys = _ledger(tmp_path / f"{name}.db")
        with ledger:
            picks.append(
                select_items(
                    ledger,
                    keys,
                    "cans-1",
                    PU_PLAN,
                    ITEMS,
                    opener="us",
                    start=_at(60),
                    secrets=secrets,
                ).selected
            )
    assert picks[0] == picks[1]
    assert picks[0] != picks[2]


def test_exact_method_selects_fewer_items(tmp_path: Path) -> None:
    plan = AttributePlan(items=20, item_mass_kg=2.0, goal_kg=8.0, beta=0.05)
    ledger, keys = _ledger(tmp_path / "ledger.db")
    with ledger:
        exact = select_items(
            ledger, keys, "d-exact", plan, ITEMS[:20], opener="us", method="exact", start=_at(1)
        )
        iaea = select_items(ledger, keys, "d-iaea", plan, ITEMS[:20], opener="us", start=_at(99))
        assert (len(exact.selected), len(iaea.selected)) == (10, 11)
        assert verify_selection(ledger, "d-exact").selected == exact.selected


def test_parties_on_separate_machines_and_an_unsettled_draw(tmp_path: Path) -> None:
    ledger, keys = _ledger(tmp_path / "ledger.db")
    with ledger:
        open_item_draw(
            ledger,
            keys["us"],
            "cans-2",
            PU_PLAN,
            ITEMS,
            commit_by=_at(600),
            reveal_by=_at(1200),
            time=_at(10),
        )
        for offset, party in enumerate(PARTIES):
            draws.commit(ledger, keys[party], "cans-2", SECRETS[party], time=_at(20 + offset))
        with pytest.raises(DrawError):
            verify_selection(ledger, "cans-2")  # reveals still outstanding
        for offset, party in enumerate(PARTIES):
            draws.reveal(ledger, keys[party], "cans-2", SECRETS[party], time=_at(30 + offset))
        unsettled = verify_selection(ledger, "cans-2")
        assert unsettled.result_seq is None
        draws.settle(ledger, keys["us"], "cans-2", time=_at(40))
        settled = verify_selection(ledger, "cans-2")
        assert settled.selected == unsettled.selected
        assert settled.result_seq == ledger.size - 1


def test_a_plan_whose_sample_size_does_not_follow_is_caught(tmp_path: Path) -> None:
    ledger, keys = _ledger(tmp_path / "ledger.db")
    with ledger:
        body = {
            "draw": "cans-3",
            "plan": PU_PLAN.to_body(),
            "method": "iaea",
            "defects": 4,
            "sample_size": 5,
        }  # the inspector claims n = 5, not 44
        plan_record = ledger.append(PLAN_KIND, body, keys["us"], ref="cans-3", time=_at(5))
        draws.open_draw(
            ledger,
            keys["us"],
            "cans-3",
            purpose="item",
            population=ITEMS,
            count=5,
            commit_by=_at(600),
            reveal_by=_at(1200),
            time=_at(6),
        )
        with pytest.raises(VerificationError) as caught:
            verify_selection(ledger, "cans-3")
        assert caught.value.seq == plan_record.seq


def test_a_draw_of_another_size_than_the_plan_is_caught(tmp_path: Path) -> None:
    ledger, keys = _ledger(tmp_path / "ledger.db")
    with ledger:
        body = {
            "draw": "cans-4",
            "plan": PU_PLAN.to_body(),
            "method": "iaea",
            "defects": 4,
            "sample_size": 44,
        }
        ledger.append(PLAN_KIND, body, keys["us"], ref="cans-4", time=_at(5))
        opening = draws.open_draw(
            ledger,
            keys["us"],
            "cans-4",
            purpose="item",
            population=ITEMS,
            count=40,
            commit_by=_at(600),
            reveal_by=_at(1200),
            time=_at(6),
        )
        with pytest.raises(VerificationError) as caught:
            verify_selection(ledger, "cans-4")
        assert caught.value.seq == opening.seq


def test_no_plan_and_bad_input(tmp_path: Path) -> None:
    ledger, keys = _ledger(tmp_path / "ledger.db")
    with ledger:
        with pytest.raises(DrawError):
            verify_selection(ledger, "nothing")
        with pytest.raises(InputError) as caught:
            select_items(ledger, keys, "x", PU_PLAN, ITEMS[:99], opener="us", start=_at(1))
        assert caught.value.where == "items"
        with pytest.raises(InputError) as caught:
            select_items(ledger, {"us": keys["us"]}, "x", PU_PLAN, ITEMS, opener="us", start=_at(1))
        assert caught.value.where == "keys"
        with pytest.raises(InputError) as caught:
            open_item_draw(
                ledger,
                keys["us"],
                "x",
                PU_PLAN,
                ITEMS[:99] + ITEMS[:1],
                commit_by=_at(600),
                reveal_by=_at(1200),
                time=_at(1),
            )
        assert caught.value.where == "items"
        assert ledger.size == 1  # nothing was recorded
