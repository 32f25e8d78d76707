"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, and is stored clean.

How long each takes is measured by benchmarks/bench_notebooks.py, not asserted here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the [notebooks] extra")
nbclient = pytest.importorskip("nbclient", reason="needs the [notebooks] extra")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = (
    "01_first_simulation",
    "02_policy_experiment",
    "03_sensitivity_analysis",
    "04_classroom_worksheet",
    "05_designing_a_policy_mix",
)
KERNEL = "python3"  # the kernel the notebooks name, for users' Jupyter
TEST_KERNEL = "symbiosis-tests"  # the kernel the tests run them on: this interpreter
CELL_TIMEOUT_S = 600


def test_the_notebooks_exist():
    assert tuple(path.stem for path in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == KERNEL
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.fixture(scope="module")
def notebook_kernel(tmp_path_factory):
    """A kernelspec running this very interpreter, whatever kernels the machine has.

    A user-level ``python3`` kernelspec (``~/.local/share/jupyter``) would take precedence over
    the venv's own and might point at a Python without this package.
    """
    spec_dir = tmp_path_factory.mktemp("jupyter") / "kernels" / TEST_KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "symbiosis tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(spec_dir.parent.parent), *([old] if old else [])]
    )
    yield TEST_KERNEL
    if old is None:
        del os.environ["JUPYTER_PATH"]
    else:
        os.environ["JUPYTER_PATH"] = old


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, notebook_kernel):
    """Executed in a temporary working folder, so results/ written by a notebook lands there."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=notebook_kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    warnings = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert warnings == [], f"{path.name} wrote to stderr: {warnings}"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} showed no figure"
