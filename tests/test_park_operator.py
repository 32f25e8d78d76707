"""The park operator's rules (agents.park_operator.ParkOperator) on small hand-built cases."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from test_company import population

from agents.authority import Authority
from agents.company import Channel
from agents.park_operator import ParkOperator
from scenarios.parameters import ModelParameters, validate
from simulation.market import nearest


def actors(month: int = 0, **params: object) -> tuple[ParkOperator, Authority]:
    """An operator and an authority under ``params``, with the instruments of ``month``."""
    resolved = validate({"operator_funding_eur_per_year": 30_000.0, **params})
    model = mesa.Model(rng=0)
    authority = Authority(model, resolved)
    authority.apply_instruments(month)
    return ParkOperator(model, ModelParameters.of(resolved)), authority


def test_funding_arrives_monthly_and_is_public_spending():
    operator, authority = actors(operator_funding_eur_per_year=120_000.0)
    operator.receive_funding(authority, fees_eur=500.0)
    assert operator.budget_eur == pytest.approx(10_000.0 + 500.0)
    assert authority.spending_by_purpose_eur == {"operator funding": pytest.approx(10_000.0)}


def test_the_platform_runs_only_when_offered_and_affordable():
    operator, authority = actors(platform_tier=2, platform_cost_eur_per_month=1000.0)
    assert operator.operate_platform(authority) == 0 and not operator.platform_open  # no money
    operator.budget_eur = 1500.0
    assert operator.operate_platform(authority) == 2 and operator.platform_open
    assert operator.budget_eur == 500.0
    operator, authority = actors(platform_tier=0)
    operator.budget_eur = 1e6
    assert operator.operate_platform(authority) == 0


def test_shared_infrastructure_is_built_once_at_public_cost():
    operator, authority = actors(shared_infrastructure=True, infrastructure_cost_eur=1000.0)
    assert operator.infrastructure_reduction(authority) == 0.0
    operator.build_infrastructure(authority)
    operator.build_infrastructure(authority)
    assert authority.spending_eur == 1000.0 and operator.infrastructure_built
    assert (
        operator.infrastructure_reduction(authority)
        == operator.settings.infrastructure_cost_reduction
    )


def test_workshops_follow_the_yearly_count_and_the_budget():
    operator, _ = actors(workshop_cost_eur=100.0)
    operator.budget_eur = 1000.0
    due = [month for month in range(12) if operator.workshop_due(month, 4)]
    assert due == [0, 3, 6, 9]
    assert not operator.workshop_due(0, 0)
    operator.budget_eur = 50.0
    assert not operator.workshop_due(0, 4)


def test_invitations_go_to_eligible_firms_and_cost_the_budget():
    operator, _ = actors(workshop_participants=3, workshop_cost_eur=100.0)
    operator.budget_eur = 1000.0
    eligible = np.array([True, False, True, True, True, False])
    chosen = operator.invite_participants(np.full(6, 0.5), eligible, np.random.default_rng(1))
    assert len(chosen) == 3 and eligible[chosen].all()
    assert operator.budget_eur == 900.0 and operator.workshops_held == 1
    # Fewer than two candidates: no workshop.
    alone = operator.invite_participants(
        np.full(6, 0.5), np.eye(6, dtype=bool)[0], np.random.default_rng(1)
    )
    assert len(alone) == 0 and operator.workshops_held == 1


def test_trusted_operators_see_trusting_firms_more_often():
    operator, _ = actors(workshop_participants=2, workshop_cost_eur=0.0)
    trust = np.array([1.0, 1.0, 0.0, 0.0])
    rng = np.random.default_rng(2)
    counts = np.zeros(4)
    for _ in range(400):
        counts[operator.invite_participants(trust, np.ones(4, dtype=bool), rng)] += 1
    assert counts[:2].sum() > 3 * counts[2:].sum()


def test_a_workshop_introduces_fitting_pairs_and_raises_their_trust():
    operator, authority = actors(
        workshops_per_year=12, workshop_participants=4, workshop_cost_eur=0.0, brokering=True
    )
    firms = population(n=4)  # firm 0 supplies what firm 1 needs; firms 2, 3 have no streams
    firms.base_supply[2, 1] = 5.0
    firms.base_need[3, 1] = 5.0
    operator.hold_workshop(0, firms, authority, np.random.default_rng(3))
    pairs = sorted(
        zip(operator.introduced_from.tolist(), operator.introduced_to.tolist(), strict=True)
    )
    assert pairs == [(0, 1), (2, 3)]
    assert operator.introductions == 2
    gain = operator.settings.workshop_awareness_gain
    np.testing.assert_allclose(firms.awareness, 0.5 + gain)
    key = int(firms.pair_key(np.array([0]), np.array([1]))[0])
    assert firms.relations[key][0] == pytest.approx(operator.settings.workshop_trust_bonus)
    assert operator.brokered(firms, np.array([1, 0]), np.array([0, 2])).tolist() == [True, False]
    operator.deals_signed(np.array([key]))
    assert not operator.brokered(firms, np.array([0]), np.array([1])).any()


def test_without_brokering_introductions_are_not_brokered():
    operator, authority = actors(workshops_per_year=12, workshop_cost_eur=0.0, brokering=False)
    firms = population(n=4)
    operator.hold_workshop(0, firms, authority, np.random.default_rng(3))
    assert operator.introductions == 1 and not operator.brokered_keys


def test_the_operators_help_lowers_transaction_costs():
    operator, _ = actors(
        transaction_cost_eur=1000.0,
        broker_cost_reduction=0.5,
        platform_cost_reduction=0.2,
        contract_cost_reduction=0.1,
    )
    brokered = np.array([False, True, False, True])
    channel = np.array(
        [Channel.SOCIAL_TIE, Channel.INTRODUCTION, Channel.PLATFORM, Channel.PLATFORM]
    )
    np.testing.assert_allclose(
        operator.transaction_costs_eur(brokered, channel, contracts_offered=False),
        [1000.0, 500.0, 800.0, 400.0],
    )
    np.testing.assert_allclose(
        operator.transaction_costs_eur(brokered, channel, contracts_offered=True),
        [900.0, 450.0, 720.0, 360.0],
    )


def test_the_platform_suggests_the_nearest_members_who_need_a_stream():
    operator, authority = actors(platform_tier=1, platform_suggestions=1, platform_recall=1.0)
    operator.budget_eur = 1e6
    operator.operate_platform(authority)
    firms = population(n=4, platform_tier=np.array([1, 1, 0, 1]))
    can_supply = np.array([[True], [False], [False], [False]])
    can_receive = np.array([[False], [True], [True], [True]])  # firm 2 is not a member
    supplier, receiver = operator.platform_suggestions(
        firms, can_supply, can_receive, np.random.default_rng(4), nearest
    )
    assert supplier.tolist() == [0] and receiver.tolist() == [1]


def test_a_closed_or_forgetful_platform_suggests_nothing():
    operator, _ = actors(platform_tier=1, platform_recall=0.0)
    firms = population(n=2, platform_tier=np.array([1, 1]))
    can = np.array([[True], [True]])
    closed = operator.platform_suggestions(firms, can, can, np.random.default_rng(5), nearest)
    assert len(closed[0]) == 0
    operator.platform_open = True
    forgetful = operator.platform_suggestions(firms, can, can, np.random.default_rng(5), nearest)
    assert len(forgetful[0]) == 0


def test_cost_data_are_shared_only_between_tier_two_members_of_an_open_platform():
    operator, _ = actors()
    firms = population(n=3, platform_tier=np.array([2, 2, 1]))
    supplier, receiver = np.array([0, 0]), np.array([1, 2])
    assert not operator.cost_data_shared(firms, supplier, receiver, tier=2).any()
    operator.platform_open = True
    assert operator.cost_data_shared(firms, supplier, receiver, tier=2).tolist() == [True, False]
    assert not operator.cost_data_shared(firms, supplier, receiver, tier=1).any()


def test_contracts_run_their_term_and_are_renewed_while_they_pay():
    operator, authority = actors(contracts=True, contract_months=12)
    assert operator.contract_end(5, authority) == 17
    until = np.array([17, 5, 5, -1])
    value = np.array([10.0, 10.0, -1.0, 10.0])
    under = operator.renew_contracts(until, value, 5, authority)
    assert under.tolist() == [True, True, False, False]
    assert until.tolist() == [17, 17, 5, -1]
    operator, authority = actors(contracts=False)
    assert operator.contract_end(5, authority) == -1
    until = np.array([5])
    assert not operator.renew_contracts(until, np.array([10.0]), 5, authority).any()
