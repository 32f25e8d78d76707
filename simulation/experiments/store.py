"""The result store: one SQLite file per experiment folder, written in batches as runs finish.

A store holds data, never code: scalar outputs are strict JSON text, per-run tables are Arrow IPC
streams of plain columns (integers, floats, booleans, strings) checked column by column before
they are read, and nothing in a results folder is ever unpickled or imported. Results folders are
shared and downloaded, so reading one must not be able to run anything.

Why SQLite rather than Parquet files: finished runs are committed in transactions (WAL journal;
a worker's chunk, or about a second of serial runs, each), so a crash or a SIGKILL in the middle
of a write leaves the store exactly as it was after the previous batch; thousands of small
appends are cheap; finding which runs are already
done (to resume) is an indexed query; two processes can resume one folder at once.

Results are content-addressed: ``results`` and ``details`` hold one row per run key (a hash of
parameters, steps, seed and the model fingerprint), and ``members`` says which scenario, design
point and replication each key stands for. Two scenarios with identical parameters therefore
share their runs, and raising the replications reuses every run already stored. ``meta`` records
the store format and the experiment the folder holds; ``invocations`` is the append-only log of
every command that touched the folder.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.errors import InputError
from simulation.output import strict_json

STORE_NAME = "store.sqlite"
STORE_FORMAT = "symbiosis-result-store"
# Version 1 pickled its per-run tables; version 2 stores them as Arrow IPC.
STORE_VERSION = 2
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
    "fingerprint",
)
MEMBER_KEY = ["scenario", "point", "replication", "run_key"]
DETAIL_TABLES = ("timeseries", "exchanges", "firms")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_key TEXT PRIMARY KEY,
    base_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    status TEXT NOT NULL,
    elapsed_s REAL,
    outputs TEXT,
    error TEXT,
    finished_utc TEXT
);
CREATE INDEX IF NOT EXISTS results_base_key ON results (base_key);
CREATE TABLE IF NOT EXISTS members (
    scenario TEXT NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    run_key TEXT NOT NULL,
    base_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    labels TEXT NOT NULL,
    PRIMARY KEY (scenario, point, replication, run_key)
);
CREATE TABLE IF NOT EXISTS views (
    view INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    run_key TEXT NOT NULL,
    PRIMARY KEY (view, scenario, point, replication, run_key)
);
CREATE TABLE IF NOT EXISTS details (
    run_key TEXT PRIMARY KEY,
    timeseries BLOB NOT NULL,
    exchanges BLOB NOT NULL,
    firms BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS invocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry TEXT NOT NULL
);
"""

# Arrow column types a stored table may hold, and nothing else (no extension types, no
# Python objects): each is read back as the pandas dtype it was written from.
_PLAIN_TYPES = ("int64", "double", "bool", "string", "large_string")


class StoreError(InputError):
    """A results folder whose store is corrupt, truncated, foreign or of an unsafe format."""


def pack_frame(frame: pd.DataFrame) -> bytes:
    """A DataFrame as a compressed Arrow IPC stream (lossless: every double bit for bit).

    Raises:
        TypeError: If a column is not int64, float64, bool or string (nothing else is stored).
    """
    import pyarrow as pa

    # Column by column from NumPy (pandas' own Arrow conversion costs about three times more,
    # a tenth of a default run when every run's tables are stored); each buffer is compressed
    # in this thread (a thread pool costs more than it saves on tables this small).
    types = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    arrays = []
    for name, column in frame.items():
        values = column.to_numpy()
        arrow_type = types.get(values.dtype.name)
        if arrow_type is not None:
            arrays.append(pa.array(values, type=arrow_type))
        elif pd.api.types.is_string_dtype(column.dtype):
            arrays.append(pa.array(values.astype(object), type=pa.string(), from_pandas=True))
        else:
            raise TypeError(f"column {name!r} of dtype {column.dtype} is not stored")
    table = pa.Table.from_arrays(arrays, names=[str(name) for name in frame.columns])
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd", use_threads=False)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def unpack_frame(blob: bytes, where: str = "store") -> pd.DataFrame:
    """Inverse of ``pack_frame``: only plain columns are accepted, nothing is executed.

    Raises:
        StoreError: If ``blob`` is not an Arrow stream of plain columns (corrupt or foreign).
    """
    import pyarrow as pa

    if not isinstance(blob, bytes):
        raise StoreError(f"{where}: a stored table is not binary data (corrupt or foreign store)")
    try:
        table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
    except (pa.ArrowException, OSError, ValueError):
        raise StoreError(
            f"{where}: a stored table is not an Arrow table (corrupt or foreign store)"
        ) from None
    for arrow_field in table.schema:
        if str(arrow_field.type) not in _PLAIN_TYPES:
            raise StoreError(
                f"{where}: stored column {arrow_field.name!r} has type {arrow_field.type}, "
                "which this package never writes (foreign store)"
            )
    return table.to_pandas()


def _guarded[T](method: Callable[..., T]) -> Callable[..., T]:
    """Turn a database error inside a store method into a one-line ``StoreError``."""

    @functools.wraps(method)
    def wrapper(self: ResultStore, *args: Any, **kwargs: Any) -> T:
        with self.guard():
            return method(self, *args, **kwargs)

    return wrapper


@contextmanager
def _opening(folder: Path | None) -> Iterator[None]:
    """Hold the folder's lock while a store is set up, so two processes never set one up at once.

    Two commands resuming one new folder raced here: switching to WAL does not wait for a busy
    database ("database is locked"), and one could read the tables before the other had
    written ``meta`` ("foreign file"). Once set up, SQLite's own locking is enough.
    """
    if folder is None or sys.platform == "win32":
        yield
        return
    import fcntl

    with open(folder / ".store.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class ResultStore:
    """Read and write the runs of one experiment folder (one connection, one process)."""

    def __init__(self, folder: str | Path, create: bool = True) -> None:
        """Open the store in ``folder``, creating folder and tables if ``create``.

        Raises:
            StoreError: If the file is not a store of this package's current format.
        """
        self.folder = Path(folder)
        self.path = self.folder / STORE_NAME
        if not create and not self.path.is_file():
            raise StoreError(f"{self.folder}: no {STORE_NAME} (not an experiment folder)")
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        self.connection = sqlite3.connect(self.path, timeout=60)
        try:
            with self.guard(), _opening(self.folder if create else None):
                if create:
                    self.connection.execute("PRAGMA journal_mode=WAL")
                # FULL: a committed run survives even a power cut, not only a killed process.
                self.connection.execute("PRAGMA synchronous=FULL")
                tables = {
                    row[0]
                    for row in self.connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                }
                if tables and "meta" not in tables:
                    raise StoreError(
                        f"{self.path}: a store of an older format (its tables were pickled, "
                        "which is unsafe to read) or of another program; run the experiment "
                        "again into a new folder"
                    )
                if create and (new or not tables):
                    self.connection.executescript(_SCHEMA)
                    with self.connection:
                        self.connection.executemany(
                            "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                            [("format", STORE_FORMAT), ("version", str(STORE_VERSION))],
                        )
                self._check_format()
        except BaseException:
            self.connection.close()
            raise

    def _check_format(self) -> None:
        meta = dict(self.connection.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.path}: not a symbiosis result store (foreign file)")
        if meta.get("version") != str(STORE_VERSION):
            raise StoreError(
                f"{self.path}: store format version {meta.get('version')}, this package reads "
                f"version {STORE_VERSION}; run the experiment again into a new folder"
            )

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a database error (corrupt, truncated, foreign file) into a one-line error."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"{self.path}: unreadable result store ({error}); it is corrupt, truncated or "
                "not a store: run the experiment again into a new folder"
            ) from None

    def close(self) -> None:
        """Close the database connection."""
        self.connection.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the experiment the folder holds --------------------------------------------------

    @_guarded
    def claim(self, experiment: dict[str, Any]) -> None:
        """Record that this folder holds ``experiment``, or check that it already does.

        The first caller records it (atomically, so two processes starting at once agree).

        Raises:
            StoreError: If the folder holds another experiment; names the first difference.
        """
        text = strict_json(experiment, sort_keys=True)
        with self.connection:
            self.connection.execute("INSERT OR IGNORE INTO meta VALUES ('experiment', ?)", (text,))
        (stored,) = self.connection.execute(
            "SELECT value FROM meta WHERE key = 'experiment'"
        ).fetchone()
        if stored == text:
            return
        held = json.loads(stored)
        raise StoreError(
            f"{self.folder} holds another experiment ({_difference(held, json.loads(text))}); "
            "choose another --out, or --overwrite to replace it"
        )

    @_guarded
    def experiment(self) -> dict[str, Any] | None:
        """The experiment recorded by ``claim`` (None if none was)."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = 'experiment'").fetchone()
        return json.loads(row[0]) if row else None

    # --- invocations ----------------------------------------------------------------------

    @_guarded
    def add_invocation(self, entry: dict[str, Any]) -> int:
        """Append an invocation entry; returns its id (for ``update_invocation``)."""
        with self.connection:
            cursor = self.connection.execute(
                "INSERT INTO invocations (entry) VALUES (?)", (strict_json(entry),)
            )
        return int(cursor.lastrowid or 0)

    @_guarded
    def update_invocation(self, invocation_id: int, entry: dict[str, Any]) -> None:
        """Replace the entry of this process's own invocation (earlier ones are never touched)."""
        with self.connection:
            self.connection.execute(
                "UPDATE invocations SET entry = ? WHERE id = ?",
                (strict_json(entry), invocation_id),
            )

    @_guarded
    def invocations(self) -> list[dict[str, Any]]:
        """Every invocation entry, oldest first."""
        rows = self.connection.execute("SELECT entry FROM invocations ORDER BY id")
        return [json.loads(row[0]) for row in rows]

    # --- runs ------------------------------------------------------------------------------

    @_guarded
    def done_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        """Keys of the runs that finished successfully (failed runs are retried on resume).

        Args:
            keys: Only look these up (all done keys if None).
        """
        if keys is None:
            rows = self.connection.execute("SELECT run_key FROM results WHERE status = 'done'")
            return {row[0] for row in rows}
        found: set[str] = set()
        wanted = list(keys)
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            rows = self.connection.execute(
                "SELECT run_key FROM results WHERE status = 'done' AND run_key IN "
                f"({','.join('?' * len(batch))})",
                batch,
            )
            found.update(row[0] for row in rows)
        return found

    @_guarded
    def stale_key(self, base_key: str) -> str | None:
        """The key of a done run of the same parameters, steps and seed, if one is stored.

        Asked for a run not stored under its own key, so such a run was computed by another
        version of the model or of a park file it reads (``--keep-stale`` reuses it).
        """
        row = self.connection.execute(
            "SELECT run_key FROM results WHERE status = 'done' AND base_key = ? LIMIT 1",
            (base_key,),
        ).fetchone()
        return row[0] if row else None

    @_guarded
    def add_members(
        self,
        members: Iterable[tuple[str, int, int, str, str, int, int, dict]],
        view: int | None = None,
    ) -> int:
        """Record which (scenario, point, replication) each run key stands for, in one go.

        A member whose run is now keyed otherwise (the model, a park file it reads or a
        default changed) replaces its stale row: in a folder that holds one experiment
        (``claim``) any row of the same (scenario, point, replication), elsewhere a row of the
        same parameters, steps and seed (``base_key``).

        Args:
            members: ``(scenario, point, replication, run_key, base_key, seed, steps, labels)``.
            view: Also record the members under this view id (see ``runs(view=...)``).

        Returns:
            How many replaced rows stood for a done run (the stale runs to recompute).
        """
        rows = [
            (
                scenario,
                point,
                replication,
                key,
                base,
                seed,
                steps,
                strict_json(labels, sort_keys=True),
            )
            for scenario, point, replication, key, base, seed, steps, labels in members
        ]
        same = "scenario = ? AND point = ? AND replication = ? AND run_key != ?"
        width = 4
        if self.experiment() is None:
            same, width = f"{same} AND base_key = ?", 5
        replaced: list[tuple[Any, ...]] = [row[:width] for row in rows]
        done = "run_key IN (SELECT run_key FROM results WHERE status = 'done')"
        with self.connection:
            stale = self.connection.executemany(
                f"DELETE FROM members WHERE {same} AND {done}", replaced
            ).rowcount
            self.connection.executemany(f"DELETE FROM members WHERE {same}", replaced)
            self.connection.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            if view is not None:
                self.connection.executemany(
                    "INSERT OR IGNORE INTO views VALUES (?, ?, ?, ?, ?)",
                    ((view, *row[:4]) for row in rows),
                )
        return max(0, stale)

    @_guarded
    def write(self, record: dict[str, Any]) -> None:
        """Store one finished (or failed) run, details included, in a single transaction."""
        self.write_many([record])

    @_guarded
    def write_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Store finished (or failed) runs, details included, in a single transaction."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        record["run_key"],
                        record["base_key"],
                        record["fingerprint"],
                        record["seed"],
                        record["steps"],
                        record["status"],
                        record["elapsed_s"],
                        strict_json(record["outputs"]) if record["outputs"] is not None else None,
                        record["error"],
                        record["finished_utc"],
                    )
                    for record in records
                ],
            )
            self.connection.executemany(
                "INSERT OR REPLACE INTO details VALUES (?, ?, ?, ?)",
                [
                    (record["run_key"], *record["details"])
                    for record in records
                    if record.get("details") is not None
                ],
            )

    @_guarded
    def view_size(self, view: int) -> int:
        """Distinct run keys recorded under ``view``."""
        (count,) = self.connection.execute(
            "SELECT COUNT(DISTINCT run_key) FROM views WHERE view = ?", (view,)
        ).fetchone()
        return int(count)

    @_guarded
    def view_counts(self, view: int) -> tuple[int, int]:
        """(distinct run keys recorded under ``view``, of them done)."""
        (total, done) = self.connection.execute(
            "SELECT COUNT(DISTINCT v.run_key), COUNT(DISTINCT CASE WHEN r.status = 'done' "
            "THEN v.run_key END) FROM views v LEFT JOIN results r USING (run_key) "
            "WHERE v.view = ?",
            (view,),
        ).fetchone()
        return int(total), int(done)

    @_guarded
    def runs(self, status: str | None = "done", view: int | None = None) -> pd.DataFrame:
        """One row per member run with its labels and scalar outputs as columns.

        Args:
            status: ``"done"``, ``"failed"``, ``"pending"`` (not yet run), or None for all.
            view: Only the members recorded under this view id (one ``run_specs`` call).
        """
        from scenarios.outputs import scalar_output_names

        scalar_outputs = scalar_output_names()

        query = (
            "SELECT m.run_key, m.scenario, m.point, m.replication, m.seed, m.steps, "
            "COALESCE(r.status, 'pending'), r.elapsed_s, r.finished_utc, r.fingerprint, "
            "m.labels, r.outputs, r.error FROM members m LEFT JOIN results r USING (run_key)"
        )
        conditions: list[str] = []
        arguments: list[Any] = []
        if view is not None:
            query += " JOIN views v USING (scenario, point, replication, run_key)"
            conditions.append("v.view = ?")
            arguments.append(view)
        if status is not None:
            conditions.append("COALESCE(r.status, 'pending') = ?")
            arguments.append(status)
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        records, label_names = [], {}
        for row in self.connection.execute(query, arguments):
            item = dict(zip(RUN_COLUMNS, row[:10], strict=True))
            labels = _json_object(row[10], self.path)
            label_names.update(dict.fromkeys(labels))
            outputs = _json_object(row[11], self.path) if row[11] else {}
            records.append({**item, **labels, "error": row[12], **outputs})
        columns = [
            *RUN_COLUMNS,
            *(n for n in label_names if n not in RUN_COLUMNS),
            "error",
            *scalar_outputs,
        ]
        frame = pd.DataFrame.from_records(records, columns=columns)
        for name in scalar_outputs:
            try:
                frame[name] = frame[name].astype(float)
            except (TypeError, ValueError):
                raise StoreError(
                    f"{self.path}: stored output {name} is not a number (corrupt store)"
                ) from None
        return frame.sort_values(["scenario", "point", "replication"], kind="stable").reset_index(
            drop=True
        )

    @_guarded
    def detail(self, run_key: str, which: str) -> pd.DataFrame:
        """The ``timeseries``, ``exchanges`` or ``firms`` table of a run stored with details.

        Raises:
            KeyError: If the run was not stored with its details.
            StoreError: If the stored table is not a plain Arrow table.
        """
        if which not in DETAIL_TABLES:
            raise ValueError(f"unknown detail table {which!r}")
        row = self.connection.execute(
            f"SELECT {which} FROM details WHERE run_key = ?", (run_key,)
        ).fetchone()
        if row is None:
            raise KeyError(
                f"no {which} stored for run {run_key} (stored without details, not run, or failed)"
            )
        return unpack_frame(row[0], f"{self.path}, run {run_key}, {which}")

    @_guarded
    def detail_keys(self) -> set[str]:
        """Keys of the runs stored with their full tables."""
        return {r[0] for r in self.connection.execute("SELECT run_key FROM details")}


def _json_object(text: Any, path: Path) -> dict[str, Any]:
    """A stored JSON object (labels or outputs), or a one-line error if it is not one."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise StoreError(f"{path}: a stored row is not a JSON object (corrupt store)")
    return value


def _difference(held: Any, wanted: Any, where: str = "") -> str:
    """The first difference between two experiment descriptions, in a few words."""
    if isinstance(held, dict) and isinstance(wanted, dict):
        for key in [*held, *(k for k in wanted if k not in held)]:
            if held.get(key) != wanted.get(key):
                return _difference(held.get(key), wanted.get(key), f"{where}{key}.")
    where = where.rstrip(".") or "experiment"
    return f"{where}: {_short(held)} there, {_short(wanted)} here"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
