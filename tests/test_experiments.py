"""The experiment engine: seeds, executors, the result store, resume and failures (issue 4)."""

from __future__ import annotations

import pickle
import sqlite3

import numpy as np
import pandas as pd
import pytest

from scenarios.errors import InputError
from scenarios.loader import load_scenario
from simulation.experiments import (
    RunSpec,
    load_experiment,
    make_executor,
    replication_seeds,
    run_specs,
)
from simulation.experiments.engine import CHUNK_SECONDS, RunTimer, _chunks, chunk_size
from simulation.indicators import TIMESERIES_COLUMNS
from simulation.outputs import SCALAR_OUTPUTS
from simulation.runner import run_model

STEPS = 12
VOLATILE = ["elapsed_s", "finished_utc"]  # when and how fast, not what


@pytest.fixture(scope="module")
def params():
    return load_scenario("baseline").parameters()


def specs_for(params, scenarios=("baseline",), replications=3, root_seed=11, steps=STEPS):
    seeds = replication_seeds(root_seed, replications)
    return [
        RunSpec(name, params, steps, seed, k) for name in scenarios for k, seed in enumerate(seeds)
    ]


def stable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=VOLATILE).reset_index(drop=True)


# --- seeds ---------------------------------------------------------------------------------


def test_replication_seeds_are_spawned_from_the_root_seed():
    seeds = replication_seeds(42, 5)
    assert all(type(seed) is int and 0 <= seed < 2**63 for seed in seeds)
    assert len(set(seeds)) == 5
    assert seeds == replication_seeds(42, 5)
    assert replication_seeds(42, 8)[:5] == seeds  # raising n keeps the first seeds
    assert set(replication_seeds(43, 5)).isdisjoint(seeds)
    children = np.random.SeedSequence(42).spawn(5)
    assert seeds[2] == int(children[2].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# --- RunSpec -------------------------------------------------------------------------------


def test_run_key_depends_on_params_steps_and_seed_only(params):
    spec = RunSpec("baseline", params, STEPS, 5, 0)
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert pickle.loads(pickle.dumps(spec)).key == spec.key
    renamed = RunSpec("other", dict(params), STEPS, 5, 3, point=2, labels={"a": 1})
    assert renamed.key == spec.key
    assert RunSpec("baseline", params, STEPS + 1, 5, 0).key != spec.key
    assert RunSpec("baseline", params, STEPS, 6, 0).key != spec.key
    changed = {**params, "landfill_tax_eur_per_t": 10.0}
    assert RunSpec("baseline", changed, STEPS, 5, 0).key != spec.key
    with pytest.raises(AttributeError):
        spec.seed = 3  # frozen


def test_chunks_are_single_runs_serially_and_bounded_in_parallel():
    assert chunk_size(1000, 1) == 1
    assert 1 <= chunk_size(8, 2) <= 2
    assert chunk_size(100_000, 2) == 10


def test_chunks_cover_every_run_once_in_order_and_shrink_towards_the_end():
    pending = list(range(203))
    chunks = list(_chunks(pending, 2))
    assert [run for chunk in chunks for run in chunk] == pending
    sizes = [len(chunk) for chunk in chunks]
    assert sizes[0] == 10 and sizes[-1] == 1
    assert sizes == sorted(sizes, reverse=True)
    assert [len(chunk) for chunk in _chunks(pending[:5], 1)] == [1] * 5


def test_chunks_hold_a_bounded_amount_of_work_once_run_times_are_known():
    # Runs are stored when their chunk returns: a chunk of long runs would put off storing them.
    assert chunk_size(100_000, 2, seconds_per_run=CHUNK_SECONDS / 4) == 4
    assert chunk_size(100_000, 2, seconds_per_run=3 * CHUNK_SECONDS) == 1
    assert chunk_size(100_000, 2, seconds_per_run=0.001) == 10
    timer = RunTimer()
    chunks = _chunks(list(range(100)), 2, timer)
    assert [len(next(chunks)) for _ in range(3)] == [1, 1, 1]  # nothing timed yet
    for _ in range(3):
        timer.add(CHUNK_SECONDS / 8)
    timer.add(None)  # a failed task's record has no time
    assert timer.mean_s == CHUNK_SECONDS / 8
    assert len(next(chunks)) == 8


# --- executors: serial == local processes == Dask -----------------------------------------


def test_serial_processes_and_dask_give_bit_identical_results(tmp_path, params):
    """Dask: a LocalCluster of 2 thread workers (processes=False) reached by its address."""
    distributed = pytest.importorskip("distributed")
    specs = specs_for(params, replications=3)
    serial = run_specs(specs, tmp_path / "serial", workers=1, progress=False)
    pool = run_specs(specs, tmp_path / "pool", workers=2, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask = run_specs(
            specs, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False
        )
    reference = stable(serial.runs())
    assert len(reference) == 3 and set(reference["status"]) == {"done"}
    for other in (pool, dask):
        pd.testing.assert_frame_equal(stable(other.runs()), reference)
        pd.testing.assert_frame_equal(other.timeseries(), serial.timeseries())
        for key in reference["run_key"]:
            pd.testing.assert_frame_equal(other.exchanges(key), serial.exchanges(key))
            pd.testing.assert_frame_equal(other.firms(key), serial.firms(key))


def test_local_dask_cluster_of_worker_processes_gives_identical_results(tmp_path, params):
    """``scheduler="local"``: the LocalCluster of 2 worker processes that --scheduler starts."""
    pytest.importorskip("distributed")
    specs = specs_for(params, replications=3)
    serial = run_specs(specs, tmp_path / "serial", workers=1, progress=False)
    dask = run_specs(specs, tmp_path / "dask", workers=2, scheduler="local", progress=False)
    pd.testing.assert_frame_equal(stable(dask.runs()), stable(serial.runs()))
    pd.testing.assert_frame_equal(dask.timeseries(), serial.timeseries())


def test_stored_results_equal_a_direct_run(tmp_path, params):
    spec = specs_for(params, replications=1)[0]
    experiment = run_specs([spec], tmp_path, workers=1, progress=False)
    direct = run_model(params, STEPS, spec.seed)
    row = experiment.runs().iloc[0]
    from simulation.outputs import scalar_outputs

    for name, value in scalar_outputs(direct).items():
        assert row[name] == value or (np.isnan(value) and np.isnan(row[name])), name
    series = experiment.timeseries()
    assert list(series.columns) == [
        "run_key",
        "scenario",
        "point",
        "replication",
        "seed",
        *TIMESERIES_COLUMNS,
    ]
    pd.testing.assert_frame_equal(series[list(TIMESERIES_COLUMNS)], direct.timeseries)
    pd.testing.assert_frame_equal(experiment.exchanges(spec.key), direct.exchanges)
    pd.testing.assert_frame_equal(experiment.firms(spec.key), direct.firms)


def test_executor_seam_yields_a_concurrent_futures_executor():
    from concurrent.futures import Executor

    with make_executor(1, None) as (executor, n):
        assert isinstance(executor, Executor) and n == 1
        assert executor.submit(pow, 2, 10).result() == 1024
        failing = executor.submit(int, "x")
        assert isinstance(failing.exception(), ValueError)


# --- runs table, common random numbers ----------------------------------------------------


def test_runs_table_has_keys_labels_and_every_scalar_output(tmp_path, params):
    specs = [
        RunSpec("baseline", params, STEPS, seed, k, point=1, labels={"tax": 5.0})
        for k, seed in enumerate(replication_seeds(3, 2))
    ]
    runs = run_specs(specs, tmp_path, workers=1, progress=False).runs()
    for column in (
        "run_key",
        "scenario",
        "point",
        "replication",
        "seed",
        "status",
        "elapsed_s",
        "tax",
        *SCALAR_OUTPUTS,
    ):
        assert column in runs.columns, column
    assert list(runs["replication"]) == [0, 1]
    assert set(runs["tax"]) == {5.0} and set(runs["point"]) == {1}
    assert (runs["elapsed_s"] > 0).all()


def test_identical_scenarios_share_runs_and_differ_by_exactly_zero(tmp_path, params):
    from analysis.statistics import comparison_table

    specs = specs_for(params, scenarios=("a", "b"), replications=3)
    experiment = run_specs(specs, tmp_path, workers=1, progress=False)
    runs = experiment.runs()
    assert experiment.manifest["runs_done"] == 3  # b reuses a's runs: same key
    a = runs[runs["scenario"] == "a"].set_index("replication")[list(SCALAR_OUTPUTS)]
    b = runs[runs["scenario"] == "b"].set_index("replication")[list(SCALAR_OUTPUTS)]
    pd.testing.assert_frame_equal(a, b)
    table = comparison_table(runs, ["total_exchanges_started", "mean_recovery_rate"], "a")
    other = table[table["scenario"] == "b"]
    assert (other["diff_mean"] == 0).all()
    assert (other["diff_ci_low"] == 0).all() and (other["diff_ci_high"] == 0).all()


def test_timeseries_keeps_the_order_of_the_scenarios_asked_for(tmp_path, params):
    specs = specs_for(params, scenarios=("zeta", "alpha", "mid"), replications=1)
    experiment = run_specs(specs, tmp_path, workers=1, progress=False)
    assert list(dict.fromkeys(experiment.timeseries()["scenario"])) == ["alpha", "mid", "zeta"]
    chosen = experiment.timeseries(["zeta", "alpha"])
    assert list(dict.fromkeys(chosen["scenario"])) == ["zeta", "alpha"]
    assert len(chosen) == 2 * STEPS


def test_replication_k_has_the_same_seed_in_every_scenario(tmp_path, params):
    taxed = {**params, "landfill_tax_eur_per_t": 80.0}
    seeds = replication_seeds(5, 2)
    specs = [
        RunSpec(name, p, STEPS, seed, k)
        for name, p in (("base", params), ("tax", taxed))
        for k, seed in enumerate(seeds)
    ]
    runs = run_specs(specs, tmp_path, workers=1, progress=False).runs()
    by_scenario = runs.pivot(index="replication", columns="scenario", values="seed")
    assert list(by_scenario["base"]) == list(by_scenario["tax"]) == seeds
    assert runs["run_key"].nunique() == 4


# --- resume and reuse ----------------------------------------------------------------------


def test_rerun_reuses_every_stored_run(tmp_path, params):
    specs = specs_for(params, replications=2)
    first = run_specs(specs, tmp_path, workers=1, progress=False)
    before = first.runs()
    again = run_specs(specs, tmp_path, workers=1, progress=False)
    assert again.manifest["runs_reused"] == 2 and again.manifest["runs_done"] == 0
    pd.testing.assert_frame_equal(again.runs(), before)  # not even re-timed


def test_raising_replications_runs_only_the_new_ones(tmp_path, params):
    run_specs(specs_for(params, replications=2), tmp_path, workers=1, progress=False)
    more = run_specs(specs_for(params, replications=4), tmp_path, workers=1, progress=False)
    assert more.manifest["runs_reused"] == 2 and more.manifest["runs_done"] == 2
    fresh = run_specs(
        specs_for(params, replications=4), tmp_path / "fresh", workers=1, progress=False
    )
    pd.testing.assert_frame_equal(stable(more.runs()), stable(fresh.runs()))


def test_experiment_from_run_specs_sees_only_its_specs(tmp_path, params):
    run_specs(specs_for(params, replications=3, steps=STEPS), tmp_path, workers=1, progress=False)
    shorter = run_specs(
        specs_for(params, replications=2, steps=STEPS - 2), tmp_path, workers=1, progress=False
    )
    assert len(shorter.runs()) == 2 and set(shorter.runs()["steps"]) == {STEPS - 2}
    assert len(load_experiment(tmp_path).runs()) == 5


def test_scalar_only_store_has_no_details(tmp_path, params):
    specs = specs_for(params, replications=2)
    experiment = run_specs(specs, tmp_path, workers=1, progress=False, store_details=False)
    assert len(experiment.runs()) == 2
    assert experiment.timeseries().empty
    assert list(experiment.timeseries().columns)[5:] == list(TIMESERIES_COLUMNS)
    with pytest.raises(KeyError):
        experiment.exchanges(specs[0].key)


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path, params, workers):
    """The failure is injected through the parameters: run_model rejects an unknown name."""
    specs = specs_for(params, replications=2)
    broken = RunSpec("broken", {**params, "no_such_parameter": 1.0}, STEPS, specs[0].seed, 0)
    experiment = run_specs([specs[0], broken, specs[1]], tmp_path, workers=workers, progress=False)
    assert list(experiment.runs()["scenario"]) == ["baseline", "baseline"]
    failures = experiment.failures()
    assert list(failures.columns) == [
        "run_key",
        "scenario",
        "point",
        "replication",
        "seed",
        "error",
    ]
    assert list(failures["scenario"]) == ["broken"]
    assert "no_such_parameter" in failures["error"].iloc[0]
    assert "\n" not in failures["error"].iloc[0]
    log = (tmp_path / "failures.log").read_text()
    assert "Traceback (most recent call last)" in log and broken.key in log
    assert experiment.manifest["runs_failed"] == 1 and experiment.manifest["runs_done"] == 2
    assert experiment.manifest["status"] == "finished"


def test_a_failed_run_is_retried_on_rerun(tmp_path, params, monkeypatch):
    import simulation.runner

    real = simulation.runner.run_model
    calls = []

    def flaky(p, steps, seed):
        calls.append(seed)
        if len(calls) == 1:
            raise RuntimeError("transient failure")
        return real(p, steps, seed)

    monkeypatch.setattr(simulation.runner, "run_model", flaky)
    specs = specs_for(params, replications=2)
    first = run_specs(specs, tmp_path, workers=1, progress=False)
    assert len(first.failures()) == 1 and len(first.runs()) == 1
    second = run_specs(specs, tmp_path, workers=1, progress=False)
    assert second.failures().empty and len(second.runs()) == 2
    assert second.manifest["runs_done"] == 1 and len(calls) == 3


class _EndsTheWorker:
    """Unpickled in a worker process, ends that process at once (like an out-of-memory kill)."""

    def __reduce__(self):
        import os

        return (os._exit, (3,))


def test_a_worker_that_dies_fails_its_runs_and_the_experiment_ends_cleanly(tmp_path, params):
    specs = specs_for(params, replications=3)
    crash = RunSpec("crash", {**params, "ends_worker": _EndsTheWorker()}, STEPS, 1, 0)
    experiment = run_specs([specs[0], crash, *specs[1:]], tmp_path, workers=2, progress=False)
    everything = experiment.runs(status=None)
    assert set(everything["status"]) <= {"done", "failed"}  # nothing left pending
    assert "crash" in set(experiment.failures()["scenario"])
    assert "terminated abruptly" in (tmp_path / "failures.log").read_text()
    assert experiment.manifest["status"] == "finished"
    assert experiment.manifest["runs_done"] + experiment.manifest["runs_failed"] == 4
    # a process pool cannot be used once a worker died: the runs it lost are retried
    again = run_specs(specs, tmp_path, workers=2, progress=False)
    assert len(again.runs()) == 3 and again.failures().empty


def test_a_failing_task_fails_only_its_own_runs(tmp_path, params, monkeypatch):
    import simulation.experiments.engine as engine

    real = engine.run_chunk

    def lost_task(chunk, store_details):
        if chunk[0].replication == 1:
            raise ConnectionError("worker lost")
        return real(chunk, store_details)

    monkeypatch.setattr(engine, "run_chunk", lost_task)
    experiment = run_specs(specs_for(params, replications=3), tmp_path, workers=1, progress=False)
    assert list(experiment.runs()["replication"]) == [0, 2]
    failures = experiment.failures()
    assert list(failures["replication"]) == [1]
    assert failures["error"].iloc[0] == "ConnectionError: worker lost"


# --- store integrity -----------------------------------------------------------------------


def test_store_is_a_consistent_sqlite_file(tmp_path, params):
    run_specs(specs_for(params, replications=2), tmp_path, workers=1, progress=False)
    connection = sqlite3.connect(tmp_path / "store.sqlite")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_load_experiment_rejects_folders_without_an_experiment(tmp_path):
    with pytest.raises(InputError, match="no such experiment folder"):
        load_experiment(tmp_path / "missing")
    with pytest.raises(InputError, match="not an experiment folder"):
        load_experiment(tmp_path)
