"""The single parameter declaration: its table is coherent, and values are checked and parsed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import parameters as declaration
from scenarios.errors import InputError
from scenarios.parameters import PARAMETERS, ParameterError, check_value, parse_value, validate

NUMERIC = [p for p in PARAMETERS.values() if p.type in (int, float)]


# --- The declaration -----------------------------------------------------------------------------


@pytest.mark.parametrize("parameter", PARAMETERS.values(), ids=lambda p: p.name)
def test_every_declared_default_is_allowed_by_its_own_declaration(parameter):
    assert check_value(parameter.name, parameter.default) == parameter.default
    assert parameter.kind in ("lever", "uncertainty", "park")
    assert parameter.unit and parameter.meaning and "\n" not in parameter.meaning
    assert parameter.source, "every parameter states a source or 'placeholder'"
    if parameter.type in (int, float):
        assert parameter.low is not None and parameter.high is not None
        assert parameter.low < parameter.high
    if parameter.choices is not None:
        assert parameter.default in parameter.choices


def test_kinds_partition_the_parameters():
    levers = {p.name for p in declaration.levers()}
    uncertain = {p.name for p in declaration.uncertainties()}
    park = {p.name for p in PARAMETERS.values() if p.kind == "park"}
    assert levers and uncertain and park
    assert not (levers & uncertain) and not (levers & park) and not (uncertain & park)
    assert levers | uncertain | park == set(PARAMETERS)


def test_every_instrument_has_a_level_a_start_and_an_optional_end():
    for instrument in declaration.INSTRUMENTS:
        assert PARAMETERS[instrument.level.name].kind == "lever"
        assert PARAMETERS[instrument.start_param].default == instrument.default_start_month
        end = PARAMETERS[instrument.end_param]
        assert end.default is None and end.optional


def test_park_choices_are_the_park_files():
    from scenarios.parks import park_names

    assert PARAMETERS["park"].choices == tuple(park_names())


def test_defaults_is_a_fresh_copy_of_every_default():
    first = declaration.defaults()
    first["trust_threshold"] = 0.99
    assert declaration.defaults()["trust_threshold"] == PARAMETERS["trust_threshold"].default
    assert set(first) == set(PARAMETERS)


def test_parameter_error_is_an_input_error():
    assert issubclass(ParameterError, InputError)


# --- check_value ---------------------------------------------------------------------------------


def test_check_value_converts_only_what_is_safe():
    assert check_value("trust_threshold", 1) == 1.0 and isinstance(
        check_value("trust_threshold", 1), float
    )
    assert check_value("n_firms", 250.0) == 250 and isinstance(check_value("n_firms", 250.0), int)
    assert check_value("landfill_tax_end_month", None) is None
    assert check_value("social_network", "none") == "none"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("trust_treshold", 0.5, "did you mean 'trust_threshold'"),
        ("trust_threshold", 1.5, "out of range (float in [0, 1])"),
        ("trust_threshold", -0.1, "out of range"),
        ("trust_threshold", "high", "must be a number"),
        ("trust_threshold", True, "must be a number"),
        ("trust_threshold", math.nan, "finite"),
        ("landfill_tax_eur_per_t", math.inf, "finite"),
        ("n_firms", 2.5, "whole number"),
        ("n_firms", 2, "out of range"),
        ("brokering", 1, "true or false"),
        ("social_network", "small-world", "did you mean 'small_world'"),
        ("park", "kemi", "one of kalundborg"),
        ("trust_threshold", None, "must be set"),
    ],
)
def test_check_value_names_the_parameter_and_what_is_allowed(name, value, fragment):
    with pytest.raises(ParameterError) as error:
        check_value(name, value)
    assert fragment in str(error.value)
    assert str(error.value).startswith(("unknown parameter", name))


# --- parse_value (the text of --set) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("brokering", "true", True),
        ("brokering", "False", False),
        ("brokering", "yes", True),
        ("brokering", "off", False),
        ("brokering", "1", True),
        ("n_firms", "250", 250),
        ("n_firms", "1e3", 1000),
        ("workshops_per_year", " 4 ", 4),
        ("trust_threshold", "0.65", 0.65),
        ("landfill_tax_eur_per_t", "80", 80.0),
        ("landfill_tax_end_month", "none", None),
        ("landfill_tax_end_month", "36", 36),
        ("social_network", "preferential_attachment", "preferential_attachment"),
        ("park", "kokkola", "kokkola"),
    ],
)
def test_parse_value_reads_every_type(name, text, expected):
    value = parse_value(name, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("brokering", "maybe"),
        ("n_firms", "ten"),
        ("n_firms", "10.5"),
        ("trust_threshold", ""),
        ("trust_threshold", "nan"),
        ("landfill_tax_start_month", "none"),
        ("park", "Kokkola"),
        ("no_such_parameter", "1"),
    ],
)
def test_parse_value_rejects_text_that_does_not_parse(name, text):
    with pytest.raises(ParameterError):
        parse_value(name, text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NUMERIC), st.floats(0, 1))
def test_parse_value_round_trips_every_allowed_number(parameter, fraction):
    value = parameter.low + fraction * (parameter.high - parameter.low)
    if parameter.type is int:
        value = int(round(value))
    assert parse_value(parameter.name, repr(value)) == check_value(parameter.name, value)


# --- validate and the helpers --------------------------------------------------------------------


def test_validate_overlays_defaults_and_checks_timing():
    resolved = validate(
        {"landfill_tax_eur_per_t": 50, "landfill_tax_start_month": 12, "landfill_tax_end_month": 24}
    )
    assert set(resolved) == set(PARAMETERS)
    assert resolved["landfill_tax_eur_per_t"] == 50.0
    assert resolved["trust_threshold"] == PARAMETERS["trust_threshold"].default
    for end in (12, 6):
        with pytest.raises(ParameterError, match="must come after landfill_tax_start_month"):
            validate({"landfill_tax_start_month": 12, "landfill_tax_end_month": end})


def test_closest_name_suggests_only_close_names():
    assert declaration.closest_name("landfil_tax_eur_per_t") == "landfill_tax_eur_per_t"
    assert declaration.closest_name("zzzzzz") is None


def test_numeric_range_is_the_declared_range_and_refuses_non_numbers():
    assert declaration.numeric_range("trust_threshold") == (0.0, 1.0)
    for name in ("brokering", "social_network", "no_such"):
        with pytest.raises(ParameterError):
            declaration.numeric_range(name)


# --- The typed view ------------------------------------------------------------------------------


def test_the_typed_view_holds_every_parameter_with_its_validated_value():
    resolved = validate(
        {
            "trust_threshold": 0.7,
            "platform_tier": 2,
            "operator_funding_eur_per_year": 30_000.0,
            "landfill_tax_end_month": 9,
        }
    )
    settings = declaration.ModelParameters.of(resolved)
    assert {name: getattr(settings, name) for name in PARAMETERS} == resolved
    assert settings.trust_threshold == 0.7 and settings.platform_tier == 2


def test_the_typed_view_refuses_a_parameter_declared_without_its_field(monkeypatch):
    extra = declaration.Parameter("forgotten_share", 0.5, "share", "A parameter", "uncertainty")
    monkeypatch.setattr(declaration, "PARAMETERS", {**PARAMETERS, extra.name: extra})
    with pytest.raises(RuntimeError, match="forgotten_share"):
        declaration._check_typed_view()
