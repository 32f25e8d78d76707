"""The platform as a network good that can tip, its levers, and no silent operator no-op.

docs/model.md, section 7.4 (platform) and 7.3 (the operator's budget).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.loader import builtin_scenarios
from scenarios.parameters import ParameterError, validate

ROOT = Path(__file__).resolve().parents[1]


# --- no silent no-op: a service without the budget to run it is refused ------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"platform_tier": 1}, "platform_tier = 1"),
        ({"workshops_per_year": 4}, "workshops_per_year = 4"),
        ({"platform_tier": 2, "workshops_per_year": 2}, "platform_tier = 2"),
    ],
)
def test_a_service_without_operator_funding_is_refused_naming_both(params, named):
    with pytest.raises(ParameterError) as error:
        validate(params)
    message = str(error.value)
    assert named in message and "operator_funding_eur_per_year" in message
    assert "\n" not in message


def test_funding_that_ends_before_the_service_starts_is_refused():
    with pytest.raises(ParameterError, match="operator_funding_end_month = 6"):
        validate(
            {
                "platform_tier": 1,
                "platform_start_month": 12,
                "operator_funding_eur_per_year": 30_000.0,
                "operator_funding_end_month": 6,
            }
        )


def test_funding_that_starts_after_the_service_ends_is_refused():
    with pytest.raises(ParameterError, match="operator_funding_start_month = 24"):
        validate(
            {
                "workshops_per_year": 4,
                "facilitation_end_month": 12,
                "operator_funding_eur_per_year": 30_000.0,
                "operator_funding_start_month": 24,
            }
        )


def test_brokering_without_workshops_is_refused():
    with pytest.raises(ParameterError, match="brokering = true, but workshops_per_year is 0"):
        validate({"brokering": True, "operator_funding_eur_per_year": 10_000.0})


def test_funded_or_free_services_are_accepted():
    validate({"platform_tier": 1, "operator_funding_eur_per_year": 30_000.0})
    validate({"workshops_per_year": 4, "operator_funding_eur_per_year": 1.0})
    validate({"platform_tier": 1, "platform_cost_eur_per_month": 0.0})  # a free platform runs
    validate({"workshops_per_year": 4, "workshop_cost_eur": 0.0})


def test_every_builtin_scenario_still_validates():
    for scenario in builtin_scenarios():
        validate(scenario.parameters())


@pytest.mark.parametrize("command", ["validate", "run"])
def test_the_cli_refuses_an_unfunded_platform_in_one_line_with_status_2(tmp_path, command):
    scenario = tmp_path / "unfunded.toml"
    scenario.write_text(
        'description = "a platform nobody pays for"\nsource = "test"\nextends = "baseline"\n'
        "[policy.platform]\nlevel = 1\n"
    )
    args = [command, str(scenario)] + (
        ["--steps", "2", "--out", str(tmp_path / "o")] if command == "run" else []
    )
    done = subprocess.run(
        [sys.executable, "-m", "interfaces", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "platform_tier = 1" in lines[0] and "operator_funding_eur_per_year is 0" in lines[0]
