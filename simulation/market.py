"""The exchange-market kernel: matching and costing candidate exchanges over NumPy arrays.

Pure functions with no Mesa import, so the hot path can be tested against the slow reference
implementations in ``tests/reference_market.py`` and reused outside the model. Work is blocked by
stream type or done with whole-array operations; there is no Python loop over pairs of firms.

Economics (docs/model.md, section 7.7), for supplier i, receiver j and stream s at distance d:

    unit value   = gate fee + landfill tax (if landfilled) + ratio * (virgin price + virgin tax)
                   - transport * d * infrastructure factor - pre-treatment + subsidy
    monthly value = quantity * unit value - overhead
    one-off cost  = investment * (1 - grant) * (1 - infrastructure share) + transaction cost
    NPV           = monthly value * annuity(rate, horizon) - one-off cost
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from scenarios.parameters import MONTHS_PER_YEAR


@dataclass(frozen=True)
class Prices:
    """Per-stream economics in force this month (one entry per stream type).

    ``unit_gain_eur`` is what one unit exchanged is worth to the pair before transport: avoided
    disposal (gate fee and landfill tax), avoided virgin purchase (price and tax, times the
    substitution ratio), minus pre-treatment, plus the subsidy.
    """

    unit_gain_eur: np.ndarray
    transport_eur_per_unit_km: np.ndarray
    one_off_eur: np.ndarray


def stream_prices(
    gate_fee: np.ndarray,
    virgin_price: np.ndarray,
    substitution_ratio: np.ndarray,
    pretreatment: np.ndarray,
    transport: np.ndarray,
    investment: np.ndarray,
    is_landfilled: np.ndarray,
    is_material: np.ndarray,
    needs_pipe: np.ndarray,
    *,
    landfill_tax: float,
    virgin_tax: float,
    subsidy: float,
    grant_share: float,
    transaction_cost: float,
    infrastructure_reduction: float,
) -> Prices:
    """Combine the stream catalogue with the instruments in force into this month's prices.

    Args:
        gate_fee: Disposal cost per unit without symbiosis (EUR/unit).
        virgin_price: Price of the substituted virgin input (EUR/unit).
        substitution_ratio: Units of virgin input replaced by one unit of the stream.
        pretreatment: Pre-treatment cost (EUR/unit).
        transport: Transport cost (EUR/unit/km).
        investment: One-off connection investment (EUR).
        is_landfilled: Whether unexchanged units are landfilled (and pay the landfill tax).
        is_material: Whether the virgin input is a material (and pays the virgin tax).
        needs_pipe: Whether the stream needs a pipe (energy, water): shared infrastructure helps.
        landfill_tax: Landfill tax in force (EUR/t).
        virgin_tax: Virgin-material tax in force (EUR/t).
        subsidy: Subsidy per unit exchanged (EUR/unit).
        grant_share: Share of the investment paid by a grant.
        transaction_cost: One-off negotiation cost per deal (EUR).
        infrastructure_reduction: Share of pipe transport and investment saved by shared
            infrastructure (0 when there is none).
    """
    unit_gain = (
        gate_fee
        + landfill_tax * is_landfilled
        + substitution_ratio * (virgin_price + virgin_tax * is_material)
        - pretreatment
        + subsidy
    )
    pipe_factor = np.where(needs_pipe, 1.0 - infrastructure_reduction, 1.0)
    return Prices(
        unit_gain_eur=unit_gain,
        transport_eur_per_unit_km=transport * pipe_factor,
        one_off_eur=investment * (1.0 - grant_share) * pipe_factor + transaction_cost,
    )


def annuity_factor(rate_per_year: np.ndarray | float, horizon_years: float) -> np.ndarray:
    """Present value of 1 EUR a month for ``horizon_years`` at a yearly discount rate."""
    months = int(round(MONTHS_PER_YEAR * horizon_years))
    # log(1 + monthly rate); log1p and expm1 keep small rates from cancelling to 0 or to noise.
    log_growth = np.log1p(np.asarray(rate_per_year, dtype=float)) / MONTHS_PER_YEAR
    monthly = np.expm1(log_growth)
    safe = np.where(monthly > 0, monthly, 1.0)
    return np.where(monthly > 0, -np.expm1(-months * log_growth) / safe, float(months))


def expand_streams(
    pair_supplier: np.ndarray,
    pair_receiver: np.ndarray,
    can_supply: np.ndarray,
    can_receive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn firm pairs into (pair, stream) candidates: the supplier has what the receiver needs.

    Args:
        pair_supplier: Supplier firm index of each directed pair.
        pair_receiver: Receiver firm index of each directed pair.
        can_supply: Boolean (firms x streams): the firm has supply of the stream left to offer.
        can_receive: Boolean (firms x streams): the firm still needs the stream.

    Returns:
        The index into the pair arrays and the stream index of every candidate, in pair order
        and then stream order.
    """
    fits = can_supply[pair_supplier] & can_receive[pair_receiver]
    pair, stream = np.nonzero(fits)
    return pair, stream


def deal_values(
    quantity: np.ndarray,
    distance_km: np.ndarray,
    stream: np.ndarray,
    prices: Prices,
    *,
    overhead_eur_per_month: float,
    annuity: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly value and net present value of candidate exchanges.

    Args:
        quantity: Units per month the exchange would carry.
        distance_km: Distance between supplier and receiver.
        stream: Stream index of each candidate.
        prices: This month's per-stream economics.
        overhead_eur_per_month: Fixed monthly running cost of an exchange.
        annuity: Present value of 1 EUR a month over the planning horizon (scalar or per deal).

    Returns:
        (monthly value in EUR, NPV in EUR) of each candidate, for the pair as a whole.
    """
    margin = prices.unit_gain_eur[stream] - prices.transport_eur_per_unit_km[stream] * distance_km
    monthly = quantity * margin - overhead_eur_per_month
    return monthly, monthly * annuity - prices.one_off_eur[stream]


def isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_keys`` (sorted ascending), by binary search.

    Same answer as ``np.isin(values, sorted_keys)``, without sorting or hashing the keys again on
    every call: the model keeps its static key sets (social ties) sorted once.
    """
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[position] == values


# Above this many (offer, need) pairs a k-d tree answers nearest-neighbour queries; below it a
# direct distance block is cheaper than building the tree.
NEAREST_DIRECT_MAX_PAIRS = 20_000


def nearest(
    from_x_km: np.ndarray, from_y_km: np.ndarray, to_x_km: np.ndarray, to_y_km: np.ndarray, k: int
) -> np.ndarray:
    """Indices of the ``k`` points of ``to`` nearest to each point of ``from``, nearest first.

    Args:
        from_x_km: East coordinate of each query point.
        from_y_km: North coordinate of each query point.
        to_x_km: East coordinate of each candidate point.
        to_y_km: North coordinate of each candidate point.
        k: Neighbours per query point (at most the number of candidates).

    Returns:
        Integer array (queries x k) of indices into the candidate points. Memory and time stay
        O(queries x log candidates) for large inputs (k-d tree), so no dense n-by-n block is built.
    """
    if len(from_x_km) * len(to_x_km) <= NEAREST_DIRECT_MAX_PAIRS:
        dx = from_x_km[:, None] - to_x_km[None, :]
        dy = from_y_km[:, None] - to_y_km[None, :]
        return np.argsort(dx * dx + dy * dy, axis=1, kind="stable")[:, :k]
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([to_x_km, to_y_km]))
    _, index = tree.query(np.column_stack([from_x_km, from_y_km]), k=k)
    return np.asarray(index).reshape(len(from_x_km), k)


def first_of_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values in ``sorted_keys``."""
    first = np.empty(len(sorted_keys), dtype=bool)
    first[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    return first


def best_per_group(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Index of the highest-scoring element of each group (ties: the earliest element).

    Returns:
        Sorted indices into ``group``/``score``, one per distinct group value.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(group)), -score, group))
    return np.sort(order[first_of_runs(group[order])])


def match_one_round(
    supplier: np.ndarray,
    receiver: np.ndarray,
    stream: np.ndarray,
    score: np.ndarray,
    n_streams: int,
) -> np.ndarray:
    """One round of proposals and acceptances between suppliers and receivers.

    Each supplier offers each stream to its best receiver, and each receiver accepts its best
    offer per stream. So at most one new exchange starts per supplier and stream and per
    receiver and stream in a month, which keeps every new exchange within the capacities it was
    priced on.

    Returns:
        Sorted indices of the accepted candidates.
    """
    offers = best_per_group(supplier * n_streams + stream, score)
    accepted = best_per_group(receiver[offers] * n_streams + stream[offers], score[offers])
    return np.sort(offers[accepted])


class GroupOrder(NamedTuple):
    """How ``allocate_in_order`` walks a grouping: the stable sort by group, and its passes.

    Attributes:
        order: Element indices sorted by group, array order kept within a group.
        passes: For j = 1, 2, ...: the sorted positions of the j-th element of every group that
            has one (empty when every group has a single element).
    """

    order: np.ndarray
    passes: tuple[np.ndarray, ...]


def group_order(group: np.ndarray) -> GroupOrder:
    """The ``GroupOrder`` of ``group`` keys (worth keeping while the grouping does not change)."""
    n = len(group)
    order = np.argsort(group, kind="stable")
    if n < 2:
        return GroupOrder(order, ())
    first = first_of_runs(group[order])
    if first.all():
        return GroupOrder(order, ())
    index = np.arange(n)
    position = index - np.maximum.accumulate(np.where(first, index, 0))
    return GroupOrder(
        order, tuple(np.flatnonzero(position == j) for j in range(1, int(position.max()) + 1))
    )


def allocate_in_order(
    group: np.ndarray | None,
    wanted: np.ndarray,
    available: np.ndarray,
    grouped: GroupOrder | None = None,
) -> np.ndarray:
    """Serve ``wanted`` amounts in array order from each group's ``available`` amount.

    Element k of a group gets ``min(wanted[k], what is left after the earlier elements)``.

    Args:
        group: Group key of each element (e.g. supplier x stream); None when ``grouped`` is
            given.
        wanted: Amount each element asks for (non-negative).
        available: Amount available to each element's group, repeated per element.
        grouped: ``group_order(group)``, if the caller has it already.

    Returns:
        Amount served to each element; per group the total never exceeds ``available``.
    """
    n = len(wanted)
    if n == 0:
        return np.zeros(0)
    if grouped is None:
        if group is None:
            raise ValueError("allocate_in_order needs the group keys or their group_order")
        grouped = group_order(group)
    order, passes = grouped
    w = wanted[order]
    left = np.asarray(available, dtype=float)[order]
    # np.minimum/np.maximum: the same as np.clip, with less call overhead.
    served_sorted = np.minimum(np.maximum(left, 0.0), w)
    # One pass per position within a group, each serving the j-th element of every group at
    # once from what its group has left. Carrying what is left per group keeps a small group
    # after a huge one exact (a running sum over all groups would lose precision).
    for at in passes:
        left[at] = left[at - 1] - served_sorted[at - 1]
        served_sorted[at] = np.minimum(np.maximum(left[at], 0.0), w[at])
    served = np.empty(n)
    served[order] = served_sorted
    return served


def flow_groups(
    supplier: np.ndarray, receiver: np.ndarray, stream: np.ndarray, n_streams: int
) -> tuple[GroupOrder, GroupOrder]:
    """Groupings of exchanges by (supplier, stream) and by (receiver, stream), for allocate_flows.

    They change only when exchanges start or end, so the model keeps them between months.
    """
    return (group_order(supplier * n_streams + stream), group_order(receiver * n_streams + stream))


def allocate_flows(
    supplier: np.ndarray,
    receiver: np.ndarray,
    stream: np.ndarray,
    planned: np.ndarray,
    supply: np.ndarray,
    need: np.ndarray,
    grouped: tuple[GroupOrder, GroupOrder] | None = None,
) -> np.ndarray:
    """Quantities that flow this month through active exchanges, oldest exchange first.

    No exchange carries more than planned; no supplier ships more of a stream than it produced,
    and no receiver takes more than it needs.

    Args:
        supplier: Supplier of each active exchange (oldest exchange first).
        receiver: Receiver of each active exchange.
        stream: Stream of each active exchange.
        planned: Contracted monthly quantity of each exchange.
        supply: Supply this month (firms x streams).
        need: Need this month (firms x streams).
        grouped: ``flow_groups`` of these exchanges, if the caller has it already.
    """
    by_supplier, by_receiver = (
        grouped if grouped is not None else flow_groups(supplier, receiver, stream, supply.shape[1])
    )
    shipped = allocate_in_order(None, planned, supply[supplier, stream], by_supplier)
    return allocate_in_order(None, shipped, need[receiver, stream], by_receiver)


# --- Negotiated deals and diversion at the margin (docs/model.md, sections 7.7 and 7.8) --------


def recoverable_share(margin_eur: np.ndarray, diversion_cost_eur: np.ndarray) -> np.ndarray:
    """Share of a supplier's stream whose diversion the pair's unit margin covers, in [0, 1].

    ``margin / diversion cost``, clipped to [0, 1]; all of it when the cost is 0.
    """
    positive = diversion_cost_eur > 0
    ratio = np.maximum(margin_eur, 0.0) / np.where(positive, diversion_cost_eur, 1.0)
    return np.where(positive, np.minimum(ratio, 1.0), 1.0)


def recoverable_quantity(
    margin_eur: np.ndarray,
    base_supply: np.ndarray,
    committed: np.ndarray,
    remaining_need: np.ndarray,
    diversion_cost_eur: np.ndarray,
) -> np.ndarray:
    """Units per month worth diverting from disposal to one receiver, at the margin.

    A supplier's stream varies in quality: preparing the share x (0 to 1, best first) of its
    planned supply costs ``diversion_cost_eur * x`` per unit on top of the catalogue's
    pre-treatment. Exchanging a unit pays while the pair's margin covers that cost, so the
    supplier diverts up to the share ``x* = margin / diversion cost`` (all of it when the cost
    is 0). Its exchanges already agreed take the best share; a new deal takes what is left up to
    ``x*``, and no more than the receiver still needs.

    Args:
        margin_eur: The pair's unit margin before the diversion cost (unit gain minus transport).
        base_supply: The supplier's planned supply of the stream.
        committed: Supply of the stream already committed to the supplier's other exchanges.
        remaining_need: The receiver's need of the stream not yet covered.
        diversion_cost_eur: Extra cost per unit of the worst share of the stream (0: uniform).
    """
    share = recoverable_share(margin_eur, diversion_cost_eur)
    return np.minimum(np.maximum(share * base_supply - committed, 0.0), remaining_need)


def diversion_cost_per_unit(
    quantity: np.ndarray,
    base_supply: np.ndarray,
    committed: np.ndarray,
    diversion_cost_eur: np.ndarray,
) -> np.ndarray:
    """Average extra cost per unit of a deal that takes ``quantity`` after ``committed``.

    The deal carries the shares from ``committed / base`` to ``(committed + quantity) / base``
    of the supplier's stream, whose extra cost rises linearly, so its average is the cost at
    the middle of that interval.
    """
    safe = np.where(base_supply > 0, base_supply, 1.0)
    return diversion_cost_eur * (committed + quantity / 2) / safe


def transfer_price(
    supplier_share: np.ndarray,
    margin_eur: np.ndarray,
    supplier_outside_eur: np.ndarray,
    supplier_cost_eur: np.ndarray,
) -> np.ndarray:
    """Price per unit the receiver pays the supplier (negative: the supplier pays a gate fee).

    The supplier's gain per unit is its avoided disposal plus the price less the costs it bears
    (pre-treatment and diversion); the price is what makes that gain its agreed share of the
    pair's unit margin.
    """
    return supplier_share * margin_eur - supplier_outside_eur + supplier_cost_eur
