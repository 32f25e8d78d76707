"""Time, attention and path dependence (docs/model.md, section 7.12), on against off.

Stochastic claims are asserted over paired seeded replications: the same seeds with the
mechanism on and off, the mean of the paired differences and its standard error.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents import Companies
from scenarios.parameters import ModelParameters, validate
from scenarios.parks import load_park_spec
from simulation import development
from simulation.model import SymbiosisModel
from simulation.runner import EXCHANGE_COLUMNS, run_model

SEEDS = range(20)


def run(months: int, seed: int, **params) -> SymbiosisModel:
    model = SymbiosisModel(seed=seed, **params)
    for _ in range(months):
        model.step()
    return model


def paired(values_on: list[float], values_off: list[float]) -> tuple[float, float]:
    """Mean of the paired differences (on - off) and its standard error."""
    diff = np.asarray(values_on, dtype=float) - np.asarray(values_off, dtype=float)
    diff = diff[np.isfinite(diff)]
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


# --- 1. lead times ------------------------------------------------------------------------------


def test_lead_months_stay_within_the_declared_stages_and_pipes_take_longer():
    rng = np.random.default_rng(3)
    pipe = np.array([True] * 500 + [False] * 500)
    months = development.lead_months(
        pipe,
        feasibility_months=6,
        permitting_months=6,
        investment_months=6,
        pipe_investment_months=18,
        spread=0.5,
        rng=rng,
    )
    assert months[pipe].min() >= 15 and months[pipe].max() <= 45
    assert months[~pipe].min() >= 9 and months[~pipe].max() <= 27
    assert months[pipe].mean() > months[~pipe].mean() + 10


def test_nothing_flows_or_earns_before_the_first_flow_and_capacity_is_held_from_agreement():
    model = SymbiosisModel(seed=2)
    seen_developing = False
    for _ in range(60):
        model.step()
        book = model.book
        developing = book.developing()
        seen_developing |= len(developing) > 0
        assert (book.delivered_total[developing] == 0).all()
        assert (book.value_eur_per_month[developing] == 0).all()
        assert not np.isin(model.flow_rows, developing).any()
        active = book.active()
        committed = np.zeros_like(model.committed_supply)
        np.add.at(
            committed,
            (book.supplier[active], book.stream[active]),
            book.quantity_per_month[active],
        )
        np.testing.assert_allclose(model.committed_supply, committed, atol=1e-6)
    assert seen_developing
    flowed = book.first_flow_step >= 0
    assert (book.first_flow_step[flowed] >= book.ready_step[flowed]).all()


def test_lead_times_delay_first_flows():
    on, off = [], []
    for seed in SEEDS:
        for lead, out in ((True, on), (False, off)):
            model = run(120, seed, development_lead_times=lead)
            book = model.book
            flowed = book.first_flow_step >= 0
            out.append(
                (book.first_flow_step[flowed] - book.start_step[flowed]).mean()
                if flowed.any()
                else np.nan
            )
    assert np.nanmax(off) == 0.0  # without development an exchange flows the month it is agreed
    mean, se = paired(on, off)
    assert mean - 2 * se > 12  # at least a year from agreement to first flow on average


def test_time_to_first_flow_is_an_output():
    result = run_model({}, 60, 1)
    assert "first_flow_step" in EXCHANGE_COLUMNS
    ex = result.exchanges
    flowed = ex[ex["first_flow_step"] > 0]
    assert len(flowed) > 0
    assert (flowed["first_flow_step"] >= flowed["start_step"]).all()
    months = (flowed["first_flow_step"] - flowed["start_step"]).mean()
    assert result.summary["totals"]["mean_months_to_first_flow"] == pytest.approx(months)


# --- 2. attention -------------------------------------------------------------------------------


def test_within_attention_takes_the_best_deals_up_to_the_cap():
    supplier = np.array([0, 0, 0, 1])
    receiver = np.array([1, 2, 3, 2])
    score = np.array([5.0, 9.0, 1.0, 7.0])
    load = np.array([0, 0, 1, 0])
    taken = Companies.within_attention(supplier, receiver, score, load, cap=2)
    # Best first: 0->2 (9; firm 2 now at its cap), 1->2 refused, 0->1 (5; firm 0 at its cap),
    # 0->3 refused.
    assert taken.tolist() == [0, 1]


def test_attention_cap_bounds_and_reduces_concurrent_projects():
    tight, loose = [], []
    for seed in SEEDS:
        for cap, out in ((1, tight), (20, loose)):
            model = SymbiosisModel(seed=seed, max_projects_in_development=cap)
            concurrent = []
            for _ in range(60):
                model.step()
                load = model.load()
                assert load.max(initial=0) <= cap
                concurrent.append(load.sum())
            out.append(np.mean(concurrent))
    mean, se = paired(tight, loose)
    assert mean + 2 * se < 0


# --- 3. a new park starts from zero -------------------------------------------------------------


def test_acquaintance_delays_the_first_agreement_of_a_new_park():
    later, at_once = [], []
    for seed in SEEDS:
        for months, out in ((24.0, later), (0.0, at_once)):
            model = run(60, seed, acquaintance_months=months)
            starts = model.book.start_step
            out.append(starts.min() if len(starts) else 60)
    mean, se = paired(later, at_once)
    assert mean - 2 * se > 0
    assert np.mean(np.asarray(at_once) == 0) > np.mean(np.asarray(later) == 0)


def test_ties_count_only_once_their_firms_know_each_other():
    model = SymbiosisModel(seed=4, acquaintance_months=600.0)
    known = model.acquainted_from <= 0
    assert len(model.tie_from) == int(known.sum()) < len(model.social_from)
    everyone = SymbiosisModel(seed=4, acquaintance_months=0.0)
    assert len(everyone.tie_from) == len(everyone.social_from)


# --- 4. path dependence -------------------------------------------------------------------------

# A park where one-off costs decide deals: firms value a deal over one year (payback), so the
# investment saved by reusing infrastructure can make or break it; trust and knowledge are set
# so that they do not bind first, and firms are not opportunistic: breaches (7.10a) end or
# reprice exchanges for reasons unrelated to infrastructure and, at the default propensity,
# add noise that halves the measured effect (16 paired seeds: +0.017 +/- 0.021 with it,
# +0.037 +/- 0.017 without), so the test isolates path dependence.
COSTLY = {
    "planning_horizon_years": 1,
    "trust_threshold": 0.3,
    "awareness_mean": 0.8,
    "opportunism_mean": 0.0,
}


def clustered(model: SymbiosisModel) -> float:
    book = model.book
    return development.clustered_share(
        book.first_flow_step,
        book.supplier,
        book.receiver,
        book.stream,
        model.companies.x_km,
        model.companies.y_km,
        model.infrastructure.kind,
        model.settings.reuse_radius_km,
    )


def test_reusable_infrastructure_is_of_the_same_kind_and_nearby():
    x, y = np.array([0.0, 0.3, 5.0, 5.2]), np.array([0.0, 0.0, 0.0, 0.0])
    kind = np.array([0, 1, 1])  # stream 0 its own kind; streams 1 and 2 share a network
    infra = development.Infrastructure(x, y, kind, radius_km=0.5)
    infra.build(np.array([0]), np.array([2]), np.array([1]))
    reusable = infra.reusable(
        np.array([1, 1, 3, 1]), np.array([3, 3, 3, 3]), np.array([2, 0, 1, 1])
    )
    # 1 is near 0 (network kind), 3 near 2; stream 0 has no infrastructure yet.
    assert reusable.tolist() == [True, False, True, True]
    assert development.learning_factor(np.array([0.0, 1.0, 3.0]), 0.2) == pytest.approx(
        [1.0, 0.8, 0.64]
    )


def test_path_dependence_clusters_later_exchanges_around_earlier_ones():
    """Reused infrastructure draws later exchanges near earlier ones (COSTLY: see its note).

    On the merged model, 40 paired seeds over 180 months: +0.043 +/- 0.013 of exchanges
    clustered with path dependence on (+0.020 +/- 0.016 with default opportunism).
    """
    on, off = [], []
    for seed in range(40):
        for switch, out in ((True, on), (False, off)):
            out.append(clustered(run(180, seed, path_dependence=switch, **COSTLY)))
    mean, se = paired(on, off)
    assert mean - 2 * se > 0


# --- 5. Kalundborg ------------------------------------------------------------------------------


def documented_first_flows(model: SymbiosisModel) -> list[tuple[int, int | None]]:
    """(documented start year, month of first flow or None) of each documented exchange."""
    book, names = model.book, model.firm_names
    out = []
    for supplier, receiver, stream, year in load_park_spec("kalundborg")["historical_exchanges"]:
        rows = np.flatnonzero(
            (book.supplier == names.index(supplier))
            & (book.receiver == names.index(receiver))
            & (book.stream == model.streams.names.index(stream))
            & (book.first_flow_step >= 0)
        )
        out.append((year, int(book.first_flow_step[rows].min()) if len(rows) else None))
    return out


def test_on_kalundborg_no_exchange_flows_in_the_first_year_of_a_new_park():
    new_park, settled = [], []
    for seed in SEEDS:
        for mechanisms, out in ((True, new_park), (False, settled)):
            params = {"park": "kalundborg"}
            if not mechanisms:
                params |= {"development_lead_times": False, "acquaintance_months": 0.0}
            model = run(120, seed, **params)
            first = model.book.first_flow_step
            out.append(np.mean(first[first >= 0] < 12) if (first >= 0).any() else 0.0)
    assert max(new_park) == 0.0
    assert np.mean(settled) > 0.05


def test_on_kalundborg_piped_exchanges_take_longer_to_first_flow_than_materials():
    piped, material = [], []
    for seed in SEEDS:
        model = run(600, seed, park="kalundborg")
        book = model.book
        flowed = book.first_flow_step >= 0
        months = book.first_flow_step[flowed] - book.start_step[flowed]
        pipe = model.streams.needs_pipe[book.stream[flowed]]
        piped.extend(months[pipe].tolist())
        material.extend(months[~pipe].tolist())
        for year, month in documented_first_flows(model):
            assert month is None or 0 <= month < 600, year
    assert len(piped) > 10 and len(material) > 10
    assert np.mean(piped) > np.mean(material) + 6


def test_the_declared_switches_are_parameters():
    settings = ModelParameters.of(validate({}))
    assert settings.development_lead_times and settings.path_dependence
    assert settings.max_projects_in_development >= 1
