"""Figures of a sensitivity analysis, drawn from the ``indices.csv`` and ``convergence.csv`` frames.

Each ``plot_*`` function draws one output on one Axes (so the report can place panels where it
wants); the ``*_figure`` functions lay out one panel per output; ``save_sensitivity_figures``
writes every figure an analysis calls for.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import pandas as pd

from analysis.network_plot import OKABE_ITO

INDEX_COLORS = {
    "S1": OKABE_ITO[4],
    "ST": OKABE_ITO[5],
    "S2": OKABE_ITO[2],
    "mu_star": OKABE_ITO[4],
    "pawn_median": OKABE_ITO[4],
    "pawn_max": OKABE_ITO[5],
}
INDEX_LABELS = {
    "S1": "first order S1",
    "ST": "total order ST",
    "mu_star": "mu*",
    "pawn_median": "PAWN (median KS)",
    "pawn_max": "PAWN (max KS)",
}
FIGURE_FILES = {
    "sobol": "sobol_indices.png",
    "morris": "morris_mu_star_sigma.png",
    "fast": "fast_indices.png",
    "pawn": "pawn_indices.png",
}
CONVERGENCE_FILE = "convergence.png"
SECOND_ORDER_FILE = "sobol_second_order.png"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    return _pyplot().subplots(figsize=(5, 3.5), layout="constrained")[1]


def _select(frame: pd.DataFrame, output: str, method: str | None = None) -> pd.DataFrame:
    rows = frame[frame["output"] == output]
    if method is not None:
        rows = rows[rows["method"] == method]
    return rows


def _noise_text(noise: pd.DataFrame | None, output: str) -> str:
    if noise is None or noise.empty:
        return ""
    row = noise[noise["output"] == output]
    if row.empty or not math.isfinite(float(row["noise_share_of_means"].iloc[0])):
        return ""
    share = float(row["noise_share_of_means"].iloc[0])
    return f"\nseed noise: {share:.0%} of the variance of point means"


def plot_variance_indices(
    indices: pd.DataFrame, output: str, ax: Any = None, method: str = "sobol"
) -> Any:
    """Bars of first-order (S1) and total-order (ST) indices with 95% confidence bars.

    Args:
        indices: The ``indices.csv`` frame (columns output, method, parameter, index, value,
            conf).
        output: Which output to draw.
        ax: Axes to draw on (default a new figure).
        method: ``sobol`` or ``fast``.

    Returns:
        The Axes.
    """
    ax = _axes(ax)
    rows = _select(indices, output, method)
    parameters = list(dict.fromkeys(rows.loc[rows["index"] == "ST", "parameter"]))
    width = 0.38
    for offset, index in ((-width / 2, "S1"), (width / 2, "ST")):
        part = rows[rows["index"] == index].set_index("parameter").reindex(parameters)
        positions = [k + offset for k in range(len(parameters))]
        ax.bar(
            positions,
            part["value"].fillna(0.0),
            width,
            yerr=part["conf"].fillna(0.0),
            color=INDEX_COLORS[index],
            label=INDEX_LABELS[index],
            capsize=2,
            error_kw={"linewidth": 0.8},
        )
    ax.set_xticks(range(len(parameters)), parameters, rotation=35, ha="right", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("share of output variance")
    ax.set_title(output, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_sobol_indices(indices: pd.DataFrame, output: str, ax: Any = None) -> Any:
    """Sobol S1 and ST of one output with 95% confidence bars (see ``plot_variance_indices``)."""
    return plot_variance_indices(indices, output, ax, method="sobol")


def plot_morris(indices: pd.DataFrame, output: str, ax: Any = None) -> Any:
    """Morris screening plane: mu* (with its 95% confidence bar) against sigma.

    Parameters far to the right matter; high sigma relative to mu* means non-linear effects or
    interactions (the dashed line is sigma = mu*).

    Args:
        indices: The ``indices.csv`` frame.
        output: Which output to draw.
        ax: Axes to draw on (default a new figure).

    Returns:
        The Axes.
    """
    ax = _axes(ax)
    rows = _select(indices, output, "morris")
    table = rows.pivot_table(index="parameter", columns="index", values="value", sort=False)
    confs = rows[rows["index"] == "mu_star"].set_index("parameter")["conf"]
    if table.empty or table["mu_star"].isna().all():
        ax.text(
            0.5,
            0.5,
            "output constant: no effects",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    else:
        ax.errorbar(
            table["mu_star"],
            table["sigma"],
            xerr=confs.reindex(table.index),
            fmt="o",
            color=INDEX_COLORS["mu_star"],
            ecolor="#999999",
            capsize=2,
        )
        for name, row in table.iterrows():
            ax.annotate(
                str(name),
                (row["mu_star"], row["sigma"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        top = float(max(table["mu_star"].max() + confs.max(), table["sigma"].max())) * 1.1
        if math.isfinite(top) and top > 0:
            ax.plot([0, top], [0, top], linestyle="--", color="#999999", linewidth=0.8)
            ax.set_xlim(0, top)
            ax.set_ylim(0, top)
    ax.set_xlabel("mu* (mean |elementary effect|, output units per range)")
    ax.set_ylabel("sigma (spread of effects)")
    ax.set_title(output, fontsize=9)
    return ax


def plot_pawn(indices: pd.DataFrame, output: str, ax: Any = None) -> Any:
    """PAWN indices: median KS distance per parameter (95% bootstrap bars), and the maximum.

    Args:
        indices: The ``indices.csv`` frame.
        output: Which output to draw.
        ax: Axes to draw on (default a new figure).

    Returns:
        The Axes.
    """
    ax = _axes(ax)
    rows = _select(indices, output, "pawn")
    table = rows.pivot_table(index="parameter", columns="index", values="value", sort=False)
    parameters = list(table.index)
    confs = rows[rows["index"] == "pawn_median"].set_index("parameter")["conf"]
    ax.bar(
        range(len(parameters)),
        table["pawn_median"].fillna(0.0),
        yerr=confs.reindex(parameters).fillna(0.0),
        capsize=2,
        error_kw={"linewidth": 0.8},
        color=INDEX_COLORS["pawn_median"],
        label=INDEX_LABELS["pawn_median"],
    )
    ax.plot(
        range(len(parameters)),
        table["pawn_max"],
        "v",
        color=INDEX_COLORS["pawn_max"],
        label=INDEX_LABELS["pawn_max"],
    )
    ax.set_xticks(range(len(parameters)), parameters, rotation=35, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("KS distance")
    ax.set_title(output, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_second_order(indices: pd.DataFrame, output: str, ax: Any = None) -> Any:
    """Heatmap of the second-order Sobol indices S2 of one output (pairs named ``a:b``).

    Each cell is the share of output variance due to the interaction of two parameters alone;
    cells whose 95% interval includes 0 are hatched.

    Args:
        indices: The ``indices.csv`` frame (rows with index ``S2``).
        output: Which output to draw.
        ax: Axes to draw on (default a new figure).

    Returns:
        The Axes.
    """
    import numpy as np

    from analysis.sensitivity import INTERACTION

    ax = _axes(ax)
    rows = _select(indices, output, "sobol")
    parameters = list(dict.fromkeys(rows.loc[rows["index"] == "ST", "parameter"]))
    pairs = rows[rows["index"] == "S2"]
    size = len(parameters)
    values = np.full((size, size), np.nan)
    for pair in pairs.itertuples():
        first, second = str(pair.parameter).split(INTERACTION)
        i, j = parameters.index(first), parameters.index(second)
        # float columns of indices.csv; pandas-stubs types itertuples() fields as any scalar
        value, conf = cast(float, pair.value), cast(float, pair.conf)
        values[j, i] = value
        if math.isfinite(conf) and abs(value) <= conf:
            ax.add_patch(
                _pyplot().Rectangle(
                    (i - 0.5, j - 0.5),
                    1,
                    1,
                    fill=False,
                    hatch="///",
                    edgecolor="#999999",
                    linewidth=0,
                )
            )
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    image = ax.imshow(values, cmap="PuOr_r", vmin=-bound, vmax=bound)
    for j in range(size):
        for i in range(size):
            if math.isfinite(values[j, i]):
                dark = abs(values[j, i]) > 0.6 * bound  # white text on the dark cells
                ax.text(
                    i,
                    j,
                    f"{values[j, i]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(size), parameters, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(size), parameters, fontsize=8)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="S2")
    ax.set_title(output, fontsize=9)
    return ax


PLOTTERS = {
    "sobol": plot_sobol_indices,
    "morris": plot_morris,
    "fast": lambda frame, output, ax=None: plot_variance_indices(frame, output, ax, "fast"),
    "pawn": plot_pawn,
}


def plot_convergence(
    convergence: pd.DataFrame, output: str, ax: Any = None, index: str | None = None
) -> Any:
    """Indices of one output against sample size, with 95% confidence bands.

    Args:
        convergence: The ``convergence.csv`` frame (indices on nested subsets of the design).
        output: Which output to draw.
        ax: Axes to draw on (default a new figure).
        index: Which index (default the method's main index: ST, mu_star or pawn_median).

    Returns:
        The Axes.
    """
    from analysis.sensitivity import MAIN_INDEX

    ax = _axes(ax)
    rows = convergence[convergence["output"] == output]
    if rows.empty:
        ax.set_title(f"{output}: no convergence data", fontsize=9)
        return ax
    method = str(rows["method"].iloc[0])
    index = index or MAIN_INDEX[method]
    rows = rows[rows["index"] == index]
    for k, (parameter, part) in enumerate(rows.groupby("parameter", sort=False)):
        part = part.sort_values("samples")
        color = OKABE_ITO[k % len(OKABE_ITO)]
        ax.plot(
            part["samples"], part["value"], "o-", color=color, label=str(parameter), markersize=3
        )
        if part["conf"].notna().any():
            ax.fill_between(
                part["samples"],
                part["value"] - part["conf"],
                part["value"] + part["conf"],
                color=color,
                alpha=0.15,
                linewidth=0,
            )
    ax.set_xscale("log", base=2)
    sizes = sorted(int(n) for n in rows["samples"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel(
        {
            "sobol": "base samples N",
            "morris": "trajectories",
            "fast": "points per search curve",
            "pawn": "points",
        }.get(method, "samples")
    )
    ax.set_ylabel(INDEX_LABELS.get(index, index))
    ax.set_title(output, fontsize=9)
    ax.legend(fontsize=6, frameon=False)
    return ax


def _grid(n: int) -> tuple[Any, list[Any]]:
    plt = _pyplot()
    columns = min(n, 2)
    rows = math.ceil(n / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(5.5 * columns, 3.8 * rows), layout="constrained", squeeze=False
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def indices_figure(
    indices: pd.DataFrame,
    method: str,
    noise: pd.DataFrame | None = None,
    samples: int | None = None,
) -> Any:
    """One panel per output with the method's indices; titles give the seed-noise share.

    A panel whose indices fail a check of ``analysis.sensitivity.index_warnings`` says so in red
    in its title ("not converged: do not rank"), and the figure's title names the reasons.

    Args:
        indices: The ``indices.csv`` frame.
        method: ``sobol``, ``morris``, ``fast`` or ``pawn``.
        noise: The ``noise.csv`` frame (optional).
        samples: The analysis's sample size in the method's unit (for the sample check).

    Returns:
        The matplotlib Figure.
    """
    from analysis.sensitivity import METHOD_NAMES, index_warnings

    chosen = indices[indices["method"] == method]
    outputs = list(dict.fromkeys(chosen["output"]))
    warned: dict[str, list[str]] = {}
    for warning in index_warnings(chosen, samples):
        warned.setdefault(warning.output, []).append(warning.reason)
    fig, axes = _grid(max(1, len(outputs)))
    for ax, output in zip(axes, outputs, strict=False):
        PLOTTERS[method](indices, output, ax=ax)
        title = output + _noise_text(noise, output)
        if output in warned:
            title += "\nWARNING: not converged, do not rank"
        ax.set_title(title, fontsize=9, color="#B00020" if output in warned else "black")
    title = METHOD_NAMES[method]
    if warned:
        reasons = {
            "outside": "indices outside 0 to 1",
            "wide": "intervals wider than the index range",
            "samples": "sample below the sensible minimum",
        }
        found = dict.fromkeys(r for found in warned.values() for r in found)
        title += "\nWarning: " + "; ".join(reasons[r] for r in found)
    fig.suptitle(title, color="#B00020" if warned else "black")
    return fig


def second_order_figure(indices: pd.DataFrame, noise: pd.DataFrame | None = None) -> Any:
    """One S2 heatmap per output of a Sobol analysis with second-order indices."""
    rows = indices[indices["index"] == "S2"]
    outputs = list(dict.fromkeys(rows["output"]))
    fig, axes = _grid(max(1, len(outputs)))
    for ax, output in zip(axes, outputs, strict=False):
        plot_second_order(indices, output, ax=ax)
        ax.set_title(output + _noise_text(noise, output), fontsize=9)
    fig.suptitle("Second-order Sobol indices S2 (hatched: 95% interval includes 0)")
    return fig


def convergence_figure(convergence: pd.DataFrame) -> Any:
    """One panel per output: the main index of each parameter against sample size."""
    outputs = list(dict.fromkeys(convergence["output"]))
    fig, axes = _grid(max(1, len(outputs)))
    for ax, output in zip(axes, outputs, strict=False):
        plot_convergence(convergence, output, ax=ax)
    fig.suptitle("Convergence of the indices with sample size (95% bands)")
    return fig


def save_sensitivity_figures(
    indices: pd.DataFrame,
    convergence: pd.DataFrame,
    out_dir: str | Path,
    noise: pd.DataFrame | None = None,
    samples: int | None = None,
) -> list[Path]:
    """Write the indices figure of each method present and, if any, the convergence figure.

    Returns:
        The paths written (``sobol_indices.png``, ``sobol_second_order.png``,
        ``morris_mu_star_sigma.png``, ``fast_indices.png``, ``pawn_indices.png``,
        ``convergence.png`` as applicable).
    """
    plt = _pyplot()
    out = Path(out_dir)
    written = []
    for method in dict.fromkeys(indices["method"]):
        fig = indices_figure(indices, method, noise, samples)
        path = out / FIGURE_FILES[method]
        fig.savefig(path, dpi=150)
        plt.close(fig)
        written.append(path)
    if (indices["index"] == "S2").any():
        fig = second_order_figure(indices, noise)
        path = out / SECOND_ORDER_FILE
        fig.savefig(path, dpi=150)
        plt.close(fig)
        written.append(path)
    if not convergence.empty:
        fig = convergence_figure(convergence)
        path = out / CONVERGENCE_FILE
        fig.savefig(path, dpi=150)
        plt.close(fig)
        written.append(path)
    return written
