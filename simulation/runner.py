"""``run_model(params, steps, seed) -> RunResult``: the one boundary everything else calls.

It is a plain module-level function (picklable), has no side effects beyond its return value,
and gives identical results for identical arguments, so serial, process-pool and cluster runs
agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios import outputs
from simulation.exchanges import END_REASONS
from simulation.output import strict_json

DEFAULT_STEPS = 120  # ten years of months (docs/model.md, section 2)

EXCHANGE_COLUMNS = (
    "supplier",
    "receiver",
    "supplier_name",
    "receiver_name",
    "stream",
    "category",
    "distance_km",
    "quantity_per_month",
    "unit",
    "start_step",
    "end_step",
    "end_reason",
    "delivered_total",
    "first_flow_step",
)
FIRM_COLUMNS = (
    "id",
    "name",
    "sector",
    "is_recycler",
    "size",
    "x_km",
    "y_km",
    "net_benefit_eur",
    "platform_member",
    "disclosure_tier",
    "degree",
    "exit_step",
)

# Run totals that are not the sum of a timeseries column: how each is read from the run.
RUN_TOTAL_MEASURES: dict[str, Callable[[Any, pd.DataFrame], float]] = {
    "exchanges_started": lambda model, exchanges: len(exchanges),
    "exchanges_ended": lambda model, exchanges: (
        int(np.count_nonzero(exchanges["end_step"].to_numpy() >= 0)) if len(exchanges) else 0
    ),
    "mean_months_to_first_flow": lambda model, exchanges: _mean_months_to_first_flow(model),
    "workshops_held": lambda model, exchanges: model.operator.workshops_held,
    "introductions": lambda model, exchanges: model.operator.introductions,
}


@cache
def package_version() -> str:
    """Installed version of the package (one place: ``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbiosis")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class RunResult:
    """Tidy results of one run (docs/model.md, section 7.11).

    Attributes:
        timeseries: One row per step; columns ``scenarios.outputs.timeseries_columns()``.
        exchanges: One row per exchange ever started; columns ``EXCHANGE_COLUMNS``.
        firms: One row per firm that was ever in the park; columns ``FIRM_COLUMNS``.
        summary: Final indicators, run totals (``scenarios.outputs.run_totals()``), the
            parameters, the seed, steps and the package version.
    """

    timeseries: pd.DataFrame
    exchanges: pd.DataFrame
    firms: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``timeseries.csv``, ``exchanges.csv``, ``firms.csv`` and ``summary.json``.

        Returns:
            The paths written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [
            out / "timeseries.csv",
            out / "exchanges.csv",
            out / "firms.csv",
            out / "summary.json",
        ]
        self.timeseries.to_csv(paths[0], index=False)
        self.exchanges.to_csv(paths[1], index=False)
        self.firms.to_csv(paths[2], index=False)
        # Strict JSON: an undefined number is null, never NaN or Infinity.
        paths[3].write_text(strict_json(self.summary, indent=2) + "\n")
        return paths


def run_model(
    params: dict[str, Any] | None = None, steps: int = DEFAULT_STEPS, seed: int = 0
) -> RunResult:
    """Simulate a park for ``steps`` months and return its tidy results.

    Args:
        params: Parameter overrides (names from ``scenarios.parameters``); others take defaults.
        steps: Months to simulate.
        seed: Root seed of every random draw in the run.

    Raises:
        scenarios.parameters.ParameterError: On an unknown parameter or a disallowed value.
    """
    from simulation.model import SymbiosisModel

    model = SymbiosisModel(seed=int(seed), **(params or {}))
    for _ in range(int(steps)):
        model.step()
    return collect_results(model)


def collect_results(model: Any) -> RunResult:
    """Turn a model's state after its last step into a ``RunResult``."""
    # The DataCollector's model variables, one list per column; counts are stored as integers.
    integer = outputs.integer_columns()
    columns = {
        column: np.asarray(values, dtype=np.int64 if column in integer else None)
        for column, values in model.datacollector.model_vars.items()
    }
    if model.steps:
        timeseries = pd.DataFrame(columns)
    else:
        timeseries = pd.DataFrame(columns=list(columns)).astype(
            {column: "int64" for column in integer if column in columns}
        )
    exchanges = exchanges_frame(model)
    firms = firms_frame(model, exchanges)
    # Counts stay integers in the summary.
    last = {column: values[-1] for column, values in columns.items()} if model.steps else {}
    indicators = model.indicators
    summary = {
        "package_version": package_version(),
        "seed": model.seed,
        "steps": model.steps,
        "park": model.park_name,
        "n_firms": len(model.companies),
        "final": {key: _plain(value) for key, value in last.items()},
        "totals": {
            output.name: (
                float(columns[output.name].sum())
                if output.scope == "month"
                else RUN_TOTAL_MEASURES[output.name](model, exchanges)
            )
            for output in outputs.run_totals()
        },
        "chertow_3_2_first_step": indicators.chertow_first_step,
        "parameters": {key: _plain(value) for key, value in model.params.items()},
    }
    return RunResult(timeseries=timeseries, exchanges=exchanges, firms=firms, summary=summary)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def exchanges_frame(model: Any) -> pd.DataFrame:
    """One row per exchange ever started."""
    book, streams = model.book, model.streams
    if book.size == 0:
        return pd.DataFrame(
            {column: pd.Series(dtype=_dtype(column)) for column in EXCHANGE_COLUMNS}
        )
    supplier_ids = _firm_ids_at_start(model, book.supplier, book.start_step)
    receiver_ids = _firm_ids_at_start(model, book.receiver, book.start_step)
    return pd.DataFrame(
        {
            "supplier": supplier_ids,
            "receiver": receiver_ids,
            "supplier_name": [model.firm_names[i] for i in supplier_ids],
            "receiver_name": [model.firm_names[i] for i in receiver_ids],
            "stream": [streams.names[s] for s in book.stream],
            "category": [streams.categories[s] for s in book.stream],
            "distance_km": book.distance_km.round(3),
            "quantity_per_month": book.quantity_per_month,
            "unit": [streams.units[s] for s in book.stream],
            "start_step": book.start_step + 1,
            "end_step": np.where(book.end_step >= 0, book.end_step + 1, -1),
            "end_reason": [END_REASONS[r] if r >= 0 else "" for r in book.end_reason],
            "delivered_total": book.delivered_total,
            "first_flow_step": np.where(book.first_flow_step >= 0, book.first_flow_step + 1, -1),
        }
    )


def _mean_months_to_first_flow(model: Any) -> float:
    """Mean months from agreement to first flow of the exchanges that flowed (NaN if none)."""
    book = model.book
    flowed = book.first_flow_step >= 0
    if not flowed.any():
        return float("nan")
    return float((book.first_flow_step[flowed] - book.start_step[flowed]).mean())


def _dtype(column: str) -> str:
    if column in ("supplier", "receiver", "start_step", "end_step", "first_flow_step"):
        return "int64"
    if column in ("distance_km", "quantity_per_month", "delivered_total"):
        return "float64"
    return "str"  # as pandas infers for the text columns of a table with rows


def _firm_ids_at_start(model: Any, slots: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Firm id that held each slot when each exchange started (slots are re-let on exit).

    A slot's firm at month m is the one that left at the first change after m, or the present
    firm if the slot has not changed since m.
    """
    ids = model.companies.firm_id[slots].copy()
    changes = [
        (slot, changed_at, old_id)
        for slot, history in model.slot_history.items()
        for changed_at, old_id in history
    ]
    if not changes:
        return ids
    change_slot, change_month, old_id = (
        np.array(column, dtype=np.int64) for column in zip(*changes, strict=True)
    )
    months = int(max(change_month.max(), start.max())) + 2
    change_key = change_slot * months + change_month
    order = np.argsort(change_key, kind="stable")
    change_key, change_slot, old_id = change_key[order], change_slot[order], old_id[order]
    # First change of the same slot strictly after the start month, if any.
    first_after = np.searchsorted(change_key, slots * months + start, side="right")
    found = first_after < len(change_key)
    first_after = np.minimum(first_after, len(change_key) - 1)
    found &= change_slot[first_after] == slots
    ids[found] = old_id[first_after[found]]
    return ids


def firms_frame(model: Any, exchanges: pd.DataFrame) -> pd.DataFrame:
    """One row per firm ever in the park, including firms that left (``exit_step`` >= 0)."""
    table = model.companies
    n = len(table)
    changes = [
        (slot, changed_at, old_id)
        for slot, history in model.slot_history.items()
        for changed_at, old_id in history
    ]
    gone_slot, gone_month, gone_id = (
        np.array(column, dtype=np.int64)
        for column in (zip(*changes, strict=True) if changes else ((), (), ()))
    )
    present = np.arange(n)
    firm_id = np.concatenate([table.firm_id, gone_id])
    slot = np.concatenate([present, gone_slot])
    gone = np.arange(len(firm_id)) >= n
    tier = np.concatenate([table.platform_tier, np.zeros(len(gone_id), dtype=np.int64)])
    benefit = np.concatenate(
        [table.net_benefit_eur, [model.exited_benefit.get(i, 0.0) for i in gone_id.tolist()]]
    )
    # Degree: distinct partners in active exchanges (all between firms present now).
    degree = np.zeros(len(firm_id), dtype=np.int64)
    active = exchanges["end_step"].to_numpy() < 0
    if active.any():
        supplier = exchanges["supplier"].to_numpy()[active]
        receiver = exchanges["receiver"].to_numpy()[active]
        a, b = np.concatenate([supplier, receiver]), np.concatenate([receiver, supplier])
        span = int(max(a.max(), firm_id.max())) + 1
        pairs = np.unique(a * span + b)
        degree_by_id = np.bincount(pairs // span, minlength=span)
        degree[:n] = degree_by_id[table.firm_id]
    order = np.argsort(firm_id, kind="stable")
    firm_id, slot, gone, tier, benefit, degree = (
        firm_id[order],
        slot[order],
        gone[order],
        tier[order],
        benefit[order],
        degree[order],
    )
    exit_step = np.concatenate([np.full(n, -1, dtype=np.int64), gone_month + 1])[order]
    sector_names = model.sectors.names
    return pd.DataFrame(
        {
            "id": firm_id,
            "name": [model.firm_names[i] for i in firm_id.tolist()],
            "sector": [sector_names[s] for s in table.sector[slot].tolist()],
            "is_recycler": table.is_recycler[slot],
            "size": [round(value, 4) for value in table.size[slot].tolist()],
            "x_km": [round(value, 3) for value in table.x_km[slot].tolist()],
            "y_km": [round(value, 3) for value in table.y_km[slot].tolist()],
            "net_benefit_eur": benefit.astype(float),
            "platform_member": (tier > 0) & ~gone,
            "disclosure_tier": np.where(gone, 0, tier),
            "degree": degree,
            "exit_step": exit_step,
        },
        columns=list(FIRM_COLUMNS),
    )
