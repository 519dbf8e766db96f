"""Cosigned checkpoints through the service: ``GET`` and ``POST /api/ledger/checkpoint``,
and the client's checks (``RemoteLedger.check_checkpoint``, omissions in what is read).

Attacks: a checkpoint with its root changed, a cosignature by a key no one pins, a split
view (two checkpoints of one size and origin with different roots), a service that
holds fewer records than a head covers, and a service that drops a record (a dissent)
from what it serves.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import OBSERVER, Service, make_service, member_key

from treatyverify.compliance.findings import Finding, submit_finding
from treatyverify.errors import VerificationError
from treatyverify.records.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    witness_checkpoint,
)
from treatyverify.records.consensus import dissent
from treatyverify.records.heads import sign_tree_head
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.service.client import RemoteLedger, ServiceClient, ServiceError

TREATY = "new-start"
PATH = "/api/ledger/checkpoint"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = make_service(tmp_path)
    yield running
    running.close()


def _note(ledger: Ledger, key: PartyKey, index: int) -> None:
    ledger.append("note", {"text": f"note {index}"}, key)


def _grow(service: Service, count: int) -> RemoteLedger:
    us = service.ledger("us")
    for index in range(count):
        _note(us, service.keys["us"], index)
    return us


def _post(service: Service, member: str, checkpoint: Checkpoint) -> Any:
    return service.client(member).send("POST", PATH, body={"checkpoint": checkpoint.note()})


def test_no_checkpoint_is_served_before_one_is_signed(service: Service) -> None:
    response = service.client("ru").send("GET", PATH)
    assert response.status_code == 404 and "no checkpoint" in response.json()["detail"]


def test_a_checkpoint_is_signed_cosigned_served_and_checked(service: Service) -> None:
    us = _grow(service, 3)
    made = sign_checkpoint(us, service.keys["us"])
    answer = _post(service, "us", made)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"tree_size": 4, "party": "us", "kind": "signature", "signatures": 1}

    ru = service.ledger("ru")
    served = ru.check_checkpoint()
    assert served == made and served.view(ru.keys).signers == ("us",)
    # ru witnesses it against its own copy (the service's, here) and posts its cosignature.
    cosigned = witness_checkpoint(service.context.ledger, served, service.keys["ru"])
    assert ru.post_checkpoint(cosigned)["signatures"] == 2
    text = service.client(OBSERVER).send("GET", PATH)
    assert text.headers["content-type"].startswith("text/plain")
    assert parse_checkpoint(text.text, where="GET").view(ru.keys).signers == ("us", "ru")

    # A newer cosignature of ru replaces its older one for that size.
    later = cosign_checkpoint(served, service.keys["ru"], TREATY, time=datetime.now(UTC))
    assert ru.post_checkpoint(later)["signatures"] == 2
    assert later.signatures[-1] in ru.checkpoint().signatures

    # The largest checkpoint signed is served; older sizes stay available by size.
    _note(us, service.keys["us"], 9)
    assert ru.checkpoint().tree_size == 4
    bigger = sign_checkpoint(us, service.keys["us"])
    assert _post(service, "us", bigger).status_code == 201
    assert ru.check_checkpoint(held=[served]).tree_size == 5
    assert ru.checkpoint(size=4).view(ru.keys).signers == ("us", "ru")


def test_refused_posts_keep_nothing(service: Service) -> None:
    us = _grow(service, 2)
    made = sign_checkpoint(us, service.keys["us"])
    impostor = PartyKey("ru", member_key("ru-impostor").private_key)
    other = Ledger.create(
        service.config_path.parent / "other.sqlite",
        treaty=TREATY,
        spec_digest=us.spec_digest,
        keys=dict(us.keys),
        consensus_parties=list(us.consensus_parties),
        opener=service.keys["us"],
        time=datetime(2026, 1, 2, tzinfo=UTC),
    )
    with other:
        foreign = sign_checkpoint(other, service.keys["us"])
    line = made.signatures[0]
    broken = replace(line, signature=bytes([line.signature[0] ^ 1]) + line.signature[1:])
    cases: list[tuple[str, Any, int, str]] = [
        # a checkpoint whose root was changed (a validly formed note, not this history)
        ("us", replace(made, root=bytes(32)), 409, "split view"),
        # a cosignature by a key no one pins, under ru's name
        ("ru", cosign_checkpoint(made, impostor, TREATY), 422, "no signature line of ru"),
        ("ru", made, 422, "no signature line of ru"),
        ("us", replace(made, signatures=(broken,)), 422, "does not verify"),
        ("us", foreign, 422, "origin is not this ledger's"),
        ("us", replace(made, tree_size=99), 422, "outside the ledger"),
        ("us", replace(made, extensions=("x",)), 422, "extension lines"),
        ("us", "not a note", 422, "checkpoint"),
        (OBSERVER, made, 403, "observer"),
    ]
    future = cosign_checkpoint(
        made, service.keys["ru"], TREATY, time=datetime.now(UTC) + timedelta(hours=2)
    )
    cases.append(("ru", future, 422, "ahead of the server"))
    for member, checkpoint, status, says in cases:
        note = checkpoint if isinstance(checkpoint, str) else checkpoint.note()
        response = service.client(member).send("POST", PATH, body={"checkpoint": note})
        assert response.status_code == status, (says, response.text)
        detail = response.json()["detail"]
        assert says in str(detail), (says, detail)
    assert service.client("ru").send("GET", PATH).status_code == 404


def test_the_client_finds_a_split_view(service: Service) -> None:
    # The holder keeps a second history with the same opening record (one origin).
    location = Path(service.context.config.ledger)
    fork_path = location.with_name("fork.sqlite")
    shutil.copy(location, fork_path)
    us = _grow(service, 2)
    with Ledger.open(fork_path) as fork:
        for index in range(2):
            _note(fork, service.keys["us"], 100 + index)
        shown_to_ru = sign_checkpoint(fork, service.keys["us"])  # what ru was shown
        shown_small = sign_checkpoint(fork, service.keys["us"], size=2)
    assert _post(service, "us", sign_checkpoint(us, service.keys["us"])).status_code == 201
    ru = service.ledger("ru")
    assert ru.checkpoint().origin == shown_to_ru.origin
    assert ru.checkpoint().tree_size == shown_to_ru.tree_size
    with pytest.raises(VerificationError, match="split view") as caught:
        ru.check_checkpoint(held=[shown_to_ru])
    assert "head by us (size 3)" in str(caught.value)
    with pytest.raises(VerificationError, match="not shown to be one history"):
        ru.check_checkpoint(held=[shown_small])
    # A head held from the start is checked at construction: it is of another history.
    with pytest.raises(VerificationError, match="do not hash to the root"):
        list(RemoteLedger(service.client("ru"), heads=[shown_to_ru]).records())


def test_a_service_that_lost_records_cannot_prove_a_head_held(tmp_path: Path) -> None:
    # Two services over ledgers opened alike (deterministic keys and time: one origin);
    # the second has lost the last records that ru's head covers.
    (tmp_path / "full").mkdir()
    (tmp_path / "lost").mkdir()
    full, lost = make_service(tmp_path / "full"), make_service(tmp_path / "lost")
    try:
        _grow(full, 3)
        _grow(lost, 1)
        held = sign_tree_head(full.context.ledger, full.keys["ru"])  # size 4
        small = sign_checkpoint(lost.context.ledger, lost.keys["us"])  # size 2
        assert _post(lost, "us", small).status_code == 201
        reader = lost.ledger("ru")
        with pytest.raises(VerificationError, match="cannot prove") as caught:
            reader.check_checkpoint(held=[held])
        assert "head by ru (size 4" in str(caught.value)
        with pytest.raises(VerificationError, match="fewer than the 4"):
            list(RemoteLedger(lost.client("ru"), heads=[held]).records())
        # The full service proves the same head one history with its checkpoint.
        early = sign_checkpoint(full.context.ledger, full.keys["us"], size=2)
        assert _post(full, "us", early).status_code == 201
        assert full.ledger("ru").check_checkpoint(held=[held]).tree_size == 2
    finally:
        full.close()
        lost.close()


class _Dropping(ServiceClient):
    """A client whose service leaves records of one kind out of every page it serves."""

    def __init__(self, *args: Any, dropped: str, **options: Any) -> None:
        super().__init__(*args, **options)
        self.dropped = dropped

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        answer = super().call(method, path, params=params, body=body)
        if path == "/api/records":
            answer["records"] = [
                r for r in answer["records"] if r["envelope"]["kind"] != self.dropped
            ]
        return answer


def _finding() -> Finding:
    return Finding(
        rule="limit:deployed-warheads",
        subject="ru",
        statement="1,600 deployed warheads declared against the limit of 1,550",
        compliant=False,
        values={"declared": 1600, "limit": 1550},
        source="New START Article II.1(b)",
    )


def test_a_dropped_dissent_is_noticed_by_a_reader_holding_a_checkpoint(
    service: Service,
) -> None:
    us, ru = service.ledger("us"), service.ledger("ru")
    finding = submit_finding(us, service.keys["us"], _finding())
    dissent(ru, finding.seq, service.keys["ru"], "the count includes two training warheads")
    _note(us, service.keys["us"], 1)
    kept = witness_checkpoint(
        service.context.ledger,
        sign_checkpoint(service.context.ledger, service.keys["us"]),
        service.keys["ru"],
    )
    http = TestClient(service.app, base_url="http://testserver")
    lying = _Dropping("http://testserver", service.keys[OBSERVER], http=http, dropped="dissent")
    # Without a head, the omission goes unseen: every record served is genuine.
    blind = RemoteLedger(lying)
    assert [r.kind for r in blind.records(kinds=["dissent"])] == []
    # Holding the checkpoint, the reader reads what it covers in full and checks it.
    holding = RemoteLedger(lying, heads=[kept])
    with pytest.raises(VerificationError, match="skipped record 2"):
        list(holding.records(kinds=["dissent"]))
    # An honest service passes, and filters still work on the checked records.
    honest = RemoteLedger(service.client(OBSERVER), heads=[kept])
    dissents = list(honest.records(kinds=["dissent"]))
    assert [r.seq for r in dissents] == [2]
    assert honest.get(2).kind == "dissent"
    assert [r.seq for r in honest.records(start=3)] == [3]


def test_a_service_that_drops_the_last_records_is_caught(service: Service) -> None:
    us = _grow(service, 3)
    kept = sign_checkpoint(service.context.ledger, service.keys["ru"])
    lying = _Dropping(
        "http://testserver",
        service.keys["ru"],
        http=TestClient(service.app, base_url="http://testserver"),
        dropped="note",
    )
    with pytest.raises(VerificationError, match="fewer than the 4"):
        list(RemoteLedger(lying, heads=[kept]).records())
    assert us.size == 4


def test_the_new_table_is_migrated(service: Service) -> None:
    from sqlalchemy import inspect

    assert "checkpoint_signatures" in inspect(service.context.state).get_table_names()


def test_service_errors_are_not_verification_errors(service: Service) -> None:
    with pytest.raises(ServiceError) as caught:
        service.ledger("ru").checkpoint()
    assert caught.value.status == 404


def test_remote_checkpoint_posts_fetches_checks_and_keeps(service: Service, tmp_path: Path) -> None:
    """The command line: post a signed checkpoint, fetch it back checked against a held
    head, keep it; a held head of another history is a split view, exit 2."""
    from service_helpers import running_server
    from typer.testing import CliRunner

    from treatyverify.cli.app import app
    from treatyverify.records.checkpoint import (
        ED25519_TYPE,
        NoteSignature,
        key_name,
        note_key_id,
    )
    from treatyverify.records.keys import write_key_pair

    def _resigned(unsigned: Checkpoint, key: PartyKey, treaty: str) -> Checkpoint:
        name = key_name(treaty, key.party)
        key_id = note_key_id(name, ED25519_TYPE, key.public.public_key)
        signature = key.sign(unsigned.text.encode("utf-8"))
        return unsigned.with_signature(NoteSignature(name, key_id, signature))

    us = _grow(service, 3)
    made = sign_checkpoint(us, service.keys["us"])
    keys = {m: write_key_pair(service.keys[m], tmp_path / "cli-keys")[0] for m in ("us", "ru")}
    made_path = tmp_path / "made.checkpoint"
    made_path.write_text(made.note(), encoding="utf-8")
    runner = CliRunner()
    with running_server(service.app) as url:
        base = ["remote", "checkpoint", "--url", url]
        posted = runner.invoke(app, [*base, "--key", str(keys["us"]), "--post", str(made_path)])
        assert posted.exit_code == 0, posted.output
        kept = tmp_path / "kept.checkpoint"
        args = [*base, "--key", str(keys["ru"]), "--head", str(made_path), "--out", str(kept)]
        fetched = runner.invoke(app, [*args, "--json"])
        assert fetched.exit_code == 0, fetched.output
        assert '"tree_size": 4' in fetched.output and '"signers": [' in fetched.output
        assert parse_checkpoint(kept.read_text(encoding="utf-8"), where="kept") == made
        again = runner.invoke(app, args)
        assert again.exit_code == 2 and "--force" in again.output
        # A head of another history of the same size: the service's checkpoint disagrees.
        forged = replace(made, root=bytes(32), signatures=())
        split = tmp_path / "split.checkpoint"
        fake = _resigned(forged, service.keys["ru"], us.treaty)
        split.write_text(fake.note(), encoding="utf-8")
        refused = runner.invoke(app, [*base, "--key", str(keys["ru"]), "--head", str(split)])
        assert refused.exit_code == 2, refused.output
        assert "split view" in refused.output
    us.close()
