"""Tests of the evidence figures: each renders, and its CSV is exactly what it draws."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.patches import Rectangle

from analysis import figures as fg
from analysis.statistics import comparison_table, mean_ci
from analysis.style import compact_number, describe, format_number
from scenarios.loader import load_scenario
from simulation.indicators import TIMESERIES_COLUMNS
from simulation.outputs import KEY_OUTPUTS, SCALAR_OUTPUTS, scalar_outputs
from simulation.runner import run_model

STEPS = 24
SEEDS = (11, 12, 13)
SCENARIOS = ("baseline", "world_bank_mix")
# No social ties, operator or platform: nobody learns of a partner, so nothing is exchanged.
NO_CHANNEL = {"social_network": "none"}


@pytest.fixture(scope="module")
def experiment():
    """Two scenarios x three seeds, built with run_model as the experiment engine would."""
    runs, series, results = [], [], {}
    for scenario in SCENARIOS:
        # Two years: exchanges must flow from agreement to fill the bands (model.md 7.12).
        params = load_scenario(scenario).parameters() | {"development_lead_times": False}
        for k, seed in enumerate(SEEDS):
            result = run_model(params, steps=STEPS, seed=seed)
            key = f"{scenario}-{k}"
            results[key] = result
            runs.append(
                {
                    "run_key": key,
                    "scenario": scenario,
                    "replication": k,
                    "seed": seed,
                    **scalar_outputs(result),
                }
            )
            frame = result.timeseries.copy()
            frame.insert(0, "replication", k)
            frame.insert(0, "scenario", scenario)
            series.append(frame)
    return {
        "runs": pd.DataFrame(runs),
        "timeseries": pd.concat(series, ignore_index=True),
        "results": results,
    }


@pytest.fixture(scope="module")
def empty_run():
    result = run_model(NO_CHANNEL, steps=6, seed=3)
    assert result.exchanges.empty  # the premise of the zero-exchange tests
    return result


def _save_and_read(fig, tmp_path, name="figure"):
    paths = fg.save_figure(fig, tmp_path / name, formats=("png",), dpi=60)  # renders it
    assert [p.suffix for p in paths] == [".png", ".csv", ".json"]
    return pd.read_csv(tmp_path / f"{name}.csv")


def _by_gid(container, prefix):
    return {
        artist.get_gid(): artist
        for artist in container
        if (artist.get_gid() or "").startswith(prefix)
    }


def test_every_column_and_scalar_output_has_a_unit():
    for name in [*TIMESERIES_COLUMNS, *SCALAR_OUTPUTS]:
        text, unit = describe(name)
        assert text and unit, name
    assert describe("new_exchanges")[1] == "count/month"
    assert describe("total_exchanged_m3") == ("Water reused, total", "m³")


def test_numbers_are_formatted_for_people():
    assert format_number(1234.5) == "1\u202f230"  # thin-space thousands
    assert format_number(0.012345) == "0.0123"
    assert format_number(-98_765_432) == "-98\u202f800\u202f000"
    assert format_number(float("nan")) == "n/a"
    assert compact_number(2_500_000) == "2.5 M"
    assert compact_number(-1500) == "-1.5 k"


def test_timeseries_figure_draws_mean_and_band_of_its_csv(experiment, tmp_path):
    outputs = ["active_exchanges", "recovery_rate", "co2_avoided_t"]
    fig = fg.timeseries_figure(experiment["timeseries"], outputs)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(outputs)
    data = _save_and_read(fig, tmp_path)
    for ax, output in zip(axes, outputs, strict=True):
        assert ax.get_xlabel() == "Month" and ax.get_ylabel()  # units on both axes
        lines = _by_gid(ax.get_lines(), "mean|")
        bands = _by_gid(ax.collections, "band|")
        assert set(lines) == {f"mean|{s}" for s in SCENARIOS}
        for scenario in SCENARIOS:
            rows = data[(data["output"] == output) & (data["scenario"] == scenario)]
            line = lines[f"mean|{scenario}"]
            np.testing.assert_allclose(line.get_xdata(), rows["step"])
            np.testing.assert_allclose(line.get_ydata(), rows["mean"], rtol=1e-12)
            band = bands[f"band|{scenario}"]
            assert isinstance(band, PolyCollection)
            y = band.get_paths()[0].vertices[:, 1]
            assert y.min() == pytest.approx(rows["ci_low"].min())
            assert y.max() == pytest.approx(rows["ci_high"].max())
    # The plotted numbers are the replication mean and t-interval, computed independently.
    step = experiment["timeseries"]
    chosen = step[(step["scenario"] == "world_bank_mix") & (step["step"] == STEPS)]
    mean, low, high = mean_ci(chosen["co2_avoided_t"].to_numpy())
    row = data[
        (data["scenario"] == "world_bank_mix")
        & (data["output"] == "co2_avoided_t")
        & (data["step"] == STEPS)
    ].iloc[0]
    assert (row["n"], row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (len(SEEDS), mean, low, high)
    )


def test_comparison_figure_draws_the_paired_differences_of_its_csv(experiment, tmp_path):
    table = comparison_table(experiment["runs"], list(KEY_OUTPUTS), "baseline", list(SCENARIOS))
    fig = fg.comparison_figure(table)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(KEY_OUTPUTS)
    data = _save_and_read(fig, tmp_path)
    assert set(data["scenario"]) == {"world_bank_mix"}  # the reference is not plotted
    for ax, output in zip(axes, KEY_OUTPUTS, strict=True):
        assert ax.get_xlabel().startswith("Difference from baseline (")
        row = data[data["output"] == output].iloc[0]
        point = _by_gid(ax.get_lines(), "mean|")[f"mean|{output}|world_bank_mix"]
        assert point.get_xdata()[0] == pytest.approx(row["diff_mean"])
        interval = _by_gid(ax.get_lines(), "ci|")[f"ci|{output}|world_bank_mix"]
        np.testing.assert_allclose(interval.get_xdata(), [row["diff_ci_low"], row["diff_ci_high"]])


def _segments(ax):
    segments = []
    for collection in ax.collections:
        if isinstance(collection, LineCollection) and (collection.get_gid() or "").startswith(
            "exchanges|"
        ):
            segments += [np.asarray(s) for s in collection.get_segments()]
    return segments


def _firm_points(ax):
    points = [
        c.get_offsets()
        for c in ax.collections
        if isinstance(c, PathCollection) and (c.get_gid() or "").startswith("firms|")
    ]
    return np.concatenate(points) if points else np.zeros((0, 2))


def test_network_figure_draws_the_firms_and_exchanges_of_its_csv(experiment, tmp_path):
    result = experiment["results"]["world_bank_mix-0"]
    months = [6, STEPS]
    fig = fg.network_figure(result.firms, result.exchanges, months, size_by="net_benefit_eur")
    data = _save_and_read(fig, tmp_path)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(months)
    assert (data["element"] == "exchange").sum() > 0
    for ax, month in zip(panels, months, strict=True):
        assert ax.get_xlabel() == "x (km)"
        rows = data[data["month"] == month]
        firms = rows[rows["element"] == "firm"]
        exchanges = rows[rows["element"] == "exchange"]
        drawn = _firm_points(ax)
        expected = firms[["x_km", "y_km"]].to_numpy()
        np.testing.assert_allclose(np.sort(drawn, axis=0), np.sort(expected, axis=0))
        segments = _segments(ax)
        assert len(segments) == len(exchanges)
        drawn_ends = sorted(tuple(np.round(s.ravel(), 6)) for s in segments)
        expected_ends = sorted(
            tuple(np.round(r, 6))
            for r in exchanges[["x_km", "y_km", "x_end_km", "y_end_km"]].to_numpy()
        )
        assert drawn_ends == expected_ends
        assert f"{len(exchanges)} exchanges" in ax.get_title()


def test_network_figure_draws_a_park_with_no_exchanges(empty_run, tmp_path):
    fig = fg.network_figure(empty_run.firms, empty_run.exchanges, [1, None])
    data = _save_and_read(fig, tmp_path)
    assert set(data["element"]) == {"firm"}
    assert len(data) == 2 * len(empty_run.firms[empty_run.firms["exit_step"] < 0])
    for ax in fig.axes:
        if ax.get_visible():
            assert _segments(ax) == []
            assert len(_firm_points(ax)) > 0


def test_sector_flows_conserve_the_quantity_delivered(experiment):
    result = experiment["results"]["world_bank_mix-0"]
    flows = fg.sector_flows(result.exchanges, result.firms)
    for unit, rows in flows.groupby("unit"):
        delivered = result.exchanges.loc[result.exchanges["unit"] == unit, "delivered_total"]
        assert rows["delivered"].sum() == pytest.approx(delivered.sum())
    runs = [
        (
            experiment["results"][f"world_bank_mix-{k}"].exchanges,
            experiment["results"][f"world_bank_mix-{k}"].firms,
        )
        for k in range(len(SEEDS))
    ]
    mean = fg.mean_sector_flows(runs)
    total = sum(fg.sector_flows(*run)["delivered"].sum() for run in runs)
    assert mean["delivered"].sum() == pytest.approx(total / len(SEEDS))


def test_sankey_node_heights_are_proportional_to_its_csv(experiment, tmp_path):
    runs = [
        (
            experiment["results"][f"world_bank_mix-{k}"].exchanges,
            experiment["results"][f"world_bank_mix-{k}"].firms,
        )
        for k in range(len(SEEDS))
    ]
    flows = fg.mean_sector_flows(runs)
    fig = fg.sankey_figure(flows, title="world_bank_mix")
    data = _save_and_read(fig, tmp_path)
    assert set(data["unit"]) == set(flows["unit"])
    nodes = {
        p.get_gid(): p
        for ax in fig.axes
        for p in ax.patches
        if isinstance(p, Rectangle) and (p.get_gid() or "").startswith("node|")
    }
    bands = [p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith("band|")]
    for unit, rows in data.groupby("unit"):
        scale = None
        for column in ("supplier_sector", "stream", "receiver_sector"):
            for name, total in rows.groupby(column)["delivered"].sum().items():
                height = nodes[f"node|{unit}|{column}|{name}"].get_height()
                scale = scale or height / total
                assert height == pytest.approx(total * scale, rel=1e-9)
        links = (
            rows.groupby(["supplier_sector", "stream"]).ngroups
            + rows.groupby(["stream", "receiver_sector"]).ngroups
        )
        assert sum(b.get_gid().split("|")[1] == unit for b in bands) == links


def test_sankey_says_so_when_nothing_flows(empty_run, tmp_path):
    flows = fg.sector_flows(empty_run.exchanges, empty_run.firms)
    fig = fg.sankey_figure(flows)
    data = _save_and_read(fig, tmp_path)
    assert data.empty and list(data.columns) == fg.FLOW_COLUMNS
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("No exchanges" in text for text in texts)


def _runs_with_known_costs():
    """A reference and three policies with exact per-replication costs and effects."""
    rows = []
    for k in range(4):
        base = {
            "replication": k,
            "total_public_net_eur": 0.0,
            "total_co2_avoided_t": 50.0 + k,
            "total_landfilled_t": 1000.0 + k,
        }
        rows.append({"scenario": "reference", **base})
        # Costs 100 EUR more, avoids 10 t CO2 and diverts 20 t more in every replication.
        rows.append(
            {
                "scenario": "subsidy",
                "replication": k,
                "total_public_net_eur": -100.0,
                "total_co2_avoided_t": base["total_co2_avoided_t"] + 10,
                "total_landfilled_t": base["total_landfilled_t"] - 20,
            }
        )
        # Costs money, changes nothing.
        rows.append(
            {
                "scenario": "useless",
                "replication": k,
                "total_public_net_eur": -50.0,
                "total_co2_avoided_t": base["total_co2_avoided_t"],
                "total_landfilled_t": base["total_landfilled_t"],
            }
        )
        # Raises revenue (a tax) and avoids 5 t CO2 more.
        rows.append(
            {
                "scenario": "tax",
                "replication": k,
                "total_public_net_eur": 200.0,
                "total_co2_avoided_t": base["total_co2_avoided_t"] + 5,
                "total_landfilled_t": base["total_landfilled_t"] - 5,
            }
        )
    return pd.DataFrame(rows)


def test_cost_effectiveness_divides_paired_differences_and_handles_zero_effects(tmp_path):
    table = fg.cost_effectiveness(_runs_with_known_costs(), "reference").set_index("scenario")
    assert table.loc["subsidy", "eur_per_t_co2"] == pytest.approx(10.0)
    assert table.loc["subsidy", "eur_per_t_diverted"] == pytest.approx(5.0)
    assert table.loc[
        "subsidy", ["eur_per_t_co2_ci_low", "eur_per_t_co2_ci_high"]
    ].tolist() == pytest.approx([10.0, 10.0])
    assert table.loc["tax", "eur_per_t_co2"] == pytest.approx(-40.0)
    assert np.isnan(table.loc["useless", "eur_per_t_co2"])
    assert table.loc["useless", "eur_per_t_co2_status"] == "no effect"
    fig = fg.cost_effectiveness_figure(table.reset_index())
    data = _save_and_read(fig, tmp_path)
    co2 = data[data["measure"] == "eur_per_t_co2"].set_index("scenario")
    assert co2.loc["subsidy", "value"] == pytest.approx(10.0)
    panel = fig.axes[0]
    drawn = _by_gid(panel.get_lines(), "value|")
    assert drawn["value|eur_per_t_co2|subsidy"].get_xdata()[0] == pytest.approx(10.0)
    assert drawn["value|eur_per_t_co2|tax"].get_xdata()[0] == pytest.approx(-40.0)
    assert "value|eur_per_t_co2|useless" not in drawn
    assert any("no extra effect" in t.get_text() for t in panel.texts)


def _indices():
    rows = []
    for output in ("total_exchanges_started", "mean_recovery_rate"):
        for k, parameter in enumerate(("landfill_tax_eur_per_t", "trust_threshold")):
            rows.append(
                {
                    "output": output,
                    "method": "sobol",
                    "parameter": parameter,
                    "index": "S1",
                    "value": 0.2 + 0.1 * k,
                    "conf": 0.05,
                }
            )
            rows.append(
                {
                    "output": output,
                    "method": "sobol",
                    "parameter": parameter,
                    "index": "ST",
                    "value": 0.3 + 0.1 * k,
                    "conf": 0.05,
                }
            )
    return pd.DataFrame(rows)


def test_sensitivity_figures_use_the_sensitivity_plots(tmp_path):
    figures = fg.sensitivity_figures(_indices())
    assert [name for name, _ in figures] == ["sensitivity_sobol"]
    data = _save_and_read(figures[0][1], tmp_path)
    pd.testing.assert_frame_equal(data, _indices(), check_dtype=False)


def test_sensitivity_fallback_bars_equal_the_indices(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "analysis.sensitivity_plots", None)  # import fails
    figures = fg.sensitivity_figures(_indices())
    assert [name for name, _ in figures] == [
        "sensitivity_total_exchanges_started",
        "sensitivity_mean_recovery_rate",
    ]
    fig = figures[0][1]
    data = _save_and_read(fig, tmp_path)
    heights = sorted(round(p.get_width(), 9) for p in fig.axes[0].patches)
    assert heights == sorted(round(v, 9) for v in data["value"])
    assert fig.axes[0].get_xlabel().startswith("Sensitivity index")


def test_save_figure_writes_three_formats_data_and_provenance(experiment, tmp_path):
    from PIL import Image

    manifest = {
        "command": "symbiosis compare baseline world_bank_mix",
        "root_seed": 7,
        "replications": 3,
        "steps": STEPS,
        "package_version": "9.9",
        "scenarios": {s: {} for s in SCENARIOS},
    }
    fig = fg.timeseries_figure(experiment["timeseries"], ["active_exchanges"])
    expected = fig.plotted_data.copy()
    paths = fg.save_figure(
        fig,
        tmp_path / "ts",
        manifest=manifest,
        command="symbiosis figures exp",
        description="what it shows",
    )
    assert sorted(p.name for p in paths) == ["ts.csv", "ts.json", "ts.pdf", "ts.png", "ts.svg"]
    with Image.open(tmp_path / "ts.png") as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
    assert (tmp_path / "ts.pdf").read_bytes().startswith(b"%PDF")
    assert "<svg" in (tmp_path / "ts.svg").read_text()[:2000]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ts.csv"), expected, check_dtype=False)
    sidecar = json.loads((tmp_path / "ts.json").read_text())
    assert sidecar["scenarios"] == list(SCENARIOS)
    assert (sidecar["replications"], sidecar["root_seed"], sidecar["package_version"]) == (
        3,
        7,
        "9.9",
    )
    assert sidecar["command"] == "symbiosis figures exp"
    assert sidecar["experiment_command"] == manifest["command"]
    assert sidecar["data_rows"] == len(expected)


def test_svg_output_is_reproducible(experiment, tmp_path):
    for name in ("a", "b"):
        fig = fg.comparison_figure(
            comparison_table(
                experiment["runs"], ["total_co2_avoided_t"], "baseline", list(SCENARIOS)
            )
        )
        fg.save_figure(fig, tmp_path / name, formats=("svg",))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_sidecar_names_the_scenarios_of_any_experiment_kind():
    assert fg.figure_sidecar({"scenarios": {"a": {}, "b": {}}}, "x")["scenarios"] == ["a", "b"]
    sensitivity = {"kind": "sensitivity", "scenario": {"name": "baseline"}, "root_seed": 3}
    sidecar = fg.figure_sidecar(sensitivity, "x", command="symbiosis figures s")
    assert (sidecar["scenarios"], sidecar["root_seed"]) == (["baseline"], 3)
    assert fg.figure_sidecar({}, "x", scenarios=["s [k=1]"])["scenarios"] == ["s [k=1]"]


def _sweep_runs() -> tuple[pd.DataFrame, list[dict]]:
    """A two-parameter sweep with a known response: y = 10 * tax + trust + seed noise."""
    rng = np.random.default_rng(3)
    points = [{"tax": t, "trust": r} for t in (0.0, 50.0, 100.0) for r in (0.4, 0.6)]
    rows = []
    for p, point in enumerate(points):
        for k in range(4):
            y = 10 * point["tax"] + point["trust"] + rng.normal(0, 1) + k
            rows.append({"point": p, "replication": k, **{o: y for o in KEY_OUTPUTS}})
    return pd.DataFrame(rows), points


def test_response_curves_and_heat_map_draw_the_points_table(tmp_path):
    import warnings

    from analysis.experiments import sweep_points_table

    runs, points = _sweep_runs()
    table = sweep_points_table(runs, points, list(KEY_OUTPUTS))
    outputs = list(fg.RESPONSE_OUTPUTS)
    curves = fg.response_figure(table, ["tax", "trust"], outputs)
    drawn = curves.plotted_data
    chosen = drawn[(drawn["output"] == outputs[0]) & (drawn["trust"] == 0.6)]
    expected = table[table["trust"] == 0.6].sort_values("tax")
    assert list(chosen["mean"]) == pytest.approx(list(expected[outputs[0]]))
    assert list(chosen["ci_low"]) == pytest.approx(list(expected[f"{outputs[0]}_ci_low"]))
    assert len(_by_gid(curves.axes[0].collections, "band|")) == 2  # a band per value of trust
    heat = fg.response_heatmap_figure(table, ["tax", "trust"], outputs)
    assert len(heat.plotted_data) == len(points) * len(outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "constrained_layout not applied"
        _save_and_read(curves, tmp_path, "curves")
        _save_and_read(heat, tmp_path, "heat")


def test_comparison_figure_with_long_sweep_labels_lays_out_without_warnings(tmp_path):
    import warnings

    runs, points = _sweep_runs()
    labels = {
        p: "baseline [" + ", ".join(f"{k}_eur_per_t_long_name={v}" for k, v in pt.items()) + "]"
        for p, pt in enumerate(points)
    }
    runs = runs.assign(scenario=runs["point"].map(labels))
    table = comparison_table(runs, list(KEY_OUTPUTS), labels[0], list(labels.values()))
    fig = fg.comparison_figure(table)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all(max(len(line) for line in t.split("\n")) <= 34 for t in ticks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _save_and_read(fig, tmp_path, "comparison")
