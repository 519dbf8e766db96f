"""Shared test data for the treaty tests: a minimal valid specification."""

from __future__ import annotations

import copy
from typing import Any

import yaml

_MINIMAL: dict[str, Any] = {
    "id": "test-treaty",
    "name": "Test Treaty for unit tests",
    "short_name": "Test Treaty",
    "signed": "2020-01-01",
    "entered_into_force": "2020-07-01",
    "status": "in-force",
    "sources": ["unit test fixture"],
    "parties": [
        {"id": "aa", "name": "State A", "roles": ["inspecting", "inspected"]},
        {"id": "bb", "name": "State B", "roles": ["inspecting", "inspected"]},
    ],
    "item_classes": [
        {
            "id": "widget",
            "name": "Widgets",
            "description": "Test items.",
            "unit": "item",
            "source": "unit test fixture",
        },
        {
            "id": "gadget",
            "name": "Gadgets",
            "description": "Other test items.",
            "unit": "item",
            "source": "unit test fixture",
        },
    ],
    "limits": [
        {
            "id": "total",
            "description": "Widgets and gadgets",
            "counts": ["widget", "gadget"],
            "maximum": 100,
            "unit": "item",
            "effective": "2 years after entry into force",
            "source": "unit test fixture",
        }
    ],
    "inspections": [
        {
            "id": "routine",
            "name": "Routine inspection",
            "purpose": "Count widgets.",
            "annual_quota": 4,
            "source": "unit test fixture",
        }
    ],
    "methods": [
        {
            "id": "ratio",
            "item_class": "widget",
            "method": "gamma.pu240-pu239-ratio",
            "parameters": {"max_ratio": 0.1},
            "reveals": ["pass"],
            "source": "unit test fixture",
        }
    ],
    "stages": [
        {
            "id": "checks",
            "kind": "inspections",
            "name": "Checks",
            "measures": ["routine", "ratio"],
        }
    ],
}


def minimal_spec() -> dict[str, Any]:
    """A fresh deep copy of a minimal valid specification as plain data."""
    return copy.deepcopy(_MINIMAL)


def dump(data: dict[str, Any]) -> str:
    """YAML text of ``data``."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
