"""Profile one benchmark configuration with pyinstrument (a ``[dev]`` extra), to find hot paths.

Usage:
    .venv/bin/python benchmarks/profile_config.py default               # call tree as text
    .venv/bin/python benchmarks/profile_config.py regional_10k --runs 1 --html /tmp/profile.html

Runs ``run_model`` for the configuration of ``benchmarks/configs.py`` after a warm-up run, under
pyinstrument's sampling profiler, and prints where the time goes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import configs  # noqa: E402


def main() -> int:
    """Profile the chosen configuration and print (or save) the call tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", choices=sorted(configs.CONFIGS))
    parser.add_argument("--runs", type=int, default=5, help="runs profiled (seeds 0, 1, ...)")
    parser.add_argument("--html", help="write an interactive HTML report to this file")
    args = parser.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        print(
            "profile_config.py: error: pyinstrument is not installed (pip install -e '.[dev]')",
            file=sys.stderr,
        )
        return 2
    from simulation.runner import run_model

    config = configs.CONFIGS[args.config]
    params = dict(config["params"])
    if config.get("scenario"):
        from scenarios.loader import load_scenario

        params = load_scenario(config["scenario"]).overrides | params
    run_model(params, 3, 10_000)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for seed in range(args.runs):
        run_model(params, config["steps"], seed)
    profiler.stop()
    if args.html:
        Path(args.html).write_text(profiler.output_html())
        print(f"written {args.html}")
    else:
        print(profiler.output_text(unicode=True, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
