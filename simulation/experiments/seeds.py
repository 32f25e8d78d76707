"""Replication seeds spawned from one root seed (common random numbers across scenarios)."""

from __future__ import annotations

import numpy as np


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """Seeds of replications 0..n-1, spawned from ``root_seed`` with ``numpy.random.SeedSequence``.

    Replication k gets the same seed in every scenario and at every sample point, so
    differences between scenarios are paired; raising ``n`` keeps the first seeds unchanged.
    """
    children = np.random.SeedSequence(int(root_seed)).spawn(int(n))
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]
