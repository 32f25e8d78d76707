"""The evidence report: one self-contained HTML file that says what was simulated and how sure.

Figures are embedded as base64 PNG, the CSS is inline, and nothing refers to the network (no
scripts, fonts, style sheets or images from elsewhere), so the file can be mailed, archived or
opened offline. Text is generated from the experiment's manifest and results; every number in
prose comes with its 95% confidence interval.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.evidence import Evidence, FigureItem, build_figures, load_evidence
from analysis.style import describe, format_amount, format_number, lower_first, prose_unit
from scenarios.errors import InputError

REPORT_DPI = 160
SECTIONS = (
    ("summary", "Key findings"),
    ("methods", "Methods"),
    ("indicators", "Park indicators"),
    ("comparison", "Scenario comparison"),
    ("timeseries", "Indicators over time"),
    ("cost-effectiveness", "Public cost-effectiveness"),
    ("network", "Exchange networks"),
    ("flows", "Flows between sectors"),
    ("sensitivity", "Sensitivity analysis"),
    ("design", "Policy design"),
    ("calibration", "Calibration against observed data"),
    ("caveats", "Caveats: what the model leaves out"),
    ("provenance", "Provenance"),
)
# Outputs summarised in the key findings (the rest are in the comparison section).
FINDING_OUTPUTS = ("final_active_exchanges", "total_co2_avoided_t", "total_public_net_eur")

CSS = """
:root { --ink: #1d1d1f; --muted: #5a5a5f; --rule: #d9d9de; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 0.25rem; line-height: 1.2; }
h2 { font-size: 1.25rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.02rem; margin: 1.4rem 0 0.4rem; }
p, li { max-width: 48rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
nav { background: #f5f5f7; padding: 0.6rem 1rem; border-radius: 6px; font-size: 0.92rem; }
nav ol { margin: 0; padding-left: 1.2rem; columns: 2; }
a { color: var(--accent); }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 0.3rem; }
.finding { margin: 0.25rem 0; }
.note { color: var(--muted); font-size: 0.9rem; }
.warning { background: #fff4e0; border-left: 4px solid #E69F00; padding: 0.5rem 0.8rem; }
table.plain { border-collapse: collapse; font-size: 0.86rem; margin: 0.5rem 0 1rem; }
table.plain th, table.plain td { padding: 0.3rem 0.55rem; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; }
table.plain thead th { border-bottom: 2px solid #333; }
.scroll { overflow-x: auto; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem;
  font-size: 0.88rem; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; overflow-wrap: anywhere; }
dl.definitions dt { font-weight: 600; margin-top: 0.4rem; }
dl.definitions dd { margin-left: 1rem; }
code { font-size: 0.85em; background: #f1f1f3; padding: 0 0.2em; border-radius: 3px; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.82rem; }
@media print { nav { display: none; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def figure_png_base64(fig: Any, dpi: int = REPORT_DPI) -> str:
    """The figure as a base64 PNG (closing it)."""
    import matplotlib

    from analysis.style import RC_PARAMS, pyplot

    buffer = io.BytesIO()
    with matplotlib.rc_context(RC_PARAMS):
        fig.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_html(item: FigureItem, dpi: int = REPORT_DPI) -> str:
    """An embedded ``<figure>`` with the caption as alternative text and caption."""
    data = figure_png_base64(item.figure, dpi)
    return (
        f'<figure id="figure-{_e(item.name)}"><img alt="{_e(item.caption)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{_e(item.caption)}'
        "</figcaption></figure>"
    )


# --- sentences --------------------------------------------------------------------------------


def _with_unit(value: float, unit: str) -> str:
    unit = prose_unit(unit)
    return f"{format_amount(value)} {unit}".strip()


def _interval(low: float, high: float) -> str:
    """The interval as "95% CI a to b", or a note that it is the same in every replication."""
    if low == high:
        return "the same in every replication"
    return f"95% CI {format_amount(low)} to {format_amount(high)}"


def prose_label(name: str) -> str:
    """An output's declared label as it reads inside a sentence.

    "Public budget balance, total" becomes "the public budget balance over the run", so that
    "raises the public budget balance over the run by 213 million EUR" reads as English.
    """
    text = lower_first(describe(name)[0])
    for ending, replacement in (
        (", total", " over the run"),
        (", monthly mean", " (monthly mean)"),
        (", last month", " in the last month"),
    ):
        if text.endswith(ending):
            text = text[: -len(ending)] + replacement
    return text if text[:1].isupper() else f"the {text}"


def scenario_text(name: str) -> str:
    """A scenario in prose: its name with spaces ("landfill tax"), design points as they are."""
    return name if "[" in name else name.replace("_", " ")


def difference_sentence(row: pd.Series | Any, reference: str) -> str:
    """A paired difference in words.

    Example: "world_bank_mix raises active exchanges at the end by 119 (95% CI 105 to 134)
    over baseline".
    """

    def get(key: str) -> Any:
        return row.get(key) if hasattr(row, "get") else getattr(row, key)

    scenario, output = str(get("scenario")), str(get("output"))
    mean, low, high = (
        float(get("diff_mean")),
        float(get("diff_ci_low")),
        float(get("diff_ci_high")),
    )
    unit = describe(output)[1]
    name = prose_label(output)
    scenario, reference = scenario_text(scenario), scenario_text(reference)
    if math.isnan(mean):
        return f"{scenario}: no value of {name} to compare with {reference}"
    if math.isnan(low) or math.isnan(high):
        return (
            f"{scenario} changes {name} by {_with_unit(mean, unit)} over {reference} "
            "(one replication only: no confidence interval)"
        )
    if low == high == mean == 0:
        return f"{scenario} leaves {name} exactly as in {reference}, in every replication"
    if low == high == mean:
        verb = "raises" if mean > 0 else "lowers"
        return (
            f"{scenario} {verb} {name} by {_with_unit(abs(mean), unit)} over {reference}, "
            "the same in every replication"
        )
    if low > 0:
        return (
            f"{scenario} raises {name} by {_with_unit(mean, unit)} "
            f"({_interval(low, high)}) over {reference}"
        )
    if high < 0:
        return (
            f"{scenario} lowers {name} by {_with_unit(-mean, unit)} "
            f"({_interval(-high, -low)}) compared with {reference}"
        )
    return (
        f"{scenario} does not clearly change {name} compared with {reference}: the "
        f"difference is {_with_unit(mean, unit)} ({_interval(low, high)}), an interval "
        "that includes zero"
    )


PER_TONNE = {
    "eur_per_t_co2": ("extra tonne of CO2 avoided", "avoids no more CO2"),
    "eur_per_t_diverted": (
        "extra tonne kept out of landfill",
        "keeps no more waste out of landfill",
    ),
}


def cost_sentence(row: Any, measure: str) -> str:
    """Cost-effectiveness of one policy in words, zero and unbounded effects included.

    Args:
        row: A row of ``analysis.figures.cost_effectiveness``.
        measure: ``eur_per_t_co2`` or ``eur_per_t_diverted``.
    """
    per, nothing = PER_TONNE[measure]
    scenario, reference = scenario_text(row.scenario), scenario_text(row.reference)
    value = getattr(row, measure)
    low, high = getattr(row, f"{measure}_ci_low"), getattr(row, f"{measure}_ci_high")
    status = getattr(row, f"{measure}_status")
    cost = row.public_cost_eur
    money = (
        f"costs the public purse {format_amount(cost)} EUR more"
        if cost > 0
        else f"brings the public purse {format_amount(-cost)} EUR more"
        if cost < 0
        else "costs the public purse nothing extra"
    )
    if status == "no effect":
        return (
            f"{scenario} {nothing} than {reference}, so it has no cost per tonne; "
            f"over the horizon it {money} than {reference}"
        )
    against = f"against {reference}"
    if value < 0:
        text = f"{scenario}, {against}: net public revenue of {format_amount(-value)} EUR per {per}"
        interval = f" ({_interval(-high, -low)})" if status == "ok" else ""
    else:
        text = f"{scenario}, {against}: public cost of {format_amount(value)} EUR per {per}"
        interval = f" ({_interval(low, high)})" if status == "ok" else ""
    caveat = {
        "unbounded": "; its extra effect is not clearly above zero, so this ratio has "
        "no bounded confidence interval",
        "too few": "; one replication only, so no confidence interval",
    }.get(status, "")
    return f"{text}{interval}{caveat}; over the horizon it {money} than {reference}"


# --- sections ---------------------------------------------------------------------------------


def _section(key: str, body: str) -> str:
    title = dict(SECTIONS)[key]
    return f'<section id="{key}"><h2>{_e(title)}</h2>\n{body}\n</section>'


def _unavailable(what: str) -> str:
    return f'<p class="note">{_e(what)}</p>'


def _findings(evidence: Evidence) -> str:
    table = evidence.comparison
    if table is None or len(evidence.scenarios) < 2:
        if evidence.indices is not None:
            return (
                "<p>This folder holds a sensitivity analysis only; its results are in "
                '<a href="#sensitivity">Sensitivity analysis</a>.</p>'
            )
        return _unavailable("One scenario only: there is nothing to compare it with.")
    items = []
    for row in table[
        table["output"].isin(FINDING_OUTPUTS) & (table["scenario"] != evidence.reference)
    ].itertuples():
        items.append(
            f'<li class="finding">{_e(difference_sentence(row, str(evidence.reference)))}.</li>'
        )
    return (
        "<p>Paired differences from the reference scenario "
        f"<strong>{_e(evidence.reference)}</strong>, mean and 95% confidence interval over "
        f"{evidence.replications} replications with common seeds:</p><ul>"
        + "".join(items)
        + "</ul>"
    )


def _policy_text(overrides: dict[str, Any]) -> str:
    from scenarios.parameters import PARAMETERS

    if not overrides:
        return "declared defaults (no policy)"
    parts = []
    for name, value in overrides.items():
        unit = PARAMETERS[name].unit if name in PARAMETERS else ""
        if isinstance(value, bool | str) or value is None or unit in ("-", ""):
            unit = ""
        elif unit.startswith("1/"):
            unit = f" per {unit[2:]}"
        else:
            unit = f" {unit}"
        shown = format_number(value) if isinstance(value, float) else value
        parts.append(f"{name} = {shown}{unit}")
    return "; ".join(parts)


def methods_paragraph(evidence: Evidence) -> str:
    """The generated methods paragraph (plain text)."""
    from scenarios.parks import load_park_spec

    manifest = evidence.manifest
    park = evidence.park()
    try:
        spec = load_park_spec(park.split(",")[0])
        description = str(spec.get("description", "")).rstrip(".")
        park_text = f"the {park} park ({description})" if description else f"the {park} park"
    except InputError:
        park_text = f"the {park} park"
    steps = evidence.steps
    horizon = f"{steps} months ({steps / 12:.3g} years)" if steps else "the stored horizon"
    version = manifest.get("package_version") or (evidence.sensitivity_manifest or {}).get(
        "package_version", "unknown"
    )
    mesa = (manifest.get("versions") or {}).get("mesa")
    commit = manifest.get("git_commit")
    if evidence.runs.empty:
        sens = evidence.sensitivity_manifest or {}
        scenario = (sens.get("scenario") or {}).get("name", "the scenario")
        return (
            f"A global sensitivity analysis ({sens.get('method_name', sens.get('method'))})"
            f" of {scenario} on {park_text}: {sens.get('points', '?')} sample points, each "
            f"run {sens.get('replications', '?')} times over {sens.get('steps', '?')} "
            f"months with seeds spawned from root seed {sens.get('root_seed', '?')}; "
            f"symbiosis {version}."
        )
    scenarios = evidence.scenarios
    failed = int(manifest.get("runs_failed") or 0)
    seeds = manifest.get("replication_seeds") or []
    seed_text = (
        f"with seeds spawned from root seed {manifest.get('root_seed')} by NumPy's "
        "SeedSequence" + (f" (replication 1: {seeds[0]})" if seeds else "")
    )
    text = (
        f"We simulated {park_text} for {horizon}, one step per month, under "
        f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''} "
        f"({'; '.join(_scenario_with_description(evidence, s) for s in scenarios)}). "
        f"Each scenario was run {evidence.replications} times "
        f"{seed_text}; replication k of every scenario used the same seed (common random "
        "numbers), so differences between scenarios are paired and the reference scenario "
        f"{scenario_text(scenarios[0])} is compared with each other one replication by "
        "replication. Results "
        "are means over replications with two-sided 95% Student-t confidence intervals; "
        "ratios (cost per tonne) use a paired bootstrap. "
        f"Model: symbiosis {version}"
        + (f" (git {commit[:12]})" if commit else "")
        + (f" on Mesa {mesa}" if mesa else "")
        + "."
    )
    if failed:
        text += f" {failed} failed run(s) are left out."
    return text


def _scenario_with_description(evidence: Evidence, name: str) -> str:
    """'landfill tax: A landfill tax of 80 EUR/t from year 2 ...' (the name alone if none)."""
    spec = (evidence.manifest.get("scenarios") or {}).get(name) or {}
    description = str(spec.get("description") or "").rstrip(".")
    return f"{scenario_text(name)}: {lower_first(description)}" if description else name


def _methods(evidence: Evidence) -> str:
    body = f"<p>{_e(methods_paragraph(evidence))}</p>"
    specs = evidence.manifest.get("scenarios") or {}
    if specs:
        rows = []
        for name, spec in specs.items():
            rows.append(
                f'<tr><th scope="row">{_e(name)}</th>'
                f"<td>{_e(spec.get('description', ''))}</td>"
                f"<td>{_e(_policy_text(spec.get('overrides') or {}))}</td>"
                f"<td>{_e(spec.get('source', ''))}</td></tr>"
            )
        body += (
            '<h3>Scenarios</h3><div class="scroll"><table class="plain"><thead><tr>'
            "<th>Scenario</th><th>What it is</th><th>Settings that differ from the "
            "defaults</th><th>Source</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )
    if evidence.replications and evidence.replications < 10 and not evidence.runs.empty:
        body += (
            f'<p class="warning">Only {evidence.replications} replications per scenario:'
            " the confidence intervals are wide and rest on few runs. Use "
            "<code>--replications</code> or <code>--target-ci</code> for firmer "
            "numbers.</p>"
        )
    return body


def _indicators(evidence: Evidence) -> str:
    from analysis.indicators_table import definitions_html, indicators_html

    table = evidence.indicators
    if table is None:
        return _unavailable("No simulation runs in this folder, so no indicators.")
    caption = (
        f"Park {evidence.park()}, {evidence.steps} months; mean and 95% CI over "
        f"{evidence.replications} replications."
    )
    note = (
        ""
        if evidence.run_details is not None
        else _unavailable(
            "Run details (exchanges and firms) were not stored, so landfill diversion and the "
            "share of firms participating are not available."
        )
    )
    return (
        f'<div class="scroll">{indicators_html(table, caption)}</div>{note}'
        "<details><summary>How each indicator is computed</summary>"
        f"{definitions_html(table)}</details>"
    )


def _comparison(evidence: Evidence, figures: list[tuple[str, str]]) -> str:
    table = evidence.comparison
    if table is None or len(evidence.scenarios) < 2:
        return _unavailable("One scenario (or none) in this folder: nothing to compare.")
    parts = [
        f"<p>Each scenario against <strong>{_e(evidence.reference)}</strong> "
        "(paired by replication):</p>"
    ]
    for output in dict.fromkeys(table["output"]):
        rows = table[(table["output"] == output) & (table["scenario"] != evidence.reference)]
        text, unit = describe(output)
        parts.append(f"<h3>{_e(text)}{f' ({_e(unit)})' if unit else ''}</h3><ul>")
        parts += [
            f"<li>{_e(difference_sentence(row, str(evidence.reference)))}.</li>"
            for row in rows.itertuples()
        ]
        parts.append("</ul>")
    parts.append(_embedded(figures, "comparison"))
    parts.append(_embedded(figures, "response"))
    return "".join(parts)


def _cost(evidence: Evidence, figures: list[tuple[str, str]]) -> str:
    if len(evidence.scenarios) < 2:
        return _unavailable("Cost-effectiveness needs a reference scenario and a policy.")
    from analysis.figures import cost_effectiveness

    table = cost_effectiveness(evidence.runs, str(evidence.reference), evidence.scenarios)
    items = []
    for row in table.itertuples():
        items.append(f"<li>{_e(cost_sentence(row, 'eur_per_t_co2'))}.</li>")
        items.append(f"<li>{_e(cost_sentence(row, 'eur_per_t_diverted'))}.</li>")
    body = (
        "<p>Public cost is spending (subsidies, grants, incentives, operator and platform "
        "funding) minus revenue (taxes), counted against the reference scenario; negative "
        "values mean net public revenue.</p><ul>" + "".join(items) + "</ul>"
    )
    return body + _embedded(figures, "cost_effectiveness")


def _embedded(figures: list[tuple[str, str]], group: str) -> str:
    """The ``<figure>`` elements of one group, in order."""
    return "".join(html_text for name, html_text in figures if name == group)


def _figures_of(group: str, figures: list[tuple[str, str]], missing: str) -> str:
    return _embedded(figures, group) or _unavailable(missing)


def sensitivity_sentences(
    indices: pd.DataFrame,
    noise: pd.DataFrame | None = None,
    top: int = 3,
    samples: int | None = None,
) -> list[str]:
    """Per output and method, the parameters ranked by the method's main index.

    Where ``analysis.sensitivity.index_warnings`` finds a reason not to rank (indices outside
    0 to 1, intervals wider than the index range, a sample below the sensible minimum), the
    sentence says so and names no parameter as most influential.
    """
    from analysis.sensitivity import MAIN_INDEX, index_warnings

    warned: dict[tuple[str, str], list[str]] = {}
    for warning in index_warnings(indices, samples):
        warned.setdefault((warning.output, warning.method), []).append(warning.text)
    sentences = []
    for (output, method), rows in indices.groupby(["output", "method"], sort=False):
        index = MAIN_INDEX.get(str(method)) or rows["index"].iloc[0]
        ranked = rows[rows["index"] == index].sort_values("value", ascending=False).head(top)
        if ranked.empty:
            continue
        listed = ", ".join(
            f"{name} ({index} {format_number(float(value))}"
            + (f" ± {format_number(float(half))}" if half == half else "")
            + ")"
            for name, value, half in zip(
                ranked["parameter"], ranked["value"], ranked["conf"], strict=True
            )
        )
        label = describe(str(output))[0]
        reasons = warned.get((str(output), str(method)))
        if reasons:
            sentence = (
                f"{label} ({method}): the indices cannot be ranked, because "
                + "; and ".join(reasons)
                + f" (largest estimates, not a ranking: {listed})"
            )
        else:
            sentence = f"{label} ({method}): most influential {listed}"
        if noise is not None and "noise_share_of_means" in noise:
            share = noise.loc[noise["output"] == output, "noise_share_of_means"]
            if len(share) and not pd.isna(share.iloc[0]):
                sentence += (
                    f"; seed noise is {float(share.iloc[0]):.0%} of the variance of the point means"
                )
        sentences.append(sentence)
    return sentences


def convergence_html(convergence: pd.DataFrame | None, indices: pd.DataFrame) -> str:
    """Per output, a table of the main index of each parameter at each sample size."""
    from analysis.sensitivity import MAIN_INDEX, SAMPLE_UNITS, convergence_table

    if convergence is None or convergence.empty:
        return _unavailable(
            "No convergence check: the analysis has no nested smaller samples (eFAST needs "
            "--fast-convergence), so whether the indices have settled is not known."
        )
    parts = []
    for (output, method), _ in indices.groupby(["output", "method"], sort=False):
        table = convergence_table(convergence, str(output), str(method))
        if table.empty:
            continue
        head = "".join(f"<th>{_e(n)}</th>" for n in table.columns)
        body = "".join(
            f'<tr><th scope="row">{_e(name)}</th>'
            + "".join(f"<td>{_e(format_number(v))}</td>" for v in row)
            + "</tr>"
            for name, row in table.iterrows()
        )
        parts.append(
            f"<h3>Convergence: {_e(describe(str(output))[0])} ({_e(method)})</h3>"
            f'<p class="note">{_e(MAIN_INDEX[str(method)])} at growing sample sizes '
            f"({_e(SAMPLE_UNITS[str(method)])}); values that still move between the last "
            "two columns have not converged.</p>"
            f'<div class="scroll"><table class="plain"><thead><tr><th>Parameter</th>{head}'
            f"</tr></thead><tbody>{body}</tbody></table></div>"
        )
    return "".join(parts)


def sensitivity_section(evidence: Evidence, figures: list[tuple[str, str]] | None = None) -> str:
    """The sensitivity section's body: method, ranked parameters in words, and figures."""
    from analysis.sensitivity import index_warnings, used_samples

    if evidence.indices is None:
        return _unavailable(
            "No sensitivity analysis was run for this experiment. Run "
            "'symbiosis sensitivity SCENARIO --method sobol --samples N --out "
            "DIR' and 'symbiosis report EXPERIMENT_DIR --sensitivity DIR' to "
            "add one."
        )
    sens = evidence.sensitivity_manifest or {}
    samples = used_samples(sens)
    intro = (
        f"<p>{_e(sens.get('method_name', 'Sensitivity analysis'))} of "
        f"{_e((sens.get('scenario') or {}).get('name', 'the scenario'))}: "
        f"{_e(sens.get('points', '?'))} sample points × {_e(sens.get('replications', '?'))}"
        f" replications, {_e(sens.get('steps', '?'))} months each. Indices are computed on "
        "replication means; ± is the 95% bootstrap half-width.</p>"
    )
    warned = index_warnings(evidence.indices, samples)
    warning = (
        '<p class="warning">Warning: these indices have not converged. '
        + _e(
            "; ".join(
                dict.fromkeys(f"{describe(w.output)[0]} ({w.method}): {w.text}" for w in warned)
            )
        )
        + ". No parameter is called most influential; raise --samples (and --replications) "
        "and look at the convergence tables below.</p>"
        if warned
        else ""
    )
    items = "".join(
        f"<li>{_e(s)}.</li>"
        for s in sensitivity_sentences(evidence.indices, evidence.noise, samples=samples)
    )
    return (
        intro
        + warning
        + f"<ul>{items}</ul>"
        + convergence_html(evidence.convergence, evidence.indices)
        + _embedded(figures or [], "sensitivity")
    )


def placeholder_counts() -> dict[str, tuple[int, int]]:
    """How many numbers of each catalogue file no source gives (declared ranges), of how many."""
    from scenarios.resources import catalogue_numbers

    counts: dict[str, tuple[int, int]] = {}
    for number in catalogue_numbers().values():
        file = f"{number.name.split('.')[0]}.toml"
        ranges, total = counts.get(file, (0, 0))
        counts[file] = (ranges + (not number.sourced), total + 1)
    return dict(sorted(counts.items()))


def caveats(evidence: Evidence) -> list[str]:
    """What the model leaves out or assumes, with this experiment's own limits."""
    from scenarios.parameters import PARAMETERS

    items = []
    counts = placeholder_counts()
    marked = [f"{m} of {n} numbers in {name}" for name, (m, n) in counts.items() if m]
    if marked:
        items.append(
            "Unsourced numbers: " + "; ".join(marked) + " come from no published source; "
            "each is a declared uncertainty with a plausible range and its reasoning "
            "('symbiosis parameters --catalogue'). Absolute quantities, money and CO2 are "
            "indicative; directions and orders of magnitude are more robust than levels."
        )
    unsourced = sum(1 for p in PARAMETERS.values() if p.status in ("range", "missing"))
    if unsourced:
        items.append(
            f"{unsourced} of {len(PARAMETERS)} declared parameters have no published source: "
            "they are placeholders, each a declared uncertainty with a plausible range and its "
            "reasoning ('symbiosis parameters --status range')."
        )
    items += [
        "No storage: by-products that find no partner in a month are landfilled or otherwise "
        "disposed of that month; they cannot be stockpiled for later exchanges.",
        "Stylised behaviour: firms decide with simple rules (trust, awareness and willingness "
        "thresholds, an equal split of the value of a deal unless cost data are shared); they "
        "do not learn strategically, collude, or renegotiate beyond these rules.",
        "Fixed prices: gate fees, virgin-material prices and transport costs come from the "
        "catalogue and only change through the policy instruments; there is no market "
        "feedback from the volumes exchanged, no inflation and no energy-price shocks.",
        "Public budget: only the modelled instruments count (taxes, subsidies, grants, "
        "incentives, operator and platform funding); administration, enforcement and "
        "wider economic effects are left out.",
        "Emissions: CO2 avoided counts substituted virgin production and avoided landfill "
        "emissions with catalogue factors; transport and pre-treatment emissions are not "
        "subtracted.",
        "Confidence intervals cover the randomness between replications (seed noise) only, "
        "not the uncertainty in parameters or in the model's structure; the sensitivity "
        "analysis addresses the former, nothing here the latter. This is a what-if tool, not "
        "a forecast.",
    ]
    if evidence.replications and evidence.replications < 10 and not evidence.runs.empty:
        items.append(f"Only {evidence.replications} replications per scenario were run.")
    failed = int(evidence.manifest.get("runs_failed") or 0)
    if failed:
        items.append(f"{failed} runs failed and are left out (tracebacks in failures.log).")
    return items


def _provenance(evidence: Evidence) -> str:
    manifest = evidence.manifest or evidence.sensitivity_manifest or {}
    fields = [
        ("Folder", str(evidence.path.resolve())),
        ("Command", manifest.get("command")),
        ("Kind", manifest.get("kind")),
        ("Root seed", manifest.get("root_seed")),
        ("Replication seeds", ", ".join(map(str, manifest.get("replication_seeds") or [])) or None),
        ("Steps (months)", evidence.steps),
        ("Package version", manifest.get("package_version")),
        ("Git commit", manifest.get("git_commit")),
        ("Started (UTC)", manifest.get("started_utc") or manifest.get("started")),
        ("Finished (UTC)", manifest.get("finished_utc") or manifest.get("finished")),
        (
            "Runs done / failed",
            f"{manifest.get('runs_done', len(evidence.runs))} / {manifest.get('runs_failed', 0)}",
        ),
    ]
    versions = manifest.get("versions") or {}
    if versions:
        fields.append(("Library versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    if evidence.sensitivity_manifest and evidence.manifest is not evidence.sensitivity_manifest:
        fields.append(("Sensitivity command", evidence.sensitivity_manifest.get("command")))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in fields if v not in (None, ""))
    return f'<dl class="provenance">{rows}</dl>' + invocations_html(evidence)


def invocations_behind(evidence: Evidence) -> list[dict[str, Any]]:
    """The invocations of the folder that added the runs behind the report's numbers.

    ``manifest.json`` keeps an append-only ``invocations`` list (command, start and end, package
    version, code fingerprint, runs added, reused and failed). An invocation is behind the
    numbers if it added runs and, when the runs carry a ``fingerprint``, its fingerprint is one
    of theirs. A folder written before the list existed has none (empty result).
    """
    listed = (evidence.manifest or {}).get("invocations") or []
    if not isinstance(listed, list):
        return []
    fingerprints = (
        set(evidence.runs["fingerprint"].dropna().astype(str))
        if "fingerprint" in evidence.runs
        else set()
    )
    chosen = []
    for entry in listed:
        if not isinstance(entry, dict) or int(entry.get("runs_added") or 0) <= 0:
            continue
        if fingerprints and str(entry.get("fingerprint")) not in fingerprints:
            continue
        chosen.append(entry)
    return chosen


def invocations_html(evidence: Evidence) -> str:
    """A table of the invocations behind the numbers (or a note when the folder has none)."""
    listed = (evidence.manifest or {}).get("invocations")
    if not listed:
        return _unavailable(
            "This folder's manifest records only its latest command (it was written before "
            "manifests kept every invocation), so the commands that added its runs cannot be "
            "listed."
        )
    chosen = invocations_behind(evidence)
    if not chosen:
        return _unavailable("No recorded invocation added the runs in this report.")
    rows = "".join(
        "<tr>"
        f"<td>{_e(entry.get('started_utc', ''))}</td>"
        f"<td>{_e(entry.get('finished_utc', ''))}</td>"
        f"<td><code>{_e(entry.get('command', ''))}</code></td>"
        f"<td>{_e(entry.get('package_version', ''))}</td>"
        f"<td><code>{_e(str(entry.get('fingerprint', ''))[:12])}</code></td>"
        f"<td>{_e(entry.get('runs_added', 0))}</td>"
        f"<td>{_e(entry.get('runs_reused', 0))}</td>"
        f"<td>{_e(entry.get('runs_failed', 0))}</td>"
        "</tr>"
        for entry in chosen
    )
    return (
        f"<h3>Invocations behind these numbers ({len(chosen)} of {len(listed)} recorded)</h3>"
        '<div class="scroll"><table class="plain"><thead><tr><th>Started (UTC)</th>'
        "<th>Finished (UTC)</th><th>Command</th><th>Version</th><th>Code fingerprint</th>"
        "<th>Runs added</th><th>Reused</th><th>Failed</th></tr></thead><tbody>"
        f"{rows}</tbody></table></div>"
    )


def build_report(
    evidence: Evidence,
    months: list[int] | None = None,
    title: str | None = None,
    dpi: int = REPORT_DPI,
) -> str:
    """The complete HTML report of an experiment, as a string.

    Args:
        evidence: The experiment (``analysis.evidence.load_evidence``).
        months: Months of the network figures (default: 12, the middle and the end).
        title: Page title (default from the park and scenarios).
        dpi: Resolution of the embedded PNG figures.
    """
    from analysis.calibration import calibration_section
    from analysis.design_report import design_section
    from analysis.indicators_table import TABLE_CSS

    figures = [
        (item.group, figure_html(item, dpi)) for item in build_figures(evidence, months=months)
    ]
    park = evidence.park()
    title = title or f"Industrial symbiosis in the {park} park: evidence report"
    subtitle = (
        f"{len(evidence.scenarios)} scenarios × {evidence.replications} replications, "
        f"{evidence.steps} months"
        if evidence.scenarios
        else "Sensitivity analysis"
    )
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = {
        "summary": _findings(evidence),
        "methods": _methods(evidence),
        "indicators": _indicators(evidence),
        "comparison": _comparison(evidence, figures),
        "timeseries": _figures_of(
            "timeseries", figures, "No monthly results were stored for this experiment."
        ),
        "cost-effectiveness": _cost(evidence, figures),
        "network": _figures_of(
            "network",
            figures,
            "Run details (exchanges and firms) were "
            "not stored for this experiment, so no network can be drawn.",
        ),
        "flows": _figures_of(
            "flows",
            figures,
            "Run details were not stored for this experiment, so no flows can be drawn.",
        ),
        "sensitivity": sensitivity_section(evidence, figures),
        "design": design_section(evidence.path),
        "calibration": calibration_section(evidence.path),
        "caveats": "<ul>" + "".join(f"<li>{_e(c)}</li>" for c in caveats(evidence)) + "</ul>",
        "provenance": _provenance(evidence),
    }
    toc = "".join(f'<li><a href="#{key}">{_e(name)}</a></li>' for key, name in SECTIONS)
    body = "\n".join(_section(key, sections[key]) for key, _ in SECTIONS)
    version = evidence.manifest.get("package_version", "")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="symbiosis {_e(version)}">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}{TABLE_CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header><h1>{_e(title)}</h1><p class="subtitle">{_e(subtitle)}. Generated '
        f"{_e(created)}.</p></header>\n"
        f'<nav aria-label="Contents"><ol>{toc}</ol></nav>\n{body}\n'
        f"<footer>Generated by symbiosis {_e(version)} from {_e(evidence.path.name)}. "
        "Every figure's numbers can be exported with 'symbiosis figures'.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def write_report(
    experiment_dir: str | Path,
    out: str | Path | None = None,
    sensitivity: str | Path | None = None,
    months: list[int] | None = None,
    title: str | None = None,
    dpi: int = REPORT_DPI,
) -> Path:
    """Write the report of ``experiment_dir`` to ``out`` (default ``<dir>/report.html``).

    The file is written to a temporary name and renamed, so a failure leaves no partial file.

    Raises:
        InputError: If the folder is not an experiment, or ``out`` is a folder.
    """
    evidence = load_evidence(experiment_dir, sensitivity)
    target = Path(out) if out is not None else evidence.path / "report.html"
    if target.is_dir():
        raise InputError(
            f"--out {target}: is a folder; give a file name such as {target / 'report.html'}"
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"--out {target}: {parent} is a file, not a folder")
            break
    text = build_report(evidence, months, title, dpi)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise InputError(f"--out {target}: cannot write there ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a report is not
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


__all__ = [
    "CSS",
    "SECTIONS",
    "build_report",
    "caveats",
    "convergence_html",
    "cost_sentence",
    "difference_sentence",
    "figure_html",
    "invocations_behind",
    "methods_paragraph",
    "placeholder_counts",
    "sensitivity_section",
    "sensitivity_sentences",
    "write_report",
]
