"""The vectorised market kernel equals the loop reference, and keeps its capacity promises."""

from __future__ import annotations

import numpy as np
import pytest
import reference_market as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import market

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
# Scores with many exact ties (small integers) so the tie-breaking rule is exercised.
scores = st.one_of(
    st.integers(-3, 3).map(float), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
)


def close(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9 * max(scale, 1.0))


@st.composite
def stream_table(draw, n_streams=None):
    n = draw(st.integers(1, 6)) if n_streams is None else n_streams
    positive = st.floats(0.0, 500.0, allow_nan=False)
    column = lambda elements: np.array(draw(st.lists(elements, min_size=n, max_size=n)))  # noqa: E731
    flags = st.booleans()
    return dict(
        gate_fee=column(positive),
        virgin_price=column(positive),
        substitution_ratio=column(st.floats(0.0, 2.0)),
        pretreatment=column(positive),
        transport=column(st.floats(0.0, 5.0)),
        investment=column(st.floats(0.0, 1e6)),
        is_landfilled=column(flags),
        is_material=column(flags),
        needs_pipe=column(flags),
    )


instruments = st.fixed_dictionaries(
    dict(
        landfill_tax=st.floats(0, 500),
        virgin_tax=st.floats(0, 200),
        subsidy=st.floats(0, 100),
        grant_share=st.floats(0, 1),
        transaction_cost=st.floats(0, 2e5),
        infrastructure_reduction=st.floats(0, 1),
    )
)


# --- Prices and annuity -------------------------------------------------------------------------


@FAST
@given(stream_table(), instruments)
def test_stream_prices_equal_reference(table, levels):
    prices = market.stream_prices(**table, **levels)
    unit_gain, transport, one_off = ref.stream_prices(**table, **levels)
    assert close(prices.unit_gain_eur, unit_gain, 1e3)
    assert close(prices.transport_eur_per_unit_km, transport)
    assert close(prices.one_off_eur, one_off, 1e6)


@FAST
@given(st.floats(0.0, 0.5), st.integers(1, 30))
def test_annuity_factor_equals_month_by_month_sum(rate, years):
    # rel 1e-6: the closed form loses digits to cancellation for rates near 0 (1e-9/year).
    assert market.annuity_factor(rate, years) == pytest.approx(
        ref.annuity_factor(rate, years), rel=1e-6
    )


def test_annuity_factor_without_discounting_counts_the_months():
    assert float(market.annuity_factor(0.0, 5)) == 60.0
    rates = np.array([0.0, 0.08])
    factors = market.annuity_factor(rates, 5)
    assert factors[0] == 60.0 and factors[1] == pytest.approx(ref.annuity_factor(0.08, 5))


# --- Candidates and their value -----------------------------------------------------------------


@st.composite
def firm_pairs(draw):
    n_firms = draw(st.integers(1, 6))
    n_streams = draw(st.integers(1, 5))
    n_pairs = draw(st.integers(0, 15))
    firm = st.integers(0, n_firms - 1)
    supplier = np.array(draw(st.lists(firm, min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    receiver = np.array(draw(st.lists(firm, min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    cells = n_firms * n_streams
    can_supply = np.array(draw(st.lists(st.booleans(), min_size=cells, max_size=cells)))
    can_receive = np.array(draw(st.lists(st.booleans(), min_size=cells, max_size=cells)))
    return (
        supplier,
        receiver,
        can_supply.reshape(n_firms, n_streams),
        can_receive.reshape(n_firms, n_streams),
    )


@FAST
@given(firm_pairs())
def test_expand_streams_equals_reference(case):
    supplier, receiver, can_supply, can_receive = case
    pair, stream = market.expand_streams(supplier, receiver, can_supply, can_receive)
    ref_pair, ref_stream = ref.expand_streams(supplier, receiver, can_supply, can_receive)
    assert pair.tolist() == ref_pair.tolist()
    assert stream.tolist() == ref_stream.tolist()
    # Every candidate fits: the supplier has the stream and the receiver needs it.
    assert can_supply[supplier[pair], stream].all() and can_receive[receiver[pair], stream].all()


@FAST
@given(st.data())
def test_deal_values_equal_reference(data):
    n_streams = data.draw(st.integers(1, 5))
    table = data.draw(stream_table(n_streams))
    prices = market.stream_prices(**table, **data.draw(instruments))
    n = data.draw(st.integers(0, 12))
    quantity = np.array(data.draw(st.lists(amounts, min_size=n, max_size=n)))
    distance = np.array(data.draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)))
    stream = np.array(
        data.draw(st.lists(st.integers(0, n_streams - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    overhead = data.draw(st.floats(0, 2e4))
    per_deal = data.draw(st.booleans())
    annuity = (
        np.array(data.draw(st.lists(st.floats(1, 360), min_size=n, max_size=n)))
        if per_deal
        else data.draw(st.floats(1, 360))
    )
    monthly, npv = market.deal_values(
        quantity, distance, stream, prices, overhead_eur_per_month=overhead, annuity=annuity
    )
    ref_monthly, ref_npv = ref.deal_values(
        quantity,
        distance,
        stream,
        prices.unit_gain_eur,
        prices.transport_eur_per_unit_km,
        prices.one_off_eur,
        overhead_eur_per_month=overhead,
        annuity=annuity,
    )
    assert close(monthly, ref_monthly.reshape(monthly.shape), 1e8)
    assert close(npv, ref_npv.reshape(npv.shape), 1e11)


# --- Matching ---------------------------------------------------------------------------------


@st.composite
def grouped_scores(draw):
    n = draw(st.integers(0, 20))
    group = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), dtype=np.int64)
    score = np.array(draw(st.lists(scores, min_size=n, max_size=n)), dtype=float)
    return group, score


@FAST
@given(grouped_scores())
def test_best_per_group_equals_reference(case):
    group, score = case
    best = market.best_per_group(group, score)
    assert best.tolist() == ref.best_per_group(group, score).tolist()
    # One element per distinct group, each the group's best and the earliest of any tie.
    assert sorted(group[best].tolist()) == sorted(set(group.tolist()))
    for k in best:
        same = np.flatnonzero(group == group[k])
        assert score[k] == score[same].max()
        assert k == same[score[same] == score[k]].min()


@st.composite
def candidates(draw):
    n_firms = draw(st.integers(1, 5))
    n_streams = draw(st.integers(1, 3))
    n = draw(st.integers(0, 25))
    firm = st.integers(0, n_firms - 1)
    supplier = np.array(draw(st.lists(firm, min_size=n, max_size=n)), dtype=np.int64)
    receiver = np.array(draw(st.lists(firm, min_size=n, max_size=n)), dtype=np.int64)
    stream = np.array(
        draw(st.lists(st.integers(0, n_streams - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    score = np.array(draw(st.lists(scores, min_size=n, max_size=n)), dtype=float)
    return supplier, receiver, stream, score, n_streams


@FAST
@given(candidates())
def test_match_one_round_equals_reference(case):
    supplier, receiver, stream, score, n_streams = case
    accepted = market.match_one_round(supplier, receiver, stream, score, n_streams)
    assert (
        accepted.tolist()
        == ref.match_one_round(supplier, receiver, stream, score, n_streams).tolist()
    )


@FAST
@given(candidates())
def test_match_one_round_accepts_at_most_one_per_supplier_and_per_receiver_stream(case):
    supplier, receiver, stream, score, n_streams = case
    accepted = market.match_one_round(supplier, receiver, stream, score, n_streams)
    assert len(set(accepted.tolist())) == len(accepted)
    assert all(0 <= k < len(supplier) for k in accepted)
    by_supplier = list(zip(supplier[accepted].tolist(), stream[accepted].tolist(), strict=True))
    by_receiver = list(zip(receiver[accepted].tolist(), stream[accepted].tolist(), strict=True))
    assert len(set(by_supplier)) == len(by_supplier)
    assert len(set(by_receiver)) == len(by_receiver)
    # Each accepted candidate is its supplier's best offer of that stream.
    for k in accepted:
        rivals = (supplier == supplier[k]) & (stream == stream[k])
        assert score[k] == score[rivals].max()
    # Something is accepted whenever there is a candidate at all.
    assert (len(accepted) > 0) == (len(supplier) > 0)


# --- Allocation -------------------------------------------------------------------------------


@st.composite
def grouped_requests(draw):
    n = draw(st.integers(0, 20))
    n_groups = draw(st.integers(1, 5))
    group = np.array(
        draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    wanted = np.array(draw(st.lists(amounts, min_size=n, max_size=n)), dtype=float)
    per_group = np.array(draw(st.lists(amounts, min_size=n_groups, max_size=n_groups)))
    return group, wanted, per_group


@FAST
@given(grouped_requests())
def test_allocate_in_order_equals_reference(case):
    group, wanted, per_group = case
    served = market.allocate_in_order(group, wanted, per_group[group])
    assert close(served, ref.allocate_in_order(group, wanted, per_group[group]), 1e5)


@FAST
@given(grouped_requests())
def test_allocate_in_order_serves_earlier_first_within_what_is_available(case):
    group, wanted, per_group = case
    served = market.allocate_in_order(group, wanted, per_group[group])
    tolerance = 1e-9 * max(1.0, wanted.sum())
    assert (served >= 0).all() and (served <= wanted + tolerance).all()
    for g, available in enumerate(per_group):
        members = np.flatnonzero(group == g)
        total = served[members].sum()
        assert total <= available + tolerance
        assert total == pytest.approx(min(available, wanted[members].sum()), abs=tolerance)
        # Greedy in array order: once an element is short, every later one gets nothing.
        short = np.flatnonzero(served[members] < wanted[members] - tolerance)
        if len(short):
            assert (served[members][short[0] + 1 :] <= tolerance).all()


@st.composite
def active_exchanges(draw):
    n_firms = draw(st.integers(1, 5))
    n_streams = draw(st.integers(1, 3))
    n = draw(st.integers(0, 15))
    firm = st.integers(0, n_firms - 1)
    supplier = np.array(draw(st.lists(firm, min_size=n, max_size=n)), dtype=np.int64)
    receiver = np.array(draw(st.lists(firm, min_size=n, max_size=n)), dtype=np.int64)
    stream = np.array(
        draw(st.lists(st.integers(0, n_streams - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    planned = np.array(draw(st.lists(amounts, min_size=n, max_size=n)), dtype=float)
    cells = n_firms * n_streams
    supply = np.array(draw(st.lists(amounts, min_size=cells, max_size=cells)))
    need = np.array(draw(st.lists(amounts, min_size=cells, max_size=cells)))
    return (
        supplier,
        receiver,
        stream,
        planned,
        supply.reshape(n_firms, n_streams),
        need.reshape(n_firms, n_streams),
    )


@FAST
@given(active_exchanges())
def test_allocate_flows_equals_reference(case):
    flows = market.allocate_flows(*case)
    assert close(flows, ref.allocate_flows(*case), 1e5)


@FAST
@given(active_exchanges(), st.data())
def test_allocate_flows_with_kept_groups_serves_new_supply_the_same(case, data):
    # The model keeps flow_groups while no exchange starts or ends; supply and need change
    # every month, so the kept grouping must serve any amounts exactly as a fresh one.
    supplier, receiver, stream, planned, supply, need = case
    kept = market.flow_groups(supplier, receiver, stream, supply.shape[1])
    cells = supply.size
    for _ in range(2):
        supply = np.array(data.draw(st.lists(amounts, min_size=cells, max_size=cells)))
        need = np.array(data.draw(st.lists(amounts, min_size=cells, max_size=cells)))
        month = (
            supplier,
            receiver,
            stream,
            planned,
            supply.reshape(case[4].shape),
            need.reshape(case[5].shape),
        )
        assert (
            market.allocate_flows(*month, kept).tolist() == market.allocate_flows(*month).tolist()
        )


@FAST
@given(active_exchanges())
def test_allocate_flows_never_exceed_planned_supply_or_need(case):
    supplier, receiver, stream, planned, supply, need = case
    flows = market.allocate_flows(*case)
    tolerance = 1e-9 * max(1.0, planned.sum())
    assert flows.shape == planned.shape
    assert (flows >= 0).all()
    assert (flows <= planned + tolerance).all()
    shipped = np.zeros_like(supply)
    received = np.zeros_like(need)
    np.add.at(shipped, (supplier, stream), flows)
    np.add.at(received, (receiver, stream), flows)
    assert (shipped <= supply + tolerance).all()
    assert (received <= need + tolerance).all()


def test_allocate_flows_serves_the_oldest_exchange_first():
    # Two exchanges draw on one supplier's 10 t; the older (first) one gets its full 8 t.
    flows = market.allocate_flows(
        np.array([0, 0]),
        np.array([1, 2]),
        np.array([0, 0]),
        np.array([8.0, 8.0]),
        np.array([[10.0], [0.0], [0.0]]),
        np.array([[0.0], [20.0], [20.0]]),
    )
    assert flows.tolist() == [8.0, 2.0]


def test_empty_inputs_give_empty_results():
    empty = np.zeros(0, dtype=np.int64)
    assert market.best_per_group(empty, np.zeros(0)).size == 0
    assert market.match_one_round(empty, empty, empty, np.zeros(0), 3).size == 0
    assert market.allocate_in_order(empty, np.zeros(0), np.zeros(0)).size == 0
    assert (
        market.allocate_flows(
            empty, empty, empty, np.zeros(0), np.ones((2, 3)), np.ones((2, 3))
        ).size
        == 0
    )


def test_allocate_in_order_is_exact_for_a_small_group_after_a_large_one():
    group = np.array([0, 0, 1, 1])
    wanted = np.array([1e9, 1e9, 0.3, 0.3])
    available = np.array([5e8, 5e8, 0.4, 0.4])
    served = market.allocate_in_order(group, wanted, available)
    assert served[2:].sum() <= 0.4
    assert served.tolist() == ref.allocate_in_order(group, wanted, available).tolist()


# --- Membership in a sorted key set (used for ties and active exchanges) -------------------------


@FAST
@given(st.lists(st.integers(-50, 50), max_size=30), st.lists(st.integers(-50, 50), max_size=30))
def test_isin_sorted_equals_numpy_isin(values, keys):
    values = np.array(values, dtype=np.int64)
    sorted_keys = np.unique(np.array(keys, dtype=np.int64))
    assert market.isin_sorted(values, sorted_keys).tolist() == np.isin(values, sorted_keys).tolist()


# --- Nearest neighbours (platform matching) -------------------------------------------------------


@FAST
@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 10), st.integers(0, 2**32 - 1))
def test_nearest_is_the_same_with_a_distance_block_or_a_kd_tree(n_from, n_to, k, seed):
    rng = np.random.default_rng(seed)
    fx, fy, tx, ty = (rng.uniform(-50, 50, n) for n in (n_from, n_from, n_to, n_to))
    k = min(k, n_to)
    direct = market.nearest(fx, fy, tx, ty, k)
    distance = np.hypot(fx[:, None] - tx[None, :], fy[:, None] - ty[None, :])
    expected = np.sort(distance, axis=1)[:, :k]
    assert direct.shape == (n_from, k)
    np.testing.assert_allclose(np.take_along_axis(distance, direct, 1), expected)
    saved = market.NEAREST_DIRECT_MAX_PAIRS
    try:
        market.NEAREST_DIRECT_MAX_PAIRS = 0
        tree = market.nearest(fx, fy, tx, ty, k)
    finally:
        market.NEAREST_DIRECT_MAX_PAIRS = saved
    assert tree.tolist() == direct.tolist()
