"""An experiment folder read as evidence: its tables, and every figure drawn from them.

Shared by ``symbiosis figures`` (which saves the figures) and ``symbiosis report`` (which embeds
them). Reads what ``compare``, ``sweep`` (``simulation.experiments.load_experiment``) and
``sensitivity`` (``indices.csv``) leave in a folder; never runs the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import pandas as pd

from scenarios.errors import InputError

FIGURE_NAMES = (
    "timeseries",
    "comparison",
    "response",
    "network",
    "flows",
    "cost_effectiveness",
    "sensitivity",
)
STORE_FILE = "store.sqlite"
INDICES_FILE = "indices.csv"


@dataclass
class FigureItem:
    """One drawn figure: its file stem, the Figure (with ``plotted_data``) and a caption."""

    name: str
    figure: Any
    caption: str
    group: str


@dataclass
class Evidence:
    """Everything a figure or the report needs from one experiment folder.

    Attributes:
        path: The folder.
        manifest: Its ``manifest.json`` (empty dict if absent).
        experiment: The ``simulation.experiments.Experiment`` (None for a sensitivity folder).
        runs: One row per finished run; ``scenario`` is the condition label (for sweeps,
            the scenario with the design point's values).
        scenarios: Conditions in order; the first is the reference of comparisons.
        indices: ``indices.csv`` of a sensitivity analysis, if any.
        noise: ``noise.csv`` of that analysis, if any.
        sensitivity_manifest: The manifest of the sensitivity folder, if any.
        convergence: ``convergence.csv`` of that analysis, if any (indices on nested subsets).
    """

    path: Path
    manifest: dict[str, Any]
    experiment: Any
    runs: pd.DataFrame
    scenarios: list[str]
    indices: pd.DataFrame | None = None
    noise: pd.DataFrame | None = None
    sensitivity_manifest: dict[str, Any] | None = None
    convergence: pd.DataFrame | None = None
    _labels: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def reference(self) -> str | None:
        """The condition every comparison is made against (the first)."""
        return self.scenarios[0] if self.scenarios else None

    @property
    def replications(self) -> int:
        """Replications per condition (the most any condition has)."""
        if self.runs.empty:
            return int(self.manifest.get("replications") or 0)
        return int(self.runs.groupby("scenario").size().max())

    @property
    def steps(self) -> int | None:
        """Months simulated per run."""
        steps = self.manifest.get("steps")
        if steps is None and len(self.runs) and "steps" in self.runs:
            steps = int(self.runs["steps"].max())
        return int(steps) if steps is not None else None

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """Long monthly table of every run stored with details (empty if none)."""
        if self.experiment is None or self.runs.empty:
            return pd.DataFrame()
        series = self.experiment.timeseries()
        if series.empty:
            return series
        # Two scenarios with identical parameters share run keys, so match on all four keys.
        keys = ["run_key", "scenario_name", "point", "replication"]
        series = series.rename(columns={"scenario": "scenario_name"}).merge(
            self.runs[[*keys, "scenario"]], on=keys, how="inner"
        )
        return series.drop(columns="scenario_name").reset_index(drop=True)

    @cached_property
    def detail_keys(self) -> set[str]:
        """Run keys whose exchanges and firms tables are stored."""
        if self.experiment is None or self.runs.empty:
            return set()
        from simulation.experiments.store import ResultStore

        with ResultStore(self.path, create=False) as store:
            return store.detail_keys()

    def details(self, run_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(exchanges, firms) of one run stored with details."""
        return self.experiment.exchanges(run_key), self.experiment.firms(run_key)

    def scenario_runs(self, scenario: str, with_details: bool = False) -> pd.DataFrame:
        """The runs of one condition, by replication (only those with details if asked)."""
        chosen = self.runs[self.runs["scenario"] == scenario]
        if with_details:
            chosen = chosen[chosen["run_key"].isin(self.detail_keys)]
        return chosen.sort_values("replication")

    @cached_property
    def comparison(self) -> pd.DataFrame | None:
        """Paired comparison of every key output against the reference (None if < 1 run)."""
        if self.runs.empty:
            return None
        from analysis.statistics import comparison_table
        from simulation.outputs import KEY_OUTPUTS

        outputs = [o for o in KEY_OUTPUTS if o in self.runs]
        return comparison_table(self.runs, outputs, self.scenarios[0], self.scenarios)

    @cached_property
    def run_details(self) -> pd.DataFrame | None:
        """``analysis.indicators_table.run_details`` of each run stored with details."""
        if not self.detail_keys:
            return None
        from analysis.indicators_table import run_details

        rows = [
            {"run_key": key, **run_details(*self.details(key))}
            for key in self.runs["run_key"]
            if key in self.detail_keys
        ]
        return pd.DataFrame(rows) if rows else None

    @cached_property
    def indicators(self) -> pd.DataFrame | None:
        """The indicators table of every condition (None without runs)."""
        if self.runs.empty:
            return None
        from analysis.indicators_table import indicators_table

        return indicators_table(self.runs, self.run_details, self.scenarios)

    @property
    def sweep_parameters(self) -> list[str]:
        """The parameters a sweep varies, in design order (empty for other experiments)."""
        points = self.manifest.get("points")
        if self.manifest.get("kind") != "sweep" or not isinstance(points, list) or not points:
            return []
        names = list(dict.fromkeys(name for point in points for name in point))
        return [name for name in names if len({str(p.get(name)) for p in points}) > 1]

    @cached_property
    def sweep_points(self) -> pd.DataFrame | None:
        """A sweep's points table (``analysis.experiments.sweep_points_table``), else None."""
        if not self.sweep_parameters or self.runs.empty:
            return None
        from analysis.experiments import sweep_points_table
        from simulation.outputs import KEY_OUTPUTS

        points = self.manifest["points"]
        runs = self.runs[self.runs["point"] < len(points)]
        return sweep_points_table(runs, points, list(KEY_OUTPUTS))

    def park(self) -> str:
        """The park simulated (from the runs' parameters)."""
        parks = []
        for spec in (self.manifest.get("scenarios") or {}).values():
            park = (spec.get("parameters") or {}).get("park")
            if park and park not in parks:
                parks.append(str(park))
        if not parks and self.sensitivity_manifest:
            parameters = (self.sensitivity_manifest.get("scenario") or {}).get("parameters")
            if parameters and parameters.get("park"):
                parks.append(str(parameters["park"]))
        if not parks:
            from scenarios.parameters import PARAMETERS

            parks.append(str(PARAMETERS["park"].default))
        return ", ".join(parks)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read the manifest ({error})") from None


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path}: cannot read it ({error})") from None
    missing = [c for c in columns if c not in frame]
    if missing:
        raise InputError(
            f"{path}: not a sensitivity indices file (missing column {', '.join(missing)})"
        )
    return frame


def _read_sensitivity(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    indices = _read_csv(
        folder / INDICES_FILE, ("output", "method", "parameter", "index", "value", "conf")
    )
    noise_path = folder / "noise.csv"
    noise = pd.read_csv(noise_path) if noise_path.is_file() else None
    return indices, noise, _read_json(folder / "manifest.json")


def _read_convergence(folder: Path | None) -> pd.DataFrame | None:
    path = folder / "convergence.csv" if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def _value_text(value: Any) -> str:
    """A design value in a label: 100 rather than 100.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _condition_labels(runs: pd.DataFrame, manifest: dict[str, Any]) -> pd.Series:
    """Scenario names, or 'scenario [k=v, ...]' per design point when a scenario has several."""
    points = runs.groupby("scenario")["point"].nunique()
    design = next(
        (d for d in (manifest.get("points"), manifest.get("design")) if isinstance(d, list)), []
    )
    labels = []
    for row in runs.itertuples():
        # pandas-stubs types itertuples() fields as any Scalar; these columns hold a scenario
        # name and an integer design-point index.
        scenario, point = cast(str, row.scenario), cast(int, row.point)
        if points[scenario] <= 1:
            labels.append(scenario)
            continue
        values = design[point] if point < len(design) else None
        text = (
            ", ".join(f"{k}={_value_text(v)}" for k, v in values.items())
            if isinstance(values, dict)
            else ""
        ) or f"point {point}"
        labels.append(f"{scenario} [{text}]")
    return pd.Series(labels, index=runs.index)


def _scope(runs: pd.DataFrame, folder: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """The runs of the folder's latest command only.

    A folder can be reused (``compare`` again with other settings), and its store keeps every
    run ever made there. The command's own ``runs.csv`` names its runs; without it, the
    manifest's scenarios, steps and replication seeds select them.
    """
    listed = folder / "runs.csv"
    if listed.is_file():
        try:
            keys = pd.read_csv(listed, usecols=["run_key"])["run_key"].astype(str)
        except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
            keys = None
        if keys is not None:
            return runs[runs["run_key"].isin(set(keys))]
    chosen = runs
    if manifest.get("steps") is not None:
        chosen = chosen[chosen["steps"] == int(manifest["steps"])]
    seeds = manifest.get("replication_seeds")
    if seeds:
        expected = chosen["replication"].map(lambda k: seeds[k] if k < len(seeds) else None)
        chosen = chosen[chosen["seed"] == expected]
    declared = manifest.get("scenarios")
    if isinstance(declared, dict) and declared and manifest.get("kind") != "sweep":
        chosen = chosen[chosen["scenario"].isin(list(declared))]
    return chosen.drop_duplicates(["scenario", "point", "replication"], keep="last")


def load_evidence(path: str | Path, sensitivity: str | Path | None = None) -> Evidence:
    """Open an experiment folder (compare, sweep or sensitivity) as evidence.

    Args:
        path: Folder written by ``symbiosis compare``, ``sweep`` or ``sensitivity``.
        sensitivity: Optional folder of a sensitivity analysis whose ``indices.csv`` to show
            (default: ``indices.csv`` in ``path``, if there is one).

    Raises:
        InputError: If the folder is missing or holds neither runs nor sensitivity indices.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such experiment folder")
    has_store = (folder / STORE_FILE).is_file()
    has_indices = (folder / INDICES_FILE).is_file()
    if not has_store and not has_indices:
        raise InputError(
            f"{folder}: not an experiment folder (no {STORE_FILE} or "
            f"{INDICES_FILE}; create one with 'symbiosis compare', 'sweep' or "
            "'sensitivity')"
        )
    indices = noise = sensitivity_manifest = None
    if sensitivity is not None:
        other = Path(sensitivity)
        if not (other / INDICES_FILE).is_file():
            raise InputError(
                f"--sensitivity {other}: no {INDICES_FILE} there (run "
                "'symbiosis sensitivity --out DIR' first)"
            )
        indices, noise, sensitivity_manifest = _read_sensitivity(other)
    elif has_indices:
        indices, noise, sensitivity_manifest = _read_sensitivity(folder)
    manifest = _read_json(folder / "manifest.json")
    experiment, runs, scenarios = None, pd.DataFrame(), []
    if has_store:
        from simulation.experiments import load_experiment

        experiment = load_experiment(folder)
        try:
            runs = experiment.runs()
        except Exception as error:  # noqa: BLE001 - a damaged store is the user's input
            raise InputError(f"{folder / STORE_FILE}: cannot read the runs ({error})") from None
        runs = _scope(runs, folder, manifest)
        if runs.empty:
            raise InputError(f"{folder}: the experiment has no finished runs yet")
        runs = runs.copy().reset_index(drop=True)
        runs["scenario_name"] = runs["scenario"]
        runs["scenario"] = _condition_labels(runs, manifest)
        declared = list(manifest.get("scenarios") or {})
        present = list(dict.fromkeys(runs["scenario"]))
        scenarios = [s for s in declared if s in present] + [
            s for s in present if s not in declared
        ]
    sensitivity_folder = (
        Path(sensitivity) if sensitivity is not None else folder if has_indices else None
    )
    return Evidence(
        folder,
        manifest,
        experiment,
        runs,
        scenarios,
        indices,
        noise,
        sensitivity_manifest,
        _read_convergence(sensitivity_folder),
    )


# --- figures ----------------------------------------------------------------------------------


def default_months(steps: int | None) -> list[int]:
    """Months 12, the middle and the last (within the horizon)."""
    if not steps:
        return [12]
    return sorted({m for m in (min(12, steps), max(1, steps // 2), steps)})


def check_months(months: Sequence[int], steps: int | None) -> list[int]:
    """The chosen months, checked against the horizon.

    Raises:
        InputError: If a month is below 1 or after the last simulated month.
    """
    for month in months:
        if month < 1 or (steps is not None and month > steps):
            raise InputError(
                f"--months: month {month} is outside the simulated horizon (1 to {steps})"
            )
    return list(dict.fromkeys(months))


def build_figures(
    evidence: Evidence,
    which: Sequence[str] = FIGURE_NAMES,
    months: Sequence[int] | None = None,
    size_by: str = "size",
    timeseries_outputs: Sequence[str] | None = None,
) -> list[FigureItem]:
    """Draw the chosen figures of an experiment; figures whose data are absent are skipped.

    Args:
        evidence: The experiment.
        which: Figure names from ``FIGURE_NAMES``.
        months: Months of the network figure (default ``default_months``).
        size_by: What sizes the firms in the network figure (``size`` or ``net_benefit_eur``).
        timeseries_outputs: Columns of the time-series figure (default: four key indicators).

    Returns:
        The figures, in ``FIGURE_NAMES`` order.
    """
    from analysis import figures as fg

    items: list[FigureItem] = []
    reference = evidence.reference
    n = evidence.replications
    if "timeseries" in which and not evidence.timeseries.empty:
        outputs = list(timeseries_outputs or fg.DEFAULT_TIMESERIES)
        items.append(
            FigureItem(
                "timeseries",
                fg.timeseries_figure(evidence.timeseries, outputs, evidence.scenarios),
                f"Indicators month by month: mean of {n} replications per scenario with its 95% "
                "confidence band.",
                "timeseries",
            )
        )
    if "comparison" in which and evidence.comparison is not None and len(evidence.scenarios) > 1:
        items.append(
            FigureItem(
                "comparison",
                fg.comparison_figure(evidence.comparison),
                f"Paired difference of each scenario from {reference} (same seeds in both), with "
                f"95% confidence intervals over {n} replications; an interval that crosses zero "
                "means no clear difference.",
                "comparison",
            )
        )
    if "response" in which and evidence.sweep_points is not None:
        parameters = list(evidence.sweep_parameters)
        points = evidence.sweep_points
        outputs = list(fg.RESPONSE_OUTPUTS)
        if parameters:
            averaged = (
                f" The other parameters ({', '.join(parameters[2:])}) are averaged over."
                if len(parameters) > 2
                else ""
            )
            for k, x_name in enumerate(parameters[:2]):
                order = [x_name, *(p for p in parameters[:2] if p != x_name)]
                items.append(
                    FigureItem(
                        f"response_{k + 1}_{_slug(x_name)}",
                        fg.response_figure(points, order, outputs),
                        f"Response of the key outputs to {x_name}: mean of {n} replications "
                        "per design point with its 95% confidence band."
                        + (f" One line per value of {order[1]}." if len(order) > 1 else "")
                        + averaged,
                        "response",
                    )
                )
            if len(parameters) == 2:
                items.append(
                    FigureItem(
                        "response_heatmap",
                        fg.response_heatmap_figure(points, parameters, outputs),
                        f"Mean of each key output over the grid of {parameters[0]} and "
                        f"{parameters[1]}; each cell gives the mean of {n} replications and "
                        "its 95% confidence interval.",
                        "response",
                    )
                )
    if "cost_effectiveness" in which and len(evidence.scenarios) > 1:
        # Several scenarios, so the reference (the first) is not None.
        table = fg.cost_effectiveness(evidence.runs, evidence.scenarios[0], evidence.scenarios)
        items.append(
            FigureItem(
                "cost_effectiveness",
                fg.cost_effectiveness_figure(table),
                f"Extra public cost (spending minus revenue, against {reference}) per extra tonne "
                "of CO2 avoided and per extra tonne kept out of landfill; 95% bootstrap "
                "intervals over paired replications.",
                "cost_effectiveness",
            )
        )
    if "network" in which:
        chosen = check_months(months, evidence.steps) if months else default_months(evidence.steps)
        for k, scenario in enumerate(evidence.scenarios):
            runs = evidence.scenario_runs(scenario, with_details=True)
            if runs.empty:
                continue
            row = runs.iloc[0]
            exchanges, firms = evidence.details(row["run_key"])
            what = fg.size_text(size_by)
            items.append(
                FigureItem(
                    f"network_{k + 1:02d}_{_slug(scenario)}",
                    fg.network_figure(
                        firms,
                        exchanges,
                        chosen,
                        size_by,
                        title=f"{scenario}, replication {int(row['replication'])}",
                    ),
                    f"{scenario}: exchanges active at months {', '.join(map(str, chosen))} "
                    f"(replication {int(row['replication'])}, seed {int(row['seed'])}); marker "
                    f"area grows with {what}.",
                    "network",
                )
            )
    if "flows" in which:
        for k, scenario in enumerate(evidence.scenarios):
            runs = evidence.scenario_runs(scenario, with_details=True)
            if runs.empty:
                continue
            flows = fg.mean_sector_flows([evidence.details(key) for key in runs["run_key"]])
            items.append(
                FigureItem(
                    f"flows_{k + 1:02d}_{_slug(scenario)}",
                    fg.sankey_figure(flows, title=scenario),
                    f"{scenario}: quantities delivered over the run from suppliers' sectors "
                    f"through streams to receivers' sectors, mean of {len(runs)} replications.",
                    "flows",
                )
            )
    if "sensitivity" in which and evidence.indices is not None and len(evidence.indices):
        from analysis.sensitivity import index_warnings, used_samples

        samples = used_samples(evidence.sensitivity_manifest or {})
        warned = index_warnings(evidence.indices, samples)
        caption = "Sensitivity indices with 95% confidence intervals (bootstrap, from SALib)."
        if warned:
            caption += (
                " Warning: these indices have not converged and must not be ranked ("
                + "; ".join(dict.fromkeys(f"{w.output}: {w.text}" for w in warned))
                + ")."
            )
        for name, fig in fg.sensitivity_figures(evidence.indices, evidence.noise, samples):
            items.append(FigureItem(name, fig, caption, "sensitivity"))
        if evidence.convergence is not None and len(evidence.convergence):
            from analysis.sensitivity_plots import convergence_figure

            fig = convergence_figure(evidence.convergence)
            fig.plotted_data = evidence.convergence.reset_index(drop=True)
            items.append(
                FigureItem(
                    "sensitivity_convergence",
                    fig,
                    "Convergence: the main index of each parameter at a quarter, half and all "
                    "of the sample, with 95% bands; indices that still move have not converged.",
                    "sensitivity",
                )
            )
    return items


def _slug(text: str) -> str:
    """A file-name-safe version of a condition label."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "scenario"
