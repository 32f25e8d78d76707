"""Running many seeded runs: chunked tasks through one ``concurrent.futures.Executor`` seam.

Serial, local processes and a Dask cluster all receive the same chunks of ``RunSpec`` and call
the same ``run_model``, so they give bit-identical results. Finished runs are written to the
store as their chunk returns (serial runs about once a second); what is already stored is never
run again (resume). Only a bounded
window of chunks is in flight at a time, so memory stays flat however many runs there are.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scenarios.bounds import MAX_RUNS
from simulation.experiments.experiment import Experiment
from simulation.experiments.fingerprint import model_fingerprint, park_file_digest
from simulation.experiments.manifest import Invocation, write_manifest
from simulation.experiments.store import ResultStore, StoreError, pack_frame

# Runs per task: large enough that task overhead (pickling, scheduling) is paid rarely, small
# enough that a kill loses little work and the progress bar moves.
MAX_CHUNK = 10
# Seconds of work per task once run times are known: runs are stored when their task returns,
# so this bounds the finished work a kill can lose, and long runs go (and are stored) one by one.
CHUNK_SECONDS = 2.0
# Chunks in flight per worker: keeps every worker busy without holding results in memory.
CHUNKS_IN_FLIGHT_PER_WORKER = 2
# Imported once by the fork server that local worker processes are forked from.
WORKER_PRELOAD = ("simulation.runner", "simulation.model", "simulation.scalars")
# Seconds between a worker's checks that the main process is still alive.
WATCHDOG_INTERVAL_S = 0.5
# Specs recorded in the store per transaction while an experiment is set up.
MEMBER_BATCH = 1000
# Runs finished in this process (serial, one worker) are committed to the store together, at
# least this often (seconds) and at most this many at a time: one transaction (and one disk
# sync) per batch instead of per run, so a kill loses at most about a second of finished work.
# With several workers, each returned chunk of runs is committed in one transaction.
WRITE_SECONDS = 1.0
WRITE_BATCH = 500


@functools.cache
def _package_version() -> str:
    from simulation.runner import package_version

    return package_version()


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment (frozen and picklable).

    Attributes:
        scenario: Scenario name (a label; the parameters say what is simulated).
        params: The full validated parameter dict of the run.
        steps: Months to simulate.
        seed: Seed of the run (shared by replication k of every scenario and point).
        replication: Replication index k.
        point: Design point (sweeps and sensitivity samples); 0 otherwise.
        labels: Extra columns for the runs table (e.g. the swept parameter values).
        model: ``"module:function"`` of another model function to run instead of
            ``simulation.runner.run_model``: called as ``function(params, steps, seed)``, it
            returns the scalar outputs as ``{name: float}`` (names of
            ``simulation.outputs.SCALAR_OUTPUTS``). Analytic test problems go through the
            engine this way (seeding, executors, store and resume exactly as for the model);
            empty for the model itself.
    """

    scenario: str
    params: dict[str, Any]
    steps: int
    seed: int
    replication: int
    point: int = 0
    labels: dict[str, Any] = field(default_factory=dict)
    model: str = ""

    @functools.cached_property
    def base_key(self) -> str:
        """Hash of what the user asked for: parameters, steps and seed (not the model).

        A spec with another ``model`` function has that function's name in it too.
        """
        determined_by = [self.params, int(self.steps), int(self.seed)]
        if self.model:
            determined_by.append(self.model)
        text = json.dumps(determined_by, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @functools.cached_property
    def fingerprint(self) -> str:
        """Fingerprint of the model code and data this spec is keyed with (this process's)."""
        return model_fingerprint()

    @functools.cached_property
    def key(self) -> str:
        """Run key: hash of the parameters, steps, seed, model fingerprint and version.

        Identical specs share a key, whatever their scenario name, point or labels; an edit of
        the model's code or data files changes every key. A run on a park file given by path
        also has the file's contents in its key, so editing that file recomputes its runs.
        """
        determined_by = [self.base_key, self.fingerprint, _package_version()]
        if park := park_file_digest(self.params):
            determined_by.append(park)
        text = json.dumps(determined_by)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def __hash__(self) -> int:
        """Hash of the run key and the member fields (``params`` itself is a dict)."""
        return hash((self.key, self.scenario, self.point, self.replication))


@dataclass(frozen=True)
class SpecGrid:
    """Every run of an experiment, generated when iterated (so memory does not grow with runs).

    Attributes:
        conditions: ``(scenario, point, params, labels)`` of each scenario or design point;
            the runs of one condition share its ``params`` dict.
        steps: Months per run.
        seeds: Replication seeds; replication k of every condition uses ``seeds[k]``.
    """

    conditions: Sequence[tuple[str, int, dict[str, Any], dict[str, Any]]]
    steps: int
    seeds: Sequence[int]

    def __len__(self) -> int:
        """Number of runs: conditions times replications."""
        return len(self.conditions) * len(self.seeds)

    def __iter__(self) -> Iterator[RunSpec]:
        """The runs, condition by condition, replication by replication."""
        for scenario, point, params, labels in self.conditions:
            for k, seed in enumerate(self.seeds):
                yield RunSpec(scenario, params, self.steps, seed, k, point=point, labels=labels)


def run_one(spec: RunSpec, store_details: bool) -> dict[str, Any]:
    """Run one spec; never raises on a model error: a failure becomes a record with traceback."""
    from simulation.runner import run_model
    from simulation.scalars import scalar_outputs

    started = time.perf_counter()
    record = _record(spec)
    try:
        if model_fingerprint() != spec.fingerprint:
            raise RuntimeError(
                f"this worker runs another version of the model (fingerprint "
                f"{model_fingerprint()}, the experiment's is {spec.fingerprint})"
            )
        if spec.model:
            outputs = _model_function(spec.model)(spec.params, spec.steps, spec.seed)
            record["outputs"] = {name: float(value) for name, value in outputs.items()}
        else:
            result = run_model(spec.params, spec.steps, spec.seed)
            record["outputs"] = scalar_outputs(result)
            if store_details:
                record["details"] = (
                    pack_frame(result.timeseries),
                    pack_frame(result.exchanges),
                    pack_frame(result.firms),
                )
        record["status"] = "done"
    except Exception:  # noqa: BLE001 - a failing run is recorded, the experiment goes on
        record["status"] = "failed"
        record["error"] = traceback.format_exc()
    record["elapsed_s"] = time.perf_counter() - started
    record["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def _model_function(path: str) -> Any:
    """The function named ``"module:function"`` (a ``RunSpec.model``)."""
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _record(spec: RunSpec) -> dict[str, Any]:
    """The store record of ``spec`` before it has run."""
    return {
        "run_key": spec.key,
        "base_key": spec.base_key,
        "fingerprint": spec.fingerprint,
        "seed": spec.seed,
        "steps": spec.steps,
        "scenario": spec.scenario,
        "point": spec.point,
        "replication": spec.replication,
        "status": "failed",
        "outputs": None,
        "details": None,
        "error": None,
        "elapsed_s": None,
        "finished_utc": None,
    }


def _task_failed(chunk: list[RunSpec], error: str) -> list[dict[str, Any]]:
    """Records for a chunk whose task itself failed (a worker died, a Dask KilledWorker...)."""
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    return [{**_record(spec), "error": error, "finished_utc": finished} for spec in chunk]


def run_chunk(specs: list[RunSpec], store_details: bool) -> list[dict[str, Any]]:
    """Run a chunk of specs in one task (so task overhead is paid once per chunk)."""
    return [run_one(spec, store_details) for spec in specs]


class SerialExecutor(Executor):
    """Runs each submitted task at once, in this process (``workers=1``)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        """Call ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - delivered through the future
            future.set_exception(error)
        return future


@contextmanager
def make_executor(
    workers: int | None = None, scheduler: str | None = None
) -> Iterator[tuple[Executor, int]]:
    """The executor seam: serial, local processes, or a Dask cluster.

    Args:
        workers: 1 for serial in-process runs; N for N local processes; None for all cores.
            With ``scheduler="local"`` it is the number of Dask workers.
        scheduler: A Dask scheduler address (``tcp://host:8786``), or ``"local"`` for a local
            Dask cluster of worker processes.

    Yields:
        (executor, number of tasks that can run at once).
    """
    if scheduler:
        yield from _dask_executor(workers, scheduler)
        return
    n = workers or os.cpu_count() or 1
    if n <= 1:
        yield SerialExecutor(), 1
        return
    pool = ProcessPoolExecutor(
        max_workers=n,
        mp_context=_process_context(),
        initializer=watch_main_process,
        initargs=(os.getpid(),),
    )
    try:
        yield pool, n
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _process_context() -> Any:
    """How worker processes start: a preloaded fork server where there is one, else spawn.

    Never plain fork (unsafe once tqdm's or Dask's threads run). The fork server imports the
    model once and forks each worker from it, so workers skip the ~2 s of imports that spawned
    workers each pay; spawn (Windows) is the portable fallback.
    """
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(WORKER_PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def watch_main_process(main_pid: int) -> None:
    """In a worker: end this process as soon as the main process is gone (e.g. kill -9).

    A worker is forked from the fork server, not from the main process, so it would otherwise
    run on (and keep the fork server and resource tracker alive) after its experiment died.
    On Linux the kernel also signals the worker when its parent (the fork server) dies.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL_S)
            if not _alive(main_pid):
                os._exit(1)

    threading.Thread(target=watch, name="main-process-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop at once on an interrupt: cancel queued chunks and end the workers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _dask_executor(workers: int | None, scheduler: str) -> Iterator[tuple[Executor, int]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        from scenarios.errors import InputError

        raise InputError(
            "--scheduler needs the cluster extra: pip install 'symbiosis[cluster]'"
        ) from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
        # Workers of a cluster we started end with this process (also a restarted worker).
        from simulation.experiments.dask_watch import MainProcessWatch

        client.register_plugin(MainProcessWatch(os.getpid()), name="symbiosis-main-watch")
    else:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError, ValueError) as error:
            from scenarios.errors import InputError

            raise InputError(f"--scheduler {scheduler}: cannot connect ({error})") from None
    try:
        n = max(1, sum(client.nthreads().values()))
        yield client.get_executor(pure=False), n
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class RunTimer:
    """Mean wall time of the runs finished so far (``None`` before the first)."""

    def __init__(self) -> None:
        """Start with no runs timed."""
        self.total_s = 0.0
        self.count = 0

    def add(self, elapsed_s: float | None) -> None:
        """Count one finished run (failed task records carry no time and are skipped)."""
        if elapsed_s is not None:
            self.total_s += elapsed_s
            self.count += 1

    @property
    def mean_s(self) -> float | None:
        """Mean seconds per run, or None while nothing has been timed."""
        return self.total_s / self.count if self.count else None


def chunk_size(n_runs: int, n_workers: int, seconds_per_run: float | None = None) -> int:
    """Runs per task: one when serial, else a quarter of each worker's share of ``n_runs``.

    Called with the runs still to submit, so chunks shrink towards the end (guided
    self-scheduling) and no worker is left idle while another finishes a long last chunk.
    With ``seconds_per_run`` known, a chunk also holds no more than ``CHUNK_SECONDS`` of work.
    """
    if n_workers <= 1:
        return 1
    size = min(MAX_CHUNK, math.ceil(n_runs / (4 * n_workers)))
    if seconds_per_run:
        size = min(size, int(CHUNK_SECONDS / seconds_per_run))
    return max(1, size)


def run_specs(
    specs: Iterable[RunSpec],
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    store_details: bool = True,
    manifest: dict[str, Any] | None = None,
    experiment: dict[str, Any] | None = None,
    keep_stale: bool = False,
    invocation: Invocation | None = None,
    notice: Callable[[str], None] | None = None,
    executor: tuple[Executor, int] | None = None,
) -> Experiment:
    """Run every spec not already stored under ``out_dir`` and return the experiment.

    Args:
        specs: The runs of the experiment: a list, or any iterable that can be iterated twice
            (e.g. an object whose ``__iter__`` generates them), so that memory does not grow
            with the number of runs; a one-shot iterator is read into a list. Specs with the
            same key (identical parameters, steps and seed) are run once and shared.
        out_dir: Experiment folder holding ``store.sqlite``, ``manifest.json`` and
            ``failures.log``; created if needed, resumed if it exists.
        workers: 1 serial; N local processes; None all cores.
        scheduler: Dask scheduler address, or ``"local"`` for a local Dask cluster.
        progress: Show a tqdm progress bar over runs (rate, ETA).
        store_details: Also store each run's timeseries, exchanges and firms tables; False
            stores only the scalar outputs (big sweeps, sensitivity analysis).
        manifest: Provenance to record in ``manifest.json`` (command, root seed, scenarios...);
            start and end time and the counts of runs done / failed / reused are added.
        experiment: What experiment this is (kind, scenarios, steps, design...: everything
            but the number of replications). The folder records it on first use and refuses
            another one; None skips the check (library use).
        keep_stale: Reuse stored runs of the same parameters, steps and seed computed by
            another version of the model (another fingerprint) instead of recomputing them.
        invocation: The invocation (command) this call belongs to, for ``manifest.json``'s
            ``invocations`` log; several calls of one command share one. None: a new one.
        notice: Where one-line notices go (stale runs recomputed); default stderr.
        executor: An open ``(executor, tasks at once)`` from ``make_executor``, reused instead
            of starting one (``workers`` and ``scheduler`` are then ignored): a search that
            calls this once per generation starts its worker processes once.

    Returns:
        The ``Experiment`` in ``out_dir``, seen through ``specs``: its ``runs()`` are exactly
        the given specs' runs.

    Raises:
        InputError: If the experiment has more than ``scenarios.bounds.MAX_RUNS`` runs, or
            the folder holds another experiment or an unreadable store.

    Local worker processes start from a fork server (or are spawned), so a script that calls
    this with ``workers`` other than 1 must do so under ``if __name__ == "__main__":`` (the
    usual rule of Python's multiprocessing; notebooks and the CLI need nothing).
    """
    if iter(specs) is specs:  # a one-shot iterator: it is read twice below
        specs = list(specs)
    total = len(specs) if hasattr(specs, "__len__") else None  # type: ignore[arg-type]
    if total is not None and total > MAX_RUNS:
        raise StoreError(
            f"{total:,} runs is above the cap of {MAX_RUNS:,} runs per experiment "
            "(scenarios.bounds.MAX_RUNS); use fewer replications or design points"
        )
    folder = Path(out_dir)
    fingerprint = model_fingerprint()
    invocation = invocation or Invocation(command=(manifest or {}).get("command", ""))
    view = int.from_bytes(os.urandom(7), "big")
    with ResultStore(folder) as store:
        if experiment is not None:
            store.claim(experiment)
        invocation.attach(store, fingerprint, _package_version())
        counted, stale = _record_members(store, specs, view, keep_stale)
        total_keys, reused = store.view_counts(view)
        if stale and not keep_stale:
            (notice or _to_stderr)(
                f"{folder}: {stale} stored runs were computed by another version of the model "
                "or of a park file it reads (model fingerprint or park file contents differ); "
                "they are recomputed (keep them with --keep-stale)"
            )
        invocation.reused(reused)
        counts = {
            "runs_total": total_keys,
            "runs_reused": reused,
            "runs_done": 0,
            "runs_failed": 0,
            "runs_stale": stale,
        }
        started = datetime.now(UTC).isoformat(timespec="seconds")
        info = {
            **(manifest or {}),
            "fingerprint": fingerprint,
            "started_utc": started,
            "store_details": store_details,
        }
        write_manifest(folder, {**info, "status": "running", **counts})
        status = "interrupted"
        try:
            if total_keys - reused > 0:
                _execute(
                    _pending(specs, store, keep_stale),
                    min(counted, total_keys - reused),
                    store,
                    folder,
                    counts,
                    workers,
                    scheduler,
                    progress,
                    store_details,
                    invocation,
                    executor,
                )
            status = "finished"
        finally:
            invocation.finish(store)
            write_manifest(
                folder,
                {
                    **info,
                    "status": status,
                    **counts,
                    "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            )
    return Experiment(folder, view=view)


def _to_stderr(text: str) -> None:
    print(f"symbiosis: {text}", file=sys.stderr)


def _effective_key(spec: RunSpec, store: ResultStore, keep_stale: bool) -> str:
    """The key a spec is stored under: its own, or with ``keep_stale`` a stale run's."""
    if keep_stale and not store.done_keys([spec.key]):
        stale = store.stale_key(spec.base_key)
        if stale is not None:
            return stale
    return spec.key


def _record_members(
    store: ResultStore, specs: Iterable[RunSpec], view: int, keep_stale: bool
) -> tuple[int, int]:
    """Record every spec as a member of the experiment, in batches.

    Returns:
        (members recorded, stale runs they replace: stored under another key for the same
        member, so recomputed).
    """
    count = stale = 0
    iterator = iter(specs)
    while batch := list(itertools.islice(iterator, MEMBER_BATCH)):
        count += len(batch)
        if count > MAX_RUNS:
            raise StoreError(
                f"more than {MAX_RUNS:,} runs is above the cap of runs per experiment "
                "(scenarios.bounds.MAX_RUNS); use fewer replications or design points"
            )
        stale += store.add_members(
            (
                (
                    s.scenario,
                    s.point,
                    s.replication,
                    _effective_key(s, store, keep_stale),
                    s.base_key,
                    s.seed,
                    s.steps,
                    s.labels,
                )
                for s in batch
            ),
            view=view,
        )
    return count, stale


def _pending(specs: Iterable[RunSpec], store: ResultStore, keep_stale: bool) -> Iterator[RunSpec]:
    """The specs still to run, generated as they are submitted.

    Looked up one by one at submission time, in the thread that also writes results, so a run
    finished (or submitted) a moment ago is never submitted twice; nothing grows with the runs
    but the set of keys in flight.
    """
    in_flight: set[str] = set()
    for spec in specs:
        key = _effective_key(spec, store, keep_stale)
        if key != spec.key or key in in_flight or store.done_keys([key]):
            continue
        in_flight.add(key)
        yield spec
        if len(in_flight) > 4 * MEMBER_BATCH:
            in_flight = {k for k in in_flight if not store.done_keys([k])}


def _execute(
    pending: Iterator[RunSpec],
    n_pending: int,
    store: ResultStore,
    folder: Path,
    counts: dict[str, int],
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    store_details: bool,
    invocation: Invocation,
    opened: tuple[Executor, int] | None = None,
) -> None:
    from contextlib import nullcontext

    from tqdm import tqdm

    with (
        nullcontext(opened) if opened else make_executor(workers, scheduler) as (
            executor,
            n_workers,
        )
    ):
        timer = RunTimer()
        chunks = _chunks(pending, n_workers, timer, total=n_pending)
        window = CHUNKS_IN_FLIGHT_PER_WORKER * n_workers
        running: set[Future] = set()
        submitted: dict[Future, list[RunSpec]] = {}
        unwritten: list[dict[str, Any]] = []
        written_at = time.monotonic()

        def commit() -> None:
            nonlocal written_at
            if unwritten:
                store.write_many(unwritten)
                for record in unwritten:
                    if record["status"] == "done":
                        counts["runs_done"] += 1
                    else:
                        counts["runs_failed"] += 1
                        _log_failure(folder, record)
                    invocation.count(record["status"] == "done")
                unwritten.clear()
                invocation.save(store)
            written_at = time.monotonic()

        with tqdm(total=n_pending, unit="run", disable=not progress, dynamic_ncols=True) as bar:
            try:
                while True:
                    while len(running) < window and (chunk := next(chunks, None)):
                        running.add(_submit(executor, chunk, store_details, submitted))
                    if not running:
                        break
                    finished, running = wait(
                        running, timeout=WRITE_SECONDS, return_when=FIRST_COMPLETED
                    )
                    for future in finished:
                        chunk = submitted.pop(future)
                        try:
                            records = future.result()
                        except Exception:  # noqa: BLE001 - the task, not a run, failed
                            records = _task_failed(chunk, traceback.format_exc())
                        for record in records:
                            unwritten.append(record)
                            timer.add(record["elapsed_s"])
                            bar.update(1)
                        failed = sum(r["status"] != "done" for r in records)
                        if failed:
                            bar.set_postfix(failed=counts["runs_failed"] + failed)
                    # A task of a worker returns a chunk of runs, already a batch; serial runs
                    # come one by one, so they are batched by time.
                    if (
                        n_workers > 1
                        or len(unwritten) >= WRITE_BATCH
                        or time.monotonic() - written_at >= WRITE_SECONDS
                    ):
                        commit()
            finally:
                # Finished tasks not yet looked at (an interrupt came first) are stored too.
                for future in running:
                    if future.done() and not future.cancelled() and not future.exception():
                        unwritten.extend(future.result())
                commit()


def _submit(
    executor: Executor,
    chunk: list[RunSpec],
    store_details: bool,
    submitted: dict[Future, list[RunSpec]],
) -> Future:
    """Submit a chunk; a broken executor gives a failed future, so its runs are recorded."""
    try:
        future = executor.submit(run_chunk, chunk, store_details)
    except BrokenExecutor as error:
        future = Future()
        future.set_exception(error)
    submitted[future] = chunk
    return future


def _chunks(
    pending: Iterable[RunSpec],
    n_workers: int,
    timer: RunTimer | None = None,
    total: int | None = None,
) -> Iterator[list[RunSpec]]:
    """Consecutive chunks of ``pending``, sized by ``chunk_size`` of the runs left.

    With a ``timer``, chunks are single runs until a run time is known, then hold about
    ``CHUNK_SECONDS`` of work at most. ``pending`` may be a generator; ``total`` (default its
    length) is how many it holds at most.
    """
    if total is None:
        total = len(pending)  # type: ignore[arg-type]
    iterator = iter(pending)
    taken = 0
    while True:
        if timer is not None and timer.mean_s is None:
            size = 1
        else:
            size = chunk_size(
                max(1, total - taken), n_workers, timer.mean_s if timer is not None else None
            )
        chunk = list(itertools.islice(iterator, size))
        if not chunk:
            return
        taken += len(chunk)
        yield chunk


def _log_failure(folder: Path, record: dict[str, Any]) -> None:
    with open(folder / "failures.log", "a") as log:
        log.write(
            f"--- run {record['run_key']} (scenario {record['scenario']}, point "
            f"{record['point']}, replication {record['replication']}, seed "
            f"{record['seed']}, {record['steps']} steps) failed at "
            f"{record['finished_utc']}\n{record['error']}\n"
        )
