"""Statistics over replications, checked against known answers (issue 4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.statistics import (
    comparison_table,
    describe_difference,
    half_width,
    mean_ci,
    replications_for_target,
    replications_needed,
    widest_half_width,
)


def test_t_interval_matches_a_hand_computed_case():
    # 1..5: mean 3, sd sqrt(2.5); t(0.975, 4) = 2.776445 (any t table)
    mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    expected_half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0
    assert low == pytest.approx(3.0 - expected_half, abs=1e-8)
    assert high == pytest.approx(3.0 + expected_half, abs=1e-8)
    assert expected_half == pytest.approx(1.963243, abs=1e-6)


def test_other_confidence_levels_and_degenerate_samples():
    assert half_width(np.array([1.0, 3.0]), 0.90) == pytest.approx(6.313752 * 1.0, abs=1e-5)
    assert mean_ci(np.array([4.0, 4.0, 4.0])) == (4.0, 4.0, 4.0)
    mean, low, high = mean_ci(np.array([7.0]))
    assert mean == 7.0 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in mean_ci(np.array([])))
    # NaN (an event that never happened) is left out
    assert mean_ci(np.array([1.0, np.nan, 3.0]))[0] == 2.0


def test_95_percent_intervals_cover_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(20240611)
    draws, n, true_mean = 4000, 8, 5.0
    covered = 0
    for _ in range(draws):
        _, low, high = mean_ci(rng.normal(true_mean, 2.0, n))
        covered += low <= true_mean <= high
    # binomial sd of the coverage at 4000 draws is 0.0034: allow four of them
    assert covered / draws == pytest.approx(0.95, abs=0.014)


def _runs(values: dict[str, list[float]], output: str = "y") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"scenario": name, "replication": k, output: value}
            for name, series in values.items()
            for k, value in enumerate(series)
        ]
    )


def test_paired_difference_is_the_t_interval_of_per_replication_differences():
    base = [10.0, 12.0, 9.0, 15.0, 11.0]
    policy = [12.5, 13.0, 11.0, 18.0, 12.0]
    table = comparison_table(_runs({"base": base, "policy": policy}), ["y"], "base")
    assert list(table.columns) == [
        "scenario",
        "output",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
    ]
    row = table[table["scenario"] == "policy"].iloc[0]
    differences = np.array(policy) - np.array(base)
    t = stats.t.ppf(0.975, 4)
    half = t * differences.std(ddof=1) / math.sqrt(5)
    assert row["diff_mean"] == pytest.approx(differences.mean())
    assert row["diff_ci_low"] == pytest.approx(differences.mean() - half)
    assert row["diff_ci_high"] == pytest.approx(differences.mean() + half)
    assert row["mean"] == pytest.approx(np.mean(policy)) and row["n"] == 5
    # pairing removes the shared noise: the difference's interval is narrower than the means'
    assert row["diff_ci_high"] - row["diff_ci_low"] < row["ci_high"] - row["ci_low"]
    reference = table[table["scenario"] == "base"].iloc[0]
    assert (reference["diff_mean"], reference["diff_ci_low"], reference["diff_ci_high"]) == (
        0.0,
        0.0,
        0.0,
    )


def test_a_constant_shift_has_a_zero_width_difference_interval():
    base = [1.0, 4.0, 2.0, 8.0]
    table = comparison_table(_runs({"base": base, "plus2": [v + 2 for v in base]}), ["y"], "base")
    row = table[table["scenario"] == "plus2"].iloc[0]
    assert (row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"]) == (2.0, 2.0, 2.0)


def test_scenario_order_follows_the_given_list():
    runs = _runs({"b": [1.0, 2.0], "a": [3.0, 4.0], "c": [0.0, 1.0]})
    table = comparison_table(runs, ["y"], "b", ["b", "c", "a"])
    assert list(table["scenario"]) == ["b", "c", "a"]


def test_widest_half_width_covers_means_and_differences_but_not_the_self_difference():
    table = pd.DataFrame(
        {
            "scenario": ["base", "p"],
            "output": ["y", "y"],
            "ci_low": [0.0, 5.0],
            "ci_high": [2.0, 7.0],
            "diff_ci_low": [0.0, -3.0],
            "diff_ci_high": [0.0, 3.0],
        }
    )
    assert widest_half_width(table, "y") == 3.0
    assert widest_half_width(table.iloc[:1], "y") == 1.0


def test_replications_needed_is_the_smallest_n_reaching_the_target():
    n = replications_needed(sd=1.0, target_half_width=0.5)
    assert stats.t.ppf(0.975, n - 1) / math.sqrt(n) <= 0.5
    assert stats.t.ppf(0.975, n - 2) / math.sqrt(n - 1) > 0.5
    assert n == 18  # z-approximation says 16; Student's t needs two more
    assert replications_needed(sd=0.0, target_half_width=1.0) == 2
    assert replications_needed(sd=100.0, target_half_width=0.01, maximum=500) == 500
    with pytest.raises(ValueError):
        replications_needed(1.0, 0.0)


def test_replications_for_target_takes_the_hardest_of_means_and_differences():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 10, 6)
    base, policy = shared, shared + rng.normal(1, 0.1, 6)  # large spread, tight difference
    runs = _runs({"base": list(base), "policy": list(policy)})
    needed = replications_for_target(runs, "y", "base", 1.0, ["base", "policy"])
    assert needed == max(
        replications_needed(float(np.std(base, ddof=1)), 1.0),
        replications_needed(float(np.std(policy, ddof=1)), 1.0),
    )
    only_diff = replications_needed(float(np.std(policy - base, ddof=1)), 1.0)
    assert only_diff < needed


def test_describe_difference_says_the_direction_only_when_the_interval_excludes_zero():
    row = pd.Series({"output": "y", "diff_mean": 2.0, "diff_ci_low": 1.0, "diff_ci_high": 3.0})
    assert describe_difference(row).startswith("raises y by 2")
    row = pd.Series({"output": "y", "diff_mean": 0.5, "diff_ci_low": -1.0, "diff_ci_high": 2.0})
    assert describe_difference(row).startswith("does not clearly change")
