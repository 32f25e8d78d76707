"""The eco-industrial park indicators table: one row per indicator, mean and 95% CI per scenario.

The indicators follow what park frameworks ask a park to measure (synergies, participation,
recovery, landfill diversion, substitution, CO2, water, energy, money, data sharing) plus the
Chertow (2007) 3-2 test, declared in ``scenarios.outputs`` (``PARK_INDICATORS``). They are
computed per replication from the scalar outputs of a run (``simulation.scalars``; and, where
given, from each run's exchanges and firms tables) by the functions of ``PER_RUN``, then
summarised over replications. Shares are fractions in [0, 1], as in the timeseries.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.statistics import mean_ci
from scenarios.outputs import Output, park_indicators

CONFIDENCE = 0.95
BOOTSTRAP_DRAWS = 4000


@dataclass(frozen=True)
class Ratio:
    """A ratio of means with its interval and a status.

    Attributes:
        value: mean(numerator) / mean(denominator); NaN when the mean denominator is <= 0.
        low: Lower end of the bootstrap interval (NaN when it cannot be bounded).
        high: Upper end.
        status: ``ok``; ``no effect`` (mean denominator <= 0: nothing to divide by);
            ``unbounded`` (the denominator is <= 0 in too many resamples to bound the ratio);
            ``too few`` (one replication: no interval).
    """

    value: float
    low: float
    high: float
    status: str


def ratio_of_means(
    numerator: Sequence[float],
    denominator: Sequence[float],
    confidence: float = CONFIDENCE,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 0,
) -> Ratio:
    """mean(numerator) / mean(denominator) over paired replications, with a bootstrap CI.

    Zero denominators are handled explicitly: a mean denominator of zero or less gives NaN with
    status ``no effect``; if more than (1 - confidence)/2 of the paired resamples have a
    denominator of zero or less, the ratio could be arbitrarily large, so the interval is NaN
    with status ``unbounded``. The bootstrap is seeded, so the interval is reproducible.

    Args:
        numerator: Per-replication numerators (e.g. public cost, EUR).
        denominator: Per-replication denominators, paired with the numerators (e.g. t CO2).
        confidence: Confidence level of the percentile interval.
        draws: Bootstrap resamples.
        seed: Seed of the resampling.
    """
    x = np.asarray(numerator, dtype=float)
    y = np.asarray(denominator, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) == 0 or y.mean() <= 0:
        return Ratio(math.nan, math.nan, math.nan, "no effect")
    value = float(x.mean() / y.mean())
    if len(x) < 2:
        return Ratio(value, math.nan, math.nan, "too few")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(draws, len(x)))
    num, den = x[picks].mean(axis=1), y[picks].mean(axis=1)
    alpha = 1 - confidence
    if np.mean(den <= 0) > alpha / 2:
        return Ratio(value, math.nan, math.nan, "unbounded")
    # A resample with no effect has an unbounded ratio, signed like its numerator.
    unbounded = np.where(num < 0, -np.inf, np.inf)
    ratios = np.where(den > 0, num / np.where(den > 0, den, 1.0), unbounded)
    low, high = np.quantile(ratios, [alpha / 2, 1 - alpha / 2])
    if not (np.isfinite(low) and np.isfinite(high)):
        return Ratio(value, math.nan, math.nan, "unbounded")
    return Ratio(value, float(low), float(high), "ok")


def wilson_interval(
    successes: int, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Share of successes with the Wilson score interval (good for small n and shares near 0/1).

    Returns:
        (share, low, high); NaN for n = 0.
    """
    from scipy import stats

    if n == 0:
        return math.nan, math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return share, max(0.0, centre - half), min(1.0, centre + half)


# The park indicators, declared in ``scenarios.outputs`` (label, unit, kind, bounds, definition,
# source and how replications are summarised), as declared when this module was imported;
# ``indicators_table`` reads ``scenarios.outputs.park_indicators()`` at call time.
INDICATORS: tuple[Output, ...] = park_indicators()
INDICATOR_KEYS = tuple(indicator.name for indicator in INDICATORS)
_RATIOS = {
    "public_cost_per_t_co2": ("public_net_cost", "co2_avoided"),
    "public_cost_per_t_diverted": ("public_net_cost", "landfill_diverted"),
}


def landfill_diverted_t(exchanges: pd.DataFrame) -> float:
    """Tonnes of landfilled streams delivered to partners over a run (from its exchanges)."""
    if exchanges.empty:
        return 0.0
    from scenarios.resources import stream_catalogue

    streams = stream_catalogue()
    landfilled = {
        name for name, flag in zip(streams.names, streams.is_landfilled, strict=True) if flag
    }
    chosen = exchanges[exchanges["stream"].isin(landfilled)]
    return float(chosen["delivered_total"].sum())


def run_details(exchanges: pd.DataFrame, firms: pd.DataFrame) -> dict[str, float]:
    """What the indicators need from one run's exchanges and firms tables."""
    return {
        "landfill_diverted_t": landfill_diverted_t(exchanges),
        "firms_in_park": float((firms["exit_step"] < 0).sum()),
    }


def per_run_indicators(runs: pd.DataFrame, details: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator for every run (ratio indicators are per run too, for reference).

    Args:
        runs: One row per run with scenario, replication and the scalar outputs.
        details: Optional, one row per run_key with ``landfill_diverted_t`` and
            ``firms_in_park`` (``run_details``); without it those indicators are NaN.

    Returns:
        Columns scenario, replication (and run_key if given) and one per indicator key.
    """
    frame = runs.copy()
    if details is not None and len(details) and "run_key" in frame:
        frame = frame.merge(details, on="run_key", how="left")
    for column in ("landfill_diverted_t", "firms_in_park"):
        if column not in frame:
            frame[column] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {name: compute(frame) for name, compute in PER_RUN.items()}
        for name, (numerator, denominator) in _RATIOS.items():
            values[name] = values[numerator] / values[denominator].where(values[denominator] > 0)
    keys = [c for c in ("scenario", "replication", "run_key") if c in frame]
    out = frame[keys].copy()
    for indicator in park_indicators():
        out[indicator.name] = values[indicator.name].astype(float).to_numpy()
    return out


def _share_of(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """The ratio numerator / denominator, NaN where the denominator is 0."""
    return numerator / denominator.replace(0, np.nan)


# How each park indicator is computed from one row per run (scalar outputs and run details);
# the ratios of ``_RATIOS`` are computed from two of these.
PER_RUN: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "synergies_active": lambda f: f["final_active_exchanges"],
    "synergies_started": lambda f: f["total_exchanges_started"],
    "firms_participating": lambda f: f["final_firms_involved"],
    "firms_participating_share": lambda f: _share_of(f["final_firms_involved"], f["firms_in_park"]),
    "recovery_rate": lambda f: _share_of(f["total_exchanged_t"], f["total_generated_t"]),
    "landfill_diverted": lambda f: f["landfill_diverted_t"],
    "landfill_diversion_rate": lambda f: _share_of(
        f["landfill_diverted_t"], f["landfill_diverted_t"] + f["total_landfilled_t"]
    ),
    "landfilled": lambda f: f["total_landfilled_t"],
    "virgin_substituted": lambda f: f["total_virgin_avoided_t"],
    "co2_avoided": lambda f: f["total_co2_avoided_t"],
    "water_reused": lambda f: f["total_exchanged_m3"],
    "energy_recovered": lambda f: f["total_exchanged_mwh"],
    "firms_net_benefit": lambda f: f["total_firm_net_benefit_eur"],
    "value_created": lambda f: f["total_value_created_eur"],
    "public_net_cost": lambda f: -f["total_public_net_eur"],
    "data_sharing_share": lambda f: (
        f["final_disclosure_rate_tier1"] + f["final_disclosure_rate_tier2"]
    ),
    "data_sharing_tier2_share": lambda f: f["final_disclosure_rate_tier2"],
    "chertow_held": lambda f: f["chertow_first_step"].notna().astype(float),
    "chertow_first_month": lambda f: f["chertow_first_step"],
}


def indicators_table(
    runs: pd.DataFrame,
    details: pd.DataFrame | None = None,
    scenarios: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """The indicators of each scenario: mean and 95% CI over replications.

    Args:
        runs: One row per run with scenario, replication (and run_key) and scalar outputs.
        details: Optional per-run details (``run_details`` rows with a run_key column).
        scenarios: Scenario order (default: order of appearance).
        confidence: Confidence level.

    Returns:
        Long table: scenario, indicator, label, unit, n, mean, ci_low, ci_high, note,
        definition (one row per scenario and indicator, in ``INDICATORS`` order). Intervals
        of quantities that cannot be negative (counts, tonnes, shares) are clipped to their
        possible range, as a t-interval of a skewed count can reach below zero.
    """
    values = per_run_indicators(runs, details)
    order = list(scenarios or dict.fromkeys(values["scenario"]))
    rows = []
    for scenario in order:
        own = values[values["scenario"] == scenario]
        for indicator in park_indicators():
            column = own[indicator.name].to_numpy(dtype=float)
            n, note = int(len(own)), ""
            if indicator.statistic == "ratio":
                numerator, denominator = _RATIOS[indicator.name]
                ratio = ratio_of_means(own[numerator], own[denominator], confidence)
                mean, low, high = ratio.value, ratio.low, ratio.high
                n = int((own[numerator].notna() & own[denominator].notna()).sum())
                note = _RATIO_NOTES.get(ratio.status, "") if n else "needs run details"
            elif indicator.statistic == "share":
                held = int(np.nansum(column > 0))
                mean, low, high = wilson_interval(held, n, confidence)
                note = f"held in {held} of {n} replications"
            elif indicator.statistic == "conditional_mean":
                held = column[~np.isnan(column)]
                n = len(held)
                mean, low, high = mean_ci(held, confidence)
                note = (
                    "never held"
                    if n == 0
                    else (f"over the {n} replications in which it held" if n < len(own) else "")
                )
            else:
                present = column[~np.isnan(column)]
                n = len(present)
                mean, low, high = mean_ci(present, confidence)
                if n == 0:
                    note = "needs run details" if indicator.name in _NEEDS_DETAILS else "n/a"
            low, high = _clip(low, high, indicator.bounds)
            rows.append(
                {
                    "scenario": scenario,
                    "indicator": indicator.name,
                    "label": indicator.label,
                    "unit": indicator.unit,
                    "n": n,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "note": note,
                    "definition": indicator.definition,
                }
            )
    return pd.DataFrame(rows)


def _clip(
    low: float, high: float, bounds: tuple[float | None, float | None]
) -> tuple[float, float]:
    """Clip an interval to the values an indicator can take (NaN stays NaN)."""
    lowest, highest = bounds
    if lowest is not None and not math.isnan(low):
        low, high = max(low, lowest), max(high, lowest)
    if highest is not None and not math.isnan(high):
        low, high = min(low, highest), min(high, highest)
    return low, high


_RATIO_NOTES = {
    "no effect": "nothing avoided: no cost per t",
    "unbounded": "CI unbounded: the effect may be zero",
    "too few": "one replication: no CI",
}
_NEEDS_DETAILS = {"firms_participating_share", "landfill_diverted", "landfill_diversion_rate"}


# --- presentation -----------------------------------------------------------------------------


def format_estimate(mean: float, low: float, high: float) -> tuple[str, str]:
    """Mean and "low to high" as text (``n/a`` where undefined)."""
    from analysis.style import format_number

    if math.isnan(low) or math.isnan(high):
        interval = ""
    elif low == high:
        interval = "no variation"
    else:
        interval = f"{format_number(low)} to {format_number(high)}"
    return format_number(mean), interval


TABLE_CSS = """
table.indicators { border-collapse: collapse; font-size: 0.86rem; margin: 0.5rem 0 1rem; }
table.indicators caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
table.indicators th, table.indicators td { padding: 0.3rem 0.55rem; vertical-align: top;
  border-bottom: 1px solid #ddd; }
table.indicators thead th { border-bottom: 2px solid #333; text-align: left; }
table.indicators td.value { text-align: right; min-width: 7.5rem;
  font-variant-numeric: tabular-nums; }
table.indicators .ci { display: block; color: #555; font-size: 0.78rem; }
table.indicators .note { display: block; color: #8a5a00; font-size: 0.75rem; }
table.indicators td.unit { color: #444; min-width: 6rem; }
table.indicators tbody th { text-align: left; font-weight: 600; min-width: 11rem; }
"""


def indicators_html(table: pd.DataFrame, caption: str = "") -> str:
    """An HTML ``<table>``: one row per indicator, one column per scenario (mean and CI).

    Every cell's text is escaped; the table uses the classes styled by ``TABLE_CSS``.
    """
    scenarios = list(dict.fromkeys(table["scenario"]))
    head = "".join(f'<th scope="col">{html.escape(s)}</th>' for s in scenarios)
    lines = ['<table class="indicators">']
    if caption:
        lines.append(f"<caption>{html.escape(caption)}</caption>")
    lines.append(
        f'<thead><tr><th scope="col">Indicator</th><th scope="col">Unit</th>'
        f"{head}</tr></thead><tbody>"
    )
    for key in dict.fromkeys(table["indicator"]):
        rows = table[table["indicator"] == key].set_index("scenario")
        first = rows.iloc[0]
        cells = []
        for scenario in scenarios:
            row = rows.loc[scenario]
            mean, interval = format_estimate(row["mean"], row["ci_low"], row["ci_high"])
            parts = [html.escape(mean)]
            if interval:
                text = interval if interval == "no variation" else f"95% CI {interval}"
                parts.append(f'<span class="ci">{html.escape(text)}</span>')
            if row["note"]:
                parts.append(f'<span class="note">{html.escape(str(row["note"]))}</span>')
            cells.append(f'<td class="value">{"".join(parts)}</td>')
        lines.append(
            f'<tr><th scope="row" title="{html.escape(str(first["definition"]))}">'
            f"{html.escape(str(first['label']))}</th>"
            f'<td class="unit">{html.escape(str(first["unit"]))}</td>'
            f"{''.join(cells)}</tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def definitions_html(table: pd.DataFrame) -> str:
    """A definition list saying how each indicator is computed."""
    items = []
    for key in dict.fromkeys(table["indicator"]):
        row = table[table["indicator"] == key].iloc[0]
        items.append(
            f"<dt>{html.escape(str(row['label']))} ({html.escape(str(row['unit']))})"
            f"</dt><dd>{html.escape(str(row['definition']))}</dd>"
        )
    return '<dl class="definitions">' + "".join(items) + "</dl>"


def indicators_page(table: pd.DataFrame, title: str, caption: str = "") -> str:
    """A complete HTML page of the table and its definitions, with no external resources."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem; "
        "color: #222; } dt { font-weight: 600; margin-top: 0.4rem; } dd { margin-left: 1rem; }"
        f"{TABLE_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"{indicators_html(table, caption)}<h2>Definitions</h2>{definitions_html(table)}"
        "</body></html>\n"
    )


def write_indicators(
    table: pd.DataFrame, stem: str | Path, title: str, caption: str = ""
) -> list[Path]:
    """Write ``stem.csv`` (the long table) and ``stem.html`` (the page).

    Returns:
        The two paths.
    """
    stem = Path(stem)
    csv_path = stem.with_name(f"{stem.name}.csv")
    html_path = stem.with_name(f"{stem.name}.html")
    table.to_csv(csv_path, index=False)
    html_path.write_text(indicators_page(table, title, caption), encoding="utf-8")
    return [csv_path, html_path]


def details_from_experiment(experiment: Any, runs: pd.DataFrame) -> pd.DataFrame | None:
    """``run_details`` of every run of ``experiment`` stored with its tables (None if none)."""
    rows = []
    for run_key in runs["run_key"]:
        try:
            exchanges = experiment.exchanges(run_key)
            firms = experiment.firms(run_key)
        except KeyError:
            continue
        rows.append({"run_key": run_key, **run_details(exchanges, firms)})
    return pd.DataFrame(rows) if rows else None


__all__ = [
    "INDICATORS",
    "INDICATOR_KEYS",
    "PER_RUN",
    "Ratio",
    "TABLE_CSS",
    "definitions_html",
    "details_from_experiment",
    "format_estimate",
    "indicators_html",
    "indicators_page",
    "indicators_table",
    "landfill_diverted_t",
    "per_run_indicators",
    "ratio_of_means",
    "run_details",
    "wilson_interval",
    "write_indicators",
]
