"""The month's accounting (simulation/accounting.py): it books what its account reports, and
the indicators read the account without booking anything themselves."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import accounting
from simulation.model import SymbiosisModel

POLICY = {
    "park": "synthetic",
    "n_firms": 80,
    "landfill_tax_eur_per_t": 60.0,
    "virgin_tax_eur_per_t": 10.0,
    "subsidy_eur_per_unit": 2.0,
    "platform_tier": 2,
    "operator_funding_eur_per_year": 30_000.0,
    "disclosure_incentive_eur_per_month": 30.0,
    "development_lead_times": False,  # flows within the 18 months booked
}


@pytest.fixture
def booked(monkeypatch):
    """Run 18 months with taxes, a subsidy and a platform; keep each month's books."""
    months = []
    original = accounting.account_flows

    def spy(model, active, flow, prices):
        benefit = model.companies.net_benefit_eur.copy()
        auth = model.authority
        revenue, spending = auth.revenue_eur, auth.spending_eur
        account = original(model, active, flow, prices)
        months.append(
            {
                "account": account,
                "flow": flow.copy(),
                "benefit_change": model.companies.net_benefit_eur - benefit,
                "revenue_change": auth.revenue_eur - revenue,
                "spending_change": auth.spending_eur - spending,
                "virgin_tax": auth.level("virgin_tax"),
                "landfill_tax": auth.level("landfill_tax"),
                "need": model.need.sum(0),
                "model": model,
            }
        )
        return account

    monkeypatch.setattr(accounting, "account_flows", spy)
    model = SymbiosisModel(seed=5, **POLICY)
    rows = []
    for _ in range(18):
        model.step()
        rows.append(dict(model.indicators.row))
    return model, months, rows


def test_firms_receive_what_the_account_reports(booked):
    model, months, _rows = booked
    assert any(len(month["flow"]) for month in months), "no exchange in 18 months"
    for month in months:
        account = month["account"]
        assert month["benefit_change"].sum() == pytest.approx(
            account.value_created_eur + account.platform_transfer_eur, rel=1e-9, abs=1e-6
        )


def test_taxes_follow_what_is_landfilled_and_bought_virgin(booked):
    model, months, _rows = booked
    streams = model.streams
    for month in months:
        account = month["account"]
        exchanged = account.exchanged_by_stream
        virgin = ((month["need"] - exchanged) * streams.substitution_ratio)[streams.is_material]
        expected = month["landfill_tax"] * account.landfilled_t + month["virgin_tax"] * float(
            np.maximum(virgin, 0.0).sum()
        )
        assert month["revenue_change"] == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert month["spending_change"] >= 2.0 * float(month["flow"].sum()) - 1e-6  # subsidy


def test_mass_balance_and_the_indicators_read_the_account(booked):
    model, months, rows = booked
    for month, row in zip(months, rows, strict=True):
        account = month["account"]
        np.testing.assert_allclose(
            account.generated_by_stream,
            account.exchanged_by_stream + account.disposed_by_stream,
        )
        assert np.all(account.disposed_by_stream >= -1e-9)
        assert float(account.exchanged_by_stream.sum()) == pytest.approx(float(month["flow"].sum()))
        assert row["landfilled_t"] == account.landfilled_t
        assert row["value_created_eur"] == account.value_created_eur


def test_fees_due_are_the_members_fees():
    model = SymbiosisModel(seed=1, **POLICY)
    assert accounting.fees_due(model) == 0.0  # nobody has joined yet
    model.companies.platform_tier[[3, 5, 8]] = [1, 2, 1]
    fee = model.params["platform_fee_eur_per_month"]
    assert accounting.fees_due(model) == pytest.approx(3 * fee)


def test_closing_a_month_books_nothing():
    model = SymbiosisModel(seed=2, **POLICY)
    for _ in range(6):
        model.step()
    benefit = model.companies.net_benefit_eur.copy()
    book_values = model.book.columns["value_eur_per_month"].copy()
    revenue, spending = model.authority.revenue_eur, model.authority.spending_eur
    model.indicators.close_month()
    np.testing.assert_array_equal(model.companies.net_benefit_eur, benefit)
    np.testing.assert_array_equal(model.book.columns["value_eur_per_month"], book_values)
    assert (model.authority.revenue_eur, model.authority.spending_eur) == (revenue, spending)
