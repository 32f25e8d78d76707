"""The public authority: sets policy instruments with their timing and keeps the public budget."""

from __future__ import annotations

from typing import Any

import mesa

from scenarios.parameters import INSTRUMENTS


class Authority(mesa.Agent):
    """Sets the instruments in force each month and books public revenue and spending.

    Attributes:
        in_force: Level of every instrument this month (0 or False when not in force).
        revenue_eur: Public revenue booked this month (landfill and virgin taxes).
        spending_eur: Public spending booked this month (subsidies, grants, funding, incentives).
        landfill_tax_raise_eur_per_t: Raise of the landfill tax by the adaptive rule so far.
    """

    def __init__(self, model: mesa.Model, params: dict[str, Any]) -> None:
        """Create the authority with the instrument schedule of ``params``."""
        super().__init__(model)
        self.schedule = {
            instrument.name: (
                params[instrument.level.name],
                params[instrument.start_param],
                params[instrument.end_param],
            )
            for instrument in INSTRUMENTS
        }
        self.target_recovery_rate = float(params["adaptive_target_recovery_rate"])
        self.tax_step_eur_per_t = float(params["adaptive_tax_step_eur_per_t"])
        self.landfill_tax_raise_eur_per_t = 0.0
        self.in_force: dict[str, Any] = {}
        self.revenue_eur = 0.0
        self.spending_eur = 0.0
        self.spending_by_purpose_eur: dict[str, float] = {}

    def apply_instruments(self, month: int) -> None:
        """Set the level of each instrument for ``month`` and open this month's books."""
        self.in_force = {}
        for name, (level, start, end) in self.schedule.items():
            active = month >= start and (end is None or month < end)
            self.in_force[name] = level if active else type(level)(0)
        if self.in_force["landfill_tax"] or self.landfill_tax_raise_eur_per_t:
            self.in_force["landfill_tax"] += self.landfill_tax_raise_eur_per_t
        self.revenue_eur = 0.0
        self.spending_eur = 0.0
        self.spending_by_purpose_eur = {}

    def level(self, instrument: str) -> Any:
        """Level of an instrument this month."""
        return self.in_force[instrument]

    def collect(self, amount_eur: float) -> None:
        """Book tax revenue."""
        self.revenue_eur += float(amount_eur)

    def pay(self, amount_eur: float, purpose: str) -> None:
        """Book public spending under a purpose (subsidy, grant, operator funding, ...)."""
        amount = float(amount_eur)
        self.spending_eur += amount
        spent = self.spending_by_purpose_eur
        spent[purpose] = spent.get(purpose, 0.0) + amount

    def adapt(self, month: int, recovery_rate: float) -> None:
        """Adaptive rule: at each year's end, raise the landfill tax if the target was missed."""
        if self.target_recovery_rate <= 0 or (month + 1) % 12:
            return
        if recovery_rate < self.target_recovery_rate:
            self.landfill_tax_raise_eur_per_t += self.tax_step_eur_per_t
