"""Sensitivity analysis of the model: the problem, the runs through the experiment engine.

The problem comes from the single parameter declaration; runs are replicated with common random
numbers through the experiment engine; ``write_results`` writes the files of an analysis.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.sensitivity import (
    CONF_LEVEL,
    METHOD_NAMES,
    SensitivityError,
    SensitivityResult,
    analyse_responses,
    derived_seed,
    make_design,
)

# Parameters analysed when neither --param nor the scenario's [sensitivity] table names any:
# the main policy levers and the behavioural parameters the literature says drive emergence
# (trust: Ghali et al. 2017; information/awareness: World Bank 2021; supply uncertainty: Albino,
# Fraccascia & Giannoccaro 2016; transaction costs: docs/model.md section 7.7), at their declared
# ranges.
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "landfill_tax_eur_per_t",
    "subsidy_eur_per_unit",
    "investment_grant_share",
    "trust_threshold",
    "generalized_trust_mean",
    "awareness_mean",
    "supply_uncertainty",
    "transaction_cost_eur",
)
DEFAULT_OUTPUTS: tuple[str, ...] = (
    "total_exchanges_started",
    "mean_recovery_rate",
    "total_co2_avoided_t",
    "chertow_first_step",
)
# Time-to-event outputs: NaN means the event never happened within the horizon; it counts as
# the month after the horizon (steps + 1), a right-censored value, and the count is reported.
TIME_TO_EVENT_OUTPUTS: tuple[str, ...] = ("chertow_first_step",)
RUNS_FOLDER = "runs"  # the experiment engine's resumable store inside the output folder


class RunsFailedError(RuntimeError):
    """Some model runs failed; the analysis needs every run."""


@dataclass(frozen=True)
class ParameterRange:
    """One parameter of the problem and where its range came from.

    Attributes:
        name: Declared parameter name.
        low: Lower bound, in the parameter's unit.
        high: Upper bound.
        integer: Whether the parameter takes whole-number values (samples rounded).
        origin: ``--param``, ``scenario`` (its [sensitivity] table) or ``declared`` range.
    """

    name: str
    low: float
    high: float
    integer: bool
    origin: str


def parse_param_range(text: str, plausible: bool = False) -> ParameterRange:
    """Parse ``name=low:high`` (or just ``name`` for its declared range), checked.

    Args:
        text: ``name=low:high`` or ``name``.
        plausible: For a bare ``name``, take the plausible range of a declared uncertainty
            (``default_range``) rather than its allowed range. A catalogue number's range is
            its declared one either way.

    Raises:
        SensitivityError: If the name is unknown, not numeric, or the range is malformed,
            empty or outside the declared range or type.
    """
    from scenarios.parameters import ParameterError, check_value, declaration, numeric_range

    name, sep, raw = text.partition("=")
    name = name.strip()
    where = f"--param {text!r}"
    try:
        declared_low, declared_high = default_range(name) if plausible else numeric_range(name)
    except ParameterError as error:
        raise SensitivityError(f"{where}: {error}") from None
    whole = declaration(name).type is int
    if not sep:
        return ParameterRange(name, declared_low, declared_high, whole, "declared")
    low_text, colon, high_text = raw.partition(":")
    if not colon:
        raise SensitivityError(
            f"{where}: expected name=low:high, e.g. {name}={declared_low:g}:{declared_high:g}"
        )
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise SensitivityError(f"{where}: low and high must be numbers") from None
    if not low < high:
        raise SensitivityError(f"{where}: low {low:g} must be below high {high:g}")
    for bound in (low, high):
        try:
            check_value(name, bound)
        except ParameterError as error:
            raise SensitivityError(f"{where}: {error}") from None
    return ParameterRange(name, low, high, whole, "--param")


def resolve_ranges(scenario: Any, params: Sequence[str] = ()) -> list[ParameterRange]:
    """The parameters to vary: ``--param`` if given, else the scenario's table, else defaults.

    Args:
        scenario: A loaded ``scenarios.loader.Scenario``.
        params: ``--param`` texts (``name=low:high`` or ``name``).

    Raises:
        SensitivityError: On a malformed or out-of-range ``--param`` or one named twice.
    """
    from scenarios.parameters import declaration

    if params:
        ranges = [parse_param_range(text, plausible=True) for text in params]
        names = [r.name for r in ranges]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise SensitivityError(f"--param {twice[0]} is given twice")
        return ranges
    if scenario.sensitivity:
        return [
            ParameterRange(name, float(low), float(high), declaration(name).type is int, "scenario")
            for name, (low, high) in scenario.sensitivity.items()
        ]
    return [
        ParameterRange(name, *default_range(name), declaration(name).type is int, "declared")
        for name in DEFAULT_PARAMETERS
    ]


def default_range(name: str) -> tuple[float, float]:
    """The range a sensitivity analysis varies ``name`` over unless told otherwise.

    The plausible range of a declared uncertainty (``Parameter.plausible``; a catalogue number's
    source spread or declared range), else the allowed range of the declaration.

    Raises:
        scenarios.parameters.ParameterError: If the name is unknown or has no numeric range.
    """
    from scenarios.parameters import declaration, numeric_range

    allowed = numeric_range(name)
    plausible = declaration(name).plausible
    return (float(plausible[0]), float(plausible[1])) if plausible is not None else allowed


def check_outputs(outputs: Iterable[str] | None) -> list[str]:
    """The outputs to analyse (default ``DEFAULT_OUTPUTS``), each a known scalar output.

    Raises:
        SensitivityError: If a name is not a declared scalar output
            (``scenarios.outputs.scalar_output_names()``).
    """
    import difflib

    from scenarios.outputs import scalar_output_names

    known = scalar_output_names()
    chosen = list(dict.fromkeys(outputs)) if outputs else list(DEFAULT_OUTPUTS)
    for name in chosen:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SensitivityError(
                f"--output {name!r}: unknown output{hint}; outputs are "
                "final_<indicator>, mean_<indicator>, total_<x> and "
                "chertow_first_step (symbiosis outputs lists them)"
            )
    return chosen


def build_specs(scenario: Any, design: Any, steps: int, seeds: Sequence[int]) -> list[Any]:
    """One ``RunSpec`` per (point, replication); replication k uses ``seeds[k]`` everywhere.

    Raises:
        SensitivityError: If a point's parameters are not allowed together (e.g. an end month
            before a start month).
    """
    from scenarios.parameters import ParameterError, validate
    from simulation.experiments import RunSpec

    base = scenario.parameters()
    specs = []
    for point, row in enumerate(design.values):
        varied = {
            name: (int(value) if whole else float(value))
            for name, value, whole in zip(
                design.problem.names, row, design.problem.integer, strict=True
            )
        }
        try:
            params = validate({**base, **varied})
        except ParameterError as error:
            raise SensitivityError(f"sample point {point}: {error}") from None
        for replication, seed in enumerate(seeds):
            specs.append(
                RunSpec(
                    scenario=scenario.name,
                    params=params,
                    steps=steps,
                    seed=seed,
                    replication=replication,
                    point=point,
                    labels=varied,
                )
            )
    return specs


def collect_responses(
    specs: Sequence[Any], runs: Any, outputs: Sequence[str], points: int, replications: int
) -> dict[str, np.ndarray]:
    """Arrange the engine's runs table into ``{output: (points, replications)}`` arrays.

    Runs are matched by (point, replication): the engine's table is the experiment seen through
    exactly these specs (identical points, run once, are listed at each point they stand for;
    a run kept with ``keep_stale`` is listed under its stored key).

    Raises:
        RunsFailedError: If any run of the design has no result.
    """
    by_member = (
        runs.drop_duplicates(["point", "replication"]).set_index(["point", "replication"])
        if len(runs)
        else None
    )
    responses = {name: np.full((points, replications), np.nan) for name in outputs}
    missing = 0
    for spec in specs:
        member = (spec.point, spec.replication)
        if by_member is None or member not in by_member.index:
            missing += 1
            continue
        row = by_member.loc[member]
        for name in outputs:
            responses[name][spec.point, spec.replication] = float(row[name])
    if missing:
        raise RunsFailedError(f"{missing} of {len(specs)} runs have no result")
    return responses


def analyse_model(
    scenario: Any,
    method: str,
    samples: int,
    *,
    steps: int,
    replications: int,
    out_dir: str | Path,
    params: Sequence[str] = (),
    outputs: Iterable[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    keep_stale: bool = False,
    **method_options: Any,
) -> tuple[SensitivityResult, dict[str, Any]]:
    """Run a sensitivity analysis of the model through the experiment engine.

    Every sample point is run ``replications`` times; replication k uses the same seed at every
    point (common random numbers); indices are computed on the replication means, and the noise
    table says how much of their variance is seed noise. Runs are stored in
    ``out_dir/runs`` as they finish, so an interrupted analysis resumes where it stopped.

    Args:
        scenario: A loaded ``Scenario`` (its parameters are the base of every point).
        method: ``sobol``, ``morris``, ``fast`` or ``pawn``.
        samples: Sample size in the method's unit (see ``analysis.sensitivity.make_design``).
        steps: Months per run.
        replications: Runs per point (R).
        out_dir: Output folder; the engine's store goes in its ``runs`` subfolder.
        params: ``--param`` texts; else the scenario's table; else ``DEFAULT_PARAMETERS``.
        outputs: Scalar outputs to analyse (default ``DEFAULT_OUTPUTS``).
        seed: Root seed of the design, the bootstrap and the replication seeds.
        workers: Engine workers (1 serial, None all cores).
        scheduler: Dask scheduler address or ``"local"``.
        progress: Show the engine's progress bar.
        keep_stale: Reuse runs stored by another version of the model (or of a park file it
            reads) instead of recomputing them after a one-line notice.
        **method_options: ``second_order``, ``levels``, ``harmonics``, ``slides``...

    Returns:
        The result and the manifest describing it.

    Raises:
        SensitivityError: On a bad method, sample size, range or output (before any run).
        InputError: If ``out_dir`` holds another experiment (another scenario, method,
            sample size, option, range, months or seed; more replications are the same one).
        RunsFailedError: If some runs failed (they are logged in ``runs/failures.log``).
    """
    from simulation.experiments import replication_seeds, run_specs
    from simulation.experiments.manifest import base_manifest

    if replications < 1:
        raise SensitivityError(f"--replications must be at least 1, got {replications}")
    chosen_outputs = check_outputs(outputs)
    ranges = resolve_ranges(scenario, params)
    from analysis.sensitivity import Problem

    problem = Problem(
        tuple(r.name for r in ranges),
        tuple((r.low, r.high) for r in ranges),
        tuple(r.integer for r in ranges),
    )
    design = make_design(problem, method, samples, seed=seed, **method_options)
    seeds = replication_seeds(seed, replications)
    specs = build_specs(scenario, design, steps, seeds)
    manifest = base_manifest(
        kind="sensitivity",
        scenario={
            "name": scenario.name,
            "description": scenario.description,
            "content_hash": scenario.content_hash(),
            "overrides": scenario.overrides,
        },
        method=method,
        method_name=METHOD_NAMES[method],
        samples=samples,
        options=design.options,
        points=design.points,
        replications=replications,
        runs=len(specs),
        steps=steps,
        root_seed=seed,
        replication_seeds=seeds,
        design_seed=derived_seed(seed, "design"),
        bootstrap_seed=derived_seed(seed, "bootstrap"),
        conf_level=CONF_LEVEL,
        parameters=[_describe(r) for r in ranges],
        parameters_from=ranges[0].origin if len({r.origin for r in ranges}) == 1 else "mixed",
        outputs=chosen_outputs,
        nan_fill={name: steps + 1 for name in chosen_outputs if name in TIME_TO_EVENT_OUTPUTS},
        runs_folder=RUNS_FOLDER,
    )
    experiment = run_specs(
        specs,
        Path(out_dir) / RUNS_FOLDER,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        store_details=False,
        manifest={**manifest, "kind": "sensitivity runs"},
        experiment={
            "kind": "sensitivity",
            "scenario": scenario.name,
            "overrides": scenario.overrides,
            "ranges": {name: list(bounds) for name, bounds in scenario.sensitivity.items()},
            "params": list(params),
            "method": method,
            "samples": samples,
            "options": method_options,
            "steps": steps,
            "root_seed": seed,
        },
        keep_stale=keep_stale,
    )
    try:
        responses = collect_responses(
            specs, experiment.runs(), chosen_outputs, design.points, replications
        )
    except RunsFailedError as error:
        raise RunsFailedError(
            f"{error}: see {Path(out_dir) / RUNS_FOLDER / 'failures.log'}; "
            "run the same command again to retry them"
        ) from None
    result = analyse_responses(design, responses, manifest["nan_fill"])
    manifest["engine"] = {
        key: experiment.manifest.get(key)
        for key in ("runs_total", "runs_reused", "runs_done", "runs_failed", "status")
    }
    fixed = [r.name for r in ranges if r.name in scenario.overrides]
    if fixed:
        result.notes.append(
            "varied over their ranges although the scenario (or --set) fixes them: "
            + ", ".join(f"{name} (set to {scenario.overrides[name]!r})" for name in fixed)
        )
    manifest["notes"] = result.notes
    return result, manifest


def _describe(parameter_range: ParameterRange) -> dict[str, Any]:
    from scenarios.parameters import declaration

    declared = declaration(parameter_range.name)
    return {
        "name": parameter_range.name,
        "low": parameter_range.low,
        "high": parameter_range.high,
        "integer": parameter_range.integer,
        "unit": declared.unit,
        "kind": declared.kind,
        "range_from": parameter_range.origin,
        "meaning": declared.meaning,
    }


def write_results(
    result: SensitivityResult,
    out_dir: str | Path,
    manifest: Mapping[str, Any],
    figures: bool = True,
) -> list[Path]:
    """Write indices, noise, samples, convergence, figures and ``manifest.json`` atomically.

    Files already in ``out_dir`` (such as the engine's ``runs`` store) are kept; the new files
    replace old ones only once all are written.
    """
    from simulation.output import atomic_output_dir

    out = Path(out_dir)
    names: list[str] = []
    with atomic_output_dir(out) as staging:
        result.indices.to_csv(staging / "indices.csv", index=False)
        result.noise.to_csv(staging / "noise.csv", index=False)
        result.samples.to_csv(staging / "samples.csv", index=False)
        result.convergence.to_csv(staging / "convergence.csv", index=False)
        names += ["indices.csv", "noise.csv", "samples.csv", "convergence.csv"]
        if figures:
            from analysis.sensitivity import used_samples
            from analysis.sensitivity_plots import save_sensitivity_figures

            names += [
                path.name
                for path in save_sensitivity_figures(
                    result.indices,
                    result.convergence,
                    staging,
                    noise=result.noise,
                    samples=used_samples(manifest),
                )
            ]
        full = {**manifest, "files": [*names, "manifest.json"]}
        (staging / "manifest.json").write_text(
            json.dumps(_plain(full), indent=2, default=str, allow_nan=False) + "\n"
        )
    _remove_stale_figures(out, names)
    return [out / name for name in (*names, "manifest.json")]


def _remove_stale_figures(out: Path, written: Sequence[str]) -> None:
    """Delete figures an earlier analysis left in ``out`` that this one did not redraw."""
    from analysis.sensitivity_plots import CONVERGENCE_FILE, FIGURE_FILES, SECOND_ORDER_FILE

    for name in (*FIGURE_FILES.values(), CONVERGENCE_FILE, SECOND_ORDER_FILE):
        if name not in written:
            (out / name).unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
