"""Calibration of declared uncertainties against observed park data: ABC-SMC through the engine.

Approximate Bayesian computation with sequential Monte Carlo (ABC-SMC; Toni et al. 2009;
Beaumont et al. 2009) as implemented by pyabc (version 0.13, https://github.com/icb-dcm/pyabc):
a population of particles (parameter values) is drawn from uniform priors, each is simulated,
and those whose simulated statistics lie within a distance epsilon of the observed ones are
kept; epsilon shrinks from generation to generation (the weighted median of the last
generation's distances times ``EPSILON_MULTIPLIER``) and the next population is proposed by
perturbing the weighted survivors. The distance is the Euclidean norm
of the fitted targets' differences, each divided by its observation uncertainty.

Every simulation goes through the experiment engine: pyabc's sampler is replaced by one that
first collects a batch of proposals (replaying pyabc's random draws), runs the batch as one
engine call (parallel, seeded, stored), then lets pyabc evaluate the stored results in proposal
order, so acceptance is exactly that of a serial sampler. The random state is seeded per
generation and each run's seed follows from its position, so a calibration killed at any point
and started again replays the finished generations from the store without simulating.

References: Toni, T., Welch, D., Strelkowa, N., Ipsen, A. & Stumpf, M. P. H. (2009),
Approximate Bayesian computation scheme for parameter inference and model selection in dynamical
systems, J. R. Soc. Interface 6(31), 187-202; Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. &
Robert, C. P. (2009), Adaptive approximate Bayesian computation, Biometrika 96(4), 983-990.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.errors import InputError
from scenarios.targets import Target, Targets, load_targets

POSTERIOR_FILE = "posterior.csv"
DIAGNOSTICS_FILE = "diagnostics.csv"
PREDICTIVE_FILE = "predictive.csv"
VALIDATION_FILE = "validation.csv"
VALIDATION_HTML = "validation.html"
CALIBRATED_FILE = "calibrated.toml"
TARGETS_COPY = "targets.toml"
ABC_DATABASE = "abc.sqlite"
# Quantiles of the posterior predictive interval in the validation table (a 90 % interval).
PREDICTIVE_QUANTILES = (0.05, 0.95)
# Proposals per batch: at least this many, else the expected number needed for the missing
# acceptances at the last acceptance rate (one engine call per batch).
MIN_BATCH = 8
# Epsilon is the last generation's weighted median distance times this (pyabc's
# QuantileEpsilon). Counts give tied distances: where more than half of a generation shares one
# distance (on Kalundborg, the runs that form no link), the plain median would equal it in every
# generation and accept those runs for ever; just below it, they are refused.
EPSILON_MULTIPLIER = 0.95


class CalibrationError(InputError):
    """A calibration that cannot run (bad setting, failed runs, missing extra)."""


@dataclass
class Calibration:
    """The result of a calibration.

    Attributes:
        targets: The targets file.
        posterior: Last population: ``particle``, ``weight``, the fitted uncertainties, then
            every target's simulated statistic.
        diagnostics: Per generation: ``generation``, ``epsilon``, ``particles``,
            ``simulations``, ``acceptance_rate``, ``ess``, ``median_distance``.
        folder: Output folder.
        notes: Remarks.
    """

    targets: Targets
    posterior: pd.DataFrame
    diagnostics: pd.DataFrame
    folder: Path
    notes: list[str] = field(default_factory=list)


def target_statistic(
    target: Target, timeseries: pd.DataFrame | None, scalars: dict[str, float]
) -> float:
    """The target's statistic of one run (its timeseries table, or its scalar outputs)."""
    if target.statistic == "scalar":
        return float(scalars[target.output])
    assert timeseries is not None
    first, last = target.years
    window = timeseries[
        (timeseries["step"] > (first - 1) * 12) & (timeseries["step"] <= last * 12)
    ][target.output]
    if target.statistic == "sum":
        return float(window.sum())
    if target.statistic == "yearly_mean":
        return float(window.sum()) / (last - first + 1)
    return float(window.mean())


class _Proposal(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the model for a proposal not simulated yet (collected into a batch)."""

    def __init__(self, parameters: dict[str, float]) -> None:
        super().__init__("proposal")
        self.parameters = parameters


class _Simulator:
    """Runs batches of proposals through the engine and keeps every target's statistic."""

    def __init__(
        self,
        targets: Targets,
        folder: Path,
        seed: int,
        model: str,
        progress: bool,
        manifest: dict[str, Any],
    ) -> None:
        from scenarios.loader import load_scenario

        self.targets = targets
        self.names = [p.name for p in targets.priors]
        self.integer = {p.name for p in targets.priors if p.integer}
        self.settings = targets.settings()
        self.bases = {
            setting: {**load_scenario(setting[0]).parameters(), "park": setting[1]}
            for setting in self.settings
        }
        self.details = any(t.statistic != "scalar" for t in targets.targets)
        self.folder = folder
        self.seed = seed
        self.model = model
        self.progress = progress
        self.manifest = manifest
        self.cache: dict[tuple[float, ...], dict[str, float]] = {}
        self.simulations = 0
        self.executor: Any = None

    def key(self, parameters: Any) -> tuple[float, ...]:
        return tuple(float(parameters[name]) for name in self.names)

    def values(self, parameters: Any) -> dict[str, Any]:
        """Parameter values of a particle (integer uncertainties rounded)."""
        return {
            name: int(round(float(parameters[name])))
            if name in self.integer
            else float(parameters[name])
            for name in self.names
        }

    def run(self, proposals: list[dict[str, float]], generation: int, first: int) -> None:
        """Simulate every proposal at every setting (one engine call) and cache statistics."""
        from scenarios.parameters import validate
        from simulation.experiments import RunSpec, run_specs

        specs, owners = [], []
        for number, proposal in enumerate(proposals):
            position = first + number
            seed = int(
                np.random.SeedSequence([self.seed, generation + 1, position]).generate_state(1)[0]
            )
            values = self.values(proposal)
            for s, setting in enumerate(self.settings):
                params = validate({**self.bases[setting], **values})
                point = (generation + 1) * 10_000_000 + position * len(self.settings) + s
                owners.append((number, s))
                specs.append(
                    RunSpec(
                        setting[0],
                        params,
                        setting[2],
                        seed,
                        0,
                        point=point,
                        labels={"generation": generation, "particle": position, **values},
                        model=self.model,
                    )
                )
        experiment = run_specs(
            specs,
            self.folder,
            progress=self.progress,
            store_details=self.details and not self.model,
            manifest={**self.manifest, "generation": generation},
            executor=self.executor,
        )
        runs = experiment.runs(status=None)
        failed = runs[runs["status"] != "done"]
        if len(failed):
            raise CalibrationError(
                f"{len(failed)} runs failed in generation {generation} (tracebacks in "
                f"{self.folder}/failures.log; run the same command again to retry them)"
            )
        self.simulations += len(proposals)
        by_point = {int(row["point"]): row for row in runs.to_dict("records")}
        series: dict[str, pd.DataFrame] = {}
        if self.details and not self.model:
            series = {str(key): frame for key, frame in experiment.timeseries().groupby("run_key")}
        for number, proposal in enumerate(proposals):
            position = first + number
            statistics: dict[str, float] = {}
            for s, setting in enumerate(self.settings):
                row = by_point[(generation + 1) * 10_000_000 + position * len(self.settings) + s]
                timeseries = series.get(str(row["run_key"]))
                for target in self.targets.targets:
                    if target.setting == setting:
                        statistics[target.name] = target_statistic(
                            target, timeseries, {str(k): v for k, v in row.items()}
                        )
            self.cache[self.key(proposal)] = statistics

    def scaled(self, parameters: Any) -> dict[str, float]:
        """The fitted statistics of a simulated particle, each divided by its uncertainty."""
        key = self.key(parameters)
        if key not in self.cache:
            raise _Proposal(dict(parameters))
        statistics = self.cache[key]
        return {t.name: _finite(statistics[t.name]) / t.uncertainty for t in self.targets.fitted()}


def _finite(value: float) -> float:
    """A statistic for the distance: NaN (no data) counts as very far."""
    return value if math.isfinite(value) else 1e12


def _sampler_class() -> Any:
    """The engine-batching pyabc sampler (defined on first use: pyabc is an optional extra)."""
    from pyabc.sampler import Sampler

    class EngineSampler(Sampler):
        """Collects proposals, simulates them as one engine batch, then evaluates in order."""

        def __init__(self, simulator: _Simulator, seed: int, max_simulations: int) -> None:
            super().__init__()
            self.simulator = simulator
            self.seed = seed
            self.max_simulations = max_simulations
            self.rate = 1.0
            self.log: list[dict[str, Any]] = []

        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Callable[[], Any],
            t: int,
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            np.random.seed(int(np.random.SeedSequence([self.seed, t + 2]).generate_state(1)[0]))
            sample = self._create_empty_sample()
            evaluations = 0
            position = 0
            while sample.n_accepted < n and evaluations < max_eval:
                missing = n - sample.n_accepted
                size = max(MIN_BATCH, missing, math.ceil(missing / max(self.rate, 0.02)))
                size = int(min(size, max_eval - evaluations))
                states, proposals = [], []
                for _ in range(size):
                    states.append(np.random.get_state())
                    try:
                        simulate_one()
                    except _Proposal as proposal:
                        proposals.append(proposal.parameters)
                    else:
                        proposals.append({})  # already simulated: a repeated proposal
                after = np.random.get_state()
                fresh = [p for p in proposals if p]
                if fresh:
                    self.simulator.run(fresh, t, position)
                    position += len(fresh)
                accepted_before = sample.n_accepted
                used = 0
                for state in states:
                    np.random.set_state(state)
                    particle = simulate_one()
                    sample.append(particle)
                    used += 1
                    evaluations += 1
                    if sample.n_accepted >= n:
                        break
                np.random.set_state(after)
                self.rate = max((sample.n_accepted - accepted_before) / used, 1.0 / (used + 1))
            self.nr_evaluations_ = evaluations
            self.log.append({"generation": t, "simulations": evaluations})
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return EngineSampler


def calibrate(
    targets: str | Path | Targets,
    out_dir: str | Path,
    *,
    population: int = 50,
    generations: int = 5,
    minimum_epsilon: float = 0.0,
    max_simulations: int = 5000,
    workers: int | None = None,
    seed: int = 0,
    progress: bool = True,
    model: str = "",
    manifest: dict[str, Any] | None = None,
) -> Calibration:
    """Fit the targets' uncertainties by ABC-SMC, every run through the experiment engine.

    Args:
        targets: A targets file (name, path or loaded ``Targets``).
        out_dir: Folder of the engine's store (resumable) and of the result files.
        population: Particles per generation.
        generations: Largest number of generations.
        minimum_epsilon: Stop once epsilon (in units of observation uncertainty) is below it.
        max_simulations: Start no new generation once this many particles have been simulated
            (pyabc checks it between generations, so the last one may pass it).
        workers: Local processes (1 serial, None all cores).
        seed: Root seed of the priors' draws, the proposals and every run's seed.
        progress: Show progress bars.
        model: A test model function (``RunSpec.model``); empty for the model itself.
        manifest: Extra provenance for ``manifest.json``.

    Raises:
        CalibrationError: On a bad setting, failed runs, or a missing ``[calibrate]`` extra.
    """
    from simulation.experiments import make_executor
    from simulation.experiments.manifest import base_manifest, write_manifest

    spec = targets if isinstance(targets, Targets) else load_targets(targets)
    if population < 4:
        raise CalibrationError(f"--population {population}: at least 4")
    if generations < 1:
        raise CalibrationError(f"--generations {generations}: at least 1")
    if max_simulations < 2 * population:
        raise CalibrationError(
            f"--max-simulations {max_simulations}: at least twice the population ({population})"
        )
    try:
        import pyabc
    except ImportError:
        raise CalibrationError(
            "calibrate needs pyabc: pip install 'symbiosis[calibrate]'"
        ) from None
    import logging

    for name in ("ABC", "pyabc", "Epsilon", "Data_plot", "History", "Sampler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    provenance = base_manifest(
        kind="calibrate",
        root_seed=seed,
        steps=max(t.months for t in spec.targets),
        replications=1,
        replication_seeds=[],
        targets=str(spec.path),
        priors={p.name: [p.low, p.high] for p in spec.priors},
        population=population,
        generations=generations,
        minimum_epsilon=minimum_epsilon,
        max_simulations=max_simulations,
        algorithm="ABC-SMC (pyabc)",
        **(manifest or {}),
    )
    simulator = _Simulator(spec, folder, seed, model, progress, provenance)
    prior = pyabc.Distribution(
        **{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in spec.priors}
    )
    observed = {t.name: t.observed / t.uncertainty for t in spec.fitted()}

    def simulate(parameters: Any) -> dict[str, float]:
        return simulator.scaled(parameters)

    sampler = _sampler_class()(simulator, seed, max_simulations)
    database = folder / ABC_DATABASE
    database.unlink(missing_ok=True)  # replayed from the engine's store on every start
    abc = pyabc.ABCSMC(
        pyabc.model.FunctionModel(simulate, name="symbiosis"),
        prior,
        pyabc.PNormDistance(p=2),
        population_size=population,
        eps=pyabc.QuantileEpsilon(alpha=0.5, quantile_multiplier=EPSILON_MULTIPLIER),
        sampler=sampler,
    )
    abc.new(f"sqlite:///{database}", observed)
    with make_executor(workers) as opened:
        simulator.executor = opened
        history = abc.run(
            minimum_epsilon=minimum_epsilon,
            max_nr_populations=generations,
            max_total_nr_simulations=max_simulations,
        )
    result = _result(spec, history, simulator, folder)
    write_manifest(
        folder, {**provenance, "status": "finished", "simulations": simulator.simulations}
    )
    return result


def _result(spec: Targets, history: Any, simulator: _Simulator, folder: Path) -> Calibration:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.reset_index(drop=True)[[p.name for p in spec.priors]].astype(float)
    posterior.insert(0, "weight", np.asarray(weights, dtype=float))
    posterior.insert(0, "particle", range(len(posterior)))
    for target in spec.targets:
        posterior[target.name] = [
            simulator.cache[tuple(float(row[n]) for n in simulator.names)][target.name]
            for row in posterior.to_dict("records")
        ]
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0].reset_index(drop=True)
    rows = []
    for generation, row in enumerate(populations.to_dict("records")):
        _, w = history.get_distribution(m=0, t=int(row["t"]))
        w = np.asarray(w, dtype=float)
        distances = history.get_weighted_distances(t=int(row["t"]))
        particles = int(row["particles"])
        rows.append(
            {
                "generation": generation,
                "epsilon": float(row["epsilon"]),
                "particles": particles,
                "simulations": int(row["samples"]),
                "acceptance_rate": particles / max(int(row["samples"]), 1),
                "ess": float(w.sum() ** 2 / (w**2).sum()),
                "median_distance": float(distances["distance"].median()),
            }
        )
    diagnostics = pd.DataFrame(rows)
    return Calibration(spec, posterior, diagnostics, folder)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of weighted values (inverse of the weighted empirical CDF)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = np.isfinite(values)
    values, weights = values[keep], weights[keep]
    if not len(values):
        return math.nan
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    index = min(int(np.searchsorted(cumulative, q)), len(values) - 1)
    return float(values[order][index])


def write_calibration(result: Calibration, figures: bool = True) -> list[Path]:
    """Write the posterior, diagnostics, calibrated scenario, validation and figures."""
    import shutil

    from analysis.exploration import write_atomic

    folder = result.folder
    written = []
    for frame, name in ((result.posterior, POSTERIOR_FILE), (result.diagnostics, DIAGNOSTICS_FILE)):
        write_atomic(frame, folder / name)
        written.append(folder / name)
    shutil.copyfile(result.targets.path, folder / TARGETS_COPY)
    written.append(folder / TARGETS_COPY)
    written.append(write_calibrated_scenario(result))
    written += write_validation(folder)
    if figures:
        written += calibration_figures(result)
    return written


def posterior_summary(result: Calibration) -> pd.DataFrame:
    """Per fitted uncertainty: prior range, weighted median, 5 % and 95 % quantiles."""
    weights = result.posterior["weight"].to_numpy()
    rows = []
    for prior in result.targets.priors:
        values = result.posterior[prior.name].to_numpy()
        rows.append(
            {
                "parameter": prior.name,
                "prior_low": prior.low,
                "prior_high": prior.high,
                "median": weighted_quantile(values, weights, 0.5),
                "q05": weighted_quantile(values, weights, 0.05),
                "q95": weighted_quantile(values, weights, 0.95),
            }
        )
    return pd.DataFrame(rows)


def write_calibrated_scenario(result: Calibration) -> Path:
    """``calibrated.toml``: ``extends = "baseline"`` with the posterior median of each value.

    Raises:
        CalibrationError: If the file does not load back to those values.
    """
    from scenarios.loader import load_scenario

    summary = posterior_summary(result)
    parks = list(dict.fromkeys(t.park for t in result.targets.fitted()))
    lines = [
        f"# Calibrated by 'symbiosis calibrate {result.targets.path.stem}': the posterior median "
        "of each fitted",
        "# uncertainty; the 90 % posterior interval [5 %, 95 %] is in the comment beside it.",
        'description = "Baseline with the uncertainties calibrated against '
        + ", ".join(parks)
        + ' (ABC-SMC, posterior medians)"',
        f'source = "symbiosis calibrate {result.targets.path.stem}, '
        f'{int(result.diagnostics["simulations"].sum())} simulations"',
        'extends = "baseline"',
        "",
        "[parameters]",
    ]
    integer = {p.name for p in result.targets.priors if p.integer}
    wanted = {}
    for row in summary.to_dict("records"):
        name = row["parameter"]
        value: int | float = (
            int(round(row["median"])) if name in integer else float(f"{row['median']:.6g}")
        )
        wanted[name] = value
        lines.append(
            f"{name} = {value!r}  # 90 % posterior [{row['q05']:.4g}, {row['q95']:.4g}], "
            f"prior [{row['prior_low']:g}, {row['prior_high']:g}]"
        )
    path = result.folder / CALIBRATED_FILE
    path.write_text("\n".join(lines) + "\n")
    loaded = load_scenario(path).parameters()
    if any(loaded[k] != v for k, v in wanted.items()):
        raise CalibrationError(f"{path}: does not load back to the posterior medians")
    return path


def validation_table(folder: str | Path) -> pd.DataFrame:
    """Every target beside its posterior predictive interval, with a verdict.

    The predictive interval is the weighted 5 %-95 % range of the statistic over the last
    population's simulations (draws of the ABC posterior predictive). The verdict is
    ``inside`` when the observation, widened by one uncertainty either way, overlaps it.

    Raises:
        CalibrationError: If the folder holds no finished calibration.
    """
    path = Path(folder)
    if not (path / POSTERIOR_FILE).is_file() or not (path / TARGETS_COPY).is_file():
        raise CalibrationError(
            f"{path}: not a calibration folder (no {POSTERIOR_FILE}; create one with "
            "'symbiosis calibrate TARGETS --out DIR')"
        )
    spec = load_targets(path / TARGETS_COPY)
    posterior = pd.read_csv(path / POSTERIOR_FILE)
    weights = posterior["weight"].to_numpy()
    rows = []
    for target in spec.targets:
        if target.name not in posterior.columns:
            raise CalibrationError(f"{path}: {POSTERIOR_FILE} has no column {target.name!r}")
        values = posterior[target.name].to_numpy()
        low, high = (weighted_quantile(values, weights, q) for q in PREDICTIVE_QUANTILES)
        median = weighted_quantile(values, weights, 0.5)
        inside = (
            math.isfinite(low)
            and target.observed + target.uncertainty >= low
            and target.observed - target.uncertainty <= high
        )
        rows.append(
            {
                "target": target.name,
                "role": target.role,
                "park": target.park,
                "output": target.output,
                "statistic": target.statistic,
                "years": f"{target.years[0]}-{target.years[1]}"
                if target.statistic != "scalar"
                else "",
                "observed": target.observed,
                "uncertainty": target.uncertainty,
                "predicted_median": median,
                "predicted_q05": low,
                "predicted_q95": high,
                "verdict": "inside" if inside else "outside",
                "source": target.source,
            }
        )
    return pd.DataFrame(rows)


def not_reproduced(table: pd.DataFrame) -> list[str]:
    """Plain sentences, one per target outside its interval: what the model does not reproduce."""
    lines = []
    for row in table[table["verdict"] == "outside"].to_dict("records"):
        direction = "above" if row["predicted_q05"] > row["observed"] else "below"
        lines.append(
            f"{row['target']} ({row['role']}): the model's 90 % interval "
            f"[{row['predicted_q05']:.4g}, {row['predicted_q95']:.4g}] lies {direction} the "
            f"observed {row['observed']:.4g} +/- {row['uncertainty']:.4g}."
        )
    return lines


def write_validation(folder: str | Path) -> list[Path]:
    """``validation.csv`` and ``validation.html`` of a calibration folder."""
    import html

    from analysis.exploration import write_atomic

    path = Path(folder)
    table = validation_table(path)
    write_atomic(table, path / VALIDATION_FILE)
    missing = not_reproduced(table)
    statement = (
        "<p>The model reproduces every target within its interval.</p>"
        if not missing
        else "<p>What the calibrated model does not reproduce:</p><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in missing)
        + "</ul>"
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Calibration validation</title>"
        "</head><body><h1>Calibration validation</h1>"
        f"<p>{(table['verdict'] == 'inside').sum()} of {len(table)} targets inside the "
        "posterior predictive 90 % interval (observation +/- one uncertainty overlapping it).</p>"
        + table.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        + statement
        + "</body></html>\n"
    )
    (path / VALIDATION_HTML).write_text(page)
    return [path / VALIDATION_FILE, path / VALIDATION_HTML]


def calibration_figures(result: Calibration) -> list[Path]:
    """Posterior marginals and observed against simulated, as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = result.folder
    priors = result.targets.priors
    weights = result.posterior["weight"].to_numpy()
    figure, axes = plt.subplots(1, len(priors), figsize=(3.2 * len(priors), 2.8), squeeze=False)
    for axis, prior in zip(axes[0], priors, strict=True):
        axis.hist(
            result.posterior[prior.name],
            bins=15,
            range=(prior.low, prior.high),
            weights=weights,
            color="#4c72b0",
        )
        axis.set_xlabel(prior.name)
        axis.set_xlim(prior.low, prior.high)
    axes[0][0].set_ylabel("posterior weight")
    figure.tight_layout()
    marginals = folder / "posterior_marginals.png"
    figure.savefig(marginals, dpi=120)
    plt.close(figure)
    table = validation_table(folder)
    figure, axis = plt.subplots(figsize=(6.5, 0.45 * len(table) + 1.2))
    for i, row in enumerate(table.to_dict("records")):
        scale = abs(row["observed"]) + row["uncertainty"]
        colour = "#4c72b0" if row["role"] == "fit" else "#dd8452"
        axis.plot(
            [row["predicted_q05"] / scale, row["predicted_q95"] / scale], [i, i], color=colour
        )
        axis.plot(row["predicted_median"] / scale, i, "o", color=colour)
        axis.errorbar(
            row["observed"] / scale, i, xerr=row["uncertainty"] / scale, fmt="kx", capsize=3
        )
    axis.set_yticks(
        range(len(table)),
        [f"{t} ({r})" for t, r in zip(table["target"], table["role"], strict=True)],
    )
    axis.set_xlabel("value / (|observed| + uncertainty); x observed, o simulated median, line 90 %")
    figure.tight_layout()
    compared = folder / "observed_vs_simulated.png"
    figure.savefig(compared, dpi=120)
    plt.close(figure)
    return [marginals, compared]


def calibration_section(folder: str | Path) -> str:
    """The body of the report's calibration section for ``folder`` (a note if none)."""
    import html

    path = Path(folder)
    if not (path / POSTERIOR_FILE).is_file() or not (path / TARGETS_COPY).is_file():
        return (
            '<p class="note">This folder holds no calibration (see \'symbiosis calibrate '
            "TARGETS --out DIR').</p>"
        )
    table = validation_table(path)
    inside = int((table["verdict"] == "inside").sum())
    missing = not_reproduced(table)
    columns = ["target", "role", "observed", "uncertainty", "predicted_q05", "predicted_q95"]
    shown = table[[*columns, "verdict"]]
    parts = [
        f"<p>{inside} of {len(table)} targets (fitted and held out) lie inside the model's "
        "90 % posterior predictive interval, the observation widened by one uncertainty "
        "either way.</p>",
        '<div class="scroll">'
        + shown.to_html(index=False, classes="plain", float_format=lambda v: f"{v:.4g}")
        + "</div>",
    ]
    if missing:
        parts.append(
            "<p>What the calibrated model does not reproduce:</p><ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in missing)
            + "</ul>"
        )
    return "\n".join(parts)
