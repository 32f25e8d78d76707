"""Fault tests of the experiment engine: one folder, one experiment for every experiment command,
stale runs recomputed after one notice (a park file edited, a default changed), and workers of a
Dask cluster that end when the main process is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiments import load_experiment
from tests.test_faults import (
    ROOT,
    _model_copy,
    _subprocess_cli,
    _tagged_processes,
    assert_one_line_error,
    cli,
)

STALE = "another version of the model"


def _notices(err: str) -> list[str]:
    return [line for line in err.splitlines() if STALE in line]


def _entries(folder: Path) -> list[tuple[int, int]]:
    entries = json.loads((folder / "manifest.json").read_text())["invocations"]
    return [(entry["runs_added"], entry["runs_reused"]) for entry in entries]


# --- one folder, one experiment ----------------------------------------------------------------


SENSITIVITY = ["sensitivity", "baseline", "--method", "morris", "--param", "trust_threshold",
               "--param", "awareness_mean", "--replications", "1", "--steps", "3",
               "--workers", "1", "--quiet", "--no-figures"]  # fmt: skip


def test_sensitivity_refuses_another_experiment_and_resumes_the_same(tmp_path):
    out = tmp_path / "sensitivity"
    status, _, err = cli(*SENSITIVITY, "--samples", "2", "--out", out)
    assert status == 0, err
    indices = (out / "indices.csv").read_text()
    status, _, err = cli(*SENSITIVITY, "--samples", "4", "--out", out)
    assert_one_line_error(status, err, str(out), "another experiment", "samples")
    status, _, err = cli(*SENSITIVITY, "--samples", "2", "--seed", "5", "--out", out)
    assert_one_line_error(status, err, str(out), "another experiment", "root_seed")
    assert (out / "indices.csv").read_text() == indices
    status, _, err = cli(*SENSITIVITY, "--samples", "2", "--out", out)
    assert status == 0 and not _notices(err), err
    assert _entries(out / "runs") == [(6, 0), (0, 6)]
    assert (out / "indices.csv").read_text() == indices


def test_explore_refuses_another_experiment_and_resumes_the_same(tmp_path):
    out = tmp_path / "explore"
    common = ["explore", "baseline", "--param", "awareness_mean", "--steps", "3",
              "--workers", "1", "--quiet", "--out", out]  # fmt: skip
    status, _, err = cli(*common, "--samples", "3")
    assert status == 0, err
    status, _, err = cli(*common, "--samples", "3", "--sampler", "sobol")
    assert_one_line_error(status, err, str(out), "another experiment", "sampler")
    status, _, err = cli(*common, "--samples", "3")
    assert status == 0, err
    assert _entries(out) == [(3, 0), (0, 3)]
    assert len(load_experiment(out).runs()) == 3


def test_explore_overwrite_replaces_the_folder_and_keep_stale_is_honoured(tmp_path):
    out = tmp_path / "explore"
    common = ["explore", "baseline", "--param", "awareness_mean", "--steps", "3",
              "--workers", "1", "--quiet", "--out", out]  # fmt: skip
    assert cli(*common, "--samples", "3")[0] == 0
    (out / "stray.txt").write_text("an earlier file")
    status, _, err = cli(*common, "--samples", "2", "--sampler", "sobol", "--overwrite")
    assert status == 0, err
    assert not (out / "stray.txt").exists()
    assert _entries(out) == [(2, 0)]
    assert len(load_experiment(out).runs()) == 2


def test_an_out_that_is_a_file_is_one_line_for_explore_optimise_and_discover(tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    status, _, err = cli("explore", "baseline", "--samples", "2", "--steps", "2", "--out", file)
    assert_one_line_error(status, err, str(file))
    status, _, err = cli("optimise", "baseline", "--param", "landfill_tax_eur_per_t",
                         "--objective", "total_co2_avoided_t:max", "--steps", "2",
                         "--out", file)  # fmt: skip
    assert_one_line_error(status, err, str(file))


# --- stale runs: recomputed after one notice, never refused ----------------------------------


def test_an_edited_park_file_recomputes_its_runs_after_one_notice(tmp_path):
    park = tmp_path / "park.toml"
    text = (ROOT / "scenarios" / "parks" / "synthetic.toml").read_text()
    park.write_text(text)
    out = tmp_path / "compare"
    argv = ["compare", "baseline", "--park", park, "--replications", "2", "--steps", "4",
            "--workers", "1", "--quiet", "--out", out]  # fmt: skip
    status, _, err = cli(*argv)
    assert status == 0, err
    before = pd.read_csv(out / "runs.csv")
    status, _, err = cli(*argv)
    assert status == 0 and not _notices(err), err
    park.write_text(text.replace("services = 44", "services = 4"))
    status, _, err = cli(*argv, "--keep-stale")
    assert status == 0 and not _notices(err), err
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "runs.csv").drop(columns=["finished_utc", "elapsed_s"]),
        before.drop(columns=["finished_utc", "elapsed_s"]),
    )
    status, _, err = cli(*argv)
    assert status == 0, err
    notice = _notices(err)
    assert len(notice) == 1 and err.count("\n") == 1, err
    assert str(out) in notice[0] and "2 stored runs" in notice[0] and "recomputed" in notice[0]
    after = pd.read_csv(out / "runs.csv")
    assert len(after) == 2
    assert set(after["run_key"]).isdisjoint(before["run_key"])
    assert _entries(out) == [(2, 0), (0, 2), (0, 2), (2, 0)]


def test_a_changed_default_makes_runs_stale_not_another_experiment(tmp_path):
    code = _model_copy(tmp_path / "code")
    out = tmp_path / "sweep"
    argv = ["sweep", "baseline", "--param", "awareness_mean=0.4,0.6", "--replications", "2",
            "--steps", "6", "--workers", "1", "--out", out, "--quiet"]  # fmt: skip
    first = _subprocess_cli(code, *argv)
    assert first.returncode == 0, first.stderr
    parameters = code / "scenarios" / "parameters.py"
    source = parameters.read_text()
    declaration = '"trust_threshold",\n        0.5,'
    assert declaration in source
    parameters.write_text(source.replace(declaration, '"trust_threshold",\n        0.3,'))
    rerun = _subprocess_cli(code, *argv)
    assert rerun.returncode == 0, rerun.stderr
    notice = _notices(rerun.stderr)
    assert len(notice) == 1 and "4 stored runs" in notice[0], rerun.stderr
    runs = load_experiment(out).runs(status=None)
    assert len(runs) == 4 and (runs["status"] == "done").all()
    assert _entries(out) == [(4, 0), (4, 0)]


def test_an_edited_model_recomputes_a_sensitivity_analysis_after_one_notice(tmp_path):
    code = _model_copy(tmp_path / "code")
    out = tmp_path / "sensitivity"
    argv = [*SENSITIVITY, "--samples", "2", "--out", out]
    first = _subprocess_cli(code, *argv)
    assert first.returncode == 0, first.stderr
    model = code / "simulation" / "model.py"
    model.write_text(model.read_text() + "\nEDITED_CONSTANT = 1\n")
    kept = _subprocess_cli(code, *argv, "--keep-stale")
    assert kept.returncode == 0 and not _notices(kept.stderr), kept.stderr
    rerun = _subprocess_cli(code, *argv)
    assert rerun.returncode == 0, rerun.stderr
    notice = _notices(rerun.stderr)
    assert len(notice) == 1 and "6 stored runs" in notice[0], rerun.stderr
    assert _entries(out / "runs") == [(6, 0), (0, 6), (6, 0)]


# --- Dask workers end with the main process ---------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_dask_sweep_leaves_no_worker_alive(tmp_path):
    pytest.importorskip("distributed", reason="the Dask executor needs the [cluster] extra")
    argv = ["sweep", "baseline", "--param", "trust_threshold=0.3,0.5,0.7", "--replications", "4",
            "--steps", "24", "--quiet", "--scheduler", "local", "--workers", "2"]  # fmt: skip
    tag = f"symbiosis-dask-fault-test-{uuid.uuid4().hex}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYMBIOSIS_TEST_TAG": tag}
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", *argv, "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while len(_tagged_processes(tag)) < 4 and process.poll() is None:  # workers started
        assert time.monotonic() < deadline, "the Dask workers did not start"
        time.sleep(0.2)
    assert process.poll() is None, "the sweep ended before it could be killed"
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while _tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _tagged_processes(tag)
    for pid in left:  # do not leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert left == [], "Dask processes alive 15 s after kill -9 of the main process"
    status, _, err = cli(*argv[:-4], "--workers", "1", "--out", out)
    assert status == 0, err
    assert len(load_experiment(out).runs()) == 12


def test_every_worker_of_a_local_dask_cluster_watches_the_main_process():
    pytest.importorskip("distributed", reason="the Dask executor needs the [cluster] extra")
    import threading

    from simulation.experiments.engine import make_executor

    def watchdogs() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name == "main-process-watchdog"]

    with make_executor(2, "local") as (executor, n):
        assert n == 2
        client = executor._client  # type: ignore[attr-defined]
        per_worker = client.run(watchdogs)
    assert len(per_worker) == 2
    assert all(names == ["main-process-watchdog"] for names in per_worker.values()), per_worker


def test_the_watchdog_ends_its_process_when_the_watched_one_dies(tmp_path):
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    code = (
        "import time\n"
        "from simulation.experiments.engine import watch_main_process\n"
        f"watch_main_process({watched.pid})\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    time.sleep(2.0)
    assert worker.poll() is None, "the watchdog ended its process while the watched one lives"
    watched.kill()
    watched.wait()
    try:
        status = worker.wait(timeout=10)
    finally:
        worker.kill()
    assert status == 1


# --- finished runs are committed in batches, and none is lost on an interrupt ----------------

_CALLS = {"count": 0, "interrupt_at": None}


def interrupting_model(params: dict, steps: int, seed: int) -> dict[str, float]:
    """A test model: a few outputs from the seed; raises KeyboardInterrupt at a chosen call."""
    _CALLS["count"] += 1
    if _CALLS["count"] == _CALLS["interrupt_at"]:
        raise KeyboardInterrupt
    return {"total_exchanges_started": float(seed % 97), "mean_recovery_rate": 0.5}


def test_runs_finished_before_an_interrupt_are_stored_and_not_run_again(tmp_path, monkeypatch):
    from scenarios.loader import load_scenario
    from simulation.experiments import RunSpec, engine, replication_seeds, run_specs

    monkeypatch.setattr(engine, "WRITE_SECONDS", 3600.0)  # only the interrupt commits them
    params = load_scenario("baseline").parameters()
    model = f"{__name__}:interrupting_model"
    specs = [RunSpec("baseline", params, 1, seed, k, model=model)
             for k, seed in enumerate(replication_seeds(3, 12))]  # fmt: skip
    _CALLS.update(count=0, interrupt_at=8)
    with pytest.raises(KeyboardInterrupt):
        run_specs(specs, tmp_path / "runs", workers=1, progress=False, store_details=False)
    stored = load_experiment(tmp_path / "runs").runs()
    assert len(stored) == 7
    _CALLS.update(count=0, interrupt_at=None)
    experiment = run_specs(specs, tmp_path / "runs", workers=1, progress=False)
    assert _CALLS["count"] == 5
    runs = experiment.runs()
    assert len(runs) == 12
    assert list(runs.sort_values("replication")["total_exchanges_started"]) == [
        float(s % 97) for s in replication_seeds(3, 12)
    ]


def test_optimise_refuses_another_search_and_resumes_the_same(tmp_path):
    pytest.importorskip("pymoo", reason="optimise needs the [design] extra")
    out = tmp_path / "optimise"
    common = ["optimise", "baseline", "--param", "landfill_tax_eur_per_t=0:150",
              "--objective", "total_co2_avoided_t:max", "--population", "4", "--generations",
              "1", "--replications", "1", "--steps", "3", "--workers", "1", "--quiet",
              "--no-figures", "--out", out]  # fmt: skip
    status, _, err = cli(*common)
    assert status == 0, err
    pareto = (out / "pareto.csv").read_text()
    status, _, err = cli(*common, "--seed", "3")
    assert_one_line_error(status, err, str(out), "another experiment", "root_seed")
    assert (out / "pareto.csv").read_text() == pareto
    status, _, err = cli(*common)
    assert status == 0 and not _notices(err), err
    assert (out / "pareto.csv").read_text() == pareto
    added = [entry[0] for entry in _entries(out)]
    assert added[0] == 4 and added[-1] == 0
