"""Random selection of items to verify, through the ledger's commit-reveal draw.

The inspector first records the attribute sampling plan (``sampling_plan`` record,
reference = draw identifier): the plan's parameters, the sample size method and the
resulting sample size ``n``. It then opens a draw of ``n`` items out of the declared
item list with :func:`treatyverify.records.draws.open_draw`; every consensus party
commits to and reveals a secret, and the draw is settled. No randomness is made
here: the selection is :func:`treatyverify.records.draws.compute_outcome` over the
ledger's draw records, so anyone holding the ledger recomputes the sample size from
the recorded plan and the selected items from the revealed secrets
(:func:`verify_selection`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from treatyverify.errors import DrawError, InputError, VerificationError
from treatyverify.methods.sampling.attribute import (
    SAMPLE_SIZE_METHODS,
    AttributePlan,
    SampleSizeMethod,
)
from treatyverify.records import draws
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record, parse_time

__all__ = [
    "PLAN_KIND",
    "ItemSelection",
    "open_item_draw",
    "record_plan",
    "select_items",
    "verify_selection",
]

PLAN_KIND = "sampling_plan"
"""Record kind of an attribute sampling plan; its reference is the draw identifier."""

_PURPOSE = "attribute verification item"
_OPEN, _RESULT = "draw_open", "draw_result"  # kinds in treatyverify.records.draws.DRAW_KINDS


@dataclass(frozen=True)
class ItemSelection:
    """Items selected for verification, as recomputed from the ledger.

    Attributes
    ----------
    draw
        Draw identifier.
    plan
        The recorded attribute sampling plan.
    method
        Sample size method (``"iaea"`` or ``"exact"``).
    sample_size
        Number of items selected, ``n``.
    selected
        Selected item identifiers, in draw order.
    seed
        Hexadecimal seed of the draw.
    detection_probability
        Probability that the sample holds a falsified item if a goal quantity was
        diverted (hypergeometric, see :mod:`.attribute`).
    plan_seq, result_seq
        Sequence numbers of the plan record and of the ``draw_result`` record (None
        when the draw has not been settled).
    """

    draw: str
    plan: AttributePlan
    method: SampleSizeMethod
    sample_size: int
    selected: list[str]
    seed: str
    detection_probability: float
    plan_seq: int
    result_seq: int | None


def _check_method(method: str) -> SampleSizeMethod:
    for known in SAMPLE_SIZE_METHODS:
        if method == known:
            return known
    raise InputError(
        f"unknown sample size method {method!r}; use one of {', '.join(SAMPLE_SIZE_METHODS)}",
        where="method",
    )


def _check_items(plan: AttributePlan, items: Sequence[str]) -> list[str]:
    labels = list(items)
    if len(labels) != plan.items:
        raise InputError(
            f"the plan is for {plan.items} items but {len(labels)} were listed", where="items"
        )
    return labels


def record_plan(
    ledger: Ledger,
    signer: PartyKey,
    draw: str,
    plan: AttributePlan,
    *,
    method: SampleSizeMethod = "iaea",
    time: datetime | None = None,
) -> Record:
    """Append the ``sampling_plan`` record for ``draw`` (before the draw is opened).

    Parameters
    ----------
    draw
        Identifier of the draw that will select the items.
    plan
        The attribute sampling plan.
    method
        ``"iaea"`` (``ceil(N (1 - beta^(1/r)))``) or ``"exact"`` (hypergeometric).
    time
        UTC time of the record (now when omitted).
    """
    chosen = _check_method(method)
    body = {
        "draw": draw,
        "plan": plan.to_body(),
        "method": chosen,
        "defects": plan.defects,
        "sample_size": plan.sample_size(chosen),
    }
    return ledger.append(PLAN_KIND, body, signer, ref=draw, time=time)


def open_item_draw(
    ledger: Ledger,
    signer: PartyKey,
    draw: str,
    plan: AttributePlan,
    items: Sequence[str],
    *,
    commit_by: datetime,
    reveal_by: datetime,
    method: SampleSizeMethod = "iaea",
    time: datetime | None = None,
) -> tuple[Record, Record]:
    """Record the plan and open a draw of its sample size out of ``items``.

    Parameters
    ----------
    items
        The declared item identifiers (distinct); as many as ``plan.items``.
    commit_by, reveal_by
        UTC deadlines of the draw's commitments and reveals.
    method, time
        As in :func:`record_plan`; both records carry ``time``.

    Returns
    -------
    The ``sampling_plan`` record and the ``draw_open`` record.
    """
    labels = _check_items(plan, items)
    if len(set(labels)) != len(labels):
        raise InputError("the item identifiers must be distinct", where="items")
    when = time or datetime.now(UTC)
    plan_record = record_plan(ledger, signer, draw, plan, method=method, time=when)
    opening = draws.open_draw(
        ledger,
        signer,
        draw,
        purpose=_PURPOSE,
        population=labels,
        count=int(plan_record.body["sample_size"]),
        commit_by=commit_by,
        reveal_by=reveal_by,
        time=when,
    )
    return plan_record, opening


def select_items(
    ledger: Ledger,
    keys: Mapping[str, PartyKey],
    draw: str,
    plan: AttributePlan,
    items: Sequence[str],
    *,
    opener: str,
    method: SampleSizeMethod = "iaea",
    start: datetime | None = None,
    step: timedelta = timedelta(seconds=1),
    secrets: Mapping[str, bytes] | None = None,
) -> ItemSelection:
    """Run the whole selection on one ledger when every party's key is at hand.

    Records the plan, opens the draw, lets every consensus party commit and then
    reveal, settles the draw and returns the selection as :func:`verify_selection`
    recomputes it. (Where the parties sign on separate machines, each calls
    :func:`treatyverify.records.draws.commit` and ``reveal`` itself after
    :func:`open_item_draw`.)

    Parameters
    ----------
    keys
        Signing keys by party; must include every consensus party of the ledger.
    opener
        Party that records the plan, opens and settles the draw (the inspector).
    start
        UTC time of the plan record (now when omitted); each later record is
        ``step`` after the one before, commitments close at ``start + 1 h`` at the
        earliest and reveals at ``start + 2 h``.
    secrets
        Each party's 32-byte secret (fresh from the OS CSPRNG when omitted).
    """
    parties = list(ledger.consensus_parties)
    missing = [p for p in parties if p not in keys]
    if missing or opener not in keys:
        raise InputError(f"no signing key for {', '.join(missing or [opener])}", where="keys")
    begin = start or datetime.now(UTC)
    steps = 2 * len(parties) + 2
    commit_by = begin + max(timedelta(hours=1), step * (len(parties) + 1))
    reveal_by = commit_by + max(timedelta(hours=1), step * (steps + 1))
    open_item_draw(
        ledger,
        keys[opener],
        draw,
        plan,
        items,
        commit_by=commit_by,
        reveal_by=reveal_by,
        method=method,
        time=begin,
    )
    chosen = {p: (secrets[p] if secrets and p in secrets else draws.new_secret()) for p in parties}
    clock = begin
    for party in parties:
        clock += step
        draws.commit(ledger, keys[party], draw, chosen[party], time=clock)
    for party in parties:
        clock += step
        draws.reveal(ledger, keys[party], draw, chosen[party], time=clock)
    clock += step
    draws.settle(ledger, keys[opener], draw, time=clock)
    return verify_selection(ledger, draw)


def _plan_record(records: Iterable[Record], draw: str) -> Record:
    for record in records:
        if record.kind == PLAN_KIND and record.body.get("draw") == draw:
            return record
    raise DrawError(f"no sampling plan was recorded for draw {draw!r}", where=f"draw {draw}")


def verify_selection(
    ledger: Ledger | Sequence[Record], draw: str, *, now: datetime | None = None
) -> ItemSelection:
    """Recompute a selection from the ledger alone and check it.

    Checks that the recorded sample size and defect count follow from the recorded
    plan, that the draw was opened after the plan by the same party with that sample
    size over as many items as the plan declares, and that the ``draw_result``
    record (when present) equals the recomputation from the commitments and reveals.

    Parameters
    ----------
    ledger
        The ledger, or its records in order.
    draw
        Draw identifier.
    now
        UTC time at which to judge an unsettled draw (a party that has not revealed
        by its deadline counts as defaulted); ignored once a result is recorded.

    Raises
    ------
    DrawError
        No plan or no draw was recorded, or the draw cannot be computed yet.
    VerificationError
        A recorded number disagrees with its recomputation.
    """
    kinds = (PLAN_KIND, *draws.DRAW_KINDS)
    source = ledger.records(kinds=kinds) if isinstance(ledger, Ledger) else ledger
    records = [r for r in source if r.kind in kinds and r.body.get("draw") == draw]
    plan_record = _plan_record(records, draw)
    where = f"record {plan_record.seq}"
    try:
        plan = AttributePlan.from_body(plan_record.body["plan"], where=where)
        method = _check_method(plan_record.body["method"])
    except (KeyError, TypeError, InputError) as exc:
        raise VerificationError(
            f"the sampling plan is malformed ({exc})", seq=plan_record.seq
        ) from None
    sample_size = plan.sample_size(method)
    if (
        plan_record.body.get("sample_size") != sample_size
        or plan_record.body.get("defects") != plan.defects
    ):
        raise VerificationError(
            f"the recorded sample size does not follow from the plan (expected n = {sample_size}, "
            f"r = {plan.defects})",
            seq=plan_record.seq,
        )
    draw_records = [r for r in records if r.kind in draws.DRAW_KINDS]
    openings = [r for r in draw_records if r.kind == _OPEN]
    if not openings:
        raise DrawError(f"no draw {draw!r} was opened", where=f"draw {draw}")
    opening = openings[0]
    if opening.seq < plan_record.seq or opening.party != plan_record.party:
        raise VerificationError(
            "the draw was not opened after the plan by the party that recorded it",
            seq=opening.seq,
        )
    if opening.body["count"] != sample_size or len(opening.body["population"]) != plan.items:
        raise VerificationError(
            f"the draw selects {opening.body['count']} of {len(opening.body['population'])} "
            f"items, the plan {sample_size} of {plan.items}",
            seq=opening.seq,
        )
    results = [r for r in draw_records if r.kind == _RESULT]
    before = [r for r in draw_records if r.kind != _RESULT]
    if results:
        result = results[0]
        outcome = draws.compute_outcome(
            [r for r in before if r.seq < result.seq], draw, now=parse_time(result.time)
        )
        if outcome.to_body() != result.body:
            raise VerificationError(
                f"draw {draw} does not match its recomputation from the ledger", seq=result.seq
            )
    else:
        outcome = draws.compute_outcome(before, draw, now=now)
    return ItemSelection(
        draw=draw,
        plan=plan,
        method=method,
        sample_size=sample_size,
        selected=list(outcome.selected),
        seed=outcome.seed,
        detection_probability=plan.detection_probability(sample_size),
        plan_seq=plan_record.seq,
        result_seq=results[0].seq if results else None,
    )
