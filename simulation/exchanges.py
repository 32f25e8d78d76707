"""The book of exchanges: every exchange ever started, as growable column arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

END_REASONS = (
    "",
    "unprofitable",
    "supply_failure",
    "lost_trust",
    "partner_exit",
    "abandoned",
    "reneged",
)


def _blank(capacity: int, dtype: type | np.dtype) -> np.ndarray:
    """An empty column: -1 for integers (no step, no reason), 0 for floats."""
    return np.full(capacity, -1 if np.dtype(dtype).kind == "i" else 0, dtype=dtype)


class _Column:
    """A column of the book as an attribute: the exchanges recorded so far (a view)."""

    def __init__(self, dtype: type) -> None:
        self.dtype = dtype

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, book: ExchangeBook | None, owner: type | None = None) -> Any:
        if book is None:
            return self
        return book.columns[self.name][: book.size]


class ExchangeBook:
    """Column store of exchanges, oldest first; an exchange is active while ``end_step < 0``.

    Columns: supplier, receiver, stream, distance_km, quantity_per_month (planned), start_step,
    end_step, end_reason (index into ``END_REASONS``), trust_delta (pair trust above the
    generalized level), bad_months (consecutive unprofitable months), idle_months (consecutive
    months without delivery), contract_until (month the contract runs to, -1 without one),
    value_eur_per_month (realised last month), delivered_total (delivered so far), supplier_share
    (the supplier's share of the exchange's monthly value; the receiver has the rest),
    ready_step (first month the exchange may flow, once its development is over),
    first_flow_step (month it went into operation, -1 while in development),
    diversion_eur_per_unit (average extra cost of preparing the share of the supplier's stream
    the exchange carries, docs/model.md section 7.7), price_eur_per_unit (the transfer price
    the receiver pays per unit, section 7.8; negative when the supplier pays).

    An active exchange is in development until ``begin_flows`` puts it into operation; only
    exchanges in operation flow (``operating()``), while every active one holds its capacity.

    ``version`` counts the changes to the set of active exchanges, so that indicators of the
    exchange graph can be reused in months when no exchange starts or ends.
    """

    supplier = _Column(np.int64)
    receiver = _Column(np.int64)
    stream = _Column(np.int64)
    start_step = _Column(np.int64)
    end_step = _Column(np.int64)
    end_reason = _Column(np.int64)
    bad_months = _Column(np.int64)
    idle_months = _Column(np.int64)
    contract_until = _Column(np.int64)
    distance_km = _Column(np.float64)
    quantity_per_month = _Column(np.float64)
    trust_delta = _Column(np.float64)
    value_eur_per_month = _Column(np.float64)
    delivered_total = _Column(np.float64)
    supplier_share = _Column(np.float64)
    ready_step = _Column(np.int64)
    first_flow_step = _Column(np.int64)
    diversion_eur_per_unit = _Column(np.float64)
    price_eur_per_unit = _Column(np.float64)

    def __init__(self, capacity: int = 256) -> None:  # storage only: grows by doubling
        """Create an empty book with room for ``capacity`` exchanges before growing."""
        self.size = 0
        self.columns: dict[str, np.ndarray] = {
            name: _blank(capacity, column.dtype)
            for name, column in vars(ExchangeBook).items()
            if isinstance(column, _Column)
        }
        self._active = np.zeros(0, dtype=np.int64)
        self._operating = np.zeros(0, dtype=np.int64)
        self.version = 0

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append exchanges (one array per column; missing columns take their empty value).

        Returns:
            Indices of the new exchanges.
        """
        count = len(values["supplier"])
        needed = self.size + count
        capacity = len(self.columns["supplier"])
        if needed > capacity:
            new_capacity = max(needed, 2 * capacity)
            for name, column in self.columns.items():
                grown = _blank(new_capacity, column.dtype)
                grown[: self.size] = column[: self.size]
                self.columns[name] = grown
        rows = np.arange(self.size, needed)
        for name, value in values.items():
            self.columns[name][rows] = value
        self.size = needed
        self._active = np.concatenate([self._active, rows])
        self.version += 1
        return rows

    def active(self) -> np.ndarray:
        """Indices of the active exchanges (in development or in operation), oldest first."""
        return self._active

    def operating(self) -> np.ndarray:
        """Indices of the active exchanges in operation (past their first flow), oldest first."""
        return self._operating

    def developing(self) -> np.ndarray:
        """Indices of the active exchanges still in development, oldest first."""
        active = self._active
        return active[self.columns["first_flow_step"][active] < 0]

    def begin_flows(self, rows: np.ndarray, step: int) -> None:
        """Put exchanges ``rows`` (in development) into operation from ``step`` on."""
        if len(rows) == 0:
            return
        self.columns["first_flow_step"][rows] = step
        self._operating = np.sort(np.concatenate([self._operating, rows]))
        self.version += 1

    def end(self, rows: np.ndarray, step: int, reason: str) -> None:
        """End exchanges ``rows`` at ``step`` for ``reason`` (one of ``END_REASONS``)."""
        if len(rows) == 0:
            return
        self.columns["end_step"][rows] = step
        self.columns["end_reason"][rows] = END_REASONS.index(reason)
        self._active = self._active[self.columns["end_step"][self._active] < 0]
        self._operating = self._operating[self.columns["end_step"][self._operating] < 0]
        self.version += 1
