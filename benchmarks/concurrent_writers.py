"""Concurrent writers on one SQLite ledger: nothing refused for no reason, lost or doubled.

``--writers`` processes (4 and 8 by default, in turn) each append ``--records`` records
to the same ledger file as fast as they can, each under its own party's key, with the
time taken by the ledger (the clock is read under the write lock). Then the ledger is
verified and counted:

- refused: appends that raised (target 0: every append here is valid);
- lost: records acknowledged to a writer but not in the ledger (target 0);
- doubled: references present more than once (target 0; the store refuses them anyway).

Usage: python benchmarks/concurrent_writers.py [--records 200] [--out results/x.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench_common import machine
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger

SPEC_DIGEST = "00" * 32
TREATY = "new-start"


def _key(party: str) -> PartyKey:
    seed = party.encode().ljust(32, b".")[:32]
    return PartyKey(party, Ed25519PrivateKey.from_private_bytes(seed))


def _writer(task: tuple[str, str, int]) -> tuple[str, list[str], list[str]]:
    """Append ``count`` records as ``party``; the references acknowledged, the errors."""
    path, party, count = task
    key = _key(party)
    acknowledged: list[str] = []
    errors: list[str] = []
    with Ledger.open(path) as ledger:
        for index in range(count):
            ref = f"{party}-{index}"
            try:
                ledger.append("note", {"text": f"writer note {index}"}, key, ref=ref)
                acknowledged.append(ref)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    return party, acknowledged, errors


def trial(writers: int, records: int) -> dict[str, Any]:
    parties = [f"p{k}" for k in range(writers)]
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "ledger.sqlite")
        Ledger.create(
            path,
            treaty=TREATY,
            spec_digest=SPEC_DIGEST,
            keys={p: _key(p).public for p in parties},
            consensus_parties=parties,
            opener=_key(parties[0]),
        ).close()
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(writers) as pool:
            results = pool.map(_writer, [(path, p, records) for p in parties])
        seconds = time.perf_counter() - started
        acknowledged = {ref for _p, refs, _e in results for ref in refs}
        errors = [e for _p, _refs, errs in results for e in errs]
        with Ledger.open(path) as ledger:
            report = verify_ledger(ledger)
            refs = Counter(r.ref for r in ledger.records() if r.ref is not None)
    return {
        "writers": writers,
        "records_each": records,
        "appended": sum(refs.values()),
        "refused": len(errors),
        "refusals": sorted(set(errors))[:5],
        "lost": len(acknowledged - set(refs)),
        "doubled": sum(1 for n in refs.values() if n > 1),
        "verified_size": report.size,
        "appends_per_second": round(sum(refs.values()) / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--writers", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    rows = [trial(w, options.records) for w in options.writers]
    document = {"machine": machine(), "trials": rows}
    print(json.dumps(document, indent=1))
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps(document, indent=1))


if __name__ == "__main__":
    main()
