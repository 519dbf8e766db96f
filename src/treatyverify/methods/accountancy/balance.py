"""MUF (inventory difference), sigma-MUF and CUMUF with full error propagation.

For balance period ``i`` (IAEA Safeguards Glossary, 2022 edition, "material
unaccounted for"):

    MUF_i = PB_i + X_i - Y_i - PE_i

with PB the beginning physical inventory, X the receipts, Y the shipments and measured
discards, PE the ending physical inventory. PE_i and PB_{i+1} are the same measured
inventory, so consecutive MUFs share it with opposite signs.

Every MUF is a linear form ``MUF = C m`` of the measured masses ``m_j`` (coefficients
``C_ij`` in {+1, -1, 0}). Under the multiplicative model of
:mod:`.measurement_errors`, with relative components ``c`` of measurement ``j``,

    cov(m_j, m_k) = m_j m_k [ delta_jk sum_c sr_c**2
                             + sum_{c in j, c' in k} [c = c' and same calibration] ss_c**2 ]

so that the covariance of the MUF vector is

    Sigma = R R^T + S S^T,   R_ij = C_ij m_j sqrt(sum_c sr_c**2),
                             S_ig = ss_g sum_{j measured with g} C_ij m_j,

``g`` running over (method, calibration period) groups. The measured masses stand in
for the unknown true ones, as usual in first-order propagation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.model import Batch, Facility

__all__ = ["MaterialBalance", "material_balance"]


@dataclass(frozen=True)
class MaterialBalance:
    """MUFs of consecutive balance periods and their covariance.

    Parameters
    ----------
    element, isotope
        What was balanced (``isotope`` is ``None`` for the element).
    period_ids
        The balance periods, in order.
    muf_kg
        MUF per period, kg (positive: material missing).
    covariance_kg2
        Full covariance matrix of ``muf_kg``, kg².
    beginning_kg, receipts_kg, removals_kg, ending_kg
        PB, X, Y and PE per period, kg.
    """

    element: str
    isotope: str | None
    period_ids: tuple[str, ...]
    muf_kg: NDArray[np.float64]
    covariance_kg2: NDArray[np.float64]
    beginning_kg: NDArray[np.float64]
    receipts_kg: NDArray[np.float64]
    removals_kg: NDArray[np.float64]
    ending_kg: NDArray[np.float64]

    @property
    def sigma_muf_kg(self) -> NDArray[np.float64]:
        """Standard deviation of each MUF (sigma-MUF), kg."""
        return np.sqrt(np.diag(self.covariance_kg2))

    @property
    def correlation(self) -> NDArray[np.float64]:
        """Correlation matrix of the MUFs (dimensionless)."""
        sigma = self.sigma_muf_kg
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = self.covariance_kg2 / np.outer(sigma, sigma)
        return np.where(np.outer(sigma, sigma) > 0, corr, 0.0)

    @property
    def cumuf_kg(self) -> NDArray[np.float64]:
        """Cumulative MUF after each period, kg."""
        return np.cumsum(self.muf_kg)

    @property
    def cumuf_variance_kg2(self) -> NDArray[np.float64]:
        """Variance of each cumulative MUF, kg² (``1^T Sigma[:n, :n] 1``)."""
        lower = np.tril(np.ones_like(self.covariance_kg2))
        result: NDArray[np.float64] = np.einsum("ij,jk,ik->i", lower, self.covariance_kg2, lower)
        return result


def _selected(batch: Batch, element: str, isotope: str | None) -> bool:
    return batch.element == element and batch.isotope == isotope


def material_balance(
    facility: Facility, element: str, isotope: str | None = None
) -> MaterialBalance:
    """MUF vector and its full covariance for every period of ``facility``.

    Parameters
    ----------
    facility
        Accountancy records.
    element
        ``"U"``, ``"Pu"`` or ``"Th"``: only batches of this element enter.
    isotope
        ``None`` to balance element masses, or an isotope (e.g. ``"U-235"``) to balance
        the batches that give that isotope's mass.

    Returns
    -------
    MaterialBalance
        MUF per period (kg), covariance (kg²), and the PB, X, Y, PE terms.

    Raises
    ------
    InputError
        If no batch of that element (and isotope) is in the records.
    """
    n_periods = len(facility.periods)
    rows: list[NDArray[np.float64]] = []  # coefficient column per measurement
    masses: list[float] = []
    random_var: list[float] = []
    groups: list[list[tuple[str, int]]] = []

    def add(batch: Batch, coeffs: dict[int, float], time: datetime) -> None:
        column = np.zeros(n_periods)
        for period, value in coeffs.items():
            column[period] = value
        rows.append(column)
        masses.append(batch.mass_kg)
        random_var.append(sum(facility.error_model.get(m).random_rsd ** 2 for m in batch.methods))
        groups.append([(m, facility.calibration_index(m, time)) for m in batch.methods])

    pb = np.zeros(n_periods)
    pe = np.zeros(n_periods)
    x = np.zeros(n_periods)
    y = np.zeros(n_periods)
    for k, inventory in enumerate(facility.inventories):
        coeffs: dict[int, float] = {}
        if k < n_periods:
            coeffs[k] = 1.0
        if k > 0:
            coeffs[k - 1] = -1.0
        for item in inventory.items:
            if not _selected(item, element, isotope):
                continue
            add(item, coeffs, inventory.time)
            if k < n_periods:
                pb[k] += item.mass_kg
            if k > 0:
                pe[k - 1] += item.mass_kg
    for i, period in enumerate(facility.periods):
        for change in period.changes:
            if not _selected(change.batch, element, isotope):
                continue
            add(change.batch, {i: float(change.sign)}, change.time)
            if change.sign > 0:
                x[i] += change.batch.mass_kg
            else:
                y[i] += change.batch.mass_kg
    if not rows:
        what = element if isotope is None else f"{element} ({isotope})"
        raise InputError(f"no batch of {what} in the records", where="element")

    coeff = np.stack(rows, axis=1)  # periods x measurements
    mass = np.asarray(masses)
    weighted = coeff * mass  # C_ij m_j
    random_part = weighted * np.sqrt(np.asarray(random_var))
    covariance = random_part @ random_part.T
    group_ids = sorted({g for gs in groups for g in gs})
    index = {g: n for n, g in enumerate(group_ids)}
    membership = np.zeros((len(masses), len(group_ids)))
    for j, gs in enumerate(groups):
        for g in gs:
            membership[j, index[g]] += 1.0
    sigma_s = np.asarray([facility.error_model.get(g[0]).systematic_rsd for g in group_ids])
    systematic_part = (weighted @ membership) * sigma_s  # periods x groups
    covariance = covariance + systematic_part @ systematic_part.T
    muf = pb + x - y - pe
    return MaterialBalance(
        element=element,
        isotope=isotope,
        period_ids=tuple(p.id for p in facility.periods),
        muf_kg=muf,
        covariance_kg2=covariance,
        beginning_kg=pb,
        receipts_kg=x,
        removals_kg=y,
        ending_kg=pe,
    )
