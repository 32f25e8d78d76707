"""Scalar outputs of a run: the numbers experiments compare and sensitivity analysis explains.

Names are a contract shared by the experiment store, comparisons, sensitivity analysis and
figures: ``final_<column>`` is the last month's value of a timeseries column, ``mean_<column>``
its mean over the run, ``total_<name>`` a total from the run summary, and
``chertow_first_step`` the month the Chertow 3-2 heuristic first held (NaN if it never did).
"""

from __future__ import annotations

import math
from typing import Any

from simulation.indicators import TIMESERIES_COLUMNS

TOTALS = (
    "exchanges_started",
    "exchanges_ended",
    "exchanged_t",
    "exchanged_mwh",
    "exchanged_m3",
    "generated_t",
    "landfilled_t",
    "virgin_avoided_t",
    "co2_avoided_t",
    "value_created_eur",
    "firm_net_benefit_eur",
    "public_revenue_eur",
    "public_spending_eur",
    "public_net_eur",
    "workshops_held",
    "introductions",
)
_SERIES = tuple(c for c in TIMESERIES_COLUMNS if c != "step")

SCALAR_OUTPUTS: tuple[str, ...] = (
    *(f"final_{c}" for c in _SERIES),
    *(f"mean_{c}" for c in _SERIES),
    *(f"total_{t}" for t in TOTALS),
    "chertow_first_step",
)

# The indicators a comparison reports by default (issue: key indicators of a policy).
KEY_OUTPUTS: tuple[str, ...] = (
    "final_active_exchanges",
    "total_exchanges_started",
    "mean_recovery_rate",
    "total_co2_avoided_t",
    "total_value_created_eur",
    "total_public_net_eur",
)


def scalar_outputs(result: Any) -> dict[str, float]:
    """Every scalar output of a ``RunResult``, as plain floats."""
    ts = result.timeseries
    outputs: dict[str, float] = {}
    last = ts.iloc[-1] if len(ts) else None
    for column in _SERIES:
        outputs[f"final_{column}"] = float(last[column]) if last is not None else math.nan
    for column in _SERIES:
        outputs[f"mean_{column}"] = float(ts[column].mean()) if len(ts) else math.nan
    totals = result.summary["totals"]
    for name in TOTALS:
        outputs[f"total_{name}"] = float(totals[name])
    first = result.summary.get("chertow_3_2_first_step")
    outputs["chertow_first_step"] = float(first) if first is not None else math.nan
    return outputs
