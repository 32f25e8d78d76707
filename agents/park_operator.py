"""The park operator: the collective-governance actor of the World Bank (2021) report.

It runs facilitation workshops, brokers deals, offers standard contracts, builds shared
infrastructure, operates the digital platform (guaranteeing confidentiality) and keeps the
dashboard. Everything it does is paid from a budget of member fees and public funding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.company import Channel, Companies, Tier
from scenarios.parameters import (
    CONTRACTS,
    FACILITATION,
    MONTHS_PER_YEAR,
    OPERATOR_FUNDING,
    PLATFORM,
    SHARED_INFRASTRUCTURE,
    ModelParameters,
)

if TYPE_CHECKING:
    from agents.authority import Authority

# A function answering, for each point of a first set, the indices of the k nearest points of
# a second set (``simulation.market.nearest``; handed in, as the kernel sits a floor above).
Nearest = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


class ParkOperator(mesa.Agent):
    """Organises exchanges within its budget.

    Attributes:
        settings: The run's parameters.
        budget_eur: Money available for activities (fees and public funding, minus spending).
        workshops_held: Number of workshops held so far.
        introductions: Candidate synergies revealed at workshops so far.
        introduced_from: Supplier slot of every introduction so far.
        introduced_to: Receiver slot of every introduction so far.
        brokered_keys: Pair keys of introductions the operator brokers until a deal starts.
        platform_open: Whether the platform runs this month.
        seed_ids: Firm ids of the firms the operator enrolled free of charge (seeding).
        seed_until: First month in which seeded firms are on their own again (-1: not seeded).
        fee_subsidy_eur: Part of each firm's platform fee the operator pays this month.
        infrastructure_built: Whether shared pipes and storage exist.
    """

    def __init__(self, model: mesa.Model, settings: ModelParameters) -> None:
        """Create the operator with the cost settings of ``settings``."""
        super().__init__(model)
        self.settings = settings
        self.workshop_participants = settings.workshop_participants
        self.workshop_cost_eur = settings.workshop_cost_eur
        self.platform_cost_eur_per_month = settings.platform_cost_eur_per_month
        self.infrastructure_cost_eur = settings.infrastructure_cost_eur
        self.budget_eur = 0.0
        self.workshops_held = 0
        self.introductions = 0
        self.introduced_from = np.zeros(0, dtype=np.int64)
        self.introduced_to = np.zeros(0, dtype=np.int64)
        self.brokered_keys: set[int] = set()
        self.platform_open = False
        self.infrastructure_built = False
        self.seed_ids = np.zeros(0, dtype=np.int64)
        self.seed_until = -1
        self.fee_subsidy_eur = np.zeros(0)

    # --- budget and infrastructure -------------------------------------------------------------

    def receive_funding(self, authority: Authority, fees_eur: float) -> None:
        """Take this month's public funding (booked as public spending) and member fees."""
        funding = authority.level(OPERATOR_FUNDING) / MONTHS_PER_YEAR
        if funding:
            authority.pay(funding, "operator funding")
        self.budget_eur += funding + fees_eur

    def build_infrastructure(self, authority: Authority) -> None:
        """Build shared pipes and storage once they are wanted; the authority pays the capital."""
        if authority.level(SHARED_INFRASTRUCTURE) and not self.infrastructure_built:
            authority.pay(self.infrastructure_cost_eur, "shared infrastructure")
            self.infrastructure_built = True

    def infrastructure_reduction(self, authority: Authority) -> float:
        """Share of pipe transport and investment saved by shared infrastructure this month."""
        if self.infrastructure_built and authority.level(SHARED_INFRASTRUCTURE):
            return self.settings.infrastructure_cost_reduction
        return 0.0

    # --- workshops and brokering ---------------------------------------------------------------

    def workshop_due(self, month: int, workshops_per_year: int) -> bool:
        """Whether a workshop is scheduled this month and affordable."""
        if workshops_per_year <= 0 or self.budget_eur < self.workshop_cost_eur:
            return False
        interval = max(1, MONTHS_PER_YEAR // workshops_per_year)
        return month % interval == 0

    def invite_participants(
        self, trust_in_operator: np.ndarray, eligible: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Choose who attends a workshop: firms that trust the operator more come more often.

        A firm's chance of an invitation is proportional to ``workshop_attendance_floor`` plus
        its trust in the operator, so that firms that do not trust it still come sometimes.

        Returns:
            Indices of the participating companies.
        """
        candidates = np.flatnonzero(eligible)
        size = min(self.workshop_participants, len(candidates))
        if size < 2:  # a workshop brings at least two firms together
            return np.zeros(0, dtype=np.int64)
        weights = self.settings.workshop_attendance_floor + trust_in_operator[candidates]
        chosen = rng.choice(candidates, size=size, replace=False, p=weights / weights.sum())
        self.budget_eur -= self.workshop_cost_eur
        self.workshops_held += 1
        return np.sort(chosen)

    def hold_workshop(
        self, month: int, companies: Companies, authority: Authority, rng: np.random.Generator
    ) -> None:
        """A facilitation workshop reveals candidate synergies among its participants.

        Participants learn about IS and come to trust the operator; every pair of participants
        where one supplies what the other needs is introduced, and the pair's trust rises. With
        brokering, the operator brokers each introduced pair until it signs a deal.
        """
        s = self.settings
        if not self.workshop_due(month, authority.level(FACILITATION)):
            return
        has_streams = (companies.base_supply.sum(1) + companies.base_need.sum(1)) > 0
        chosen = self.invite_participants(companies.trust_in_operator, has_streams, rng)
        if len(chosen) == 0:
            return
        companies.attend_workshop(chosen, s.workshop_awareness_gain, s.workshop_operator_trust_gain)
        a, b = np.meshgrid(chosen, chosen, indexing="ij")
        a, b = a.ravel(), b.ravel()
        fits = ((companies.base_supply[a] > 0) & (companies.base_need[b] > 0)).any(1) & (a != b)
        a, b = a[fits], b[fits]
        self.introductions += len(a)
        self.introduced_from = np.concatenate([self.introduced_from, a])
        self.introduced_to = np.concatenate([self.introduced_to, b])
        keys = companies.pair_key(a, b)
        companies.meet(keys, s.workshop_trust_bonus, month, s.trust_decay_per_month)
        if s.brokering and authority.in_force(FACILITATION):
            self.brokered_keys.update(np.unique(keys).tolist())

    def brokered(
        self, companies: Companies, supplier: np.ndarray, receiver: np.ndarray
    ) -> np.ndarray:
        """Whether the operator brokers each (supplier, receiver) pair."""
        broker = np.zeros(len(supplier), dtype=bool)
        if self.brokered_keys:
            keys = companies.pair_key(supplier, receiver).tolist()
            broker[:] = [key in self.brokered_keys for key in keys]
        return broker

    def deals_signed(self, keys: np.ndarray) -> None:
        """Pairs that signed a deal need no more brokering."""
        for key in keys.tolist():
            self.brokered_keys.discard(key)

    def transaction_costs_eur(
        self, brokered: np.ndarray, channel: np.ndarray, contracts_offered: bool
    ) -> np.ndarray:
        """One-off cost of negotiating each deal, after the operator's help.

        Brokering, a platform introduction and the operator's contract templates each save
        their declared share of the transaction cost.
        """
        s = self.settings
        return (
            s.transaction_cost_eur
            * np.where(brokered, 1 - s.broker_cost_reduction, 1.0)
            * np.where(channel == Channel.PLATFORM, 1 - s.platform_cost_reduction, 1.0)
            * (1 - s.contract_cost_reduction if contracts_offered else 1.0)
        )

    # --- the platform --------------------------------------------------------------------------

    def operate_platform(self, authority: Authority) -> int:
        """Run the platform this month if one is offered and the budget covers its cost.

        Returns:
            The tier the platform offers this month (0 when it does not run).
        """
        tier = authority.level(PLATFORM)
        self.platform_open = tier > 0 and self.budget_eur >= self.platform_cost_eur_per_month
        if self.platform_open:
            self.budget_eur -= self.platform_cost_eur_per_month
        return tier if self.platform_open else 0

    def enrolled(self, companies: Companies, month: int, rng: np.random.Generator) -> np.ndarray:
        """The firms the operator keeps on the platform free of charge this month (seeding).

        When the platform first runs, the operator enrols ``platform_seed_share`` of the park's
        firms, drawn at random among those with streams to disclose, for
        ``platform_seed_months``; a seeded firm that leaves the park is not replaced.
        """
        s = self.settings
        if self.seed_until < 0 and s.platform_seed_share > 0:
            has_streams = (companies.base_supply.sum(1) + companies.base_need.sum(1)) > 0
            candidates = np.flatnonzero(has_streams)
            count = min(round(s.platform_seed_share * len(companies)), len(candidates))
            chosen = rng.choice(candidates, size=count, replace=False)
            self.seed_ids = np.sort(companies.firm_id[chosen])
            self.seed_until = month + s.platform_seed_months
        if month >= self.seed_until or len(self.seed_ids) == 0:
            return np.zeros(len(companies), dtype=bool)
        return np.isin(companies.firm_id, self.seed_ids)

    def offer_fee_subsidy(self, companies: Companies, enrolled: np.ndarray) -> np.ndarray:
        """Part of each firm's fee the operator offers to pay this month, within its budget.

        The whole fee of an enrolled (seeded) firm and ``platform_fee_subsidy_share`` of every
        other member's; if paying this for today's members would exceed the budget left after
        the platform's running cost, every offer is cut in proportion.
        """
        fee = self.settings.platform_fee_eur_per_month
        offer = np.where(enrolled, fee, self.settings.platform_fee_subsidy_share * fee)
        committed = float(offer[companies.platform_tier > 0].sum())
        if committed > self.budget_eur:
            offer = offer * (max(self.budget_eur, 0.0) / committed)
        return offer

    def pay_fee_subsidies(self, offer: np.ndarray, member: np.ndarray) -> None:
        """Pay the offered part of the fee of each member, never more than the budget holds."""
        due = np.where(member, offer, 0.0)
        total = float(due.sum())
        if total > self.budget_eur:
            due = due * (max(self.budget_eur, 0.0) / total)
        self.budget_eur -= float(due.sum())
        self.fee_subsidy_eur = due

    def cost_data_shared(
        self, companies: Companies, supplier: np.ndarray, receiver: np.ndarray, tier: int
    ) -> np.ndarray:
        """Whether both sides of each pair see each other's cost data (tier 2) this month."""
        return (
            (companies.platform_tier[supplier] == Tier.COST_DATA)
            & (companies.platform_tier[receiver] == Tier.COST_DATA)
            & self.platform_open
            & (tier >= Tier.COST_DATA)
        )

    def platform_suggestions(
        self,
        companies: Companies,
        can_supply: np.ndarray,
        can_receive: np.ndarray,
        rng: np.random.Generator,
        nearest: Nearest,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs the platform's matching suggests this month.

        For each stream, every member disclosing a supply of it is shown the nearest members
        disclosing a need for it; each suggestion is made with probability ``platform_recall``
        (matching is imperfect, docs/model.md section 7.6).
        """
        s = self.settings
        empty = np.zeros(0, dtype=np.int64)
        if not self.platform_open:
            return empty, empty
        member = companies.platform_tier > 0
        if np.count_nonzero(member) < 2:  # matching needs two members
            return empty, empty
        offers = can_supply & member[:, None]
        needs = can_receive & member[:, None]
        suppliers, receivers = [], []
        for stream in np.flatnonzero(offers.any(0) & needs.any(0)).tolist():
            offering = np.flatnonzero(offers[:, stream])
            needing = np.flatnonzero(needs[:, stream])
            k = min(s.platform_suggestions, len(needing))
            closest = nearest(
                companies.x_km[offering],
                companies.y_km[offering],
                companies.x_km[needing],
                companies.y_km[needing],
                k,
            )
            suppliers.append(np.repeat(offering, k))
            receivers.append(needing[closest.reshape(-1)])
        if not suppliers:
            return empty, empty
        supplier, receiver = np.concatenate(suppliers), np.concatenate(receivers)
        recalled = rng.random(len(supplier)) < s.platform_recall
        return supplier[recalled], receiver[recalled]

    # --- contracts -----------------------------------------------------------------------------

    def contract_end(self, month: int, authority: Authority) -> int:
        """Month a contract signed now runs to, or -1 when no contracts are offered."""
        if authority.level(CONTRACTS):
            return month + self.settings.contract_months
        return -1

    def renew_contracts(
        self,
        contract_until: np.ndarray,
        value_eur_per_month: np.ndarray,
        month: int,
        authority: Authority,
    ) -> np.ndarray:
        """Renew contracts ending this month that still pay both sides, while offered.

        Args:
            contract_until: Month each exchange's contract runs to (-1 without one); renewed
                contracts are extended in place.
            value_eur_per_month: Last month's value of each exchange.
            month: This month (0-based).
            authority: Whose ``CONTRACTS`` level says whether contracts are offered.

        Returns:
            Whether each exchange is under contract after renewal.
        """
        under_contract = contract_until > month
        expiring = (contract_until == month) & (value_eur_per_month >= 0)
        if authority.level(CONTRACTS) and expiring.any():
            contract_until[expiring] = month + self.settings.contract_months
            under_contract |= expiring
        return under_contract
