"""The public authority: sets policy instruments with their timing and keeps the public budget.

The instruments themselves are declared once, in ``scenarios.parameters.INSTRUMENTS`` (level,
timing, who pays whom, which prices or costs they change). The authority is the one place that
applies their timing: every other module asks it for ``level(instrument)`` or
``in_force(instrument)`` with a typed handle such as ``LANDFILL_TAX``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, overload

import mesa

from scenarios import parameters
from scenarios.parameters import LANDFILL_TAX, MONTHS_PER_YEAR, Instrument, Value


class Authority(mesa.Agent):
    """Sets the instruments in force each month and books public revenue and spending.

    Attributes:
        instruments: The instruments declared for the run (``scenarios.parameters.INSTRUMENTS``).
        schedule: Level, start month and end month (or None) of every instrument, by name.
        revenue_eur: Public revenue booked this month (landfill and virgin taxes).
        spending_eur: Public spending booked this month (subsidies, grants, funding, incentives).
        spending_by_purpose_eur: This month's spending by purpose.
        landfill_tax_raise_eur_per_t: Raise of the landfill tax by the adaptive rule so far.
    """

    def __init__(
        self,
        model: mesa.Model,
        params: Mapping[str, Value],
        instruments: Sequence[Instrument[Any]] | None = None,
    ) -> None:
        """Create the authority with the instrument schedule of ``params``.

        Args:
            model: The model the authority acts in.
            params: Validated parameters (levels and start and end months of each instrument).
            instruments: The declared instruments; ``scenarios.parameters.INSTRUMENTS`` if None.
        """
        super().__init__(model)
        declared = parameters.INSTRUMENTS if instruments is None else instruments
        self.instruments: tuple[Instrument[Any], ...] = tuple(declared)
        self.schedule: dict[str, tuple[Any, int, int | None]] = {
            instrument.name: (
                params[instrument.level.name],
                int(_number(params[instrument.start_param])),
                _month_or_none(params[instrument.end_param]),
            )
            for instrument in self.instruments
        }
        # The schedule with each level's zero (its type's, for months out of force), and the
        # instruments that change prices or have an effect on them: fixed for the run, so the
        # monthly calls below do not look them up again.
        self._windows = tuple(
            (name, level, type(level)(0), start, end)
            for name, (level, start, end) in self.schedule.items()
        )
        self._price_names = tuple(i.name for i in self.instruments if i.affects_prices)
        self._effect_instruments = tuple(i for i in self.instruments if i.effect is not None)
        self.target_recovery_rate = _number(params["adaptive_target_recovery_rate"])
        self.tax_step_eur_per_t = _number(params["adaptive_tax_step_eur_per_t"])
        self.landfill_tax_raise_eur_per_t = 0.0
        self._active: dict[str, bool] = {}
        self._levels: dict[str, Any] = {}
        self.revenue_eur = 0.0
        self.spending_eur = 0.0
        self.spending_by_purpose_eur: dict[str, float] = {}

    # --- instruments -------------------------------------------------------------------------

    def apply_instruments(self, month: int) -> None:
        """Set which instruments are in force in ``month`` (0-based) and open its books.

        An instrument is in force from its start month up to, not including, its end month;
        outside that window its level is zero (or false). The adaptive landfill-tax raise adds
        to the declared tax.
        """
        self._active = {}
        self._levels = {}
        for name, level, zero, start, end in self._windows:
            active = month >= start and (end is None or month < end)
            self._active[name] = active
            self._levels[name] = level if active else zero
        tax = LANDFILL_TAX.name
        if tax in self._levels and (self._levels[tax] or self.landfill_tax_raise_eur_per_t):
            self._levels[tax] += self.landfill_tax_raise_eur_per_t
        self.revenue_eur = 0.0
        self.spending_eur = 0.0
        self.spending_by_purpose_eur = {}

    @overload
    def level[L: (bool, int, float)](self, instrument: Instrument[L]) -> L: ...
    @overload
    def level(self, instrument: str) -> Value: ...
    def level(self, instrument: Instrument[Any] | str) -> Any:
        """Level of an instrument this month (zero or false when it is not in force).

        Pass the typed handle (``LANDFILL_TAX``), whose level type the type checker knows; a
        name is accepted for instruments declared at run time, and its level is untyped.
        """
        name = instrument if isinstance(instrument, str) else instrument.name
        return self._levels[name]

    def in_force(self, instrument: Instrument[Any]) -> bool:
        """Whether this month lies in the instrument's window (its ``extra`` settings apply)."""
        return self._active[instrument.name]

    def price_levels(self) -> tuple[Any, ...]:
        """Levels of every instrument that changes prices: the key of the month's price cache.

        Derived from the declaration (``Instrument.changes``), so an instrument that declares a
        price term is in the key without anyone listing it.
        """
        levels = self._levels
        return tuple([levels[name] for name in self._price_names])

    def price_effects(self) -> list[tuple[Instrument[Any], Any]]:
        """Instruments with an ``effect`` on prices that act this month, with their levels."""
        levels = self._levels
        return [(i, levels[i.name]) for i in self._effect_instruments if levels[i.name]]

    # --- the public budget -------------------------------------------------------------------

    def collect(self, amount_eur: float) -> None:
        """Book tax revenue."""
        self.revenue_eur += float(amount_eur)

    def pay(self, amount_eur: float, purpose: str) -> None:
        """Book public spending under a purpose (subsidy, grant, operator funding, ...)."""
        amount = float(amount_eur)
        self.spending_eur += amount
        spent = self.spending_by_purpose_eur
        spent[purpose] = spent.get(purpose, 0.0) + amount

    # --- adaptation --------------------------------------------------------------------------

    def adapt(self, month: int, recovery_rate: float) -> None:
        """Adaptive rule: at each year's end, raise the landfill tax if the target was missed."""
        if self.target_recovery_rate <= 0 or (month + 1) % MONTHS_PER_YEAR:
            return
        if recovery_rate < self.target_recovery_rate:
            self.landfill_tax_raise_eur_per_t += self.tax_step_eur_per_t


def _number(value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _month_or_none(value: Value) -> int | None:
    return None if value is None else int(_number(value))
