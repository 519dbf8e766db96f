"""Records per second through the service's API, with concurrent clients (issue 8, Measured).

A fresh New START ledger is served by ``python -m treatyverify serve`` in a process of
its own (uvicorn on loopback, one server process), so that the clients' interpreter
lock does not throttle the server. N client threads, each with its own
:class:`~treatyverify.service.client.RemoteLedger` (own connection pool, own key; the
parties ``us`` and ``ru`` alternate between threads), append one record per request in
a loop, as a party's program would: read the head (``GET /api/ledger``), sign the record
on it, ``POST /api/records``; on 409 (another writer took that place) read the head
again, sign again and resubmit, after a random pause of up to 2 ms x attempt.

Measured, after a warm-up that is not counted:

- **records/s sustained**: records acknowledged (201) within the measuring window,
  divided by its length;
- **latency of one append**, p50 and p99: from the first head read to the 201, 409
  retries included (``time.perf_counter``);
- **409 retry rate**: conflicts per acknowledged record, and the share of appends that
  needed at least one retry;
- CPU seconds spent by the server process and by the client process in the window.

Afterwards the ledger is opened directly and verified, and its size must equal the
number of records acknowledged. Runs on SQLite (a file in a temporary folder), and on
PostgreSQL when a server is named (``--postgres URL`` or the environment variable
``TREATYVERIFY_TEST_POSTGRES_URL``; the URL names a maintenance database, and the
benchmark creates a database of its own there and drops it afterwards).

Usage::

    python benchmarks/service_throughput.py --out results/service_throughput.json
    python benchmarks/service_throughput.py --clients 8 --seconds 20 --postgres URL
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
import uvicorn
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import bench_common
from treatyverify import __version__
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import Entry, Ledger
from treatyverify.records.verify import verify_ledger
from treatyverify.service.client import RemoteLedger, ServiceClient, ServiceError
from treatyverify.treaty import load_treaty

ENV_VAR = "TREATYVERIFY_TEST_POSTGRES_URL"
TREATY = "new-start"
PARTIES = ("us", "ru")
START_TIMEOUT_S = 60.0


# ------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_ledger(location: str, folder: Path) -> tuple[Path, dict[str, PartyKey]]:
    """A fresh ledger at ``location`` and a service configuration file; the file and keys."""
    spec = load_treaty(TREATY)
    keys = {party.id: generate_party_key(party.id) for party in spec.parties}
    Ledger.create(
        location,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={party: key.public for party, key in keys.items()},
        consensus_parties=spec.consensus_parties(),
        opener=keys[spec.consensus_parties()[0]],
        time=datetime.now(UTC),
    ).close()
    config = folder / "service.yaml"
    config.write_text(
        yaml.safe_dump({"ledger": location, "exercises": {"out": str(folder / "runs")}}),
        encoding="utf-8",
    )
    return config, keys


@contextmanager
def server(config: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``treatyverify serve`` in its own process on a free loopback port."""
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "treatyverify", "serve", str(config), "--port", str(port)],
            stdout=sink,
            stderr=sink,
        )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_serving(process: subprocess.Popen[bytes], client: ServiceClient) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError("the server exited before it served")
        try:
            client.call("GET", "/api/ledger")
            return
        except ServiceError as exc:
            if exc.status != 0 or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# ------------------------------------------------------------------------- the clients


class CountingClient(ServiceClient):
    """A service client that counts the answers to record submissions by status."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submissions: Counter[int] = Counter()
        self.head_reads_s: list[float] = []
        self.posts_s: list[float] = []

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        started = time.perf_counter()
        response = super().send(method, path, params=params, body=body)
        elapsed = time.perf_counter() - started
        if method == "POST" and path == "/api/records":
            self.submissions[response.status_code] += 1
            self.posts_s.append(elapsed)
        elif method == "GET" and path == "/api/ledger/head":
            self.head_reads_s.append(elapsed)
        return response


class Appender(threading.Thread):
    """One client: appends one record per request until told to stop."""

    def __init__(self, base_url: str, key: PartyKey, number: int, stop: threading.Event) -> None:
        super().__init__(daemon=True, name=f"client-{number}")
        self.client = CountingClient(base_url, key, timeout_s=120.0)
        self.key = key
        self.number = number
        self.stop = stop
        # (started, finished, conflicts) per acknowledged append, perf_counter seconds.
        self.appends: list[tuple[float, float, int]] = []
        self.error: str | None = None
        self.rng = random.Random(number)

    def run(self) -> None:
        ledger = RemoteLedger(self.client)
        step = 0
        try:
            while not self.stop.is_set():
                step += 1
                ref = f"{self.key.party}-c{self.number}-{step:07d}"
                entry = Entry(
                    "declaration",
                    {
                        "ref": ref,
                        "schedule": "data-change",
                        "as_of": "2026-01-01",
                        "holdings": [
                            {
                                "item_class": "deployed-icbm",
                                "site": f"site-{self.rng.randint(1, 40)}",
                                "count": self.rng.randint(0, 450),
                            }
                        ],
                    },
                    ref,
                )
                conflicts_before = self.client.submissions[409]
                started = time.perf_counter()
                ledger.append_many([entry], self.key)
                finished = time.perf_counter()
                conflicts = self.client.submissions[409] - conflicts_before
                self.appends.append((started, finished, conflicts))
        except Exception as exc:  # reported, not raised: the others keep going
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            ledger.close()


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def prefill(location: str, keys: Mapping[str, PartyKey], records: int) -> None:
    """Append ``records`` records directly (batches of 1,000, the parties alternating)."""
    with Ledger.open(location) as ledger:
        done = 0
        while done < records:
            party = PARTIES[(done // 1000) % len(PARTIES)]
            batch = [
                Entry("note", {"text": f"prefill {done + i}"})
                for i in range(min(1000, records - done))
            ]
            ledger.append_many(batch, keys[party])
            done += len(batch)


def measure(
    location: str, folder: Path, clients: int, seconds: float, warm_up_s: float, filled: int
) -> dict[str, Any]:
    """Serve a fresh ledger at ``location`` and drive it with ``clients`` threads."""
    config, keys = create_ledger(location, folder)
    prefill(location, keys, filled)
    with server(config, folder / "server.log") as (process, base_url):
        probe = ServiceClient(base_url, keys["us"])
        try:
            wait_until_serving(process, probe)
        finally:
            probe.close()
        stop = threading.Event()
        threads = [
            Appender(base_url, keys[PARTIES[i % len(PARTIES)]], i, stop) for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(warm_up_s)
        window_start = time.perf_counter()
        server_cpu_start = process_cpu_s(process.pid)
        client_cpu_start = time.process_time()
        time.sleep(seconds)
        window_end = time.perf_counter()
        server_cpu = process_cpu_s(process.pid) - server_cpu_start
        client_cpu = time.process_time() - client_cpu_start
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
        errors = [t.error for t in threads if t.error]
        stuck = sum(t.is_alive() for t in threads)
        submissions: Counter[int] = Counter()
        head_reads: list[float] = []
        posts: list[float] = []
        for thread in threads:
            submissions.update(thread.client.submissions)
            head_reads.extend(thread.client.head_reads_s)
            posts.extend(thread.client.posts_s)
            thread.client.close()
    inside = [
        (started, finished, conflicts)
        for thread in threads
        for started, finished, conflicts in thread.appends
        if window_start <= started and finished <= window_end
    ]
    completed = sum(
        window_start <= finished <= window_end for t in threads for _, finished, _ in t.appends
    )
    latencies_ms = sorted((finished - started) * 1000 for started, finished, _ in inside)
    conflicts = [c for _, _, c in inside]
    acknowledged = sum(len(t.appends) for t in threads)
    with Ledger.open(location) as ledger:
        verify_started = time.perf_counter()
        report = verify_ledger(ledger)
        verify_s = time.perf_counter() - verify_started
    window = window_end - window_start
    return {
        "clients": clients,
        "prefilled_records": filled,
        "window_s": window,
        "records_in_window": completed,
        "records_per_s": completed / window,
        "latency_ms": {
            "appends": len(latencies_ms),
            "p50": percentile(latencies_ms, 0.50),
            "p99": percentile(latencies_ms, 0.99),
            "mean": statistics.fmean(latencies_ms) if latencies_ms else float("nan"),
            "max": latencies_ms[-1] if latencies_ms else float("nan"),
        },
        "conflicts": {
            "per_record": statistics.fmean(conflicts) if conflicts else float("nan"),
            "share_retried": (
                sum(c > 0 for c in conflicts) / len(conflicts) if conflicts else float("nan")
            ),
            "max_per_record": max(conflicts, default=0),
        },
        "submissions_by_status": {str(k): v for k, v in sorted(submissions.items())},
        "request_ms_mean": {
            "GET /api/ledger/head": 1000 * statistics.fmean(head_reads) if head_reads else None,
            "POST /api/records": 1000 * statistics.fmean(posts) if posts else None,
        },
        "cpu_s": {"server": server_cpu, "clients": client_cpu},
        "cpu_per_record_ms": {
            "server": 1000 * server_cpu / completed if completed else float("nan"),
            "clients": 1000 * client_cpu / completed if completed else float("nan"),
        },
        "ledger": {
            "acknowledged": acknowledged,
            "size": report.size,
            "verified": report.size == acknowledged + filled + 1,
            "verify_s": verify_s,
        },
        "errors": errors,
        "stuck_clients": stuck,
    }


# ------------------------------------------------------------------------- PostgreSQL


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database on the server of ``admin_url``; yield its URL; drop it."""
    name = f"tv_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


# ------------------------------------------------------------------------- main


def run(
    clients: Sequence[int],
    seconds: float,
    warm_up_s: float,
    postgres: str | None,
    filled: int,
) -> dict[str, Any]:
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    backends: dict[str, list[dict[str, Any]]] = {"sqlite": []}
    versions = {
        "treatyverify": __version__,
        "sqlalchemy": sqlalchemy.__version__,
        "uvicorn": uvicorn.__version__,
        "httpx": httpx.__version__,
    }
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    for count in clients:
        with tempfile.TemporaryDirectory(prefix="tv-bench-") as directory:
            folder = Path(directory)
            print(f"sqlite, {count} client(s), {seconds:g} s ...", flush=True)
            backends["sqlite"].append(
                measure(str(folder / "ledger.sqlite"), folder, count, seconds, warm_up_s, filled)
            )
    if postgres:
        backends["postgresql"] = []
        versions["postgresql"] = postgres_version(postgres)
        for count in clients:
            with (
                tempfile.TemporaryDirectory(prefix="tv-bench-") as directory,
                fresh_postgres_database(postgres) as url,
            ):
                print(f"postgresql, {count} client(s), {seconds:g} s ...", flush=True)
                backends["postgresql"].append(
                    measure(url, Path(directory), count, seconds, warm_up_s, filled)
                )
    return {
        "issue": 8,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": bench_common.machine(**versions),
        "load_average": [load_start, os.getloadavg()[0]],
        "parameters": {
            "clients": list(clients),
            "seconds": seconds,
            "warm_up_s": warm_up_s,
            "records_per_request": 1,
            "prefilled_records": filled,
            "parties": list(PARTIES),
        },
        "backends": backends,
    }


def print_report(result: dict[str, Any]) -> None:
    header = (
        f"{'backend':<11} {'clients':>7} {'rec/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'409/rec':>8} {'retried':>8} {'srv cpu':>8} {'cli cpu':>8} {'head ms':>8} "
        f"{'post ms':>8}  verified"
    )
    print(header)
    for backend, rows in result["backends"].items():
        for row in rows:
            print(
                f"{backend:<11} {row['clients']:>7} {row['records_per_s']:>8.1f} "
                f"{row['latency_ms']['p50']:>8.1f} {row['latency_ms']['p99']:>8.1f} "
                f"{row['conflicts']['per_record']:>8.2f} "
                f"{100 * row['conflicts']['share_retried']:>7.0f}% "
                f"{row['cpu_s']['server'] / row['window_s']:>8.2f} "
                f"{row['cpu_s']['clients'] / row['window_s']:>8.2f} "
                f"{row['request_ms_mean']['GET /api/ledger/head'] or float('nan'):>8.1f} "
                f"{row['request_ms_mean']['POST /api/records'] or float('nan'):>8.1f}  "
                f"{row['ledger']['verified']} ({row['ledger']['size']} records)"
            )
            for error in row["errors"]:
                print(f"    client error: {error}")
    print("(srv cpu, cli cpu: cores used on average by the server and the client process)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 8], help="client thread counts to run"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window, s")
    parser.add_argument("--warm-up", type=float, default=3.0, help="uncounted warm-up, s")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(ENV_VAR),
        help=f"a PostgreSQL maintenance database URL (default: ${ENV_VAR})",
    )
    parser.add_argument(
        "--prefill", type=int, default=0, help="records in the ledger before the clients start"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or args.seconds <= 0 or args.warm_up < 0 or args.prefill < 0:
        parser.error("--clients and --seconds must be positive, --warm-up, --prefill not negative")
    postgres = None if args.no_postgres else args.postgres
    result = run(args.clients, args.seconds, args.warm_up, postgres, args.prefill)
    print()
    print_report(result)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.out}")
    failed = any(
        row["errors"] or row["stuck_clients"] or not row["ledger"]["verified"]
        for rows in result["backends"].values()
        for row in rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
