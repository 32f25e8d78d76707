"""Dated parks (docs/model.md sections 6.3 and 7.12): firms and streams with a start year.

A park file may give the year of month 0 (``start_year``), the year a firm enters the park
(``enters_year``) and the year from which a firm generates or needs a stream (``stream_years``).
On Kalundborg, the documented exchanges should then form in an order closer to the documented
one than without the dates; the claim is asserted over seeded replications.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_mechanism_time import documented_first_flows as first_flows

from scenarios.parameters import validate
from scenarios.parks import PARKS_DIR, ParkError, build_park, load_park_spec
from simulation.model import SymbiosisModel

KALUNDBORG = PARKS_DIR / "kalundborg.toml"
DATE_KEYS = re.compile(r"^(start_year|enters_year|stream_years) = .*\n", flags=re.M)


def undated_kalundborg(folder: Path) -> str:
    """The Kalundborg park file with its dates removed (everything present from month 0)."""
    path = folder / "kalundborg_undated.toml"
    path.write_text(DATE_KEYS.sub("", KALUNDBORG.read_text()))
    return str(path)


def run(months: int, seed: int, **params) -> SymbiosisModel:
    model = SymbiosisModel(seed=seed, **params)
    for _ in range(months):
        model.step()
    return model


# --- the format ---------------------------------------------------------------------------------


def test_kalundborg_dates_become_months_from_its_start_year():
    spec = load_park_spec("kalundborg")
    park = build_park(validate({"park": "kalundborg"}), np.random.default_rng(0))
    assert park.enters_month is not None and park.stream_from_month is not None
    start = spec["start_year"]
    for k, firm in enumerate(spec["firms"]):
        entered = 12 * (firm.get("enters_year", start) - start)
        assert park.enters_month[k] == entered
        assert (park.stream_from_month[k] >= entered).all()
    asnaes = park.firm_names.index("Asnaes power station")
    from scenarios.resources import stream_catalogue

    gypsum = stream_catalogue().names.index("gypsum")
    assert park.stream_from_month[asnaes, gypsum] == 12 * (1993 - start)


def test_an_undated_park_has_no_dates():
    park = build_park(validate({"park": "kemi_tornio"}), np.random.default_rng(0))
    assert park.enters_month is None and park.stream_from_month is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("enters_year = 2018", "enters_year = 1960"), "enters_year must be a year in"),
        (("enters_year = 2018", "enters_year = 2018.0"), "enters_year must be a whole number"),
        (("gypsum = 1993", "gypsom = 1993"), "unknown stream 'gypsom'"),
        (("gypsum = 1993", "slag = 1993"), "neither generates nor needs 'slag'"),
        (("gypsum = 1993", "gypsum = true"), "stream_years.gypsum must be a whole year"),
        (("start_year = 1972", "start_year = 19720"), "start_year must be a year in"),
        (("start_year = 1972", ""), "has dates (enters_year, stream_years) but the park has no"),
        (("enters_year = 2018", "enter_year = 2018"), "unknown key 'enter_year'"),
    ],
)
def test_bad_dates_are_one_line_errors_naming_the_file_and_key(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    text = KALUNDBORG.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ParkError) as error:
        load_park_spec(str(path))
    assert str(path) in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


# --- the mechanism ------------------------------------------------------------------------------


def test_no_firm_or_stream_takes_part_before_its_month():
    park = build_park(validate({"park": "kalundborg"}), np.random.default_rng(0))
    assert park.enters_month is not None and park.stream_from_month is not None
    late = np.flatnonzero(park.enters_month > 0)
    assert len(late) >= 2
    for seed in range(6):
        model = run(600, seed, park="kalundborg")
        book = model.book
        for slot in (book.supplier, book.receiver):
            assert (book.start_step >= park.enters_month[slot]).all()
        assert (book.start_step >= park.stream_from_month[book.supplier, book.stream]).all()
        assert (book.start_step >= park.stream_from_month[book.receiver, book.stream]).all()
        ties = np.maximum(park.enters_month[model.social_from], park.enters_month[model.social_to])
        assert (model.acquainted_from >= ties).all()


def test_a_firm_entering_later_supplies_and_needs_from_its_month():
    model = SymbiosisModel(seed=1, park="kalundborg")
    biogas = model.firm_names.index("Kalundborg Bioenergy biogas plant")
    month = int(model.enters_month[biogas])
    assert model.companies.base_need[biogas].sum() == 0
    for _ in range(month + 1):
        model.step()
    np.testing.assert_array_equal(model.companies.base_need[biogas], model.planned_need[biogas])
    assert model.companies.base_need[biogas].sum() > 0


# --- Kalundborg's order -------------------------------------------------------------------------

ORDER_SEEDS = range(30)


def concordance(formed: list[tuple[int, int]]) -> tuple[int, int]:
    """(concordant less discordant pairs, pairs) of (documented year, first-flow month).

    Pairs tied in either year or month are left out (Kendall's tau-a over untied pairs).
    """
    score = pairs = 0
    for i, (year_i, month_i) in enumerate(formed):
        for year_j, month_j in formed[i + 1 :]:
            if year_i != year_j and month_i != month_j:
                score += int(np.sign(year_i - year_j) * np.sign(month_i - month_j))
                pairs += 1
    return score, pairs


def documented_first_flows(model: SymbiosisModel) -> list[tuple[int, int]]:
    """(documented year, month of first flow) of each documented exchange that flowed."""
    return [(year, month) for year, month in first_flows(model) if month is not None]


def pooled_tau(scores: list[tuple[int, int]]) -> tuple[float, float]:
    """Kendall's tau over every seed's untied pairs, and the lower end of its 95% CI.

    The CI is a bootstrap over seeds (seeds are the independent replications).
    """
    score, pairs = np.array(scores, dtype=float).T
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(score), size=(2000, len(score)))
    boot = score[draws].sum(1) / np.maximum(pairs[draws].sum(1), 1)
    return float(score.sum() / pairs.sum()), float(np.percentile(boot, 2.5))


def test_on_kalundborg_the_dates_order_the_documented_exchanges(tmp_path, capsys):
    n_documented = len(load_park_spec("kalundborg")["historical_exchanges"])
    results = {}
    for label, park in (("dated", "kalundborg"), ("undated", undated_kalundborg(tmp_path))):
        scores, shares = [], []
        for seed in ORDER_SEEDS:
            formed = documented_first_flows(run(600, seed, park=park))
            scores.append(concordance(formed))
            shares.append(len(formed) / n_documented)
        results[label] = (*pooled_tau(scores), float(np.mean(shares)))
    with capsys.disabled():
        for label, (tau, low, share) in results.items():
            print(f"\nkalundborg {label}: tau {tau:.2f} (CI low {low:.2f}), formed {share:.0%}")
    tau, low, _ = results["dated"]
    assert low > 0
    assert tau > results["undated"][0]
