"""The park operator: the collective-governance actor of the World Bank (2021) report.

It runs facilitation workshops, brokers deals, offers standard contracts, builds shared
infrastructure, operates the digital platform (guaranteeing confidentiality) and keeps the
dashboard. Everything it does is paid from a budget of member fees and public funding.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np


class ParkOperator(mesa.Agent):
    """Organises exchanges within its budget.

    Attributes:
        budget_eur: Money available for activities (fees and public funding, minus spending).
        workshops_held: Number of workshops held so far.
        introductions: Candidate synergies revealed at workshops so far.
        platform_open: Whether the platform runs this month.
        infrastructure_built: Whether shared pipes and storage exist.
    """

    def __init__(self, model: mesa.Model, params: dict[str, Any]) -> None:
        """Create the operator with the cost settings of ``params``."""
        super().__init__(model)
        self.workshop_participants = int(params["workshop_participants"])
        self.workshop_cost_eur = float(params["workshop_cost_eur"])
        self.platform_cost_eur_per_month = float(params["platform_cost_eur_per_month"])
        self.infrastructure_cost_eur = float(params["infrastructure_cost_eur"])
        self.budget_eur = 0.0
        self.workshops_held = 0
        self.introductions = 0
        self.platform_open = False
        self.infrastructure_built = False

    def receive_funding(self, authority: Any, fees_eur: float) -> None:
        """Take this month's public funding (booked as public spending) and member fees."""
        funding = authority.level("operator_funding") / 12.0
        if funding:
            authority.pay(funding, "operator funding")
        self.budget_eur += funding + fees_eur

    def operate_platform(self, tier: int) -> None:
        """Run the platform this month if one is offered and the budget covers its cost."""
        self.platform_open = tier > 0 and self.budget_eur >= self.platform_cost_eur_per_month
        if self.platform_open:
            self.budget_eur -= self.platform_cost_eur_per_month

    def build_infrastructure(self, authority: Any, wanted: bool) -> None:
        """Build shared pipes and storage once they are wanted; the authority pays the capital."""
        if wanted and not self.infrastructure_built:
            authority.pay(self.infrastructure_cost_eur, "shared infrastructure")
            self.infrastructure_built = True

    def workshop_due(self, month: int, workshops_per_year: int) -> bool:
        """Whether a workshop is scheduled this month and affordable."""
        if workshops_per_year <= 0 or self.budget_eur < self.workshop_cost_eur:
            return False
        interval = max(1, 12 // workshops_per_year)
        return month % interval == 0

    def invite_participants(
        self, trust_in_operator: np.ndarray, eligible: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Choose who attends a workshop: firms that trust the operator more come more often.

        Returns:
            Indices of the participating companies.
        """
        candidates = np.flatnonzero(eligible)
        size = min(self.workshop_participants, len(candidates))
        if size < 2:
            return np.zeros(0, dtype=np.int64)
        weights = 0.05 + trust_in_operator[candidates]
        chosen = rng.choice(candidates, size=size, replace=False, p=weights / weights.sum())
        self.budget_eur -= self.workshop_cost_eur
        self.workshops_held += 1
        return np.sort(chosen)
