"""An experiment folder opened for reading: manifest, runs, timeseries and run details."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scenarios.errors import InputError
from simulation.experiments.manifest import read_manifest
from simulation.experiments.store import STORE_NAME, ResultStore


class Experiment:
    """Read access to an experiment folder written by ``run_specs``."""

    def __init__(self, path: str | Path) -> None:
        """Open the experiment in ``path``."""
        self.path = Path(path)
        self.manifest = read_manifest(self.path)

    def _store(self) -> ResultStore:
        return ResultStore(self.path)

    def runs(self, status: str | None = "done") -> pd.DataFrame:
        """One row per run: keys, labels and every scalar output (``status=None``: all)."""
        store = self._store()
        try:
            return store.runs(status)
        finally:
            store.close()

    def failures(self) -> pd.DataFrame:
        """Failed runs with the last line of their error."""
        runs = self.runs("failed")
        if runs.empty:
            return pd.DataFrame(columns=["run_key", "scenario", "replication", "seed", "error"])
        runs["error"] = runs["error"].map(lambda text: text.strip().splitlines()[-1])
        return runs[["run_key", "scenario", "replication", "seed", "error"]]

    def timeseries(self, scenarios: list[str] | None = None) -> pd.DataFrame:
        """Long table of the monthly indicators of every run stored with details."""
        runs = self.runs()
        store = self._store()
        try:
            keys = store.detail_keys()
            frames = []
            for row in runs.itertuples():
                if row.run_key not in keys or (scenarios and row.scenario not in scenarios):
                    continue
                frame = store.detail(row.run_key, "timeseries")
                frame.insert(0, "seed", row.seed)
                frame.insert(0, "replication", row.replication)
                frame.insert(0, "point", row.point)
                frame.insert(0, "scenario", row.scenario)
                frame.insert(0, "run_key", row.run_key)
                frames.append(frame)
        finally:
            store.close()
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def exchanges(self, run_key: str) -> pd.DataFrame:
        """The exchanges table of one run."""
        store = self._store()
        try:
            return store.detail(run_key, "exchanges")
        finally:
            store.close()

    def firms(self, run_key: str) -> pd.DataFrame:
        """The firms table of one run."""
        store = self._store()
        try:
            return store.detail(run_key, "firms")
        finally:
            store.close()


def load_experiment(path: str | Path) -> Experiment:
    """Open an experiment folder.

    Raises:
        InputError: If the folder does not exist or holds no experiment.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such experiment folder")
    if not (folder / STORE_NAME).is_file():
        raise InputError(f"{folder}: not an experiment folder (no {STORE_NAME}; "
                         "create one with 'symbiosis compare' or 'symbiosis sweep')")
    return Experiment(folder)
