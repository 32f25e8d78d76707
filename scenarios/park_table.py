"""A park file from a facility table: a researcher's own park from a spreadsheet.

The table (CSV, one header line) has one row per facility and stream, or one row per facility
without streams::

    name,sector,x_km,y_km,stream,quantity_per_year
    Power plant,energy,0,0,fly_ash,9600
    Power plant,energy,0,0,gypsum,3600
    Cement works,cement_construction,2.5,-1,,

Columns: ``name`` and ``sector`` (a sector of ``scenarios/catalogue/sectors.toml``); the
position as ``x_km`` and ``y_km`` (km from any origin) or as ``lat`` and ``lon`` (degrees,
projected to km around their mean); optionally ``stream`` with ``quantity_per_year`` (the
stream's quantity per year in its catalogue unit, t, MWh or m3, of a stream the sector produces
or needs; ``tonnes_per_year`` instead when every listed stream is measured in tonnes), and
``size``.

The model scales every stream of a firm by one size (a firm of size 1 has the sector's catalogue
quantities). Without a ``size`` column, a facility's size is the mean over its listed streams of
listed quantity / catalogue quantity of its sector (size 1 when no stream is listed); the file
records every listed quantity in a comment beside the firm. Every mistake is one line naming the
file, the row (line number) and the column.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.errors import InputError

EARTH_RADIUS_KM = 6371.0  # mean Earth radius (IUGG); an equirectangular projection suffices
MONTHS_PER_YEAR = 12
REQUIRED_COLUMNS = ("name", "sector")
QUANTITY_COLUMNS = ("quantity_per_year", "tonnes_per_year")
KNOWN_COLUMNS = (
    "name",
    "sector",
    "x_km",
    "y_km",
    "lat",
    "lon",
    "stream",
    *QUANTITY_COLUMNS,
    "size",
)


class TableError(InputError):
    """A facility table that cannot become a park; the message names file, row and column."""


@dataclass
class Facility:
    """One facility of the table, with the streams listed for it.

    Attributes:
        name: Facility name (unique in the park).
        sector: Catalogue sector.
        position: ``(x_km, y_km)`` or ``(lat, lon)`` as given.
        line: Line of the table where the facility first appears.
        size: Size given in the table, if any.
        streams: ``{stream: quantity per year}`` listed for it.
    """

    name: str
    sector: str
    position: tuple[float, float]
    line: int
    size: float | None = None
    streams: dict[str, float] = field(default_factory=dict)


def _number(text: str, where: str, column: str, rule: str = "any") -> float:
    """A number of a cell; ``rule`` is ``any`` (finite), ``non-negative`` or ``positive``."""
    try:
        value = float(text)
    except ValueError:
        raise TableError(f"{where}, column {column}: expected a number, got {text!r}") from None
    if (
        not math.isfinite(value)
        or (rule == "positive" and value <= 0)
        or (rule == "non-negative" and value < 0)
    ):
        wanted = {"any": "a finite number", "positive": "above 0", "non-negative": "at least 0"}
        raise TableError(f"{where}, column {column}: must be {wanted[rule]}, got {text!r}")
    return value


def read_facilities(path: str | Path) -> list[Facility]:
    """Read and check a facility table.

    Raises:
        TableError: On a missing file or column, an unknown sector or stream, a bad number, or
            one facility given two sectors or positions, naming the row and column.
    """
    from scenarios.resources import sector_catalogue, stream_catalogue

    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such facility table")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise TableError(f"{path}: cannot read the table ({error})") from None
    for column in header:
        if column not in KNOWN_COLUMNS:
            match = difflib.get_close_matches(column, KNOWN_COLUMNS, n=1, cutoff=0.6)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise TableError(
                f"{path}, line 1, column {column!r}: unknown column{hint} (columns: "
                f"{', '.join(KNOWN_COLUMNS)})"
            )
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise TableError(f"{path}, line 1: no column {column!r} (needs name and sector)")
    if {"x_km", "y_km"} <= set(header):
        axes = ("x_km", "y_km")
    elif {"lat", "lon"} <= set(header):
        axes = ("lat", "lon")
    else:
        raise TableError(f"{path}, line 1: needs position columns x_km and y_km, or lat and lon")
    quantities = [c for c in QUANTITY_COLUMNS if c in header]
    if len(quantities) > 1:
        raise TableError(f"{path}, line 1: give quantity_per_year or tonnes_per_year, not both")
    quantity_column = quantities[0] if quantities else "quantity_per_year"
    if ("stream" in header) != bool(quantities):
        raise TableError(
            f"{path}, line 1: a stream column goes with quantity_per_year (or tonnes_per_year)"
        )
    sectors = sector_catalogue()
    streams = stream_catalogue()
    facilities: dict[str, Facility] = {}
    for line, raw in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if None in raw or any(value is None for value in raw.values()):
            raise TableError(f"{where}: expected {len(header)} values, one per column")
        row = {key.strip(): (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        name = row["name"]
        if not name:
            raise TableError(f"{where}, column name: empty")
        sector = row["sector"]
        if sector not in sectors.names:
            match = difflib.get_close_matches(sector, sectors.names, n=1, cutoff=0.6)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise TableError(
                f"{where}, column sector: unknown sector {sector!r}{hint} (sectors: "
                f"{', '.join(sectors.names)})"
            )
        position = (_number(row[axes[0]], where, axes[0]), _number(row[axes[1]], where, axes[1]))
        if axes == ("lat", "lon") and not (abs(position[0]) <= 90 and abs(position[1]) <= 180):
            raise TableError(f"{where}, column lat/lon: not a position on Earth {position}")
        size = _number(row["size"], where, "size", "positive") if row.get("size") else None
        facility = facilities.get(name)
        if facility is None:
            facility = facilities[name] = Facility(name, sector, position, line, size)
        else:
            for column, given, first in (
                ("sector", sector, facility.sector),
                (f"{axes[0]}/{axes[1]}", position, facility.position),
                ("size", size, facility.size),
            ):
                if given != first:
                    raise TableError(
                        f"{where}, column {column}: {name!r} has {given!r} here but {first!r} "
                        f"on line {facility.line}"
                    )
        stream = row.get("stream", "")
        quantity_text = row.get(quantity_column, "")
        if not stream and not quantity_text:
            continue
        if not stream:
            raise TableError(f"{where}, column stream: empty, but {quantity_column} is given")
        if stream not in streams.names:
            match = difflib.get_close_matches(stream, streams.names, n=1, cutoff=0.6)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise TableError(
                f"{where}, column stream: unknown stream {stream!r}{hint} (streams: "
                f"{', '.join(streams.names)})"
            )
        if not quantity_text:
            raise TableError(f"{where}, column {quantity_column}: empty for stream {stream!r}")
        s, j = sectors.index(sector), streams.index(stream)
        unit = streams.units[j]
        if quantity_column == "tonnes_per_year" and unit != "t":
            raise TableError(
                f"{where}, column tonnes_per_year: stream {stream!r} is measured in {unit}, "
                "not tonnes (name the column quantity_per_year: each stream in its unit)"
            )
        if sectors.produces_per_month[s, j] <= 0 and sectors.needs_per_month[s, j] <= 0:
            raise TableError(
                f"{where}, column stream: sector {sector!r} neither produces nor needs "
                f"{stream!r} in the catalogue (scenarios/catalogue/sectors.toml)"
            )
        if stream in facility.streams:
            raise TableError(f"{where}, column stream: {stream!r} of {name!r} is listed twice")
        facility.streams[stream] = _number(quantity_text, where, quantity_column, "non-negative")
    if len(facilities) < 2:
        raise TableError(
            f"{path}: a park needs at least two facilities, the table has {len(facilities)}"
        )
    return list(facilities.values())


def facility_size(facility: Facility) -> float:
    """The size of a facility: given, else mean ratio of listed to catalogue quantities (or 1)."""
    from scenarios.resources import sector_catalogue, stream_catalogue

    if facility.size is not None:
        return facility.size
    sectors, streams = sector_catalogue(), stream_catalogue()
    s = sectors.index(facility.sector)
    ratios = []
    for stream, per_year in facility.streams.items():
        j = streams.index(stream)
        per_month = float(sectors.produces_per_month[s, j] or sectors.needs_per_month[s, j])
        ratios.append(per_year / MONTHS_PER_YEAR / per_month)
    size = sum(ratios) / len(ratios) if ratios else 1.0
    return max(size, 1e-3)  # a firm needs a positive size; a listed zero keeps it tiny


def positions_km(facilities: list[Facility], geographic: bool) -> list[tuple[float, float]]:
    """Positions in km: as given, or latitude/longitude projected around their mean."""
    if not geographic:
        return [f.position for f in facilities]
    lat0 = sum(f.position[0] for f in facilities) / len(facilities)
    lon0 = sum(f.position[1] for f in facilities) / len(facilities)
    scale = math.pi / 180 * EARTH_RADIUS_KM
    return [
        (
            (f.position[1] - lon0) * scale * math.cos(math.radians(lat0)),
            (f.position[0] - lat0) * scale,
        )
        for f in facilities
    ]


def park_from_table(path: str | Path, name: str | None = None) -> str:
    """The text of a park file (TOML) built from a facility table.

    Args:
        path: The facility table (CSV).
        name: Park name (default: the table's file name without suffix).

    Raises:
        TableError: On any mistake in the table (one line naming row and column).
    """
    path = Path(path)
    facilities = read_facilities(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        geographic = "lat" in [c.strip() for c in next(csv.reader(handle))]
    positions = positions_km(facilities, geographic)
    cx = sum(x for x, _ in positions) / len(positions)
    cy = sum(y for _, y in positions) / len(positions)
    radius = max(1.0, max(math.hypot(x - cx, y - cy) for x, y in positions))
    park_name = name or path.stem
    lines = [
        f"# Park built by 'symbiosis park-from-table {path.name}'. Check it with",
        "# 'symbiosis validate' and run it with 'symbiosis run SCENARIO --park THIS_FILE'.",
        f"name = {json.dumps(park_name)}",
        "description = "
        + json.dumps(f"{park_name}: {len(facilities)} facilities from {path.name}"),
        "source = "
        + json.dumps(
            f"facility table {path.name}; sizes from its listed tonnages against the sector "
            "catalogue"
        ),
        'generator = "explicit"',
        f"radius_km = {radius:.3g}",
    ]
    for facility, (x, y) in zip(facilities, positions, strict=True):
        lines += ["", "[[firms]]"]
        if facility.streams:
            listed = ", ".join(f"{s} {q:g}/year" for s, q in facility.streams.items())
            lines.append(f"# listed in the table: {listed}")
        lines += [
            f"name = {json.dumps(facility.name)}",
            f"sector = {json.dumps(facility.sector)}",
            f"size = {facility_size(facility):.4g}",
            f"x_km = {round(x, 3) + 0.0:g}",
            f"y_km = {round(y, 3) + 0.0:g}",
        ]
    return "\n".join(lines) + "\n"


__all__ = ["Facility", "TableError", "facility_size", "park_from_table", "read_facilities"]
