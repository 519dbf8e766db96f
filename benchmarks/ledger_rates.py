"""Append and verify rates of a SQLite record ledger, against bare Ed25519 (issue 2).

Measures, in one process and one run:

(a) the bare Ed25519 sign and verify rates of ``cryptography`` on the exact messages a
    ledger signs (``RECORD_DOMAIN || content``), single thread, a few seconds each, at
    three points: before the ledger is built (on envelopes encoded exactly as the
    ledger encodes them), between the appends and the verification, and after it (on
    content bytes read back from the ledger). A shared machine's speed drifts, so each
    ratio is taken against the higher of the two bare medians that bracket its part,
    so drift cannot flatter a ratio; a stricter reading, against the fastest bare
    median of the whole run, is printed and written too;
(b) the batched append rate of N declaration-like records into a fresh SQLite ledger
    (write-ahead log, ``synchronous=FULL``, as the library configures it), in batches
    of B through :meth:`Ledger.append_many`, two parties alternating batches;
(c) the single-record append rate (:meth:`Ledger.append`, one transaction each) on a
    smaller fresh ledger, for information;
(d) the :func:`verify_ledger` rate over the N-record ledger, reopened from disk;
(e) the ratios, and PASS/FAIL against the targets of issue 2: batched append at least
    0.5 of the bare sign rate, verify at least 0.7 of the bare verify rate.

Record bodies are generated one batch at a time, off the clock (they are the caller's
data, not the ledger's work); everything the ledger does with them (validation, canonical
encoding, signing, hashing, the SQL transaction and its fsync) is timed. Nothing is
cached between the parts: verification reopens the ledger from its file.

Usage::

    python benchmarks/ledger_rates.py                  # 100,000 records, batches of 1,000
    python benchmarks/ledger_rates.py --records 20000 --out results/ledger_rates.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cryptography
import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

import bench_common
from treatyverify.canonical import canonical_bytes
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import FORMAT_VERSION, RECORD_DOMAIN, Entry, Ledger
from treatyverify.records.verify import verify_ledger

TARGET_APPEND = 0.5
"""Batched append rate as a fraction of the bare Ed25519 sign rate (issue 2)."""
TARGET_VERIFY = 0.7
"""Verify rate as a fraction of the bare Ed25519 verify rate (issue 2)."""

TREATY = "new-start"
SPEC_DIGEST = "5" * 64
KIND = "declaration"
PARTIES = ("us", "ru")
ITEM_CLASSES = (
    "deployed-icbm",
    "deployed-slbm",
    "deployed-heavy-bomber",
    "deployed-icbm-launcher",
    "non-deployed-icbm-launcher",
    "deployed-slbm-launcher",
    "non-deployed-slbm-launcher",
    "non-deployed-heavy-bomber",
    "warheads-deployed-icbm",
    "warheads-deployed-slbm",
)
SITES = {
    "us": ("Malmstrom AFB", "Minot AFB", "F.E. Warren AFB", "Kings Bay", "Bangor", "Whiteman AFB"),
    "ru": ("Kozelsk", "Tatishchevo", "Uzhur", "Dombarovsky", "Gadzhiyevo", "Engels"),
}
SCHEDULES = ("initial-database", "six-month-update", "data-change")

SAMPLE_MESSAGES = 2000
"""How many distinct messages the bare rates cycle through."""


# ------------------------------------------------------------------------- workload


def make_bodies(
    count: int, party: str, rng: random.Random, start: int = 0
) -> list[tuple[str, dict[str, Any]]]:
    """Return ``count`` (ref, body) pairs: one-holding declarations, as ``submit_declaration``
    writes them (``Declaration.model_dump``), with references ``start`` onwards."""
    bodies = []
    for index in range(start, start + count):
        ref = f"{party}-2026-{index:07d}"
        body = {
            "ref": ref,
            "schedule": rng.choice(SCHEDULES),
            "as_of": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "holdings": [
                {
                    "item_class": rng.choice(ITEM_CLASSES),
                    "site": rng.choice(SITES[party]),
                    "count": rng.randint(0, 450),
                }
            ],
        }
        bodies.append((ref, body))
    return bodies


def iter_batches(records: int, batch: int, seed: int) -> Iterator[tuple[str, list[Entry]]]:
    """Yield ``records`` entries in batches of ``batch``, the two parties alternating.

    Batches are made one at a time, as a caller streaming submissions would, so the
    benchmark's own data never fills the heap the garbage collector walks.
    """
    rng = random.Random(seed)
    cursor = dict.fromkeys(PARTIES, 0)
    done = 0
    number = 0
    while done < records:
        party = PARTIES[number % len(PARTIES)]
        size = min(batch, records - done)
        chunk = make_bodies(size, party, rng, cursor[party])
        yield party, [Entry(KIND, body, ref) for ref, body in chunk]
        cursor[party] += size
        done += size
        number += 1


def create_ledger(path: Path, keys: dict[str, PartyKey]) -> Ledger:
    """Create a fresh two-party ledger at ``path``."""
    return Ledger.create(
        path,
        treaty=TREATY,
        spec_digest=SPEC_DIGEST,
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(keys),
        opener=keys[PARTIES[0]],
    )


def synthetic_messages(keys: dict[str, PartyKey], count: int, seed: int) -> list[bytes]:
    """Signed messages encoded exactly as :meth:`Ledger.append_many` encodes them."""
    rng = random.Random(seed)
    bodies = make_bodies(count, PARTIES[0], rng)
    key_ids = {p: k.key_id for p, k in keys.items()}
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    messages = []
    for index, (ref, body) in enumerate(bodies):
        party = PARTIES[index % 2]
        content = canonical_bytes(
            {
                "v": FORMAT_VERSION,
                "seq": 1 + rng.randrange(100_000),
                "prev": rng.randbytes(32).hex(),
                "treaty": TREATY,
                "kind": KIND,
                "party": party,
                "key": key_ids[party],
                "time": when,
                "ref": ref,
                "body": body,
            }
        )
        messages.append(RECORD_DOMAIN + content)
    return messages


def ledger_messages(ledger: Ledger, count: int) -> list[tuple[str, bytes, bytes]]:
    """(party, signed message, signature) of ``count`` records spread over the ledger."""
    size = ledger.size
    step = max(1, (size - 1) // count)
    sample = []
    for seq in range(1, size, step):
        record = ledger.get(seq)
        sample.append((record.party, RECORD_DOMAIN + record.content, record.signature))
        if len(sample) == count:
            break
    return sample


# ------------------------------------------------------------------------- bare rates


def timed_rounds(operation: Callable[[], int], seconds: float) -> dict[str, float]:
    """Run ``operation`` (returning its operation count) until ``seconds`` have passed.

    Returns the median, best and worst per-round rates (operations per second).
    """
    operation()  # warm up: first calls, allocator, caches
    rates: list[float] = []
    spent = 0.0
    while spent < seconds or len(rates) < 3:
        start = time.perf_counter()
        count = operation()
        elapsed = time.perf_counter() - start
        spent += elapsed
        rates.append(count / elapsed)
    return {
        "median": statistics.median(rates),
        "best": max(rates),
        "worst": min(rates),
        "rounds": len(rates),
        "seconds": spent,
    }


def bare_rates(
    signers: dict[str, Ed25519PrivateKey], messages: Sequence[tuple[str, bytes]], seconds: float
) -> dict[str, Any]:
    """Bare Ed25519 sign and verify rates over ``messages`` (party, message)."""
    signed = [(signers[p], m) for p, m in messages]
    verifiers: dict[str, Ed25519PublicKey] = {p: k.public_key() for p, k in signers.items()}
    to_verify = [(verifiers[p], signers[p].sign(m), m) for p, m in messages]

    def sign_all() -> int:
        for key, message in signed:
            key.sign(message)
        return len(signed)

    def verify_all() -> int:
        for key, signature, message in to_verify:
            key.verify(signature, message)
        return len(to_verify)

    lengths = [len(m) for _, m in messages]
    return {
        "message_bytes_mean": statistics.fmean(lengths),
        "message_bytes_min": min(lengths),
        "message_bytes_max": max(lengths),
        "distinct_messages": len(messages),
        "sign": timed_rounds(sign_all, seconds),
        "verify": timed_rounds(verify_all, seconds),
    }


# ------------------------------------------------------------------------- ledger parts


def append_batched(
    path: Path, keys: dict[str, PartyKey], records: int, batch: int
) -> dict[str, Any]:
    """Build a fresh ledger of ``records`` records by :meth:`Ledger.append_many`.

    Only the ``append_many`` calls are timed; each batch's entries are made just
    before its call.
    """
    ledger = create_ledger(path, keys)
    elapsed = 0.0
    transactions = 0
    try:
        for party, entries in iter_batches(records, batch, seed=2):
            start = time.perf_counter()
            ledger.append_many(entries, keys[party])
            elapsed += time.perf_counter() - start
            transactions += 1
        size = ledger.size
    finally:
        ledger.close()
    if size != records + 1:
        raise SystemExit(f"the ledger holds {size} records, expected {records + 1}")
    return {
        "records": records,
        "batch": batch,
        "transactions": transactions,
        "seconds": elapsed,
        "rate": records / elapsed,
        "us_per_record": elapsed / records * 1e6,
        "file_bytes": sum(f.stat().st_size for f in path.parent.glob(path.name + "*")),
    }


def append_single(path: Path, keys: dict[str, PartyKey], records: int) -> dict[str, Any]:
    """Build a fresh ledger of ``records`` records by one :meth:`Ledger.append` each."""
    entries = [(party, chunk[0]) for party, chunk in iter_batches(records, 1, seed=3)]
    ledger = create_ledger(path, keys)
    try:
        start = time.perf_counter()
        for party, entry in entries:
            ledger.append(entry.kind, entry.body, keys[party], ref=entry.ref)
        elapsed = time.perf_counter() - start
    finally:
        ledger.close()
    return {
        "records": records,
        "seconds": elapsed,
        "rate": records / elapsed,
        "us_per_record": elapsed / records * 1e6,
    }


def verify(path: Path, records: int) -> dict[str, Any]:
    """Reopen the ledger from disk and time :func:`verify_ledger` over all of it."""
    ledger = Ledger.open(path)
    try:
        start = time.perf_counter()
        report = verify_ledger(ledger)
        elapsed = time.perf_counter() - start
    finally:
        ledger.close()
    if report.size != records + 1:
        raise SystemExit(f"verified {report.size} records, expected {records + 1}")
    return {
        "records": report.size,
        "seconds": elapsed,
        "rate": report.size / elapsed,
        "us_per_record": elapsed / report.size * 1e6,
        "root": report.root,
    }


# ------------------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        from cryptography.hazmat.backends.openssl.backend import backend

        openssl = backend.openssl_version_text()
    except Exception:  # the backend's location is not public API
        openssl = "unknown"
    return bench_common.machine(
        python_implementation=platform.python_implementation(),
        cryptography=cryptography.__version__,
        openssl=openssl,
        sqlalchemy=sqlalchemy.__version__,
        sqlite=sqlite3.sqlite_version,
    )


BRACKETS = (
    ("before_append", "before the batched append (envelopes encoded as the ledger does)"),
    ("after_append", "between the appends and verify_ledger (content read from the ledger)"),
    ("after_verify", "after verify_ledger (content read from the ledger)"),
)


def print_report(result: dict[str, Any]) -> None:
    """Print the figures as a table."""
    m = result["machine"]
    print(
        f"machine: {m['cpu_count']} CPUs ({m['cpu']}), {m['platform']}, Python {m['python']}, "
        f"cryptography {m['cryptography']} ({m['openssl']}), SQLAlchemy {m['sqlalchemy']}, "
        f"SQLite {m['sqlite']}"
    )
    last = result["bare"]["after_verify"]
    print(
        f"messages: {last['message_bytes_mean']:.0f} bytes on average "
        f"({last['message_bytes_min']}-{last['message_bytes_max']}), "
        f"{last['distinct_messages']} distinct; load average at the start "
        f"{result['load_average'][0]:.2f}, at the end {result['load_average'][1]:.2f}"
    )
    print()
    rows: list[tuple[str, float, float | None, float | None]] = []
    for name, _ in BRACKETS:
        figures = result["bare"][name]
        label = name.replace("_", " ")
        rows.append((f"bare Ed25519 sign ({label})", figures["sign"]["median"], None, None))
        rows.append((f"bare Ed25519 verify ({label})", figures["verify"]["median"], None, None))
    batched, single, checked = result["append_batched"], result["append_single"], result["verify"]
    ratios, targets = result["ratios"], result["targets"]
    rows += [
        (
            f"append, batches of {batched['batch']} ({batched['records']:,} records)",
            batched["rate"],
            ratios["append_batched_to_sign"],
            targets["append_batched_to_sign"],
        ),
        (
            f"append, one per transaction ({single['records']:,})",
            single["rate"],
            ratios["append_single_to_sign"],
            None,
        ),
        (
            f"verify_ledger ({checked['records']:,} records)",
            checked["rate"],
            ratios["verify_to_verify"],
            targets["verify_to_verify"],
        ),
    ]
    print(f"{'measurement':<48} {'per s':>10} {'us each':>9} {'ratio':>7} {'target':>7}  result")
    for name, rate, ratio, target in rows:
        ratio_text = "" if ratio is None else f"{ratio:.3f}"
        target_text = "" if target is None else f">={target:.2f}"
        verdict = "" if ratio is None or target is None else ("PASS" if ratio >= target else "FAIL")
        print(
            f"{name:<48} {rate:>10,.0f} {1e6 / rate:>9.1f} {ratio_text:>7} "
            f"{target_text:>7}  {verdict}"
        )
    print()
    reference = result["reference"]
    print(
        f"reference rates: sign {reference['sign']:,.0f}/s (higher of the two medians around "
        f"the appends), verify {reference['verify']:,.0f}/s (higher of the two medians "
        "around verify_ledger)"
    )
    strict, fastest = result["ratios_to_fastest_bare"], result["fastest_bare"]
    print(
        f"stricter, against the fastest bare medians of the run (sign {fastest['sign']:,.0f}/s, "
        f"verify {fastest['verify']:,.0f}/s): append {strict['append_batched_to_sign']:.3f}, "
        f"verify {strict['verify_to_verify']:.3f}"
    )


def run(records: int, batch: int, single: int, bare_seconds: float) -> dict[str, Any]:
    """Run every part once and return the figures.

    The bare rates are measured three times, bracketing the ledger parts, because a
    shared machine's speed drifts: each ratio is taken against the higher of the two
    bare medians measured just before and just after the part it describes.
    """
    keys = {p: generate_party_key(p) for p in PARTIES}
    signers = {p: k.private_key for p, k in keys.items()}
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    bare: dict[str, dict[str, Any]] = {}
    print(f"bare Ed25519 rates ({bare_seconds:g} s each) on ledger-shaped messages ...")
    synthetic = synthetic_messages(keys, SAMPLE_MESSAGES, seed=1)
    bare["before_append"] = bare_rates(
        signers, [(PARTIES[i % 2], m) for i, m in enumerate(synthetic)], bare_seconds
    )
    with tempfile.TemporaryDirectory(prefix="ledger-rates-") as directory:
        big = Path(directory) / "ledger.sqlite"
        print(f"batched append of {records:,} records in batches of {batch:,} ...")
        batched = append_batched(big, keys, records, batch)
        print(f"single-record append of {single:,} records ...")
        one_by_one = append_single(Path(directory) / "single.sqlite", keys, single)
        with Ledger.open(big) as ledger:
            sample = ledger_messages(ledger, SAMPLE_MESSAGES)
        for party, message, signature in sample[:100]:  # the ledger signed what we measure
            signers[party].public_key().verify(signature, message)
        messages = [(party, message) for party, message, _ in sample]
        print("bare Ed25519 rates on content bytes read from the ledger ...")
        bare["after_append"] = bare_rates(signers, messages, bare_seconds)
        print(f"verify_ledger over {records + 1:,} records ...")
        checked = verify(big, records)
        print("bare Ed25519 rates again ...")
        bare["after_verify"] = bare_rates(signers, messages, bare_seconds)
    reference = {
        "sign": max(bare[name]["sign"]["median"] for name in ("before_append", "after_append")),
        "verify": max(bare[name]["verify"]["median"] for name in ("after_append", "after_verify")),
    }
    ratios = {
        "append_batched_to_sign": batched["rate"] / reference["sign"],
        "append_single_to_sign": one_by_one["rate"] / reference["sign"],
        "verify_to_verify": checked["rate"] / reference["verify"],
    }
    fastest = {op: max(figures[op]["median"] for figures in bare.values()) for op in reference}
    strict = {
        "append_batched_to_sign": batched["rate"] / fastest["sign"],
        "verify_to_verify": checked["rate"] / fastest["verify"],
    }
    targets = {"append_batched_to_sign": TARGET_APPEND, "verify_to_verify": TARGET_VERIFY}
    return {
        "issue": 2,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "load_average": [load_start, os.getloadavg()[0]],
        "parameters": {
            "records": records,
            "batch": batch,
            "single_records": single,
            "bare_seconds": bare_seconds,
            "parties": list(PARTIES),
            "kind": KIND,
        },
        "bare": bare,
        "reference": reference,
        "append_batched": batched,
        "append_single": one_by_one,
        "verify": checked,
        "ratios": ratios,
        "fastest_bare": fastest,
        "ratios_to_fastest_bare": strict,
        "targets": targets,
        "pass": {name: ratios[name] >= target for name, target in targets.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="ledger size (records)")
    parser.add_argument("--batch", type=int, default=1000, help="records per append_many")
    parser.add_argument(
        "--single", type=int, default=2000, help="records appended one per transaction"
    )
    parser.add_argument(
        "--bare-seconds", type=float, default=3.0, help="seconds per bare sign or verify rate"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    if args.records < 1 or args.batch < 1 or args.single < 1 or args.bare_seconds <= 0:
        parser.error("--records, --batch, --single and --bare-seconds must be positive")
    result = run(args.records, args.batch, args.single, args.bare_seconds)
    print()
    print_report(result)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.out}")
    if args.check and not all(result["pass"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
