"""Treaty specifications as data.

Every check in treatyverify reads its parameters from one treaty's specification,
a YAML file in ``src/treatyverify/treaties/`` validated into a frozen
:class:`TreatySpec`. There is no universal template and no default that silently
applies to all treaties: asking for a parameter a treaty lacks raises
:class:`~treatyverify.errors.SpecError` naming the treaty and the field; naming a
party or item class the treaty does not have raises
:class:`~treatyverify.errors.UnknownNameError`.

>>> from treatyverify.treaty import load_treaty
>>> spec = load_treaty("new-start")
>>> spec.limit("warheads").maximum
1550
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from treatyverify.treaty.loader import (
    list_treaties,
    load_treaty,
    parse_treaty_yaml,
    validate_treaty_file,
)
from treatyverify.treaty.models import (
    Deadline,
    DeclarationSchedule,
    DeclaredAbsorber,
    DetectorKind,
    DismantlementStep,
    DueRule,
    EfficiencyCurve,
    InspectionType,
    InstrumentProfile,
    ItemClass,
    Limit,
    MethodSpec,
    MonitoringNetwork,
    MonitoringSpec,
    NotificationType,
    Party,
    QuotaPeriod,
    RangeBand,
    SamplingSpec,
    ScreeningCriterion,
    SignificantQuantity,
    Stage,
    TimelinessGoal,
    TreatySpec,
)

if TYPE_CHECKING:
    from treatyverify.treaty.docs import index_markdown, treaty_markdown, write_docs

__all__ = [
    "Deadline",
    "DeclarationSchedule",
    "DeclaredAbsorber",
    "DetectorKind",
    "DismantlementStep",
    "DueRule",
    "EfficiencyCurve",
    "InspectionType",
    "InstrumentProfile",
    "ItemClass",
    "Limit",
    "MethodSpec",
    "MonitoringNetwork",
    "MonitoringSpec",
    "NotificationType",
    "Party",
    "QuotaPeriod",
    "RangeBand",
    "SamplingSpec",
    "ScreeningCriterion",
    "SignificantQuantity",
    "Stage",
    "TimelinessGoal",
    "TreatySpec",
    "index_markdown",
    "list_treaties",
    "load_treaty",
    "parse_treaty_yaml",
    "treaty_markdown",
    "validate_treaty_file",
    "write_docs",
]


_DOCS = frozenset({"index_markdown", "treaty_markdown", "write_docs"})


def __getattr__(name: str) -> Any:
    # The page generator is imported on first use, so that
    # ``python -m treatyverify.compliance.docs`` runs without a double import.
    if name in _DOCS:
        from treatyverify.treaty import docs

        return getattr(docs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
