"""An experiment folder opened for reading: manifest, runs, timeseries and run details."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scenarios.errors import InputError
from simulation.experiments.manifest import read_manifest
from simulation.experiments.store import STORE_NAME, ResultStore

FAILURE_COLUMNS = ["run_key", "scenario", "point", "replication", "seed", "error"]


class Experiment:
    """Read access to an experiment folder written by ``run_specs``.

    Attributes:
        path: The experiment folder.
        manifest: Provenance read from ``manifest.json``.
        view: If set, the id of the (scenario, point, replication, run_key) rows this
            experiment is limited to, as recorded in the store by one ``run_specs`` call: it
            returns the experiment seen through the specs it was given, so a folder reused
            with other settings never mixes old runs into the answer.
    """

    def __init__(self, path: str | Path, view: int | None = None) -> None:
        """Open the experiment in ``path``, optionally limited to ``view``."""
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        self.view = view

    def _store(self) -> ResultStore:
        return ResultStore(self.path, create=False)

    def runs(self, status: str | None = "done") -> pd.DataFrame:
        """One row per run with its keys, labels and scalar outputs.

        Columns: run_key, scenario, point, replication, seed, steps, status, elapsed_s,
        finished_utc, fingerprint, every label, error, and every name of
        ``scenarios.outputs.scalar_output_names()``.

        Args:
            status: ``"done"`` (default), ``"failed"``, ``"pending"``, or None for all.
        """
        with self._store() as store:
            return store.runs(status, view=self.view)

    def failures(self) -> pd.DataFrame:
        """Failed runs with the last line of their error (full tracebacks in failures.log)."""
        runs = self.runs("failed")
        runs["error"] = runs["error"].map(
            lambda text: (
                text.strip().splitlines()[-1] if isinstance(text, str) and text.strip() else ""
            )
        )
        return runs[FAILURE_COLUMNS].reset_index(drop=True)

    def timeseries(self, scenarios: list[str] | None = None) -> pd.DataFrame:
        """Long table of the monthly indicators of every done run stored with details.

        Columns: run_key, scenario, point, replication, seed, then every
        ``scenarios.outputs.timeseries_columns()`` column; one row per run per step.

        Args:
            scenarios: Only these scenarios, in this order (figures colour scenarios in order
                of appearance); default every scenario, sorted by name.
        """
        from scenarios.outputs import timeseries_columns

        runs = self.runs()
        if scenarios is not None:
            order = {name: position for position, name in enumerate(scenarios)}
            runs = runs[runs["scenario"].isin(order)]
            runs = runs.sort_values("scenario", key=lambda names: names.map(order), kind="stable")
        frames = []
        with self._store() as store:
            keys = store.detail_keys()
            for row in runs.to_dict("records"):
                if row["run_key"] not in keys:
                    continue
                frame = store.detail(str(row["run_key"]), "timeseries")
                for position, name in enumerate(
                    ("run_key", "scenario", "point", "replication", "seed")
                ):
                    frame.insert(position, name, row[name])
                frames.append(frame)
        if not frames:
            return pd.DataFrame(
                columns=[
                    "run_key",
                    "scenario",
                    "point",
                    "replication",
                    "seed",
                    *timeseries_columns(),
                ]
            )
        return pd.concat(frames, ignore_index=True)

    def exchanges(self, run_key: str) -> pd.DataFrame:
        """The run's ``RunResult.exchanges`` table (runs stored with details only)."""
        with self._store() as store:
            return store.detail(run_key, "exchanges")

    def firms(self, run_key: str) -> pd.DataFrame:
        """The run's ``RunResult.firms`` table (runs stored with details only)."""
        with self._store() as store:
            return store.detail(run_key, "firms")


def load_experiment(path: str | Path) -> Experiment:
    """Open an experiment folder (every run ever stored in it).

    Raises:
        InputError: If the folder does not exist or holds no experiment.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such experiment folder")
    if not (folder / STORE_NAME).is_file():
        raise InputError(
            f"{folder}: not an experiment folder (no {STORE_NAME}; create one "
            "with 'symbiosis compare' or 'symbiosis sweep')"
        )
    ResultStore(folder, create=False).close()  # a corrupt or foreign store fails here
    return Experiment(folder)
