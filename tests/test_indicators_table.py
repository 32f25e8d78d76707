"""Tests of the eco-industrial park indicators table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.indicators_table import (
    INDICATOR_KEYS,
    INDICATORS,
    indicators_html,
    indicators_table,
    landfill_diverted_t,
    per_run_indicators,
    ratio_of_means,
    run_details,
    wilson_interval,
    write_indicators,
)
from analysis.statistics import mean_ci
from scenarios.loader import load_scenario
from simulation.outputs import scalar_outputs
from simulation.runner import run_model

SEEDS = (21, 22, 23)


@pytest.fixture(scope="module")
def runs_and_details():
    rows, details = [], []
    for scenario in ("baseline", "world_bank_mix"):
        params = load_scenario(scenario).parameters()
        for k, seed in enumerate(SEEDS):
            result = run_model(params, steps=24, seed=seed)
            key = f"{scenario}-{k}"
            rows.append(
                {
                    "run_key": key,
                    "scenario": scenario,
                    "replication": k,
                    "seed": seed,
                    **scalar_outputs(result),
                }
            )
            details.append({"run_key": key, **run_details(result.exchanges, result.firms)})
    return pd.DataFrame(rows), pd.DataFrame(details)


def _row(table, scenario, indicator):
    return table[(table["scenario"] == scenario) & (table["indicator"] == indicator)].iloc[0]


def test_table_has_every_indicator_for_every_scenario(runs_and_details):
    runs, details = runs_and_details
    table = indicators_table(runs, details)
    assert list(dict.fromkeys(table["scenario"])) == ["baseline", "world_bank_mix"]
    for _, rows in table.groupby("scenario"):
        assert list(rows["indicator"]) == list(INDICATOR_KEYS)
    assert table["unit"].str.len().min() > 0 and table["definition"].str.len().min() > 0
    # The framework's headline indicators are all there.
    for key in (
        "synergies_active",
        "firms_participating",
        "recovery_rate",
        "landfill_diverted",
        "virgin_substituted",
        "co2_avoided",
        "water_reused",
        "energy_recovered",
        "firms_net_benefit",
        "public_net_cost",
        "public_cost_per_t_co2",
        "data_sharing_share",
        "chertow_held",
        "chertow_first_month",
    ):
        assert key in INDICATOR_KEYS


def test_means_and_intervals_are_those_of_the_replications(runs_and_details):
    runs, details = runs_and_details
    table = indicators_table(runs, details)
    own = runs[runs["scenario"] == "world_bank_mix"]
    row = _row(table, "world_bank_mix", "co2_avoided")
    mean, low, high = mean_ci(own["total_co2_avoided_t"].to_numpy())
    assert (row["n"], row["mean"], row["ci_high"]) == pytest.approx((3, mean, high))
    assert row["ci_low"] == pytest.approx(max(low, 0.0))
    cost = _row(table, "world_bank_mix", "public_net_cost")
    assert cost["mean"] == pytest.approx(-own["total_public_net_eur"].mean())
    recovery = _row(table, "world_bank_mix", "recovery_rate")
    # A share, in the unit the timeseries' recovery rate has (scenarios.outputs).
    assert recovery["mean"] == pytest.approx(
        (own["total_exchanged_t"] / own["total_generated_t"]).mean()
    )
    assert recovery["unit"] == "share of material by-products"
    sharing = _row(table, "world_bank_mix", "data_sharing_share")
    assert sharing["mean"] == pytest.approx(
        (own["final_disclosure_rate_tier1"] + own["final_disclosure_rate_tier2"]).mean()
    )


def test_intervals_stay_within_what_an_indicator_can_take(runs_and_details):
    runs, details = runs_and_details
    table = indicators_table(runs, details)
    bounds = {i.name: i.bounds for i in INDICATORS}
    for row in table.itertuples():
        low, high = bounds[row.indicator]
        for value in (row.ci_low, row.ci_high):
            if math.isnan(value):
                continue
            assert low is None or value >= low
            assert high is None or value <= high


def test_chertow_share_counts_replications_with_a_wilson_interval():
    runs = pd.DataFrame(
        {"scenario": "s", "replication": range(4), "chertow_first_step": [5.0, np.nan, 9.0, np.nan]}
    )
    for column in (
        "final_active_exchanges",
        "total_exchanges_started",
        "final_firms_involved",
        "total_exchanged_t",
        "total_generated_t",
        "total_landfilled_t",
        "total_virgin_avoided_t",
        "total_co2_avoided_t",
        "total_exchanged_m3",
        "total_exchanged_mwh",
        "total_firm_net_benefit_eur",
        "total_value_created_eur",
        "total_public_net_eur",
        "final_disclosure_rate_tier1",
        "final_disclosure_rate_tier2",
    ):
        runs[column] = 1.0
    table = indicators_table(runs).set_index("indicator")
    share, low, high = wilson_interval(2, 4)
    assert table.loc["chertow_held", ["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.5, low, high]
    )
    assert table.loc["chertow_held", "note"] == "held in 2 of 4 replications"
    assert table.loc["chertow_first_month", "mean"] == pytest.approx(7.0)
    assert table.loc["chertow_first_month", "n"] == 2
    # Without run details, diversion is not guessed.
    assert np.isnan(table.loc["landfill_diverted", "mean"])
    assert table.loc["landfill_diverted", "note"] == "needs run details"


def test_wilson_interval_matches_the_textbook_value():
    share, low, high = wilson_interval(5, 10)
    assert (share, low, high) == pytest.approx((0.5, 0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 5)[1] == 0.0
    assert math.isnan(wilson_interval(0, 0)[0])


def test_ratio_of_means_handles_zero_and_uncertain_denominators():
    exact = ratio_of_means([100, 100, 100], [10, 10, 10])
    assert (exact.value, exact.low, exact.high, exact.status) == (10.0, 10.0, 10.0, "ok")
    nothing = ratio_of_means([50, 50], [0, 0])
    assert math.isnan(nothing.value) and nothing.status == "no effect"
    negative = ratio_of_means([50, 50], [-1, -3])
    assert negative.status == "no effect"
    # The effect is positive on average but often not: the ratio cannot be bounded.
    shaky = ratio_of_means([10, 10, 10, 10], [5, -4, 6, -5])
    assert shaky.value == pytest.approx(40 / 2) and shaky.status == "unbounded"
    assert math.isnan(shaky.low)
    single = ratio_of_means([30], [3])
    assert single.value == 10 and single.status == "too few"
    # Seeded: the same data give the same interval.
    a = ratio_of_means([1, 2, 3, 4, 5], [2, 3, 2, 4, 3])
    assert a == ratio_of_means([1, 2, 3, 4, 5], [2, 3, 2, 4, 3])
    assert a.low < a.value < a.high


def test_landfill_diversion_counts_only_landfilled_streams():
    exchanges = pd.DataFrame(
        {
            "stream": ["slag", "co2", "excess_heat", "biowaste"],
            "delivered_total": [100.0, 40.0, 500.0, 7.0],
        }
    )
    # co2 is vented, not landfilled; heat is energy: neither is diverted from landfill.
    assert landfill_diverted_t(exchanges) == pytest.approx(107.0)
    assert landfill_diverted_t(exchanges.iloc[0:0]) == 0.0


def test_diversion_rate_adds_up(runs_and_details):
    runs, details = runs_and_details
    values = per_run_indicators(runs, details)
    merged = values.merge(runs[["run_key", "total_landfilled_t"]], on="run_key")
    with np.errstate(invalid="ignore"):
        expected = merged["landfill_diverted"] / (
            merged["landfill_diverted"] + merged["total_landfilled_t"]
        )
    np.testing.assert_allclose(values["landfill_diversion_rate"], expected)
    assert (values["firms_participating_share"].dropna().between(0, 1)).all()


def test_html_and_csv_hold_the_table(runs_and_details, tmp_path):
    runs, details = runs_and_details
    runs = runs.replace({"scenario": {"world_bank_mix": "mix <b>&</b>"}})
    table = indicators_table(runs, details)
    text = indicators_html(table, caption="Park <synthetic>")
    assert "mix &lt;b&gt;&amp;&lt;/b&gt;" in text and "<b>&" not in text
    assert "Park &lt;synthetic&gt;" in text
    assert text.count("<tr>") == 1 + len(INDICATORS)
    paths = write_indicators(table, tmp_path / "indicators", "Indicators")
    assert [p.name for p in paths] == ["indicators.csv", "indicators.html"]
    back = pd.read_csv(paths[0], keep_default_na=False, na_values=[""])
    np.testing.assert_allclose(back["mean"], table["mean"], equal_nan=True)
    page = paths[1].read_text()
    assert page.startswith("<!DOCTYPE html>") and "http" not in page
