"""The ``symbiosis`` command line: run, compare, sweep, analyse, draw and report.

The CLI is the top of the stack: it dispatches to ``simulation`` for runs and experiments and to
``analysis`` for statistics, figures and reports (importing them only inside the commands that
need them).
A user's mistake is printed as one line on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module registers its subcommands; see interfaces/commands/__init__.py.
COMMAND_MODULES = (
    "interfaces.commands.core",
    "interfaces.commands.experiments",
    "interfaces.commands.sensitivity",
    "interfaces.commands.app",
    "interfaces.commands.figures",
    "interfaces.commands.design",
    "interfaces.commands.calibrate",
)


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (the usage is one --help away).

    Subcommand parsers inherit the class (``add_subparsers`` uses the parent's class).
    """

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``symbiosis: error: ...`` naming the problem and where help is; exit 2."""
        self.exit(2, f"symbiosis: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = OneLineErrors(
        prog="symbiosis",
        description="Simulate how industrial symbiosis emerges in eco-industrial parks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbiosis")
    except PackageNotFoundError:
        return "0+unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    from scenarios.errors import InputError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except InputError as error:
        print(f"symbiosis: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symbiosis: interrupted; finished results are kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    return int(status or 0)


def _silence_stdout() -> None:
    """After the reader of a pipe left (``symbiosis parameters | head``): end quietly.

    Standard output is pointed at the null device so that the interpreter's final flush does
    not report the closed pipe either.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
