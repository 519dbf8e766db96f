"""Bad input to the service: each refusal is the right 4xx, one clear line, nothing written.

Covers unsigned, mis-signed (wrong key, body or path altered after signing), replayed and
stale requests; bodies over the size limit, with and without ``Content-Length``; an
observer writing and a party submitting another party's record; malformed JSON, wrong
field types, a record whose signature does not verify, an out-of-order record and a
record timed far from the server clock. After each, the ledger has the size it had.

Then the role matrix: every route of the application, read from the application itself
(a new endpoint without an expectation here fails the test), is called by a party, the
technical secretariat and an observer of the CTBT ledger, and the outcome is checked per
role: reads succeed (or say 404) for everyone, writes are refused (403) to observers
only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from service_helpers import OBSERVER, Service, make_service, running_server

from treatyverify.canonical import canonical_bytes
from treatyverify.compliance.findings import Finding, submit_finding
from treatyverify.records.checkpoint import Checkpoint, cosign_checkpoint, ledger_origin
from treatyverify.records.consensus import COSIGN_KIND, DISSENT_KIND
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Entry, Record, seal_records
from treatyverify.service.auth import SESSION_COOKIE, sign_request

BODY_LIMIT = 4096
"""The configured ``limits.max_body_bytes`` of these tests, bytes."""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    made = make_service(tmp_path, extra={"limits": {"max_body_bytes": BODY_LIMIT}})
    yield made
    made.close()


@pytest.fixture
def http(service: Service) -> Iterator[TestClient]:
    with TestClient(service.app, base_url="http://testserver") as client:
        yield client


# Helpers ------------------------------------------------------------------------------


def now() -> datetime:
    return datetime.now(UTC)


def record_for(
    service: Service,
    party: str,
    *,
    key: PartyKey | None = None,
    seq: int | None = None,
    head: bytes | None = None,
    time: datetime | None = None,
    entry: Entry | None = None,
) -> Record:
    """A record of ``party`` sealed on the ledger's current head (or as told)."""
    ledger = service.context.ledger
    size = ledger.size
    return seal_records(
        ledger.treaty,
        [entry or Entry("note", {"text": f"bad-input test at size {size}"})],
        key or service.keys[party],
        seq=size if seq is None else seq,
        head=ledger.get(size - 1).hash if head is None else head,
        time=time or now(),
    )[0]


def signed(record: Record) -> dict[str, Any]:
    document = record.to_json()
    return {"envelope": document["envelope"], "signature": document["signature"]}


def submission(*records: Record) -> bytes:
    return canonical_bytes({"records": [signed(r) for r in records]})


def send(
    http: httpx.Client,
    key: PartyKey | None,
    method: str,
    target: str,
    content: bytes = b"",
    *,
    signed_target: str | None = None,
    signed_content: bytes | None = None,
    time: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send a request signed by ``key`` (unsigned when ``None``), optionally mis-signed."""
    all_headers = {"Content-Type": "application/json"} if content else {}
    if key is not None:
        all_headers.update(
            sign_request(
                key,
                method,
                signed_target or target,
                content if signed_content is None else signed_content,
                time=time or now(),
            )
        )
    all_headers.update(headers or {})
    return http.request(method, target, content=content, headers=all_headers)


def refused(response: httpx.Response, status: int, *words: str) -> str:
    """Check the status and that ``detail`` is one line naming the problem; the detail."""
    assert response.status_code == status, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    assert detail.strip() and "\n" not in detail, detail
    for word in words:
        assert word.lower() in detail.lower(), (word, detail)
    return detail


# Authentication -----------------------------------------------------------------------


def test_unsigned_requests_are_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    refused(send(http, None, "GET", "/api/ledger"), 401, "unsigned", "X-TV-Signature")
    body = submission(record_for(service, "us"))
    response = send(http, None, "POST", "/api/records", body)
    refused(response, 401, "unsigned", "X-TV-Member")
    assert response.headers["WWW-Authenticate"] == "TV-Signature"
    # One header missing is named.
    headers = sign_request(service.keys["us"], "POST", "/api/records", body, time=now())
    del headers["X-TV-Nonce"]
    response = http.post("/api/records", content=body, headers=headers)
    detail = refused(response, 401, "X-TV-Nonce")
    assert "X-TV-Signature" not in detail
    assert service.context.ledger.size == size


def test_a_request_signed_with_the_wrong_key_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    impostor = PartyKey("us", Ed25519PrivateKey.generate())
    body = submission(record_for(service, "us"))
    refused(send(http, impostor, "POST", "/api/records", body), 401, "does not verify", "us")
    stranger = PartyKey("nobody", Ed25519PrivateKey.generate())
    refused(send(http, stranger, "GET", "/api/ledger"), 401, "unknown member")
    assert service.context.ledger.size == size


def test_a_body_altered_after_signing_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    honest = submission(record_for(service, "us"))
    altered = submission(record_for(service, "us", entry=Entry("note", {"text": "altered"})))
    response = send(
        http, service.keys["us"], "POST", "/api/records", altered, signed_content=honest
    )
    refused(response, 401, "does not verify")
    assert service.context.ledger.size == size


def test_a_path_altered_after_signing_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    body = submission(record_for(service, "us"))
    response = send(
        http,
        service.keys["us"],
        "POST",
        "/api/records",
        body,
        signed_target="/api/records/1/cosign",
    )
    refused(response, 401, "does not verify")
    # The query string is part of what is signed.
    response = send(
        http, service.keys["us"], "GET", "/api/records?limit=1", signed_target="/api/records"
    )
    refused(response, 401, "does not verify")
    assert service.context.ledger.size == size


def test_a_replayed_request_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    body = submission(record_for(service, "us"))
    headers = sign_request(service.keys["us"], "POST", "/api/records", body, time=now())
    headers["Content-Type"] = "application/json"
    first = http.post("/api/records", content=body, headers=headers)
    assert first.status_code == 201, first.text
    assert service.context.ledger.size == size + 1
    refused(http.post("/api/records", content=body, headers=headers), 401, "replayed")
    # A replayed read is refused too, even though reading changes nothing.
    read = sign_request(service.keys["ru"], "GET", "/api/ledger", time=now())
    assert http.get("/api/ledger", headers=read).status_code == 200
    refused(http.get("/api/ledger", headers=read), 401, "replayed")
    assert service.context.ledger.size == size + 1


def test_a_stale_request_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    body = submission(record_for(service, "us"))
    for skew in (timedelta(hours=-1), timedelta(hours=1)):
        response = send(http, service.keys["us"], "POST", "/api/records", body, time=now() + skew)
        refused(response, 401, "X-TV-Time", "server clock")
    assert service.context.ledger.size == size


# Size ---------------------------------------------------------------------------------


def test_oversized_bodies_are_refused_with_and_without_content_length(
    service: Service,
) -> None:
    size = service.context.ledger.size
    big = Entry("note", {"text": "x" * (2 * BODY_LIMIT)})
    body = submission(record_for(service, "us", entry=big))
    assert len(body) > BODY_LIMIT
    with running_server(service.app) as base_url, httpx.Client(base_url=base_url) as http:
        response = send(http, service.keys["us"], "POST", "/api/records", body)
        assert response.request.headers["Content-Length"] == str(len(body))
        refused(response, 413, f"exceeds {BODY_LIMIT} bytes")

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 1024):
                yield body[start : start + 1024]

        headers = sign_request(service.keys["us"], "POST", "/api/records", body, time=now())
        headers["Content-Type"] = "application/json"
        response = http.post("/api/records", content=chunks(), headers=headers)
        assert "Content-Length" not in response.request.headers
        assert response.request.headers["Transfer-Encoding"] == "chunked"
        refused(response, 413, f"exceeds {BODY_LIMIT} bytes")

        # A body just under the limit goes through the same server.
        small = submission(record_for(service, "us"))
        assert send(http, service.keys["us"], "POST", "/api/records", small).status_code == 201
    assert service.context.ledger.size == size + 1


def test_more_records_than_one_request_may_carry_are_refused(tmp_path: Path) -> None:
    made = make_service(tmp_path, extra={"limits": {"max_records_per_request": 2}})
    try:
        with TestClient(made.app, base_url="http://testserver") as http:
            first = record_for(made, "us")
            records = seal_records(
                made.context.ledger.treaty,
                [Entry("note", {"text": f"note {i}"}) for i in range(3)],
                made.keys["us"],
                seq=first.seq,
                head=bytes.fromhex(first.prev),
                time=now(),
            )
            response = send(http, made.keys["us"], "POST", "/api/records", submission(*records))
            refused(response, 413, "at most 2 records")
            assert made.context.ledger.size == 1
    finally:
        made.close()


# Roles --------------------------------------------------------------------------------


def test_an_observer_may_not_write(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    body = submission(record_for(service, "us"))
    response = send(http, service.keys[OBSERVER], "POST", "/api/records", body)
    refused(response, 403, OBSERVER, "observers only read")
    assert service.context.ledger.size == size


def test_a_party_may_not_submit_another_partys_record(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    body = submission(record_for(service, "ru"))  # signed by ru, sent by us
    response = send(http, service.keys["us"], "POST", "/api/records", body)
    refused(response, 403, "us may submit only its own records", "ru")
    assert service.context.ledger.size == size


# Bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"records": [', ("body",)),
        (b"\xff\xfe not even text", ("body",)),
        (b"[1, 2, 3]", ("body",)),
        (b'{"records": "none"}', ("body.records",)),
        (b'{"records": []}', ("body.records",)),
        (b'{"records": [{"envelope": 5, "signature": "00"}]}', ("body.records.0",)),
        (b'{"records": [], "extra": true}', ("body",)),
    ],
    ids=[
        "truncated-json",
        "not-utf8",
        "a-list",
        "records-a-string",
        "no-records",
        "wrong-field-types",
        "unknown-field",
    ],
)
def test_malformed_bodies_are_refused(
    service: Service, http: TestClient, content: bytes, words: tuple[str, ...]
) -> None:
    size = service.context.ledger.size
    response = send(http, service.keys["us"], "POST", "/api/records", content)
    assert response.status_code in (400, 422), response.text
    refused(response, response.status_code, *words)
    assert service.context.ledger.size == size


def test_an_envelope_that_is_not_a_record_is_refused(service: Service, http: TestClient) -> None:
    size = service.context.ledger.size
    document = signed(record_for(service, "us"))
    del document["envelope"]["kind"]
    content = canonical_bytes({"records": [document]})
    refused(send(http, service.keys["us"], "POST", "/api/records", content), 422, "records[0]")
    assert service.context.ledger.size == size


def test_a_record_whose_signature_does_not_verify_is_refused(
    service: Service, http: TestClient
) -> None:
    size = service.context.ledger.size
    document = signed(record_for(service, "us"))
    flipped = "0" if document["signature"][0] != "0" else "1"
    document["signature"] = flipped + document["signature"][1:]
    content = canonical_bytes({"records": [document]})
    refused(send(http, service.keys["us"], "POST", "/api/records", content), 422, "signature")
    assert service.context.ledger.size == size


def test_an_out_of_order_record_is_refused_with_the_head(
    service: Service, http: TestClient
) -> None:
    size = service.context.ledger.size
    head = service.context.ledger.get(size - 1)
    ahead = record_for(service, "us", seq=size + 1)
    response = send(http, service.keys["us"], "POST", "/api/records", submission(ahead))
    refused(response, 409, "out of order", "sign again")
    assert response.headers["X-TV-Size"] == str(size)
    assert response.headers["X-TV-Head"] == head.hash_hex
    unlinked = record_for(service, "us", head=hashlib.sha256(b"elsewhere").digest())
    response = send(http, service.keys["us"], "POST", "/api/records", submission(unlinked))
    refused(response, 409, "does not link")
    assert service.context.ledger.size == size


def test_a_record_time_with_an_offset_is_refused(service: Service, http: TestClient) -> None:
    # "now" written with +14:00 sorts after every Z time of the next 14 hours: accepted,
    # it would have blocked every later append by every party until then.
    size = service.context.ledger.size
    document = signed(record_for(service, "us"))
    moment = now().astimezone(timezone(timedelta(hours=14)))
    document["envelope"]["time"] = moment.isoformat(timespec="microseconds")
    signature = service.keys["us"].private_key.sign(
        b"treatyverify/record/v1\x00" + canonical_bytes(document["envelope"])
    )
    document["signature"] = signature.hex()
    body = canonical_bytes({"records": [document]})
    response = send(http, service.keys["us"], "POST", "/api/records", body)
    refused(response, 422, "records[0]: time", "UTC")
    assert service.context.ledger.size == size


def test_a_record_timed_far_from_the_server_clock_is_refused(
    service: Service, http: TestClient
) -> None:
    size = service.context.ledger.size
    for skew in (timedelta(days=-2), timedelta(hours=2)):
        record = record_for(service, "us", time=now() + skew)
        response = send(http, service.keys["us"], "POST", "/api/records", submission(record))
        refused(response, 422, "records[0].envelope.time", "server clock")
    assert service.context.ledger.size == size


def _hand_made(service: Service, kind: str, body: dict[str, Any], ref: str | None) -> Record:
    """A record signed by us with any kind and body, made without the local checks."""
    ledger = service.context.ledger
    last = ledger.get(ledger.size - 1)
    envelope = {
        **{"v": 1, "seq": ledger.size, "prev": last.hash_hex, "treaty": ledger.treaty},
        **{"kind": kind, "party": "us", "key": service.keys["us"].key_id, "ref": ref},
        **{"time": now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "body": body},
    }
    signature = service.keys["us"].sign(b"treatyverify/record/v1\x00" + canonical_bytes(envelope))
    return Record.from_json({"envelope": envelope, "signature": signature.hex()}, where="test")


@pytest.mark.parametrize(
    ("kind", "body", "ref", "words"),
    [
        ("memo", {"text": "x"}, None, ("unknown record kind",)),
        ("declaration", {"ref": "us-1", "warheads": 2000}, "us-1", ("declaration", "body")),
        ("note", {"text": "x", "extra": 1}, None, ("note", "extra")),
    ],
    ids=["unknown-kind", "made-up-declaration", "extra-field"],
)
def test_the_service_applies_the_record_kind_registry(
    service: Service,
    http: TestClient,
    kind: str,
    body: dict[str, Any],
    ref: str | None,
    words: tuple[str, ...],
) -> None:
    """What append refuses, the service refuses too: it imports records parties sign."""
    size = service.context.ledger.size
    record = _hand_made(service, kind, body, ref)
    response = send(http, service.keys["us"], "POST", "/api/records", submission(record))
    refused(response, 422, *words)
    assert service.context.ledger.size == size


def test_an_endpoint_that_takes_one_kind_refuses_another(
    service: Service, http: TestClient
) -> None:
    size = service.context.ledger.size
    body = canonical_bytes(signed(record_for(service, "us")))  # a note, not a co-signature
    refused(send(http, service.keys["us"], "POST", "/api/records/0/cosign", body), 422, "cosign")
    assert service.context.ledger.size == size


def _position_body(service: Service, member: str, kind: str, target: int, **body: object) -> bytes:
    """A cosign or dissent record of ``member`` naming ``target``, with body overrides."""
    fields: dict[str, Any] = {
        "target": target,
        "target_hash": service.context.ledger.get(target).hash_hex,
    }
    if kind == DISSENT_KIND:
        fields["reason"] = "the count is wrong"
    fields.update(body)
    return canonical_bytes(
        signed(record_for(service, member, entry=Entry(kind, fields, str(target))))
    )


@pytest.mark.parametrize(
    ("member", "kind", "target", "body", "words"),
    [
        ("ts", COSIGN_KIND, "finding", {}, ("ts", "not a consensus party")),
        ("ts", DISSENT_KIND, "finding", {}, ("ts", "not a consensus party")),
        ("state-b", COSIGN_KIND, "finding", {"target_hash": "0" * 64}, ("hash",)),
        ("state-b", COSIGN_KIND, "note", {}, ("only findings and reports",)),
        ("state-b", DISSENT_KIND, "finding", {"reason": "  "}, ("reason",)),
    ],
)
def test_a_position_the_local_functions_would_refuse_is_refused(
    ctbt: tuple[Service, int],
    member: str,
    kind: str,
    target: str,
    body: dict[str, object],
    words: tuple[str, ...],
) -> None:
    """The service applies the rules of ``cosign`` and ``dissent`` to signed records."""
    service, finding = ctbt
    if target == "note":
        note = record_for(service, "state-b")
        service.context.ledger.import_records([note])
        seq = note.seq
    else:
        seq = finding
    size = service.context.ledger.size
    content = _position_body(service, member, kind, seq, **body)
    with TestClient(service.app, base_url="http://testserver") as http:
        path = f"/api/records/{seq}/{kind}"
        refused(send(http, service.keys[member], "POST", path, content), 422, *words)
        # The generic submission route applies the same rules.
        document = json.loads(content)
        again = canonical_bytes({"records": [document]})
        refused(send(http, service.keys[member], "POST", "/api/records", again), 422, *words)
    assert service.context.ledger.size == size


def test_a_cosign_of_a_finding_submitted_in_the_same_request_is_accepted(
    ctbt: tuple[Service, int],
) -> None:
    """A report, a co-signature of an earlier finding and one of that report, in one
    request: the position checks find targets in the ledger and earlier in the request."""
    service, finding = ctbt
    ledger = service.context.ledger
    head = ledger.get(ledger.size - 1).hash
    records = seal_records(
        ledger.treaty,
        [
            Entry(
                "report", {"title": "joint report", "summary": "one finding", "findings": []}, "r-1"
            ),
            Entry(
                COSIGN_KIND,
                {"target": finding, "target_hash": ledger.get(finding).hash_hex},
                str(finding),
            ),
        ],
        service.keys["state-b"],
        seq=ledger.size,
        head=head,
        time=now(),
    )
    late = seal_records(
        ledger.treaty,
        [
            Entry(
                COSIGN_KIND,
                {"target": records[0].seq, "target_hash": records[0].hash_hex},
                str(records[0].seq),
            )
        ],
        service.keys["state-b"],
        seq=records[-1].seq + 1,
        head=records[-1].hash,
        time=now(),
    )
    with TestClient(service.app, base_url="http://testserver") as http:
        response = send(
            http, service.keys["state-b"], "POST", "/api/records", submission(*records, *late)
        )
    assert response.status_code == 201, response.text
    assert ledger.size == late[0].seq + 1


# The role matrix ----------------------------------------------------------------------

PARTY, SECRETARIAT = "state-a", "ts"
"""Members of the CTBT ledger: a state party and the Technical Secretariat."""
ROLES = {PARTY: "party", SECRETARIAT: "secretariat", OBSERVER: "observer"}
MISSING_RUN = "0" * 32


@dataclass(frozen=True)
class Expectation:
    """How a route answers each role.

    ``kind`` is ``read`` (2xx or 404 for every role), ``signed`` (2xx for every role:
    any member signs in), ``write`` (403 for observers only), ``public`` (2xx
    unsigned), ``page`` (a dashboard page: 2xx for every role's session) or ``form``
    (the dashboard's sign-in and sign-out: a redirect for every role).
    """

    kind: str
    target: str
    body: Callable[[Service, str, int], bytes] | None = None


def _position(kind: str) -> Callable[[Service, str, int], bytes]:
    def build(service: Service, member: str, finding: int) -> bytes:
        target = service.context.ledger.get(finding)
        body: dict[str, Any] = {"target": finding, "target_hash": target.hash_hex}
        if kind == DISSENT_KIND:
            body["reason"] = "the role matrix dissents"
        entry = Entry(kind, body, str(finding))
        return canonical_bytes(signed(record_for(service, member, entry=entry)))

    return build


def _note(service: Service, member: str, _finding: int) -> bytes:
    return submission(record_for(service, member, entry=Entry("note", {"text": f"by {member}"})))


def _checkpoint(service: Service, member: str, _finding: int) -> bytes:
    # The ledger's checkpoint with the member's cosignature (any key can make one).
    ledger = service.context.ledger
    unsigned = Checkpoint(ledger_origin(ledger), ledger.size, ledger.root())
    cosigned = cosign_checkpoint(unsigned, service.keys[member], ledger.treaty, time=now())
    return canonical_bytes({"checkpoint": cosigned.note()})


def _exercise(_service: Service, _member: str, _finding: int) -> bytes:
    # An unknown scenario: the answer shows who may ask, and no run starts.
    return canonical_bytes({"scenario": "no-such-scenario", "runs": 1})


EXPECTATIONS: dict[tuple[str, str], Expectation] = {
    ("GET", "/openapi.json"): Expectation("public", "/openapi.json"),
    ("GET", "/api/treaties"): Expectation("read", "/api/treaties"),
    ("GET", "/api/treaties/{treaty}"): Expectation("read", "/api/treaties/ctbt"),
    ("GET", "/api/members"): Expectation("read", "/api/members"),
    ("POST", "/api/sessions"): Expectation("signed", "/api/sessions"),
    ("GET", "/api/ledger"): Expectation("read", "/api/ledger"),
    ("GET", "/api/ledger/head"): Expectation("read", "/api/ledger/head"),
    ("GET", "/api/ledger/verify"): Expectation("read", "/api/ledger/verify"),
    ("GET", "/api/ledger/proofs/inclusion/{seq}"): Expectation(
        "read", "/api/ledger/proofs/inclusion/{seq}"
    ),
    ("GET", "/api/ledger/proofs/consistency"): Expectation(
        "read", "/api/ledger/proofs/consistency?old=1"
    ),
    ("GET", "/api/ledger/checkpoint"): Expectation("read", "/api/ledger/checkpoint"),
    ("POST", "/api/ledger/checkpoint"): Expectation("write", "/api/ledger/checkpoint", _checkpoint),
    ("GET", "/api/records"): Expectation("read", "/api/records?kind=finding&limit=5"),
    ("GET", "/api/records/{seq}"): Expectation("read", "/api/records/{seq}"),
    ("GET", "/api/records/{seq}/consensus"): Expectation("read", "/api/records/{seq}/consensus"),
    ("POST", "/api/records"): Expectation("write", "/api/records", _note),
    ("POST", "/api/records/{seq}/cosign"): Expectation(
        "write", "/api/records/{seq}/cosign", _position(COSIGN_KIND)
    ),
    ("POST", "/api/records/{seq}/dissent"): Expectation(
        "write", "/api/records/{seq}/dissent", _position(DISSENT_KIND)
    ),
    ("GET", "/api/exercises/scenarios"): Expectation("read", "/api/exercises/scenarios"),
    ("POST", "/api/exercises"): Expectation("write", "/api/exercises", _exercise),
    ("GET", "/api/exercises"): Expectation("read", "/api/exercises"),
    ("GET", "/api/exercises/{run_id}"): Expectation("read", f"/api/exercises/{MISSING_RUN}"),
    ("GET", "/api/exercises/{run_id}/files/{name:path}"): Expectation(
        "read", f"/api/exercises/{MISSING_RUN}/files/report.html"
    ),
    ("GET", "/api/status"): Expectation("read", "/api/status"),
    ("GET", "/api/notifications"): Expectation("read", "/api/notifications"),
    ("GET", "/api/inspections"): Expectation("read", "/api/inspections"),
    ("GET", "/api/findings"): Expectation("read", "/api/findings"),
    ("GET", "/api/bulletins"): Expectation("read", "/api/bulletins"),
    ("GET", "/dashboard"): Expectation("page", "/dashboard"),
    ("GET", "/dashboard/notifications"): Expectation("page", "/dashboard/notifications"),
    ("GET", "/dashboard/inspections"): Expectation("page", "/dashboard/inspections"),
    ("GET", "/dashboard/findings"): Expectation("page", "/dashboard/findings"),
    ("GET", "/dashboard/monitoring"): Expectation("page", "/dashboard/monitoring"),
    ("GET", "/dashboard/ledger"): Expectation("page", "/dashboard/ledger"),
    ("GET", "/dashboard/login"): Expectation("page", "/dashboard/login"),
    ("POST", "/dashboard/login"): Expectation("form", "/dashboard/login"),
    ("POST", "/dashboard/logout"): Expectation("form", "/dashboard/logout"),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application serves, HEAD aside, included routers flattened."""
    iterate = getattr(routing, "iter_route_contexts", None)
    routes: Any = iterate(app.routes) if iterate is not None else app.routes
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or set()
        assert path, f"a route without a path: {route!r}"
        found |= {(method, path) for method in methods if method != "HEAD"}
    return found


def test_every_route_has_an_expectation(tmp_path: Path) -> None:
    made = make_service(tmp_path, "ctbt")
    try:
        served = app_routes(made.app)
    finally:
        made.close()
    assert len(served) >= 30
    unexpected = sorted(served - set(EXPECTATIONS))
    assert not unexpected, f"routes without an expectation in the role matrix: {unexpected}"
    gone = sorted(set(EXPECTATIONS) - served)
    assert not gone, f"expectations for routes the application no longer serves: {gone}"


@pytest.fixture
def ctbt(tmp_path: Path) -> Iterator[tuple[Service, int]]:
    """A CTBT service whose ledger holds a finding proposed by state-a; its seq."""
    made = make_service(tmp_path, "ctbt")
    finding = Finding(
        rule="role-matrix",
        subject="state-b",
        statement="A finding for the role matrix to read, co-sign and dissent from.",
        compliant=True,
        values={},
        source="test",
    )
    record = submit_finding(made.context.ledger, made.keys[PARTY], finding, time=now())
    yield made, record.seq
    made.close()


def _call(
    http: TestClient, service: Service, member: str, method: str, expectation: Expectation, seq: int
) -> httpx.Response:
    target = expectation.target.replace("{seq}", str(seq))
    key = service.keys[member]
    if expectation.kind == "public":
        return http.request(method, target)
    if expectation.kind in ("page", "form"):
        token = ServiceSession.token(http, key)
        http.cookies.clear()
        if target == "/dashboard/login" and method == "POST":
            form = f"token={token}&next=/dashboard/findings".encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            return http.post(target, content=form, headers=headers, follow_redirects=False)
        http.cookies.set(SESSION_COOKIE, token)
        try:
            return http.request(method, target, follow_redirects=False)
        finally:
            http.cookies.clear()
    content = b"" if expectation.body is None else expectation.body(service, member, seq)
    return send(http, key, method, target, content)


class ServiceSession:
    """Session tokens for the dashboard routes, one signed request each."""

    @staticmethod
    def token(http: TestClient, key: PartyKey) -> str:
        response = send(http, key, "POST", "/api/sessions")
        assert response.status_code == 201, response.text
        return str(response.json()["token"])


def test_every_role_against_every_route(ctbt: tuple[Service, int]) -> None:
    service, finding = ctbt
    assert {m: service.context.members[m].role for m in ROLES} == ROLES
    problems: list[str] = []
    with TestClient(service.app, base_url="http://testserver") as http:
        for (method, path), expectation in sorted(EXPECTATIONS.items()):
            for member, role in ROLES.items():
                size = service.context.ledger.size
                response = _call(http, service, member, method, expectation, finding)
                status = response.status_code
                where = f"{method} {path} as {role} ({member}): {status} {response.text[:200]}"
                if status >= 500:
                    problems.append(f"server error: {where}")
                elif expectation.kind == "read":
                    if not (200 <= status < 300 or status == 404):
                        problems.append(f"a read not answered: {where}")
                elif expectation.kind in ("signed", "public", "page"):
                    if not 200 <= status < 300:
                        problems.append(f"not answered: {where}")
                elif expectation.kind == "form":
                    if status != 303:
                        problems.append(f"no redirect: {where}")
                elif role == "observer":
                    if status != 403 or "observer" not in response.json()["detail"]:
                        problems.append(f"an observer's write not refused: {where}")
                    if service.context.ledger.size != size:
                        problems.append(f"an observer's write was written: {where}")
                elif status in (401, 403):
                    problems.append(f"a {role}'s write refused for its role: {where}")
                elif path == "/api/records" and status != 201:
                    problems.append(f"a {role}'s own record not appended: {where}")
    assert not problems, "\n".join(problems)
