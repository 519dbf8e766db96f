"""Nuclear data for passive neutron multiplicity counting, each with its public source.

References
----------
[Ensslin1998]
    N. Ensslin, W. C. Harker, M. S. Krick, D. G. Langner, M. M. Pickrell and
    J. E. Stewart, "Application Guide to Neutron Multiplicity Counting",
    Los Alamos National Laboratory report LA-13422-M (November 1998), section 5
    ("Multiplicity mathematics"), table of the spontaneous- and induced-fission
    factorial moments, and the definition of the 240Pu-effective mass for
    multiplicity counting.
[Boehnel1985]
    K. Böhnel, "The effect of multiplication on the quantitative determination of
    spontaneously fissioning isotopes by neutron correlation analysis",
    Nucl. Sci. Eng. 90 (1985) 75-82 (the point model).
[CifarelliHage1986]
    D. M. Cifarelli and W. Hage, "Models for a three-parameter analysis of
    neutron signal correlation measurements for fissile material assay",
    Nucl. Instrum. Methods A 251 (1986) 550-563 (singles, doubles, triples).
[CroftFavalli2021]
    S. Croft and A. Favalli, "Review and evaluation of the spontaneous fission
    half-lives of 238Pu, 240Pu and 242Pu and the corresponding specific fission
    rates", Nuclear Data Sheets 175 (2021) 269-287: recommends
    (474.7 ± 3.7) fissions/s/g for 240Pu; quoted here for comparison only.
[Terrell1957]
    J. Terrell, "Distributions of fission neutron numbers",
    Phys. Rev. 108 (1957) 783-789 (the Gaussian model of P(nu), width about 1.08).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PU240EFF_COEFF_PU238",
    "PU240EFF_COEFF_PU242",
    "PU240_SF_PU239_INDUCED",
    "PU240_SPECIFIC_FISSION_RATE_PER_S_PER_G",
    "PointModelConstants",
]

PU240_SPECIFIC_FISSION_RATE_PER_S_PER_G = 473.0
"""Spontaneous fissions per second per gram of 240Pu [Ensslin1998], section 5.
[CroftFavalli2021] recommend 474.7 ± 3.7 (0.36 % higher)."""

PU240EFF_COEFF_PU238 = 2.52
"""Weight of 238Pu in the multiplicity 240Pu-effective mass [Ensslin1998]; the same
value is LANL's INCC6 default attributed to that guide and to the PANDA manual, ch. 16
(Defs/IsoAndStrat.cs, ``KValsForPu240e``). Other published sets differ by up to 8 %
(Ottmar et al., ESARDA 1999: 2.707 to 2.718)."""

PU240EFF_COEFF_PU242 = 1.68
"""Weight of 242Pu in the multiplicity 240Pu-effective mass [Ensslin1998]; INCC6 default
as for 238Pu (Ottmar et al., ESARDA 1999: 1.658 to 1.667)."""


@dataclass(frozen=True)
class PointModelConstants:
    """The nuclear data the point model needs.

    Parameters
    ----------
    nu_s1, nu_s2, nu_s3
        First, second and third factorial moments of the number of prompt neutrons
        from one spontaneous fission (dimensionless): sum nu P(nu),
        sum nu(nu-1) P(nu), sum nu(nu-1)(nu-2) P(nu).
    nu_i1, nu_i2, nu_i3
        The same for one induced fission (dimensionless).
    specific_fission_rate_per_s_per_g
        Spontaneous fissions per second per gram of the reference isotope (1/(s g)).
    """

    nu_s1: float
    nu_s2: float
    nu_s3: float
    nu_i1: float
    nu_i2: float
    nu_i3: float
    specific_fission_rate_per_s_per_g: float


PU240_SF_PU239_INDUCED = PointModelConstants(
    # 240Pu spontaneous fission: [Ensslin1998] section 5 table of factorial moments.
    # nu_s1 = 2.154 also agrees with the direct measurement 2.154 ± 0.028 relative to
    # 252Cf nu-bar = 3.80 (abstract at https://scilit.net/publications/3d8c8adf5c7bbc73be598c88ae55dd84).
    nu_s1=2.154,
    nu_s2=3.789,
    nu_s3=5.211,
    # 239Pu fission induced by fission-spectrum (about 2 MeV) neutrons: [Ensslin1998]
    # section 5 table of factorial moments. All six moments equal the defaults of LANL's
    # INCC6 multiplicity analysis (Defs/INCCAnPam.cs, ``multiplicity_rec``).
    nu_i1=3.163,
    nu_i2=8.240,
    nu_i3=17.321,
    specific_fission_rate_per_s_per_g=PU240_SPECIFIC_FISSION_RATE_PER_S_PER_G,
)
"""The standard constants for plutonium assay by multiplicity counting [Ensslin1998]."""
