"""Records for the compliance tests, built by hand (no ledger): ``from rule_helpers import``."""

from __future__ import annotations

from datetime import date
from typing import Any

from treatyverify.records.ledger import Record

_BLANK = Record(0, "00" * 32, "new-start", "note", "us", "k", "", None, {}, b"", b"", bytes(32))


def record(seq: int, kind: str, party: str, time: str, body: Any, ref: str | None = None) -> Record:
    """A record with the given envelope fields; ``time`` ISO 8601 UTC."""
    return _BLANK._replace(seq=seq, kind=kind, party=party, time=time, body=body, ref=ref)


def declaration(
    seq: int,
    party: str,
    time: str,
    schedule: str,
    as_of: date,
    holdings: dict[str, int],
) -> Record:
    """A declaration record, every class at one site ``"s"``."""
    body = {
        "ref": f"{party}-{seq}",
        "schedule": schedule,
        "as_of": as_of.isoformat(),
        "holdings": [{"item_class": c, "site": "s", "count": n} for c, n in holdings.items()],
    }
    return record(seq, "declaration", party, time, body, ref=body["ref"])
