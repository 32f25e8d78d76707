"""Calibration targets: observed quantities of real parks and the uncertainties fitted to them.

A targets file (TOML, under ``scenarios/targets/``) lists what was observed (a statistic of a
declared output of a run of a scenario on a park, its observed value, uncertainty and source,
and whether it is fitted or held out for validation) and which declared uncertainties are fitted,
with their prior ranges. The file is validated strictly: every problem is one line naming the
file and the key.

Statistics of a timeseries output over the years ``[first, last]`` of a run (year 1 is months
1-12): ``sum`` (the total over those years, e.g. exchanges begun in a decade), ``yearly_mean``
(that total divided by the number of years, e.g. a yearly saving) and ``monthly_mean`` (the mean
monthly value, for stocks such as active exchanges). ``scalar`` takes a scalar output of the run
as it is (``total_*``, ``mean_*``, ``final_*``) and needs no window.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.errors import InputError

TARGETS_DIR = Path(__file__).resolve().parent / "targets"
WINDOW_STATISTICS = ("sum", "yearly_mean", "monthly_mean")
STATISTICS = (*WINDOW_STATISTICS, "scalar")
ROLES = ("fit", "holdout")
TARGET_KEYS = {
    "name",
    "park",
    "scenario",
    "months",
    "output",
    "statistic",
    "years",
    "observed",
    "uncertainty",
    "source",
    "role",
    "note",
}
REQUIRED_TARGET_KEYS = ("name", "output", "statistic", "observed", "uncertainty", "source", "role")
TOP_KEYS = {"description", "park", "scenario", "months", "targets", "fit", "note"}


class TargetsError(InputError):
    """A targets file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Target:
    """One observed quantity.

    Attributes:
        name: Identifier (unique in the file).
        park: Park simulated (built-in name).
        scenario: Scenario simulated (built-in name or path).
        months: Months per run.
        output: A declared timeseries output (window statistics) or scalar output (``scalar``).
        statistic: One of ``STATISTICS``.
        years: First and last year of the window (inclusive; year 1 is months 1-12).
        observed: The observed value, in the statistic's unit.
        uncertainty: One standard deviation of the observation (same unit), > 0.
        source: Where the observed value comes from.
        role: ``fit`` (in the distance) or ``holdout`` (validation only).
        note: What the comparison leaves out.
    """

    name: str
    park: str
    scenario: str
    months: int
    output: str
    statistic: str
    years: tuple[int, int]
    observed: float
    uncertainty: float
    source: str
    role: str
    note: str = ""

    @property
    def setting(self) -> tuple[str, str, int]:
        """(scenario, park, months): targets sharing it share one run per particle."""
        return (self.scenario, self.park, self.months)


@dataclass(frozen=True)
class Prior:
    """A fitted uncertainty and its uniform prior range."""

    name: str
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class Targets:
    """A validated targets file."""

    path: Path
    description: str
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]

    def fitted(self) -> tuple[Target, ...]:
        """Targets in the distance."""
        return tuple(t for t in self.targets if t.role == "fit")

    def settings(self) -> list[tuple[str, str, int]]:
        """Distinct (scenario, park, months) of the targets, in order of appearance."""
        return list(dict.fromkeys(t.setting for t in self.targets))


def targets_path(name_or_path: str | Path) -> Path:
    """A built-in targets name (``kalundborg``) or the path of a targets file.

    Raises:
        TargetsError: If neither exists.
    """
    text = str(name_or_path)
    path = Path(text)
    if path.is_file():
        return path
    builtin = TARGETS_DIR / f"{text}.toml"
    if "/" not in text and builtin.is_file():
        return builtin
    known = ", ".join(sorted(p.stem for p in TARGETS_DIR.glob("*.toml")))
    raise TargetsError(f"{text}: no such targets file (built-in targets: {known})")


def load_targets(name_or_path: str | Path) -> Targets:
    """Read and validate a targets file.

    Raises:
        TargetsError: On any problem, naming the file and the key.
    """
    path = targets_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise TargetsError(f"{path}: not valid TOML ({error})") from None
    _unknown(path, "", data, TOP_KEYS)
    defaults = {
        "park": data.get("park"),
        "scenario": str(data.get("scenario", "baseline")),
        "months": data.get("months", 600),
    }
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise TargetsError(f"{path}: [[targets]]: at least one target is needed")
    targets = [_target(path, k, raw, defaults) for k, raw in enumerate(raw_targets)]
    names = [t.name for t in targets]
    for name in names:
        if names.count(name) > 1:
            raise TargetsError(f"{path}: [[targets]] name {name!r}: given twice")
    if not any(t.role == "fit" for t in targets):
        raise TargetsError(f'{path}: [[targets]]: no target has role = "fit"')
    priors = _priors(path, data.get("fit"))
    return Targets(path, str(data.get("description", "")), tuple(targets), priors)


def _unknown(path: Path, where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise TargetsError(
                f"{path}: {where}unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def _text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TargetsError(f"{path}: {where}: expected a non-empty text, got {value!r}")
    return value


def _number(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TargetsError(f"{path}: {where}: expected a number, got {value!r}")
    return float(value)


def _target(path: Path, k: int, raw: Any, defaults: dict[str, Any]) -> Target:
    from scenarios.outputs import scalar_output_names, series
    from scenarios.parks import ParkError, load_park_spec

    where = f"[[targets]] #{k + 1}"
    if not isinstance(raw, dict):
        raise TargetsError(f"{path}: {where}: expected a table")
    if isinstance(raw.get("name"), str):
        where = f"[[targets]] {raw['name']!r}"
    _unknown(path, f"{where} ", raw, TARGET_KEYS)
    for key in REQUIRED_TARGET_KEYS:
        if key not in raw:
            raise TargetsError(f"{path}: {where}: missing key {key!r}")
    name = _text(path, f"{where} name", raw["name"])
    if raw.get("park", defaults["park"]) is None:
        raise TargetsError(f"{path}: {where}: missing key 'park' (or a top-level park)")
    park = _text(path, f"{where} park", raw.get("park", defaults["park"]))
    try:
        load_park_spec(park)
    except (ParkError, InputError) as error:
        raise TargetsError(f"{path}: {where} park: {error}") from None
    scenario = _text(path, f"{where} scenario", raw.get("scenario", defaults["scenario"]))
    from scenarios.loader import load_scenario

    try:
        load_scenario(scenario)
    except InputError as error:
        raise TargetsError(f"{path}: {where} scenario: {error}") from None
    months = raw.get("months", defaults["months"])
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise TargetsError(f"{path}: {where} months: expected a whole number >= 1, got {months!r}")
    statistic = raw["statistic"]
    if statistic not in STATISTICS:
        raise TargetsError(
            f"{path}: {where} statistic: {statistic!r} is not one of {', '.join(STATISTICS)}"
        )
    output = _text(path, f"{where} output", raw["output"])
    years: tuple[int, int] = (1, months // 12 or 1)
    if statistic == "scalar":
        if output not in scalar_output_names():
            raise TargetsError(
                f"{path}: {where} output: {output!r} is not a scalar output of a run "
                "(see 'symbiosis outputs')"
            )
        if "years" in raw:
            raise TargetsError(f"{path}: {where} years: a scalar statistic takes no window")
    else:
        if output not in {o.name for o in series()}:
            raise TargetsError(
                f"{path}: {where} output: {output!r} is not a declared timeseries output "
                "(see 'symbiosis outputs')"
            )
        window = raw.get("years", list(years))
        if (
            not isinstance(window, list)
            or len(window) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in window)
        ):
            raise TargetsError(f"{path}: {where} years: expected [first, last], got {window!r}")
        first, last = window
        if not 1 <= first <= last or last * 12 > months:
            raise TargetsError(
                f"{path}: {where} years: [{first}, {last}] must satisfy 1 <= first <= last and "
                f"lie within the {months} months simulated"
            )
        years = (first, last)
    observed = _number(path, f"{where} observed", raw["observed"])
    uncertainty = _number(path, f"{where} uncertainty", raw["uncertainty"])
    if uncertainty <= 0:
        raise TargetsError(f"{path}: {where} uncertainty: must be > 0, got {uncertainty:g}")
    role = raw["role"]
    if role not in ROLES:
        raise TargetsError(f"{path}: {where} role: {role!r} is not one of {', '.join(ROLES)}")
    return Target(
        name,
        park,
        scenario,
        months,
        output,
        statistic,
        years,
        observed,
        uncertainty,
        _text(path, f"{where} source", raw["source"]),
        role,
        str(raw.get("note", "")),
    )


def _priors(path: Path, table: Any) -> tuple[Prior, ...]:
    from scenarios.parameters import PARAMETERS, closest_name

    if not isinstance(table, dict) or not table:
        raise TargetsError(f"{path}: [fit]: at least one uncertainty NAME = [LOW, HIGH] is needed")
    priors = []
    for name, bounds in table.items():
        where = f"[fit] {name}"
        declared = PARAMETERS.get(name)
        if declared is None:
            hint = closest_name(name)
            raise TargetsError(
                f"{path}: {where}: not a declared parameter"
                + (f" (did you mean {hint!r}?)" if hint else "")
            )
        if declared.kind != "uncertainty" or declared.low is None or declared.high is None:
            raise TargetsError(f"{path}: {where}: not a numeric uncertainty ({declared.kind})")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise TargetsError(f"{path}: {where}: expected [LOW, HIGH], got {bounds!r}")
        low = _number(path, where, bounds[0])
        high = _number(path, where, bounds[1])
        if not declared.low <= low < high <= declared.high:
            raise TargetsError(
                f"{path}: {where}: [{low:g}, {high:g}] must be an interval within the declared "
                f"range [{declared.low:g}, {declared.high:g}]"
            )
        priors.append(Prior(name, low, high, isinstance(declared.default, int)))
    return tuple(priors)
