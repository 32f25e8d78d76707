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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_type_hints

from scenarios.bounds import MAX_FIRMS, MAX_STEPS
from scenarios.errors import InputError

Kind = Literal["lever", "uncertainty", "park"]

# The model's time step is a month; yearly parameters ("1/year", "EUR/year") are spread over
# this many months.
MONTHS_PER_YEAR = 12
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
        source: Where the default comes from, in one of three forms: a published source (listed
            in docs/bibliography.md); ``"placeholder: <reasoning>"``, a declared uncertainty that
            no source gives, with the reasoning for its range; ``"setting: <reasoning>"`` or
            ``"-"``, a choice of the user (a policy level, a month, a park) rather than a fact.
        plausible: For a declared uncertainty whose plausible values are narrower than the
            allowed ones: its plausible ``(low, high)``; else the allowed range is the plausible.
        file_suffix: If set, a string parameter also accepts the path of an existing file with
            this suffix besides its choices (``park``: a park file of the user's own).
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
    file_suffix: str | None = None
    plausible: tuple[float, float] | None = None

    @property
    def status(self) -> str:
        """``sourced``, ``range`` (a declared uncertainty), ``setting``, or ``missing``."""
        if self.source == "-" or self.source.startswith("setting:"):
            return "setting"
        if self.source.startswith("placeholder"):
            reasoning = self.source.partition(":")[2].strip()
            return "range" if reasoning else "missing"
        return "sourced"

    @property
    def plausible_range(self) -> tuple[float, float] | None:
        """The plausible ``(low, high)`` of a number: ``plausible``, else the allowed range."""
        if self.plausible is not None:
            return float(self.plausible[0]), float(self.plausible[1])
        if self.low is None or self.high is None or self.type not in (int, float):
            return None
        return float(self.low), float(self.high)

    @property
    def type(self) -> type:
        """Python type of the parameter's values (``int`` for months, ``float`` for levels)."""
        if self.choices is not None:
            return str
        return type(self.default) if self.default is not None else int

    def allowed(self) -> str:
        """Describe the allowed values in a few words, for error messages and help."""
        if self.choices is not None:
            files = f", or the path of a {self.file_suffix} file" if self.file_suffix else ""
            return "one of " + ", ".join(self.choices) + files
        if self.type is bool:
            return "true or false"
        text = f"{self.type.__name__} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        return text + (" or none" if self.optional else "")


def _fmt(number: float | None) -> str:
    return "-inf" if number is None else f"{number:g}"


# What an instrument can change in the month's per-stream prices (the fields of
# ``simulation.market.Prices``; a test checks that the two agree). An instrument that declares
# one of these in ``changes`` is part of the key under which the month's prices are cached.
PRICE_TERMS: tuple[str, ...] = ("unit_gain_eur", "transport_eur_per_unit_km", "one_off_eur")

# Who pays whom under an instrument: the park's three kinds of actor, or nobody.
Actor = Literal["firms", "authority", "operator", "nobody"]


@dataclass(frozen=True)
class Instrument[L: (bool, int, float)]:
    """A policy instrument: a level parameter switched on between a start and an end month.

    The level parameter is declared in full; ``<name>_start_month`` and ``<name>_end_month`` are
    derived from it so that every instrument has the same timing controls. The authority
    (``agents.authority.Authority``) applies the timing, to the level and to the ``extra``
    settings alike; ``Authority.level(LANDFILL_TAX)`` is the level in force, typed ``L``.

    Attributes:
        name: Identifier of the instrument (the stem of its timing parameters).
        level: The parameter that sets how strongly the instrument acts (0 or false: off).
        meaning: What the instrument is, in words.
        level_type: Python type of the level (checked against the level's declaration).
        payer: Who pays under the instrument.
        payee: Who is paid.
        changes: The prices (names from ``PRICE_TERMS``) or costs the instrument changes.
        price_input: Keyword of ``simulation.market.stream_prices`` the level feeds, if any.
        effect: For a price instrument the market kernel does not know: a function
            ``effect(prices, level, streams) -> prices`` applied to the month's prices while the
            instrument is in force at a non-zero level.
        default_start_month: Default of the start-month parameter.
        extra: Further settings of the instrument, in force while the instrument is.
    """

    name: str
    level: Parameter
    meaning: str
    level_type: type[L]
    payer: Actor = "nobody"
    payee: Actor = "nobody"
    changes: tuple[str, ...] = ()
    price_input: str | None = None
    effect: Callable[[Any, L, Any], Any] | None = None
    default_start_month: int = 0
    extra: tuple[Parameter, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        """Check the level's type, and that whatever acts on prices says which (the cache key)."""
        if self.level.type is not self.level_type:
            raise RuntimeError(
                f"instrument {self.name!r}: level {self.level.name!r} is declared as "
                f"{self.level.type.__name__}, not {self.level_type.__name__}"
            )
        if (self.price_input is not None or self.effect is not None) and not self.affects_prices:
            raise RuntimeError(
                f"instrument {self.name!r} acts on prices: name the terms it changes "
                f"(changes=..., from {', '.join(PRICE_TERMS)})"
            )

    @property
    def affects_prices(self) -> bool:
        """Whether the instrument changes the month's per-stream prices."""
        return any(term in PRICE_TERMS for term in self.changes)

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
        timing: list[Parameter] = [
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
    plausible: tuple[float, float] | None = None,
) -> Parameter:
    return Parameter(
        name,
        default,
        unit,
        meaning,
        "lever",
        low,
        high,
        choices,
        group=group,
        source=source,
        plausible=plausible,
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
    plausible: tuple[float, float] | None = None,
) -> Parameter:
    return Parameter(
        name,
        default,
        unit,
        meaning,
        "uncertainty",
        low,
        high,
        choices,
        group=group,
        source=source,
        plausible=plausible,
    )


# --- Policy instruments (levers with timing) ----------------------------------------------------

INSTRUMENTS: tuple[Instrument[Any], ...] = (
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
            source="setting: a policy choice, 0 in the baseline; rates in law are tens to "
            "~120 EUR/t: Finland 70 EUR/t from 2016 (HE 35/2015), Denmark DKK 475/t (Waste and "
            "Raw Materials Tax Act), UK GBP 102.10/t in 2023-24 (HMRC)",
        ),
        "Landfill tax",
        float,
        payer="firms",
        payee="authority",
        changes=("unit_gain_eur",),  # exchanging a landfilled stream avoids the tax
        price_input="landfill_tax",
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
            source="setting: a policy choice, off in the baseline; the allowed range covers "
            "aggregate taxes such as the Danish raw-materials tax of DKK 5 per m3 (Waste "
            "and Raw Materials Tax Act) and far higher ones",
        ),
        "Virgin-material tax",
        float,
        payer="firms",
        payee="authority",
        changes=("unit_gain_eur",),  # a by-product replacing virgin input avoids the tax
        price_input="virgin_tax",
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
            source="setting: a policy choice, off in the baseline; the allowed range runs from "
            "none to more than most streams' virgin price",
        ),
        "Subsidy per unit exchanged",
        float,
        payer="authority",
        payee="firms",
        changes=("unit_gain_eur",),
        price_input="subsidy",
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
            source="setting: a policy choice, off in the baseline; 0 to the whole investment",
        ),
        "Capital grant / tax incentive on IS investment",
        float,
        payer="authority",
        payee="firms",
        changes=("one_off_eur",),
        price_input="grant_share",
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
            source="setting: a policy choice, off in the baseline; the three tiers of Fraccascia & "
            "Yazan 2018",
        ),
        "Digital resource-mapping platform",
        int,
        payer="firms",  # membership fees, to the operator who runs the platform
        payee="operator",
        changes=("transaction cost", "partners known", "cost data shared"),
        extra=(
            _lever(
                "platform_fee_eur_per_month",
                50.0,
                "EUR/month",
                "Membership fee a firm pays the operator for the platform",
                0,
                2000,
                "platform",
                source="placeholder: a software-subscription fee of tens to a few hundred EUR a "
                "month per firm; no published fee of an IS platform was found",
                plausible=(0, 300),
            ),
            _lever(
                "platform_recall",
                0.7,
                "share",
                "Share of compatible member pairs the platform's matching actually suggests",
                0,
                1,
                "platform",
                source="placeholder: a matching algorithm suggests most but not all compatible "
                "pairs; below 0.4 a platform would not be used",
                plausible=(0.4, 0.95),
            ),
            # The operator's levers on the platform's critical mass (docs/model.md, 7.4).
            _lever(
                "platform_seed_share",
                0.0,
                "share",
                "Share of the park's firms the operator enrols free of charge when the platform "
                "opens (seeding its first members)",
                0,
                1,
                "platform",
                source="lever: 0 seeds nobody, 1 enrols every firm",
            ),
            _lever(
                "platform_seed_months",
                12,
                "months",
                "Months from the platform's start during which seeded firms stay enrolled and "
                "the operator pays their fee",
                0,
                240,
                "platform",
                source="lever: a year of free membership; 0 ends seeding at once",
            ),
            _lever(
                "platform_fee_subsidy_share",
                0.0,
                "share",
                "Share of every member's platform fee the operator pays from its budget "
                "(while the budget covers it)",
                0,
                1,
                "platform",
                source="lever: 0 no subsidy, 1 membership free for everyone",
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
            source="setting: a policy choice, off in the baseline; up to several times the "
            "platform fee",
        ),
        "Incentive for data disclosure",
        float,
        payer="authority",
        payee="firms",
        changes=("value of platform membership",),
        extra=(
            _lever(
                "mandatory_reporting",
                False,
                "-",
                "Firms must report their streams (tier 1) to the platform",
                group="platform",
                source="setting: a policy choice, off in the baseline; a switch",
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
            source="setting: a policy choice, off in the baseline; none to one a month",
        ),
        "Park-operator facilitation (workshops and brokering)",
        int,
        payer="operator",  # workshops are paid from the operator's budget
        payee="nobody",
        changes=("awareness", "partners known", "pair trust", "transaction cost"),
        extra=(
            _lever(
                "workshop_participants",
                20,
                "firms",
                "Managers attending one workshop (NISP: ~20 managers, ~200 ideas in 2 h)",
                2,
                200,
                "park operator",
                source="placeholder: about 20 managers, the UK NISP workshop format as described "
                "but not verified (docs/bibliography.md, To verify)",
                plausible=(10, 40),
            ),
            _lever(
                "brokering",
                False,
                "-",
                "Operator brokers deals introduced at workshops (lower transaction cost)",
                group="park operator",
                source="setting: a policy choice, off in the baseline; a switch",
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
            source="setting: a policy choice, off in the baseline; a switch",
        ),
        "Standard contracts",
        bool,
        changes=("transaction cost", "trust needed", "exit of exchanges", "cost of a breach"),
        extra=(
            _lever(
                "contract_months",
                36,
                "months",
                "Duration of a standard contract",
                1,
                240,
                "park operator",
                source="placeholder: standard supply contracts run one to five years",
                plausible=(12, 60),
            ),
            # Enforcement of the standard contract (docs/model.md, section 7.10a).
            _lever(
                "contract_penalty_eur",
                100_000.0,
                "EUR",
                "Liquidated damages a firm pays its partner for leaving or holding up a running "
                "standard contract",
                0,
                10_000_000,
                "park operator",
                source="placeholder: of the order of a year of a median exchange's value "
                "(~14,000 EUR/month on the synthetic park) and of the one-off investment of a "
                "typical stream (30,000-370,000 EUR); 0 is a contract without enforcement",
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
            source="setting: a policy choice, off in the baseline; a switch",
        ),
        "Shared infrastructure",
        bool,
        payer="authority",  # the capital cost, once, when the operator builds it
        payee="operator",
        changes=("transport_eur_per_unit_km", "one_off_eur"),  # pipe streams only,
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
            source="setting: a policy choice, off in the baseline; none to the budget of a large "
            "park operator",
        ),
        "Public funding of the operator",
        float,
        payer="authority",
        payee="operator",
        changes=("operator budget",),
    ),
)


def _instrument[L: (bool, int, float)](name: str, level_type: type[L]) -> Instrument[L]:
    """The declared instrument ``name``, typed by its level (checked against the declaration)."""
    instrument = next(i for i in INSTRUMENTS if i.name == name)
    if instrument.level_type is not level_type:
        raise RuntimeError(f"instrument {name!r} has a {instrument.level_type.__name__} level")
    return instrument


# Typed handles on the instruments: ``authority.level(LANDFILL_TAX)`` is a float, and a misspelt
# instrument is a NameError (and a type-check error) instead of a KeyError in month 37.
LANDFILL_TAX = _instrument("landfill_tax", float)
VIRGIN_TAX = _instrument("virgin_tax", float)
SUBSIDY = _instrument("subsidy", float)
INVESTMENT_GRANT = _instrument("investment_grant", float)
PLATFORM = _instrument("platform", int)
DISCLOSURE_INCENTIVE = _instrument("disclosure_incentive", float)
FACILITATION = _instrument("facilitation", int)
CONTRACTS = _instrument("contracts", bool)
SHARED_INFRASTRUCTURE = _instrument("shared_infrastructure", bool)
OPERATOR_FUNDING = _instrument("operator_funding", float)

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
        source="setting: a policy choice, off in the baseline; 0 leaves the tax as set",
    ),
    _lever(
        "adaptive_tax_step_eur_per_t",
        10.0,
        "EUR/t",
        "Yearly landfill-tax increase of the adaptive authority",
        0,
        100,
        "taxes and subsidies",
        source="placeholder: a yearly step of a few to a few tens of EUR/t, small against the "
        "Finnish waste tax of 70 EUR/t proposed in HE 35/2015 and the Danish one of DKK "
        "475/t (Waste and Raw Materials Tax Act)",
        plausible=(5, 20),
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
        source="placeholder: a stranger is trusted less than the deal threshold (0.5, Ghali, "
        "Frayret & Ahabchane 2017) but not nil",
        plausible=(0.2, 0.5),
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
        source="placeholder: a social tie lifts a stranger close to but not over the threshold",
        plausible=(0.05, 0.35),
    ),
    _uncertain(
        "trust_gain_per_month",
        0.02,
        "share/month",
        "Trust gained per month of reliable delivery",
        0,
        0.5,
        "trust",
        source="placeholder: a year to a few years of reliable deliveries builds full trust",
        plausible=(0.01, 0.05),
    ),
    _uncertain(
        "trust_loss_on_failure",
        0.3,
        "share",
        "Trust lost when a partner fails to deliver or leaves",
        0,
        1,
        "trust",
        source="placeholder: one failure costs a few months to most of the trust built",
        plausible=(0.1, 0.6),
    ),
    _uncertain(
        "trust_decay_per_month",
        0.01,
        "share/month",
        "Monthly decay of pairwise trust towards the generalized level without contact",
        0,
        0.5,
        "trust",
        source="placeholder: trust without contact fades over years, not months",
        plausible=(0.0, 0.03),
    ),
    _uncertain(
        "contract_trust_relief",
        0.2,
        "share",
        "Reduction of the trust a deal needs when signed under a standard contract",
        0,
        1,
        "trust",
        source="placeholder: a binding contract replaces part of the trust a deal needs, not "
        "all of it",
        plausible=(0.05, 0.35),
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
        source="placeholder: verifiable cost data replace a smaller part of the trust than a "
        "contract (after Fraccascia & Yazan 2018)",
        plausible=(0.0, 0.2),
    ),
    # --- Opportunism, reputation and enforcement (docs/model.md, section 7.10a) ---------------
    # Transaction-cost economics (Williamson 1985; Klein, Crawford & Alchian 1978): once a
    # partner has sunk a specific investment, the other side may hold up or renege. No source
    # gives these magnitudes for industrial symbiosis: each is a declared uncertainty.
    _uncertain(
        "opportunism_mean",
        0.1,
        "1/year",
        "Mean propensity to opportunism: the yearly chance that a firm acts on a breach it "
        "gains from (hold-up or reneging); 0 switches opportunism off",
        0,
        1,
        "trust",
        source="placeholder: Williamson 1985 assumes some agents are opportunistic some of the "
        "time, not all always; 0.1 acts on one profitable breach in ten years, 1 every year",
    ),
    _uncertain(
        "dispute_cost_eur",
        20_000.0,
        "EUR",
        "Cost to each side of a dispute over a breached contract (lawyers, managers' time)",
        0,
        1_000_000,
        "trust",
        source="placeholder: a commercial claim costs a fraction of its value to enforce; a "
        "fifth of the default penalty, from none (0) to ten times it",
    ),
    _uncertain(
        "reputation_loss_on_breach",
        0.2,
        "share",
        "Trust that third parties who learn of a breach lose in the offender (0: no reputation)",
        0,
        1,
        "trust",
        source="placeholder: smaller than what the victim itself loses "
        "(trust_loss_on_failure, 0.3), as third parties hear of it second-hand",
    ),
    _uncertain(
        "reputation_recovery_per_month",
        0.02,
        "share/month",
        "Monthly decay of a breach's damage to the offender's reputation",
        0,
        0.5,
        "trust",
        source="placeholder: a half-life of about three years (0.02/month); from never "
        "forgotten (0) to forgotten within months (0.5)",
    ),
    _uncertain(
        "tier1_breach_report_weight",
        0.5,
        "share",
        "Weight platform members give a breach reported by a tier-1 member, relative to one "
        "reported by a tier-2 member whose cost data make the report verifiable",
        0,
        1,
        "trust",
        source="placeholder: an unverifiable report counts half (Fraccascia & Yazan 2018 "
        "separate the tiers by what can be verified); 0 ignores it, 1 believes it fully",
    ),
    _uncertain(
        "awareness_mean",
        0.5,
        "share",
        "Mean initial knowledge of industrial symbiosis among firms",
        0,
        1,
        "knowledge",
        source="placeholder: between a park where few firms know of IS and one where most do",
        plausible=(0.2, 0.8),
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
        source="placeholder: learning from exchanging neighbours takes years",
        plausible=(0.01, 0.15),
    ),
    _uncertain(
        "workshop_awareness_gain",
        0.3,
        "share",
        "Knowledge of IS gained by attending one workshop",
        0,
        1,
        "knowledge",
        source="placeholder: one workshop lifts a firm's knowledge by a tenth to a half",
        plausible=(0.1, 0.5),
    ),
    _uncertain(
        "openness_mean",
        0.5,
        "share",
        "Mean openness of firms to share data on a platform",
        0,
        1,
        "platform",
        source="placeholder: firms split between closed and open; no survey of Nordic firms "
        "was found",
        plausible=(0.3, 0.7),
    ),
    _uncertain(
        "confidentiality_risk_eur_per_month",
        150.0,
        "EUR/month",
        "Perceived monthly cost of disclosing cost data (tier 2) for a fully closed firm",
        0,
        5000,
        "platform",
        source="placeholder: of the order of the platform fee; firms rarely price the risk",
        plausible=(50, 500),
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
        source="placeholder: a choice of generator; small world is the common assumption for "
        "business networks",
    ),
    _uncertain(
        "social_mean_degree",
        6,
        "ties",
        "Mean number of social ties per firm",
        0,
        20,
        "social network",
        source="placeholder: a firm knows a handful to a dozen firms of the park",
        plausible=(3, 12),
    ),
    _uncertain(
        "social_rewiring",
        0.1,
        "share",
        "Rewiring probability of the small-world network",
        0,
        1,
        "social network",
        source="placeholder: a small-world network needs a little rewiring (Watts & Strogatz 1998)",
        plausible=(0.01, 0.3),
    ),
    _uncertain(
        "search_probability",
        0.3,
        "share/month",
        "Probability that an aware firm looks at its known candidates in a month",
        0,
        1,
        "behaviour",
        source="placeholder: an aware firm looks for partners every few months to every month",
        plausible=(0.1, 0.6),
    ),
    _uncertain(
        "distance_decay_km",
        15.0,
        "km",
        "Distance over which the chance of considering a partner falls by 1/e",
        0.1,
        1000,
        "behaviour",
        source="placeholder: partners within a park to within a region (NISP median 32.8 km, "
        "Jensen et al. 2011)",
        plausible=(5, 40),
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
        source="placeholder: a plant stops for a while every few to every fifty years",
        plausible=(0.02, 0.2),
    ),
    _uncertain(
        "disruption_months",
        3,
        "months",
        "Length of a production stop",
        1,
        24,
        "production",
        source="placeholder: a stop lasts weeks to half a year",
        plausible=(1, 6),
    ),
    _uncertain(
        "exit_rate_per_year",
        0.01,
        "1/year",
        "Chance per year that a firm leaves the park (a new firm of its sector enters)",
        0,
        1,
        "production",
        source="placeholder: plants close every few decades to every century",
        plausible=(0.005, 0.05),
    ),
    _uncertain(
        "discount_rate",
        0.08,
        "1/year",
        "Discount rate firms use to value a deal",
        0,
        0.5,
        "economics",
        source="placeholder: industrial discount rates of 5 to 12 % a year",
        plausible=(0.05, 0.12),
    ),
    _uncertain(
        "planning_horizon_years",
        5,
        "years",
        "Horizon over which a deal is valued",
        1,
        30,
        "economics",
        source="placeholder: firms value a deal over its payback to its contract life",
        plausible=(3, 10),
    ),
    _uncertain(
        "transaction_cost_eur",
        8000.0,
        "EUR",
        "One-off cost of negotiating a deal (search, legal, testing)",
        0,
        200_000,
        "economics",
        source="placeholder: search, legal work and testing of a new by-product deal, "
        "thousands to tens of thousands of EUR",
        plausible=(2000, 30000),
    ),
    _uncertain(
        "exchange_overhead_eur_per_month",
        300.0,
        "EUR/month",
        "Fixed monthly cost of running an exchange (handling, administration)",
        0,
        20_000,
        "economics",
        source="placeholder: handling and administration of a running exchange",
        plausible=(100, 1000),
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
        source="placeholder: without cost data a side may misjudge its gain by a tenth to a half",
        plausible=(0.1, 0.5),
    ),
    _uncertain(
        "exit_patience_months",
        3,
        "months",
        "Consecutive unprofitable months after which an exchange ends",
        1,
        24,
        "economics",
        source="placeholder: a firm tolerates one to six bad months before ending an exchange",
        plausible=(1, 6),
    ),
    _uncertain(
        "workshop_trust_bonus",
        0.15,
        "share",
        "Trust gained between two firms that meet at a workshop",
        0,
        1,
        "trust",
        source="placeholder: meeting once lifts trust by less than a social tie does",
        plausible=(0.05, 0.3),
    ),
    _uncertain(
        "broker_cost_reduction",
        0.5,
        "share",
        "Share of the transaction cost saved when the operator brokers a deal",
        0,
        1,
        "park operator",
        source="placeholder: a broker saves a quarter to most of the transaction cost",
        plausible=(0.25, 0.75),
    ),
    _uncertain(
        "platform_cost_reduction",
        0.25,
        "share",
        "Share of the transaction cost saved when partners meet through the platform",
        0,
        1,
        "platform",
        source="placeholder: a platform saves search, less than a broker",
        plausible=(0.1, 0.5),
    ),
    _uncertain(
        "contract_cost_reduction",
        0.25,
        "share",
        "Share of the transaction cost saved by the operator's contract templates",
        0,
        1,
        "park operator",
        source="placeholder: templates save part of the legal work",
        plausible=(0.1, 0.5),
    ),
    _uncertain(
        "platform_suggestions",
        8,
        "firms",
        "Nearest members the platform suggests to each member every month",
        1,
        100,
        "platform",
        source="placeholder: a list a manager reads in a month",
        plausible=(3, 20),
    ),
    _uncertain(
        "membership_review_months",
        6,
        "months",
        "Average months between a firm's reviews of its platform membership",
        1,
        60,
        "platform",
        source="placeholder: a subscription reviewed every quarter to every year or two",
        plausible=(3, 24),
    ),
    _uncertain(
        "platform_standalone_value_share",
        0.0,
        "share",
        "Share of the platform's full network benefit it offers with almost no members "
        "(below the critical mass the platform adds little, Fraccascia 2020)",
        0,
        1,
        "platform",
        source="placeholder: a matching platform whose members include none of a "
        "firm's partners suggests it nothing (0, a pure network good, Katz & Shapiro 1994); up "
        "to 1 if the map of streams were worth as much alone. Any value above 0 lets the firms "
        "with the largest unmatched streams join an empty platform and tip it (docs/model.md 7.4)",
        plausible=(0.0, 0.3),
    ),
    _uncertain(
        "platform_expected_gain_share",
        0.05,
        "share",
        "Share of the value of its unmatched streams a firm expects from membership",
        0,
        1,
        "platform",
        source="placeholder: firms expect a small share of their unmatched streams' value from "
        "joining",
        plausible=(0.01, 0.2),
    ),
    _uncertain(
        "workshop_cost_eur",
        5000.0,
        "EUR",
        "Cost to the operator of one workshop",
        0,
        100_000,
        "park operator",
        source="placeholder: venue, facilitator and staff time of a one-day workshop",
        plausible=(2000, 20000),
    ),
    _uncertain(
        "platform_cost_eur_per_month",
        2000.0,
        "EUR/month",
        "Running cost of the platform to the operator",
        0,
        100_000,
        "platform",
        source="placeholder: hosting and curating a park platform",
        plausible=(500, 10000),
    ),
    _uncertain(
        "infrastructure_cost_eur",
        500_000.0,
        "EUR",
        "Public capital cost of the shared pipes and storage",
        0,
        50_000_000,
        "park operator",
        source="placeholder: shared pipes and storage of a park, hundreds of thousands to "
        "millions of EUR",
        plausible=(200000, 5000000),
    ),
    _uncertain(
        "infrastructure_cost_reduction",
        0.5,
        "share",
        "Share of pipe transport and connection investment saved by shared infrastructure",
        0,
        1,
        "park operator",
        source="placeholder: pooling saves a quarter to three quarters of pipe costs",
        plausible=(0.25, 0.75),
    ),
    # Numbers of the decision rules that once sat bare in code. No source is known for any of
    # them: each is a declared uncertainty whose default keeps the model's behaviour as it was,
    # with the reasoning for its range beside it.
    _uncertain(
        "hurdle_rate_spread",
        0.3,
        "-",
        "Spread of firms' hurdle rates around the discount rate (sigma of a log-normal factor)",
        0,
        1.5,
        "economics",
        source="placeholder: one sigma is about +-30 % of the common rate; the range runs from "
        "identical firms (0) to rates differing by a factor of ~4 between typical firms (1.5)",
    ),
    _uncertain(
        "trait_concentration",
        8.0,
        "-",
        "Concentration (a + b) of the Beta distributions of firms' initial awareness, openness "
        "and trust: higher means firms more alike",
        1,
        100,
        "behaviour",
        source="placeholder: 8 gives a standard deviation of ~0.17 around a mean of 0.5; from "
        "nearly uniform traits (1) to nearly identical firms (100)",
    ),
    _uncertain(
        "workshop_operator_trust_gain",
        0.1,
        "share",
        "Trust in the park operator a firm gains by attending one of its workshops",
        0,
        1,
        "trust",
        source="placeholder: smaller than the trust gained between two firms that meet "
        "(workshop_trust_bonus), as the operator is met as an organiser, not a partner",
    ),
    _uncertain(
        "workshop_attendance_floor",
        0.05,
        "-",
        "Invitation weight of a firm that does not trust the operator at all (added to its "
        "trust in the operator), so that distrustful firms still attend sometimes",
        0,
        1,
        "park operator",
        source="placeholder: a firm without trust attends about 1/10 as often as one of average "
        "trust (0.5); 0 keeps distrustful firms away, 1 makes trust matter little",
    ),
    _uncertain(
        "tier1_confidentiality_share",
        0.2,
        "share",
        "Share of the confidentiality risk of cost data that disclosing only stream type, "
        "quantity and location (tier 1) carries",
        0,
        1,
        "platform",
        source="placeholder: streams reveal less than costs (Fraccascia & Yazan 2018 separate "
        "the two tiers); 0 means streams reveal nothing, 1 as much as costs",
    ),
    _uncertain(
        "cost_data_gain_factor",
        1.25,
        "-",
        "Expected membership gain with cost data (tier 2) relative to streams only (tier 1)",
        1,
        3,
        "platform",
        source="placeholder: cost data make more deals verifiable (Fraccascia & Yazan 2018 find "
        "tier 2 raises the benefit); 1 means no gain, 3 a strong one",
    ),
    _uncertain(
        "reliable_delivery_share",
        0.8,
        "share",
        "Share of the planned quantity a month's delivery must reach to build trust",
        0,
        1,
        "trust",
        source="placeholder: most of the plan delivered counts as reliable; fluctuations of "
        "supply_uncertainty (0.2) alone then rarely cost trust",
    ),
    _uncertain(
        "failed_delivery_share",
        0.5,
        "share",
        "Share of the planned quantity below which a month's delivery is a failure that costs "
        "trust (between this and reliable_delivery_share trust stays)",
        0,
        1,
        "trust",
        source="placeholder: delivering less than half of the plan is a failure",
    ),
    _uncertain(
        "trust_exit_margin",
        0.1,
        "share",
        "How far below the trust a deal needs either side's trust may fall before it ends the "
        "exchange (hysteresis: running exchanges are not ended at the signing threshold)",
        0,
        1,
        "trust",
        source="placeholder: a partner is dropped only well below the signing threshold",
    ),
)

# --- Development, attention and path dependence (docs/model.md, section 7.12) ----------------
# An agreed exchange is a project before it is a flow; firms have limited attention; a new park
# starts with firms that do not yet know each other; what was built for one exchange lowers the
# cost of the next. No verified source gives these durations or shares for industrial symbiosis:
# each is a declared uncertainty, its range and reasoning in ``source``.

DEVELOPMENT: tuple[Parameter, ...] = (
    _uncertain(
        "development_lead_times",
        True,
        "-",
        "Agreed exchanges pass through feasibility, permitting and investment before they flow",
        group="development",
        source="-",
    ),
    _uncertain(
        "feasibility_months",
        6.0,
        "months",
        "Mean duration of an agreed exchange's feasibility stage (tests, trials, business case)",
        0,
        60,
        "development",
        source="declared uncertainty, plausible 3-12: sampling, quality trials and a business "
        "case for one stream take months, not weeks or years",
    ),
    _uncertain(
        "permitting_months",
        6.0,
        "months",
        "Mean duration of an agreed exchange's permitting stage (waste or by-product status)",
        0,
        60,
        "development",
        source="declared uncertainty, plausible 2-18: an environmental permit or by-product "
        "status decision by the authority",
    ),
    _uncertain(
        "investment_months",
        6.0,
        "months",
        "Mean duration of the investment stage of an exchange without a pipe (storage, handling)",
        0,
        60,
        "development",
        source="declared uncertainty, plausible 3-12: procurement and installation of "
        "storage, handling and transport equipment",
    ),
    _uncertain(
        "pipe_investment_months",
        18.0,
        "months",
        "Mean duration of the investment stage of an exchange that needs a pipe (energy, water)",
        0,
        120,
        "development",
        source="declared uncertainty, plausible 12-36: design, rights of way and construction "
        "of a steam, heat, gas or water pipe, longer than moving a material by truck",
    ),
    _uncertain(
        "lead_time_spread",
        0.5,
        "share",
        "Each stage lasts its mean times a uniform draw in [1 - spread, 1 + spread]",
        0,
        1,
        "development",
        source="declared uncertainty, plausible 0.25-0.75: projects of one kind differ",
    ),
    _uncertain(
        "development_abandon_rate_per_year",
        0.1,
        "1/year",
        "Yearly rate at which an exchange still in development is abandoned",
        0,
        2,
        "development",
        source="declared uncertainty, plausible 0.05-0.3: a trial fails, a permit is refused, "
        "a budget is cut; most agreed projects are carried through",
    ),
    _uncertain(
        "max_projects_in_development",
        2,
        "projects",
        "Exchanges a firm can have in development at once; a firm at the cap does not search",
        1,
        50,
        "development",
        source="declared uncertainty, plausible 1-5: the plant or environmental manager who "
        "runs such projects beside operations can follow few at a time",
    ),
    _uncertain(
        "acquaintance_months",
        24.0,
        "months",
        "Mean months until two socially tied firms of a new park know each other's streams and "
        "have the tie's trust (0: all ties known from the start)",
        0,
        600,
        "development",
        source="declared uncertainty, plausible 6-60: managers of neighbouring plants meet in "
        "local associations and on shared business over a few years",
    ),
    _uncertain(
        "path_dependence",
        True,
        "-",
        "Infrastructure and experience of earlier exchanges lower the costs of later ones",
        group="development",
        source="-",
    ),
    _uncertain(
        "infrastructure_reuse_share",
        0.5,
        "share",
        "Share of a new exchange's investment saved when it can reuse infrastructure of the "
        "same stream or utility network built for an earlier exchange nearby",
        0,
        1,
        "development",
        source="declared uncertainty, plausible 0.2-0.7: a corridor, storage, logistics or a "
        "proven material specification are reused, the last connection is not",
    ),
    _uncertain(
        "reuse_radius_km",
        0.5,
        "km",
        "Distance from a firm within which infrastructure of an earlier exchange can be reused",
        0,
        50,
        "development",
        source="declared uncertainty, plausible 0.2-2: the same site or the next plot",
    ),
    _uncertain(
        "experience_learning_rate",
        0.2,
        "share",
        "Fall of a firm's transaction cost for a stream per doubling of its exchanges of that "
        "stream (learning curve)",
        0,
        0.9,
        "development",
        source="functional form Wright 1936 (constant fall per doubling); the rate is a "
        "declared uncertainty, plausible 0.05-0.3",
    ),
)

# --- Negotiated deals and diversion at the margin (docs/model.md, sections 7.7 and 7.8) --------

DEALS: tuple[Parameter, ...] = (
    _uncertain(
        "bargaining",
        "nash",
        "-",
        "How a deal's surplus is split: asymmetric Nash bargaining from each side's outside "
        "option, with misjudged outside options without cost data (nash), or half each with "
        "the earlier doubt rule (equal_split)",
        group="economics",
        source="Nash 1950; cost-sharing space of Yazan & Fraccascia 2020",
        choices=("nash", "equal_split"),
    ),
    _uncertain(
        "supplier_bargaining_power",
        0.5,
        "share",
        "The supplier's bargaining power in the asymmetric Nash solution (0.5: symmetric)",
        0.1,
        0.9,
        "economics",
        source="declared uncertainty: no estimate for by-product deals is known; symmetric by "
        "default, the range spans a buyer's market (many waste producers, few takers) to a "
        "seller's market (a scarce secondary input)",
    ),
    _uncertain(
        "outside_option_noise",
        0.3,
        "share",
        "Without the partner's cost data (tier 2), how far each side may misjudge the "
        "partner's outside option (half-width of a uniform error, share of that option)",
        0,
        1,
        "economics",
        source="declared uncertainty: disposal and purchase costs are commercially "
        "confidential (Fraccascia & Yazan 2018); errors of a few tens of per cent are "
        "plausible for an outsider's estimate, the range spans exact to doubling",
    ),
    _uncertain(
        "diversion_cost_eur_per_t",
        100.0,
        "EUR/t",
        "Extra cost per tonne of preparing the worst share of a material by-product for use "
        "(it rises linearly from 0 for the best share; 0: every tonne alike)",
        0,
        500,
        "economics",
        source="declared uncertainty: by-product quality varies (moisture, contamination, "
        "off-spec batches), so the last tonnes cost more to sort and treat than the first; "
        "set near the disposal cost plus a European landfill tax (order 100 EUR/t), so that "
        "taxes shift the margin; 0 to 500 spans uniform quality to costly upgrading",
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
        file_suffix=".toml",
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
        source="setting: the size of a generated park, chosen by the user",
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
        source="setting: the extent of a generated park, chosen by the user (Kemi-Tornio: a "
        "circle 25 km across, Circular Economy Centre)",
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
    declared.extend(DEVELOPMENT)
    declared.extend(DEALS)
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


def declaration(name: str) -> Parameter:
    """The declaration of ``name``: a declared parameter, or a catalogue number as a parameter.

    A catalogue number (``streams.gypsum.gate_fee_eur_per_unit``, see
    ``scenarios.resources.catalogue_numbers``) is an uncertainty whose default is the catalogue's
    value and whose allowed values are any non-negative number (at most 1 for a ratio); its
    plausible range is the sensitivity default (``numeric_range``).

    Raises:
        ParameterError: If ``name`` is neither, or names a catalogue number no run can set.
    """
    if name in PARAMETERS:
        return PARAMETERS[name]
    from scenarios.resources import CatalogueError, catalogue_number, is_catalogue_name

    if not is_catalogue_name(name):
        raise ParameterError(unknown_parameter_message(name))
    try:
        number = catalogue_number(name)
    except CatalogueError as error:
        raise ParameterError(str(error)) from None
    if not number.variable:
        raise ParameterError(f"{name} shapes the park when it is built and cannot be set per run")
    where = f"source: {number.source}" if number.sourced else f"declared range: {number.why}"
    return Parameter(
        name,
        number.value,
        number.unit,
        f"catalogue number ({where})",
        "uncertainty",
        0.0,
        1.0 if name.endswith(".substitution_ratio") else math.inf,
        group="catalogue",
        source=number.source or "placeholder",
    )


def check_value(name: str, value: Any) -> Value:
    """Check one value against the declaration and return it with the declared type.

    Integers are accepted for float parameters; nothing else is converted.

    Raises:
        ParameterError: If the name is unknown or the value has the wrong type or range.
    """
    parameter = declaration(name)
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
        if _is_declared_file(parameter, value):
            return value
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


def _is_declared_file(parameter: Parameter, value: Any) -> bool:
    """Whether ``value`` is the path of an existing file the parameter accepts."""
    suffix = parameter.file_suffix
    return (
        suffix is not None
        and isinstance(value, str)
        and value.endswith(suffix)
        and Path(value).is_file()
    )


def parse_value(name: str, text: str) -> Value:
    """Parse the text of a ``--set name=value`` override into a checked value.

    Raises:
        ParameterError: If the name is unknown or the text does not parse to an allowed value.
    """
    parameter = declaration(name)
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
        if isinstance(start, int) and isinstance(end, int) and end <= start:
            raise ParameterError(
                f"{instrument.end_param} = {end} must come after {instrument.start_param} = {start}"
            )
    _check_operator_budget(resolved)
    return resolved


# --- The operator's services need its budget (no silent no-op) ---------------------------------

# Each service the park operator pays from its budget: the instrument that switches it on and
# the parameter of its cost. The budget starts empty and is filled only by public funding and
# by platform fees, which flow only once the platform runs; so a service switched on with no
# public funding never runs, and a scenario asking for it would give baseline results silently.
OPERATOR_SERVICES: tuple[tuple[str, str], ...] = (
    ("platform", "platform_cost_eur_per_month"),
    ("facilitation", "workshop_cost_eur"),
)


def _check_operator_budget(resolved: dict[str, Value]) -> None:
    """Refuse an operator service switched on without the public funding to run it.

    Raises:
        ParameterError: Naming the service and ``operator_funding_eur_per_year``.
    """
    funding = next(i for i in INSTRUMENTS if i.name == "operator_funding")
    funded_from = resolved[funding.start_param]
    funded_until = resolved[funding.end_param]
    for name, cost in OPERATOR_SERVICES:
        instrument = next(i for i in INSTRUMENTS if i.name == name)
        level, start = resolved[instrument.level.name], resolved[instrument.start_param]
        if not level or not resolved[cost]:
            continue
        service = f"{instrument.level.name} = {_shown(level)} switches on the operator's {name}"
        if not resolved[funding.level.name]:
            raise ParameterError(
                f"{service}, but {funding.level.name} is 0: the operator has no budget to pay "
                f"its {cost} (set {funding.level.name} > 0)"
            )
        if isinstance(funded_until, int) and isinstance(start, int) and funded_until <= start:
            raise ParameterError(
                f"{service} from month {start}, but {funding.end_param} = {funded_until} ends "
                f"the operator's funding before it: no budget to pay its {cost}"
            )
        if isinstance(funded_from, int) and resolved[instrument.end_param] is not None:
            end = resolved[instrument.end_param]
            if isinstance(end, int) and end <= funded_from:
                raise ParameterError(
                    f"{service} until month {end}, but {funding.start_param} = {funded_from} "
                    f"starts the operator's funding only after it: no budget to pay its {cost}"
                )
    if resolved["brokering"] and not resolved["workshops_per_year"]:
        raise ParameterError(
            "brokering = true, but workshops_per_year is 0: the operator brokers only the deals "
            "its workshops introduce (set workshops_per_year > 0)"
        )


def _shown(value: Value) -> str:
    """A level as a scenario file writes it (``true``, ``2``, ``40000``)."""
    return (
        str(value).lower()
        if isinstance(value, bool)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def levers() -> list[Parameter]:
    """Parameters a policy sets."""
    return [p for p in PARAMETERS.values() if p.kind == "lever"]


def uncertainties() -> list[Parameter]:
    """Parameters describing behaviour and the world, uncertain to the modeller."""
    return [p for p in PARAMETERS.values() if p.kind == "uncertainty"]


def numeric_range(name: str) -> tuple[float, float]:
    """Return the declared (low, high) of a numeric parameter, e.g. for a SALib problem.

    For a catalogue number this is its source's spread or its declared plausible range.

    Raises:
        ParameterError: If the parameter is unknown, not numeric or has an open range.
    """
    parameter = declaration(name)
    if parameter.group == "catalogue":
        from scenarios.resources import catalogue_number

        number = catalogue_number(name)
        if not number.low < number.high:
            raise ParameterError(f"{name} has no range to sample ({number.why or number.source})")
        return number.low, number.high
    if parameter.type not in (int, float) or parameter.low is None or parameter.high is None:
        raise ParameterError(f"{name} has no numeric range to sample ({parameter.allowed()})")
    return float(parameter.low), float(parameter.high)


@dataclass(frozen=True, slots=True)
class ModelParameters:
    """Every declared parameter of a run as a typed attribute (``settings.trust_threshold``).

    The model reads its parameters through this view so that the type checker knows each one's
    type and a misspelt name is an error before the run, not a ``KeyError`` during it. It adds no
    declaration: at import the fields are checked against ``PARAMETERS`` (names and types), so a
    parameter declared above without its field here, or with another type, stops the import.
    Build one with ``ModelParameters.of(validate(params))``.
    """

    landfill_tax_eur_per_t: float
    landfill_tax_start_month: int
    landfill_tax_end_month: int | None
    virgin_tax_eur_per_t: float
    virgin_tax_start_month: int
    virgin_tax_end_month: int | None
    subsidy_eur_per_unit: float
    subsidy_start_month: int
    subsidy_end_month: int | None
    investment_grant_share: float
    investment_grant_start_month: int
    investment_grant_end_month: int | None
    platform_tier: int
    platform_fee_eur_per_month: float
    platform_recall: float
    platform_seed_share: float
    platform_seed_months: int
    platform_fee_subsidy_share: float
    platform_start_month: int
    platform_end_month: int | None
    disclosure_incentive_eur_per_month: float
    mandatory_reporting: bool
    disclosure_incentive_start_month: int
    disclosure_incentive_end_month: int | None
    workshops_per_year: int
    workshop_participants: int
    brokering: bool
    facilitation_start_month: int
    facilitation_end_month: int | None
    contracts: bool
    contract_months: int
    contract_penalty_eur: float
    contracts_start_month: int
    contracts_end_month: int | None
    shared_infrastructure: bool
    shared_infrastructure_start_month: int
    shared_infrastructure_end_month: int | None
    operator_funding_eur_per_year: float
    operator_funding_start_month: int
    operator_funding_end_month: int | None
    adaptive_target_recovery_rate: float
    adaptive_tax_step_eur_per_t: float
    generalized_trust_mean: float
    trust_threshold: float
    tie_trust_bonus: float
    trust_gain_per_month: float
    trust_loss_on_failure: float
    trust_decay_per_month: float
    contract_trust_relief: float
    cost_data_trust_relief: float
    opportunism_mean: float
    dispute_cost_eur: float
    reputation_loss_on_breach: float
    reputation_recovery_per_month: float
    tier1_breach_report_weight: float
    awareness_mean: float
    knowledge_threshold: float
    knowledge_diffusion_rate: float
    workshop_awareness_gain: float
    openness_mean: float
    confidentiality_risk_eur_per_month: float
    platform_critical_mass_share: float
    social_network: str
    social_mean_degree: int
    social_rewiring: float
    search_probability: float
    distance_decay_km: float
    supply_uncertainty: float
    supply_turbulence: float
    disruption_rate_per_year: float
    disruption_months: int
    exit_rate_per_year: float
    discount_rate: float
    planning_horizon_years: int
    transaction_cost_eur: float
    exchange_overhead_eur_per_month: float
    cost_uncertainty_share: float
    exit_patience_months: int
    workshop_trust_bonus: float
    broker_cost_reduction: float
    platform_cost_reduction: float
    contract_cost_reduction: float
    platform_suggestions: int
    membership_review_months: int
    platform_standalone_value_share: float
    platform_expected_gain_share: float
    workshop_cost_eur: float
    platform_cost_eur_per_month: float
    infrastructure_cost_eur: float
    infrastructure_cost_reduction: float
    hurdle_rate_spread: float
    trait_concentration: float
    workshop_operator_trust_gain: float
    workshop_attendance_floor: float
    tier1_confidentiality_share: float
    cost_data_gain_factor: float
    reliable_delivery_share: float
    failed_delivery_share: float
    trust_exit_margin: float
    development_lead_times: bool
    feasibility_months: float
    permitting_months: float
    investment_months: float
    pipe_investment_months: float
    lead_time_spread: float
    development_abandon_rate_per_year: float
    max_projects_in_development: int
    acquaintance_months: float
    path_dependence: bool
    infrastructure_reuse_share: float
    reuse_radius_km: float
    experience_learning_rate: float
    bargaining: str
    supplier_bargaining_power: float
    outside_option_noise: float
    diversion_cost_eur_per_t: float
    park: str
    n_firms: int
    area_radius_km: float
    urban_waste: bool

    @classmethod
    def of(cls, params: dict[str, Value]) -> ModelParameters:
        """The typed view of a validated parameter dict (names declared at run time left out)."""
        # The values were checked against the declaration by validate() and the field types
        # against the declaration at import, so the dict of Value unions fits the fields.
        return cls(**{name: params[name] for name in _FIELD_NAMES})  # type: ignore[arg-type]


def _check_typed_view() -> tuple[str, ...]:
    hints = get_type_hints(ModelParameters)
    if set(hints) != set(PARAMETERS):
        missing = sorted(set(PARAMETERS) - set(hints))
        extra = sorted(set(hints) - set(PARAMETERS))
        raise RuntimeError(f"ModelParameters out of step: missing {missing}, not declared {extra}")
    for name, hint in hints.items():
        parameter = PARAMETERS[name]
        expected: Any = parameter.type | None if parameter.optional else parameter.type
        if hint != expected:
            raise RuntimeError(f"ModelParameters.{name} is {hint}, declared as {expected}")
    return tuple(hints)


_FIELD_NAMES = _check_typed_view()
