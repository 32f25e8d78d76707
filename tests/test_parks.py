"""Parks: every preset and generator builds and runs, and presets match their sources' figures."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.errors import InputError
from scenarios.loader import load_scenario, scenario_names
from scenarios.parameters import validate
from scenarios.parks import (
    PARKS_DIR,
    ParkError,
    build_park,
    load_park_spec,
    park_names,
)
from scenarios.resources import sector_catalogue, stream_catalogue
from simulation.runner import run_model

SEEDS = range(20)


def park(name: str, seed: int = 0, **params):
    return build_park(validate({"park": name, **params}), np.random.default_rng(seed))


def yearly_tonnes(built) -> np.ndarray:
    """Expected by-products of each firm in t/year: size x sector quantity of every stream in t
    (the streams ``generated_t`` counts), before supply fluctuations."""
    sectors, streams = sector_catalogue(), stream_catalogue()
    in_tonnes = np.array([unit == "t" for unit in streams.units])
    per_month = sectors.produces_per_month[built.sector][:, in_tonnes].sum(1)
    return 12 * built.size * per_month


def sector_names(built) -> list[str]:
    return [sector_catalogue().names[s] for s in built.sector]


# --- Discovery, format and runs ------------------------------------------------------------------


def test_parks_are_discovered_from_the_folder():
    assert park_names() == sorted(p.stem for p in PARKS_DIR.glob("*.toml"))
    assert {"synthetic", "regional", "kemi_tornio", "kokkola", "kalundborg"} <= set(park_names())


@pytest.mark.parametrize("name", park_names())
def test_every_park_is_described_sourced_and_builds_reproducibly(name):
    spec = load_park_spec(name)
    assert spec["description"] and spec["source"]
    first, again, other = park(name, 1), park(name, 1), park(name, 2)
    n = len(first)
    assert n >= 2
    for array in (first.sector, first.size, first.x_km, first.y_km):
        assert array.shape == (n,) and np.isfinite(array).all()
    assert len(first.firm_names) == n and (first.size > 0).all()
    assert ((first.sector >= 0) & (first.sector < len(sector_catalogue().names))).all()
    for field in ("sector", "size", "x_km", "y_km"):
        assert np.array_equal(getattr(first, field), getattr(again, field))
    if name != "kalundborg":  # every other park draws some of its firms
        assert not np.array_equal(first.x_km, other.x_km)


@pytest.mark.parametrize("name", park_names())
def test_every_park_runs_the_fullest_policy_mix(name):
    params = load_scenario("world_bank_mix").with_overrides({"park": name}).parameters()
    result = run_model(params, steps=24, seed=5)
    assert len(result.timeseries) == 24
    assert result.summary["park"] == name
    assert result.summary["n_firms"] == len(park(name, 5))
    assert (result.timeseries["generated_t"] > 0).all()


@pytest.mark.parametrize("scenario", scenario_names())
@pytest.mark.parametrize("name", park_names())
def test_every_scenario_runs_on_every_park(scenario, name):
    params = load_scenario(scenario).with_overrides({"park": name}).parameters()
    result = run_model(params, steps=24, seed=7)
    ts = result.timeseries
    assert len(ts) == 24 and result.summary["park"] == name
    # Accounts that hold on any park under any scenario: stocks follow flows, nothing is
    # exchanged or landfilled that was not generated, the public budget balances.
    active_before = ts["active_exchanges"].shift(fill_value=0)
    assert (
        ts["active_exchanges"] == active_before + ts["new_exchanges"] - ts["ended_exchanges"]
    ).all()
    assert (ts["exchanged_t"] + ts["landfilled_t"] <= ts["generated_t"] * (1 + 1e-9) + 1e-6).all()
    assert ts["recovery_rate"].between(0.0, 1.0).all()
    np.testing.assert_allclose(
        ts["public_net_eur"], ts["public_revenue_eur"] - ts["public_spending_eur"], atol=1e-6
    )


# --- Kemi-Tornio (Circular Economy Centre; docs/model.md section 6.3) -----------------------------

# Circular Economy Centre: "about 1.7 million tonnes ... every year"
KEMI_TORNIO_BY_PRODUCTS_T_PER_YEAR = 1.7e6
KEMI_TORNIO_TOLERANCE = 0.10  # "about": within 10 %, averaged over seeds of the generated SMEs
AGGREGATES = (
    "Tornio steel and ferrochrome works",
    "Kemi pulp, paper and board mills",
    "Kemi chromite mine",
)


def test_kemi_tornio_generates_about_1_7_mt_of_by_products_a_year():
    totals = [yearly_tonnes(park("kemi_tornio", seed)).sum() for seed in SEEDS]
    assert np.mean(totals) == pytest.approx(
        KEMI_TORNIO_BY_PRODUCTS_T_PER_YEAR, rel=KEMI_TORNIO_TOLERANCE
    )


def test_kemi_tornio_has_three_large_aggregates_and_about_100_smes():
    spec = load_park_spec("kemi_tornio")
    named = [firm["name"] for firm in spec["firms"]]
    assert set(AGGREGATES) <= set(named)
    for seed in SEEDS:
        built = park("kemi_tornio", seed)
        smes = [n for n in built.firm_names if n not in named]
        assert 90 <= len(smes) <= 110
        tonnes = yearly_tonnes(built)
        top_three = {built.firm_names[k] for k in np.argsort(tonnes)[-3:]}
        assert top_three == set(AGGREGATES)
        aggregates = [built.firm_names.index(n) for n in AGGREGATES]
        assert tonnes[aggregates].sum() > 0.5 * tonnes.sum()


def test_kemi_tornio_lies_within_a_25_km_circle():
    for seed in SEEDS:
        built = park("kemi_tornio", seed)
        assert np.hypot(built.x_km, built.y_km).max() <= 25 / 2


# --- Kokkola (Circular Economy Centre) ------------------------------------------------------------


def test_kokkola_has_17_chemical_and_metal_companies_and_about_60_service_companies():
    for seed in SEEDS:
        sectors = sector_names(park("kokkola", seed))
        chemical_and_metal = sum(s in ("chemicals", "metal_refining") for s in sectors)
        assert chemical_and_metal == 17
        assert 55 <= len(sectors) - chemical_and_metal <= 65
        assert sectors.count("services") >= 55


# --- Kalundborg (Jacobsen 2006; Chertow 2007) ----------------------------------------------------


def test_kalundborg_historical_exchanges_are_feasible_in_the_catalogue():
    spec = load_park_spec("kalundborg")
    history = spec["historical_exchanges"]
    assert len(history) >= 6
    sectors, streams = sector_catalogue(), stream_catalogue()
    sector_of = {firm["name"]: firm["sector"] for firm in spec["firms"]}
    for supplier, receiver, stream, year in history:
        assert supplier != receiver
        s = streams.index(stream)
        assert sectors.produces_per_month[sectors.index(sector_of[supplier]), s] > 0, (
            f"{supplier} ({sector_of[supplier]}) does not produce {stream}"
        )
        assert sectors.needs_per_month[sectors.index(sector_of[receiver]), s] > 0, (
            f"{receiver} ({sector_of[receiver]}) does not need {stream}"
        )
        assert 1960 <= year <= 2025


def test_kalundborg_names_its_documented_partners():
    names = set(park("kalundborg").firm_names)
    for partner in (
        "Asnaes power station",
        "Statoil refinery",
        "Gyproc plasterboard",
        "Novo Nordisk and Novozymes",
        "Kalundborg municipality",
        "Fish farm",
    ):
        assert partner in names


# --- Generators ----------------------------------------------------------------------------------


def test_synthetic_park_honours_size_area_and_sector_mix():
    spec = load_park_spec("synthetic")
    built = park("synthetic", 0, n_firms=4000, area_radius_km=7.5)
    assert len(built) == 4000
    assert np.hypot(built.x_km, built.y_km).max() <= 7.5
    sectors = sector_names(built)
    weights = {k: v / sum(spec["mix"].values()) for k, v in spec["mix"].items()}
    for sector, share in weights.items():
        assert sectors.count(sector) / 4000 == pytest.approx(share, abs=0.02)
    assert set(sectors) == set(weights)


def test_small_synthetic_park_has_one_firm_of_each_sector_while_it_can():
    mix = load_park_spec("synthetic")["mix"]
    built = park("synthetic", 0, n_firms=len(mix))
    assert sorted(sector_names(built)) == sorted(mix)


def test_regional_park_keeps_firm_density_constant_as_it_grows():
    spec = load_park_spec("regional")

    def spread_km(n_firms: int) -> float:
        return float(
            np.mean([np.std(park("regional", seed, n_firms=n_firms).x_km) for seed in range(10)])
        )

    for n_firms in (1000, 4000):
        built = park("regional", 0, n_firms=n_firms)
        reach = spec["radius_km_per_1000_firms"] * np.sqrt(n_firms / 1000) + spec["town_radius_km"]
        assert len(built) == n_firms and np.hypot(built.x_km, built.y_km).max() <= reach
    # Four times the firms over four times the area: the spread doubles.
    assert spread_km(4000) / spread_km(1000) == pytest.approx(2.0, rel=0.25)


# --- Bad park files ------------------------------------------------------------------------------

GOOD_FIRM = '[[firms]]\nname = "A"\nsector = "energy"\n\n[[firms]]\nname = "B"\nsector = "steel"\n'
BAD_PARKS = {
    "malformed TOML": ("name = \n", "malformed TOML"),
    "unknown key": ("radius_kms = 3.0\n" + GOOD_FIRM, "unknown key 'radius_kms'"),
    "wrong type": ('radius_km = "big"\n' + GOOD_FIRM, "radius_km must be a number"),
    "negative": ("radius_km = -1.0\n" + GOOD_FIRM, "radius_km must be above 0"),
    "unknown generator": ('generator = "random"\n', "generator must be one of"),
    "unknown sector": ('[[firms]]\nname = "A"\nsector = "steal"\n', "did you mean 'steel'"),
    "firm without sector": ('[[firms]]\nname = "A"\n', "[[firms]] #1 needs a sector"),
    "firm key typo": (
        '[[firms]]\nname = "A"\nsector = "steel"\nsise = 2.0\n',
        "[[firms]] #1 unknown key 'sise'",
    ),
    "group count": ('[[groups]]\nsector = "steel"\ncount = 2.5\n', "count must be a whole number"),
    "duplicate firm": (GOOD_FIRM + '\n[[firms]]\nname = "A"\nsector = "food"\n', "used twice"),
    "too few firms": ('[[firms]]\nname = "A"\nsector = "steel"\n', "at least two firms"),
    "history after firms": (
        GOOD_FIRM + 'historical_exchanges = [["A", "B", "slag", 1990]]\n',
        "[[firms]] #2 unknown key 'historical_exchanges'",
    ),
    "history unknown firm": (
        'historical_exchanges = [["A", "C", "slag", 1990]]\n' + GOOD_FIRM,
        "'C' is not a firm of the park",
    ),
    "history unknown stream": (
        'historical_exchanges = [["A", "B", "slog", 1990]]\n' + GOOD_FIRM,
        "unknown stream 'slog'",
    ),
    "mix weight": ('generator = "synthetic"\n[mix]\nsteel = -1\n', "[mix] steel must be a weight"),
    "mix missing": ('generator = "regional"\n', "needs a [mix] table"),
}


@pytest.mark.parametrize("case", BAD_PARKS, ids=str)
def test_a_bad_park_file_is_refused_with_its_file_and_key(tmp_path, case):
    text, fragment = BAD_PARKS[case]
    path = tmp_path / "mypark.toml"
    path.write_text(text)
    with pytest.raises(ParkError) as error:
        load_park_spec(str(path))
    assert isinstance(error.value, InputError)
    message = str(error.value)
    assert "\n" not in message and message.startswith(str(path)) and fragment in message


def test_an_unknown_park_is_named_with_the_closest_one():
    with pytest.raises(ParkError, match="unknown park 'kokola' \\(did you mean 'kokkola'\\?\\)"):
        load_park_spec("kokola")
