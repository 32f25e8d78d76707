"""The resource-stream and sector catalogues, loaded from TOML data into arrays.

The catalogues are data (``scenarios/catalogue/*.toml``), not code; this module reads them once
and exposes them as NumPy arrays indexed by stream and sector, which is what the market kernel
consumes.

Every number of the catalogues also says where it comes from (``catalogue_numbers``): a published
source, or a declared uncertainty with a plausible range and the reasoning for it. Each has a
name, ``streams.<stream>.<field>`` (``streams.gypsum.gate_fee_eur_per_unit``) or
``sectors.<sector>.<produces|needs|produces_urban>.<stream>``, under which a scenario or a
sensitivity analysis can set it like a parameter (``catalogues_for``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
CATEGORIES = ("material", "energy", "water")

# The numeric fields of a stream: key in streams.toml -> StreamCatalogue attribute (the name a
# scenario or a sensitivity analysis uses), with its unit ("unit" is the stream's own unit).
STREAM_FIELDS: dict[str, tuple[str, str]] = {
    "substitution_ratio": ("substitution_ratio", "share"),
    "gate_fee_eur": ("gate_fee_eur_per_unit", "EUR/unit"),
    "virgin_price_eur": ("virgin_price_eur_per_unit", "EUR/unit"),
    "transport_eur_per_km": ("transport_eur_per_unit_km", "EUR/unit/km"),
    "pretreatment_eur": ("pretreatment_eur_per_unit", "EUR/unit"),
    "investment_eur": ("investment_eur", "EUR"),
    "co2_avoided_t_per_unit": ("co2_avoided_t_per_unit", "t CO2/unit"),
    "landfill_co2e_t_per_unit": ("landfill_co2e_t_per_unit", "t CO2e/unit"),
}
# The per-stream quantity tables of a sector (per firm of size 1 per month, in the stream's unit).
SECTOR_QUANTITIES = ("produces", "produces_urban", "needs")
# How unequal the firms of a sector are is not from a source: size_sigma's declared range.
SIZE_SIGMA_FACTORS = (0.5, 1.5)


@dataclass(frozen=True)
class CatalogueNumber:
    """One number of a catalogue file with where it comes from.

    Attributes:
        name: ``streams.<stream>.<field>`` or ``sectors.<sector>.<table>.<stream>`` (or
            ``sectors.<sector>.size_median`` / ``size_sigma``).
        value: The value the catalogue gives (the default of a run).
        low: Low end of its range: the spread of its source, or the declared plausible range.
        high: High end of its range.
        unit: Unit of the value.
        source: The published source (listed in docs/bibliography.md), or "" for a range.
        why: For a declared range: the reasoning for it; "" for a sourced number.
        variable: Whether a run can set it (``catalogues_for``); sector sizes shape the park
            when it is built and are not varied per run.
    """

    name: str
    value: float
    low: float
    high: float
    unit: str
    source: str = ""
    why: str = ""
    variable: bool = True

    @property
    def sourced(self) -> bool:
        """Whether a published source gives the number (else it is a declared range)."""
        return bool(self.source)


class CatalogueError(ValueError):
    """A catalogue name that does not exist, or a catalogue value that cannot be set."""


def _value(entry: Any) -> float:
    """The value of a catalogue number, written plain (``30.0``) or as ``{ value = 30.0, ...}``."""
    return float(entry["value"]) if isinstance(entry, Mapping) else float(entry)


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
        return np.array([_value(table[n][key]) for n in names])

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
                matrix[row, streams.index(stream)] = _value(quantity)
        return matrix

    return SectorCatalogue(
        names=names,
        labels=tuple(table[n]["label"] for n in names),
        size_median=np.array([_value(table[n]["size_median"]) for n in names]),
        size_sigma=np.array([_value(table[n]["size_sigma"]) for n in names]),
        is_recycler=np.array([bool(table[n].get("recycler", False)) for n in names]),
        produces_per_month=quantities("produces"),
        produces_urban_per_month=quantities("produces_urban"),
        needs_per_month=quantities("needs"),
    )


def _load(file: str) -> dict[str, Any]:
    with open(CATALOGUE_DIR / file, "rb") as handle:
        return tomllib.load(handle)


def _stream_number(stream: str, key: str, entry: Any, unit: str) -> CatalogueNumber:
    field, field_unit = STREAM_FIELDS[key]
    value = _value(entry)
    described = entry if isinstance(entry, Mapping) else {}
    return CatalogueNumber(
        name=f"streams.{stream}.{field}",
        value=value,
        low=float(described.get("low", value)),
        high=float(described.get("high", value)),
        unit=field_unit.replace("unit", unit),
        source=str(described.get("source", "")),
        why=str(described.get("why", "")),
    )


@cache
def catalogue_numbers() -> dict[str, CatalogueNumber]:
    """Every number of ``streams.toml`` and ``sectors.toml`` by name, with its source or range."""
    numbers: dict[str, CatalogueNumber] = {}
    streams = _load("streams.toml")
    for stream, row in streams.items():
        for key in STREAM_FIELDS:
            number = _stream_number(stream, key, row[key], row["unit"])
            numbers[number.name] = number
    for sector, row in _load("sectors.toml").items():
        declared = row.get("uncertainty", {})
        low_factor = float(declared.get("factor_low", 1.0))
        high_factor = float(declared.get("factor_high", 1.0))
        why = str(declared.get("why", ""))
        size = _value(row["size_median"])
        numbers[f"sectors.{sector}.size_median"] = CatalogueNumber(
            f"sectors.{sector}.size_median",
            size,
            size * low_factor,
            size * high_factor,
            "-",
            why=why,
            variable=False,
        )
        sigma = _value(row["size_sigma"])
        numbers[f"sectors.{sector}.size_sigma"] = CatalogueNumber(
            f"sectors.{sector}.size_sigma",
            sigma,
            sigma * SIZE_SIGMA_FACTORS[0],
            sigma * SIZE_SIGMA_FACTORS[1],
            "-",
            why="how unequal the firms of a sector are is not from a source",
            variable=False,
        )
        for quantities in SECTOR_QUANTITIES:
            for stream, quantity in row.get(quantities, {}).items():
                value = _value(quantity)
                name = f"sectors.{sector}.{quantities}.{stream}"
                numbers[name] = CatalogueNumber(
                    name,
                    value,
                    value * low_factor,
                    value * high_factor,
                    f"{streams[stream]['unit']}/month",
                    why=why,
                )
    return numbers


def is_catalogue_name(name: str) -> bool:
    """Whether ``name`` names a catalogue number rather than a declared parameter."""
    return name.startswith(("streams.", "sectors."))


def catalogue_number(name: str) -> CatalogueNumber:
    """The catalogue number called ``name``.

    Raises:
        CatalogueError: If there is none, with the closest name as a hint.
    """
    numbers = catalogue_numbers()
    if name in numbers:
        return numbers[name]
    import difflib

    match = difflib.get_close_matches(name, numbers.keys(), n=1, cutoff=0.6)
    hint = f" (did you mean {match[0]!r}?)" if match else ""
    raise CatalogueError(f"unknown catalogue number {name!r}{hint}")


def catalogues_for(params: Mapping[str, Any]) -> tuple[StreamCatalogue, SectorCatalogue]:
    """The stream and sector catalogues with the catalogue numbers that ``params`` sets.

    Names that are not catalogue numbers are ignored (they are the model's parameters); without
    any catalogue name this returns the cached catalogues themselves.

    Raises:
        CatalogueError: On an unknown catalogue name, or one that a run cannot set.
    """
    streams, sectors = stream_catalogue(), sector_catalogue()
    chosen = {name: value for name, value in params.items() if is_catalogue_name(name)}
    if not chosen:
        return streams, sectors
    stream_arrays: dict[str, Any] = {}
    sector_arrays: dict[str, Any] = {}
    for name, value in chosen.items():
        number = catalogue_number(name)
        if not number.variable:
            raise CatalogueError(
                f"{name} shapes the park when it is built and cannot be set per run"
            )
        parts = name.split(".")
        if parts[0] == "streams":
            field = parts[2]
            array = stream_arrays.setdefault(field, getattr(streams, field).copy())
            array[streams.index(parts[1])] = float(value)
        else:
            field = f"{parts[2]}_per_month"
            array = sector_arrays.setdefault(field, getattr(sectors, field).copy())
            array[sectors.index(parts[1]), streams.index(parts[3])] = float(value)
    return (
        dataclasses.replace(streams, **stream_arrays) if stream_arrays else streams,
        dataclasses.replace(sectors, **sector_arrays) if sector_arrays else sectors,
    )
