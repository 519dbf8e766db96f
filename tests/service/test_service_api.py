"""The service's API over a real ledger: the library's own calls through RemoteLedger,
proofs a party can check alone, sessions, exercise runs, the configuration file, and
information-barrier inputs that are never served."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_helpers import OBSERVER, Service, make_service, member_key

from treatyverify.barrier.barrier import InformationBarrier, record_releases
from treatyverify.barrier.registry import MethodPlugin, MethodRegistry, OutputValue
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.compliance.findings import Finding, submit_finding
from treatyverify.errors import InputError
from treatyverify.records.consensus import cosign, dissent
from treatyverify.records.draws import (
    commit,
    compute_outcome,
    new_secret,
    open_draw,
    reveal,
    settle,
)
from treatyverify.records.keys import write_key_pair
from treatyverify.records.merkle import verify_consistency, verify_inclusion
from treatyverify.records.verify import verify_ledger
from treatyverify.service.auth import SESSION_COOKIE
from treatyverify.service.client import ServiceError
from treatyverify.service.config import load_config
from treatyverify.service.context import open_context
from treatyverify.treaty.models import MethodSpec


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = make_service(tmp_path)
    yield running
    running.close()


def _finding(subject: str) -> Finding:
    return Finding(
        rule="limit:deployed-warheads",
        subject=subject,
        statement="1,600 deployed warheads declared against the limit of 1,550",
        compliant=False,
        values={"declared": 1600, "limit": 1550},
        source="New START Article II.1(b)",
    )


def test_findings_are_cosigned_and_disputed_through_the_service(service: Service) -> None:
    us, ru = service.ledger("us"), service.ledger("ru")
    finding = submit_finding(us, service.keys["us"], _finding("ru"))
    cosign(us, finding.seq, service.keys["us"])
    dissent(ru, finding.seq, service.keys["ru"], "the count includes two training warheads")

    state = service.client(OBSERVER).call("GET", f"/api/records/{finding.seq}/consensus")
    assert state["signed"] == ["us"]
    assert state["dissents"] == {"ru": "the count includes two training warheads"}
    assert state["status"] == "disputed"
    assert not state["adopted"]
    # The records landed in the service's own ledger, signed by each party's key.
    local = service.context.ledger
    assert [r.party for r in local.records(start=finding.seq)] == ["us", "us", "ru"]
    assert verify_ledger(local).size == 4


def test_a_draw_among_the_parties_through_the_service(service: Service) -> None:
    now = datetime.now(UTC)
    us, ru = service.ledger("us"), service.ledger("ru")
    open_draw(
        us,
        service.keys["us"],
        "type-one-1",
        purpose="inspection site",
        population=[f"base-{i}" for i in range(10)],
        count=2,
        commit_by=now + timedelta(minutes=5),
        reveal_by=now + timedelta(minutes=10),
    )
    secrets = {party: new_secret() for party in ("us", "ru")}
    commit(us, service.keys["us"], "type-one-1", secrets["us"])
    commit(ru, service.keys["ru"], "type-one-1", secrets["ru"])
    reveal(ru, service.keys["ru"], "type-one-1", secrets["ru"])
    reveal(us, service.keys["us"], "type-one-1", secrets["us"])
    result = settle(ru, service.keys["ru"], "type-one-1")
    # The draw's records, found by their reference through GET /api/records?ref=.
    kinds = [r.kind for r in us.records(ref="type-one-1")]
    assert kinds == ["draw_open", *["draw_commit"] * 2, *["draw_reveal"] * 2, "draw_result"]
    assert list(us.records(ref="type-one-2")) == []

    # Anyone can recompute the draw from the ledger alone.
    records = list(service.context.ledger.records())
    recomputed = compute_outcome(records, "type-one-1")
    assert result.body["selected"] == recomputed.selected
    assert len(recomputed.selected) == 2


def test_proofs_from_the_service_check_without_the_ledger(service: Service) -> None:
    us = service.ledger("us")
    for index in range(6):
        us.append("note", {"text": f"note {index}"}, service.keys["us"])
    client = service.client("ru")
    old = client.call("GET", "/api/ledger")
    us.append("note", {"text": "note 6"}, service.keys["us"])

    proof = client.call("GET", "/api/ledger/proofs/inclusion/3")
    assert verify_inclusion(
        bytes.fromhex(proof["leaf"]),
        3,
        proof["size"],
        [bytes.fromhex(node) for node in proof["path"]],
        bytes.fromhex(proof["root"]),
    )
    step = client.call("GET", "/api/ledger/proofs/consistency", params={"old": old["size"]})
    assert step["old_root"] == old["root"]
    assert verify_consistency(
        old["size"],
        step["size"],
        bytes.fromhex(old["root"]),
        bytes.fromhex(step["root"]),
        [bytes.fromhex(node) for node in step["path"]],
    )


def test_a_session_token_reads_but_never_writes(service: Service) -> None:
    token = service.client(OBSERVER).session()
    http = TestClient(service.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert http.get("/api/ledger", headers=bearer).status_code == 200
    refused = http.post("/api/records", headers=bearer, json={"records": []})
    assert refused.status_code == 401
    assert "unsigned request" in refused.json()["detail"]
    assert http.get("/api/ledger", headers={"Authorization": "Bearer nope"}).status_code == 401

    later = datetime.now(UTC) + timedelta(hours=9)  # sessions last 8 hours by default
    service.context.clock = lambda: later
    expired = http.get("/api/ledger", headers=bearer)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]


def test_an_exercise_runs_through_the_service(service: Service) -> None:
    party, observer = service.client("us"), service.client(OBSERVER)
    with pytest.raises(ServiceError) as refused:
        observer.call("POST", "/api/exercises", body={"scenario": "ctbt-undeclared-test"})
    assert refused.value.status == 403
    with pytest.raises(ServiceError) as unknown:
        party.call("POST", "/api/exercises", body={"scenario": "../etc/passwd"})
    assert unknown.value.status == 422

    queued = party.call(
        "POST", "/api/exercises", body={"scenario": "fmct-reprocessing-diversion", "runs": 2}
    )
    deadline = time.monotonic() + 120
    while True:
        run = observer.call("GET", f"/api/exercises/{queued['id']}")
        if run["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run["status"] == "done", run["message"]
    assert run["requested_by"] == "us"
    page = observer.send("GET", f"/api/exercises/{queued['id']}/files/report.html")
    assert page.status_code == 200
    assert "fmct-reprocessing-diversion" in page.text
    escape = observer.send("GET", f"/api/exercises/{queued['id']}/files/../service.yaml")
    assert escape.status_code == 404


def _insert_runs(service: Service, statuses: list[str]) -> None:
    """Exercise-run rows with these statuses, ids 0, 1, ... (32 hex digits), written
    straight into the service's state as an earlier process would have left them."""
    from treatyverify.service.state import exercise_runs

    with service.context.state.begin() as connection:
        for index, status in enumerate(statuses):
            connection.execute(
                exercise_runs.insert().values(
                    id=f"{index:032x}",
                    scenario="fmct-reprocessing-diversion",
                    runs=2,
                    seed=0,
                    requested_by="us",
                    requested="2026-01-01T00:00:00.000000Z",
                    status=status,
                )
            )


def test_a_restarted_service_marks_unfinished_runs_interrupted(tmp_path: Path) -> None:
    first = make_service(tmp_path)

    _insert_runs(first, ["running"])
    first.close()
    second = open_context(load_config(first.config_path))
    try:
        from treatyverify.service.app import create_app

        app = create_app(second)
        client = Service(first.config_path, second, app, first.keys).client("ru")
        assert client.call("GET", f"/api/exercises/{'0' * 32}")["status"] == "interrupted"
    finally:
        second.close()


def _config_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        open_context(load_config(path))
    return str(error.value)


def test_bad_configuration_files_are_named(tmp_path: Path) -> None:
    assert "bad.yaml" in _config_error(tmp_path, "ledger: [unclosed")
    assert "limits.clock_skew_s" in _config_error(
        tmp_path, "ledger: x.sqlite\nlimits: {clock_skew_s: -1}\n"
    )
    assert "colour" in _config_error(tmp_path, "ledger: x.sqlite\ncolour: red\n")
    write_key_pair(member_key("someone-else"), tmp_path / "keys")
    make_service(tmp_path / "ledger").close()
    ledger = tmp_path / "ledger" / "ledger.sqlite"
    message = _config_error(
        tmp_path,
        f"ledger: {ledger}\nobservers: [{{id: observer-2, key: keys/someone-else.pub}}]\n",
    )
    assert "observers.observer-2" in message
    assert "someone-else" in message


# Information-barrier inputs are never served ----------------------------------------

SECRET_MASS_KG = 4.2719
SECRET_COUNTS = np.array([913_377, 27_181, 31_415], dtype=np.int64)


def _mass(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    return {"pass": float(data["neutron"]["mass_kg"]) >= method.number("min_mass_kg")}


def _crawl(service: Service, member: str) -> Iterator[str]:
    """Every GET operation's answer (path parameters filled with record 1 and the like),
    then every dashboard page."""
    client = service.client(member)
    for path, operations in service.app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        target = path.replace("{seq}", "1").replace("{treaty}", "warhead-dismantlement")
        if "{" in target:  # exercise runs: none exist in this test
            continue
        params = {"old": 1} if "consistency" in target else None
        yield client.send("GET", target, params=params).text
    browser = TestClient(service.app, cookies={SESSION_COOKIE: client.session()})
    for page in ("", "/notifications", "/inspections", "/findings", "/monitoring", "/ledger"):
        answer = browser.get(f"/dashboard{page}")
        assert answer.status_code == 200
        yield answer.text


def test_barrier_inputs_never_leave_through_the_service(tmp_path: Path) -> None:
    service = make_service(tmp_path, "warhead-dismantlement")
    try:
        registry = MethodRegistry()
        registry.register(
            MethodPlugin("neutron.multiplicity-mass", ("neutron",), frozenset({"pass"}), _mass)
        )
        barrier = InformationBarrier(
            service.context.spec, "warhead-in-container", registry, ["pu-mass"]
        )
        data = SensitiveData({"neutron": {"mass_kg": SECRET_MASS_KG}, "spectrum": SECRET_COUNTS})
        releases = barrier.evaluate(data)
        host = service.ledger("host")
        record_releases(
            host,
            service.keys["host"],
            item="W-001",
            item_class="warhead-in-container",
            releases=releases,
        )
        answers = "\n".join(
            text for member in ("inspector-1", OBSERVER) for text in _crawl(service, member)
        )
        assert '"pass":true' in answers.replace(" ", "")  # the verdict is served
        for secret in (str(SECRET_MASS_KG), *(str(int(c)) for c in SECRET_COUNTS)):
            assert secret not in answers
    finally:
        service.close()


def test_the_exercise_queue_is_bounded(service: Service) -> None:
    from treatyverify.service.state import exercise_runs

    bound = service.context.config.exercises.max_queued
    _insert_runs(service, ["queued"] * bound)
    with pytest.raises(ServiceError) as full:
        service.client("us").call(
            "POST", "/api/exercises", body={"scenario": "fmct-reprocessing-diversion", "runs": 2}
        )
    assert full.value.status == 429 and "queue is full" in str(full.value)
    with service.context.state.begin() as connection:
        rows = connection.execute(exercise_runs.select()).fetchall()
    assert len(rows) == bound


def test_every_response_carries_the_security_headers(service: Service) -> None:
    http = TestClient(service.app)
    for response in (
        http.get("/api/ledger"),  # refused: unsigned
        http.get("/no/such/page"),
        http.get("/dashboard/login"),
        service.client("us").send("GET", "/api/ledger"),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"


def test_the_openapi_document_describes_the_422_bodies_sent(service: Service) -> None:
    http = TestClient(service.app)
    document = http.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    bodies = [
        operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "422" in operation["responses"]
    ]
    assert bodies and set(bodies) == {"#/components/schemas/Problem"}
    refused = service.client("us").send("POST", "/api/exercises", body={"scenario": 7})
    assert refused.status_code == 422 and isinstance(refused.json()["detail"], str)
