"""The social network's own Watts-Strogatz generator draws the very graph networkx draws."""

from __future__ import annotations

import networkx as nx
import pytest

from simulation.social import watts_strogatz_edges


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 1.0])
@pytest.mark.parametrize(("n", "k"), [(3, 2), (4, 2), (5, 4), (10, 6), (100, 6), (257, 10)])
def test_watts_strogatz_edges_are_networkx_edges_in_networkx_order(n, k, p):
    for seed in range(5):
        expected = list(nx.watts_strogatz_graph(n, k, p, seed=seed).edges())
        assert watts_strogatz_edges(n, k, p, seed) == expected


def test_dense_rings_skip_a_rewiring_as_networkx_does():
    # k = n - 1 (even n - 1): every node is linked to all others, no rewiring can happen.
    for seed in range(20):
        expected = list(nx.watts_strogatz_graph(7, 6, 1.0, seed=seed).edges())
        assert watts_strogatz_edges(7, 6, 1.0, seed) == expected
