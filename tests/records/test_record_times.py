"""Record times: one canonical UTC form, never ahead of the checker's clock.

Times are compared as text, so ``2026-01-01T10:00:00+14:00`` (an instant of the day
before) would sort after every ``Z`` time of 1 January and block appends for 14 hours;
a record dated 9999 would block them for good. Import, verification and the service
refuse both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import T0, TREATY, fill, new_ledger, note, reforge, verification_error

from treatyverify.errors import InputError, RecordRejectedError, VerificationError
from treatyverify.records.ledger import (
    Entry,
    Ledger,
    check_record_time,
    seal_records,
)
from treatyverify.records.verify import verify_ledger


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 4)
    ledger.close()
    return path


def _retime(seq: int, time: str) -> Any:
    def edit(at: int, envelope: dict[str, Any]) -> dict[str, Any]:
        if at == seq:
            envelope["time"] = time
        return envelope

    return edit


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-01T10:00:00.000000+14:00",
        "2026-01-01T10:00:00Z",
        "2026-01-01 10:00:00.000000Z",
        "zzzz",
        "2026-02-30T10:00:00.000000Z",
        "",
    ],
)
def test_only_the_canonical_utc_form_is_a_record_time(text: str) -> None:
    with pytest.raises(InputError):
        check_record_time(text, where="time")


def test_the_canonical_form_is_read_as_utc() -> None:
    moment = check_record_time("2026-01-01T10:00:00.250000Z", where="time")
    assert moment == datetime(2026, 1, 1, 10, 0, 0, 250000, tzinfo=UTC)


def test_a_record_with_an_offset_time_fails_verification(ledger_path: Path) -> None:
    from ledger_helpers import party_key

    signers = {"us": party_key("us"), "ru": party_key("ru")}
    reforge(ledger_path, signers=signers, edit=_retime(3, "2026-01-01T00:00:03.000000+14:00"))
    error = verification_error(ledger_path)
    assert error.seq == 3 and "UTC time" in str(error)


def test_a_record_dated_far_ahead_fails_verification(ledger_path: Path) -> None:
    from ledger_helpers import party_key

    signers = {"us": party_key("us"), "ru": party_key("ru")}
    reforge(ledger_path, signers=signers, edit=_retime(4, "9999-12-31T00:00:00.000000Z"))
    error = verification_error(ledger_path)
    assert error.seq == 4 and "ahead of the verifier's clock" in str(error)


def test_verification_reads_the_clock_it_is_given(ledger_path: Path) -> None:
    # An exercise verifies on its simulated clock: records at T0 are ahead of a clock
    # set a day earlier, and fine on the real one.
    with Ledger.open(ledger_path) as ledger:
        assert verify_ledger(ledger).size == 5
        with pytest.raises(VerificationError, match="ahead of the verifier's clock"):
            verify_ledger(ledger, clock=T0 - timedelta(days=1))
        assert verify_ledger(ledger, clock=T0 - timedelta(days=1), skew_s=2 * 86400).size == 5


def test_a_reference_over_the_limit_fails_verification(ledger_path: Path) -> None:
    from ledger_helpers import party_key

    signers = {"us": party_key("us"), "ru": party_key("ru")}

    def long_ref(at: int, envelope: dict[str, Any]) -> dict[str, Any]:
        if at == 2:
            envelope["ref"] = "r" * 201
        return envelope

    reforge(ledger_path, signers=signers, edit=long_ref)
    assert verification_error(ledger_path).seq == 2


def test_import_refuses_a_record_dated_ahead_and_writes_nothing(tmp_path: Path) -> None:
    ledger, keys = new_ledger(tmp_path / "ledger.db")
    with ledger:
        now = T0 + timedelta(days=1)
        ahead = seal_records(
            TREATY,
            [Entry("note", note({"n": 1}), ref="ahead")],
            keys["us"],
            seq=ledger.size,
            head=ledger.root(),
            time=now + timedelta(hours=14),
        )
        with pytest.raises(RecordRejectedError) as caught:
            ledger.import_records(ahead, clock=now)
        assert "ahead of the clock" in str(caught.value) and "record 1: time" in str(caught.value)
        assert ledger.size == 1
        within = seal_records(
            TREATY,
            [Entry("note", note({"n": 2}), ref="within")],
            keys["us"],
            seq=ledger.size,
            head=ledger.get(0).hash,
            time=now + timedelta(seconds=60),
        )
        assert ledger.import_records(within, clock=now) == 1
