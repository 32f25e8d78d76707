"""End-to-end tests of explore, discover and optimise on the model (tiny sizes)."""

from __future__ import annotations

import pandas as pd
import pytest

from interfaces.cli import main


def _run(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore") / "x"
    argv = [
        "explore", "baseline", "world_bank_mix", "--samples", "6", "--param", "trust_threshold",
        "--param", "awareness_mean", "--steps", "4", "--replications", "1", "--workers", "1",
        "--set", "development_lead_times=false", "--set", "acquaintance_months=0",
        "--quiet", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0  # four months: exchanges must flow at once (model.md 7.12)
    return out, argv


def test_explore_writes_the_table_and_is_deterministic(explored, tmp_path):
    out, argv = explored
    table = pd.read_csv(out / "experiments.csv")
    assert len(table) == 12
    assert (out / "experiments.png").is_file()
    assert {"policy", "trust_threshold", "awareness_mean", "total_co2_avoided_t"} <= set(table)
    again = tmp_path / "again"
    assert main([*argv[:-1], str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again / "experiments.csv"), table)


def test_discover_on_an_exploration(explored, capsys):
    out, _ = explored
    table = pd.read_csv(out / "experiments.csv")
    middle = table["mean_recovery_rate"].median()
    status, printed, _ = _run(
        ["discover", str(out), "--where", f"mean_recovery_rate < {middle}", "--method", "prim"],
        capsys,
    )
    assert status == 0
    assert "pairs have mean_recovery_rate" in printed
    assert (out / "discovery" / "boxes.csv").is_file()
    from analysis.design_report import design_section

    section = design_section(out)
    assert "Exploration: 2 policies" in section
    assert "Scenario discovery (prim)" in section or "no point" in printed


def test_optimise_writes_pareto_scenarios_that_run_accepts(tmp_path, capsys):
    out = tmp_path / "opt"
    argv = [
        "optimise", "world_bank_mix", "--param", "landfill_tax_eur_per_t=0:150",
        "--param", "platform_start_month=0:24", "--objective", "total_co2_avoided_t:max",
        "--objective", "total_public_net_eur:max", "--population", "4", "--generations", "2",
        "--replications", "1", "--steps", "4", "--workers", "1", "--quiet", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    pareto = pd.read_csv(out / "pareto.csv")
    assert list(pareto.columns[:3]) == ["policy", "landfill_tax_eur_per_t", "platform_start_month"]
    assert {"total_co2_avoided_t", "total_public_net_eur"} <= set(pareto.columns)
    files = sorted((out / "pareto").glob("*.toml"))
    assert len(files) == len(pareto) >= 1
    from analysis.design_report import design_section

    section = design_section(out)
    assert f"{len(pareto)} policies are on the Pareto front" in section
    assert "data:image/png;base64" in section
    capsys.readouterr()
    assert main(["validate", str(files[0])]) == 0
    assert main(["run", str(files[0]), "--steps", "2", "--out", str(tmp_path / "run")]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["discover", "/nonexistent/folder", "--where", "total_co2_avoided_t < 1"], "no such"),
        (
            ["optimise", "baseline", "--param", "trust_threshold", "--objective", "x:max"],
            "declared as 'uncertainty'",
        ),
        (
            ["optimise", "baseline", "--param", "landfill_tax_eur_per_t", "--objective", "x:max"],
            "unknown output 'x'",
        ),
        (["explore", "baseline", "--param", "nope"], "nope"),
        (
            [
                "optimise",
                "baseline",
                "--param",
                "landfill_tax_eur_per_t",
                "--objective",
                "total_co2_avoided_t:max",
                "--robust",
                "mean",
            ],
            "--uncertainty",
        ),  # fmt: skip
    ],
)
def test_mistakes_are_one_line_with_status_2(argv, message, capsys, tmp_path):
    status, _, err = _run(
        [*argv, "--out", str(tmp_path / "o")] if argv[0] != "discover" else argv, capsys
    )
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
