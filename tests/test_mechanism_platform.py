"""The platform as a network good that can tip, its levers, and no silent operator no-op.

docs/model.md, section 7.4 (platform) and 7.3 (the operator's budget).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mesa
import numpy as np
import pytest
from test_company import population

from agents.park_operator import ParkOperator
from scenarios.loader import builtin_scenarios, load_scenario
from scenarios.parameters import ModelParameters, ParameterError, validate
from simulation.model import SymbiosisModel

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


# --- the network effect counts compatible members within reach ---------------------------------


def test_only_compatible_members_count_and_far_ones_count_less():
    firms = population(n=4)  # firm 0 supplies stream 0, firm 1 needs it; 2 and 3 have nothing
    firms.base_need[3, 0] = 5.0  # firm 3, 3 km from firm 0, also needs stream 0
    deciding = np.ones(4, dtype=bool)
    member = np.array([False, False, True, True])
    share = firms.compatible_member_share(deciding, member, reach_km=1.0)
    # Firm 0's partners are 1 (1 km, not a member) and 3 (3 km, a member): weights e^-1, e^-3.
    assert share[0] == pytest.approx(np.exp(-3) / (np.exp(-1) + np.exp(-3)))
    assert share[1] == 0.0  # its only partner (firm 0) is off the platform; firm 2 is no partner
    assert share[2] == 0.0  # no compatible firm at all
    member[1] = True
    assert firms.compatible_member_share(deciding, member, 1.0)[0] == pytest.approx(1.0)


# --- the operator's levers are paid from its budget ---------------------------------------------


def operator(**params: object) -> ParkOperator:
    resolved = validate({"platform_tier": 1, "operator_funding_eur_per_year": 1.0, **params})
    return ParkOperator(mesa.Model(rng=0), ModelParameters.of(resolved))


def test_fee_subsidies_never_exceed_the_budget():
    op = operator(platform_fee_eur_per_month=50.0, platform_fee_subsidy_share=1.0)
    firms = population(n=4, platform_tier=np.array([1, 1, 1, 1]))
    op.budget_eur = 100.0  # half of the 4 x 50 EUR it would take
    offer = op.offer_fee_subsidy(firms, np.zeros(4, dtype=bool))
    assert offer.tolist() == pytest.approx([25.0] * 4)
    op.pay_fee_subsidies(offer, firms.platform_tier > 0)
    assert op.budget_eur == pytest.approx(0.0) and op.fee_subsidy_eur.sum() == pytest.approx(100)
    op.budget_eur = 1000.0
    offer = op.offer_fee_subsidy(firms, np.zeros(4, dtype=bool))
    assert offer.tolist() == pytest.approx([50.0] * 4)


def test_seeded_firms_are_drawn_once_and_enrolled_only_for_the_seed_months():
    op = operator(platform_seed_share=0.5, platform_seed_months=3)
    firms = population(n=4)
    firms.base_supply[2:, 1] = 1.0  # every firm has a stream to disclose
    rng = np.random.default_rng(1)
    first = op.enrolled(firms, 10, rng)
    assert first.sum() == 2
    assert (op.enrolled(firms, 12, rng) == first).all()
    assert not op.enrolled(firms, 13, rng).any()


# --- tipping: the same park and fee thrive or stay empty, depending on the levers --------------

MONTHS = 72
SEEDS = range(6)


def final_state(params: dict, seed: int) -> tuple[float, int]:
    """Final share of firms on the platform, and exchanges started, after ``MONTHS``."""
    model = SymbiosisModel(seed=seed, **params)
    for _ in range(MONTHS):
        model.step()
    share = np.count_nonzero(model.companies.platform_tier) / len(model.companies)
    return share, len(model.book.supplier)


def paired(a: dict, b: dict) -> tuple[np.ndarray, np.ndarray]:
    """Differences a - b of final member share and of exchanges started, over paired seeds."""
    runs = np.array([[*final_state(a, s), *final_state(b, s)] for s in SEEDS])
    return runs[:, 0] - runs[:, 2], runs[:, 1] - runs[:, 3]


def ci_low(differences: np.ndarray) -> float:
    """Lower end of a 95 % confidence interval of the mean of paired differences (t, 5 dof)."""
    return differences.mean() - 2.571 * differences.std(ddof=1) / np.sqrt(len(differences))


def test_a_seeded_platform_thrives_where_the_same_platform_unseeded_stays_empty():
    seeded = load_scenario("digital_platform").parameters()
    unseeded = load_scenario("platform_unseeded").parameters()
    assert seeded["platform_fee_eur_per_month"] == unseeded["platform_fee_eur_per_month"]
    empty = [final_state(unseeded, s)[0] for s in SEEDS]
    assert empty == [0.0] * len(SEEDS)  # below the critical mass nobody joins
    share, started = paired(seeded, unseeded)
    assert share.min() > 0.3  # the seeded platform tips: most firms with something to gain join
    assert ci_low(started) > 0  # and it starts more exchanges


def test_a_fee_subsidy_alone_does_not_start_an_empty_platform_but_seeding_does():
    unseeded = load_scenario("platform_unseeded").parameters()
    subsidised = {**unseeded, "platform_fee_subsidy_share": 1.0}
    assert [final_state(subsidised, s)[0] for s in SEEDS[:3]] == [0.0] * 3


def test_the_critical_mass_moves_membership():
    seeded = {**load_scenario("digital_platform").parameters(), "platform_seed_share": 0.05}
    share, _started = paired(
        {**seeded, "platform_critical_mass_share": 0.2},
        {**seeded, "platform_critical_mass_share": 1.0},
    )
    assert ci_low(share) > 0  # a lower critical mass: more firms find joining worth the fee
