"""Scenario discovery: PRIM and CART recover a box planted in an exploration."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.design_space import DesignError
from analysis.discovery import discover, write_discovery
from analysis.exploration import explore
from analysis.test_problems import PLANTED_BOX, PLANTED_MODEL, PLANTED_OUTPUT
from scenarios.loader import load_scenario

DIMENSIONS = ["trust_threshold", "awareness_mean", "generalized_trust_mean"]
WHERE = f"{PLANTED_OUTPUT} > 0.5"


@pytest.fixture(scope="module")
def exploration(tmp_path_factory):
    return explore(
        [load_scenario("baseline")],
        400,
        tmp_path_factory.mktemp("planted"),
        params=DIMENSIONS,
        steps=1,
        replications=1,
        seed=11,
        workers=1,
        progress=False,
        model=PLANTED_MODEL,
    )


@pytest.mark.parametrize("method", ["prim", "cart"])
def test_recovers_the_planted_box(exploration, method):
    found = discover(exploration.experiments, WHERE, DIMENSIONS, methods=[method])
    box = found.boxes[(found.boxes["method"] == method) & (found.boxes["box"] == 0)]
    limits = box.set_index("dimension")
    assert set(limits.index) == set(PLANTED_BOX)  # the noise dimension is not restricted
    for name, (low, high) in PLANTED_BOX.items():
        assert abs(float(limits.loc[name, "low"]) - low) < 0.06
        assert abs(float(limits.loc[name, "high"]) - high) < 0.06
    assert box["coverage"].iloc[0] >= 0.85
    assert box["density"].iloc[0] >= 0.85
    assert box["restricted_dimensions"].iloc[0] == 2


def test_peeling_trajectory_and_files(exploration, tmp_path):
    found = discover(exploration.experiments, WHERE, DIMENSIONS)
    peeling = found.peeling
    assert peeling["chosen"].sum() == 1
    assert peeling["coverage"].iloc[0] == 1.0
    assert peeling["density"].iloc[-1] > peeling["density"].iloc[0]
    written = {path.name for path in write_discovery(found, tmp_path)}
    assert {"boxes.csv", "peeling.csv", "cases.csv", "boxes.png", "peeling.png"} <= written


def test_deterministic(exploration):
    first = discover(exploration.experiments, WHERE, DIMENSIONS, methods=["prim", "cart"])
    again = discover(exploration.experiments, WHERE, DIMENSIONS, methods=["prim", "cart"])
    pd.testing.assert_frame_equal(first.boxes, again.boxes)


def test_no_case_of_interest_is_a_note_not_an_error(exploration):
    found = discover(exploration.experiments, f"{PLANTED_OUTPUT} > 5", DIMENSIONS)
    assert found.boxes.empty
    assert "no point" in found.notes[0]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("total_co2_avoided_t << 3", "OUTPUT OP VALUE"),
        ("total_co2 < 3", "unknown output"),
        ("total_co2_avoided_t < lots", "OUTPUT OP VALUE"),
        ("mean_recovery_rate > 1.5", "can never hold"),  # a share, declared in [0, 1]
    ],
)
def test_bad_condition(exploration, where, message):
    with pytest.raises(DesignError, match=message):
        discover(exploration.experiments, where, DIMENSIONS)


def test_unknown_policy(exploration):
    with pytest.raises(DesignError, match="not in this exploration"):
        discover(exploration.experiments, WHERE, DIMENSIONS, policy="nope")
