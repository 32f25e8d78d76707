"""The regional park: thousands of firms in specialised towns, exchanges over tens of km (issue 8).

The UK's NISP brokered synergies across whole regions; the materials in them travelled a median
20.4 miles = 32.8 km (Jensen et al. 2011, Resour. Conserv. Recycl. 55(7):703-712). Speed targets
live in ``benchmarks/``; these tests check behaviour and structure only.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from scenarios.parameters import validate
from scenarios.parks import PARKS_DIR, build_park
from simulation.model import SymbiosisModel
from simulation.runner import run_model

# A NISP-like programme: a registry of members' streams plus facilitation workshops with
# brokering, paid by public funding (docs/model.md, sections 7.3-7.6).
PROGRAMME = {
    "platform_tier": 1,
    "platform_seed_share": 0.1,  # the programme recruits its first members (docs/model.md 7.4)
    "workshops_per_year": 4,
    "brokering": True,
    "operator_funding_eur_per_year": 60_000.0,
}
SEEDS = (0, 1, 2)


def regional(n_firms: int, seed: int = 0, park: str = "regional"):
    """A regional park; ``park`` may be a park file's path (read directly, not a parameter)."""
    params = validate({"park": "regional", "n_firms": n_firms}) | {"park": park}
    return build_park(params, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def programme_exchanges() -> pd.DataFrame:
    runs = [
        run_model({"park": "regional", "n_firms": 2000, **PROGRAMME}, 36, seed) for seed in SEEDS
    ]
    return pd.concat(
        [run.exchanges.assign(seed=seed) for seed, run in zip(SEEDS, runs, strict=True)]
    )


def test_programme_materials_travel_tens_of_km(programme_exchanges):
    # Jensen et al. measured how far materials travelled; pooled over seeds, as NISP's median is
    # pooled over its synergies.
    materials = programme_exchanges[programme_exchanges["category"] == "material"]
    assert materials.groupby("seed").size().min() > 50
    assert 10.0 <= materials["distance_km"].median() <= 100.0


def test_piped_energy_travels_less_far_than_materials(programme_exchanges):
    # Heat and steam need pipes, whose cost per km is about ten times a truck's per tonne.
    median_km = programme_exchanges.groupby("category")["distance_km"].median()
    assert median_km["energy"] < median_km["material"]


def test_every_seed_has_exchanges_between_towns(programme_exchanges):
    # Towns are 1 km in radius; exchanges beyond 10 km link different towns.
    share_between_towns = programme_exchanges.groupby("seed")["distance_km"].apply(
        lambda d: float((d > 10.0).mean())
    )
    assert (share_between_towns > 0.25).all()


def test_towns_specialise(tmp_path):
    # With a huge Dirichlet concentration every town copies the regional mix; the built-in
    # concentration makes neighbours more often of the same sector.
    text = (PARKS_DIR / "regional.toml").read_text()
    uniform = tmp_path / "uniform_towns.toml"
    uniform.write_text(
        text.replace("town_mix_concentration = 7.0", "town_mix_concentration = 1000000.0")
    )

    def same_sector_neighbours(park_name: str) -> float:
        shares = []
        for seed in range(3):
            park = regional(5000, seed, park_name)
            _, nearest = cKDTree(np.column_stack([park.x_km, park.y_km])).query(
                np.column_stack([park.x_km, park.y_km]), k=2
            )
            shares.append(np.mean(park.sector[nearest[:, 1]] == park.sector))
        return float(np.mean(shares))

    assert same_sector_neighbours("regional") > same_sector_neighbours(str(uniform)) + 0.05


def test_park_of_50000_firms_builds_in_linear_memory():
    # A dense n-by-n boolean array alone would take 2.5 GB.
    tracemalloc.start()
    try:
        park = regional(50_000)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(park) == 50_000
    assert peak_bytes < 50e6


def test_model_memory_grows_linearly_with_firms():
    # Building the model and running months with platform matching and a workshop: eight times
    # the firms may take about eight times the memory, never the 64 times of n-by-n work.
    def peak_mb(n_firms: int) -> float:
        tracemalloc.start()
        try:
            model = SymbiosisModel(
                seed=0,
                park="regional",
                n_firms=n_firms,
                platform_tier=1,
                workshops_per_year=12,
                operator_funding_eur_per_year=1e5,
            )
            for _ in range(2):
                model.step()
            return tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()

    assert peak_mb(20_000) / peak_mb(2_500) < 16.0
