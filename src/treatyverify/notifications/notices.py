"""Notices: one notification of a type the treaty defines, with its required fields.

The notice type, its trigger, deadline rule and required fields come from the treaty
specification; a notice of an unknown type, or lacking a required field, is refused
before anything is written. Deadlines, acknowledgements and roll-forward of holdings
build on these records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from treatyverify.errors import InputError
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record, format_time
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.fielddocs import describe_fields

__all__ = ["NOTICE_KIND", "Notice", "parse_notice", "submit_notice"]

NOTICE_KIND = "notification"


class Notice(BaseModel):
    """A notification.

    Attributes
    ----------
    ref
        Unique reference chosen by the notifying party.
    code
        Notification type code from the treaty.
    event_time
        UTC time of the event notified (a launch, a movement, an elimination).
    fields
        The type's required fields and any others, by name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=describe_fields)

    ref: str = Field(min_length=1, max_length=200)
    code: str
    event_time: datetime
    fields: dict[str, Any] = Field(default_factory=dict)

    def check(self, spec: TreatySpec) -> None:
        """Check the type and its required fields against ``spec``."""
        notice_type = spec.notification(self.code)
        missing = [name for name in notice_type.required_fields if name not in self.fields]
        if missing:
            raise InputError(
                f"a {self.code} notice needs {', '.join(missing)}",
                where=f"notice {self.ref}: fields.{missing[0]}",
            )
        if self.event_time.tzinfo is None:
            raise InputError(
                "event_time needs a time zone (UTC)", where=f"notice {self.ref}: event_time"
            )

    def body(self) -> dict[str, Any]:
        """The record body."""
        return {
            "ref": self.ref,
            "code": self.code,
            "event_time": format_time(self.event_time),
            "fields": self.fields,
        }


def parse_notice(document: Any, *, where: str) -> Notice:
    """Validate a notice document; InputError naming the first bad field."""
    try:
        return Notice.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise InputError(error["msg"], where=f"{where}: {field}") from None


def submit_notice(
    ledger: Ledger,
    spec: TreatySpec,
    signer: PartyKey,
    notice: Notice,
    *,
    time: datetime | None = None,
) -> Record:
    """Check ``notice`` against the treaty and append it, signed by ``signer``."""
    spec.party(signer.party)
    notice.check(spec)
    return ledger.append(NOTICE_KIND, notice.body(), signer, ref=notice.ref, time=time)
