"""Companies: the firms of the park, which produce, share data, search, negotiate and learn.

A park may hold tens of thousands of firms, so a company's state lives in one row of a
``CompanyTable`` (one array per attribute) and each decision rule is written once over those
arrays: ``Company.produce`` computes every firm's production in one call. The ``Company`` Mesa
agent is the firm a reader or the app sees: its properties read its row of the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np


@dataclass
class CompanyTable:
    """State of every company, one entry (or row) per company slot.

    A slot is taken over by a new firm of the same sector when a firm exits (the site is
    re-let), so arrays keep their length for the whole run.
    """

    sector: np.ndarray
    size: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    is_recycler: np.ndarray
    base_supply: np.ndarray
    base_need: np.ndarray
    awareness: np.ndarray
    openness: np.ndarray
    generalized_trust: np.ndarray
    trust_in_operator: np.ndarray
    hurdle_rate: np.ndarray
    platform_tier: np.ndarray
    production_level: np.ndarray
    stopped_until: np.ndarray
    net_benefit_eur: np.ndarray
    firm_id: np.ndarray

    def __len__(self) -> int:
        """Number of company slots."""
        return len(self.sector)


class Company(mesa.Agent):
    """A firm of the park (one slot of the ``CompanyTable``).

    The class methods are the firms' decision rules, applied to every firm at once.
    """

    def __init__(self, model: mesa.Model, slot: int, name: str) -> None:
        """Create the agent for company slot ``slot``."""
        super().__init__(model)
        self.slot = slot
        self.name = name

    @property
    def _table(self) -> CompanyTable:
        return self.model.companies

    @property
    def sector(self) -> str:
        """Sector name."""
        return self.model.sectors.names[self._table.sector[self.slot]]

    @property
    def size(self) -> float:
        """Size multiplier of the sector's per-firm quantities."""
        return float(self._table.size[self.slot])

    @property
    def location_km(self) -> tuple[float, float]:
        """Location (x, y) in km."""
        return float(self._table.x_km[self.slot]), float(self._table.y_km[self.slot])

    @property
    def awareness(self) -> float:
        """Knowledge of industrial symbiosis in [0, 1]."""
        return float(self._table.awareness[self.slot])

    @property
    def platform_tier(self) -> int:
        """Disclosure tier on the platform: 0 not a member, 1 streams, 2 streams and costs."""
        return int(self._table.platform_tier[self.slot])

    @property
    def net_benefit_eur(self) -> float:
        """Cumulative net benefit from symbiosis so far."""
        return float(self._table.net_benefit_eur[self.slot])

    # --- decision rules over all companies -----------------------------------------------------

    @staticmethod
    def produce(
        table: CompanyTable,
        month: int,
        rng: np.random.Generator,
        *,
        uncertainty: float,
        turbulence: float,
        stop_probability: float,
        stop_months: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw this month's supply and need of every firm (docs/model.md, section 7.2).

        With probability ``turbulence`` a firm's production level moves by up to
        ``uncertainty`` either way (Albino et al. 2016 separate the two); with probability
        ``stop_probability`` a running firm stops for ``stop_months``.

        Returns:
            (supply, need), each firms x streams, in stream units per month.
        """
        n = len(table)
        shocked = rng.random(n) < turbulence
        level = np.where(shocked, 1.0 + rng.uniform(-uncertainty, uncertainty, n), 1.0)
        stops = (rng.random(n) < stop_probability) & (table.stopped_until <= month)
        table.stopped_until[stops] = month + stop_months
        level[table.stopped_until > month] = 0.0
        table.production_level[:] = level
        return table.base_supply * level[:, None], table.base_need * level[:, None]

    @staticmethod
    def choose_platform_tier(
        table: CompanyTable,
        deciding: np.ndarray,
        *,
        tier_offered: int,
        member_share: float,
        critical_mass_share: float,
        standalone_share: float,
        expected_gain_eur: np.ndarray,
        fee_eur: float,
        incentive_eur: float,
        confidentiality_risk_eur: float,
        mandatory: bool,
    ) -> None:
        """Firms reconsidering this month choose their disclosure tier (Fraccascia & Yazan 2018).

        Expected benefit grows with membership (a network effect with a critical mass,
        Fraccascia 2020); tier 2 adds cost data at a confidentiality risk that falls with the
        firm's openness and its trust in the operator, who guarantees confidentiality.
        """
        if tier_offered == 0:
            table.platform_tier[:] = 0
            return
        network_effect = standalone_share + (1 - standalone_share) * member_share**2 / (
            member_share**2 + critical_mass_share**2
        )
        guard = (1.0 - table.openness) * (1.0 - table.trust_in_operator)
        utility_1 = (
            network_effect * expected_gain_eur
            + incentive_eur
            - fee_eur
            - 0.2 * confidentiality_risk_eur * guard
        )
        utility_2 = (
            1.25 * network_effect * expected_gain_eur
            + incentive_eur
            - fee_eur
            - confidentiality_risk_eur * guard
        )
        choice = np.where(utility_1 > 0, 1, 0)
        if tier_offered >= 2:
            choice = np.where((utility_2 > utility_1) & (utility_2 > 0), 2, choice)
        if mandatory:
            choice = np.maximum(choice, 1)
        table.platform_tier[deciding] = choice[deciding]

    @staticmethod
    def learn_from_neighbours(
        table: CompanyTable,
        tie_from: np.ndarray,
        tie_to: np.ndarray,
        exchanging: np.ndarray,
        rate: float,
    ) -> None:
        """Knowledge of IS spreads from firms that exchange to their social neighbours.

        Each month a firm gains ``rate`` times the share of its neighbours that exchange.
        """
        if len(tie_from) == 0 or rate == 0:
            return
        n = len(table)
        degree = np.bincount(tie_to, minlength=n)
        exchanging_neighbours = np.bincount(tie_to, weights=exchanging[tie_from], minlength=n)
        share = np.divide(exchanging_neighbours, degree, out=np.zeros(n), where=degree > 0)
        np.minimum(table.awareness + rate * share, 1.0, out=table.awareness)

    @staticmethod
    def accept_offers(
        share_eur: np.ndarray,
        gross_eur: np.ndarray,
        trust_in_partner: np.ndarray,
        trust_needed: np.ndarray | float,
        has_cost_data: np.ndarray,
        doubt: np.ndarray,
        cost_uncertainty_share: float,
    ) -> np.ndarray:
        """Whether one side accepts each offered deal (docs/model.md, section 7.8).

        A side accepts when its trust in the partner clears what the deal needs and its share
        looks positive. Without the partner's cost data (tier 2) a side cannot check the split,
        and discounts its share by its ``doubt`` (uniform in [0, 1]) times
        ``cost_uncertainty_share`` of its half of the gross value, so some feasible deals fail.
        """
        suspicion = np.where(has_cost_data, 0.0, doubt * cost_uncertainty_share * gross_eur / 2)
        return (trust_in_partner >= trust_needed) & (share_eur - suspicion > 0)
