"""Optimisation: NSGA-II through the experiment engine recovers a known front and resumes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import test_problems
from analysis.design_space import DesignError
from analysis.optimisation import Robustness, optimise, write_optimisation
from analysis.test_problems import ZDT1_LEVERS, ZDT1_MODEL, ZDT1_OUTPUTS
from scenarios.loader import load_scenario
from simulation.experiments import replication_seeds

LEVERS = [f"{name}={low:g}:{high:g}" for name, (low, high) in ZDT1_LEVERS.items()]
OBJECTIVES = [f"{name}:min" for name in ZDT1_OUTPUTS]


def _zdt1(folder, population=12, generations=6, seed=3, **options):
    return optimise(
        load_scenario("baseline"),
        LEVERS,
        OBJECTIVES,
        folder,
        population=population,
        generations=generations,
        replications=2,
        steps=1,
        seed=seed,
        workers=1,
        progress=False,
        model=ZDT1_MODEL,
        **options,
    )


def _common_noise(seed: int, replications: int = 2) -> float:
    """Mean over the replication seeds of zdt1's seed noise (the same for every candidate)."""
    return float(
        np.mean([((s % 1000) / 1000.0 - 0.5) * 0.01 for s in replication_seeds(seed, replications)])
    )


@pytest.fixture(scope="module")
def zdt1_result(tmp_path_factory):
    return _zdt1(tmp_path_factory.mktemp("zdt1"), population=24, generations=25)


def test_recovers_the_zdt1_front(zdt1_result):
    shift = _common_noise(3)
    front = zdt1_result.pareto
    f1 = front[ZDT1_OUTPUTS[0]] - shift
    f2 = front[ZDT1_OUTPUTS[1]] - shift
    # Every Pareto policy lies near the analytic front f2 = 1 - sqrt(f1) ...
    assert np.abs(f2 - (1 - np.sqrt(f1.clip(0, 1)))).max() < 0.05
    # ... at x2 near 0 (the second lever at the bottom of its range) ...
    low, high = ZDT1_LEVERS["investment_grant_share"]
    assert ((front["investment_grant_share"] - low) / (high - low)).max() < 0.01
    # ... and the front spans most of f1 in [0, 1].
    assert f1.min() < 0.05 and f1.max() > 0.9
    assert len(front) >= 10


def test_hypervolume_grows(zdt1_result):
    volumes = zdt1_result.convergence["hypervolume"].to_numpy()
    assert len(volumes) == 25
    assert volumes[-1] > volumes[0]
    assert volumes[-1] >= volumes[-5] - 1e-12


def test_same_seed_same_result_other_seed_other(tmp_path):
    first = _zdt1(tmp_path / "a").pareto
    again = _zdt1(tmp_path / "b").pareto
    other = _zdt1(tmp_path / "c", seed=4).pareto
    pd.testing.assert_frame_equal(first, again)
    assert not first[LEVERS[0].split("=")[0]].equals(other[LEVERS[0].split("=")[0]])


def test_killed_search_resumes_to_the_same_result(tmp_path, monkeypatch):
    complete = _zdt1(tmp_path / "complete")
    calls = {"n": 0}
    original = test_problems.zdt1

    def counted(params, steps, seed):
        calls["n"] += 1
        if calls["n"] > 70:  # the search is killed in the middle of generation 3 (of 6)
            raise KeyboardInterrupt
        return original(params, steps, seed)

    monkeypatch.setattr(test_problems, "zdt1", counted)
    with pytest.raises(KeyboardInterrupt):
        _zdt1(tmp_path / "killed")
    monkeypatch.setattr(test_problems, "zdt1", original)
    runs_before = calls["n"] - 1
    calls["n"] = 0

    def counting(params, steps, seed):
        calls["n"] += 1
        return original(params, steps, seed)

    monkeypatch.setattr(test_problems, "zdt1", counting)
    resumed = _zdt1(tmp_path / "killed")
    pd.testing.assert_frame_equal(resumed.pareto, complete.pareto)
    pd.testing.assert_frame_equal(resumed.convergence, complete.convergence)
    # The runs stored before the kill were not simulated again.
    total = len(complete.evaluations) * 2
    assert calls["n"] <= total - runs_before


def test_constraints_are_respected(tmp_path):
    result = _zdt1(tmp_path, constraints=[f"{ZDT1_OUTPUTS[0]} >= 0.5"])
    assert (result.pareto[ZDT1_OUTPUTS[0]] >= 0.5).all()
    assert not result.evaluations["feasible"].all()


def test_robust_regret_over_an_irrelevant_uncertainty(tmp_path):
    from analysis.design_space import parse_ranges

    robust = Robustness("regret", tuple(parse_ranges(["trust_threshold"], "uncertainty")), 3)
    result = _zdt1(tmp_path, generations=4, robustness=robust)
    # zdt1 ignores trust, so the regret of a policy is its distance to the best one found.
    assert (result.evaluations[ZDT1_OUTPUTS[0]].dropna() >= 0).all()
    assert len(result.pareto) >= 1


def test_pareto_scenario_files_load_back(zdt1_result):
    scenario = load_scenario("baseline")
    written = write_optimisation(zdt1_result, scenario, figures=True)
    files = sorted((zdt1_result.folder / "pareto").glob("*.toml"))
    assert len(files) == len(zdt1_result.pareto)
    row = zdt1_result.pareto.iloc[0]
    loaded = load_scenario(files[0]).parameters()
    for name in ZDT1_LEVERS:
        assert math.isclose(loaded[name], row[name])
    assert (zdt1_result.folder / "pareto.png") in written
    assert (zdt1_result.folder / "convergence.png") in written


@pytest.mark.parametrize(
    ("levers", "objectives", "message"),
    [
        (["trust_threshold"], OBJECTIVES, "not 'lever'"),
        (LEVERS, ["total_co2_avoided_t:up"], "OUTPUT:max or OUTPUT:min"),
        (LEVERS, ["total_co2_avoided:max"], "did you mean 'total_co2_avoided_t'"),
        ([], OBJECTIVES, "at least one --param"),
        (["landfill_tax_eur_per_t=0:900"], OBJECTIVES, "landfill_tax_eur_per_t"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path, levers, objectives, message):
    with pytest.raises(DesignError, match=message):
        optimise(load_scenario("baseline"), levers, objectives, tmp_path / "x", model=ZDT1_MODEL)
    assert not (tmp_path / "x").exists()
