"""Analytic test problems run through the experiment engine in place of the model.

Like SALib's shipped test functions, they let tests check that the design pipeline (sampling,
seeding, store, resume, PRIM, NSGA-II) recovers a known answer. Each is a ``RunSpec.model``
function: ``(params, steps, seed) -> {scalar output: value}``; they read a few declared
parameters and write their answer into declared scalar output names (the store's columns).
"""

from __future__ import annotations

import math
from typing import Any

# ZDT1 with two variables (Zitzler, Deb & Thiele 2000, Evolutionary Computation 8(2), 173-195):
# x1, x2 in [0, 1] are the two levers scaled over these ranges; both objectives are minimised
# and the Pareto front is x2 = 0, f2 = 1 - sqrt(f1) with f1 in [0, 1].
ZDT1_LEVERS = {"landfill_tax_eur_per_t": (0.0, 100.0), "investment_grant_share": (0.0, 0.5)}
ZDT1_OUTPUTS = ("total_public_spending_eur", "total_landfilled_t")
ZDT1_MODEL = "analysis.test_problems:zdt1"

# A planted box over two uncertainties: the "failure" output is 1 inside, 0 outside.
PLANTED_BOX = {"trust_threshold": (0.3, 0.6), "awareness_mean": (0.5, 1.0)}
PLANTED_OUTPUT = "total_co2_avoided_t"
PLANTED_MODEL = "analysis.test_problems:planted_box"


def _unit(params: dict[str, Any], name: str, low: float, high: float) -> float:
    return (float(params[name]) - low) / (high - low)


def zdt1(params: dict[str, Any], steps: int, seed: int) -> dict[str, float]:
    """ZDT1 of the two levers of ``ZDT1_LEVERS``; the seed only adds noise common to all.

    The seed's noise is the same for every candidate (common random numbers), so it shifts
    every candidate's mean over replications by the same amount and leaves the front's shape
    and the Pareto set unchanged.
    """
    x1 = _unit(params, "landfill_tax_eur_per_t", *ZDT1_LEVERS["landfill_tax_eur_per_t"])
    x2 = _unit(params, "investment_grant_share", *ZDT1_LEVERS["investment_grant_share"])
    g = 1.0 + 9.0 * x2
    f1 = x1
    f2 = g * (1.0 - math.sqrt(f1 / g))
    noise = ((seed % 1000) / 1000.0 - 0.5) * 0.01
    return {ZDT1_OUTPUTS[0]: f1 + noise, ZDT1_OUTPUTS[1]: f2 + noise}


def planted_box(params: dict[str, Any], steps: int, seed: int) -> dict[str, float]:
    """1.0 where every uncertainty of ``PLANTED_BOX`` lies in its interval, else 0.0."""
    inside = all(low <= float(params[name]) <= high for name, (low, high) in PLANTED_BOX.items())
    return {PLANTED_OUTPUT: 1.0 if inside else 0.0}


# A model with a known answer for calibration: two outputs that rise linearly with two
# uncertainties, plus seeded noise; calibrating against outputs simulated at TOY_TRUTH must give
# a posterior that covers it.
TOY_TRUTH = {"trust_threshold": 0.6, "awareness_mean": 0.3}
TOY_NOISE = 0.02
TOY_MODEL = "analysis.test_problems:toy_linear"


def toy_linear(params: dict[str, Any], steps: int, seed: int) -> dict[str, float]:
    """``total_co2_avoided_t`` = trust threshold, ``total_exchanged_t`` = awareness, + noise."""
    import numpy as np

    noise = np.random.default_rng(seed).normal(0.0, TOY_NOISE, 2)
    return {
        "total_co2_avoided_t": float(params["trust_threshold"]) + float(noise[0]),
        "total_exchanged_t": float(params["awareness_mean"]) + float(noise[1]),
        "total_landfilled_t": float(params["trust_threshold"]) + float(params["awareness_mean"]),
    }


# A model that lies dormant over most of the prior, as a new park whose firms do not look for
# partners: below ``DORMANT_BELOW`` awareness every output is 0, so those draws all share one
# distance to the observation; above it, it is ``toy_linear``.
DORMANT_BELOW = 0.6
DORMANT_MODEL = "analysis.test_problems:toy_dormant"


def toy_dormant(params: dict[str, Any], steps: int, seed: int) -> dict[str, float]:
    """0 for every output where ``awareness_mean`` < ``DORMANT_BELOW``, else ``toy_linear``."""
    if float(params["awareness_mean"]) < DORMANT_BELOW:
        return dict.fromkeys(
            ("total_co2_avoided_t", "total_exchanged_t", "total_landfilled_t"), 0.0
        )
    return toy_linear(params, steps, seed)
