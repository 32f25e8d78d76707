"""Development, acquaintance and path dependence of exchanges (docs/model.md, section 7.12).

Pure functions and one small state object over NumPy arrays, with no Mesa import:

* ``lead_months``: how long an agreed exchange takes through feasibility, permitting and
  investment before its first flow (longer for a stream that needs a pipe);
* ``acquaintance_months``: when two socially tied firms of a new park come to know each other;
* ``network_kinds`` and ``Infrastructure``: which earlier exchanges left infrastructure that a
  later one can reuse (the same stream, or the same utility network for piped streams, within a
  radius of either firm);
* ``learning_factor``: how a firm's experience with a stream lowers its transaction cost.
"""

from __future__ import annotations

import numpy as np

# The three stages of an exchange's development, in order (docs/model.md, section 7.12).
STAGES = ("feasibility", "permitting", "investment")


def lead_months(
    needs_pipe: np.ndarray,
    *,
    feasibility_months: float,
    permitting_months: float,
    investment_months: float,
    pipe_investment_months: float,
    spread: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Months from agreement to first flow of each new exchange (whole months, >= 0).

    Each stage lasts its mean times a uniform draw in ``[1 - spread, 1 + spread]``; the
    investment stage of a stream that needs a pipe has the mean ``pipe_investment_months``.

    Args:
        needs_pipe: Whether each new exchange's stream needs a pipe.
        feasibility_months: Mean months of the feasibility stage.
        permitting_months: Mean months of the permitting stage.
        investment_months: Mean months of the investment stage without a pipe.
        pipe_investment_months: Mean months of the investment stage with a pipe.
        spread: Half-width of the relative uniform draw of each stage.
        rng: The model's generator.
    """
    count = len(needs_pipe)
    means = np.stack(
        [
            np.full(count, float(feasibility_months)),
            np.full(count, float(permitting_months)),
            np.where(needs_pipe, float(pipe_investment_months), float(investment_months)),
        ]
    )
    draws = rng.uniform(1.0 - spread, 1.0 + spread, means.shape)
    return np.rint((means * draws).sum(axis=0)).astype(np.int64)


def acquaintance_months(count: int, mean_months: float, rng: np.random.Generator) -> np.ndarray:
    """Month from which each of ``count`` tied pairs knows each other (0 if ``mean_months`` is 0).

    Exponentially distributed with mean ``mean_months`` (a constant monthly chance of meeting),
    rounded down to whole months. The draws are taken whatever the mean, so runs that differ
    only in ``acquaintance_months`` share every later random number (paired comparisons).
    """
    draws = rng.standard_exponential(count)
    return np.floor(max(mean_months, 0.0) * draws).astype(np.int64)


def network_kinds(names: tuple[str, ...] | list[str], categories, needs_pipe) -> np.ndarray:
    """Index of the infrastructure each stream's exchanges build or reuse.

    A piped stream (energy, water) uses its category's network: steam and excess heat share a
    heat corridor. A stream without a pipe builds its own storage, logistics and proven
    specification, so it is its own kind.
    """
    labels = [
        f"network:{category}" if pipe else f"stream:{name}"
        for name, category, pipe in zip(names, categories, needs_pipe, strict=True)
    ]
    _, kind = np.unique(labels, return_inverse=True)
    return kind.astype(np.int64)


class Infrastructure:
    """Which sites lie within reach of infrastructure of each kind built so far.

    Attributes:
        near: Boolean (firms x kinds): some exchange of that kind with an end within
            ``radius_km`` of the site has flowed. The infrastructure belongs to the site: it
            stays when the exchange ends or the firm is replaced.
        kind: Kind index of each stream (``network_kinds``).
    """

    def __init__(
        self, x_km: np.ndarray, y_km: np.ndarray, kind: np.ndarray, radius_km: float
    ) -> None:
        """No infrastructure yet, for sites at (``x_km``, ``y_km``)."""
        self.x_km, self.y_km, self.kind, self.radius_km = x_km, y_km, kind, float(radius_km)
        self.near = np.zeros((len(x_km), int(kind.max()) + 1 if len(kind) else 0), dtype=bool)

    def build(self, supplier: np.ndarray, receiver: np.ndarray, stream: np.ndarray) -> None:
        """Exchanges that start to flow leave infrastructure of their kind at both ends."""
        if len(supplier) == 0:
            return
        ends = np.concatenate([supplier, receiver])
        kinds = np.tile(self.kind[stream], 2)
        for end, kind in set(zip(ends.tolist(), kinds.tolist(), strict=True)):
            distance = np.hypot(self.x_km - self.x_km[end], self.y_km - self.y_km[end])
            self.near[distance <= self.radius_km, kind] = True

    def reusable(
        self, supplier: np.ndarray, receiver: np.ndarray, stream: np.ndarray
    ) -> np.ndarray:
        """Whether each candidate exchange can reuse infrastructure near either of its firms."""
        kind = self.kind[stream]
        return self.near[supplier, kind] | self.near[receiver, kind]


def learning_factor(experience: np.ndarray, learning_rate: float) -> np.ndarray:
    """Cost relative to a first exchange after ``experience`` earlier ones (a learning curve).

    ``(1 + experience) ** log2(1 - learning_rate)``: the cost falls by ``learning_rate`` with
    each doubling of the exchanges of the stream a firm has taken part in (the form of Wright
    1936).
    """
    return (1.0 + experience) ** np.log2(1.0 - learning_rate)


def clustered_share(
    first_flow_step: np.ndarray,
    supplier: np.ndarray,
    receiver: np.ndarray,
    stream: np.ndarray,
    x_km: np.ndarray,
    y_km: np.ndarray,
    kind: np.ndarray,
    radius_km: float,
) -> float:
    """Share of exchanges that, when they first flowed, had an earlier one of their kind nearby.

    An exchange counts when either of its firms lay within ``radius_km`` of a firm of an
    exchange of the same kind (``network_kinds``) that first flowed in an earlier month. Over
    the exchanges after the first of their kind; NaN if there are none.
    """
    flowed = np.flatnonzero(first_flow_step >= 0)
    counted = clustered = 0
    for row in flowed.tolist():
        earlier = flowed[
            (first_flow_step[flowed] < first_flow_step[row])
            & (kind[stream[flowed]] == kind[stream[row]])
        ]
        if len(earlier) == 0:
            continue
        counted += 1
        ends = np.concatenate([supplier[earlier], receiver[earlier]])
        near = False
        for firm in (supplier[row], receiver[row]):
            distance = np.hypot(x_km[ends] - x_km[firm], y_km[ends] - y_km[firm])
            near = near or bool((distance <= radius_km).any())
        clustered += near
    return clustered / counted if counted else float("nan")
