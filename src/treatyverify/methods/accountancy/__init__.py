"""Nuclear material accountancy: facility records, measurement errors, MUF and sigma-MUF.

:mod:`.model` describes a material balance area and its records, :mod:`.measurement_errors`
the random and systematic errors per method, :mod:`.balance` the MUF vector over balance
periods with its full covariance, :mod:`.io` the facility file format,
:mod:`.scenario` a seeded generator of reprocessing and enrichment plant years,
:mod:`.sequential` the tests on a sequence of balances (CUMUF, SITMUF, Page's test, GEMUF),
:mod:`.detection` their detection probabilities, exact and by Monte Carlo,
:mod:`.reports` the accounting reports (ICR, PIL, MBR) that feed the balance, and
:mod:`.paired` and :mod:`.dstatistic` the verification of the operator's declarations
(paired data, gross and partial defect tests, the D statistic and MUF - D).
See ``docs/accountancy.md``, ``docs/accountancy-statistics.md`` and
``docs/accountancy-verification.md``.
"""

from __future__ import annotations

from treatyverify.methods.accountancy.balance import MaterialBalance, material_balance
from treatyverify.methods.accountancy.detection import (
    MonteCarloEstimate,
    abrupt_loss_detection_probability,
    cumuf_detection_probability,
    gemuf_detection_probability,
    page_detection_probability,
    page_detection_probability_mc,
    single_period_detection_probabilities,
)
from treatyverify.methods.accountancy.dstatistic import (
    DStatistic,
    Falsification,
    d_detection_probability,
    d_statistic,
    muf_minus_d,
    muf_minus_d_detection_probability,
    variables_sample_size,
    verify_declarations,
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
from treatyverify.methods.accountancy.paired import (
    PairedData,
    PairedResult,
    Stratum,
    attribute_sample_size,
    attribute_tests,
    load_paired,
    parse_paired,
)
from treatyverify.methods.accountancy.reports import (
    InventoryChangeReport,
    MaterialBalanceReport,
    PhysicalInventoryListing,
    load_report,
    material_balance_report,
    reports_to_facility,
    write_report,
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
    "DStatistic",
    "ErrorModel",
    "Facility",
    "Falsification",
    "InventoryChange",
    "InventoryChangeReport",
    "KeyMeasurementPoint",
    "MaterialBalance",
    "MaterialBalanceArea",
    "MaterialBalanceReport",
    "MethodErrors",
    "MonteCarloEstimate",
    "PageResult",
    "PairedData",
    "PairedResult",
    "PhysicalInventory",
    "PhysicalInventoryListing",
    "Stratum",
    "abrupt",
    "abrupt_loss_detection_probability",
    "attribute_sample_size",
    "attribute_tests",
    "cumuf",
    "cumuf_detection_probability",
    "cumuf_test",
    "d_detection_probability",
    "d_statistic",
    "default_error_model",
    "enrichment_plant",
    "gemuf_detection_probability",
    "gemuf_test",
    "load_facility",
    "load_paired",
    "load_report",
    "material_balance",
    "material_balance_report",
    "muf_minus_d",
    "muf_minus_d_detection_probability",
    "page_detection_probability",
    "page_detection_probability_mc",
    "page_test",
    "page_threshold",
    "parse_error_model",
    "parse_facility",
    "parse_paired",
    "protracted",
    "reports_to_facility",
    "reprocessing_plant",
    "single_muf_test",
    "single_period_detection_probabilities",
    "sitmuf",
    "variables_sample_size",
    "verify_declarations",
    "write_report",
]
