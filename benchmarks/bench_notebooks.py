"""Wall-clock time of each notebook in notebooks/, run top to bottom in a fresh kernel.

Usage:
    .venv/bin/python benchmarks/bench_notebooks.py              # every notebook
    .venv/bin/python benchmarks/bench_notebooks.py --only 01 03 # those whose name starts so
    .venv/bin/python benchmarks/bench_notebooks.py --budget 90  # another budget per notebook

Target: each notebook runs in under ``--budget`` seconds (120 by default: they are meant to take
about a minute in a classroom, on a shared 2-core machine). That a notebook runs at all, cleanly
and showing a figure, is tested by tests/test_notebooks.py; how long it takes is measured here,
because a wall-clock budget in the test suite fails on a busy machine, not on a slow notebook.
Each notebook runs in its own temporary working folder on a kernel of this very interpreter
(as the tests do), so results/ written by a notebook lands there. Exit status 1 when a notebook
misses the budget or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
KERNEL = "symbiosis-bench"
CELL_TIMEOUT_S = 600
BUDGET_S = 120.0


def install_kernel(folder: Path) -> None:
    """A kernelspec running this interpreter, found first through ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "symbiosis benchmark",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(folder), *([old] if old else [])])
    # The kernel must import this checkout, whatever is installed.
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([old_path] if old_path else [])])


def time_notebook(path: Path) -> float:
    """Seconds to execute ``path`` top to bottom in a fresh kernel (raises if a cell fails)."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix=f"bench_{path.stem}_") as workdir:
        client = nbclient.NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_S,
            kernel_name=KERNEL,
            resources={"metadata": {"path": workdir}},
        )
        started = time.perf_counter()
        client.execute()
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=[], help="notebook name prefixes")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds per notebook")
    args = parser.parse_args(argv)
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError:
        print("needs the [notebooks] extra (nbclient, nbformat, ipykernel)", file=sys.stderr)
        return 2
    paths = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.stem.startswith(tuple(args.only))]
    if not paths:
        print(f"no notebook matches {args.only} in {NOTEBOOKS_DIR}", file=sys.stderr)
        return 2
    load = os.getloadavg()
    print(f"notebooks: {len(paths)}, budget {args.budget:.0f} s each, load average {load[0]:.2f}")
    missed = 0
    with tempfile.TemporaryDirectory(prefix="bench_jupyter_") as jupyter:
        install_kernel(Path(jupyter))
        for path in paths:
            try:
                seconds = time_notebook(path)
            except Exception as error:  # a failing cell: report it, time the others
                print(f"  {path.stem:<32} FAILED: {type(error).__name__}: {str(error)[:200]}")
                missed += 1
                continue
            verdict = "ok" if seconds < args.budget else "OVER BUDGET"
            missed += seconds >= args.budget
            print(f"  {path.stem:<32} {seconds:7.1f} s  {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
