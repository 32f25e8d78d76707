"""The rendered notebooks under docs/notebooks/ are fresh: made from the notebooks as they are.

Each rendering records the SHA-256 of its notebook's cell sources on its first line
(``docs/render_notebooks.py``); a notebook edited without ``make docs-notebooks`` fails here,
without executing anything.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _renderer():
    spec = importlib.util.spec_from_file_location(
        "render_notebooks", ROOT / "docs" / "render_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_notebook_has_a_fresh_rendering_with_its_figures(path):
    renderer = _renderer()
    rendered = renderer.RENDERED_DIR / f"{path.stem}.md"
    assert rendered.is_file(), f"{rendered} missing: run 'make docs-notebooks'"
    text = rendered.read_text(encoding="utf-8")
    match = renderer.HASH_PATTERN.match(text.splitlines()[0])
    assert match and match.group(1) == path.name
    assert match.group(2) == renderer.source_digest(path), (
        f"{rendered.name} is stale: {path.name} changed since it was rendered "
        "(run 'make docs-notebooks')"
    )
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images, f"{rendered.name} shows no figure"
    for image in images:
        assert (rendered.parent / image).is_file(), image


def test_the_digest_ignores_outputs_but_not_sources(tmp_path):
    import json

    renderer = _renderer()
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["x = 1\n"], "outputs": [], "metadata": {}},
            {"cell_type": "markdown", "source": "# Title", "metadata": {}},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    before = renderer.source_digest(path)
    notebook["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    path.write_text(json.dumps(notebook))
    assert renderer.source_digest(path) == before
    notebook["cells"][0]["source"] = ["x = 2\n"]
    path.write_text(json.dumps(notebook))
    assert renderer.source_digest(path) != before
