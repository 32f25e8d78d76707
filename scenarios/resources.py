"""The resource-stream and sector catalogues, loaded from TOML data into arrays.

The catalogues are data (``scenarios/catalogue/*.toml``), not code; this module reads them once
and exposes them as NumPy arrays indexed by stream and sector, which is what the market kernel
consumes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
CATEGORIES = ("material", "energy", "water")


@dataclass(frozen=True)
class StreamCatalogue:
    """Economic and environmental data of every stream type, one array entry per stream."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    categories: tuple[str, ...]
    units: tuple[str, ...]
    substitution_ratio: np.ndarray
    gate_fee_eur_per_unit: np.ndarray
    virgin_price_eur_per_unit: np.ndarray
    transport_eur_per_unit_km: np.ndarray
    pretreatment_eur_per_unit: np.ndarray
    investment_eur: np.ndarray
    co2_avoided_t_per_unit: np.ndarray
    landfill_co2e_t_per_unit: np.ndarray
    is_material: np.ndarray
    is_landfilled: np.ndarray
    needs_pipe: np.ndarray

    def index(self, name: str) -> int:
        """Position of a stream by name."""
        return self.names.index(name)

    def __len__(self) -> int:
        """Number of stream types."""
        return len(self.names)


@dataclass(frozen=True)
class SectorCatalogue:
    """Per-sector production and needs of a size-1 firm, one row per sector."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    size_median: np.ndarray
    size_sigma: np.ndarray
    is_recycler: np.ndarray
    produces_per_month: np.ndarray
    produces_urban_per_month: np.ndarray
    needs_per_month: np.ndarray

    def index(self, name: str) -> int:
        """Position of a sector by name."""
        return self.names.index(name)


@cache
def stream_catalogue() -> StreamCatalogue:
    """Load ``streams.toml`` (cached: the catalogue is read once per process)."""
    with open(CATALOGUE_DIR / "streams.toml", "rb") as handle:
        table = tomllib.load(handle)
    names = tuple(table)

    def column(key: str) -> np.ndarray:
        return np.array([float(table[n][key]) for n in names])

    categories = tuple(table[n]["category"] for n in names)
    is_material = np.array([c == "material" for c in categories])
    return StreamCatalogue(
        names=names,
        labels=tuple(table[n]["label"] for n in names),
        categories=categories,
        units=tuple(table[n]["unit"] for n in names),
        substitution_ratio=column("substitution_ratio"),
        gate_fee_eur_per_unit=column("gate_fee_eur"),
        virgin_price_eur_per_unit=column("virgin_price_eur"),
        transport_eur_per_unit_km=column("transport_eur_per_km"),
        pretreatment_eur_per_unit=column("pretreatment_eur"),
        investment_eur=column("investment_eur"),
        co2_avoided_t_per_unit=column("co2_avoided_t_per_unit"),
        landfill_co2e_t_per_unit=column("landfill_co2e_t_per_unit"),
        is_material=is_material,
        is_landfilled=np.array(
            [
                bool(table[n].get("landfilled", c == "material"))
                for n, c in zip(names, categories, strict=True)
            ]
        ),
        needs_pipe=~is_material,
    )


@cache
def sector_catalogue() -> SectorCatalogue:
    """Load ``sectors.toml`` against the stream catalogue (cached)."""
    streams = stream_catalogue()
    with open(CATALOGUE_DIR / "sectors.toml", "rb") as handle:
        table = tomllib.load(handle)
    names = tuple(table)

    def quantities(key: str) -> np.ndarray:
        matrix = np.zeros((len(names), len(streams)))
        for row, name in enumerate(names):
            for stream, quantity in table[name].get(key, {}).items():
                matrix[row, streams.index(stream)] = float(quantity)
        return matrix

    return SectorCatalogue(
        names=names,
        labels=tuple(table[n]["label"] for n in names),
        size_median=np.array([float(table[n]["size_median"]) for n in names]),
        size_sigma=np.array([float(table[n]["size_sigma"]) for n in names]),
        is_recycler=np.array([bool(table[n].get("recycler", False)) for n in names]),
        produces_per_month=quantities("produces"),
        produces_urban_per_month=quantities("produces_urban"),
        needs_per_month=quantities("needs"),
    )
