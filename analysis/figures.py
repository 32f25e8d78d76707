"""Evidence figures for policy briefs: each function takes tidy tables and returns a Figure.

Every figure is drawn in one style (``STYLE``: colour-blind-safe Okabe-Ito palette, fonts legible
at a brief's column width, units on every axis) and is saved by ``save_figure`` as PNG (300 dpi),
SVG and PDF, next to a CSV of exactly the numbers it plots and a JSON sidecar of provenance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.network_plot import CATEGORY_STYLE, OKABE_ITO, draw_exchange_network
from analysis.statistics import mean_ci

STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
    "axes.spines.right": False, "axes.prop_cycle": None, "figure.dpi": 100,
    "savefig.bbox": "tight", "svg.fonttype": "none",
}

# Label and unit of every timeseries column and scalar output a figure may show.
LABELS = {
    "active_exchanges": ("Active exchanges", "count"),
    "new_exchanges": ("New exchanges", "count per month"),
    "exchanged_t": ("Material exchanged", "t per month"),
    "recovery_rate": ("Recovery rate", "share of by-products"),
    "co2_avoided_t": ("CO2 avoided", "t per month"),
    "landfilled_t": ("Landfilled", "t per month"),
    "public_net_eur": ("Public budget balance", "EUR per month"),
    "public_net_cum_eur": ("Public budget balance, cumulative", "EUR"),
    "firm_net_benefit_eur": ("Firms' net benefit", "EUR per month"),
    "value_created_eur": ("Value created", "EUR per month"),
    "platform_members": ("Platform members", "firms"),
    "mean_trust": ("Mean trust between partners", "0-1"),
    "final_active_exchanges": ("Active exchanges at the end", "count"),
    "total_exchanges_started": ("Exchanges started", "count"),
    "mean_recovery_rate": ("Mean recovery rate", "share"),
    "total_co2_avoided_t": ("CO2 avoided, total", "t"),
    "total_value_created_eur": ("Value created, total", "EUR"),
    "total_public_net_eur": ("Public budget balance, total", "EUR"),
    "total_exchanged_t": ("Material exchanged, total", "t"),
    "chertow_first_step": ("Month the 3-2 heuristic first held", "month"),
}


def label(name: str) -> str:
    """Axis label with unit for a column or output name."""
    text, unit = LABELS.get(name, (name.replace("_", " "), ""))
    return f"{text} ({unit})" if unit else text


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from cycler import cycler

    style = dict(STYLE)
    style["axes.prop_cycle"] = cycler(color=OKABE_ITO)
    plt.rcParams.update(style)
    return plt


def scenario_colours(scenarios: list[str]) -> dict[str, str]:
    """A colour per scenario in the given order."""
    return {s: OKABE_ITO[k % len(OKABE_ITO)] for k, s in enumerate(scenarios)}


def save_figure(fig: Any, stem: str | Path, data: pd.DataFrame, manifest: dict[str, Any] | None,
                formats: tuple[str, ...] = ("png", "svg", "pdf")) -> list[Path]:
    """Save ``fig`` as ``stem.<format>`` with ``stem.csv`` (its data) and ``stem.json``.

    Returns:
        The paths written.
    """
    plt = _pyplot()
    stem = Path(stem)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        fig.savefig(path, dpi=300 if fmt == "png" else None)
        paths.append(path)
    plt.close(fig)
    data.to_csv(stem.with_suffix(".csv"), index=False)
    manifest = manifest or {}
    sidecar = {key: manifest.get(key) for key in ("command", "root_seed", "steps",
                                                  "replications", "package_version")}
    sidecar["scenarios"] = sorted(manifest.get("scenarios", {}))
    sidecar["figure"] = stem.name
    stem.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, default=str) + "\n")
    return [*paths, stem.with_suffix(".csv"), stem.with_suffix(".json")]


def timeseries_band_data(timeseries: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Per scenario, output and step: the replication mean and its 95% interval."""
    rows = []
    for (scenario, step), group in timeseries.groupby(["scenario", "step"], sort=False):
        for output in outputs:
            mean, low, high = mean_ci(group[output].to_numpy())
            rows.append({"scenario": scenario, "output": output, "step": int(step),
                         "n": len(group), "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def timeseries_figure(timeseries: pd.DataFrame, outputs: list[str]) -> Any:
    """Indicator time series per scenario: replication mean with a 95% band, a panel each.

    Args:
        timeseries: Long table with scenario, replication, step and the output columns.
        outputs: Timeseries columns to draw.
    """
    plt = _pyplot()
    data = timeseries_band_data(timeseries, outputs)
    scenarios = list(dict.fromkeys(timeseries["scenario"]))
    colours = scenario_colours(scenarios)
    columns = min(2, len(outputs))
    rows = int(np.ceil(len(outputs) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.5 * rows), squeeze=False,
                             layout="constrained")
    for ax, output in zip(axes.flat, outputs, strict=False):
        for scenario in scenarios:
            chosen = data[(data["scenario"] == scenario) & (data["output"] == output)]
            ax.plot(chosen["step"], chosen["mean"], color=colours[scenario], label=scenario,
                    linewidth=1.4)
            ax.fill_between(chosen["step"], chosen["ci_low"], chosen["ci_high"],
                            color=colours[scenario], alpha=0.2, linewidth=0)
        ax.set_xlabel("Month")
        text, unit = LABELS.get(output, (output.replace("_", " "), ""))
        ax.set_title(text)
        ax.set_ylabel(unit)
    for ax in list(axes.flat)[len(outputs):]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False)
    fig.suptitle("Replication mean with 95% confidence band")
    fig.plotted_data = data
    return fig


def comparison_figure(comparison: pd.DataFrame, outputs: list[str] | None = None) -> Any:
    """Paired differences from the reference scenario with 95% intervals, a panel per output.

    Args:
        comparison: Table of ``analysis.statistics.comparison_table``.
        outputs: Outputs to show (default: all in the table).
    """
    plt = _pyplot()
    outputs = outputs or list(dict.fromkeys(comparison["output"]))
    scenarios = list(dict.fromkeys(comparison["scenario"]))
    reference, others = scenarios[0], scenarios[1:] or scenarios
    colours = scenario_colours(scenarios)
    columns = min(2, len(outputs))
    rows = int(np.ceil(len(outputs) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns,
                                                     (0.35 * len(others) + 1.1) * rows),
                             squeeze=False, layout="constrained")
    plotted = comparison[comparison["scenario"].isin(others)
                         & comparison["output"].isin(outputs)].copy()
    for ax, output in zip(axes.flat, outputs, strict=False):
        chosen = plotted[plotted["output"] == output].set_index("scenario").reindex(others)
        y = np.arange(len(others))[::-1]
        low = (chosen["diff_mean"] - chosen["diff_ci_low"]).fillna(0).to_numpy()
        high = (chosen["diff_ci_high"] - chosen["diff_mean"]).fillna(0).to_numpy()
        ax.errorbar(chosen["diff_mean"], y, xerr=[low, high], fmt="o", color="black",
                    ecolor="black", capsize=3, markersize=4)
        for yy, scenario in zip(y, others, strict=True):
            ax.plot(chosen.loc[scenario, "diff_mean"], yy, "o", color=colours[scenario],
                    markersize=6)
        ax.axvline(0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, others)
        text, unit = LABELS.get(output, (output.replace("_", " "), ""))
        ax.set_title(text)
        ax.set_xlabel(f"difference ({unit})" if unit else "difference")
        ax.set_ylim(-0.6, len(others) - 0.4)
    for ax in list(axes.flat)[len(outputs):]:
        ax.set_visible(False)
    fig.suptitle(f"Paired difference from {reference} (95% CI)")
    fig.plotted_data = plotted
    return fig


def network_figure(firms: pd.DataFrame, exchanges: pd.DataFrame, months: list[int | None],
                   size_by: str = "size") -> Any:
    """The exchange network at chosen months on the firms' locations (zero exchanges allowed)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(months), figsize=(4.2 * len(months) + 1.6, 4.2),
                             squeeze=False, layout="constrained")
    for k, (ax, month) in enumerate(zip(axes.flat, months, strict=True)):
        draw_exchange_network(ax, firms, exchanges, step=month, size_by=size_by,
                              legend=k == len(months) - 1)
        ax.set_title(f"Month {month}" if month is not None else "End of run")
    rows = []
    from analysis.network_plot import active_at

    for month in months:
        current = active_at(exchanges, month)
        for row in current.itertuples():
            rows.append({"month": month, "supplier": row.supplier, "receiver": row.receiver,
                         "stream": row.stream, "category": row.category,
                         "quantity_per_month": row.quantity_per_month})
    fig.plotted_data = pd.DataFrame(rows, columns=["month", "supplier", "receiver", "stream",
                                                   "category", "quantity_per_month"])
    return fig


def sector_flows(exchanges: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Total delivered quantity by supplier sector, stream and receiver sector."""
    sector = firms.set_index("id")["sector"]
    if exchanges.empty:
        return pd.DataFrame(columns=["supplier_sector", "stream", "unit", "receiver_sector",
                                     "delivered"])
    frame = exchanges.assign(supplier_sector=exchanges["supplier"].map(sector),
                             receiver_sector=exchanges["receiver"].map(sector))
    return (frame.groupby(["supplier_sector", "stream", "unit", "receiver_sector"],
                          as_index=False)["delivered_total"].sum()
            .rename(columns={"delivered_total": "delivered"}))


def sankey_figure(flows: pd.DataFrame, unit: str = "t") -> Any:
    """Flows of one unit from suppliers' sectors through streams to receivers' sectors.

    A three-column Sankey-style diagram drawn with matplotlib patches; band widths are
    proportional to the quantity delivered.
    """
    plt = _pyplot()
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    data = flows[flows["unit"] == unit].copy() if len(flows) else flows.copy()
    fig, ax = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
    ax.set_axis_off()
    ax.set_title(f"Flows by stream, from suppliers' to receivers' sectors ({unit}, total)")
    total = float(data["delivered"].sum()) if len(data) else 0.0
    if total <= 0:
        ax.text(0.5, 0.5, f"No exchanges in {unit}", ha="center", va="center")
        fig.plotted_data = data
        return fig
    columns = ["supplier_sector", "stream", "receiver_sector"]
    gap = 0.02
    positions: dict[tuple[int, str], list[float]] = {}
    for c, column in enumerate(columns):
        sizes = data.groupby(column)["delivered"].sum().sort_values(ascending=False)
        scale = (1 - gap * (len(sizes) - 1)) / total
        y = 1.0
        for name, size in sizes.items():
            height = size * scale
            positions[(c, name)] = [y - height, y, y]  # bottom, top, cursor for bands
            ax.add_patch(plt.Rectangle((c - 0.03, y - height), 0.06, height, color="#555555"))
            ax.text(c + (0.05 if c < 2 else -0.05), y - height / 2, str(name),
                    ha="left" if c < 2 else "right", va="center", fontsize=7)
            y -= height + gap
    colours = {s: OKABE_ITO[k % len(OKABE_ITO)] for k, s in enumerate(sorted(data["stream"]))}
    for left, right in ((0, 1), (1, 2)):
        links = data.groupby([columns[left], columns[right]], as_index=False)["delivered"].sum()
        for row in links.itertuples(index=False):
            a, b, size = row[0], row[1], row[2]
            scale = (1 - gap * (len(data[columns[left]].unique()) - 1)) / total
            height = size * scale
            source, target = positions[(left, a)], positions[(right, b)]
            top0, top1 = source[2], target[2]
            source[2] -= height
            target[2] -= height
            x0, x1 = left + 0.03, right - 0.03
            verts = [(x0, top0), ((x0 + x1) / 2, top0), ((x0 + x1) / 2, top1), (x1, top1),
                     (x1, top1 - height), ((x0 + x1) / 2, top1 - height),
                     ((x0 + x1) / 2, top0 - height), (x0, top0 - height), (x0, top0)]
            codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4,
                     MplPath.LINETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4,
                     MplPath.CLOSEPOLY]
            stream = b if left == 0 else a
            ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=colours[stream],
                                   alpha=0.55, edgecolor="none"))
    for c, title in enumerate(("Supplier sector", "Stream", "Receiver sector")):
        ax.text(c, 1.05, title, ha="center", fontweight="bold")
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-0.05, 1.1)
    fig.plotted_data = data
    return fig


def cost_effectiveness(runs: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Public cost per t CO2 avoided and per t diverted from landfill, against ``reference``.

    Per replication, extra public net cost (reference balance minus scenario balance) is
    divided by the extra CO2 avoided and the extra tonnes diverted; the table gives the ratio of
    the replication means (NaN when the scenario avoids no more than the reference).
    """
    base = runs[runs["scenario"] == reference].set_index("replication")
    rows = []
    for scenario in dict.fromkeys(runs["scenario"]):
        if scenario == reference:
            continue
        own = runs[runs["scenario"] == scenario].set_index("replication")
        common = own.index.intersection(base.index)
        cost = float((base.loc[common, "total_public_net_eur"]
                      - own.loc[common, "total_public_net_eur"]).mean())
        co2 = float((own.loc[common, "total_co2_avoided_t"]
                     - base.loc[common, "total_co2_avoided_t"]).mean())
        diverted = float((base.loc[common, "total_landfilled_t"]
                          - own.loc[common, "total_landfilled_t"]).mean())
        rows.append({"scenario": scenario, "public_cost_eur": cost,
                     "extra_co2_avoided_t": co2, "extra_diverted_t": diverted,
                     "eur_per_t_co2": cost / co2 if co2 > 0 else np.nan,
                     "eur_per_t_diverted": cost / diverted if diverted > 0 else np.nan})
    return pd.DataFrame(rows)


def cost_effectiveness_figure(table: pd.DataFrame) -> Any:
    """Public EUR per t CO2 avoided and per t diverted, per policy (negative: net revenue)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 0.45 * max(len(table), 1) + 1.6),
                             layout="constrained")
    y = np.arange(len(table))[::-1]
    for ax, column, title in ((axes[0], "eur_per_t_co2", "Public EUR per t CO2 avoided"),
                              (axes[1], "eur_per_t_diverted", "Public EUR per t diverted")):
        values = table[column].to_numpy(dtype=float)
        ax.barh(y, np.nan_to_num(values), color=OKABE_ITO[4])
        for yy, value in zip(y, values, strict=True):
            if np.isnan(value):
                ax.text(0, yy, " no extra effect", va="center", fontsize=7)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_yticks(y, table["scenario"])
        ax.set_xlabel(f"{title} (EUR/t)")
    fig.suptitle("Public cost-effectiveness (negative: the policy raises net revenue)")
    fig.plotted_data = table
    return fig


def sensitivity_figure(indices: pd.DataFrame, output: str | None = None) -> Any:
    """Sensitivity indices of one output with 95% intervals (first and total order, or mu*)."""
    plt = _pyplot()
    output = output or indices["output"].iloc[0]
    chosen = indices[indices["output"] == output]
    names = [n for n in ("S1", "ST", "mu_star", "delta", "PAWN_median") if n in
             set(chosen["index"])]
    parameters = list(dict.fromkeys(chosen["parameter"]))
    fig, ax = plt.subplots(figsize=(5.0, 0.35 * len(parameters) * max(len(names), 1) + 1.5),
                           layout="constrained")
    height = 0.8 / max(len(names), 1)
    for k, name in enumerate(names):
        rows = chosen[chosen["index"] == name].set_index("parameter").reindex(parameters)
        y = np.arange(len(parameters))[::-1] + (k - (len(names) - 1) / 2) * height
        ax.barh(y, rows["value"], height=height, xerr=rows["conf"].fillna(0), capsize=2,
                color=OKABE_ITO[k % len(OKABE_ITO)], label=name)
    ax.set_yticks(np.arange(len(parameters))[::-1], parameters)
    ax.set_xlabel(f"Sensitivity index of {output} (with 95% CI)")
    ax.legend(frameon=False)
    fig.plotted_data = chosen
    return fig


__all__ = ["CATEGORY_STYLE", "comparison_figure", "cost_effectiveness",
           "cost_effectiveness_figure", "label", "network_figure", "sankey_figure", "save_figure",
           "sector_flows", "sensitivity_figure", "timeseries_figure"]
