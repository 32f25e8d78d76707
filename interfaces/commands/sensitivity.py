"""The ``sensitivity`` command: global sensitivity analysis of a scenario with SALib."""

from __future__ import annotations

import argparse
from pathlib import Path

from interfaces.commands.common import (
    add_overwrite_option,
    add_scenario_options,
    add_steps_option,
    positive_int,
    seed_int,
)

METHOD_CHOICES = ("sobol", "morris", "fast", "pawn")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sensitivity``."""
    parser = subparsers.add_parser(
        "sensitivity",
        help="global sensitivity analysis (Sobol, Morris, eFAST, PAWN)",
        description=(
            "Which parameters drive the outputs? Samples the parameters with SALib, runs every "
            "point R times with common random numbers through the experiment engine (parallel, "
            "resumable), computes indices on the replication means, and reports the share of "
            "variance due to seed noise. Writes indices.csv, noise.csv, samples.csv, "
            "convergence.csv, figures and manifest.json to --out."
        ),
        epilog=(
            "Sample size by method: sobol N base samples, a power of two (runs = N*(D+2), "
            "or N*(2D+2) with --second-order); morris N trajectories (runs = N*(D+1), or "
            "K*(D+1) with --optimal-trajectories K); fast N points per search curve, "
            "N > 4*M^2 = 64 (runs = N*D; with --fast-convergence also (N/2 + N/4)*D); pawn N "
            "Latin-hypercube "
            "points, at least 100 with 10 slides (runs = N). Each run is repeated "
            "--replications times. Parameters: --param, else the scenario's [sensitivity] "
            "table, else landfill_tax_eur_per_t, subsidy_eur_per_unit, investment_grant_share, "
            "trust_threshold, generalized_trust_mean, awareness_mean, supply_uncertainty and "
            "transaction_cost_eur at their declared ranges. Whole-number parameters are "
            "rounded. chertow_first_step counts as steps+1 when the 3-2 heuristic never held."
        ),
    )
    parser.add_argument("scenario", help="built-in scenario name or scenario file")
    add_scenario_options(parser)
    parser.add_argument(
        "--method", choices=METHOD_CHOICES, required=True, help="sensitivity method"
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        required=True,
        metavar="N",
        help="sample size in the method's unit (see below)",
    )
    add_steps_option(parser, "months per run")
    parser.add_argument(
        "--replications",
        type=positive_int,
        default=2,
        metavar="R",
        help="runs per sample point with common seeds (default: 2; "
        "at least 2 to measure seed noise)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="vary this parameter over [LOW, HIGH] (or NAME alone: its declared range); repeatable",
    )
    parser.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NAME",
        help="scalar output to analyse (repeatable; `symbiosis outputs --scalars` lists them; "
        "default total_exchanges_started, mean_recovery_rate, total_co2_avoided_t, "
        "chertow_first_step)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder (runs are stored in DIR/runs and reused on resume)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="parallel local processes (default: all cores; 1 runs serially)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster at ADDRESS ('local' starts one here)",
    )
    parser.add_argument(
        "--seed",
        type=seed_int,
        default=0,
        help="root seed of the design, bootstrap and replications (default: 0)",
    )
    parser.add_argument(
        "--second-order",
        action="store_true",
        help="sobol: also second-order indices S2 (doubles the runs)",
    )
    parser.add_argument(
        "--levels",
        type=positive_int,
        default=4,
        help="morris: levels of the grid, even (default: 4)",
    )
    parser.add_argument(
        "--optimal-trajectories",
        type=positive_int,
        default=None,
        metavar="K",
        help="morris: keep the K most spread of the N trajectories (Campolongo "
        "et al. 2007), so runs = K*(D+1)",
    )
    parser.add_argument(
        "--harmonics",
        type=positive_int,
        default=4,
        metavar="M",
        help="fast: interference harmonics M (default: 4)",
    )
    parser.add_argument(
        "--fast-convergence",
        action="store_true",
        help="fast: also run search curves of N/2 and N/4 points for the "
        "convergence check (about 75%% more runs)",
    )
    parser.add_argument(
        "--slides", type=positive_int, default=10, help="pawn: conditioning slides (default: 10)"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    add_overwrite_option(parser)
    parser.add_argument(
        "--keep-stale",
        action="store_true",
        help="reuse runs stored by another version of the model (another fingerprint) "
        "instead of recomputing them",
    )
    parser.set_defaults(func=_sensitivity)


# Method-specific flags: which method each applies to (given with another, it is an error).
METHOD_FLAGS = {
    "second_order": "sobol",
    "optimal_trajectories": "morris",
    "fast_convergence": "fast",
}


def _method_options(args: argparse.Namespace) -> dict[str, object]:
    for flag, method in METHOD_FLAGS.items():
        if getattr(args, flag) not in (None, False) and args.method != method:
            from analysis.sensitivity import SensitivityError

            raise SensitivityError(f"--{flag.replace('_', '-')} applies only to --method {method}")
    return {
        "sobol": {"second_order": args.second_order},
        "morris": {"levels": args.levels, "optimal_trajectories": args.optimal_trajectories},
        "fast": {"harmonics": args.harmonics, "convergence": args.fast_convergence},
        "pawn": {"slides": args.slides},
    }[args.method]


def _sensitivity(args: argparse.Namespace) -> int:
    import shutil
    import sys

    from analysis.sensitivity import (
        MAIN_INDEX,
        SAMPLE_UNITS,
        convergence_table,
        index_warnings,
        used_samples,
    )
    from analysis.sensitivity_model import RunsFailedError, analyse_model, write_results
    from analysis.style import format_number
    from interfaces.commands.common import resolve_scenario
    from simulation.output import make_staging_dir, replace_dir
    from simulation.runner import DEFAULT_STEPS

    scenario = resolve_scenario(args.scenario, args.park, args.set)
    steps = args.steps or DEFAULT_STEPS
    out = _sensitivity_folder(args)
    work = make_staging_dir(out) if args.overwrite and out.exists() else out
    try:
        result, manifest = analyse_model(
            scenario,
            args.method,
            args.samples,
            steps=steps,
            replications=args.replications,
            out_dir=work,
            params=args.param,
            outputs=args.output,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.quiet,
            keep_stale=args.keep_stale,
            **_method_options(args),
        )
    except RunsFailedError as error:
        print(f"symbiosis: {error}", file=sys.stderr)
        return 1
    except BaseException:
        if work != out:
            shutil.rmtree(work, ignore_errors=True)
        raise
    write_results(result, work, manifest, figures=not args.no_figures)
    if work != out:
        replace_dir(work, out)
    if not args.quiet:
        main = MAIN_INDEX[args.method]
        table = result.indices[result.indices["index"] == main]
        print(
            f"{scenario.name}: {args.method}, {manifest['points']} points x "
            f"{args.replications} replications, {steps} months; {main} by output:"
        )
        print(
            table.pivot_table(
                index="parameter", columns="output", values="value", sort=False
            ).to_string(float_format=format_number)
        )
        for output, share, note in zip(
            result.noise["output"],
            result.noise["noise_share_of_means"].astype(float),
            result.noise["note"].fillna("").astype(str),
            strict=True,
        ):
            text = "n/a" if share != share else f"{share:.0%}"
            print(
                f"seed noise in {output}: {text} of the variance of point means"
                + (f" ({note})" if note else "")
            )
        for output in dict.fromkeys(table["output"]):
            steps_table = convergence_table(result.convergence, output, args.method)
            if steps_table.empty:
                continue
            print(f"convergence of {main} in {output} (by {SAMPLE_UNITS[args.method]}):")
            print(steps_table.to_string(float_format=format_number))
        for note in result.notes:
            print(f"note: {note}")
    for warning in index_warnings(result.indices, used_samples(manifest)):
        print(
            f"warning: {warning.output}: {warning.text}; do not rank parameters by these "
            "indices (raise --samples or --replications)",
            file=sys.stderr,
        )
    print(f"results written to {args.out}/")
    return 0


def _sensitivity_folder(args: argparse.Namespace) -> Path:
    """The ``--out`` folder, checked before any work starts.

    It must not be empty or a file, and be new, an earlier sensitivity analysis (resumed), or
    replaced with ``--overwrite``.

    Raises:
        InputError: On an empty ``--out``, a file, too many runs, or a folder of other results.
    """
    from interfaces.commands.common import output_folder
    from scenarios.bounds import MAX_RUNS
    from scenarios.errors import InputError
    from simulation.experiments.store import STORE_NAME, ResultStore
    from simulation.output import refuse_earlier_results

    out = output_folder(args.out, "")
    if args.samples * args.replications > MAX_RUNS:
        raise InputError(
            f"--samples {args.samples:,} x --replications {args.replications:,} is above the "
            f"cap of {MAX_RUNS:,} runs per experiment; use fewer"
        )
    if out.is_dir() and not (out / "runs").is_dir():
        refuse_earlier_results(out, args.overwrite, "files that are not a sensitivity analysis")
    elif (out / "runs" / STORE_NAME).is_file() and not args.overwrite:
        ResultStore(out / "runs", create=False).close()  # a corrupt store fails here, cleanly
    return out
