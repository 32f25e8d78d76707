"""Fault tests: results folders a user can reopen without fear, inputs bounded before work.

A store executes nothing it reads (a crafted pickle, a foreign blob), a corrupt store is one
line, an edited model recomputes what it stored, one folder holds one experiment, hostile park
and scenario files are one line, kill -9 of a parallel sweep leaves no process behind and a
resume equals an uninterrupted run.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interfaces.cli import main
from scenarios.bounds import MAX_FIRMS, MAX_RUNS, MAX_STEPS
from simulation.experiments import load_experiment
from simulation.experiments.store import StoreError, pack_frame, unpack_frame

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scenarios", "agents", "simulation", "analysis", "interfaces")
VOLATILE = ["elapsed_s", "finished_utc"]


def cli(*argv: object) -> tuple[int, str, str]:
    """Run the CLI in this process; (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as error:  # argparse's usage errors
            status = int(error.code or 0)
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert err.startswith("symbiosis: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A small compare folder (two runs stored with their tables)."""
    out = tmp_path_factory.mktemp("faults") / "compare"
    status, _, err = cli(
        "compare", "baseline", "--replications", "2", "--steps", "4", "--workers", "1",
        "--out", out, "--quiet",
    )  # fmt: skip
    assert status == 0, err
    return out


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# --- a store of data, not code ---------------------------------------------------------------


class _Payload:
    """Unpickling this creates the file ``marker``: the code execution a store must never do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_tables_round_trip_with_their_dtypes():
    from simulation.runner import run_model

    result = run_model({}, 3, 1)
    for frame in (result.timeseries, result.exchanges, result.firms, result.exchanges.iloc[:0]):
        back = unpack_frame(pack_frame(frame))
        pd.testing.assert_frame_equal(back, frame.reset_index(drop=True), check_exact=True)


def test_a_pickle_in_place_of_a_table_is_never_unpickled(tmp_path):
    marker = tmp_path / "executed"
    for blob in (
        pickle.dumps(_Payload(marker)),
        zlib.compress(pickle.dumps(_Payload(marker))),  # the old store's format
        b"\x00" * 64,
    ):
        with pytest.raises(StoreError, match="not an Arrow table"):
            unpack_frame(blob)
    assert not marker.exists()


def test_a_store_of_the_old_pickled_format_is_refused_and_runs_nothing(tmp_path):
    """A version-1 store (its tables pickled) with a crafted row: every reader refuses it."""
    marker = tmp_path / "executed"
    folder = tmp_path / "old"
    folder.mkdir()
    connection = sqlite3.connect(folder / "store.sqlite")
    connection.executescript(
        "CREATE TABLE results (run_key TEXT PRIMARY KEY, seed INTEGER, steps INTEGER, "
        "status TEXT, elapsed_s REAL, outputs TEXT, error TEXT, finished_utc TEXT);"
        "CREATE TABLE members (scenario TEXT, point INTEGER, replication INTEGER, "
        "run_key TEXT, seed INTEGER, steps INTEGER, labels TEXT);"
        "CREATE TABLE details (run_key TEXT PRIMARY KEY, timeseries BLOB, exchanges BLOB, "
        "firms BLOB);"
    )
    blob = zlib.compress(pickle.dumps(_Payload(marker)))
    with connection:
        connection.execute("INSERT INTO results VALUES ('k', 1, 4, 'done', 0.1, '{}', NULL, '')")
        connection.execute("INSERT INTO members VALUES ('baseline', 0, 0, 'k', 1, 4, '{}')")
        connection.execute("INSERT INTO details VALUES ('k', ?, ?, ?)", (blob, blob, blob))
    connection.close()
    (folder / "manifest.json").write_text('{"kind": "compare", "scenarios": {"baseline": {}}}')
    for argv in (
        ["figures", folder, "--quiet"],
        ["report", folder, "--quiet"],
        ["compare", "baseline", "--replications", "1", "--steps", "4", "--out", folder],
        ["sweep", "baseline", "--param", "trust_threshold=0.5", "--out", folder],
    ):
        status, _, err = cli(*argv)
        assert_one_line_error(status, err, "older format")
    assert not marker.exists()


def test_a_crafted_blob_in_a_current_store_runs_nothing_and_fails_in_one_line(compared, tmp_path):
    marker = tmp_path / "executed"
    folder = copy_folder(compared, tmp_path / "planted")
    connection = sqlite3.connect(folder / "store.sqlite")
    with connection:
        connection.execute(
            "UPDATE details SET timeseries = ?, firms = ?",
            (pickle.dumps(_Payload(marker)), b"foreign bytes"),
        )
    connection.close()
    with pytest.raises(StoreError, match="not an Arrow table"):
        load_experiment(folder).timeseries()
    for argv in (["figures", folder, "--quiet"], ["report", folder, "--quiet"]):
        status, _, err = cli(*argv)
        assert_one_line_error(status, err, "not an Arrow table")
    assert not marker.exists()


def test_an_arrow_table_of_a_type_this_package_never_writes_is_refused():
    import pyarrow as pa

    table = pa.table({"when": pa.array([1, 2], pa.timestamp("s"))})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    with pytest.raises(StoreError, match="never writes"):
        unpack_frame(sink.getvalue().to_pybytes())


# --- corrupt, truncated and foreign stores ---------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign database", "bad row"])
def test_a_damaged_store_is_one_line_for_every_reader(compared, tmp_path, damage):
    folder = copy_folder(compared, tmp_path / damage.replace(" ", "_"))
    path = folder / "store.sqlite"
    for extra in folder.glob("store.sqlite-*"):
        extra.unlink()
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:3000])
    elif damage == "garbage":
        path.write_bytes(b"not a database at all " * 300)
    elif damage == "foreign database":
        path.unlink()
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        connection.execute("INSERT INTO meta VALUES ('format', 'someone else')")
        connection.commit()
        connection.close()
    else:
        connection = sqlite3.connect(path)
        with connection:
            connection.execute("UPDATE results SET outputs = 'not json'")
        connection.close()
    for argv in (
        ["compare", "baseline", "--replications", "2", "--steps", "4", "--workers", "1",
         "--out", folder, "--quiet"],
        ["sweep", "baseline", "--param", "trust_threshold=0.5", "--replications", "1",
         "--steps", "4", "--workers", "1", "--out", folder, "--quiet"],
        ["figures", folder, "--quiet"],
        ["report", folder, "--quiet"],
    ):  # fmt: skip
        status, _, err = cli(*argv)
        assert_one_line_error(status, err, str(folder))


def test_a_corrupt_manifest_is_one_line(compared, tmp_path):
    folder = copy_folder(compared, tmp_path / "manifest")
    (folder / "manifest.json").write_text("{not json")
    status, _, err = cli("figures", folder, "--quiet")
    assert_one_line_error(status, err, "manifest")


# --- one folder, one experiment; provenance ----------------------------------------------------


def test_a_different_experiment_is_refused_naming_the_folder_and_the_difference(tmp_path):
    out = tmp_path / "sweep"
    common = ["--replications", "1", "--steps", "3", "--workers", "1", "--out", out, "--quiet"]
    assert cli("sweep", "baseline", "--param", "trust_threshold=0.4,0.5", *common)[0] == 0
    before = (out / "runs.csv").read_text()
    status, _, err = cli("sweep", "baseline", "--param", "awareness_mean=0.4,0.5", *common)
    assert_one_line_error(status, err, str(out), "another experiment", "awareness_mean")
    status, _, err = cli("sweep", "baseline", "--param", "trust_threshold=0.4,0.5", "--steps", "4",
                         *common[:2], *common[4:])  # fmt: skip
    assert_one_line_error(status, err, "steps: 3 there, 4 here")
    assert (out / "runs.csv").read_text() == before
    assert len(load_experiment(out).runs()) == 2


def test_the_manifest_keeps_one_entry_per_invocation(tmp_path):
    out = tmp_path / "compare"
    common = ["--steps", "3", "--workers", "1", "--out", out, "--quiet"]
    assert cli("compare", "baseline", "--replications", "2", *common)[0] == 0
    first = json.loads((out / "manifest.json").read_text())["invocations"]
    assert cli("compare", "baseline", "--replications", "3", *common)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entries = manifest["invocations"]
    assert entries[0] == first[0]  # never rewritten
    assert [(e["runs_added"], e["runs_reused"], e["runs_failed"]) for e in entries] == [
        (2, 0, 0),
        (1, 2, 0),
    ]
    for entry in entries:
        assert entry["command"].startswith("symbiosis compare baseline")
        assert entry["started_utc"] <= entry["finished_utc"]
        assert entry["fingerprint"] == manifest["fingerprint"] and entry["package_version"]
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["fingerprint"]) == {manifest["fingerprint"]}


def test_the_manifest_is_strict_json(compared):
    text = (compared / "manifest.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in manifest.json"))


# --- clean failures of --out ---------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "baseline", "--steps", "2"],
        ["compare", "baseline", "--replications", "1", "--steps", "2"],
        ["sweep", "baseline", "--param", "trust_threshold=0.5", "--steps", "2"],
        ["sensitivity", "baseline", "--method", "morris", "--samples", "2", "--steps", "2"],
    ],
)
@pytest.mark.parametrize("out", ["", "a_file", "a_file/below"])
def test_an_out_that_is_empty_or_a_file_is_one_line_before_any_work(
    tmp_path, monkeypatch, argv, out
):
    (tmp_path / "a_file").write_text("mine")
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(*argv, "--out", out)
    assert_one_line_error(status, err, "is empty" if not out else "is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
    assert (tmp_path / "a_file").read_text() == "mine"


def test_figures_and_report_refuse_an_empty_or_file_out(compared, tmp_path):
    (tmp_path / "a_file").write_text("mine")
    for argv, words in (
        (["figures", compared, "--out", ""], "is empty"),
        (["figures", compared, "--out", tmp_path / "a_file"], "is a file"),
        (["report", compared, "--out", ""], "is empty"),
    ):
        status, _, err = cli(*argv)
        assert_one_line_error(status, err, words)


def test_run_into_earlier_results_is_refused_and_overwrite_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "run"
    assert cli("run", "baseline", "--steps", "2", "--out", out)[0] == 0
    assert (out / "overview.png").is_file()
    (out / "mine.txt").write_text("an earlier file")
    status, _, err = cli("run", "baseline", "--steps", "2", "--out", out, "--no-figure")
    assert_one_line_error(status, err, str(out), "--overwrite")
    assert (out / "overview.png").is_file()
    assert (
        cli("run", "baseline", "--steps", "2", "--out", out, "--no-figure", "--overwrite")[0] == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "exchanges.csv",
        "firms.csv",
        "summary.json",
        "timeseries.csv",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_experiment_into_other_results_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    assert cli("run", "baseline", "--steps", "2", "--out", out)[0] == 0
    argv = ["compare", "baseline", "--replications", "1", "--steps", "2", "--workers", "1",
            "--out", out, "--quiet"]  # fmt: skip
    status, _, err = cli(*argv)
    assert_one_line_error(status, err, str(out), "not an experiment", "--overwrite")
    assert cli(*argv, "--overwrite")[0] == 0
    assert not (out / "overview.png").exists() and (out / "comparison.csv").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_temporaries_of_killed_processes_are_removed_by_the_next_start(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".run._{dead.pid}_abc"
    stale.mkdir()
    (stale / "timeseries.csv").write_text("half")
    mine = tmp_path / f".run._{os.getpid()}_def"  # a process still running: kept
    mine.mkdir()
    assert cli("run", "baseline", "--steps", "2", "--out", tmp_path / "run", "--no-figure")[0] == 0
    assert not stale.exists() and mine.exists()


def test_a_closed_pipe_ends_a_listing_quietly(monkeypatch):
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    with redirect_stderr(err):
        assert main(["parameters"]) == 0
    assert err.getvalue() == ""


# --- bounds declared and checked before work --------------------------------------------------


def test_bounds_are_declared_where_issue_18_asks():
    from scenarios.parameters import PARAMETERS

    assert MAX_FIRMS == 200_000 and PARAMETERS["n_firms"].high == MAX_FIRMS
    assert MAX_STEPS >= 120 and MAX_RUNS >= 100_000


@pytest.mark.parametrize(
    "park, words",
    [
        ('[[groups]]\nsector = "food"\ncount = 10000000\n', "count must be at most 200,000"),
        (
            '[[groups]]\nsector = "food"\ncount = 150000\n'
            '[[groups]]\nsector = "food"\ncount = 150000\n',
            "300,001 firms",
        ),
        ('[[firms]]\nname = "a"\nsector = "food"\nsize = 1e308\n', "size must be at most"),
        ('[[firms]]\nname = "a"\nsector = "food"\nsize = inf\n', "size must be a number"),
        ('[[groups]]\nsector = "food"\ncount = 5\nsize_sigma = 50\n', "size_sigma"),
        ('[[groups]]\nsector = "food"\ncount = 5\ncentre_km = [1e9, 0]\n', "centre_km"),
        ('radius_km = 1e300\n[[groups]]\nsector = "food"\ncount = 5\n', "radius_km"),
    ],
)
def test_validate_refuses_parks_beyond_the_declared_bounds(tmp_path, park, words):
    path = tmp_path / "park.toml"
    path.write_text('generator = "explicit"\n' + park + '[[firms]]\nname = "z"\nsector = "food"\n')
    status, _, err = cli("validate", path)
    assert_one_line_error(status, err, words)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["run", "baseline", "--steps", "1000000000"], "at most 1200 months"),
        (["compare", "baseline", "landfill_tax", "--replications", "100000000"], "runs is above"),
        (
            [
                "sweep",
                "baseline",
                "--param",
                "trust_threshold=0.1,0.2",
                "--replications",
                str(MAX_RUNS),
            ],
            "runs is above",
        ),  # fmt: skip
        (
            ["sensitivity", "baseline", "--method", "sobol", "--samples", str(2**40), "--out", "s"],
            "runs per experiment",
        ),  # fmt: skip
        (["run", "baseline", "--set", f"n_firms={MAX_FIRMS + 1}"], "n_firms"),
    ],
)
def test_sizes_beyond_the_caps_are_refused_before_work(tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(*argv)
    assert_one_line_error(status, err, words)
    assert list(tmp_path.iterdir()) == []


# --- hostile scenario and park files (property-based) -----------------------------------------

_KEYS = st.sampled_from(
    [
        "generator", "radius_km", "firms", "groups", "mix", "name", "sector", "count", "size",
        "size_median", "size_sigma", "centre_km", "x_km", "y_km", "historical_exchanges",
        "firms_per_town", "town_radius_km", "extends", "description", "parameters", "policy",
        "landfill_tax", "rate_eur_per_t", "start_month", "end_month", "n_firms", "park",
        "trust_threshold", "sensitivity", "zzz",
    ]
)  # fmt: skip
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["explicit", "synthetic", "regional", "food", "baseline", "kokkola", ""]),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12,
)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + "}"


def _toml(document: dict) -> str:
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for table in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


_HOSTILE = st.one_of(
    st.dictionaries(_KEYS, _VALUES, max_size=6).map(_toml),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda data: data.decode("latin-1")),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_HOSTILE)
def test_hostile_scenario_and_park_files_are_ok_or_one_line(tmp_path, text):
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    status, out, err = cli("validate", path)
    if status == 0:
        assert out.startswith(f"{path}: ok") and err == ""
    else:
        assert_one_line_error(status, err, str(path))


# --- the model edit --------------------------------------------------------------------------


def _model_copy(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


def _subprocess_cli(code_root: Path, *argv: object, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(code_root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *map(str, argv)],
        env=env,
        cwd=code_root,  # python -m puts the working folder first on the path
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def test_an_edited_model_recomputes_its_stored_runs(tmp_path):
    code = _model_copy(tmp_path / "code")
    out = tmp_path / "sweep"
    argv = ["sweep", "baseline", "--param", "trust_threshold=0.4,0.6", "--replications", "2",
            "--steps", "6", "--workers", "1", "--out", out, "--quiet"]  # fmt: skip
    first = _subprocess_cli(code, *argv)
    assert first.returncode == 0, first.stderr
    before = pd.read_csv(out / "runs.csv")
    again = _subprocess_cli(code, *argv)  # same model: everything reused, no notice
    assert again.returncode == 0 and "another version" not in again.stderr
    model = code / "simulation" / "model.py"
    source = model.read_text()
    edited = source.replace("TRUST_EXIT_MARGIN = 0.1", "TRUST_EXIT_MARGIN = 0.4")
    model.write_text(edited if edited != source else source + "\nEDITED_CONSTANT = 1\n")
    kept = _subprocess_cli(code, *argv, "--keep-stale")
    assert kept.returncode == 0 and "another version" not in kept.stderr
    rerun = _subprocess_cli(code, *argv)
    assert rerun.returncode == 0, rerun.stderr
    notice = [line for line in rerun.stderr.splitlines() if "another version" in line]
    entries = json.loads((out / "manifest.json").read_text())["invocations"]
    assert len(notice) == 1, (rerun.stderr, entries)
    assert "4 stored runs" in notice[0] and "recomputed" in notice[0]
    after = pd.read_csv(out / "runs.csv")
    entries = json.loads((out / "manifest.json").read_text())["invocations"]
    assert [(e["runs_added"], e["runs_reused"]) for e in entries] == [
        (4, 0),
        (0, 4),
        (0, 4),
        (4, 0),
    ]
    assert len(after) == 4 and after["fingerprint"].nunique() == 1
    assert set(after["fingerprint"]).isdisjoint(before["fingerprint"])
    assert entries[-1]["fingerprint"] != entries[0]["fingerprint"]


# --- kill -9 of a parallel sweep --------------------------------------------------------------


def _tagged_processes(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (the CLI and everything it started)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if tag.encode() in environ.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_of_a_parallel_sweep_leaves_nothing_and_a_resume_equals_a_whole_run(tmp_path, seed):
    argv = ["sweep", "baseline", "--param", "trust_threshold=0.3,0.5,0.7", "--replications", "3",
            "--steps", "12", "--quiet"]  # fmt: skip
    tag = f"symbiosis-fault-test-{uuid.uuid4().hex}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYMBIOSIS_TEST_TAG": tag}
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", *argv, "--workers", "2", "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while len(_tagged_processes(tag)) < 4 and process.poll() is None:  # workers started
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(random.Random(seed).uniform(0.0, 3.0))
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while _tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _tagged_processes(tag)
    for pid in left:  # do not leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert left == [], "processes alive 10 s after kill -9 of the main process"

    status, _, err = cli(*argv, "--workers", "2", "--out", out)
    assert status == 0, err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    whole = tmp_path / "whole"
    assert cli(*argv, "--workers", "1", "--out", whole)[0] == 0
    resumed = pd.read_csv(out / "runs.csv").drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(resumed, pd.read_csv(whole / "runs.csv").drop(columns=VOLATILE))
    assert (out / "points.csv").read_text() == (whole / "points.csv").read_text()


def test_two_processes_resume_one_folder_at_once(tmp_path):
    out = tmp_path / "both"
    argv = ["compare", "baseline", "--replications", "4", "--steps", "6", "--workers", "1",
            "--out", out, "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "interfaces.cli", *map(str, argv)]
    processes = [
        subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    runs = load_experiment(out).runs()
    assert sorted(runs["replication"]) == [0, 1, 2, 3]
    entries = json.loads((out / "manifest.json").read_text())["invocations"]
    assert len(entries) == 2
    assert sum(e["runs_added"] for e in entries) >= 4


def test_manifest_temporaries_of_killed_processes_are_removed(compared, tmp_path):
    from simulation.experiments.manifest import write_manifest

    folder = copy_folder(compared, tmp_path / "manifest_temporary")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / f".manifest.json.{dead.pid}.tmp").write_text("half")
    write_manifest(folder, {"kind": "compare", "undefined": float("nan")})
    assert not list(folder.glob(".manifest.json.*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["undefined"] is None and len(manifest["invocations"]) == 1


def test_validate_refuses_instrument_months_beyond_the_cap_on_months(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text(f"[policy.landfill_tax]\nlevel = 10.0\nstart_month = {MAX_STEPS + 1}\n")
    status, _, err = cli("validate", path)
    assert_one_line_error(status, err, "start_month")
