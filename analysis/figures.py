"""Evidence figures for policy briefs: each function takes tidy tables and returns a Figure.

Every figure function is pure (DataFrames in, a matplotlib Figure out) and attaches the exact
numbers it draws as ``figure.plotted_data`` (a DataFrame). ``save_figure`` writes the figure as
PNG (300 dpi), SVG and PDF next to ``<name>.csv`` (those numbers) and ``<name>.json`` (provenance:
scenarios, replications, root seed, package version, command). The style is ``analysis.style``.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.indicators_table import ratio_of_means
from analysis.network_plot import (
    CATEGORY_STYLE,
    OKABE_ITO,
    active_at,
    draw_exchange_network,
    marker_areas,
    present_at,
)
from analysis.statistics import mean_ci
from analysis.style import (
    FULL_WIDTH_IN,
    PNG_DPI,
    RC_PARAMS,
    axis_label,
    compact_axis,
    describe,
    format_number,
    pyplot,
    scenario_styles,
    styled,
)
from scenarios.outputs import find as find_output
from simulation.outputs import KEY_OUTPUTS

FORMATS = ("png", "svg", "pdf")
CONFIDENCE = 0.95
DEFAULT_TIMESERIES = ("active_exchanges", "recovery_rate", "co2_avoided_t", "public_net_eur")
# Outputs of the sweep response figures: the first four key outputs.
RESPONSE_OUTPUTS = KEY_OUTPUTS[:4]
UNIT_NAMES = {"t": "t", "MWh": "MWh", "m3": "m³"}


# --- saving ----------------------------------------------------------------------------------


def plotted_data(fig: Any) -> pd.DataFrame:
    """The table of exactly the numbers ``fig`` draws (set by every figure function here)."""
    data = getattr(fig, "plotted_data", None)
    if data is None:
        raise ValueError("this figure carries no plotted_data; pass the data to save_figure")
    return data


def figure_sidecar(
    manifest: dict[str, Any] | None,
    name: str,
    command: str | None = None,
    description: str = "",
    data: pd.DataFrame | None = None,
    scenarios: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Provenance of a saved figure, from the experiment's manifest.

    Args:
        manifest: The experiment's ``manifest.json`` (may be empty).
        name: File stem of the figure.
        command: The command that drew the figure (default: the experiment's command).
        description: What the figure shows, in one sentence.
        data: The plotted table (its columns and row count are recorded).
        scenarios: The scenarios (or sweep conditions) shown (default: the manifest's).
    """
    manifest = manifest or {}
    if scenarios is None:
        declared = manifest.get("scenarios") or {}
        single = manifest.get("scenario")  # a sensitivity analysis has one
        scenarios = (
            list(declared)
            if declared
            else ([single["name"]] if isinstance(single, dict) and "name" in single else [])
        )
    sidecar = {
        "figure": name,
        "description": description,
        "scenarios": list(scenarios),
        "replications": manifest.get("replications"),
        "root_seed": manifest.get("root_seed"),
        "steps": manifest.get("steps"),
        "package_version": manifest.get("package_version"),
        "git_commit": manifest.get("git_commit"),
        "command": command or manifest.get("command"),
        "experiment_command": manifest.get("command"),
        "data_file": f"{name}.csv",
    }
    if data is not None:
        sidecar["data_columns"] = [str(c) for c in data.columns]
        sidecar["data_rows"] = len(data)
    return sidecar


def save_figure(
    fig: Any,
    stem: str | Path,
    data: pd.DataFrame | None = None,
    manifest: dict[str, Any] | None = None,
    formats: Sequence[str] = FORMATS,
    command: str | None = None,
    description: str = "",
    dpi: int = PNG_DPI,
    scenarios: Sequence[str] | None = None,
) -> list[Path]:
    """Save ``fig`` as ``stem.<format>`` with ``stem.csv`` (its data) and ``stem.json``.

    Args:
        fig: The figure (closed afterwards).
        stem: Path without suffix.
        data: Table to write as CSV (default: ``fig.plotted_data``, the numbers it draws).
        manifest: The experiment's manifest, for the JSON sidecar.
        formats: Image formats (PNG at 300 dpi; SVG and PDF are vector).
        command: The command that drew the figure, for the sidecar.
        description: One sentence saying what the figure shows, for the sidecar.
        dpi: Resolution of the PNG (300 for print; lower only for quick previews).
        scenarios: The scenarios shown, for the sidecar (default: the manifest's).

    Returns:
        The paths written.
    """
    import matplotlib

    plt = pyplot()
    stem = Path(stem)
    data = plotted_data(fig) if data is None else data
    paths = []
    with matplotlib.rc_context(RC_PARAMS):
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            # No creation date in the metadata: the same data give byte-identical SVG files.
            metadata = (
                {"Date": None}
                if fmt == "svg"
                else ({"CreationDate": None} if fmt == "pdf" else None)
            )
            fig.savefig(path, dpi=dpi if fmt == "png" else None, metadata=metadata)
            paths.append(path)
    plt.close(fig)
    csv_path = stem.with_name(f"{stem.name}.csv")
    data.to_csv(csv_path, index=False)
    json_path = stem.with_name(f"{stem.name}.json")
    sidecar = figure_sidecar(manifest, stem.name, command, description, data, scenarios)
    json_path.write_text(json.dumps(sidecar, indent=2, default=str) + "\n")
    return [*paths, csv_path, json_path]


def _grid(n_panels: int, columns: int, panel_height_in: float) -> tuple[Any, list[Any]]:
    plt = pyplot()
    columns = max(1, min(columns, n_panels))
    rows = math.ceil(n_panels / columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(FULL_WIDTH_IN, panel_height_in * rows),
        squeeze=False,
        layout="constrained",
    )
    flat = list(axes.flat)
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


# --- indicator time series --------------------------------------------------------------------


def timeseries_band_data(
    timeseries: pd.DataFrame, outputs: Sequence[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Per scenario, output and month: the replication mean and its t-interval.

    Returns:
        Columns scenario, output, step, n, mean, ci_low, ci_high (the interval is NaN with
        fewer than two replications).
    """
    from scipy import stats

    frames = []
    grouped = timeseries.groupby(["scenario", "step"], sort=False)
    for output in outputs:
        summary = grouped[output].agg(["count", "mean", "std"]).reset_index()
        n = summary["count"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = stats.t.ppf(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
            half = t * summary["std"].to_numpy(dtype=float) / np.sqrt(n)
        try:
            low_bound, high_bound = find_output(output).bounds
        except KeyError:
            low_bound = high_bound = None
        # The same clipping as statistics.estimate: a band never leaves the declared range.
        frames.append(
            pd.DataFrame(
                {
                    "scenario": summary["scenario"],
                    "output": output,
                    "step": summary["step"].astype(int),
                    "n": summary["count"].astype(int),
                    "mean": summary["mean"],
                    "ci_low": (summary["mean"] - half).clip(lower=low_bound, upper=high_bound),
                    "ci_high": (summary["mean"] + half).clip(lower=low_bound, upper=high_bound),
                }
            )
        )
    columns = ["scenario", "output", "step", "n", "mean", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


@styled
def timeseries_figure(
    timeseries: pd.DataFrame,
    outputs: Sequence[str] = DEFAULT_TIMESERIES,
    scenarios: Sequence[str] | None = None,
) -> Any:
    """Indicator time series per scenario: replication mean with a 95% band, a panel each.

    Args:
        timeseries: Long table with scenario, replication, step and the output columns.
        outputs: Timeseries columns to draw (``simulation.indicators.TIMESERIES_COLUMNS``).
        scenarios: Order of the scenarios (default: order of appearance; the first is the
            reference and is drawn in black).
    """
    outputs = list(outputs)
    data = timeseries_band_data(timeseries, outputs)
    scenarios = list(scenarios or dict.fromkeys(timeseries["scenario"]))
    styles = scenario_styles(scenarios)
    fig, axes = _grid(len(outputs), 2, 2.3)
    for ax, output in zip(axes, outputs, strict=True):
        for scenario in scenarios:
            chosen = data[(data["scenario"] == scenario) & (data["output"] == output)]
            style = styles[scenario]
            ax.plot(
                chosen["step"],
                chosen["mean"],
                color=style["color"],
                linestyle=style["linestyle"],
                label=scenario,
                gid=f"mean|{scenario}",
            )
            ax.fill_between(
                chosen["step"],
                chosen["ci_low"],
                chosen["ci_high"],
                color=style["color"],
                alpha=0.18,
                linewidth=0,
                gid=f"band|{scenario}",
            )
        text, unit = describe(output)
        ax.set_title(text, loc="left")
        ax.set_xlabel("Month")
        ax.set_ylabel(unit or "value")
        compact_axis(ax.yaxis)
        ax.set_xlim(left=min(data["step"].min(), 1) if len(data) else 0)
    n = int(timeseries.groupby(["scenario", "step"]).size().max()) if len(timeseries) else 0
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=min(len(scenarios), 3), frameon=False
    )
    fig.suptitle(f"Mean of {n} replications with 95% confidence band")
    fig.plotted_data = data
    return fig


# --- scenario comparison ----------------------------------------------------------------------


@styled
def comparison_figure(comparison: pd.DataFrame, outputs: Sequence[str] | None = None) -> Any:
    """Paired differences from the reference scenario with 95% intervals, a panel per output.

    Args:
        comparison: Rows scenario x output with columns scenario, output, n, mean, ci_low,
            ci_high, diff_mean, diff_ci_low, diff_ci_high; the first scenario is the reference.
        outputs: Outputs to show (default: every output in the table).
    """
    outputs = list(outputs or dict.fromkeys(comparison["output"]))
    scenarios = list(dict.fromkeys(comparison["scenario"]))
    reference = scenarios[0]
    others = scenarios[1:] or scenarios
    styles = scenario_styles(scenarios)
    plotted = comparison[
        comparison["scenario"].isin(others) & comparison["output"].isin(outputs)
    ].reset_index(drop=True)
    # Long condition labels (sweep points) get one column and wrapped tick labels, so that
    # neither the labels of neighbouring panels nor the axes collapse into each other.
    wrapped = [textwrap.fill(name, 34) for name in others]
    lines = max(label.count("\n") + 1 for label in wrapped)
    columns = 1 if max(len(name) for name in others) > 24 else 2
    fig, axes = _grid(len(outputs), columns, (0.3 + 0.12 * (lines - 1)) * len(others) + 1.15)
    y = np.arange(len(others))[::-1]
    for ax, output in zip(axes, outputs, strict=True):
        chosen = plotted[plotted["output"] == output].set_index("scenario").reindex(others)
        ax.axvline(0, color="#777777", linewidth=0.8, linestyle="--", zorder=1)
        for yy, scenario in zip(y, others, strict=True):
            row = chosen.loc[scenario]
            mean = row["diff_mean"]
            low, high = row["diff_ci_low"], row["diff_ci_high"]
            if not (np.isnan(low) or np.isnan(high)):
                ax.plot(
                    [low, high],
                    [yy, yy],
                    color=styles[scenario]["color"],
                    linewidth=1.6,
                    solid_capstyle="butt",
                    gid=f"ci|{output}|{scenario}",
                )
            ax.plot(
                [mean],
                [yy],
                marker="o",
                color=styles[scenario]["color"],
                markersize=5,
                linestyle="none",
                gid=f"mean|{output}|{scenario}",
            )
        ax.set_yticks(y, wrapped)
        ax.set_ylim(-0.6, len(others) - 0.4)
        ax.grid(axis="y", visible=False)
        text, unit = describe(output)
        ax.set_title(text, loc="left")
        against = reference if len(reference) <= 24 else "the reference"
        ax.set_xlabel(
            f"Difference from {against} ({unit})" if unit else f"Difference from {against}"
        )
        compact_axis(ax.xaxis)
    n = int(plotted["n"].max()) if len(plotted) else 0
    fig.suptitle(
        textwrap.fill(
            f"Paired difference from {reference}: mean and 95% CI over {n} replications", 90
        )
    )
    fig.plotted_data = plotted
    return fig


# --- sweeps: response curves and heat maps ---------------------------------------------------


def _value_text(value: Any) -> str:
    """A design value as a short label: 100 rather than 100.0, 0.6 rather than 0.6000."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"{float(value):.6g}"


@styled
def response_figure(points: pd.DataFrame, parameters: Sequence[str], outputs: Sequence[str]) -> Any:
    """Response curves of a sweep: each output's mean and 95% band against a swept parameter.

    The first parameter is on the x axis; with a second, each of its values is a line of its
    own (a third or more are averaged over, and the caption should say so). One panel per
    output.

    Args:
        points: The sweep's points table (``analysis.experiments.sweep_points_table``).
        parameters: The swept parameters, in design order.
        outputs: Outputs to draw (columns ``<output>``, ``<output>_ci_low``, ``_ci_high``).
    """
    x_name = parameters[0]
    group = parameters[1] if len(parameters) > 1 else None
    groups = list(dict.fromkeys(points[group])) if group else [None]
    colours = {g: OKABE_ITO[k % len(OKABE_ITO)] for k, g in enumerate(groups)}
    fig, axes = _grid(len(outputs), 2, 2.3)
    plotted = []
    for ax, output in zip(axes, outputs, strict=True):
        for g in groups:
            chosen = points if g is None else points[points[group] == g]
            summary = (
                chosen.groupby(x_name, sort=True)[[output, f"{output}_ci_low", f"{output}_ci_high"]]
                .mean()
                .reset_index()
            )
            label = f"{group} = {_value_text(g)}" if group else output
            ax.plot(
                summary[x_name],
                summary[output],
                "o-",
                color=colours[g],
                label=label,
                markersize=3,
                gid=f"mean|{output}|{g}",
            )
            ax.fill_between(
                summary[x_name],
                summary[f"{output}_ci_low"],
                summary[f"{output}_ci_high"],
                color=colours[g],
                alpha=0.18,
                linewidth=0,
                gid=f"band|{output}|{g}",
            )
            for row in summary.itertuples(index=False):
                plotted.append(
                    {
                        "output": output,
                        x_name: getattr(row, x_name),
                        **({group: g} if group else {}),
                        "mean": getattr(row, output),
                        "ci_low": getattr(row, f"{output}_ci_low"),
                        "ci_high": getattr(row, f"{output}_ci_high"),
                    }
                )
        text, unit = describe(output)
        ax.set_title(text, loc="left")
        ax.set_xlabel(x_name)
        ax.set_ylabel(unit or "value")
        compact_axis(ax.yaxis)
    if group:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="outside lower center", ncols=min(len(groups), 4), frameon=False
        )
    n = int(points["n"].max()) if len(points) else 0
    fig.suptitle(f"Response to {x_name}: mean and 95% CI over {n} replications per point")
    fig.plotted_data = pd.DataFrame(plotted)
    return fig


@styled
def response_heatmap_figure(
    points: pd.DataFrame, parameters: Sequence[str], outputs: Sequence[str]
) -> Any:
    """Heat maps of a two-parameter sweep: each output's mean over the grid of values.

    Each cell is written with its mean and, below, its 95% CI, so the colour is never the only
    carrier of a number.
    """
    x_name, y_name = parameters[0], parameters[1]
    xs = sorted(dict.fromkeys(points[x_name]))
    ys = sorted(dict.fromkeys(points[y_name]))
    columns = 2 if len(outputs) > 1 else 1
    fig, axes = _grid(len(outputs), columns, max(2.4, 0.45 * len(ys) + 1.4))
    plotted = []
    for ax, output in zip(axes, outputs, strict=True):
        grid = np.full((len(ys), len(xs)), np.nan)
        for row in points.itertuples(index=False):
            i, j = ys.index(getattr(row, y_name)), xs.index(getattr(row, x_name))
            grid[i, j] = getattr(row, output)
            plotted.append(
                {
                    "output": output,
                    x_name: getattr(row, x_name),
                    y_name: getattr(row, y_name),
                    "mean": getattr(row, output),
                    "ci_low": getattr(row, f"{output}_ci_low"),
                    "ci_high": getattr(row, f"{output}_ci_high"),
                }
            )
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        finite = grid[np.isfinite(grid)]
        middle = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
        for cell in plotted:
            if cell["output"] != output:
                continue
            i, j = ys.index(cell[y_name]), xs.index(cell[x_name])
            interval = (
                ""
                if cell["ci_low"] != cell["ci_low"]
                else f"\n{format_number(cell['ci_low'])} to {format_number(cell['ci_high'])}"
            )
            ax.text(
                j,
                i,
                f"{format_number(cell['mean'])}{interval}",
                ha="center",
                va="center",
                fontsize=6,
                color="black" if cell["mean"] > middle else "white",
            )
        ax.set_xticks(range(len(xs)), [_value_text(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_value_text(v) for v in ys])
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.grid(False)
        text, unit = describe(output)
        ax.set_title(f"{text} ({unit})" if unit else text, loc="left")
        fig.colorbar(image, ax=ax, shrink=0.85)
    n = int(points["n"].max()) if len(points) else 0
    fig.suptitle(f"Mean over {n} replications per point (cell text: mean and 95% CI)")
    fig.plotted_data = pd.DataFrame(plotted)
    return fig


# --- exchange network -------------------------------------------------------------------------


def network_data(
    firms: pd.DataFrame,
    exchanges: pd.DataFrame,
    months: Sequence[int | None],
    size_by: str = "size",
) -> pd.DataFrame:
    """The firms (nodes) and exchanges (edges) drawn at each month, one row each.

    Firm rows have ``element == "firm"`` with id, sector, x_km, y_km, the ``size_by`` value and
    the marker area; exchange rows have ``element == "exchange"`` with supplier, receiver,
    stream, category, unit, quantity per month and both ends' coordinates.
    """
    position = firms.set_index("id")[["x_km", "y_km"]]
    frames = []
    for month in months:
        present = present_at(firms, month)
        frames.append(
            pd.DataFrame(
                {
                    "month": month,
                    "element": "firm",
                    "id": present["id"].to_numpy(),
                    "sector": present["sector"].to_numpy(),
                    "x_km": present["x_km"].to_numpy(),
                    "y_km": present["y_km"].to_numpy(),
                    "size_by": size_by,
                    "size_value": present[size_by].to_numpy(dtype=float),
                    "marker_area_pt2": marker_areas(present[size_by].to_numpy(dtype=float)),
                }
            )
        )
        current = active_at(exchanges, month)
        if len(current):
            start = position.loc[current["supplier"].to_numpy()].to_numpy()
            end = position.loc[current["receiver"].to_numpy()].to_numpy()
            frames.append(
                pd.DataFrame(
                    {
                        "month": month,
                        "element": "exchange",
                        "supplier": current["supplier"].to_numpy(),
                        "receiver": current["receiver"].to_numpy(),
                        "stream": current["stream"].to_numpy(),
                        "category": current["category"].to_numpy(),
                        "unit": current["unit"].to_numpy(),
                        "quantity_per_month": current["quantity_per_month"].to_numpy(dtype=float),
                        "x_km": start[:, 0],
                        "y_km": start[:, 1],
                        "x_end_km": end[:, 0],
                        "y_end_km": end[:, 1],
                    }
                )
            )
    columns = [
        "month",
        "element",
        "id",
        "sector",
        "x_km",
        "y_km",
        "size_by",
        "size_value",
        "marker_area_pt2",
        "supplier",
        "receiver",
        "stream",
        "category",
        "unit",
        "quantity_per_month",
        "x_end_km",
        "y_end_km",
    ]
    frames = [frame for frame in frames if len(frame)]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return data.reindex(columns=columns)


def _network_legend(fig: Any, firms: pd.DataFrame, ncols: int) -> None:
    """Legends of sectors (colour and marker) and exchange categories under the panels."""
    from matplotlib.lines import Line2D

    from analysis.network_plot import sector_colours, sector_markers

    sectors = sorted(firms["sector"].unique())
    colours, markers = sector_colours(sectors), sector_markers(sectors)
    handles = [
        Line2D(
            [0],
            [0],
            linestyle="none",
            marker=markers[s],
            color=colours[s],
            markersize=5,
            label=s.replace("_", " "),
        )
        for s in sectors
    ]
    handles += [
        Line2D(
            [0],
            [0],
            color=style["color"],
            linestyle=style["linestyle"],
            label=f"{category} exchange",
        )
        for category, style in CATEGORY_STYLE.items()
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        fontsize=6.5,
        handlelength=1.8,
        columnspacing=1.0,
    )


SIZE_BY_TEXT = {
    "size": "firm size",
    "net_benefit_eur": "the firm's net benefit; losses drawn smallest",
}


def size_text(size_by: str) -> str:
    """What the marker area of the network figure shows, in words."""
    return SIZE_BY_TEXT.get(size_by, size_by.replace("_", " "))


@styled
def network_figure(
    firms: pd.DataFrame,
    exchanges: pd.DataFrame,
    months: Sequence[int | None] = (None,),
    size_by: str = "size",
    title: str = "",
) -> Any:
    """The exchange network at chosen months on the firms' locations (zero exchanges allowed).

    Firms are coloured (and marked) by sector and sized by ``size_by`` (``size`` or
    ``net_benefit_eur``); exchanges are arrows from supplier to receiver styled by category
    (material, energy, water).

    Args:
        firms: One run's firms table.
        exchanges: The same run's exchanges table (may be empty).
        months: Months to draw, one panel each (1-based; ``None`` is the end of the run).
        size_by: Firm column that sets the marker area.
        title: Figure title (e.g. the scenario and replication).
    """
    plt = pyplot()
    months = list(months)
    n = len(months)
    width = min(FULL_WIDTH_IN * 1.4, 2.5 * n + 0.6)
    fig, axes = plt.subplots(1, n, figsize=(width, 3.5), squeeze=False, layout="constrained")
    for k, (ax, month) in enumerate(zip(axes.flat, months, strict=True)):
        draw_exchange_network(ax, firms, exchanges, step=month, size_by=size_by, legend=False)
        count = len(active_at(exchanges, month))
        ax.set_title(
            f"Month {month}: {count} exchanges"
            if month is not None
            else f"End of run: {count} exchanges"
        )
        ax.grid(False)
        if k:
            ax.set_ylabel("")
    _network_legend(fig, firms, ncols=max(3, min(6, 2 * n)))
    fig.suptitle(
        (f"{title}: exchange network" if title else "Exchange network")
        + f" (marker area grows with {size_text(size_by)})"
    )
    fig.plotted_data = network_data(firms, exchanges, months, size_by)
    return fig


# --- flows between sectors (Sankey) -----------------------------------------------------------

FLOW_COLUMNS = ["unit", "supplier_sector", "stream", "receiver_sector", "delivered"]


def sector_flows(exchanges: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Total delivered quantity of one run by supplier sector, stream and receiver sector.

    Returns:
        Columns unit, supplier_sector, stream, receiver_sector, delivered (in the unit, over
        the whole run).
    """
    if exchanges.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    sector = firms.drop_duplicates("id").set_index("id")["sector"]
    frame = exchanges.assign(
        supplier_sector=exchanges["supplier"].map(sector),
        receiver_sector=exchanges["receiver"].map(sector),
    )
    # With as_index=False the sum is a DataFrame; pandas-stubs types it as a Series.
    summed = cast(
        pd.DataFrame, frame.groupby(FLOW_COLUMNS[:-1], as_index=False)["delivered_total"].sum()
    )
    flows = summed.rename(columns={"delivered_total": "delivered"})
    return flows[flows["delivered"] > 0].reset_index(drop=True)[FLOW_COLUMNS]


def mean_sector_flows(runs: Sequence[tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Mean over runs of ``sector_flows`` (a flow absent from a run counts as zero there).

    Args:
        runs: (exchanges, firms) of each replication.

    Returns:
        ``sector_flows`` columns plus ``runs`` (how many runs were averaged).
    """
    frames = [sector_flows(exchanges, firms) for exchanges, firms in runs]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=[*FLOW_COLUMNS, "runs"])
    # With as_index=False the sum is a DataFrame; pandas-stubs types it as a Series.
    total = cast(
        pd.DataFrame,
        pd.concat(frames).groupby(FLOW_COLUMNS[:-1], as_index=False)["delivered"].sum(),
    )
    total["delivered"] = total["delivered"] / len(runs)
    total["runs"] = len(runs)
    return total.sort_values(["unit", "delivered"], ascending=[True, False], ignore_index=True)


def _sankey_layout(
    flows: pd.DataFrame, gap: float
) -> tuple[dict[tuple[int, str], list[float]], float]:
    """Node boxes of columns 0 (suppliers' sectors), 1 (streams), 2 (receivers' sectors).

    Returns:
        ({(column, name): [bottom, top, outgoing cursor, incoming cursor]}, height per unit of
        quantity, the same in every column so that a band is as wide at both ends).
    """
    total = float(flows["delivered"].sum())
    columns = FLOW_COLUMNS[1:4]
    most = max(flows[column].nunique() for column in columns)
    scale = (1 - gap * (most - 1)) / total
    positions: dict[tuple[int, str], list[float]] = {}
    for c, column in enumerate(columns):
        sizes = flows.groupby(column)["delivered"].sum().sort_values(ascending=False)
        y = 1.0
        for name, size in sizes.items():
            height = size * scale
            positions[(c, str(name))] = [y - height, y, y, y]
            y -= height + gap
    return positions, scale


def _spread_labels(
    positions: dict[tuple[int, str], list[float]], spacing: float
) -> dict[tuple[int, str], float]:
    """Label heights at the node centres, pushed apart to at least ``spacing`` per column."""
    placed: dict[tuple[int, str], float] = {}
    for column in {c for c, _ in positions}:
        keys = sorted(
            (k for k in positions if k[0] == column),
            key=lambda k: -(positions[k][0] + positions[k][1]),
        )
        ys = [(positions[k][0] + positions[k][1]) / 2 for k in keys]
        for i in range(1, len(ys)):  # downwards: keep each label below the previous one
            ys[i] = min(ys[i], ys[i - 1] - spacing)
        lowest = min(b for b, *_ in positions.values())
        if ys and ys[-1] < lowest:  # then upwards if the stack ran off the bottom
            ys[-1] = lowest
            for i in range(len(ys) - 2, -1, -1):
                ys[i] = max(ys[i], ys[i + 1] + spacing)
        placed.update(zip(keys, ys, strict=True))
    return placed


def _band(x0: float, top0: float, x1: float, top1: float, height: float) -> Any:
    """A band of constant ``height`` from (x0, top0) to (x1, top1), as a Bezier path."""
    from matplotlib.path import Path as MplPath

    middle = (x0 + x1) / 2
    verts = [
        (x0, top0),
        (middle, top0),
        (middle, top1),
        (x1, top1),
        (x1, top1 - height),
        (middle, top1 - height),
        (middle, top0 - height),
        (x0, top0 - height),
        (x0, top0),
    ]
    codes = [
        MplPath.MOVETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.LINETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CLOSEPOLY,
    ]
    return MplPath(verts, codes)


def _draw_sankey(ax: Any, flows: pd.DataFrame, unit: str) -> None:
    from matplotlib.patches import PathPatch, Rectangle

    columns = FLOW_COLUMNS[1:4]
    positions, scale = _sankey_layout(flows, gap=0.025)
    streams = list(flows.groupby("stream")["delivered"].sum().sort_values(ascending=False).index)
    palette = [c for c in OKABE_ITO if c not in ("#000000", "#F0E442")]
    colours = {s: palette[k % len(palette)] for k, s in enumerate(streams)}
    unit_name = UNIT_NAMES.get(unit, unit)
    label_y = _spread_labels(positions, spacing=0.05)
    for (c, name), (bottom, top, _, _) in positions.items():
        ax.add_patch(
            Rectangle(
                (c - 0.025, bottom),
                0.05,
                top - bottom,
                color="#444444",
                gid=f"node|{unit}|{columns[c]}|{name}",
                zorder=3,
            )
        )
        size = flows.loc[flows[columns[c]] == name, "delivered"].sum()
        text = f"{name.replace('_', ' ')}: {format_number(size)} {unit_name}"
        ha, x = {0: ("right", -0.05), 1: ("center", 1.0), 2: ("left", 2.05)}[c]
        y = label_y[(c, name)]
        if c != 1 and abs(y - (bottom + top) / 2) > 1e-9:
            edge = c + (-0.025 if c == 0 else 0.025)
            ax.plot([edge, x], [(bottom + top) / 2, y], color="#999999", linewidth=0.5)
        ax.text(
            x,
            y,
            text,
            ha=ha,
            va="center",
            fontsize=6.5,
            zorder=4,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.4}
            if c == 1
            else None,
        )
    rank = {key: k for k, key in enumerate(positions)}
    for left in (0, 1):
        right = left + 1
        # With as_index=False the sum is a DataFrame; pandas-stubs types it as a Series.
        links = cast(
            pd.DataFrame,
            flows.groupby([columns[left], columns[right]], as_index=False)["delivered"].sum(),
        )
        links["source"] = links[columns[left]].astype(str)
        links["target"] = links[columns[right]].astype(str)
        links["source_rank"] = [rank[(left, v)] for v in links["source"]]
        links["target_rank"] = [rank[(right, v)] for v in links["target"]]
        # Bands leave a node in the order of their targets and enter one in the order of their
        # sources, which keeps crossings few.
        top_out: dict[int, float] = {}
        # itertuples() rows are namedtuples built at run time; pandas-stubs types each field as
        # any Scalar, so the row is typed Any (fields: Index int, source/target str, delivered
        # float).
        row: Any
        for row in links.sort_values(["source_rank", "target_rank"]).itertuples():
            node = positions[(left, row.source)]
            top_out[row.Index] = node[2]
            node[2] -= row.delivered * scale
        for row in links.sort_values(["target_rank", "source_rank"]).itertuples():
            node = positions[(right, row.target)]
            top_in = node[3]
            node[3] -= row.delivered * scale
            stream = row.target if left == 0 else row.source
            ax.add_patch(
                PathPatch(
                    _band(
                        left + 0.025,
                        top_out[row.Index],
                        right - 0.025,
                        top_in,
                        row.delivered * scale,
                    ),
                    facecolor=colours[stream],
                    alpha=0.6,
                    edgecolor="none",
                    zorder=2,
                    gid=f"band|{unit}|{row.source}|{row.target}",
                )
            )
    for c, heading in enumerate(("Supplier sector", "Stream", "Receiver sector")):
        ax.text(c, 1.03, heading, ha="center", va="bottom", fontweight="bold", fontsize=7.5)
    ax.set_xlim(-0.9, 2.9)
    ax.set_ylim(min(b for b, *_ in positions.values()) - 0.03, 1.12)
    ax.set_axis_off()


@styled
def sankey_figure(flows: pd.DataFrame, units: Sequence[str] | None = None, title: str = "") -> Any:
    """Flows from suppliers' sectors through streams to receivers' sectors, a panel per unit.

    A three-column Sankey-style diagram drawn with matplotlib patches: band widths are
    proportional to the quantity delivered (quantities of different units are never added, so
    tonnes, MWh and m³ each get their own panel). A panel with nothing delivered says so.

    Args:
        flows: ``sector_flows`` or ``mean_sector_flows`` table.
        units: Units to draw (default: every unit present, else tonnes).
        title: Figure title (e.g. the scenario).
    """
    plt = pyplot()
    present = [u for u in ("t", "MWh", "m3") if u in set(flows["unit"])] if len(flows) else []
    present += sorted(set(flows["unit"]) - set(present)) if len(flows) else []
    units = list(units or present or ["t"])
    fig, axes = plt.subplots(
        len(units),
        1,
        figsize=(FULL_WIDTH_IN, 2.7 * len(units)),
        squeeze=False,
        layout="constrained",
    )
    plotted = []
    for ax, unit in zip(axes.flat, units, strict=True):
        chosen = flows[(flows["unit"] == unit) & (flows["delivered"] > 0)] if len(flows) else flows
        unit_name = UNIT_NAMES.get(unit, unit)
        per = " (mean per replication)" if "runs" in flows.columns else ""
        ax.set_title(f"Delivered over the run, {unit_name}{per}", loc="left")
        if chosen.empty:
            ax.text(
                0.5,
                0.5,
                f"No exchanges measured in {unit_name}",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            continue
        _draw_sankey(ax, chosen, unit)
        plotted.append(chosen)
    fig.suptitle((f"{title}: " if title else "") + "Flows by stream between sectors")
    columns = list(flows.columns) if len(flows.columns) else FLOW_COLUMNS
    fig.plotted_data = (
        pd.concat(plotted, ignore_index=True) if plotted else pd.DataFrame(columns=columns)
    )
    return fig


# --- public cost-effectiveness ----------------------------------------------------------------


def cost_effectiveness(
    runs: pd.DataFrame,
    reference: str,
    scenarios: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Extra public cost per extra t CO2 avoided and per extra t diverted, against ``reference``.

    Replications are paired (common random numbers). Per replication k, the policy's public
    cost is ``public balance(reference) - public balance(scenario)`` (EUR; negative when the
    policy brings net revenue, e.g. a landfill tax), its effect the extra CO2 avoided and the
    extra tonnes kept out of landfill. The ratio is the ratio of the mean cost to the mean
    effect with a paired bootstrap interval (``ratio_of_means``). A zero or negative mean effect
    has no cost per tonne: the ratio is NaN and ``*_status`` says why.

    Returns:
        One row per scenario other than the reference.
    """
    order = [s for s in (scenarios or dict.fromkeys(runs["scenario"])) if s != reference]
    base = runs[runs["scenario"] == reference].set_index("replication")
    rows = []
    for scenario in order:
        own = runs[runs["scenario"] == scenario].set_index("replication")
        common = own.index.intersection(base.index)
        cost = (
            base.loc[common, "total_public_net_eur"] - own.loc[common, "total_public_net_eur"]
        ).to_numpy(dtype=float)
        co2 = (
            own.loc[common, "total_co2_avoided_t"] - base.loc[common, "total_co2_avoided_t"]
        ).to_numpy(dtype=float)
        diverted = (
            base.loc[common, "total_landfilled_t"] - own.loc[common, "total_landfilled_t"]
        ).to_numpy(dtype=float)
        row: dict[str, Any] = {"scenario": scenario, "reference": reference, "n": len(common)}
        for name, values in (
            ("public_cost_eur", cost),
            ("extra_co2_avoided_t", co2),
            ("extra_diverted_t", diverted),
        ):
            mean, low, high = mean_ci(values, confidence)
            row.update({name: mean, f"{name}_ci_low": low, f"{name}_ci_high": high})
        for name, effect in (("eur_per_t_co2", co2), ("eur_per_t_diverted", diverted)):
            ratio = ratio_of_means(cost, effect, confidence)
            row.update(
                {
                    name: ratio.value,
                    f"{name}_ci_low": ratio.low,
                    f"{name}_ci_high": ratio.high,
                    f"{name}_status": ratio.status,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


STATUS_TEXT = {
    "no effect": "no extra effect: no cost per t",
    "unbounded": "CI unbounded (effect may be zero)",
    "too few": "one replication: no CI",
}


@styled
def cost_effectiveness_figure(table: pd.DataFrame) -> Any:
    """Public EUR per extra t CO2 avoided and per extra t diverted: a point and CI per policy.

    Values below zero mean the policy brings the public purse net revenue while it avoids CO2.
    Each policy's value and 95% interval are also written beside the panel; a policy with no
    extra effect gets a note instead of a point. When values span more than two orders of
    magnitude the axis is symmetric-logarithmic (linear near zero), so every policy stays
    readable.
    """
    import matplotlib.transforms as transforms

    plt = pyplot()
    n = max(len(table), 1)
    fig, axes = plt.subplots(
        2, 1, figsize=(FULL_WIDTH_IN, 2 * (0.3 * n + 1.0)), layout="constrained", squeeze=False
    )
    scenarios = list(table["scenario"])
    reference = table["reference"].iloc[0] if len(table) else "the reference"
    styles = scenario_styles([reference, *scenarios])
    y = np.arange(len(table))[::-1]
    plotted = []
    for ax, column, text in (
        (axes[0, 0], "eur_per_t_co2", "t CO₂ avoided"),
        (axes[1, 0], "eur_per_t_diverted", "t diverted from landfill"),
    ):
        beside = transforms.blended_transform_factory(ax.transAxes, ax.transData)
        values = []
        for yy, row in zip(y, table.itertuples(), strict=True):
            value = getattr(row, column)
            low, high = getattr(row, f"{column}_ci_low"), getattr(row, f"{column}_ci_high")
            status = getattr(row, f"{column}_status")
            plotted.append(
                {
                    "scenario": row.scenario,
                    "measure": column,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "status": status,
                }
            )
            has_ci = not (np.isnan(low) or np.isnan(high))
            if np.isnan(value):
                note = STATUS_TEXT.get(status, status)
            else:
                # pandas-stubs types itertuples() fields as any Scalar; this one is a name.
                colour = styles[cast(str, row.scenario)]["color"]
                if has_ci:
                    ax.plot(
                        [low, high],
                        [yy, yy],
                        color=colour,
                        linewidth=1.6,
                        gid=f"ci|{column}|{row.scenario}",
                    )
                ax.plot(
                    [value],
                    [yy],
                    marker="o",
                    markersize=5,
                    color=colour,
                    linestyle="none",
                    gid=f"value|{column}|{row.scenario}",
                )
                note = f"{format_number(value)} EUR/t\n" + (
                    f"95% CI {format_number(low)} to {format_number(high)}"
                    if has_ci
                    else STATUS_TEXT.get(status, status)
                )
                values += [v for v in (value, low, high) if not np.isnan(v)]
            ax.text(
                1.02,
                yy,
                note,
                transform=beside,
                va="center",
                ha="left",
                fontsize=6.5,
                color="#333333",
            )
        ax.axvline(0, color="#777777", linewidth=0.8, linestyle="--")
        _value_scale(ax, values)
        compact_axis(ax.xaxis)
        ax.set_yticks(y, scenarios)
        ax.set_ylim(-0.6, len(table) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"Public EUR per {text} (EUR/t)")
        ax.set_title(f"Public cost per extra {text}", loc="left")
    fig.suptitle(f"Public cost-effectiveness against {reference} (below 0: net public revenue)")
    fig.plotted_data = pd.DataFrame(
        plotted, columns=["scenario", "measure", "value", "ci_low", "ci_high", "status"]
    )
    return fig


def _value_scale(ax: Any, values: list[float]) -> None:
    """Linear limits with a margin, or symlog when |values| span over two orders of magnitude."""
    if not values:
        ax.set_xlim(-1, 1)
        return
    low, high = min(0.0, *values), max(0.0, *values)
    magnitudes = np.abs([v for v in values if v != 0])
    if len(magnitudes) and magnitudes.max() / magnitudes.min() > 100:
        threshold = 10.0 ** math.floor(math.log10(magnitudes.min()))
        ax.set_xscale("symlog", linthresh=threshold, linscale=0.5)
        ax.set_xlim(low * 2 if low < 0 else -threshold, high * 2 if high > 0 else threshold)
        return
    pad = 0.08 * (high - low or 1.0)
    ax.set_xlim(low - pad, high + pad)


# --- sensitivity ------------------------------------------------------------------------------


@styled
def sensitivity_figure(indices: pd.DataFrame, output: str | None = None) -> Any:
    """Bar chart of the sensitivity indices of one output with 95% intervals.

    A plain fallback drawn straight from ``indices.csv`` (output, method, parameter, index,
    value, conf): one bar group per parameter, one bar per index present.
    """
    plt = pyplot()
    output = output or indices["output"].iloc[0]
    chosen = indices[indices["output"] == output]
    names = list(dict.fromkeys(chosen["index"]))
    parameters = list(dict.fromkeys(chosen["parameter"]))
    fig, ax = plt.subplots(
        figsize=(FULL_WIDTH_IN * 0.7, 0.28 * len(parameters) * max(len(names), 1) + 1.3),
        layout="constrained",
    )
    height = 0.8 / max(len(names), 1)
    for k, name in enumerate(names):
        rows = chosen[chosen["index"] == name].set_index("parameter").reindex(parameters)
        y = np.arange(len(parameters))[::-1] + ((len(names) - 1) / 2 - k) * height
        ax.barh(
            y,
            rows["value"].fillna(0),
            height=height,
            xerr=rows["conf"].fillna(0),
            capsize=2,
            color=OKABE_ITO[k % len(OKABE_ITO)],
            label=name,
            error_kw={"linewidth": 0.8},
        )
    ax.set_yticks(np.arange(len(parameters))[::-1], parameters)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Sensitivity index (dimensionless, with 95% CI)")
    ax.set_title(axis_label(output), loc="left")
    ax.legend(frameon=False)
    fig.plotted_data = chosen.reset_index(drop=True)
    return fig


def sensitivity_figures(
    indices: pd.DataFrame, noise: pd.DataFrame | None = None, samples: int | None = None
) -> list[tuple[str, Any]]:
    """Figures of a sensitivity analysis: one per method, as ``(name, figure)`` pairs.

    Uses the sensitivity module's own plots (``analysis.sensitivity_plots.indices_figure``)
    when it is installed, else the fallback ``sensitivity_figure`` per output.
    """
    figures = []
    plot_indices: Callable[[pd.DataFrame, str, pd.DataFrame | None, int | None], Any] | None
    try:
        from analysis.sensitivity_plots import indices_figure

        plot_indices = indices_figure
    except ImportError:
        plot_indices = None
    if plot_indices is not None:
        import matplotlib

        for method in dict.fromkeys(indices["method"]):
            with matplotlib.rc_context(RC_PARAMS):
                fig = plot_indices(indices, method, noise, samples)
            fig.plotted_data = indices[indices["method"] == method].reset_index(drop=True)
            figures.append((f"sensitivity_{method}", fig))
        return figures
    for output in dict.fromkeys(indices["output"]):
        figures.append((f"sensitivity_{output}", sensitivity_figure(indices, output)))
    return figures


__all__ = [
    "CATEGORY_STYLE",
    "DEFAULT_TIMESERIES",
    "FORMATS",
    "comparison_figure",
    "cost_effectiveness",
    "cost_effectiveness_figure",
    "figure_sidecar",
    "mean_sector_flows",
    "network_data",
    "network_figure",
    "plotted_data",
    "response_figure",
    "response_heatmap_figure",
    "size_text",
    "sankey_figure",
    "save_figure",
    "sector_flows",
    "sensitivity_figure",
    "sensitivity_figures",
    "timeseries_band_data",
    "timeseries_figure",
]
