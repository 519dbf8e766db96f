"""One exception hierarchy for treatyverify.

Every error names *where* the problem is (a file, a field, a record) so that the
command line can print one clear line and exit with status 2. Messages never carry
sensitive measurement data: they name the place and the rule, not the hidden values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "ConsensusError",
    "DrawError",
    "InconclusiveError",
    "InputError",
    "LedgerError",
    "MethodRefusedError",
    "RecordConflictError",
    "RecordRejectedError",
    "SigningKeyError",
    "SpecError",
    "TreatyVerifyError",
    "UnknownNameError",
    "VerificationError",
    "naming",
]


class TreatyVerifyError(Exception):
    """Root of all treatyverify errors.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    where
        The file, field or record the problem is in (for example
        ``"treaties/new-start.yaml: limits[0].maximum"`` or ``"record 17"``).
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(TreatyVerifyError):
    """Bad input from a user: malformed file, wrong field, value out of range."""


class SpecError(InputError):
    """A treaty specification is malformed or lacks a parameter a check needs."""


class UnknownNameError(InputError):
    """An unknown treaty, party, item class, method or record kind was named."""


class SigningKeyError(InputError):
    """A key file is unreadable, or a key does not belong to the party it claims."""


class RecordRejectedError(InputError):
    """A record was refused: duplicate, out of order, or not allowed by the treaty."""


class RecordConflictError(RecordRejectedError):
    """A record signed for a position another record has taken (sequence number, link
    to the previous record, or a time earlier than the last record's): re-read the
    ledger's head, sign again and resubmit."""


class LedgerError(TreatyVerifyError):
    """The ledger store cannot be opened or read (missing, truncated or corrupt file)."""


class VerificationError(TreatyVerifyError):
    """Ledger verification failed.

    Parameters
    ----------
    seq
        Sequence number of the first bad record, or ``None`` when the failure is
        not tied to one record (for example a tree head signed over another history).
    """

    def __init__(self, message: str, *, seq: int | None = None, where: str | None = None) -> None:
        self.seq = seq
        if where is None and seq is not None:
            where = f"record {seq}"
        super().__init__(message, where=where)


class DrawError(TreatyVerifyError):
    """A verifiable random draw cannot proceed or does not check out."""


class ConsensusError(TreatyVerifyError):
    """A co-signature or dissent is invalid, or adoption was asked for too early."""


class MethodRefusedError(InputError):
    """A verification method refuses the data it was given, for a stated reason.

    The barrier releases ``code`` (one word from a fixed vocabulary, such as
    ``"needs-high-resolution"``) as the reason of an ``error`` release; the message, which
    may name the file, stays inside.

    Parameters
    ----------
    code
        The reason, a lowercase slug that names a rule, never a measured value.
    message, where
        As for :class:`TreatyVerifyError`; the message carries no measured digits.
    """

    def __init__(self, code: str, message: str, *, where: str | None = None) -> None:
        self.code = code
        super().__init__(message, where=where)


class InconclusiveError(TreatyVerifyError):
    """A method measured the attribute but cannot decide it at the treaty's confidence.

    The barrier releases the status ``inconclusive`` with ``code`` as its reason
    (``"bound-straddles-threshold"`` or ``"uncertainty-above-maximum"``), and no outputs.

    Parameters
    ----------
    code
        The reason, a lowercase slug from a fixed vocabulary.
    message
        One line for the operator inside the barrier; no measured digits.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@contextmanager
def naming(where: str) -> Iterator[None]:
    """Re-raise a lookup in a treaty that fails (:class:`SpecError`,
    :class:`UnknownNameError`) as an :class:`InputError` placed at ``where``, the
    record and field that named the missing thing."""
    try:
        yield
    except (SpecError, UnknownNameError) as exc:
        raise InputError(str(exc), where=where) from None
