"""The throughput targets of the big experiments (issue 18), each beside its measured value.

Usage (also part of ``make bench``):
    .venv/bin/python benchmarks/bench_engine.py                 # every target
    .venv/bin/python benchmarks/bench_engine.py overhead speedup  # some of them
    .venv/bin/python benchmarks/bench_engine.py --quick         # smaller sizes (a smoke test)
    .venv/bin/python benchmarks/bench_engine.py --json FILE     # also write the numbers as JSON

What is measured (each in a fresh interpreter, so imports, caches and memory peaks do not leak
from one measurement into the next; wall-clock time, so a loaded machine slows everything):

- ``default_run``: one default run (100 firms, 120 months) in process, median of 21 after a
  warm-up run.
- ``overhead``: 200 default runs as a bare ``run_model`` loop and through the engine with 1
  worker (``run_specs(workers=1)``, scalar outputs and every run's tables stored, as ``compare``
  does), side by side in one process, alternating, best of ``--repeat`` each.
- ``speedup``: 400 default runs through the engine with 1 and with 2 local workers (worker
  start-up included), alternating, best of ``--repeat`` each; with the ``[cluster]`` extra also
  2 workers of a local Dask cluster (``--scheduler local``).
- ``sobol``: a 10-parameter Sobol design, N = 1024, 5 replications (61,440 runs), of which the
  first 2,000 runs are timed through the engine with 2 workers (scalar outputs only, as
  ``sensitivity`` stores them) and the whole is extrapolated in proportion.
- ``scale``: the regional park with the facilitation programme (workshops and brokering, the
  NISP-like programme of ``scenarios/facilitation.toml``) at 10,000, 50,000 and 200,000 firms:
  set-up time, the cost of a month (120 months), peak memory, memory per firm, and the growth
  exponent of a month's cost with the number of firms (least squares on log-log).
- ``memory``: peak resident memory of the main process of a 2,000-run and a 20,000-run sweep
  (``benchmarks/bench_experiments.py``'s measurement, 2 workers).

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis.sensitivity_model import DEFAULT_PARAMETERS  # noqa: E402 (after the path)

# Issue 18's targets: (what, target, comparison) with comparison "<=" or ">=".
TARGETS = {
    "default_run": ("default run, in process (ms)", 15.0, "<="),
    "overhead": ("engine overhead over a bare run_model loop, 1 worker, 200 runs (%)", 5.0, "<="),
    "speedup": ("2-worker speed-up over 1 worker, 400 runs (x)", 1.85, ">="),
    "speedup_dask": ("  same, 2 workers of a local Dask cluster (x)", 1.85, ">="),
    "sobol": ("Sobol, 10 parameters, N = 1024, 5 replications, 61,440 runs (min)", 15.0, "<="),
    "scale_time": (
        "regional park + NISP-like programme, 200,000 firms, 120 months (s)",
        40.0,
        "<=",
    ),
    "scale_memory": ("  same run, peak memory (MB)", 1500.0, "<="),
    "scale_exponent": ("growth of a month's cost with firms, 10k to 200k (exponent)", 1.05, "<="),
    "memory": ("memory of a 20,000-run sweep over a 2,000-run sweep (MB more)", 20.0, "<="),
}
# The sensitivity command's default factors and two more: the ten-parameter Sobol.
SOBOL_PARAMETERS = (*DEFAULT_PARAMETERS, "tie_trust_bonus", "knowledge_diffusion_rate")
SOBOL = {"samples": 1024, "replications": 5, "slice": 2000, "workers": 2}
SCALE_FIRMS = (10_000, 50_000, 200_000)
STEPS = 120


# --- measurements (each runs in its own interpreter: ``_measure NAME SETTINGS``) -------------


def _default_specs(n_runs: int, seed: int = 2024) -> list:
    from scenarios.loader import load_scenario
    from simulation.experiments import RunSpec, replication_seeds

    params = load_scenario("baseline").parameters()
    return [
        RunSpec("baseline", params, STEPS, s, k)
        for k, s in enumerate(replication_seeds(seed, n_runs))
    ]


def measure_default_run(runs: int) -> dict[str, Any]:
    """Median wall time of a default run after a warm-up run."""
    from scenarios.loader import load_scenario
    from simulation.runner import run_model

    params = load_scenario("baseline").parameters()
    run_model(params, 3, 10_000)
    times = []
    for seed in range(runs):
        started = time.perf_counter()
        run_model(params, STEPS, seed)
        times.append(time.perf_counter() - started)
    return {"runs": runs, "median_ms": statistics.median(times) * 1000, "times_s": times}


def measure_overhead(runs: int, repeat: int) -> dict[str, Any]:
    """A bare ``run_model`` loop and the 1-worker engine over the same specs, alternating."""
    from simulation.experiments import run_specs
    from simulation.runner import run_model

    specs = _default_specs(runs)
    run_model(specs[0].params, 3, 10_000)
    bare, engine = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        for spec in specs:
            run_model(spec.params, spec.steps, spec.seed)
        bare.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
            started = time.perf_counter()
            experiment = run_specs(specs, folder, workers=1, progress=False, store_details=True)
            engine.append(time.perf_counter() - started)
            assert experiment.manifest["runs_done"] == runs
    return {
        "runs": runs,
        "bare_s": bare,
        "engine_s": engine,
        "overhead_pct": (min(engine) / min(bare) - 1) * 100,
    }


def measure_engine(runs: int, workers: int, scheduler: str | None = None) -> dict[str, Any]:
    """Wall time of ``runs`` default runs through the engine (details stored, start-up in)."""
    from simulation.experiments import run_specs

    specs = _default_specs(runs)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
        started = time.perf_counter()
        experiment = run_specs(
            specs,
            folder,
            workers=workers,
            scheduler=scheduler,
            progress=False,
            store_details=True,
        )
        seconds = time.perf_counter() - started
        assert experiment.manifest["runs_done"] == runs
    return {"runs": runs, "workers": workers, "seconds": seconds}


def sobol_specs(samples: int, replications: int) -> list:
    """The runs of the 10-parameter Sobol analysis of the baseline (as ``sensitivity`` builds)."""
    from analysis.sensitivity import Problem, make_design
    from analysis.sensitivity_model import build_specs, resolve_ranges
    from scenarios.loader import load_scenario
    from simulation.experiments import replication_seeds

    scenario = load_scenario("baseline")
    ranges = resolve_ranges(scenario, list(SOBOL_PARAMETERS))
    problem = Problem(
        tuple(r.name for r in ranges),
        tuple((r.low, r.high) for r in ranges),
        tuple(r.integer for r in ranges),
    )
    design = make_design(problem, "sobol", samples, seed=0)
    return build_specs(scenario, design, STEPS, replication_seeds(0, replications))


def measure_sobol(samples: int, replications: int, slice_runs: int, workers: int) -> dict:
    """Time the first ``slice_runs`` runs of the Sobol analysis; extrapolate to all of them."""
    from simulation.experiments import run_specs

    specs = sobol_specs(samples, replications)
    total = len(specs)
    with tempfile.TemporaryDirectory(prefix="bench-sobol-") as folder:
        started = time.perf_counter()
        experiment = run_specs(
            specs[:slice_runs], folder, workers=workers, progress=False, store_details=False
        )
        seconds = time.perf_counter() - started
        done = experiment.manifest["runs_done"]
    return {
        "runs_total": total,
        "runs_timed": slice_runs,
        "runs_done": done,
        "workers": workers,
        "slice_s": seconds,
        "projected_min": seconds * total / slice_runs / 60,
    }


def measure_scale(n_firms: int, steps: int) -> dict[str, Any]:
    """Set-up and monthly cost, and peak memory, of one regional run with facilitation."""
    from scenarios.loader import load_scenario
    from simulation.model import SymbiosisModel
    from simulation.runner import collect_results

    params = load_scenario("facilitation").with_overrides({"park": "regional", "n_firms": n_firms})
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    model = SymbiosisModel(seed=1, **params.parameters())
    set_up = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(steps):
        model.step()
    months = time.perf_counter() - started
    started = time.perf_counter()
    result = collect_results(model)
    collect = time.perf_counter() - started
    return {
        "firms": int(result.summary["n_firms"]),
        "steps": steps,
        "set_up_s": set_up,
        "months_s": months,
        "month_ms": months / steps * 1000,
        "collect_s": collect,
        "total_s": set_up + months + collect,
        "exchanges": len(result.exchanges),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_model_mb": before_mb,
    }


MEASURES = {
    "default_run": measure_default_run,
    "overhead": measure_overhead,
    "engine": measure_engine,
    "sobol": measure_sobol,
    "scale": measure_scale,
}


def fresh(name: str, **settings: Any) -> dict[str, Any]:
    """Run measurement ``name`` in a new interpreter and return its JSON result."""
    command = [sys.executable, __file__, "_measure", name, json.dumps(settings)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{name} {settings} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the targets ------------------------------------------------------------------------------


def run_default(quick: bool, repeat: int) -> dict[str, Any]:
    result = fresh("default_run", runs=7 if quick else 21)
    return {"default_run": (result["median_ms"], result)}


def run_overhead(quick: bool, repeat: int) -> dict[str, Any]:
    result = fresh("overhead", runs=40 if quick else 200, repeat=repeat)
    return {"overhead": (result["overhead_pct"], result)}


def run_speedup(quick: bool, repeat: int) -> dict[str, Any]:
    runs = 80 if quick else 400
    seconds: dict[int, list[float]] = {1: [], 2: []}
    dask: list[float] = []
    try:
        import distributed  # noqa: F401
    except ImportError:
        has_dask = False
    else:
        has_dask = True
    for _ in range(repeat):
        for workers in (1, 2):
            seconds[workers].append(fresh("engine", runs=runs, workers=workers)["seconds"])
        if has_dask:
            dask.append(fresh("engine", runs=runs, workers=2, scheduler="local")["seconds"])
    info = {"runs": runs, "seconds_1_worker": seconds[1], "seconds_2_workers": seconds[2],
            "seconds_dask_2_workers": dask}  # fmt: skip
    measured = {"speedup": (min(seconds[1]) / min(seconds[2]), info)}
    if dask:
        measured["speedup_dask"] = (min(seconds[1]) / min(dask), info)
    return measured


def run_sobol(quick: bool, repeat: int) -> dict[str, Any]:
    settings = {**SOBOL, "slice_runs": 200 if quick else SOBOL["slice"]}
    del settings["slice"]
    result = fresh("sobol", **settings)
    return {"sobol": (result["projected_min"], result)}


def run_scale(quick: bool, repeat: int) -> dict[str, Any]:
    sizes = (2_000, 10_000) if quick else SCALE_FIRMS
    steps = 24 if quick else STEPS
    rows = [fresh("scale", n_firms=n, steps=steps) for n in sizes]
    xs = [math.log(r["firms"]) for r in rows]
    ys = [math.log(r["month_ms"]) for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    exponent = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    small, large = rows[0], rows[-1]
    per_firm_kb = (
        (large["peak_rss_mb"] - small["peak_rss_mb"]) / (large["firms"] - small["firms"]) * 1024
    )
    info = {"rows": rows, "memory_per_firm_kb": per_firm_kb}
    return {
        "scale_time": (large["total_s"], info),
        "scale_memory": (large["peak_rss_mb"], info),
        "scale_exponent": (exponent, info),
    }


def run_memory(quick: bool, repeat: int) -> dict[str, Any]:
    import bench_experiments

    small, large = (500, 5_000) if quick else (2_000, 20_000)
    rows = [
        bench_experiments._in_subprocess(
            n_runs=n, steps=1, workers=2, store_details=False, n_firms=20
        )
        for n in (small, large)
    ]
    growth = rows[1]["peak_rss_main_mb"] - rows[0]["peak_rss_main_mb"]
    return {"memory": (growth, {"small": rows[0], "large": rows[1]})}


RUNNERS = {
    "default_run": run_default,
    "overhead": run_overhead,
    "speedup": run_speedup,
    "sobol": run_sobol,
    "scale": run_scale,
    "memory": run_memory,
}


def met(name: str, value: float) -> bool:
    _, target, comparison = TARGETS[name]
    return value <= target if comparison == "<=" else value >= target


def ratio(name: str, value: float) -> float:
    """Measured over target for an upper bound, target over measured for a lower bound: a
    ratio above 1 says by how much the target is missed."""
    _, target, comparison = TARGETS[name]
    return value / target if comparison == "<=" else target / value


def report(measured: dict[str, tuple[float, dict]]) -> str:
    """The table: each target beside its measured value and the ratio."""
    lines = [
        f"{'target':<78} {'goal':>10} {'measured':>10} {'ratio':>7}  result",
        "-" * 118,
    ]
    for name, (what, target, comparison) in TARGETS.items():
        if name not in measured:
            continue
        value = measured[name][0]
        lines.append(
            f"{what:<78} {comparison + ' ' + format(target, 'g'):>10} {value:>10.3g} "
            f"{ratio(name, value):>7.2f}  {'met' if met(name, value) else 'NOT MET'}"
        )
    return "\n".join(lines)


def details(measured: dict[str, tuple[float, dict]]) -> str:
    """The measurements behind the table, one paragraph per target."""
    out = []
    if "default_run" in measured:
        info = measured["default_run"][1]
        out.append(f"default run: median of {info['runs']} runs {info['median_ms']:.1f} ms")
    if "overhead" in measured:
        info = measured["overhead"][1]
        bare = ", ".join(f"{s:.2f}" for s in info["bare_s"])
        engine = ", ".join(f"{s:.2f}" for s in info["engine_s"])
        out.append(
            f"overhead: {info['runs']} default runs, bare loop {bare} s, engine (1 worker, "
            f"tables stored) {engine} s; best against best"
        )
    if "speedup" in measured:
        info = measured["speedup"][1]
        one = ", ".join(f"{s:.1f}" for s in info["seconds_1_worker"])
        two = ", ".join(f"{s:.1f}" for s in info["seconds_2_workers"])
        out.append(
            f"speed-up: {info['runs']} default runs through the engine, 1 worker {one} s, "
            f"2 workers {two} s (worker start-up included); best against best"
        )
        if info["seconds_dask_2_workers"]:
            dask = ", ".join(f"{s:.1f}" for s in info["seconds_dask_2_workers"])
            out.append(f"speed-up: 2 workers of a local Dask cluster {dask} s (start-up included)")
    if "sobol" in measured:
        info = measured["sobol"][1]
        out.append(
            f"sobol: {info['runs_timed']:,} of {info['runs_total']:,} runs in "
            f"{info['slice_s']:.1f} s with {info['workers']} workers, projected "
            f"{info['projected_min']:.1f} min for all"
        )
    if "scale_time" in measured:
        info = measured["scale_time"][1]
        for row in info["rows"]:
            out.append(
                f"scale: {row['firms']:>7,} firms, set-up {row['set_up_s']:.1f} s, "
                f"{row['steps']} months {row['months_s']:.1f} s ({row['month_ms']:.1f} ms a "
                f"month), results {row['collect_s']:.1f} s, {row['exchanges']:,} exchanges, "
                f"peak {row['peak_rss_mb']:.0f} MB"
            )
        out.append(
            f"scale: memory per firm {info['memory_per_firm_kb']:.2f} KB (peak memory "
            "difference between the smallest and the largest park, per firm)"
        )
    if "memory" in measured:
        info = measured["memory"][1]
        for row in (info["small"], info["large"]):
            out.append(
                f"memory: {row['runs']:>6,} one-month runs of a 20-firm park, 2 workers, "
                f"{row['seconds']:.1f} s, peak main process {row['peak_rss_main_mb']:.0f} MB, "
                f"largest worker {row['peak_rss_worker_mb']:.0f} MB"
            )
    return "\n".join(out)


def main() -> int:
    """Run the chosen measurements, print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=[], help=f"some of {', '.join(RUNNERS)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many (default 2)")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write JSON here")
    args = parser.parse_args()
    if args.which[:1] == ["_measure"]:
        name, settings = args.which[1], json.loads(args.which[2])
        print(json.dumps(MEASURES[name](**settings)))
        return 0
    chosen = args.which or list(RUNNERS)
    unknown = [name for name in chosen if name not in RUNNERS]
    if unknown:
        parser.error(f"unknown measurement {unknown[0]!r}; choose from {', '.join(RUNNERS)}")
    load_before = os.getloadavg()
    print(
        f"issue 18 targets: {os.cpu_count()} cores, load average before "
        f"{load_before[0]:.2f}, {load_before[1]:.2f}, {load_before[2]:.2f}"
        + (" (--quick: smaller sizes, not the targets' own)" if args.quick else ""),
        flush=True,
    )
    measured: dict[str, tuple[float, dict]] = {}
    for name in chosen:
        started = time.perf_counter()
        measured.update(RUNNERS[name](args.quick, args.repeat))
        print(f"  measured {name} in {time.perf_counter() - started:.0f} s", flush=True)
    load_after = os.getloadavg()
    print()
    print(report(measured))
    print()
    print(details(measured))
    print(
        f"load average after {load_after[0]:.2f}, {load_after[1]:.2f}, {load_after[2]:.2f}; "
        "wall-clock times: other work on the machine slows every figure"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "quick": args.quick,
                    "load_before": load_before,
                    "load_after": load_after,
                    "measured": {k: {"value": v, "info": i} for k, (v, i) in measured.items()},
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if all(met(name, value) for name, (value, _) in measured.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
