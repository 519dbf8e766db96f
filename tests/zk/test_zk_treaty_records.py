"""Committed declarations under a treaty: secret file, treaty checks, ledger records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError, VerificationError
from treatyverify.methods.zk.pedersen import Opening
from treatyverify.methods.zk.treaty_records import (
    PartySecret,
    check_declaration,
    commit_sites,
    declaration_of_record,
    prove,
    read_secret,
    record_declaration,
    record_openings,
    write_secret,
)
from treatyverify.records.keys import load_private_key
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import load_treaty

SPEC = load_treaty("new-start")


def _ledger(tmp_path: Path) -> tuple[Path, Path]:
    runner = CliRunner()
    keys, ledger = tmp_path / "keys", tmp_path / "ledger.sqlite"
    for party in ("us", "ru"):
        args = ["party", "keygen", party, "--treaty", "new-start", "--out", str(keys)]
        assert runner.invoke(app, args).exit_code == 0
    init = ["record", "init", "--treaty", "new-start", "--keys", str(keys)]
    init += ["--key", str(keys / "us.key"), "--ledger", str(ledger)]
    assert runner.invoke(app, init).exit_code == 0
    return keys, ledger


def test_the_treaty_sets_the_limit_of_the_proof() -> None:
    secret = commit_sites(SPEC, "deployed-warheads", "us", "2026-H1", {"a": 700, "b": 850})
    declaration = prove(SPEC, secret)
    assert declaration.limit == 1550  # New START Article II.1(b)
    check_declaration(SPEC, declaration)
    with pytest.raises(VerificationError, match="not a party"):
        check_declaration(SPEC, prove(SPEC, PartySecret(**{**vars(secret), "party": "fr"})))


def test_unknown_declaration_or_party_is_refused() -> None:
    with pytest.raises(InputError, match="committed declaration"):
        commit_sites(SPEC, "missiles", "us", "p", {"a": 1})
    with pytest.raises(InputError) as info:
        commit_sites(SPEC, "deployed-warheads", "fr", "p", {"a": 1})
    assert info.value.where == "party"


def test_secret_file_round_trip_and_strict_reading(tmp_path: Path) -> None:
    secret = commit_sites(SPEC, "deployed-warheads", "us", "2026-H1", {"a": 3, "b": 4})
    path = write_secret(tmp_path / "s.json", secret)
    again = read_secret(path)
    assert again.openings.openings == secret.openings.openings
    data = json.loads(path.read_text())
    data["openings"][1]["blinding"] = "zz"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        read_secret(path)
    assert info.value.where is not None and info.value.where.endswith("openings[1].blinding")


def test_records_bind_the_signer_and_openings_must_match(tmp_path: Path) -> None:
    keys, ledger_path = _ledger(tmp_path)
    us = load_private_key(keys / "us.key")
    secret = commit_sites(SPEC, "deployed-warheads", "us", "2026-H1", {"a": 3, "b": 4, "c": 5})
    with Ledger.open(ledger_path) as ledger:
        record = record_declaration(ledger, SPEC, us, prove(SPEC, secret))
        assert declaration_of_record(record).context.party == "us"
        forged = dict(secret.openings.openings)
        forged["b"] = Opening(5, forged["b"].blinding)  # claims 5 where 4 was committed
        bad = PartySecret(**{**vars(secret), "openings": type(secret.openings)(forged)})
        with pytest.raises(InputError, match="does not match"):
            record_openings(ledger, us, record, bad, ["b"])
        opened = record_openings(ledger, us, record, secret, ["b"])
        assert [o["id"] for o in opened.body["openings"]] == ["b"]
        assert opened.body["declaration"] == record.seq
