"""The point model of passive neutron multiplicity counting.

The singles, doubles and triples rates of a plutonium item in a well counter are, in
the point model of [Boehnel1985] and [CifarelliHage1986] as written in [Ensslin1998]
section 5 (with ``x = (M - 1) / (nu_i1 - 1)``)::

    S = F eps M nu_s1 (1 + alpha)
    D = F eps^2 fd M^2 / 2 [nu_s2 + x nu_s1 (1 + alpha) nu_i2]
    T = F eps^3 ft M^3 / 6 [nu_s3 + x (3 nu_s2 nu_i2 + nu_s1 (1 + alpha) nu_i3)
                            + 3 x^2 nu_s1 (1 + alpha) nu_i2^2]

where ``F = (specific fission rate) * m240eff`` is the spontaneous fission rate, ``M``
the leakage multiplication, ``alpha`` the ratio of (alpha,n) to spontaneous-fission
neutrons, ``eps`` the detection efficiency and ``fd``, ``ft`` the doubles and triples
gate fractions. References are listed in :mod:`treatyverify.methods.neutron.constants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from treatyverify.errors import InputError
from treatyverify.methods.neutron.constants import (
    PU240_SF_PU239_INDUCED,
    PU240EFF_COEFF_PU238,
    PU240EFF_COEFF_PU242,
    PointModelConstants,
)

__all__ = [
    "PointModelSolution",
    "Rates",
    "exponential_gate_fractions",
    "predicted_rates",
    "pu_mass_from_m240eff",
    "solve_point_model",
]

# Relative tolerance under which a slightly negative cubic at M = 1 (rounding) is read
# as M = 1 exactly rather than as "no physical root".
_M_EQUALS_ONE_RTOL = 1e-10


@dataclass(frozen=True)
class Rates:
    """Singles, doubles and triples rates.

    Parameters
    ----------
    singles_per_s, doubles_per_s, triples_per_s
        The rates S, D and T (1/s).
    """

    singles_per_s: float
    doubles_per_s: float
    triples_per_s: float

    def as_array(self) -> NDArray[np.float64]:
        """Return ``[S, D, T]`` (1/s)."""
        return np.array([self.singles_per_s, self.doubles_per_s, self.triples_per_s])


@dataclass(frozen=True)
class PointModelSolution:
    """The item parameters solved from measured S, D, T.

    Parameters
    ----------
    m240eff_g
        240Pu-effective mass (g).
    multiplication
        Leakage multiplication M (dimensionless, >= 1).
    alpha
        Ratio of (alpha,n) to spontaneous-fission neutron rates (dimensionless).
    covariance
        3x3 covariance of ``(m240eff_g, multiplication, alpha)`` propagated from the
        covariance of ``(S, D, T)`` by the Jacobian of the solution (units: g^2, 1, 1
        on the diagonal); zeros when no uncertainty was given.
    """

    m240eff_g: float
    multiplication: float
    alpha: float
    covariance: NDArray[np.float64]

    @property
    def m240eff_sigma_g(self) -> float:
        """Standard deviation of the 240Pu-effective mass (g)."""
        return math.sqrt(max(float(self.covariance[0, 0]), 0.0))

    @property
    def multiplication_sigma(self) -> float:
        """Standard deviation of the leakage multiplication (dimensionless)."""
        return math.sqrt(max(float(self.covariance[1, 1]), 0.0))

    @property
    def alpha_sigma(self) -> float:
        """Standard deviation of alpha (dimensionless)."""
        return math.sqrt(max(float(self.covariance[2, 2]), 0.0))


def exponential_gate_fractions(
    die_away_s: float, predelay_s: float, gate_s: float
) -> tuple[float, float]:
    """Doubles and triples gate fractions of a detector with one exponential die-away.

    ``fd = exp(-P/tau) (1 - exp(-G/tau))`` and ``ft = fd**2`` ([Ensslin1998] section 5).

    Parameters
    ----------
    die_away_s
        Die-away time tau (s), > 0.
    predelay_s
        Pre-delay P (s), >= 0.
    gate_s
        Gate width G (s), > 0.

    Returns
    -------
    tuple of float
        ``(fd, ft)`` (dimensionless).
    """
    _require_positive(die_away_s, "die_away_s")
    _require_positive(gate_s, "gate_s")
    if not math.isfinite(predelay_s) or predelay_s < 0:
        raise InputError("must be a finite number >= 0", where="predelay_s")
    fd = math.exp(-predelay_s / die_away_s) * -math.expm1(-gate_s / die_away_s)
    return fd, fd * fd


def predicted_rates(
    m240eff_g: float,
    multiplication: float,
    alpha: float,
    *,
    efficiency: float,
    doubles_gate_fraction: float,
    triples_gate_fraction: float,
    constants: PointModelConstants = PU240_SF_PU239_INDUCED,
) -> Rates:
    """Singles, doubles and triples rates of an item in the point model.

    Parameters
    ----------
    m240eff_g
        240Pu-effective mass (g), >= 0.
    multiplication
        Leakage multiplication M (dimensionless), >= 1.
    alpha
        Ratio of (alpha,n) to spontaneous-fission neutrons (dimensionless), >= 0.
    efficiency
        Neutron detection efficiency (dimensionless), in (0, 1].
    doubles_gate_fraction, triples_gate_fraction
        Gate fractions fd and ft (dimensionless), in (0, 1].
    constants
        Nuclear data; the 240Pu/239Pu set of [Ensslin1998] by default.

    Returns
    -------
    Rates
        S, D and T (1/s).
    """
    if not math.isfinite(m240eff_g) or m240eff_g < 0:
        raise InputError("must be a finite mass >= 0 g", where="m240eff_g")
    if not math.isfinite(multiplication) or multiplication < 1:
        raise InputError("leakage multiplication must be >= 1", where="multiplication")
    if not math.isfinite(alpha) or alpha < 0:
        raise InputError("must be >= 0", where="alpha")
    _require_fraction(efficiency, "efficiency")
    _require_fraction(doubles_gate_fraction, "doubles_gate_fraction")
    _require_fraction(triples_gate_fraction, "triples_gate_fraction")
    c = constants
    fission_rate = c.specific_fission_rate_per_s_per_g * m240eff_g
    m = multiplication
    x = (m - 1.0) / (c.nu_i1 - 1.0)
    a1 = c.nu_s1 * (1.0 + alpha)
    eps = efficiency
    singles = fission_rate * eps * m * a1
    doubles = (
        fission_rate * eps**2 * doubles_gate_fraction * m**2 / 2.0 * (c.nu_s2 + x * a1 * c.nu_i2)
    )
    triples = (
        fission_rate
        * eps**3
        * triples_gate_fraction
        * m**3
        / 6.0
        * (c.nu_s3 + x * (3.0 * c.nu_s2 * c.nu_i2 + a1 * c.nu_i3) + 3.0 * x**2 * a1 * c.nu_i2**2)
    )
    return Rates(singles, doubles, triples)


def solve_point_model(
    singles_per_s: float,
    doubles_per_s: float,
    triples_per_s: float,
    *,
    efficiency: float,
    doubles_gate_fraction: float,
    triples_gate_fraction: float,
    sigma_per_s: tuple[float, float, float] | None = None,
    covariance: NDArray[np.float64] | None = None,
    constants: PointModelConstants = PU240_SF_PU239_INDUCED,
) -> PointModelSolution:
    """Solve the point model for the 240Pu-effective mass, multiplication and alpha.

    Eliminating the fission rate and alpha from the three equations leaves a cubic
    in the multiplication M, which is strictly increasing for M >= 1, so it has at
    most one physical root; alpha and the mass follow from it.

    Parameters
    ----------
    singles_per_s, doubles_per_s, triples_per_s
        Measured S, D and T (1/s); S > 0, D > 0, T > 0.
    efficiency
        Neutron detection efficiency (dimensionless), in (0, 1].
    doubles_gate_fraction, triples_gate_fraction
        Gate fractions fd and ft (dimensionless), in (0, 1].
    sigma_per_s
        Standard deviations of S, D, T (1/s), taken as uncorrelated. Give this or
        ``covariance`` or neither.
    covariance
        3x3 covariance of ``(S, D, T)`` (1/s^2).
    constants
        Nuclear data; the 240Pu/239Pu set of [Ensslin1998] by default.

    Returns
    -------
    PointModelSolution
        The mass (g), M, alpha and their covariance.

    Raises
    ------
    InputError
        Non-positive or non-finite rates, or rates with no physical solution
        (no root M >= 1, or a non-positive fission rate).
    """
    rates = {"singles_per_s": singles_per_s, "doubles_per_s": doubles_per_s}
    rates["triples_per_s"] = triples_per_s
    for name, value in rates.items():
        if not math.isfinite(value) or value <= 0:
            raise InputError("must be a finite rate > 0", where=name)
    _require_fraction(efficiency, "efficiency")
    _require_fraction(doubles_gate_fraction, "doubles_gate_fraction")
    _require_fraction(triples_gate_fraction, "triples_gate_fraction")
    cov = _rates_covariance(sigma_per_s, covariance)

    params = _invert(
        np.array([singles_per_s, doubles_per_s, triples_per_s]),
        efficiency,
        doubles_gate_fraction,
        triples_gate_fraction,
        constants,
    )
    out_cov = np.zeros((3, 3))
    if np.any(cov != 0):
        jac = _forward_jacobian(
            params, efficiency, doubles_gate_fraction, triples_gate_fraction, constants
        )
        inv = np.linalg.inv(jac)  # d(params)/d(rates) by the inverse function theorem
        out_cov = inv @ cov @ inv.T
    return PointModelSolution(
        m240eff_g=float(params[0]),
        multiplication=float(params[1]),
        alpha=float(params[2]),
        covariance=out_cov,
    )


def pu_mass_from_m240eff(m240eff_g: float, *, f238: float, f240: float, f242: float) -> float:
    """Total plutonium mass from the 240Pu-effective mass and the isotopic composition.

    ``m240eff = m_Pu (2.52 f238 + f240 + 1.68 f242)`` ([Ensslin1998]).

    Parameters
    ----------
    m240eff_g
        240Pu-effective mass (g), >= 0.
    f238, f240, f242
        Mass fractions of 238Pu, 240Pu and 242Pu in plutonium (dimensionless),
        each in [0, 1], summing to at most 1.

    Returns
    -------
    float
        Plutonium mass (g).
    """
    if not math.isfinite(m240eff_g) or m240eff_g < 0:
        raise InputError("must be a finite mass >= 0 g", where="m240eff_g")
    fractions = {"f238": f238, "f240": f240, "f242": f242}
    for name, value in fractions.items():
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise InputError("isotopic mass fraction must be in [0, 1]", where=name)
    if f238 + f240 + f242 > 1 + 1e-9:
        raise InputError("isotopic mass fractions sum to more than 1", where="f238+f240+f242")
    weight = PU240EFF_COEFF_PU238 * f238 + f240 + PU240EFF_COEFF_PU242 * f242
    if weight <= 0:
        raise InputError("no even isotope: 240Pu-effective fraction is 0", where="f240")
    return m240eff_g / weight


def _invert(
    rates: NDArray[np.float64],
    eps: float,
    fd: float,
    ft: float,
    c: PointModelConstants,
) -> NDArray[np.float64]:
    """``(m240eff_g, M, alpha)`` from ``(S, D, T)``; see :func:`solve_point_model`."""
    s = float(rates[0]) / eps  # = M A, with A = F nu_s1 (1 + alpha)
    d = 2.0 * float(rates[1]) / (eps**2 * fd)  # = M^2 (F nu_s2 + x nu_i2 A)
    t = 6.0 * float(rates[2]) / (eps**3 * ft)
    r = c.nu_s3 / c.nu_s2
    k = c.nu_i3 - r * c.nu_i2
    g = 1.0 / (c.nu_i1 - 1.0)
    # t = r d M + (M - 1) g (s k M^2 + 3 nu_i2 d M)
    coeffs = np.array(
        [
            s * k * g,
            -s * k * g + 3.0 * c.nu_i2 * d * g,
            -3.0 * c.nu_i2 * d * g + r * d,
            -t,
        ]
    )
    at_one = r * d - t
    if k <= 0:
        raise InputError(
            "nuclear data give no unique solution (nu_i3 <= nu_s3 nu_i2 / nu_s2)",
            where="constants",
        )
    if at_one > _M_EQUALS_ONE_RTOL * t:
        raise InputError(
            "triples too low for the doubles: no leakage multiplication M >= 1 fits",
            where="triples_per_s",
        )
    if at_one >= 0:
        mult = 1.0
    else:
        # The cubic is negative at M = 1 and strictly increasing beyond it: bracket
        # its one root there and refine it.
        upper = 2.0
        while np.polyval(coeffs, upper) <= 0:
            upper *= 2.0
            if upper > 1e6:  # pragma: no cover - the leading coefficient is > 0
                raise InputError("no real root M >= 1", where="triples_per_s")
        mult = float(
            brentq(lambda m: float(np.polyval(coeffs, m)), 1.0, upper, xtol=1e-15, rtol=1e-15)
        )
        mult = _newton_polish(coeffs, mult)
    x = (mult - 1.0) * g
    source = s / mult  # A = F nu_s1 (1 + alpha)
    fission_rate = (d / mult**2 - x * c.nu_i2 * source) / c.nu_s2
    if fission_rate <= 0:
        raise InputError(
            "doubles too low for the singles: the fitted fission rate is not positive",
            where="doubles_per_s",
        )
    alpha = source / (fission_rate * c.nu_s1) - 1.0
    mass = fission_rate / c.specific_fission_rate_per_s_per_g
    return np.array([mass, mult, alpha])


def _newton_polish(coeffs: NDArray[np.float64], root: float) -> float:
    deriv = np.polyder(coeffs)
    for _ in range(3):
        slope = float(np.polyval(deriv, root))
        if slope == 0:
            break
        root -= float(np.polyval(coeffs, root)) / slope
    return max(root, 1.0)


def _forward_jacobian(
    params: NDArray[np.float64],
    eps: float,
    fd: float,
    ft: float,
    c: PointModelConstants,
) -> NDArray[np.float64]:
    """d(S, D, T)/d(m240eff, M, alpha) by central differences of the forward model."""

    def forward(p: NDArray[np.float64]) -> NDArray[np.float64]:
        # The forward model without the domain checks, so that steps may cross M = 1
        # or alpha = 0 (the polynomial extends smoothly).
        f = c.specific_fission_rate_per_s_per_g * p[0]
        m, alpha = p[1], p[2]
        x = (m - 1.0) / (c.nu_i1 - 1.0)
        a1 = c.nu_s1 * (1.0 + alpha)
        return np.array(
            [
                f * eps * m * a1,
                f * eps**2 * fd * m**2 / 2.0 * (c.nu_s2 + x * a1 * c.nu_i2),
                f
                * eps**3
                * ft
                * m**3
                / 6.0
                * (
                    c.nu_s3
                    + x * (3.0 * c.nu_s2 * c.nu_i2 + a1 * c.nu_i3)
                    + 3.0 * x**2 * a1 * c.nu_i2**2
                ),
            ]
        )

    jac = np.empty((3, 3))
    scales = np.array([max(abs(float(params[0])), 1e-6), 1.0, 1.0])
    for j in range(3):
        h = 1e-5 * scales[j]
        up = params.copy()
        down = params.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (forward(up) - forward(down)) / (2.0 * h)
    return jac


def _rates_covariance(
    sigma: tuple[float, float, float] | None, covariance: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    if sigma is not None and covariance is not None:
        raise InputError("give sigma_per_s or covariance, not both", where="covariance")
    if sigma is not None:
        arr = np.asarray(sigma, dtype=float)
        if arr.shape != (3,) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise InputError("must be three finite standard deviations >= 0", where="sigma_per_s")
        return np.diag(arr**2)
    if covariance is not None:
        cov = np.asarray(covariance, dtype=float)
        if cov.shape != (3, 3) or not np.all(np.isfinite(cov)):
            raise InputError("must be a finite 3x3 matrix", where="covariance")
        if not np.allclose(cov, cov.T) or np.any(np.diag(cov) < 0):
            raise InputError("must be symmetric with a non-negative diagonal", where="covariance")
        return cov
    return np.zeros((3, 3))


def _require_fraction(value: float, where: str) -> None:
    if not math.isfinite(value) or not 0 < value <= 1:
        raise InputError("must be in (0, 1]", where=where)


def _require_positive(value: float, where: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise InputError("must be a finite number > 0", where=where)
