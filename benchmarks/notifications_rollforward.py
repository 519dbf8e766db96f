"""Speed of the roll-forward of holdings (issue 9): 100,000 notices over 5,000 items.

A seeded generator builds a baseline of 5,000 items (five item classes, 100 facilities)
and a stream of 100,000 valid notices, shuffled (so the roll-forward must sort them by
event time): about 85 % movements, 10 % conversions, 3 % eliminations and 2 % new
items. The notice bodies are built off the clock (they are the caller's data); the
timed call is :func:`treatyverify.notifications.rollforward.rollforward`, which parses
every event time, checks every field and applies the notices, followed by
:func:`check_declaration` against a declaration equal to the result (no mismatch).

Wall-clock time (``time.perf_counter``), median of ``--repeat`` rounds after one
warm-up round. Target (issue 9): < 2 s.

Run: ``.venv/bin/python benchmarks/notifications_rollforward.py [--repeat 5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine
from treatyverify.compliance.rollforward import check_declaration
from treatyverify.notifications.rollforward import Baseline, rollforward

TARGET_S = 2.0
"""Roll-forward of 100,000 notices over 5,000 items (issue 9)."""
CLASSES = ("deployed-icbm", "deployed-slbm", "deployed-heavy-bomber", "icbm-launcher", "slbm")


def generate(items: int, notices: int, seed: int) -> tuple[Baseline, list[dict[str, Any]]]:
    """A baseline and a valid, shuffled stream of notices (seeded)."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    held = {
        f"item-{k:05d}": (CLASSES[k % len(CLASSES)], f"facility-{k % 100:03d}")
        for k in range(items)
    }
    baseline = Baseline("baseline", "ru", t0, dict(held))
    names = list(held)
    stream: list[dict[str, Any]] = []
    next_item = items
    for n in range(notices):
        when = (t0 + timedelta(seconds=60 * (n + 1))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        draw = rng.random()
        item = names[rng.randrange(len(names))]
        item_class, facility = held[item]
        if draw < 0.85:
            target = f"facility-{rng.randrange(100):03d}"
            code, fields = (
                "movement",
                {"item": item, "from_facility": facility, "to_facility": target},
            )
            held[item] = (item_class, target)
        elif draw < 0.95:
            new_class = CLASSES[rng.randrange(len(CLASSES))]
            code, fields = "conversion", {"item": item, "new_class": new_class}
            held[item] = (new_class, facility)
        elif draw < 0.98 and len(names) > 1:
            code, fields = "elimination", {"item": item, "facility": facility}
            del held[item]
            names[names.index(item)] = names[-1]
            names.pop()
        else:
            item = f"item-{next_item:05d}"
            next_item += 1
            fields = {"item": item, "item_class": CLASSES[0], "facility": "facility-000"}
            code = "new-item"
            held[item] = (CLASSES[0], "facility-000")
            names.append(item)
        stream.append({"ref": f"n-{n:06d}", "code": code, "event_time": when, "fields": fields})
    rng.shuffle(stream)
    return baseline, stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260901)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    baseline, stream = generate(args.items, args.notices, args.seed)

    def once() -> tuple[float, int, int]:
        start = time.perf_counter()
        rolled = rollforward(baseline, stream)
        same = Baseline("declared", "ru", baseline.as_of, dict(rolled.items))
        findings = check_declaration(rolled, same)
        return time.perf_counter() - start, len(rolled.applied), len(findings)

    once()
    rounds = [once() for _ in range(args.repeat)]
    times = [r[0] for r in rounds]
    median = statistics.median(times)
    result = {
        "items": args.items,
        "notices": args.notices,
        "applied": rounds[0][1],
        "findings": rounds[0][2],
        "repeat": args.repeat,
        "median_s": median,
        "min_s": min(times),
        "max_s": max(times),
        "target_s": TARGET_S,
        "pass": median < TARGET_S,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"roll-forward of {args.notices:,} notices over {args.items:,} items: "
        f"median {median:.3f} s (min {min(times):.3f}, max {max(times):.3f}, "
        f"{args.repeat} rounds); target < {TARGET_S} s: {'PASS' if result['pass'] else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
