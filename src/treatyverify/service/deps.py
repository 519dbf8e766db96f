"""FastAPI dependencies: the service context and who is asking.

``signed_member`` demands a signed request; ``reader`` also takes a session token
(``Authorization: Bearer``); ``writer`` demands a signed request from a party or the
secretariat; ``session_member`` reads the dashboard's session cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from treatyverify.service.auth import (
    HEADER_SIGNATURE,
    SESSION_COOKIE,
    AuthError,
    authenticate_request,
    authenticate_token,
)
from treatyverify.service.context import Member, ServiceContext

__all__ = [
    "Context",
    "Reader",
    "Signed",
    "Writer",
    "get_context",
    "reader",
    "request_target",
    "session_member",
    "signed_member",
    "writer",
]


def get_context(request: Request) -> ServiceContext:
    """The context the application was created with."""
    context: ServiceContext = request.app.state.context
    return context


def request_target(request: Request) -> str:
    """The path and query string of the request exactly as sent (and signed)."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    query = request.scope.get("query_string", b"")
    return (raw_path + (b"?" + query if query else b"")).decode("latin-1")


def _refuse(error: AuthError) -> HTTPException:
    headers = {"WWW-Authenticate": "TV-Signature"} if error.status == 401 else None
    return HTTPException(error.status, error.reason, headers=headers)


async def signed_member(
    request: Request, context: Annotated[ServiceContext, Depends(get_context)]
) -> Member:
    """The member who signed the request (401 when unsigned, mis-signed or replayed)."""
    body = await request.body()
    try:
        return await run_in_threadpool(
            authenticate_request,
            context,
            request.method,
            request_target(request),
            request.headers,
            body,
        )
    except AuthError as error:
        raise _refuse(error) from None


async def reader(
    request: Request, context: Annotated[ServiceContext, Depends(get_context)]
) -> Member:
    """Any member, by a signed request or a session token."""
    authorization = request.headers.get("Authorization", "")
    if authorization and HEADER_SIGNATURE not in request.headers:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise HTTPException(401, "Authorization must be 'Bearer <session token>'")
        try:
            return await run_in_threadpool(authenticate_token, context, token.strip())
        except AuthError as error:
            raise _refuse(error) from None
    return await signed_member(request, context)


async def writer(member: Annotated[Member, Depends(signed_member)]) -> Member:
    """A party delegate or the secretariat, by a signed request (observers get 403)."""
    if not member.writes:
        raise HTTPException(403, f"{member.id} is an observer; observers only read")
    return member


async def session_member(
    request: Request, context: Annotated[ServiceContext, Depends(get_context)]
) -> Member:
    """The member of the dashboard session cookie (401 without a valid one)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    try:
        return await run_in_threadpool(authenticate_token, context, token)
    except AuthError as error:
        raise _refuse(error) from None


Context = Annotated[ServiceContext, Depends(get_context)]
Signed = Annotated[Member, Depends(signed_member)]
Reader = Annotated[Member, Depends(reader)]
Writer = Annotated[Member, Depends(writer)]
