"""The authority (agents.authority.Authority) and the one declaration of policy instruments."""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pytest

from agents.authority import Authority
from scenarios import parameters
from scenarios.parameters import (
    CONTRACTS,
    DISCLOSURE_INCENTIVE,
    INSTRUMENTS,
    LANDFILL_TAX,
    PLATFORM,
    PRICE_TERMS,
    SUBSIDY,
    Instrument,
    validate,
)
from simulation.market import Prices
from simulation.model import SymbiosisModel
from simulation.runner import run_model

# The platform needs the operator's budget (scenarios.parameters refuses it unfunded).
FUNDED = {"operator_funding_eur_per_year": 30_000.0}


def authority(**params: object) -> Authority:
    return Authority(mesa.Model(rng=0), validate({**FUNDED, **params}))


def test_an_instrument_is_in_force_from_its_start_month_up_to_its_end_month():
    auth = authority(
        landfill_tax_eur_per_t=40.0, landfill_tax_start_month=3, landfill_tax_end_month=6
    )
    levels, in_force = [], []
    for month in range(8):
        auth.apply_instruments(month)
        levels.append(auth.level(LANDFILL_TAX))
        in_force.append(auth.in_force(LANDFILL_TAX))
    assert levels == [0.0, 0.0, 0.0, 40.0, 40.0, 40.0, 0.0, 0.0]
    assert in_force == [False, False, False, True, True, True, False, False]


def test_levels_keep_their_declared_type_when_off():
    auth = authority(platform_tier=2, platform_start_month=5, contracts=True)
    auth.apply_instruments(0)
    assert auth.level(PLATFORM) == 0 and type(auth.level(PLATFORM)) is int
    assert auth.level(CONTRACTS) is True


def test_extra_settings_follow_their_instruments_timing():
    # Mandatory reporting is an extra of the disclosure incentive: in force in its window only.
    auth = authority(mandatory_reporting=True, disclosure_incentive_start_month=2)
    auth.apply_instruments(1)
    assert not auth.in_force(DISCLOSURE_INCENTIVE)
    auth.apply_instruments(2)
    assert auth.in_force(DISCLOSURE_INCENTIVE) and auth.level(DISCLOSURE_INCENTIVE) == 0.0


def test_the_budget_books_revenue_and_spending_by_purpose_and_reopens_monthly():
    auth = authority()
    auth.apply_instruments(0)
    auth.collect(100.0)
    auth.pay(30.0, "subsidies")
    auth.pay(20.0, "subsidies")
    auth.pay(5.0, "grants")
    assert auth.revenue_eur == 100.0 and auth.spending_eur == 55.0
    assert auth.spending_by_purpose_eur == {"subsidies": 50.0, "grants": 5.0}
    auth.apply_instruments(1)
    assert auth.revenue_eur == auth.spending_eur == 0.0 and auth.spending_by_purpose_eur == {}


def test_the_adaptive_authority_raises_the_tax_at_a_missed_years_end_only():
    auth = authority(adaptive_target_recovery_rate=0.5, adaptive_tax_step_eur_per_t=10.0)
    for month in range(24):
        auth.adapt(month, recovery_rate=0.2 if month < 12 else 0.9)
    assert auth.landfill_tax_raise_eur_per_t == 10.0  # missed in year 1, met in year 2
    auth.apply_instruments(24)
    assert auth.level(LANDFILL_TAX) == 10.0
    idle = authority(adaptive_target_recovery_rate=0.0)
    idle.adapt(11, recovery_rate=0.0)
    assert idle.landfill_tax_raise_eur_per_t == 0.0


def test_the_price_cache_key_holds_every_instrument_that_changes_prices():
    auth = authority(subsidy_eur_per_unit=5.0, platform_tier=2)
    auth.apply_instruments(0)
    price_instruments = [i for i in INSTRUMENTS if i.affects_prices]
    assert {i.name for i in price_instruments} >= {"landfill_tax", "virgin_tax", "subsidy"}
    assert auth.price_levels() == tuple(auth.level(i) for i in price_instruments)
    assert PLATFORM not in price_instruments  # the platform changes who meets, not prices
    assert SUBSIDY in price_instruments


def test_declared_price_terms_are_the_fields_of_the_kernels_prices():
    assert tuple(field.name for field in dataclasses.fields(Prices)) == PRICE_TERMS


def test_every_instrument_says_who_pays_whom_and_what_it_changes():
    for instrument in INSTRUMENTS:
        assert instrument.changes, instrument.name
        assert instrument.payer != instrument.payee or instrument.payer == "nobody"
        assert instrument.price_input is None or instrument.affects_prices


def test_an_instruments_level_type_must_match_its_declaration():
    with pytest.raises(RuntimeError, match="declared as float"):
        Instrument("tax", LANDFILL_TAX.level, "A tax", int)


def test_an_instrument_acting_on_prices_must_name_the_terms_it_changes():
    # Otherwise it would be missing from the price-cache key and its effect would go stale.
    with pytest.raises(RuntimeError, match="name the terms"):
        Instrument("tax", LANDFILL_TAX.level, "A tax", float, effect=lambda p, level, s: p)
    with pytest.raises(RuntimeError, match="name the terms"):
        Instrument("tax", LANDFILL_TAX.level, "A tax", float, changes=("trust",), price_input="x")


# --- a throwaway instrument: one declaration and one effect function --------------------------


def _add_bonus(prices: Prices, level: float, streams: object) -> Prices:
    """The effect: every unit exchanged gains ``level`` EUR more."""
    return dataclasses.replace(prices, unit_gain_eur=prices.unit_gain_eur + level)


BONUS = Instrument(
    "exchange_bonus",
    parameters.Parameter(
        "exchange_bonus_eur_per_unit",
        0.0,
        "EUR/unit",
        "A test bonus on every unit exchanged",
        "lever",
        0,
        1000,
        group="test",
        source="-",
    ),
    "Throwaway bonus",
    float,
    payer="authority",
    payee="firms",
    changes=("unit_gain_eur",),
    effect=_add_bonus,
)


@pytest.fixture
def bonus_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declare ``BONUS`` beside the built-in instruments, as one more entry of the declaration."""
    monkeypatch.setattr(parameters, "INSTRUMENTS", (*parameters.INSTRUMENTS, BONUS))
    monkeypatch.setattr(parameters, "PARAMETERS", parameters._all_parameters())


def test_a_new_instrument_takes_one_declaration_and_one_effect(bonus_declared: None):
    start = 2
    model = SymbiosisModel(
        seed=1, exchange_bonus_eur_per_unit=25.0, exchange_bonus_start_month=start
    )
    plain = SymbiosisModel(seed=1)
    gains = []
    for month in range(4):
        model.step()
        plain.step()
        gains.append(model.month_prices.unit_gain_eur - plain.month_prices.unit_gain_eur)
        assert model.authority.in_force(BONUS) == (month >= start)
    # Its timing comes from the declaration, and the cached prices follow it: the key is derived.
    np.testing.assert_allclose(gains[:start], 0.0)
    np.testing.assert_allclose(gains[start:], 25.0)


def test_a_new_instrument_acts_on_the_park(bonus_declared: None):
    seeds = (1, 2, 3)
    steps = 60  # ties take two years to get acquainted (model.md 7.12): 24 months hold few deals
    plain = sum(run_model({}, steps, seed).summary["totals"]["exchanges_started"] for seed in seeds)
    with_bonus = sum(
        run_model({"exchange_bonus_eur_per_unit": 200.0}, steps, seed).summary["totals"][
            "exchanges_started"
        ]
        for seed in seeds
    )
    assert with_bonus > 1.2 * plain
