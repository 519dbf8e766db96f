"""The service's FastAPI application: routers, request-size limit and error bodies.

Every refusal is a 4xx with a JSON body ``{"detail": "<one clear line>"}``; nothing is
written on a refused request. Run it with ``treatyverify serve CONFIG``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from treatyverify import __version__
from treatyverify.errors import InputError, LedgerError
from treatyverify.service import api, dashboard, exercises, summaries
from treatyverify.service.context import ServiceContext

__all__ = ["SECURITY_HEADERS", "BodyLimit", "SecurityHeaders", "create_app"]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"cache-control", b"no-store"),
)
"""Headers on every response: no sniffing, framing, referrers or caching; the dashboard
runs no script and loads nothing from elsewhere (OWASP Secure Headers Project)."""


class SecurityHeaders:
    """ASGI middleware: add :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """ASGI middleware: refuse a request body larger than ``limit`` bytes with 413, or
    one whose next part takes longer than ``read_timeout_s`` to come with 408.

    The declared ``Content-Length`` is checked first; a body sent without one (chunked)
    is counted as it arrives and cut off at the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, read_timeout_s: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _too_large(send, "Content-Length is not a number", status=400)
                    return
                if declared > self.limit:
                    await _too_large(send, f"the body exceeds {self.limit} bytes")
                    return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout_s)
            except TimeoutError:
                raise _BodyTooLargeError(
                    408, f"no part of the body came for {self.read_timeout_s:g} s"
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLargeError(413, f"the body exceeds {self.limit} bytes")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _BodyTooLargeError as exc:
            if not started:
                await _too_large(send, str(exc.detail), status=exc.status_code)


class _BodyTooLargeError(HTTPException):
    """Raised inside the application when the streamed body passes the limit (413) or
    stalls (408).

    An ``HTTPException``: FastAPI passes those on while it reads a body (any other error
    there becomes a 400 "error parsing the body"), so the client gets this 413.
    """


async def _too_large(send: Send, reason: str, *, status: int = 413) -> None:
    body = json.dumps({"detail": reason}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _first_problem(errors: Any) -> str:
    """One line naming the field of the first validation error."""
    if not errors:
        return "the request is malformed"
    error = errors[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "request"
    return f"{where}: {error.get('msg', 'invalid')}"


def create_app(context: ServiceContext) -> FastAPI:
    """The application serving ``context``'s ledger."""
    runner = exercises.ExerciseRunner(context)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.close()

    app = FastAPI(
        lifespan=lifespan,
        # The interactive documentation pages fetch third-party JavaScript; only the
        # specification itself is served (/openapi.json).
        docs_url=None,
        redoc_url=None,
        title="treatyverify",
        version=__version__,
        description=(
            "Parties, a technical secretariat and observers work on one treaty ledger. "
            "Every request is signed with the member's Ed25519 key (see docs/service.md)."
        ),
    )
    app.state.context = context
    app.state.exercise_runner = runner
    app.include_router(api.router)
    app.include_router(exercises.router)
    app.include_router(summaries.router)
    app.include_router(dashboard.router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _first_problem(exc.errors())}, status_code=422)

    @app.exception_handler(InputError)
    async def _bad_input(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(LedgerError)
    async def _store(_request: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse({"detail": "the ledger store is unavailable"}, status_code=503)

    limits = context.config.limits
    app.add_middleware(
        BodyLimit, limit=limits.max_body_bytes, read_timeout_s=limits.body_read_timeout_s
    )
    app.add_middleware(SecurityHeaders)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "One line naming the problem."}},
}
"""The body of every refusal (4xx, 503): ``{"detail": "<one line>"}``."""


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the 422 bodies the service really sends: a Problem, not
    FastAPI's list of validation errors."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = PROBLEM_SCHEMA
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Refused: the request is invalid",
                    "content": problem,
                }
    app.openapi_schema = document
    return document
