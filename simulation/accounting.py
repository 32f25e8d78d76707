"""The month's accounting of flows and money: model logic, called by the model's schedule.

Stage 6 of the monthly schedule (docs/model.md): once quantities have flowed, every active
exchange is valued, its value is shared between supplier and receiver, platform fees and
disclosure incentives change hands, the authority pays subsidies and collects landfill and
virgin-material taxes. These change the model's state (the firms' net benefit, the exchange
book's values and deliveries, the authority's budget); the indicators only read the
``MonthlyAccount`` this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from scenarios.parameters import DISCLOSURE_INCENTIVE, LANDFILL_TAX, SUBSIDY, VIRGIN_TAX

if TYPE_CHECKING:
    from simulation.market import Prices
    from simulation.model import SymbiosisModel


@dataclass(frozen=True)
class MonthlyAccount:
    """What the month's accounting booked, per stream and in money.

    Attributes:
        generated_by_stream: By-products generated per stream (its unit per month).
        exchanged_by_stream: Delivered to partners per stream (its unit per month).
        landfilled_t: By-products of landfilled streams generated but not exchanged (t).
        value_eur: The month's value of each active exchange (EUR, in book order of ``active``).
        platform_transfer_eur: Disclosure incentives and the operator's fee subsidies minus
            platform fees, over members (EUR).
    """

    generated_by_stream: np.ndarray
    exchanged_by_stream: np.ndarray
    landfilled_t: float
    value_eur: np.ndarray
    platform_transfer_eur: float

    @property
    def disposed_by_stream(self) -> np.ndarray:
        """Generated but not exchanged, per stream (landfilled, discharged or vented)."""
        return self.generated_by_stream - self.exchanged_by_stream

    @property
    def value_created_eur(self) -> float:
        """The month's value created by all active exchanges (EUR)."""
        return float(self.value_eur.sum())


def fees_due(model: SymbiosisModel) -> float:
    """Platform fees the members pay the operator this month (EUR)."""
    members = int(np.count_nonzero(model.companies.platform_tier))
    return members * model.settings.platform_fee_eur_per_month if members else 0.0


def account_flows(
    model: SymbiosisModel, active: np.ndarray, flow: np.ndarray, prices: Prices
) -> MonthlyAccount:
    """Book this month's flows, money and taxes (stage 6 of the schedule, docs/model.md).

    Each active exchange is worth its flow times the margin (gain per unit minus transport and
    its diversion cost) minus a monthly overhead, shared by supplier and receiver in the
    exchange's agreed ``supplier_share``; platform members receive the disclosure incentive and
    pay the fee while the platform is open; the authority pays subsidies per unit exchanged and
    collects the landfill tax on what is landfilled and the virgin tax on virgin material bought
    instead.

    Args:
        model: The model whose exchange book, firms and authority are booked.
        active: Book rows of the active exchanges.
        flow: Quantity delivered by each active exchange this month (its stream's unit).
        prices: The month's prices (``SymbiosisModel.month_prices``).

    Returns:
        The month's account, for the indicators to read.
    """
    streams, table, book, auth = model.streams, model.companies, model.book, model.authority
    settings = model.settings
    n_streams = len(streams)
    stream = book.stream[active]
    generated = model.supply.sum(0)
    exchanged = np.bincount(stream, weights=flow, minlength=n_streams)
    material = streams.is_material
    landfilled_t = float((generated - exchanged)[streams.is_landfilled].sum())

    margin = (
        prices.unit_gain_eur[stream]
        - prices.transport_eur_per_unit_km[stream] * book.distance_km[active]
        - book.diversion_eur_per_unit[active]
    )
    value = flow * margin - settings.exchange_overhead_eur_per_month
    book.columns["value_eur_per_month"][active] = value
    book.columns["delivered_total"][active] += flow
    supplier_part = value * book.supplier_share[active]
    np.add.at(table.net_benefit_eur, book.supplier[active], supplier_part)
    np.add.at(table.net_benefit_eur, book.receiver[active], value - supplier_part)

    members = table.platform_tier > 0
    n_members = np.count_nonzero(members)
    fee = settings.platform_fee_eur_per_month if model.operator.platform_open else 0.0
    incentive = auth.level(DISCLOSURE_INCENTIVE) if model.operator.platform_open else 0.0
    if n_members and incentive - fee:
        table.net_benefit_eur[members] += incentive - fee
    if incentive and n_members:
        auth.pay(incentive * n_members, "disclosure incentives")
    # The part of members' fees the operator pays (seeding, fee subsidy; docs/model.md 7.4).
    fee_subsidy = model.operator.fee_subsidy_eur
    fee_subsidies = float(fee_subsidy.sum()) if model.operator.platform_open else 0.0
    if fee_subsidies:
        table.net_benefit_eur += fee_subsidy
    subsidy = auth.level(SUBSIDY)
    if subsidy:
        auth.pay(subsidy * float(flow.sum()), "subsidies")
    virgin_bought = ((model.need.sum(0) - exchanged) * streams.substitution_ratio)[material]
    auth.collect(
        auth.level(LANDFILL_TAX) * landfilled_t
        + auth.level(VIRGIN_TAX) * float(np.maximum(virgin_bought, 0.0).sum())
    )
    return MonthlyAccount(
        generated_by_stream=generated,
        exchanged_by_stream=exchanged,
        landfilled_t=landfilled_t,
        value_eur=value,
        platform_transfer_eur=float(n_members * (incentive - fee)) + fee_subsidies,
    )
