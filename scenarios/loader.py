"""Scenario files: TOML descriptions of a park, a policy mix with timing and behaviour settings.

A scenario file states only what differs from the scenario it ``extends``::

    description = "A landfill tax of 80 EUR/t from year 2"
    source = "..."
    extends = "baseline"
    park = "kemi_tornio"            # optional: any built-in park or a park file

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

import hashlib
import json
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
    parse_value,
    validate,
)

SCENARIOS_DIR = Path(__file__).parent
TOP_LEVEL_KEYS = ("name", "description", "source", "extends", "park", "parameters", "policy",
                  "sensitivity")
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
        return Scenario(self.name, self.description, self.source, self.path, merged,
                        dict(self.sensitivity))

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

    Raises:
        ScenarioError: If neither a built-in scenario nor an existing file matches.
    """
    text = str(name_or_path)
    builtin = SCENARIOS_DIR / f"{text}.toml"
    if "/" not in text and not text.endswith(".toml") and builtin.is_file():
        return builtin
    path = Path(text)
    if relative_to is not None and not path.is_absolute():
        sibling = relative_to.parent / path
        if sibling.is_file():
            return sibling
        if not path.suffix and (relative_to.parent / f"{text}.toml").is_file():
            return relative_to.parent / f"{text}.toml"
    if path.is_file():
        return path
    if path.suffix == ".toml" or "/" in text:
        raise ScenarioError(f"{text}: no such scenario file")
    raise ScenarioError(f"unknown scenario {text!r} "
                        f"(built-in scenarios: {', '.join(scenario_names())})")


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
            raise ScenarioError(f"{path}: unknown key {key!r}{_suggest(key, TOP_LEVEL_KEYS)} "
                                f"(allowed: {', '.join(TOP_LEVEL_KEYS)})")
    base = Scenario(name="defaults")
    if "extends" in table:
        if not isinstance(table["extends"], str):
            raise ScenarioError(f"{path}: extends must be a scenario name or file, "
                                f"got {table['extends']!r}")
        try:
            parent_path = scenario_path(table["extends"], relative_to=path)
        except ScenarioError as error:
            raise ScenarioError(f"{path}: extends: {error}") from None
        base = _load(parent_path, (*chain, resolved))
    overrides = dict(base.overrides)
    overrides.update(_own_parameters(path, table))
    sensitivity = {**base.sensitivity, **_sensitivity(path, table.get("sensitivity", {}))}
    try:
        validate(overrides)
    except ParameterError as error:
        raise ScenarioError(f"{path}: {error}") from None
    for key in ("description", "source", "name"):
        if key in table and not isinstance(table[key], str):
            raise ScenarioError(f"{path}: {key} must be a string, got {table[key]!r}")
    return Scenario(
        name=str(table.get("name", path.stem)),
        description=str(table.get("description", base.description)),
        source=str(table.get("source", base.source)),
        path=path,
        overrides=overrides,
        sensitivity=sensitivity,
    )


def _suggest(name: str, options: Any) -> str:
    import difflib

    match = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _checked(path: Path, where: str, name: str, value: Any) -> Value:
    try:
        return check_value(name, value)
    except ParameterError as error:
        raise ScenarioError(f"{path}: {where}: {error}") from None


def _own_parameters(path: Path, table: dict[str, Any]) -> dict[str, Value]:
    own: dict[str, Value] = {}
    if "park" in table:
        own["park"] = _checked(path, "park", "park", table["park"])
    parameters = table.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ScenarioError(f"{path}: [parameters] must be a table of name = value")
    for name, value in parameters.items():
        own[name] = _checked(path, f"[parameters] {name}", name, value)
    policy = table.get("policy", {})
    if not isinstance(policy, dict):
        raise ScenarioError(f"{path}: [policy] must hold tables such as [policy.landfill_tax]")
    for instrument_name, settings in policy.items():
        instrument = _INSTRUMENTS.get(instrument_name)
        if instrument is None:
            raise ScenarioError(
                f"{path}: unknown policy instrument {instrument_name!r}"
                f"{_suggest(instrument_name, _INSTRUMENTS)} (instruments: "
                f"{', '.join(_INSTRUMENTS)})")
        if not isinstance(settings, dict):
            raise ScenarioError(f"{path}: [policy.{instrument_name}] must be a table")
        names = {"level": instrument.level.name, "start_month": instrument.start_param,
                 "end_month": instrument.end_param}
        names.update({extra.name: extra.name for extra in instrument.extra})
        for key, value in settings.items():
            if key not in names:
                raise ScenarioError(
                    f"{path}: [policy.{instrument_name}] unknown key {key!r}"
                    f"{_suggest(key, names)} (allowed: {', '.join(names)})")
            own[names[key]] = _checked(path, f"[policy.{instrument_name}] {key}", names[key],
                                       value)
    return own


def _sensitivity(path: Path, table: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: [sensitivity] must be a table of name = [low, high]")
    ranges: dict[str, tuple[float, float]] = {}
    for name, bounds in table.items():
        if name not in PARAMETERS:
            raise ScenarioError(f"{path}: [sensitivity] {ParameterError.__name__}: "
                                f"unknown parameter {name!r}{_suggest(name, PARAMETERS)}")
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int | float) and not isinstance(b, bool)
                           for b in bounds)):
            raise ScenarioError(f"{path}: [sensitivity] {name} must be [low, high], "
                                f"got {bounds!r}")
        low, high = float(bounds[0]), float(bounds[1])
        if not low < high:
            raise ScenarioError(f"{path}: [sensitivity] {name}: low {low:g} must be below "
                                f"high {high:g}")
        for bound in (low, high):
            _checked(path, f"[sensitivity] {name}", name,
                     int(bound) if PARAMETERS[name].type is int else bound)
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
