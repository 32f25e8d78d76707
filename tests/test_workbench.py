"""The EMA workbench adapter: declared parameters and outputs as workbench objects, engine runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis.design_space import DesignError
from analysis.test_problems import PLANTED_BOX, PLANTED_MODEL, PLANTED_OUTPUT
from analysis.workbench import workbench_model
from scenarios.loader import load_scenario
from simulation.experiments import load_experiment


def test_workbench_experiments_run_through_the_engine(tmp_path):
    model = workbench_model(
        load_scenario("baseline"),
        tmp_path,
        uncertainties=list(PLANTED_BOX),
        levers=["landfill_tax_eur_per_t=0:100"],
        outcomes=[f"{PLANTED_OUTPUT}:max"],
        steps=1,
        replications=2,
        model=PLANTED_MODEL,
    )
    assert [u.name for u in model.uncertainties] == list(PLANTED_BOX)
    assert [lever.name for lever in model.levers] == ["landfill_tax_eur_per_t"]
    from ema_workbench import SequentialEvaluator, perform_experiments

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the workbench's own pandas idioms
        with SequentialEvaluator(model) as evaluator:
            experiments, outcomes = perform_experiments(
                model, scenarios=5, policies=2, evaluator=evaluator
            )
    inside = np.all(
        [experiments[name].between(low, high) for name, (low, high) in PLANTED_BOX.items()],
        axis=0,
    )
    np.testing.assert_array_equal(outcomes[PLANTED_OUTPUT], inside.astype(float))
    assert len(load_experiment(tmp_path).runs()) == 10 * 2


def test_a_lever_is_not_an_uncertainty(tmp_path):
    with pytest.raises(DesignError, match="not 'uncertainty'"):
        workbench_model(load_scenario("baseline"), tmp_path, uncertainties=["platform_tier"])
