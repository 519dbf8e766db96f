"""The information barrier: runs a treaty's methods on sensitive data, releases verdicts.

The barrier holds the sensitive inputs of one item (:class:`SensitiveData`), runs
exactly the methods the treaty specification lists for the item's class, and lets out
of each only the outputs the specification declares in ``reveals`` (usually one
boolean, ``pass``). What leaves is a :class:`Release`: the method, the hash of its
code, a salted commitment to the inputs, a status and the declared outputs.

Statuses and reasons (every reason is one word of a fixed vocabulary, never text from
the data or from an exception):

- ``ok``: the method decided; the declared outputs are released.
- ``inconclusive``: the method measured the attribute but cannot decide it at the
  treaty's confidence (:class:`~treatyverify.errors.InconclusiveError`); the reason is
  one of :data:`INCONCLUSIVE_REASONS` and no output is released. It is never a pass.
- ``error``: the method could not run or refused the data; the reason is one of
  :data:`ERROR_REASONS` (the barrier's own, or a refusal of
  :data:`REFUSAL_REASONS` raised as :class:`~treatyverify.errors.MethodRefusedError`).

A code that is not in the vocabulary becomes ``method-failed``, and so does any other
exception; the exception's text, which could quote the data, is discarded. Nothing
here logs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from treatyverify.barrier.registry import MethodRegistry, OutputValue
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import (
    InconclusiveError,
    InputError,
    MethodRefusedError,
    UnknownNameError,
)
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.treaty.models import MethodSpec, TreatySpec

__all__ = [
    "ERROR_REASONS",
    "INCONCLUSIVE_REASONS",
    "REFUSAL_REASONS",
    "RELEASE_KIND",
    "RELEASE_STATUSES",
    "STATUS_ERROR",
    "STATUS_INCONCLUSIVE",
    "STATUS_OK",
    "InformationBarrier",
    "MeasurementResultBody",
    "Release",
    "record_releases",
]

RELEASE_KIND = "measurement_result"

STATUS_OK = "ok"
STATUS_INCONCLUSIVE = "inconclusive"
STATUS_ERROR = "error"
RELEASE_STATUSES: tuple[str, ...] = (STATUS_OK, STATUS_INCONCLUSIVE, STATUS_ERROR)
"""Every status a release can have."""

MISSING_INPUT = "missing-input"
METHOD_FAILED = "method-failed"
OUTPUT_MISSING = "declared-output-not-computed"
OUTPUT_INVALID = "output-not-a-scalar"

REFUSAL_REASONS: frozenset[str] = frozenset(
    {
        "needs-high-resolution",  # a line analysis that a scintillator cannot resolve
        "needs-energy-calibration",  # the spectrum has no energy calibration
        "energy-range-not-covered",  # the spectrum does not reach the method's lines
    }
)
"""Codes a method may give when it refuses the data (:class:`MethodRefusedError`).

Each names a property of the instrument or of the data's form, never of the item:
a released reason is a released symbol, and one that depended on the item (too few
counts, say) would tell the inspecting party something the treaty hides."""

ERROR_REASONS: frozenset[str] = (
    frozenset({MISSING_INPUT, METHOD_FAILED, OUTPUT_MISSING, OUTPUT_INVALID}) | REFUSAL_REASONS
)
"""Every reason an ``error`` release can carry."""

INCONCLUSIVE_REASONS: frozenset[str] = frozenset(
    {
        "bound-straddles-threshold",  # the confidence interval contains the threshold
        "uncertainty-above-maximum",  # the uncertainty exceeds the treaty's maximum
    }
)
"""Every reason an ``inconclusive`` release can carry (:class:`InconclusiveError`)."""


@dataclass(frozen=True)
class Release:
    """What one method lets out of the barrier for one item.

    Attributes
    ----------
    method_id
        The method's id in the treaty specification (e.g. ``"pu-isotopic-ratio"``).
    method
        The plugin name (e.g. ``"gamma.pu240-pu239-ratio"``).
    code_hash
        SHA-256 over the code and nuclear data of the method
        (:attr:`~treatyverify.barrier.registry.MethodPlugin.code_hash`).
    input_commitment
        Salted SHA-256 commitment to the item's sensitive inputs.
    status
        ``"ok"``; ``"inconclusive"`` when the method measured but could not decide at
        the treaty's confidence (never a pass); ``"error"`` when it could not run or
        refused the data.
    outputs
        The declared outputs, exactly the names in the specification's ``reveals``
        (empty unless the status is ``"ok"``).
    reason
        Unless the status is ``"ok"``: one of :data:`INCONCLUSIVE_REASONS` or
        :data:`ERROR_REASONS`; never text from the data.
    """

    method_id: str
    method: str
    code_hash: str
    input_commitment: str
    status: str
    outputs: dict[str, OutputValue]
    reason: str | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON form held in a ledger record."""
        body: dict[str, Any] = {
            "method_id": self.method_id,
            "method": self.method,
            "code_hash": self.code_hash,
            "input_commitment": self.input_commitment,
            "status": self.status,
            "outputs": dict(sorted(self.outputs.items())),
        }
        if self.reason is not None:
            body["reason"] = self.reason
        return body


_Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _ReleaseBody(BaseModel):
    """One :class:`Release` as :meth:`Release.to_body` writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    method_id: _Name
    method: _Name
    code_hash: _Sha256
    input_commitment: _Sha256
    status: Literal["ok", "inconclusive", "error"]
    outputs: dict[_Name, OutputValue]
    reason: str | None = None

    @model_validator(mode="after")
    def _says_only_what_the_barrier_may(self) -> _ReleaseBody:
        """Outputs only with ``ok``; otherwise a reason from the barrier's vocabulary, so
        that no text from the data can leave in a record, whoever signed it."""
        if self.status == STATUS_OK:
            if self.reason is not None:
                raise ValueError("a release with status ok gives no reason")
            return self
        if self.outputs:
            raise ValueError(f"a release with status {self.status} releases no output")
        vocabulary = INCONCLUSIVE_REASONS if self.status == STATUS_INCONCLUSIVE else ERROR_REASONS
        if self.reason not in vocabulary:
            raise ValueError(f"the reason of a {self.status} release is not one of the barrier's")
        return self


class MeasurementResultBody(BaseModel):
    """The body of a ``measurement_result`` record (for the record kind registry)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    item: _Name
    item_class: _Name
    releases: list[_ReleaseBody] = Field(min_length=1)


class InformationBarrier:
    """Runs the methods a treaty lists for an item class, behind the barrier.

    Parameters
    ----------
    spec
        The treaty specification; its ``methods`` for ``item_class`` decide what runs
        and what may be revealed.
    item_class
        The declared class of the item presented.
    registry
        The method implementations.
    method_ids
        Run only these of the treaty's methods for the class (for example the gamma
        attributes of a station that measures nothing else); all of them by default.
        An id the treaty does not list for the class is an error.
    """

    def __init__(
        self,
        spec: TreatySpec,
        item_class: str,
        registry: MethodRegistry,
        method_ids: Collection[str] | None = None,
    ) -> None:
        self.spec = spec
        self.item_class = item_class
        listed = spec.methods_for(item_class)
        if method_ids is not None:
            unknown = set(method_ids) - {m.id for m in listed}
            if unknown:
                raise UnknownNameError(
                    f"the treaty lists no method {', '.join(sorted(unknown))} for item class "
                    f"{item_class} (methods: {', '.join(m.id for m in listed)})",
                    where=f"{spec.id}: methods",
                )
            listed = tuple(m for m in listed if m.id in set(method_ids))
        self.methods: tuple[MethodSpec, ...] = listed
        self.registry = registry
        for method in self.methods:
            plugin = registry.get(method.method)
            undeclared = set(method.reveals) - plugin.outputs
            if undeclared:
                raise InputError(
                    f"the treaty reveals {', '.join(sorted(undeclared))}, which method "
                    f"{method.method} does not compute",
                    where=f"{spec.id}: methods.{method.id}.reveals",
                )

    def evaluate(self, data: SensitiveData) -> list[Release]:
        """Run every listed method on ``data``; return the releases, in spec order."""
        commitment = data.commitment()
        return [self._run(method, data, commitment) for method in self.methods]

    def _run(self, method: MethodSpec, data: SensitiveData, commitment: str) -> Release:
        plugin = self.registry.get(method.method)

        def failed(reason: str, status: str = STATUS_ERROR) -> Release:
            return Release(method.id, plugin.name, plugin.code_hash, commitment, status, {}, reason)

        if any(name not in data for name in plugin.inputs):
            return failed(MISSING_INPUT)
        # Only the code leaves, and only when it is a word of the vocabulary; the
        # message and any other exception's text could quote sensitive data.
        try:
            produced = dict(plugin.run(data, method))
        except InconclusiveError as exc:
            if _known(exc.code, INCONCLUSIVE_REASONS):
                return failed(exc.code, STATUS_INCONCLUSIVE)
            return failed(METHOD_FAILED)
        except MethodRefusedError as exc:
            return failed(exc.code if _known(exc.code, REFUSAL_REASONS) else METHOD_FAILED)
        except Exception:
            return failed(METHOD_FAILED)
        released: dict[str, OutputValue] = {}
        for name in method.reveals:
            if name not in produced:
                return failed(OUTPUT_MISSING)
            value = produced[name]
            if not isinstance(value, bool | int | float | str):
                return failed(OUTPUT_INVALID)
            released[name] = value
        return Release(method.id, plugin.name, plugin.code_hash, commitment, STATUS_OK, released)


def _known(code: object, vocabulary: frozenset[str]) -> bool:
    """Whether ``code`` is a word of ``vocabulary`` (a code of another type is not)."""
    return isinstance(code, str) and code in vocabulary


def record_releases(
    ledger: Ledger,
    signer: PartyKey,
    *,
    item: str,
    item_class: str,
    releases: Sequence[Release],
    ref: str | None = None,
    time: datetime | None = None,
) -> Record:
    """Append one signed ``measurement_result`` record holding the releases of an item."""
    if not releases:
        raise InputError("no releases to record", where=f"item {item}")
    body = {
        "item": item,
        "item_class": item_class,
        "releases": [release.to_body() for release in releases],
    }
    return ledger.append(RELEASE_KIND, body, signer, ref=ref, time=time)
