"""The report's policy design section: an exploration, its discovered boxes, an optimisation.

Reads what ``symbiosis explore``, ``discover`` and ``optimise`` wrote in a folder (the CSV files
and the PNG figures beside them) and says it in a few sentences, tables and figures.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from analysis.style import format_number


def _e(text: object) -> str:
    return html.escape(str(text))


def _image(path: Path, caption: str) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{_e(format_number(v, digits=4) if isinstance(v, float) else v)}</td>" for v in row
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="scroll"><table class="plain"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def exploration_html(folder: Path) -> str:
    """Sentences, boxes and figures of an exploration (and its discovery, if any)."""
    from analysis.exploration import EXPERIMENTS_FILE

    table = pd.read_csv(folder / EXPERIMENTS_FILE)
    manifest = _manifest(folder)
    uncertainties = manifest.get("uncertainties", {})
    parts = [
        f"<p>Exploration: {table['policy'].nunique()} policies "
        f"({_e(', '.join(dict.fromkeys(table['policy'])))}) at {table['point'].nunique()} "
        f"points of a {_e(manifest.get('sampler', 'lhs'))} sample of {len(uncertainties)} "
        f"uncertainties, {table['replication'].nunique()} replications each with common "
        f"random numbers ({len(table)} runs).</p>",
        _image(folder / "experiments.png", "An output against each sampled uncertainty."),
    ]
    boxes_file = folder / "discovery" / "boxes.csv"
    if boxes_file.is_file():
        boxes = pd.read_csv(boxes_file)
        if len(boxes):
            first = boxes.iloc[0]
            parts.append(
                f"<p>Scenario discovery ({_e(first['method'])}): the first box holds "
                f"{first['coverage']:.0%} of the cases of interest (coverage) and "
                f"{first['density']:.0%} of its points are cases (density), restricting "
                f"{int(first['restricted_dimensions'])} uncertainties.</p>"
            )
            shown = boxes[["method", "box", "dimension", "low", "high", "coverage", "density"]]
            parts.append(_table(shown))
        parts.append(_image(folder / "discovery" / "boxes.png", "Limits of each box."))
        parts.append(_image(folder / "discovery" / "peeling.png", "PRIM's peeling trajectory."))
    return "\n".join(p for p in parts if p)


def optimisation_html(folder: Path) -> str:
    """Sentences, the Pareto table and figures of an optimisation."""
    from analysis.optimisation import CONVERGENCE_FILE, PARETO_FILE

    pareto = pd.read_csv(folder / PARETO_FILE)
    manifest = _manifest(folder)
    convergence = (
        pd.read_csv(folder / CONVERGENCE_FILE)
        if (folder / CONVERGENCE_FILE).is_file()
        else pd.DataFrame()
    )
    robust = manifest.get("robustness")
    judged = (
        f"judged by the {robust['measure']} over {robust['samples']} sampled uncertainty points"
        if robust
        else "judged by the mean"
    )
    text = (
        f"<p>Optimisation ({_e(manifest.get('algorithm', 'NSGA-II'))}) of "
        f"{_e(manifest.get('scenario', ''))} over {len(manifest.get('levers', {}))} levers, "
        f"objectives {_e(', '.join(manifest.get('objectives', [])))}"
        + (
            f", constraints {_e(', '.join(manifest['constraints']))}"
            if manifest.get("constraints")
            else ""
        )
        + f"; each candidate {judged} of {manifest.get('replications', '?')} replications with "
        f"common random numbers. {len(pareto)} policies are on the Pareto front"
    )
    if len(convergence):
        text += (
            f"; the hypervolume went from {convergence['hypervolume'].iloc[0]:.3g} to "
            f"{convergence['hypervolume'].iloc[-1]:.3g} over {len(convergence)} generations"
        )
    parts = [
        text + ". Each Pareto policy has a scenario file under pareto/.</p>",
        _table(pareto),
        _image(folder / "pareto.png", "Evaluated policies and the Pareto front."),
        _image(folder / "parallel.png", "Parallel coordinates of the Pareto policies."),
        _image(folder / "convergence.png", "Hypervolume after each generation."),
    ]
    return "\n".join(p for p in parts if p)


def design_section(folder: str | Path) -> str:
    """The body of the report's policy design section for ``folder`` (a note if none)."""
    from analysis.exploration import EXPERIMENTS_FILE
    from analysis.optimisation import PARETO_FILE

    path = Path(folder)
    parts = []
    if (path / EXPERIMENTS_FILE).is_file():
        parts.append(exploration_html(path))
    if (path / PARETO_FILE).is_file():
        parts.append(optimisation_html(path))
    if not parts:
        return (
            '<p class="note">This folder holds no exploration or optimisation (see '
            "'symbiosis explore', 'discover' and 'optimise').</p>"
        )
    return "\n".join(parts)
