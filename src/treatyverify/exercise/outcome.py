"""What one exercise run established, read back from its ledger.

A run's outcome is never scored by a shortcut: alarms are the adopted (or disputed)
findings of non-compliance in the run's ledger, method results are the releases the
information barrier recorded, and the timeline is the ledger's records. Only the
*classification* of an alarm (did it concern something the host really did?) uses
the simulation's ground truth, which the parties never see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from treatyverify.barrier.barrier import STATUS_INCONCLUSIVE, STATUS_OK

__all__ = ["Alarm", "MethodResult", "RunOutcome", "TimelineEvent"]


@dataclass(frozen=True)
class Alarm:
    """A finding of non-compliance proposed in a run.

    Attributes
    ----------
    rule
        The finding's rule, for example ``"authentication:item"``.
    subject
        What the finding is about: an item, a site, a balance period or an event.
    seq
        The finding's record number in the run's ledger.
    status
        Consensus state of the finding: ``"adopted"``, ``"disputed"`` or ``"pending"``.
    cheating
        Ground truth: whether the subject was part of the host's violation (a
        detection) or not (a false alarm).
    """

    rule: str
    subject: str
    seq: int
    status: str
    cheating: bool


@dataclass(frozen=True)
class MethodResult:
    """One release of one method on one item, with the item's true kind.

    Attributes
    ----------
    method
        The treaty's method id (for example ``"pu-isotopic-ratio"``).
    item
        The item measured.
    item_kind
        Ground truth: what the item really is (for example ``"weapon-grade-pu"`` or
        ``"hoax-lead"``); used for the operating characteristic, never released.
    genuine
        Ground truth: whether the item is what the host declared.
    passed
        The released decision; ``None`` when the method ended inconclusive or in an
        error.
    status
        The release's status: ``"ok"``, ``"inconclusive"`` (measured but not decided at
        the treaty's confidence: never a pass; in practice the item would be measured
        again) or ``"error"``.
    """

    method: str
    item: str
    item_kind: str
    genuine: bool
    passed: bool | None
    status: str = STATUS_OK


@dataclass(frozen=True)
class TimelineEvent:
    """One record of the run's ledger, for the timeline plot.

    Attributes
    ----------
    time
        Record time (UTC, RFC 3339).
    kind
        Record kind (``declaration``, ``notification``, ``draw_open`` ...).
    party
        The signing party.
    label
        A short description (reference or rule), without sensitive values.
    """

    time: str
    kind: str
    party: str
    label: str


@dataclass(frozen=True)
class RunOutcome:
    """The outcome of one run of an exercise.

    Attributes
    ----------
    index
        Run number within its Monte Carlo batch (0-based).
    cheat
        Whether the host followed the scenario's violation in this run (``False`` in
        the compliant twin runs that measure false alarms).
    alarms
        Findings of non-compliance, with their ground-truth classification.
    method_results
        Every barrier release, by method and item.
    releases
        What left the information barrier: ``(method, output, value)`` per release.
    effort
        Inspection effort spent, by name (``inspections``, ``team_days``,
        ``measurements``, ``counting_time_s`` ...).
    events
        The run's ledger, record by record.
    records
        Number of records in the run's ledger.
    root
        Hex Merkle root of the run's ledger (identical for identical runs).
    verified
        Whether the run's ledger verified (signatures, chain, consensus, draws).
    report_status
        Consensus state of the run's final report.
    notes
        Short facts about how the run was made (from the regime).
    """

    index: int
    cheat: bool
    alarms: tuple[Alarm, ...]
    method_results: tuple[MethodResult, ...]
    releases: tuple[tuple[str, str, str], ...]
    effort: Mapping[str, float]
    events: tuple[TimelineEvent, ...] = field(repr=False)
    records: int
    root: str
    verified: bool
    report_status: str
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def inconclusive_items(self) -> tuple[str, ...]:
        """Items with an inconclusive attribute, which would be measured again."""
        return tuple(
            sorted({r.item for r in self.method_results if r.status == STATUS_INCONCLUSIVE})
        )

    @property
    def alarmed(self) -> bool:
        """Whether any finding of non-compliance was proposed."""
        return bool(self.alarms)

    @property
    def detected(self) -> bool:
        """Whether an alarm concerned something the host really did."""
        return any(alarm.cheating for alarm in self.alarms)

    @property
    def false_alarm(self) -> bool:
        """Whether an alarm concerned something the host did not do."""
        return any(not alarm.cheating for alarm in self.alarms)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the outcome (ground truth included)."""
        document = asdict(self)
        document["effort"] = dict(self.effort)
        document["notes"] = dict(self.notes)
        document["releases"] = [list(r) for r in self.releases]
        document["inconclusive_items"] = list(self.inconclusive_items)
        document["detected"] = self.detected
        document["false_alarm"] = self.false_alarm
        return document
