"""``symbiosis compare`` and ``sweep``: outputs, provenance, bad input, kill and resume."""

from __future__ import annotations

import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from interfaces.cli import main
from simulation.experiments import load_experiment
from simulation.outputs import KEY_OUTPUTS, SCALAR_OUTPUTS

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ["elapsed_s", "finished_utc"]


def stable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=VOLATILE).reset_index(drop=True)


@pytest.fixture
def copy_of_baseline(tmp_path):
    path = tmp_path / "baseline_copy.toml"
    path.write_text('description = "the baseline under another name"\nextends = "baseline"\n')
    return path


# --- compare -------------------------------------------------------------------------------


def test_compare_writes_tables_figures_and_provenance(tmp_path, capsys):
    out = tmp_path / "cmp"
    status = main(
        [
            "compare",
            "baseline",
            "landfill_tax",
            "--replications",
            "2",
            "--steps",
            "12",
            "--workers",
            "1",
            "--seed",
            "9",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    for name in (
        "store.sqlite",
        "manifest.json",
        "runs.csv",
        "comparison.csv",
        "comparison.png",
        "timeseries.png",
    ):
        assert (out / name).is_file(), name
    printed = capsys.readouterr().out
    assert "landfill_tax" in printed and "95% CI" in printed and str(out) in printed
    assert "e+" not in printed  # large totals read as 1,234,000, not 1.234e+06
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == [
        "scenario",
        "output",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
    ]
    assert len(comparison) == 2 * len(KEY_OUTPUTS)
    assert set(comparison["n"]) == {2}
    assert list(dict.fromkeys(comparison["scenario"])) == ["baseline", "landfill_tax"]
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 4 and set(SCALAR_OUTPUTS) <= set(runs.columns)
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()  # common random numbers

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["root_seed"] == 9
    assert manifest["steps"] == 12 and manifest["replications"] == 2
    assert manifest["command"].startswith("symbiosis compare baseline landfill_tax ")
    assert "--replications 2" in manifest["command"] and "--seed 9" in manifest["command"]
    for name in ("baseline", "landfill_tax"):
        entry = manifest["scenarios"][name]
        assert len(entry["content_hash"]) == 16 and "landfill_tax_eur_per_t" in entry["parameters"]
    assert manifest["scenarios"]["landfill_tax"]["parameters"]["landfill_tax_eur_per_t"] > 0
    assert manifest["versions"]["python"] == platform.python_version()
    for package in ("symbiosis", "mesa", "numpy", "pandas", "SALib", "networkx"):
        assert manifest["versions"][package] == version(package), package
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40
    assert manifest["started_utc"] <= manifest["finished_utc"]
    assert (manifest["runs_done"], manifest["runs_failed"], manifest["runs_reused"]) == (4, 0, 0)


def test_compare_of_identical_scenarios_gives_zero_paired_differences(tmp_path, copy_of_baseline):
    out = tmp_path / "same"
    assert (
        main(
            [
                "compare",
                "baseline",
                str(copy_of_baseline),
                "--replications",
                "3",
                "--steps",
                "12",
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    comparison = pd.read_csv(out / "comparison.csv")
    copy = comparison[comparison["scenario"] == "baseline_copy"]
    assert len(copy) == len(KEY_OUTPUTS)
    assert (copy[["diff_mean", "diff_ci_low", "diff_ci_high"]] == 0).all().all()
    runs = pd.read_csv(out / "runs.csv")
    a = runs[runs["scenario"] == "baseline"].set_index("replication")[list(KEY_OUTPUTS)]
    b = runs[runs["scenario"] == "baseline_copy"].set_index("replication")[list(KEY_OUTPUTS)]
    pd.testing.assert_frame_equal(a, b)


def test_compare_rerun_with_more_replications_reuses_the_stored_runs(tmp_path):
    out = tmp_path / "more"
    args = [
        "compare",
        "baseline",
        "--steps",
        "12",
        "--workers",
        "1",
        "--quiet",
        "--output",
        "total_exchanges_started",
        "--out",
        str(out),
    ]
    assert main([*args, "--replications", "2"]) == 0
    assert main([*args, "--replications", "3"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_reused"], manifest["runs_done"]) == (2, 1)
    assert pd.read_csv(out / "comparison.csv")["n"].tolist() == [3]


def test_target_ci_stops_as_soon_as_the_target_is_met(tmp_path, capsys):
    out = tmp_path / "loose"
    assert (
        main(
            [
                "compare",
                "baseline",
                "landfill_tax",
                "--replications",
                "2",
                "--steps",
                "12",
                "--workers",
                "1",
                "--quiet",
                "--target-ci",
                "total_exchanges_started=1e9",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "target reached" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["target_ci"]["reached"] is True


def test_target_ci_adds_replications_up_to_the_maximum_and_says_so(tmp_path, capsys):
    out = tmp_path / "tight"
    assert (
        main(
            [
                "compare",
                "baseline",
                "landfill_tax",
                "--replications",
                "2",
                "--steps",
                "12",
                "--workers",
                "1",
                "--quiet",
                "--set",  # twelve months: exchanges must flow at once (model.md 7.12)
                "development_lead_times=false",
                "--set",
                "acquaintance_months=0",
                "--target-ci",
                "total_co2_avoided_t=1e-9",
                "--max-replications",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "target NOT reached" in capsys.readouterr().out
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["n"]) == {4}
    assert "total_co2_avoided_t" in set(comparison["output"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target_ci"]["reached"] is False and manifest["replications"] == 4


# --- sweep ---------------------------------------------------------------------------------


def test_sweep_runs_the_full_factorial_with_parameter_columns(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "sweep",
                "baseline",
                "--param",
                "landfill_tax_eur_per_t=0,50",
                "--param",
                "trust_threshold=0.3,0.5,0.7",
                "--replications",
                "2",
                "--steps",
                "12",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 3 * 2
    assert sorted(
        set(zip(runs["landfill_tax_eur_per_t"], runs["trust_threshold"], strict=True))
    ) == [(t, r) for t in (0.0, 50.0) for r in (0.3, 0.5, 0.7)]
    assert runs.groupby("point")["seed"].apply(tuple).nunique() == 1  # same seeds per point
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 6 and set(points["n"]) == {2}
    for output in KEY_OUTPUTS:
        assert {output, f"{output}_ci_low", f"{output}_ci_high"} <= set(points.columns)
    # Paired differences from the first point, as comparison.csv has them for scenarios.
    assert {"diff_mean", "diff_ci_low", "diff_ci_high"} <= set(points.columns)
    first = KEY_OUTPUTS[0]
    assert (points["diff_output"] == first).all()
    assert points.loc[0, "diff_mean"] == 0 and points.loc[0, f"{first}_diff_mean"] == 0
    paired = runs.pivot_table(index="replication", columns="point", values=first)
    for p in range(6):
        expected = (paired[p] - paired[0]).mean()
        assert points.loc[p, "diff_mean"] == pytest.approx(expected)
        assert points.loc[p, f"{first}_diff_mean"] == pytest.approx(expected)
    printed = capsys.readouterr().out
    assert "trust_threshold" in printed and "e+" not in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and len(manifest["points"]) == 6


def test_sweep_from_an_explicit_design_file(tmp_path):
    design = tmp_path / "design.csv"
    design.write_text(
        "landfill_tax_eur_per_t,platform_tier,operator_funding_eur_per_year\n0,0,0\n80,2,30000\n"
    )
    out = tmp_path / "explicit"
    assert (
        main(
            [
                "sweep",
                "baseline",
                "--design",
                str(design),
                "--replications",
                "1",
                "--steps",
                "12",
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    runs = pd.read_csv(out / "runs.csv")
    assert runs[["landfill_tax_eur_per_t", "platform_tier"]].values.tolist() == [[0, 0], [80, 2]]
    stored = load_experiment(out).runs()
    assert stored["platform_tier"].tolist() == [0, 2]


# --- bad input: exit 2, one line, no output folder ----------------------------------------

BAD_INPUT = {
    "unknown scenario": (["compare", "baseline", "no_such_scenario"], "no_such_scenario"),
    "scenario twice": (["compare", "baseline", "baseline"], "twice"),
    "bad --set": (["compare", "baseline", "--set", "trust_threshold=7"], "trust_threshold"),
    "unknown --output": (["compare", "baseline", "--output", "final_foo"], "final_foo"),
    "bad --target-ci": (
        ["compare", "baseline", "--target-ci", "total_co2_avoided_t=-1"],
        "--target-ci",
    ),
    "target-ci without =": (
        ["compare", "baseline", "--target-ci", "total_co2_avoided_t"],
        "--target-ci",
    ),
    "max below replications": (
        [
            "compare",
            "baseline",
            "--target-ci",
            "total_co2_avoided_t=1",
            "--replications",
            "5",
            "--max-replications",
            "3",
        ],
        "--max-replications",
    ),
    "bad scheduler": (["compare", "baseline", "--scheduler", "nonsense"], "--scheduler"),
    "sweep unknown parameter": (
        ["sweep", "baseline", "--param", "trust_treshold=0.1,0.2"],
        "trust_treshold",
    ),
    "sweep bad value": (
        ["sweep", "baseline", "--param", "trust_threshold=0.1,two"],
        "trust_threshold",
    ),
    "sweep out of range": (
        ["sweep", "baseline", "--param", "trust_threshold=0.1,5"],
        "trust_threshold",
    ),
    "sweep no param": (["sweep", "baseline"], "--param"),
    "sweep param without values": (
        ["sweep", "baseline", "--param", "trust_threshold"],
        "KEY=V1,V2",
    ),
    "sweep param twice": (
        ["sweep", "baseline", "--param", "trust_threshold=0.1", "--param", "trust_threshold=0.2"],
        "twice",
    ),
    "sweep missing design": (["sweep", "baseline", "--design", "missing.csv"], "missing.csv"),
    "sweep design not csv": (["sweep", "baseline", "--design", "explicit"], "--design"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path, capsys, case):
    argv, mentioned = BAD_INPUT[case]
    out = tmp_path / "out"
    assert main([*argv, "--steps", "12", "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symbiosis: error: ") and err.count("\n") == 1, err
    assert mentioned in err
    assert not out.exists()
    assert not any(tmp_path.glob(".out.*"))


@pytest.mark.parametrize(
    "content, mentioned",
    [
        ("landfill_tax_eur_per_t,nonsense\n1,2\n", "nonsense"),
        ("landfill_tax_eur_per_t\n-5\n", "line 2"),
        ("landfill_tax_eur_per_t\n", "no rows"),
        ("landfill_tax_eur_per_t,platform_tier\n1\n", "line 2"),
        ("landfill_tax_start_month,landfill_tax_end_month\n10,5\n", "design point 0"),
    ],
)
def test_bad_design_file_is_one_line_exit_2_and_no_folder(tmp_path, capsys, content, mentioned):
    design = tmp_path / "design.csv"
    design.write_text(content)
    out = tmp_path / "out"
    assert (
        main(
            [
                "sweep",
                "baseline",
                "--design",
                str(design),
                "--steps",
                "12",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("symbiosis: error: ") and err.count("\n") == 1, err
    assert mentioned in err
    assert not out.exists()


def test_argparse_rejects_zero_replications(tmp_path, cli):
    status, _, err = cli("compare", "baseline", "--replications", "0", "--out", tmp_path / "o")
    assert status == 2
    assert "--replications" in err.splitlines()[-1]
    assert not (tmp_path / "o").exists()


# --- interrupted sweeps resume to exactly the uninterrupted result ------------------------

SWEEP = [
    "sweep",
    "baseline",
    "--param",
    "landfill_tax_eur_per_t=0,20,40,60,80,100",
    "--replications",
    "2",
    "--steps",
    "24",
    "--seed",
    "5",
    "--quiet",
]
SWEEP_RUNS = 12  # enough runs after the first two that the kill lands mid-sweep


def _done_in_store(folder: Path) -> int:
    path = folder / "store.sqlite"
    if not path.exists():
        return 0
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return connection.execute(
                "SELECT COUNT(*) FROM results WHERE status = 'done'"
            ).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return 0


def _start_sweep(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", *SWEEP, "--workers", "2", "--out", str(out)],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_runs(process: subprocess.Popen, out: Path, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = _done_in_store(out)
        if done >= at_least:
            return done
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the sweep stored {_done_in_store(out)} runs before it ended or timed out")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "sweep"
    assert main([*SWEEP, "--workers", "1", "--out", str(out)]) == 0
    return stable(load_experiment(out).runs())


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_interrupted_sweep_resumes_to_the_uninterrupted_result(tmp_path, uninterrupted, how):
    out = tmp_path / "sweep"
    process = _start_sweep(out)
    _wait_for_runs(process, out, at_least=2)
    os.killpg(process.pid, getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130
        assert "interrupted; finished results are kept" in stderr
    connection = sqlite3.connect(out / "store.sqlite")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    before = load_experiment(out).runs()
    assert 2 <= len(before) < SWEEP_RUNS, "the sweep finished before it could be interrupted"
    assert not (out / "runs.csv").exists()

    assert main([*SWEEP, "--workers", "1", "--out", str(out)]) == 0
    after = load_experiment(out).runs()
    pd.testing.assert_frame_equal(stable(after), uninterrupted)
    # no finished run was run again: its stored timing is untouched
    kept = after.set_index("run_key").loc[before["run_key"], VOLATILE]
    pd.testing.assert_frame_equal(kept, before.set_index("run_key")[VOLATILE])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_reused"] == len(before)
    assert manifest["runs_done"] == SWEEP_RUNS - len(before)
    assert manifest["status"] == "finished"
    csv = pd.read_csv(out / "runs.csv")
    assert len(csv) == SWEEP_RUNS


def test_sweep_with_series_writes_monthly_means_per_point(tmp_path):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "sweep",
                "baseline",
                "--param",
                "trust_threshold=0.3,0.7",
                "--replications",
                "2",
                "--steps",
                "6",
                "--workers",
                "1",
                "--series",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    series = pd.read_csv(out / "series.csv")
    month = "month" if "month" in series else "step"
    assert sorted(set(zip(series["point"], series[month], strict=True))) == [
        (p, m) for p in (0, 1) for m in sorted(set(series[month]))
    ]
    assert len(set(series[month])) >= 6 and "active_exchanges" in series


def test_compare_api_reaches_a_target_without_the_cli(tmp_path):
    from analysis.experiments import compare_scenarios
    from scenarios.loader import load_scenario

    batches: list[str] = []
    result = compare_scenarios(
        [load_scenario("baseline"), load_scenario("facilitation")],
        tmp_path / "cmp",
        replications=2,
        steps=12,
        workers=1,
        progress=False,
        target=("total_exchanges_started", 1e9),
        on_batch=batches.append,
    )
    assert result.reached is True and result.replications == 2 and batches == []
    assert set(result.table["scenario"]) == {"baseline", "facilitation"}
