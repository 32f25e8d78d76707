"""Figures of policy design: PRIM's peeling trajectory and boxes, Pareto fronts, convergence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.style import COLUMN_WIDTH_IN, FULL_WIDTH_IN, axis_label, pyplot, styled

DESIGN_DPI = 150


def save_figure(figure: Any, path: str | Path, dpi: int = DESIGN_DPI) -> Path:
    """Save a figure as PNG and close it; return the path."""
    path = Path(path)
    figure.savefig(path, dpi=dpi)
    pyplot().close(figure)
    return path


@styled
def peeling_figure(discovery: Any) -> Any:
    """Coverage against density along PRIM's peeling trajectory, coloured by restricted dims."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.4, COLUMN_WIDTH_IN * 1.1))
    peeling = discovery.peeling
    for box, steps in peeling.groupby("box"):
        points = axis.scatter(
            steps["coverage"],
            steps["density"],
            c=steps["restricted_dimensions"],
            cmap="viridis",
            s=14,
            label=f"box {box}",
        )
        chosen = steps[steps["chosen"]]
        axis.scatter(
            chosen["coverage"], chosen["density"], s=80, facecolors="none", edgecolors="red"
        )
    figure.colorbar(points, ax=axis, label="restricted dimensions")
    axis.set_xlabel("coverage (share of cases of interest in the box)")
    axis.set_ylabel("density (share of the box that is of interest)")
    axis.set_title(f"PRIM peeling trajectory: {discovery.condition}", fontsize="small")
    axis.set_xlim(0, 1.02)
    axis.set_ylim(0, 1.02)
    figure.tight_layout()
    return figure


@styled
def box_figure(discovery: Any) -> Any:
    """Each box's limits on every restricted dimension, as a share of the explored range."""
    plt = pyplot()
    boxes = discovery.boxes[discovery.boxes["dimension"] != ""]
    numeric = boxes[pd.to_numeric(boxes["low"], errors="coerce").notna()]
    labels = [f"{r.method} {r.box}: {r.dimension}" for r in numeric.itertuples()]
    figure, axis = plt.subplots(figsize=(FULL_WIDTH_IN * 0.8, 0.5 + 0.4 * max(1, len(labels))))
    for row, item in enumerate(numeric.itertuples()):
        span = float(item.range_high) - float(item.range_low) or 1.0
        low = (float(item.low) - float(item.range_low)) / span
        high = (float(item.high) - float(item.range_low)) / span
        axis.plot([0, 1], [row, row], color="0.85", linewidth=6, solid_capstyle="butt")
        axis.plot([low, high], [row, row], color="C3", linewidth=6, solid_capstyle="butt")
        axis.text(1.02, row, f"[{float(item.low):.3g}, {float(item.high):.3g}]", va="center")
    axis.set_yticks(range(len(labels)), labels)
    axis.invert_yaxis()
    axis.set_xlim(0, 1.35)
    axis.set_xlabel("share of the explored range")
    first = discovery.boxes.iloc[0]
    axis.set_title(
        f"{discovery.condition}: coverage {first.coverage:.0%}, density {first.density:.0%}",
        fontsize="small",
    )
    figure.tight_layout()
    return figure


@styled
def pareto_figure(evaluations: pd.DataFrame, front: pd.DataFrame, objectives: list[Any]) -> Any:
    """Every evaluated policy and the Pareto front on the first two objectives."""
    plt = pyplot()
    first, second = objectives[0].output, objectives[1].output
    figure, axis = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.4, COLUMN_WIDTH_IN * 1.1))
    axis.scatter(evaluations[first], evaluations[second], s=8, color="0.75", label="evaluated")
    ordered = front.sort_values(first)
    axis.plot(ordered[first], ordered[second], "o-", color="C3", markersize=4, label="Pareto")
    axis.set_xlabel(f"{axis_label(first)} [{objectives[0].sense}]")
    axis.set_ylabel(f"{axis_label(second)} [{objectives[1].sense}]")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


@styled
def parallel_figure(front: pd.DataFrame, columns: list[str]) -> Any:
    """Parallel coordinates of the Pareto policies: levers and objectives scaled to [0, 1]."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(FULL_WIDTH_IN, COLUMN_WIDTH_IN))
    values = front[columns].astype(float)
    low, high = values.min(), values.max()
    scaled = (values - low) / (high - low).replace(0, 1)
    for _, row in scaled.iterrows():
        axis.plot(range(len(columns)), row.to_numpy(), color="C0", alpha=0.5)
    axis.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize="x-small")
    axis.set_ylabel("scaled to the front's range")
    figure.tight_layout()
    return figure


@styled
def convergence_figure(convergence: pd.DataFrame) -> Any:
    """Hypervolume of the non-dominated set after each generation."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.4, COLUMN_WIDTH_IN))
    axis.plot(convergence["generation"], convergence["hypervolume"], "o-", markersize=3)
    axis.set_xlabel("generation")
    axis.set_ylabel("hypervolume (normalised objectives)")
    axis.set_ylim(0, max(1e-9, float(np.nanmax(convergence["hypervolume"]))) * 1.05)
    figure.tight_layout()
    return figure


@styled
def exploration_figure(experiments: pd.DataFrame, output: str, uncertainties: list[str]) -> Any:
    """An output against each sampled uncertainty (up to four panels), one colour per policy.

    Each dot is the mean over the replications of one (policy, point).
    """
    from analysis.style import scenario_styles

    plt = pyplot()
    shown = uncertainties[:4]
    figure, axes = plt.subplots(
        1, len(shown), figsize=(FULL_WIDTH_IN, COLUMN_WIDTH_IN * 0.9), sharey=True, squeeze=False
    )
    means = experiments.groupby(["policy", "point"], sort=False)[[*shown, output]].mean()
    policies = list(dict.fromkeys(experiments["policy"]))
    styles = scenario_styles(policies)
    for axis, name in zip(axes[0], shown, strict=True):
        for policy in policies:
            rows = means.loc[policy]
            axis.scatter(
                rows[name], rows[output], s=10, color=styles[policy]["color"], label=policy
            )
        axis.set_xlabel(axis_label(name))
    axes[0][0].set_ylabel(axis_label(output))
    axes[0][0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure
