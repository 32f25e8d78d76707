"""Options and argument types shared by several subcommands (argparse only at import)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def positive_int(text: str) -> int:
    """Argument type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def steps_int(text: str) -> int:
    """Argument type: months to simulate, from 1 to ``scenarios.bounds.MAX_STEPS``."""
    from scenarios.bounds import MAX_STEPS

    value = positive_int(text)
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_STEPS} months (a century; the declared cap), got {value}"
        )
    return value


def add_steps_option(
    parser: argparse.ArgumentParser, help_text: str = "months to simulate"
) -> None:
    """Add ``--steps`` (checked against the declared cap on months)."""
    from scenarios.bounds import MAX_STEPS

    parser.add_argument(
        "--steps",
        type=steps_int,
        default=None,
        help=f"{help_text} (default: 120; at most {MAX_STEPS})",
    )


def add_overwrite_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite``: replace an earlier results folder as a whole."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the --out folder if it holds earlier results (the whole folder, so no "
        "earlier file stays)",
    )


def output_folder(text: str | None, default: str | Path) -> Path:
    """The folder named by ``--out`` (or ``default``), checked without creating anything.

    Raises:
        scenarios.errors.InputError: If ``--out`` is empty, or names a file (or a path
            through one).
    """
    from simulation.output import check_output_dir

    return check_output_dir(Path(default) if text is None else text)


def seed_int(text: str) -> int:
    """Argument type: a seed, a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole-number seed, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"seed must be between 0 and 2**63 - 1, got {value}")
    return value


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--park`` and ``--set key=value`` (repeatable)."""
    parser.add_argument(
        "--park", default=None, help="run on this built-in park instead (see 'symbiosis parks')"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter (repeatable; see 'symbiosis parameters')",
    )


def resolve_scenario(name: str, park: str | None, assignments: list[str]) -> Any:
    """Load a scenario and apply ``--park`` and ``--set`` overrides, all checked.

    ``--set`` wins over the scenario file, and ``--park`` over both.

    Raises:
        scenarios.errors.InputError: On any bad name, file, value or combination, with a
            one-line message naming it.
    """
    from scenarios.loader import ScenarioError, load_scenario, parse_overrides
    from scenarios.parameters import ParameterError, validate
    from scenarios.parks import PARKS_DIR, load_park_spec, park_path

    scenario = load_scenario(name)
    overrides = parse_overrides(assignments)
    if park is not None:
        path = park_path(park)
        if path.parent.resolve() != PARKS_DIR.resolve():
            raise ScenarioError(
                f"--park {park!r}: only built-in parks can be named here "
                "(add the file to scenarios/parks/)"
            )
        overrides["park"] = path.stem
    try:
        validate({**scenario.overrides, **overrides})
    except ParameterError as error:
        flags = " ".join(
            [
                *(f"--set {text}" for text in assignments),
                *([f"--park {park}"] if park is not None else []),
            ]
        )
        raise ScenarioError(f"{flags}: {error} (scenario {scenario.name})") from None
    resolved = scenario.with_overrides(overrides)
    load_park_spec(str(resolved.parameters()["park"]))
    return resolved
