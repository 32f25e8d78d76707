"""Tests of ``symbiosis figures`` and ``symbiosis report`` on a small real experiment folder."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest

from analysis.report import SECTIONS, cost_sentence, difference_sentence
from interfaces.cli import main

STEPS = 48  # exchanges flow only after acquaintance and a lead time (model.md 7.12)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A compare experiment (2 scenarios x 2 replications) and a sensitivity indices folder."""
    root = tmp_path_factory.mktemp("evidence")
    folder = root / "exp"
    assert (
        main(
            [
                "compare",
                "baseline",
                "world_bank_mix",
                "--replications",
                "2",
                "--steps",
                str(STEPS),
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    sensitivity = root / "sens"
    sensitivity.mkdir()
    rows = [
        {
            "output": "total_exchanges_started",
            "method": "morris",
            "parameter": p,
            "index": index,
            "value": value,
            "conf": 0.1,
        }
        for p, mu in (("trust_threshold", 3.0), ("landfill_tax_eur_per_t", 1.0))
        for index, value in (("mu_star", mu), ("sigma", mu / 2))
    ]
    pd.DataFrame(rows).to_csv(sensitivity / "indices.csv", index=False)
    (sensitivity / "manifest.json").write_text(
        json.dumps(
            {
                "kind": "sensitivity",
                "method": "morris",
                "method_name": "Morris elementary effects",
                "scenario": {"name": "baseline"},
                "points": 8,
                "replications": 2,
                "steps": 12,
                "command": "symbiosis sensitivity baseline --method morris",
            }
        )
    )
    return folder, sensitivity


@pytest.fixture(scope="module")
def report(experiment):
    """The report of the experiment, with the sensitivity folder, at its default place."""
    folder, sensitivity = experiment
    assert (
        main(
            [
                "report",
                str(folder),
                "--sensitivity",
                str(sensitivity),
                "--months",
                "6,18",
                "--dpi",
                "50",
                "--quiet",
            ]
        )
        == 0
    )
    out = folder / "report.html"
    return out, out.read_text(encoding="utf-8")


class _Resources(HTMLParser):
    """Every tag with its attributes, to find references to other files or the network."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def test_report_contains_every_section(report):
    _, text = report
    for key, title in SECTIONS:
        assert f'<section id="{key}">' in text, key
        assert f"<h2>{title.replace(':', ':')}</h2>" in text.replace("&#x27;", "'"), title
    assert text.count("<section ") == len(SECTIONS)


def test_report_references_no_external_resource(report):
    _, text = report
    parser = _Resources()
    parser.feed(text)
    tags = {tag for tag, _ in parser.tags}
    assert "link" not in tags and "<link" not in text
    assert not re.search(r"<script[^>]*\bsrc", text)
    for tag, attrs in parser.tags:
        for name in ("src", "href", "srcset", "data", "poster", "action"):
            value = attrs.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
            if name == "href" and name in attrs:
                assert value.startswith("#"), value  # only links within the page
    assert "@import" not in text and "url(" not in text
    images = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert len(images) >= 5
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_states_methods_comparison_and_caveats(report):
    _, text = report
    methods = re.search(r'<section id="methods">(.*?)</section>', text, re.S).group(1)
    for needle in (
        "synthetic park",
        f"{STEPS} months",
        "run 2 times",
        "root seed 0",
        "symbiosis ",
        "common random",
    ):
        assert needle in methods, needle
    comparison = re.search(r'<section id="comparison">(.*?)</section>', text, re.S).group(1)
    sentences = re.findall(
        r"world bank mix (raises|lowers|does not clearly change) [^<]*"
        r"95% CI [^<]*",
        comparison,
    )
    assert len(sentences) >= 6
    assert "<img" in comparison
    assert "trust_threshold (mu_star 3.00" in text  # sensitivity in words, ranked
    caveats = re.search(r'<section id="caveats">(.*?)</section>', text, re.S).group(1)
    for needle in ("placeholder", "No storage", "Stylised behaviour", "seed noise"):
        assert needle in caveats, needle
    indicators = re.search(r'<section id="indicators">(.*?)</section>', text, re.S).group(1)
    for label in (
        "Synergies active at the end",
        "Recovery rate",
        "Landfill diversion",
        "CO₂ avoided",
        "Water reused",
        "Energy recovered",
        "Public net cost",
        "Firms sharing data",
        "Chertow 3-2 heuristic held",
    ):
        assert label in indicators, label


def test_report_is_written_in_the_experiment_folder_and_readable(report, experiment):
    path, _ = report
    assert path == experiment[0] / "report.html"
    assert path.stat().st_mode & 0o044  # readable by others, like any other result
    assert not list(path.parent.glob(".report.html.*"))  # no temporary file left


def test_sensitivity_section_says_when_there_is_none(experiment):
    from analysis.evidence import load_evidence
    from analysis.report import sensitivity_section

    text = sensitivity_section(load_evidence(experiment[0]))
    assert "No sensitivity analysis was run" in text


def test_report_of_a_sensitivity_folder_alone(experiment, tmp_path):
    _, sensitivity = experiment
    out = tmp_path / "new" / "folder" / "sens.html"
    assert main(["report", str(sensitivity), "--out", str(out), "--dpi", "40", "--quiet"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("<section ") == len(SECTIONS)
    assert "Morris elementary effects of baseline" in text
    assert "No simulation runs in this folder" in text


def test_figures_command_writes_every_figure_with_its_data_and_sidecar(experiment, tmp_path):
    folder, sensitivity = experiment
    out = tmp_path / "figs"
    assert (
        main(
            [
                "figures",
                str(folder),
                "--months",
                "6,18",
                "--formats",
                "png",
                "--dpi",
                "50",
                "--out",
                str(out),
                "--sensitivity",
                str(sensitivity),
                "--quiet",
            ]
        )
        == 0
    )
    names = {p.stem for p in out.glob("*.png")}
    assert {
        "timeseries",
        "comparison",
        "cost_effectiveness",
        "network_01_baseline",
        "network_02_world_bank_mix",
        "flows_01_baseline",
        "flows_02_world_bank_mix",
        "sensitivity_morris",
    } <= names
    for name in names:
        assert (out / f"{name}.csv").is_file()
        sidecar = json.loads((out / f"{name}.json").read_text())
        assert sidecar["scenarios"] == ["baseline", "world_bank_mix"]
        assert sidecar["replications"] == 2 and sidecar["root_seed"] == 0
        assert sidecar["package_version"] == version("symbiosis")
        assert sidecar["command"].startswith(f"symbiosis figures {folder}")
    network = pd.read_csv(out / "network_02_world_bank_mix.csv")
    assert sorted(network["month"].unique()) == [6, 18]
    assert (out / "indicators.csv").is_file() and (out / "indicators.html").is_file()


def test_figures_command_writes_png_svg_and_pdf_by_default(experiment, tmp_path):
    folder, _ = experiment
    out = tmp_path / "figs"
    assert (
        main(
            [
                "figures",
                str(folder),
                "--which",
                "comparison",
                "--dpi",
                "50",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "comparison.csv",
        "comparison.json",
        "comparison.pdf",
        "comparison.png",
        "comparison.svg",
    ]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["report", "{missing}"], "no such experiment folder"),
        (["figures", "{missing}"], "no such experiment folder"),
        (["report", "{empty}"], "not an experiment folder"),
        (["figures", "{folder}", "--months", "6,x"], "expected whole months"),
        (["figures", "{folder}", "--months", "999"], "outside the simulated horizon"),
        (["figures", "{folder}", "--which", "pie"], "unknown; choose from"),
        (["report", "{folder}", "--out", "{empty}"], "is a folder"),
        (["report", "{folder}", "--sensitivity", "{empty}"], "no indices.csv"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_without_partial_output(
    experiment, tmp_path, capsys, argv, message
):
    folder, _ = experiment
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "never"
    values = {"missing": tmp_path / "missing", "empty": empty, "folder": folder}
    argv = [a.format(**values) for a in argv]
    if argv[0] == "figures":
        argv += ["--out", str(out)]
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbiosis: error: "), captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists()
    assert list(empty.iterdir()) == []


def test_difference_sentences_say_direction_and_interval():
    def row(mean, low, high, output="final_active_exchanges"):
        return pd.Series(
            {
                "scenario": "tax",
                "output": output,
                "diff_mean": mean,
                "diff_ci_low": low,
                "diff_ci_high": high,
            }
        )

    assert difference_sentence(row(4.2, 2.1, 6.3), "baseline") == (
        "tax raises the active exchanges at the end by 4.20 (95% CI 2.10 to 6.30) over baseline"
    )
    assert difference_sentence(row(-7.1e6, -7.4e6, -6.8e6, "total_public_net_eur"), "baseline") == (
        "tax lowers the public budget balance over the run by 7.10 million EUR (95% CI 6.80 "
        "million to 7.40 million) compared with baseline"
    )
    assert "does not clearly change" in difference_sentence(row(1, -1, 3), "baseline")
    assert "no confidence interval" in difference_sentence(
        row(1, float("nan"), float("nan")), "baseline"
    )
    assert difference_sentence(row(0.0, 0.0, 0.0), "baseline") == (
        "tax leaves the active exchanges at the end exactly as in baseline, in every replication"
    )
    assert difference_sentence(row(3e5, 3e5, 3e5, "total_public_net_eur"), "baseline") == (
        "tax raises the public budget balance over the run by 300 000 EUR over baseline, the "
        "same in every replication"
    ).replace("300 000", "300\u202f000")  # a deterministic difference shows no interval


def test_scenarios_sharing_runs_keep_their_own_timeseries(tmp_path):
    from analysis.evidence import load_evidence

    same = tmp_path / "same.toml"
    same.write_text('description = "Baseline under another name"\nextends = "baseline"\n')
    folder = tmp_path / "exp"
    assert (
        main(
            [
                "compare",
                "baseline",
                str(same),
                "--replications",
                "2",
                "--steps",
                "4",
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    evidence = load_evidence(folder)
    assert evidence.scenarios == ["baseline", "same"]
    series = evidence.timeseries
    assert series.groupby("scenario").size().to_dict() == {"baseline": 8, "same": 8}
    comparison = evidence.comparison
    assert (comparison["diff_mean"] == 0).all()


def test_cost_sentences_handle_revenue_and_zero_effects():
    from types import SimpleNamespace

    def row(value, status, cost):
        fields = {}
        for measure in ("eur_per_t_co2", "eur_per_t_diverted"):
            fields.update(
                {
                    measure: value,
                    f"{measure}_ci_low": value - 1,
                    f"{measure}_ci_high": value + 1,
                    f"{measure}_status": status,
                }
            )
        return SimpleNamespace(scenario="p", reference="b", public_cost_eur=cost, **fields)

    assert cost_sentence(row(10.0, "ok", 500.0), "eur_per_t_co2") == (
        "p, against b: public cost of 10.0 EUR per extra tonne of CO2 avoided (95% CI 9.00 to "
        "11.0); "
        "over the horizon it costs the public purse 500 EUR more than b"
    )
    assert (
        "net public revenue of 40.0 EUR per extra tonne of CO2 avoided (95% CI 39.0 to "
        "41.0)" in cost_sentence(row(-40.0, "ok", -200.0), "eur_per_t_co2")
    )
    assert "no bounded confidence interval" in cost_sentence(
        row(5.0, "unbounded", 9.0), "eur_per_t_co2"
    )
    assert cost_sentence(row(float("nan"), "no effect", 50.0), "eur_per_t_diverted").startswith(
        "p keeps no more waste out of landfill than b, so it has no cost per tonne"
    )


@pytest.mark.browser
def test_report_renders_in_a_headless_browser(chromium, report, tmp_path):
    from playwright.sync_api import sync_playwright

    path, _ = report
    requests = []
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
            )
            headings = page.evaluate(
                "Array.from(document.querySelectorAll('h2')).map(h => h.textContent)"
            )
            height = page.evaluate("document.body.scrollHeight")
        finally:
            browser.close()
    assert shot.stat().st_size > 50_000
    assert images and all(done and width > 0 for done, width in images)
    assert headings == [title for _, title in SECTIONS]
    assert height > 3000
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_each_number_has_one_value_label_and_interval_across_the_report(report, experiment):
    """One truth per number: the indicators table, the comparison, the cost section and the
    CSVs give each quantity the same value, interval, label and unit."""
    from analysis.evidence import load_evidence
    from analysis.figures import cost_effectiveness
    from analysis.style import describe, format_number

    _, text = report
    folder, _ = experiment
    evidence = load_evidence(folder)
    section = {
        key: re.search(rf'<section id="{key}">(.*?)</section>', text, re.S).group(1)
        for key in ("indicators", "comparison", "cost-effectiveness", "methods")
    }
    table, comparison = evidence.indicators, evidence.comparison
    # The same quantity has the same mean and clipped interval in the table and comparison.csv.
    for indicator, output in (
        ("co2_avoided", "total_co2_avoided_t"),
        ("synergies_started", "total_exchanges_started"),
        ("synergies_active", "final_active_exchanges"),
    ):
        for scenario in evidence.scenarios:
            row = table[(table["indicator"] == indicator) & (table["scenario"] == scenario)]
            other = comparison[
                (comparison["output"] == output) & (comparison["scenario"] == scenario)
            ]
            for column in ("mean", "ci_low", "ci_high"):
                assert float(row[column].iloc[0]) == pytest.approx(
                    float(other[column].iloc[0]), nan_ok=True
                ), (indicator, scenario, column)
            assert float(other["ci_low"].iloc[0]) >= 0 or np.isnan(other["ci_low"].iloc[0])
    # Recovery rate: one label and one unit in the table and in figures and comparison.
    recovery = table[table["indicator"] == "recovery_rate"].iloc[0]
    assert recovery["unit"] == describe("mean_recovery_rate")[1]
    # Cost per tonne: against the reference in the table and in the cost section, one value.
    costs = cost_effectiveness(evidence.runs, evidence.reference, evidence.scenarios)
    for measure, indicator in (
        ("eur_per_t_co2", "public_cost_per_t_co2"),
        ("eur_per_t_diverted", "public_cost_per_t_diverted"),
    ):
        row = costs.iloc[0]
        cell = table[(table["indicator"] == indicator) & (table["scenario"] == row.scenario)]
        assert float(cell["mean"].iloc[0]) == pytest.approx(float(row[measure]), nan_ok=True)
        assert "against" in cell["label"].iloc[0] and "against" in cell["note"].iloc[0]
        reference = table[
            (table["indicator"] == indicator) & (table["scenario"] == evidence.reference)
        ]
        assert np.isnan(reference["mean"].iloc[0])  # the reference has no cost against itself
        if not np.isnan(row[measure]):
            shown = format_number(abs(float(row[measure])))
            assert shown in section["indicators"] and shown in section["cost-effectiveness"]
    assert "against baseline" in section["cost-effectiveness"]
    # Readable numbers: no comma-separated intervals, no internals in the methods.
    for body in section.values():
        assert not re.search(r"\[-?[0-9][0-9,.]*, -?[0-9]", body)
    assert "source: Generator" not in section["methods"]
    # No zero-width intervals ("95% CI 300 000 to 300 000").
    assert not re.search(r"CI (-?[0-9][0-9.\u202f]*(?: million| billion)?) to \1(?![0-9.])", text)


def test_provenance_lists_the_invocations_that_added_the_runs(experiment, tmp_path):
    """manifest.json's append-only invocations (the store's schema): the report lists those
    that added the runs behind its numbers, not a resume that ran nothing."""
    import shutil

    from analysis.evidence import load_evidence
    from analysis.report import build_report, invocations_behind

    folder, _ = experiment
    copy = tmp_path / "exp"
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    runs = pd.read_csv(copy / "runs.csv")
    fingerprint = str(runs["fingerprint"].iloc[0]) if "fingerprint" in runs else "abc123def456"
    manifest["invocations"] = [
        {
            "command": "symbiosis compare baseline world_bank_mix --replications 1",
            "started_utc": "2026-01-01T10:00:00+00:00",
            "finished_utc": "2026-01-01T10:05:00+00:00",
            "package_version": "0.9",
            "fingerprint": fingerprint,
            "runs_added": 2,
            "runs_reused": 0,
            "runs_failed": 0,
        },
        {
            "command": "symbiosis compare baseline world_bank_mix --replications 2",
            "started_utc": "2026-01-02T10:00:00+00:00",
            "finished_utc": "2026-01-02T10:03:00+00:00",
            "package_version": "0.9",
            "fingerprint": fingerprint,
            "runs_added": 2,
            "runs_reused": 2,
            "runs_failed": 0,
        },
        {
            "command": "symbiosis compare baseline world_bank_mix --replications 2",
            "started_utc": "2026-01-03T10:00:00+00:00",
            "finished_utc": "2026-01-03T10:00:01+00:00",
            "package_version": "0.9",
            "fingerprint": fingerprint,
            "runs_added": 0,
            "runs_reused": 4,
            "runs_failed": 0,
        },
    ]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    evidence = load_evidence(copy)
    chosen = invocations_behind(evidence)
    assert [entry["started_utc"][:10] for entry in chosen] == ["2026-01-01", "2026-01-02"]
    text = build_report(evidence, dpi=40)
    provenance = re.search(r'<section id="provenance">(.*?)</section>', text, re.S).group(1)
    assert "Invocations behind these numbers (2 of 3 recorded)" in provenance
    assert "--replications 1" in provenance and fingerprint[:12] in provenance
    assert "2026-01-03" not in provenance
    # The compare that made the folder is listed as the store recorded it.
    real = build_report(load_evidence(folder), dpi=40)
    assert "Invocations behind these numbers (1 of 1 recorded)" in real
    # A folder written before the list existed says so instead of guessing.
    del manifest["invocations"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "records only its latest command" in build_report(load_evidence(copy), dpi=40)
