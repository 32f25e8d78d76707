"""Slow, obviously-correct loop versions of the market kernel in ``simulation.market``.

Each function states the rule in plain Python, one element at a time, so that a reader can check
it against docs/model.md section 7 by eye; ``tests/test_market.py`` asserts that the vectorised
kernel gives the same answers on small random inputs.
"""

from __future__ import annotations

import numpy as np


def stream_prices(
    gate_fee,
    virgin_price,
    substitution_ratio,
    pretreatment,
    transport,
    investment,
    is_landfilled,
    is_material,
    needs_pipe,
    *,
    landfill_tax,
    virgin_tax,
    subsidy,
    grant_share,
    transaction_cost,
    infrastructure_reduction,
):
    """Per-stream unit gain, transport cost and one-off cost, stream by stream."""
    unit_gain, transport_out, one_off = [], [], []
    for s in range(len(gate_fee)):
        avoided_disposal = gate_fee[s] + (landfill_tax if is_landfilled[s] else 0.0)
        virgin_cost = virgin_price[s] + (virgin_tax if is_material[s] else 0.0)
        avoided_virgin = substitution_ratio[s] * virgin_cost
        unit_gain.append(avoided_disposal + avoided_virgin - pretreatment[s] + subsidy)
        saved = infrastructure_reduction if needs_pipe[s] else 0.0
        transport_out.append(transport[s] * (1.0 - saved))
        one_off.append(investment[s] * (1.0 - grant_share) * (1.0 - saved) + transaction_cost)
    return np.array(unit_gain), np.array(transport_out), np.array(one_off)


def annuity_factor(rate_per_year: float, horizon_years: float) -> float:
    """Present value of 1 EUR paid at the end of each month, summed month by month."""
    months = int(round(12 * horizon_years))
    monthly_rate = (1.0 + rate_per_year) ** (1.0 / 12.0) - 1.0
    return sum(1.0 / (1.0 + monthly_rate) ** m for m in range(1, months + 1))


def expand_streams(pair_supplier, pair_receiver, can_supply, can_receive):
    """Every (pair, stream) where the supplier has the stream and the receiver needs it."""
    pairs, streams = [], []
    for pair in range(len(pair_supplier)):
        for stream in range(can_supply.shape[1]):
            if can_supply[pair_supplier[pair], stream] and can_receive[pair_receiver[pair], stream]:
                pairs.append(pair)
                streams.append(stream)
    return np.array(pairs, dtype=np.int64), np.array(streams, dtype=np.int64)


def deal_values(
    quantity, distance_km, stream, unit_gain, transport, one_off, *, overhead_eur_per_month, annuity
):
    """Monthly value and NPV of each candidate, one candidate at a time."""
    monthly, npv = [], []
    for k in range(len(quantity)):
        s = stream[k]
        margin_per_unit = unit_gain[s] - transport[s] * distance_km[k]
        value = quantity[k] * margin_per_unit - overhead_eur_per_month
        factor = annuity[k] if np.ndim(annuity) else annuity
        monthly.append(value)
        npv.append(value * factor - one_off[s])
    return np.array(monthly), np.array(npv)


def best_per_group(group, score):
    """Index of the best score of each group; on a tie the earlier element stays."""
    best: dict[int, int] = {}
    for k in range(len(group)):
        g = int(group[k])
        if g not in best or score[k] > score[best[g]]:
            best[g] = k
    return np.array(sorted(best.values()), dtype=np.int64)


def match_one_round(supplier, receiver, stream, score, n_streams):
    """Suppliers offer each stream to their best candidate; receivers keep their best offer."""
    offers: dict[tuple[int, int], int] = {}
    for k in range(len(supplier)):
        key = (int(supplier[k]), int(stream[k]))
        if key not in offers or score[k] > score[offers[key]]:
            offers[key] = k
    accepted: dict[tuple[int, int], int] = {}
    for k in sorted(offers.values()):
        key = (int(receiver[k]), int(stream[k]))
        if key not in accepted or score[k] > score[accepted[key]]:
            accepted[key] = k
    return np.array(sorted(accepted.values()), dtype=np.int64)


def allocate_in_order(group, wanted, available):
    """Serve each element in array order from what is left of its group's amount."""
    left: dict[int, float] = {}
    served = np.zeros(len(group))
    for k in range(len(group)):
        g = int(group[k])
        if g not in left:
            left[g] = float(available[k])
        served[k] = min(float(wanted[k]), max(left[g], 0.0))
        left[g] -= served[k]
    return served


def allocate_flows(supplier, receiver, stream, planned, supply, need):
    """Oldest exchange first: ship what the supplier has left, deliver what the receiver needs."""
    supply_left = np.array(supply, dtype=float)
    shipped = np.zeros(len(supplier))
    for k in range(len(supplier)):
        i, s = supplier[k], stream[k]
        shipped[k] = min(float(planned[k]), max(supply_left[i, s], 0.0))
        supply_left[i, s] -= shipped[k]
    need_left = np.array(need, dtype=float)
    delivered = np.zeros(len(supplier))
    for k in range(len(supplier)):
        j, s = receiver[k], stream[k]
        delivered[k] = min(shipped[k], max(need_left[j, s], 0.0))
        need_left[j, s] -= delivered[k]
    return delivered
