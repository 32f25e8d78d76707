"""Reproducibility and per-step invariants of the model (issue 2)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from scenarios.loader import load_scenario
from scenarios.parameters import LANDFILL_TAX, VIRGIN_TAX
from simulation.model import SymbiosisModel
from simulation.runner import run_model

TOL = 1e-6

# Scenarios that exercise every mechanism: platform, workshops, contracts, grants, taxes.
INVARIANT_CASES = {
    "baseline": {},
    "world_bank_mix": load_scenario("world_bank_mix").overrides,
    "taxes_and_churn": {
        "landfill_tax_eur_per_t": 100.0,
        "virgin_tax_eur_per_t": 20.0,
        "subsidy_eur_per_unit": 5.0,
        "exit_rate_per_year": 0.3,
        "disruption_rate_per_year": 0.5,
        "platform_tier": 2,
        "disclosure_incentive_eur_per_month": 100.0,
        "operator_funding_eur_per_year": 60_000.0,
    },
}


def test_same_seed_gives_identical_results():
    first = run_model({"platform_tier": 2, "operator_funding_eur_per_year": 30_000.0}, 36, 7)
    second = run_model({"platform_tier": 2, "operator_funding_eur_per_year": 30_000.0}, 36, 7)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    pd.testing.assert_frame_equal(first.exchanges, second.exchanges)
    pd.testing.assert_frame_equal(first.firms, second.firms)
    assert first.summary == second.summary


def test_different_seeds_give_different_results():
    a = run_model({}, 36, 1)
    b = run_model({}, 36, 2)
    assert not a.firms[["x_km", "y_km", "size"]].equals(b.firms[["x_km", "y_km", "size"]])
    assert not a.timeseries["generated_t"].equals(b.timeseries["generated_t"])


def test_run_model_is_picklable_and_result_round_trips():
    assert pickle.loads(pickle.dumps(run_model)) is run_model
    result = run_model({}, 6, 3)
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(result.timeseries, again.timeseries)


def test_numpy_integer_seed_is_accepted():
    a = run_model({}, 6, np.int64(5))
    b = run_model({}, 6, 5)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


def _check_step(model: SymbiosisModel) -> None:
    """Invariants after one step, computed from the model state, not from the indicators."""
    book, table, streams = model.book, model.companies, model.streams
    row = model.indicators.row
    active = model.flow_rows  # the exchanges that were active when this month's flows ran
    supplier, receiver, stream = book.supplier[active], book.receiver[active], book.stream[active]
    flow = model.flow
    n_streams = len(streams)

    assert not np.any(book.supplier == book.receiver), "a firm exchanges with itself"
    assert np.all(flow >= -TOL) and np.all(model.supply >= 0) and np.all(model.need >= 0)
    assert np.all(flow <= book.quantity_per_month[active] + TOL)

    # No supplier ships more of a stream than it produced; no receiver takes more than it needs.
    shipped = np.zeros((len(table), n_streams))
    np.add.at(shipped, (supplier, stream), flow)
    taken = np.zeros((len(table), n_streams))
    np.add.at(taken, (receiver, stream), flow)
    assert np.all(shipped <= model.supply + TOL)
    assert np.all(taken <= model.need + TOL)

    # Planned exchanges fit the firms' capacities.
    committed = np.zeros((len(table), n_streams))
    np.add.at(committed, (supplier, stream), book.quantity_per_month[active])
    assert np.all(committed <= table.base_supply * (1 + 1e-9) + TOL)
    committed = np.zeros((len(table), n_streams))
    np.add.at(committed, (receiver, stream), book.quantity_per_month[active])
    assert np.all(committed <= table.base_need * (1 + 1e-9) + TOL)

    # Material balance per stream: generated = exchanged + disposed + stored (stored is 0).
    generated = model.supply.sum(0)
    exchanged = shipped.sum(0)
    disposed = model.indicators.disposed_by_stream
    np.testing.assert_allclose(generated, exchanged + disposed, rtol=1e-9, atol=1e-6)
    assert np.all(disposed >= -TOL)
    units = np.array(streams.units)
    assert row["exchanged_t"] == pytest.approx(exchanged[units == "t"].sum(), rel=1e-9, abs=1e-6)
    assert row["exchanged_mwh"] == pytest.approx(
        exchanged[units == "MWh"].sum(), rel=1e-9, abs=1e-6
    )
    assert row["exchanged_m3"] == pytest.approx(exchanged[units == "m3"].sum(), rel=1e-9, abs=1e-6)
    assert row["generated_t"] == pytest.approx(generated[units == "t"].sum(), rel=1e-9)
    landfilled = (generated - exchanged)[streams.is_landfilled].sum()
    assert row["landfilled_t"] == pytest.approx(landfilled, rel=1e-9, abs=1e-6)
    assert 0.0 <= row["recovery_rate"] <= 1.0 + TOL

    # Public budget = revenue - spending; revenue is exactly the taxes due this month.
    auth = model.authority
    virgin_bought = (
        ((model.need.sum(0) - exchanged) * streams.substitution_ratio)[streams.is_material]
        .clip(0)
        .sum()
    )
    expected_revenue = (
        auth.level(LANDFILL_TAX) * landfilled + auth.level(VIRGIN_TAX) * virgin_bought
    )
    assert row["public_revenue_eur"] == pytest.approx(expected_revenue, rel=1e-9, abs=1e-6)
    assert row["public_spending_eur"] == pytest.approx(
        sum(auth.spending_by_purpose_eur.values()), rel=1e-9, abs=1e-6
    )
    assert row["public_net_eur"] == pytest.approx(
        row["public_revenue_eur"] - row["public_spending_eur"], rel=1e-9, abs=1e-6
    )
    assert auth.spending_eur >= 0 and auth.revenue_eur >= 0

    for column in (
        "active_exchanges",
        "new_exchanges",
        "ended_exchanges",
        "generated_t",
        "exchanged_t",
        "landfilled_t",
        "virgin_avoided_t",
        "co2_avoided_t",
        "platform_members",
        "firms_involved",
        "components",
    ):
        assert row[column] >= -TOL, column
    assert row["active_exchanges"] == len(book.active())
    assert 0.0 <= row["mean_trust"] <= 1.0
    assert 0.0 <= row["network_density"] <= 1.0
    assert 0.0 <= row["largest_component_share"] <= 1.0


@pytest.mark.parametrize("case", sorted(INVARIANT_CASES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_invariants_hold_on_every_step(case, seed):
    model = SymbiosisModel(seed=seed, **INVARIANT_CASES[case])
    exchanges_seen = 0
    for _ in range(60):
        model.step()
        _check_step(model)
        exchanges_seen = max(exchanges_seen, model.book.size)
    if case != "baseline":
        assert exchanges_seen > 0, "the invariants were never exercised on an exchange"
    ts = model.datacollector.get_model_vars_dataframe()
    np.testing.assert_allclose(
        ts["public_net_cum_eur"], ts["public_net_eur"].cumsum(), rtol=1e-9, atol=1e-3
    )
    assert list(ts["step"]) == list(range(1, 61))


def test_counts_of_new_and_ended_exchanges_add_up():
    result = run_model(INVARIANT_CASES["taxes_and_churn"], 60, 4)
    ts, ex = result.timeseries, result.exchanges
    assert ts["new_exchanges"].sum() == len(ex)
    assert ts["ended_exchanges"].sum() == int((ex["end_step"] > 0).sum())
    np.testing.assert_array_equal(
        ts["active_exchanges"], (ts["new_exchanges"] - ts["ended_exchanges"]).cumsum()
    )
    ended = ex[ex["end_step"] > 0]
    assert set(ended["end_reason"]) <= {
        "unprofitable",
        "supply_failure",
        "lost_trust",
        "partner_exit",
        "abandoned",
        "reneged",
    }
    assert (ended["end_step"] >= ended["start_step"]).all()
    assert (ex.loc[ex["end_step"] < 0, "end_reason"] == "").all()


def test_firms_that_left_keep_their_history():
    result = run_model({"exit_rate_per_year": 0.5}, 48, 0)
    firms = result.firms
    assert firms["id"].is_unique
    left = firms[firms["exit_step"] > 0]
    assert len(left) > 0
    present = firms[firms["exit_step"] < 0]
    assert len(present) == result.summary["n_firms"]
    ids = set(firms["id"])
    assert set(result.exchanges["supplier"]) <= ids
    assert set(result.exchanges["receiver"]) <= ids


def test_unknown_parameter_is_rejected_with_a_suggestion():
    from scenarios.parameters import ParameterError

    with pytest.raises(ParameterError, match="landfill_tax_eur_per_t"):
        run_model({"landfill_tax": 10.0}, 1, 0)


def test_the_model_keeps_one_clock_mesas_step_counter():
    model = SymbiosisModel(seed=3, workshops_per_year=12, workshop_cost_eur=0.0)
    for _ in range(5):
        model.step()
    assert model.steps == 5 and not hasattr(model, "month")
    timeseries = model.datacollector.get_model_vars_dataframe()
    assert timeseries["step"].tolist() == [1, 2, 3, 4, 5]
    # Month stamps are 0-based: the last month simulated is month 4.
    assert model.book.size == 0 or model.book.start_step.max() <= 4
    assert model.operator.workshops_held == 5  # one a month, months 0-4


def test_instruments_act_only_in_their_window_in_a_run():
    result = run_model(
        {
            "landfill_tax_eur_per_t": 60.0,
            "landfill_tax_start_month": 3,
            "landfill_tax_end_month": 6,
        },
        8,
        1,
    )
    tax = result.timeseries["landfill_tax_eur_per_t"].tolist()
    assert tax == [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 0.0, 0.0]
