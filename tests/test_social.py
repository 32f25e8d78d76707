"""simulation/social.py: the firms' social ties, seeded, symmetric, of the declared structure."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.social import social_ties, spatial_order

KINDS = ("small_world", "preferential_attachment")


def locations(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` firms scattered uniformly over a 10 km x 10 km square."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 10, n), rng.uniform(0, 10, n)


def ties(kind: str, n: int = 200, mean_degree: int = 6, rewiring: float = 0.1, seed: int = 1):
    x_km, y_km = locations(n)
    return social_ties(kind, x_km, y_km, mean_degree, rewiring, np.random.default_rng(seed))


def degrees(tie_from: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(tie_from, minlength=n)


# --- spatial_order ------------------------------------------------------------------------------


def test_spatial_order_is_a_permutation_whose_neighbours_are_near():
    x_km, y_km = locations(400)
    order = spatial_order(x_km, y_km)
    assert sorted(order.tolist()) == list(range(400))
    step_km = np.hypot(np.diff(x_km[order]), np.diff(y_km[order]))
    shuffled = np.random.default_rng(5).permutation(400)
    random_step_km = np.hypot(np.diff(x_km[shuffled]), np.diff(y_km[shuffled]))
    # Consecutive firms along the snake are a few cells apart at most; random ones are ~5 km.
    assert np.median(step_km) < 0.25 * np.median(random_step_km)


def test_spatial_order_of_no_firms_and_of_firms_on_one_line():
    assert spatial_order(np.zeros(0), np.zeros(0)).tolist() == []
    x_km = np.array([3.0, 1.0, 2.0, 0.0])
    assert spatial_order(x_km, np.zeros(4)).tolist() == [3, 1, 2, 0]  # west to east


# --- social_ties --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_tie_is_listed_both_ways_between_two_distinct_firms_once(kind):
    tie_from, tie_to = ties(kind)
    assert tie_from.dtype == tie_to.dtype == np.int64
    pairs = set(zip(tie_from.tolist(), tie_to.tolist(), strict=True))
    assert len(pairs) == len(tie_from)  # no tie twice
    assert all((b, a) in pairs for a, b in pairs)  # both directions
    assert all(a != b for a, b in pairs)  # nobody is tied to itself
    assert tie_from.min() >= 0 and tie_from.max() < 200


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_seed_gives_the_same_ties_and_another_seed_others(kind):
    first, second, other = ties(kind, seed=7), ties(kind, seed=7), ties(kind, seed=8)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert set(zip(*first, strict=True)) != set(zip(*other, strict=True))


def test_ties_draw_from_the_model_generator_and_advance_it():
    rng = np.random.default_rng(3)
    x_km, y_km = locations(50)
    social_ties("small_world", x_km, y_km, 4, 0.1, rng)
    after = rng.integers(2**31 - 1)
    untouched = np.random.default_rng(3)
    untouched.integers(2**31 - 1)  # the one draw that seeds networkx
    assert after == untouched.integers(2**31 - 1)


@pytest.mark.parametrize(("mean_degree", "ties_per_firm"), [(6, 6), (7, 6), (2, 2), (1, 2)])
def test_small_world_gives_every_firm_the_even_degree_at_or_below_the_mean(
    mean_degree, ties_per_firm
):
    # Watts-Strogatz needs an even number of ring neighbours, at least 2; with no rewiring every
    # firm keeps exactly that many ties.
    tie_from, _ = ties("small_world", mean_degree=mean_degree, rewiring=0.0)
    assert set(degrees(tie_from, 200).tolist()) == {ties_per_firm}


def test_small_world_ties_are_mostly_local_and_rewiring_makes_them_longer():
    x_km, y_km = locations(400)

    def median_length_km(rewiring: float) -> float:
        a, b = social_ties("small_world", x_km, y_km, 6, rewiring, np.random.default_rng(2))
        return float(np.median(np.hypot(x_km[a] - x_km[b], y_km[a] - y_km[b])))

    all_pairs_km = np.hypot(x_km[:, None] - x_km[None, :], y_km[:, None] - y_km[None, :])
    typical_km = float(np.median(all_pairs_km))
    assert median_length_km(0.0) < 0.2 * typical_km
    assert median_length_km(0.0) < median_length_km(0.5) < median_length_km(1.0)


def test_preferential_attachment_has_the_mean_degree_and_hubs():
    n, mean_degree = 1000, 6
    tie_from, _ = ties("preferential_attachment", n=n, mean_degree=mean_degree)
    degree = degrees(tie_from, n)
    m = mean_degree // 2  # each newcomer attaches to m firms: (n - m) * m ties
    assert len(tie_from) == 2 * (n - m) * m
    assert degree.mean() == pytest.approx(mean_degree, rel=0.01)
    assert degree.min() >= m
    # A heavy tail (Barabasi & Albert 1999): the best-connected firm has many times the mean,
    # which a small world of the same mean degree never has.
    small_world = degrees(ties("small_world", n=n, mean_degree=mean_degree)[0], n)
    assert degree.max() > 5 * mean_degree > small_world.max()


@pytest.mark.parametrize(
    ("kind", "n", "mean_degree"),
    [("none", 200, 6), ("small_world", 200, 0), ("preferential_attachment", 2, 6)],
)
def test_no_ties_without_a_network_a_degree_or_enough_firms(kind, n, mean_degree):
    tie_from, tie_to = ties(kind, n=n, mean_degree=mean_degree)
    assert len(tie_from) == len(tie_to) == 0
    assert tie_from.dtype == np.int64


def test_a_degree_above_what_a_small_park_allows_is_capped():
    tie_from, tie_to = ties("small_world", n=5, mean_degree=20, rewiring=0.0)
    assert set(degrees(tie_from, 5).tolist()) == {4}  # everyone tied to everyone else
    tie_from, _ = ties("preferential_attachment", n=5, mean_degree=20)
    assert degrees(tie_from, 5).max() <= 4


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown social network 'lattice'"):
        ties("lattice")
