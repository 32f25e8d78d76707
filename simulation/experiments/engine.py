"""Running many seeded runs: chunked tasks through one ``concurrent.futures.Executor`` seam.

Serial, local processes and a Dask cluster all receive the same chunks of ``RunSpec`` and call
the same ``run_model``, so they give bit-identical results. Each finished run is written to the
store as its chunk returns; what is already stored is never run again (resume).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulation.experiments.manifest import write_manifest
from simulation.experiments.store import ResultStore, pack_frame

MAX_CHUNK = 25


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment.

    Attributes:
        scenario: Scenario name (a label; the parameters say what is simulated).
        params: The full validated parameter dict of the run.
        steps: Months to simulate.
        seed: Seed of the run (shared by replication k of every scenario and point).
        replication: Replication index k.
        point: Design point (sweeps and sensitivity samples); 0 otherwise.
        labels: Extra columns for the runs table (e.g. swept parameter values).
    """

    scenario: str
    params: dict[str, Any]
    steps: int
    seed: int
    replication: int
    point: int = 0
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Hash of what determines the result: parameters, steps, seed and model version."""
        from simulation.runner import package_version

        text = json.dumps([self.params, self.steps, self.seed, package_version()],
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def __hash__(self) -> int:
        """Hash by run key (params is a dict)."""
        return hash(self.key)


def run_one(spec: RunSpec, store_details: bool) -> dict[str, Any]:
    """Run one spec; never raises: a failure becomes a record with its traceback."""
    from simulation.outputs import scalar_outputs
    from simulation.runner import run_model

    started = time.perf_counter()
    record: dict[str, Any] = {
        "run_key": spec.key, "scenario": spec.scenario, "point": spec.point,
        "replication": spec.replication, "seed": spec.seed, "steps": spec.steps,
        "labels": spec.labels, "outputs": None, "details": None, "error": None,
    }
    try:
        result = run_model(spec.params, spec.steps, spec.seed)
        record["outputs"] = scalar_outputs(result)
        if store_details:
            record["details"] = (pack_frame(result.timeseries), pack_frame(result.exchanges),
                                 pack_frame(result.firms))
        record["status"] = "done"
    except Exception:  # noqa: BLE001 - a failing run is recorded, the experiment goes on
        record["status"] = "failed"
        record["error"] = traceback.format_exc()
    record["elapsed_s"] = time.perf_counter() - started
    record["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def run_chunk(specs: list[RunSpec], store_details: bool) -> list[dict[str, Any]]:
    """Run a chunk of specs in one task (so worker start-up is paid once per chunk)."""
    return [run_one(spec, store_details) for spec in specs]


class SerialExecutor(Executor):
    """Runs each submitted task immediately in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001
            future.set_exception(error)
        return future


@contextmanager
def make_executor(workers: int | None, scheduler: str | None) -> Iterator[tuple[Executor, int]]:
    """The executor seam: serial, local processes, or a Dask cluster.

    Args:
        workers: 1 for serial in-process runs; N for N local processes; None for all cores.
        scheduler: A Dask scheduler address, or ``"local"`` for a local Dask cluster.

    Yields:
        (executor, number of parallel workers).
    """
    if scheduler:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            from scenarios.errors import InputError

            raise InputError("--scheduler needs the cluster extra: pip install "
                             "'symbiosis[cluster]'") from None
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            cluster, client = None, Client(scheduler)
        try:
            n = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), n
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    n = workers or os.cpu_count() or 1
    if n <= 1:
        yield SerialExecutor(), 1
        return
    import multiprocessing

    with ProcessPoolExecutor(max_workers=n,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool, n


def chunked(items: list[RunSpec], size: int) -> list[list[RunSpec]]:
    """Split ``items`` into lists of at most ``size``."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_specs(specs: Sequence[RunSpec], out_dir: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True, store_details: bool = True,
              manifest: dict[str, Any] | None = None) -> Any:
    """Run every spec not already stored under ``out_dir`` and return the experiment.

    Args:
        specs: The runs of the experiment (duplicates by key are run once).
        out_dir: Experiment folder holding the store, ``manifest.json`` and ``failures.log``.
        workers: 1 serial; N local processes; None all cores (ignored with ``scheduler``).
        scheduler: Dask scheduler address or ``"local"``.
        progress: Show a tqdm progress bar over runs.
        store_details: Also store each run's timeseries, exchanges and firms tables.
        manifest: Provenance fields to record (command, root seed, scenarios...).

    Returns:
        The ``Experiment`` in ``out_dir``.
    """
    from simulation.experiments.experiment import Experiment

    folder = Path(out_dir)
    store = ResultStore(folder)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    unique: dict[str, RunSpec] = {}
    for spec in specs:
        unique.setdefault(spec.key, spec)
    done = store.done_keys()
    pending = [spec for key, spec in unique.items() if key not in done]
    counts = {"runs_total": len(unique), "runs_reused": len(unique) - len(pending),
              "runs_done": 0, "runs_failed": 0}
    info = dict(manifest or {})
    write_manifest(folder, {**info, "started_utc": started, "status": "running", **counts})
    try:
        if pending:
            _execute(pending, store, folder, counts, workers, scheduler, progress, store_details)
    finally:
        store.close()
        status = "finished" if counts["runs_done"] + counts["runs_failed"] == len(pending) \
            else "interrupted"
        write_manifest(folder, {**info, "started_utc": started, "status": status, **counts,
                                "finished_utc": datetime.now(UTC).isoformat(timespec="seconds")})
    return Experiment(folder)


def _execute(pending: list[RunSpec], store: ResultStore, folder: Path, counts: dict[str, int],
             workers: int | None, scheduler: str | None, progress: bool,
             store_details: bool) -> None:
    from tqdm import tqdm

    with make_executor(workers, scheduler) as (executor, n_workers):
        size = max(1, min(MAX_CHUNK, math.ceil(len(pending) / (4 * n_workers))))
        futures = [executor.submit(run_chunk, chunk, store_details)
                   for chunk in chunked(pending, size)]
        bar = tqdm(total=len(pending), unit="run", disable=not progress, dynamic_ncols=True)
        try:
            for future in as_completed(futures):
                records = future.result()
                for record in records:
                    store.write(record)
                    if record["status"] == "done":
                        counts["runs_done"] += 1
                    else:
                        counts["runs_failed"] += 1
                        _log_failure(folder, record)
                bar.update(len(records))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()


def _log_failure(folder: Path, record: dict[str, Any]) -> None:
    with open(folder / "failures.log", "a") as log:
        log.write(f"--- run {record['run_key']} scenario={record['scenario']} "
                  f"point={record['point']} replication={record['replication']} "
                  f"seed={record['seed']} at {record['finished_utc']}\n{record['error']}\n")
