"""The single declaration of every model parameter.

Each parameter is declared once, here: name, default, unit, allowed range or choices, one-line
meaning and kind. Scenario validation, ``--set`` overrides, ``symbiosis show``, the CLI help, the
SALib problem and the app's sliders are all derived from this table; no other module keeps a list
of defaults.

Kinds follow the EMA workbench separation:

* ``lever``: what a policy sets (taxes, subsidies, platform, facilitation, contracts);
* ``uncertainty``: what the world or the firms' behaviour might be (trust, awareness, noise);
* ``park``: what park is simulated (which preset, how many firms, over what area).

Defaults marked *placeholder* are order-of-magnitude choices that have not been calibrated to a
source; every other default cites its source beside the number.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scenarios.bounds import MAX_FIRMS, MAX_STEPS
from scenarios.errors import InputError

Kind = Literal["lever", "uncertainty", "park"]
Value = bool | int | float | str | None


@dataclass(frozen=True)
class Parameter:
    """One declared parameter.

    Attributes:
        name: Identifier used in scenario files, ``--set`` and ``run_model`` params.
        default: Default value; its Python type is the parameter's type.
        unit: Unit of the value ("EUR/t", "months", "share", "-" for dimensionless).
        meaning: One-line meaning shown in help, ``show`` and the app.
        kind: ``lever``, ``uncertainty`` or ``park``.
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        choices: Allowed values (strings only).
        optional: Whether ``None`` ("not set") is allowed, e.g. an instrument without end month.
        group: Heading under which the app and ``show`` list the parameter.
        source: Literature source of the default, or "placeholder".
    """

    name: str
    default: Value
    unit: str
    meaning: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    group: str = "general"
    source: str = "placeholder"

    @property
    def type(self) -> type:
        """Python type of the parameter's values (``int`` for months, ``float`` for levels)."""
        if self.choices is not None:
            return str
        return type(self.default) if self.default is not None else int

    def allowed(self) -> str:
        """Describe the allowed values in a few words, for error messages and help."""
        if self.choices is not None:
            return "one of " + ", ".join(self.choices)
        if self.type is bool:
            return "true or false"
        text = f"{self.type.__name__} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        return text + (" or none" if self.optional else "")


def _fmt(number: float | None) -> str:
    return "-inf" if number is None else f"{number:g}"


@dataclass(frozen=True)
class Instrument:
    """A policy instrument: a level parameter switched on between a start and an end month.

    The level parameter is declared in full; ``<name>_start_month`` and ``<name>_end_month`` are
    derived from it so that every instrument has the same timing controls.
    """

    name: str
    level: Parameter
    meaning: str
    default_start_month: int = 0
    extra: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def start_param(self) -> str:
        """Name of the parameter holding the first month the instrument is in force."""
        return f"{self.name}_start_month"

    @property
    def end_param(self) -> str:
        """Name of the parameter holding the first month the instrument is no longer in force."""
        return f"{self.name}_end_month"

    def parameters(self) -> list[Parameter]:
        """The level, the extra settings and the derived start and end months."""
        timing = [
            Parameter(
                self.start_param,
                self.default_start_month,
                "month",
                f"First month (0-based) in which the {self.name.replace('_', ' ')} is in force",
                "lever",
                0,
                MAX_STEPS,  # no run is longer (scenarios/bounds.py)
                group=self.level.group,
                source="-",
            ),
            Parameter(
                self.end_param,
                None,
                "month",
                f"Month from which the {self.name.replace('_', ' ')} is no longer in force "
                "(none: never ends)",
                "lever",
                0,
                MAX_STEPS,  # no run is longer (scenarios/bounds.py)
                optional=True,
                group=self.level.group,
                source="-",
            ),
        ]
        return [self.level, *self.extra, *timing]


def _lever(
    name: str,
    default: Value,
    unit: str,
    meaning: str,
    low: float | None = None,
    high: float | None = None,
    group: str = "policy",
    source: str = "placeholder",
    choices: tuple[str, ...] | None = None,
) -> Parameter:
    return Parameter(
        name, default, unit, meaning, "lever", low, high, choices, group=group, source=source
    )


def _uncertain(
    name: str,
    default: Value,
    unit: str,
    meaning: str,
    low: float | None = None,
    high: float | None = None,
    group: str = "behaviour",
    source: str = "placeholder",
    choices: tuple[str, ...] | None = None,
) -> Parameter:
    return Parameter(
        name, default, unit, meaning, "uncertainty", low, high, choices, group=group, source=source
    )


# --- Policy instruments (levers with timing) ----------------------------------------------------

INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        "landfill_tax",
        _lever(
            "landfill_tax_eur_per_t",
            0.0,
            "EUR/t",
            "Tax paid on each tonne of material landfilled",
            0,
            500,
            "taxes and subsidies",
            source="0 in the baseline; European rates are tens to ~120 EUR/t "
            "(UK standard rate GBP 102.10/t in 2023-24, HMRC)",
        ),
        "Landfill tax",
    ),
    Instrument(
        "virgin_tax",
        _lever(
            "virgin_tax_eur_per_t",
            0.0,
            "EUR/t",
            "Tax on each tonne of virgin material bought",
            0,
            200,
            "taxes and subsidies",
        ),
        "Virgin-material tax",
    ),
    Instrument(
        "subsidy",
        _lever(
            "subsidy_eur_per_unit",
            0.0,
            "EUR/unit",
            "Subsidy paid per unit (t, MWh or m3) exchanged between firms",
            0,
            100,
            "taxes and subsidies",
        ),
        "Subsidy per unit exchanged",
    ),
    Instrument(
        "investment_grant",
        _lever(
            "investment_grant_share",
            0.0,
            "share",
            "Share of an exchange's connection investment paid by a grant or tax incentive",
            0,
            1,
            "taxes and subsidies",
        ),
        "Capital grant / tax incentive on IS investment",
    ),
    Instrument(
        "platform",
        _lever(
            "platform_tier",
            0,
            "tier",
            "Digital platform offered: 0 none, 1 type/quantity/location, 2 also cost data "
            "(Fraccascia & Yazan 2018)",
            0,
            2,
            "platform",
        ),
        "Digital resource-mapping platform",
        extra=(
            _lever(
                "platform_fee_eur_per_month",
                50.0,
                "EUR/month",
                "Membership fee a firm pays the operator for the platform",
                0,
                2000,
                "platform",
            ),
            _lever(
                "platform_recall",
                0.7,
                "share",
                "Share of compatible member pairs the platform's matching actually suggests",
                0,
                1,
                "platform",
            ),
        ),
    ),
    Instrument(
        "disclosure_incentive",
        _lever(
            "disclosure_incentive_eur_per_month",
            0.0,
            "EUR/month",
            "Payment to each firm disclosing its streams on the platform",
            0,
            2000,
            "platform",
        ),
        "Incentive for data disclosure",
        extra=(
            _lever(
                "mandatory_reporting",
                False,
                "-",
                "Firms must report their streams (tier 1) to the platform",
                group="platform",
            ),
        ),
    ),
    Instrument(
        "facilitation",
        _lever(
            "workshops_per_year",
            0,
            "1/year",
            "Facilitation workshops the park operator runs per year",
            0,
            12,
            "park operator",
        ),
        "Park-operator facilitation (workshops and brokering)",
        extra=(
            _lever(
                "workshop_participants",
                20,
                "firms",
                "Managers attending one workshop (NISP: ~20 managers, ~200 ideas in 2 h)",
                2,
                200,
                "park operator",
                source="UK NISP workshop format (to verify: docs/bibliography.md)",
            ),
            _lever(
                "brokering",
                False,
                "-",
                "Operator brokers deals introduced at workshops (lower transaction cost)",
                group="park operator",
            ),
        ),
    ),
    Instrument(
        "contracts",
        _lever(
            "contracts",
            False,
            "-",
            "Operator offers legally binding standard contracts guaranteeing both sides a gain",
            group="park operator",
        ),
        "Standard contracts",
        extra=(
            _lever(
                "contract_months",
                36,
                "months",
                "Duration of a standard contract",
                1,
                240,
                "park operator",
            ),
        ),
    ),
    Instrument(
        "shared_infrastructure",
        _lever(
            "shared_infrastructure",
            False,
            "-",
            "Operator builds shared pipes and storage for energy and water exchanges",
            group="park operator",
        ),
        "Shared infrastructure",
    ),
    Instrument(
        "operator_funding",
        _lever(
            "operator_funding_eur_per_year",
            0.0,
            "EUR/year",
            "Public funding of the park operator (workshops, brokering, infrastructure)",
            0,
            5_000_000,
            "park operator",
        ),
        "Public funding of the operator",
    ),
)

# --- Other levers (no timing of their own) ------------------------------------------------------

OTHER_LEVERS: tuple[Parameter, ...] = (
    _lever(
        "adaptive_target_recovery_rate",
        0.0,
        "share",
        "If > 0, the authority raises the landfill tax each year this recovery rate is missed",
        0,
        1,
        "taxes and subsidies",
    ),
    _lever(
        "adaptive_tax_step_eur_per_t",
        10.0,
        "EUR/t",
        "Yearly landfill-tax increase of the adaptive authority",
        0,
        100,
        "taxes and subsidies",
    ),
)

# --- Behaviour and the world (uncertainties) ----------------------------------------------------

UNCERTAINTIES: tuple[Parameter, ...] = (
    _uncertain(
        "generalized_trust_mean",
        0.4,
        "share",
        "Mean initial trust of a firm in firms it knows nothing about",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "trust_threshold",
        0.5,
        "share",
        "Trust each side needs in the other to sign a deal",
        0,
        1,
        "trust",
        source="Ghali, Frayret & Ahabchane 2017 (threshold 0.5)",
    ),
    _uncertain(
        "tie_trust_bonus",
        0.2,
        "share",
        "Extra trust between firms linked in the social network",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "trust_gain_per_month",
        0.02,
        "share/month",
        "Trust gained per month of reliable delivery",
        0,
        0.5,
        "trust",
    ),
    _uncertain(
        "trust_loss_on_failure",
        0.3,
        "share",
        "Trust lost when a partner fails to deliver or leaves",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "trust_decay_per_month",
        0.01,
        "share/month",
        "Monthly decay of pairwise trust towards the generalized level without contact",
        0,
        0.5,
        "trust",
    ),
    _uncertain(
        "contract_trust_relief",
        0.2,
        "share",
        "Reduction of the trust a deal needs when signed under a standard contract",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "cost_data_trust_relief",
        0.1,
        "share",
        "Reduction of the trust a deal needs when both sides share cost data (tier 2): "
        "each can verify the split (after Fraccascia & Yazan 2018)",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "awareness_mean",
        0.5,
        "share",
        "Mean initial knowledge of industrial symbiosis among firms",
        0,
        1,
        "knowledge",
    ),
    _uncertain(
        "knowledge_threshold",
        0.5,
        "share",
        "Knowledge of IS a firm needs before it looks for partners",
        0,
        1,
        "knowledge",
        source="Ghali, Frayret & Ahabchane 2017 (threshold 0.5)",
    ),
    _uncertain(
        "knowledge_diffusion_rate",
        0.05,
        "share/month",
        "Monthly knowledge gain per share of social neighbours already exchanging",
        0,
        1,
        "knowledge",
    ),
    _uncertain(
        "workshop_awareness_gain",
        0.3,
        "share",
        "Knowledge of IS gained by attending one workshop",
        0,
        1,
        "knowledge",
    ),
    _uncertain(
        "openness_mean",
        0.5,
        "share",
        "Mean openness of firms to share data on a platform",
        0,
        1,
        "platform",
    ),
    _uncertain(
        "confidentiality_risk_eur_per_month",
        150.0,
        "EUR/month",
        "Perceived monthly cost of disclosing cost data (tier 2) for a fully closed firm",
        0,
        5000,
        "platform",
    ),
    _uncertain(
        "platform_critical_mass_share",
        0.2,
        "share",
        "Share of firms on the platform below which it adds little (network effect)",
        0.01,
        1,
        "platform",
        source="Fraccascia 2020 (critical mass of users)",
    ),
    _uncertain(
        "social_network",
        "small_world",
        "-",
        "Generator of the firms' social network",
        group="social network",
        choices=("small_world", "preferential_attachment", "none"),
    ),
    _uncertain(
        "social_mean_degree",
        6,
        "ties",
        "Mean number of social ties per firm",
        0,
        20,
        "social network",
    ),
    _uncertain(
        "social_rewiring",
        0.1,
        "share",
        "Rewiring probability of the small-world network",
        0,
        1,
        "social network",
    ),
    _uncertain(
        "search_probability",
        0.3,
        "share/month",
        "Probability that an aware firm looks at its known candidates in a month",
        0,
        1,
        "behaviour",
    ),
    _uncertain(
        "distance_decay_km",
        15.0,
        "km",
        "Distance over which the chance of considering a partner falls by 1/e",
        0.1,
        1000,
        "behaviour",
    ),
    _uncertain(
        "supply_uncertainty",
        0.2,
        "share",
        "Amplitude of supply and demand fluctuations (Albino, Fraccascia & Giannoccaro 2016)",
        0,
        1,
        "production",
        source="Albino, Fraccascia & Giannoccaro 2016 (setting)",
    ),
    _uncertain(
        "supply_turbulence",
        0.2,
        "share/month",
        "Probability that a firm's supply or demand fluctuates in a month "
        "(Albino, Fraccascia & Giannoccaro 2016)",
        0,
        1,
        "production",
        source="Albino, Fraccascia & Giannoccaro 2016 (setting)",
    ),
    _uncertain(
        "disruption_rate_per_year",
        0.05,
        "1/year",
        "Chance per year that a firm stops producing for a while",
        0,
        2,
        "production",
    ),
    _uncertain(
        "disruption_months", 3, "months", "Length of a production stop", 1, 24, "production"
    ),
    _uncertain(
        "exit_rate_per_year",
        0.01,
        "1/year",
        "Chance per year that a firm leaves the park (a new firm of its sector enters)",
        0,
        1,
        "production",
    ),
    _uncertain(
        "discount_rate",
        0.08,
        "1/year",
        "Discount rate firms use to value a deal",
        0,
        0.5,
        "economics",
    ),
    _uncertain(
        "planning_horizon_years",
        5,
        "years",
        "Horizon over which a deal is valued",
        1,
        30,
        "economics",
    ),
    _uncertain(
        "transaction_cost_eur",
        8000.0,
        "EUR",
        "One-off cost of negotiating a deal (search, legal, testing)",
        0,
        200_000,
        "economics",
    ),
    _uncertain(
        "exchange_overhead_eur_per_month",
        300.0,
        "EUR/month",
        "Fixed monthly cost of running an exchange (handling, administration)",
        0,
        20_000,
        "economics",
    ),
    _uncertain(
        "cost_uncertainty_share",
        0.3,
        "share",
        "Without shared cost data, how much each side may underestimate its gain "
        "(share of the deal's gross value); tier-2 data removes it",
        0,
        2,
        "economics",
    ),
    _uncertain(
        "exit_patience_months",
        3,
        "months",
        "Consecutive unprofitable months after which an exchange ends",
        1,
        24,
        "economics",
    ),
    _uncertain(
        "workshop_trust_bonus",
        0.15,
        "share",
        "Trust gained between two firms that meet at a workshop",
        0,
        1,
        "trust",
    ),
    _uncertain(
        "broker_cost_reduction",
        0.5,
        "share",
        "Share of the transaction cost saved when the operator brokers a deal",
        0,
        1,
        "park operator",
    ),
    _uncertain(
        "platform_cost_reduction",
        0.25,
        "share",
        "Share of the transaction cost saved when partners meet through the platform",
        0,
        1,
        "platform",
    ),
    _uncertain(
        "contract_cost_reduction",
        0.25,
        "share",
        "Share of the transaction cost saved by the operator's contract templates",
        0,
        1,
        "park operator",
    ),
    _uncertain(
        "platform_suggestions",
        8,
        "firms",
        "Nearest members the platform suggests to each member every month",
        1,
        100,
        "platform",
    ),
    _uncertain(
        "membership_review_months",
        6,
        "months",
        "Average months between a firm's reviews of its platform membership",
        1,
        60,
        "platform",
    ),
    _uncertain(
        "platform_standalone_value_share",
        0.1,
        "share",
        "Share of the platform's full network benefit it offers with almost no members "
        "(below the critical mass the platform adds little, Fraccascia 2020)",
        0,
        1,
        "platform",
    ),
    _uncertain(
        "platform_expected_gain_share",
        0.05,
        "share",
        "Share of the value of its unmatched streams a firm expects from membership",
        0,
        1,
        "platform",
    ),
    _uncertain(
        "workshop_cost_eur",
        5000.0,
        "EUR",
        "Cost to the operator of one workshop",
        0,
        100_000,
        "park operator",
    ),
    _uncertain(
        "platform_cost_eur_per_month",
        2000.0,
        "EUR/month",
        "Running cost of the platform to the operator",
        0,
        100_000,
        "platform",
    ),
    _uncertain(
        "infrastructure_cost_eur",
        500_000.0,
        "EUR",
        "Public capital cost of the shared pipes and storage",
        0,
        50_000_000,
        "park operator",
    ),
    _uncertain(
        "infrastructure_cost_reduction",
        0.5,
        "share",
        "Share of pipe transport and connection investment saved by shared infrastructure",
        0,
        1,
        "park operator",
    ),
)

# --- The park ----------------------------------------------------------------------------------

PARK: tuple[Parameter, ...] = (
    Parameter(
        "park",
        "synthetic",
        "-",
        "Park simulated: a preset shaped like a real park, or a generator",
        "park",
        choices=tuple(sorted(p.stem for p in (Path(__file__).parent / "parks").glob("*.toml"))),
        group="park",
        source="-",
    ),
    Parameter(
        "n_firms",
        100,
        "firms",
        "Number of firms made by the synthetic or regional generator",
        "park",
        3,
        MAX_FIRMS,  # declared cap, scenarios/bounds.py
        group="park",
    ),
    Parameter(
        "area_radius_km",
        5.0,
        "km",
        "Radius of the area the generator spreads firms over",
        "park",
        0.1,
        1000,
        group="park",
    ),
    Parameter(
        "urban_waste",
        False,
        "-",
        "The municipality supplies sorted municipal waste to the park (Ulsan)",
        "park",
        group="park",
        source="World Bank 2021, Ulsan case",
    ),
)


def _all_parameters() -> dict[str, Parameter]:
    declared: list[Parameter] = []
    for instrument in INSTRUMENTS:
        declared.extend(instrument.parameters())
    declared.extend(OTHER_LEVERS)
    declared.extend(UNCERTAINTIES)
    declared.extend(PARK)
    table: dict[str, Parameter] = {}
    for parameter in declared:
        if parameter.name in table:
            raise RuntimeError(f"parameter {parameter.name!r} is declared twice")
        table[parameter.name] = parameter
    return table


PARAMETERS: dict[str, Parameter] = _all_parameters()


def defaults() -> dict[str, Value]:
    """Return a fresh dict of every parameter at its default."""
    return {name: parameter.default for name, parameter in PARAMETERS.items()}


class ParameterError(InputError):
    """A parameter name or value that the declaration does not allow."""


def closest_name(name: str) -> str | None:
    """Return the declared parameter name closest to ``name``, if any is close."""
    matches = difflib.get_close_matches(name, PARAMETERS.keys(), n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_parameter_message(name: str) -> str:
    """Say that ``name`` is not a parameter and suggest the closest one."""
    suggestion = closest_name(name)
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    return f"unknown parameter {name!r}{hint}"


def check_value(name: str, value: Any) -> Value:
    """Check one value against the declaration and return it with the declared type.

    Integers are accepted for float parameters; nothing else is converted.

    Raises:
        ParameterError: If the name is unknown or the value has the wrong type or range.
    """
    if name not in PARAMETERS:
        raise ParameterError(unknown_parameter_message(name))
    parameter = PARAMETERS[name]
    if value is None:
        if parameter.optional:
            return None
        raise ParameterError(f"{name} must be set ({parameter.allowed()})")
    expected = parameter.type
    if expected is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{name} must be true or false, got {value!r}")
        return value
    if expected is str:
        if not isinstance(value, str) or value not in (parameter.choices or ()):
            hint = ""
            if isinstance(value, str):
                match = difflib.get_close_matches(value, parameter.choices or (), n=1, cutoff=0.6)
                hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise ParameterError(f"{name} must be {parameter.allowed()}, got {value!r}{hint}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"{name} must be a number ({parameter.allowed()}), got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(
            f"{name} must be a finite number ({parameter.allowed()}), got {value!r}"
        )
    if expected is int:
        if isinstance(value, float) and not value.is_integer():
            raise ParameterError(
                f"{name} must be a whole number ({parameter.allowed()}), got {value!r}"
            )
        value = int(value)
    else:
        value = float(value)
    if (parameter.low is not None and value < parameter.low) or (
        parameter.high is not None and value > parameter.high
    ):
        raise ParameterError(f"{name} = {value:g} is out of range ({parameter.allowed()})")
    return value


def parse_value(name: str, text: str) -> Value:
    """Parse the text of a ``--set name=value`` override into a checked value.

    Raises:
        ParameterError: If the name is unknown or the text does not parse to an allowed value.
    """
    if name not in PARAMETERS:
        raise ParameterError(unknown_parameter_message(name))
    parameter = PARAMETERS[name]
    raw = text.strip()
    if raw.lower() in ("none", "null", "") and parameter.optional:
        return None
    expected = parameter.type
    value: Any
    if expected is bool:
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ParameterError(f"{name} must be true or false, got {raw!r}")
        value = lowered in ("true", "1", "yes", "on")
    elif expected is str:
        value = raw
    else:
        try:
            value = int(raw) if expected is int and raw.lstrip("+-").isdigit() else float(raw)
        except ValueError:
            raise ParameterError(
                f"{name} must be a number ({parameter.allowed()}), got {raw!r}"
            ) from None
    return check_value(name, value)


def validate(params: dict[str, Any]) -> dict[str, Value]:
    """Return a complete, checked parameter dict: defaults overlaid with ``params``.

    Raises:
        ParameterError: On the first unknown name or disallowed value.
    """
    resolved = defaults()
    for name, value in params.items():
        resolved[name] = check_value(name, value)
    for instrument in INSTRUMENTS:
        start, end = resolved[instrument.start_param], resolved[instrument.end_param]
        if end is not None and end <= start:
            raise ParameterError(
                f"{instrument.end_param} = {end} must come after {instrument.start_param} = {start}"
            )
    return resolved


def levers() -> list[Parameter]:
    """Parameters a policy sets."""
    return [p for p in PARAMETERS.values() if p.kind == "lever"]


def uncertainties() -> list[Parameter]:
    """Parameters describing behaviour and the world, uncertain to the modeller."""
    return [p for p in PARAMETERS.values() if p.kind == "uncertainty"]


def numeric_range(name: str) -> tuple[float, float]:
    """Return the declared (low, high) of a numeric parameter, e.g. for a SALib problem.

    Raises:
        ParameterError: If the parameter is unknown, not numeric or has an open range.
    """
    if name not in PARAMETERS:
        raise ParameterError(unknown_parameter_message(name))
    parameter = PARAMETERS[name]
    if parameter.type not in (int, float) or parameter.low is None or parameter.high is None:
        raise ParameterError(f"{name} has no numeric range to sample ({parameter.allowed()})")
    return float(parameter.low), float(parameter.high)
