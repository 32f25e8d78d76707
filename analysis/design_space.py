"""What policy design works over: ranges of declared levers and uncertainties, outputs, conditions.

Shared by exploration (``analysis.exploration``), scenario discovery (``analysis.discovery``) and
optimisation (``analysis.optimisation``): every name is checked against the single parameter
declaration (``scenarios.parameters``, which separates levers from uncertainties) and the scalar
outputs of a run, and every mistake is a one-line ``DesignError``.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scenarios.errors import InputError


class DesignError(InputError):
    """A mistake in an exploration, discovery or optimisation request (one line)."""


def scalar_output_names() -> tuple[str, ...]:
    """Names of the scalar outputs a run reports (from the output declaration)."""
    from scenarios.outputs import scalar_output_names as declared

    return declared()


def output_bounds(name: str) -> tuple[float | None, float | None]:
    """The range a scalar output can take, from its declared output's bounds.

    ``final_`` and ``mean_`` of an output keep both of its bounds; a run total (a sum over
    months) keeps only a lower bound of zero or more; ``None`` is unbounded.
    """
    from scenarios.outputs import scalar_output

    declared = scalar_output(name).output
    if name.startswith(("final_", "mean_")):
        return declared.low, declared.high
    if name.startswith("total_") and declared.scope == "month":
        low = declared.low if declared.low is not None and declared.low >= 0 else None
        return low, None
    return declared.low, declared.high


def check_output(name: str, where: str) -> str:
    """Return ``name`` if it is a scalar output, else raise naming ``where`` and a close match.

    Raises:
        DesignError: If ``name`` is not a scalar output.
    """
    names = scalar_output_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DesignError(
            f"{where}: unknown output {name!r}{hint}; outputs are final_<indicator>, "
            "mean_<indicator>, total_<x> and chertow_first_step ('symbiosis outputs --scalars')"
        )
    return name


def require(module: str, extra: str = "design") -> Any:
    """Import an optional dependency, or raise a one-line error naming the extra to install.

    Raises:
        DesignError: If ``module`` is not installed.
    """
    import importlib
    import warnings

    try:
        with warnings.catch_warnings():
            # ema_workbench warns at import about optional parallel back ends it does not need.
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        raise DesignError(
            f"this needs {module.split('.')[0]}, part of the {extra} extra: "
            f"pip install 'symbiosis[{extra}]'"
        ) from None


# --- ranges of levers and uncertainties ------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A declared numeric parameter and the interval design code varies it over.

    Attributes:
        name: Declared parameter name.
        low: Lower bound, in the parameter's unit.
        high: Upper bound.
        integer: Whether the parameter takes whole numbers (start months, levels of a platform).
    """

    name: str
    low: float
    high: float
    integer: bool

    def value(self, unit_value: float) -> int | float:
        """The parameter value at ``unit_value`` in [0, 1] of the range (rounded if whole)."""
        raw = self.low + float(unit_value) * (self.high - self.low)
        if self.integer:
            return int(min(self.high, max(self.low, round(raw))))
        # 12 significant digits: the same candidate always gets the same run key.
        return float(f"{raw:.12g}")


def parse_range(text: str, kind: str, flag: str = "--param") -> Range:
    """Parse ``NAME`` (its declared range) or ``NAME=LOW:HIGH`` of a declared ``kind``.

    Args:
        text: The option's value.
        kind: ``"lever"`` or ``"uncertainty"``: the parameter must be declared as one.
        flag: The option, for messages.

    Raises:
        DesignError: If the name is unknown, of the other kind, not numeric, or the range is
            malformed or outside the declared one.
    """
    from analysis.sensitivity import SensitivityError
    from analysis.sensitivity_model import parse_param_range
    from scenarios.parameters import PARAMETERS

    name = text.partition("=")[0].strip()
    if name in PARAMETERS and PARAMETERS[name].kind != kind:
        raise DesignError(
            f"{flag} {text!r}: {name} is declared as {PARAMETERS[name].kind!r}, not {kind!r} "
            f"(see 'symbiosis parameters')"
        )
    try:
        parsed = parse_param_range(text)
    except SensitivityError as error:
        raise DesignError(str(error).replace("--param", flag, 1)) from None
    if PARAMETERS[name].type is bool:
        raise DesignError(f"{flag} {text!r}: {name} is true/false, not a range")
    return Range(parsed.name, parsed.low, parsed.high, parsed.integer)


def parse_ranges(texts: Sequence[str], kind: str, flag: str = "--param") -> list[Range]:
    """Parse several ranges (see ``parse_range``); a name given twice is an error."""
    ranges = [parse_range(text, kind, flag) for text in texts]
    names = [r.name for r in ranges]
    for name in names:
        if names.count(name) > 1:
            raise DesignError(f"{flag} {name}: given twice")
    return ranges


def declared_ranges(kind: str) -> list[Range]:
    """Every numeric parameter of ``kind`` with a closed declared range (booleans excluded)."""
    from scenarios.parameters import PARAMETERS

    return [
        Range(p.name, float(p.low), float(p.high), p.type is int)
        for p in PARAMETERS.values()
        if p.kind == kind
        and p.type in (int, float)
        and p.low is not None
        and p.high is not None
        and p.default is not None
    ]


def sample_unit(method: str, n: int, dimensions: int, seed: int) -> np.ndarray:
    """``n`` points in the unit hypercube: Latin hypercube or scrambled Sobol (scipy.stats.qmc).

    Raises:
        DesignError: On an unknown method.
    """
    from scipy.stats import qmc

    if method == "lhs":
        sampler: Any = qmc.LatinHypercube(d=dimensions, seed=np.random.default_rng(seed))
    elif method == "sobol":
        sampler = qmc.Sobol(d=dimensions, scramble=True, seed=np.random.default_rng(seed))
    else:
        raise DesignError(f"--sampler {method!r}: expected lhs or sobol")
    import warnings

    with warnings.catch_warnings():
        # Sobol balance needs n a power of two; other n are allowed, only less balanced.
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(sampler.random(n))


def sample_ranges(ranges: Sequence[Range], n: int, method: str, seed: int) -> list[dict[str, Any]]:
    """``n`` points over ``ranges`` as ``{name: value}`` (whole-number parameters rounded)."""
    unit = sample_unit(method, n, len(ranges), seed)
    return [{r.name: r.value(u) for r, u in zip(ranges, row, strict=True)} for row in unit]


# --- conditions and objectives ---------------------------------------------------------------

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Condition:
    """``OUTPUT OP VALUE``, e.g. ``total_co2_avoided_t < 20000``.

    Attributes:
        output: A scalar output name.
        op: One of ``<``, ``<=``, ``>``, ``>=``.
        value: The threshold, in the output's unit.
    """

    output: str
    op: str
    value: float

    def holds(self, values: Any) -> Any:
        """Whether the condition holds for each value (a NaN never satisfies it)."""
        return _OPERATORS[self.op](values, self.value)

    def violation(self, value: float) -> float:
        """How far ``value`` misses the condition (<= 0 when it holds): pymoo's ``G``."""
        return self.value - value if self.op in (">", ">=") else value - self.value

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.value:g}"


def parse_condition(text: str, flag: str) -> Condition:
    """Parse ``"OUTPUT OP VALUE"`` with OP one of < <= > >=.

    Raises:
        DesignError: If it is malformed or names an unknown output.
    """
    match = _CONDITION.match(text)
    value = math.nan
    if match:
        try:
            value = float(match.group(3))
        except ValueError:
            value = math.nan
    if not match or not math.isfinite(value):
        raise DesignError(
            f'{flag} {text!r}: expected "OUTPUT OP VALUE" with OP one of < <= > >=, '
            'e.g. "total_co2_avoided_t < 20000"'
        )
    condition = Condition(check_output(match.group(1), flag), match.group(2), value)
    low, high = output_bounds(condition.output)
    never = (
        (condition.op in (">", ">=") and high is not None and value > high)
        or (condition.op in ("<", "<=") and low is not None and value < low)
        or (condition.op == ">" and high is not None and value == high)
        or (condition.op == "<" and low is not None and value == low)
    )
    if never:
        raise DesignError(
            f"{flag} {text!r}: can never hold; {condition.output} is declared in "
            f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
        )
    return condition


@dataclass(frozen=True)
class Objective:
    """An output to maximise or minimise.

    Attributes:
        output: A scalar output name.
        sense: ``"max"`` or ``"min"``.
    """

    output: str
    sense: str

    def to_minimise(self, value: float) -> float:
        """The value as a quantity to minimise (pymoo minimises)."""
        return -value if self.sense == "max" else value

    def __str__(self) -> str:
        return f"{self.output}:{self.sense}"


def parse_objective(text: str) -> Objective:
    """Parse ``OUTPUT:max`` or ``OUTPUT:min``.

    Raises:
        DesignError: If malformed or the output is unknown.
    """
    output, sep, sense = text.rpartition(":")
    if not sep or sense.strip() not in ("max", "min") or not output.strip():
        raise DesignError(
            f"--objective {text!r}: expected OUTPUT:max or OUTPUT:min, e.g. total_co2_avoided_t:max"
        )
    return Objective(check_output(output.strip(), "--objective"), sense.strip())


def lever_values(params: dict[str, Any]) -> dict[str, Any]:
    """The lever settings among a full parameter dict (what a policy is)."""
    from scenarios.parameters import PARAMETERS

    return {
        name: value
        for name, value in params.items()
        if name in PARAMETERS and PARAMETERS[name].kind == "lever"  # not catalogue numbers
    }


def as_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame (an empty frame when there are none)."""
    return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
