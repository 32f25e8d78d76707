"""Scalar outputs of a run: the numbers experiments compare and sensitivity analysis explains.

The outputs are declared in ``scenarios.outputs``; this module computes them from a
``RunResult``: ``final_<column>`` is the last month's value of a timeseries column,
``mean_<column>`` its mean over the run, ``total_<name>`` a run total from the summary, and
``chertow_first_step`` the month the Chertow 3-2 heuristic first held (NaN if it never did).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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
    # One array per column (contiguous, so each sum is NumPy's pairwise sum, as pandas' is):
    # the same numbers as ``ts[column].mean()``, without pandas' per-call overhead.
    columns = ts[series].to_numpy(dtype=float).T.copy() if len(ts) else None
    for position, column in enumerate(series):
        values[f"final_{column}"] = (
            float(columns[position, -1]) if columns is not None else math.nan
        )
    for position, column in enumerate(series):
        values[f"mean_{column}"] = _nan_mean(columns[position]) if columns is not None else math.nan
    totals = result.summary["totals"]
    for name in outputs.total_names():
        values[f"total_{name}"] = float(totals[name])
    first = result.summary.get("chertow_3_2_first_step")
    values["chertow_first_step"] = float(first) if first is not None else math.nan
    return values


def _nan_mean(column: np.ndarray) -> float:
    """Mean of the values that are not NaN (NaN if none is), as pandas' ``Series.mean``."""
    missing = np.isnan(column)
    if not missing.any():
        return float(column.sum() / column.size)
    count = column.size - int(missing.sum())
    return float(np.where(missing, 0.0, column).sum() / count) if count else math.nan
