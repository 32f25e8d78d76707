"""Sensitivity analysis: analytic regression (Ishigami, Sobol G), seeds, sample-size rules,
seed-noise shares, the problem from the declaration, and a small end-to-end run of the model.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis.sensitivity import (
    INDEX_COLUMNS,
    ISHIGAMI_BOUNDS,
    ISHIGAMI_S1,
    ISHIGAMI_ST,
    METHODS,
    NOISE_COLUMNS,
    Problem,
    SensitivityError,
    analyse_function,
    analyse_function_full,
    check_sample_size,
    ishigami,
    make_design,
    noise_of,
    sobol_g,
    sobol_g_indices,
)
from analysis.sensitivity_model import (
    DEFAULT_OUTPUTS,
    DEFAULT_PARAMETERS,
    check_outputs,
    parse_param_range,
    resolve_ranges,
)
from scenarios.errors import InputError
from scenarios.loader import load_scenario

G_COEFFICIENTS = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0)  # Saltelli et al. (2010), test case
G_BOUNDS = {f"x{i + 1}": (0.0, 1.0) for i in range(len(G_COEFFICIENTS))}


def table(indices: pd.DataFrame, index: str) -> dict[str, float]:
    rows = indices[indices["index"] == index]
    return dict(zip(rows["parameter"], rows["value"], strict=True))


# --- Analytic regression --------------------------------------------------------------------------


# Tolerances: Sobol with N = 1024 is within 0.015 of the analytic indices over seeds 0-2; eFAST's
# total order is biased upwards by up to ~0.05 on Ishigami (a known property of the estimator).
@pytest.mark.parametrize(
    ("method", "samples", "tol_s1", "tol_st"),
    [("sobol", 1024, 0.04, 0.04), ("fast", 1025, 0.04, 0.07)],
)
def test_ishigami_indices_are_recovered(method, samples, tol_s1, tol_st):
    indices = analyse_function(ishigami, ISHIGAMI_BOUNDS, method, samples, seed=7)
    s1, st = table(indices, "S1"), table(indices, "ST")
    for name in ISHIGAMI_BOUNDS:
        assert s1[name] == pytest.approx(ISHIGAMI_S1[name], abs=tol_s1), name
        assert st[name] == pytest.approx(ISHIGAMI_ST[name], abs=tol_st), name
    confs = indices["conf"]
    assert confs.notna().all() and (confs > 0).all()


@pytest.mark.parametrize(("method", "samples"), [("sobol", 1024), ("fast", 1025)])
def test_sobol_g_indices_are_recovered(method, samples):
    first, total = sobol_g_indices(G_COEFFICIENTS)
    indices = analyse_function(sobol_g(G_COEFFICIENTS), G_BOUNDS, method, samples, seed=3)
    s1, st = table(indices, "S1"), table(indices, "ST")
    for name in G_BOUNDS:
        assert s1[name] == pytest.approx(first[name], abs=0.04), name
        assert st[name] == pytest.approx(total[name], abs=0.04), name


def test_sobol_g_analytic_indices_are_consistent():
    first, total = sobol_g_indices((0.0,))
    assert first["x1"] == pytest.approx(1.0) and total["x1"] == pytest.approx(1.0)
    first, total = sobol_g_indices(G_COEFFICIENTS)
    assert all(total[k] >= first[k] for k in first)
    assert sum(first.values()) <= 1.0


def test_second_order_sobol_finds_the_ishigami_interaction():
    indices = analyse_function(ishigami, ISHIGAMI_BOUNDS, "sobol", 512, seed=1, second_order=True)
    s2 = table(indices, "S2")
    assert set(s2) == {"x1:x2", "x1:x3", "x2:x3"}
    # Only x1 and x3 interact: S13 = ST3 = 0.244 (Saltelli et al. 2008), the others are 0.
    assert s2["x1:x3"] == pytest.approx(0.244, abs=0.08)
    assert abs(s2["x1:x2"]) < 0.08 and abs(s2["x2:x3"]) < 0.08


def test_morris_ranks_the_g_function_parameters():
    indices = analyse_function(sobol_g(G_COEFFICIENTS), G_BOUNDS, "morris", 40, seed=5)
    mu_star = table(indices, "mu_star")
    assert mu_star["x1"] > mu_star["x2"] > mu_star["x3"] > mu_star["x4"]
    assert max(mu_star["x5"], mu_star["x6"]) < 0.1 * mu_star["x1"]
    assert {"mu_star", "sigma", "mu"} <= set(indices["index"])
    assert indices.loc[indices["index"] == "sigma", "conf"].isna().all()


def test_pawn_separates_influential_from_inert_parameters():
    indices = analyse_function(sobol_g(G_COEFFICIENTS), G_BOUNDS, "pawn", 1000, seed=2)
    median = table(indices, "pawn_median")
    assert median["x1"] > median["x2"] > max(median["x5"], median["x6"])
    assert max(median["x5"], median["x6"]) < 0.15
    confs = indices["conf"]  # 95% bootstrap half-widths (Pianosi & Wagener 2018)
    assert confs.notna().all() and (confs > 0).all() and (confs < 0.2).all()


@pytest.mark.parametrize(("points", "slides", "seed"), [(100, 10, 0), (257, 7, 1), (600, 4, 2)])
def test_pawn_bootstrap_kernel_matches_salib(points, slides, seed):
    from SALib.analyze import pawn

    from analysis.sensitivity import pawn_slide_distances

    rng = np.random.default_rng(seed)
    x = rng.random((points, 3))
    x[:, 2] = np.round(3 * x[:, 2])  # a whole-number input: ties at the slide edges
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2 + 0.1 * x[:, 2]
    y[::5] = np.round(y[::5], 1)  # ties in the output too
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    reference = pawn.analyze(problem, x, y, S=slides)
    distances = pawn_slide_distances(x, y, slides)
    np.testing.assert_allclose(np.nanmedian(distances, axis=0), reference["median"])
    np.testing.assert_allclose(np.nanmean(distances, axis=0), reference["mean"])
    np.testing.assert_allclose(np.nanmax(distances, axis=0), reference["maximum"])


# --- Seeds and sample sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "samples"), [("sobol", 64), ("morris", 8), ("fast", 100), ("pawn", 200)]
)
def test_same_root_seed_gives_identical_indices(method, samples):
    first = analyse_function(ishigami, ISHIGAMI_BOUNDS, method, samples, seed=11)
    again = analyse_function(ishigami, ISHIGAMI_BOUNDS, method, samples, seed=11)
    other = analyse_function(ishigami, ISHIGAMI_BOUNDS, method, samples, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["value"], other["value"], equal_nan=True)
    assert list(first.columns) == list(INDEX_COLUMNS)


@pytest.mark.parametrize(
    ("method", "samples", "options", "message"),
    [
        ("sobol", 1000, {}, "power of two"),
        ("sobol", 2, {}, "power of two"),
        ("morris", 1, {}, "at least 2 trajectories"),
        ("morris", 10, {"levels": 3}, "even number of levels"),
        ("morris", 10, {"optimal_trajectories": 10}, "optimal_trajectories"),
        ("fast", 64, {}, r"4\*M\^2 = 64"),
        ("fast", 100, {"harmonics": 6}, r"4\*M\^2 = 144"),
        ("fast", 100, {"convergence": True}, "at least 130 points"),
        ("pawn", 50, {}, "100 points with 10 slides"),
        ("latin", 10, {}, "unknown method"),
        ("sobol", 8, {"levels": 4}, "sobol takes no option 'levels'"),
    ],
)
def test_sample_size_must_suit_the_method(method, samples, options, message):
    with pytest.raises(SensitivityError, match=message):
        check_sample_size(method, samples, 3, **options)
    with pytest.raises(InputError, match=message):
        analyse_function(ishigami, ISHIGAMI_BOUNDS, method, samples, seed=0, **options)


def test_valid_sizes_give_the_documented_number_of_points():
    problem = Problem.from_bounds(ISHIGAMI_BOUNDS)
    d = 3
    assert make_design(problem, "sobol", 16, seed=0).points == 16 * (d + 2)
    assert make_design(problem, "sobol", 16, seed=0, second_order=True).points == 16 * (2 * d + 2)
    assert make_design(problem, "morris", 5, seed=0).points == 5 * (d + 1)
    assert make_design(problem, "fast", 65, seed=0).points == 65 * d
    assert make_design(problem, "fast", 600, seed=0, convergence=True).points == 1050 * d
    assert make_design(problem, "pawn", 100, seed=0).points == 100


def test_convergence_uses_nested_subsets():
    result = analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "sobol", 256, seed=4)
    conv = result.convergence
    assert sorted(conv["samples"].unique()) == [64, 128, 256]
    full = conv[conv["samples"] == 256].drop(columns=["samples", "runs"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(full, result.indices)  # the largest subset is the whole design
    # Confidence bounds shrink as the sample grows.
    st = conv[(conv["index"] == "ST") & (conv["parameter"] == "x1")].sort_values("samples")
    assert st["conf"].iloc[-1] < st["conf"].iloc[0]
    fast = analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "fast", 100, seed=4)
    assert fast.convergence.empty and any("no convergence check" in n for n in fast.notes)


def test_derived_seeds_differ_by_purpose_and_root():
    from analysis.sensitivity import derived_seed

    seeds = {
        derived_seed(root, purpose)
        for root in (0, 1)
        for purpose in ("design", "design-300", "design-150", "bootstrap")
    }
    assert len(seeds) == 8 and all(0 < seed < 2**31 for seed in seeds)
    assert derived_seed(5, "design") == derived_seed(5, "design")


def test_fast_convergence_runs_separate_smaller_search_curves():
    plain = analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "fast", 600, seed=4)
    result = analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "fast", 600, seed=4, convergence=True)
    # The main curve and its indices are those of the plain analysis; the extra curves only
    # feed the convergence table.
    pd.testing.assert_frame_equal(result.indices, plain.indices)
    pd.testing.assert_frame_equal(
        result.noise.drop(columns="note"), plain.noise.drop(columns="note")
    )
    conv = result.convergence
    assert sorted(conv["samples"].unique()) == [150, 300, 600]
    assert set(conv.loc[conv["samples"] == 150, "runs"]) == {150 * 3}
    full = conv[conv["samples"] == 600].drop(columns=["samples", "runs"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(full, result.indices)
    # Each smaller curve is a valid eFAST design on its own: its indices are near the truth.
    st = conv[(conv["index"] == "ST") & (conv["samples"] == 300)].set_index("parameter")
    for name in ISHIGAMI_BOUNDS:
        assert st.loc[name, "value"] == pytest.approx(ISHIGAMI_ST[name], abs=0.1), name
    counts = result.samples["curve_samples"].value_counts()
    assert counts.to_dict() == {600: 1800, 300: 900, 150: 450}
    # The smaller curves are independent designs (own random phases), not copies of the main.
    main = result.samples.loc[result.samples["curve_samples"] == 600, "x1"].to_numpy()
    half = result.samples.loc[result.samples["curve_samples"] == 300, "x1"].to_numpy()
    assert not np.allclose(main[:300], half[:300])
    assert any("separate search curves of 300, 150" in note for note in result.notes)


# --- Stochastic responses: replications, common random numbers, noise ---------------------------


def test_replications_use_common_random_numbers():
    def shifted(x1, x2, seed):
        return x1 + 0.0 * x2 + seed % 7

    result = analyse_function_full(
        shifted, {"x1": (0, 1), "x2": (0, 1)}, "pawn", 200, seed=3, replications=3
    )
    noise = result.noise.iloc[0]
    x1 = result.samples["x1"].to_numpy()
    # Replication k adds the same shift at every point: point means differ only through x1,
    # so the seed noise is all common and none of it is left in the point means.
    assert noise["var_point_means"] == pytest.approx(np.var(x1, ddof=1))
    assert noise["mean_within_var"] > 0
    assert noise["common_seed_var"] == pytest.approx(noise["mean_within_var"])
    assert noise["residual_noise_var"] == pytest.approx(0.0, abs=1e-9)
    assert noise["noise_share_of_means"] == pytest.approx(0.0, abs=1e-9)
    assert noise["replications"] == 3 and noise["points"] == 200


def test_noise_shares_match_the_known_decomposition():
    sigma = 0.5

    def noisy(x1, seed):
        # Noise independent between points (the seed is mixed with the point's value).
        draw = np.random.default_rng([seed, int(x1 * 2**40)]).standard_normal()
        return x1 + sigma * draw

    reps = 4
    result = analyse_function_full(
        noisy, {"x1": (0.0, 1.0)}, "pawn", 2000, seed=9, replications=reps
    )
    noise = result.noise.iloc[0]
    parametric = 1 / 12  # variance of U(0, 1)
    assert noise["mean_within_var"] == pytest.approx(sigma**2, rel=0.1)
    assert noise["residual_noise_var"] == pytest.approx(sigma**2, rel=0.1)
    assert noise["parametric_var"] == pytest.approx(parametric, rel=0.15)
    expected_share = sigma**2 / reps / (parametric + sigma**2 / reps)
    assert noise["noise_share_of_means"] == pytest.approx(expected_share, abs=0.05)
    assert noise["noise_share_independent"] == pytest.approx(expected_share, abs=0.05)
    assert noise["raw_noise_share"] == pytest.approx(sigma**2 / (sigma**2 + parametric), abs=0.05)
    assert "seed noise" in noise["note"] or "much seed noise" in noise["note"]
    assert list(result.noise.columns) == list(NOISE_COLUMNS)


def test_noise_without_replications_says_it_cannot_be_separated():
    row = noise_of(np.arange(10.0)[:, None], "y")
    assert math.isnan(row["noise_share_of_means"]) and "one replication" in row["note"]


def test_replications_need_a_seed_keyword():
    with pytest.raises(SensitivityError, match="seed keyword"):
        analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "pawn", 100, seed=0, replications=2)


def test_nan_outputs_are_filled_and_counted_or_left_undefined():
    def event_month(x1, x2):
        return {"month": math.nan if x1 < 0.5 else 10 * x2, "level": x1}

    filled = analyse_function_full(
        event_month, {"x1": (0, 1), "x2": (0, 1)}, "sobol", 64, seed=0, nan_fill={"month": 11.0}
    )
    month = filled.noise.set_index("output").loc["month"]
    assert month["nan_replaced"] > 0
    assert filled.indices.loc[filled.indices["output"] == "month", "value"].notna().all()
    assert any("count as 11" in note for note in filled.notes)
    bare = analyse_function(
        event_month, {"x1": (0, 1), "x2": (0, 1)}, "sobol", 64, seed=0, outputs=["month"]
    )
    assert bare["value"].isna().all()


def test_constant_output_gives_nan_indices_without_warnings():
    for method, samples in (("sobol", 16), ("fast", 70), ("morris", 4), ("pawn", 100)):
        indices = analyse_function(
            lambda x1, x2: 3.0, {"x1": (0, 1), "x2": (0, 1)}, method, samples, seed=0
        )
        assert indices["value"].isna().all(), method


def test_integer_parameters_are_rounded_to_every_whole_value():
    result = analyse_function_full(
        lambda n, x: n + x, {"n": (1, 3), "x": (0, 1)}, "pawn", 300, seed=0, integer=["n"]
    )
    values = result.samples["n"]
    assert set(values) == {1, 2, 3}
    assert values.value_counts().min() > 60  # each whole value has about a third of the points
    assert any("rounded" in note for note in result.notes)


def test_dict_outputs_can_be_selected():
    def two(x1, x2):
        return {"a": x1, "b": x2}

    indices = analyse_function(
        two, {"x1": (0, 1), "x2": (0, 1)}, "morris", 4, seed=0, outputs=["b"]
    )
    assert set(indices["output"]) == {"b"}
    with pytest.raises(SensitivityError, match="no output 'c'"):
        analyse_function(two, {"x1": (0, 1), "x2": (0, 1)}, "morris", 4, seed=0, outputs=["c"])


# --- The problem from the single declaration -----------------------------------------------------


def test_param_ranges_are_checked_against_the_declaration():
    assert parse_param_range("trust_threshold=0.3:0.7").low == 0.3
    declared = parse_param_range("trust_threshold")
    assert (declared.low, declared.high, declared.origin) == (0.0, 1.0, "declared")
    assert parse_param_range("social_mean_degree=2:10").integer
    for text, message in [
        ("trust_treshold=0:1", "did you mean 'trust_threshold'"),
        ("trust_threshold=0:2", "out of range"),
        ("trust_threshold=0.7:0.3", "must be below"),
        ("trust_threshold=0.3", "name=low:high"),
        ("trust_threshold=a:b", "numbers"),
        ("social_mean_degree=1.5:4", "whole number"),
        ("contracts", "no numeric range"),
        ("park", "no numeric range"),
    ]:
        with pytest.raises(SensitivityError, match=message):
            parse_param_range(text)


def test_ranges_come_from_param_then_scenario_table_then_defaults(tmp_path):
    baseline = load_scenario("baseline")
    assert not baseline.sensitivity
    defaults = resolve_ranges(baseline)
    assert [r.name for r in defaults] == list(DEFAULT_PARAMETERS)
    path = tmp_path / "with_table.toml"
    path.write_text(
        'extends = "baseline"\n[sensitivity]\ntrust_threshold = [0.3, 0.7]\n'
        "disruption_months = [1, 6]\n"
    )
    scenario = load_scenario(path)
    from_table = resolve_ranges(scenario)
    assert [(r.name, r.low, r.high, r.origin) for r in from_table] == [
        ("trust_threshold", 0.3, 0.7, "scenario"),
        ("disruption_months", 1.0, 6.0, "scenario"),
    ]
    assert from_table[1].integer
    chosen = resolve_ranges(scenario, ["awareness_mean=0.2:0.8"])
    assert [r.name for r in chosen] == ["awareness_mean"]
    with pytest.raises(SensitivityError, match="twice"):
        resolve_ranges(scenario, ["awareness_mean", "awareness_mean=0:1"])


def test_outputs_are_checked_against_the_scalar_output_names():
    assert check_outputs(None) == list(DEFAULT_OUTPUTS)
    assert check_outputs(["final_active_exchanges"]) == ["final_active_exchanges"]
    with pytest.raises(SensitivityError, match="did you mean 'total_exchanges_started'"):
        check_outputs(["total_exchange_started"])


# --- Figures -------------------------------------------------------------------------------------


def test_figures_are_written_for_every_method(tmp_path):
    from analysis.sensitivity_plots import FIGURE_FILES, save_sensitivity_figures

    for method, samples, options in (
        ("sobol", 32, {"second_order": True}),
        ("fast", 70, {}),
        ("morris", 6, {}),
        ("pawn", 120, {}),
    ):
        result = analyse_function_full(
            ishigami, ISHIGAMI_BOUNDS, method, samples, seed=0, **options
        )
        folder = tmp_path / method
        folder.mkdir()
        paths = save_sensitivity_figures(
            result.indices, result.convergence, folder, noise=result.noise
        )
        names = {p.name for p in paths}
        assert FIGURE_FILES[method] in names
        assert ("convergence.png" in names) == (method != "fast")
        assert ("sobol_second_order.png" in names) == (method == "sobol")
        assert all(p.stat().st_size > 1000 for p in paths)


# --- The CLI and an end-to-end analysis of the model ---------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "sobol", "--samples", "100"], "power of two"),
        (["--method", "fast", "--samples", "50"], "4*M^2"),
        (
            ["--method", "morris", "--samples", "2", "--param", "trust_threshold=0:3"],
            "out of range",
        ),
        (["--method", "morris", "--samples", "2", "--output", "nonsense"], "unknown output"),
        (["--method", "morris", "--samples", "2", "--second-order"], "only to --method sobol"),
        (["--method", "sobol", "--samples", "8", "--fast-convergence"], "only to --method fast"),
        (
            ["--method", "pawn", "--samples", "100", "--optimal-trajectories", "3"],
            "only to --method morris",
        ),
        (
            ["--method", "morris", "--samples", "4", "--optimal-trajectories", "4"],
            "optimal_trajectories",
        ),
        (["--method", "morris", "--samples", "2", "--levels", "5"], "even number of levels"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, cli, extra, message):
    out = tmp_path / "sa"
    status, _, err = cli("sensitivity", "baseline", "--steps", "6", "--out", out, "--quiet", *extra)
    assert status == 2
    assert err.startswith("symbiosis: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_end_to_end_morris_on_the_model_writes_every_file_and_resumes(tmp_path, cli):
    out = tmp_path / "sa"
    argv = [
        "sensitivity",
        "baseline",
        "--method",
        "morris",
        "--samples",
        "3",
        "--steps",
        "12",
        "--replications",
        "2",
        "--param",
        "trust_threshold",
        "--param",
        "social_mean_degree=2:10",
        "--output",
        "total_exchanges_started",
        "--output",
        "chertow_first_step",
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
        "--seed",
        "5",
    ]
    status, stdout, _ = cli(*argv)
    assert status == 0 and "results written" in stdout
    for name in (
        "indices.csv",
        "noise.csv",
        "samples.csv",
        "convergence.csv",
        "manifest.json",
        "morris_mu_star_sigma.png",
        "convergence.png",
    ):
        assert (out / name).is_file(), name
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == list(INDEX_COLUMNS)
    assert set(indices["output"]) == {"total_exchanges_started", "chertow_first_step"}
    assert set(indices["parameter"]) == {"trust_threshold", "social_mean_degree"}
    assert set(indices["method"]) == {"morris"}
    noise = pd.read_csv(out / "noise.csv")
    assert list(noise["output"]) == ["total_exchanges_started", "chertow_first_step"]
    assert (noise["replications"] == 2).all() and (noise["points"] == 9).all()
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == 9 and samples["social_mean_degree"].between(2, 10).all()
    assert (samples["social_mean_degree"] % 1 == 0).all()
    # A time-to-event that never happened counts as steps + 1, never more.
    assert samples["chertow_first_step"].max() <= 13
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["method"] == "morris" and manifest["replications"] == 2
    assert manifest["nan_fill"] == {"chertow_first_step": 13}
    assert manifest["runs"] == 18 and manifest["steps"] == 12 and manifest["root_seed"] == 5
    assert manifest["engine"]["runs_failed"] == 0
    assert [p["name"] for p in manifest["parameters"]] == ["trust_threshold", "social_mean_degree"]
    first = indices.copy()
    # Rerunning resumes from the store: nothing is run again and the indices are identical.
    status, _, _ = cli(*argv)
    assert status == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"]["runs_done"] == 0
    assert manifest["engine"]["runs_reused"] == manifest["engine"]["runs_total"]
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), first)
    # Not quiet, with an output in the thousands (from the stored runs): the table of mu_star
    # reads as plain numbers, 1,230 rather than 1.23e+03.
    argv = [a for a in argv if a != "--quiet"] + ["--output", "total_co2_avoided_t"]
    status, stdout, _ = cli(*argv)
    assert status == 0 and "mu_star by output" in stdout and "total_co2_avoided_t" in stdout
    table = stdout[stdout.index("mu_star by output") : stdout.index("seed noise")]
    assert "e+" not in table and "e-" not in table
    assert json.loads((out / "manifest.json").read_text())["engine"]["runs_done"] == 0


def test_methods_constant_matches_the_cli_choices():
    from interfaces.commands.sensitivity import METHOD_CHOICES

    assert tuple(METHOD_CHOICES) == METHODS


def test_sobol_on_the_model_with_default_outputs(tmp_path, cli):
    out = tmp_path / "sobol"
    status, stdout, _ = cli(
        "sensitivity",
        "baseline",
        "--method",
        "sobol",
        "--samples",
        "8",
        "--steps",
        "24",
        "--replications",
        "2",
        "--param",
        "trust_threshold",
        "--param",
        "awareness_mean",
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    )
    assert status == 0
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["output"]) == set(DEFAULT_OUTPUTS)
    assert {"S1", "ST"} == set(indices["index"])
    assert (out / "sobol_indices.png").is_file()


def test_write_results_is_complete_and_drops_stale_figures(tmp_path):
    from analysis.sensitivity_model import write_results

    out = tmp_path / "sa"
    out.mkdir()
    (out / "sobol_indices.png").write_bytes(b"old")
    (out / "keep.txt").write_text("not ours")
    result = analyse_function_full(ishigami, ISHIGAMI_BOUNDS, "morris", 4, seed=0)
    paths = write_results(result, out, {"method": "morris", "nan": math.nan})
    assert all(p.is_file() for p in paths)
    assert not (out / "sobol_indices.png").exists() and (out / "keep.txt").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["nan"] is None  # strict JSON: NaN written as null
    assert set(manifest["files"]) == {p.name for p in paths}
