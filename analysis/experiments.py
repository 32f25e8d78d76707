"""Compare scenarios and sweep parameters from Python: what ``symbiosis compare`` and ``sweep`` do.

The command line parses its options and prints; the work is here, so that a notebook can do all
the CLI does. ``compare_scenarios`` runs scenarios over common-seed replications, adding
replications in batches until a confidence-interval target is met (``--target-ci``);
``sweep_points_table`` summarises a sweep per design point with paired differences against the
first point, exactly as ``comparison_table`` does for scenarios.

Example::

    from scenarios.loader import load_scenario
    from analysis.experiments import compare_scenarios

    result = compare_scenarios(
        [load_scenario("baseline"), load_scenario("facilitation")],
        "results/my-compare",
        replications=10,
        target=("total_exchanges_started", 2.0),
    )
    result.table  # comparison.csv as a DataFrame
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.statistics import (
    CONFIDENCE,
    comparison_table,
    difference_bounds,
    estimate,
    output_bounds,
    replications_for_target,
    widest_half_width,
)
from scenarios.errors import InputError

DEFAULT_MAX_REPLICATIONS = 200


@dataclass
class CompareResult:
    """What one comparison produced.

    Attributes:
        experiment: The ``simulation.experiments.Experiment`` of the last batch.
        table: The comparison table (``analysis.statistics.comparison_table``).
        replications: Replications per scenario finally run.
        verdict: With a target: a sentence saying whether it was reached; else None.
        reached: With a target: whether it was reached; else None.
        started_utc: When the first batch started (ISO 8601, from the engine's manifest).
    """

    experiment: Any
    table: pd.DataFrame
    replications: int
    verdict: str | None = None
    reached: bool | None = None
    started_utc: str | None = None


def next_replications(
    runs: pd.DataFrame,
    target: tuple[str, float],
    names: Sequence[str],
    current: int,
    maximum: int,
) -> int:
    """Next batch size: the replications the current spread says the target needs.

    At least one more, at most four times as many (the spread of a few runs is itself
    uncertain), never above ``maximum``.
    """
    needed = replications_for_target(runs, target[0], names[0], target[1], list(names))
    return min(maximum, max(current + 1, min(needed, current * 4)))


def compare_scenarios(
    scenarios: Sequence[Any],
    out: str | Path,
    *,
    replications: int = 10,
    steps: int | None = None,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    target: tuple[str, float] | None = None,
    max_replications: int = DEFAULT_MAX_REPLICATIONS,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    manifest: Mapping[str, Any] | None = None,
    on_batch: Callable[[str], None] | None = None,
    run: Callable[[Any, dict[str, Any]], Any] | None = None,
) -> CompareResult:
    """Run scenarios over common-seed replications into ``out`` and compare them.

    Replication k of every scenario uses the same seed, so differences from the first scenario
    are paired. With ``target = (output, half_width)``, replications are added in batches
    until the widest 95% CI half-width of that output (over the scenarios' means and paired
    differences) is at most ``half_width``, or ``max_replications`` is reached. Runs already
    in the folder's store are reused.

    Args:
        scenarios: Loaded scenarios (``scenarios.loader.load_scenario``); the first is the
            reference.
        out: Experiment folder (the result store lives there).
        replications: Replications per scenario (the first batch with a target).
        steps: Months per run (default ``simulation.runner.DEFAULT_STEPS``).
        seed: Root seed; replication seeds are spawned from it.
        outputs: Scalar outputs to compare (default ``simulation.outputs.KEY_OUTPUTS``); the
            target's output is added if missing.
        target: ``(output, half_width)`` to reach, or None for a fixed number of replications.
        max_replications: Upper limit of replications with a target.
        workers: Local worker processes (1 serial, None all cores).
        scheduler: Dask scheduler address or ``"local"``.
        progress: Show the engine's progress bar.
        manifest: Extra manifest fields recorded by the engine (the CLI's command line...).
        on_batch: Called with a sentence before each further batch (the CLI prints it).
        run: ``run(specs, manifest) -> Experiment`` runs one batch (the CLI's, which stages
            ``--overwrite`` and records the invocation); default ``run_specs`` into ``out``.

    Raises:
        InputError: On a bad target, or ``max_replications`` below ``replications``.
    """
    from simulation.experiments import SpecGrid, replication_seeds, run_specs
    from simulation.outputs import KEY_OUTPUTS
    from simulation.runner import DEFAULT_STEPS

    chosen = list(dict.fromkeys(outputs or KEY_OUTPUTS))
    if target is not None:
        if not target[1] > 0:
            raise InputError(f"target half-width must be positive, got {target[1]:g}")
        if max_replications < replications:
            raise InputError(
                f"--max-replications {max_replications} is below --replications {replications}"
            )
        if target[0] not in chosen:
            chosen.append(target[0])
    steps = steps or DEFAULT_STEPS
    names = [s.name for s in scenarios]

    def default_run(specs: Any, batch_manifest: dict[str, Any]) -> Any:
        return run_specs(
            specs,
            Path(out),
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            store_details=True,
            manifest=batch_manifest,
            experiment={
                "kind": "compare",
                "scenarios": [[s.name, s.overrides] for s in scenarios],
                "steps": steps,
                "root_seed": seed,
            },
        )

    run_batch = run or default_run
    started = None
    while True:
        seeds = replication_seeds(seed, replications)
        specs = SpecGrid([(s.name, 0, s.parameters(), {}) for s in scenarios], steps, seeds)
        experiment = run_batch(
            specs,
            {**(manifest or {}), "replications": replications, "replication_seeds": seeds},
        )
        started = started or experiment.manifest.get("started_utc")
        table = comparison_table(experiment.runs(), chosen, names[0], names)
        if target is None:
            return CompareResult(experiment, table, replications, started_utc=started)
        width = widest_half_width(table, target[0])
        if width <= target[1]:
            verdict = (
                f"target reached: the widest 95% CI half-width of {target[0]} is "
                f"{width:.4g} <= {target[1]:g} with {replications} replications"
            )
            return CompareResult(experiment, table, replications, verdict, True, started)
        if replications >= max_replications:
            verdict = (
                f"target NOT reached: the widest 95% CI half-width of {target[0]} is "
                f"{width:.4g} > {target[1]:g} at the maximum of {replications} "
                "replications (raise --max-replications)"
            )
            return CompareResult(experiment, table, replications, verdict, False, started)
        replications = next_replications(
            experiment.runs(), target, names, replications, max_replications
        )
        if on_batch is not None:
            on_batch(
                f"half-width of {target[0]} is {width:.4g} > {target[1]:g}: "
                f"going on to {replications} replications"
            )


def sweep_points_table(
    runs: pd.DataFrame,
    points: Sequence[Mapping[str, Any]],
    outputs: Sequence[str],
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Per design point: each output's mean with CI and its paired difference from point 0.

    Replication k of every point used the same seed (common random numbers), so the difference
    from the first point is paired by replication, as ``comparison.csv`` pairs scenarios.

    Args:
        runs: One row per finished run with ``point``, ``replication`` and the outputs.
        points: The design points, ``{parameter: value}`` each, in order.
        outputs: Scalar outputs to summarise.
        confidence: Confidence level of the intervals.

    Returns:
        One row per point: ``point``, the parameter values, ``n``, and per output ``<output>``,
        ``<output>_ci_low``, ``<output>_ci_high``, ``<output>_diff_mean``,
        ``<output>_diff_ci_low``, ``<output>_diff_ci_high``; then ``diff_mean``,
        ``diff_ci_low`` and ``diff_ci_high`` of the first output (as in comparison.csv).
    """
    base = runs[runs["point"] == 0].set_index("replication")
    rows = []
    for p, point in enumerate(points):
        chosen = runs[runs["point"] == p].set_index("replication")
        row: dict[str, Any] = {"point": p, **point, "n": len(chosen)}
        common = chosen.index.intersection(base.index)
        for output in outputs:
            bounds = output_bounds(output)
            mean, low, high = estimate(chosen[output].to_numpy(dtype=float), bounds, confidence)
            diff = (chosen.loc[common, output] - base.loc[common, output]).to_numpy(dtype=float)
            d_mean, d_low, d_high = (
                estimate(diff, difference_bounds(bounds), confidence)
                if len(diff)
                else (np.nan,) * 3
            )
            row.update(
                {
                    output: mean,
                    f"{output}_ci_low": low,
                    f"{output}_ci_high": high,
                    f"{output}_diff_mean": d_mean,
                    f"{output}_diff_ci_low": d_low,
                    f"{output}_diff_ci_high": d_high,
                }
            )
        if outputs:
            first = outputs[0]
            row.update(
                {
                    "diff_output": first,
                    "diff_mean": row[f"{first}_diff_mean"],
                    "diff_ci_low": row[f"{first}_diff_ci_low"],
                    "diff_ci_high": row[f"{first}_diff_ci_high"],
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_series(series: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Per design point and month: the mean over replications of each monthly column.

    Args:
        series: Long monthly table of the sweep's runs with ``point``, ``replication`` and
            the month (``step``, or ``month``) (``Experiment.timeseries``).
        columns: Monthly columns to average (default every numeric one).

    Returns:
        One row per (point, month) with the means; the month column keeps its name.
    """
    keys = ["point", "month" if "month" in series else "step"]
    numeric = [
        c
        for c in (columns or series.select_dtypes("number").columns)
        if c not in (*keys, "replication", "seed", "steps")
    ]
    return series.groupby(keys, sort=True)[numeric].mean().reset_index()


__all__ = [
    "DEFAULT_MAX_REPLICATIONS",
    "CompareResult",
    "compare_scenarios",
    "next_replications",
    "sweep_points_table",
    "sweep_series",
]
