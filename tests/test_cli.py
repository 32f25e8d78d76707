"""The core CLI end to end: run writes every output; bad input is one line, exit 2, no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from interfaces.cli import main
from scenarios.loader import load_scenario, scenario_names
from scenarios.parameters import PARAMETERS, parse_value
from scenarios.parks import park_names

ROOT = Path(__file__).resolve().parents[1]
STEPS = 24

TIMESERIES_REQUIRED = (
    "step",
    "active_exchanges",
    "new_exchanges",
    "ended_exchanges",
    "generated_t",
    "exchanged_t",
    "exchanged_mwh",
    "exchanged_m3",
    "landfilled_t",
    "recovery_rate",
    "virgin_avoided_t",
    "co2_avoided_t",
    "firm_net_benefit_eur",
    "public_revenue_eur",
    "public_spending_eur",
    "platform_members",
    "mean_trust",
    "network_density",
    "largest_component_share",
    "chertow_3_2",
)
EXCHANGES_REQUIRED = (
    "supplier",
    "receiver",
    "stream",
    "distance_km",
    "quantity_per_month",
    "unit",
    "start_step",
    "end_step",
    "end_reason",
)
# id, sector, size, location, net benefit, platform membership, disclosure tier, degree
FIRMS_REQUIRED = (
    "id",
    "sector",
    "size",
    "x_km",
    "y_km",
    "net_benefit_eur",
    "platform_member",
    "disclosure_tier",
    "degree",
)
OUTPUT_FILES = {"timeseries.csv", "exchanges.csv", "firms.csv", "summary.json", "overview.png"}


# --- symbiosis run writes every file of issue 2 -------------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    out = root / "deep" / "landfill"
    status = main(["run", "landfill_tax", "--steps", str(STEPS), "--seed", "3", "--out", str(out)])
    assert status == 0
    return out


def test_run_writes_exactly_the_output_files_and_no_staging_left(run_folder):
    assert {p.name for p in run_folder.iterdir()} == OUTPUT_FILES
    assert [p.name for p in run_folder.parent.iterdir()] == ["landfill"]


def test_run_timeseries_has_one_row_per_month_and_every_named_column(run_folder):
    ts = pd.read_csv(run_folder / "timeseries.csv")
    assert set(TIMESERIES_REQUIRED) <= set(ts.columns)
    assert len(ts) == STEPS
    assert (ts["step"].diff().dropna() == 1).all()
    assert (ts[["generated_t", "exchanged_t", "landfilled_t", "public_revenue_eur"]] >= 0).all(
        axis=None
    )
    assert ts["recovery_rate"].between(0, 1).all()


def test_run_exchanges_have_every_named_column_and_consistent_rows(run_folder):
    exchanges = pd.read_csv(run_folder / "exchanges.csv", keep_default_na=False)
    assert set(EXCHANGES_REQUIRED) <= set(exchanges.columns)
    for row in exchanges.itertuples():
        assert row.supplier != row.receiver
        assert row.unit in ("t", "MWh", "m3")
        assert row.distance_km >= 0 and row.quantity_per_month > 0
        assert 1 <= row.start_step <= STEPS
        assert (row.end_step == -1) == (row.end_reason == "")
        assert row.end_step == -1 or row.start_step <= row.end_step <= STEPS


def test_run_firms_have_every_named_column_and_degrees_match_exchanges(run_folder):
    firms = pd.read_csv(run_folder / "firms.csv")
    exchanges = pd.read_csv(run_folder / "exchanges.csv", keep_default_na=False)
    assert set(FIRMS_REQUIRED) <= set(firms.columns)
    assert firms["id"].is_unique and (firms["size"] > 0).all()
    assert set(firms["disclosure_tier"]) <= {0, 1, 2}
    assert (firms["platform_member"] == (firms["disclosure_tier"] > 0)).all()
    active = exchanges[exchanges["end_step"] == -1]
    partners: dict[int, set[int]] = {}
    for row in active.itertuples():
        partners.setdefault(row.supplier, set()).add(row.receiver)
        partners.setdefault(row.receiver, set()).add(row.supplier)
    expected = firms["id"].map(lambda i: len(partners.get(i, ())))
    assert (firms["degree"] == expected).all()


def test_run_summary_holds_final_indicators_parameters_seed_and_version(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    ts = pd.read_csv(run_folder / "timeseries.csv")
    assert summary["seed"] == 3 and summary["steps"] == STEPS
    assert summary["package_version"] == version("symbiosis")
    assert summary["parameters"] == load_scenario("landfill_tax").parameters()
    assert summary["scenario"]["name"] == "landfill_tax"
    for column in TIMESERIES_REQUIRED:
        assert summary["final"][column] == pytest.approx(ts[column].iloc[-1])


def test_run_overview_is_a_readable_png(run_folder):
    path = run_folder / "overview.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= 600 and image.shape[1] >= 800


def test_run_with_park_and_set_records_both(tmp_path, cli):
    out = tmp_path / "out"
    status, stdout, _ = cli(
        "run",
        "baseline",
        "--park",
        "kalundborg",
        "--set",
        "trust_threshold=0.45",
        "--steps",
        "3",
        "--out",
        out,
        "--no-figure",
    )
    assert status == 0 and "kalundborg" in stdout and str(out) in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["park"] == "kalundborg" and summary["parameters"]["park"] == "kalundborg"
    assert summary["parameters"]["trust_threshold"] == 0.45
    assert "overview.png" not in {p.name for p in out.iterdir()}


# --- Bad input: one line on stderr, exit 2, nothing written --------------------------------------

CASES = {
    "malformed TOML": (
        {"bad.toml": 'description = "x"\n[parameters]\ntrust_threshold = \n'},
        ["run", "bad.toml"],
        ["bad.toml", "malformed TOML", "line 3"],
    ),
    "unknown key": (
        {"bad.toml": "[parameters]\ntrust_treshold = 0.3\n"},
        ["run", "bad.toml"],
        ["bad.toml", "[parameters]", "'trust_treshold'", "did you mean 'trust_threshold'"],
    ),
    "wrong type": (
        {"bad.toml": '[policy.landfill_tax]\nlevel = "high"\n'},
        ["run", "bad.toml"],
        ["bad.toml", "[policy.landfill_tax] level", "must be a number", "float in [0, 500]"],
    ),
    "out of range": (
        {"bad.toml": "[parameters]\ntrust_threshold = 1.5\n"},
        ["run", "bad.toml"],
        ["bad.toml", "trust_threshold = 1.5", "out of range", "[0, 1]"],
    ),
    "unknown scenario": (
        {},
        ["run", "landfil_tax"],
        ["unknown scenario 'landfil_tax'", "did you mean 'landfill_tax'", "baseline"],
    ),
    "unknown park (--park)": (
        {},
        ["run", "baseline", "--park", "kokola"],
        ["unknown park 'kokola'", "did you mean 'kokkola'", "kalundborg"],
    ),
    "unknown park (file)": (
        {"bad.toml": 'park = "kemi"\n'},
        ["run", "bad.toml"],
        ["bad.toml", "park must be one of", "kemi_tornio"],
    ),
    "missing file": ({}, ["run", "nowhere.toml"], ["nowhere.toml", "no such scenario file"]),
    "circular extends": (
        {"a.toml": 'extends = "b"\n', "b.toml": 'extends = "a"\n'},
        ["run", "a.toml"],
        ["a.toml", "circular extends (a -> b -> a)"],
    ),
    "end before start (file)": (
        {"bad.toml": "[policy.landfill_tax]\nlevel = 80.0\nstart_month = 24\nend_month = 12\n"},
        ["run", "bad.toml"],
        ["bad.toml", "[policy.landfill_tax]", "end_month = 12 must come after start_month = 24"],
    ),
    "end before start (--set)": (
        {},
        ["run", "landfill_tax", "--set", "landfill_tax_end_month=6"],
        ["--set landfill_tax_end_month=6", "must come after landfill_tax_start_month = 12"],
    ),
    "--set does not parse": (
        {},
        ["run", "baseline", "--set", "trust_threshold=high"],
        ["--set 'trust_threshold=high'", "must be a number", "[0, 1]"],
    ),
    "--set without =": (
        {},
        ["run", "baseline", "--set", "trust_threshold"],
        ["--set 'trust_threshold'", "expected key=value"],
    ),
    "--set unknown key": (
        {},
        ["run", "baseline", "--set", "trust_treshold=0.5"],
        ["'trust_treshold'", "did you mean 'trust_threshold'"],
    ),
    "--set bad choice": (
        {},
        ["run", "baseline", "--set", "social_network=smallworld"],
        ["social_network must be one of", "did you mean 'small_world'"],
    ),
    "--park a bad file": (
        {"mine.toml": 'name = "x"\n'},
        ["run", "baseline", "--park", "mine.toml"],
        ["--park: mine.toml: a park needs at least two firms"],
    ),
    "--out is a file": (
        {"taken": "x"},
        ["run", "baseline", "--steps", "2", "--out", "taken/sub"],
        ["taken", "is a file, not a folder"],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(workdir, cli, case):
    files, argv, fragments = CASES[case]
    for name, text in files.items():
        (workdir / name).write_text(text)
    before = sorted(p.name for p in workdir.iterdir())
    if "--out" not in argv:
        argv = [*argv, "--out", "out"]
    status, stdout, stderr = cli(*argv)
    assert status == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbiosis: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert sorted(p.name for p in workdir.iterdir()) == before  # no output, no staging folder


def test_bad_input_without_out_creates_no_results_folder(workdir, cli):
    status, _, stderr = cli("run", "baseline", "--set", "n_firms=2")
    assert status == 2 and "n_firms = 2 is out of range" in stderr
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "baseline", "--steps", "0"],
        ["run", "baseline", "--seed", "-1"],
        ["parameters", "--kind", "levers"],
    ],
)
def test_bad_flags_are_refused_by_argparse_with_status_2(argv, workdir, cli):
    status, _, stderr = cli(*argv)
    assert status == 2
    assert "Traceback" not in stderr and stderr.startswith("symbiosis: error: ")
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("files", "argv", "fragment"),
    [
        ({"bad.toml": "[parameters\n"}, ["run", "bad.toml", "--out", "out"], "malformed TOML"),
        ({}, ["run", "baseline", "--set", "trust_treshold=0.5", "--out", "out"], "trust_treshold"),
        ({}, ["show", "baseline", "--park", "atlantis"], "unknown park 'atlantis'"),
    ],
)
def test_the_installed_command_prints_no_traceback(
    tmp_path, symbiosis_command, files, argv, fragment
):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        [*symbiosis_command, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbiosis: error: ") and fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


# --- show, --set and --park ----------------------------------------------------------------------


def parameter_lines(stdout: str) -> list[str]:
    """The ``name = value # ...`` lines of ``show``: those of its [parameters] table."""
    lines = stdout.splitlines()
    return [line for line in lines[lines.index("[parameters]") + 1 :] if line.strip()]


def show_all(cli, *argv: str) -> list[str]:
    status, stdout, _ = cli("show", *argv, "--all")
    assert status == 0
    return parameter_lines(stdout)


@pytest.mark.parametrize(
    ("scenario", "assignment"),
    [
        ("baseline", "trust_threshold=0.65"),
        ("facilitation", "brokering=false"),  # brokering needs workshops (no silent no-op)
        ("baseline", "n_firms=250"),
        ("baseline", "landfill_tax_end_month=48"),
        ("baseline", "social_network=none"),
        ("baseline", "park=kokkola"),
        ("landfill_tax", "landfill_tax_eur_per_t=120"),
        ("world_bank_mix", "contracts=false"),
    ],
)
def test_set_changes_exactly_the_parameter_named(cli, scenario, assignment):
    name = assignment.split("=")[0]
    before = show_all(cli, scenario)
    after = show_all(cli, scenario, "--set", assignment)
    assert len(before) == len(after) == len(PARAMETERS)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert len(changed) == 1
    old, new = changed[0]
    assert old.split()[0] == new.split()[0] == name
    value = parse_value(name, assignment.split("=")[1])
    assert new.split("=")[1].split("#")[0].strip() == shown(value)
    assert old.split("=")[1].split("#")[0].strip() == shown(
        load_scenario(scenario).parameters()[name]
    )


def shown(value) -> str:
    """How ``show`` writes a value (as TOML)."""
    from interfaces.commands.core import toml_value

    return toml_value(value)


def test_set_to_none_unsets_an_end_month_in_show(tmp_path, cli):
    path = tmp_path / "ends.toml"
    path.write_text("[policy.subsidy]\nlevel = 5.0\nend_month = 24\n")
    before = show_all(cli, str(path))
    after = show_all(cli, str(path), "--set", "subsidy_end_month=none")
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert len(changed) == 1
    assert changed[0][0].split("=")[1].split()[0] == "24"
    assert changed[0][1].split("=")[1].split()[0] == '"none"'


def test_show_changed_lists_only_what_differs_and_reflects_set_and_park(cli):
    status, stdout, _ = cli(
        "show",
        "landfill_tax",
        "--set",
        "trust_threshold=0.6",
        "--park",
        "kemi_tornio",
        "--changed",
    )
    assert status == 0
    lines = parameter_lines(stdout)
    values = {
        line.split("=")[0].strip(): line.split("=")[1].split("#")[0].strip() for line in lines
    }
    assert values == {
        "landfill_tax_eur_per_t": "80.0",
        "landfill_tax_start_month": "12",
        "trust_threshold": "0.6",
        "park": '"kemi_tornio"',
    }
    assert "landfill_tax:" in stdout.splitlines()[0]
    status, stdout, _ = cli("show", "baseline", "--changed")
    assert "every parameter at its default" in stdout


def test_show_prints_every_resolved_parameter_by_default_and_marks_the_set_ones(cli):
    from scenarios.parameters import PARAMETERS

    status, stdout, _ = cli("show", "landfill_tax", "--set", "trust_threshold=0.6")
    assert status == 0
    lines = parameter_lines(stdout)
    assert [line.split("=")[0].strip() for line in lines] == list(PARAMETERS)
    marked = {line.split("=")[0].strip() for line in lines if "# (set)" in line}
    assert marked == {"landfill_tax_eur_per_t", "landfill_tax_start_month", "trust_threshold"}


@pytest.mark.parametrize(
    ("scenario", "park", "sets"),
    [
        ("landfill_tax", None, []),
        ("world_bank_mix", None, ["trust_threshold=0.6"]),
        ("baseline", "kokkola", ["subsidy_end_month=none"]),
    ],
)
def test_show_prints_a_scenario_file_that_loads_back_and_can_be_extended(
    tmp_path, cli, scenario, park, sets
):
    import tomllib

    from interfaces.commands.common import resolve_scenario

    options = [*(["--park", park] if park else []), *(x for v in sets for x in ("--set", v))]
    status, stdout, _ = cli("show", scenario, *options)
    assert status == 0
    tomllib.loads(stdout)  # valid TOML: no "= none", strings quoted
    shown_file = tmp_path / "shown.toml"
    shown_file.write_text(stdout)
    expected = resolve_scenario(scenario, park, sets).parameters()
    assert load_scenario(str(shown_file)).parameters() == expected
    child = tmp_path / "child.toml"
    child.write_text('extends = "shown.toml"\n[parameters]\ntrust_threshold = 0.7\n')
    assert load_scenario(str(child)).parameters() == {**expected, "trust_threshold": 0.7}


# --- scenarios, parks, parameters, validate ------------------------------------------------------


def test_scenarios_lists_every_built_in_with_its_description(cli):
    status, stdout, _ = cli("scenarios")
    assert status == 0
    lines = stdout.splitlines()
    assert [line.split()[0] for line in lines] == scenario_names()
    for line, name in zip(lines, scenario_names(), strict=True):
        assert load_scenario(name).description in line


def test_parks_lists_every_park(cli):
    status, stdout, _ = cli("parks")
    assert status == 0
    assert [line.split()[0] for line in stdout.splitlines()] == park_names()
    assert "(77 firms)" in stdout  # Kokkola: 17 + 60


def test_parameters_lists_every_parameter_and_filters_by_kind(cli):
    status, stdout, _ = cli("parameters")
    assert status == 0
    lines = stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == list(PARAMETERS)
    assert lines[-1].startswith("# ") and f"(of {len(PARAMETERS)} parameters)" in lines[-1]
    status, stdout, _ = cli("parameters", "--kind", "lever")
    names = [line.split()[0] for line in stdout.splitlines() if not line.startswith("#")]
    assert names and all(PARAMETERS[n].kind == "lever" for n in names)


def test_validate_checks_every_file_and_fails_if_any_is_bad(tmp_path, cli):
    good = tmp_path / "good.toml"
    good.write_text('extends = "facilitation"\npark = "kokkola"\n')
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters]\nworkshops_per_year = 13\n")
    status, stdout, stderr = cli("validate", "baseline", good)
    assert status == 0 and stderr == ""
    assert "baseline: ok" in stdout and f"{good}: ok" in stdout and "kokkola" in stdout
    status, stdout, stderr = cli("validate", good, bad, "baseline")
    assert status == 2
    assert stdout.count(": ok") == 2
    assert stderr.splitlines() == [
        f"symbiosis: error: {bad}: [parameters] workshops_per_year = 13 is out of range "
        "(int in [0, 12])"
    ]


def test_help_lists_the_core_commands(cli):
    status, text, _ = cli("--help")
    assert status == 0
    for command in ("run", "scenarios", "show", "validate", "parks", "parameters"):
        assert command in text
    status, text, _ = cli("run", "--help")
    assert status == 0
    assert "--park" in text and "--set" in text and "--seed" in text and "--steps" in text


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["compare", "baseline", "--replications", "0"], "--replications"),
        (["sensitivity", "baseline"], "required: --method"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run", "baseline", "--sed", "3"], "unrecognized arguments: --sed 3"),
    ],
)
def test_usage_errors_are_one_line_naming_the_problem_and_the_help(cli, argv, fragment):
    status, _, err = cli(*argv)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("symbiosis: error: ")
    assert fragment in err and "--help" in err


def test_validate_checks_park_files_too(tmp_path, cli):
    from scenarios.parks import PARKS_DIR

    status, stdout, _ = cli("validate", str(PARKS_DIR / "kokkola.toml"))
    assert status == 0 and "park kokkola" in stdout
    bad = tmp_path / "my_park.toml"
    bad.write_text('name = "my_park"\ngenerator = "synthetic"\n[mix]\nfood = -1\n')
    status, _, stderr = cli("validate", str(bad))
    assert status == 2
    assert stderr.count("\n") == 1 and "my_park.toml" in stderr and "food" in stderr


# --- entry points ------------------------------------------------------------------------------


def test_version_prints_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"symbiosis {version('symbiosis')}"


def test_python_m_interfaces_runs_the_cli_and_python_m_simulation_points_to_it(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "interfaces", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.startswith("symbiosis ")
    done = subprocess.run(
        [sys.executable, "-m", "simulation"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "python -m interfaces" in done.stderr
    assert len(done.stderr.splitlines()) == 1
