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

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from scenarios.bounds import (
    MAX_DISTANCE_KM,
    MAX_FIRM_SIZE,
    MAX_FIRMS,
    MAX_SIZE_SIGMA,
    MAX_WEIGHT,
)
from scenarios.errors import InputError
from scenarios.parameters import MONTHS_PER_YEAR
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
    # Dated parks (``start_year``, docs/model.md section 6.3): the month each firm enters and
    # the month from which each firm generates or needs each stream (firms x streams); None
    # when the park file declares no dates (every firm and stream present from month 0).
    enters_month: np.ndarray | None = None
    stream_from_month: np.ndarray | None = None

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
    if "/" not in name and name and candidate.is_file():
        return candidate
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return path
    if path.suffix == ".toml" or "/" in name:
        raise ParkError(f"{name}: no such park file")
    match = difflib.get_close_matches(name, park_names(), n=1, cutoff=0.6)
    hint = f" (did you mean {match[0]!r}?)" if match else ""
    raise ParkError(f"unknown park {name!r}{hint} (built-in parks: {', '.join(park_names())})")


def load_park_spec(name: str) -> dict[str, Any]:
    """Read and check a park file.

    Raises:
        ParkError: If the park is unknown, its file is not valid TOML, or a key or value in it is
            not allowed (the message names the file and the key).
    """
    path = park_path(name)
    try:
        with open(path, "rb") as handle:
            spec = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ParkError(f"{path}: malformed TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ParkError(f"{path}: malformed TOML: not UTF-8 text (byte {error.start})") from None
    check_park_spec(spec, path)
    return spec


# Keys a park file may hold, with the type of each value (docs/model.md section 6.3; module
# docstring).
_NUMBER: tuple[type, ...] = (int, float)
_TOP_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "description": (str,),
    "source": (str,),
    "generator": (str,),
    "radius_km": _NUMBER,
    "firms": (list,),
    "groups": (list,),
    "historical_exchanges": (list,),
    "start_year": (int,),
    "mix": (dict,),
    "firms_per_town": _NUMBER,
    "town_radius_km": _NUMBER,
    "radius_km_per_1000_firms": _NUMBER,
    "town_mix_concentration": _NUMBER,
}
_GENERATOR_KEYS = {
    "explicit": ("radius_km", "firms", "groups", "historical_exchanges", "start_year"),
    "synthetic": ("mix",),
    "regional": (
        "mix",
        "firms_per_town",
        "town_radius_km",
        "radius_km_per_1000_firms",
        "town_mix_concentration",
    ),
}
_FIRM_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "sector": (str,),
    "size": _NUMBER,
    "x_km": _NUMBER,
    "y_km": _NUMBER,
    "enters_year": (int,),
    "stream_years": (dict,),
}
_GROUP_KEYS: dict[str, tuple[type, ...]] = {
    "sector": (str,),
    "count": (int,),
    "label": (str,),
    "size_median": _NUMBER,
    "size_sigma": _NUMBER,
    "radius_km": _NUMBER,
    "centre_km": (list,),
}
_POSITIVE = (
    "radius_km",
    "firms_per_town",
    "town_radius_km",
    "radius_km_per_1000_firms",
    "size",
    "size_median",
    "count",
    "town_mix_concentration",
)
# Largest value of each numeric key (scenarios/bounds.py says why).
_HIGHEST: dict[str, float] = {
    "radius_km": MAX_DISTANCE_KM,
    "town_radius_km": MAX_DISTANCE_KM,
    "radius_km_per_1000_firms": MAX_DISTANCE_KM,
    "firms_per_town": MAX_FIRMS,
    "size": MAX_FIRM_SIZE,
    "size_median": MAX_FIRM_SIZE,
    "size_sigma": MAX_SIZE_SIGMA,
    "count": MAX_FIRMS,
    "town_mix_concentration": MAX_WEIGHT,
}


def check_park_spec(spec: dict[str, Any], path: Path | str) -> None:
    """Check every key and value of a park file against the park format.

    Raises:
        ParkError: On the first unknown key, wrong type, bad value or unknown sector.
    """
    generator = spec.get("generator", "explicit")
    if not isinstance(generator, str) or generator not in _GENERATOR_KEYS:
        raise ParkError(
            f"{path}: generator must be one of {', '.join(_GENERATOR_KEYS)}, got {generator!r}"
        )
    allowed = ("name", "description", "source", "generator", *_GENERATOR_KEYS[generator])
    _check_table(spec, allowed, _TOP_KEYS, path, "")
    if generator == "explicit":
        firms, groups = spec.get("firms", []), spec.get("groups", [])
        for k, firm in enumerate(firms):
            where = f"[[firms]] #{k + 1}"
            if not isinstance(firm, dict):
                raise ParkError(f"{path}: {where} must be a table")
            _check_table(firm, tuple(_FIRM_KEYS), _FIRM_KEYS, path, where + " ")
            for key in ("name", "sector"):
                if key not in firm:
                    raise ParkError(f"{path}: {where} needs a {key}")
            _sector_index(firm["sector"], f"{path}: {where}")
        names = [firm["name"] for firm in firms]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ParkError(f"{path}: [[firms]] name {duplicates[0]!r} is used twice")
        for k, group in enumerate(groups):
            where = f"[[groups]] #{k + 1}"
            if not isinstance(group, dict):
                raise ParkError(f"{path}: {where} must be a table")
            _check_table(group, tuple(_GROUP_KEYS), _GROUP_KEYS, path, where + " ")
            for key in ("sector", "count"):
                if key not in group:
                    raise ParkError(f"{path}: {where} needs a {key}")
            _sector_index(group["sector"], f"{path}: {where}")
            centre = group.get("centre_km", [0.0, 0.0])
            if len(centre) != 2 or not all(
                _is_number(c) and abs(c) <= MAX_DISTANCE_KM for c in centre
            ):
                raise ParkError(
                    f"{path}: {where} centre_km must be [x, y] within "
                    f"{MAX_DISTANCE_KM:,.0f} km of the origin, got {centre!r}"
                )
        total = len(firms) + sum(int(g["count"]) for g in groups)
        if total < 2:
            raise ParkError(f"{path}: a park needs at least two firms ([[firms]] or [[groups]])")
        if total > MAX_FIRMS:
            raise ParkError(
                f"{path}: {total:,} firms ([[firms]] and [[groups]] counts together) is above "
                f"the cap of {MAX_FIRMS:,} firms per park"
            )
        for k, firm in enumerate(firms):
            for key in ("x_km", "y_km"):
                if abs(firm.get(key, 0.0)) > MAX_DISTANCE_KM:
                    raise ParkError(
                        f"{path}: [[firms]] #{k + 1} {key} must be within "
                        f"{MAX_DISTANCE_KM:,.0f} km of the origin, got {firm[key]!r}"
                    )
        _check_history(spec, path, set(names))
        _check_dates(spec, path)
    else:
        mix = spec.get("mix")
        if not mix:
            raise ParkError(f"{path}: a {generator} park needs a [mix] table of sector weights")
        for sector, weight in mix.items():
            _sector_index(sector, f"{path}: [mix]")
            if not _is_number(weight) or not 0 <= weight <= MAX_WEIGHT:
                raise ParkError(
                    f"{path}: [mix] {sector} must be a weight in [0, {MAX_WEIGHT:g}], "
                    f"got {weight!r}"
                )
        if sum(mix.values()) <= 0:
            raise ParkError(f"{path}: [mix] needs at least one positive weight")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or bool(np.isfinite(value))


def _check_table(
    table: dict[str, Any],
    allowed: tuple[str, ...],
    types: dict[str, tuple[type, ...]],
    path: Path | str,
    where: str,
) -> None:
    for key, value in table.items():
        if key not in allowed:
            match = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise ParkError(
                f"{path}: {where}unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
            )
        expected = types[key]
        numeric = expected in (_NUMBER, (int,))
        if (
            (numeric and not _is_number(value))
            or not isinstance(value, expected)
            or (expected == (int,) and isinstance(value, bool))
        ):
            kinds: dict[tuple[type, ...], str] = {
                _NUMBER: "a number",
                (int,): "a whole number",
                (str,): "a string",
                (list,): "an array",
                (dict,): "a table",
            }
            kind = kinds[expected]
            raise ParkError(f"{path}: {where}{key} must be {kind}, got {value!r}")
        if not numeric:
            continue
        number = cast(float, value)
        if key in _POSITIVE and number <= 0:
            raise ParkError(f"{path}: {where}{key} must be above 0, got {value!r}")
        if key in _HIGHEST and number > _HIGHEST[key]:
            raise ParkError(
                f"{path}: {where}{key} must be at most {_HIGHEST[key]:,g}, got {value!r}"
            )
        if key == "size_sigma" and number < 0:
            raise ParkError(f"{path}: {where}size_sigma must be at least 0, got {value!r}")


def _check_history(spec: dict[str, Any], path: Path | str, firm_names: set[str]) -> None:
    from scenarios.resources import stream_catalogue

    streams = stream_catalogue().names
    for k, row in enumerate(spec.get("historical_exchanges", [])):
        where = f"historical_exchanges #{k + 1}"
        if (
            not isinstance(row, list)
            or len(row) != 4
            or not all(isinstance(v, str) for v in row[:3])
            or not isinstance(row[3], int)
            or isinstance(row[3], bool)
        ):
            raise ParkError(
                f"{path}: {where} must be [supplier, receiver, stream, year], got {row!r}"
            )
        for name in row[:2]:
            if name not in firm_names:
                raise ParkError(f"{path}: {where}: {name!r} is not a firm of the park")
        if row[2] not in streams:
            raise ParkError(
                f"{path}: {where}: unknown stream {row[2]!r} (streams: {', '.join(streams)})"
            )


# Years a dated park may name (a plausibility bound against typing slips such as 199 or 19930).
_FIRST_YEAR, _LAST_YEAR = 1800, 2200


def _check_dates(spec: dict[str, Any], path: Path | str) -> None:
    """Check ``start_year`` and each firm's ``enters_year`` and ``stream_years``.

    A dated year must be a whole year from ``start_year`` on (a firm or stream present from
    the start needs no date), and a dated stream one the firm's sector generates or needs.
    """
    from scenarios.resources import stream_catalogue

    firms = spec.get("firms", [])
    dated = [k for k, f in enumerate(firms) if "enters_year" in f or "stream_years" in f]
    if "start_year" not in spec:
        if dated:
            raise ParkError(
                f"{path}: [[firms]] #{dated[0] + 1} has dates (enters_year, stream_years) but "
                "the park has no start_year (the year of month 0)"
            )
        return
    start = spec["start_year"]
    if not _FIRST_YEAR <= start <= _LAST_YEAR:
        raise ParkError(
            f"{path}: start_year must be a year in [{_FIRST_YEAR}, {_LAST_YEAR}], got {start!r}"
        )
    streams, sectors = stream_catalogue().names, sector_catalogue()

    def check_year(year: Any, where: str) -> None:
        if not isinstance(year, int) or isinstance(year, bool):
            raise ParkError(f"{path}: {where} must be a whole year, got {year!r}")
        if not start <= year <= _LAST_YEAR:
            raise ParkError(
                f"{path}: {where} must be a year in [start_year {start}, {_LAST_YEAR}], got "
                f"{year!r} (a firm or stream present from the start needs no date)"
            )

    for k, firm in enumerate(firms):
        where = f"[[firms]] #{k + 1}"
        if "enters_year" in firm:
            check_year(firm["enters_year"], f"{where} enters_year")
        sector = sectors.index(firm["sector"])
        for stream, year in firm.get("stream_years", {}).items():
            if stream not in streams:
                raise ParkError(
                    f"{path}: {where} stream_years: unknown stream {stream!r} "
                    f"(streams: {', '.join(streams)})"
                )
            j = streams.index(stream)
            uses = (
                sectors.produces_per_month[sector, j] > 0
                or sectors.produces_urban_per_month[sector, j] > 0
                or sectors.needs_per_month[sector, j] > 0
            )
            if not uses:
                raise ParkError(
                    f"{path}: {where} stream_years: sector {firm['sector']!r} neither "
                    f"generates nor needs {stream!r}"
                )
            check_year(year, f"{where} stream_years.{stream}")


def _dated_months(
    spec: dict[str, Any], n_firms: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Month each firm enters and month from which it generates or needs each stream.

    Firms of ``[[groups]]`` come after the named firms and are present from month 0. Returns
    (None, None) for a park without ``start_year``.
    """
    from scenarios.resources import stream_catalogue

    if "start_year" not in spec:
        return None, None
    start, streams = int(spec["start_year"]), stream_catalogue().names
    enters = np.zeros(n_firms, dtype=np.int64)
    stream_from = np.zeros((n_firms, len(streams)), dtype=np.int64)
    for k, firm in enumerate(spec.get("firms", [])):
        enters[k] = (int(firm.get("enters_year", start)) - start) * MONTHS_PER_YEAR
        for stream, year in firm.get("stream_years", {}).items():
            stream_from[k, streams.index(stream)] = (int(year) - start) * MONTHS_PER_YEAR
    return enters, np.maximum(stream_from, enters[:, None])


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
            spec, int(params["n_firms"]), float(params["area_radius_km"]), rng
        )
    elif generator == "regional":
        names, sectors, sizes, xs, ys = _regional_firms(spec, int(params["n_firms"]), rng)
    else:
        raise ParkError(f"park {params['park']!r}: unknown generator {generator!r}")
    enters, stream_from = _dated_months(spec, len(sectors))
    return Park(
        name=str(spec.get("name", params["park"])),
        firm_names=tuple(names),
        sector=np.asarray(sectors, dtype=np.int64),
        size=np.asarray(sizes, dtype=float),
        x_km=np.asarray(xs, dtype=float),
        y_km=np.asarray(ys, dtype=float),
        enters_month=enters,
        stream_from_month=stream_from,
    )


def _sector_index(name: str, where: str) -> int:
    sectors = sector_catalogue()
    if name not in sectors.names:
        match = difflib.get_close_matches(name, sectors.names, n=1, cutoff=0.6)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        raise ParkError(
            f"{where}: unknown sector {name!r}{hint} (sectors: {', '.join(sectors.names)})"
        )
    return sectors.index(name)


def _draw_sizes(
    sector: int,
    count: int,
    rng: np.random.Generator,
    median: float | None = None,
    sigma: float | None = None,
) -> np.ndarray:
    sectors = sector_catalogue()
    median = float(sectors.size_median[sector] if median is None else median)
    sigma = float(sectors.size_sigma[sector] if sigma is None else sigma)
    return median * rng.lognormal(0.0, sigma, size=count)


def _points_in_disc(
    count: int, radius_km: float, rng: np.random.Generator, centre: tuple[float, float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray]:
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
        group_sizes = _draw_sizes(
            sector, count, rng, group.get("size_median"), group.get("size_sigma")
        )
        gx, gy = _points_in_disc(
            count,
            float(group.get("radius_km", radius)),
            rng,
            tuple(group.get("centre_km", (0.0, 0.0))),
        )
        label = group.get("label", group["sector"])
        names.extend(f"{label} {k + 1}" for k in range(count))
        sectors.extend([sector] * count)
        sizes.extend(group_sizes.tolist())
        xs.extend(gx.tolist())
        ys.extend(gy.tolist())
    return names, sectors, sizes, xs, ys


def _synthetic_firms(
    spec: dict[str, Any], n_firms: int, radius_km: float, rng: np.random.Generator
):
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
    """Firms of a region: specialised towns spread over an area that grows with the firm count.

    Town centres are spread over a disc whose radius grows with sqrt(n_firms), so the firm
    density, and with it the typical exchange distance, is the same for 1,000 or 10,000 firms.
    Each town draws its own sector mix from a Dirichlet distribution around the regional
    ``mix`` with total concentration ``town_mix_concentration``: a low value makes towns
    specialise (a few sectors each), so complementary partners are often in another town. The
    industrial diversity of an area is what drives how far NISP's materials travelled (Jensen
    2016, Resour. Conserv. Recycl. 107:92-103). Every draw is O(n_firms + n_towns x sectors).
    """
    mix_sectors, weights = _mix(spec, f"park {spec.get('name', '?')!r}")
    firms_per_town = float(spec.get("firms_per_town", 10))
    n_towns = max(1, int(round(n_firms / firms_per_town)))
    radius_km = float(spec.get("radius_km_per_1000_firms", 70.0)) * np.sqrt(n_firms / 1000)
    town_x, town_y = _points_in_disc(n_towns, radius_km, rng)
    town = rng.integers(0, n_towns, size=n_firms)
    jx, jy = _points_in_disc(n_firms, float(spec.get("town_radius_km", 1.0)), rng)
    concentration = float(spec.get("town_mix_concentration", 7.0))
    town_mix = rng.dirichlet(np.maximum(concentration * weights, 1e-3), size=n_towns)
    # Each firm's sector from its town's mix (inverse CDF); one firm of each sector while the
    # count allows, as in the synthetic park.
    below = rng.random(n_firms)[:, None] > np.cumsum(town_mix, axis=1)[town]
    sector_index = np.minimum(below.sum(1), len(weights) - 1)
    guaranteed = min(n_firms, len(weights))
    sector_index[:guaranteed] = np.arange(guaranteed)
    sector = mix_sectors[sector_index]
    sizes = np.empty(n_firms)
    for s in np.unique(sector):
        chosen = sector == s
        sizes[chosen] = _draw_sizes(int(s), int(chosen.sum()), rng)
    catalogue = sector_catalogue()
    names = [f"{catalogue.names[s]} {k + 1}" for k, s in enumerate(sector)]
    return names, sector, sizes, town_x[town] + jx, town_y[town] + jy
