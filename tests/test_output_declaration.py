"""The declaration of outputs (scenarios/outputs.py): complete, consistent, and read by every
consumer, so that adding an indicator is one declaration plus the function that computes it."""

from __future__ import annotations

import math

import pytest

from scenarios import outputs
from scenarios.errors import InputError


def test_every_output_is_declared_in_full():
    for output in outputs.every_output():
        assert output.name and output.label and output.unit and output.definition, output
        assert output.kind in outputs.KINDS and output.scope in outputs.SCOPES
        assert output.source
        low, high = output.bounds
        if output.kind == "share":
            assert (low, high) == (0.0, 1.0), output.name
        if output.kind in ("count", "flag"):
            assert low is not None and low >= 0.0, output.name
        if output.total:
            assert output.scope == "month" and output.aggregation == "sum", output.name


def test_names_are_unique_within_each_scope():
    for scope in outputs.SCOPES:
        names = [o.name for o in outputs.every_output() if o.scope == scope]
        assert len(names) == len(set(names)), scope
    assert len(outputs.scalar_output_names()) == len(set(outputs.scalar_output_names()))


def test_one_quantity_has_one_label_and_one_unit():
    # The recovery rate of the park indicators table is the timeseries' recovery rate over the
    # whole run: same label, same unit (it was "% of material by-products" in one table and
    # "share, 0-1" in another).
    series = outputs.find("recovery_rate")
    table = {o.name: o for o in outputs.park_indicators()}["recovery_rate"]
    assert (table.label, table.unit, table.bounds) == (series.label, series.unit, series.bounds)
    labels = {}
    for output in outputs.series():
        assert output.label not in labels, (output.name, labels.get(output.label))
        labels[output.label] = output.name


def test_scalar_outputs_derive_label_and_unit():
    assert outputs.describe("new_exchanges") == ("New exchanges", "count/month")
    assert outputs.describe("total_exchanged_m3") == ("Water reused, total", "m³")
    assert outputs.describe("final_active_exchanges") == ("Active exchanges at the end", "count")
    assert outputs.describe("final_co2_avoided_t") == ("CO₂ avoided, last month", "t CO₂/month")
    assert outputs.describe("mean_recovery_rate")[0] == "Recovery rate, monthly mean"
    assert outputs.describe("total_workshops_held") == ("Workshops held", "count")
    assert outputs.describe("no_such_thing") == ("no such thing", "")
    for name in outputs.scalar_output_names():
        assert outputs.scalar_output(name).unit, name
    with pytest.raises(KeyError):
        outputs.scalar_output("total_recovery_rate")  # a share has no run total


def test_unknown_output_names_are_input_errors():
    assert outputs.check_output_names(["mean_recovery_rate", "mean_recovery_rate"]) == [
        "mean_recovery_rate"
    ]
    with pytest.raises(InputError, match="did you mean 'mean_recovery_rate'"):
        outputs.check_output_names(["mean_recovery_rat"])


def test_bounds_hold_on_a_run():
    from simulation.runner import run_model

    result = run_model({"park": "synthetic", "n_firms": 60}, steps=24, seed=3)
    for output in outputs.series():
        values = result.timeseries[output.name].to_numpy(dtype=float)
        low, high = output.bounds
        assert not any(math.isnan(v) for v in values), output.name
        if low is not None:
            assert values.min() >= low - 1e-9, output.name
        if high is not None:
            assert values.max() <= high + 1e-9, output.name


# --- adding an indicator: one declaration plus the function that computes it ----------------

THROWAWAY = outputs.Output(
    "exchanges_per_firm",
    "exchanges per firm",
    "Exchanges per firm",
    "flow",
    "sum",
    "Active exchanges over the firms in the park (a throwaway test output).",
    0.0,
    total=True,
    group="exchanges",
)
THROWAWAY_INDICATOR = outputs.Output(
    "exchanges_per_firm_total",
    "exchanges per firm",
    "Exchanges per firm over the run",
    "flow",
    "sum",
    "total_exchanges_per_firm (a throwaway test indicator).",
    0.0,
    scope="park",
)


@pytest.fixture
def throwaway(monkeypatch):
    """Declare one more timeseries output and one more park indicator, with their functions."""
    from analysis import indicators_table
    from simulation import indicators

    monkeypatch.setattr(outputs, "SERIES", (*outputs.SERIES, THROWAWAY))
    monkeypatch.setattr(outputs, "PARK_INDICATORS", (*outputs.PARK_INDICATORS, THROWAWAY_INDICATOR))
    monkeypatch.setitem(
        indicators.MEASURES,
        THROWAWAY.name,
        lambda model: len(model.book.active()) / len(model.companies),
    )
    monkeypatch.setitem(
        indicators_table.PER_RUN,
        THROWAWAY_INDICATOR.name,
        lambda frame: frame["total_exchanges_per_firm"],
    )
    return THROWAWAY


def test_a_declared_output_reaches_every_consumer(throwaway, tmp_path, capsys):
    import pandas as pd

    from analysis.indicators_table import indicators_table
    from analysis.sensitivity_model import check_outputs
    from analysis.style import describe, unit_of
    from interfaces.cli import main
    from simulation.runner import run_model
    from simulation.scalars import scalar_outputs

    name = throwaway.name
    result = run_model({"park": "synthetic", "n_firms": 40}, steps=12, seed=2)
    ts = result.timeseries
    assert list(ts.columns)[-1] == name
    expected = ts["active_exchanges"] / 40
    assert ts[name].tolist() == pytest.approx(expected.tolist())
    assert result.summary["final"][name] == pytest.approx(expected.iloc[-1])
    assert result.summary["totals"][name] == pytest.approx(expected.sum())
    scalars = scalar_outputs(result)
    for scalar in (f"final_{name}", f"mean_{name}", f"total_{name}"):
        assert scalar in scalars and scalar in outputs.scalar_output_names()
    assert describe(f"total_{name}") == ("Exchanges per firm, total", "exchanges per firm")
    assert unit_of(f"final_{name}") == "exchanges per firm/month"
    assert check_outputs([f"mean_{name}"]) == [f"mean_{name}"]

    # compare: runs.csv gains the scalar outputs, --output accepts them.
    out = tmp_path / "compare"
    argv = ["compare", "baseline", "--park", "synthetic", "--set", "n_firms=40"]
    argv += ["--replications", "2", "--steps", "6", "--workers", "1", "--quiet"]
    assert main([*argv, "--output", f"total_{name}", "--out", str(out)]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert {f"final_{name}", f"mean_{name}", f"total_{name}"} <= set(runs.columns)
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["output"]) == {f"total_{name}"}

    table = indicators_table(runs)
    row = table[table["indicator"] == THROWAWAY_INDICATOR.name].iloc[0]
    assert row["label"] == THROWAWAY_INDICATOR.label
    assert row["mean"] == pytest.approx(runs[f"total_{name}"].mean())

    capsys.readouterr()
    assert main(["outputs", "--quiet", "--kind", "flow", "--scope", "month"]) == 0
    assert name in capsys.readouterr().out.split()
    assert main(["outputs", "--scalars", "--quiet"]) == 0
    assert f"mean_{name}" in capsys.readouterr().out.split()


def test_outputs_command_lists_the_declaration(cli):
    status, text, _ = cli("outputs")
    assert status == 0
    assert "# timeseries columns" in text and "# park indicators" in text
    line = next(line for line in text.splitlines() if line.startswith("recovery_rate "))
    assert "[share, mean]" in line and "[0, 1]" in line and "share of material" in line
    status, text, _ = cli("outputs", "--quiet", "--kind", "share", "--scope", "month")
    assert status == 0
    assert text.split() == [o.name for o in outputs.series() if o.kind == "share"]
    status, text, _ = cli("outputs", "--scalars", "-q")
    assert status == 0
    assert text.split() == list(outputs.scalar_output_names())
    status, _, err = cli("outputs", "--kind", "nonsense")
    assert status == 2 and "--kind" in err


def test_a_declared_output_that_nothing_computes_is_reported(monkeypatch):
    from simulation.runner import run_model

    monkeypatch.setattr(outputs, "SERIES", (*outputs.SERIES, THROWAWAY))
    with pytest.raises(RuntimeError, match="exchanges_per_firm.*simulation.indicators.measure"):
        run_model({"park": "synthetic", "n_firms": 40}, steps=1, seed=1)
