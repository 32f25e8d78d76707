"""The firms' decision rules (agents.company.Companies) on small hand-built populations."""

from __future__ import annotations

import numpy as np
import pytest

from agents.company import Channel, Companies, beta_around
from scenarios.parameters import ModelParameters, validate

SETTINGS = ModelParameters.of(validate({}))


def population(n: int = 4, n_streams: int = 2, **state: np.ndarray) -> Companies:
    """``n`` firms on a line 1 km apart; firm 0 supplies stream 0, firm 1 needs it."""
    supply = np.zeros((n, n_streams))
    need = np.zeros((n, n_streams))
    supply[0, 0] = 10.0
    need[1, 0] = 10.0
    columns: dict[str, np.ndarray] = {
        "sector": np.zeros(n, dtype=np.int64),
        "size": np.ones(n),
        "x_km": np.arange(n, dtype=float),
        "y_km": np.zeros(n),
        "is_recycler": np.zeros(n, dtype=bool),
        "base_supply": supply,
        "base_need": need,
        "awareness": np.full(n, 0.5),
        "openness": np.full(n, 0.5),
        "generalized_trust": np.full(n, 0.5),
        "trust_in_operator": np.full(n, 0.5),
        "hurdle_rate": np.full(n, 0.08),
        "platform_tier": np.zeros(n, dtype=np.int64),
        "production_level": np.ones(n),
        "stopped_until": np.zeros(n, dtype=np.int64),
        "net_benefit_eur": np.zeros(n),
        "firm_id": np.arange(n, dtype=np.int64),
        "valuation_annuity": np.full(n, 50.0),
    }
    columns.update(state)
    return Companies(**columns)


# --- produce -----------------------------------------------------------------------------------


def test_without_turbulence_or_stops_firms_produce_their_plan():
    firms = population()
    supply, need = firms.produce(
        0,
        np.random.default_rng(1),
        uncertainty=0.5,
        turbulence=0.0,
        stop_probability=0.0,
        stop_months=3,
    )
    np.testing.assert_array_equal(supply, firms.base_supply)
    np.testing.assert_array_equal(need, firms.base_need)


def test_turbulence_moves_production_within_the_uncertainty():
    firms = population(n=200)
    firms.produce(
        0,
        np.random.default_rng(2),
        uncertainty=0.2,
        turbulence=1.0,
        stop_probability=0.0,
        stop_months=3,
    )
    level = firms.production_level
    assert np.all((level >= 0.8) & (level <= 1.2))
    assert level.std() > 0.05  # it does move


def test_a_stopped_firm_produces_nothing_until_its_stop_ends():
    firms = population()
    rng = np.random.default_rng(3)
    kwargs = {"uncertainty": 0.0, "turbulence": 0.0, "stop_months": 2}
    supply, _ = firms.produce(5, rng, stop_probability=1.0, **kwargs)
    assert np.all(supply == 0) and np.all(firms.stopped_until == 7)
    supply, _ = firms.produce(6, rng, stop_probability=0.0, **kwargs)
    assert np.all(supply == 0)
    supply, _ = firms.produce(7, rng, stop_probability=0.0, **kwargs)
    np.testing.assert_array_equal(supply, firms.base_supply)


def test_a_new_firm_takes_over_a_site_with_fresh_state_and_no_pair_trust():
    firms = population()
    firms.platform_tier[:] = 2
    firms.net_benefit_eur[:] = 100.0
    firms.remember(firms.pair_key(np.array([0, 2]), np.array([1, 3])), np.array([0.3, 0.2]), 4)
    firms.replace(np.array([1]), SETTINGS, np.random.default_rng(4))
    assert firms.platform_tier.tolist() == [2, 0, 2, 2]
    assert firms.net_benefit_eur.tolist() == [100.0, 0.0, 100.0, 100.0]
    assert firms.trust_in_operator[1] == firms.generalized_trust[1]
    assert list(firms.relations) == [int(firms.pair_key(np.array([2]), np.array([3]))[0])]


def test_initial_traits_have_the_declared_mean():
    values = beta_around(0.3, 20_000, np.random.default_rng(5), concentration=8.0)
    assert values.min() >= 0 and values.max() <= 1
    assert values.mean() == pytest.approx(0.3, abs=0.01)
    alike = beta_around(0.3, 20_000, np.random.default_rng(5), concentration=80.0)
    assert alike.std() < values.std()


# --- learn -------------------------------------------------------------------------------------


def test_knowledge_spreads_from_exchanging_neighbours_in_proportion():
    firms = population(n=3)
    # Firm 0 has two neighbours (1 exchanging, 2 not); firm 1 one neighbour (0, not exchanging).
    tie_from, tie_to = np.array([1, 2, 0, 0]), np.array([0, 0, 1, 2])
    exchanging = np.array([0.0, 1.0, 0.0])
    firms.learn_from_neighbours(tie_from, tie_to, exchanging, rate=0.2)
    np.testing.assert_allclose(firms.awareness, [0.5 + 0.2 * 0.5, 0.5, 0.5])


def test_knowledge_never_exceeds_one():
    firms = population(n=2, awareness=np.array([0.95, 0.95]))
    firms.learn_from_neighbours(np.array([0, 1]), np.array([1, 0]), np.ones(2), rate=1.0)
    assert np.all(firms.awareness == 1.0)


def test_workshop_participants_learn_and_trust_the_operator_more():
    firms = population()
    firms.attend_workshop(np.array([0, 2]), awareness_gain=0.3, operator_trust_gain=0.6)
    np.testing.assert_allclose(firms.awareness, [0.8, 0.5, 0.8, 0.5])
    np.testing.assert_allclose(firms.trust_in_operator, [1.0, 0.5, 1.0, 0.5])


def test_pair_trust_decays_towards_the_generalized_level_without_contact():
    firms = population()
    key = int(firms.pair_key(np.array([0]), np.array([1]))[0])
    firms.meet(np.array([key, key]), trust_bonus=0.2, month=3, decay=0.1)  # one meeting
    assert firms.relation(key, 3, 0.1) == (pytest.approx(0.2), 3)
    assert firms.relation(key, 5, 0.1)[0] == pytest.approx(0.2 * 0.9**2)
    assert firms.relation(999, 5, 0.1) == (0.0, 5)


def test_reliable_delivery_builds_trust_and_failure_costs_it():
    planned = np.full(3, 10.0)
    delivered = np.array([9.0, 6.0, 2.0])  # reliable, in between, failed
    delta = Companies.trust_after_delivery(np.zeros(3), delivered, planned, SETTINGS)
    gain, loss = SETTINGS.trust_gain_per_month, SETTINGS.trust_loss_on_failure
    np.testing.assert_allclose(delta, [gain, 0.0, -loss])


# --- search ------------------------------------------------------------------------------------


def test_only_aware_firms_with_room_search_and_only_sometimes():
    firms = population(n=1000, awareness=np.r_[np.full(500, 0.9), np.full(500, 0.1)])
    aware = firms.aware(0.5)
    has_room = np.arange(1000) % 2 == 0
    searching = firms.search(aware, has_room, 0.3, np.random.default_rng(6))
    assert not searching[500:].any() and not searching[1::2].any()
    assert searching[:500:2].mean() == pytest.approx(0.3, abs=0.08)
    assert not firms.search(aware, has_room, 0.0, np.random.default_rng(6)).any()


def test_the_platform_recognises_opportunities_that_unaware_firms_miss():
    supplier, receiver = np.array([0, 0, 2, 1]), np.array([1, 1, 3, 1])
    channel = np.array([Channel.SOCIAL_TIE, Channel.PLATFORM, Channel.SOCIAL_TIE, 0])
    aware = np.array([False, True, True, True])
    searching = np.array([True, False, False, False])
    keep = Companies.recognise(supplier, receiver, channel, aware, searching)
    # tie with an unaware firm: no; platform: yes; nobody searching: no; with itself: no.
    assert keep.tolist() == [False, True, False, False]


def test_channels_rank_introductions_first_and_social_ties_last():
    assert Channel.INTRODUCTION < Channel.PLATFORM < Channel.SOCIAL_TIE


def test_firms_consider_near_partners_more_often_than_far_ones():
    rng = np.random.default_rng(7)
    near = Companies.consider(np.full(2000, 1.0), 15.0, rng).mean()
    far = Companies.consider(np.full(2000, 45.0), 15.0, rng).mean()
    assert near == pytest.approx(np.exp(-1 / 15), abs=0.03)
    assert far == pytest.approx(np.exp(-3), abs=0.03)
    assert Companies.consider(np.zeros(50), 15.0, rng).all()


# --- negotiate ---------------------------------------------------------------------------------


def test_a_deal_is_valued_at_the_annuity_of_the_higher_hurdle_rate():
    firms = population(
        hurdle_rate=np.array([0.05, 0.10, 0.08, 0.08]),
        valuation_annuity=np.array([55.0, 45.0, 50.0, 50.0]),
    )
    annuity = firms.deal_annuity(np.array([0, 1]), np.array([1, 0]))
    assert annuity.tolist() == [45.0, 45.0]


def test_a_side_refuses_without_enough_trust_or_a_positive_share():
    accepts = Companies.accept_offers(
        share_eur=np.array([100.0, 100.0, -1.0]),
        gross_eur=np.zeros(3),
        trust_in_partner=np.array([0.6, 0.4, 0.9]),
        trust_needed=0.5,
        has_cost_data=np.ones(3, dtype=bool),
        doubt=np.zeros(3),
        cost_uncertainty_share=0.3,
    )
    assert accepts.tolist() == [True, False, False]


def test_without_cost_data_doubt_can_sink_a_feasible_deal():
    kwargs = {
        "share_eur": np.full(2, 100.0),
        "gross_eur": np.full(2, 1000.0),
        "trust_in_partner": np.full(2, 0.9),
        "trust_needed": 0.5,
        "doubt": np.array([0.1, 0.9]),
        "cost_uncertainty_share": 0.3,
    }
    blind = Companies.accept_offers(has_cost_data=np.zeros(2, dtype=bool), **kwargs)
    seen = Companies.accept_offers(has_cost_data=np.ones(2, dtype=bool), **kwargs)
    assert blind.tolist() == [True, False]  # 100 - 0.9 * 0.3 * 500 < 0
    assert seen.tolist() == [True, True]


def test_a_deal_needs_both_sides_to_accept():
    firms = population(generalized_trust=np.array([0.9, 0.1, 0.9, 0.9]))
    accepts = firms.both_accept(
        np.array([0, 2]),
        np.array([1, 3]),
        npv_eur=np.full(2, 100.0),
        gross_eur=np.zeros(2),
        pair_trust=np.zeros(2),
        trust_needed=0.5,
        has_cost_data=np.ones(2, dtype=bool),
        doubt=np.zeros((2, 2)),
        cost_uncertainty_share=0.3,
    )
    assert accepts.tolist() == [False, True]


def test_exits_follow_patience_and_trust_unless_bound_by_contract():
    s = SETTINGS
    patience = s.exit_patience_months
    low = s.trust_threshold - s.trust_exit_margin - 0.05
    idle, unprofitable, distrusted = Companies.decide_exits(
        trust_supplier=np.array([0.9, 0.9, low, low, 0.9]),
        trust_receiver=np.full(5, 0.9),
        idle_months=np.array([patience, 0, 0, patience, 0]),
        bad_months=np.array([patience, patience, 0, 0, 0]),
        under_contract=np.array([False, False, False, True, False]),
        settings=s,
        bound=np.array([False, False, False, True, False]),
    )
    assert idle.tolist() == [True, False, False, False, False]
    assert unprofitable.tolist() == [False, True, False, False, False]
    assert distrusted.tolist() == [False, False, True, False, False]


def test_a_contract_binds_only_while_leaving_saves_less_than_the_breach_costs():
    # Losses of 1,000 EUR/month to the worse-off side over 10 months left against a cost.
    bound = Companies.exit_bound(
        under_contract=np.array([True, True, True, False]),
        value_eur_per_month=np.full(4, -2_000.0),
        supplier_share=np.full(4, 0.5),
        months_left=np.full(4, 10),
        breach_cost_eur=np.array([20_000.0, 5_000.0, 0.0, 20_000.0]),
    )
    assert bound.tolist() == [True, False, False, False]


def test_unmatched_value_counts_uncommitted_supply_and_need():
    firms = population(n=2)
    committed_supply = np.array([[4.0, 0.0], [0.0, 0.0]])
    value = firms.unmatched_value_eur(
        firms.base_supply, committed_supply, np.zeros((2, 2)), np.array([2.0, 0.0])
    )
    np.testing.assert_allclose(value, [(10 - 4) * 2.0, 10 * 2.0])


# --- disclose ----------------------------------------------------------------------------------


def platform_choice(firms: Companies, **overrides: object) -> np.ndarray:
    kwargs: dict = {
        "tier_offered": 2,
        "member_share": 0.5,
        "critical_mass_share": 0.2,
        "standalone_share": 0.1,
        "expected_gain_eur": np.full(len(firms), 1000.0),
        "fee_eur": 50.0,
        "incentive_eur": 0.0,
        "confidentiality_risk_eur": 150.0,
        "tier1_risk_share": 0.2,
        "cost_data_gain_factor": 1.25,
        "mandatory": False,
    }
    kwargs.update(overrides)
    firms.choose_platform_tier(np.ones(len(firms), dtype=bool), **kwargs)
    return firms.platform_tier.copy()


def test_no_platform_means_no_members():
    firms = population(platform_tier=np.full(4, 2))
    assert platform_choice(firms, tier_offered=0).tolist() == [0, 0, 0, 0]


def test_firms_join_when_membership_pays_and_stay_out_when_it_does_not():
    assert platform_choice(population(), tier_offered=1).tolist() == [1, 1, 1, 1]
    nothing = platform_choice(population(), expected_gain_eur=np.zeros(4))
    assert nothing.tolist() == [0, 0, 0, 0]
    paid = platform_choice(population(), expected_gain_eur=np.zeros(4), incentive_eur=500.0)
    assert np.all(paid > 0)


def test_open_trusting_firms_disclose_cost_data_and_closed_ones_do_not():
    firms = population(
        openness=np.array([1.0, 0.0, 1.0, 0.0]), trust_in_operator=np.array([1.0, 0.0, 0, 0])
    )
    tiers = platform_choice(
        firms, expected_gain_eur=np.full(4, 300.0), confidentiality_risk_eur=1000.0
    )
    assert tiers.tolist() == [2, 1, 2, 1]


def test_mandatory_reporting_makes_every_deciding_firm_disclose_streams():
    tiers = platform_choice(population(), expected_gain_eur=np.zeros(4), mandatory=True)
    assert tiers.tolist() == [1, 1, 1, 1]


def test_only_firms_reviewing_their_membership_change_it():
    firms = population(platform_tier=np.array([2, 2, 0, 0]))
    firms.choose_platform_tier(
        np.array([True, False, True, False]),
        tier_offered=1,
        member_share=0.5,
        critical_mass_share=0.2,
        standalone_share=0.1,
        expected_gain_eur=np.full(4, 1000.0),
        fee_eur=50.0,
        incentive_eur=0.0,
        confidentiality_risk_eur=150.0,
        tier1_risk_share=0.2,
        cost_data_gain_factor=1.25,
        mandatory=False,
    )
    assert firms.platform_tier.tolist() == [1, 2, 1, 0]
