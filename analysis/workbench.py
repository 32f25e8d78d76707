"""Drive symbiosis from the EMA workbench: declared uncertainties, levers, outputs as its objects.

``workbench_model`` returns an ``ema_workbench.Model`` whose uncertainties and levers come from
the parameter declaration (``scenarios.parameters``: numeric ranges become ``RealParameter`` or
``IntegerParameter``) and whose outcomes are scalar outputs (``ScalarOutcome``, to maximise,
minimise or just report). Its function runs each experiment through the experiment engine, R
times with common random numbers, into one resumable store, and returns the means, so the
workbench's samplers, evaluators, PRIM and optimisers work on symbiosis unchanged::

    from ema_workbench import perform_experiments
    from analysis.workbench import workbench_model
    from scenarios.loader import load_scenario

    model = workbench_model(
        load_scenario("world_bank_mix"),
        "results/workbench",
        uncertainties=["trust_threshold", "awareness_mean"],
        levers=["landfill_tax_eur_per_t"],
        outcomes=["total_co2_avoided_t:max", "total_public_net_eur:max"],
        steps=60,
        replications=3,
    )
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=2)

Needs the ``[design]`` extra (the workbench is optional).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.design_space import Range, check_output, parse_ranges, require


@dataclass(frozen=True)
class EngineFunction:
    """The workbench model's function: one experiment, R seeded runs through the engine.

    Picklable, so the workbench's multiprocessing evaluator can send it to its workers.

    Attributes:
        scenario_name: Label of the runs in the store.
        base: The scenario's full parameter dict (experiment values are set over it).
        outputs: Scalar outputs returned (means over replications).
        steps: Months per run.
        seeds: Replication seeds (the same for every experiment: common random numbers).
        out_dir: The experiment folder holding the store.
        model: A test model function (``RunSpec.model``); empty for the model itself.
    """

    scenario_name: str
    base: dict[str, Any]
    outputs: tuple[str, ...]
    steps: int
    seeds: tuple[int, ...]
    out_dir: str
    model: str = ""

    def __call__(self, **values: Any) -> dict[str, float]:
        """Run the experiment with ``values`` (uncertainties and levers) and return the means."""
        from scenarios.parameters import validate
        from simulation.experiments import RunSpec, run_specs

        params = validate({**self.base, **values})
        specs = [
            RunSpec(
                self.scenario_name, params, self.steps, seed, k, labels=values, model=self.model
            )
            for k, seed in enumerate(self.seeds)
        ]
        experiment = run_specs(specs, self.out_dir, workers=1, progress=False, store_details=False)
        runs = experiment.runs()
        return {name: float(runs[name].mean()) for name in self.outputs}


def _parameters(ranges: Sequence[Range], workbench: Any) -> list[Any]:
    return [
        workbench.IntegerParameter(r.name, int(r.low), int(r.high))
        if r.integer
        else workbench.RealParameter(r.name, r.low, r.high)
        for r in ranges
    ]


def workbench_model(
    scenario: Any,
    out_dir: str | Path,
    *,
    uncertainties: Sequence[str] = (),
    levers: Sequence[str] = (),
    outcomes: Sequence[str] = ("total_co2_avoided_t:max", "total_public_net_eur:max"),
    steps: int | None = None,
    replications: int = 1,
    seed: int = 0,
    name: str = "symbiosis",
    model: str = "",
) -> Any:
    """An ``ema_workbench.Model`` of ``scenario`` whose function runs through the engine.

    Args:
        scenario: A loaded scenario (its values are the constants).
        out_dir: Experiment folder (the resumable store every experiment is run into).
        uncertainties: ``NAME`` or ``NAME=LOW:HIGH`` of declared uncertainties (default: every
            declared numeric one).
        levers: ``NAME`` or ``NAME=LOW:HIGH`` of declared levers.
        outcomes: ``OUTPUT``, ``OUTPUT:max`` or ``OUTPUT:min``.
        steps: Months per run (default ``simulation.runner.DEFAULT_STEPS``).
        replications: Runs per experiment with common seeds; the outcome is their mean.
        seed: Root seed of the replication seeds.
        name: The workbench model's name (an identifier).
        model: A test model function (``RunSpec.model``); empty for the model itself.

    Raises:
        DesignError: On an unknown name or a missing ``[design]`` extra.
    """
    from analysis.design_space import declared_ranges
    from simulation.experiments import replication_seeds
    from simulation.runner import DEFAULT_STEPS

    workbench = require("ema_workbench")
    uncertain = (
        parse_ranges(uncertainties, "uncertainty", "uncertainties")
        if uncertainties
        else declared_ranges("uncertainty")
    )
    lever_ranges = parse_ranges(levers, "lever", "levers")
    kinds = {"max": workbench.ScalarOutcome.MAXIMIZE, "min": workbench.ScalarOutcome.MINIMIZE}
    scalar = []
    for text in outcomes:
        output, _, sense = text.partition(":")
        check_output(output, "outcomes")
        kind = kinds.get(sense, workbench.ScalarOutcome.INFO)
        scalar.append(workbench.ScalarOutcome(output, kind=kind))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    function = EngineFunction(
        scenario.name,
        scenario.parameters(),
        tuple(o.name for o in scalar),
        steps or DEFAULT_STEPS,
        tuple(replication_seeds(seed, replications)),
        str(Path(out_dir).resolve()),
        model,
    )
    result = workbench.Model(name, function=function)
    result.uncertainties = _parameters(uncertain, workbench)
    if lever_ranges:
        result.levers = _parameters(lever_ranges, workbench)
    result.outcomes = scalar
    return result
