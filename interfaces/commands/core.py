"""Core commands: run a scenario; list scenarios, parks, parameters and outputs; show, validate."""

from __future__ import annotations

import argparse
from typing import Any

from interfaces.commands.common import (
    add_overwrite_option,
    add_scenario_options,
    add_steps_option,
    seed_int,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the core commands: run, scenarios, show, validate, parks, park-from-table, etc."""
    run = subparsers.add_parser(
        "run",
        help="simulate one scenario and write its results and overview figure",
        description="Simulate one scenario (built-in name or TOML file) and write "
        "timeseries.csv, exchanges.csv, firms.csv, summary.json and overview.png.",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        help="built-in scenario name or scenario file (default: baseline)",
    )
    add_scenario_options(run)
    run.add_argument("--seed", type=seed_int, default=0, help="root seed (default: 0)")
    add_steps_option(run)
    run.add_argument("--out", default=None, help="output folder (default: results/<scenario>)")
    add_overwrite_option(run)
    run.add_argument("--no-figure", action="store_true", help="skip overview.png")
    run.set_defaults(func=_run)

    listing = subparsers.add_parser("scenarios", help="list the built-in scenarios")
    listing.set_defaults(func=_scenarios)

    show = subparsers.add_parser(
        "show",
        help="print the fully resolved parameters of a scenario",
        description="Print every parameter of a scenario after extends, --park and --set.",
    )
    show.add_argument("scenario", help="built-in scenario name or scenario file")
    add_scenario_options(show)
    listed = show.add_mutually_exclusive_group()
    listed.add_argument(
        "--changed",
        action="store_true",
        help="list only the parameters the scenario, --park and --set change",
    )
    listed.add_argument(
        "--all", action="store_true", help="list every parameter (the default; kept for scripts)"
    )
    show.set_defaults(func=_show)

    validate = subparsers.add_parser("validate", help="check scenario and park files")
    validate.add_argument(
        "files", nargs="+", help="scenario files, park files or built-in scenario names"
    )
    validate.set_defaults(func=_validate)

    parks = subparsers.add_parser("parks", help="list the built-in parks")
    parks.set_defaults(func=_parks)

    table = subparsers.add_parser(
        "park-from-table",
        help="build a park file from a facility table (CSV)",
        description="Build a park file (TOML) from a facility table: one row per facility and "
        "stream, with columns name, sector, x_km and y_km (or lat and lon), and optionally "
        "stream with quantity_per_year (or tonnes_per_year) and size. Sizes come from the "
        "listed quantities against the sector catalogue. Use the file with --park FILE.toml.",
    )
    table.add_argument("table", metavar="FACILITIES.csv", help="the facility table")
    table.add_argument(
        "--out", default=None, metavar="PARK.toml", help="park file (default: FACILITIES.toml)"
    )
    table.add_argument("--name", default=None, help="park name (default: the table's name)")
    table.add_argument("--force", action="store_true", help="overwrite an existing park file")
    table.set_defaults(func=_park_from_table)

    params = subparsers.add_parser(
        "parameters",
        help="list every declared parameter with unit, range, meaning and where its default "
        "comes from (sourced, declared range or setting), and the counts",
    )
    params.add_argument(
        "--kind", choices=("lever", "uncertainty", "park"), help="only parameters of this kind"
    )
    params.add_argument(
        "--catalogue",
        action="store_true",
        help="list the numbers of the stream and sector catalogues instead (names such as "
        "streams.gypsum.gate_fee_eur_per_unit, which --set, scenario files and sensitivity accept)",
    )
    params.add_argument(
        "--status",
        choices=("sourced", "range", "setting"),
        help="only numbers with a published source, only declared ranges, or only settings",
    )
    params.set_defaults(func=_parameters)

    from scenarios.outputs import KINDS, SCOPES

    listed_outputs = subparsers.add_parser(
        "outputs",
        help="list every declared output with unit, kind, aggregation, bounds and meaning",
        description="List the declared outputs: timeseries columns (timeseries.csv; each also "
        "gives final_<name> and mean_<name> in runs.csv), run totals (total_<name>) and the "
        "park indicators table. --scalars lists the scalar outputs that --output accepts.",
    )
    listed_outputs.add_argument("--kind", choices=KINDS, help="only outputs of this kind")
    listed_outputs.add_argument(
        "--scope",
        choices=SCOPES,
        help="only timeseries columns (month), run outcomes (run) or park indicators (park)",
    )
    listed_outputs.add_argument(
        "--scalars",
        action="store_true",
        help="list the scalar outputs of a run (runs.csv columns, the --output choices)",
    )
    listed_outputs.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="names only, one per line, no headings (for pipes and scripts)",
    )
    listed_outputs.set_defaults(func=_outputs)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from interfaces.commands.common import output_folder, resolve_scenario
    from simulation.output import atomic_output_dir, refuse_earlier_results
    from simulation.runner import DEFAULT_STEPS, run_model

    scenario = resolve_scenario(args.scenario, args.park, args.set)
    steps = args.steps or DEFAULT_STEPS
    out = output_folder(args.out, Path("results") / scenario.name)
    refuse_earlier_results(out, args.overwrite)
    with atomic_output_dir(out, replace=args.overwrite) as staging:
        result = run_model(scenario.parameters(), steps=steps, seed=args.seed)
        result.summary["scenario"] = {
            "name": scenario.name,
            "description": scenario.description,
            "source": scenario.source,
            "overrides": scenario.overrides,
            "file": str(scenario.path) if scenario.path else None,
            "content_hash": scenario.content_hash(),
        }
        result.write(staging)
        if not args.no_figure:
            from analysis.overview import save_overview

            save_overview(
                result, staging / "overview.png", title=run_title(scenario, result, args.seed)
            )
    from analysis.style import format_number

    final, totals = result.summary["final"], result.summary["totals"]
    print(
        f"{scenario.name} on {result.summary['park']}: {steps} months, seed {args.seed}: "
        f"{int(final['active_exchanges'])} active exchanges, "
        f"{totals['exchanges_started']} started, "
        f"recovery rate {final['recovery_rate']:.1%}, "
        f"{format_number(totals['co2_avoided_t'])} t CO2 avoided"
    )
    print(f"results written to {out}/")
    return 0


def run_title(scenario: object, result: object, seed: int) -> str:
    """The overview's title: scenario, park, seed, and the settings that differ from defaults."""
    overrides = getattr(scenario, "overrides", {}) or {}
    settings = ", ".join(f"{name} = {value}" for name, value in overrides.items() if name != "park")
    park = getattr(result, "summary", {}).get("park", "")
    title = f"{getattr(scenario, 'name', '')} on the {park} park, seed {seed}"
    import textwrap

    if not settings:
        return title + "\nevery parameter at its default"
    return title + "\n" + textwrap.fill(settings, 110)


def _scenarios(args: argparse.Namespace) -> int:
    from scenarios.loader import builtin_scenarios

    scenarios = builtin_scenarios()
    width = max(len(s.name) for s in scenarios)
    for scenario in scenarios:
        print(f"{scenario.name:<{width}}  {scenario.description}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from interfaces.commands.common import resolve_scenario
    from scenarios.parameters import declaration

    scenario = resolve_scenario(args.scenario, args.park, args.set)
    params = scenario.parameters()
    changed = [name for name in params if name in scenario.overrides]
    shown = changed if args.changed else list(params)
    print(f"# {scenario.name}: every parameter after extends, --park and --set, as a scenario")
    print("# file: save it and 'extends' it, or run it as it is.")
    if not changed:
        print("# every parameter at its default")
    else:
        print(
            f"# {len(changed)} of {len(params)} parameters set by the scenario and its options"
            + ("" if args.changed else ", marked '(set)'; --changed lists only those")
        )
    print(f"description = {toml_value(scenario.description)}")
    if scenario.source:
        print(f"source = {toml_value(scenario.source)}")
    print("\n[parameters]")
    width = max((len(name) for name in shown), default=0)
    for name in shown:
        parameter = declaration(name)  # a parameter or a catalogue number the scenario sets
        text = toml_value(params[name])
        mark = "(set) " if name in changed and not args.changed else ""
        print(f"{name:<{width}} = {text:<12} # {mark}{parameter.unit}; {parameter.meaning}")
    return 0


def toml_value(value: object) -> str:
    """A parameter value as TOML: quoted strings, true/false, numbers; "none" for not set.

    Scenario files read the string "none" of an optional parameter as "not set" (TOML has no
    null), so the printed file loads back to the same parameters.
    """
    import json

    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def _validate(args: argparse.Namespace) -> int:
    import sys

    from scenarios.errors import InputError
    from scenarios.loader import load_scenario
    from scenarios.parks import load_park_spec

    failed = 0
    for file in args.files:
        try:
            if _is_park_file(file):
                spec = load_park_spec(file)
                print(
                    f"{file}: ok (park {spec.get('name', file)}, generator "
                    f"{spec.get('generator', 'explicit')})"
                )
                continue
            scenario = load_scenario(file)
            park = str(scenario.parameters()["park"])
            load_park_spec(park)
        except InputError as error:
            print(f"symbiosis: error: {error}", file=sys.stderr)
            failed += 1
            continue
        print(
            f"{file}: ok ({scenario.name} on park {park}: {len(scenario.overrides)} "
            "settings differ from the defaults)"
        )
    return 2 if failed else 0


# Top-level keys only a park file has (a scenario file may not hold them).
_PARK_ONLY_KEYS = ("generator", "firms", "groups", "mix")


def _is_park_file(file: str) -> bool:
    """Whether ``file`` is a readable park file (malformed files are left to the scenario check)."""
    import tomllib
    from pathlib import Path

    path = Path(file)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return any(key in spec for key in _PARK_ONLY_KEYS)


def _parks(args: argparse.Namespace) -> int:
    from scenarios.parks import load_park_spec, park_names

    names = park_names()
    width = max(len(n) for n in names)
    for name in names:
        spec = load_park_spec(name)
        if spec.get("generator", "explicit") == "explicit":
            count = len(spec.get("firms", [])) + sum(g["count"] for g in spec.get("groups", []))
            size = f"{count} firms"
        else:
            size = "n_firms firms"
        print(f"{name:<{width}}  ({size}) {spec.get('description', '')}")
    return 0


def _park_from_table(args: argparse.Namespace) -> int:
    import os
    import tempfile
    from pathlib import Path

    from scenarios.errors import InputError
    from scenarios.park_table import park_from_table
    from scenarios.parks import load_park_spec

    source = Path(args.table)
    out = Path(args.out) if args.out else source.with_suffix(".toml")
    if out.suffix != ".toml":
        raise InputError(f"--out {out}: a park file must end in .toml")
    if out.exists() and not args.force:
        raise InputError(f"{out}: exists already (give --force to overwrite it)")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: no folder {out.parent}")
    text = park_from_table(source, args.name)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".toml", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        spec = load_park_spec(temporary)  # the written file is a valid park, or nothing is kept
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    print(
        f"{out}: park {spec['name']!r} with {len(spec['firms'])} firms; run it with "
        f"'symbiosis run baseline --park {out}'"
    )
    return 0


def _parameters(args: argparse.Namespace) -> int:
    from scenarios.parameters import PARAMETERS

    if args.catalogue:
        return _catalogue_numbers(args)
    counts: dict[str, int] = {}
    for parameter in PARAMETERS.values():
        if args.kind and parameter.kind != args.kind:
            continue
        counts[parameter.status] = counts.get(parameter.status, 0) + 1
        if args.status and parameter.status != args.status:
            continue
        default = "none" if parameter.default is None else parameter.default
        plausible = parameter.plausible_range
        extra = (
            f", plausible {plausible[0]:g}-{plausible[1]:g}"
            if parameter.status == "range" and plausible and parameter.plausible
            else ""
        )
        print(
            f"{parameter.name} [{parameter.kind}] [{parameter.status}] default {default} "
            f"{parameter.unit}, {parameter.allowed()}{extra}: {parameter.meaning} "
            f"(source: {parameter.source})"
        )
    print(_counts_line(counts, "parameters"))
    return 0


def _catalogue_numbers(args: argparse.Namespace) -> int:
    from scenarios.resources import catalogue_numbers

    counts: dict[str, int] = {}
    for number in catalogue_numbers().values():
        status = "sourced" if number.sourced else "range"
        counts[status] = counts.get(status, 0) + 1
        if args.status and status != args.status:
            continue
        where = f"source: {number.source}" if number.sourced else number.why
        fixed = "" if number.variable else " (fixed per run)"
        print(
            f"{number.name} [{status}] {number.value:g} {number.unit}, "
            f"range {number.low:g}-{number.high:g}{fixed}: {where}"
        )
    print(_counts_line(counts, "catalogue numbers"))
    return 0


def _counts_line(counts: dict[str, int], what: str) -> str:
    """``# 7 sourced, 52 declared ranges, 35 settings (of 94 parameters)``."""
    labels = {"sourced": "sourced", "range": "declared ranges", "setting": "settings"}
    labels["missing"] = "with neither source nor range"
    parts = [f"{counts[key]} {label}" for key, label in labels.items() if counts.get(key)]
    return f"# {', '.join(parts)} (of {sum(counts.values())} {what})"


def _outputs(args: argparse.Namespace) -> int:
    from scenarios import outputs

    if args.scalars:
        names = [
            name
            for name in outputs.scalar_output_names()
            if _chosen(outputs.scalar_output(name).output, args)
        ]
        if args.quiet:
            print("\n".join(names))
            return 0
        width = max((len(name) for name in names), default=0)
        for name in names:
            scalar = outputs.scalar_output(name)
            print(f"{name:<{width}}  {scalar.unit}: {scalar.label}")
        return 0
    headings = {
        "month": "timeseries columns (timeseries.csv; final_<name> and mean_<name> in runs.csv)",
        "run": "run outcomes (summary.json; total_<name> in runs.csv)",
        "park": "park indicators (the indicators table of report and figures)",
    }
    for scope, heading in headings.items():
        chosen = [o for o in outputs.every_output() if o.scope == scope and _chosen(o, args)]
        if not chosen:
            continue
        if args.quiet:
            print("\n".join(output.name for output in chosen))
            continue
        print(f"# {heading}")
        width = max(len(output.name) for output in chosen)
        for output in chosen:
            total = ", total" if output.total else ""
            print(
                f"{output.name:<{width}}  [{output.kind}, {output.aggregation}{total}] "
                f"{output.monthly_unit}, {output.allowed()}: {output.label}. {output.definition}"
            )
    return 0


def _chosen(output: Any, args: argparse.Namespace) -> bool:
    """Whether ``output`` passes the ``--kind`` and ``--scope`` filters."""
    return (args.kind is None or output.kind == args.kind) and (
        args.scope is None or output.scope == args.scope
    )
