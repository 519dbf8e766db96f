"""Nuclear material accountancy: facility records, measurement errors, MUF and sigma-MUF.

:mod:`.model` describes a material balance area and its records, :mod:`.measurement_errors`
the random and systematic errors per method, :mod:`.balance` the MUF vector over balance
periods with its full covariance, :mod:`.io` the facility file format,
:mod:`.scenario` a seeded generator of reprocessing and enrichment plant years,
:mod:`.sequential` the tests on a sequence of balances (CUMUF, SITMUF, Page's test, GEMUF)
and :mod:`.detection` their detection probabilities, exact and by Monte Carlo.
See ``docs/accountancy.md`` and ``docs/accountancy-statistics.md``.
"""

from __future__ import annotations

from treatyverify.methods.accountancy.balance import MaterialBalance, material_balance
from treatyverify.methods.accountancy.detection import (
    MonteCarloEstimate,
    abrupt_loss_detection_probability,
    cumuf_detection_probability,
    gemuf_detection_probability,
    page_detection_probability_mc,
    single_period_detection_probabilities,
)
from treatyverify.methods.accountancy.io import load_facility, parse_facility
from treatyverify.methods.accountancy.measurement_errors import (
    ErrorModel,
    MethodErrors,
    default_error_model,
    parse_error_model,
)
from treatyverify.methods.accountancy.model import (
    BalancePeriod,
    Batch,
    Facility,
    InventoryChange,
    KeyMeasurementPoint,
    MaterialBalanceArea,
    PhysicalInventory,
)
from treatyverify.methods.accountancy.scenario import (
    NOTIONAL_ERRORS,
    abrupt,
    enrichment_plant,
    protracted,
    reprocessing_plant,
)
from treatyverify.methods.accountancy.sequential import (
    PageResult,
    cumuf,
    cumuf_test,
    gemuf_test,
    page_test,
    page_threshold,
    single_muf_test,
    sitmuf,
)

__all__ = [
    "NOTIONAL_ERRORS",
    "BalancePeriod",
    "Batch",
    "ErrorModel",
    "Facility",
    "InventoryChange",
    "KeyMeasurementPoint",
    "MaterialBalance",
    "MaterialBalanceArea",
    "MethodErrors",
    "MonteCarloEstimate",
    "PageResult",
    "PhysicalInventory",
    "abrupt",
    "abrupt_loss_detection_probability",
    "cumuf",
    "cumuf_detection_probability",
    "cumuf_test",
    "default_error_model",
    "enrichment_plant",
    "gemuf_detection_probability",
    "gemuf_test",
    "load_facility",
    "material_balance",
    "page_detection_probability_mc",
    "page_test",
    "page_threshold",
    "parse_error_model",
    "parse_facility",
    "protracted",
    "reprocessing_plant",
    "single_muf_test",
    "single_period_detection_probabilities",
    "sitmuf",
]
