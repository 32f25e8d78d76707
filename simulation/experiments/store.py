"""The result store: one SQLite file per experiment folder, written run by run as runs finish.

Why SQLite rather than Parquet: every finished run is committed in its own transaction (WAL
journal), so a crash or a SIGKILL in the middle of a write leaves the store exactly as it was
after the previous run; thousands of small appends are cheap (Parquet files are immutable, so
appending run by run means one file per run or rewriting files); finding which runs are already
done (to resume) is an indexed query; and it needs nothing beyond the standard library.

Results are content-addressed: ``results`` and ``details`` hold one row per run key (a hash of
parameters, steps, seed and model version), and ``members`` says which scenario, design point and
replication each key stands for. Two scenarios with identical parameters therefore share their
runs, and raising the replications reuses every run already stored.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

STORE_NAME = "store.sqlite"
RUN_COLUMNS = (
    "run_key",
    "scenario",
    "point",
    "replication",
    "seed",
    "steps",
    "status",
    "elapsed_s",
    "finished_utc",
)
MEMBER_KEY = ["scenario", "point", "replication", "run_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    run_key TEXT PRIMARY KEY,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    status TEXT NOT NULL,
    elapsed_s REAL,
    outputs TEXT,
    error TEXT,
    finished_utc TEXT
);
CREATE TABLE IF NOT EXISTS members (
    scenario TEXT NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    run_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    labels TEXT NOT NULL,
    PRIMARY KEY (scenario, point, replication, run_key)
);
CREATE TABLE IF NOT EXISTS details (
    run_key TEXT PRIMARY KEY,
    timeseries BLOB NOT NULL,
    exchanges BLOB NOT NULL,
    firms BLOB NOT NULL
);
"""


def pack_frame(frame: pd.DataFrame) -> bytes:
    """Compress a DataFrame losslessly (pickled, so every double is kept bit for bit)."""
    return zlib.compress(pickle.dumps(frame, protocol=5), 6)


def unpack_frame(blob: bytes) -> pd.DataFrame:
    """Inverse of ``pack_frame`` (only for stores this package wrote)."""
    return pickle.loads(zlib.decompress(blob))


class ResultStore:
    """Read and write the runs of one experiment folder (one connection, one process)."""

    def __init__(self, folder: str | Path, create: bool = True) -> None:
        """Open the store in ``folder``, creating folder and tables if ``create``."""
        self.folder = Path(folder)
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / STORE_NAME
        self.connection = sqlite3.connect(self.path, timeout=60)
        self.connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed run survives even a power cut, not only a killed process.
        self.connection.execute("PRAGMA synchronous=FULL")
        if create:
            self.connection.executescript(_SCHEMA)
            self.connection.commit()

    def close(self) -> None:
        """Close the database connection."""
        self.connection.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_keys(self) -> set[str]:
        """Keys of the runs that finished successfully (failed runs are retried on resume)."""
        rows = self.connection.execute("SELECT run_key FROM results WHERE status = 'done'")
        return {row[0] for row in rows}

    def add_members(self, members: Iterable[tuple[str, int, int, str, int, int, dict]]) -> None:
        """Record which (scenario, point, replication) each run key stands for, in one go."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        scenario,
                        point,
                        replication,
                        key,
                        seed,
                        steps,
                        json.dumps(labels, sort_keys=True, default=str),
                    )
                    for scenario, point, replication, key, seed, steps, labels in members
                ),
            )

    def write(self, record: dict[str, Any]) -> None:
        """Store one finished (or failed) run, details included, in a single transaction."""
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record["run_key"],
                    record["seed"],
                    record["steps"],
                    record["status"],
                    record["elapsed_s"],
                    json.dumps(record["outputs"]) if record["outputs"] is not None else None,
                    record["error"],
                    record["finished_utc"],
                ),
            )
            details = record.get("details")
            if details is not None:
                self.connection.execute(
                    "INSERT OR REPLACE INTO details VALUES (?, ?, ?, ?)",
                    (record["run_key"], *details),
                )

    def runs(self, status: str | None = "done") -> pd.DataFrame:
        """One row per member run with its labels and scalar outputs as columns.

        Args:
            status: ``"done"``, ``"failed"``, ``"pending"`` (not yet run), or None for all.
        """
        from scenarios.outputs import scalar_output_names

        scalar_outputs = scalar_output_names()

        query = (
            "SELECT m.run_key, m.scenario, m.point, m.replication, m.seed, m.steps, "
            "COALESCE(r.status, 'pending'), r.elapsed_s, r.finished_utc, m.labels, "
            "r.outputs, r.error FROM members m LEFT JOIN results r USING (run_key)"
        )
        if status is not None:
            query += " WHERE COALESCE(r.status, 'pending') = ?"
        records, label_names = [], {}
        for row in self.connection.execute(query, (status,) if status is not None else ()):
            item = dict(zip(RUN_COLUMNS, row[:9], strict=True))
            labels = json.loads(row[9])
            label_names.update(dict.fromkeys(labels))
            outputs = json.loads(row[10]) if row[10] else {}
            records.append({**item, **labels, "error": row[11], **outputs})
        columns = [
            *RUN_COLUMNS,
            *(n for n in label_names if n not in RUN_COLUMNS),
            "error",
            *scalar_outputs,
        ]
        frame = pd.DataFrame.from_records(records, columns=columns)
        for name in scalar_outputs:
            frame[name] = frame[name].astype(float)
        return frame.sort_values(["scenario", "point", "replication"], kind="stable").reset_index(
            drop=True
        )

    def detail(self, run_key: str, which: str) -> pd.DataFrame:
        """The ``timeseries``, ``exchanges`` or ``firms`` table of a run stored with details.

        Raises:
            KeyError: If the run was not stored with its details.
        """
        if which not in ("timeseries", "exchanges", "firms"):
            raise ValueError(f"unknown detail table {which!r}")
        row = self.connection.execute(
            f"SELECT {which} FROM details WHERE run_key = ?", (run_key,)
        ).fetchone()
        if row is None:
            raise KeyError(
                f"no {which} stored for run {run_key} (stored without details, not run, or failed)"
            )
        return unpack_frame(row[0])

    def detail_keys(self) -> set[str]:
        """Keys of the runs stored with their full tables."""
        return {r[0] for r in self.connection.execute("SELECT run_key FROM details")}
