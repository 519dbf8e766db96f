"""The service's ASGI middleware on its own: a body that stalls is cut off with 408."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from treatyverify.service.app import SECURITY_HEADERS, BodyLimit, SecurityHeaders


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = await Request(scope, receive).body()
    await JSONResponse({"bytes": len(body)})(scope, receive, send)


def _run(app: Any, chunks: list[bytes | None]) -> list[dict[str, Any]]:
    """Send ``chunks`` (``None``: stall forever) and collect what the app sends."""
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        queue = list(chunks)

        async def receive() -> dict[str, Any]:
            chunk = queue.pop(0) if queue else None
            if chunk is None:
                await asyncio.Event().wait()  # never comes
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
        await app(scope, receive, send)

    asyncio.run(main())
    return sent


def test_a_stalled_body_gets_408() -> None:
    sent = _run(BodyLimit(_echo, limit=1024, read_timeout_s=0.05), [b"abc", None])
    assert sent[0]["status"] == 408
    assert "no part of the body" in json.loads(sent[1]["body"])["detail"]


def test_a_body_that_comes_in_time_passes() -> None:
    sent = _run(BodyLimit(_echo, limit=1024, read_timeout_s=1.0), [b"abc", b"de"])
    assert sent[0]["status"] == 200 and json.loads(sent[1]["body"]) == {"bytes": 5}


def test_security_headers_are_added_once() -> None:
    sent = _run(SecurityHeaders(_echo), [b""])
    names = [name for name, _value in sent[0]["headers"]]
    for name, _value in SECURITY_HEADERS:
        assert names.count(name) == 1
