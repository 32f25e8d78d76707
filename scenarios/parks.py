"""Parks: presets shaped like real parks, and generators of synthetic and regional parks.

A park file (``scenarios/parks/NAME.toml``) is one of three kinds, named by its ``generator``:

* ``explicit``: named firms (``[[firms]]``) and groups of generated firms (``[[groups]]``) at
  fixed counts; used for the real-park presets.
* ``synthetic``: ``n_firms`` firms drawn from a sector mix over a disc of ``area_radius_km``.
* ``regional``: ``n_firms`` firms clustered in towns over a region whose area grows with the
  number of firms, so that firm density (and with it the exchange distances) stays constant.

Every random draw uses the generator handed in, so a park is reproducible from the run's seed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.errors import InputError
from scenarios.resources import sector_catalogue

PARKS_DIR = Path(__file__).parent / "parks"


class ParkError(InputError):
    """A park name or park file that cannot be used."""


@dataclass(frozen=True)
class Park:
    """The firms of a park: one array entry per firm."""

    name: str
    firm_names: tuple[str, ...]
    sector: np.ndarray
    size: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray

    def __len__(self) -> int:
        """Number of firms."""
        return len(self.sector)


def park_names() -> list[str]:
    """Names of the built-in parks, discovered from ``scenarios/parks/*.toml``."""
    return sorted(path.stem for path in PARKS_DIR.glob("*.toml"))


def park_path(name: str) -> Path:
    """Path of a built-in park file or of a park file given by path.

    Raises:
        ParkError: If no such park exists.
    """
    candidate = PARKS_DIR / f"{name}.toml"
    if candidate.is_file():
        return candidate
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return path
    raise ParkError(f"unknown park {name!r} (built-in parks: {', '.join(park_names())})")


def load_park_spec(name: str) -> dict[str, Any]:
    """Read a park file into a dict.

    Raises:
        ParkError: If the park is unknown or its file is not valid TOML.
    """
    path = park_path(name)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ParkError(f"{path}: invalid TOML: {error}") from None


def build_park(params: dict[str, Any], rng: np.random.Generator) -> Park:
    """Make the firms of the park named by ``params['park']``.

    Args:
        params: Validated parameters (``park``, ``n_firms``, ``area_radius_km`` are read).
        rng: Generator for every random draw (sizes, locations, sector mix).

    Raises:
        ParkError: If the park file is unknown or names an unknown sector.
    """
    spec = load_park_spec(params["park"])
    generator = spec.get("generator", "explicit")
    if generator == "explicit":
        names, sectors, sizes, xs, ys = _explicit_firms(spec, rng)
    elif generator == "synthetic":
        names, sectors, sizes, xs, ys = _synthetic_firms(
            spec, int(params["n_firms"]), float(params["area_radius_km"]), rng)
    elif generator == "regional":
        names, sectors, sizes, xs, ys = _regional_firms(spec, int(params["n_firms"]), rng)
    else:
        raise ParkError(f"park {params['park']!r}: unknown generator {generator!r}")
    return Park(
        name=str(spec.get("name", params["park"])),
        firm_names=tuple(names),
        sector=np.asarray(sectors, dtype=np.int64),
        size=np.asarray(sizes, dtype=float),
        x_km=np.asarray(xs, dtype=float),
        y_km=np.asarray(ys, dtype=float),
    )


def _sector_index(name: str, where: str) -> int:
    sectors = sector_catalogue()
    if name not in sectors.names:
        raise ParkError(f"{where}: unknown sector {name!r}")
    return sectors.index(name)


def _draw_sizes(sector: int, count: int, rng: np.random.Generator,
                median: float | None = None, sigma: float | None = None) -> np.ndarray:
    sectors = sector_catalogue()
    median = float(sectors.size_median[sector] if median is None else median)
    sigma = float(sectors.size_sigma[sector] if sigma is None else sigma)
    return median * rng.lognormal(0.0, sigma, size=count)


def _points_in_disc(count: int, radius_km: float, rng: np.random.Generator,
                    centre: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    radius = radius_km * np.sqrt(rng.random(count))
    angle = rng.random(count) * 2 * np.pi
    return centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)


def _mix(spec: dict[str, Any], where: str) -> tuple[np.ndarray, np.ndarray]:
    mix = spec.get("mix", {})
    if not mix:
        raise ParkError(f"{where}: a generated park needs a [mix] table of sector weights")
    sectors = np.array([_sector_index(name, where) for name in mix])
    weights = np.array([float(w) for w in mix.values()])
    return sectors, weights / weights.sum()


def _allocate(count: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sector of each of ``count`` firms: at least one of each sector while count allows."""
    guaranteed = np.arange(min(count, len(weights)))
    rest = rng.choice(len(weights), size=count - len(guaranteed), p=weights)
    return np.concatenate([guaranteed, rest]).astype(np.int64)


def _explicit_firms(spec: dict[str, Any], rng: np.random.Generator):
    names: list[str] = []
    sectors: list[int] = []
    sizes: list[float] = []
    xs: list[float] = []
    ys: list[float] = []
    where = f"park {spec.get('name', '?')!r}"
    for firm in spec.get("firms", []):
        names.append(str(firm["name"]))
        sectors.append(_sector_index(firm["sector"], where))
        sizes.append(float(firm.get("size", 1.0)))
        xs.append(float(firm.get("x_km", 0.0)))
        ys.append(float(firm.get("y_km", 0.0)))
    radius = float(spec.get("radius_km", 5.0))
    for group in spec.get("groups", []):
        sector = _sector_index(group["sector"], where)
        count = int(group["count"])
        group_sizes = _draw_sizes(sector, count, rng, group.get("size_median"),
                                  group.get("size_sigma"))
        gx, gy = _points_in_disc(count, float(group.get("radius_km", radius)), rng,
                                 tuple(group.get("centre_km", (0.0, 0.0))))
        label = group.get("label", group["sector"])
        names.extend(f"{label} {k + 1}" for k in range(count))
        sectors.extend([sector] * count)
        sizes.extend(group_sizes.tolist())
        xs.extend(gx.tolist())
        ys.extend(gy.tolist())
    return names, sectors, sizes, xs, ys


def _synthetic_firms(spec: dict[str, Any], n_firms: int, radius_km: float,
                     rng: np.random.Generator):
    mix_sectors, weights = _mix(spec, f"park {spec.get('name', '?')!r}")
    sector = mix_sectors[_allocate(n_firms, weights, rng)]
    sizes = np.empty(n_firms)
    for s in np.unique(sector):
        chosen = sector == s
        sizes[chosen] = _draw_sizes(int(s), int(chosen.sum()), rng)
    xs, ys = _points_in_disc(n_firms, radius_km, rng)
    catalogue = sector_catalogue()
    names = [f"{catalogue.names[s]} {k + 1}" for k, s in enumerate(sector)]
    return names, sector, sizes, xs, ys


def _regional_firms(spec: dict[str, Any], n_firms: int, rng: np.random.Generator):
    mix_sectors, weights = _mix(spec, f"park {spec.get('name', '?')!r}")
    firms_per_town = float(spec.get("firms_per_town", 100))
    n_towns = max(1, int(round(n_firms / firms_per_town)))
    # Region radius grows with sqrt(n) so that firm density, and with it the typical exchange
    # distance, is the same for a region of 1,000 or of 10,000 firms.
    radius_km = float(spec.get("radius_km_per_1000_firms", 60.0)) * np.sqrt(n_firms / 1000)
    town_x, town_y = _points_in_disc(n_towns, radius_km, rng)
    town = rng.integers(0, n_towns, size=n_firms)
    jx, jy = _points_in_disc(n_firms, float(spec.get("town_radius_km", 4.0)), rng)
    sector = mix_sectors[_allocate(n_firms, weights, rng)]
    sizes = np.empty(n_firms)
    for s in np.unique(sector):
        chosen = sector == s
        sizes[chosen] = _draw_sizes(int(s), int(chosen.sum()), rng)
    catalogue = sector_catalogue()
    names = [f"{catalogue.names[s]} {k + 1}" for k, s in enumerate(sector)]
    return names, sector, sizes, town_x[town] + jx, town_y[town] + jy
