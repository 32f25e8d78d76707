"""The result store: one SQLite file per experiment, written run by run as runs finish.

SQLite (from the standard library) rather than Parquet: each finished run is committed in its
own transaction, so a crash or a SIGKILL mid-write leaves the store as it was before that run
(the journal rolls the partial write back), many small appends are cheap, and looking up which
runs are already done (to resume) is an indexed query. No extra dependency is needed.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

STORE_NAME = "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_key TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    status TEXT NOT NULL,
    elapsed_s REAL,
    labels TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    finished_utc TEXT
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
    """Read and write the runs of one experiment folder."""

    def __init__(self, folder: str | Path) -> None:
        """Open (creating if needed) the store in ``folder``."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / STORE_NAME
        self.connection = sqlite3.connect(self.path, timeout=60)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.executescript(_SCHEMA)
        self.connection.commit()

    def close(self) -> None:
        """Close the database connection."""
        self.connection.close()

    def done_keys(self) -> set[str]:
        """Keys of the runs that finished successfully."""
        rows = self.connection.execute("SELECT run_key FROM runs WHERE status = 'done'")
        return {row[0] for row in rows}

    def write(self, record: dict[str, Any]) -> None:
        """Store one finished (or failed) run in a single transaction."""
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record["run_key"], record["scenario"], record["point"], record["replication"],
                 record["seed"], record["steps"], record["status"], record["elapsed_s"],
                 json.dumps(record["labels"], sort_keys=True, default=str),
                 json.dumps(record["outputs"]) if record["outputs"] is not None else None,
                 record["error"], record["finished_utc"]))
            details = record.get("details")
            if details is not None:
                self.connection.execute(
                    "INSERT OR REPLACE INTO details VALUES (?, ?, ?, ?)",
                    (record["run_key"], *details))

    def runs(self, status: str | None = "done") -> pd.DataFrame:
        """One row per run with labels and scalar outputs as columns."""
        query = "SELECT * FROM runs" + (" WHERE status = ?" if status else "")
        rows = self.connection.execute(query, (status,) if status else ()).fetchall()
        columns = [c[0] for c in self.connection.execute("SELECT * FROM runs LIMIT 0").description]
        records = []
        for row in rows:
            item = dict(zip(columns, row, strict=True))
            labels = json.loads(item.pop("labels"))
            outputs = json.loads(item.pop("outputs")) if item["outputs"] else {}
            records.append({**item, **labels, **outputs})
        frame = pd.DataFrame.from_records(records)
        if frame.empty:
            return frame
        return frame.sort_values(["scenario", "point", "replication"]).reset_index(drop=True)

    def detail(self, run_key: str, which: str) -> pd.DataFrame:
        """The ``timeseries``, ``exchanges`` or ``firms`` table of a run stored with details."""
        if which not in ("timeseries", "exchanges", "firms"):
            raise ValueError(which)
        row = self.connection.execute(f"SELECT {which} FROM details WHERE run_key = ?",
                                      (run_key,)).fetchone()
        if row is None:
            raise KeyError(f"no details stored for run {run_key}")
        return unpack_frame(row[0])

    def detail_keys(self) -> set[str]:
        """Keys of the runs stored with their full tables."""
        return {r[0] for r in self.connection.execute("SELECT run_key FROM details")}
