"""The overview figure of one run: exchanges and recovery over time, and the final network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.network_plot import draw_exchange_network


def overview_figure(result: Any, title: str = "") -> Any:
    """A three-panel figure of a ``RunResult``: exchanges, recovery and CO2, final network."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = result.timeseries
    fig = plt.figure(figsize=(11, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3])
    ax_ex = fig.add_subplot(grid[0, 0])
    ax_rec = fig.add_subplot(grid[1, 0], sharex=ax_ex)
    ax_net = fig.add_subplot(grid[:, 1])
    ax_ex.plot(ts["step"], ts["active_exchanges"], color="#0072B2", label="active")
    ax_ex.bar(ts["step"], ts["new_exchanges"], color="#009E73", alpha=0.6, label="new")
    ax_ex.bar(ts["step"], -ts["ended_exchanges"], color="#D55E00", alpha=0.6, label="ended")
    ax_ex.axhline(0, color="black", linewidth=0.5)
    ax_ex.set_ylabel("exchanges (count)")
    ax_ex.legend(fontsize=8, frameon=False)
    ax_ex.set_title("Exchanges over time")
    ax_rec.plot(ts["step"], 100 * ts["recovery_rate"], color="#8C510A", label="recovery rate (%)")
    ax_rec.set_ylabel("by-products exchanged (%)")
    ax_rec.set_xlabel("month")
    ax_co2 = ax_rec.twinx()
    ax_co2.plot(
        ts["step"],
        ts["co2_avoided_t"].cumsum() / 1000,
        color="#CC79A7",
        linestyle="--",
        label="CO2 avoided (cumulative)",
    )
    ax_co2.set_ylabel("CO2 avoided, cumulative (kt)")
    lines = ax_rec.get_lines() + ax_co2.get_lines()
    ax_rec.legend(
        lines,
        [str(line.get_label()) for line in lines],
        fontsize=8,
        frameon=False,
        loc="upper left",
    )
    ax_rec.set_title("Recovery and CO2 avoided")
    draw_exchange_network(ax_net, result.firms, result.exchanges)
    if title:
        fig.suptitle(title)
    return fig


def save_overview(result: Any, path: str | Path, title: str = "") -> Path:
    """Draw the overview of ``result`` and save it as a PNG at ``path``."""
    import matplotlib.pyplot as plt
    from matplotlib.legend import Legend

    fig = overview_figure(result, title)
    # The network's legends sit outside its axes: the saved area grows to hold them.
    outside = fig.get_default_bbox_extra_artists() + fig.findobj(Legend)
    fig.savefig(path, dpi=150, bbox_inches="tight", bbox_extra_artists=outside)
    plt.close(fig)
    return Path(path)
