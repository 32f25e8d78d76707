"""Calibration benchmark: 6 uncertainties, >= 5,000 simulations of Kalundborg (issue 17).

The full calibration is ABC-SMC on ``scenarios/targets/kalundborg.toml`` (its 6 fitted
uncertainties, 600 months on the kalundborg park) with a budget of 5,000 simulations; the target
is under 30 minutes on 2 cores. This script times a slice of it (the first ``--generations``
generations, same code path: pyabc through the experiment engine, 2 local workers, every run
stored with its timeseries) and extrapolates by simulations: projected = measured wall time /
simulations run x 5,000. Worker start-up and imports are in the slice, so the projection errs on
the slow side. It also times ``--cpu-sample`` simulations in this process (CPU seconds, which
load barely changes) and projects the calibration on an idle 2-core machine from them.

Usage:
    .venv/bin/python benchmarks/bench_calibrate.py                   # 2 generations
    .venv/bin/python benchmarks/bench_calibrate.py --generations 20  # about the whole budget
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POPULATION, SIMULATIONS = 100, 5000
TARGET_S = 30 * 60


def main() -> int:
    """Time a slice of the benchmark calibration and print the projection and verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=2, help="generations to time")
    parser.add_argument("--population", type=int, default=POPULATION)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cpu-sample", type=int, default=5, help="simulations timed in process (CPU s)"
    )
    args = parser.parse_args()

    from analysis.calibration import calibrate
    from scenarios.targets import load_targets

    targets = load_targets("kalundborg")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = calibrate(
            targets,
            Path(folder) / "calibration",
            population=args.population,
            generations=args.generations,
            max_simulations=SIMULATIONS,
            workers=args.workers,
            progress=False,
        )
        elapsed = time.perf_counter() - started
        runs = result_simulations(Path(folder) / "calibration")
    cpu_per_run = _cpu_seconds_per_run(targets, args.cpu_sample)
    projected = elapsed / runs * SIMULATIONS
    print(
        f"calibrate: {len(targets.priors)} uncertainties, population {args.population}, "
        f"{targets.targets[0].months} months, kalundborg, {args.workers} workers"
    )
    print(f"  load average before: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    print(f"  slice: {len(result.diagnostics)} generations, {runs} simulations in {elapsed:.1f} s")
    print(f"  projected for {SIMULATIONS} simulations: {projected / 60:.1f} min")
    idle = cpu_per_run * SIMULATIONS / 2
    print(f"  CPU per simulation (in process, {args.cpu_sample} of them): {cpu_per_run:.3f} s")
    print(f"  projected on an idle 2-core machine (CPU-bound): {idle / 60:.1f} min")
    verdict = "ok" if idle < TARGET_S else "over target"
    print(f"  target < {TARGET_S / 60:.0f} min on 2 cores: {verdict} (from the CPU projection)")
    return 0


def result_simulations(folder: Path) -> int:
    """Runs stored in the calibration's store (the prior's calibration sample included)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(folder / "store.sqlite")) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM results").fetchone()
    return int(count)


def _cpu_seconds_per_run(targets: object, n: int) -> float:
    """Mean CPU seconds of ``n`` simulations at prior draws, run here one by one."""
    import numpy as np

    from scenarios.loader import load_scenario
    from scenarios.parameters import validate
    from simulation.runner import run_model

    spec = targets  # a scenarios.targets.Targets
    base = {**load_scenario("baseline").parameters(), "park": "kalundborg"}
    rng = np.random.default_rng(0)
    run_model(validate(base), 2, 0)  # imports and caches outside the timing
    started = time.process_time()
    for seed in range(n):
        draw = {
            p.name: float(rng.uniform(p.low, p.high))
            for p in spec.priors  # type: ignore[attr-defined]
        }
        run_model(validate({**base, **draw}), spec.targets[0].months, seed)  # type: ignore[attr-defined]
    return (time.process_time() - started) / max(1, n)


if __name__ == "__main__":
    sys.exit(main())
