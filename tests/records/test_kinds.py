"""The record kind registry: one set of body rules for append, import and verification."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import (
    at,
    hand_sealed,
    new_ledger,
    note,
    overwrite_row,
    verification_error,
)

from treatyverify.errors import RecordRejectedError
from treatyverify.records.kinds import KINDS, body_model, check_body
from treatyverify.records.ledger import body_bytes

SOURCE = Path(__file__).resolve().parents[2] / "src" / "treatyverify"

DECLARATION = {
    "ref": "ru-2026-1",
    "schedule": "six-month-update",
    "as_of": "2026-03-01",
    "holdings": [{"item_class": "deployed-icbm", "site": "Uzhur", "count": 46}],
}


def test_every_kind_the_code_writes_is_registered() -> None:
    """Read from the source, not from the registry: every ``*_KIND = "..."`` constant
    names a registered kind, so a new record kind cannot be written unchecked."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'^[A-Z_]*KIND(?::\s*Final)?\s*=\s*"([a-z_]+)"', text, re.M))
    assert len(found) >= 20
    assert found <= set(KINDS), sorted(found - set(KINDS))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_registered_model_loads(kind: str) -> None:
    model = body_model(kind)
    assert model.model_config.get("extra") == "forbid" or kind == "zk_declaration"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**DECLARATION, "holdings": [{"item_class": "x", "site": "s", "count": "5"}]}, "count"),
        ({**DECLARATION, "holdings": [{"item_class": "x", "site": "s", "count": True}]}, "count"),
        ({**DECLARATION, "holdings": [{"item_class": "x", "site": "s", "count": -1}]}, "count"),
        ({**DECLARATION, "holdings": [{"item_class": "x", "site": "s", "count": 2.5}]}, "count"),
        ({**DECLARATION, "warheads": 2000}, "warheads"),
        ({k: v for k, v in DECLARATION.items() if k != "as_of"}, "as_of"),
        ({**DECLARATION, "as_of": "2026-02-30"}, "as_of"),
        ({"text": "2,000 warheads"}, "ref"),
    ],
    ids=[
        "count-text",
        "count-bool",
        "count-negative",
        "count-fraction",
        "extra",
        "no-date",
        "bad-date",
        "made-up",
    ],
)
def test_a_made_up_declaration_body_is_refused(body: dict[str, Any], words: str) -> None:
    with pytest.raises(RecordRejectedError, match=words):
        check_body("declaration", body, "ru-2026-1", where="record 1")


def test_the_body_of_a_declaration_names_its_record_reference() -> None:
    check_body("declaration", DECLARATION, "ru-2026-1", where="record 1")
    with pytest.raises(RecordRejectedError, match="reference must equal its body's ref"):
        check_body("declaration", DECLARATION, "ru-2026-2", where="record 1")


def test_body_bytes_are_the_body_inside_a_canonical_envelope() -> None:
    # Written out by hand in RFC 8785 member order: body, key, kind, ... ; a body member
    # named "key" and a reference holding ',"key":' text do not mislead the slice.
    body = b'{"key":1,"text":"a,\\"key\\":b"}'
    envelope = (
        b'{"body":' + body + b',"key":"00112233445566778899aabbccddeeff","kind":"note",'
        b'"party":"ru","prev":"' + b"0" * 64 + b'","ref":"x,\\"key\\":y","seq":1,'
        b'"time":"2026-01-01T00:00:00.000000Z","treaty":"t","v":1}'
    )
    assert body_bytes(envelope) == body


def test_append_import_and_verify_refuse_an_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    with pytest.raises(RecordRejectedError, match="unknown record kind 'memo'"):
        ledger.append("memo", {"text": "x"}, keys["ru"], time=at(1))
    forged = hand_sealed(ledger, keys["ru"], "memo", {"text": "x"}, ref=None, time=at(1))
    with pytest.raises(RecordRejectedError, match="unknown record kind 'memo'"):
        ledger.import_records([forged])
    assert ledger.size == 1
    place = ledger.append("note", note({"placeholder": 1}), keys["ru"], time=at(1))
    forged = hand_sealed(
        ledger, keys["ru"], "memo", {"text": "x"}, ref=None, time=at(1), seq=place.seq
    )
    ledger.close()
    overwrite_row(path, forged)
    error = verification_error(path)
    assert error.seq == place.seq
    assert "unknown record kind 'memo'" in error.message


def test_append_import_and_verify_refuse_a_made_up_declaration(tmp_path: Path) -> None:
    """The attack of issue 17: a declaration body no declaration file could produce."""
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    made_up = {"ref": "ru-1", "total": 2000}
    with pytest.raises(RecordRejectedError, match="not a valid declaration body"):
        ledger.append("declaration", made_up, keys["ru"], ref="ru-1", time=at(1))
    forged = hand_sealed(ledger, keys["ru"], "declaration", made_up, ref="ru-1", time=at(1))
    with pytest.raises(RecordRejectedError, match="not a valid declaration body"):
        ledger.import_records([forged])
    assert ledger.size == 1
    sound = ledger.append("declaration", DECLARATION, keys["ru"], ref="ru-2026-1", time=at(1))
    forged = hand_sealed(
        ledger, keys["ru"], "declaration", made_up, ref="ru-1", time=at(1), seq=sound.seq
    )
    ledger.close()
    overwrite_row(path, forged)
    error = verification_error(path)
    assert error.seq == sound.seq
    assert "declaration" in error.message
