"""Scenario files: discovery, extends, policy timing, sensitivity ranges and every bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.errors import InputError
from scenarios.loader import (
    SCENARIOS_DIR,
    ScenarioError,
    load_scenario,
    parse_overrides,
    scenario_names,
)
from scenarios.parameters import PARAMETERS, defaults
from simulation.indicators import TIMESERIES_COLUMNS
from simulation.runner import run_model

# The scenarios issue 3 asks for; more may be added, none of these may go.
REQUIRED = (
    "baseline",
    "landfill_tax",
    "tax_incentive",
    "digital_platform",
    "digital_platform_cost_data",
    "facilitation",
    "data_sharing_incentive",
    "collective_governance",
    "urban_industrial",
    "world_bank_mix",
)
STEPS = 24  # instruments of the built-ins start at month 12 at the latest


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# --- The built-in library ------------------------------------------------------------------------


def test_built_in_scenarios_are_discovered_from_the_folder():
    assert scenario_names() == sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
    assert set(REQUIRED) <= set(scenario_names())


@pytest.mark.parametrize("name", scenario_names())
def test_every_built_in_scenario_is_described_and_sourced(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.description and "\n" not in scenario.description
    assert scenario.source
    assert set(scenario.parameters()) == set(PARAMETERS)


def test_the_content_hash_is_the_resolved_parameters_in_any_process(tmp_path):
    """The store keys runs by it: same parameters, same hash, whatever the name or interpreter."""
    hashes = {name: load_scenario(name).content_hash() for name in scenario_names()}
    assert len(set(hashes.values())) == len(hashes)  # no two built-ins resolve alike
    renamed = write(
        tmp_path, "renamed.toml", 'description = "another name"\nextends = "landfill_tax"\n'
    )
    assert load_scenario(renamed).content_hash() == hashes["landfill_tax"]
    code = (
        "import json; from scenarios.loader import load_scenario, scenario_names; "
        "print(json.dumps({n: load_scenario(n).content_hash() for n in scenario_names()}))"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(fresh.stdout) == hashes


@pytest.mark.parametrize("name", scenario_names())
def test_every_built_in_scenario_runs_for_a_few_steps(name):
    params = load_scenario(name).parameters()
    result = run_model(params, steps=STEPS, seed=3)
    assert len(result.timeseries) == STEPS
    assert list(result.timeseries.columns[: len(TIMESERIES_COLUMNS)]) == list(TIMESERIES_COLUMNS)
    assert result.summary["parameters"] == params
    assert result.summary["park"] == params["park"]


def test_built_in_scenarios_state_the_policies_they_are_named_after():
    get = {name: load_scenario(name).parameters() for name in REQUIRED}
    base = get["baseline"]
    assert load_scenario("baseline").overrides == {}
    assert get["landfill_tax"]["landfill_tax_eur_per_t"] > 0
    assert get["tax_incentive"]["investment_grant_share"] > 0
    assert get["digital_platform"]["platform_tier"] == 1
    assert get["digital_platform_cost_data"]["platform_tier"] == 2
    assert get["facilitation"]["workshops_per_year"] > 0 and get["facilitation"]["brokering"]
    assert get["data_sharing_incentive"]["disclosure_incentive_eur_per_month"] > 0
    assert get["data_sharing_incentive"]["platform_tier"] == 2
    assert get["collective_governance"]["contracts"]
    assert get["collective_governance"]["shared_infrastructure"]
    assert get["urban_industrial"]["urban_waste"] and not base["urban_waste"]
    mix = get["world_bank_mix"]  # platform, tax incentives and financing, an active operator
    assert mix["platform_tier"] > 0 and mix["investment_grant_share"] > 0
    assert mix["workshops_per_year"] > 0 and mix["operator_funding_eur_per_year"] > 0


def test_extends_inherits_and_a_child_states_only_what_differs():
    parent = load_scenario("digital_platform")
    child = load_scenario("digital_platform_cost_data")
    grandchild = load_scenario("data_sharing_incentive")
    assert child.overrides == {**parent.overrides, "platform_tier": 2}
    assert grandchild.overrides["platform_start_month"] == parent.overrides["platform_start_month"]
    assert grandchild.overrides["platform_tier"] == 2


# --- User files ----------------------------------------------------------------------------------


def test_a_user_file_extends_a_built_in_and_sets_policy_timing(tmp_path):
    path = write(
        tmp_path,
        "mine.toml",
        """
description = "Tax from year 2 to year 5 on Kokkola"
extends = "landfill_tax"
park = "kokkola"

[parameters]
trust_threshold = 0.6

[policy.landfill_tax]
level = 100
end_month = 60

[policy.platform]
level = 2
start_month = 0
platform_recall = 0.9

[policy.operator_funding]
level = 30000

[sensitivity]
trust_threshold = [0.3, 0.7]
workshops_per_year = [0, 6]
""",
    )
    scenario = load_scenario(path)
    assert scenario.name == "mine" and scenario.path == path
    assert scenario.description == "Tax from year 2 to year 5 on Kokkola"
    assert scenario.source == load_scenario("landfill_tax").source  # inherited
    params = scenario.parameters()
    assert params["park"] == "kokkola"
    assert params["landfill_tax_eur_per_t"] == 100.0
    assert isinstance(params["landfill_tax_eur_per_t"], float)
    assert params["landfill_tax_start_month"] == 12 and params["landfill_tax_end_month"] == 60
    assert params["platform_tier"] == 2 and params["platform_start_month"] == 0
    assert params["platform_recall"] == 0.9
    assert scenario.sensitivity == {"trust_threshold": (0.3, 0.7), "workshops_per_year": (0.0, 6.0)}
    changed = {k for k, v in params.items() if v != defaults()[k]}
    assert changed <= set(scenario.overrides)
    assert set(scenario.overrides) - changed == {"platform_start_month"}  # set to its default


def test_extends_finds_a_sibling_file_by_name_or_relative_path(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "parent.toml", 'extends = "baseline"\n[parameters]\ntrust_threshold = 0.7\n')
    by_name = write(tmp_path, "a.toml", 'extends = "parent"\n')
    by_path = write(tmp_path / "sub", "b.toml", 'extends = "../parent.toml"\n')
    assert load_scenario(by_name).parameters()["trust_threshold"] == 0.7
    assert load_scenario(by_path).parameters()["trust_threshold"] == 0.7


def test_none_unsets_an_inherited_end_month(tmp_path):
    write(tmp_path, "ends.toml", "[policy.subsidy]\nlevel = 5\nend_month = 24\n")
    child = write(
        tmp_path, "never.toml", 'extends = "ends"\n[policy.subsidy]\nend_month = "none"\n'
    )
    assert load_scenario(tmp_path / "ends.toml").parameters()["subsidy_end_month"] == 24
    assert load_scenario(child).parameters()["subsidy_end_month"] is None


def test_with_overrides_checks_the_merge_and_changes_the_hash():
    scenario = load_scenario("landfill_tax")
    changed = scenario.with_overrides({"trust_threshold": 0.6})
    assert changed.parameters()["trust_threshold"] == 0.6
    assert scenario.parameters()["trust_threshold"] == PARAMETERS["trust_threshold"].default
    assert changed.content_hash() != scenario.content_hash()
    with pytest.raises(ScenarioError, match="must come after"):
        scenario.with_overrides({"landfill_tax_end_month": 6})


def test_parse_overrides_reads_key_value_pairs():
    assert parse_overrides(["brokering=true", " n_firms = 50", "landfill_tax_end_month=none"]) == {
        "brokering": True,
        "n_firms": 50,
        "landfill_tax_end_month": None,
    }
    for bad, fragment in [
        ("n_firms", "expected key=value"),
        ("=3", "expected key=value"),
        ("n_firm=3", "did you mean 'n_firms'"),
        ("n_firms=x", "must be a number"),
    ]:
        with pytest.raises(ScenarioError, match=fragment):
            parse_overrides([bad])


# --- Bad files: one message naming the file, the key and what is allowed --------------------------

BAD_FILES = {
    "malformed TOML": (
        'description = "x"\n[parameters]\ntrust_threshold = \n',
        ["malformed TOML", "line 3"],
    ),
    "not UTF-8": (b'description = "\xff"\n', ["malformed TOML", "UTF-8"]),
    "unknown top-level key": (
        'descriptoin = "x"\n',
        ["unknown key 'descriptoin'", "did you mean 'description'", "allowed:"],
    ),
    "unknown parameter": (
        "[parameters]\ntrust_treshold = 0.3\n",
        ["[parameters]", "'trust_treshold'", "did you mean 'trust_threshold'"],
    ),
    "unknown instrument": (
        "[policy.landfil_tax]\nlevel = 3.0\n",
        ["'landfil_tax'", "did you mean 'landfill_tax'", "instruments:"],
    ),
    "unknown instrument key": (
        "[policy.landfill_tax]\nlevl = 3.0\n",
        [
            "[policy.landfill_tax]",
            "'levl'",
            "did you mean 'level'",
            "allowed: level, start_month, end_month",
        ],
    ),
    "wrong type": (
        '[parameters]\ntrust_threshold = "high"\n',
        ["[parameters] trust_threshold", "must be a number", "float in [0, 1]"],
    ),
    "wrong type of bool": (
        "[policy.contracts]\nlevel = 1\n",
        ["[policy.contracts] level", "true or false"],
    ),
    "out of range": (
        "[policy.landfill_tax]\nlevel = 900.0\n",
        ["[policy.landfill_tax] level", "900", "out of range", "[0, 500]"],
    ),
    "not a whole number": (
        "[policy.landfill_tax]\nstart_month = 1.5\n",
        ["start_month", "whole number"],
    ),
    "unknown park": ('park = "kemi"\n', ["park must be one of", "kemi_tornio", "'kemi'"]),
    "unknown extends": (
        'extends = "baselin"\n',
        ["extends", "unknown scenario 'baselin'", "did you mean 'baseline'"],
    ),
    "missing extends file": ('extends = "nowhere/else.toml"\n', ["extends", "no such"]),
    "end before start": (
        "[policy.subsidy]\nlevel = 5.0\nstart_month = 24\nend_month = 12\n",
        ["[policy.subsidy]", "end_month = 12 must come after start_month = 24"],
    ),
    "end before inherited start": (
        'extends = "landfill_tax"\n[policy.landfill_tax]\nend_month = 6\n',
        ["end_month = 6 must come after start_month = 12", "inherited"],
    ),
    "set twice": (
        "[parameters]\nlandfill_tax_eur_per_t = 5.0\n[policy.landfill_tax]\nlevel = 3.0\n",
        ["[policy.landfill_tax] level", "already set by [parameters]"],
    ),
    "parameters not a table": ("parameters = 3\n", ["[parameters] must be a table"]),
    "description not a string": ("description = 3\n", ["description must be a string"]),
    "bad name": ('name = "../evil"\n', ["name must be"]),
    "sensitivity not a pair": (
        "[sensitivity]\ntrust_threshold = [0.3]\n",
        ["[sensitivity] trust_threshold must be [low, high]"],
    ),
    "sensitivity reversed": (
        "[sensitivity]\ntrust_threshold = [0.7, 0.3]\n",
        ["low 0.7 must be below high 0.3"],
    ),
    "sensitivity out of range": (
        "[sensitivity]\ntrust_threshold = [0.3, 1.7]\n",
        ["[sensitivity] trust_threshold", "out of range"],
    ),
    "sensitivity of a bool": ("[sensitivity]\nbrokering = [0, 1]\n", ["not numeric"]),
    "sensitivity unknown": (
        "[sensitivity]\ntrust_treshold = [0, 1]\n",
        ["did you mean 'trust_threshold'"],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_a_bad_file_gives_one_line_naming_the_file_and_the_problem(tmp_path, case):
    text, fragments = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = str(error.value)
    assert isinstance(error.value, InputError)
    assert "\n" not in message
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_circular_extends_names_the_cycle(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b"\n')
    write(tmp_path, "b.toml", 'extends = "a"\n')
    write(tmp_path, "self.toml", 'extends = "self"\n')
    with pytest.raises(ScenarioError, match=r"circular extends \(a -> b -> a\)"):
        load_scenario(tmp_path / "a.toml")
    with pytest.raises(ScenarioError, match=r"circular extends \(self -> self\)"):
        load_scenario(tmp_path / "self.toml")


def test_a_bad_parent_is_named_in_the_childs_message(tmp_path):
    write(tmp_path, "parent.toml", "[parameters]\ntrust_threshold = 3.0\n")
    child = write(tmp_path, "child.toml", 'extends = "parent"\n')
    with pytest.raises(ScenarioError, match="parent.toml: \\[parameters\\] trust_threshold"):
        load_scenario(child)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("baselin", "unknown scenario 'baselin' (did you mean 'baseline'?)"),
        ("missing.toml", "missing.toml: no such scenario file"),
        ("no/such/file.toml", "no such scenario file"),
    ],
)
def test_unknown_scenarios_and_missing_files_are_named(name, fragment):
    with pytest.raises(ScenarioError) as error:
        load_scenario(name)
    assert fragment in str(error.value)


def test_a_folder_is_not_a_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)
