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
