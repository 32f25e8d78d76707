"""The classroom app without a browser: controls, seed, side-by-side runs, the page, the command."""

from __future__ import annotations

import dataclasses
import io
import re
import socket
import subprocess
import sys

import pandas as pd
import pytest

from interfaces import app_model
from interfaces.app_model import (
    BEHAVIOUR_CONTROLS,
    CONTROLS,
    LEVER_CONTROLS,
    NO_COMPARISON,
    AppModel,
    control_label,
    control_spec,
    control_specs,
    parse_seed,
    scenario_parameters,
    slider_step,
)
from scenarios.loader import load_scenario
from scenarios.parameters import INSTRUMENTS, PARAMETERS
from scenarios.parks import PARKS_DIR
from simulation.model import SymbiosisModel
from simulation.runner import collect_results, run_model

STEPS = 6


# --- controls generated from the declaration ----------------------------------------------------


def test_every_policy_lever_and_the_key_behaviour_have_a_control():
    for instrument in INSTRUMENTS:
        assert instrument.level.name in LEVER_CONTROLS
    for name in (
        "landfill_tax_eur_per_t",
        "subsidy_eur_per_unit",
        "investment_grant_share",
        "platform_tier",
        "workshops_per_year",
        "contracts",
        "shared_infrastructure",
        "disclosure_incentive_eur_per_month",
        "brokering",
    ):
        assert name in CONTROLS
    assert set(BEHAVIOUR_CONTROLS) == {"trust_threshold", "openness_mean", "supply_uncertainty"}
    assert all(PARAMETERS[name].kind == "uncertainty" for name in BEHAVIOUR_CONTROLS)
    assert len(set(CONTROLS)) == len(CONTROLS)


@pytest.mark.parametrize("name", CONTROLS)
def test_each_control_matches_its_declaration(name):
    declared = PARAMETERS[name]
    defaults = scenario_parameters("baseline")
    spec = control_spec(name, defaults)
    assert spec["value"] == declared.default
    if declared.type is bool:
        assert spec["type"] == "Checkbox"
    elif declared.type is int:
        assert spec["type"] == "SliderInt"
        assert (spec["min"], spec["max"], spec["step"]) == (declared.low, declared.high, 1)
    else:
        assert spec["type"] == "SliderFloat"
        assert (spec["min"], spec["max"]) == (declared.low, declared.high)
        assert 50 <= (declared.high - declared.low) / spec["step"] <= 100


def test_controls_follow_a_changed_declaration(monkeypatch):
    """No second list of ranges: changing the declaration changes the slider."""
    name = "landfill_tax_eur_per_t"
    monkeypatch.setitem(
        PARAMETERS, name, dataclasses.replace(PARAMETERS[name], high=250.0, unit="EUR/tonne")
    )
    spec = control_specs("baseline")[name]
    assert spec["max"] == 250.0
    assert spec["step"] == slider_step(PARAMETERS[name]) == 5.0
    assert "EUR/tonne" in spec["label"]


def test_controls_start_at_the_scenarios_values_and_say_when_a_policy_starts():
    params = load_scenario("landfill_tax").parameters()
    specs = control_specs("landfill_tax")
    for name in CONTROLS:
        assert specs[name]["value"] == params[name]
    start = params["landfill_tax_start_month"]
    assert start > 0
    assert specs["landfill_tax_eur_per_t"]["label"].endswith(f"from month {start + 1}")
    assert specs["seed"] == {"type": "InputText", "value": "0", "label": "Seed (whole number)"}


def test_labels_read_as_words_with_units():
    defaults = scenario_parameters("baseline")
    assert control_label("landfill_tax_eur_per_t", defaults) == "Landfill tax (EUR/t)"
    assert control_label("workshops_per_year", defaults) == "Workshops per year"
    assert control_label("contracts", defaults) == "Contracts"


# --- the seed typed as text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seed"), [("42", 42), (" 7 ", 7), ("1e3", 1000), (5, 5), ("0", 0)]
)
def test_seed_text_is_cast_to_int(text, seed):
    assert parse_seed(text) == app_model.SeedInput(seed, "")


@pytest.mark.parametrize("text", ["abc", "", "3.5", "-1", str(2**63), "nan", True])
def test_bad_seed_text_gives_seed_zero_and_a_message(text):
    parsed = parse_seed(text)
    assert parsed.value == 0
    assert "seed" in parsed.problem and "using seed 0" in parsed.problem


def test_seed_string_gives_the_same_run_as_the_integer_seed():
    model = AppModel(seed="12", landfill_tax_eur_per_t=60.0)
    reference = SymbiosisModel(seed=12, landfill_tax_eur_per_t=60.0)
    for _ in range(STEPS):
        model.step()
        reference.step()
    pd.testing.assert_frame_equal(
        collect_results(model).timeseries, collect_results(reference).timeseries
    )
    assert model.seed_problem == ""


def test_bad_seed_still_builds_a_model():
    model = AppModel(seed="twelve")
    model.step()
    assert model.seed == 0 and "twelve" in model.seed_problem


# --- side by side, horizon, zero exchanges --------------------------------------------------


def test_side_by_side_runs_scenario_b_on_the_same_seed_and_world():
    chosen = AppModel.choose("baseline", compare_name="landfill_tax", seed="3")
    model = chosen(trust_threshold=0.4, landfill_tax_eur_per_t=20.0)
    for _ in range(STEPS):
        model.step()
    assert model.twin is not None and model.twin.steps == model.steps == STEPS
    params_b = {**load_scenario("landfill_tax").parameters(), "trust_threshold": 0.4}
    assert model.twin.params == params_b  # B keeps its own policy, shares A's behaviour
    expected = run_model(params_b, steps=STEPS, seed=3).timeseries
    pd.testing.assert_frame_equal(collect_results(model.twin).timeseries, expected)
    assert [label for label, _run in model.runs()] == ["A: baseline", "B: landfill_tax"]


def test_chosen_class_keeps_its_choice_when_mesa_passes_only_changed_controls():
    chosen = AppModel.choose("facilitation", park_name="kalundborg", seed="5")
    untouched = chosen()
    assert (
        untouched.params
        == load_scenario("facilitation").with_overrides({"park": "kalundborg"}).parameters()
    )
    assert untouched.seed == 5 and untouched.twin is None
    moved = chosen(workshops_per_year=11, seed="6")
    assert moved.params["workshops_per_year"] == 11 and moved.seed == 6
    assert moved.params["brokering"] is True  # the scenario's other values stay


@pytest.fixture(scope="module")
def app_module():
    pytest.importorskip("solara", reason="the app needs the [app] extra")
    from interfaces import app

    return app


def test_stepping_with_zero_exchanges_still_shows_everything(app_module):
    """No information channel: nothing emerges, and the charts and panel still have their data."""
    from interfaces.app_charts import chart_delta, chart_setup

    model = AppModel(social_network="none", compare_name=NO_COMPARISON)
    setup = chart_setup(model.runs())
    assert setup["runs"][0]["edges"] == [] and setup["runs"][0]["rows"] == []
    for month in range(4):
        panel = app_module.indicator_html(model)
        assert re.search(rf"Month</td><td[^>]*>{month}<", panel)
        assert re.search(r"Active exchanges</td><td[^>]*>0<", panel)
        model.step()
        delta = chart_delta(setup["key"], model.runs(), [month])
        assert delta["runs"][0]["rows"][0][0] == month + 1
        assert delta["runs"][0]["started"] == delta["runs"][0]["ended"] == []
    assert model.book.size == 0


def test_chart_changes_rebuild_the_whole_picture():
    """Setup at month 0 plus every month's changes gives what a setup at the end shows."""
    from interfaces.app_charts import chart_delta, chart_setup

    model = AppModel(seed=3, compare_name="landfill_tax")
    start = chart_setup(model.runs())
    shown = [0, 0]
    rows: list[list] = [[], []]
    edges: list[dict] = [{}, {}]
    for months in (1, 3, 1, 7):  # frames of one or several months (Play when behind)
        for _ in range(months):
            model.step()
        delta = chart_delta(start["key"], model.runs(), shown)
        for k, change in enumerate(delta["runs"]):
            assert change["from"] == shown[k] and change["to"] == model.steps
            rows[k].extend(change["rows"])
            edges[k].update({edge[0]: edge for edge in change["started"]})
            for ended in change["ended"]:
                edges[k].pop(ended)
            shown[k] = change["to"]
    end = chart_setup(model.runs())
    for k in range(2):
        assert rows[k] == end["runs"][k]["rows"]
        assert sorted(edges[k].values()) == sorted(end["runs"][k]["edges"])
        # the firms never move: positions at the end are those at the start
        assert end["runs"][k]["firms"]["nodes"] == start["runs"][k]["firms"]["nodes"]
    assert sum(len(run["edges"]) for run in end["runs"]) > 0, "test needs some exchanges"
    nothing_new = chart_delta(start["key"], model.runs(), shown)
    assert all(c["rows"] == c["started"] == c["ended"] == [] for c in nothing_new["runs"])


def test_downloads_hold_the_runs_series_and_exchanges():
    model = AppModel(seed=2, compare_name="landfill_tax")
    for _ in range(5):
        model.step()
    series = pd.read_csv(io.StringIO(app_model.series_csv(model)))
    assert list(series["run"].unique()) == ["A: baseline", "B: landfill_tax"]
    assert len(series) == 10 and series.columns[0] == "run"
    assert series[series["run"] == "A: baseline"]["step"].tolist() == [1, 2, 3, 4, 5]
    exchanges = pd.read_csv(io.StringIO(app_model.exchanges_csv(model)))
    expected = collect_results(model).exchanges
    assert (exchanges["run"] == "A: baseline").sum() == len(expected)
    assert {"supplier", "receiver", "start_step", "end_step"} <= set(exchanges.columns)


# --- the page, rendered without a browser ---------------------------------------------------


@pytest.fixture
def page(app_module):
    import solara

    box, context = solara.render(solara.AppLayout(children=[app_module.Page()]), handle_error=False)
    yield context
    context.close()


def _shown(context) -> dict:
    """What the page's run widget shows: its latest frame, or its picture before any frame."""
    from interfaces.app_charts import LiveRunWidget

    widgets = context.find(LiveRunWidget).widgets
    assert len(widgets) == 1
    setup, frame = widgets[0].setup, widgets[0].frame
    return frame if frame.get("key") == setup["key"] else setup


def _panel(context) -> str:
    panel = _shown(context)["panel"]
    assert "Key indicators" in panel
    return panel


def _row(context, label: str) -> list[str]:
    match = re.search(
        rf"<td[^>]*>{re.escape(label)}</td>((?:<td[^>]*>[^<]*</td>)+)", _panel(context)
    )
    assert match, label
    return re.findall(r"<td[^>]*>([^<]*)</td>", match.group(1))


def _slider(context, label: str):
    import ipyvuetify as v

    found = [w for w in context.find(v.Slider).widgets if w.label.startswith(f"{label}: ")]
    assert len(found) == 1, label
    return found[0]


def _click(context, label: str) -> None:
    import ipyvuetify as v

    context.find(v.Btn, children=[label]).widget.click()


def test_page_builds_with_sliders_from_the_declaration(page):
    import ipyvuetify as v

    defaults = scenario_parameters("baseline")
    for name in CONTROLS:
        if PARAMETERS[name].type in (int, float):
            slider = _slider(page, control_label(name, defaults))
            assert (slider.min, slider.max) == (PARAMETERS[name].low, PARAMETERS[name].high)
            assert slider.v_model == defaults[name]
            assert slider.label.endswith(f": {defaults[name]:g}")  # the value is shown
    checkboxes = {w.label for w in page.find(v.Checkbox).widgets}
    assert {"Contracts", "Shared infrastructure", "Brokering"} <= checkboxes
    assert _row(page, "Month") == ["0"]


def test_step_reset_slider_seed_and_side_by_side_in_the_page(page):
    import ipyvuetify as v

    _click(page, "Step")
    _click(page, "Step")
    assert _row(page, "Month") == ["2"]
    _slider(page, "Landfill tax (EUR/t)").v_model = 120.0
    assert _slider(page, "Landfill tax (EUR/t)").label == "Landfill tax (EUR/t): 120"
    seed = page.find(v.TextField, label="Seed (whole number)").widget
    seed.v_model = "17"
    seed.fire_event("keyup.enter", None)
    _click(page, "Reset")
    assert _row(page, "Month") == ["0"]
    _click(page, "Step")
    assert _row(page, "Landfill tax in force") == ["120 EUR/t"]
    assert _row(page, "Seed") == ["17"]
    page.find(v.Select, label="Side by side with scenario B").widget.v_model = "landfill_tax"
    assert re.findall(r"<th[^>]*>([^<]*)</th>", _panel(page))[1:] == [
        "A: baseline",
        "B: landfill_tax",
    ]
    assert _row(page, "Seed") == ["17", "17"]  # a new choice keeps the seed
    assert _slider(page, "Landfill tax (EUR/t)").v_model == 0.0  # fresh inputs for the choice
    _click(page, "Step")
    assert _row(page, "Month") == ["1", "1"]


def test_bad_seed_in_the_page_shows_a_warning_not_a_crash(page):
    import ipyvuetify as v

    seed = page.find(v.TextField, label="Seed (whole number)").widget
    seed.v_model = "not a number"
    seed.fire_event("keyup.enter", None)
    _click(page, "Reset")
    _click(page, "Step")
    assert _row(page, "Seed") == ["0"]
    assert page.find(v.Alert).widgets  # the warning about the seed
    assert any("not a number" in str(w.children) for w in page.find(v.Alert).widgets)


# --- the command ----------------------------------------------------------------------------


def test_help_does_not_import_the_app_stack():
    code = (
        "import sys; from interfaces.cli import build_parser; build_parser(); "
        "print(sorted({'solara', 'mesa.visualization', 'matplotlib'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("port", ["0", "70000", "eighty"])
def test_bad_port_is_a_usage_error(port, cli):
    status, _, err = cli("app", "--port", port)
    assert status == 2
    assert "--port" in err.splitlines()[-1]


def test_busy_port_is_one_line_and_exit_2(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, _, err = cli("app", "--port", port)
    assert status == 2
    assert err.startswith(f"symbiosis: error: cannot serve on 127.0.0.1:{port}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_app_extra_is_one_line_and_exit_2(monkeypatch, cli):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "solara" else real_find_spec(name, *a),
    )
    status, _, err = cli("app")
    assert status == 2 and err.count("\n") == 1
    assert "pip install 'symbiosis[app]'" in err


def test_a_park_file_given_to_the_app_is_offered_and_runs(tmp_path, monkeypatch):
    from interfaces.commands.app import APP_PARKS_VARIABLE, park_files_variable

    own = tmp_path / "my park.toml"
    own.write_text((PARKS_DIR / "synthetic.toml").read_text())
    monkeypatch.setenv(APP_PARKS_VARIABLE, park_files_variable([str(own)]))
    offered = app_model.app_parks()
    assert offered[-1] == str(own.resolve()) and "synthetic" in offered
    model = AppModel(park_name=offered[-1], seed=3)
    builtin = AppModel(park_name="synthetic", seed=3)
    for _ in range(6):
        model.step()
        builtin.step()
    # The same park from a file outside the package gives the same run.
    assert collect_results(model).timeseries.equals(collect_results(builtin).timeseries)


def test_a_bad_park_file_for_the_app_is_one_line_before_anything_is_served(tmp_path, cli):
    status, _, err = cli("app", "--park", str(tmp_path / "missing.toml"))
    assert status == 2 and err.count("\n") == 1
    assert "missing.toml" in err and "Traceback" not in err
