"""Experiment commands: compare scenarios over replications, and sweep parameters."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.commands.common import positive_int, seed_int

DEFAULT_REPLICATIONS = 10


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs an experiment."""
    parser.add_argument("--replications", type=positive_int, default=DEFAULT_REPLICATIONS,
                        help=f"runs per scenario or design point (default: "
                             f"{DEFAULT_REPLICATIONS})")
    parser.add_argument("--steps", type=positive_int, default=None,
                        help="months to simulate (default: 120)")
    parser.add_argument("--seed", type=seed_int, default=0,
                        help="root seed; replication seeds are spawned from it (default: 0)")
    parser.add_argument("--park", default=None, help="run every scenario on this park")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter in every scenario (repeatable)")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="local worker processes (default: all cores; 1 = serial)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask cluster at ADDRESS, or 'local' for a local one "
                             "(needs the [cluster] extra)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or table")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compare`` and ``sweep``."""
    compare = subparsers.add_parser(
        "compare", help="run scenarios over seeded replications and compare them",
        description="Run every scenario R times with common random numbers and report the "
                    "mean of key indicators and the paired difference from the first scenario "
                    "with 95%% confidence intervals.")
    compare.add_argument("scenarios", nargs="+", help="scenario names or files; the first is "
                                                       "the reference")
    add_execution_options(compare)
    compare.add_argument("--out", default=None,
                         help="experiment folder (default: results/compare-<scenarios>)")
    compare.add_argument("--output", action="append", default=None, metavar="NAME",
                         help="scalar output to compare (repeatable; default: key indicators)")
    compare.add_argument("--target-ci", default=None, metavar="OUTPUT=HALFWIDTH",
                         help="add replications until the 95%% CI half-width of OUTPUT is at "
                              "most HALFWIDTH for every scenario and difference")
    compare.add_argument("--max-replications", type=positive_int, default=200,
                         help="stop adding replications here (default: 200)")
    compare.set_defaults(func=_compare)

    sweep = subparsers.add_parser(
        "sweep", help="run a scenario over a design of parameter values",
        description="Full factorial over --param values (or an explicit design from a CSV "
                    "file with one column per parameter), each point run R times.")
    sweep.add_argument("scenario", help="scenario name or file")
    sweep.add_argument("--param", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="values of a declared parameter (repeatable)")
    sweep.add_argument("--design", default=None, metavar="FILE.csv",
                       help="explicit design: one row per point, one column per parameter")
    add_execution_options(sweep)
    sweep.add_argument("--out", default=None,
                       help="experiment folder (default: results/sweep-<scenario>)")
    sweep.set_defaults(func=_sweep)


def _scenario_list(names: list[str], park: str | None, sets: list[str]) -> list[Any]:
    from scenarios.errors import InputError
    from simulation.commands.common import resolve_scenario

    scenarios = [resolve_scenario(name, park, sets) for name in names]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.name in seen:
            raise InputError(f"scenario {scenario.name!r} is given twice")
        seen.add(scenario.name)
    return scenarios


def _check_outputs(names: list[str]) -> list[str]:
    from scenarios.errors import InputError
    from simulation.outputs import SCALAR_OUTPUTS

    for name in names:
        if name not in SCALAR_OUTPUTS:
            import difflib

            close = difflib.get_close_matches(name, SCALAR_OUTPUTS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"--output {name!r}: unknown output{hint}; outputs are final_<col>, "
                             "mean_<col>, total_<x> and chertow_first_step")
    return names


def _parse_target(text: str | None) -> tuple[str, float] | None:
    from scenarios.errors import InputError

    if text is None:
        return None
    name, sep, value = text.partition("=")
    try:
        target = float(value)
    except ValueError:
        target = -1.0
    if not sep or target <= 0:
        raise InputError(f"--target-ci {text!r}: expected OUTPUT=HALFWIDTH with a positive "
                         "half-width")
    _check_outputs([name])
    return name, target


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analysis.statistics import comparison_table, widest_half_width
    from simulation.experiments import RunSpec, replication_seeds, run_specs
    from simulation.experiments.manifest import base_manifest
    from simulation.outputs import KEY_OUTPUTS
    from simulation.runner import DEFAULT_STEPS

    scenarios = _scenario_list(args.scenarios, args.park, args.set)
    outputs = _check_outputs(args.output or list(KEY_OUTPUTS))
    target = _parse_target(args.target_ci)
    if target and target[0] not in outputs:
        outputs.append(target[0])
    steps = args.steps or DEFAULT_STEPS
    out = Path(args.out or Path("results") / ("compare-" + "-".join(s.name for s in scenarios)))
    replications = args.replications
    manifest = base_manifest(
        kind="compare", root_seed=args.seed, steps=steps,
        scenarios={s.name: {"description": s.description, "hash": s.content_hash(),
                            "parameters": s.parameters()} for s in scenarios})
    while True:
        seeds = replication_seeds(args.seed, replications)
        specs = [RunSpec(s.name, s.parameters(), steps, seed, k)
                 for s in scenarios for k, seed in enumerate(seeds)]
        experiment = run_specs(specs, out, workers=args.workers, scheduler=args.scheduler,
                               progress=not args.quiet,
                               manifest={**manifest, "replications": replications})
        runs = experiment.runs()
        runs = runs[runs["replication"] < replications]
        table = comparison_table(runs, outputs, scenarios[0].name, [s.name for s in scenarios])
        if target is None:
            break
        width = widest_half_width(table, target[0])
        if width <= target[1]:
            print(f"target reached: 95% CI half-width of {target[0]} is {width:.3g} "
                  f"<= {target[1]:g} with {replications} replications")
            break
        if replications >= args.max_replications:
            print(f"target not reached: half-width of {target[0]} is {width:.3g} > "
                  f"{target[1]:g} at the maximum of {replications} replications")
            break
        replications = min(args.max_replications, replications * 2)
    _write_compare(out, experiment, runs, table, outputs, args.quiet)
    return 0


def _write_compare(out: Any, experiment: Any, runs: Any, table: Any, outputs: list[str],
                   quiet: bool) -> None:
    from analysis.figures import comparison_figure, save_figure, timeseries_figure
    from simulation.output import atomic_output_dir

    with atomic_output_dir(out) as staging:
        runs.to_csv(staging / "runs.csv", index=False)
        table.to_csv(staging / "comparison.csv", index=False)
        save_figure(comparison_figure(table, outputs), staging / "comparison", table,
                    experiment.manifest, formats=("png",))
        columns = ["active_exchanges", "recovery_rate", "co2_avoided_t", "public_net_eur"]
        series = experiment.timeseries()
        if not series.empty:
            save_figure(timeseries_figure(series, columns), staging / "timeseries",
                        series[["scenario", "replication", "step", *columns]],
                        experiment.manifest, formats=("png",))
    failed = experiment.manifest.get("runs_failed", 0)
    if not quiet:
        _print_table(table)
        if failed:
            print(f"{failed} runs failed: see {out}/failures.log")
        print(f"results written to {out}/")


def _print_table(table: Any) -> None:
    print(f"{'scenario':<28} {'output':<28} {'mean':>12} {'diff':>12} {'95% CI of diff':>26}")
    for row in table.itertuples():
        ci = f"[{row.diff_ci_low:.4g}, {row.diff_ci_high:.4g}]"
        print(f"{row.scenario:<28} {row.output:<28} {row.mean:>12.4g} {row.diff_mean:>12.4g} "
              f"{ci:>26}")


def _parse_sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    import itertools

    from scenarios.errors import InputError
    from scenarios.loader import ScenarioError
    from scenarios.parameters import ParameterError, parse_value

    if args.design and args.param:
        raise InputError("give either --param or --design, not both")
    if args.design:
        import csv
        from pathlib import Path

        path = Path(args.design)
        if not path.is_file():
            raise InputError(f"--design {args.design}: no such file")
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            raise InputError(f"{path}: the design has no rows")
        points = []
        for line, row in enumerate(rows, start=2):
            try:
                points.append({k.strip(): parse_value(k.strip(), v) for k, v in row.items()})
            except ParameterError as error:
                raise InputError(f"{path}, line {line}: {error}") from None
        return points
    if not args.param:
        raise InputError("sweep needs at least one --param KEY=V1,V2,... or a --design file")
    names, values = [], []
    for text in args.param:
        name, sep, raw = text.partition("=")
        if not sep or not raw.strip():
            raise ScenarioError(f"--param {text!r}: expected KEY=V1,V2,...")
        try:
            values.append([parse_value(name.strip(), v) for v in raw.split(",")])
        except ParameterError as error:
            raise ScenarioError(f"--param {text!r}: {error}") from None
        names.append(name.strip())
    if len(set(names)) != len(names):
        raise InputError("a parameter is given twice with --param")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analysis.statistics import mean_ci
    from simulation.experiments import RunSpec, replication_seeds, run_specs
    from simulation.experiments.manifest import base_manifest
    from simulation.output import atomic_output_dir
    from simulation.outputs import KEY_OUTPUTS
    from simulation.runner import DEFAULT_STEPS

    (scenario,) = _scenario_list([args.scenario], args.park, args.set)
    points = _parse_sweep(args)
    resolved = [scenario.with_overrides(point).parameters() for point in points]
    steps = args.steps or DEFAULT_STEPS
    seeds = replication_seeds(args.seed, args.replications)
    specs = [RunSpec(scenario.name, params, steps, seed, k, point=p, labels=points[p])
             for p, params in enumerate(resolved) for k, seed in enumerate(seeds)]
    out = Path(args.out or Path("results") / f"sweep-{scenario.name}")
    manifest = base_manifest(kind="sweep", root_seed=args.seed, steps=steps,
                             replications=args.replications, design=points,
                             scenarios={scenario.name: {"description": scenario.description,
                                                        "hash": scenario.content_hash(),
                                                        "parameters": scenario.parameters()}})
    experiment = run_specs(specs, out, workers=args.workers, scheduler=args.scheduler,
                           progress=not args.quiet, store_details=False, manifest=manifest)
    runs = experiment.runs()
    summary = []
    for p, point in enumerate(points):
        chosen = runs[runs["point"] == p]
        row: dict[str, Any] = {"point": p, **point, "n": len(chosen)}
        for output in KEY_OUTPUTS:
            mean, low, high = mean_ci(chosen[output].to_numpy()) if len(chosen) else (
                float("nan"),) * 3
            row.update({output: mean, f"{output}_ci_low": low, f"{output}_ci_high": high})
        summary.append(row)
    import pandas as pd

    table = pd.DataFrame(summary)
    with atomic_output_dir(out) as staging:
        runs.to_csv(staging / "runs.csv", index=False)
        table.to_csv(staging / "points.csv", index=False)
    if not args.quiet:
        print(table[["point", *points[0].keys(), "n", *KEY_OUTPUTS[:3]]].to_string(index=False))
        failed = experiment.manifest.get("runs_failed", 0)
        if failed:
            print(f"{failed} runs failed: see {out}/failures.log")
        print(f"results written to {out}/")
    return 0
