"""The firms' social network, generated with a seeded generator (docs/model.md, section 5)."""

from __future__ import annotations

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
        graph = nx.watts_strogatz_graph(n, k, rewiring, seed=seed)
        order = spatial_order(x_km, y_km)
        edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
        edges = order[edges]
    elif kind == "preferential_attachment":
        m = max(1, min(mean_degree // 2, n - 1))
        graph = nx.barabasi_albert_graph(n, m, seed=seed)
        edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    else:
        raise ValueError(f"unknown social network {kind!r}")
    a, b = edges[:, 0], edges[:, 1]
    return np.concatenate([a, b]), np.concatenate([b, a])
