"""Statistics over replications: t-intervals, paired differences, replications for a target CI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval of independent replications.

    NaN values (e.g. a time-to-event that never happened) are dropped; with fewer than two
    values the interval is (NaN, NaN).

    Returns:
        (mean, low, high).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = half_width(x, confidence)
    return mean, mean - half, mean + half


Bounds = tuple[float | None, float | None]
UNBOUNDED: Bounds = (None, None)


def clip_interval(low: float, high: float, bounds: Bounds) -> tuple[float, float]:
    """Clip an interval to the values a quantity can take (NaN stays NaN).

    A t-interval of a skewed count or of a share near 0 can reach beyond what the quantity can
    be; every table, figure and sentence clips it the same way, here.
    """
    lowest, highest = bounds
    if lowest is not None and not math.isnan(low):
        low, high = max(low, lowest), max(high, lowest)
    if highest is not None and not math.isnan(high):
        low, high = min(low, highest), min(high, highest)
    return low, high


def output_bounds(name: str) -> Bounds:
    """The range a scalar output (a ``runs.csv`` column) can take, from the declaration.

    ``final_`` and ``mean_`` values keep their output's bounds; a run total keeps a lower bound
    of zero (a sum of non-negative months) and has no upper one. Unknown names are unbounded.
    """
    from scenarios.outputs import scalar_output

    try:
        scalar = scalar_output(name)
    except KeyError:
        return UNBOUNDED
    low, high = scalar.output.bounds
    if name.startswith("total_") and scalar.output.scope == "month":
        return (0.0 if low is not None and low >= 0 else None), None
    return low, high


def difference_bounds(bounds: Bounds) -> Bounds:
    """The range of a difference of two values of a quantity bounded on both sides."""
    low, high = bounds
    if low is None or high is None:
        return UNBOUNDED
    return low - high, high - low


def estimate(
    values: np.ndarray, bounds: Bounds = UNBOUNDED, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and 95% t-interval of replications, clipped to the quantity's bounds.

    The one interval of a replicated quantity: comparison.csv, points.csv, the indicators
    table, the figures, the report and the CLI all take it from here.

    Returns:
        (mean, low, high); the interval is NaN with fewer than two values.
    """
    mean, low, high = mean_ci(values, confidence)
    low, high = clip_interval(low, high, bounds)
    return mean, low, high


def half_width(values: np.ndarray, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t-interval of the mean of ``values`` (NaN for fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return math.nan
    sd = float(x.std(ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * sd / math.sqrt(len(x)))


def comparison_table(
    runs: pd.DataFrame,
    outputs: list[str],
    baseline: str,
    scenarios: list[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Per scenario and output: mean with CI, and the paired difference from ``baseline``.

    Replications are paired by ``replication`` (common random numbers: replication k of every
    scenario used the same seed), so the difference's interval is the t-interval of the
    per-replication differences. Intervals are clipped to the declared bounds of each output
    (``estimate``), as everywhere else.

    Args:
        runs: One row per run with ``scenario``, ``replication`` and the output columns.
        outputs: Output columns to compare.
        baseline: Scenario the differences are taken from.
        scenarios: Order of the scenarios (default: baseline first, then sorted).
        confidence: Confidence level of the intervals.

    Returns:
        Columns scenario, output, n, mean, ci_low, ci_high, diff_mean, diff_ci_low,
        diff_ci_high.
    """
    order = scenarios or [baseline, *sorted(set(runs["scenario"]) - {baseline})]
    rows = []
    base = runs[runs["scenario"] == baseline].set_index("replication")
    for scenario in order:
        own = runs[runs["scenario"] == scenario].set_index("replication")
        common = own.index.intersection(base.index)
        for output in outputs:
            bounds = output_bounds(output)
            mean, low, high = estimate(own[output].to_numpy(), bounds, confidence)
            diff = (own.loc[common, output] - base.loc[common, output]).to_numpy(dtype=float)
            d_mean, d_low, d_high = estimate(diff, difference_bounds(bounds), confidence)
            rows.append(
                {
                    "scenario": scenario,
                    "output": output,
                    "n": int(len(own)),
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "diff_mean": d_mean,
                    "diff_ci_low": d_low,
                    "diff_ci_high": d_high,
                }
            )
    return pd.DataFrame(rows)


def widest_half_width(table: pd.DataFrame, output: str) -> float:
    """Largest CI half-width of ``output`` over the scenarios' means and paired differences.

    The first scenario of the table is the baseline; its difference from itself is left out.
    """
    chosen = table[table["output"] == output]
    means = (chosen["ci_high"] - chosen["ci_low"]) / 2
    others = chosen.iloc[1:]
    diffs = (others["diff_ci_high"] - others["diff_ci_low"]) / 2
    widths = pd.concat([means, diffs]).dropna()
    return float(widths.max()) if len(widths) else math.nan


def replications_needed(
    sd: float,
    target_half_width: float,
    confidence: float = CONFIDENCE,
    minimum: int = 2,
    maximum: int = 1_000_000,
) -> int:
    """Smallest n with a t-interval half-width ``t(n-1) * sd / sqrt(n)`` at most the target.

    Uses ``sd`` as if it were known (the usual sequential-procedure plug-in, Law 2015,
    *Simulation Modeling and Analysis*, 5th ed., section 9.4.1); the answer is capped at
    ``maximum``.
    """
    if not target_half_width > 0:
        raise ValueError(f"target half-width must be positive, got {target_half_width}")
    if not math.isfinite(sd):
        return minimum
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    n = max(minimum, math.ceil((z * sd / target_half_width) ** 2))
    while n < maximum:
        t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
        if t * sd / math.sqrt(n) <= target_half_width:
            return n
        n += 1
    return maximum


def replications_for_target(
    runs: pd.DataFrame,
    output: str,
    baseline: str,
    target_half_width: float,
    scenarios: list[str] | None = None,
    confidence: float = CONFIDENCE,
) -> int:
    """Replications so that every scenario's mean and paired difference reaches the target.

    The standard deviations are estimated from ``runs`` (one row per run with ``scenario``,
    ``replication`` and ``output``); the answer is the largest ``replications_needed`` over the
    scenarios' values and their per-replication differences from ``baseline``.
    """
    order = scenarios or sorted(set(runs["scenario"]))
    base = runs[runs["scenario"] == baseline].set_index("replication")[output]
    needed = 2
    for scenario in order:
        own = runs[runs["scenario"] == scenario].set_index("replication")[output]
        samples = [own.dropna().to_numpy(dtype=float)]
        if scenario != baseline:
            common = own.index.intersection(base.index)
            samples.append((own.loc[common] - base.loc[common]).dropna().to_numpy(dtype=float))
        for values in samples:
            if len(values) >= 2:
                needed = max(
                    needed,
                    replications_needed(float(values.std(ddof=1)), target_half_width, confidence),
                )
    return needed


def describe_difference(row: pd.Series, unit: str = "") -> str:
    """A sentence for a paired difference, e.g. 'raises X by 4.2 (95% CI 2.1 to 6.3)'."""
    mean, low, high = row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"]
    if math.isnan(low):
        return f"changes {row['output']} by {mean:.3g}{unit} (too few replications for a CI)"
    if low > 0:
        verb = "raises"
    elif high < 0:
        verb = "lowers"
    else:
        verb = "does not clearly change"
    return f"{verb} {row['output']} by {mean:.3g}{unit} (95% CI {low:.3g} to {high:.3g}{unit})"
