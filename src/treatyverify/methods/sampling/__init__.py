"""Attribute sampling plans, verifiable random item selection and inspection games.

How many declared items to verify so that a goal-quantity diversion is detected with
a chosen probability (:mod:`.attribute`), which items, drawn by commit-reveal among
the parties on the ledger (:mod:`.selection`), and how detection, false alarms and
sanctions deter violations (:mod:`.games`).
"""

from __future__ import annotations

from treatyverify.methods.sampling.attribute import (
    SAMPLE_SIZE_METHODS,
    AttributePlan,
    SampleSizeMethod,
    defects_to_divert,
    detection_probability,
    exact_sample_size,
    iaea_sample_size,
    non_detection_probability,
)
from treatyverify.methods.sampling.games import (
    ROC,
    FalseAlarmEquilibrium,
    InspectionPayoffs,
    NormalROC,
    SiteGameEquilibrium,
    deterrence_threshold,
    deterring_inspections,
    false_alarm_equilibrium,
    is_deterred,
    site_detection_probability,
    site_game_equilibrium,
)
from treatyverify.methods.sampling.selection import (
    PLAN_KIND,
    ItemSelection,
    open_item_draw,
    record_plan,
    select_items,
    verify_selection,
)

__all__ = [
    "PLAN_KIND",
    "ROC",
    "SAMPLE_SIZE_METHODS",
    "AttributePlan",
    "FalseAlarmEquilibrium",
    "InspectionPayoffs",
    "ItemSelection",
    "NormalROC",
    "SampleSizeMethod",
    "SiteGameEquilibrium",
    "defects_to_divert",
    "detection_probability",
    "deterrence_threshold",
    "deterring_inspections",
    "exact_sample_size",
    "false_alarm_equilibrium",
    "iaea_sample_size",
    "is_deterred",
    "non_detection_probability",
    "open_item_draw",
    "record_plan",
    "select_items",
    "site_detection_probability",
    "site_game_equilibrium",
    "verify_selection",
]
