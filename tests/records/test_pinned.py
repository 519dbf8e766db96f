"""The specification a ledger pins: its text and RFC 8785 digest, and older ledgers.

A ledger opened before the text was pinned holds the digest alone, in the legacy form
(Python's ``json.dumps``, recomputed here by hand); it must keep opening.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from ledger_helpers import T0, party_key
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError, LedgerError, VerificationError
from treatyverify.records.ledger import Ledger
from treatyverify.records.pinned import create_ledger, ledger_spec, treaty_source
from treatyverify.records.verify import verify_ledger
from treatyverify.treaty import load_treaty

PARTIES = ("state-a", "state-b", "ts")  # the ctbt specification's parties


def python_json_digest(treaty: str) -> str:
    """The digest ledgers pinned before RFC 8785: sorted keys, no spaces, ``2.0`` kept."""
    data = load_treaty(treaty).model_dump(mode="json", exclude_defaults=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_with(
    path: Path,
    *,
    treaty: str = "ctbt",
    digest: str,
    text: str | None = None,
    form: str | None = None,
) -> Ledger:
    signers = {party: party_key(party) for party in PARTIES}
    return Ledger.create(
        path,
        treaty=treaty,
        spec_digest=digest,
        keys={party: key.public for party, key in signers.items()},
        consensus_parties=["state-a", "state-b"],
        opener=signers["state-a"],
        time=T0,
        spec_text=text,
        spec_format=form,
    )


def test_a_legacy_ledger_still_opens_under_the_installed_specification(tmp_path: Path) -> None:
    legacy = python_json_digest("ctbt")
    assert legacy != load_treaty("ctbt").digest()  # ctbt holds 2.0: the two forms differ
    with open_with(tmp_path / "old.sqlite", digest=legacy) as book:
        assert book.spec_text is None and book.spec_format is None
        assert ledger_spec(book).id == "ctbt"
        verify_ledger(book)


def test_a_digest_only_ledger_may_pin_the_new_digest(tmp_path: Path) -> None:
    with open_with(tmp_path / "new.sqlite", digest=load_treaty("ctbt").digest()) as book:
        assert ledger_spec(book).id == "ctbt"


def test_a_legacy_ledger_of_another_version_is_refused(tmp_path: Path) -> None:
    other = hashlib.sha256(b"another version of the ctbt specification").hexdigest()
    with (
        open_with(tmp_path / "old.sqlite", digest=other) as book,
        pytest.raises(LedgerError, match="another version of ctbt"),
    ):
        ledger_spec(book)


def test_a_legacy_ledger_of_an_uninstalled_treaty_takes_its_file(tmp_path: Path) -> None:
    _spec, text = treaty_source("ctbt")
    mine = tmp_path / "mine.yaml"
    mine.write_text(text.replace("id: ctbt", "id: my-test-ban", 1), encoding="utf-8")
    legacy = load_treaty(mine).legacy_digest()
    with open_with(tmp_path / "old.sqlite", treaty="my-test-ban", digest=legacy) as book:
        with pytest.raises(LedgerError, match="not installed; give its specification file"):
            ledger_spec(book)
        assert ledger_spec(book, mine).id == "my-test-ban"


def test_the_pinned_text_is_the_specification(tmp_path: Path) -> None:
    spec, text = treaty_source("ctbt")
    signers = {party: party_key(party) for party in PARTIES}
    with create_ledger(
        tmp_path / "l.sqlite",
        spec,
        text,
        keys={party: key.public for party, key in signers.items()},
        opener=signers["state-a"],
        time=T0,
    ) as book:
        assert book.spec_text == text
        assert book.spec_format == "treatyverify-treaty/1"
        assert book.spec_digest == spec.digest()
        assert ledger_spec(book) == spec
        verify_ledger(book)


def test_a_pinned_text_without_its_digest_fails_closed(tmp_path: Path) -> None:
    spec, text = treaty_source("ctbt")
    altered = text.replace("id: ts", "id: tx", 1).replace("analyst: ts", "analyst: tx")
    assert altered != text
    path = tmp_path / "l.sqlite"
    with open_with(path, digest=spec.digest(), text=altered, form="treatyverify-treaty/1") as book:
        with pytest.raises(LedgerError, match="does not have the pinned digest"):
            ledger_spec(book)
        with pytest.raises(VerificationError) as caught:
            verify_ledger(book)
        assert caught.value.seq == 0
    result = CliRunner().invoke(app, ["record", "verify", "--ledger", str(path)])
    assert result.exit_code == 2 and "record 0" in result.stderr


def test_an_unknown_digest_format_is_refused(tmp_path: Path) -> None:
    spec, text = treaty_source("ctbt")
    with (
        open_with(tmp_path / "l.sqlite", digest=spec.digest(), text=text, form="sha3/9") as book,
        pytest.raises(LedgerError, match="'sha3/9'"),
    ):
        ledger_spec(book)


def test_a_given_specification_must_have_the_pinned_digest(tmp_path: Path) -> None:
    spec, text = treaty_source("ctbt")
    same = tmp_path / "same.yaml"
    same.write_text(text + "\n# a comment changes the bytes, not the specification\n")
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("uncertainty_multiplier: 2.0", "uncertainty_multiplier: 3.0"))
    assert changed.read_text() != text
    with open_with(
        tmp_path / "l.sqlite", digest=spec.digest(), text=text, form="treatyverify-treaty/1"
    ) as book:
        assert ledger_spec(book, same) == spec
        with pytest.raises(LedgerError, match="another specification of ctbt"):
            ledger_spec(book, changed)


def test_text_and_format_are_pinned_together(tmp_path: Path) -> None:
    spec, text = treaty_source("ctbt")
    with pytest.raises(InputError, match="together"):
        open_with(tmp_path / "l.sqlite", digest=spec.digest(), text=text)
    assert not (tmp_path / "l.sqlite").exists()


def test_a_text_beyond_the_body_limit_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    spec, text = treaty_source("ctbt")
    padded = text + "#" * 1_000_000  # a comment: the same specification, too long to pin
    with pytest.raises(InputError, match="spec_text"):
        open_with(
            tmp_path / "l.sqlite", digest=spec.digest(), text=padded, form="treatyverify-treaty/1"
        )
    assert not (tmp_path / "l.sqlite").exists()
