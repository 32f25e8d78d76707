"""The ``figures`` and ``report`` commands: evidence figures and an experiment's HTML report."""

from __future__ import annotations

import argparse

from interfaces.commands.common import add_overwrite_option, positive_int

FIGURE_CHOICES = (
    "timeseries",
    "comparison",
    "network",
    "flows",
    "cost_effectiveness",
    "sensitivity",
    "indicators",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``figures`` and ``report``."""
    figures = subparsers.add_parser(
        "figures",
        help="draw the evidence figures and indicators table of an experiment",
        description=(
            "Draw publication figures from an experiment folder (written by compare, sweep "
            "or sensitivity): each as PNG (300 dpi), SVG and PDF, with a CSV of exactly the "
            "numbers it plots and a JSON sidecar of provenance. Also writes the park "
            "indicators table (indicators.csv and indicators.html)."
        ),
        epilog="Figures: " + ", ".join(FIGURE_CHOICES) + ". Figures whose data the folder "
        "does not hold (e.g. networks of a sweep, which stores no run details) are "
        "skipped with a note.",
    )
    figures.add_argument("experiment", metavar="EXPERIMENT_DIR", help="experiment folder")
    figures.add_argument(
        "--which",
        nargs="+",
        action="extend",
        default=None,
        metavar="NAME",
        help="only these figures (default: all)",
    )
    figures.add_argument(
        "--months",
        default=None,
        metavar="M1,M2,...",
        help="months of the network figure (default: 12, the middle and the last month)",
    )
    figures.add_argument(
        "--size-by",
        choices=("size", "benefit"),
        default="size",
        help="what sets the firms' marker area in the network (default: size)",
    )
    figures.add_argument(
        "--sensitivity",
        default=None,
        metavar="DIR",
        help="also draw the indices of the sensitivity analysis in DIR",
    )
    figures.add_argument(
        "--formats",
        default="png,svg,pdf",
        metavar="F1,F2",
        help="image formats among png, svg, pdf (default: all three)",
    )
    figures.add_argument(
        "--dpi",
        type=positive_int,
        default=300,
        help="resolution of the PNG files (default: 300, print quality)",
    )
    figures.add_argument(
        "--out", default=None, metavar="DIR", help="output folder (default: EXPERIMENT_DIR/figures)"
    )
    add_overwrite_option(figures)
    figures.add_argument("--quiet", action="store_true", help="print nothing on success")
    figures.set_defaults(func=_figures)

    report = subparsers.add_parser(
        "report",
        help="write a self-contained HTML evidence report of an experiment",
        description=(
            "Write one HTML file with the methods, the park indicators table, the scenario "
            "comparison with 95% confidence intervals in words and figures, cost-"
            "effectiveness, networks, flows, sensitivity results (if any) and caveats. "
            "Figures are embedded; the file needs no network to open."
        ),
    )
    report.add_argument("experiment", metavar="EXPERIMENT_DIR", help="experiment folder")
    report.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="output file (default: EXPERIMENT_DIR/report.html)",
    )
    report.add_argument(
        "--sensitivity",
        default=None,
        metavar="DIR",
        help="include the sensitivity analysis in DIR (default: the "
        "experiment folder's own indices.csv, if any)",
    )
    report.add_argument(
        "--months",
        default=None,
        metavar="M1,M2,...",
        help="months of the network figures (default: 12, middle, last)",
    )
    report.add_argument("--title", default=None, help="title of the report")
    report.add_argument(
        "--dpi",
        type=positive_int,
        default=160,
        help="resolution of the embedded figures (default: 160)",
    )
    report.add_argument("--quiet", action="store_true", help="print nothing on success")
    report.set_defaults(func=_report)


def parse_months(text: str | None) -> list[int] | None:
    """``"12,60,120"`` -> ``[12, 60, 120]``.

    Raises:
        InputError: If an item is not a whole number.
    """
    from scenarios.errors import InputError

    if text is None:
        return None
    months = []
    for item in text.split(","):
        try:
            months.append(int(item.strip()))
        except ValueError:
            raise InputError(
                f"--months {text!r}: expected whole months separated by commas, e.g. 12,60,120"
            ) from None
    return months


def _check_choices(values: list[str], allowed: tuple[str, ...], option: str) -> list[str]:
    from scenarios.errors import InputError

    for value in values:
        if value not in allowed:
            raise InputError(f"{option} {value!r}: unknown; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _command_line(args: argparse.Namespace, name: str) -> str:
    parts = ["symbiosis", name, str(args.experiment)]
    defaults = {"size_by": "size", "formats": "png,svg,pdf", "dpi": 300}
    for option in ("which", "months", "size_by", "sensitivity", "formats", "dpi", "out", "title"):
        value = getattr(args, option, None)
        if value is None or defaults.get(option) == value:
            continue
        flag = "--" + option.replace("_", "-")
        parts += [flag, *value] if isinstance(value, list) else [flag, str(value)]
    return " ".join(parts)


def _figures(args: argparse.Namespace) -> int:

    from analysis.evidence import build_figures, load_evidence
    from analysis.figures import save_figure
    from analysis.indicators_table import write_indicators
    from interfaces.commands.common import output_folder
    from simulation.output import atomic_output_dir, refuse_earlier_results

    if args.out is not None:
        output_folder(args.out, "")  # an empty --out or a file fails before any work
    which = _check_choices(args.which or list(FIGURE_CHOICES), FIGURE_CHOICES, "--which")
    formats = _check_choices(
        [f.strip() for f in args.formats.split(",") if f.strip()],
        ("png", "svg", "pdf"),
        "--formats",
    )
    months = parse_months(args.months)
    evidence = load_evidence(args.experiment, args.sensitivity)
    size_by = "net_benefit_eur" if args.size_by == "benefit" else "size"
    out = output_folder(args.out, evidence.path / "figures")
    refuse_earlier_results(out, args.overwrite, "figures")
    command = _command_line(args, "figures")
    items = build_figures(evidence, which, months, size_by)
    written = []
    with atomic_output_dir(out, replace=args.overwrite) as staging:
        for item in items:
            save_figure(
                item.figure,
                staging / item.name,
                None,
                evidence.manifest or evidence.sensitivity_manifest,
                formats,
                command,
                item.caption,
                dpi=args.dpi,
                scenarios=evidence.scenarios or None,
            )
            written.append(item.name)
        if "indicators" in which and evidence.indicators is not None:
            write_indicators(
                evidence.indicators,
                staging / "indicators",
                f"Park indicators: {evidence.park()}",
                f"Mean and 95% CI over {evidence.replications} replications, "
                f"{evidence.steps} months.",
            )
            written.append("indicators")
    if not args.quiet:
        drawn = {item.group for item in items} | ({"indicators"} & set(written))
        skipped = [name for name in which if name not in drawn]
        print(f"{len(written)} figures and tables written to {out}/")
        if skipped:
            print(f"not drawn (no data for them in {evidence.path}): {', '.join(skipped)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from analysis.report import write_report
    from scenarios.errors import InputError

    if args.out is not None and not args.out.strip():
        raise InputError("--out is empty: name the report file to write, e.g. report.html")

    path = write_report(
        args.experiment,
        args.out,
        args.sensitivity,
        parse_months(args.months),
        args.title,
        dpi=args.dpi,
    )
    if not args.quiet:
        print(f"report written to {path}")
    return 0
