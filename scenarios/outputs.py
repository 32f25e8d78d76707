"""The single declaration of every model output: what a run measures, in which unit, how.

Each output is declared once, here, as ``scenarios.parameters`` declares each parameter: name,
unit, display label, kind, how it aggregates over months, the range it can take, a one-line
definition and its source. The data collector and ``timeseries.csv``, the run totals of
``summary.json``, the scalar outputs of ``runs.csv`` (``final_<column>``, ``mean_<column>``,
``total_<name>``), the sensitivity and comparison ``--output`` choices, figure and report labels,
the app's indicator panel, the park indicators table and ``symbiosis outputs`` all read it. As
EMA workbench separates outcomes from uncertainties and levers, outputs sit beside parameters.

Adding an indicator is one ``Output`` in ``SERIES`` plus the function that computes it
(``simulation.indicators.measure``); every consumer finds it from here. A run total that is
not the sum of a column goes in ``BOOK_TOTALS`` or ``OPERATOR_TOTALS`` with its function in
``simulation.runner.RUN_TOTAL_MEASURES``; a park indicator in ``PARK_INDICATORS`` with its
function in ``analysis.indicators_table.PER_RUN``.

Kinds:

* ``count``: a number of things (exchanges, firms, negotiations), stored as an integer;
* ``flow``: an amount per month (tonnes, MWh, m3, EUR);
* ``level``: a state at the end of a month (a budget, a tax rate, a mean trust);
* ``share``: a fraction in [0, 1] (of firms, of by-products, of possible links);
* ``flag``: a yes/no state stored as 1 or 0.

Aggregations say how the monthly values of a run combine into one number: ``sum`` (flows and
per-month counts: the run total is their sum), ``last`` (states: the value at the end),
``mean`` (rates and shares: the mean over months), ``first`` (the first month something held).
Every timeseries column also gives ``final_<column>`` and ``mean_<column>`` in ``runs.csv``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from scenarios.errors import InputError

OutputKind = Literal["count", "flow", "level", "share", "flag"]
Aggregation = Literal["sum", "last", "mean", "first"]
Scope = Literal["month", "run", "park"]
Statistic = Literal["mean", "ratio", "share", "conditional_mean"]

KINDS: tuple[OutputKind, ...] = ("count", "flow", "level", "share", "flag")
SCOPES: tuple[Scope, ...] = ("month", "run", "park")

# Sources shared by many outputs. The accounting follows the monthly schedule in docs/model.md.
ACCOUNTING = "model accounting (docs/model.md, 7.9 flows and accounting, 7.11 indicators)"
CHERTOW_2007 = (
    "Chertow, M. R. (2007). 'Uncovering' industrial symbiosis. Journal of Industrial "
    "Ecology 11(1), 11-30"
)
WATTS_STROGATZ_1998 = (
    "Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks. "
    "Nature 393, 440-442 (local clustering coefficient)"
)
WASSERMAN_FAUST_1994 = (
    "Wasserman, S. & Faust, K. (1994). Social Network Analysis: Methods and Applications. "
    "Cambridge University Press (density, components)"
)


@dataclass(frozen=True)
class Output:
    """One declared output.

    Attributes:
        name: Identifier: the timeseries column, the run total (``total_<name>`` in ``runs.csv``),
            or the park indicator's key.
        unit: Unit of the value ("t", "EUR", "count", "share of firms"); a ``sum``-aggregated
            monthly output is per month, its total is not ("t/month" in a month, "t" in a run).
        label: Display name in figures, tables, the report and the app.
        kind: ``count``, ``flow``, ``level``, ``share`` or ``flag`` (module docstring).
        aggregation: How the monthly values combine over a run: ``sum``, ``last``, ``mean``,
            ``first``.
        definition: One line saying what is measured and how.
        low: Smallest value the output can take (None: unbounded).
        high: Largest value the output can take (None: unbounded).
        source: Where the definition comes from (a publication, or the model's accounting).
        scope: ``month`` (a timeseries column, one value per month), ``run`` (one value per run,
            from the run's books) or ``park`` (an indicator of the park indicators table, over
            a scenario's replications).
        total: Whether the run summary carries the sum over months (``total_<name>``); only for
            monthly outputs aggregated by ``sum``.
        group: Heading under which ``symbiosis outputs`` and the documentation list it.
        statistic: For park indicators, how replications are summarised: ``mean`` (t-interval),
            ``ratio`` (ratio of means, bootstrap interval), ``share`` (share of replications,
            Wilson interval), ``conditional_mean`` (mean where defined).
    """

    name: str
    unit: str
    label: str
    kind: OutputKind
    aggregation: Aggregation
    definition: str
    low: float | None = None
    high: float | None = None
    source: str = ACCOUNTING
    scope: Scope = "month"
    total: bool = False
    group: str = "general"
    statistic: Statistic = "mean"

    @property
    def integer(self) -> bool:
        """Whether values are whole numbers (counts and flags are stored as integers)."""
        return self.kind in ("count", "flag")

    @property
    def per_month(self) -> bool:
        """Whether a monthly value is an amount per month (summed over months, not a state)."""
        return self.scope == "month" and self.aggregation == "sum"

    @property
    def monthly_unit(self) -> str:
        """The unit of one month's value ("t/month" for a flow, "t" for a state)."""
        return f"{self.unit}/month" if self.per_month else self.unit

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(low, high): the range the output can take (None: unbounded on that side)."""
        return self.low, self.high

    def allowed(self) -> str:
        """The range in a few words, for listings: ``[0, 1]``, ``>= 0``, ``any``."""
        if self.low is not None and self.high is not None:
            return f"[{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f">= {self.low:g}"
        if self.high is not None:
            return f"<= {self.high:g}"
        return "any"


def _count(
    name: str,
    label: str,
    definition: str,
    *,
    unit: str = "count",
    aggregation: Aggregation = "last",
    scope: Scope = "month",
    group: str = "general",
    source: str = ACCOUNTING,
) -> Output:
    """A count of things: whole, never negative."""
    return Output(
        name, unit, label, "count", aggregation, definition, 0.0, None, source, scope, group=group
    )


def _flow(
    name: str,
    unit: str,
    label: str,
    definition: str,
    *,
    low: float | None = 0.0,
    total: bool = False,
    group: str = "general",
) -> Output:
    """An amount per month, summed over the run (quantities are never negative: ``low`` 0)."""
    return Output(name, unit, label, "flow", "sum", definition, low, total=total, group=group)


def _share(
    name: str,
    unit: str,
    label: str,
    definition: str,
    *,
    aggregation: Aggregation = "last",
    group: str = "general",
    source: str = ACCOUNTING,
) -> Output:
    """A fraction in [0, 1]."""
    return Output(
        name, unit, label, "share", aggregation, definition, 0.0, 1.0, source, group=group
    )


# The month index of every timeseries row (1 = the first month simulated); not an output itself.
STEP = Output(
    "step",
    "month",
    "Month",
    "count",
    "last",
    "Month of the row, 1 for the first month simulated.",
    1.0,
    group="clock",
)

# Timeseries columns, in column order of timeseries.csv (the order is part of the contract).
SERIES: tuple[Output, ...] = (
    _count(
        "active_exchanges",
        "Active exchanges",
        "Exchanges agreed and not ended at the end of the month (in development or running).",
        group="exchanges",
    ),
    _count(
        "new_exchanges",
        "New exchanges",
        "Exchanges agreed in the month (they flow once their development is over).",
        aggregation="sum",
        group="exchanges",
    ),
    _count(
        "ended_exchanges",
        "Ended exchanges",
        "Exchanges ended in the month (unprofitable, idle, distrusted or a firm left).",
        aggregation="sum",
        group="exchanges",
    ),
    _flow(
        "generated_t",
        "t",
        "Material by-products generated",
        "By-products measured in tonnes that the firms produced in the month.",
        total=True,
        group="flows",
    ),
    _flow(
        "generated_mwh",
        "MWh",
        "Energy by-products generated",
        "Excess heat, steam and biogas the firms produced in the month.",
        group="flows",
    ),
    _flow(
        "generated_m3",
        "m³",
        "Water by-products generated",
        "Treated wastewater the firms produced in the month.",
        group="flows",
    ),
    _flow(
        "exchanged_t",
        "t",
        "Materials exchanged",
        "By-products measured in tonnes delivered to a partner in the month.",
        total=True,
        group="flows",
    ),
    _flow(
        "exchanged_mwh",
        "MWh",
        "Energy recovered",
        "Excess heat, steam and biogas delivered to a partner in the month.",
        total=True,
        group="flows",
    ),
    _flow(
        "exchanged_m3",
        "m³",
        "Water reused",
        "Treated wastewater delivered to a partner in the month.",
        total=True,
        group="flows",
    ),
    _flow(
        "landfilled_t",
        "t",
        "Landfilled",
        "By-products of landfilled streams generated but not exchanged in the month.",
        total=True,
        group="flows",
    ),
    _share(
        "recovery_rate",
        "share of material by-products",
        "Recovery rate",
        "Material by-products exchanged over material by-products generated in the month "
        "(0 when none were generated).",
        aggregation="mean",
        group="flows",
    ),
    _flow(
        "virgin_avoided_t",
        "t",
        "Virgin material substituted",
        "Virgin input replaced by exchanged materials in the month (exchanged times the "
        "stream's substitution ratio).",
        total=True,
        group="flows",
    ),
    _flow(
        "co2_avoided_t",
        "t CO₂",
        "CO₂ avoided",
        "Emissions avoided in the month by substituting virgin inputs and by not landfilling "
        "(the stream catalogue's factors).",
        total=True,
        group="flows",
    ),
    _flow(
        "value_created_eur",
        "EUR",
        "Value created",
        "Avoided disposal and virgin purchases minus transport, treatment and overheads of "
        "the month's exchanges.",
        low=None,
        total=True,
        group="money",
    ),
    _flow(
        "firm_net_benefit_eur",
        "EUR",
        "Firms' net benefit",
        "Value created minus one-off costs of new exchanges, minus platform fees plus "
        "disclosure incentives, summed over firms, in the month.",
        low=None,
        total=True,
        group="money",
    ),
    Output(
        "firm_net_benefit_cum_eur",
        "EUR",
        "Firms' net benefit, cumulative",
        "level",
        "last",
        "Firms' net benefit summed over the months so far.",
        group="money",
    ),
    _flow(
        "public_revenue_eur",
        "EUR",
        "Public revenue",
        "Landfill and virgin-material taxes collected in the month.",
        total=True,
        group="money",
    ),
    _flow(
        "public_spending_eur",
        "EUR",
        "Public spending",
        "Subsidies, investment grants, disclosure incentives, operator funding and shared "
        "infrastructure paid by the authority in the month.",
        total=True,
        group="money",
    ),
    _flow(
        "public_net_eur",
        "EUR",
        "Public budget balance",
        "Public revenue minus public spending in the month (negative: a net cost).",
        low=None,
        total=True,
        group="money",
    ),
    Output(
        "public_net_cum_eur",
        "EUR",
        "Public budget balance, cumulative",
        "level",
        "last",
        "Public budget balance summed over the months so far.",
        group="money",
    ),
    Output(
        "landfill_tax_eur_per_t",
        "EUR/t",
        "Landfill tax in force",
        "level",
        "last",
        "Landfill tax in force in the month.",
        0.0,
        group="policy",
    ),
    Output(
        "operator_budget_eur",
        "EUR",
        "Park operator's budget",
        "level",
        "last",
        "What the park operator has left to spend at the end of the month.",
        group="policy",
    ),
    _count(
        "platform_members",
        "Platform members",
        "Firms disclosing streams on the data platform (tier 1 or 2) at the end of the month.",
        unit="firms",
        group="platform",
    ),
    _share(
        "disclosure_rate_tier1",
        "share of firms",
        "Firms disclosing at tier 1",
        "Firms disclosing stream types and quantities only, over the firms in the park.",
        group="platform",
    ),
    _share(
        "disclosure_rate_tier2",
        "share of firms",
        "Firms disclosing at tier 2",
        "Firms disclosing quantities and cost data, over the firms in the park.",
        group="platform",
    ),
    _count(
        "negotiations",
        "Negotiations",
        "Viable candidate exchanges negotiated in the month.",
        aggregation="sum",
        group="exchanges",
    ),
    _count(
        "failed_negotiations",
        "Failed negotiations",
        "Negotiations in the month that ended without an exchange.",
        aggregation="sum",
        group="exchanges",
    ),
    Output(
        "mean_trust",
        "0-1 scale",
        "Mean trust between partners",
        "level",
        "mean",
        "Mean trust of the partners of active exchanges (both ends); with no exchange, the "
        "firms' mean generalised trust.",
        0.0,
        1.0,
        group="behaviour",
    ),
    Output(
        "mean_awareness",
        "0-1 scale",
        "Mean awareness of symbiosis",
        "level",
        "mean",
        "Mean over firms of their awareness of industrial symbiosis.",
        0.0,
        1.0,
        group="behaviour",
    ),
    _count(
        "firms_involved",
        "Firms in an exchange",
        "Firms in at least one active exchange at the end of the month.",
        unit="firms",
        group="network",
    ),
    _share(
        "network_density",
        "share of possible links",
        "Exchange network density",
        "Links between the firms involved over the links possible among them.",
        group="network",
        source=WASSERMAN_FAUST_1994,
    ),
    _count(
        "components",
        "Network components",
        "Connected groups of firms in the exchange network.",
        group="network",
        source=WASSERMAN_FAUST_1994,
    ),
    _share(
        "largest_component_share",
        "share of firms involved",
        "Largest component",
        "Firms in the largest connected group over the firms involved.",
        group="network",
        source=WASSERMAN_FAUST_1994,
    ),
    Output(
        "clustering",
        "0-1",
        "Clustering coefficient",
        "level",
        "last",
        "Mean local clustering coefficient of the firms involved.",
        0.0,
        1.0,
        source=WATTS_STROGATZ_1998,
        group="network",
    ),
    Output(
        "chertow_3_2",
        "1 = yes, 0 = no",
        "Chertow 3-2 heuristic holds",
        "flag",
        "last",
        "Whether at least three firms, none primarily a recycler, exchange at least two "
        "resource types in one connected group.",
        0.0,
        1.0,
        source=CHERTOW_2007,
        group="network",
    ),
    # Opportunism (docs/model.md, section 7.10a).
    Output(
        "breaches",
        "count",
        "Breaches",
        "count",
        "sum",
        "Promises broken in the month: hold-ups (a partner forces a new split after the other "
        "has invested) and reneging (a partner walks out of a running exchange).",
        0.0,
        total=True,
        group="exchanges",
    ),
    # The unit of a park's documented history (docs/model.md, section 7.11).
    Output(
        "new_links",
        "count",
        "New links",
        "count",
        "sum",
        "Exchanges that flowed for the first time in the month between a supplier, a receiver "
        "and a stream that had never exchanged before: an exchange begun again after it ended "
        "is not a new link, and a firm that replaced one that left makes new links.",
        0.0,
        total=True,
        group="exchanges",
    ),
)

# Totals of a run that are not the sum of a timeseries column: the exchange book's, listed
# before the summed columns in summary.json and runs.csv, and the operator's, listed after them
# (``run_totals``); ``simulation.runner.RUN_TOTAL_MEASURES`` reads each from the run.
BOOK_TOTALS: tuple[Output, ...] = (
    _count(
        "exchanges_started",
        "Exchanges started",
        "Exchanges started over the run.",
        aggregation="sum",
        scope="run",
        group="exchanges",
    ),
    _count(
        "exchanges_ended",
        "Exchanges ended",
        "Exchanges that ended before the end of the run.",
        aggregation="sum",
        scope="run",
        group="exchanges",
    ),
    Output(
        "mean_months_to_first_flow",
        "months",
        "Mean months from agreement to first flow",
        "level",
        "mean",
        "Mean over the exchanges that flowed of the months from agreement to first flow "
        "(feasibility, permitting and investment; NaN if none flowed).",
        0.0,
        scope="run",
        group="exchanges",
    ),
)
OPERATOR_TOTALS: tuple[Output, ...] = (
    _count(
        "workshops_held",
        "Workshops held",
        "Matchmaking workshops the park operator held over the run.",
        aggregation="sum",
        scope="run",
        group="policy",
    ),
    _count(
        "introductions",
        "Introductions by the operator",
        "Pairs of firms the operator introduced (brokered) over the run.",
        aggregation="sum",
        scope="run",
        group="policy",
    ),
)
RUN_TOTALS: tuple[Output, ...] = (*BOOK_TOTALS, *OPERATOR_TOTALS)

# The month the Chertow (2007) 3-2 heuristic first held (NaN in runs.csv if it never did).
CHERTOW_FIRST_STEP = Output(
    "chertow_first_step",
    "month",
    "Month the 3-2 heuristic first held",
    "level",
    "first",
    "First month in which the Chertow 3-2 heuristic held (empty if it never did).",
    1.0,
    source=CHERTOW_2007,
    scope="run",
    group="network",
)

# The indicators a comparison reports by default (the key indicators of a policy).
KEY_OUTPUTS: tuple[str, ...] = (
    "final_active_exchanges",
    "total_exchanges_started",
    "mean_recovery_rate",
    "total_co2_avoided_t",
    "total_value_created_eur",
    "total_public_net_eur",
)


def series() -> tuple[Output, ...]:
    """The timeseries outputs, in column order (read at call time, so additions show)."""
    return SERIES


def timeseries_columns() -> tuple[str, ...]:
    """Columns of ``timeseries.csv``: ``step`` and then every timeseries output."""
    return (STEP.name, *(output.name for output in series()))


def integer_columns() -> tuple[str, ...]:
    """Timeseries columns stored as integers (the month index, counts and flags)."""
    return tuple(output.name for output in (STEP, *series()) if output.integer)


def summed_columns() -> tuple[str, ...]:
    """Timeseries columns whose sum over the run is a run total (``total_<column>``)."""
    return tuple(output.name for output in series() if output.total)


def run_totals() -> tuple[Output, ...]:
    """Every run total: the exchange book's, the summed columns', the operator's (in order)."""
    return (*BOOK_TOTALS, *(o for o in series() if o.total), *OPERATOR_TOTALS)


def total_names() -> tuple[str, ...]:
    """Names of the run totals (``summary.json`` ``totals``; ``total_<name>`` in ``runs.csv``)."""
    return tuple(output.name for output in run_totals())


def scalar_output_names() -> tuple[str, ...]:
    """Every scalar output of a run: the columns of ``runs.csv`` and the ``--output`` choices.

    ``final_<column>`` and ``mean_<column>`` of every timeseries output, ``total_<name>`` of
    every run total, and ``chertow_first_step``.
    """
    names = [output.name for output in series()]
    return (
        *(f"final_{name}" for name in names),
        *(f"mean_{name}" for name in names),
        *(f"total_{name}" for name in total_names()),
        CHERTOW_FIRST_STEP.name,
    )


def find(name: str) -> Output:
    """The declared output a column, run total or park indicator key names.

    Raises:
        KeyError: If nothing of that name is declared.
    """
    for output in (STEP, *series(), *RUN_TOTALS, CHERTOW_FIRST_STEP, *PARK_INDICATORS):
        if output.name == name:
            return output
    raise KeyError(name)


@dataclass(frozen=True)
class ScalarOutput:
    """A scalar output of a run (a column of ``runs.csv``), with the output it derives from.

    Attributes:
        name: ``final_<column>``, ``mean_<column>``, ``total_<name>`` or ``chertow_first_step``.
        output: The declared output it is computed from.
        label: Display name ("Recovery rate, monthly mean").
        unit: Unit of the value ("t/month" for a flow's last month, "t" for its total).
    """

    name: str
    output: Output
    label: str
    unit: str


def scalar_output(name: str) -> ScalarOutput:
    """The scalar output ``name`` with its label and unit.

    Raises:
        KeyError: If ``name`` is not a scalar output of a run.
    """
    if name == CHERTOW_FIRST_STEP.name:
        return ScalarOutput(name, CHERTOW_FIRST_STEP, CHERTOW_FIRST_STEP.label, "month")
    prefix, _, rest = name.partition("_")
    if prefix == "total" and rest in total_names():
        output = find(rest)
        label = f"{output.label}, total" if output.scope == "month" else output.label
        return ScalarOutput(name, output, label, output.unit)
    if prefix in ("final", "mean") and rest in (o.name for o in series()):
        output = find(rest)
        if prefix == "final":
            label = (
                f"{output.label}, last month" if output.per_month else f"{output.label} at the end"
            )
        else:
            label = f"{output.label}, monthly mean"
        return ScalarOutput(name, output, label, output.monthly_unit)
    raise KeyError(name)


def describe(name: str) -> tuple[str, str]:
    """Display label and unit of a timeseries column, a scalar output or a park indicator.

    Unknown names come back tidied ("a_b" as "a b") with no unit.
    """
    try:
        scalar = scalar_output(name)
    except KeyError:
        pass
    else:
        return scalar.label, scalar.unit
    try:
        output = find(name)
    except KeyError:
        return name.replace("_", " "), ""
    return output.label, output.monthly_unit


def check_output_names(names: list[str] | tuple[str, ...], flag: str = "--output") -> list[str]:
    """The names, without repeats, each a scalar output of a run.

    Raises:
        InputError: Naming the first unknown output (and the closest known one).
    """
    known = scalar_output_names()
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"{flag} {name!r}: unknown output{hint}; outputs are final_<column>, "
                "mean_<column>, total_<name> and chertow_first_step (symbiosis outputs lists them)"
            )
    return list(dict.fromkeys(names))


def _same_as(column: str, name: str, definition: str) -> Output:
    """A park indicator that is the whole-run value of a timeseries output.

    It takes the output's label, unit, kind and bounds, so one quantity has one label and one
    unit everywhere (figures, runs.csv, the indicators table, the report).
    """
    output = next(o for o in SERIES if o.name == column)
    return Output(
        name,
        output.unit,
        output.label,
        output.kind,
        output.aggregation,
        definition,
        output.low,
        output.high,
        output.source,
        "park",
        group=output.group,
    )


def _park(
    name: str,
    unit: str,
    label: str,
    kind: OutputKind,
    definition: str,
    *,
    aggregation: Aggregation = "sum",
    low: float | None = None,
    statistic: Statistic = "mean",
    source: str = ACCOUNTING,
    group: str = "general",
) -> Output:
    """A park indicator (a row of the park indicators table).

    Shares lie in [0, 1]; counts and quantities other than money are never negative.
    """
    if low is None and kind != "level" and not unit.startswith("EUR"):
        low = 0.0
    high = 1.0 if kind == "share" else None
    return Output(
        name,
        unit,
        label,
        kind,
        aggregation,
        definition,
        low,
        high,
        source,
        "park",
        group=group,
        statistic=statistic,
    )


# The park indicators table (analysis.indicators_table): what park frameworks ask a park to
# measure (synergies, participation, recovery, landfill diversion, substitution, CO2, water,
# energy, money, data sharing) plus the Chertow (2007) 3-2 test; mean and 95% CI per scenario.
PARK_INDICATORS: tuple[Output, ...] = (
    _park(
        "synergies_active",
        "count",
        "Synergies active at the end",
        "count",
        "Exchanges running in the last month (final_active_exchanges).",
        aggregation="last",
        group="exchanges",
    ),
    _park(
        "synergies_started",
        "count",
        "Synergies started",
        "count",
        "Exchanges started over the horizon (total_exchanges_started).",
        group="exchanges",
    ),
    _park(
        "firms_participating",
        "firms",
        "Firms participating",
        "count",
        "Firms in at least one exchange in the last month (final_firms_involved).",
        aggregation="last",
        group="network",
    ),
    _park(
        "firms_participating_share",
        "share of firms",
        "Firms participating, share of the park",
        "share",
        "Firms in an exchange in the last month over the firms in the park then (needs the "
        "runs' firm tables).",
        aggregation="last",
        group="network",
    ),
    _same_as(
        "recovery_rate",
        "recovery_rate",
        "Material by-products exchanged over those generated, whole horizon "
        "(total_exchanged_t / total_generated_t).",
    ),
    _park(
        "landfill_diverted",
        "t",
        "Landfill diversion",
        "flow",
        "By-products of landfilled streams delivered to a partner instead of landfilled "
        "(needs the runs' exchange tables).",
        group="flows",
    ),
    _park(
        "landfill_diversion_rate",
        "share of landfillable by-products",
        "Landfill diversion rate",
        "share",
        "Landfill diversion over diversion plus what was still landfilled.",
        group="flows",
    ),
    _park(
        "landfilled",
        "t",
        "Still landfilled",
        "flow",
        "By-products of landfilled streams not exchanged (total_landfilled_t).",
        group="flows",
    ),
    _park(
        "virgin_substituted",
        "t",
        "Virgin material substituted",
        "flow",
        "Virgin input replaced by exchanged materials (total_virgin_avoided_t).",
        group="flows",
    ),
    _park(
        "co2_avoided",
        "t CO₂",
        "CO₂ avoided",
        "flow",
        "Emissions avoided by substitution and by not landfilling (total_co2_avoided_t).",
        group="flows",
    ),
    _park(
        "water_reused",
        "m³",
        "Water reused",
        "flow",
        "Treated wastewater delivered to partners (total_exchanged_m3).",
        group="flows",
    ),
    _park(
        "energy_recovered",
        "MWh",
        "Energy recovered",
        "flow",
        "Excess heat, steam and biogas delivered to partners (total_exchanged_mwh).",
        group="flows",
    ),
    _park(
        "firms_net_benefit",
        "EUR",
        "Firms' net benefit",
        "flow",
        "Value created minus one-off costs, fees plus incentives, summed over firms "
        "(total_firm_net_benefit_eur).",
        group="money",
    ),
    _park(
        "value_created",
        "EUR",
        "Value created by exchanges",
        "flow",
        "Avoided disposal and virgin purchases minus transport, treatment and overheads "
        "(total_value_created_eur).",
        group="money",
    ),
    _park(
        "public_net_cost",
        "EUR",
        "Public net cost",
        "flow",
        "Public spending minus public revenue (-total_public_net_eur); negative: the policy "
        "mix brings net revenue.",
        group="money",
    ),
    _park(
        "public_cost_per_t_co2",
        "EUR/t CO₂",
        "Extra public net cost per extra t CO₂ avoided, against the reference",
        "level",
        "Against the reference scenario (the first compared), paired by replication: mean "
        "extra public net cost over mean extra CO₂ avoided (paired bootstrap 95% CI); none for "
        "the reference itself or a policy that avoids no extra CO₂.",
        statistic="ratio",
        group="money",
    ),
    _park(
        "public_cost_per_t_diverted",
        "EUR/t",
        "Extra public net cost per extra t kept out of landfill, against the reference",
        "level",
        "Against the reference scenario, paired by replication: mean extra public net cost "
        "over the mean reduction in tonnes landfilled (paired bootstrap 95% CI); none for the "
        "reference itself or a policy that landfills no less.",
        statistic="ratio",
        group="money",
    ),
    _park(
        "data_sharing_share",
        "share of firms",
        "Firms sharing data",
        "share",
        "Firms disclosing streams on the platform in the last month, tier 1 or 2 "
        "(final_disclosure_rate_tier1 + final_disclosure_rate_tier2).",
        aggregation="last",
        group="platform",
    ),
    _same_as(
        "disclosure_rate_tier2",
        "data_sharing_tier2_share",
        "Firms disclosing quantities and cost data in the last month "
        "(final_disclosure_rate_tier2).",
    ),
    _park(
        "chertow_held",
        "share of replications",
        "Chertow 3-2 heuristic held",
        "share",
        "Share of replications in which at least three firms, none primarily a recycler, "
        "exchanged at least two resource types in some month; Wilson 95% CI.",
        aggregation="first",
        statistic="share",
        source=CHERTOW_2007,
        group="network",
    ),
    _park(
        "chertow_first_month",
        "month",
        "Month the 3-2 heuristic first held",
        "level",
        "Mean over the replications in which it held.",
        aggregation="first",
        low=1.0,
        statistic="conditional_mean",
        source=CHERTOW_2007,
        group="network",
    ),
)


def park_indicators() -> tuple[Output, ...]:
    """The rows of the park indicators table, in order (read at call time)."""
    return PARK_INDICATORS


def every_output() -> tuple[Output, ...]:
    """Every declared output: timeseries columns, run totals and outcomes, park indicators."""
    return (*series(), *RUN_TOTALS, CHERTOW_FIRST_STEP, *park_indicators())
