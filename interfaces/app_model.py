"""The classroom app's model and controls, without any browser code.

``AppModel`` is ``SymbiosisModel`` started from a scenario, with the app's slider values laid
over it and, in side-by-side mode, a twin run of a second scenario on the same seed and park.
``control_specs`` generates the app's sliders and switches from the single parameter
declaration (``scenarios.parameters``); nothing here keeps a second list of ranges or defaults.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from scenarios.loader import load_scenario
from scenarios.parameters import (
    INSTRUMENTS,
    PARAMETERS,
    Parameter,
    Value,
    numeric_range,
    validate,
)
from simulation.model import SymbiosisModel
from simulation.runner import collect_results

NO_COMPARISON = "none"  # value of the side-by-side selector when only scenario A runs
SCENARIO_PARK = "scenario's park"  # value of the park selector that keeps the scenario's park
DEFAULT_SCENARIO = "baseline"

# Which declared parameters get a control: every instrument's level (the policy levers), the
# on/off settings of the instruments (e.g. brokering), and the key behavioural uncertainties.
# Ranges, defaults, types and meanings all come from ``scenarios.parameters.PARAMETERS``.
LEVER_CONTROLS: tuple[str, ...] = tuple(
    name
    for instrument in INSTRUMENTS
    for name in (
        instrument.level.name,
        *(extra.name for extra in instrument.extra if extra.type is bool),
    )
)
BEHAVIOUR_CONTROLS: tuple[str, ...] = ("trust_threshold", "openness_mean", "supply_uncertainty")
CONTROLS: tuple[str, ...] = (*LEVER_CONTROLS, *BEHAVIOUR_CONTROLS)
SLIDER_STEPS = 100  # a float slider moves in about this many steps over its declared range


@dataclass(frozen=True)
class SeedInput:
    """A seed read from the app's text box.

    Attributes:
        value: The seed used (0 when the text was not a valid seed).
        problem: What was wrong with the text, or "" when it was a valid seed.
    """

    value: int
    problem: str = ""


def parse_seed(text: Any) -> SeedInput:
    """Cast the seed typed into the app (a string) to an int, reporting bad text.

    A seed text box delivers a string; anything that is not a whole number from 0 to
    ``2**63 - 1`` gives seed 0 and a one-line problem to show instead of a crash.
    """
    if isinstance(text, bool):
        return SeedInput(0, f"seed {text!r} is not a whole number; using seed 0")
    if isinstance(text, int):
        number = text
    else:
        raw = str(text).strip()
        try:
            number = int(raw)
        except ValueError:
            try:
                as_float = float(raw)
            except ValueError:
                return SeedInput(0, f"seed {raw!r} is not a whole number; using seed 0")
            if not math.isfinite(as_float) or not as_float.is_integer():
                return SeedInput(0, f"seed {raw!r} is not a whole number; using seed 0")
            number = int(as_float)
    if not 0 <= number < 2**63:
        return SeedInput(0, f"seed {number} is outside 0 to 2**63 - 1; using seed 0")
    return SeedInput(number)


def app_parks() -> list[str]:
    """The parks the app offers: the built-in ones, then the files given to ``app --park``.

    The files come as absolute paths in ``$SYMBIOSIS_APP_PARKS``, set by the ``app`` command.
    """
    import os

    from interfaces.commands.app import APP_PARKS_VARIABLE
    from scenarios.parks import park_names

    given = os.environ.get(APP_PARKS_VARIABLE, "")
    return [*park_names(), *(path for path in given.split(os.pathsep) if path)]


def scenario_parameters(scenario: str, park: str = SCENARIO_PARK) -> dict[str, Value]:
    """Every parameter of a built-in scenario, optionally on another park (a name or a file).

    Raises:
        scenarios.errors.InputError: If the scenario or the park is unknown.
    """
    loaded = load_scenario(scenario)
    if park != SCENARIO_PARK:
        loaded = loaded.with_overrides({"park": park})
    return loaded.parameters()


def slider_step(parameter: Parameter) -> float | int:
    """A round step of about ``1/SLIDER_STEPS`` of the declared range (1 for whole numbers)."""
    if parameter.type is int:
        return 1
    low, high = numeric_range(parameter.name)
    span = high - low
    raw = span / SLIDER_STEPS
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude * (1 + 1e-9):
            return float(multiple * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def control_label(name: str, params: dict[str, Value]) -> str:
    """The label of a control: the parameter in words, its unit, and when its policy applies.

    ``landfill_tax_eur_per_t`` reads "Landfill tax (EUR/t)"; a policy that the scenario starts
    later says from which month (1-based, as on the plots' time axis).
    """
    parameter = PARAMETERS[name]
    stem = name
    for suffix in ("_eur", "_share"):
        if suffix in stem:
            stem = stem[: stem.index(suffix)]
    words = stem.split("_")
    unit_words = [w.lower() for w in re.findall(r"[A-Za-z]+", parameter.unit)]
    label = " ".join(words).capitalize()
    if parameter.unit not in ("-", "") and not set(unit_words) & set(words):
        label += f" ({parameter.unit})"
    instrument = next((i for i in INSTRUMENTS if i.level.name == name), None)
    if instrument is not None:
        start = params[instrument.start_param]
        end = params[instrument.end_param]
        if start:
            label += f", from month {int(start) + 1}"
        if end is not None:
            label += f", until month {int(end)}"
    return label


def control_meaning(name: str) -> str:
    """What a control sets, from the declaration (for the app's guide to its controls)."""
    parameter = PARAMETERS[name]
    instrument = next((i for i in INSTRUMENTS if i.level.name == name), None)
    prefix = f"{instrument.meaning}: " if instrument is not None else ""
    unit = "" if parameter.unit in ("-", "") else f", unit {parameter.unit}"
    return f"{prefix}{parameter.meaning} ({parameter.allowed()}{unit})"


def control_spec(name: str, params: dict[str, Value]) -> dict[str, Any]:
    """The Mesa ``UserInputs`` specification of one control, starting at ``params[name]``.

    Booleans become a checkbox, choices a select, whole numbers an integer slider and other
    numbers a float slider over the declared range.
    """
    parameter = PARAMETERS[name]
    value = params[name]
    label = control_label(name, params)
    if parameter.type is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if parameter.type is str:
        return {
            "type": "Select",
            "value": value,
            "values": list(parameter.choices or ()),
            "label": label,
        }
    if not isinstance(value, int | float):
        raise TypeError(f"{name} = {value!r} is not a number")
    low, high = numeric_range(name)
    if parameter.type is int:
        return {
            "type": "SliderInt",
            "value": int(value),
            "min": int(low),
            "max": int(high),
            "step": 1,
            "label": label,
        }
    return {
        "type": "SliderFloat",
        "value": float(value),
        "min": low,
        "max": high,
        "step": slider_step(parameter),
        "label": label,
    }


def control_specs(
    scenario: str = DEFAULT_SCENARIO, park: str = SCENARIO_PARK, seed: int | str = 0
) -> dict[str, Any]:
    """The app's inputs for a scenario: its controls and the seed, as Mesa ``UserInputs`` specs.

    The controls start at the scenario's values and the seed is a text box. The scenario, park
    and comparison are not among them: they are bound to the model class (``AppModel.choose``).
    The specifications are those of Mesa's ``UserInputs`` (slider, checkbox, select, text).
    """
    params = scenario_parameters(scenario, park)
    specs: dict[str, Any] = {
        "seed": {"type": "InputText", "value": str(seed), "label": "Seed (whole number)"},
    }
    for name in CONTROLS:
        specs[name] = control_spec(name, params)
    return specs


class AppModel(SymbiosisModel):
    """A ``SymbiosisModel`` built from a scenario and the app's controls, maybe with a twin.

    Attributes:
        scenario_name: Scenario A, the one the controls steer.
        compare_name: Scenario B of side-by-side mode, or ``NO_COMPARISON``.
        twin: The run of scenario B on the same seed and park (``None`` without comparison).
            It shares A's behavioural settings (the same world) and keeps its own policy.
        seed_problem: What was wrong with the seed text ("" if nothing).

    The run has no horizon: it plays until paused. (Ending it by ``running = False`` would leave
    SolaraViz's step and play buttons disabled for the next scenario chosen, as its controls
    outlive the run.)
    """

    def __init__(
        self,
        *,
        scenario_name: str = DEFAULT_SCENARIO,
        park_name: str = SCENARIO_PARK,
        compare_name: str = NO_COMPARISON,
        seed: Any = 0,
        scenario: Any = None,
        **controls: Any,
    ) -> None:
        """Resolve the scenario, lay the controls' values over it and build the run(s).

        Args:
            scenario_name: Built-in scenario of run A.
            park_name: Built-in park, or ``SCENARIO_PARK`` to keep the scenario's own.
            compare_name: Built-in scenario of run B, or ``NO_COMPARISON``.
            seed: The seed, as typed (a string) or as a number.
            scenario: Ignored: Mesa's SolaraViz passes its own (experimental) scenario object
                on reset; the run is fully set by the arguments above and the seed.
            **controls: Values of the app's controls (any declared parameter).

        Raises:
            scenarios.errors.InputError: On an unknown scenario, park or parameter, or a value
                outside its declared range.
        """
        del scenario
        seed_input = parse_seed(seed)
        params_a = validate({**scenario_parameters(scenario_name, park_name), **controls})
        super().__init__(seed=seed_input.value, **params_a)
        self.scenario_name = scenario_name
        self.compare_name = compare_name
        self.seed_problem = seed_input.problem
        self.twin: SymbiosisModel | None = None
        if compare_name != NO_COMPARISON:
            shared_world = {name: params_a[name] for name in BEHAVIOUR_CONTROLS}
            params_b = validate({**scenario_parameters(compare_name, park_name), **shared_world})
            self.twin = SymbiosisModel(seed=seed_input.value, **params_b)

    @classmethod
    def choose(
        cls,
        scenario_name: str = DEFAULT_SCENARIO,
        park_name: str = SCENARIO_PARK,
        compare_name: str = NO_COMPARISON,
        seed: Any = 0,
        controls: dict[str, Any] | None = None,
    ) -> type[AppModel]:
        """A subclass whose runs use this scenario, park, comparison and seed by default.

        Mesa's SolaraViz rebuilds the model on reset as ``type(model)(**kwargs)``; with the choice
        bound to the class, the rebuilt run keeps it. ``controls`` is read at every reset, so
        the app's inputs can write the values the user set into it; keyword arguments given to
        the subclass win over both.
        """
        chosen = {
            "scenario_name": scenario_name,
            "park_name": park_name,
            "compare_name": compare_name,
            "seed": seed,
        }
        user_set = controls if controls is not None else {}

        def __init__(self: AppModel, **kwargs: Any) -> None:  # noqa: N807
            cls.__init__(self, **{**chosen, **user_set, **kwargs})

        return type(cls.__name__, (cls,), {"__init__": __init__, "__doc__": cls.__doc__})

    def step(self) -> None:
        """Simulate one month of run A and, in side-by-side mode, of run B."""
        super().step()
        if self.twin is not None:
            self.twin.step()

    def runs(self) -> list[tuple[str, SymbiosisModel]]:
        """The runs shown, labelled: ``[("A: name", model)]`` plus B in side-by-side mode."""
        runs: list[tuple[str, SymbiosisModel]] = [(f"A: {self.scenario_name}", self)]
        if self.twin is not None:
            runs.append((f"B: {self.compare_name}", self.twin))
        return runs


def _labelled(frames: list[tuple[str, Any]]) -> str:
    """Tables of the runs stacked with a leading ``run`` column, as CSV text."""
    import pandas as pd

    tables = [frame.assign(run=label)[["run", *frame.columns]] for label, frame in frames]
    return pd.concat(tables, ignore_index=True).to_csv(index=False)


def series_csv(model: AppModel) -> str:
    """The monthly series of the current run(s) as CSV: one row per run and month.

    The columns are those of ``symbiosis run``'s ``timeseries.csv``, after a ``run`` column
    ("A: baseline", "B: landfill_tax").
    """
    return _labelled(
        [(label, run.datacollector.get_model_vars_dataframe()) for label, run in model.runs()]
    )


def exchanges_csv(model: AppModel) -> str:
    """Every exchange of the current run(s) so far as CSV, as ``symbiosis run``'s exchanges.csv.

    An exchange still running has ``end_step`` -1.
    """
    return _labelled([(label, collect_results(run).exchanges) for label, run in model.runs()])
