"""The ``calibrate`` command: fit declared uncertainties to a targets file, or validate a fit.

The command parses, calls ``analysis.calibration`` and prints; every computation is a function
a notebook can call.
"""

from __future__ import annotations

import argparse
from typing import Any

from interfaces.commands.common import (
    add_overwrite_option,
    output_folder,
    positive_int,
    seed_int,
)

DEFAULT_POPULATION = 50
DEFAULT_GENERATIONS = 5
DEFAULT_MAX_SIMULATIONS = 5000


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``calibrate``."""
    calibrate = subparsers.add_parser(
        "calibrate",
        help="fit declared uncertainties to observed park data (ABC-SMC), or --check a fit",
        description="Fit the uncertainties of a targets file (scenarios/targets/*.toml: "
        "observed statistics of real parks, and the uncertainties to fit with their prior "
        "ranges) by ABC-SMC (pyabc), every simulation through the experiment engine (parallel, "
        "seeded; a killed calibration resumes without redoing finished runs). Writes "
        "posterior.csv, diagnostics.csv (per generation: epsilon, acceptance rate, effective "
        "sample size, distance), calibrated.toml (extends baseline, posterior medians), "
        "validation.csv/.html and figures. With --check DIR: the validation table of a "
        "finished calibration, every target beside its posterior predictive interval.",
    )
    calibrate.add_argument(
        "targets",
        nargs="?",
        metavar="TARGETS",
        help="a built-in targets name (kalundborg) or a targets file",
    )
    calibrate.add_argument(
        "--check",
        metavar="DIR",
        default=None,
        help="print and rewrite the validation table of the calibration in DIR",
    )
    calibrate.add_argument(
        "--out", default=None, help="output folder (default results/calibrate-NAME)"
    )
    calibrate.add_argument(
        "--population",
        type=positive_int,
        default=DEFAULT_POPULATION,
        metavar="N",
        help=f"particles per generation (default: {DEFAULT_POPULATION})",
    )
    calibrate.add_argument(
        "--generations",
        type=positive_int,
        default=DEFAULT_GENERATIONS,
        metavar="N",
        help=f"largest number of generations (default: {DEFAULT_GENERATIONS})",
    )
    calibrate.add_argument(
        "--min-epsilon",
        type=_non_negative,
        default=0.0,
        metavar="EPS",
        help="stop once epsilon (distance in observation uncertainties) is below EPS",
    )
    calibrate.add_argument(
        "--max-simulations",
        type=positive_int,
        default=DEFAULT_MAX_SIMULATIONS,
        metavar="N",
        help="start no new generation once N particles have been simulated in all (the "
        f"generation under way finishes; default: {DEFAULT_MAX_SIMULATIONS})",
    )
    calibrate.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="local worker processes (default: all cores; 1 runs serially)",
    )
    calibrate.add_argument("--seed", type=seed_int, default=0, help="root seed (default: 0)")
    calibrate.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bars or tables")
    add_overwrite_option(calibrate)
    calibrate.set_defaults(func=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from analysis.calibration import (
        CalibrationError,
        calibrate,
        not_reproduced,
        posterior_summary,
        validation_table,
        write_calibration,
        write_validation,
    )
    from interfaces.commands.experiments import ExperimentFolder
    from scenarios.targets import load_targets

    if args.check is not None:
        if args.targets is not None:
            raise CalibrationError("calibrate: give either TARGETS or --check DIR, not both")
        write_validation(args.check)
        _print_validation(validation_table(args.check), not_reproduced)
        print(f"validation written to {Path(args.check)}/validation.csv and validation.html")
        return 0
    if args.targets is None:
        raise CalibrationError("calibrate: give a TARGETS file (or --check DIR)")
    targets = load_targets(args.targets)
    # The experiment commands' --out checks: an empty --out or a file is refused, a folder of
    # other files is refused unless --overwrite, which replaces the folder whole at the end.
    out = output_folder(args.out, Path("results") / f"calibrate-{targets.path.stem}")
    folder = ExperimentFolder(out, args.overwrite)
    command = " ".join(["symbiosis", *sys.argv[1:]])
    with folder.cleanup():
        try:
            result = calibrate(
                targets,
                folder.work,
                population=args.population,
                generations=args.generations,
                minimum_epsilon=args.min_epsilon,
                max_simulations=args.max_simulations,
                workers=args.workers,
                seed=args.seed,
                progress=not args.quiet,
                manifest={"command": command},
            )
        except CalibrationError as error:
            if "runs failed" not in str(error):
                raise
            folder.finish()  # keep the finished runs where the retry will find them
            print(f"symbiosis: {error}", file=sys.stderr)
            return 1
        write_calibration(result, figures=not args.no_figures)
    folder.finish()
    if not args.quiet:
        print(result.diagnostics.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(posterior_summary(result).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        _print_validation(validation_table(out), not_reproduced)
    print(f"results written to {out}/ (calibrated scenario: {out}/calibrated.toml)")
    return 0


def _print_validation(table: Any, not_reproduced: Any) -> None:
    columns = ["target", "role", "observed", "predicted_q05", "predicted_q95", "verdict"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for line in not_reproduced(table):
        print(f"not reproduced: {line}")
