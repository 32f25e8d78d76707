"""Optimisation benchmark: 4 levers, population 40, 25 generations, 5 replications (issue 19).

The full search is 40 x 25 x 5 = 5,000 simulations of 120 months on the default park; the
target is under 20 minutes on 2 cores. This script times a slice of it (the first
``--generations`` generations of the same search, through the same code path: NSGA-II through
the experiment engine, 2 local workers, every run stored) and extrapolates by simulations:
projected = measured wall time / simulations run x 5,000. Worker start-up and imports are in the
slice, so the projection errs on the slow side. On a shared machine the wall time measures the
other users too, so the script also times ``--cpu-sample`` of the slice's simulations in this
process (CPU seconds, which load barely changes) and projects the search on an idle 2-core
machine from them: CPU seconds per simulation x 5,000 / 2 cores.

Usage:
    .venv/bin/python benchmarks/bench_optimise.py                    # 2 generations (400 runs)
    .venv/bin/python benchmarks/bench_optimise.py --generations 25   # the whole search
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

LEVERS = [
    "landfill_tax_eur_per_t=0:150",
    "investment_grant_share=0:0.6",
    "subsidy_eur_per_unit",
    "platform_start_month=0:36",
]
OBJECTIVES = ["total_co2_avoided_t:max", "total_public_net_eur:max"]
POPULATION, GENERATIONS, REPLICATIONS, STEPS = 40, 25, 5, 120
TARGET_S = 20 * 60


def main() -> int:
    """Time a slice of the benchmark search and print the projection and verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=2, help="generations to time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cpu-sample", type=int, default=10, help="simulations timed in process (CPU s)"
    )
    args = parser.parse_args()

    from analysis.optimisation import optimise
    from scenarios.loader import load_scenario

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = optimise(
            load_scenario("world_bank_mix"),
            LEVERS,
            OBJECTIVES,
            Path(folder) / "search",
            population=POPULATION,
            generations=args.generations,
            replications=REPLICATIONS,
            steps=STEPS,
            workers=args.workers,
            progress=False,
        )
        elapsed = time.perf_counter() - started
        cpu_per_run = _cpu_seconds_per_run(result, args.cpu_sample)
    runs = len(result.evaluations) * REPLICATIONS
    total = POPULATION * GENERATIONS * REPLICATIONS
    projected = elapsed / runs * total
    print(
        f"optimise: {len(LEVERS)} levers, population {POPULATION}, {REPLICATIONS} replications, "
        f"{STEPS} months, default park, {args.workers} workers"
    )
    print(f"  load average before: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    print(f"  slice: {args.generations} generations, {runs} simulations in {elapsed:.1f} s")
    print(
        f"  projected for {GENERATIONS} generations ({total} simulations): {projected / 60:.1f} min"
    )
    idle = cpu_per_run * total / 2
    print(f"  CPU per simulation (in process, {args.cpu_sample} of them): {cpu_per_run:.3f} s")
    print(f"  projected on an idle 2-core machine (CPU-bound): {idle / 60:.1f} min")
    verdict = "ok" if idle < TARGET_S else "over target"
    print(f"  target < {TARGET_S / 60:.0f} min on 2 cores: {verdict} (from the CPU projection)")
    return 0


def _cpu_seconds_per_run(result: object, n: int) -> float:
    """Mean CPU seconds of ``n`` of the search's own simulations, run here one by one."""
    from scenarios.loader import load_scenario
    from scenarios.parameters import validate
    from simulation.experiments import replication_seeds
    from simulation.runner import run_model

    base = load_scenario("world_bank_mix").parameters()
    names = [text.split("=")[0] for text in LEVERS]
    rows = result.evaluations.head(n)  # type: ignore[attr-defined]
    seeds = replication_seeds(0, REPLICATIONS)
    run_model(base, 2, 0)  # imports and caches outside the timing
    started = time.process_time()
    for number, row in enumerate(rows.itertuples(index=False)):
        settings = {name: getattr(row, name) for name in names}
        params = validate(
            {**base, **{k: getattr(v, "item", lambda v=v: v)() for k, v in settings.items()}}
        )
        run_model(params, STEPS, seeds[number % REPLICATIONS])
    return (time.process_time() - started) / max(1, len(rows))


if __name__ == "__main__":
    sys.exit(main())
