"""The firms' social network, generated with a seeded generator (docs/model.md, section 5)."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np

# The snake runs through cells holding about this many firms each: few enough that firms next
# in order are near neighbours (ordering only; it changes no tie count).
_FIRMS_PER_CELL = 4
_MIN_SPAN_KM = 1e-9  # all firms on one row: avoid dividing by a zero north-south extent


def spatial_order(x_km: np.ndarray, y_km: np.ndarray) -> np.ndarray:
    """Order firms along a snake through a grid of cells, so neighbours in order are near."""
    n = len(x_km)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cells = max(1, int(np.sqrt(n / _FIRMS_PER_CELL)))
    span_y = max(np.ptp(y_km), _MIN_SPAN_KM)
    row = np.minimum(((y_km - y_km.min()) / span_y * cells).astype(np.int64), cells - 1)
    snake_x = np.where(row % 2 == 0, x_km, -x_km)
    return np.lexsort((snake_x, row))


def social_ties(
    kind: str,
    x_km: np.ndarray,
    y_km: np.ndarray,
    mean_degree: int,
    rewiring: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Social ties between firms, as directed edge arrays holding both directions of each tie.

    Args:
        kind: ``small_world`` (Watts-Strogatz over a spatial ordering, so most ties are local),
            ``preferential_attachment`` (Barabasi-Albert) or ``none``.
        x_km: Firm locations, east coordinate.
        y_km: Firm locations, north coordinate.
        mean_degree: Mean number of ties per firm.
        rewiring: Rewiring probability of the small-world generator.
        rng: The model's generator; the networkx generator is seeded from it.

    Returns:
        (tie_from, tie_to), each tie listed in both directions.
    """
    n = len(x_km)
    empty = np.zeros(0, dtype=np.int64)
    if kind == "none" or mean_degree < 1 or n < 3:
        return empty, empty
    seed = int(rng.integers(2**31 - 1))
    if kind == "small_world":
        k = max(2, min(mean_degree - mean_degree % 2, n - 1 - (n - 1) % 2))
        order = spatial_order(x_km, y_km)
        edges = np.array(watts_strogatz_edges(n, k, rewiring, seed), dtype=np.int64).reshape(-1, 2)
        edges = order[edges]
    elif kind == "preferential_attachment":
        m = max(1, min(mean_degree // 2, n - 1))
        graph = nx.barabasi_albert_graph(n, m, seed=seed)
        edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    else:
        raise ValueError(f"unknown social network {kind!r}")
    a, b = edges[:, 0], edges[:, 1]
    return np.concatenate([a, b]), np.concatenate([b, a])


def watts_strogatz_edges(n: int, k: int, p: float, seed: int) -> list[tuple[int, int]]:
    """The edges of ``networkx.watts_strogatz_graph(n, k, p, seed=seed)``, in its edge order.

    The same algorithm and the same draws from ``random.Random(seed)`` as networkx 3's
    generator (ring of ``k`` nearest neighbours, each edge rewired with probability ``p`` to a
    uniformly chosen node, no self-loops or multiple edges), on plain dicts of neighbours kept
    in networkx's insertion order, so ``graph.edges()`` comes out identical. Building a networkx
    graph cost more than the rest of a default park's set-up; ``tests/test_social_speed.py``
    checks the edges against networkx. Requires ``0 < k < n``.
    """
    draw = random.Random(seed)
    nodes = list(range(n))
    # neighbours[u]: u's neighbours in the order networkx's adjacency dict would hold them.
    neighbours: list[dict[int, None]] = [{} for _ in nodes]
    half = k // 2
    for j in range(1, half + 1):
        for u in nodes:
            v = (u + j) % n
            neighbours[u][v] = None
            neighbours[v][u] = None
    for j in range(1, half + 1):
        for u in nodes:
            if draw.random() < p:
                w = draw.choice(nodes)
                # No self-loops or multiple edges; a node linked to all others keeps its edge.
                while w == u or w in neighbours[u]:
                    w = draw.choice(nodes)
                    if len(neighbours[u]) >= n - 1:
                        break
                else:
                    v = (u + j) % n
                    del neighbours[u][v]
                    del neighbours[v][u]
                    neighbours[u][w] = None
                    neighbours[w][u] = None
    return [(u, v) for u in nodes for v in neighbours[u] if v > u]
