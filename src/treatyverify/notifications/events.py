"""Events that call for a notice, and acknowledgements of notices, checked and appended.

The two record kinds :mod:`treatyverify.notifications.deadlines` reads besides the
notices themselves: an ``event`` (a detected launch, a declared elimination) starts the
deadline of a notice the treaty requires, and an ``acknowledgement`` records that a
notified party received a notice. Both are checked against the treaty and the ledger
before anything is written, by the library and the command line alike
(``treatyverify record event`` and ``record acknowledge``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from treatyverify.errors import InputError, RecordRejectedError, naming
from treatyverify.notifications.deadlines import ACK_KIND, EVENT_KIND, parse_utc
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record, format_time
from treatyverify.treaty import TreatySpec

__all__ = ["Event", "parse_event", "submit_acknowledgement", "submit_event"]


class Event(BaseModel):
    """An event that calls for a notice of a type the treaty defines.

    Attributes
    ----------
    ref
        Optional reference of the event record, unique for its signer.
    code
        Notification type code of the notice the event calls for.
    party
        The party that must notify it (a party with the role ``notifying``).
    event_time
        When the event happened or is to happen (UTC); the notice's deadline counts from it.
    notice
        Ref of the notice that covers the event, when known.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str | None = Field(default=None, min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=200)
    party: str = Field(min_length=1, max_length=200)
    event_time: AwareDatetime
    notice: str | None = Field(default=None, min_length=1, max_length=200)

    def body(self) -> dict[str, Any]:
        """The record body (``notice`` only when given)."""
        body: dict[str, Any] = {
            "code": self.code,
            "party": self.party,
            "event_time": format_time(self.event_time),
        }
        if self.notice is not None:
            body["notice"] = self.notice
        return body


def parse_event(document: Any, *, where: str) -> Event:
    """Validate an event document (strict JSON types; ``event_time`` ISO 8601 in UTC);
    InputError naming ``where`` and the first bad field."""
    try:
        event = Event.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise InputError(error["msg"], where=f"{where}: {field}") from None
    parse_utc(document["event_time"], where=f"{where}: event_time")
    return event


def submit_event(
    ledger: Ledger,
    spec: TreatySpec,
    signer: PartyKey,
    event: Event,
    *,
    time: datetime | None = None,
) -> Record:
    """Check ``event`` against the treaty and the ledger and append it.

    Refused: a notification type the treaty does not define, a party it does not list
    as notifying, a time not in UTC, a ``notice`` that names a notice of ``party`` of
    another type, and an event of the same type, party and time already recorded.
    """
    where = f"event {event.ref}" if event.ref else f"{event.code} event of {event.party}"
    spec.party(signer.party)
    with naming(f"{where}: code"):
        spec.notification(event.code)
    with naming(f"{where}: party"):
        notifier = spec.party(event.party)
    if "notifying" not in notifier.roles:
        raise InputError(f"{spec.id} does not list {event.party} as notifying", where=where)
    moment = parse_utc(event.event_time, where=f"{where}: event_time")
    if event.notice is not None:
        for record in ledger.records(kinds=[NOTICE_KIND], ref=event.notice):
            if record.party == event.party and record.body.get("code") != event.code:
                raise InputError(
                    f"notice {event.notice} of {event.party} is a {record.body.get('code')} "
                    f"notice, not {event.code}",
                    where=f"{where}: notice",
                )
    for record in ledger.records(kinds=[EVENT_KIND]):
        body = record.body
        if (
            body.get("code") == event.code
            and body.get("party") == event.party
            and parse_utc(body.get("event_time"), where=f"record {record.seq}") == moment
        ):
            raise RecordRejectedError(
                f"this {event.code} event of {event.party} is already record {record.seq}",
                where=where,
            )
    return ledger.append(EVENT_KIND, event.body(), signer, ref=event.ref, time=time)


def submit_acknowledgement(
    ledger: Ledger,
    spec: TreatySpec,
    signer: PartyKey,
    notice: str,
    *,
    notifying_party: str | None = None,
    time: datetime | None = None,
) -> Record:
    """Acknowledge notice ``notice`` as ``signer``, after checking the ledger and treaty.

    Parameters
    ----------
    notice
        Ref of a notice in the ledger.
    notifying_party
        The party that gave it; needed only when notices of two parties share the ref.
    time
        Time of acknowledgement (UTC), now by default.

    Raises
    ------
    InputError
        No such notice (or the ref is ambiguous), the signer gave it, the treaty does
        not list the signer as notified, or the signer acknowledged it already.
    """
    where = f"acknowledgement of notice {notice}"
    found = [
        r
        for r in ledger.records(kinds=[NOTICE_KIND], ref=notice)
        if notifying_party is None or r.party == notifying_party
    ]
    if not found:
        of = f" of {notifying_party}" if notifying_party else ""
        raise InputError(f"no notice {notice}{of} in the ledger", where=where)
    if len({r.party for r in found}) > 1:
        parties = ", ".join(sorted({r.party for r in found}))
        raise InputError(f"notices of {parties} have this ref: name the notifier", where=where)
    notifier = found[0].party
    if notifier == signer.party:
        raise InputError(f"{signer.party} does not acknowledge its own notice", where=where)
    if "notified" not in spec.party(signer.party).roles:
        raise InputError(f"{spec.id} does not list {signer.party} as notified", where=where)
    for record in ledger.records(kinds=[ACK_KIND]):
        body = record.body
        if (
            record.party == signer.party
            and body.get("notice") == notice
            and body.get("notifying_party") == notifier
        ):
            raise RecordRejectedError(
                f"{signer.party} acknowledged it already in record {record.seq}", where=where
            )
    body = {"notice": notice, "notifying_party": notifier}
    return ledger.append(ACK_KIND, body, signer, time=time)
