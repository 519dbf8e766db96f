"""Checks that span records: co-signatures name real findings, draw results recompute.

Used by the verifier over a whole ledger and by replication before it accepts records.
"""

from __future__ import annotations

from collections.abc import Sequence

from treatyverify.records import consensus, draws
from treatyverify.records.ledger import Record

__all__ = ["SEMANTIC_KINDS", "first_semantic_problem"]

SEMANTIC_KINDS = frozenset(
    consensus.CONSENSUS_KINDS
    | {consensus.COSIGN_KIND, consensus.DISSENT_KIND}
    | set(draws.DRAW_KINDS)
)
"""Record kinds whose meaning depends on earlier records."""


def first_semantic_problem(records: Sequence[Record]) -> tuple[int, str] | None:
    """Return ``(seq, reason)`` for the first unsound record, or None.

    ``records`` are the ledger's records of :data:`SEMANTIC_KINDS` in ledger order.
    """
    targets = {r.seq: r for r in records if r.kind in consensus.CONSENSUS_KINDS}
    positions = [r for r in records if r.kind in (consensus.COSIGN_KIND, consensus.DISSENT_KIND)]
    problem = consensus.check_positions(targets, positions)
    if problem is None:
        problem = draws.check_draw_results([r for r in records if r.kind in draws.DRAW_KINDS])
    return problem
