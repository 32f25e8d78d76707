"""Negotiated deals and diversion at the margin (docs/model.md, sections 7.7 and 7.8).

The kernels are checked on small inputs whose answer follows from the equations; the model's
behaviour is asserted over seeded, paired replications (common seeds), through the paired mean
difference and its 95% t-interval, as in tests/test_stylised_facts.py.
"""

from __future__ import annotations

import numpy as np

from agents.company import nash_split
from simulation import market
from simulation.model import SymbiosisModel
from simulation.outputs import scalar_outputs
from simulation.runner import run_model

SEEDS = range(100, 112)
T_975_11 = 2.201  # Student t quantile, 0.975, 11 degrees of freedom


def paired_lower_bound(high: np.ndarray, low: np.ndarray) -> float:
    """Lower end of the 95% t-interval of the paired mean of ``high - low``."""
    diff = np.asarray(high, dtype=float) - np.asarray(low, dtype=float)
    return float(diff.mean() - T_975_11 * diff.std(ddof=1) / np.sqrt(len(diff)))


def failed_share(params: dict, steps: int = 48) -> np.ndarray:
    """Share of the viable candidates negotiated that failed, per seed."""
    runs = [scalar_outputs(run_model(params, steps, seed)) for seed in SEEDS]
    return np.array(
        [run["mean_failed_negotiations"] / max(run["mean_negotiations"], 1e-12) for run in runs]
    )


# --- kernels --------------------------------------------------------------------------------


def test_nash_split_gives_the_supplier_its_bargaining_power_with_full_information():
    surplus = np.array([100.0, 2_000.0])
    gain, seen_s, seen_r = nash_split(surplus, 0.7, np.zeros(2), np.zeros(2))
    np.testing.assert_allclose(gain, 0.7 * surplus)
    np.testing.assert_allclose(seen_s, surplus)
    np.testing.assert_allclose(seen_r, surplus)


def test_a_side_that_overestimates_the_surplus_demands_more():
    surplus = np.array([1_000.0])
    fair, _, _ = nash_split(surplus, 0.5, np.zeros(1), np.zeros(1))
    greedy, _, _ = nash_split(surplus, 0.5, np.array([400.0]), np.zeros(1))
    assert greedy[0] > fair[0]


def test_price_follows_outside_options():
    # Full information (share = bargaining power): a dearer disposal for the supplier (worse
    # outside option) lowers the price it gets; a dearer virgin input for the receiver raises it.
    beta, pretreatment = 0.5, 4.0

    def price(disposal: float, virgin: float) -> float:
        margin = disposal + virgin - pretreatment
        return float(
            market.transfer_price(
                np.array([beta]), np.array([margin]), np.array([disposal]), np.array([pretreatment])
            )[0]
        )

    assert price(110.0, 13.5) < price(30.0, 13.5)
    assert price(30.0, 50.0) > price(30.0, 13.5)
    # The supplier's gain per unit is its Nash share of the margin whatever the options.
    assert np.isclose(30.0 + price(30.0, 13.5) - pretreatment, beta * (30.0 + 13.5 - pretreatment))


def test_recoverable_quantity_rises_with_the_margin_and_stops_at_the_need():
    margins = np.array([0.0, 25.0, 50.0, 100.0, 300.0])
    n = len(margins)
    quantity = market.recoverable_quantity(
        margins, np.full(n, 1_000.0), np.zeros(n), np.full(n, 800.0), np.full(n, 100.0)
    )
    np.testing.assert_allclose(quantity, [0.0, 250.0, 500.0, 800.0, 800.0])
    # Without a diversion cost every unit is alike: min(supply left, need), as before.
    flat = market.recoverable_quantity(
        margins, np.full(n, 1_000.0), np.full(n, 300.0), np.full(n, 800.0), np.zeros(n)
    )
    np.testing.assert_allclose(flat, np.full(n, 700.0))


def test_older_exchanges_hold_the_best_share_so_a_later_deal_pays_more_per_unit():
    base, cost = np.array([1_000.0]), np.array([100.0])
    first = market.diversion_cost_per_unit(np.array([200.0]), base, np.array([0.0]), cost)
    later = market.diversion_cost_per_unit(np.array([200.0]), base, np.array([400.0]), cost)
    np.testing.assert_allclose(first, [10.0])
    np.testing.assert_allclose(later, [50.0])


def test_misjudged_outside_options_make_deals_with_a_positive_surplus_fail():
    model = SymbiosisModel(seed=1, n_firms=20)
    rng = np.random.default_rng(7)
    n = 2_000
    supplier, receiver = rng.integers(0, 20, n), rng.integers(0, 20, n)
    surplus = rng.uniform(1.0, 1_000.0, n)
    errors = rng.uniform(-1_500.0, 1_500.0, (2, n))
    everyone_trusts = np.full(n, 1.0)

    def signed(error_s: np.ndarray, error_r: np.ndarray) -> np.ndarray:
        return model.companies.bargain(
            supplier, receiver, surplus, everyone_trusts, 0.0, error_s, error_r, 0.5
        )[0]

    assert signed(np.zeros(n), np.zeros(n)).all()  # cost data: every positive surplus is signed
    assert (~signed(errors[0], errors[1])).mean() > 0.1


# --- the model, over paired seeds -------------------------------------------------------------


def test_bargaining_power_moves_the_supplier_share():
    def mean_share(params: dict) -> float:
        shares = []
        for seed in SEEDS:
            model = SymbiosisModel(seed=seed, **params)
            for _ in range(36):
                model.step()
            shares.extend(model.book.supplier_share.tolist())
        return float(np.mean(shares))

    strong = mean_share({"supplier_bargaining_power": 0.8})
    weak = mean_share({"supplier_bargaining_power": 0.2})
    assert strong > weak + 0.3
    assert mean_share({"bargaining": "equal_split"}) == 0.5


def test_cost_data_reduces_failed_negotiations():
    # outside_option_noise = 0 is what tier-2 cost data gives every pair; with no trust hurdle
    # the failures left are those of the bargaining. Eight years: while ties are still getting
    # acquainted and projects fill the firms' attention (model.md 7.12) four years hold a
    # handful of negotiations per seed, too few for a share to say anything.
    noisy = failed_share({"outside_option_noise": 0.6, "trust_threshold": 0.0}, steps=96)
    exact = failed_share({"outside_option_noise": 0.0, "trust_threshold": 0.0}, steps=96)
    assert exact.max() == 0.0
    assert paired_lower_bound(noisy, exact) > 0


def test_a_landfill_tax_switched_on_later_raises_the_quantities_of_running_exchanges():
    grown = 0
    for seed in SEEDS:
        model = SymbiosisModel(
            seed=seed,
            landfill_tax_eur_per_t=150.0,
            landfill_tax_start_month=24,
            diversion_cost_eur_per_t=300.0,
        )
        for _ in range(24):
            model.step()
        book = model.book
        active = book.active()
        landfilled = model.streams.is_landfilled[book.stream[active]]
        rows = active[landfilled]
        before = book.quantity_per_month[rows].copy()
        model.step()  # month 24: the tax switches on and quantities are re-decided
        after = book.quantity_per_month[rows]
        assert (after >= before - 1e-9).all()
        grown += int((after > before + 1e-9).sum())
    assert grown > 0


def test_landfill_tax_raises_the_recovery_rate_where_quality_varies():
    # Over 20 paired seeds; with a steep diversion cost the share of each stream worth
    # diverting binds, so a dearer disposal moves the tonnes exchanged, not only the deals.
    seeds, t_975_19 = range(100, 120), 2.093
    steep = {"diversion_cost_eur_per_t": 300.0}

    def recovery(params: dict) -> np.ndarray:
        return np.array(
            [scalar_outputs(run_model(params, 60, s))["mean_recovery_rate"] for s in seeds]
        )

    diff = recovery({**steep, "landfill_tax_eur_per_t": 150.0}) - recovery(steep)
    assert diff.mean() - t_975_19 * diff.std(ddof=1) / np.sqrt(len(diff)) > 0
