"""Scalar outputs of a run: the numbers experiments compare and sensitivity analysis explains.

The outputs are declared in ``scenarios.outputs``; this module computes them from a
``RunResult``: ``final_<column>`` is the last month's value of a timeseries column,
``mean_<column>`` its mean over the run, ``total_<name>`` a run total from the summary, and
``chertow_first_step`` the month the Chertow 3-2 heuristic first held (NaN if it never did).
"""

from __future__ import annotations

import math
from typing import Any

from scenarios import outputs
from scenarios.outputs import KEY_OUTPUTS

# Snapshots of the declaration when this module was imported (kept for scripts that import
# them); code that must see outputs added later calls the ``scenarios.outputs`` functions.
TOTALS: tuple[str, ...] = outputs.total_names()
SCALAR_OUTPUTS: tuple[str, ...] = outputs.scalar_output_names()

__all__ = ["KEY_OUTPUTS", "SCALAR_OUTPUTS", "TOTALS", "scalar_outputs"]


def scalar_outputs(result: Any) -> dict[str, float]:
    """Every scalar output of a ``RunResult``, as plain floats, in declaration order."""
    ts = result.timeseries
    series = [output.name for output in outputs.series()]
    values: dict[str, float] = {}
    last = ts.iloc[-1] if len(ts) else None
    for column in series:
        values[f"final_{column}"] = float(last[column]) if last is not None else math.nan
    for column in series:
        values[f"mean_{column}"] = float(ts[column].mean()) if len(ts) else math.nan
    totals = result.summary["totals"]
    for name in outputs.total_names():
        values[f"total_{name}"] = float(totals[name])
    first = result.summary.get("chertow_3_2_first_step")
    values["chertow_first_step"] = float(first) if first is not None else math.nan
    return values
