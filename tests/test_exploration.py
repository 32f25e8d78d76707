"""Exploration: uncertainties sampled and crossed with policies through the experiment engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.design_space import DesignError, parse_range, sample_ranges
from analysis.exploration import EXPERIMENTS_FILE, explore, load_exploration
from analysis.test_problems import PLANTED_MODEL, PLANTED_OUTPUT
from scenarios.loader import load_scenario
from simulation.experiments import replication_seeds

UNCERTAINTIES = ["trust_threshold", "awareness_mean=0.2:0.9"]


def _explore(folder, seed=0, policies=("baseline", "world_bank_mix"), **options):
    return explore(
        [load_scenario(name) for name in policies],
        8,
        folder,
        params=UNCERTAINTIES,
        steps=1,
        replications=2,
        seed=seed,
        workers=1,
        progress=False,
        model=PLANTED_MODEL,
        **options,
    )


def test_table_has_a_row_per_run_with_uncertainties_levers_and_outputs(tmp_path):
    result = _explore(tmp_path)
    table = result.experiments
    assert len(table) == 2 * 8 * 2
    for column in ["policy", "point", "replication", "seed", "trust_threshold", PLANTED_OUTPUT]:
        assert column in table.columns
    assert "platform_tier" in result.levers[:5]  # a lever that differs between the policies
    assert table["awareness_mean"].between(0.2, 0.9).all()
    on_file = load_exploration(tmp_path)
    assert len(on_file) == len(table)
    assert (tmp_path / "manifest.json").is_file()


def test_common_random_numbers_and_a_shared_sample(tmp_path):
    table = _explore(tmp_path).experiments
    seeds = replication_seeds(0, 2)
    for _, rows in table.groupby("policy"):
        assert sorted(rows["seed"].unique()) == sorted(seeds)
    by_policy = [rows.sort_values(["point", "replication"]) for _, rows in table.groupby("policy")]
    np.testing.assert_array_equal(
        by_policy[0]["trust_threshold"].to_numpy(), by_policy[1]["trust_threshold"].to_numpy()
    )


def test_deterministic_for_a_seed_and_resumable(tmp_path):
    first = _explore(tmp_path / "a").experiments
    again = _explore(tmp_path / "b").experiments
    other = _explore(tmp_path / "c", seed=1).experiments
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["trust_threshold"], other["trust_threshold"])
    resumed = _explore(tmp_path / "a")  # everything is stored: nothing runs again
    pd.testing.assert_frame_equal(resumed.experiments, first)
    import json

    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["runs_reused"] == manifest["runs_total"]


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_samples_fill_the_ranges(method):
    ranges = [
        parse_range("trust_threshold", "uncertainty"),
        parse_range("awareness_mean", "uncertainty"),
    ]
    points = pd.DataFrame(sample_ranges(ranges, 16, method, seed=5))
    for column in points.columns:
        strata = np.floor(points[column] * 16).clip(0, 15)
        if method == "lhs":  # one point in each sixteenth of the range
            assert sorted(strata) == list(range(16))
        else:
            assert strata.nunique() >= 10


def test_lever_is_not_an_uncertainty(tmp_path):
    with pytest.raises(DesignError, match="not 'uncertainty'"):
        explore([load_scenario("baseline")], 4, tmp_path / "x", params=["landfill_tax_eur_per_t"])
    assert not (tmp_path / "x").exists()


def test_missing_exploration_is_a_one_line_error(tmp_path):
    with pytest.raises(DesignError, match=EXPERIMENTS_FILE):
        load_exploration(tmp_path)
