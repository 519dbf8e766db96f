"""A service over a fresh ledger, for the service tests: keys, configuration, clients.

``make_service`` creates a ledger of a shipped treaty with deterministic keys for its
parties, an observer key, and a configuration file; ``client`` gives a signing client
over FastAPI's in-process test client; ``running_server`` serves the application with
uvicorn on a free loopback port.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from treatyverify.records.keys import PartyKey, write_key_pair
from treatyverify.records.ledger import Ledger
from treatyverify.service.app import create_app
from treatyverify.service.client import RemoteLedger, ServiceClient
from treatyverify.service.config import load_config
from treatyverify.service.context import ServiceContext, open_context
from treatyverify.treaty import load_treaty

OBSERVER = "observer-1"


def member_key(member: str) -> PartyKey:
    """A deterministic Ed25519 key for ``member``."""
    seed = hashlib.sha256(f"treatyverify-service-test/{member}".encode()).digest()
    return PartyKey(member, Ed25519PrivateKey.from_private_bytes(seed))


@dataclass
class Service:
    """A configured service: its context, application and every member's key."""

    config_path: Path
    context: ServiceContext
    app: FastAPI
    keys: dict[str, PartyKey]

    def client(self, member: str) -> ServiceClient:
        """A client signing as ``member``, in process (no socket)."""
        http = TestClient(self.app, base_url="http://testserver")
        return ServiceClient("http://testserver", self.keys[member], http=http)

    def ledger(self, member: str) -> RemoteLedger:
        """The service's ledger as ``member`` sees it, in process."""
        return RemoteLedger(self.client(member))

    def close(self) -> None:
        self.context.close()


def write_service_files(
    folder: Path,
    treaty: str = "new-start",
    *,
    ledger: str | None = None,
    state: str | None = None,
    extra: dict[str, object] | None = None,
) -> tuple[Path, dict[str, PartyKey]]:
    """Create the ledger, key files and configuration file; return the file and keys."""
    spec = load_treaty(treaty)
    keys = {party.id: member_key(party.id) for party in spec.parties}
    location = ledger or str(folder / "ledger.sqlite")
    Ledger.create(
        location,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={party: key.public for party, key in keys.items()},
        consensus_parties=spec.consensus_parties(),
        opener=keys[spec.consensus_parties()[0]],
        time=datetime(2026, 1, 1, tzinfo=UTC),
    ).close()
    observer = member_key(OBSERVER)
    write_key_pair(observer, folder / "keys")
    keys[OBSERVER] = observer
    document: dict[str, object] = {
        "ledger": location,
        "observers": [{"id": OBSERVER, "key": f"keys/{OBSERVER}.pub"}],
        "exercises": {"out": "exercise-runs", "workers": 1, "max_runs": 50},
    }
    if state is not None:
        document["state"] = state
    document.update(extra or {})
    config_path = folder / "service.yaml"
    config_path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return config_path, keys


def make_service(folder: Path, treaty: str = "new-start", **options: object) -> Service:
    """A service over a fresh ledger of ``treaty`` in ``folder``."""
    config_path, keys = write_service_files(folder, treaty, **options)  # type: ignore[arg-type]
    context = open_context(load_config(config_path))
    return Service(config_path, context, create_app(context), keys)


def free_port() -> int:
    """A TCP port free on loopback just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
