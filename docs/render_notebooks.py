"""Render the notebooks with their outputs as Markdown under docs/notebooks/ (make docs-notebooks).

A reader browsing the repository sees every result without running anything: each notebook is
executed top to bottom in a fresh kernel (in a temporary folder, so nothing is written here) and
written as ``docs/notebooks/<name>.md`` with its figures beside it in ``<name>_files/``. The first
line records the SHA-256 of the notebook's cell sources, so ``tests/test_notebooks.py`` can tell a
stale rendering from a fresh one without executing anything.

Usage: ``python docs/render_notebooks.py [NOTEBOOK.ipynb ...]`` (default: every notebook).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository (this file is in docs/)
NOTEBOOKS_DIR = ROOT / "notebooks"
RENDERED_DIR = ROOT / "docs" / "notebooks"
HASH_LINE = "<!-- rendered from notebooks/{name}, cell sources sha256 {digest} -->"
HASH_PATTERN = re.compile(
    r"<!-- rendered from notebooks/(\S+), cell sources sha256 ([0-9a-f]{64}) -->"
)
CELL_TIMEOUT_S = 900
# Volatile text kept out of the rendering (it would change on every run): elapsed times.
VOLATILE = re.compile(r"\b\d+(\.\d+)? ?s elapsed\b")
STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S)  # pandas' inline CSS; GitHub drops it


def source_digest(path: Path) -> str:
    """SHA-256 of the notebook's cell types and sources (outputs and metadata left out)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        [
            cell["cell_type"],
            "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"],
        ]
        for cell in notebook["cells"]
    ]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _fence(text: str, language: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def to_markdown(notebook: dict, name: str, files_dir: Path) -> str:
    """The executed notebook as Markdown; PNG outputs are written to ``files_dir``."""
    parts = [HASH_LINE.format(name=f"{name}.ipynb", digest="{digest}")]
    figure = 0
    for cell in notebook["cells"]:
        source = _text(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append(source)
            continue
        if cell["cell_type"] != "code":
            continue
        parts.append(_fence(source, "python"))
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                parts.append(_fence(VOLATILE.sub("", _text(output["text"]))))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if "image/png" in data:
                    figure += 1
                    files_dir.mkdir(parents=True, exist_ok=True)
                    image = files_dir / f"figure_{figure:02d}.png"
                    image.write_bytes(base64.b64decode(_text(data["image/png"])))
                    parts.append(f"![figure {figure}]({files_dir.name}/{image.name})")
                elif "text/markdown" in data:
                    parts.append(_text(data["text/markdown"]))
                elif "text/html" in data and "<table" in _text(data["text/html"]):
                    table = STYLE_BLOCK.sub("", _text(data["text/html"]))
                    parts.append(table.strip())
                elif "text/plain" in data:
                    parts.append(_fence(_text(data["text/plain"])))
            elif kind == "error":
                raise RuntimeError(f"{name}: a cell failed: {output.get('ename')}")
    return "\n\n".join(parts) + "\n"


def render(path: Path) -> Path:
    """Execute one notebook and write its Markdown rendering; return the rendering's path."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as work:
        client = nbclient.NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": work}},
        )
        client.execute()
    name = path.stem
    files_dir = RENDERED_DIR / f"{name}_files"
    shutil.rmtree(files_dir, ignore_errors=True)
    RENDERED_DIR.mkdir(parents=True, exist_ok=True)
    text = to_markdown(json.loads(nbformat.writes(notebook)), name, files_dir)
    target = RENDERED_DIR / f"{name}.md"
    target.write_text(text.replace("{digest}", source_digest(path), 1), encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    """Render the notebooks named in ``argv`` (default: all of them)."""
    paths = [Path(a) for a in argv] or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    for path in paths:
        print(f"rendered {render(path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
