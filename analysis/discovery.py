"""Scenario discovery: the regions of uncertainty where a condition on an output holds.

On an exploration (``analysis.exploration``), each (policy, uncertainty point) gets the mean of
the output over its replications; a point is a case of interest where the condition holds on that
mean. PRIM (the patient rule induction method, Friedman & Fisher 1999, as implemented in the EMA
workbench's ``analysis.prim``, Kwakkel 2017) peels boxes over the uncertainties and reports, for
each box, coverage (share of all cases of interest inside the box), density (share of the box's
points that are cases of interest), mass and the restricted dimensions, with the whole peeling
trajectory; CART (a scikit-learn decision tree through the workbench's ``analysis.cart``) gives
its leaves as boxes with the same statistics. Both need the ``[design]`` extra.

References: Friedman, J.H. & Fisher, N.I. (1999), Bump hunting in high-dimensional data,
Statistics and Computing 9, 123-143; Bryant, B.P. & Lempert, R.J. (2010), Thinking inside the
box, Technological Forecasting & Social Change 77, 34-49; Kwakkel, J.H. (2017), The Exploratory
Modeling Workbench, Environmental Modelling & Software 96, 239-250.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import Pandas4Warning

from analysis.design_space import Condition, DesignError, parse_condition, require

BOXES_FILE = "boxes.csv"
PEELING_FILE = "peeling.csv"
METHODS = ("prim", "cart")
BOX_COLUMNS = [
    "method",
    "box",
    "dimension",
    "low",
    "high",
    "range_low",
    "range_high",
    "coverage",
    "density",
    "mass",
    "restricted_dimensions",
    "cases_of_interest",
    "points",
]


@dataclass
class Discovery:
    """What scenario discovery found.

    Attributes:
        condition: The condition that defines a case of interest.
        points: One row per (policy, point): uncertainties, output mean, ``case_of_interest``.
        boxes: ``BOX_COLUMNS``: one row per restricted dimension of each box (a box restricting
            nothing has one row with an empty ``dimension``).
        peeling: PRIM's peeling trajectory of every box: ``box``, ``step``, ``coverage``,
            ``density``, ``mass``, ``restricted_dimensions``, ``chosen``.
        dimensions: The uncertainty columns searched.
        notes: Plain-language remarks (no case of interest, every point a case...).
    """

    condition: Condition
    points: pd.DataFrame
    boxes: pd.DataFrame
    peeling: pd.DataFrame
    dimensions: list[str]
    notes: list[str] = field(default_factory=list)


def case_table(
    experiments: pd.DataFrame,
    condition: Condition,
    dimensions: Sequence[str],
    policy: str | None = None,
) -> pd.DataFrame:
    """Mean of the condition's output per (policy, point) and whether the condition holds.

    Raises:
        DesignError: If ``policy`` is not in the table or a dimension column is missing.
    """
    table = experiments
    if policy is not None:
        known = sorted(table["policy"].unique())
        if policy not in known:
            raise DesignError(f"--policy {policy!r}: not in this exploration ({', '.join(known)})")
        table = table[table["policy"] == policy]
    missing = [d for d in dimensions if d not in table.columns]
    if missing:
        raise DesignError(f"the exploration has no column {missing[0]!r}")
    grouped = table.groupby(["policy", "point"], sort=True)
    points = grouped[list(dimensions)].first()
    points[condition.output] = grouped[condition.output].mean()
    points["case_of_interest"] = condition.holds(points[condition.output]).astype(bool)
    return points.reset_index()


def discover(
    experiments: pd.DataFrame,
    where: str | Condition,
    dimensions: Sequence[str],
    *,
    policy: str | None = None,
    methods: Sequence[str] = ("prim",),
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_boxes: int = 1,
    seed: int = 0,
) -> Discovery:
    """Find boxes of uncertainty where ``where`` holds.

    Args:
        experiments: An exploration table (``Exploration.experiments`` or experiments.csv).
        where: ``"OUTPUT OP VALUE"`` or a ``Condition``.
        dimensions: Uncertainty columns to search (with several policies and no ``policy``,
            ``policy`` is searched too, as a categorical dimension).
        policy: Only this policy's runs.
        methods: ``"prim"`` and/or ``"cart"``.
        threshold: PRIM: the box chosen on a peeling trajectory is the one of highest coverage
            whose density is at least this (the densest box if none reaches it).
        peel_alpha: PRIM: share of points peeled at each step.
        mass_min: Smallest share of the points a box (or a CART leaf) may hold.
        max_boxes: PRIM: boxes to find one after another (each on the points left outside the
            previous ones).
        seed: CART: seed of the tree's tie-breaking.

    Raises:
        DesignError: On a bad condition, policy, method or parameter, or a missing extra.
    """
    condition = where if isinstance(where, Condition) else parse_condition(where, "--where")
    for method in methods:
        if method not in METHODS:
            raise DesignError(f"--method {method!r}: expected prim or cart")
    if not 0 < threshold <= 1:
        raise DesignError(f"--threshold {threshold:g}: must be in (0, 1]")
    if not 0 < peel_alpha < 0.5:
        raise DesignError(f"--peel-alpha {peel_alpha:g}: must be in (0, 0.5)")
    if not 0 < mass_min < 1:
        raise DesignError(f"--mass-min {mass_min:g}: must be in (0, 1)")
    points = case_table(experiments, condition, dimensions, policy)
    searched = list(dimensions)
    if policy is None and points["policy"].nunique() > 1:
        searched.append("policy")
    x = points[searched].copy()
    for column in x.columns:
        if x[column].dtype.kind in "iu":
            x[column] = x[column].astype(np.int64)
        elif x[column].dtype.kind == "f":
            x[column] = x[column].astype(np.float64)
        else:
            x[column] = x[column].astype(str)
    y = points["case_of_interest"].to_numpy(dtype=bool)
    notes = []
    boxes: list[pd.DataFrame] = []
    peeling: list[pd.DataFrame] = []
    if not y.any() or y.all():
        notes.append(
            f"{'no' if not y.any() else 'every'} point of the exploration has {condition}; "
            "there is no region to discover"
        )
    else:
        with _workbench_warnings_silenced():
            if "prim" in methods:
                found, trajectory = _prim_boxes(x, y, threshold, peel_alpha, mass_min, max_boxes)
                boxes.append(found)
                peeling.append(trajectory)
            if "cart" in methods:
                boxes.append(_cart_boxes(x, y, mass_min, seed))
    return Discovery(
        condition,
        points,
        pd.concat(boxes, ignore_index=True) if boxes else pd.DataFrame(columns=BOX_COLUMNS),
        pd.concat(peeling, ignore_index=True) if peeling else pd.DataFrame(),
        searched,
        notes,
    )


@contextmanager
def _workbench_warnings_silenced() -> Iterator[None]:
    """Silence the pandas deprecation warnings the workbench's own code raises.

    The workbench (3.0) still uses idioms pandas 3 deprecates (``inplace=True``); the warnings
    are about its code, not the analysis.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Pandas4Warning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _restricted(limits: pd.DataFrame, initial: pd.DataFrame) -> list[str]:
    """Dimensions whose limits are narrower than the initial box's."""
    names = []
    for column in limits.columns:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        if isinstance(low, set):
            if low != initial[column].iloc[0]:
                names.append(column)
        elif low != initial[column].iloc[0] or high != initial[column].iloc[1]:
            names.append(column)
    return names


def _box_rows(
    method: str,
    number: int,
    limits: pd.DataFrame,
    initial: pd.DataFrame,
    inside: np.ndarray,
    y: np.ndarray,
) -> list[dict[str, Any]]:
    """The ``BOX_COLUMNS`` rows of one box (its statistics computed from the points inside)."""
    cases = int(y[inside].sum())
    stats = {
        "method": method,
        "box": number,
        "coverage": cases / max(int(y.sum()), 1),
        "density": cases / max(int(inside.sum()), 1),
        "mass": float(inside.mean()),
        "cases_of_interest": cases,
        "points": int(inside.sum()),
    }
    restricted = _restricted(limits, initial)
    stats["restricted_dimensions"] = len(restricted)
    rows = []
    for name in restricted or [""]:
        row = {**stats, "dimension": name}
        if name:
            low, high = limits[name].iloc[0], limits[name].iloc[1]
            first, last = initial[name].iloc[0], initial[name].iloc[1]
            if isinstance(low, set):
                row.update(low=" ".join(sorted(map(str, low))), high="")
                row.update(range_low=" ".join(sorted(map(str, first))), range_high="")
            else:
                row.update(low=low, high=high, range_low=first, range_high=last)
        rows.append(row)
    return rows


def _inside(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Which rows of ``x`` lie in the box ``limits`` (row 0 low, row 1 high; sets for labels)."""
    inside = np.ones(len(x), dtype=bool)
    for column in limits.columns:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        values = x[column]
        if isinstance(low, set):
            inside &= values.isin(low).to_numpy()
        else:
            inside &= ((values >= low) & (values <= high)).to_numpy()
    return inside


def _prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float,
    peel_alpha: float,
    mass_min: float,
    max_boxes: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    prim = require("ema_workbench.analysis.prim")
    finder = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min)
    initial = finder.box_init
    rows, trajectories = [], []
    for number in range(max_boxes):
        box = finder.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory
        dense = trajectory[trajectory["density"] >= threshold]
        chosen = (
            int(
                dense.sort_values(["coverage", "density"], ascending=False, kind="stable")[
                    "id"
                ].iloc[0]
            )
            if len(dense)
            else int(trajectory["density"].idxmax())
        )
        box.select(chosen)
        limits = box.box_lims[chosen]
        rows += _box_rows("prim", number, limits, initial, _inside(x, limits), y)
        trajectories.append(
            pd.DataFrame(
                {
                    "box": number,
                    "step": trajectory["id"].astype(int),
                    "coverage": trajectory["coverage"].astype(float),
                    "density": trajectory["density"].astype(float),
                    "mass": trajectory["mass"].astype(float),
                    "restricted_dimensions": trajectory["res_dim"].astype(int),
                    "chosen": trajectory["id"].astype(int) == chosen,
                }
            )
        )
        if y[_remaining(x, finder)].sum() == 0:
            break
    return pd.DataFrame(rows, columns=BOX_COLUMNS), pd.concat(trajectories, ignore_index=True)


def _remaining(x: pd.DataFrame, finder: Any) -> np.ndarray:
    """Rows outside every box found so far (where the next PRIM box is sought)."""
    outside = np.ones(len(x), dtype=bool)
    for box in finder._boxes:  # the workbench keeps its boxes there; it exposes only limits
        outside[box.yi] = False
    return outside


def _cart_boxes(x: pd.DataFrame, y: np.ndarray, mass_min: float, seed: int) -> pd.DataFrame:
    """CART leaves in which cases of interest are the majority, as boxes."""
    cart = require("ema_workbench.analysis.cart")
    tree = require("sklearn.tree")
    model = cart.CART(x, y, mass_min=mass_min)
    # The workbench's build_tree leaves the tree's tie-breaking unseeded; seed it here.
    model.clf = tree.DecisionTreeClassifier(
        min_samples_leaf=max(1, int(mass_min * len(x))), random_state=seed
    ).fit(model._x, y)
    initial = pd.DataFrame(
        {
            c: (
                [set(x[c].unique()), set(x[c].unique())]
                if x[c].dtype == object
                else [x[c].min(), x[c].max()]
            )
            for c in x.columns
        }
    )
    rows: list[dict[str, Any]] = []
    number = 0
    for limits in model.boxes:
        limits = limits[[c for c in x.columns if c in limits.columns]]
        inside = _inside(x, limits)
        if inside.sum() == 0 or y[inside].mean() <= 0.5:
            continue
        rows += _box_rows("cart", number, limits, initial, inside, y)
        number += 1
    return pd.DataFrame(rows, columns=BOX_COLUMNS)


def write_discovery(discovery: Discovery, out_dir: str | Path, figures: bool = True) -> list[Path]:
    """Write boxes.csv, peeling.csv, cases.csv and the figures; return the files written."""
    from analysis.exploration import write_atomic

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for frame, name in (
        (discovery.boxes, BOXES_FILE),
        (discovery.peeling, PEELING_FILE),
        (discovery.points, "cases.csv"),
    ):
        write_atomic(frame, folder / name)
        written.append(folder / name)
    if figures and len(discovery.boxes):
        from analysis.design_figures import box_figure, peeling_figure, save_figure

        if len(discovery.peeling):
            written.append(save_figure(peeling_figure(discovery), folder / "peeling.png"))
        written.append(save_figure(box_figure(discovery), folder / "boxes.png"))
    return written
