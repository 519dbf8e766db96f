"""One run's world: party keys, a ledger, a clock, random streams and the common steps.

Every run of an exercise plays through the same library calls a real regime uses:
records are signed and chained in a fresh ledger, inspections are chosen by
commit-reveal draws in which every party takes part, item measurements pass through
the information barrier and are recorded as its releases, findings are proposed and
co-signed (or disputed), and the run ends with a co-signed report and a full
verification of its ledger. The outcome is then read back from that ledger.

Keys and draw secrets are derived from the run's seed so that a run can be repeated
exactly; they are simulation keys and must never sign anything real.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from treatyverify.barrier.barrier import (
    RELEASE_KIND,
    STATUS_OK,
    InformationBarrier,
    Release,
    record_releases,
)
from treatyverify.barrier.sensitive import SALT_BYTES, SensitiveData
from treatyverify.compliance.findings import (
    FINDING_KIND,
    REPORT_KIND,
    Finding,
    submit_finding,
    submit_report,
)
from treatyverify.exercise.outcome import Alarm, MethodResult, RunOutcome, TimelineEvent
from treatyverify.exercise.regime import RunTruth
from treatyverify.exercise.scenario import ScenarioBase, ScenarioError
from treatyverify.records import consensus, draws
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.records.verify import verify_ledger
from treatyverify.treaty import TreatySpec

__all__ = ["DISPUTE_REASON", "RunContext", "simulation_key"]

DISPUTE_REASON = "the host does not accept this finding (exercise host strategy)"

_KEY_DOMAIN = b"treatyverify exercise simulation key\x00"


def simulation_key(party: str, entropy: bytes) -> PartyKey:
    """A deterministic Ed25519 key for ``party`` in one run (never for real records)."""
    seed = hashlib.sha256(_KEY_DOMAIN + entropy + party.encode("utf-8")).digest()
    return PartyKey(party, Ed25519PrivateKey.from_private_bytes(seed))


class RunContext:
    """The ledger, keys, clock and random streams of one run.

    Parameters
    ----------
    spec
        The treaty specification in force.
    scenario
        The validated scenario (one sweep point).
    index
        Run number in its batch.
    cheat
        Whether the host follows the scenario's violation in this run.
    seed
        The run's seed sequence; its children drive keys, draw secrets and physics.
    directory
        An empty folder for the run's ledger.

    Attributes
    ----------
    rng
        The run's generator for the simulated world (hidden item properties,
        measurement noise, host behaviour).
    """

    def __init__(
        self,
        spec: TreatySpec,
        scenario: ScenarioBase,
        *,
        index: int,
        cheat: bool,
        seed: np.random.SeedSequence,
        directory: Path,
    ) -> None:
        self.spec = spec
        self.scenario = scenario
        self.index = index
        self.cheat = cheat
        key_seed, secret_seed, world_seed = seed.spawn(3)
        entropy = key_seed.generate_state(8).tobytes()
        self.keys: dict[str, PartyKey] = {
            party.id: simulation_key(party.id, entropy) for party in spec.parties
        }
        self._secrets = np.random.default_rng(secret_seed)
        self.rng = np.random.default_rng(world_seed)
        self.now = scenario.timeline.start
        self.end = scenario.timeline.end
        self.ledger = Ledger.create(
            directory / "ledger.sqlite",
            treaty=spec.id,
            spec_digest=spec.digest(),
            keys={party: key.public for party, key in self.keys.items()},
            consensus_parties=spec.consensus_parties(),
            opener=self.keys[scenario.host],
            time=self.now,
        )
        self.proposed: list[Record] = []

    # Time -------------------------------------------------------------------------

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by ``delta`` (``timedelta`` keywords); return the time."""
        return self.move_to(self.now + timedelta(**delta))

    def move_to(self, moment: datetime) -> datetime:
        """Move the clock to ``moment`` (never backwards); return the time."""
        if moment > self.end:
            raise ScenarioError(
                f"the run needs time up to {moment.isoformat()}, after the timeline ends",
                loc=("timeline", "end"),
            )
        self.now = max(self.now, moment)
        return self.now

    # Steps ------------------------------------------------------------------------

    def draw(
        self,
        draw_id: str,
        *,
        purpose: str,
        population: Sequence[str],
        count: int,
        opener: str,
    ) -> list[str]:
        """Choose ``count`` of ``population`` by commit-reveal among all parties."""
        opened = self.now
        draws.open_draw(
            self.ledger,
            self.keys[opener],
            draw_id,
            purpose=purpose,
            population=list(population),
            count=count,
            commit_by=opened + timedelta(hours=2),
            reveal_by=opened + timedelta(hours=4),
            time=opened,
        )
        secrets = {party: self._secrets.bytes(32) for party in sorted(self.keys)}
        for party in sorted(self.keys):
            draws.commit(
                self.ledger, self.keys[party], draw_id, secrets[party], time=self.advance(minutes=5)
            )
        for party in sorted(self.keys):
            draws.reveal(
                self.ledger, self.keys[party], draw_id, secrets[party], time=self.advance(minutes=5)
            )
        result = draws.settle(self.ledger, self.keys[opener], draw_id, time=self.advance(minutes=1))
        return [str(label) for label in result.body["selected"]]

    def sensitive(self, values: Mapping[str, Any]) -> SensitiveData:
        """Wrap hidden values for the barrier, salted from the run's stream (repeatable)."""
        return SensitiveData(values, salt=self._secrets.bytes(SALT_BYTES))

    def measure(
        self,
        barrier: InformationBarrier,
        data: SensitiveData,
        *,
        item: str,
        by: str,
        ref: str | None = None,
    ) -> tuple[list[Release], Record]:
        """Run the barrier's methods on ``data``; record the releases, signed by ``by``.

        Returns the releases and their ``measurement_result`` record.
        """
        releases = barrier.evaluate(data)
        record = record_releases(
            self.ledger,
            self.keys[by],
            item=item,
            item_class=barrier.item_class,
            releases=releases,
            ref=ref,
            time=self.advance(minutes=1),
        )
        return releases, record

    def propose(self, finding: Finding, *, by: str) -> Record:
        """Propose ``finding`` and collect every other party's co-signature or dissent.

        The host dissents from findings of non-compliance about itself when the scenario
        says so (``host_disputes``); every other party co-signs.
        """
        record = submit_finding(self.ledger, self.keys[by], finding, time=self.advance(minutes=1))
        for party in sorted(self.ledger.consensus_parties):
            if party == by:
                continue
            when = self.advance(minutes=1)
            disputes = (
                party == self.scenario.host
                and finding.subject == self.scenario.host
                and not finding.compliant
                and self.scenario.host_disputes
            )
            if disputes:
                consensus.dissent(
                    self.ledger, record.seq, self.keys[party], DISPUTE_REASON, time=when
                )
            else:
                consensus.cosign(self.ledger, record.seq, self.keys[party], time=when)
        self.proposed.append(record)
        return record

    # Close-out --------------------------------------------------------------------

    def finish(self, truth: RunTruth, *, by: str) -> RunOutcome:
        """Report every finding (co-signed by all), verify the ledger, read the outcome."""
        try:
            alarms = [r for r in self.proposed if not r.body["compliant"]]
            summary = (
                f"{len(self.proposed)} findings, {len(alarms)} of non-compliance"
                if self.proposed
                else "no findings"
            )
            report = submit_report(
                self.ledger,
                self.keys[by],
                f"{self.scenario.title}, run {self.index}",
                self.proposed,
                summary,
                time=self.advance(minutes=5),
            )
            for party in sorted(self.ledger.consensus_parties):
                if party != by:
                    consensus.cosign(
                        self.ledger, report.seq, self.keys[party], time=self.advance(minutes=1)
                    )
            verification = verify_ledger(
                self.ledger,
                trusted_keys={p: k.public for p, k in self.keys.items()},
                clock=self.now,
            )
            return _read_outcome(
                self.ledger,
                index=self.index,
                cheat=self.cheat,
                truth=truth,
                report_seq=report.seq,
                root=verification.root,
            )
        finally:
            self.ledger.close()


def _read_outcome(
    ledger: Ledger,
    *,
    index: int,
    cheat: bool,
    truth: RunTruth,
    report_seq: int,
    root: str,
) -> RunOutcome:
    """Build the run's outcome from its ledger; ground truth only classifies."""
    records = list(ledger.records())
    alarms = []
    method_results = []
    releases: list[tuple[str, str, str]] = []
    events = []
    for record in records:
        events.append(TimelineEvent(record.time, record.kind, record.party, _label(record)))
        if record.kind == FINDING_KIND and not record.body["compliant"]:
            subject = str(record.body["values"].get("item", record.body["subject"]))
            state = consensus.consensus_state(ledger, record.seq)
            alarms.append(
                Alarm(
                    rule=str(record.body["rule"]),
                    subject=subject,
                    seq=record.seq,
                    status=state.status,
                    cheating=subject in truth.cheating_subjects,
                )
            )
        elif record.kind == RELEASE_KIND:
            item = str(record.body["item"])
            kind, genuine = truth.items.get(item, ("unknown", True))
            for release in record.body["releases"]:
                outputs = release.get("outputs", {})
                status = str(release.get("status"))
                # Only an ``ok`` release decides; an inconclusive one is never a pass.
                passed = outputs.get("pass") if status == STATUS_OK else None
                method_results.append(
                    MethodResult(
                        method=str(release["method_id"]),
                        item=item,
                        item_kind=kind,
                        genuine=genuine,
                        passed=passed if isinstance(passed, bool) else None,
                        status=status,
                    )
                )
                if status != STATUS_OK:  # the status and its reason left the barrier too
                    releases.append((str(release["method_id"]), "status", status))
                    if release.get("reason") is not None:
                        releases.append(
                            (str(release["method_id"]), "reason", str(release["reason"]))
                        )
                for name, value in sorted(outputs.items()):
                    releases.append((str(release["method_id"]), str(name), _value_text(value)))
    return RunOutcome(
        index=index,
        cheat=cheat,
        alarms=tuple(alarms),
        method_results=tuple(method_results),
        releases=tuple(releases),
        effort=dict(truth.effort),
        events=tuple(events),
        records=len(records),
        root=root,
        verified=True,
        report_status=consensus.consensus_state(ledger, report_seq).status,
        notes=dict(truth.notes),
    )


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _label(record: Record) -> str:
    """A short, non-sensitive description of a record for the timeline."""
    body = record.body
    if record.kind == FINDING_KIND:
        verdict = "compliant" if body.get("compliant") else "non-compliance"
        return f"{body.get('rule')}: {verdict}"
    if record.kind == REPORT_KIND:
        return str(body.get("summary", "report"))
    if record.kind == RELEASE_KIND:
        return f"item {body.get('item')}"
    for name in ("draw", "ref", "code", "item", "target"):
        if name in body:
            return f"{name} {body[name]}"
    return record.ref or record.kind
