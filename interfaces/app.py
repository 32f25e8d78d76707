"""The classroom app: Mesa's SolaraViz with a scenario picker, live network, plots and indicators.

Start it with ``symbiosis app`` (or ``solara run interfaces.app``). The sidebar holds the scenario,
park and side-by-side pickers, then SolaraViz's step / play / reset controls and the sliders and
switches generated from the parameter declaration; moved sliders take effect on Reset. The main
area shows the exchange network on the firms' locations, live plots and the key indicators of
scenario A and, in side-by-side mode, of scenario B run on the same seed and park.
"""

from __future__ import annotations

from html import escape
from typing import Any

import matplotlib
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from analysis.network_plot import draw_exchange_network
from analysis.style import lower_first
from interfaces.app_model import (
    CONTROLS,
    DEFAULT_SCENARIO,
    NO_COMPARISON,
    SCENARIO_PARK,
    AppModel,
    control_meaning,
    control_specs,
)
from scenarios.loader import load_scenario, scenario_names
from scenarios.outputs import describe
from scenarios.outputs import find as find_output
from scenarios.parks import park_names
from simulation.runner import collect_results

matplotlib.use("Agg")

# Styles of runs A and B on the plots (Okabe & Ito 2008 palette; B dashed for colour-blind
# and greyscale readers).
RUN_STYLES = ({"color": "#0072B2", "linestyle": "-"}, {"color": "#D55E00", "linestyle": "--"})
# SolaraViz's own "Model Parameters" card stays empty (the inputs live in a card of ours, see
# ``Workbench``); hide sidebar cards with nothing in them.
HIDE_EMPTY_CARDS_CSS = (
    ".v-navigation-drawer .v-card:has(> .v-card__text > .v-sheet:empty) { display: none; }"
)
# The live plots: (timeseries column, title, y label, cumulative?); titles are the declared
# labels (scenarios.outputs), the y labels say what is drawn.
LIVE_PLOTS = (
    ("active_exchanges", describe("active_exchanges")[0], "exchanges (count)", False),
    ("recovery_rate", describe("recovery_rate")[0], "by-products exchanged (%)", False),
    ("co2_avoided_t", "CO2 avoided, cumulative", "CO2 (t)", True),
    (
        "public_net_cum_eur",
        describe("public_net_cum_eur")[0],
        "EUR (negative: net cost)",
        False,
    ),
)


def _row(model: Any, name: str) -> float:
    return float(model.indicators.row[name])


def _panel_text(name: str, value: Any) -> str:
    """A declared output's value as the panel shows it: counts whole, shares in percent."""
    output = find_output(name)
    if output.integer:
        return f"{int(value)}"
    if output.kind == "share":
        return f"{100 * float(value):.1f} %"
    if output.unit.startswith("0-1"):
        return f"{float(value):.2f}"
    number = float(value)
    return f"{number:,.0f} {output.unit}" if abs(number) >= 100 else f"{number:g} {output.unit}"


def _this_month(name: str) -> tuple[str, Any]:
    """A panel row: the declared label of a timeseries output and its value this month."""
    return describe(name)[0], lambda m: _panel_text(name, m.indicators.row[name])


def _so_far(name: str) -> tuple[str, Any]:
    """A panel row: the declared label of a flow and its total over the months so far."""
    return f"{describe(name)[0]} so far", lambda m: _panel_text(name, _column_sum(m, name))


# The indicator panel: (label, function of a model giving the text); labels and units come
# from the output declaration (scenarios.outputs).
INDICATORS: tuple[tuple[str, Any], ...] = (
    ("Month", lambda m: f"{m.month}"),
    ("Seed", lambda m: f"{m.seed}"),
    _this_month("active_exchanges"),
    (
        f"{describe('new_exchanges')[0]} / {lower_first(describe('ended_exchanges')[0])}",
        lambda m: f"{int(_row(m, 'new_exchanges'))} / {int(_row(m, 'ended_exchanges'))}",
    ),
    (
        describe("firms_involved")[0],
        lambda m: f"{int(_row(m, 'firms_involved'))} of {len(m.companies)}",
    ),
    _this_month("recovery_rate"),
    _so_far("co2_avoided_t"),
    _so_far("value_created_eur"),
    _this_month("public_net_cum_eur"),
    _this_month("landfill_tax_eur_per_t"),
    _this_month("platform_members"),
    _this_month("mean_trust"),
    (
        describe("chertow_first_step")[0],
        lambda m: (
            "not yet"
            if m.indicators.chertow_first_step is None
            else f"month {m.indicators.chertow_first_step}"
        ),
    ),
)


def _column_sum(model: Any, column: str) -> float:
    frame = model.datacollector.get_model_vars_dataframe()
    return float(frame[column].sum()) if len(frame) else 0.0


def _compact(value: float, _position: Any = None) -> str:
    """Axis label of a number: 1,200 as "1.2 k", 3,400,000 as "3.4 M"."""
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def network_figure(model: AppModel) -> Figure:
    """The exchange network of each run (A, and B beside it), drawn on the firms' locations."""
    runs = model.runs()
    fig = Figure(figsize=(1.6 + 5.0 * len(runs), 5.0))
    fig.subplots_adjust(
        left=0.6 / fig.get_figwidth(),
        right=1 - 1.7 / fig.get_figwidth(),
        bottom=0.1,
        top=0.93,
        wspace=0.15,
    )
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for index, (ax, (label, run)) in enumerate(zip(axes, runs, strict=True)):
        result = collect_results(run)
        draw_exchange_network(ax, result.firms, result.exchanges, legend=index == len(runs) - 1)
        active = int((result.exchanges["end_step"] < 0).sum()) if len(result.exchanges) else 0
        ax.set_title(f"{label}: {active} exchanges, month {run.month}", fontsize=10)
    return fig


def plots_figure(model: AppModel) -> Figure:
    """Live plots of exchanges, recovery rate, CO2 avoided and the public budget, A and B."""
    fig = Figure(figsize=(9.0, 5.0))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.93, hspace=0.3, wspace=0.28)
    axes = fig.subplots(2, 2, sharex=True).ravel()
    runs = model.runs()
    for (label, run), style in zip(runs, RUN_STYLES, strict=False):
        frame = run.datacollector.get_model_vars_dataframe()
        if frame.empty:
            continue
        for ax, (column, _title, _unit, cumulative) in zip(axes, LIVE_PLOTS, strict=True):
            values = frame[column].astype(float)
            if column == "recovery_rate":
                values = 100 * values
            if cumulative:
                values = values.cumsum()
            ax.plot(
                frame["step"],
                values,
                label=label,
                linewidth=1.6,
                marker="o" if len(frame) < 3 else None,
                markersize=3,
                **style,
            )
    for ax, (_column, title, unit, _cumulative) in zip(axes, LIVE_PLOTS, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_xlim(left=0, right=max(12, model.month))
        ax.yaxis.set_major_formatter(FuncFormatter(_compact))
    for ax in axes[2:]:
        ax.set_xlabel("month", fontsize=8)
    if model.month:
        axes[0].legend(fontsize=8, frameon=False)
    return fig


def indicator_rows(model: AppModel) -> list[list[str]]:
    """The indicator panel as rows of text: ``[label, value of A, (value of B)]``."""
    runs = [run for _label, run in model.runs()]
    return [[label, *(str(value(run)) for run in runs)] for label, value in INDICATORS]


def indicator_html(model: AppModel) -> str:
    """The indicator panel as an HTML table.

    Plain HTML, not ``solara.Markdown``: that fetches KaTeX from a CDN, which an offline
    classroom does not reach.
    """
    header = ["Indicator", *(label for label, _run in model.runs())]
    head = "".join(
        f"<th style='text-align:left;padding:2px 10px 2px 0'>{escape(cell)}</th>" for cell in header
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td style='padding:2px 10px 2px 0'>{escape(cell)}</td>" for cell in row)
        + "</tr>"
        for row in indicator_rows(model)
    )
    return (
        f"<h4>Key indicators</h4><table class='symbiosis-indicator-table'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _paragraph(text: str) -> None:
    solara.HTML(tag="p", unsafe_innerHTML=escape(text), style={"margin": "4px 0"})


@solara.component
def Dashboard(
    model: solara.Reactive[AppModel],
    on_seed: Any = None,
) -> None:
    """Network, live plots and key indicators of the current model; redrawn on every step.

    ``on_seed`` is told the seed of each new run, so that a new scenario starts on it.
    """
    update_counter.get()
    current = model.value

    def report_seed() -> None:
        if on_seed is not None and not current.seed_problem:
            on_seed(str(current.seed))

    solara.use_effect(report_seed, [id(current)])
    dependencies = [update_counter.value, id(current), current.month]
    if current.seed_problem:
        solara.Warning(current.seed_problem, classes=["symbiosis-seed-problem"])
    network = solara.FigureMatplotlib(
        network_figure(current), format="png", dependencies=dependencies, dpi=90
    )
    plots = solara.FigureMatplotlib(
        plots_figure(current), format="png", dependencies=dependencies, dpi=90
    )
    indicators = solara.HTML(tag="div", unsafe_innerHTML=indicator_html(current))
    side_by_side = current.twin is not None
    wrap = {"flex-wrap": "wrap", "align-items": "flex-start"}
    with solara.Row(style=wrap):
        solara.Column(
            children=[network], classes=["symbiosis-network"], style={"flex": "3 1 640px"}
        )
        if not side_by_side:
            solara.Column(
                children=[indicators], classes=["symbiosis-indicators"], style={"flex": "1 1 300px"}
            )
    with solara.Row(style=wrap):
        solara.Column(children=[plots], classes=["symbiosis-plots"], style={"flex": "3 1 640px"})
        if side_by_side:
            solara.Column(
                children=[indicators], classes=["symbiosis-indicators"], style={"flex": "1 1 300px"}
            )


def _shown(value: Any) -> str:
    """A control's value as shown beside its label: 80, 0.45, 5,000,000."""
    return f"{value:,.10g}" if isinstance(value, int | float) else str(value)


@solara.component
def InputsCard(specs: dict[str, Any], on_change: Any) -> None:
    """The card of seed, policy and behaviour inputs, built from ``specs``.

    The specifications are those of Mesa's ``UserInputs`` (``interfaces.app_model.control_spec``);
    unlike ``UserInputs``, each slider shows its current value in its label.
    """
    values, set_values = solara.use_state({name: spec["value"] for name, spec in specs.items()})

    def changer(name: str) -> Any:
        def change(value: Any) -> None:
            set_values(lambda old: {**old, name: value})
            on_change(name, value)

        return change

    with solara.Card("Policy and behaviour", classes=["symbiosis-inputs"]):
        for name, spec in specs.items():
            value, label, kind = values[name], spec["label"], spec["type"]
            if kind == "InputText":
                solara.InputText(label, value=value, on_value=changer(name))
            elif kind == "Checkbox":
                solara.Checkbox(label=label, value=value, on_value=changer(name))
            elif kind == "Select":
                solara.Select(label, values=spec["values"], value=value, on_value=changer(name))
            else:
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                slider(
                    f"{label}: {_shown(value)}",
                    value=value,
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=changer(name),
                )


@solara.component
def Workbench(
    scenario: str,
    park: str,
    compare: str,
    seed: str,
    on_seed: Any = None,
) -> None:
    """SolaraViz for one choice of scenario, park and comparison, with its inputs and dashboard.

    The page remounts this component whenever the scenario, park or comparison changes, so the
    run starts again and the inputs from the chosen scenario's values. The inputs are in a card
    of our own, keyed by the choice: SolaraViz's own parameter card lives in the sidebar, where
    Solara would reuse it, displayed values and all, across choices.
    """
    user_set = solara.use_memo(dict, [])  # what the user set in the inputs since the choice
    model_class = solara.use_memo(
        lambda: AppModel.choose(scenario, park, compare, seed, controls=user_set), []
    )
    model = solara.use_reactive(solara.use_memo(model_class, []))
    specs = solara.use_memo(lambda: control_specs(scenario, park, seed), [])

    def on_change(name: str, value: Any) -> None:
        user_set[name] = value

    with solara.Sidebar():
        # keyed by the choice, so a new choice builds fresh inputs at the scenario's values
        InputsCard(specs, on_change).key(f"inputs|{scenario}|{park}|{compare}")
    SolaraViz(model, components=[], model_params={}, name="symbiosis: classroom", play_interval=150)
    Dashboard(model, on_seed=on_seed)


@solara.component
def ScenarioPicker(
    scenario: solara.Reactive[str],
    park: solara.Reactive[str],
    compare: solara.Reactive[str],
) -> None:
    """Sidebar card choosing scenario A, the park and scenario B of side-by-side mode."""
    chosen = load_scenario(scenario.value)
    with solara.Sidebar(), solara.Card("Scenario", classes=["symbiosis-scenario"]):
        solara.Select("Scenario A", values=scenario_names(), value=scenario)
        solara.Select("Park", values=[SCENARIO_PARK, *park_names()], value=park)
        solara.Select(
            "Side by side with scenario B", values=[NO_COMPARISON, *scenario_names()], value=compare
        )
        _paragraph(f"{chosen.name}: {chosen.description}. Source: {chosen.source}")
        if compare.value != NO_COMPARISON:
            _paragraph(
                "Scenario B runs on the same seed and park with the same behaviour "
                "settings; the policy sliders steer scenario A only."
            )
        _paragraph(
            "Move the sliders below, then press Reset to start a new run with them; "
            "Step advances one month, ▶ plays."
        )
        with solara.Details("What the controls mean"):
            for name in CONTROLS:
                _paragraph(f"{name}: {control_meaning(name)}")


@solara.component
def Page() -> None:  # noqa: N802 (Solara components are named like classes)
    """The app's page (the entry point ``solara run`` looks for)."""
    scenario = solara.use_reactive(DEFAULT_SCENARIO)
    park = solara.use_reactive(SCENARIO_PARK)
    compare = solara.use_reactive(NO_COMPARISON)
    last_seed = solara.use_ref("0")  # not reactive: a new seed alone does not rebuild the page

    def remember_seed(seed: str) -> None:
        last_seed.current = seed

    solara.Style(HIDE_EMPTY_CARDS_CSS)
    ScenarioPicker(scenario, park, compare)
    key = f"{scenario.value}|{park.value}|{compare.value}"
    Workbench(
        scenario.value, park.value, compare.value, last_seed.current, on_seed=remember_seed
    ).key(key)
