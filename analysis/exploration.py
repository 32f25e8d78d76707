"""Exploration under deep uncertainty: sampled uncertainties crossed with policies.

A Latin hypercube or Sobol sample of the declared uncertainties (``scenarios.parameters``) is
crossed with a set of policies (scenarios); every (policy, uncertainty point) pair is run R times
with common random numbers through the experiment engine (seeded, parallel, resumable). The
result is one table with a row per run: the uncertainties, the policy, its levers and every
scalar output, the input of scenario discovery (``analysis.discovery``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.design_space import (
    DesignError,
    Range,
    declared_ranges,
    lever_values,
    parse_ranges,
    sample_ranges,
    scalar_output_names,
)

EXPERIMENTS_FILE = "experiments.csv"
SAMPLERS = ("lhs", "sobol")


@dataclass
class Exploration:
    """An exploration: its table of runs and what produced it.

    Attributes:
        experiments: One row per run: ``policy``, ``point``, ``replication``, ``seed``, the
            sampled uncertainties, the policy's levers, then every scalar output.
        uncertainties: The ranges sampled.
        levers: Lever columns of ``experiments`` (those that differ between policies first).
        folder: Experiment folder (store and manifest).
    """

    experiments: pd.DataFrame
    uncertainties: list[Range]
    levers: list[str]
    folder: Path


def uncertainty_ranges(params: Sequence[str] = ()) -> list[Range]:
    """``--param`` texts (``NAME`` or ``NAME=LOW:HIGH`` of uncertainties), else all declared."""
    return parse_ranges(params, "uncertainty") if params else declared_ranges("uncertainty")


def explore(
    policies: Sequence[Any],
    samples: int,
    out_dir: str | Path,
    *,
    params: Sequence[str] = (),
    sampler: str = "lhs",
    steps: int | None = None,
    replications: int = 1,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    manifest: dict[str, Any] | None = None,
    model: str = "",
    keep_stale: bool = False,
) -> Exploration:
    """Run every policy at every sampled uncertainty point, R times with common seeds.

    Args:
        policies: Loaded scenarios (``scenarios.loader.Scenario``), one per policy; names unique.
        samples: Points of the uncertainty sample.
        out_dir: Experiment folder (created or resumed); ``experiments.csv`` is written there.
        params: Uncertainties to vary (``NAME`` or ``NAME=LOW:HIGH``); default every declared
            numeric uncertainty over its declared range.
        sampler: ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled Sobol sequence).
        steps: Months per run (default ``simulation.runner.DEFAULT_STEPS``).
        replications: Runs per (policy, point); replication k has the same seed everywhere.
        seed: Root seed of the sample and of the replication seeds.
        workers: Local processes (1 serial, None all cores).
        scheduler: Dask scheduler address or ``"local"``.
        progress: Show a progress bar.
        manifest: Extra provenance for ``manifest.json``.
        model: A test model function (``RunSpec.model``); empty for the model itself.
        keep_stale: Reuse runs stored by another version of the model (or of a park file it
            reads) instead of recomputing them after a one-line notice.

    Returns:
        The ``Exploration``; its table is also written to ``out_dir/experiments.csv``.

    Raises:
        DesignError: On an unknown, duplicate or out-of-range name, or an invalid point.
        InputError: If ``out_dir`` holds another experiment (other policies, uncertainties,
            sample, months or seed; more replications are the same one).
    """
    from scenarios.parameters import ParameterError, validate
    from simulation.experiments import RunSpec, replication_seeds, run_specs
    from simulation.experiments.manifest import base_manifest
    from simulation.runner import DEFAULT_STEPS

    if not policies:
        raise DesignError("explore needs at least one policy")
    names = [policy.name for policy in policies]
    for name in names:
        if names.count(name) > 1:
            raise DesignError(f"policy {name!r} is given twice")
    if sampler not in SAMPLERS:
        raise DesignError(f"--sampler {sampler!r}: expected one of {', '.join(SAMPLERS)}")
    ranges = uncertainty_ranges(params)
    if not ranges:
        raise DesignError("no uncertainty to sample")
    points = sample_ranges(ranges, samples, sampler, seed)
    steps = steps or DEFAULT_STEPS
    seeds = replication_seeds(seed, replications)
    specs = []
    for policy in policies:
        base = policy.parameters()
        for number, point in enumerate(points):
            try:
                full = validate({**base, **point})
            except ParameterError as error:
                raise DesignError(f"policy {policy.name}, point {number}: {error}") from None
            specs += [
                RunSpec(policy.name, full, steps, s, k, point=number, labels=point, model=model)
                for k, s in enumerate(seeds)
            ]
    provenance = base_manifest(
        kind="explore",
        root_seed=seed,
        steps=steps,
        replications=replications,
        replication_seeds=seeds,
        sampler=sampler,
        samples=samples,
        uncertainties={r.name: [r.low, r.high] for r in ranges},
        policies={p.name: lever_values(p.parameters()) for p in policies},
        **(manifest or {}),
    )
    experiment = run_specs(
        specs,
        out_dir,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        store_details=False,
        manifest=provenance,
        experiment={
            "kind": "explore",
            "policies": [[p.name, p.overrides] for p in policies],
            "params": list(params),
            "sampler": sampler,
            "samples": samples,
            "steps": steps,
            "root_seed": seed,
            "model": model,
        },
        keep_stale=keep_stale,
    )
    table, levers = experiments_table(experiment.runs(), policies, ranges)
    write_atomic(table, Path(out_dir) / EXPERIMENTS_FILE)
    return Exploration(table, ranges, levers, Path(out_dir))


def experiments_table(
    runs: pd.DataFrame, policies: Sequence[Any], ranges: Sequence[Range]
) -> tuple[pd.DataFrame, list[str]]:
    """The runs as the exploration table, and its lever columns (varied ones first)."""
    levers = pd.DataFrame(
        [{"policy": p.name, **lever_values(p.parameters())} for p in policies]
    ).set_index("policy")
    varied = [c for c in levers.columns if levers[c].nunique(dropna=False) > 1]
    lever_columns = varied + [c for c in levers.columns if c not in varied]
    table = runs.rename(columns={"scenario": "policy"})
    table = table[table["policy"].isin(levers.index)]
    uncertainty_columns = [r.name for r in ranges]
    table = table.join(levers[lever_columns], on="policy")
    columns = [
        "policy",
        "point",
        "replication",
        "seed",
        *uncertainty_columns,
        *lever_columns,
        *scalar_output_names(),
    ]
    table = table[columns].sort_values(["policy", "point", "replication"], kind="stable")
    return table.reset_index(drop=True), lever_columns


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV through a temporary file and a rename (never a half-written table)."""
    import os

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_csv(temporary, index=False)
    os.replace(temporary, path)


def load_exploration(folder: str | Path) -> pd.DataFrame:
    """Read ``experiments.csv`` of an exploration folder.

    Raises:
        DesignError: If the folder or its table is missing.
    """
    path = Path(folder) / EXPERIMENTS_FILE
    if not Path(folder).is_dir():
        raise DesignError(f"{folder}: no such folder")
    if not path.is_file():
        raise DesignError(
            f"{folder}: no {EXPERIMENTS_FILE} (create one with 'symbiosis explore ... --out DIR')"
        )
    return pd.read_csv(path)
