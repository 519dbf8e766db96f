"""Schemathesis against the service's OpenAPI specification: no request makes a server error.

The specification is the application's own (``/openapi.json``), loaded in process over
ASGI. Every generated request is signed by a member (a ``requests`` authentication hook
that signs the prepared request's exact method, target and body with
:func:`~treatyverify.service.auth.sign_request`), so the generated data reach the
handlers rather than stopping at the signature check. The run is made once as a party
(``us``, who may write) and once as an observer (who reads only); the only check is
``not_a_server_error``. The examples per operation are bounded (``MAX_EXAMPLES``), and
exercise runs are capped at two runs by the configuration, so a generated request that
names a shipped scenario starts no long run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from service_helpers import OBSERVER, Service, make_service

from treatyverify.records.keys import PartyKey
from treatyverify.service.auth import sign_request

MAX_EXAMPLES = 20
"""Examples per API operation (hypothesis phase), per member."""


class MemberSignature(requests.auth.AuthBase):
    """Sign a prepared request as the service expects (see ``treatyverify.service.auth``)."""

    def __init__(self, key: PartyKey) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body
        if body is None:
            content = b""
        elif isinstance(body, str):
            content = body.encode("utf-8")
            request.body = content
        elif isinstance(body, bytes):
            content = body
        else:  # a stream: the signature needs the bytes
            raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")
        method = str(request.method)
        headers = sign_request(
            self.key, method, str(request.path_url), content, time=datetime.now(UTC)
        )
        request.headers.update(headers)
        return request


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A New START service with a few records, exercise runs capped at two runs."""
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    made = make_service(
        folder, extra={"exercises": {"out": "exercise-runs", "workers": 1, "max_runs": 2}}
    )
    ledger = made.ledger("us")
    for index in range(3):
        ledger.append("note", {"text": f"note {index}"}, made.keys["us"], ref=f"note-{index}")
    ledger.close()
    yield made
    made.close()


def _signed_call(case: Any, key: PartyKey) -> int:
    """Send the case signed by ``key``; fail on a 5xx; the status."""
    session = requests.Session()
    session.auth = MemberSignature(key)
    try:
        response = case.call_and_validate(session=session, checks=[not_a_server_error])
    finally:
        session.close()
    return int(response.status_code)


@pytest.mark.slow
@pytest.mark.parametrize("member", ["us", OBSERVER])
def test_no_generated_request_makes_a_server_error(service: Service, member: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    key = service.keys[member]
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    for operation in operations:
        for mode in GenerationMode:

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                statuses[_signed_call(case, key)] += 1

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists for an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:
                problems.append(f"{operation.label} ({mode.value}): {exc}")
    assert not problems, "\n".join(problems)
    # Every request got past the signature check, and many reached a handler and succeeded.
    assert 401 not in statuses, statuses
    assert sum(n for status, n in statuses.items() if status < 300) >= len(operations), statuses
