"""Experiment commands: compare scenarios over seeded replications, and sweep parameters."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from interfaces.commands.common import (
    add_overwrite_option,
    add_scenario_options,
    add_steps_option,
    positive_int,
    seed_int,
)

DEFAULT_REPLICATIONS = 10
DEFAULT_MAX_REPLICATIONS = 200
# Timeseries columns drawn by compare's timeseries.png.
TIMESERIES_PANELS = ["active_exchanges", "recovery_rate", "co2_avoided_t", "public_net_eur"]


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs an experiment."""
    parser.add_argument(
        "--replications",
        type=positive_int,
        default=DEFAULT_REPLICATIONS,
        metavar="R",
        help=f"runs per scenario or design point, with common seeds (default: "
        f"{DEFAULT_REPLICATIONS})",
    )
    add_steps_option(parser)
    parser.add_argument(
        "--seed",
        type=seed_int,
        default=0,
        help="root seed; replication seeds are spawned from it (default: 0)",
    )
    add_scenario_options(parser)
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="local worker processes (default: all cores; 1 = serial)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS, or 'local' to start one here "
        "(needs the [cluster] extra)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no table (for scripts)"
    )
    add_overwrite_option(parser)
    parser.add_argument(
        "--keep-stale",
        action="store_true",
        help="reuse runs stored by another version of the model (another fingerprint) "
        "instead of recomputing them",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compare`` and ``sweep``."""
    compare = subparsers.add_parser(
        "compare",
        help="run scenarios over seeded replications and compare them",
        description="Run every scenario R times with common random numbers (replication k of "
        "every scenario uses the same seed) and report the mean of each output and "
        "the paired difference from the first scenario, with 95% t-intervals. "
        "Writes runs.csv, comparison.csv, comparison.png, timeseries.png and "
        "manifest.json; runs already in the folder's store are reused.",
    )
    compare.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="built-in scenario names or files; the first is the reference",
    )
    add_execution_options(compare)
    compare.add_argument(
        "--out", default=None, help="experiment folder (default: results/compare-<scenarios>)"
    )
    compare.add_argument(
        "--output",
        action="append",
        default=None,
        metavar="NAME",
        help="scalar output to compare (repeatable; `symbiosis outputs --scalars` lists them; "
        "default: the key indicators)",
    )
    compare.add_argument(
        "--target-ci",
        default=None,
        metavar="OUTPUT=HALFWIDTH",
        help="add replications in batches until the 95%% CI half-width of "
        "OUTPUT is at most HALFWIDTH for every scenario and every paired "
        "difference",
    )
    compare.add_argument(
        "--max-replications",
        type=positive_int,
        default=DEFAULT_MAX_REPLICATIONS,
        metavar="M",
        help=f"with --target-ci, stop at M replications (default: {DEFAULT_MAX_REPLICATIONS})",
    )
    compare.set_defaults(func=_compare)

    sweep = subparsers.add_parser(
        "sweep",
        help="run a scenario over a design of parameter values",
        description="Run a scenario at every point of a design, R times each with common "
        "seeds: the full factorial of the --param values (default), or the rows of "
        "an explicit design file (--design FILE.csv, one column per parameter). "
        "Writes runs.csv (parameter values as columns), points.csv (key outputs "
        "per point with 95% CIs and the paired difference from the first point, as "
        "comparison.csv has it) and manifest.json; with --series also series.csv.",
    )
    sweep.add_argument("scenario", help="built-in scenario name or scenario file")
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="values of a declared parameter (repeatable)",
    )
    sweep.add_argument(
        "--design",
        default="full",
        metavar="full|FILE.csv",
        help="'full' factorial of the --param values (default), or an explicit "
        "design file with one row per point",
    )
    add_execution_options(sweep)
    sweep.add_argument(
        "--out", default=None, help="experiment folder (default: results/sweep-<scenario>)"
    )
    sweep.add_argument(
        "--series",
        action="store_true",
        help="also store every run's monthly series and write series.csv (mean per point "
        "and month); larger store",
    )
    sweep.set_defaults(func=_sweep)


# --- checking the command line (everything is checked before any folder is created) ---------


def _scenario_list(names: list[str], park: str | None, sets: list[str]) -> list[Any]:
    from interfaces.commands.common import resolve_scenario
    from scenarios.errors import InputError

    scenarios = [resolve_scenario(name, park, sets) for name in names]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.name in seen:
            raise InputError(f"scenario {scenario.name!r} is given twice")
        seen.add(scenario.name)
    return scenarios


def _check_outputs(names: list[str], flag: str = "--output") -> list[str]:
    from scenarios.outputs import check_output_names

    return check_output_names(names, flag)


def _parse_target(text: str | None) -> tuple[str, float] | None:
    import math

    from scenarios.errors import InputError

    if text is None:
        return None
    name, sep, value = text.partition("=")
    try:
        target = float(value)
    except ValueError:
        target = math.nan
    if not sep or not math.isfinite(target) or target <= 0:
        raise InputError(
            f"--target-ci {text!r}: expected OUTPUT=HALFWIDTH with a positive "
            "half-width, e.g. total_exchanges_started=2"
        )
    _check_outputs([name.strip()], "--target-ci")
    return name.strip(), target


def _check_scheduler(scheduler: str | None) -> None:
    if scheduler is None:
        return
    from scenarios.errors import InputError

    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(
            "--scheduler needs the cluster extra: pip install 'symbiosis[cluster]'"
        ) from None
    if scheduler != "local" and "://" not in scheduler and ":" not in scheduler:
        raise InputError(
            f"--scheduler {scheduler!r}: expected 'local' or a scheduler address "
            "such as tcp://host:8786"
        )


class ExperimentFolder:
    """Where an experiment command writes: its ``--out`` folder, or a fresh one that replaces it.

    A folder holding an experiment is resumed (the store refuses another experiment); a folder
    holding anything else is refused unless ``--overwrite``, and then the whole experiment is
    written into a temporary folder that replaces ``--out`` at the end, so no earlier file
    stays and a failure leaves ``--out`` as it was.
    """

    def __init__(self, out: Any, overwrite: bool) -> None:
        """Check ``out`` before any work starts."""
        from simulation.experiments.store import STORE_NAME, ResultStore
        from simulation.output import make_staging_dir, refuse_earlier_results

        self.out = out
        self.overwrite = overwrite and out.exists()
        if out.is_dir() and not overwrite:
            if (out / STORE_NAME).is_file():
                ResultStore(out, create=False).close()  # a corrupt store fails here, cleanly
            else:
                refuse_earlier_results(out, False, "files that are not an experiment")
        self.existed = out.exists()
        self.work = make_staging_dir(out) if self.overwrite else out
        from simulation.experiments.manifest import Invocation

        self.invocation = Invocation()

    def run(
        self,
        specs: Any,
        args: argparse.Namespace,
        manifest: dict[str, Any],
        experiment: dict[str, Any],
        store_details: bool = True,
    ) -> Any:
        """Run specs into the folder; a user error before any run leaves no new folder."""
        from simulation.experiments import run_specs

        self.invocation.command = manifest.get("command", "")
        with self.cleanup():
            return run_specs(
                specs,
                self.work,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=not args.quiet,
                store_details=store_details,
                manifest=manifest,
                experiment=experiment,
                keep_stale=args.keep_stale,
                invocation=self.invocation,
            )

    @contextmanager
    def cleanup(self) -> Iterator[None]:
        """On any failure inside, remove what this command created (staging or a new --out)."""
        import shutil

        from scenarios.errors import InputError

        try:
            yield
        except BaseException as error:
            if self.work != self.out:
                shutil.rmtree(self.work, ignore_errors=True)
            elif isinstance(error, InputError) and not self.existed:
                shutil.rmtree(self.out, ignore_errors=True)
            raise

    def finish(self, experiment: Any = None) -> None:
        """With ``--overwrite``, put the new folder in the place of the old one."""
        if self.work != self.out:
            from simulation.output import replace_dir

            replace_dir(self.work, self.out)
            if experiment is not None:
                experiment.path = self.out


def _check_runs(conditions: int, replications: int, what: str) -> None:
    """Refuse an experiment above the declared cap of runs before anything is built."""
    from scenarios.bounds import MAX_RUNS
    from scenarios.errors import InputError

    if conditions * replications > MAX_RUNS:
        raise InputError(
            f"{conditions:,} {what} x {replications:,} replications = "
            f"{conditions * replications:,} runs is above the cap of {MAX_RUNS:,} runs per "
            "experiment; use fewer"
        )


def _scenario_provenance(scenarios: list[Any]) -> dict[str, Any]:
    return {
        s.name: {
            "description": s.description,
            "source": s.source,
            "file": str(s.path) if s.path else None,
            "content_hash": s.content_hash(),
            "overrides": s.overrides,
            "parameters": s.parameters(),
        }
        for s in scenarios
    }


def _command_line(args: argparse.Namespace, positional: str) -> str:
    """The command with every option spelled out (defaults included), for the manifest."""
    import shlex

    values = vars(args)
    first = values[positional]
    parts = ["symbiosis", args.command, *(first if isinstance(first, list) else [first])]
    for name, value in values.items():
        if name in ("command", "func", positional) or value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            for item in value:
                parts += [flag, str(item)]
        else:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _finish_manifest(experiment: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The final manifest: the last engine call's record plus the whole experiment's counts."""
    from datetime import UTC, datetime

    from simulation.experiments.manifest import write_manifest

    everything = experiment.runs(status=None)
    manifest = {
        **experiment.manifest,
        **extra,
        "runs_in_experiment": int(len(everything)),
        "runs_in_experiment_done": int((everything["status"] == "done").sum()),
        "runs_in_experiment_failed": int((everything["status"] == "failed").sum()),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_manifest(experiment.path, manifest)
    experiment.manifest = manifest
    return manifest


# --- compare --------------------------------------------------------------------------------


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analysis.experiments import compare_scenarios
    from interfaces.commands.common import output_folder
    from simulation.experiments.manifest import base_manifest
    from simulation.outputs import KEY_OUTPUTS
    from simulation.runner import DEFAULT_STEPS

    scenarios = _scenario_list(args.scenarios, args.park, args.set)
    outputs = _check_outputs(args.output or list(KEY_OUTPUTS))
    target = _parse_target(args.target_ci)
    _check_scheduler(args.scheduler)
    if target and target[0] not in outputs:
        outputs.append(target[0])
    if target and args.max_replications < args.replications:
        from scenarios.errors import InputError

        raise InputError(
            f"--max-replications {args.max_replications} is below --replications "
            f"{args.replications}"
        )
    _check_runs(
        len(scenarios), max(args.replications, args.max_replications if target else 0), "scenarios"
    )
    steps = args.steps or DEFAULT_STEPS
    names = [s.name for s in scenarios]
    out = output_folder(args.out, Path("results") / ("compare-" + "-".join(names)))
    folder = ExperimentFolder(out, args.overwrite)
    experiment_id = {
        "kind": "compare",
        "scenarios": [[s.name, s.overrides] for s in scenarios],
        "steps": steps,
        "root_seed": args.seed,
    }
    manifest = base_manifest(
        command=_command_line(args, "scenarios"),
        kind="compare",
        root_seed=args.seed,
        steps=steps,
        park=args.park,
        sets=args.set,
        scenarios=_scenario_provenance(scenarios),
        outputs=outputs,
    )
    result = compare_scenarios(
        scenarios,
        out,
        replications=args.replications,
        steps=steps,
        seed=args.seed,
        outputs=outputs,
        target=target,
        max_replications=args.max_replications,
        manifest=manifest,
        on_batch=None if args.quiet else print,
        run=lambda specs, batch: folder.run(specs, args, batch, experiment_id),
    )
    experiment, table, verdict = result.experiment, result.table, result.verdict
    extra: dict[str, Any] = {
        "started_utc": result.started_utc,
        "replications": result.replications,
    }
    if target is not None:
        extra["target_ci"] = {
            "output": target[0],
            "half_width": target[1],
            "max_replications": args.max_replications,
            "reached": bool(result.reached),
            "verdict": verdict,
        }
    _finish_manifest(experiment, extra)
    _write_compare(folder.work, experiment, table, outputs, names)
    folder.finish(experiment)
    if not args.quiet:
        _print_comparison(table, names[0])
    if verdict:
        print(verdict)
    _report_failures(experiment, out, args.quiet)
    return 0


def _write_compare(
    out: Any, experiment: Any, table: Any, outputs: list[str], names: list[str]
) -> None:
    from analysis.figures import comparison_figure, timeseries_figure
    from simulation.output import atomic_output_dir

    runs = experiment.runs()
    with atomic_output_dir(out) as staging:
        runs.drop(columns=["error"]).to_csv(staging / "runs.csv", index=False)
        table.to_csv(staging / "comparison.csv", index=False)
        _save_png(comparison_figure(table, outputs), staging / "comparison.png")
        series = experiment.timeseries(names)
        if len(series):
            _save_png(timeseries_figure(series, TIMESERIES_PANELS), staging / "timeseries.png")


def _save_png(figure: Any, path: Any) -> None:
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=150)
    plt.close(figure)


def _print_comparison(table: Any, reference: str) -> None:
    """A readable table: per output (label and unit), each scenario's mean and difference.

    Intervals read "95% CI a to b" (commas are never list separators); a quantity that is the
    same in every replication shows no interval.
    """
    from analysis.style import describe, format_interval, format_number

    def number(value: float) -> str:
        return format_number(value, digits=4)

    def interval(low: float, high: float) -> str:
        return format_interval(low, high, digits=4) or (
            "" if low != low else "same in every replication"
        )

    width = max(len(s) for s in table["scenario"])
    for output, rows in table.groupby("output", sort=False):
        label, unit = describe(str(output))
        print(f"\n{label}{f' ({unit})' if unit else ''}  [{output}]")
        print(
            f"  {'scenario':<{width}}  {'n':>4}  {'mean':>11}  {'':<30}"
            f"  {'diff vs ' + reference:>14}  paired difference"
        )
        for row in rows.itertuples():
            diff = "(reference)" if row.scenario == reference else number(row.diff_mean)
            diff_ci = (
                "" if row.scenario == reference else interval(row.diff_ci_low, row.diff_ci_high)
            )
            print(
                f"  {row.scenario:<{width}}  {row.n:>4}  {number(row.mean):>11}  "
                f"{interval(row.ci_low, row.ci_high):<30}  {diff:>14}  {diff_ci}"
            )
    print()


def _report_failures(experiment: Any, out: Any, quiet: bool) -> None:
    import sys

    failed = experiment.failures()
    if len(failed):
        print(
            f"{len(failed)} runs failed (they are left out; tracebacks in "
            f"{out}/failures.log; run the same command again to retry them)",
            file=sys.stderr,
        )
    if not quiet:
        print(f"results written to {out}/")


# --- sweep ----------------------------------------------------------------------------------


def _parse_sweep(args: argparse.Namespace, replications: int) -> list[dict[str, Any]]:
    """Design points as ``{parameter: value}``, every value checked against the declaration.

    The number of runs (points times ``replications``) is checked against the cap before the
    points are built.
    """
    import itertools
    import math

    from scenarios.errors import InputError
    from scenarios.parameters import ParameterError, parse_value

    if args.design != "full":
        if args.param:
            raise InputError("give either --param values or a --design file, not both")
        points = _read_design(args.design)
        _check_runs(len(points), replications, "design points")
        return points
    if not args.param:
        raise InputError("sweep needs at least one --param KEY=V1,V2,... (or --design FILE.csv)")
    names: list[str] = []
    values: list[list[Any]] = []
    for text in args.param:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name or not raw.strip():
            raise InputError(f"--param {text!r}: expected KEY=V1,V2,...")
        if name in names:
            raise InputError(f"--param {name}: given twice")
        try:
            parsed = [parse_value(name, item.strip()) for item in raw.split(",")]
        except ParameterError as error:
            raise InputError(f"--param {text!r}: {error}") from None
        names.append(name)
        values.append(list(dict.fromkeys(parsed)))
    _check_runs(math.prod(len(v) for v in values), replications, "design points")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _read_design(file: str) -> list[dict[str, Any]]:
    import csv
    from pathlib import Path

    from scenarios.errors import InputError
    from scenarios.parameters import ParameterError, parse_value

    path = Path(file)
    if path.suffix.lower() != ".csv":
        raise InputError(f"--design {file!r}: expected 'full' or a .csv design file")
    if not path.is_file():
        raise InputError(f"--design {file}: no such file")
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path}: cannot read the design: {error}") from None
    if not header or any(not name for name in header):
        raise InputError(f"{path}: the first line must name one parameter per column")
    if len(set(header)) != len(header):
        raise InputError(f"{path}: a column is named twice")
    if not rows:
        raise InputError(f"{path}: the design has no rows")
    points = []
    for line, row in enumerate(rows, start=2):
        if None in row or any(value is None for value in row.values()):
            raise InputError(f"{path}, line {line}: expected {len(header)} values")
        try:
            points.append(
                {
                    name: parse_value(name, value.strip())
                    for name, value in zip(header, row.values(), strict=True)
                }
            )
        except ParameterError as error:
            raise InputError(f"{path}, line {line}: {error}") from None
    return points


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from analysis.experiments import sweep_points_table, sweep_series
    from interfaces.commands.common import output_folder
    from scenarios.errors import InputError
    from simulation.experiments import SpecGrid, replication_seeds
    from simulation.experiments.manifest import base_manifest
    from simulation.output import atomic_output_dir
    from simulation.outputs import KEY_OUTPUTS
    from simulation.runner import DEFAULT_STEPS

    (scenario,) = _scenario_list([args.scenario], args.park, args.set)
    points = _parse_sweep(args, args.replications)
    _check_scheduler(args.scheduler)
    resolved = []
    for number, point in enumerate(points):
        try:
            resolved.append(scenario.with_overrides(point).parameters())
        except InputError as error:
            raise InputError(f"design point {number} ({_describe(point)}): {error}") from None
    steps = args.steps or DEFAULT_STEPS
    out = output_folder(args.out, Path("results") / f"sweep-{scenario.name}")
    folder = ExperimentFolder(out, args.overwrite)
    seeds = replication_seeds(args.seed, args.replications)
    specs = SpecGrid(
        [(scenario.name, p, params, points[p]) for p, params in enumerate(resolved)], steps, seeds
    )
    manifest = base_manifest(
        command=_command_line(args, "scenario"),
        kind="sweep",
        root_seed=args.seed,
        steps=steps,
        park=args.park,
        sets=args.set,
        replications=args.replications,
        replication_seeds=seeds,
        design="full factorial" if args.design == "full" else args.design,
        points=points,
        scenarios=_scenario_provenance([scenario]),
    )
    experiment_id = {
        "kind": "sweep",
        "scenario": scenario.name,
        "overrides": scenario.overrides,
        "points": points,
        "steps": steps,
        "root_seed": args.seed,
    }
    experiment = folder.run(specs, args, manifest, experiment_id, store_details=args.series)
    _finish_manifest(experiment, {})
    runs = experiment.runs()
    table = sweep_points_table(runs, points, list(KEY_OUTPUTS))
    with atomic_output_dir(folder.work) as staging:
        runs.drop(columns=["error"]).to_csv(staging / "runs.csv", index=False)
        table.to_csv(staging / "points.csv", index=False)
        if args.series:
            series = experiment.timeseries()
            if len(series):
                sweep_series(series).to_csv(staging / "series.csv", index=False)
    folder.finish(experiment)
    if not args.quiet:
        shown = table[["point", *points[0].keys(), "n", *KEY_OUTPUTS[:4]]]
        from analysis.style import format_number

        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(shown.to_string(index=False, float_format=lambda v: format_number(v, digits=4)))
    _report_failures(experiment, out, args.quiet)
    return 0


def _describe(point: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in point.items())
