"""Policy design commands: explore uncertainties, discover failure regions, optimise levers.

The commands parse, call ``analysis.exploration``, ``analysis.discovery`` and
``analysis.optimisation``, and print; every computation is a function a notebook can call.
"""

from __future__ import annotations

import argparse
from typing import Any

from interfaces.commands.common import positive_int, seed_int
from interfaces.commands.experiments import add_execution_options

DEFAULT_SAMPLES = 50
DEFAULT_OPTIMISE_REPLICATIONS = 5


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``explore``, ``discover`` and ``optimise``."""
    explore = subparsers.add_parser(
        "explore",
        help="run policies across a sample of the declared uncertainties",
        description="Cross N sampled combinations of the declared uncertainties (a Latin "
        "hypercube or a scrambled Sobol sequence over their declared ranges, or the ones "
        "named with --param) with a set of policies, each pair run R times with common "
        "random numbers. Writes experiments.csv (one row per run: the uncertainties, the "
        "policy, its levers and every scalar output), experiments.png (an output against each "
        "uncertainty) and manifest.json; runs already in the folder's store are reused.",
    )
    explore.add_argument(
        "policies",
        nargs="+",
        metavar="POLICY",
        help="built-in scenario names or scenario files (one policy each)",
    )
    explore.add_argument(
        "--samples",
        type=positive_int,
        default=DEFAULT_SAMPLES,
        metavar="N",
        help=f"points of the uncertainty sample (default: {DEFAULT_SAMPLES})",
    )
    explore.add_argument(
        "--sampler",
        choices=("lhs", "sobol"),
        default="lhs",
        help="Latin hypercube (default) or scrambled Sobol sequence (N a power of two)",
    )
    explore.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME[=LOW:HIGH]",
        help="an uncertainty to sample (its declared range, or LOW:HIGH); repeatable; "
        "default: every declared numeric uncertainty",
    )
    explore.add_argument(
        "--lever-design",
        default=None,
        metavar="FILE.csv",
        help="add one policy per row of FILE.csv (one column per lever): the first POLICY "
        "with that row's levers",
    )
    explore.add_argument(
        "--figure-output",
        default="total_co2_avoided_t",
        metavar="OUTPUT",
        help="output drawn against the uncertainties in experiments.png "
        "(default: total_co2_avoided_t)",
    )
    add_execution_options(explore)
    explore.set_defaults(replications=1)
    explore.add_argument(
        "--out", default=None, help="experiment folder (default: results/explore-<policies>)"
    )
    explore.set_defaults(func=_explore)

    discover = subparsers.add_parser(
        "discover",
        help="find the regions of uncertainty where a condition holds (PRIM, CART)",
        description="Scenario discovery on an exploration: each (policy, point) is a case of "
        "interest when the condition holds on its mean over replications; PRIM (and CART) "
        "find boxes of the uncertainties that hold them, with coverage, density, mass and the "
        "restricted dimensions, and PRIM's peeling trajectory. Writes boxes.csv, peeling.csv, "
        "cases.csv, boxes.png and peeling.png. Needs the [design] extra.",
    )
    discover.add_argument("folder", metavar="DIR", help="an exploration folder (symbiosis explore)")
    discover.add_argument(
        "--where",
        required=True,
        metavar="CONDITION",
        help='"OUTPUT OP VALUE", OP one of < <= > >=, e.g. "total_co2_avoided_t < 20000"',
    )
    discover.add_argument("--policy", default=None, help="only this policy's runs")
    discover.add_argument(
        "--method",
        action="append",
        choices=("prim", "cart"),
        default=None,
        help="prim (default) and/or cart; repeatable",
    )
    discover.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME",
        help="uncertainty to search (repeatable; default: every sampled one)",
    )
    discover.add_argument(
        "--threshold",
        type=_fraction,
        default=0.8,
        help="PRIM: least density of the chosen box (default: 0.8)",
    )
    discover.add_argument(
        "--peel-alpha", type=_fraction, default=0.05, help="PRIM: share peeled per step (0.05)"
    )
    discover.add_argument(
        "--mass-min", type=_fraction, default=0.05, help="least share of points in a box (0.05)"
    )
    discover.add_argument(
        "--boxes", type=positive_int, default=1, help="PRIM: boxes to find in turn (default: 1)"
    )
    discover.add_argument("--seed", type=seed_int, default=0, help="CART tie-breaking seed")
    discover.add_argument(
        "--out", default=None, help="where to write the boxes (default: DIR/discovery)"
    )
    discover.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    discover.add_argument("--quiet", action="store_true", help="no table")
    discover.set_defaults(func=_discover)

    optimise = subparsers.add_parser(
        "optimise",
        help="search levers for Pareto-optimal (or robust) policies with NSGA-II/III",
        description="Multi-objective search over declared levers with pymoo's NSGA-II "
        "(NSGA-III beyond two objectives): each candidate is the mean over R replications "
        "with common random numbers; with --robust, each candidate is also run over a "
        "Latin-hypercube sample of uncertainties and judged by the mean, a percentile or "
        "the maximum regret. Every run is stored, so a killed search resumes. Writes "
        "pareto.csv, pareto/*.toml (scenario files for run and compare), evaluations.csv, "
        "convergence.csv (hypervolume per generation), pareto.png, convergence.png and "
        "parallel.png (beyond two objectives). Needs the [design] extra.",
    )
    optimise.add_argument("scenario", help="built-in scenario name or scenario file")
    optimise.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME[=LOW:HIGH]",
        help="a lever to search (its declared range, or LOW:HIGH; start months are levers "
        "too); repeatable",
    )
    optimise.add_argument(
        "--objective",
        action="append",
        default=[],
        metavar="OUTPUT:max|min",
        help="an objective (repeatable), e.g. total_co2_avoided_t:max",
    )
    optimise.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar='"OUTPUT OP VALUE"',
        help='a constraint on the mean (repeatable), e.g. "total_public_net_eur >= -2000000"',
    )
    optimise.add_argument(
        "--population", type=positive_int, default=40, help="candidates per generation (40)"
    )
    optimise.add_argument(
        "--generations", type=positive_int, default=25, help="generations (default: 25)"
    )
    optimise.add_argument(
        "--robust",
        choices=("mean", "percentile", "regret"),
        default=None,
        help="judge candidates over a sample of uncertainties (see --uncertainty)",
    )
    optimise.add_argument(
        "--uncertainty",
        action="append",
        default=[],
        metavar="NAME[=LOW:HIGH]",
        help="with --robust: an uncertainty to sample (repeatable)",
    )
    optimise.add_argument(
        "--uncertainty-samples",
        type=positive_int,
        default=10,
        metavar="N",
        help="with --robust: points of the uncertainty sample (default: 10)",
    )
    optimise.add_argument(
        "--percentile",
        type=_fraction,
        default=10.0,
        help="with --robust percentile: the unfavourable-side percentile (default: 10)",
    )
    add_execution_options(optimise)
    optimise.set_defaults(replications=DEFAULT_OPTIMISE_REPLICATIONS)
    optimise.add_argument(
        "--out", default=None, help="output folder (default: results/optimise-<scenario>)"
    )
    optimise.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    optimise.set_defaults(func=_optimise)


# --- explore --------------------------------------------------------------------------------


def _lever_policies(first: Any, file: str) -> list[Any]:
    """One policy per row of a lever design file: ``first`` with that row's levers."""
    from dataclasses import replace

    from interfaces.commands.experiments import _read_design
    from scenarios.errors import InputError
    from scenarios.parameters import PARAMETERS

    rows = _read_design(file)
    for name in rows[0]:
        if PARAMETERS[name].kind != "lever":
            raise InputError(f"--lever-design {file}: {name} is not a lever")
    policies = []
    for number, row in enumerate(rows):
        try:
            policy = first.with_overrides(row)
            policy.parameters()
        except InputError as error:
            raise InputError(f"--lever-design {file}, row {number + 1}: {error}") from None
        policies.append(replace(policy, name=f"{first.name}-levers-{number:02d}"))
    return policies


def _explore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from interfaces.commands.common import output_folder
    from interfaces.commands.experiments import (
        ExperimentFolder,
        _check_scheduler,
        _report_failures,
        _scenario_list,
    )

    policies = _scenario_list(args.policies, args.park, args.set)
    if args.lever_design:
        policies += _lever_policies(policies[0], args.lever_design)
    _check_scheduler(args.scheduler)
    from analysis.design_space import check_output

    check_output(args.figure_output, "--figure-output")
    out = output_folder(args.out, Path("results") / ("explore-" + "-".join(args.policies[:3])))
    folder = ExperimentFolder(out, args.overwrite)
    with folder.cleanup():
        result = _explore_into(folder.work, policies, args)
    folder.finish()
    if not args.quiet:
        from analysis.style import format_number

        table = result.experiments
        print(
            f"{len(table)} runs: {len(policies)} policies x {args.samples} points x "
            f"{args.replications} replications over {len(result.uncertainties)} uncertainties"
        )
        means = table.groupby("policy", sort=False)[
            ["total_co2_avoided_t", "total_public_net_eur", "mean_recovery_rate"]
        ].agg(["mean", "min", "max"])
        print(means.to_string(float_format=lambda v: format_number(v, digits=4)))
    from simulation.experiments import load_experiment

    _report_failures(load_experiment(out), out, args.quiet)
    return 0


def _explore_into(out: Any, policies: list[Any], args: argparse.Namespace) -> Any:
    """Run the exploration into ``out`` (the --out folder or its staging copy) and draw it."""
    from analysis.exploration import explore
    from interfaces.commands.experiments import _command_line

    result = explore(
        policies,
        args.samples,
        out,
        params=args.param,
        sampler=args.sampler,
        steps=args.steps,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        manifest={"command": _command_line(args, "policies"), "park": args.park, "sets": args.set},
        keep_stale=args.keep_stale,
    )
    from analysis.design_figures import exploration_figure, save_figure

    save_figure(
        exploration_figure(
            result.experiments, args.figure_output, [r.name for r in result.uncertainties]
        ),
        out / "experiments.png",
    )
    return result


# --- discover -------------------------------------------------------------------------------


def _discover(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analysis.discovery import discover, write_discovery
    from analysis.exploration import load_exploration
    from simulation.experiments.manifest import read_manifest

    table = load_exploration(args.folder)
    sampled = list(read_manifest(Path(args.folder)).get("uncertainties", {}))
    dimensions = args.param or sampled
    unknown = [name for name in dimensions if name not in sampled]
    if unknown:
        from analysis.design_space import DesignError

        raise DesignError(
            f"--param {unknown[0]}: not sampled in {args.folder} ({', '.join(sampled)})"
        )
    result = discover(
        table,
        args.where,
        dimensions,
        policy=args.policy,
        methods=args.method or ["prim"],
        threshold=args.threshold,
        peel_alpha=args.peel_alpha,
        mass_min=args.mass_min,
        max_boxes=args.boxes,
        seed=args.seed,
    )
    from interfaces.commands.common import output_folder

    out = output_folder(args.out, Path(args.folder) / "discovery")
    write_discovery(result, out, figures=not args.no_figures)
    if not args.quiet:
        cases = result.points["case_of_interest"]
        print(f"{int(cases.sum())} of {len(cases)} (policy, point) pairs have {result.condition}")
        for note in result.notes:
            print(f"note: {note}")
        for (method, box), rows in result.boxes.groupby(["method", "box"], sort=False):
            first = rows.iloc[0]
            print(
                f"{method} box {box}: coverage {first.coverage:.0%}, density "
                f"{first.density:.0%}, mass {first.mass:.0%}, "
                f"{int(first.restricted_dimensions)} restricted dimensions"
            )
            for row in rows.itertuples():
                if row.dimension:
                    print(f"  {row.dimension!s}: {row.low!s} .. {row.high!s}")
        print(f"results written to {out}/")
    return 0


# --- optimise -------------------------------------------------------------------------------


def _optimise(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from analysis.design_space import DesignError, parse_ranges
    from analysis.optimisation import Robustness, optimise, write_optimisation
    from analysis.sensitivity_model import RunsFailedError
    from interfaces.commands.common import output_folder, resolve_scenario
    from interfaces.commands.experiments import (
        ExperimentFolder,
        _check_scheduler,
        _command_line,
    )

    scenario = resolve_scenario(args.scenario, args.park, args.set)
    _check_scheduler(args.scheduler)
    robustness = None
    if args.robust:
        robustness = Robustness(
            args.robust,
            tuple(parse_ranges(args.uncertainty, "uncertainty", "--uncertainty")),
            args.uncertainty_samples,
            args.percentile,
        )
    elif args.uncertainty:
        raise DesignError("--uncertainty applies only with --robust")
    out = output_folder(args.out, Path("results") / f"optimise-{scenario.name}")
    folder = ExperimentFolder(out, args.overwrite)
    try:
        with folder.cleanup():
            result = optimise(
                scenario,
                args.param,
                args.objective,
                folder.work,
                constraints=args.constraint,
                population=args.population,
                generations=args.generations,
                replications=args.replications,
                steps=args.steps,
                seed=args.seed,
                robustness=robustness,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=not args.quiet,
                manifest={"command": _command_line(args, "scenario"), "park": args.park},
                keep_stale=args.keep_stale,
            )
            write_optimisation(result, scenario, figures=not args.no_figures)
    except RunsFailedError as error:
        print(f"symbiosis: {error}", file=sys.stderr)
        return 1
    folder.finish()
    if not args.quiet:
        from analysis.style import format_number

        print(
            f"{len(result.evaluations)} policies evaluated; {len(result.pareto)} on the Pareto "
            f"front; hypervolume {result.convergence['hypervolume'].iloc[-1]:.4g}"
        )
        for note in result.notes:
            print(f"note: {note}")
        print(result.pareto.to_string(index=False, float_format=format_number))
        print(f"results written to {out}/ (scenario files in {out}/pareto/)")
    return 0
