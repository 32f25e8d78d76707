"""Scenario files: TOML descriptions of a park, a policy mix with timing and behaviour settings.

A scenario file states only what differs from the scenario it ``extends``::

    description = "A landfill tax of 80 EUR/t from year 2"
    source = "..."
    extends = "baseline"
    park = "kemi_tornio"            # optional: any park of scenarios/parks/

    [parameters]                    # any declared parameter
    trust_threshold = 0.6

    [policy.landfill_tax]           # an instrument: level, start_month, end_month
    level = 80.0
    start_month = 12

    [sensitivity]                   # optional ranges for sensitivity analysis
    trust_threshold = [0.3, 0.7]

Every name and value is checked against the single declaration in ``scenarios.parameters``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.errors import InputError
from scenarios.parameters import (
    INSTRUMENTS,
    PARAMETERS,
    ParameterError,
    Value,
    check_value,
    declaration,
    parse_value,
    validate,
)
from scenarios.resources import is_catalogue_name

SCENARIOS_DIR = Path(__file__).parent
TOP_LEVEL_KEYS = (
    "name",
    "description",
    "source",
    "extends",
    "park",
    "parameters",
    "policy",
    "sensitivity",
)
_INSTRUMENTS = {instrument.name: instrument for instrument in INSTRUMENTS}


class ScenarioError(InputError):
    """A scenario that cannot be loaded; the message names the file and the key."""


@dataclass
class Scenario:
    """A resolved scenario: its own settings merged over those of the scenarios it extends.

    Attributes:
        name: Built-in name or the file's stem.
        description: One-line description.
        source: Literature or seed the scenario follows.
        path: File it was read from.
        overrides: Parameters that differ from the declared defaults.
        sensitivity: Ranges for sensitivity analysis, ``{name: (low, high)}``.
    """

    name: str
    description: str = ""
    source: str = ""
    path: Path | None = None
    overrides: dict[str, Value] = field(default_factory=dict)
    sensitivity: dict[str, tuple[float, float]] = field(default_factory=dict)

    def parameters(self) -> dict[str, Value]:
        """Every parameter of the run: declared defaults overlaid with the overrides."""
        return validate(self.overrides)

    def with_overrides(self, overrides: dict[str, Value]) -> Scenario:
        """A copy with further overrides (e.g. ``--set`` or ``--park``), checked together."""
        merged = {**self.overrides, **overrides}
        try:
            validate(merged)
        except ParameterError as error:
            raise ScenarioError(f"{self.name}: {error}") from None
        return Scenario(
            self.name, self.description, self.source, self.path, merged, dict(self.sensitivity)
        )

    def content_hash(self) -> str:
        """Hash of the fully resolved parameters (for provenance and the result store)."""
        text = json.dumps(self.parameters(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_names() -> list[str]:
    """Names of the built-in scenarios, discovered from ``scenarios/*.toml``."""
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.toml"))


def builtin_scenarios() -> list[Scenario]:
    """Every built-in scenario, resolved."""
    return [load_scenario(name) for name in scenario_names()]


def scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """The file of a built-in scenario name or of a path.

    A bare name (no ``/``, no ``.toml``) is a built-in scenario first. Any other text is a file;
    with ``relative_to`` (the file that ``extends`` it), a relative path is read from that file's
    folder, and a bare name may also be a sibling ``NAME.toml``.

    Raises:
        ScenarioError: If neither a built-in scenario nor an existing file matches.
    """
    text = str(name_or_path)
    bare = "/" not in text and not text.endswith(".toml")
    if bare and text and (SCENARIOS_DIR / f"{text}.toml").is_file():
        return SCENARIOS_DIR / f"{text}.toml"
    path = Path(text)
    if relative_to is not None and not path.is_absolute():
        path = relative_to.parent / path
        if bare and not path.is_file():
            path = path.with_name(f"{path.name}.toml")
    if path.is_file():
        return path
    if not bare:
        what = "is a folder, not a scenario file" if path.is_dir() else "no such scenario file"
        raise ScenarioError(f"{path}: {what}")
    raise ScenarioError(
        f"unknown scenario {text!r}{_suggest(text, scenario_names())} "
        f"(built-in scenarios: {', '.join(scenario_names())})"
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and resolve a scenario by built-in name or file path.

    Raises:
        ScenarioError: On a missing file, malformed TOML, an unknown key or a disallowed value,
            a circular ``extends``, or an end month before its start month.
    """
    return _load(scenario_path(name_or_path), chain=())


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: malformed TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: malformed TOML: not UTF-8 text (byte {error.start})"
        ) from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None


def _load(path: Path, chain: tuple[Path, ...]) -> Scenario:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.stem for p in (*chain, resolved))
        raise ScenarioError(f"{path}: circular extends ({cycle})")
    table = _read(path)
    for key in table:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(
                f"{path}: unknown key {key!r}{_suggest(key, TOP_LEVEL_KEYS)} "
                f"(allowed: {', '.join(TOP_LEVEL_KEYS)})"
            )
    for key in ("description", "source", "name", "extends"):
        if key in table and not isinstance(table[key], str):
            raise ScenarioError(f"{path}: {key} must be a string, got {table[key]!r}")
    if "name" in table and not _NAME.fullmatch(table["name"]):
        raise ScenarioError(
            f"{path}: name must be letters, digits, '_', '-' or '.', got {table['name']!r}"
        )
    base = Scenario(name="defaults")
    if "extends" in table:
        try:
            parent_path = scenario_path(table["extends"], relative_to=path)
        except ScenarioError as error:
            raise ScenarioError(f"{path}: extends: {error}") from None
        base = _load(parent_path, (*chain, resolved))
    own, where = _own_parameters(path, table)
    overrides = {**base.overrides, **own}
    sensitivity = {**base.sensitivity, **_sensitivity(path, table.get("sensitivity", {}))}
    _check_timing(path, overrides, where)
    try:
        validate(overrides)
    except ParameterError as error:
        raise ScenarioError(f"{path}: {error}") from None
    return Scenario(
        name=str(table.get("name", path.stem)),
        description=str(table.get("description", base.description)),
        source=str(table.get("source", base.source)),
        path=path,
        overrides=overrides,
        sensitivity=sensitivity,
    )


_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _suggest(name: str, options: Any) -> str:
    match = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _checked(path: Path, where: str, name: str, value: Any) -> Value:
    if value == "none" and PARAMETERS.get(name) is not None and PARAMETERS[name].optional:
        value = None  # TOML has no null: "none" unsets an optional month inherited from a parent
    try:
        return check_value(name, value)
    except ParameterError as error:
        message = str(error)
        if message.startswith(name):
            message = message[len(name) :].lstrip(" :")
        raise ScenarioError(f"{path}: {where} {message}") from None


def _check_timing(path: Path, overrides: dict[str, Value], where: dict[str, str]) -> None:
    """Say in the file's own terms when an instrument ends before it starts."""
    for instrument in INSTRUMENTS:
        start = overrides.get(instrument.start_param, PARAMETERS[instrument.start_param].default)
        end = overrides.get(instrument.end_param)
        if isinstance(end, int | float) and isinstance(start, int | float) and end <= start:
            table = f"[policy.{instrument.name}]"
            raise ScenarioError(
                f"{path}: {table} end_month = {end} must come after start_month = {start} "
                f"(an instrument is in force from start_month up to, not including, end_month"
                f"{'; start_month is inherited' if instrument.start_param not in where else ''}"
                f"{'; end_month is inherited' if instrument.end_param not in where else ''})"
            )


def _own_parameters(path: Path, table: dict[str, Any]) -> tuple[dict[str, Value], dict[str, str]]:
    """The parameters a file sets itself, and where in the file each one is set.

    Raises:
        ScenarioError: On an unknown name or a disallowed value, or a parameter set twice.
    """
    own: dict[str, Value] = {}
    where: dict[str, str] = {}

    def put(location: str, name: str, value: Any) -> None:
        if name in own:
            raise ScenarioError(f"{path}: {location} sets {name}, already set by {where[name]}")
        own[name] = _checked(path, location, name, value)
        where[name] = location

    if "park" in table:
        put("park", "park", table["park"])
    parameters = table.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ScenarioError(f"{path}: [parameters] must be a table of name = value")
    for name, value in _flat_catalogue_names(parameters).items():
        if name not in PARAMETERS and not is_catalogue_name(name):
            raise ScenarioError(
                f"{path}: [parameters] unknown parameter {name!r}"
                f"{_suggest(name, PARAMETERS)} (see 'symbiosis parameters')"
            )
        put(f"[parameters] {name}", name, value)
    policy = table.get("policy", {})
    if not isinstance(policy, dict):
        raise ScenarioError(f"{path}: [policy] must hold tables such as [policy.landfill_tax]")
    for instrument_name, settings in policy.items():
        instrument = _INSTRUMENTS.get(instrument_name)
        if instrument is None:
            raise ScenarioError(
                f"{path}: unknown policy instrument {instrument_name!r}"
                f"{_suggest(instrument_name, _INSTRUMENTS)} (instruments: "
                f"{', '.join(_INSTRUMENTS)})"
            )
        if not isinstance(settings, dict):
            raise ScenarioError(
                f"{path}: [policy.{instrument_name}] must be a table of "
                "level, start_month, end_month"
            )
        names = instrument_keys(instrument_name)
        for key, value in settings.items():
            if key not in names:
                raise ScenarioError(
                    f"{path}: [policy.{instrument_name}] unknown key {key!r}"
                    f"{_suggest(key, names)} (allowed: {', '.join(names)})"
                )
            put(f"[policy.{instrument_name}] {key}", names[key], value)
    return own, where


def instrument_keys(instrument_name: str) -> dict[str, str]:
    """Keys allowed in ``[policy.<instrument>]`` and the parameter each one sets."""
    instrument = _INSTRUMENTS[instrument_name]
    names = {
        "level": instrument.level.name,
        "start_month": instrument.start_param,
        "end_month": instrument.end_param,
    }
    names.update({extra.name: extra.name for extra in instrument.extra})
    return names


def _flat_catalogue_names(table: dict[str, Any]) -> dict[str, Any]:
    """The table with catalogue numbers written as TOML dotted keys back under their names.

    ``streams.slag.gate_fee_eur_per_unit = 40`` makes nested tables; a quoted key is already one.
    """
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            flat[prefix] = value

    for name, value in table.items():
        if name in ("streams", "sectors") and isinstance(value, dict):
            walk(name, value)
        else:
            flat[name] = value
    return flat


def _sensitivity(path: Path, table: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: [sensitivity] must be a table of name = [low, high]")
    ranges: dict[str, tuple[float, float]] = {}
    for name, bounds in _flat_catalogue_names(table).items():
        if name not in PARAMETERS and not is_catalogue_name(name):
            raise ScenarioError(
                f"{path}: [sensitivity] unknown parameter {name!r}"
                f"{_suggest(name, PARAMETERS)} (see 'symbiosis parameters')"
            )
        try:
            parameter = declaration(name)
        except ParameterError as error:
            raise ScenarioError(f"{path}: [sensitivity] {error}") from None
        if parameter.type not in (int, float):
            raise ScenarioError(
                f"{path}: [sensitivity] {name} is not numeric "
                f"({parameter.allowed()}); only numbers can be given a range"
            )
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        ):
            raise ScenarioError(f"{path}: [sensitivity] {name} must be [low, high], got {bounds!r}")
        low, high = float(bounds[0]), float(bounds[1])
        for bound in (low, high):
            if parameter.type is int and not bound.is_integer():
                raise ScenarioError(
                    f"{path}: [sensitivity] {name} must have whole-number "
                    f"bounds ({parameter.allowed()}), got {bounds!r}"
                )
            _checked(
                path, f"[sensitivity] {name}", name, int(bound) if parameter.type is int else bound
            )
        if not low < high:
            raise ScenarioError(
                f"{path}: [sensitivity] {name}: low {low:g} must be below high {high:g}"
            )
        ranges[name] = (low, high)
    return ranges


def parse_overrides(assignments: list[str]) -> dict[str, Value]:
    """Parse ``--set key=value`` strings into checked values.

    Raises:
        ScenarioError: If an assignment has no ``=`` or names or sets a disallowed value.
    """
    overrides: dict[str, Value] = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        if not sep or not name.strip():
            raise ScenarioError(f"--set {text!r}: expected key=value")
        try:
            overrides[name.strip()] = parse_value(name.strip(), raw)
        except ParameterError as error:
            raise ScenarioError(f"--set {text!r}: {error}") from None
    return overrides
