"""The lines of the uranium and plutonium isotopics fits, from the curated nuclear data.

Every energy, emission probability and uncertainty comes from
``methods/nucdata/gamma_lines.yaml`` (DDEP, LNHB Nucleide-Lara). Which nuclide each
line measures:

- uranium: U-235 by its own gamma lines; U-238 by the gamma lines of its daughter
  Pa-234m (1.16 min), in secular equilibrium a few months after the uranium was last
  purified (Th-234, 24.1 d, sets the pace), so that a Pa-234m line's probability per
  Pa-234m decay is its probability per U-238 decay;
- plutonium: Pu-238, Pu-239, Pu-240 and Am-241 by their own lines; Pu-241 by its own
  lines and by those of U-237 (6.75 d), fed by the 0.00244 % alpha branch of Pu-241
  and in equilibrium with it some weeks after separation;
- interfering nuclides: every tabulated nuclide that can sit in front of or inside an
  item: the natural background (Ra-226 and its daughters, the Th-232 chain, K-40),
  check and industrial sources (Cs-137, Co-60, Ba-133, Eu-152), neptunium and its
  daughter, Pu-238 in a uranium fit (its 766.4 keV line sits on Pa-234m's 766.4 keV)
  and U-235 and Pa-234m in a plutonium fit.

X-ray lines are not used: their natural widths and the fluorescence the item itself
excites make their areas depend on more than the decay data.
"""

from __future__ import annotations

from treatyverify.methods.gamma.isotopics import FitLine
from treatyverify.methods.nucdata.tables import nuclide

__all__ = [
    "ENERGY_RANGE_KEV",
    "NUISANCE_MIN_RELATIVE",
    "NUISANCE_NEIGHBOURHOOD_KEV",
    "PLUTONIUM_ITEM",
    "PU241_ALPHA_BRANCHING",
    "URANIUM_ANALYSIS_LINES_KEV",
    "URANIUM_ITEM",
    "interference_lines",
    "item_lines",
]

PU241_ALPHA_BRANCHING = 2.44e-5
"""Alpha branching of Pu-241 to U-237 (0.00244 %): DDEP recommended data, Pu-241,
evaluation KRI 2006 (LNHB Nucleide-Lara), as noted in ``gamma_lines.yaml``."""

URANIUM_ITEM: dict[str, tuple[tuple[str, float], ...]] = {
    "U-235": (("U-235", 1.0),),
    "U-238": (("Pa-234m", 1.0),),
}
"""Level name -> (tabulated nuclide, emissions per decay of the level's nuclide)."""

PLUTONIUM_ITEM: dict[str, tuple[tuple[str, float], ...]] = {
    "Pu-239": (("Pu-239", 1.0),),
    "Pu-240": (("Pu-240", 1.0),),
    "Pu-241": (("Pu-241", 1.0), ("U-237", PU241_ALPHA_BRANCHING)),
    "Am-241": (("Am-241", 1.0),),
    "Pu-238": (("Pu-238", 1.0),),
}

URANIUM_ANALYSIS_LINES_KEV: dict[str, tuple[float, ...]] = {
    "U-235": (143.767, 163.356, 185.720, 194.940, 202.12, 205.316),
    "U-238": (742.813, 766.361, 786.272, 1001.026, 1193.77, 1737.77, 1831.37),
}
"""The uranium lines tied to the efficiency curve (keV): the strong U-235 lines and the
Pa-234m lines of at least 1.5 % of the 1001 keV line, each emission probability known
to 2 % or better (DDEP). Weaker U-235 lines are fitted as free nuisance peaks: several
carry 10-15 % uncertainties, and above 200 keV some coincide with sum peaks of the
strong lines in a high-rate spectrum (185.7 + 185.7 keV at 371.4 keV)."""

ENERGY_RANGE_KEV: dict[str, tuple[float, float]] = {
    "U": (135.0, 1900.0),
    "Pu": (125.0, 680.0),
}
"""Energies fitted for each element (keV). The lower ends stay above the K X-rays of
uranium (Kbeta up to 115 keV) and plutonium (Kbeta up to 121 keV), whose areas the
item's own fluorescence changes; the upper ends take the last useful line."""

NUISANCE_MIN_RELATIVE = 0.01
"""Item lines that are not tied are fitted as free peaks when their emission probability
is at least this fraction of the strongest line of the same nuclide within
:data:`NUISANCE_NEIGHBOURHOOD_KEV`; weaker ones are left out. The comparison is local:
Pu-239's 637.8 keV line is 3 % of 129.3 keV's strength but a tenth of its neighbour at
645.9 keV, and a region around 640 keV is wrong without it."""

NUISANCE_NEIGHBOURHOOD_KEV = 15.0

_INTERFERENCES: tuple[str, ...] = (
    "Ra-226",
    "Pb-214",
    "Bi-214",
    "Ac-228",
    "Ra-224",
    "Pb-212",
    "Bi-212",
    "Tl-208",
    "Th-228",
    "K-40",
    "Cs-137",
    "Co-60",
    "Ba-133",
    "Eu-152",
    "Np-237",
    "Pa-233",
)


def _lines(level: str, sources: tuple[tuple[str, float], ...]) -> tuple[FitLine, ...]:
    out = []
    for name, per_decay in sources:
        for ln in nuclide(name).lines:
            if ln.kind != "gamma":
                continue
            sigma = (
                None
                if ln.intensity_unc_percent is None
                else ln.intensity_unc_percent / 100.0 * per_decay
            )
            out.append(FitLine(level, ln.energy_kev, ln.probability * per_decay, sigma))
    return tuple(sorted(out, key=lambda ln: ln.energy_kev))


def item_lines(element: str) -> dict[str, tuple[FitLine, ...]]:
    """Lines of the item nuclides of ``element`` (``"U"`` or ``"Pu"``), by level name.

    For uranium only :data:`URANIUM_ANALYSIS_LINES_KEV` keep their uncertainty (tied
    to the curve); for plutonium every line whose probability is known to 5 % or better
    does (:data:`~treatyverify.methods.gamma.isotopics.MAX_TIED_RELATIVE_UNCERTAINTY`).
    The others of at least :data:`NUISANCE_MIN_RELATIVE` of the nuclide's strongest
    line nearby become nuisance peaks (no uncertainty: not tied).
    """
    table = URANIUM_ITEM if element == "U" else PLUTONIUM_ITEM
    lo, hi = ENERGY_RANGE_KEV[element]
    out: dict[str, tuple[FitLine, ...]] = {}
    for level, sources in table.items():
        lines = [ln for ln in _lines(level, sources) if lo <= ln.energy_kev <= hi]
        if not lines:
            continue
        analysis = URANIUM_ANALYSIS_LINES_KEV.get(level) if element == "U" else None
        kept = []
        for ln in lines:
            chosen = (
                ln.tied
                if analysis is None
                else any(abs(ln.energy_kev - e) < 0.01 for e in analysis)
            )
            strongest = max(
                other.probability
                for other in lines
                if abs(other.energy_kev - ln.energy_kev) <= NUISANCE_NEIGHBOURHOOD_KEV
            )
            if chosen:
                kept.append(ln)
            elif ln.probability >= NUISANCE_MIN_RELATIVE * strongest:
                kept.append(FitLine(ln.nuclide, ln.energy_kev, ln.probability, None))
        out[level] = tuple(kept)
    return out


def interference_lines(element: str) -> dict[str, tuple[FitLine, ...]]:
    """Lines of the nuclides that may interfere with the fit of ``element``."""
    others = ("Pu-238",) if element == "U" else ("U-235", "Pa-234m")
    return {name: _lines(name, ((name, 1.0),)) for name in (*_INTERFERENCES, *others)}
