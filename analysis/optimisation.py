"""Multi-objective search over policy levers: NSGA-II/III (pymoo) through the experiment engine.

Each candidate policy is a setting of the named levers; its objectives are the means of scalar
outputs over R replications with common random numbers (replication k has the same seed for
every candidate, so candidates are compared on the same draws). In robust mode every candidate
is also run at each point of a Latin-hypercube sample of uncertainties (the same sample for all)
and the objective is a robustness measure over those points: their mean, a percentile on the
unfavourable side, or the maximum regret against the best candidate found at each point
(minimax regret, Savage 1951; as used in robust decision making, Lempert et al. 2006, and the
EMA workbench, Kwakkel 2017). Constraints hold on the mean over all of a candidate's runs.

Every simulation is stored by the engine, and pymoo's generations are a deterministic function of
the seed and of the objective values, which come back from the store bit for bit: a search killed
at any point and started again replays the stored generations without simulating and continues
to the same result.

References: Deb, K., Pratap, A., Agarwal, S. & Meyarivan, T. (2002), A fast and elitist
multiobjective genetic algorithm: NSGA-II, IEEE Trans. Evol. Comp. 6(2), 182-197; Deb, K. &
Jain, H. (2014), NSGA-III, IEEE Trans. Evol. Comp. 18(4), 577-601; Blank, J. & Deb, K. (2020),
pymoo: Multi-Objective Optimization in Python, IEEE Access 8, 89497-89509.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.design_space import (
    Condition,
    DesignError,
    Objective,
    Range,
    parse_condition,
    parse_objective,
    parse_ranges,
    require,
    sample_ranges,
)

ROBUST_MEASURES = ("mean", "percentile", "regret")
PARETO_FILE = "pareto.csv"
EVALUATIONS_FILE = "evaluations.csv"
CONVERGENCE_FILE = "convergence.csv"
PARETO_DIR = "pareto"
# Hypervolume reference point in objectives normalised to [0, 1] over all feasible evaluations.
HV_REFERENCE = 1.1


@dataclass(frozen=True)
class Robustness:
    """How a candidate is judged over a sample of uncertainties.

    Attributes:
        measure: ``mean``, ``percentile`` or ``regret``.
        uncertainties: The uncertainty ranges sampled.
        samples: Points of the Latin-hypercube sample (the same for every candidate).
        percentile: For ``percentile``: the percentile on the unfavourable side (10 means the
            10th percentile of an output to maximise, the 90th of one to minimise).
    """

    measure: str
    uncertainties: tuple[Range, ...]
    samples: int = 10
    percentile: float = 10.0


@dataclass
class Optimisation:
    """The result of a search.

    Attributes:
        pareto: One row per non-dominated feasible policy: ``policy``, one column per lever,
            one per objective (named by its output), one per constraint output.
        evaluations: Every candidate evaluated: ``generation``, ``candidate``, levers,
            objectives, constraint outputs, ``feasible``.
        convergence: ``generation``, ``evaluations``, ``hypervolume``, ``front_size``.
        levers: The lever ranges searched.
        objectives: The objectives.
        constraints: The constraints.
        folder: Output folder (store, manifest, files).
        notes: Remarks (no feasible policy, ...).
    """

    pareto: pd.DataFrame
    evaluations: pd.DataFrame
    convergence: pd.DataFrame
    levers: list[Range]
    objectives: list[Objective]
    constraints: list[Condition]
    folder: Path
    notes: list[str] = field(default_factory=list)


def lever_ranges(params: Sequence[str]) -> list[Range]:
    """``--param`` texts of levers (``NAME`` or ``NAME=LOW:HIGH``), at least one.

    Raises:
        DesignError: If none is given or one is not a numeric lever.
    """
    if not params:
        raise DesignError("optimise needs at least one --param NAME or NAME=LOW:HIGH (a lever)")
    return parse_ranges(params, "lever")


class _Evaluator:
    """Turns pymoo's candidates into engine runs and the stored outputs into objectives."""

    def __init__(
        self,
        scenario: Any,
        levers: list[Range],
        objectives: list[Objective],
        constraints: list[Condition],
        robustness: Robustness | None,
        steps: int,
        seeds: list[int],
        out_dir: Path,
        model: str,
        progress: bool,
        manifest: dict[str, Any],
        experiment: dict[str, Any] | None = None,
        keep_stale: bool = False,
    ) -> None:
        self.experiment = experiment
        self.keep_stale = keep_stale
        self.scenario = scenario
        self.base = scenario.parameters()
        self.levers = levers
        self.objectives = objectives
        self.constraints = constraints
        self.robustness = robustness
        self.steps = steps
        self.seeds = seeds
        self.out_dir = out_dir
        self.model = model
        self.progress = progress
        self.manifest = manifest
        self.points: list[dict[str, Any]] = [{}]
        if robustness is not None:
            self.points = sample_ranges(
                robustness.uncertainties, robustness.samples, "lhs", _derived(seeds, "robust")
            )
        self.outputs = list(
            dict.fromkeys([o.output for o in objectives] + [c.output for c in constraints])
        )
        self.rows: list[dict[str, Any]] = []
        # Per candidate: means over replications at each uncertainty point, per output.
        self.point_means: list[dict[str, np.ndarray]] = []
        self.count = 0

    def decode(self, unit_values: np.ndarray) -> dict[str, Any]:
        """Lever values of a candidate in the unit cube."""
        return {r.name: r.value(u) for r, u in zip(self.levers, unit_values, strict=True)}

    def evaluate(self, unit: np.ndarray, generation: int, executor: Any) -> None:
        """Run every candidate of a generation (one engine call) and record its outputs."""
        from scenarios.parameters import ParameterError, validate
        from simulation.experiments import RunSpec, run_specs

        specs, owners = [], []
        candidates = []
        for row in unit:
            settings = self.decode(row)
            number = self.count
            self.count += 1
            try:
                validate({**self.base, **settings})
                valid = True
            except ParameterError:
                valid = False
            candidates.append((number, settings, valid))
            if not valid:
                continue
            for j, point in enumerate(self.points):
                params = validate({**self.base, **point, **settings})
                for k, seed in enumerate(self.seeds):
                    owners.append((number, j))
                    specs.append(
                        RunSpec(
                            self.scenario.name,
                            params,
                            self.steps,
                            seed,
                            k,
                            point=number * len(self.points) + j,
                            labels={
                                "generation": generation,
                                "candidate": number,
                                "uncertainty_point": j,
                                **settings,
                                **point,
                            },
                            model=self.model,
                        )
                    )
        runs = pd.DataFrame()
        if specs:
            experiment = run_specs(
                specs,
                self.out_dir,
                progress=self.progress,
                store_details=False,
                manifest={**self.manifest, "generation": generation},
                executor=executor,
                experiment=self.experiment,
                keep_stale=self.keep_stale,
            )
            runs = experiment.runs(status=None)
        failed = runs[runs["status"] != "done"] if len(runs) else runs
        if len(failed):
            from analysis.sensitivity_model import RunsFailedError

            raise RunsFailedError(
                f"{len(failed)} runs failed in generation {generation} (tracebacks in "
                f"{self.out_dir}/failures.log; run the same command again to retry them)"
            )
        by_key = {}
        if len(runs):
            by_key = {
                (int(p) // len(self.points), int(p) % len(self.points), int(r)): values
                for p, r, values in zip(
                    runs["point"],
                    runs["replication"],
                    runs[self.outputs].to_numpy(dtype=float),
                    strict=True,
                )
            }
        for number, settings, valid in candidates:
            means: dict[str, np.ndarray] = {}
            if valid:
                table = np.array(
                    [
                        [by_key[(number, j, k)] for k in range(len(self.seeds))]
                        for j in range(len(self.points))
                    ]
                )  # points x replications x outputs
                for position, output in enumerate(self.outputs):
                    means[output] = table[:, :, position].mean(axis=1)
            self.point_means.append(means)
            self.rows.append(
                {"generation": generation, "candidate": number, "valid": valid, **settings}
            )

    def objective_matrix(self, numbers: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Objectives (to minimise) and constraint violations of the given candidates."""
        best = self._best_per_point() if self._measure == "regret" else {}
        objective_values = np.full((len(numbers), len(self.objectives)), np.inf)
        violations = np.zeros((len(numbers), len(self.constraints) + 1))
        for row, number in enumerate(numbers):
            means = self.point_means[number]
            if not means:
                violations[row, -1] = 1.0  # not a valid combination of levers
                objective_values[row] = 1e300
                continue
            for column, objective in enumerate(self.objectives):
                objective_values[row, column] = self._score(objective, means, best)
            for column, condition in enumerate(self.constraints):
                violations[row, column] = condition.violation(float(means[condition.output].mean()))
        return objective_values, violations

    @property
    def _measure(self) -> str:
        return self.robustness.measure if self.robustness else "mean"

    def _best_per_point(self) -> dict[str, np.ndarray]:
        best = {}
        for objective in self.objectives:
            stacked = np.array([m[objective.output] for m in self.point_means if m])
            best[objective.output] = (
                stacked.max(axis=0) if objective.sense == "max" else stacked.min(axis=0)
            )
        return best

    def _score(
        self, objective: Objective, means: dict[str, np.ndarray], best: dict[str, np.ndarray]
    ) -> float:
        """The objective as a quantity to minimise under the robustness measure."""
        values = means[objective.output]
        if self._measure == "regret":
            return float(np.abs(best[objective.output] - values).max())
        if self._measure == "percentile" and self.robustness is not None:
            q = (
                self.robustness.percentile
                if objective.sense == "max"
                else 100 - self.robustness.percentile
            )
            return objective.to_minimise(float(np.percentile(values, q)))
        return objective.to_minimise(float(values.mean()))

    def reported(self, value: float, objective: Objective) -> float:
        """An objective back in the output's own terms (regret stays a regret)."""
        return value if self._measure == "regret" else objective.to_minimise(value)


def _derived(seeds: list[int], purpose: str) -> int:
    import zlib

    return (int(seeds[0]) ^ zlib.crc32(purpose.encode())) % 2**32


def optimise(
    scenario: Any,
    levers: Sequence[str] | Sequence[Range],
    objectives: Sequence[str] | Sequence[Objective],
    out_dir: str | Path,
    *,
    constraints: Sequence[str] | Sequence[Condition] = (),
    population: int = 40,
    generations: int = 25,
    replications: int = 5,
    steps: int | None = None,
    seed: int = 0,
    robustness: Robustness | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    manifest: dict[str, Any] | None = None,
    model: str = "",
    keep_stale: bool = False,
) -> Optimisation:
    """Search the levers for Pareto-optimal policies with NSGA-II (NSGA-III beyond 2 objectives).

    Args:
        scenario: The loaded scenario whose levers are searched (``--park``/``--set`` applied).
        levers: Lever ranges, or ``--param`` texts (``NAME`` or ``NAME=LOW:HIGH``).
        objectives: ``Objective`` objects or ``OUTPUT:max|min`` texts.
        out_dir: Output folder: the engine's store (resumable) and the result files.
        constraints: ``Condition`` objects or ``"OUTPUT >= VALUE"`` texts.
        population: Candidates per generation.
        generations: Generations (the first is the initial random population).
        replications: Runs per candidate (and per uncertainty point), with common seeds.
        steps: Months per run (default ``simulation.runner.DEFAULT_STEPS``).
        seed: Root seed of the search, the replication seeds and the robustness sample.
        robustness: Robust mode, or None to optimise the scenario's own uncertainties.
        workers: Local processes (1 serial, None all cores).
        scheduler: Dask scheduler address or ``"local"``.
        progress: Show progress bars.
        manifest: Extra provenance for ``manifest.json``.
        model: A test model function (``RunSpec.model``); empty for the model itself.
        keep_stale: Reuse runs stored by another version of the model (or of a park file it
            reads) instead of recomputing them after a one-line notice.

    Raises:
        DesignError: On a bad lever, objective, constraint or setting, failed runs, or a
            missing ``[design]`` extra.
        InputError: If ``out_dir`` holds another search (other scenario, levers,
            objectives, constraints, settings, months or seed).
    """
    from simulation.experiments import make_executor, replication_seeds
    from simulation.experiments.manifest import base_manifest, write_manifest
    from simulation.runner import DEFAULT_STEPS

    lever_list = (
        [r for r in levers if isinstance(r, Range)]
        if levers and all(isinstance(r, Range) for r in levers)
        else lever_ranges([str(text) for text in levers])
    )
    goal = [o if isinstance(o, Objective) else parse_objective(str(o)) for o in objectives]
    limits = [
        c if isinstance(c, Condition) else parse_condition(str(c), "--constraint")
        for c in constraints
    ]
    _check_settings(goal, population, generations, robustness)
    sampling = require("pymoo.core.problem")
    folder = Path(out_dir)
    steps = steps or DEFAULT_STEPS
    seeds = replication_seeds(seed, replications)
    provenance = base_manifest(
        kind="optimise",
        root_seed=seed,
        steps=steps,
        replications=replications,
        replication_seeds=seeds,
        scenario=scenario.name,
        levers={r.name: [r.low, r.high] for r in lever_list},
        objectives=[str(o) for o in goal],
        constraints=[str(c) for c in limits],
        population=population,
        generations=generations,
        algorithm="NSGA-II" if len(goal) <= 2 else "NSGA-III",
        robustness=None
        if robustness is None
        else {
            "measure": robustness.measure,
            "samples": robustness.samples,
            "percentile": robustness.percentile,
            "uncertainties": {r.name: [r.low, r.high] for r in robustness.uncertainties},
        },
        **(manifest or {}),
    )
    evaluator = _Evaluator(
        scenario,
        lever_list,
        goal,
        limits,
        robustness,
        steps,
        seeds,
        folder,
        model,
        progress,
        provenance,
        experiment={
            "kind": "optimise",
            "scenario": scenario.name,
            "overrides": scenario.overrides,
            "levers": [str(text) if not isinstance(text, Range) else text.name for text in levers],
            "lever_ranges": {r.name: [r.low, r.high] for r in lever_list}
            if levers and all(isinstance(r, Range) for r in levers)
            else None,
            "objectives": [str(o) for o in goal],
            "constraints": [str(c) for c in limits],
            "population": population,
            "replications": replications,
            "robustness": provenance["robustness"],
            "steps": steps,
            "root_seed": seed,
            "model": model,
        },
        keep_stale=keep_stale,
    )
    problem = sampling.Problem(
        n_var=len(lever_list),
        n_obj=len(goal),
        n_ieq_constr=len(limits) + 1,
        xl=np.zeros(len(lever_list)),
        xu=np.ones(len(lever_list)),
    )
    algorithm = _algorithm(len(goal), population)
    algorithm.setup(problem, termination=("n_gen", generations), seed=seed, verbose=False)
    static = require("pymoo.problems.static")
    evaluation = require("pymoo.core.evaluator")
    fronts = []
    with make_executor(workers, scheduler) as opened:
        generation = 0
        while algorithm.has_next():
            offspring = algorithm.ask()
            first = evaluator.count
            evaluator.evaluate(offspring.get("X"), generation, opened)
            numbers = list(range(first, evaluator.count))
            objective_values, violations = evaluator.objective_matrix(numbers)
            offspring.set("number", np.array(numbers))
            if algorithm.pop is not None and evaluator._measure == "regret":
                # Regret is against the best found so far: refresh the survivors' values too.
                kept = [int(n) for n in algorithm.pop.get("number")]
                algorithm.pop.set("F", evaluator.objective_matrix(kept)[0])
            evaluation.Evaluator().eval(
                static.StaticProblem(problem, F=objective_values, G=violations), offspring
            )
            algorithm.tell(infills=offspring)
            survivors = [int(n) for n in algorithm.opt.get("number")]
            fronts.append(survivors)
            generation += 1
    result = _result(evaluator, fronts, folder)
    write_manifest(folder, {**provenance, "status": "finished", "evaluations": evaluator.count})
    return result


def _check_settings(
    objectives: list[Objective], population: int, generations: int, robustness: Robustness | None
) -> None:
    if not objectives:
        raise DesignError("optimise needs at least one --objective OUTPUT:max or OUTPUT:min")
    names = [o.output for o in objectives]
    for name in names:
        if names.count(name) > 1:
            raise DesignError(f"--objective {name}: given twice")
    if population < 4:
        raise DesignError(f"--population {population}: at least 4")
    if generations < 1:
        raise DesignError(f"--generations {generations}: at least 1")
    if robustness is not None:
        if robustness.measure not in ROBUST_MEASURES:
            raise DesignError(
                f"--robust {robustness.measure!r}: expected one of {', '.join(ROBUST_MEASURES)}"
            )
        if not robustness.uncertainties:
            raise DesignError("--robust needs at least one --uncertainty NAME or NAME=LOW:HIGH")
        if robustness.samples < 2:
            raise DesignError(f"--uncertainty-samples {robustness.samples}: at least 2")
        if not 0 <= robustness.percentile <= 100:
            raise DesignError(f"--percentile {robustness.percentile:g}: must be in [0, 100]")


def _algorithm(n_objectives: int, population: int) -> Any:
    """NSGA-II for one or two objectives, NSGA-III with Das-Dennis directions beyond."""
    if n_objectives <= 2:
        nsga2 = require("pymoo.algorithms.moo.nsga2")
        return nsga2.NSGA2(pop_size=population, eliminate_duplicates=True)
    nsga3 = require("pymoo.algorithms.moo.nsga3")
    directions = require("pymoo.util.ref_dirs")
    partitions = 1
    while math.comb(n_objectives + partitions, n_objectives - 1) <= population:
        partitions += 1
    reference = directions.get_reference_directions(
        "das-dennis", n_objectives, n_partitions=partitions
    )
    return nsga3.NSGA3(ref_dirs=reference, pop_size=population, eliminate_duplicates=True)


def _result(evaluator: _Evaluator, fronts: list[list[int]], folder: Path) -> Optimisation:
    """Final values of every evaluation, the Pareto set among them and the convergence."""
    sorting = require("pymoo.util.nds.non_dominated_sorting")
    hv = require("pymoo.indicators.hv")
    numbers = list(range(evaluator.count))
    objective_values, violations = evaluator.objective_matrix(numbers)
    feasible = (violations <= 0).all(axis=1)
    evaluations = pd.DataFrame(evaluator.rows)
    for column, objective in enumerate(evaluator.objectives):
        evaluations[objective.output] = [
            evaluator.reported(v, objective) if ok else math.nan
            for v, ok in zip(
                objective_values[:, column], feasible & evaluations["valid"], strict=True
            )
        ]
    for condition in evaluator.constraints:
        if condition.output not in evaluations.columns:
            evaluations[condition.output] = [
                float(m[condition.output].mean()) if m else math.nan for m in evaluator.point_means
            ]
    evaluations["feasible"] = feasible
    lever_names = [r.name for r in evaluator.levers]
    notes = []
    pareto_numbers: list[int] = []
    # The Pareto set: the non-dominated feasible policies of the last population (NSGA keeps
    # the best front it has found there), with their final values (regret is final too).
    last = [n for n in (fronts[-1] if fronts else []) if feasible[n]]
    if last:
        front = sorting.NonDominatedSorting().do(
            objective_values[last], only_non_dominated_front=True
        )
        pareto_numbers = sorted(last[i] for i in front)
    else:
        notes.append("no evaluated policy satisfies every constraint; pareto.csv is empty")
    pareto = evaluations.iloc[pareto_numbers].drop_duplicates(lever_names)
    objective_names = [o.output for o in evaluator.objectives]
    pareto = pareto.sort_values(objective_names, kind="stable").reset_index(drop=True)
    pareto.insert(
        0, "policy", [f"{evaluator.scenario.name}-pareto-{i:02d}" for i in range(len(pareto))]
    )
    constraint_names = [c.output for c in evaluator.constraints if c.output not in objective_names]
    pareto = pareto[["policy", *lever_names, *objective_names, *dict.fromkeys(constraint_names)]]
    # Hypervolume of each generation's non-dominated set, objectives normalised over all
    # feasible evaluations (so generations are comparable; 1.1 is the usual reference point).
    rows = []
    if feasible.any():
        low = objective_values[feasible].min(axis=0)
        span = objective_values[feasible].max(axis=0) - low
        span[span == 0] = 1.0
        indicator = hv.HV(ref_point=np.full(len(objective_names), HV_REFERENCE))
    for generation, front_numbers in enumerate(fronts):
        ok = [n for n in front_numbers if feasible[n]]
        volume = (
            float(indicator((objective_values[ok] - low) / span)) if ok and feasible.any() else 0.0
        )
        rows.append(
            {
                "generation": generation,
                "evaluations": int((evaluations["generation"] <= generation).sum()),
                "hypervolume": volume,
                "front_size": len(ok),
            }
        )
    return Optimisation(
        pareto,
        evaluations.drop(columns=["valid"]),
        pd.DataFrame(rows),
        evaluator.levers,
        evaluator.objectives,
        evaluator.constraints,
        folder,
        notes,
    )


def write_optimisation(result: Optimisation, scenario: Any, figures: bool = True) -> list[Path]:
    """Write pareto.csv, evaluations.csv, convergence.csv, pareto/*.toml and the figures."""
    from analysis.exploration import write_atomic

    folder = result.folder
    written = []
    for frame, name in (
        (result.pareto, PARETO_FILE),
        (result.evaluations, EVALUATIONS_FILE),
        (result.convergence, CONVERGENCE_FILE),
    ):
        write_atomic(frame, folder / name)
        written.append(folder / name)
    written += write_pareto_scenarios(result, scenario)
    if figures and len(result.pareto):
        from analysis.design_figures import (
            convergence_figure,
            parallel_figure,
            pareto_figure,
            save_figure,
        )

        written.append(
            save_figure(convergence_figure(result.convergence), folder / "convergence.png")
        )
        if len(result.objectives) >= 2:
            feasible = result.evaluations[result.evaluations["feasible"]]
            written.append(
                save_figure(
                    pareto_figure(feasible, result.pareto, result.objectives),
                    folder / "pareto.png",
                )
            )
        columns = [r.name for r in result.levers] + [o.output for o in result.objectives]
        if len(result.objectives) > 2:
            written.append(
                save_figure(parallel_figure(result.pareto, columns), folder / "parallel.png")
            )
    return written


def write_pareto_scenarios(result: Optimisation, scenario: Any) -> list[Path]:
    """One scenario file per Pareto policy, ``extends`` the searched scenario's file.

    Each file sets the park and every parameter that differs from the scenario it extends
    (the ``--set`` values and the policy's levers), and is checked by loading it back: its
    parameters must be exactly those the search ran.

    Raises:
        DesignError: If a file does not load back to the searched parameters.
    """
    import shutil

    from scenarios.loader import SCENARIOS_DIR, load_scenario

    folder = result.folder / PARETO_DIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if (
        scenario.path is not None
        and Path(scenario.path).resolve().parent == SCENARIOS_DIR.resolve()
    ):
        extends = Path(scenario.path).stem
    elif scenario.path is not None:
        extends = str(Path(scenario.path).resolve())
    else:
        extends = "baseline"
    parent = load_scenario(extends).parameters()
    base = scenario.parameters()
    written = []
    for row in result.pareto.to_dict("records"):
        settings = {r.name: row[r.name] for r in result.levers}
        wanted = {
            **base,
            **{
                k: (int(v) if r.integer else float(v))
                for (k, v), r in zip(settings.items(), result.levers, strict=True)
            },
        }
        changed = {k: v for k, v in wanted.items() if parent.get(k) != v}
        lines = [
            f"# Pareto policy {row['policy']} of 'symbiosis optimise' "
            + ", ".join(f"{o.output} = {row[o.output]:.6g}" for o in result.objectives),
            f'description = "Pareto policy of an optimisation of {scenario.name}"',
            f'source = "symbiosis optimise, objectives {", ".join(map(str, result.objectives))}"',
            f"extends = {_toml(extends)}",
        ]
        if "park" in changed:
            lines.append(f"park = {_toml(changed.pop('park'))}")
        lines.append("")
        lines.append("[parameters]")
        lines += [f"{name} = {_toml(value)}" for name, value in sorted(changed.items())]
        path = folder / f"{row['policy']}.toml"
        path.write_text("\n".join(lines) + "\n")
        loaded = load_scenario(path).parameters()
        if loaded != wanted:
            differing = sorted(k for k in wanted if loaded.get(k) != wanted[k])
            raise DesignError(f"{path}: does not load back to the searched policy ({differing})")
        written.append(path)
    return written


def _toml(value: Any) -> str:
    """A TOML literal of a parameter value (``"none"`` for an unset optional month)."""
    import json

    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))
