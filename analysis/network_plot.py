"""Drawing the exchange network on the firms' locations with plain matplotlib.

Works for any number of exchanges, zero included (Mesa's own network drawing crashes on a graph
without edges, which is how every run starts).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000", "#999999")
CATEGORY_STYLE = {
    "material": {"color": "#8C510A", "linestyle": "-"},
    "energy": {"color": "#D55E00", "linestyle": "--"},
    "water": {"color": "#0072B2", "linestyle": ":"},
}


def sector_colours(sectors: list[str]) -> dict[str, str]:
    """A stable colour per sector name (cycling the Okabe-Ito palette)."""
    return {sector: OKABE_ITO[k % len(OKABE_ITO)] for k, sector in enumerate(sorted(sectors))}


def active_at(exchanges: pd.DataFrame, step: int | None) -> pd.DataFrame:
    """Exchanges active at ``step`` (1-based month); ``None`` means at the end of the run."""
    if exchanges.empty:
        return exchanges
    if step is None:
        return exchanges[exchanges["end_step"] < 0]
    started = exchanges["start_step"] <= step
    running = (exchanges["end_step"] < 0) | (exchanges["end_step"] > step)
    return exchanges[started & running]


def draw_exchange_network(ax: Any, firms: pd.DataFrame, exchanges: pd.DataFrame,
                          step: int | None = None, size_by: str = "size",
                          legend: bool = True) -> None:
    """Draw firms (coloured by sector, sized by ``size_by``) and exchanges at ``step``.

    Args:
        ax: Matplotlib axes.
        firms: The run's firms table (``id``, ``sector``, ``x_km``, ``y_km``, ``exit_step``...).
        exchanges: The run's exchanges table.
        step: Month to draw (1-based); ``None`` for the end of the run.
        size_by: Firm column that sets the marker area (``size`` or ``net_benefit_eur``).
        legend: Whether to add legends for sectors and stream categories.
    """
    present = firms[firms["exit_step"] < 0] if step is None else firms[
        (firms["exit_step"] < 0) | (firms["exit_step"] > step)]
    colours = sector_colours(sorted(firms["sector"].unique()))
    position = {int(r.id): (float(r.x_km), float(r.y_km)) for r in firms.itertuples()}
    current = active_at(exchanges, step)
    for category, style in CATEGORY_STYLE.items():
        chosen = current[current["category"] == category] if len(current) else current
        for row in chosen.itertuples():
            (x0, y0), (x1, y1) = position[int(row.supplier)], position[int(row.receiver)]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "-|>", "color": style["color"],
                                    "linestyle": style["linestyle"], "linewidth": 1.2,
                                    "alpha": 0.8, "shrinkA": 3, "shrinkB": 3})
    values = present[size_by].clip(lower=0).to_numpy(dtype=float) if len(present) else np.zeros(0)
    scale = values.max() if len(values) and values.max() > 0 else 1.0
    area = 12 + 180 * np.sqrt(values / scale)
    for sector in sorted(present["sector"].unique()):
        rows = (present["sector"] == sector).to_numpy()
        ax.scatter(present["x_km"][rows], present["y_km"][rows], s=area[rows],
                   color=colours[sector], edgecolor="white", linewidth=0.4, label=sector,
                   zorder=3)
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"Exchange network ({len(current)} exchanges)")
    if legend:
        from matplotlib.lines import Line2D

        first = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                          title="sector", title_fontsize=8, frameon=False, markerscale=0.6)
        ax.add_artist(first)
        handles = [Line2D([0], [0], color=s["color"], linestyle=s["linestyle"], label=c)
                   for c, s in CATEGORY_STYLE.items()]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7,
                  title="exchange", title_fontsize=8, frameon=False)
