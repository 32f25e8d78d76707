"""Calibration: targets files, ABC-SMC through the engine, resume, and the validation table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.calibration import (
    CalibrationError,
    calibrate,
    validation_table,
    write_calibration,
)
from analysis.test_problems import DORMANT_BELOW, DORMANT_MODEL, TOY_MODEL, TOY_TRUTH
from scenarios.loader import load_scenario
from scenarios.parks import load_park_spec
from scenarios.targets import TargetsError, load_targets

TOY = """
description = "toy"
park = "synthetic"
months = 12

[[targets]]
name = "co2"
output = "total_co2_avoided_t"
statistic = "scalar"
observed = {co2}
uncertainty = 0.02
source = "simulated at a known truth"
role = "fit"

[[targets]]
name = "exchanged"
output = "total_exchanged_t"
statistic = "scalar"
observed = {exchanged}
uncertainty = 0.02
source = "simulated at a known truth"
role = "fit"

[[targets]]
name = "landfilled"
output = "total_landfilled_t"
statistic = "scalar"
observed = {landfilled}
uncertainty = 0.02
source = "simulated at a known truth"
role = "holdout"

[fit]
trust_threshold = [0.0, 1.0]
awareness_mean = [0.0, 1.0]
"""


def _toy_file(tmp_path: Path, **observed: float) -> Path:
    values = {
        "co2": TOY_TRUTH["trust_threshold"],
        "exchanged": TOY_TRUTH["awareness_mean"],
        "landfilled": TOY_TRUTH["trust_threshold"] + TOY_TRUTH["awareness_mean"],
        **observed,
    }
    path = tmp_path / "toy.toml"
    path.write_text(TOY.format(**values))
    return path


def _toy_calibration(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    out: Path,
    observed: dict[str, float] | None = None,
    model: str = TOY_MODEL,
    **options: object,
):
    settings = {"population": 30, "generations": 4, "max_simulations": 600, "seed": 3}
    settings.update(options)
    return calibrate(
        _toy_file(tmp_path, **(observed or {})),
        out,
        workers=1,
        progress=False,
        model=model,
        **settings,  # type: ignore[arg-type]
    )


def test_posterior_covers_the_known_truth_and_narrows(tmp_path: Path) -> None:
    result = _toy_calibration(tmp_path, tmp_path / "out")
    write_calibration(result, figures=False)
    posterior = result.posterior
    for name, truth in TOY_TRUTH.items():
        low, high = posterior[name].quantile([0.02, 0.98])
        assert low <= truth <= high, (name, low, high)
        # the prior is uniform on [0, 1] (sd 0.29): the data must have narrowed it
        assert posterior[name].std() < 0.15
    diagnostics = result.diagnostics
    assert list(diagnostics["generation"]) == list(range(len(diagnostics)))
    assert diagnostics["epsilon"].is_monotonic_decreasing
    assert (diagnostics["acceptance_rate"] > 0).all() and (
        diagnostics["acceptance_rate"] <= 1
    ).all()
    assert (diagnostics["ess"] <= diagnostics["particles"] + 1e-9).all()
    scenario = load_scenario(tmp_path / "out" / "calibrated.toml").parameters()
    for name, truth in TOY_TRUTH.items():
        assert abs(scenario[name] - truth) < 0.15


def test_a_prior_mostly_dormant_does_not_hold_epsilon_at_its_tied_distance(
    tmp_path: Path,
) -> None:
    # 60 % of the prior gives all-zero outputs, all at one distance from the observation: a
    # plain median epsilon would equal that distance in every generation and keep them.
    truth = {"co2": 0.6, "exchanged": 0.8, "landfilled": 1.4}
    dormant_distance = (0.6**2 + 0.8**2) ** 0.5 / 0.02
    result = _toy_calibration(
        tmp_path,
        tmp_path / "out",
        observed=truth,
        model=DORMANT_MODEL,
        generations=3,
        max_simulations=2000,
        seed=5,
    )
    assert (result.diagnostics["epsilon"] < dormant_distance).all()
    assert (result.posterior["awareness_mean"] >= DORMANT_BELOW).all()
    assert abs(result.posterior["awareness_mean"].median() - 0.8) < 0.1


def test_resume_after_interruption_reuses_finished_simulations(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _toy_calibration(tmp_path, out, generations=2)
    runs_before = _stored_runs(out)
    # the same calibration given more generations replays the first two from the store
    longer = _toy_calibration(tmp_path, out, generations=3)
    pd.testing.assert_frame_equal(
        longer.diagnostics.iloc[:2].reset_index(drop=True),
        first.diagnostics.reset_index(drop=True),
    )
    added = _stored_runs(out) - runs_before
    assert 0 < added <= int(longer.diagnostics["simulations"].iloc[2]) + 30
    # run again: nothing new to simulate
    again = _toy_calibration(tmp_path, out, generations=3)
    assert _stored_runs(out) == runs_before + added
    pd.testing.assert_frame_equal(again.posterior, longer.posterior)


def _stored_runs(folder: Path) -> int:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(folder / "store.sqlite")) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM results").fetchone()
    return int(count)


def test_a_killed_calibration_resumes_without_redoing_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = (
        "import sys, os, analysis.calibration as c\n"
        "from simulation.experiments import engine\n"
        "calls = []\n"
        "original = engine.run_specs\n"
        "def stop_after_two(*a, **k):\n"
        "    if len(calls) == 2: os._exit(9)\n"
        "    calls.append(1); return original(*a, **k)\n"
        "import simulation.experiments as e; e.run_specs = stop_after_two\n"
        f"c.calibrate({str(_toy_file(tmp_path))!r}, {str(out)!r}, population=30, generations=3,"
        f" max_simulations=600, seed=3, workers=1, progress=False, model={TOY_MODEL!r})\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    stored = _stored_runs(out)
    assert stored > 0
    result = _toy_calibration(tmp_path, out, generations=3)
    total = _stored_runs(out)
    # every run stored before the kill was reused: the finished calibration holds no more runs
    # than one run per simulated particle, the ones before the kill included once
    reference = _toy_calibration(tmp_path, tmp_path / "fresh", generations=3)
    assert total == _stored_runs(tmp_path / "fresh")
    pd.testing.assert_frame_equal(result.posterior, reference.posterior)


def test_check_verdicts_flag_a_target_the_model_cannot_reach(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = _toy_file(tmp_path, landfilled=5.0)  # the model gives at most 2
    result = calibrate(
        path,
        out,
        population=30,
        generations=3,
        max_simulations=600,
        seed=3,
        workers=1,
        progress=False,
        model=TOY_MODEL,
    )
    write_calibration(result, figures=False)
    table = validation_table(out)
    verdicts = dict(zip(table["target"], table["verdict"], strict=True))
    assert verdicts == {"co2": "inside", "exchanged": "inside", "landfilled": "outside"}
    assert set(pd.read_csv(out / "validation.csv")["verdict"]) == {"inside", "outside"}
    page = (out / "validation.html").read_text()
    assert "does not reproduce" in page and "landfilled" in page


def test_check_of_a_folder_without_calibration_is_one_line(tmp_path: Path) -> None:
    result = _cli("calibrate", "--check", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a calibration folder" in result.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *args], capture_output=True, text=True
    )


BAD = [
    ("[fit]\ntrust_treshold = [0.1, 0.9]\n", "[fit] trust_treshold: not a declared parameter"),
    ("[fit]\ntrust_threshold = [0.1, 1.9]\n", "within the declared range"),
    ("[fit]\nlandfill_tax_eur_per_t = [0, 10]\n", "not a numeric uncertainty"),
    ("[fit]\n", "at least one uncertainty"),
]


@pytest.mark.parametrize(("fit", "message"), BAD)
def test_bad_priors_give_one_line_errors_naming_file_and_key(
    tmp_path: Path, fit: str, message: str
) -> None:
    text = TOY.format(co2=0.6, exchanged=0.3, landfilled=0.9).split("[fit]")[0] + fit
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TargetsError, match=None) as raised:
        load_targets(path)
    assert str(path) in str(raised.value) and message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('output = "total_co2_avoided_t"', 'output = "total_co3"', "not a scalar output"),
        (
            'statistic = "scalar"\nobserved = 0.6',
            'statistic = "median"\nobserved = 0.6',
            "statistic",
        ),
        ('role = "holdout"', 'role = "test"', "role: 'test'"),
        (
            'uncertainty = 0.02\nsource = "simulated at a known truth"\nrole = "holdout"',
            'uncertainty = 0\nsource = "s"\nrole = "holdout"',
            "uncertainty: must be > 0",
        ),
        ('name = "exchanged"', 'name = "co2"', "given twice"),
        ('park = "synthetic"', 'park = "atlantis"', "park"),
        ("months = 12", 'months = 12\ncolour = "red"', "unknown key 'colour'"),
    ],
)
def test_bad_targets_give_one_line_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = TOY.format(co2=0.6, exchanged=0.3, landfilled=0.9)
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(TargetsError) as raised:
        load_targets(path)
    assert str(path) in str(raised.value) and message in str(raised.value)
    result = _cli("calibrate", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_window_statistics_must_lie_within_the_simulated_months(tmp_path: Path) -> None:
    text = TOY.format(co2=0.6, exchanged=0.3, landfilled=0.9).replace(
        'output = "total_co2_avoided_t"\nstatistic = "scalar"',
        'output = "new_exchanges"\nstatistic = "sum"\nyears = [1, 2]',
    )
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TargetsError, match=r"years: \[1, 2\]"):
        load_targets(path)


def test_shipped_targets_load_and_match_the_park_history() -> None:
    targets = load_targets("kalundborg")
    assert len(targets.priors) == 6
    assert {t.role for t in targets.targets} == {"fit", "holdout"}
    history = load_park_spec("kalundborg")["historical_exchanges"]
    first_year = load_park_spec("kalundborg")["start_year"]  # year 1 of a run
    decades = [t for t in targets.targets if t.output == "new_links"]
    assert len(decades) == 5  # the history's five decades, each one documented link count
    for target in decades:
        low, high = (first_year + y - 1 for y in target.years)
        assert target.observed == sum(low <= row[3] <= high for row in history), target.name
    assert load_targets("kemi_tornio").fitted()


def test_builtin_calibrated_scenario_extends_baseline_with_the_fitted_values() -> None:
    calibrated = load_scenario("calibrated").parameters()
    baseline = load_scenario("baseline").parameters()
    fitted = {p.name for p in load_targets("kalundborg").priors}
    assert {k for k in calibrated if calibrated[k] != baseline[k]} <= fitted


def test_calibration_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="--population 2"):
        calibrate(_toy_file(tmp_path), tmp_path / "o", population=2, model=TOY_MODEL)
    with pytest.raises(CalibrationError, match="--max-simulations 10"):
        calibrate(_toy_file(tmp_path), tmp_path / "o", max_simulations=10, model=TOY_MODEL)
