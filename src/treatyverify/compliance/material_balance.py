"""Findings on material balance reports: does the reported balance close?

A material balance report (MBR) states the beginning physical inventory, the increases
and decreases by type, their totals, the ending book inventory, the shipper/receiver
differences, the adjusted ending book inventory, the ending physical inventory and the
MUF (INFCIRC/153 (Corrected), entries of a material balance report, as quoted by the
Nuclear Safeguards Education Portal). A report whose totals are not the sums of its
lines is a finding that names those lines. See ``docs/accountancy-reports.md``.
"""

from __future__ import annotations

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError
from treatyverify.methods.accountancy.reports import (
    CLOSURE_TOLERANCE_KG,
    ClosureError,
    MaterialBalanceReport,
    change_types,
    closure_errors,
)

__all__ = ["RULE", "material_balance_finding", "require_closed"]

RULE = "accountancy:material-balance-closes"
"""Rule identifier of :func:`material_balance_finding`."""


def _source() -> str:
    return (
        "INFCIRC/153 (Corrected), entries of a material balance report (beginning "
        "physical inventory, inventory changes, ending book inventory, shipper/receiver "
        "differences, adjusted ending book inventory, ending physical inventory, MUF), "
        "as quoted in: " + change_types()["shipper-receiver-difference"].source
    )


def _what(report: MaterialBalanceReport) -> str:
    material = report.element + (f" ({report.isotope})" if report.isotope else "")
    return (
        f"MBR of {report.mba}, {report.period_start.isoformat()} .. "
        f"{report.period_end.isoformat()}, {material}"
    )


def _sentence(error: ClosureError) -> str:
    return (
        f"{error.line} is stated as {error.stated_kg:.6g} kg, but {error.formula} give "
        f"{error.computed_kg:.6g} kg (difference {error.difference_kg:+.6g} kg)"
    )


def material_balance_finding(
    report: MaterialBalanceReport, *, tolerance_kg: float = CLOSURE_TOLERANCE_KG
) -> Finding:
    """One finding: whether ``report`` closes, naming the lines that do not.

    Parameters
    ----------
    report
        The material balance report.
    tolerance_kg
        Largest difference (kg) taken as equal (default
        :data:`~treatyverify.methods.accountancy.reports.CLOSURE_TOLERANCE_KG`).

    Returns
    -------
    Finding
        ``compliant`` is true when every total is the sum of its lines; ``values``
        holds the MUF (kg) and, per line that does not close, the stated and computed
        values (kg) and the lines it is computed from.
    """
    errors = closure_errors(report, tolerance_kg=tolerance_kg)
    factor = 1.0 if report.unit == "kg" else 1.0e-3
    values: dict[str, object] = {
        "mba": report.mba,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "element": report.element,
        "isotope": report.isotope,
        "muf_kg": report.muf * factor,
        "not_closing": [
            {
                "line": e.line,
                "stated_kg": e.stated_kg,
                "computed_kg": e.computed_kg,
                "from_lines": list(e.from_lines),
            }
            for e in errors
        ],
    }
    if errors:
        statement = f"The {_what(report)} does not close: " + "; ".join(
            _sentence(e) for e in errors
        )
    else:
        statement = (
            f"The {_what(report)} closes: every total is the sum of its lines "
            f"(MUF {report.muf * factor:.6g} kg)."
        )
    return Finding(
        rule=RULE,
        subject=report.mba,
        statement=statement,
        compliant=not errors,
        values=values,
        source=_source(),
    )


def require_closed(
    report: MaterialBalanceReport, name: str, *, tolerance_kg: float = CLOSURE_TOLERANCE_KG
) -> None:
    """Raise :class:`InputError` naming ``name`` and the first line of ``report`` that
    does not close; return when the balance closes."""
    errors = closure_errors(report, tolerance_kg=tolerance_kg)
    if errors:
        first = errors[0]
        raise InputError(
            "the balance does not close: " + _sentence(first), where=f"{name}: {first.line}"
        )
