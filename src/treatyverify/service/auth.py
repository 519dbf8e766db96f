"""Signed requests and session tokens of the service.

Every API request is signed with the member's Ed25519 key over::

    REQUEST_DOMAIN || METHOD \\n TARGET \\n MEMBER \\n TIME \\n NONCE \\n SHA-256(BODY) hex

where TARGET is the path with its query string as sent, TIME is UTC ISO 8601 and NONCE
is 32 random hex digits. The server accepts a request only when the signature verifies
under the member's registered key, TIME is within the clock window and the nonce has
not been seen from that member before (nonces are kept for twice the window). A
read-only *session token* bound to the member's key, obtained with a signed request,
serves the dashboard (a cookie) and read requests (``Authorization: Bearer``).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from treatyverify.errors import InputError
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import format_time, parse_time
from treatyverify.service.context import Member, ServiceContext
from treatyverify.service.state import request_nonces, sessions

__all__ = [
    "HEADER_MEMBER",
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIME",
    "REQUEST_DOMAIN",
    "SESSION_COOKIE",
    "AuthError",
    "authenticate_request",
    "authenticate_token",
    "create_session",
    "request_message",
    "sign_request",
]

REQUEST_DOMAIN = b"treatyverify/request/v1\x00"
"""Prefix of every signed request, so a request signature is never valid as a record's."""
HEADER_MEMBER = "X-TV-Member"
HEADER_TIME = "X-TV-Time"
HEADER_NONCE = "X-TV-Nonce"
HEADER_SIGNATURE = "X-TV-Signature"
SESSION_COOKIE = "tv_session"
NONCE_PATTERN = re.compile(r"^[0-9a-f]{32}$")
SIGNATURE_PATTERN = re.compile(r"^[0-9a-f]{128}$")
PURGE_EVERY = 256
"""Purge expired nonces once in this many accepted requests."""
_ACCEPTED = itertools.count(1)
"""Accepted requests of this process (drives the purge)."""


class AuthError(Exception):
    """A request is refused: HTTP ``status`` (401 or 403) with a one-line ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def request_message(
    method: str, target: str, member: str, time: str, nonce: str, body: bytes
) -> bytes:
    """The bytes a member signs for one request (see the module docstring)."""
    digest = hashlib.sha256(body).hexdigest()
    fields = (method.upper(), target, member, time, nonce, digest)
    return REQUEST_DOMAIN + "\n".join(fields).encode("utf-8")


def sign_request(
    key: PartyKey,
    method: str,
    target: str,
    body: bytes = b"",
    *,
    time: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign a request as ``key.party``."""
    when = format_time(time)
    nonce = nonce or secrets.token_hex(16)
    signature = key.sign(request_message(method, target, key.party, when, nonce, body))
    return {
        HEADER_MEMBER: key.party,
        HEADER_TIME: when,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature.hex(),
    }


def authenticate_request(
    context: ServiceContext, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> Member:
    """The member who signed this request; :class:`AuthError` (401) otherwise.

    The nonce is recorded before the member is returned, so a replay is refused even
    when the first request fails later.
    """
    values = {name: headers.get(name) for name in (HEADER_MEMBER, HEADER_TIME, HEADER_NONCE)}
    signature_hex = headers.get(HEADER_SIGNATURE)
    missing = [name for name, value in values.items() if not value]
    if signature_hex is None or missing:
        names = ", ".join([*missing, *([] if signature_hex else [HEADER_SIGNATURE])])
        raise AuthError(401, f"unsigned request: missing {names}")
    member_id, time_text, nonce = (str(values[h]) for h in values)
    member = context.members.get(member_id)
    if member is None:
        raise AuthError(401, f"unknown member {member_id[:64]!r}")
    if not NONCE_PATTERN.match(nonce):
        raise AuthError(401, f"{HEADER_NONCE} must be 32 lower-case hex digits")
    if not SIGNATURE_PATTERN.match(signature_hex):
        raise AuthError(401, f"{HEADER_SIGNATURE} must be 128 lower-case hex digits")
    try:
        sent = parse_time(time_text, where=HEADER_TIME)
    except InputError as exc:
        raise AuthError(401, exc.message) from None
    now = context.now()
    skew = context.config.limits.clock_skew_s
    if abs((now - sent).total_seconds()) > skew:
        raise AuthError(401, f"{HEADER_TIME} is more than {skew:g} s from the server clock")
    message = request_message(method, target, member_id, time_text, nonce, body)
    if not member.key.verify(bytes.fromhex(signature_hex), message):
        raise AuthError(401, f"the request signature does not verify for {member_id}")
    _remember_nonce(context, member_id, nonce, now, skew)
    return member


def _remember_nonce(
    context: ServiceContext, member: str, nonce: str, now: datetime, skew: float
) -> None:
    try:
        with context.state.begin() as connection:
            connection.execute(
                insert(request_nonces).values(member=member, nonce=nonce, time=format_time(now))
            )
    except IntegrityError:
        raise AuthError(401, "replayed request (this nonce was already used)") from None
    if next(_ACCEPTED) % PURGE_EVERY == 0:
        cutoff = format_time(now - timedelta(seconds=2 * skew))
        with context.state.begin() as connection:
            connection.execute(delete(request_nonces).where(request_nonces.c.time < cutoff))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(context: ServiceContext, member: Member) -> tuple[str, datetime]:
    """A fresh read-only session token for ``member`` and its expiry (UTC)."""
    token = secrets.token_urlsafe(32)
    expires = context.now() + timedelta(hours=context.config.limits.session_hours)
    with context.state.begin() as connection:
        connection.execute(
            insert(sessions).values(
                token_hash=_token_hash(token),
                member=member.id,
                key_id=member.key.key_id,
                expires=format_time(expires),
            )
        )
    return token, expires


def authenticate_token(context: ServiceContext, token: str) -> Member:
    """The member a session token belongs to; :class:`AuthError` (401) otherwise.

    A token stops working when it expires or when the member's key is no longer the one
    it was issued to.
    """
    if not token or len(token) > 128:
        raise AuthError(401, "no valid session token")
    with context.state.connect() as connection:
        row = connection.execute(
            select(sessions.c.member, sessions.c.key_id, sessions.c.expires).where(
                sessions.c.token_hash == _token_hash(token)
            )
        ).first()
    if row is None:
        raise AuthError(401, "unknown session token")
    member = context.members.get(str(row.member))
    if member is None or member.key.key_id != row.key_id:
        raise AuthError(401, "the session token's key is no longer registered")
    if parse_time(str(row.expires)) <= context.now():
        raise AuthError(401, "the session token has expired; sign in again")
    return member
