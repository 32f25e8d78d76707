"""Indicators of a run: the month's row of the timeseries, read from the model, and network metrics.

One row per month (docs/model.md, section 7.11); the columns are the timeseries outputs
declared in ``scenarios.outputs`` (their names are a contract with users' scripts). The
accounting that changes the model's state is ``simulation.accounting``; ``Indicators`` only
reads the model and the month's account.
A new indicator is one ``Output`` in ``scenarios.outputs.SERIES`` and one function registered
with ``measure``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from scenarios.outputs import timeseries_columns
from scenarios.parameters import LANDFILL_TAX
from simulation import market

if TYPE_CHECKING:
    from simulation.accounting import MonthlyAccount
    from simulation.model import SymbiosisModel

# The columns of timeseries.csv as declared when this module was imported (``step`` first);
# code that must see outputs added later calls ``scenarios.outputs.timeseries_columns()``.
TIMESERIES_COLUMNS: tuple[str, ...] = timeseries_columns()

# Columns that add up over the month's stages (``record_*``): they start each month at 0.
_COUNTERS = (
    "new_exchanges",
    "ended_exchanges",
    "negotiations",
    "failed_negotiations",
    "firm_net_benefit_eur",
    "breaches",
    "new_links",
)

Measure = Callable[["SymbiosisModel"], float]
# Functions computing declared timeseries outputs that ``Indicators`` does not book itself,
# each called at the end of every month with the model (``measure`` registers them).
MEASURES: dict[str, Measure] = {}


def measure(name: str) -> Callable[[Measure], Measure]:
    """Decorator: register the function computing the declared timeseries output ``name``.

    Example::

        @measure("exchanges_per_firm")
        def exchanges_per_firm(model):
            return len(model.book.active()) / len(model.companies)
    """

    def register(function: Measure) -> Measure:
        MEASURES[name] = function
        return function

    return register


class Indicators:
    """Gathers one month at a time and exposes the month's row (``row``); reads, never books."""

    def __init__(self, model: SymbiosisModel) -> None:
        """Start observing ``model``."""
        self.model = model
        self.columns = timeseries_columns()
        self.row: dict[str, Any] = dict.fromkeys(self.columns, 0)
        self.firm_net_benefit_cum_eur = 0.0
        self.public_net_cum_eur = 0.0
        self.chertow_first_step: int | None = None
        n_streams = len(model.streams)
        self.generated_by_stream = np.zeros(n_streams)
        self.exchanged_by_stream = np.zeros(n_streams)
        self.exchanged_total_by_stream = np.zeros(n_streams)
        units = np.array(model.streams.units)
        # Streams measured in each unit (t, MWh, m3), for the per-unit totals of each month.
        self._streams_in = {unit: np.flatnonzero(units == unit) for unit in ("t", "MWh", "m3")}
        # CO2 avoided per unit exchanged: substitution plus landfill emissions avoided.
        streams = model.streams
        self._co2_t_per_unit = (
            streams.co2_avoided_t_per_unit
            + streams.landfill_co2e_t_per_unit * streams.is_landfilled
        )
        self._graph_version = -1
        self._graph_row: dict[str, Any] = {}
        self._partners_version = -1
        self._partners_kept = np.zeros(0, dtype=np.int64)
        # A month's row before anything is booked: counters at 0, every other column unset.
        self._blank_row: dict[str, Any] = dict.fromkeys(self.columns)
        self._blank_row.update(dict.fromkeys(_COUNTERS, 0))

    @property
    def disposed_by_stream(self) -> np.ndarray:
        """Generated but not exchanged this month, per stream (as ``MonthlyAccount``'s)."""
        return self.generated_by_stream - self.exchanged_by_stream

    def open_month(self) -> None:
        """Reset the month's counters; every other column is unset until the month closes."""
        self.row = self._blank_row.copy()
        self.row["step"] = self.model.steps

    def record_new(self, count: int, one_off_eur: float) -> None:
        """Count exchanges started this month and their one-off costs to firms."""
        self.row["new_exchanges"] += count
        self.row["firm_net_benefit_eur"] -= one_off_eur

    def record_ended(self, count: int) -> None:
        """Count exchanges ended this month."""
        self.row["ended_exchanges"] += count

    def record_new_links(self, count: int) -> None:
        """Count links (supplier, receiver, stream) that flowed for the first time this month."""
        self.row["new_links"] += count

    def record_breaches(self, count: int) -> None:
        """Count promises broken this month (hold-ups and reneging, docs/model.md 7.10a)."""
        self.row["breaches"] += count

    def record_disputes(self, cost_eur: float) -> None:
        """Book the firms' costs of this month's disputes over breached contracts."""
        self.row["firm_net_benefit_eur"] -= cost_eur

    def record_negotiations(self, count: int, failed: int) -> None:
        """Count viable candidates negotiated this month and how many failed."""
        self.row["negotiations"] += count
        self.row["failed_negotiations"] += failed

    def record_account(self, account: MonthlyAccount) -> None:
        """Read the month's flows, emissions and money from its account."""
        row, streams = self.row, self.model.streams
        generated, exchanged = account.generated_by_stream, account.exchanged_by_stream
        self.generated_by_stream = generated
        self.exchanged_by_stream = exchanged
        self.exchanged_total_by_stream = self.exchanged_total_by_stream + exchanged
        material = streams.is_material
        for unit, suffix in (("t", "t"), ("MWh", "mwh"), ("m3", "m3")):
            in_unit = self._streams_in[unit]
            row["exchanged_" + suffix] = float(exchanged[in_unit].sum())
            row["generated_" + suffix] = float(generated[in_unit].sum())
        row["landfilled_t"] = account.landfilled_t
        material_generated = generated[material].sum()
        row["recovery_rate"] = (
            float(exchanged[material].sum() / material_generated) if material_generated > 0 else 0.0
        )
        row["virgin_avoided_t"] = float((exchanged * streams.substitution_ratio)[material].sum())
        row["co2_avoided_t"] = float((exchanged * self._co2_t_per_unit).sum())
        value_eur = account.value_created_eur
        row["value_created_eur"] = value_eur
        row["firm_net_benefit_eur"] += value_eur + account.platform_transfer_eur

    def _partners(self) -> np.ndarray:
        """Supplier then receiver of each active exchange, kept while none starts or ends."""
        book = self.model.book
        if self._partners_version != book.version:
            active = book.active()
            self._partners_version = book.version
            self._partners_kept = np.concatenate([book.supplier[active], book.receiver[active]])
        return self._partners_kept

    def close_month(self) -> None:
        """Finish the month's row: budgets, platform, trust, network and registered measures."""
        model, row = self.model, self.row
        auth, table, book = model.authority, model.companies, model.book
        active = book.active()
        row["active_exchanges"] = len(active)
        row["public_revenue_eur"] = auth.revenue_eur
        row["public_spending_eur"] = auth.spending_eur
        row["public_net_eur"] = auth.revenue_eur - auth.spending_eur
        self.public_net_cum_eur += row["public_net_eur"]
        row["public_net_cum_eur"] = self.public_net_cum_eur
        self.firm_net_benefit_cum_eur += row["firm_net_benefit_eur"]
        row["firm_net_benefit_cum_eur"] = self.firm_net_benefit_cum_eur
        row["landfill_tax_eur_per_t"] = float(auth.level(LANDFILL_TAX))
        row["operator_budget_eur"] = model.operator.budget_eur
        n = len(table)
        _, tier1, tier2 = np.bincount(table.platform_tier, minlength=3).tolist()
        row["platform_members"] = tier1 + tier2
        row["disclosure_rate_tier1"] = tier1 / n
        row["disclosure_rate_tier2"] = tier2 / n
        row["mean_awareness"] = float(table.awareness.sum() / n)
        if len(active):
            # Each active exchange's trust on the supplier's side, then on the receiver's.
            delta = book.trust_delta[active]
            trust = table.generalized_trust[self._partners()]
            trust += np.concatenate([delta, delta])
            np.maximum(trust, 0.0, out=trust)
            np.minimum(trust, 1.0, out=trust)
            row["mean_trust"] = float(trust.sum() / len(trust))
        else:
            row["mean_trust"] = float(table.generalized_trust.sum() / n)
        if book.version != self._graph_version:
            # The exchange graph changes only when exchanges start or end.
            self._graph_version = book.version
            supplier, receiver = book.supplier[active], book.receiver[active]
            self._graph_row = network_metrics(supplier, receiver, n)
            self._graph_row["chertow_3_2"] = int(
                chertow_3_2(supplier, receiver, book.stream[active], table.is_recycler)
            )
        row.update(self._graph_row)
        holds = row["chertow_3_2"]
        if holds and self.chertow_first_step is None:
            self.chertow_first_step = int(row["step"])
        for key in ("firm_net_benefit_eur", "value_created_eur"):
            row[key] = float(row[key])
        for name, compute in MEASURES.items():
            if name in row:
                row[name] = compute(model)
        if None in row.values():
            unset = [name for name, value in row.items() if value is None]
            raise RuntimeError(
                f"timeseries outputs {unset} are declared (scenarios.outputs) but nothing "
                "computes them: register a function with simulation.indicators.measure"
            )


class IndicatorCollector(mesa.DataCollector):
    """Mesa DataCollector of the monthly indicators, one model variable per declared column.

    The indicators of a month are already plain numbers gathered in ``Indicators.row``, so
    ``collect`` appends that row as it is instead of calling (and deep-copying) one reporter per
    column; ``get_model_vars_dataframe`` works as usual.
    """

    def __init__(self) -> None:
        """Declare one model reporter per timeseries column (``scenarios.outputs``)."""
        super().__init__(
            model_reporters={column: _reporter(column) for column in timeseries_columns()}
        )

    def collect(self, model: SymbiosisModel) -> None:
        """Append the month's row of ``model.indicators``."""
        row = model.indicators.row
        for column, values in self.model_vars.items():
            values.append(row[column])


def _reporter(column: str) -> Callable[[SymbiosisModel], Any]:
    def report(model: SymbiosisModel) -> Any:
        return model.indicators.row[column]

    report.__name__ = column
    return report


def _undirected(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    return keys // n, keys % n


def component_labels(a: np.ndarray, b: np.ndarray, n_nodes: int) -> np.ndarray:
    """Connected-component label of each node of an undirected graph with edges a-b.

    Nodes of one component share a label (a node index of that component). Vectorised
    hook-and-shortcut: every pass hooks the larger of the two labels of each edge onto the smaller
    and then follows labels to their roots, so work is O(edges) per pass and a few passes suffice
    for the sparse exchange graphs (no matrix is built).
    """
    labels = np.arange(n_nodes)
    while True:
        low, high = np.minimum(labels[a], labels[b]), np.maximum(labels[a], labels[b])
        np.minimum.at(labels, high, low)
        while True:
            root = labels[labels]
            if np.array_equal(root, labels):
                break
            labels = root
        if np.array_equal(labels[a], labels[b]):
            return labels


def triangles_per_node(a: np.ndarray, b: np.ndarray, n_nodes: int) -> np.ndarray:
    """Number of triangles through each node of a simple undirected graph with edges a-b (a < b).

    Every pair of a node's neighbours (a wedge) closes a triangle when the pair is an edge too;
    work is the number of wedges, sum of degree * (degree - 1) / 2, never n-by-n.
    """
    source = np.concatenate([a, b])
    order = np.argsort(source, kind="stable")
    source, target = source[order], np.concatenate([b, a])[order]
    degree = np.bincount(source, minlength=n_nodes)
    start = np.cumsum(degree) - degree
    # Entry e (node source[e], neighbour target[e]) pairs with every entry of the same node.
    pairs_of_entry = degree[source]
    entry = np.repeat(np.arange(len(source)), pairs_of_entry)
    within = np.arange(len(entry)) - np.repeat(
        np.cumsum(pairs_of_entry) - pairs_of_entry, pairs_of_entry
    )
    u, v = target[entry], target[start[source[entry]] + within]
    wedge = u < v
    closed = market.isin_sorted(u[wedge] * n_nodes + v[wedge], np.sort(a * n_nodes + b))
    return np.bincount(source[entry][wedge][closed], minlength=n_nodes)


def network_metrics(supplier: np.ndarray, receiver: np.ndarray, n_firms: int) -> dict[str, float]:
    """Metrics of the exchange graph (firms as nodes, any active exchange as an edge).

    Density, components and the largest-component share are over the firms involved in at least
    one exchange; clustering is the mean local clustering coefficient of those firms.
    """
    if len(supplier) == 0:
        return {
            "firms_involved": 0,
            "network_density": 0.0,
            "components": 0,
            "largest_component_share": 0.0,
            "clustering": 0.0,
        }
    a, b = _undirected(supplier, receiver, n_firms)
    nodes, index = np.unique(np.concatenate([a, b]), return_inverse=True)
    k = len(nodes)
    ia, ib = index[: len(a)], index[len(a) :]
    labels = component_labels(ia, ib, k)
    component_size = np.bincount(labels)
    degree = np.bincount(np.concatenate([ia, ib]), minlength=k)
    possible = degree * (degree - 1) / 2
    local = np.divide(triangles_per_node(ia, ib, k), possible, out=np.zeros(k), where=possible > 0)
    return {
        "firms_involved": int(k),
        "network_density": float(2 * len(a) / (k * (k - 1))) if k > 1 else 0.0,
        "components": int(np.count_nonzero(component_size)),
        "largest_component_share": float(component_size.max() / k),
        "clustering": float(local.mean()),
    }


def chertow_3_2(
    supplier: np.ndarray, receiver: np.ndarray, stream: np.ndarray, is_recycler: np.ndarray
) -> bool:
    """Whether the Chertow (2007) 3-2 heuristic holds for the active exchanges.

    The heuristic: at least three entities, none primarily a recycler, linked by exchanges of
    at least two different resource types. Exchanges involving a recycler are left out; the
    heuristic holds when one connected group of the remaining exchange graph has at least three
    firms and at least two stream types.
    """
    keep = ~is_recycler[supplier] & ~is_recycler[receiver]
    supplier, receiver, stream = supplier[keep], receiver[keep], stream[keep]
    if len(supplier) < 2:
        return False
    nodes, index = np.unique(np.concatenate([supplier, receiver]), return_inverse=True)
    if len(nodes) < 3:
        return False
    m = len(supplier)
    labels = component_labels(index[:m], index[m:], len(nodes))
    edge_label = labels[index[:m]]
    firms_per_group = np.bincount(labels)
    pairs = np.unique(edge_label * (stream.max() + 1) + stream)
    streams_per_group = np.bincount(pairs // (stream.max() + 1), minlength=len(firms_per_group))
    return bool(((firms_per_group >= 3) & (streams_per_group >= 2)).any())
