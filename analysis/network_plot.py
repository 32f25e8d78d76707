"""Drawing the exchange network on the firms' locations with plain matplotlib.

Works for any number of exchanges, zero included (Mesa's own network drawing crashes on a graph
without edges, which is how every run starts).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

# Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
    "#999999",
)


class StreamStyle(TypedDict):
    """How one stream category is drawn: a colour and a matplotlib line style."""

    color: str
    linestyle: Literal["-", "--", ":"]


CATEGORY_STYLE: dict[str, StreamStyle] = {
    "material": {"color": "#8C510A", "linestyle": "-"},
    "energy": {"color": "#D55E00", "linestyle": "--"},
    "water": {"color": "#0072B2", "linestyle": ":"},
}


SECTOR_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">")


def sector_colours(sectors: list[str]) -> dict[str, str]:
    """A stable colour per sector name (cycling the Okabe-Ito palette)."""
    return {sector: OKABE_ITO[k % len(OKABE_ITO)] for k, sector in enumerate(sorted(sectors))}


def sector_markers(sectors: list[str]) -> dict[str, str]:
    """A marker per sector name; it changes each time the colours start over.

    With more sectors than the palette has colours, colour and marker together keep every sector
    distinct (and readable without colour).
    """
    return {
        sector: SECTOR_MARKERS[(k // len(OKABE_ITO)) % len(SECTOR_MARKERS)]
        for k, sector in enumerate(sorted(sectors))
    }


def marker_areas(values: np.ndarray) -> np.ndarray:
    """Marker areas (points^2) growing with the square root of ``values`` (negatives count as 0)."""
    values = np.clip(np.asarray(values, dtype=float), 0, None)
    scale = values.max() if len(values) and values.max() > 0 else 1.0
    return 12 + 180 * np.sqrt(values / scale)


def present_at(firms: pd.DataFrame, step: int | None) -> pd.DataFrame:
    """Firms in the park at ``step`` (1-based month); ``None`` means at the end of the run."""
    if step is None:
        return firms[firms["exit_step"] < 0]
    return firms[(firms["exit_step"] < 0) | (firms["exit_step"] > step)]


def active_at(exchanges: pd.DataFrame, step: int | None) -> pd.DataFrame:
    """Exchanges active at ``step`` (1-based month); ``None`` means at the end of the run."""
    if exchanges.empty:
        return exchanges
    if step is None:
        return exchanges[exchanges["end_step"] < 0]
    started = exchanges["start_step"] <= step
    running = (exchanges["end_step"] < 0) | (exchanges["end_step"] > step)
    return exchanges[started & running]


def draw_exchanges(
    ax: Any, exchanges: pd.DataFrame, position: dict[int, tuple[float, float]]
) -> None:
    """Draw exchanges as lines styled by category, with an arrowhead at each midpoint.

    One line collection and one set of arrowheads per category (fast even with hundreds of
    exchanges); the arrowheads point from supplier to receiver.
    """
    from matplotlib.collections import LineCollection

    for category, style in CATEGORY_STYLE.items():
        chosen = exchanges[exchanges["category"] == category] if len(exchanges) else exchanges
        if chosen.empty:
            continue
        start = np.array([position[int(i)] for i in chosen["supplier"]])
        end = np.array([position[int(i)] for i in chosen["receiver"]])
        ax.add_collection(
            LineCollection(
                list(np.stack([start, end], axis=1)),  # one (2, 2) array per exchange
                colors=style["color"],
                linestyles=style["linestyle"],
                linewidths=1.1,
                alpha=0.8,
                zorder=2,
                gid=f"exchanges|{category}",
            ),
            autolim=True,
        )
        middle, direction = (start + end) / 2, end - start
        length = np.hypot(direction[:, 0], direction[:, 1])
        unit = direction / np.where(length > 0, length, 1.0)[:, None]
        ax.quiver(
            middle[:, 0],
            middle[:, 1],
            unit[:, 0],
            unit[:, 1],
            color=style["color"],
            angles="xy",
            pivot="middle",
            units="width",
            scale_units="width",
            scale=45,
            width=0.004,
            headwidth=4,
            headlength=5,
            headaxislength=4.5,
            minlength=0,
            zorder=2,
            alpha=0.9,
            gid=f"arrowheads|{category}",
        )


def draw_exchange_network(
    ax: Any,
    firms: pd.DataFrame,
    exchanges: pd.DataFrame,
    step: int | None = None,
    size_by: str = "size",
    legend: bool = True,
) -> None:
    """Draw firms (coloured by sector, sized by ``size_by``) and exchanges at ``step``.

    Args:
        ax: Matplotlib axes.
        firms: The run's firms table (``id``, ``sector``, ``x_km``, ``y_km``, ``exit_step``...).
        exchanges: The run's exchanges table.
        step: Month to draw (1-based); ``None`` for the end of the run.
        size_by: Firm column that sets the marker area (``size`` or ``net_benefit_eur``).
        legend: Whether to add legends for sectors and stream categories.
    """
    present = present_at(firms, step)
    colours = sector_colours(sorted(firms["sector"].unique()))
    markers = sector_markers(sorted(firms["sector"].unique()))
    position = {
        int(firm): (float(x_km), float(y_km))
        for firm, x_km, y_km in zip(
            firms["id"].to_numpy(dtype=int),
            firms["x_km"].to_numpy(dtype=float),
            firms["y_km"].to_numpy(dtype=float),
            strict=True,
        )
    }
    current = active_at(exchanges, step)
    draw_exchanges(ax, current, position)
    area = marker_areas(present[size_by].to_numpy(dtype=float))
    for sector in sorted(present["sector"].unique()):
        rows = (present["sector"] == sector).to_numpy()
        ax.scatter(
            present["x_km"][rows],
            present["y_km"][rows],
            s=area[rows],
            color=colours[sector],
            marker=markers[sector],
            edgecolor="white",
            linewidth=0.4,
            label=sector.replace("_", " "),
            zorder=3,
            gid=f"firms|{sector}",
        )
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"Exchange network ({len(current)} exchanges)")
    if legend:
        from matplotlib.lines import Line2D

        first = ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=7,
            title="sector",
            title_fontsize=8,
            frameon=False,
            markerscale=0.6,
        )
        ax.add_artist(first)
        handles = [
            Line2D([0], [0], color=s["color"], linestyle=s["linestyle"], label=c)
            for c, s in CATEGORY_STYLE.items()
        ]
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(1.01, 0.0),
            fontsize=7,
            title="exchange",
            title_fontsize=8,
            frameon=False,
        )
