"""Size and speed of a committed declaration: 1,550 warheads over 50 sites.

Measures, in one process: the time to commit to 50 per-site counts and prove that their
total is at most the limit (:func:`commit_declaration`), the time to verify the proof
(:meth:`CommittedDeclaration.verify`, which sums the site commitments itself), the time
to parse the JSON, and the sizes of the proof (binary, 160 bytes per bit proof) and of
the whole declaration as JSON. The optional per-site range proofs (``site_bits``) are
measured too, for information. Targets (issue brief): verify < 50 ms, proof < 20 kB.

Wall-clock time (``time.perf_counter``), median of ``--repeat`` rounds after one warm-up
call.

Run: ``.venv/bin/python benchmarks/zk_declaration.py [--repeat 20] [--json]``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysodium

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine
from treatyverify.methods.zk import CommittedDeclaration, ProofContext, commit_declaration

TARGET_VERIFY_S = 0.050
"""Verification time of the declaration's proof (issue brief)."""
TARGET_PROOF_BYTES = 20_000
"""Size of the proof (issue brief)."""

LIMIT = 1550  # New START Article II.1(b): deployed warheads
SITES = 50
CONTEXT = ProofContext("new-start", "us", "2026-09-01")


def site_counts(total: int, sites: int, seed: int) -> dict[str, int]:
    """``total`` warheads spread at random over ``sites`` sites (seeded)."""
    rng = random.Random(seed)
    counts = dict.fromkeys((f"site-{i:02d}" for i in range(sites)), 0)
    names = list(counts)
    for _ in range(total):
        counts[rng.choice(names)] += 1
    return counts


def median_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(site_bits: int | None, repeat: int) -> dict[str, Any]:
    """Prove, verify and parse times and sizes for one configuration."""
    counts = site_counts(LIMIT, SITES, seed=1)

    def prove() -> tuple[Any, Any]:
        return commit_declaration(
            counts, limit=LIMIT, context=CONTEXT, category="deployed-warheads", site_bits=site_bits
        )

    decl, _ = prove()
    if not decl.verify():
        raise SystemExit("an honest declaration failed to verify")
    text = decl.to_json()
    prove_s = median_seconds(prove, repeat)
    verify_s = median_seconds(decl.verify, repeat)
    parse_s = median_seconds(lambda: CommittedDeclaration.from_json(text), repeat)
    return {
        "site_bits": site_bits,
        "prove_ms": prove_s * 1e3,
        "verify_ms": verify_s * 1e3,
        "parse_json_ms": parse_s * 1e3,
        "proof_bytes": decl.proof_bytes(),
        "commitments_bytes": 32 * len(decl.sites),
        "json_bytes": len(text.encode()),
        "verify_pass": verify_s < TARGET_VERIFY_S,
        "size_pass": decl.proof_bytes() < TARGET_PROOF_BYTES,
    }


def libsodium_version() -> str:
    """The version string of the libsodium pysodium loaded."""
    version_string = pysodium.sodium.sodium_version_string
    version_string.restype = ctypes.c_char_p
    return str(version_string().decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {
        "machine": machine(libsodium=libsodium_version()),
        "limit": LIMIT,
        "sites": SITES,
        "total_only": measure(None, args.repeat),
        "with_site_ranges": measure(9, max(1, args.repeat // 4)),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["machine"]
    print(
        f"machine: {m['cpu_count']} CPUs ({m['cpu']}), Python {m['python']}, "
        f"libsodium {m['libsodium']}"
    )
    for key, label in (
        ("total_only", "total <= limit only"),
        ("with_site_ranges", "plus 9-bit range proof per site"),
    ):
        r = result[key]
        print(
            f"{LIMIT:,} warheads over {SITES} sites, {label}: prove {r['prove_ms']:.1f} ms, "
            f"verify {r['verify_ms']:.1f} ms (target < {TARGET_VERIFY_S * 1e3:g} ms: "
            f"{'PASS' if r['verify_pass'] else 'FAIL'}), parse {r['parse_json_ms']:.1f} ms"
        )
        print(
            f"  proof {r['proof_bytes']:,} B (target < {TARGET_PROOF_BYTES:,} B: "
            f"{'PASS' if r['size_pass'] else 'FAIL'}), commitments {r['commitments_bytes']:,} B, "
            f"JSON {r['json_bytes']:,} B"
        )


if __name__ == "__main__":
    main()
